//! The raw cryptographic floor of a send: the primitive operations the protocol cannot avoid,
//! run directly on the same RustCrypto and curve25519 crates, with buffers allocated up front.
//!
//! Per pairwise (`msg`) copy: one chain step (HMAC-SHA256 over `01` and over `02`), HKDF-SHA256
//! to 80 bytes ("WhisperMessageKeys"), AES-256-CBC with PKCS#7 of the padded plaintext, and the
//! HMAC-SHA256 MAC over both identity keys, the version byte and the serialized message. Per
//! sender-key (`skmsg`) message: one chain step, HKDF to 48 bytes ("WhisperGroup"), AES-256-CBC,
//! and one XEdDSA signature over the serialized message. A new sender key adds one X25519 key
//! pair (a base-point multiplication). Per stanza: AES-256-GCM of the whole frame.

use std::hint::black_box;

use aes::cipher::{block_padding::Pkcs7, BlockEncryptMut as _, KeyIvInit as _};
use aes_gcm::aead::{AeadInPlace as _, KeyInit as _};
use aes_gcm::{Aes256Gcm, Nonce};
use hkdf::Hkdf;
use hmac::{Hmac, Mac as _};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;
type Aes256CbcEnc = cbc::Encryptor<aes::Aes256>;

/// Bytes the Signal MAC covers besides the ciphertext: two 33-byte identity keys, the version
/// byte, and the protobuf fields around the ciphertext (33-byte ratchet key, counters, tags).
const MAC_OVERHEAD: usize = 33 + 33 + 1 + 35 + 4 + 3;

/// Bytes an XEdDSA signature of a `skmsg` covers besides the ciphertext: the version byte and
/// the key id, iteration and field tags.
const SIGNED_OVERHEAD: usize = 1 + 6 + 4 + 3;

/// What one send costs at least, by size: the scenario fills it in from a real send.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FloorSpec {
    /// The padded plaintext length of each pairwise `msg` copy.
    pub pairwise: Vec<usize>,
    /// The padded plaintext length of the `skmsg`, for group sends.
    pub sender_key: Option<usize>,
    /// Whether the send creates a new sender key (one key pair).
    pub new_sender_key: bool,
    /// The plaintext length of the Noise frame (the encoded stanza).
    pub frame: usize,
}

/// The padded plaintext and the ciphertext of one CBC encryption.
#[derive(Debug)]
struct CbcBuffers {
    plaintext: Vec<u8>,
    ciphertext: Vec<u8>,
    authenticated: Vec<u8>,
}

impl CbcBuffers {
    fn new(padded: usize, overhead: usize) -> Self {
        let ciphertext_len = (padded / 16 + 1) * 16;
        Self {
            plaintext: vec![0x2a; padded],
            ciphertext: vec![0; ciphertext_len],
            authenticated: vec![0x33; ciphertext_len + overhead],
        }
    }
}

/// The floor, ready to run: keys and buffers prepared, nothing allocated per run.
///
/// ```
/// use wa_benches::send_path::{Floor, FloorSpec};
/// let mut floor = Floor::new(&FloorSpec { pairwise: vec![70], frame: 260, ..Default::default() });
/// let touched = floor.run();
/// assert!(touched > 0);
/// ```
pub struct Floor {
    pairwise: Vec<CbcBuffers>,
    sender_key: Option<CbcBuffers>,
    new_sender_key: bool,
    frame: Vec<u8>,
    frame_cipher: Aes256Gcm,
    frame_counter: u64,
    chain_key: [u8; 32],
    signing_key: [u8; 32],
}

impl std::fmt::Debug for Floor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Floor")
            .field("pairwise", &self.pairwise.len())
            .field("sender_key", &self.sender_key.is_some())
            .field("frame", &self.frame.len())
            .finish_non_exhaustive()
    }
}

