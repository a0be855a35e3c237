//! The listening socket: an accept loop that serves each connection on its own task, as a
//! WhatsApp WebSocket client or as a control-API (`/sim/`) client, told apart by the first bytes
//! of its request.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use tokio::net::{TcpListener, TcpStream, ToSocketAddrs};
use tokio::task::{JoinHandle, JoinSet};
use wa_noise::PublicKey;

use crate::connection;
use crate::error::Result;
use crate::http::{self, Protocol};
use crate::simulator::{Shared, Simulator};

impl Simulator {
    /// Binds `addr` (e.g. `127.0.0.1:0`) and serves WebSocket clients (`GET /ws/chat`) and the
    /// HTTP control API (`/sim/`) on it until the returned handle is shut down or dropped.
    /// Needs a tokio runtime.
    ///
    /// # Errors
    /// [`Error::Io`](crate::Error::Io) if the address cannot be bound.
    pub async fn listen(&self, addr: impl ToSocketAddrs) -> Result<RunningSimulator> {
        let listener = TcpListener::bind(addr).await?;
        let local_addr = listener.local_addr()?;
        let router = http::router(self.clone(), local_addr);
        let task = tokio::spawn(accept_loop(listener, Arc::clone(&self.shared), router));
        tracing::debug!(%local_addr, "simulator listening");
        Ok(RunningSimulator {
            simulator: self.clone(),
            local_addr,
            task,
        })
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, router: Router) {
    // Dropping the set (when this task is aborted) aborts every connection task with it.
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    tracing::debug!(%peer, "connection accepted");
                    connections.spawn(route(Arc::clone(&shared), router.clone(), stream));
                }
                // Accept errors (e.g. too many open files) concern one attempt: keep serving.
                Err(error) => tracing::debug!(%error, "accept failed"),
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// Hands one connection to the server its first bytes ask for.
async fn route(shared: Arc<Shared>, router: Router, stream: TcpStream) {
    match http::sniff(&stream).await {
        Some(Protocol::WebSocket) => connection::serve(shared, stream).await,
        Some(Protocol::Http) => http::serve(router, stream).await,
        None => tracing::debug!("connection closed or silent before its request"),
    }
}

/// A simulator serving on a socket. Dropping it stops the server and its connections.
#[derive(Debug)]
pub struct RunningSimulator {
    simulator: Simulator,
    local_addr: SocketAddr,
    task: JoinHandle<()>,
}

impl RunningSimulator {
    /// The bound address.
    #[must_use]
    pub const fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The WebSocket URL clients connect to: `ws://ADDR/ws/chat`.
    #[must_use]
    pub fn url(&self) -> String {
        http::ws_url(self.local_addr)
    }

    /// The control API's base URL: `http://ADDR/sim/`.
    #[must_use]
    pub fn control_url(&self) -> String {
        http::control_url(self.local_addr)
    }

    /// The root public key clients must trust.
    #[must_use]
    pub fn root_public_key(&self) -> PublicKey {
        self.simulator.root_public_key()
    }

    /// The simulator it serves (to drive it while it runs).
    #[must_use]
    pub const fn simulator(&self) -> &Simulator {
        &self.simulator
    }

    /// Stops accepting and closes every connection.
    pub fn shutdown(self) {
        drop(self);
    }
}

impl Drop for RunningSimulator {
    fn drop(&mut self) {
        self.task.abort();
    }
}
