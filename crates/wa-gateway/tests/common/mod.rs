//! Helpers for the gateway's HTTP tests: a simulator on loopback, a gateway over a temporary
//! data directory serving on loopback, API keys, and a small HTTP/1 client.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt as _;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use wa_gateway::{create_api_key, Capabilities, Gateway, GatewayConfig, OrgId};
use wa_noise::CertVerifier;
use wa_session::SessionConfig;
use wa_sim::{Account, RunningSimulator, Simulator};

/// Every wait is bounded.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(20);

/// A temporary directory, removed on drop.
pub(crate) struct TempDir(pub(crate) PathBuf);

impl TempDir {
    pub(crate) fn new(name: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let path =
            std::env::temp_dir().join(format!("wa-gw-{name}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A simulator on loopback.
pub(crate) async fn simulator() -> RunningSimulator {
    Simulator::new(7).listen("127.0.0.1:0").await.unwrap()
}

/// The session config pointing at `sim`.
pub(crate) fn session_config(sim: &RunningSimulator) -> SessionConfig {
    let mut config = SessionConfig::new(sim.url(), CertVerifier::new(sim.root_public_key()));
    config.iq_timeout = Duration::from_secs(5);
    config.min_backoff = Duration::from_millis(20);
    config.max_backoff = Duration::from_millis(200);
    config
}

/// A running gateway.
pub(crate) struct Server {
    pub(crate) addr: SocketAddr,
    pub(crate) task: JoinHandle<()>,
    pub(crate) manager: wa_gateway::SessionManager,
}

impl Server {
    /// Stops serving and every session (as a process exit would, minus the OS).
    pub(crate) fn stop(self) {
        self.task.abort();
        self.manager.stop_all();
    }
}

/// Starts a gateway over `dir` with `config` tweaks applied.
pub(crate) async fn serve(
    dir: &Path,
    sim: &RunningSimulator,
    tweak: impl FnOnce(&mut GatewayConfig),
) -> Server {
    let mut config = GatewayConfig::new(dir, session_config(sim));
    tweak(&mut config);
    let gateway = Gateway::open(config).await.unwrap();
    let manager = gateway.manager().clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let _ = gateway.serve(listener, std::future::pending()).await;
    });
    Server {
        addr,
        task,
        manager,
    }
}

/// A new API key of `org`.
pub(crate) fn key(dir: &Path, org: &str, capabilities: &str) -> String {
    let conn = wa_gateway::db::open_connection(&wa_gateway::db::db_path(dir)).unwrap();
    create_api_key(
        &conn,
        &OrgId::new(org).unwrap(),
        Capabilities::parse(capabilities).unwrap(),
    )
    .unwrap()
    .to_string()
}

/// A gateway in a fresh directory on a fresh simulator with Alice's (`15550001111`) and
/// Bob's (`15550002222`) accounts, and an `acme` key that may send, read and manage sessions.
pub(crate) struct Fixture {
    pub(crate) dir: TempDir,
    pub(crate) sim: RunningSimulator,
    pub(crate) alice: Account,
    pub(crate) bob: Account,
    pub(crate) server: Server,
    pub(crate) token: String,
}

/// The [`Fixture`] in a directory named after `name`.
pub(crate) async fn two_accounts(name: &str) -> Fixture {
    let dir = TempDir::new(name);
    let sim = simulator().await;
    let alice = sim.simulator().create_account(Some("15550001111")).unwrap();
    let bob = sim.simulator().create_account(Some("15550002222")).unwrap();
    let server = serve(&dir.0, &sim, |_| {}).await;
    let token = key(&dir.0, "acme", "send,read,sessions");
    Fixture {
        dir,
        sim,
        alice,
        bob,
        server,
        token,
    }
}

/// An answer: status, headers and body (JSON when it parses, else `Value::Null`) plus raw bytes.
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) json: Value,
    pub(crate) bytes: Vec<u8>,
    pub(crate) headers: axum::http::HeaderMap,
}

impl Answer {
    pub(crate) fn code(&self) -> &str {
        self.json["error"]["code"].as_str().unwrap_or("")
    }

    /// Asserts the answer is the error `status` with `code`.
    #[track_caller]
    pub(crate) fn assert_error(&self, status: StatusCode, code: &str) {
        assert_eq!((self.status, self.code()), (status, code), "{}", self.json);
    }
}

/// One request on a fresh connection.
pub(crate) async fn call(
    addr: SocketAddr,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
    headers: &[(&str, &str)],
) -> Answer {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header("host", "localhost");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request
        .body(body.map_or_else(Body::empty, |b| Body::from(b.to_owned())))
        .unwrap();
    let response = tokio::time::timeout(TIMEOUT, sender.send_request(request))
        .await
        .expect("no answer in time")
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Answer {
        status,
        json,
        bytes,
        headers,
    }
}

/// Creates a session through the API, has `phone`'s simulated phone scan its QR, and waits
/// until it is connected. Returns the session id.
pub(crate) async fn paired_session(
    addr: SocketAddr,
    token: &str,
    sim: &RunningSimulator,
    phone: &wa_binary::Jid,
) -> String {
    let created = call(
        addr,
        Method::POST,
        "/api/v1/sessions",
        Some(token),
        None,
        &[],
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.json);
    assert_eq!(created.json["status"], "pairing");
    let id = created.json["id"].as_str().unwrap().to_owned();
    let qr = created.json["qr"].as_str().unwrap();
    sim.simulator().scan(qr, Some(phone)).unwrap();
    wait_status(addr, token, &id, "connected").await;
    id
}

/// Polls the session until it has `status`.
pub(crate) async fn wait_status(addr: SocketAddr, token: &str, id: &str, status: &str) {
    wait_for_status(addr, token, &format!("/api/v1/sessions/{id}"), status).await;
}

/// Polls `GET path` (a session, a message) until its `status` is `status`.
pub(crate) async fn wait_for_status(addr: SocketAddr, token: &str, path: &str, status: &str) {
    tokio::time::timeout(TIMEOUT, async {
        loop {
            let answer = call(addr, Method::GET, path, Some(token), None, &[]).await;
            if answer.json["status"] == status {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{path} never became {status}"));
}

/// Waits until `account`'s phone has received a message matching `wanted`.
pub(crate) async fn phone_received(
    sim: &RunningSimulator,
    account: &wa_binary::Jid,
    wanted: impl Fn(&wa_sim::Received) -> bool,
) -> wa_sim::Received {
    tokio::time::timeout(TIMEOUT, async {
        loop {
            if let Some(found) = sim
                .simulator()
                .received(account)
                .unwrap()
                .into_iter()
                .find(|r| wanted(r))
            {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the phone did not receive it in time")
}
