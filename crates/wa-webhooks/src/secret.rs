//! The per-subscription signing secret.

use std::fmt;

use rand_core::{OsRng, RngCore};
use zeroize::Zeroizing;

/// A subscription's signing secret: `whsec_` followed by 64 hex digits (32 random bytes).
///
/// The HMAC key is the secret's text exactly as shown, as ASCII bytes (prefix included), so a
/// receiver pastes it into its configuration and uses it as is. It is shown once, when the
/// subscription is created, and kept in the database so each attempt can be signed. It is
/// zeroized on drop and prints as `[redacted]`.
///
/// ```
/// use wa_webhooks::WebhookSecret;
/// let secret = WebhookSecret::generate();
/// assert!(secret.expose().starts_with("whsec_"));
/// assert_eq!(format!("{secret:?}"), "WebhookSecret([redacted])");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(Zeroizing<String>);

impl WebhookSecret {
    /// The prefix every generated secret starts with.
    pub const PREFIX: &'static str = "whsec_";

    /// A fresh secret from the operating system's random source.
    pub fn generate() -> Self {
        let mut bytes = Zeroizing::new([0u8; 32]);
        OsRng.fill_bytes(bytes.as_mut());
        let mut text = Zeroizing::new(String::with_capacity(Self::PREFIX.len() + 64));
        text.push_str(Self::PREFIX);
        text.push_str(&hex::encode(bytes.as_ref()));
        Self(text)
    }

    /// Wraps a secret read back from storage or configuration.
    pub fn from_text(text: impl Into<String>) -> Self {
        Self(Zeroizing::new(text.into()))
    }

    /// The secret's text: show it to the user once, or hand it to [`crate::verify_signature`].
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The HMAC key: the text's bytes.
    pub(crate) fn key(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret([redacted])")
    }
}
