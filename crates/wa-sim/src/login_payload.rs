//! The `ClientPayload` a paired device logs in with.

use wa_proto::wa6::ClientPayload;

/// A login `ClientPayload` for a paired device, as PROTOCOL.md section 1 describes (username =
/// phone number, device id, passive, pull, lidDbMigrated). Returns `None` when `phone` is not a
/// number.
#[must_use]
pub fn login_payload(phone: &str, device: u16) -> Option<ClientPayload> {
    let username = phone.parse::<u64>().ok()?;
    Some(ClientPayload {
        username: Some(username),
        device: Some(u32::from(device)),
        passive: Some(true),
        pull: Some(true),
        lid_db_migrated: Some(true),
        ..ClientPayload::default()
    })
}
