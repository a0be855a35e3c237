//! What both roles hold once the handshake is done: the two directions and the handshake hash.

use wa_binary::{Dictionary, Node};

use crate::{NodeReceiver, NodeSender, Result};

/// Both directions of an established connection. [`ClientConnection`](crate::ClientConnection)
/// and [`ServerConnection`](crate::ServerConnection) dereference to it, adding what their side
/// learnt in the handshake.
#[derive(Debug)]
pub struct NodeLink {
    sender: NodeSender,
    receiver: NodeReceiver,
    handshake_hash: [u8; 32],
}

impl NodeLink {
    pub(crate) const fn new(
        sender: NodeSender,
        receiver: NodeReceiver,
        handshake_hash: [u8; 32],
    ) -> Self {
        Self {
            sender,
            receiver,
            handshake_hash,
        }
    }

    /// The final handshake hash, identical on both sides.
    #[must_use]
    pub const fn handshake_hash(&self) -> &[u8; 32] {
        &self.handshake_hash
    }

    /// The token dictionary of this connection (from the intro header).
    #[must_use]
    pub const fn dictionary(&self) -> Dictionary {
        self.sender.dictionary()
    }

    /// See [`NodeSender::send`].
    ///
    /// # Errors
    /// As [`NodeSender::send`].
    pub async fn send(&mut self, node: &Node<'_>) -> Result<()> {
        self.sender.send(node).await
    }

    /// See [`NodeSender::send_many`].
    ///
    /// # Errors
    /// As [`NodeSender::send_many`].
    pub async fn send_many(&mut self, nodes: &[Node<'_>]) -> Result<()> {
        self.sender.send_many(nodes).await
    }

    /// See [`NodeReceiver::recv`].
    ///
    /// # Errors
    /// As [`NodeReceiver::recv`].
    pub async fn recv(&mut self) -> Result<Option<Node<'static>>> {
        self.receiver.recv().await
    }

    /// Separates the directions, e.g. for a writer task and a reader task.
    pub fn into_split(self) -> (NodeSender, NodeReceiver) {
        (self.sender, self.receiver)
    }
}
