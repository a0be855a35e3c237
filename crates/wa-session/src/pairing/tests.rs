//! `pair-success` against a hand-made phone: the valid path, and each way it can be wrong.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use hmac::{Hmac, Mac as _};
use prost::Message as _;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng as _;
use sha2::Sha256;
use wa_binary::{Jid, Node, Server};
use wa_proto::adv::{
    AdvDeviceIdentity, AdvEncryptionType, AdvSignedDeviceIdentity, AdvSignedDeviceIdentityHmac,
};
use wa_signal::IdentityKeyPair;
use wa_store::Store;

use super::*;

/// What the phone and server would make of our QR.
struct Phone {
    rng: ChaCha20Rng,
    account: IdentityKeyPair,
    creds: Credentials,
}

impl Phone {
    fn new() -> Self {
        let mut rng = ChaCha20Rng::seed_from_u64(42);
        let creds = Credentials::generate(1_700_000_000, &mut rng);
        Self {
            account: IdentityKeyPair::generate(&mut rng),
            rng,
            creds,
        }
    }

    fn details(key_index: Option<u32>) -> Vec<u8> {
        AdvDeviceIdentity {
            raw_id: Some(99),
            timestamp: Some(1_700_000_000),
            key_index,
            account_type: Some(AdvEncryptionType::E2ee.into()),
            device_type: Some(AdvEncryptionType::E2ee.into()),
        }
        .encode_to_vec()
    }

    /// The account's signature over `details` and `identity`.
    fn signed(&mut self, details: Vec<u8>, identity: &IdentityKeyPair) -> AdvSignedDeviceIdentity {
        let message = [
            &[6, 0][..],
            &details,
            identity.identity_key().public_key().as_bytes(),
        ]
        .concat();
        let signature = wa_curve25519::sign_with_rng(
            &self.account.private_key().to_bytes(),
            &message,
            &mut self.rng,
        );
        AdvSignedDeviceIdentity {
            details: Some(details),
            account_signature_key: Some(
                self.account.identity_key().public_key().as_bytes().to_vec(),
            ),
            account_signature: Some(signature.to_vec()),
            device_signature: None,
        }
    }

    fn container(signed: &AdvSignedDeviceIdentity, secret: &[u8]) -> Vec<u8> {
        let details = signed.encode_to_vec();
        let mut mac = <Hmac<Sha256>>::new_from_slice(secret).unwrap();
        mac.update(&details);
        AdvSignedDeviceIdentityHmac {
            details: Some(details),
            hmac: Some(mac.finalize().into_bytes().to_vec()),
            account_type: None,
        }
        .encode_to_vec()
    }

    fn stanza(container: Vec<u8>, jid: &str, lid: &str) -> Node<'static> {
        Node::new("iq")
            .with_attr("from", Jid::server_only(Server::User))
            .with_attr("type", "set")
            .with_attr("id", "PS1")
            .with_attr("xmlns", "md")
            .with_attr("t", "1700000005")
            .with_children(vec![Node::new("pair-success").with_children(vec![
                Node::new("device-identity").with_bytes(container),
                Node::new("platform").with_attr("name", "android"),
                Node::new("device")
                    .with_attr("jid", Jid::parse(jid).unwrap())
                    .with_attr("lid", Jid::parse(lid).unwrap()),
            ])])
    }

    /// A valid pair-success for our credentials.
    fn valid(&mut self) -> Node<'static> {
        let identity = self.creds.identity.clone();
        let signed = self.signed(Self::details(Some(2)), &identity);
        let container = Self::container(&signed, self.creds.adv_secret.as_bytes());
        Self::stanza(container, "15550001111:2@s.whatsapp.net", "777:2@lid")
    }

    fn run(&mut self, node: &Node<'_>) -> Result<PairSuccess, PairingError> {
        on_pair_success(node, &self.creds, &mut self.rng)
    }
}

