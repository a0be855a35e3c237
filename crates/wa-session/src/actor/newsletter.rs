//! Channel (newsletter) reactions on [`Session`]: unencrypted, by the post's server id,
//! acknowledged by the server like any message (no outbox entry: nothing secret to keep).

use wa_binary::Jid;

use super::Session;
use crate::content::{MessageId, ReactionEmoji, UnixMillis};
use crate::error::{Error, Result};
use crate::send::{newsletter_reaction, parse_ack, SendResult};

impl Session {
    /// Reacts to the post `server_id` of the channel `channel` with one emoji, or with `""`
    /// removes our reaction.
    ///
    /// ```no_run
    /// # async fn demo(session: wa_session::Session) -> wa_session::Result<()> {
    /// let channel = "120363000000000009@newsletter".parse()?;
    /// session.react_newsletter(&channel, 118, "🔥").await?;
    /// session.react_newsletter(&channel, 118, "").await?; // taken back
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidEmoji`], [`Error::UnsupportedTarget`] for a chat that is not a channel
    /// (before anything is sent); [`Error::Disconnected`], [`Error::Timeout`],
    /// [`Error::ServerError`] when the server refuses it.
    pub async fn react_newsletter(
        &self,
        channel: &Jid,
        server_id: u64,
        emoji: &str,
    ) -> Result<SendResult> {
        let emoji = if emoji.is_empty() {
            ReactionEmoji::removal()
        } else {
            ReactionEmoji::parse(emoji)?
        };
        let state = &self.send;
        let now = UnixMillis::new(state.clock.now().saturating_mul(1000));
        let own = state.own.user(crate::fanout::Addressing::Pn)?;
        let id = MessageId::generate(now, Some(own), &mut state.rng());
        let stanza = newsletter_reaction(channel, server_id, &id, &emoji)?;
        let written = {
            let _order = state.order.lock().await;
            self.submit(stanza, &id)?
        };
        let (ack, replayed) = self.await_ack(&id, written).await?;
        let ack = parse_ack(&ack)?;
        if let Some(code) = ack.error {
            return Err(Error::ServerError {
                code,
                message_id: Some(id),
            });
        }
        Ok(SendResult {
            message_id: id,
            server_timestamp: ack.t.unwrap_or_default(),
            replayed,
        })
    }
}
