//! XEdDSA against signatures made by independent signers (curve25519-js inside Baileys 6.17.16
//! and libsignal-node), plus property and tamper tests.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use proptest::prelude::*;
use rand_core::OsRng;
use serde_json::Value;
use wa_curve25519::{public_key, sign, sign_with_rng, try_verify, verify, Error};

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/../../fixtures/baileys-6.17.16/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).expect("fixture file");
    serde_json::from_str(&text).expect("fixture json")
}

fn bytes32(v: &Value) -> [u8; 32] {
    hex::decode(v.as_str().expect("hex string"))
        .expect("hex")
        .try_into()
        .expect("32 bytes")
}

fn bytes64(v: &Value) -> [u8; 64] {
    hex::decode(v.as_str().expect("hex string"))
        .expect("hex")
        .try_into()
        .expect("64 bytes")
}

fn bytes(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().expect("hex string")).expect("hex")
}

/// The test certificate chain in noise_handshake.json was signed by curve25519-js
/// (`verifiesWithTestKeys: true`): intermediate by the test root, leaf by the intermediate.
#[test]
fn baileys_cert_chain_signatures_verify() {
    let v = fixture("noise_handshake.json");
    let chain = &v["certChain"];
    assert_eq!(chain["verifiesWithTestKeys"], Value::Bool(true));
    let root = bytes32(&v["keys"]["testCertRoot"]["public"]);
    let intermediate = bytes32(&v["keys"]["testCertIntermediate"]["public"]);
    let intermediate_details = bytes(&chain["intermediateDetailsHex"]);
    let intermediate_sig = bytes64(&chain["intermediateSignatureHex"]);
    let leaf_details = bytes(&chain["leafDetailsHex"]);
    let leaf_sig = bytes64(&chain["leafSignatureHex"]);

    assert!(verify(&root, &intermediate_details, &intermediate_sig));
    assert!(verify(&intermediate, &leaf_details, &leaf_sig));
    // Crossed keys and messages must fail.
    assert!(!verify(
        &intermediate,
        &intermediate_details,
        &intermediate_sig
    ));
    assert!(!verify(&root, &leaf_details, &leaf_sig));
    assert!(!verify(&root, &leaf_details, &intermediate_sig));
}

/// The public keys in the fixture are the X25519 public keys of the private keys.
#[test]
fn fixture_public_keys_match_private_keys() {
    let v = fixture("noise_handshake.json");
    for (name, pair) in v["keys"].as_object().unwrap() {
        let private = bytes32(&pair["private"]);
        let public = bytes32(&pair["public"]);
        assert_eq!(public_key(&private), public, "{name}");
    }
}

/// Signed pre-key signatures from libsignal-node: over 0x05 || signed pre-key public key with
/// the identity key. Two of the four carry the Edwards sign bit in signature[63].
#[test]
fn libsignal_signed_prekey_signatures_verify() {
    let v = fixture("signal_1to1.json");
    let mut owners = vec![&v["alice"]];
    owners.extend(v["peers"].as_array().unwrap());
    let mut with_sign_bit = 0;
    for owner in owners {
        let identity = bytes32(&owner["identityKey"]["public"]);
        let spk = &owner["signedPreKey"];
        let mut message = vec![0x05];
        message.extend(bytes32(&spk["public"]));
        let signature = bytes64(&spk["signature"]);
        with_sign_bit += usize::from(signature[63] & 0x80 != 0);
        assert!(verify(&identity, &message, &signature));
        assert_eq!(try_verify(&identity, &message, &signature), Ok(()));
        // Our own signature with the same identity key verifies too.
        let private = bytes32(&owner["identityKey"]["private"]);
        let ours = sign_with_rng(&private, &message, &mut OsRng);
        assert!(verify(&identity, &message, &ours));
    }
    assert!(
        with_sign_bit > 0,
        "vectors should exercise the stored sign bit"
    );
}

#[test]
fn round_trip_and_tampering() {
    let private = [0x5au8; 32];
    let public = public_key(&private);
    let message = b"noise certificate details";
    let signature = sign(&private, message, &[1u8; 64]);
    assert!(verify(&public, message, &signature));

    // Tampered message.
    assert!(!verify(&public, b"noise certificate detailz", &signature));
    // Every single-bit flip of the signature fails.
    for byte in 0..64 {
        for bit in 0..8 {
            let mut bad = signature;
            bad[byte] ^= 1 << bit;
            assert!(!verify(&public, message, &bad), "flip {byte}:{bit}");
        }
    }
    // Another key.
    let other = public_key(&[0x5bu8; 32]);
    assert!(!verify(&other, message, &signature));
    // A tampered public key.
    let mut bad_key = public;
    bad_key[0] ^= 1;
    assert!(!verify(&bad_key, message, &signature));
}

