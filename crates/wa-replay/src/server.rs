//! The scripted server a replay runs against: a WebSocket listener on loopback that, for each
//! connection in turn, writes the recorded server frames as they are (the handshake's server
//! hello included: the engine's ephemeral key is the recorded one, so no cryptography is
//! needed) and checks every client frame against the next recorded one. A server frame goes out
//! only once every client frame recorded before it has arrived, which keeps the order the
//! engine sees what it saw while recording.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use crate::error::Mismatch;
use crate::transcript::{abbreviated, Connection, Dir, Entry};

/// How long the server waits for a client frame the script expects.
const FRAME_WAIT: Duration = Duration::from_secs(10);

/// How a connection went off its script.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    pub(crate) mismatch: Mismatch,
    /// The engine wrote a different frame (the driver replaces `actual` with its node).
    pub(crate) wrote_frame: bool,
}

#[derive(Debug, Default)]
struct State {
    /// The highest checkpoint every entry before which was exchanged.
    checkpoint: u32,
    /// Server frames written, per connection.
    sent: Vec<usize>,
    /// Connections whose client closed.
    closed: Vec<bool>,
    failure: Option<Failure>,
}

/// What the server has done so far, for the driver.
#[derive(Debug, Default)]
pub(crate) struct Progress {
    state: Mutex<State>,
}

impl Progress {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn checkpoint(&self) -> u32 {
        self.lock().checkpoint
    }

    pub(crate) fn sent(&self, connection: usize) -> usize {
        self.lock().sent.get(connection).copied().unwrap_or(0)
    }

    pub(crate) fn all_closed(&self) -> bool {
        self.lock().closed.iter().all(|closed| *closed)
    }

    pub(crate) fn failure(&self) -> Option<Failure> {
        self.lock().failure.clone()
    }

    fn fail(&self, failure: Failure) {
        let mut state = self.lock();
        // The first failure is the one that explains the rest.
        if state.failure.is_none() {
            state.failure = Some(failure);
        }
    }
}

/// A running replay server.
#[derive(Debug)]
pub(crate) struct ReplayServer {
    url: String,
    progress: Arc<Progress>,
    task: JoinHandle<()>,
}

impl ReplayServer {
    /// Listens on a free loopback port and serves `connections` in order.
    pub(crate) async fn start(connections: Vec<Connection>) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("ws://{}/ws/chat", listener.local_addr()?);
        let progress = Arc::new(Progress::default());
        {
            let mut state = progress.lock();
            state.sent = vec![0; connections.len()];
            state.closed = vec![false; connections.len()];
        }
        let task = tokio::spawn(accept_loop(listener, connections, progress.clone()));
        Ok(Self {
            url,
            progress,
            task,
        })
    }

    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    pub(crate) fn progress(&self) -> &Arc<Progress> {
        &self.progress
    }
}

impl Drop for ReplayServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn accept_loop(listener: TcpListener, connections: Vec<Connection>, progress: Arc<Progress>) {
    let mut scripts = connections.into_iter();
    let mut index = 0;
    let mut tasks = Vec::new();
    while let Ok((stream, _)) = listener.accept().await {
        let Some(script) = scripts.next() else {
            progress.fail(Failure {
                mismatch: Mismatch {
                    connection: index,
                    entry: 0,
                    client_frame: 0,
                    expected: "no further connection".to_owned(),
                    actual: "the engine opened another connection".to_owned(),
                },
                wrote_frame: false,
            });
            continue;
        };
        tasks.push(AbortOnDrop(tokio::spawn(serve(
            stream,
            script,
            index,
            progress.clone(),
        ))));
        index += 1;
    }
}

