//! Helpers shared by the simulator's integration tests: connecting, logging in, receiving
//! with a bound, and reading `<error>` children. Not every test file uses every helper.

#![allow(dead_code)]

use std::time::Duration;

use wa_binary::Node;
use wa_noise::{CertVerifier, IntroHeader, KeyPair};
use wa_proto::wa6::ClientPayload;
use wa_sim::{login_payload, unix_now, DeviceInfo, DeviceKeys, RunningSimulator};
use wa_transport::{ClientConnection, Error as TransportError};

/// Every await on the network is bounded, so a bug fails the test instead of hanging it.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(20);

/// Connects and runs the handshake, trusting the simulator's root.
pub(crate) async fn connect_with(
    running: &RunningSimulator,
    noise: KeyPair,
    header: IntroHeader,
    payload: &ClientPayload,
) -> ClientConnection {
    let url = running.url();
    let verifier = CertVerifier::new(running.root_public_key());
    let connect = wa_transport::connect(&url, noise, header, &verifier, payload, unix_now());
    tokio::time::timeout(TIMEOUT, connect)
        .await
        .expect("connect timed out")
        .expect("handshake")
}

/// Logs a registered device in (dictionary v3) and returns the connection after `<success>`.
pub(crate) async fn login(
    running: &RunningSimulator,
    device: &DeviceInfo,
    keys: &DeviceKeys,
) -> ClientConnection {
    let payload = login_payload(device.jid.user(), device.jid.device()).expect("login payload");
    let mut conn = connect_with(running, keys.noise.clone(), IntroHeader::V3, &payload).await;
    let success = recv(&mut conn).await;
    assert_eq!(success.tag(), "success", "{success:?}");
    conn
}

/// The next node, within [`TIMEOUT`], skipping the `<ib><offline/></ib>` that ends each
/// login's backlog (tests of it use [`recv_any`]).
pub(crate) async fn recv(conn: &mut ClientConnection) -> Node<'static> {
    loop {
        let node = recv_any(conn).await;
        if node.tag() != "ib" {
            return node;
        }
    }
}

/// The next node, whatever it is, within [`TIMEOUT`].
pub(crate) async fn recv_any(conn: &mut ClientConnection) -> Node<'static> {
    tokio::time::timeout(TIMEOUT, conn.recv())
        .await
        .expect("recv timed out")
        .expect("recv")
        .expect("a node, not a close")
}

/// Asserts nothing but `<ib>` arrives within a short while.
pub(crate) async fn assert_quiet(conn: &mut ClientConnection) {
    loop {
        match tokio::time::timeout(Duration::from_millis(300), conn.recv()).await {
            Err(_) => return,
            Ok(Ok(Some(node))) if node.tag() == "ib" => {}
            other => panic!("unexpected stanza: {other:?}"),
        }
    }
}

/// Asserts the server closes the connection next (clean close or closed socket).
pub(crate) async fn assert_closed(conn: &mut ClientConnection) {
    loop {
        match tokio::time::timeout(TIMEOUT, conn.recv())
            .await
            .expect("recv timed out")
        {
            Ok(None) | Err(TransportError::Closed) => return,
            Ok(Some(node)) if node.tag() == "ib" => {}
            other => panic!("expected the connection to close, got {other:?}"),
        }
    }
}

/// `(code, text)` of a node's `<error>` child.
pub(crate) fn error_of(node: &Node<'_>) -> Option<(String, String)> {
    let error = node.child("error")?;
    Some((
        error.attr_str("code")?.to_owned(),
        error.attr_str("text")?.to_owned(),
    ))
}