#[test]
fn a_valid_pair_success_is_countersigned() {
    let mut phone = Phone::new();
    let node = phone.valid();
    let PairSuccess { reply, paired } = phone.run(&node).unwrap();

    assert_eq!(paired.jid.to_string(), "15550001111:2@s.whatsapp.net");
    assert_eq!(paired.lid.as_ref().unwrap().to_string(), "777:2@lid");
    assert_eq!(paired.platform.as_deref(), Some("android"));
    assert_eq!(paired.business_name, None);
    assert_eq!(paired.key_index, 2);
    assert_eq!(paired.server_time, Some(1_700_000_005));
    assert_eq!(
        paired.account_signature_key(),
        Some(phone.account.identity_key())
    );

    assert_eq!(reply.attr_str("type"), Some("result"));
    assert_eq!(reply.attr_str("id"), Some("PS1"));
    assert_eq!(reply.attr_jid("to"), Some(Jid::server_only(Server::User)));
    let identity = reply
        .child("pair-device-sign")
        .unwrap()
        .child("device-identity")
        .unwrap();
    assert_eq!(identity.attr_str("key-index"), Some("2"));
    let sent = AdvSignedDeviceIdentity::decode(identity.bytes().unwrap()).unwrap();
    assert_eq!(
        sent.account_signature_key, None,
        "the account key is left out"
    );
    assert_eq!(sent.details, paired.account.details);
    assert_eq!(sent.device_signature, paired.account.device_signature);
    let message = [
        &[6, 1][..],
        sent.details(),
        phone.creds.identity.identity_key().public_key().as_bytes(),
        phone.account.identity_key().public_key().as_bytes(),
    ]
    .concat();
    wa_curve25519::try_verify(
        phone.creds.identity.identity_key().public_key().as_bytes(),
        &message,
        sent.device_signature(),
    )
    .unwrap();
}

#[test]
fn a_wrong_adv_secret_is_an_hmac_mismatch() {
    let mut phone = Phone::new();
    let identity = phone.creds.identity.clone();
    let signed = phone.signed(Phone::details(Some(2)), &identity);
    let node = Phone::stanza(
        Phone::container(&signed, &[0x55; 32]),
        "15550001111:2@s.whatsapp.net",
        "777:2@lid",
    );
    let error = phone.run(&node).unwrap_err();
    assert_eq!(error, PairingError::HmacMismatch);
    let reply = pair_error_reply(&node, &error).unwrap();
    assert_eq!(reply.attr_str("type"), Some("error"));
    assert_eq!(reply.attr_str("id"), Some("PS1"));
    let child = reply.child("error").unwrap();
    assert_eq!(
        (child.attr_str("code"), child.attr_str("text")),
        (Some("401"), Some("hmac-mismatch"))
    );
    assert!(reply.child("pair-device-sign").is_none());
}

#[test]
fn a_signature_over_another_identity_is_refused() {
    let mut phone = Phone::new();
    let other = IdentityKeyPair::generate(&mut phone.rng);
    let signed = phone.signed(Phone::details(Some(2)), &other);
    let secret = *phone.creds.adv_secret.as_bytes();
    let node = Phone::stanza(
        Phone::container(&signed, &secret),
        "15550001111:2@s.whatsapp.net",
        "777:2@lid",
    );
    let error = phone.run(&node).unwrap_err();
    assert_eq!(error, PairingError::AccountSignatureMismatch);
    assert_eq!(error.reply_code(), (401, "signature-mismatch"));

    // A truncated signature too.
    let identity = phone.creds.identity.clone();
    let mut signed = phone.signed(Phone::details(Some(2)), &identity);
    signed.account_signature.as_mut().unwrap().truncate(63);
    let node = Phone::stanza(
        Phone::container(&signed, &secret),
        "15550001111:2@s.whatsapp.net",
        "777:2@lid",
    );
    assert_eq!(
        phone.run(&node).unwrap_err(),
        PairingError::AccountSignatureMismatch
    );
}

#[test]
fn a_missing_or_primary_key_index_is_refused() {
    let mut phone = Phone::new();
    let identity = phone.creds.identity.clone();
    let secret = *phone.creds.adv_secret.as_bytes();
    for key_index in [None, Some(0)] {
        let signed = phone.signed(Phone::details(key_index), &identity);
        let node = Phone::stanza(
            Phone::container(&signed, &secret),
            "15550001111:2@s.whatsapp.net",
            "777:2@lid",
        );
        assert_eq!(
            phone.run(&node).unwrap_err(),
            PairingError::KeyIndex,
            "{key_index:?}"
        );
    }
}

#[test]
fn hosted_identities_are_refused() {
    let mut phone = Phone::new();
    let identity = phone.creds.identity.clone();
    let signed = phone.signed(Phone::details(Some(2)), &identity);
    let mut container =
        AdvSignedDeviceIdentityHmac::decode(Phone::container(&signed, &[0; 32]).as_slice())
            .unwrap();
    container.account_type = Some(AdvEncryptionType::Hosted.into());
    let node = Phone::stanza(
        container.encode_to_vec(),
        "15550001111:2@s.whatsapp.net",
        "777:2@lid",
    );
    assert_eq!(phone.run(&node).unwrap_err(), PairingError::HostedAccount);
}

