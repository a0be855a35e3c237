//! Certificate-chain verification: one test per check, each with its own error variant.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use prost::Message as _;
use rand_core::OsRng;
use wa_noise::{
    cert::ROOT_SERIAL, CertChainBuilder, CertError, CertKind, CertVerifier, KeyPair, PrivateKey,
    PublicKey, WHATSAPP_ROOT_KEY,
};
use wa_proto::cert::{
    cert_chain::{noise_certificate::Details, NoiseCertificate},
    CertChain,
};

const NOW: u64 = 1_750_000_000;

struct Pki {
    root: KeyPair,
    intermediate: KeyPair,
    server: PublicKey,
}

impl Pki {
    fn new() -> Self {
        Self {
            root: KeyPair::generate(&mut OsRng),
            intermediate: KeyPair::generate(&mut OsRng),
            server: *KeyPair::generate(&mut OsRng).public_key(),
        }
    }

    fn builder(&self) -> CertChainBuilder {
        CertChainBuilder::new(self.root.private_key().clone(), self.intermediate.clone())
            .validity(1_700_000_000, 1_900_000_000)
    }

    fn verify(&self, chain: &[u8]) -> Result<wa_noise::VerifiedCertChain, CertError> {
        CertVerifier::new(*self.root.public_key()).verify(chain, &self.server, NOW)
    }

    fn verify_chain(&self, chain: &CertChain) -> Result<wa_noise::VerifiedCertChain, CertError> {
        self.verify(&chain.encode_to_vec())
    }
}

fn signed(details: &Details, signer: &PrivateKey) -> NoiseCertificate {
    signed_raw(details.encode_to_vec(), signer)
}

fn signed_raw(details: Vec<u8>, signer: &PrivateKey) -> NoiseCertificate {
    let signature = wa_curve25519::sign_with_rng(&signer.to_bytes(), &details, &mut OsRng);
    NoiseCertificate {
        details: Some(details),
        signature: Some(signature.to_vec()),
    }
}

#[test]
fn valid_chain_verifies() {
    let pki = Pki::new();
    let verified = pki
        .verify(&pki.builder().serials(7, 9).build(&pki.server, &mut OsRng))
        .unwrap();
    assert_eq!(verified.intermediate.serial, 7);
    assert_eq!(verified.intermediate.issuer_serial, ROOT_SERIAL);
    assert_eq!(&verified.intermediate.key, pki.intermediate.public_key());
    assert_eq!(verified.leaf.serial, 9);
    assert_eq!(verified.leaf.issuer_serial, 7);
    assert_eq!(verified.leaf.key, pki.server);
}

#[test]
fn default_verifier_trusts_whatsapp_root() {
    assert_eq!(CertVerifier::default().trusted_root(), &WHATSAPP_ROOT_KEY);
    assert_eq!(
        hex::encode(WHATSAPP_ROOT_KEY.as_bytes()),
        "142375574d0a587166aae71ebe516437c4a28b73e3695c6ce1f7f9545da8ee6b"
    );
}

#[test]
fn forged_root_rejected() {
    let pki = Pki::new();
    let forger = KeyPair::generate(&mut OsRng);
    let chain = CertChainBuilder::new(forger.private_key().clone(), pki.intermediate.clone())
        .build(&pki.server, &mut OsRng);
    assert_eq!(pki.verify(&chain), Err(CertError::IntermediateSignature));
}

#[test]
fn tampered_intermediate_details_rejected() {
    let pki = Pki::new();
    let mut chain = pki.builder().build_chain(&pki.server, &mut OsRng);
    // Extend the validity by editing the signed bytes.
    let cert = chain.intermediate.as_mut().unwrap();
    let mut details = Details::decode(cert.details.as_deref().unwrap()).unwrap();
    details.not_after = Some(u64::MAX);
    cert.details = Some(details.encode_to_vec());
    assert_eq!(
        pki.verify_chain(&chain),
        Err(CertError::IntermediateSignature)
    );
}