impl Floor {
    /// Prepares the floor of `spec`.
    #[must_use]
    pub fn new(spec: &FloorSpec) -> Self {
        Self {
            pairwise: spec
                .pairwise
                .iter()
                .map(|&padded| CbcBuffers::new(padded, MAC_OVERHEAD))
                .collect(),
            sender_key: spec
                .sender_key
                .map(|padded| CbcBuffers::new(padded, SIGNED_OVERHEAD)),
            new_sender_key: spec.new_sender_key,
            frame: vec![0x5a; spec.frame],
            frame_cipher: Aes256Gcm::new(&[0x17; 32].into()),
            frame_counter: 0,
            chain_key: [0x11; 32],
            signing_key: [0x44; 32],
        }
    }

    /// Runs the work of one send once; returns a byte count so the work cannot be optimized
    /// away.
    pub fn run(&mut self) -> usize {
        let mut touched = 0;
        if self.new_sender_key {
            touched += usize::from(black_box(wa_curve25519::public_key(&self.signing_key))[0] & 1);
        }
        if let Some(buffers) = self.sender_key.as_mut() {
            let seed = chain_step(&mut self.chain_key);
            let mut okm = [0u8; 48];
            expand(&seed, b"WhisperGroup", &mut okm);
            let (iv, key) = okm.split_at(16);
            touched += cbc(key, iv, buffers);
            let signature =
                wa_curve25519::sign(&self.signing_key, &buffers.authenticated, &[9; 64]);
            touched += usize::from(black_box(signature)[0] & 1);
        }
        for buffers in &mut self.pairwise {
            let seed = chain_step(&mut self.chain_key);
            let mut okm = [0u8; 80];
            expand(&seed, b"WhisperMessageKeys", &mut okm);
            let (key, rest) = okm.split_at(32);
            let (mac_key, iv) = rest.split_at(32);
            touched += cbc(key, iv, buffers);
            touched += mac(mac_key, &buffers.authenticated);
        }
        touched + self.seal_frame()
    }

    /// AES-256-GCM of the frame in place, nonce from the counter as the transport does.
    fn seal_frame(&mut self) -> usize {
        let mut nonce = [0u8; 12];
        let (_, counter) = nonce.split_at_mut(4);
        counter.copy_from_slice(&self.frame_counter.to_be_bytes());
        self.frame_counter += 1;
        match self.frame_cipher.encrypt_in_place_detached(
            Nonce::from_slice(&nonce),
            &[],
            &mut self.frame,
        ) {
            Ok(tag) => black_box(tag).len() + self.frame.len(),
            Err(_) => 0,
        }
    }
}

/// One symmetric-ratchet step: the message key seed, and the chain key advanced in place.
fn chain_step(chain_key: &mut [u8; 32]) -> [u8; 32] {
    let seed = hmac_byte(chain_key, 0x01);
    *chain_key = hmac_byte(chain_key, 0x02);
    seed
}

fn hmac_byte(key: &[u8; 32], byte: u8) -> [u8; 32] {
    let Ok(mut mac) = <HmacSha256 as hmac::Mac>::new_from_slice(black_box(key)) else {
        return [0; 32];
    };
    mac.update(&[byte]);
    mac.finalize().into_bytes().into()
}

fn expand(seed: &[u8; 32], info: &[u8], okm: &mut [u8]) {
    // Lengths of 48 and 80 bytes are far below HKDF-SHA256's limit: expand cannot fail.
    let _ = Hkdf::<Sha256>::new(None, black_box(seed)).expand(info, okm);
}

fn cbc(key: &[u8], iv: &[u8], buffers: &mut CbcBuffers) -> usize {
    let Ok(encryptor) = Aes256CbcEnc::new_from_slices(key, iv) else {
        return 0;
    };
    encryptor
        .encrypt_padded_b2b_mut::<Pkcs7>(&buffers.plaintext, &mut buffers.ciphertext)
        .map_or(0, |ciphertext| black_box(ciphertext).len())
}

fn mac(key: &[u8], data: &[u8]) -> usize {
    let Ok(mut mac) = <HmacSha256 as hmac::Mac>::new_from_slice(key) else {
        return 0;
    };
    mac.update(black_box(data));
    black_box(mac.finalize().into_bytes()).len()
}