#[test]
fn non_canonical_s_is_rejected() {
    let private = [0x11u8; 32];
    let public = public_key(&private);
    let signature = sign(&private, b"m", &[9u8; 64]);
    // Bits 253/254 of s set: s >= 2^253 > L.
    for mask in [0x20u8, 0x40, 0x60] {
        let mut bad = signature;
        bad[63] |= mask;
        assert!(!verify(&public, b"m", &bad));
    }
    // s + L encodes the same scalar mod L but is not canonical.
    let l: [u8; 32] =
        hex::decode("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010")
            .unwrap()
            .try_into()
            .unwrap();
    let mut s_plus_l = [0u8; 32];
    let mut carry = 0u16;
    for i in 0..32 {
        let sum = u16::from(signature[32 + i]) + u16::from(l[i]) + carry;
        s_plus_l[i] = (sum & 0xff) as u8;
        carry = sum >> 8;
    }
    assert_eq!(carry, 0);
    assert_eq!(s_plus_l[31] & 0x80, 0);
    let mut bad = signature;
    bad[32..].copy_from_slice(&s_plus_l);
    assert!(!verify(&public, b"m", &bad));
}

#[test]
fn try_verify_reports_lengths() {
    let public = public_key(&[3u8; 32]);
    let signature = sign(&[3u8; 32], b"x", &[0u8; 64]);
    assert_eq!(
        try_verify(&public[..31], b"x", &signature),
        Err(Error::PublicKeyLength(31))
    );
    assert_eq!(
        try_verify(&public, b"x", &signature[..63]),
        Err(Error::SignatureLength(63))
    );
    assert_eq!(
        try_verify(&public, b"y", &signature),
        Err(Error::BadSignature)
    );
    assert_eq!(try_verify(&public, b"x", &signature), Ok(()));
}

/// Regression (review finding): with the small-order key u = 1 a signature can be forged
/// without any private key. Build such a forgery (s = 0, R = -[h]A) and check it is refused.
#[test]
fn forgeries_under_a_small_order_key_are_rejected() {
    use curve25519_dalek::{montgomery::MontgomeryPoint, scalar::Scalar};
    use sha2::{Digest, Sha512};

    let mut u_one = [0u8; 32];
    u_one[0] = 1;
    let a = MontgomeryPoint(u_one).to_edwards(0).unwrap();
    assert!(a.is_small_order());
    let a_bytes = a.compress().to_bytes();
    let mut forged = 0;
    for n in 0..64u32 {
        let message = n.to_le_bytes();
        for k in 0..4u8 {
            // Candidate R among the multiples of A; keep it when R == -[h]A.
            let r = a * Scalar::from(k);
            let r_bytes = r.compress().to_bytes();
            let mut hash = Sha512::new();
            hash.update(r_bytes);
            hash.update(a_bytes);
            hash.update(message);
            let h = Scalar::from_bytes_mod_order_wide(&hash.finalize().into());
            if r != -(a * h) {
                continue;
            }
            let mut signature = [0u8; 64];
            signature[..32].copy_from_slice(&r_bytes);
            forged += 1;
            assert!(
                !verify(&u_one, &message, &signature),
                "forgery {n}/{k} accepted"
            );
        }
    }
    assert!(
        forged > 0,
        "the construction must yield forgeries to test against"
    );
}

#[test]
fn public_key_off_curve_is_rejected() {
    let signature = sign(&[3u8; 32], b"x", &[0u8; 64]);
    // u = p - 1 = -1 maps to no Edwards point. (u = p is non-canonical; this signature would
    // fail under it anyway, so the canonicity check itself is exercised by the unit test
    // `canonical_u_boundaries`.)
    let mut minus_one = [0xffu8; 32];
    minus_one[0] = 0xec;
    minus_one[31] = 0x7f;
    assert!(!verify(&minus_one, b"x", &signature));
    let mut p = minus_one;
    p[0] = 0xed;
    assert!(!verify(&p, b"x", &signature));
}

proptest! {
    #[test]
    fn prop_round_trip(private in any::<[u8; 32]>(), message in proptest::collection::vec(any::<u8>(), 0..512), random in proptest::collection::vec(any::<u8>(), 64)) {
        let random: [u8; 64] = random.try_into().unwrap();
        let public = public_key(&private);
        let signature = sign(&private, &message, &random);
        prop_assert!(verify(&public, &message, &signature));
        let mut other = message;
        other.push(0);
        prop_assert!(!verify(&public, &other, &signature));
    }

    #[test]
    fn prop_garbage_never_panics(public in any::<[u8; 32]>(), message in proptest::collection::vec(any::<u8>(), 0..64), sig in proptest::collection::vec(any::<u8>(), 64)) {
        let sig: [u8; 64] = sig.try_into().unwrap();
        let _ = verify(&public, &message, &sig);
    }
}
