//! Arbitrary bytes into the Signal layer, as a peer could send them.
//!
//! Input: `[selector][bytes...]`. A fixed two-party session (Alice → Bob, established: Bob has
//! decrypted Alice's pkmsg and replied) and a group sender key are set up once.
//! - 0: the bytes as a `msg` to Bob; 1: as a `pkmsg` to Bob; 2: as an skmsg to a group member;
//!   3: as an SKDM; 4: as a stored session record; 5: as a stored sender-key record.
//! Oracles: no panic; a failed decrypt leaves the record byte-for-byte unchanged; a record that
//! loads re-serializes to bytes that load to the same record.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use rand_core::{CryptoRng, RngCore};
use wa_signal::sender_key::{
    create_distribution_message, group_decrypt, process_distribution_message,
    SenderKeyDistributionMessage, SenderKeyRecord,
};
use wa_signal::session::{self, ResponderKeys};
use wa_signal::store::{InMemoryStore, SessionStore};
use wa_signal::{
    CiphertextMessage, IdentityKeyPair, PreKeyBundle, ProtocolAddress, RegistrationId,
    SessionRecord, SignedPreKeyId, SignedPreKeyRecord,
};

/// A deterministic RNG so that the fixed setup is the same in every run.
struct Counter(u64);
impl RngCore for Counter {
    fn next_u32(&mut self) -> u32 {
        self.next_u64() as u32
    }
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for b in dest {
            *b = (self.next_u64() >> 33) as u8;
        }
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}
impl CryptoRng for Counter {}

struct Fixture {
    bob_identity: IdentityKeyPair,
    bob_signed: SignedPreKeyRecord,
    bob_record: Vec<u8>,
    member_record: Vec<u8>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let mut rng = Counter(7);
        let bob_identity = IdentityKeyPair::generate(&mut rng);
        let bob_signed = SignedPreKeyRecord::generate(SignedPreKeyId(1), &bob_identity, 0, &mut rng);
        let bundle = PreKeyBundle {
            registration_id: RegistrationId(2),
            identity_key: bob_identity.identity_key(),
            signed_pre_key_id: bob_signed.id(),
            signed_pre_key: *bob_signed.key_pair().public_key(),
            signed_pre_key_signature: *bob_signed.signature(),
            pre_key: None,
        };
        let mut alice = InMemoryStore::new(IdentityKeyPair::generate(&mut rng), RegistrationId(1));
        let bob_address: ProtocolAddress = "2:0".parse().unwrap();
        wa_signal::protocol::process_pre_key_bundle(&mut alice, &bob_address, &bundle, &mut rng)
            .unwrap();
        let mut alice_record = alice.load_session(&bob_address).unwrap().unwrap();
        let first = session::encrypt(&mut alice_record, b"hello\x01").unwrap();
        let CiphertextMessage::PreKey(pkmsg) = first else { panic!("first is a pkmsg") };
        let mut bob_record = SessionRecord::new();
        let keys = ResponderKeys {
            identity: &bob_identity,
            registration_id: RegistrationId(2),
            signed_pre_key: Some(&bob_signed),
            pre_key: None,
        };
        let _first = session::decrypt_pre_key_message(&mut bob_record, &pkmsg, &keys, &mut rng).unwrap();

        let mut sender = SenderKeyRecord::new();
        let skdm = create_distribution_message(&mut sender, &mut rng);
        let mut member = SenderKeyRecord::new();
        process_distribution_message(&mut member, &skdm);
        Fixture {
            bob_identity,
            bob_signed,
            bob_record: bob_record.serialize(),
            member_record: member.encode().to_vec(),
        }
    })
}

fuzz_target!(|input: &[u8]| {
    let Some((&selector, data)) = input.split_first() else {
        return;
    };
    let f = fixture();
    let mut rng = Counter(u64::from(selector));
    match selector % 6 {
        0 | 1 => {
            let enc_type = if selector % 6 == 0 { "msg" } else { "pkmsg" };
            let Ok(message) = CiphertextMessage::parse(enc_type, data) else {
                return;
            };
            let mut record = SessionRecord::deserialize(&f.bob_record).unwrap();
            let keys = ResponderKeys {
                identity: &f.bob_identity,
                registration_id: RegistrationId(2),
                signed_pre_key: Some(&f.bob_signed),
                pre_key: None,
            };
            let result = match &message {
                CiphertextMessage::Signal(msg) => {
                    session::decrypt_signal_message(&mut record, msg, &mut rng).map(drop)
                }
                CiphertextMessage::PreKey(pkmsg) => {
                    session::decrypt_pre_key_message(&mut record, pkmsg, &keys, &mut rng).map(drop)
                }
            };
            if result.is_err() {
                assert_eq!(record.serialize(), f.bob_record, "a failed decrypt changed the record");
            }
        }
        2 => {
            let mut record = SenderKeyRecord::decode(&f.member_record).unwrap();
            if group_decrypt(&mut record, data).is_err() {
                assert_eq!(
                    record.encode().to_vec(),
                    f.member_record,
                    "a failed group decrypt changed the record"
                );
            }
        }
        3 => {
            if let Ok(skdm) = SenderKeyDistributionMessage::parse(data) {
                assert_eq!(skdm.serialized(), data, "SKDM does not re-serialize to its bytes");
                let mut record = SenderKeyRecord::new();
                process_distribution_message(&mut record, &skdm);
            }
        }
        4 => {
            if let Ok(record) = SessionRecord::deserialize(data) {
                let bytes = record.serialize();
                let again = SessionRecord::deserialize(&bytes).expect("own encoding loads");
                assert_eq!(again.serialize(), bytes, "session record round trip");
            }
        }
        _ => {
            if let Ok(record) = SenderKeyRecord::decode(data) {
                let bytes = record.encode().to_vec();
                let again = SenderKeyRecord::decode(&bytes).expect("own encoding loads");
                assert_eq!(again.encode().to_vec(), bytes, "sender key record round trip");
            }
        }
    }
});
