//! `pair-device`: the server's refs, acknowledged at once, each becoming one QR string
//! `https://wa.me/settings/linked_devices#REF,NOISE,IDENTITY,ADV,TYPE` (whatsmeow's current
//! form: standard padded base64 keys, then the companion client type).

use core::fmt;

use data_encoding::BASE64;
use wa_binary::Node;
use wa_proto::companion_reg::device_props::PlatformType;

use super::credentials::Credentials;
use super::error::PairingError;
use super::stanzas::{result_reply, server_request};

/// The link prefix whatsmeow and Baileys 7 put before the QR fields.
const LINK_PREFIX: &str = "https://wa.me/settings/linked_devices#";

/// One pairing ref from `<pair-device>`: valid for one QR, until the connection ends.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PairingRef(String);

impl PairingRef {
    /// The ref as the server sent it.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PairingRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PairingRef({})", self.0)
    }
}

/// The companion client type, the QR's last field: the phone shows a matching icon.
/// whatsmeow derives it from `DeviceProps.platformType`, falling back to "other web client".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum QrClientType {
    /// `0`.
    Unknown,
    /// `1`.
    Chrome,
    /// `2`.
    Edge,
    /// `3`.
    Firefox,
    /// `4`.
    InternetExplorer,
    /// `5`.
    Opera,
    /// `6`.
    Safari,
    /// `7`.
    Electron,
    /// `8`.
    Uwp,
    /// `9`.
    OtherWebClient,
    /// `c`.
    MacOs,
    /// `e`.
    Android,
}

impl QrClientType {
    /// The type whatsmeow shows for a web client with this `DeviceProps.platformType`.
    ///
    /// ```
    /// use wa_proto::companion_reg::device_props::PlatformType;
    /// use wa_session::QrClientType;
    ///
    /// assert_eq!(QrClientType::for_platform(PlatformType::Chrome).code(), "1");
    /// assert_eq!(QrClientType::for_platform(PlatformType::Unknown).code(), "9");
    /// ```
    #[must_use]
    pub const fn for_platform(platform: PlatformType) -> Self {
        match platform {
            PlatformType::Chrome => Self::Chrome,
            PlatformType::Firefox => Self::Firefox,
            PlatformType::Edge => Self::Edge,
            PlatformType::Ie => Self::InternetExplorer,
            PlatformType::Opera => Self::Opera,
            PlatformType::Safari => Self::Safari,
            _ => Self::OtherWebClient,
        }
    }

    /// Its one-character code.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::Unknown => "0",
            Self::Chrome => "1",
            Self::Edge => "2",
            Self::Firefox => "3",
            Self::InternetExplorer => "4",
            Self::Opera => "5",
            Self::Safari => "6",
            Self::Electron => "7",
            Self::Uwp => "8",
            Self::OtherWebClient => "9",
            Self::MacOs => "c",
            Self::Android => "e",
        }
    }
}

/// What a `pair-device` request leads to.
#[derive(Debug)]
#[must_use]
pub struct PairDevice {
    /// The acknowledgement to send now.
    pub reply: Node<'static>,
    /// The refs, in order: show a QR for the first, then the next as each expires.
    pub refs: Vec<PairingRef>,
}

/// Reads `<iq from="s.whatsapp.net" type="set" id><pair-device><ref>..</ref>..` and builds
/// its `<iq type="result">` acknowledgement. Children other than `<ref>` with bytes are
/// skipped, as whatsmeow skips them.
///
/// # Errors
/// [`PairingError::NotARequest`] for any other stanza, [`PairingError::NoRefs`] when no ref
/// is usable.
///
/// ```
/// use wa_binary::{Jid, Node, Server};
/// use wa_session::on_pair_device;
///
/// let request = Node::new("iq")
///     .with_attr("from", Jid::server_only(Server::User))
///     .with_attr("type", "set")
///     .with_attr("id", "1")
///     .with_children(vec![Node::new("pair-device")
///         .with_children(vec![Node::new("ref").with_bytes(b"2@abc".to_vec())])]);
/// let pair = on_pair_device(&request)?;
/// assert_eq!(pair.refs[0].as_str(), "2@abc");
/// assert_eq!(pair.reply.attr_str("type"), Some("result"));
/// # Ok::<(), wa_session::PairingError>(())
/// ```
pub fn on_pair_device(node: &Node<'_>) -> Result<PairDevice, PairingError> {
    let request = server_request(node, "pair-device")?;
    let refs: Vec<PairingRef> = request
        .child
        .children_with_tag("ref")
        .filter_map(|r| core::str::from_utf8(r.bytes()?).ok())
        // A comma would shift the QR's fields.
        .filter(|r| !r.is_empty() && !r.contains(','))
        .map(|r| PairingRef(r.to_owned()))
        .collect();
    if refs.is_empty() {
        return Err(PairingError::NoRefs);
    }
    Ok(PairDevice {
        reply: result_reply(request.id, Vec::new()),
        refs,
    })
}

