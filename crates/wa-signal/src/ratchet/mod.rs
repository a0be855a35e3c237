//! The Double Ratchet's key schedule: the root key (DH ratchet), chain keys (symmetric ratchet)
//! and the message keys each chain step yields. Pure functions over secrets; the session state
//! decides when to step.

mod chain_key;
mod message_keys;
mod root_key;

pub use chain_key::ChainKey;
pub use message_keys::{MessageKeySeed, MessageKeys};
pub use root_key::RootKey;

/// Declares a 32-byte secret newtype: zeroized on drop, not `Copy`, `[redacted]` in `Debug`.
macro_rules! secret_32 {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
        pub struct $name([u8; 32]);

        impl $name {
            /// Wraps stored secret bytes.
            #[must_use]
            pub const fn from_bytes(bytes: [u8; 32]) -> Self {
                Self(bytes)
            }

            /// The secret bytes (for storage).
            #[must_use]
            pub const fn as_bytes(&self) -> &[u8; 32] {
                &self.0
            }

            /// Parses a stored 32-byte secret.
            pub(crate) fn from_slice(bytes: &[u8]) -> Option<Self> {
                <[u8; 32]>::try_from(bytes).ok().map(Self)
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($name), "([redacted])"))
            }
        }
    };
}
pub(crate) use secret_32;