#[test]
fn bad_device_jids_are_refused() {
    let mut phone = Phone::new();
    let identity = phone.creds.identity.clone();
    let secret = *phone.creds.adv_secret.as_bytes();
    let signed = phone.signed(Phone::details(Some(2)), &identity);
    let container = Phone::container(&signed, &secret);
    for (jid, lid) in [
        ("15550001111@s.whatsapp.net", "777@lid"),
        ("15550001111:2@lid", "777:2@lid"),
        ("15550001111:2@s.whatsapp.net", "777:3@lid"),
        ("15550001111:2@s.whatsapp.net", "777:2@s.whatsapp.net"),
    ] {
        let node = Phone::stanza(container.clone(), jid, lid);
        assert_eq!(
            phone.run(&node).unwrap_err(),
            PairingError::DeviceJid,
            "{jid} {lid}"
        );
    }
}

#[test]
fn malformed_stanzas_are_refused() {
    let mut phone = Phone::new();
    let garbage = Phone::stanza(
        vec![0xFF, 0xFF, 0xFF],
        "15550001111:2@s.whatsapp.net",
        "777:2@lid",
    );
    assert_eq!(
        phone.run(&garbage).unwrap_err(),
        PairingError::Malformed("ADVSignedDeviceIdentityHMAC")
    );
    assert_eq!(
        PairingError::Malformed("x").reply_code(),
        (500, "internal-error")
    );

    let no_identity = Node::new("iq")
        .with_attr("from", Jid::server_only(Server::User))
        .with_attr("id", "PS1")
        .with_children(vec![Node::new("pair-success")]);
    assert_eq!(
        phone.run(&no_identity).unwrap_err(),
        PairingError::Missing("device-identity")
    );
    // Not from the server: ignored, and no id-less reply is possible either.
    let anonymous = Node::new("iq").with_children(vec![Node::new("pair-success")]);
    let error = phone.run(&anonymous).unwrap_err();
    assert_eq!(error, PairingError::NotARequest("pair-success"));
    assert!(pair_error_reply(&anonymous, &error).is_none());
}

#[test]
fn paired_devices_round_trip_through_the_store() {
    let mut phone = Phone::new();
    let node = phone.valid();
    let success = phone.run(&node).unwrap();
    let mut store = Store::open_in_memory().unwrap();
    let id = save_paired(&mut store, &phone.creds, &success.paired).unwrap();
    let loaded = load_paired(&store, id).unwrap();
    assert_eq!(loaded.jid, success.paired.jid);
    assert_eq!(loaded.lid, success.paired.lid);
    assert_eq!(loaded.platform.as_deref(), Some("android"));
    assert_eq!(loaded.account, success.paired.account);
    assert_eq!(
        loaded.noise_key.public_key(),
        phone.creds.noise_key.public_key()
    );
    assert_eq!(
        loaded.identity.identity_key(),
        phone.creds.identity.identity_key()
    );
    assert_eq!(loaded.registration_id, phone.creds.registration_id);
    assert_eq!(loaded.signed_pre_key.id(), phone.creds.signed_pre_key.id());
    assert_eq!(
        loaded.signed_pre_key.key_pair().public_key(),
        phone.creds.signed_pre_key.key_pair().public_key()
    );
    // Our own LID mapping.
    assert_eq!(
        store
            .lid_for_pn(id, &wa_store::PnUser::new("15550001111").unwrap())
            .unwrap()
            .map(|lid| lid.as_str().to_owned()),
        Some("777".to_owned())
    );
    // The primary phone's identity, under the account's LID device 0.
    let primary = "777_1:0".parse().unwrap();
    assert_eq!(
        store.identity(id, &primary).unwrap(),
        Some(phone.account.identity_key())
    );

    // An unpaired device is not loadable.
    let bare = store
        .create_device(&wa_store::NewDevice {
            noise_key: phone.creds.noise_key.clone(),
            identity_key: phone.creds.identity.clone(),
            registration_id: phone.creds.registration_id,
            signed_prekey_id: phone.creds.signed_pre_key.id(),
        })
        .unwrap();
    assert!(matches!(
        load_paired(&store, bare),
        Err(crate::Error::NotPaired)
    ));
}
