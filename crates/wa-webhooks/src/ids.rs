//! Typed identifiers: who owns a subscription, which session and message an event is about, and
//! the ids this crate generates for subscriptions, events and deliveries.

use std::fmt;

use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};

/// Declares a string newtype with `new`, `as_str`, `Display` and transparent serde.
macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps a value as given (the caller has validated it).
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The value as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self(value.to_owned())
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self(value)
            }
        }
    };
}

string_id!(
    /// The organization that owns subscriptions (and the sessions whose events they receive).
    ///
    /// ```
    /// let org = wa_webhooks::OrgId::new("acme");
    /// assert_eq!(org.as_str(), "acme");
    /// ```
    OrgId
);
string_id!(
    /// A gateway session id.
    ///
    /// ```
    /// let session = wa_webhooks::SessionId::from("s1");
    /// assert_eq!(session.to_string(), "s1");
    /// ```
    SessionId
);
string_id!(
    /// A WhatsApp message id (the `id` of a message key), e.g. `3EB0C0FFEE`.
    ///
    /// ```
    /// let mid = wa_webhooks::MessageId::new("3EB0C0FFEE");
    /// assert_eq!(mid.as_str(), "3EB0C0FFEE");
    /// ```
    MessageId
);
string_id!(
    /// A WhatsApp JID in its text form, e.g. `15551234567@s.whatsapp.net` or
    /// `120363000000000000@g.us`.
    ///
    /// ```
    /// let chat = wa_webhooks::JidText::new("120363000000000000@g.us");
    /// assert!(chat.as_str().ends_with("@g.us"));
    /// ```
    JidText
);
string_id!(
    /// A free-form tag the caller attached to a send; carried into the events it causes.
    ///
    /// ```
    /// let origin = wa_webhooks::Origin::new("crm-campaign-7");
    /// assert_eq!(origin.as_str(), "crm-campaign-7");
    /// ```
    Origin
);
string_id!(
    /// A subscription id, `sub_` followed by 32 hex digits (generated at creation).
    ///
    /// ```
    /// let id = wa_webhooks::SubscriptionId::generate();
    /// assert!(id.as_str().starts_with("sub_"));
    /// ```
    SubscriptionId
);
string_id!(
    /// An event id, `evt_` followed by 32 hex digits: one per event, shared by its deliveries.
    ///
    /// ```
    /// let id = wa_webhooks::EventId::generate();
    /// assert_eq!(id.as_str().len(), 36);
    /// ```
    EventId
);
string_id!(
    /// A delivery id, `dlv_` followed by 32 hex digits: one per (event, subscription), the same
    /// on every attempt, sent as `X-WA-Delivery` so receivers can drop duplicates.
    ///
    /// ```
    /// let id = wa_webhooks::DeliveryId::generate();
    /// assert_ne!(id, wa_webhooks::DeliveryId::generate());
    /// ```
    DeliveryId
);

/// `prefix` followed by 16 random bytes in lowercase hex.
fn random_id(prefix: &str) -> String {
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", hex::encode(bytes))
}

impl SubscriptionId {
    /// A fresh random id.
    pub fn generate() -> Self {
        Self(random_id("sub_"))
    }
}

impl EventId {
    /// A fresh random id.
    pub fn generate() -> Self {
        Self(random_id("evt_"))
    }
}

impl DeliveryId {
    /// A fresh random id.
    pub fn generate() -> Self {
        Self(random_id("dlv_"))
    }
}
