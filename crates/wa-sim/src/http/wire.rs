//! The JSON the control API answers with: JIDs as strings, keys and signatures as standard
//! base64 (32-byte keys, without the 0x05 prefix).

use serde::Serialize;

use super::extract::encode_base64;
use crate::groups::{GroupInfo, GroupParticipant};
use crate::registry::{Account, DeviceInfo, SignedPreKeyPublic};

/// An account: `{jid, lid}`.
#[derive(Debug, Serialize)]
pub(crate) struct AccountJson {
    pub(crate) jid: String,
    pub(crate) lid: String,
}

impl From<&Account> for AccountJson {
    fn from(account: &Account) -> Self {
        Self {
            jid: account.jid.to_string(),
            lid: account.lid.to_string(),
        }
    }
}

/// A signed prekey: `{id, public_key, signature}`.
#[derive(Debug, Serialize)]
pub(crate) struct SignedPreKeyJson {
    id: u32,
    public_key: String,
    signature: String,
}

impl From<&SignedPreKeyPublic> for SignedPreKeyJson {
    fn from(key: &SignedPreKeyPublic) -> Self {
        Self {
            id: key.id.0,
            public_key: encode_base64(key.public_key.as_bytes()),
            signature: encode_base64(&key.signature),
        }
    }
}

/// What the server holds for a device, and its connection (`GET /sim/devices/{jid}`).
#[derive(Debug, Serialize)]
pub(crate) struct DeviceJson {
    jid: String,
    lid: String,
    identity_key: String,
    registration_id: u32,
    signed_pre_key: SignedPreKeyJson,
    pre_key_count: usize,
    removed: bool,
    /// Whether it has a logged-in connection.
    online: bool,
    /// Stanzas queued for it or sent and not yet acknowledged.
    waiting: usize,
}

impl DeviceJson {
    /// The device's record with its connection state.
    pub(crate) fn new(device: &DeviceInfo, online: bool, waiting: usize) -> Self {
        Self {
            jid: device.jid.to_string(),
            lid: device.lid.to_string(),
            identity_key: encode_base64(device.identity_key.public_key().as_bytes()),
            registration_id: device.registration_id.0,
            signed_pre_key: (&device.signed_pre_key).into(),
            pre_key_count: device.pre_key_count,
            removed: device.removed,
            online,
            waiting,
        }
    }
}

/// A group member: `{jid, lid, role}` with role `member`, `admin` or `superadmin`.
#[derive(Debug, Serialize)]
pub(crate) struct ParticipantJson {
    jid: String,
    lid: String,
    role: &'static str,
}

impl From<&GroupParticipant> for ParticipantJson {
    fn from(participant: &GroupParticipant) -> Self {
        Self {
            jid: participant.account.jid.to_string(),
            lid: participant.account.lid.to_string(),
            role: participant.role.as_type().unwrap_or("member"),
        }
    }
}

/// A group's metadata (`GET /sim/groups/{jid}`).
#[derive(Debug, Serialize)]
pub(crate) struct GroupJson {
    jid: String,
    subject: String,
    creator: AccountJson,
    created: u64,
    addressing: &'static str,
    participants: Vec<ParticipantJson>,
}

impl From<&GroupInfo> for GroupJson {
    fn from(group: &GroupInfo) -> Self {
        Self {
            jid: group.jid.to_string(),
            subject: group.subject.clone(),
            creator: (&group.creator).into(),
            created: group.created,
            addressing: group.addressing.as_str(),
            participants: group.participants.iter().map(Into::into).collect(),
        }
    }
}
