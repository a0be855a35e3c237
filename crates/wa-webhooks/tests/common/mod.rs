//! Test helpers: a scripted webhook receiver (axum on loopback, served connection by
//! connection through hyper so a reply can drop the connection), temporary database files,
//! and polling with a hang guard.

#![allow(dead_code, unreachable_pub)]

use std::collections::VecDeque;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use wa_webhooks::{
    Clock, DeliveryWorker, Event, JidText, ManualClock, ReactionAction, ReactionEvent, RetryPolicy,
    SessionState, SessionStatusEvent, UnixMillis, WebhookStore, WorkerConfig, WorkerHandle,
};

/// How the receiver answers one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reply {
    /// Answer with this status.
    Status(u16),
    /// Read the request, then close the connection without answering.
    Drop,
    /// Never answer (the sender's timeout ends it).
    Hang,
}

/// One request as the receiver saw it.
#[derive(Clone, Debug)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Bytes,
    pub reply: Reply,
}

impl Received {
    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }
}

#[derive(Default)]
struct Shared {
    script: Mutex<VecDeque<Reply>>,
    fallback: Mutex<Option<Reply>>,
    received: Mutex<Vec<Received>>,
}

/// A webhook receiver on 127.0.0.1 answering from a script (then 200 by default).
pub struct Receiver {
    pub url: String,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[derive(Clone)]
struct ConnState {
    shared: Arc<Shared>,
    drop_connection: Arc<Mutex<Option<oneshot::Sender<()>>>>,
}

async fn hook(State(conn): State<ConnState>, headers: HeaderMap, body: Bytes) -> Response {
    let reply = {
        let next = conn.shared.script.lock().unwrap().pop_front();
        next.or(*conn.shared.fallback.lock().unwrap())
            .unwrap_or(Reply::Status(200))
    };
    conn.shared.received.lock().unwrap().push(Received {
        headers,
        body,
        reply,
    });
    match reply {
        Reply::Status(code) => StatusCode::from_u16(code).unwrap().into_response(),
        Reply::Drop => {
            if let Some(tx) = conn.drop_connection.lock().unwrap().take() {
                let _ = tx.send(());
            }
            std::future::pending().await
        }
        Reply::Hang => std::future::pending().await,
    }
}

impl Receiver {
    pub async fn start() -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared::default());
        let accept_shared = shared.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (tx, rx) = oneshot::channel();
                let state = ConnState {
                    shared: accept_shared.clone(),
                    drop_connection: Arc::new(Mutex::new(Some(tx))),
                };
                let router = Router::new().fallback(hook).with_state(state);
                tokio::spawn(async move {
                    let conn = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), TowerToHyperService::new(router));
                    tokio::select! {
                        _ = conn => {}
                        _ = rx => {} // dropping `conn` closes the socket
                    }
                });
            }
        });
        Receiver {
            url: format!("http://{addr}/hook"),
            shared,
            task,
        }
    }

    /// Queues replies for the next requests, in order.
    pub fn script(&self, replies: &[Reply]) {
        self.shared.script.lock().unwrap().extend(replies);
    }

    /// The reply once the script is used up (200 unless set).
    pub fn set_fallback(&self, reply: Reply) {
        *self.shared.fallback.lock().unwrap() = Some(reply);
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().unwrap().clone()
    }

    pub async fn wait_for_requests(&self, n: usize) -> Vec<Received> {
        eventually(|| self.shared.received.lock().unwrap().len() >= n).await;
        self.received()
    }
}

/// Polls `cond` until it holds; fails the test if it never does (a hang guard, not a timing
/// assertion).
pub async fn eventually(mut cond: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !cond() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "condition not reached in 30 s"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Awaits `fut` with the same hang guard.
pub async fn guarded<T>(fut: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(30), fut)
        .await
        .expect("hang guard")
}

/// A database path in the temp directory, removed (with its WAL files) on drop.
pub struct TempDb(PathBuf);

impl TempDb {
    pub fn new() -> TempDb {
        static N: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "wa-webhooks-test-{}-{}.db",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let path = std::env::temp_dir().join(name);
        let db = TempDb(path);
        db.remove();
        db
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    fn remove(&self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut p = self.0.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        self.remove();
    }
}

pub const START: UnixMillis = UnixMillis(1_700_000_000_000);

/// Retries after 1 s, 2 s, 4 s … (at most 8 s), five attempts.
pub fn test_policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 5,
        base_delay: Duration::from_secs(1),
        max_delay: Duration::from_secs(8),
    }
}

pub fn test_config() -> WorkerConfig {
    WorkerConfig {
        max_in_flight: 4,
        request_timeout: Duration::from_secs(20),
        retry: test_policy(),
        jitter_seed: Some(1),
        // Every enqueue wakes the worker; no polling needed under the manual clock.
        poll_interval: Duration::from_secs(3600),
    }
}

/// A store on `db` driven by a manual clock.
pub fn store_on(db: &TempDb, clock: &ManualClock) -> WebhookStore {
    let clock: Arc<dyn Clock> = Arc::new(clock.clone());
    WebhookStore::open_with_clock(db.path(), clock).unwrap()
}

pub fn spawn_worker(store: &WebhookStore, config: WorkerConfig) -> WorkerHandle {
    DeliveryWorker::new(store.clone(), config).unwrap().spawn()
}

pub fn reaction(n: u64) -> Event {
    Event::Reaction(ReactionEvent {
        action: ReactionAction::Added,
        session_id: "s1".into(),
        chat: JidText::new("15550001111@s.whatsapp.net"),
        target_message_id: format!("3EB0{n:04}").into(),
        target_sender: None,
        actor: JidText::new("15550001111@s.whatsapp.net"),
        from_me: false,
        emoji: Some("\u{1F44D}".into()),
        previous_emoji: None,
        timestamp: 1_700_000_000 + n,
        origin: Some("test".into()),
    })
}

pub fn status(state: SessionState) -> Event {
    Event::SessionStatus(SessionStatusEvent {
        session_id: "s1".into(),
        status: state,
        reason: None,
    })
}
