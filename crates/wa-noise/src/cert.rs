//! The server's certificate chain (the `ServerHello` payload) and its verification.
//!
//! `CertChain{leaf, intermediate}`, each `NoiseCertificate{details, signature}` where `details`
//! is a serialized `Details{serial, issuerSerial, key, notBefore, notAfter}` and `signature` an
//! XEdDSA signature over exactly those bytes. The intermediate is signed by the trusted root
//! (serial 0), the leaf by the intermediate, and the leaf's key must be the server static key
//! that the handshake decrypted. [`CertVerifier::verify`] makes every check whatsmeow makes, in
//! the same order, each failing with its own [`CertError`] variant.

use prost::Message as _;
use rand_core::{CryptoRng, RngCore};
use subtle::ConstantTimeEq;
use wa_proto::cert::{
    cert_chain::{noise_certificate::Details, NoiseCertificate},
    CertChain,
};

use crate::{CertError, CertKind, KeyPair, PrivateKey, PublicKey};

/// WhatsApp's root certificate key, `142375574d0a5871…5da8ee6b`.
pub const WHATSAPP_ROOT_KEY: PublicKey = PublicKey::from_bytes([
    0x14, 0x23, 0x75, 0x57, 0x4d, 0x0a, 0x58, 0x71, 0x66, 0xaa, 0xe7, 0x1e, 0xbe, 0x51, 0x64, 0x37,
    0xc4, 0xa2, 0x8b, 0x73, 0xe3, 0x69, 0x5c, 0x6c, 0xe1, 0xf7, 0xf9, 0x54, 0x5d, 0xa8, 0xee, 0x6b,
]);

/// The root's serial, which the intermediate must name as its issuer.
pub const ROOT_SERIAL: u32 = 0;

/// The default end of validity of built certificates: `i64::MAX` seconds. Peers that read the
/// field as a signed 64-bit integer (whatsmeow) would see `u64::MAX` as -1, i.e. expired.
pub const FAR_FUTURE: u64 = i64::MAX.unsigned_abs();

/// One certificate's decoded details (absent fields read as 0, as in whatsmeow).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CertDetails {
    /// This certificate's serial.
    pub serial: u32,
    /// The issuer's serial.
    pub issuer_serial: u32,
    /// The certified key.
    pub key: PublicKey,
    /// Start of validity (unix seconds, inclusive).
    pub not_before: u64,
    /// End of validity (unix seconds, inclusive).
    pub not_after: u64,
}

/// A chain that passed [`CertVerifier::verify`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifiedCertChain {
    /// The intermediate, signed by the root.
    pub intermediate: CertDetails,
    /// The leaf, signed by the intermediate; its key is the server static key.
    pub leaf: CertDetails,
}

/// Verifies server certificate chains against a trusted root key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CertVerifier {
    root: PublicKey,
}

impl Default for CertVerifier {
    /// Trusts WhatsApp's root.
    fn default() -> Self {
        Self::whatsapp()
    }
}

impl CertVerifier {
    /// Trusts WhatsApp's root key ([`WHATSAPP_ROOT_KEY`]).
    #[must_use]
    pub const fn whatsapp() -> Self {
        Self::new(WHATSAPP_ROOT_KEY)
    }

    /// Trusts another root (tests, the simulator).
    #[must_use]
    pub const fn new(trusted_root: PublicKey) -> Self {
        Self { root: trusted_root }
    }

    /// The trusted root key.
    #[must_use]
    pub const fn trusted_root(&self) -> &PublicKey {
        &self.root
    }

