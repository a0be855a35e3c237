//! What a simulated phone needs to know from the server: device lists, prekey bundles and group
//! membership. The simulator implements it over its registry and groups; the phone's tests
//! implement it with a small fake.

use wa_binary::Jid;
use wa_signal::PreKeyBundle;

/// The server-side lookups a phone makes while it sends (the usync, prekey and group IQs a real
/// client would issue, answered in memory).
pub(crate) trait Directory {
    /// The non-removed device JIDs of `user` (any device part ignored), device 0 included, in
    /// the same server form as `user`: `PHONE@s.whatsapp.net` / `PHONE:D@s.whatsapp.net` for a
    /// phone-number user, `LID@lid` / `LID:D@lid` for a LID user. Empty if unknown.
    fn devices(&self, user: &Jid) -> Vec<Jid>;

    /// A prekey bundle for a device JID (PN or LID), consuming one one-time prekey; `None` if
    /// the device is unknown or removed.
    fn bundle(&mut self, device: &Jid) -> Option<PreKeyBundle>;

    /// A group's addressing mode and its members' user JIDs in that form; `None` if unknown.
    fn group(&self, group: &Jid) -> Option<GroupView>;
}

/// A group as a sending member sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GroupView {
    /// Whether members are addressed by LID (`addressing_mode="lid"`) rather than phone number.
    pub(crate) lid_addressing: bool,
    /// The members' user JIDs (no device part), in the group's addressing form.
    pub(crate) members: Vec<Jid>,
}
