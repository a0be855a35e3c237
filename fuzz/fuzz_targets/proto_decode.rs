//! Arbitrary bytes decoded as every protobuf message the engine reads from a peer or the server.
//!
//! Oracle, for each message type that decodes the input (`m1`): its encoding `b1` decodes again
//! to `m2 == m1`, and `m2` encodes to exactly `b1` (unknown fields are dropped by the first
//! decode; after that the encoding is canonical and stable).

#![no_main]

use libfuzzer_sys::fuzz_target;
use prost::Message;
use wa_proto::{adv, cert, companion_reg, e2e, signal_wire, wa6};

fn round_trip<M: Message + Default + PartialEq>(data: &[u8]) {
    let Ok(first) = M::decode(data) else {
        return;
    };
    let encoded = first.encode_to_vec();
    assert_eq!(encoded.len(), first.encoded_len(), "encoded_len is wrong");
    let second = M::decode(encoded.as_slice()).unwrap_or_else(|e| {
        panic!("{}: re-encoded message does not decode: {e}", std::any::type_name::<M>())
    });
    assert!(
        first == second,
        "{}: round trip changed the message",
        std::any::type_name::<M>()
    );
    assert_eq!(
        second.encode_to_vec(),
        encoded,
        "{}: re-encoding is not stable",
        std::any::type_name::<M>()
    );
}

fuzz_target!(|data: &[u8]| {
    // Message content (decrypted Signal plaintext, unpadded).
    round_trip::<e2e::Message>(data);
    // The Noise handshake, its certificate chain and the login payload.
    round_trip::<wa6::HandshakeMessage>(data);
    round_trip::<cert::CertChain>(data);
    round_trip::<cert::cert_chain::noise_certificate::Details>(data);
    round_trip::<wa6::ClientPayload>(data);
    // Signal wire messages (after the version byte, before the MAC or signature).
    round_trip::<signal_wire::SignalMessage>(data);
    round_trip::<signal_wire::PreKeySignalMessage>(data);
    round_trip::<signal_wire::SenderKeyMessage>(data);
    round_trip::<signal_wire::SenderKeyDistributionMessage>(data);
    // Pairing: device identity and props.
    round_trip::<adv::AdvSignedDeviceIdentityHmac>(data);
    round_trip::<adv::AdvSignedDeviceIdentity>(data);
    round_trip::<adv::AdvDeviceIdentity>(data);
    round_trip::<adv::AdvSignedKeyIndexList>(data);
    round_trip::<adv::AdvKeyIndexList>(data);
    round_trip::<companion_reg::DeviceProps>(data);
});
