//! A registering connection, from the registration payload to `<stream:error code="515"/>`:
//!
//! 1. the payload's `devicePairingData` is checked (else `<failure reason="400"/>`);
//! 2. the server sends `pair-device` with fresh refs and waits, answering keep-alive pings;
//! 3. a scan ([`Simulator::scan`](crate::Simulator::scan)) hands over a `pair-success`, which
//!    is sent;
//! 4. the device answers `pair-device-sign`: with a valid device signature the device is
//!    registered and told to reconnect (515); otherwise `<failure reason="401"/>` and nothing
//!    is registered. A device refusing the identity (`type="error"`) is disconnected.
//!
//! The refs expire when the connection ends, however it ends.

use tokio::sync::oneshot;
use wa_transport::ServerConnection;

use super::adv::verify_device_confirmation;
use super::pending::{PairOffer, PairingId};
use super::registration::registration_from_pairing_data;
use super::stanzas::{
    confirmation, error_child, failure, iq_reply, new_iq_id, new_refs, pair_device,
};
use crate::error::RegistrationError;
use crate::faults::StreamErrorKind;
use crate::registry::DeviceRegistration;
use crate::simulator::Shared;

/// Serves a connection whose `ClientPayload` carries `devicePairingData`, to its end.
pub(crate) async fn serve_registration(
    shared: &Shared,
    mut conn: ServerConnection,
) -> Result<(), wa_transport::Error> {
    let registration = conn
        .client_payload()
        .device_pairing_data
        .as_ref()
        .ok_or(RegistrationError::MissingField("devicePairingData"))
        .and_then(|data| registration_from_pairing_data(data, *conn.client_static()));
    let registration = match registration {
        Ok(registration) => registration,
        Err(error) => {
            tracing::debug!(%error, "registration payload refused");
            return finish(conn, Some(failure("400"))).await;
        }
    };

    let (offer_tx, mut offer_rx) = oneshot::channel();
    let (pairing, request) = {
        let mut state = shared.lock();
        let refs = new_refs(&mut state.rng);
        let request = pair_device(&new_iq_id(&mut state.rng), &refs);
        let pairing = state
            .pairing
            .pending
            .open(refs, registration.clone(), offer_tx);
        (pairing, request)
    };
    let _expiry = RefsExpiry { shared, pairing };
    conn.send(&request).await?;

    let mut offer: Option<PairOffer> = None;
    loop {
        tokio::select! {
            received = &mut offer_rx, if offer.is_none() => {
                // The sender stays in the table until a scan uses it or this function ends.
                let Ok(received) = received else { return Ok(()) };
                conn.send(&received.stanza).await?;
                offer = Some(received);
            }
            stanza = conn.recv() => {
                let Some(stanza) = stanza? else {
                    tracing::debug!("registering client closed the connection");
                    return Ok(());
                };
                match on_stanza(&stanza, offer.as_ref(), &registration) {
                    Step::Continue(None) => {}
                    Step::Continue(Some(reply)) => conn.send(&reply).await?,
                    Step::End(last) => return finish(conn, last).await,
                    Step::Confirmed(offer) => {
                        let last = register(shared, offer, registration.clone());
                        return finish(conn, Some(last)).await;
                    }
                }
            }
        }
    }
}

/// What one client stanza leads to.
#[derive(Debug)]
enum Step<'o> {
    /// Keep waiting, after sending the reply if any.
    Continue(Option<wa_binary::Node<'static>>),
    /// The device countersigned the offered identity.
    Confirmed(&'o PairOffer),
    /// Pairing is over without a device: send the node if any and close.
    End(Option<wa_binary::Node<'static>>),
}

/// Reacts to one stanza of a registering client (sans-IO). `offer` is the `pair-success` sent,
/// once a scan happened.
fn on_stanza<'o>(
    stanza: &wa_binary::Node<'_>,
    offer: Option<&'o PairOffer>,
    registration: &DeviceRegistration,
) -> Step<'o> {
    if stanza.tag() != "iq" {
        tracing::debug!(tag = stanza.tag(), "stanza ignored while pairing");
        return Step::Continue(None);
    }
    let kind = stanza.attr_str("type").unwrap_or_default();
    let answers_offer = offer.filter(|offer| stanza.attr_str("id") == Some(&offer.iq_id));
    match (kind, answers_offer) {
        ("result", Some(offer)) => confirm(stanza, offer, registration),
        ("error", Some(_)) => {
            tracing::debug!("device refused the pair-success identity");
            Step::End(None)
        }
        // The acknowledgement of pair-device, or of nothing the server is waiting for.
        ("result" | "error", None) => Step::Continue(None),
        ("get", _) if stanza.attr_str("xmlns") == Some("w:p") => {
            Step::Continue(Some(iq_reply(stanza, "result", Vec::new())))
        }
        _ => Step::Continue(Some(iq_reply(
            stanza,
            "error",
            vec![error_child("401", "not-authorized")],
        ))),
    }
}

/// Checks the device's `pair-device-sign` answer to `offer`.
fn confirm<'o>(
    stanza: &wa_binary::Node<'_>,
    offer: &'o PairOffer,
    registration: &DeviceRegistration,
) -> Step<'o> {
    let Some(answer) = confirmation(stanza) else {
        tracing::debug!("pair-success answered without pair-device-sign");
        return Step::End(Some(failure("401")));
    };
    let key_index_ok = answer
        .key_index
        .map_or(true, |index| index.parse() == Ok(offer.key_index));
    if !key_index_ok {
        tracing::debug!("pair-device-sign with another key index");
        return Step::End(Some(failure("401")));
    }
    match verify_device_confirmation(&offer.signed, &registration.identity_key, answer.identity) {
        Ok(()) => Step::Confirmed(offer),
        Err(error) => {
            tracing::debug!(%error, "pair-device-sign refused");
            Step::End(Some(failure("401")))
        }
    }
}