#[test]
fn wrong_intermediate_issuer_serial_rejected() {
    let pki = Pki::new();
    let chain = pki
        .builder()
        .intermediate_issuer_serial(3)
        .build(&pki.server, &mut OsRng);
    assert_eq!(
        pki.verify(&chain),
        Err(CertError::IntermediateIssuerSerial {
            found: 3,
            expected: 0
        })
    );
}

#[test]
fn wrong_leaf_issuer_serial_rejected() {
    let pki = Pki::new();
    let chain = pki
        .builder()
        .serials(1, 2)
        .leaf_issuer_serial(5)
        .build(&pki.server, &mut OsRng);
    assert_eq!(
        pki.verify(&chain),
        Err(CertError::LeafIssuerSerial {
            found: 5,
            expected: 1
        })
    );
}

#[test]
fn leaf_signed_by_another_key_rejected() {
    let pki = Pki::new();
    let mut chain = pki.builder().build_chain(&pki.server, &mut OsRng);
    let leaf_details = chain.leaf.as_ref().unwrap().details.clone().unwrap();
    let other = KeyPair::generate(&mut OsRng);
    chain.leaf = Some(signed_raw(leaf_details, other.private_key()));
    assert_eq!(pki.verify_chain(&chain), Err(CertError::LeafSignature));
}

#[test]
fn leaf_key_mismatch_rejected() {
    let pki = Pki::new();
    let other_server = *KeyPair::generate(&mut OsRng).public_key();
    let chain = pki.builder().build(&other_server, &mut OsRng);
    assert_eq!(pki.verify(&chain), Err(CertError::LeafKeyMismatch));
    // A leaf key of the wrong length never matches either.
    let mut chain = pki.builder().build_chain(&pki.server, &mut OsRng);
    let details = Details {
        serial: Some(2),
        issuer_serial: Some(1),
        key: Some(pki.server.as_bytes()[..31].to_vec()),
        not_before: Some(0),
        not_after: Some(u64::MAX),
    };
    chain.leaf = Some(signed(&details, pki.intermediate.private_key()));
    assert_eq!(pki.verify_chain(&chain), Err(CertError::LeafKeyMismatch));
}

#[test]
fn expired_and_not_yet_valid_rejected() {
    let pki = Pki::new();
    let cases = [
        (
            pki.builder().intermediate_validity(0, NOW - 1),
            CertError::Expired {
                cert: CertKind::Intermediate,
                not_after: NOW - 1,
                now: NOW,
            },
        ),
        (
            pki.builder().intermediate_validity(NOW + 1, u64::MAX),
            CertError::NotYetValid {
                cert: CertKind::Intermediate,
                not_before: NOW + 1,
                now: NOW,
            },
        ),
        (
            pki.builder().leaf_validity(0, NOW - 1),
            CertError::Expired {
                cert: CertKind::Leaf,
                not_after: NOW - 1,
                now: NOW,
            },
        ),
        (
            pki.builder().leaf_validity(NOW + 1, u64::MAX),
            CertError::NotYetValid {
                cert: CertKind::Leaf,
                not_before: NOW + 1,
                now: NOW,
            },
        ),
    ];
    for (builder, expected) in cases {
        assert_eq!(
            pki.verify(&builder.build(&pki.server, &mut OsRng)),
            Err(expected)
        );
    }
    // Inclusive bounds.
    let exact = pki
        .builder()
        .validity(NOW, NOW)
        .build(&pki.server, &mut OsRng);
    pki.verify(&exact).unwrap();
}

#[test]
fn short_signatures_rejected() {
    let pki = Pki::new();
    for (kind, len) in [
        (CertKind::Intermediate, 63),
        (CertKind::Leaf, 0),
        (CertKind::Leaf, 65),
    ] {
        let mut chain = pki.builder().build_chain(&pki.server, &mut OsRng);
        let cert = match kind {
            CertKind::Intermediate => chain.intermediate.as_mut().unwrap(),
            CertKind::Leaf => chain.leaf.as_mut().unwrap(),
        };
        let mut signature = cert.signature.take().unwrap();
        signature.resize(len, 0);
        cert.signature = Some(signature);
        assert_eq!(
            pki.verify_chain(&chain),
            Err(CertError::SignatureLength { cert: kind, len })
        );
    }
}

