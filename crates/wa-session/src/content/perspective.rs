//! Turning a target key as a peer wrote it into our view of the same message: the peer's
//! `fromMe` means "mine" from its side, and its `remoteJid` in a one-to-one chat is us.

use wa_binary::Jid;

use super::target::TargetKey;

impl TargetKey {
    /// This key (as written by `sender`, received in `chat`) from our side: `chat` becomes
    /// the key's chat, `from_me` says whether the target is one of our messages, and the
    /// participant names the target's author in groups when it is not ours.
    ///
    /// * `chat`: the chat the message belongs to for us (the sender's account in a one-to-one
    ///   chat, the group, or a device-sent message's destination).
    /// * `sender`: who sent the reaction or revoke (a device JID is fine).
    /// * `own`: our accounts (phone-number and LID JIDs; devices are ignored).
    ///
    /// Keys sent by one of our own devices already speak for us and only get `chat`.
    ///
    /// ```
    /// use wa_binary::Jid;
    /// use wa_session::content::{build_reaction, read_message, Content, GroupAddressing,
    ///     MessageId, NoLidMappings, ReactionEmoji, TargetKey, UnixMillis};
    ///
    /// let me: Jid = "15550001111@s.whatsapp.net".parse()?;
    /// let bob: Jid = "15550002222:3@s.whatsapp.net".parse()?;
    /// // Bob's phone reacts to our message: from its side, the chat is us and fromMe=false.
    /// let bobs_key = TargetKey::resolve(me.clone(), MessageId::parse("3EB0A1B2")?, false, None,
    ///     GroupAddressing::Pn, &NoLidMappings)?;
    /// let sent = build_reaction(&bobs_key, &ReactionEmoji::parse("👍")?, UnixMillis::new(1))?;
    ///
    /// let read = read_message(&sent.encode())?;
    /// let Content::Reaction(reaction) = read.content() else { unreachable!() };
    /// let ours = reaction.target().seen_by_us(&bob.to_non_ad(), &bob, &[me]);
    /// assert!(ours.from_me());
    /// assert_eq!(ours.chat().to_string(), "15550002222@s.whatsapp.net");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn seen_by_us(&self, chat: &Jid, sender: &Jid, own: &[Jid]) -> TargetKey {
        let chat = chat.to_non_ad();
        if is_own(sender, own) {
            return TargetKey::from_wire_parts(
                chat,
                self.id().clone(),
                self.from_me(),
                self.participant().cloned(),
            );
        }
        let from_me =
            !self.from_me() && is_own(self.participant().unwrap_or_else(|| self.chat()), own);
        let participant = if chat.is_group() && !from_me {
            // The sender's own message when it says so; otherwise the author it named.
            let author = match (self.from_me(), self.participant()) {
                (true, _) | (false, None) => sender,
                (false, Some(author)) => author,
            };
            Some(author.to_non_ad())
        } else {
            None
        };
        TargetKey::from_wire_parts(chat, self.id().clone(), from_me, participant)
    }
}

/// Whether `jid` is one of our accounts (any device).
fn is_own(jid: &Jid, own: &[Jid]) -> bool {
    own.iter()
        .any(|mine| mine.user() == jid.user() && mine.server() == jid.server() && !jid.is_server())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::MessageId;

    fn jid(s: &str) -> Jid {
        s.parse().unwrap()
    }

    fn key(chat: &str, from_me: bool, participant: Option<&str>) -> TargetKey {
        TargetKey::from_wire_parts(
            jid(chat),
            MessageId::parse("3A1B2C").unwrap(),
            from_me,
            participant.map(jid),
        )
    }

    const ME_PN: &str = "15550001111@s.whatsapp.net";
    const ME_LID: &str = "111111@lid";
    const BOB: &str = "15550002222@s.whatsapp.net";
    const CAROL_LID: &str = "333333@lid";
    const GROUP: &str = "120363012345678901@g.us";

    fn own() -> [Jid; 2] {
        [jid(ME_PN), jid(ME_LID)]
    }

    #[test]
    fn one_to_one_peer_keys() {
        let bob_device = jid("15550002222:4@s.whatsapp.net");
        // Bob reacts to his own message: fromMe=true from his side is not ours.
        let seen = key(ME_PN, true, None).seen_by_us(&jid(BOB), &bob_device, &own());
        assert!(!seen.from_me());
        assert_eq!(seen.chat(), &jid(BOB));
        assert_eq!(seen.participant(), None);
        // Bob reacts to our message (his key names us as the chat).
        let seen = key(ME_LID, false, None).seen_by_us(&jid(BOB), &bob_device, &own());
        assert!(seen.from_me());
        assert_eq!(seen.chat(), &jid(BOB));
    }

    #[test]
    fn group_peer_keys() {
        let bob = jid("15550002222:4@s.whatsapp.net");
        // Bob's own group message.
        let seen = key(GROUP, true, None).seen_by_us(&jid(GROUP), &bob, &own());
        assert!(!seen.from_me());
        assert_eq!(seen.participant(), Some(&jid(BOB)));
        // Our message, named by LID.
        let seen = key(GROUP, false, Some(ME_LID)).seen_by_us(&jid(GROUP), &bob, &own());
        assert!(seen.from_me());
        assert_eq!(seen.participant(), None);
        // Carol's message.
        let seen = key(GROUP, false, Some(CAROL_LID)).seen_by_us(&jid(GROUP), &bob, &own());
        assert!(!seen.from_me());
        assert_eq!(seen.participant(), Some(&jid(CAROL_LID)));
    }

    #[test]
    fn keys_from_our_own_devices_are_kept() {
        let my_phone = jid("15550001111:0@s.whatsapp.net");
        let seen = key(BOB, true, None).seen_by_us(&jid(BOB), &my_phone, &own());
        assert!(seen.from_me());
        let seen = key(GROUP, false, Some(CAROL_LID)).seen_by_us(&jid(GROUP), &my_phone, &own());
        assert!(!seen.from_me());
        assert_eq!(seen.participant(), Some(&jid(CAROL_LID)));
    }
}