/// Registers the confirmed device under the id its offer reserved, and returns what to send
/// last: restart-required (515), or `<failure reason="500"/>` if the account is gone.
fn register(
    shared: &Shared,
    offer: &PairOffer,
    registration: DeviceRegistration,
) -> wa_binary::Node<'static> {
    let adv_identity = prost::Message::encode_to_vec(&offer.signed);
    let registered = shared.lock().registry.register_device(
        &offer.account,
        offer.device_id,
        registration,
        adv_identity,
    );
    match registered {
        Ok(device) => {
            tracing::debug!(device = %device.jid, "device paired");
            StreamErrorKind::RestartRequired.to_node()
        }
        Err(error) => {
            tracing::debug!(%error, "paired device could not be registered");
            failure("500")
        }
    }
}

/// Sends a last node, if any, and closes.
async fn finish(
    conn: ServerConnection,
    last: Option<wa_binary::Node<'static>>,
) -> Result<(), wa_transport::Error> {
    let (mut sender, _receiver) = conn.into_split();
    if let Some(last) = last {
        sender.send(&last).await?;
    }
    sender.close().await
}

/// Removes the connection's pending pairing when the connection ends, however it ends.
struct RefsExpiry<'s> {
    shared: &'s Shared,
    pairing: PairingId,
}

impl Drop for RefsExpiry<'_> {
    fn drop(&mut self) {
        self.shared.lock().pairing.pending.close(self.pairing);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use prost::Message as _;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng as _;
    use wa_binary::{Jid, Node, Server};
    use wa_signal::{IdentityKeyPair, RegistrationId, SignedPreKeyId, SignedPreKeyRecord};

    use super::*;
    use crate::pairing::adv::{account_signed_identity, AccountSigner};
    use crate::registry::SignedPreKeyPublic;

    struct Fixture {
        device: IdentityKeyPair,
        registration: DeviceRegistration,
        offer: PairOffer,
    }

    fn fixture() -> Fixture {
        let mut rng = ChaCha20Rng::seed_from_u64(5);
        let device = IdentityKeyPair::generate(&mut rng);
        let signed_pre_key = SignedPreKeyRecord::generate(SignedPreKeyId(1), &device, 0, &mut rng);
        let registration = DeviceRegistration {
            noise_key: *wa_noise::KeyPair::generate(&mut rng).public_key(),
            identity_key: device.identity_key(),
            registration_id: RegistrationId(7),
            signed_pre_key: SignedPreKeyPublic {
                id: signed_pre_key.id(),
                public_key: *signed_pre_key.key_pair().public_key(),
                signature: *signed_pre_key.signature(),
            },
            pre_keys: Vec::new(),
        };
        let signer = AccountSigner {
            key: IdentityKeyPair::generate(&mut rng),
            raw_id: 1,
        };
        let signed = account_signed_identity(&signer, &device.identity_key(), 3, 9, &mut rng);
        let offer = PairOffer {
            stanza: Node::new("iq"),
            iq_id: "P1".to_owned(),
            signed,
            key_index: 3,
            account: Jid::new("15550001111", Server::User).unwrap(),
            device_id: 3,
        };
        Fixture {
            device,
            registration,
            offer,
        }
    }

    /// `<iq type="result" id="P1"><pair-device-sign><device-identity key-index>..`.
    fn answer(fixture: &Fixture, key_index: &str) -> Node<'static> {
        let signed = &fixture.offer.signed;
        let message = [
            &[6, 1][..],
            signed.details(),
            fixture.device.identity_key().public_key().as_bytes(),
            signed.account_signature_key(),
        ]
        .concat();
        let signature =
            wa_curve25519::sign(&fixture.device.private_key().to_bytes(), &message, &[1; 64]);
        let confirmed = wa_proto::adv::AdvSignedDeviceIdentity {
            account_signature_key: None,
            device_signature: Some(signature.to_vec()),
            ..signed.clone()
        };
        Node::new("iq")
            .with_attr("type", "result")
            .with_attr("id", "P1")
            .with_children(vec![Node::new("pair-device-sign").with_children(vec![
                Node::new("device-identity")
                    .with_attr("key-index", key_index.to_owned())
                    .with_bytes(confirmed.encode_to_vec()),
            ])])
    }

    fn reason<'s>(step: &'s Step<'_>) -> Option<&'s str> {
        match step {
            Step::End(Some(node)) => node.attr_str("reason"),
            other => panic!("expected an end with a failure, got {other:?}"),
        }
    }

    #[test]
    fn a_valid_answer_confirms() {
        let fixture = fixture();
        let step = on_stanza(
            &answer(&fixture, "3"),
            Some(&fixture.offer),
            &fixture.registration,
        );
        assert!(matches!(step, Step::Confirmed(_)), "{step:?}");
        // Before any scan, the same stanza is only an acknowledgement.
        let step = on_stanza(&answer(&fixture, "3"), None, &fixture.registration);
        assert!(matches!(step, Step::Continue(None)), "{step:?}");
    }

    #[test]
    fn another_key_index_or_no_identity_is_a_failure() {
        let fixture = fixture();
        let offer = Some(&fixture.offer);
        let step = on_stanza(&answer(&fixture, "4"), offer, &fixture.registration);
        assert_eq!(reason(&step), Some("401"));
        let bare = Node::new("iq")
            .with_attr("type", "result")
            .with_attr("id", "P1");
        let step = on_stanza(&bare, offer, &fixture.registration);
        assert_eq!(reason(&step), Some("401"));
    }
}