    /// Checks a serialized `CertChain` for a server that proved it holds `server_static`, at
    /// `now` (unix seconds; passed in, this crate reads no clock).
    pub fn verify(
        &self,
        chain: &[u8],
        server_static: &PublicKey,
        now: u64,
    ) -> Result<VerifiedCertChain, CertError> {
        let chain = CertChain::decode(chain).map_err(CertError::Decode)?;
        let (intermediate_raw, intermediate_sig) =
            parts(chain.intermediate.as_ref(), CertKind::Intermediate)?;
        let (leaf_raw, leaf_sig) = parts(chain.leaf.as_ref(), CertKind::Leaf)?;
        let intermediate_sig = signature(intermediate_sig, CertKind::Intermediate)?;
        let leaf_sig = signature(leaf_sig, CertKind::Leaf)?;

        if !wa_curve25519::verify(self.root.as_bytes(), intermediate_raw, intermediate_sig) {
            return Err(CertError::IntermediateSignature);
        }
        let intermediate =
            Details::decode(intermediate_raw).map_err(|error| CertError::DetailsDecode {
                cert: CertKind::Intermediate,
                error,
            })?;
        let intermediate_issuer = intermediate.issuer_serial.unwrap_or_default();
        if intermediate_issuer != ROOT_SERIAL {
            return Err(CertError::IntermediateIssuerSerial {
                found: intermediate_issuer,
                expected: ROOT_SERIAL,
            });
        }
        let intermediate_key_bytes = intermediate.key.as_deref().unwrap_or_default();
        let intermediate_key = PublicKey::from_slice(intermediate_key_bytes).ok_or(
            CertError::IntermediateKeyLength(intermediate_key_bytes.len()),
        )?;
        if !wa_curve25519::verify(intermediate_key.as_bytes(), leaf_raw, leaf_sig) {
            return Err(CertError::LeafSignature);
        }
        let intermediate = details(&intermediate, intermediate_key);
        check_validity(&intermediate, CertKind::Intermediate, now)?;

        let leaf = Details::decode(leaf_raw).map_err(|error| CertError::DetailsDecode {
            cert: CertKind::Leaf,
            error,
        })?;
        let leaf_issuer = leaf.issuer_serial.unwrap_or_default();
        if leaf_issuer != intermediate.serial {
            return Err(CertError::LeafIssuerSerial {
                found: leaf_issuer,
                expected: intermediate.serial,
            });
        }
        // Constant time, and a key of the wrong length simply does not match.
        let leaf_key_bytes = leaf.key.as_deref().unwrap_or_default();
        if !bool::from(leaf_key_bytes.ct_eq(server_static.as_bytes())) {
            return Err(CertError::LeafKeyMismatch);
        }
        let leaf = details(&leaf, *server_static);
        check_validity(&leaf, CertKind::Leaf, now)?;

        Ok(VerifiedCertChain { intermediate, leaf })
    }
}

fn parts(cert: Option<&NoiseCertificate>, kind: CertKind) -> Result<(&[u8], &[u8]), CertError> {
    let details = cert
        .and_then(|c| c.details.as_deref())
        .ok_or(CertError::MissingDetails(kind))?;
    let signature = cert
        .and_then(|c| c.signature.as_deref())
        .ok_or(CertError::MissingSignature(kind))?;
    Ok((details, signature))
}

fn signature(bytes: &[u8], cert: CertKind) -> Result<&[u8; 64], CertError> {
    bytes.try_into().map_err(|_| CertError::SignatureLength {
        cert,
        len: bytes.len(),
    })
}

fn details(raw: &Details, key: PublicKey) -> CertDetails {
    CertDetails {
        serial: raw.serial.unwrap_or_default(),
        issuer_serial: raw.issuer_serial.unwrap_or_default(),
        key,
        not_before: raw.not_before.unwrap_or_default(),
        not_after: raw.not_after.unwrap_or_default(),
    }
}

fn check_validity(cert: &CertDetails, kind: CertKind, now: u64) -> Result<(), CertError> {
    if now < cert.not_before {
        Err(CertError::NotYetValid {
            cert: kind,
            not_before: cert.not_before,
            now,
        })
    } else if now > cert.not_after {
        Err(CertError::Expired {
            cert: kind,
            not_after: cert.not_after,
            now,
        })
    } else {
        Ok(())
    }
}

/// Issues certificate chains from a root private key, for tests and the simulator.
///
/// Defaults follow the Baileys fixture: intermediate serial 1 issued by serial 0, leaf serial 2
/// issued by the intermediate, both valid from 0 to [`FAR_FUTURE`]. Every field can be
/// overridden, including to wrong values, to build forged chains.
#[derive(Debug, Clone)]
pub struct CertChainBuilder {
    root: PrivateKey,
    intermediate: KeyPair,
    intermediate_serial: u32,
    intermediate_issuer_serial: u32,
    leaf_serial: u32,
    leaf_issuer_serial: Option<u32>,
    intermediate_validity: (u64, u64),
    leaf_validity: (u64, u64),
}

