//! Logging out on [`Session`]: the companion asks the server to unlink it (`md` namespace,
//! `remove-companion-device` naming our own device JID; whatsmeow's `Logout` for the facts),
//! and stops once the server confirmed it.

use wa_binary::{Jid, Node, Server};

use super::Session;
use crate::error::Result;
use crate::fanout::Addressing;

/// The reason a user-requested unlink gives.
const USER_INITIATED: &str = "user_initiated";

/// `<iq xmlns="md" type="set" to="s.whatsapp.net"><remove-companion-device jid reason/></iq>`.
fn unlink_request(device: Jid) -> Node<'static> {
    Node::new("iq")
        .with_attr("xmlns", "md")
        .with_attr("type", "set")
        .with_attr("to", Jid::server_only(Server::User))
        .with_children(vec![Node::new("remove-companion-device")
            .with_attr("jid", device)
            .with_attr("reason", USER_INITIATED)])
}

impl Session {
    /// Unlinks this device from the account: the server removes it (the phone stops sending
    /// to it, and its credentials no longer log in), then the session stops. The
    /// credentials stay in the store; delete them with `wa_store::Store::delete_device`.
    ///
    /// ```no_run
    /// # async fn demo(session: wa_session::Session) -> wa_session::Result<()> {
    /// session.logout().await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Disconnected`](crate::Error::Disconnected) when the session is not connected
    /// (the server was not told; the session keeps running),
    /// [`Error::Timeout`](crate::Error::Timeout) without an answer, and
    /// [`Error::Iq`](crate::Error::Iq) when the server refuses.
    pub async fn logout(&self) -> Result<()> {
        let device = self.send.own.device_jid(Addressing::Pn)?;
        self.iq(unlink_request(device)).await?;
        self.stop();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_unlink_request_names_our_device() {
        let device: Jid = "15550001111:3@s.whatsapp.net".parse().unwrap();
        let iq = unlink_request(device.clone());
        assert_eq!(iq.attr_str("xmlns"), Some("md"));
        assert_eq!(iq.attr_str("type"), Some("set"));
        assert_eq!(iq.attr_jid("to"), Some(Jid::server_only(Server::User)));
        let remove = iq.child("remove-companion-device").unwrap();
        assert_eq!(remove.attr_jid("jid"), Some(device));
        assert_eq!(remove.attr_str("reason"), Some("user_initiated"));
    }
}
