//! Message keys: the per-message seed a chain step yields, and the cipher key, MAC key and IV
//! derived from it.

use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::crypto::hkdf_sha256;

/// The 32-byte seed of one message's keys (what a session keeps for skipped messages).
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct MessageKeySeed {
    seed: [u8; 32],
    #[zeroize(skip)]
    counter: u32,
}

impl MessageKeySeed {
    /// A stored seed for message `counter`.
    #[must_use]
    pub const fn new(seed: [u8; 32], counter: u32) -> Self {
        Self { seed, counter }
    }

    /// The secret bytes (for storage).
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.seed
    }

    /// The message counter this seed belongs to.
    #[must_use]
    pub const fn counter(&self) -> u32 {
        self.counter
    }

    /// HKDF(seed, salt empty, info "WhisperMessageKeys", 80) -> cipher key 32, MAC key 32, IV 16.
    #[must_use]
    pub fn derive(&self) -> MessageKeys {
        let okm = hkdf_sha256::<80>(&[], &self.seed, b"WhisperMessageKeys");
        let mut keys = MessageKeys {
            cipher_key: [0; 32],
            mac_key: [0; 32],
            iv: [0; 16],
            counter: self.counter,
        };
        let (cipher, rest) = okm.split_at(32);
        let (mac, iv) = rest.split_at(32);
        keys.cipher_key.copy_from_slice(cipher);
        keys.mac_key.copy_from_slice(mac);
        keys.iv.copy_from_slice(iv);
        keys
    }
}

impl std::fmt::Debug for MessageKeySeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MessageKeySeed({}, [redacted])", self.counter)
    }
}

/// The keys of one message. Zeroized on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct MessageKeys {
    cipher_key: [u8; 32],
    mac_key: [u8; 32],
    iv: [u8; 16],
    #[zeroize(skip)]
    counter: u32,
}

impl MessageKeys {
    /// The AES-256 key.
    #[must_use]
    pub const fn cipher_key(&self) -> &[u8; 32] {
        &self.cipher_key
    }

    /// The HMAC-SHA256 key.
    #[must_use]
    pub const fn mac_key(&self) -> &[u8; 32] {
        &self.mac_key
    }

    /// The CBC IV.
    #[must_use]
    pub const fn iv(&self) -> &[u8; 16] {
        &self.iv
    }

    /// The message counter.
    #[must_use]
    pub const fn counter(&self) -> u32 {
        self.counter
    }
}

impl std::fmt::Debug for MessageKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MessageKeys({}, [redacted])", self.counter)
    }
}
