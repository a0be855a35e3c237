//! `pair-success`: the phone scanned our QR. Checked as whatsmeow checks it (HMAC with our
//! ADV secret, the account's signature over our identity), countersigned, and answered with
//! `pair-device-sign`; the server then registers us and ends the stream with code 515.

use prost::Message as _;
use rand_core::{CryptoRng, RngCore};
use wa_binary::{Jid, Node, Server};
use wa_proto::adv::AdvSignedDeviceIdentity;
use wa_signal::IdentityKey;

use super::adv::{details, device_signature, open_container, verify_account_signature};
use super::credentials::Credentials;
use super::error::PairingError;
use super::stanzas::{error_reply, result_reply, server_request};

/// What pairing made of us.
#[derive(Debug, Clone, PartialEq)]
pub struct Paired {
    /// Our device JID (`phone:N@s.whatsapp.net`).
    pub jid: Jid,
    /// Our LID device JID (`lid:N@lid`), when the server sent one.
    pub lid: Option<Jid>,
    /// The phone's platform (`android`, `smbi`...), when sent.
    pub platform: Option<String>,
    /// The business name, for business accounts.
    pub business_name: Option<String>,
    /// Our ADV key index.
    pub key_index: u32,
    /// The server's clock (`t`, unix seconds), when sent.
    pub server_time: Option<u64>,
    /// Our signed identity as it is stored and sent in `pkmsg` stanzas' `<device-identity>`:
    /// details, account signature key, account signature and our device signature.
    pub account: AdvSignedDeviceIdentity,
}

impl Paired {
    /// The primary phone's identity key (the account signature key): the identity of the
    /// account's device 0.
    #[must_use]
    pub fn account_signature_key(&self) -> Option<IdentityKey> {
        wa_curve25519::PublicKey::from_slice(self.account.account_signature_key())
            .map(IdentityKey::new)
    }
}

/// The outcome of a valid `pair-success`.
#[derive(Debug)]
#[must_use]
pub struct PairSuccess {
    /// `<iq to="s.whatsapp.net" type="result" id><pair-device-sign><device-identity
    /// key-index>` with our countersigned identity, without the account signature key.
    pub reply: Node<'static>,
    /// What to store before sending the reply.
    pub paired: Paired,
}

/// Checks a `pair-success` request against `creds` and countersigns it with randomness from
/// `rng`. On error nothing is signed: answer with [`pair_error_reply`] (or drop the
/// connection), never with a `pair-device-sign`.
///
/// # Errors
/// [`PairingError::NotARequest`] or [`PairingError::Missing`] for a malformed stanza,
/// [`PairingError::DeviceJid`] for device JIDs that are not ours to take,
/// [`PairingError::Malformed`] for undecodable protobufs, [`PairingError::HmacMismatch`],
/// [`PairingError::HostedAccount`], [`PairingError::KeyIndex`],
/// [`PairingError::AccountSignatureMismatch`].
///
/// ```
/// use rand_core::OsRng;
/// use wa_binary::{Jid, Node, Server};
/// use wa_session::{on_pair_success, pair_error_reply, Credentials, PairingError};
///
/// let creds = Credentials::generate(0, &mut OsRng);
/// // A pair-success whose device identity was not made for our QR.
/// let device = Jid::parse("15550001111:1@s.whatsapp.net")?;
/// let node = Node::new("iq")
///     .with_attr("from", Jid::server_only(Server::User))
///     .with_attr("type", "set")
///     .with_attr("id", "7")
///     .with_children(vec![Node::new("pair-success").with_children(vec![
///         Node::new("device-identity").with_bytes(vec![0x0A, 0x00, 0x12, 0x00]),
///         Node::new("device").with_attr("jid", device),
///     ])]);
/// let error = on_pair_success(&node, &creds, &mut OsRng).unwrap_err();
/// assert_eq!(error, PairingError::HmacMismatch);
/// let reply = pair_error_reply(&node, &error).expect("an id to answer");
/// assert_eq!(reply.attr_str("type"), Some("error"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn on_pair_success<R: RngCore + CryptoRng>(
    node: &Node<'_>,
    creds: &Credentials,
    rng: &mut R,
) -> Result<PairSuccess, PairingError> {
    let request = server_request(node, "pair-success")?;
    let success = request.child;
    let container = success
        .child("device-identity")
        .and_then(Node::bytes)
        .ok_or(PairingError::Missing("device-identity"))?;
    let device = success
        .child("device")
        .ok_or(PairingError::Missing("device"))?;
    let jid = device
        .attr_jid("jid")
        .ok_or(PairingError::Missing("device jid"))?;
    let lid = device.attr_jid("lid");
    check_device_jids(&jid, lid.as_ref())?;

    let mut signed = open_container(container, &creds.adv_secret)?;
    let details = details(&signed)?;
    verify_account_signature(&signed, &creds.identity)?;
    let key_index = details.key_index();
    signed.device_signature = Some(device_signature(&signed, &creds.identity, rng).to_vec());

    // The server already has the account key: whatsmeow and Baileys leave it out.
    let sent = AdvSignedDeviceIdentity {
        account_signature_key: None,
        ..signed.clone()
    };
    let reply = result_reply(
        request.id,
        vec![
            Node::new("pair-device-sign").with_children(vec![Node::new("device-identity")
                .with_attr("key-index", key_index.to_string())
                .with_bytes(sent.encode_to_vec())]),
        ],
    );
    let text = |child: &str, attr: &str| {
        success
            .child(child)
            .and_then(|n| n.attr_str(attr))
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let paired = Paired {
        jid,
        lid,
        platform: text("platform", "name"),
        business_name: text("biz", "name"),
        key_index,
        server_time: node.attr_str("t").and_then(|t| t.parse().ok()),
        account: signed,
    };
    Ok(PairSuccess { reply, paired })
}

/// The `<iq type="error" id><error code text/></iq>` whatsmeow answers a refused
/// `pair-success` with, or `None` when `node` has no id to answer. It never registers us.
#[must_use]
pub fn pair_error_reply(node: &Node<'_>, error: &PairingError) -> Option<Node<'static>> {
    let id = node.attr_str("id").filter(|id| !id.is_empty())?;
    let (code, text) = error.reply_code();
    Some(error_reply(id, code, text))
}

/// Our JID must be a companion device (not 0) of a phone-number account; the LID, if any,
/// the same device of a LID account.
fn check_device_jids(jid: &Jid, lid: Option<&Jid>) -> Result<(), PairingError> {
    let device_ok = jid.server() == &Server::User && jid.device() != 0;
    let lid_ok = lid.map_or(true, |lid| {
        lid.server() == &Server::Lid && lid.device() == jid.device()
    });
    if device_ok && lid_ok {
        Ok(())
    } else {
        Err(PairingError::DeviceJid)
    }
}