/// The QR string for `reference`: the link prefix, the ref, our Noise and identity public
/// keys and the ADV secret in padded base64, then the client type. It holds the ADV secret:
/// show it, never log it.
///
/// ```
/// use rand_core::OsRng;
/// use wa_binary::{Jid, Node, Server};
/// use wa_session::{on_pair_device, qr_string, Credentials, QrClientType};
///
/// let request = Node::new("iq")
///     .with_attr("from", Jid::server_only(Server::User))
///     .with_attr("id", "1")
///     .with_children(vec![Node::new("pair-device")
///         .with_children(vec![Node::new("ref").with_bytes(b"2@abc".to_vec())])]);
/// let refs = on_pair_device(&request)?.refs;
/// let creds = Credentials::generate(0, &mut OsRng);
/// let qr = qr_string(&refs[0], &creds, QrClientType::OtherWebClient);
/// assert!(qr.starts_with("https://wa.me/settings/linked_devices#2@abc,"));
/// assert!(qr.ends_with(",9"));
/// # Ok::<(), wa_session::PairingError>(())
/// ```
#[must_use]
pub fn qr_string(reference: &PairingRef, creds: &Credentials, client_type: QrClientType) -> String {
    format!(
        "{LINK_PREFIX}{},{},{},{},{}",
        reference.0,
        BASE64.encode(creds.noise_key.public_key().as_bytes()),
        BASE64.encode(creds.identity.identity_key().public_key().as_bytes()),
        BASE64.encode(creds.adv_secret.as_bytes()),
        client_type.code()
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng as _;
    use wa_binary::{Jid, Server};

    use super::*;
    use crate::pairing::credentials::AdvSecret;

    fn request(children: Vec<Node<'static>>) -> Node<'static> {
        Node::new("iq")
            .with_attr("from", Jid::server_only(Server::User))
            .with_attr("type", "set")
            .with_attr("id", "R1")
            .with_attr("xmlns", "md")
            .with_children(vec![Node::new("pair-device").with_children(children)])
    }

    fn reference(text: &str) -> Node<'static> {
        Node::new("ref").with_bytes(text.as_bytes().to_vec())
    }

    #[test]
    fn reads_refs_and_acknowledges() {
        let node = request(vec![
            reference("2@a"),
            Node::new("other"),
            reference("bad,ref"),
            reference("2@b"),
        ]);
        let pair = on_pair_device(&node).unwrap();
        let refs: Vec<&str> = pair.refs.iter().map(PairingRef::as_str).collect();
        assert_eq!(refs, ["2@a", "2@b"]);
        assert_eq!(pair.reply.attr_str("id"), Some("R1"));
        assert_eq!(
            pair.reply.attr_jid("to"),
            Some(Jid::server_only(Server::User))
        );
        assert!(pair.reply.children().is_empty());
    }

    #[test]
    fn refuses_other_stanzas() {
        assert_eq!(
            on_pair_device(&request(vec![Node::new("other")])).unwrap_err(),
            PairingError::NoRefs
        );
        let anonymous = Node::new("iq")
            .with_attr("type", "set")
            .with_attr("id", "R1")
            .with_children(vec![
                Node::new("pair-device").with_children(vec![reference("r")])
            ]);
        assert_eq!(
            on_pair_device(&anonymous).unwrap_err(),
            PairingError::NotARequest("pair-device")
        );
        let success = Node::new("iq")
            .with_attr("from", Jid::server_only(Server::User))
            .with_attr("id", "R1")
            .with_children(vec![Node::new("pair-success")]);
        assert_eq!(
            on_pair_device(&success).unwrap_err(),
            PairingError::NotARequest("pair-device")
        );
    }

    #[test]
    fn qr_fields() {
        let mut creds = Credentials::generate(0, &mut ChaCha20Rng::seed_from_u64(1));
        creds.adv_secret = AdvSecret::from_bytes([3; 32]);
        let qr = qr_string(&PairingRef("2@xyz".to_owned()), &creds, QrClientType::MacOs);
        let fields: Vec<&str> = qr.strip_prefix(LINK_PREFIX).unwrap().split(',').collect();
        assert_eq!(fields.len(), 5);
        assert_eq!(fields[0], "2@xyz");
        assert_eq!(
            BASE64.decode(fields[1].as_bytes()).unwrap(),
            creds.noise_key.public_key().as_bytes()
        );
        assert_eq!(fields[3], "AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM=");
        assert_eq!(fields[4], "c");
    }
}