#[test]
fn missing_parts_rejected() {
    let pki = Pki::new();
    let good = pki.builder().build_chain(&pki.server, &mut OsRng);
    let mut chain = good.clone();
    chain.intermediate = None;
    assert_eq!(
        pki.verify_chain(&chain),
        Err(CertError::MissingDetails(CertKind::Intermediate))
    );
    let mut chain = good.clone();
    chain.leaf.as_mut().unwrap().details = None;
    assert_eq!(
        pki.verify_chain(&chain),
        Err(CertError::MissingDetails(CertKind::Leaf))
    );
    let mut chain = good.clone();
    chain.intermediate.as_mut().unwrap().signature = None;
    assert_eq!(
        pki.verify_chain(&chain),
        Err(CertError::MissingSignature(CertKind::Intermediate))
    );
    let mut chain = good;
    chain.leaf.as_mut().unwrap().signature = None;
    assert_eq!(
        pki.verify_chain(&chain),
        Err(CertError::MissingSignature(CertKind::Leaf))
    );
    assert!(matches!(
        pki.verify(&[0x0a, 0xff]),
        Err(CertError::Decode(_))
    ));
    assert_eq!(
        pki.verify(&[]),
        Err(CertError::MissingDetails(CertKind::Intermediate))
    );
}

#[test]
fn signed_garbage_details_rejected() {
    let pki = Pki::new();
    let mut chain = pki.builder().build_chain(&pki.server, &mut OsRng);
    chain.intermediate = Some(signed_raw(vec![0x0a, 0xff], pki.root.private_key()));
    assert!(matches!(
        pki.verify_chain(&chain),
        Err(CertError::DetailsDecode {
            cert: CertKind::Intermediate,
            ..
        })
    ));

    let mut chain = pki.builder().build_chain(&pki.server, &mut OsRng);
    chain.leaf = Some(signed_raw(vec![0x0a, 0xff], pki.intermediate.private_key()));
    assert!(matches!(
        pki.verify_chain(&chain),
        Err(CertError::DetailsDecode {
            cert: CertKind::Leaf,
            ..
        })
    ));
}

#[test]
fn intermediate_key_length_checked() {
    let pki = Pki::new();
    let mut chain = pki.builder().build_chain(&pki.server, &mut OsRng);
    let details = Details {
        serial: Some(1),
        issuer_serial: Some(0),
        key: Some(vec![1; 33]),
        not_before: Some(0),
        not_after: Some(u64::MAX),
    };
    chain.intermediate = Some(signed(&details, pki.root.private_key()));
    assert_eq!(
        pki.verify_chain(&chain),
        Err(CertError::IntermediateKeyLength(33))
    );
}

#[test]
fn absent_fields_read_as_zero() {
    // Like whatsmeow's getters: no issuerSerial means 0, no notAfter means expired.
    let pki = Pki::new();
    let mut chain = pki.builder().build_chain(&pki.server, &mut OsRng);
    let details = Details {
        serial: Some(1),
        issuer_serial: None,
        key: Some(pki.intermediate.public_key().as_bytes().to_vec()),
        not_before: None,
        not_after: Some(u64::MAX),
    };
    chain.intermediate = Some(signed(&details, pki.root.private_key()));
    pki.verify_chain(&chain).unwrap();
    let details = Details {
        not_after: None,
        ..details
    };
    chain.intermediate = Some(signed(&details, pki.root.private_key()));
    assert_eq!(
        pki.verify_chain(&chain),
        Err(CertError::Expired {
            cert: CertKind::Intermediate,
            not_after: 0,
            now: NOW
        })
    );
}
