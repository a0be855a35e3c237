//! The crate's one error type. Each variant that a request can cause carries its stable API
//! code and HTTP status ([`Error::code`], [`Error::status`]); the rest are the gateway's own
//! failures, answered as `internal` 500 without their details. Messages never hold message
//! text, tokens or key material.

use axum::http::StatusCode;
use serde_json::Value;

/// Everything the gateway can refuse or fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The session or message is unknown, or not owned by the caller's organization.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request is malformed (bad JSON, a missing or wrong field, a bad header).
    #[error("{message}")]
    InvalidRequest {
        /// What is wrong, in words.
        message: String,
        /// Machine-readable details (e.g. the field), or `null`.
        details: Value,
    },
    /// A reaction to or admin revoke of another member's group message without its author.
    #[error("the target is another member's group message: `sender` (its author) is required")]
    MissingParticipant,
    /// A WhatsApp message id that is empty, too long or not ASCII letters and digits.
    #[error("invalid message id")]
    InvalidMessageId,
    /// A JID that does not parse or is of the wrong kind here.
    #[error("invalid JID in `{0}`")]
    InvalidJid(&'static str),
    /// No credentials, or credentials that are not valid.
    #[error("missing or invalid credentials")]
    Unauthorized,
    /// Valid credentials without the capability this route needs.
    #[error("the credentials lack the `{0}` capability")]
    Forbidden(&'static str),
    /// Too many requests for this token.
    #[error("rate limit exceeded: at most {limit} requests a minute")]
    RateLimited {
        /// The configured limit per minute.
        limit: u32,
        /// Seconds until a request is accepted again.
        retry_after: u64,
    },
    /// The session is not connected (pairing, reconnecting, stopped).
    #[error("the session is not connected")]
    Disconnected,
    /// The WhatsApp server refused or did not acknowledge the send.
    #[error("the send failed: {0}")]
    SendFailed(String),
    /// The WhatsApp server refused the message (its ack carried an error code); answered as
    /// `send_failed` with the code and the refused message's id in the details.
    #[error("the send failed: the server refused it ({code})")]
    Refused {
        /// The server's error code.
        code: u16,
        /// The WhatsApp message id the refused message had.
        message_id: Option<String>,
    },
    /// The gateway database failed.
    #[error("database: {0}")]
    Db(#[from] rusqlite::Error),
    /// The engine's key store failed.
    #[error("key store: {0}")]
    Store(#[from] wa_store::Error),
    /// The engine failed in a way that is not the caller's input.
    #[error("session engine: {0}")]
    Session(wa_session::Error),
    /// A JWKS could not be read or parsed.
    #[error("JWKS: {0}")]
    Jwks(String),
    /// The webhook queue failed.
    #[error("webhooks: {0}")]
    Webhooks(#[from] wa_webhooks::Error),
    /// A file or socket failed.
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    /// A stored value that cannot be read back (a bug or a hand-edited file).
    #[error("corrupt gateway record: {0}")]
    Corrupt(&'static str),
    /// The gateway database thread or a session task has stopped.
    #[error("the gateway is shutting down")]
    Closed,
}

impl Error {
    /// A 400 `invalid_request` with no details.
    #[must_use]
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::InvalidRequest {
            message: message.into(),
            details: Value::Null,
        }
    }

    /// The stable API code of this error.
    ///
    /// ```
    /// use wa_gateway::Error;
    /// assert_eq!(Error::InvalidMessageId.code(), "invalid_message_id");
    /// assert_eq!(Error::NotFound("session").status().as_u16(), 404);
    /// ```
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound(_) => "not_found",
            Self::InvalidRequest { .. } => "invalid_request",
            Self::MissingParticipant => "missing_participant",
            Self::InvalidMessageId => "invalid_message_id",
            Self::InvalidJid(_) => "invalid_jid",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::RateLimited { .. } => "rate_limited",
            Self::Disconnected => "disconnected",
            Self::SendFailed(_) | Self::Refused { .. } => "send_failed",
            Self::Db(_)
            | Self::Store(_)
            | Self::Session(_)
            | Self::Jwks(_)
            | Self::Webhooks(_)
            | Self::Io(_)
            | Self::Corrupt(_)
            | Self::Closed => "internal",
        }
    }

    /// The HTTP status of this error.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::InvalidRequest { .. }
            | Self::MissingParticipant
            | Self::InvalidMessageId
            | Self::InvalidJid(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Disconnected | Self::Closed => StatusCode::SERVICE_UNAVAILABLE,
            Self::SendFailed(_) | Self::Refused { .. } => StatusCode::BAD_GATEWAY,
            Self::Db(_)
            | Self::Store(_)
            | Self::Session(_)
            | Self::Jwks(_)
            | Self::Webhooks(_)
            | Self::Io(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Corrupt(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Machine-readable details for the envelope.
    #[must_use]
    pub fn details(&self) -> Value {
        match self {
            Self::InvalidRequest { details, .. } => details.clone(),
            Self::InvalidJid(field) => serde_json::json!({ "field": field }),
            Self::Forbidden(capability) => serde_json::json!({ "capability": capability }),
            Self::RateLimited { limit, retry_after } => {
                serde_json::json!({ "limitPerMinute": limit, "retryAfterSeconds": retry_after })
            }
            Self::Refused { code, message_id } => {
                serde_json::json!({ "serverCode": code, "waMessageId": message_id })
            }
            _ => Value::Null,
        }
    }
}

impl From<wa_session::Error> for Error {
    /// Sorts the engine's refusals into the API's codes: input errors are 4xx, the server's
    /// refusals `send_failed`, the connection's state `disconnected`.
    fn from(error: wa_session::Error) -> Self {
        use wa_session::Error as E;
        match error {
            E::Jid(_) | E::NotADevice(_) | E::WrongAddressing(_) => Self::InvalidJid("chat"),
            E::InvalidMessageId(_) => Self::InvalidMessageId,
            E::MissingParticipant => Self::MissingParticipant,
            E::InvalidEmoji => Self::InvalidRequest {
                message: error.to_string(),
                details: serde_json::json!({ "field": "emoji" }),
            },
            E::EmptyText => Self::InvalidRequest {
                message: error.to_string(),
                details: serde_json::json!({ "field": "text" }),
            },
            E::ParticipantAddressing { .. } => Self::InvalidRequest {
                message: error.to_string(),
                details: serde_json::json!({ "field": "sender" }),
            },
            E::UnsupportedTarget(_) => Self::InvalidRequest {
                message: error.to_string(),
                details: serde_json::json!({ "reason": "unsupported_target" }),
            },
            E::NotGroupAdmin => Self::InvalidRequest {
                message: error.to_string(),
                details: serde_json::json!({ "reason": "not_group_admin" }),
            },
            E::Disconnected => Self::Disconnected,
            E::ServerError { code, message_id } => Self::Refused {
                code,
                message_id: message_id.map(|id| id.as_str().to_owned()),
            },
            E::Timeout => Self::SendFailed("no acknowledgement from the server in time".into()),
            E::Iq { code, .. } => Self::SendFailed(format!("the server answered {code}")),
            other => Self::Session(other),
        }
    }
}

/// This crate's result type.
pub type Result<T, E = Error> = core::result::Result<T, E>;