/// Aborts a connection task when the server goes.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn serve(stream: TcpStream, script: Connection, index: usize, progress: Arc<Progress>) {
    let failure = |entry: usize, client_frame: usize, expected: String, actual: String| Failure {
        mismatch: Mismatch {
            connection: index,
            entry,
            client_frame,
            expected,
            actual,
        },
        wrote_frame: false,
    };
    let Ok(ws) = tokio_tungstenite::accept_async(stream).await else {
        progress.fail(failure(
            0,
            0,
            "a WebSocket".into(),
            "a failed upgrade".into(),
        ));
        return;
    };
    let intro = hex::decode(&script.intro).unwrap_or_default();
    let mut client = ClientFrames::new(ws, intro);
    let mut client_frame = 0;
    for (entry_index, entry) in script.entries.iter().enumerate() {
        match entry {
            Entry::Checkpoint { checkpoint } => {
                let mut state = progress.lock();
                state.checkpoint = state.checkpoint.max(*checkpoint);
            }
            Entry::Frame(frame) if frame.dir == Dir::In => {
                let Ok(bytes) = frame.bytes() else {
                    progress.fail(failure(
                        entry_index,
                        client_frame,
                        frame.describe(),
                        "bad hex in the transcript".into(),
                    ));
                    return;
                };
                if client.ws.send(Message::Binary(bytes)).await.is_err() {
                    progress.fail(failure(
                        entry_index,
                        client_frame,
                        frame.describe(),
                        "the engine stopped reading (connection lost)".into(),
                    ));
                    return;
                }
                if let Some(sent) = progress.lock().sent.get_mut(index) {
                    *sent += 1;
                }
            }
            Entry::Frame(frame) => {
                let expected = frame.bytes().unwrap_or_default();
                let outcome = tokio::time::timeout(FRAME_WAIT, client.next_frame()).await;
                let actual = match outcome {
                    Ok(Ok(actual)) if actual == expected => {
                        client_frame += 1;
                        continue;
                    }
                    Ok(Ok(actual)) => {
                        let mut failed = failure(
                            entry_index,
                            client_frame,
                            frame.describe(),
                            format!("a different frame {}", abbreviated(&hex::encode(actual))),
                        );
                        failed.wrote_frame = true;
                        progress.fail(failed);
                        return;
                    }
                    Ok(Err(reason)) => reason,
                    Err(_) => format!("no frame within {} s", FRAME_WAIT.as_secs()),
                };
                progress.fail(failure(entry_index, client_frame, frame.describe(), actual));
                return;
            }
        }
    }
    // The script is done: the engine may only close this connection now.
    let entries = script.entries.len();
    match client.next_frame().await {
        Ok(extra) => {
            let mut failed = failure(
                entries,
                client_frame,
                "the end of the connection".into(),
                format!("another frame {}", abbreviated(&hex::encode(extra))),
            );
            failed.wrote_frame = true;
            progress.fail(failed);
        }
        Err(_) => {
            if let Some(closed) = progress.lock().closed.get_mut(index) {
                *closed = true;
            }
        }
    }
}

/// Reassembles the client's frames from its WebSocket messages, checking the intro first.
struct ClientFrames {
    ws: WebSocketStream<TcpStream>,
    buffer: Vec<u8>,
    intro: Vec<u8>,
    intro_checked: bool,
}

impl ClientFrames {
    fn new(ws: WebSocketStream<TcpStream>, intro: Vec<u8>) -> Self {
        Self {
            ws,
            buffer: Vec::new(),
            intro,
            intro_checked: false,
        }
    }

    /// The next whole frame (length prefix and payload), or why there is none.
    async fn next_frame(&mut self) -> Result<Vec<u8>, String> {
        loop {
            if !self.intro_checked && self.buffer.len() >= self.intro.len() {
                let intro: Vec<u8> = self.buffer.drain(..self.intro.len()).collect();
                if intro != self.intro {
                    return Err(format!(
                        "intro header {} instead of {}",
                        hex::encode(intro),
                        hex::encode(&self.intro)
                    ));
                }
                self.intro_checked = true;
            }
            if self.intro_checked {
                if let [a, b, c, ..] = self.buffer[..] {
                    let length = usize::from(a) << 16 | usize::from(b) << 8 | usize::from(c);
                    if self.buffer.len() >= length + 3 {
                        return Ok(self.buffer.drain(..length + 3).collect());
                    }
                }
            }
            match self.ws.next().await {
                Some(Ok(Message::Binary(bytes))) => self.buffer.extend_from_slice(&bytes),
                Some(Ok(Message::Close(_))) | None => {
                    return Err("the engine closed the connection".to_owned())
                }
                Some(Ok(_)) => {}
                Some(Err(error)) => return Err(format!("the connection broke: {error}")),
            }
        }
    }
}
