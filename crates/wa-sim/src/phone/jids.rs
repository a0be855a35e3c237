//! Device JIDs and the Signal addresses sessions and sender keys are stored under.

use wa_binary::Jid;
use wa_signal::ProtocolAddress;

use crate::error::Result;

/// Device `device` of `user`'s account, in `user`'s server form; device 0 is written without a
/// device part, as the server writes primary phones.
pub(super) fn device_jid(user: &Jid, device: u16) -> Result<Jid> {
    let user = user.to_non_ad();
    if device == 0 {
        Ok(user)
    } else {
        Ok(user.with_device(device)?)
    }
}

/// The Signal address of a device JID: `user` (PN) or `user_1` (LID) and the device id.
pub(super) fn protocol_address(device: &Jid) -> Result<ProtocolAddress> {
    Ok(ProtocolAddress::new(
        device.user(),
        device.domain(),
        device.device(),
    )?)
}

/// Whether two JIDs name the same account in the same form (devices ignored).
pub(super) fn same_user(a: &Jid, b: &Jid) -> bool {
    a.user() == b.user() && a.server() == b.server()
}
