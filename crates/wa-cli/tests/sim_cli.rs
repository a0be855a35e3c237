//! `wa sim` as a user runs it: it prints where it listens and the root key, answers `/sim/info`
//! on the printed address, and stops on a signal.

// Test code: a failed expectation is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Every wait is bounded so a broken binary fails the test instead of hanging it.
const TIMEOUT: Duration = Duration::from_secs(30);

/// A running `wa sim`, killed when dropped (also when the test fails).
struct Sim {
    child: Child,
    lines: Vec<String>,
}

impl Sim {
    /// Starts `wa sim --listen 127.0.0.1:0 ARGS` and reads its banner up to "Serving".
    fn start(args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_wa"))
            .args(["sim", "--listen", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let mut sim = Self {
            child,
            lines: Vec::new(),
        };
        loop {
            let line = receiver
                .recv_timeout(TIMEOUT)
                .unwrap_or_else(|_| panic!("no complete banner: {:?}", sim.lines));
            let done = line.starts_with("Serving");
            sim.lines.push(line);
            if done {
                return sim;
            }
        }
    }

    /// The value after `label` on the banner line that starts with it.
    fn field(&self, label: &str) -> &str {
        let line = self
            .lines
            .iter()
            .find(|line| line.starts_with(label))
            .unwrap_or_else(|| panic!("no {label:?} in {:?}", self.lines));
        line[label.len()..].split_whitespace().next().unwrap()
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `GET http://ADDR/path` with `Connection: close`: `(status line, body)`.
fn http_get(addr: &str, path: &str) -> (String, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    (head.lines().next().unwrap().to_owned(), body.to_owned())
}

#[test]
fn prints_how_to_connect_and_answers_on_the_printed_address() {
    let sim = Sim::start(&[]);
    let ws_url = sim.field("WebSocket URL:");
    let control = sim.field("Control API:");
    let root_base64 = sim.field("Root public key:");
    let addr = control
        .strip_prefix("http://")
        .and_then(|rest| rest.strip_suffix("/sim/"))
        .unwrap_or_else(|| panic!("control URL {control:?}"));
    assert_eq!(ws_url, format!("ws://{addr}/ws/chat"));
    assert!(
        sim.lines.iter().any(|line| line.contains("(hex)")),
        "{:?}",
        sim.lines
    );
    assert!(
        sim.lines
            .iter()
            .any(|line| line.trim_start().starts_with("curl ")),
        "{:?}",
        sim.lines
    );

    let (status, body) = http_get(addr, "/sim/info");
    assert_eq!(status, "HTTP/1.1 200 OK", "{body}");
    let info: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(info["ws_url"], ws_url);
    assert_eq!(info["root_public_key"], root_base64);
}

#[test]
fn the_same_seed_gives_the_same_root_key() {
    let first = Sim::start(&["--seed", "5"]);
    let second = Sim::start(&["--seed", "5"]);
    let other = Sim::start(&["--seed", "6"]);
    let root = |sim: &Sim| sim.field("Root public key:").to_owned();
    assert_eq!(root(&first), root(&second));
    assert_ne!(root(&first), root(&other));
}

#[test]
fn an_address_it_cannot_bind_fails_with_a_message() {
    let out = Command::new(env!("CARGO_BIN_EXE_wa"))
        .args(["sim", "--listen", "127.0.0.1:99999"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("cannot listen on 127.0.0.1:99999"),
        "{stderr}"
    );
}