impl CertChainBuilder {
    /// A builder signing with `root` (the intermediate's issuer) and `intermediate` (the leaf's).
    #[must_use]
    pub fn new(root: PrivateKey, intermediate: KeyPair) -> Self {
        Self {
            root,
            intermediate,
            intermediate_serial: 1,
            intermediate_issuer_serial: ROOT_SERIAL,
            leaf_serial: 2,
            leaf_issuer_serial: None,
            intermediate_validity: (0, FAR_FUTURE),
            leaf_validity: (0, FAR_FUTURE),
        }
    }

    /// Serials of the intermediate and the leaf (the leaf names the intermediate as issuer).
    #[must_use]
    pub const fn serials(mut self, intermediate: u32, leaf: u32) -> Self {
        self.intermediate_serial = intermediate;
        self.leaf_serial = leaf;
        self
    }

    /// Validity window (unix seconds, inclusive) of both certificates.
    #[must_use]
    pub const fn validity(mut self, not_before: u64, not_after: u64) -> Self {
        self.intermediate_validity = (not_before, not_after);
        self.leaf_validity = (not_before, not_after);
        self
    }

    /// Validity window of the intermediate only.
    #[must_use]
    pub const fn intermediate_validity(mut self, not_before: u64, not_after: u64) -> Self {
        self.intermediate_validity = (not_before, not_after);
        self
    }

    /// Validity window of the leaf only.
    #[must_use]
    pub const fn leaf_validity(mut self, not_before: u64, not_after: u64) -> Self {
        self.leaf_validity = (not_before, not_after);
        self
    }

    /// Overrides the intermediate's issuer serial (normally [`ROOT_SERIAL`]).
    #[must_use]
    pub const fn intermediate_issuer_serial(mut self, serial: u32) -> Self {
        self.intermediate_issuer_serial = serial;
        self
    }

    /// Overrides the leaf's issuer serial (normally the intermediate's serial).
    #[must_use]
    pub const fn leaf_issuer_serial(mut self, serial: u32) -> Self {
        self.leaf_issuer_serial = Some(serial);
        self
    }

    /// The intermediate key pair.
    #[must_use]
    pub const fn intermediate_key(&self) -> &KeyPair {
        &self.intermediate
    }

    /// A serialized `CertChain` whose leaf certifies `leaf_key` (the server static public key).
    #[must_use]
    pub fn build<R: RngCore + CryptoRng>(&self, leaf_key: &PublicKey, rng: &mut R) -> Vec<u8> {
        self.build_chain(leaf_key, rng).encode_to_vec()
    }

    /// As [`build`](Self::build), as the protobuf value (to tamper with in tests).
    #[must_use]
    pub fn build_chain<R: RngCore + CryptoRng>(
        &self,
        leaf_key: &PublicKey,
        rng: &mut R,
    ) -> CertChain {
        let intermediate = Details {
            serial: Some(self.intermediate_serial),
            issuer_serial: Some(self.intermediate_issuer_serial),
            key: Some(self.intermediate.public_key().as_bytes().to_vec()),
            not_before: Some(self.intermediate_validity.0),
            not_after: Some(self.intermediate_validity.1),
        };
        let leaf = Details {
            serial: Some(self.leaf_serial),
            issuer_serial: Some(self.leaf_issuer_serial.unwrap_or(self.intermediate_serial)),
            key: Some(leaf_key.as_bytes().to_vec()),
            not_before: Some(self.leaf_validity.0),
            not_after: Some(self.leaf_validity.1),
        };
        CertChain {
            leaf: Some(sign_certificate(
                &leaf,
                self.intermediate.private_key(),
                rng,
            )),
            intermediate: Some(sign_certificate(&intermediate, &self.root, rng)),
        }
    }
}

/// Serializes `details` and signs the bytes with `signer`.
fn sign_certificate<R: RngCore + CryptoRng>(
    details: &Details,
    signer: &PrivateKey,
    rng: &mut R,
) -> NoiseCertificate {
    let details = details.encode_to_vec();
    let signature = wa_curve25519::sign_with_rng(&signer.to_bytes(), &details, rng);
    NoiseCertificate {
        details: Some(details),
        signature: Some(signature.to_vec()),
    }
}
