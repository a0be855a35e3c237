//! A minimal HTTP/1.1 client on a raw `TcpStream` for the control-API tests (one request per
//! call, or several on one kept-alive connection), and helpers over it. Each test file that
//! uses it also declares `mod common;`. Not every test file uses every helper.

#![allow(dead_code)]

use std::net::SocketAddr;

use data_encoding::BASE64;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use wa_sim::{DeviceKeys, RunningSimulator, Simulator};

use crate::common::TIMEOUT;

/// A parsed response.
#[derive(Debug)]
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Response {
    /// The body as JSON (panics with the body text if it is not).
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|error| panic!("{error}: {:?}", String::from_utf8_lossy(&self.body)))
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// Asserts the API's error shape with this status and code.
    pub(crate) fn assert_error(&self, status: u16, code: &str) {
        let body = self.json();
        assert_eq!(
            (self.status, body["error"]["code"].as_str()),
            (status, Some(code)),
            "{body}"
        );
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{body}"
        );
    }
}

/// Writes one request (with a JSON body if given).
pub(crate) async fn send(
    stream: &mut TcpStream,
    method: &str,
    path: &str,
    body: Option<&str>,
    close: bool,
) {
    let body = body.unwrap_or("");
    let connection = if close { "close" } else { "keep-alive" };
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: sim\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: {connection}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body.as_bytes()).await.unwrap();
}

/// Reads one response (Content-Length or chunked body; none for 204).
pub(crate) async fn read(stream: &mut TcpStream) -> Response {
    tokio::time::timeout(TIMEOUT, read_unbounded(stream))
        .await
        .expect("response timed out")
}

async fn read_unbounded(stream: &mut TcpStream) -> Response {
    let mut buffer = Vec::new();
    let head_end = loop {
        if let Some(end) = find(&buffer, b"\r\n\r\n") {
            break end;
        }
        fill(stream, &mut buffer).await;
    };
    let head = String::from_utf8(buffer[..head_end].to_vec()).unwrap();
    let mut rest = buffer[head_end + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let status = status_line.split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .map(|line| {
            let (name, value) = line.split_once(':').unwrap();
            (name.trim().to_owned(), value.trim().to_owned())
        })
        .collect();
    let find_header = |name: &str| {
        headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.clone())
    };
    let body = if let Some(length) = find_header("content-length") {
        let length: usize = length.parse().unwrap();
        while rest.len() < length {
            fill(stream, &mut rest).await;
        }
        rest.truncate(length);
        rest
    } else if find_header("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        read_chunked(stream, rest).await
    } else {
        Vec::new()
    };
    Response {
        status,
        headers,
        body,
    }
}

async fn read_chunked(stream: &mut TcpStream, mut raw: Vec<u8>) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let line_end = loop {
            if let Some(end) = find(&raw, b"\r\n") {
                break end;
            }
            fill(stream, &mut raw).await;
        };
        let size_text = std::str::from_utf8(&raw[..line_end]).unwrap();
        let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).unwrap();
        while raw.len() < line_end + 2 + size + 2 {
            fill(stream, &mut raw).await;
        }
        body.extend_from_slice(&raw[line_end + 2..line_end + 2 + size]);
        raw.drain(..line_end + 2 + size + 2);
        if size == 0 {
            return body;
        }
    }
}

async fn fill(stream: &mut TcpStream, buffer: &mut Vec<u8>) {
    let mut chunk = [0u8; 4096];
    let read = stream.read(&mut chunk).await.unwrap();
    assert!(read > 0, "connection closed mid-response");
    buffer.extend_from_slice(&chunk[..read]);
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// One request on a fresh connection (`Connection: close`).
pub(crate) async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> Response {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    send(&mut stream, method, path, body, true).await;
    read(&mut stream).await
}

pub(crate) async fn start() -> RunningSimulator {
    Simulator::new(7).listen("127.0.0.1:0").await.unwrap()
}

pub(crate) async fn get(running: &RunningSimulator, path: &str) -> Response {
    request(running.local_addr(), "GET", path, None).await
}

pub(crate) async fn post(running: &RunningSimulator, path: &str, body: &Value) -> Response {
    let text = body.to_string();
    request(running.local_addr(), "POST", path, Some(&text)).await
}

pub(crate) async fn post_raw(running: &RunningSimulator, path: &str, body: &str) -> Response {
    request(running.local_addr(), "POST", path, Some(body)).await
}

/// Creates an account over HTTP and returns `(jid, lid)`.
pub(crate) async fn account(running: &RunningSimulator, phone: &str) -> (String, String) {
    let response = post(running, "/sim/accounts", &json!({ "phone": phone })).await;
    assert_eq!(response.status, 201, "{:?}", response.json());
    let body = response.json();
    (
        body["jid"].as_str().unwrap().to_owned(),
        body["lid"].as_str().unwrap().to_owned(),
    )
}

pub(crate) fn b64(bytes: &[u8]) -> String {
    BASE64.encode(bytes)
}

/// The `POST /sim/devices` body for these keys.
pub(crate) fn device_body(account: &str, keys: &DeviceKeys) -> Value {
    let registration = keys.registration();
    json!({
        "account": account,
        "noise_key": b64(registration.noise_key.as_bytes()),
        "identity_key": b64(registration.identity_key.public_key().as_bytes()),
        "registration_id": registration.registration_id.0,
        "signed_pre_key": {
            "id": registration.signed_pre_key.id.0,
            "public_key": b64(registration.signed_pre_key.public_key.as_bytes()),
            "signature": b64(&registration.signed_pre_key.signature),
        },
        "pre_keys": registration.pre_keys.iter().map(|key| json!({
            "id": key.id.0,
            "public_key": b64(key.public_key.as_bytes()),
        })).collect::<Vec<_>>(),
    })
}
