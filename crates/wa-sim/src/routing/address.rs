//! Writing a device's JID in the form a chat uses.

use wa_binary::Jid;

use crate::error::Result;
use crate::registry::Account;

/// The JID of `account`'s device `device` in LID form (`LID:D@lid`) or PN form
/// (`PHONE:D@s.whatsapp.net`); the primary phone (device 0) is written without a device part,
/// as the server writes it.
pub(crate) fn device_jid(account: &Account, device: u16, lid: bool) -> Result<Jid> {
    let user = if lid { &account.lid } else { &account.jid };
    if device == 0 {
        Ok(user.to_non_ad())
    } else {
        Ok(user.to_non_ad().with_device(device)?)
    }
}

#[cfg(test)]
mod tests {
    use wa_binary::Server;

    use super::*;

    #[test]
    fn primary_devices_have_no_device_part() {
        let account = Account {
            jid: Jid::new("15550001111", Server::User).unwrap(),
            lid: Jid::new("123456789012345", Server::Lid).unwrap(),
        };
        assert_eq!(
            device_jid(&account, 0, false).unwrap().to_string(),
            "15550001111@s.whatsapp.net"
        );
        assert_eq!(
            device_jid(&account, 3, true).unwrap().to_string(),
            "123456789012345:3@lid"
        );
    }
}
