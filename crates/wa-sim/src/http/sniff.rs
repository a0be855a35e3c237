//! Telling a WebSocket client from a control-API client on the shared port, by peeking at the
//! request head without consuming it (the chosen server then reads it from the start).

use std::time::Duration;

use tokio::net::TcpStream;

/// The WebSocket path WhatsApp clients connect to.
const WEBSOCKET_PATH: &str = "/ws/chat";
/// The control API's path prefix.
const API_PREFIX: &str = "/sim/";
/// How much of a request head is looked at; heads longer than this are judged on what fits.
const MAX_PEEK: usize = 8 * 1024;
/// A client that has not sent its request line and headers by then is dropped.
const SNIFF_TIMEOUT: Duration = Duration::from_secs(10);
/// The pause between peeks while a head arrives in pieces (peeking does not wait for more).
const PEEK_INTERVAL: Duration = Duration::from_millis(5);

/// Which server a connection is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Protocol {
    /// `GET /ws/chat`, or any WebSocket upgrade: the WhatsApp transport.
    WebSocket,
    /// Anything else: the HTTP control API (which answers 404 outside `/sim/`).
    Http,
}

/// Waits (bounded) for enough of the request head to choose; `None` if the client closed,
/// failed or stayed silent.
pub(crate) async fn sniff(stream: &TcpStream) -> Option<Protocol> {
    let mut buffer = vec![0u8; MAX_PEEK];
    let peek_loop = async {
        loop {
            let read = stream.peek(&mut buffer).await.ok()?;
            let head = buffer.get(..read)?;
            if read == 0 {
                return None;
            }
            if let Some(protocol) = classify(head, read == MAX_PEEK) {
                return Some(protocol);
            }
            tokio::time::sleep(PEEK_INTERVAL).await;
        }
    };
    tokio::time::timeout(SNIFF_TIMEOUT, peek_loop)
        .await
        .ok()
        .flatten()
}

/// Chooses from the start of a request head, or `None` to wait for more bytes. `full` means no
/// more will be looked at, so a choice must be made.
pub(crate) fn classify(head: &[u8], full: bool) -> Option<Protocol> {
    let Some(line_end) = find(head, b"\r\n") else {
        return full.then_some(Protocol::Http);
    };
    let line = head.get(..line_end).unwrap_or_default();
    let mut parts = line.split(|&byte| byte == b' ');
    let method = parts.next().unwrap_or_default();
    let target = parts.next().unwrap_or_default();
    let path = target
        .split(|&byte| byte == b'?')
        .next()
        .unwrap_or_default();
    if method == b"GET" && path == WEBSOCKET_PATH.as_bytes() {
        return Some(Protocol::WebSocket);
    }
    if path.starts_with(API_PREFIX.as_bytes()) {
        return Some(Protocol::Http);
    }
    // Elsewhere only the headers tell an upgrade from a stray request.
    let Some(head_end) = find(head, b"\r\n\r\n") else {
        return full.then(|| upgrade_protocol(head));
    };
    Some(upgrade_protocol(head.get(..head_end).unwrap_or_default()))
}

/// WebSocket if some header line is `Upgrade: websocket` (any case, any spacing).
fn upgrade_protocol(head: &[u8]) -> Protocol {
    let is_upgrade = head.split(|&byte| byte == b'\n').skip(1).any(|line| {
        let Some(colon) = line.iter().position(|&byte| byte == b':') else {
            return false;
        };
        let (name, value) = line.split_at(colon);
        name.trim_ascii().eq_ignore_ascii_case(b"upgrade")
            && value
                .get(1..)
                .unwrap_or_default()
                .trim_ascii()
                .eq_ignore_ascii_case(b"websocket")
    });
    if is_upgrade {
        Protocol::WebSocket
    } else {
        Protocol::Http
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_websocket_path_and_upgrades_go_to_the_websocket() {
        assert_eq!(
            classify(b"GET /ws/chat HTTP/1.1\r\n", false),
            Some(Protocol::WebSocket)
        );
        assert_eq!(
            classify(b"GET /ws/chat?x=1 HTTP/1.1\r\n", false),
            Some(Protocol::WebSocket)
        );
        let upgrade = b"GET /other HTTP/1.1\r\nHost: a\r\nupgrade:  WebSocket \r\n\r\n";
        assert_eq!(classify(upgrade, false), Some(Protocol::WebSocket));
    }

    #[test]
    fn api_paths_and_stray_requests_go_to_http() {
        assert_eq!(
            classify(b"POST /sim/accounts HTTP/1.1\r\n", false),
            Some(Protocol::Http)
        );
        assert_eq!(
            classify(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", false),
            Some(Protocol::Http)
        );
        assert_eq!(
            classify(b"POST /ws/chat HTTP/1.1\r\nHost: a\r\n\r\n", false),
            Some(Protocol::Http)
        );
    }

    #[test]
    fn incomplete_heads_wait_unless_full() {
        assert_eq!(classify(b"GET /ws/ch", false), None);
        assert_eq!(classify(b"GET / HTTP/1.1\r\nHost: a\r\n", false), None);
        assert_eq!(
            classify(b"garbage without line end", true),
            Some(Protocol::Http)
        );
        assert_eq!(
            classify(b"GET / HTTP/1.1\r\nUpgrade: websocket\r\nX", true),
            Some(Protocol::WebSocket)
        );
        assert_eq!(classify(b"", false), None);
    }
}
