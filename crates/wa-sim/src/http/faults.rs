//! `POST /sim/faults` and `POST /sim/restart`: faults on demand, for tests of what clients do
//! when the server misbehaves.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;

use super::error::ApiError;
use super::extract::{parse_jid, JsonBody};
use super::ApiState;
use crate::faults::{Fault, StreamErrorKind};

/// The most messages one request may arm a fault for (each is queued).
const MAX_COUNT: u32 = 10_000;
/// The longest ack delay: an hour.
const MAX_DELAY_MS: u64 = 3_600_000;
/// `per_mille` is a probability in thousandths.
const MAX_PER_MILLE: u16 = 1000;

/// `{kind, ...}`: each kind takes only its own fields. Devices are companion device JIDs (PN
/// or LID); `count` defaults to 1 and `seed` to 0.
#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub(super) enum FaultRequest {
    /// `{device}`.
    DropNow { device: String },
    /// `{device}`.
    DropBeforeRouting { device: String },
    /// `{device}`.
    DropAfterRouting { device: String },
    /// `{device, count?, delay_ms}`.
    DelayAcks {
        device: String,
        #[serde(default = "one")]
        count: u32,
        delay_ms: u64,
    },
    /// `{device, count?}`.
    WithholdAcks {
        device: String,
        #[serde(default = "one")]
        count: u32,
    },
    /// `{device, count?}`.
    CorruptDeliveries {
        device: String,
        #[serde(default = "one")]
        count: u32,
    },
    /// `{device, count?, code}`.
    RefuseMessages {
        device: String,
        #[serde(default = "one")]
        count: u32,
        code: u16,
    },
    /// `{device, error}`.
    StreamError {
        device: String,
        error: StreamErrorName,
    },
    /// `{seed?, per_mille}`; `per_mille: 0` stops random drops.
    RandomDrops {
        #[serde(default)]
        seed: u64,
        per_mille: u16,
    },
}

fn one() -> u32 {
    1
}

/// The stream errors by name.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum StreamErrorName {
    Conflict,
    DeviceRemoved,
    RestartRequired,
    ServiceUnavailable,
}

impl From<StreamErrorName> for StreamErrorKind {
    fn from(name: StreamErrorName) -> Self {
        match name {
            StreamErrorName::Conflict => Self::Conflict,
            StreamErrorName::DeviceRemoved => Self::DeviceRemoved,
            StreamErrorName::RestartRequired => Self::RestartRequired,
            StreamErrorName::ServiceUnavailable => Self::ServiceUnavailable,
        }
    }
}

impl FaultRequest {
    /// The typed fault; 400 `invalid_jid` or `invalid_fault` (a count, delay or rate out of
    /// range).
    fn fault(self) -> Result<Fault, ApiError> {
        let device = |text: &str| parse_jid("device", text);
        Ok(match self {
            Self::DropNow { device: text } => Fault::DropNow {
                device: device(&text)?,
            },
            Self::DropBeforeRouting { device: text } => Fault::DropBeforeRouting {
                device: device(&text)?,
            },
            Self::DropAfterRouting { device: text } => Fault::DropAfterRouting {
                device: device(&text)?,
            },
            Self::DelayAcks {
                device: text,
                count,
                delay_ms,
            } => {
                if delay_ms > MAX_DELAY_MS {
                    return Err(invalid(format!("delay_ms must be at most {MAX_DELAY_MS}")));
                }
                Fault::DelayAcks {
                    device: device(&text)?,
                    count: checked_count(count)?,
                    delay: Duration::from_millis(delay_ms),
                }
            }
            Self::WithholdAcks {
                device: text,
                count,
            } => Fault::WithholdAcks {
                device: device(&text)?,
                count: checked_count(count)?,
            },
            Self::CorruptDeliveries {
                device: text,
                count,
            } => Fault::CorruptDeliveries {
                device: device(&text)?,
                count: checked_count(count)?,
            },
            Self::RefuseMessages {
                device: text,
                count,
                code,
            } => Fault::RefuseMessages {
                device: device(&text)?,
                count: checked_count(count)?,
                code,
            },
            Self::StreamError {
                device: text,
                error,
            } => Fault::StreamError {
                device: device(&text)?,
                error: error.into(),
            },
            Self::RandomDrops { seed, per_mille } => {
                if per_mille > MAX_PER_MILLE {
                    return Err(invalid(format!(
                        "per_mille must be at most {MAX_PER_MILLE}"
                    )));
                }
                Fault::RandomDrops { seed, per_mille }
            }
        })
    }
}

fn checked_count(count: u32) -> Result<u32, ApiError> {
    if (1..=MAX_COUNT).contains(&count) {
        Ok(count)
    } else {
        Err(invalid(format!("count must be 1 to {MAX_COUNT}")))
    }
}

fn invalid(message: String) -> ApiError {
    ApiError::bad_request("invalid_fault", message)
}

/// Injects the fault: 204; 400 `invalid_json` (unknown kind or error, a missing or foreign
/// field), `invalid_jid` or `invalid_fault`, 404 `unknown_account` or `unknown_device` (also a
/// removed one).
pub(super) async fn inject(
    State(state): State<ApiState>,
    JsonBody(request): JsonBody<FaultRequest>,
) -> Result<StatusCode, ApiError> {
    state.simulator.inject(request.fault()?)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Closes every client connection, as a server restart does (state is kept): 204.
pub(super) async fn restart(State(state): State<ApiState>) -> StatusCode {
    state.simulator.restart();
    StatusCode::NO_CONTENT
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn parse(json: &str) -> Result<FaultRequest, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn each_kind_takes_its_fields_and_defaults() {
        let request = parse(r#"{"kind":"withhold_acks","device":"1:1@s.whatsapp.net"}"#).unwrap();
        assert!(matches!(
            request.fault().unwrap(),
            Fault::WithholdAcks { count: 1, .. }
        ));
        let request = parse(r#"{"kind":"random_drops","per_mille":5}"#).unwrap();
        assert_eq!(
            request.fault().unwrap(),
            Fault::RandomDrops {
                seed: 0,
                per_mille: 5
            }
        );
        let request =
            parse(r#"{"kind":"stream_error","device":"1:2@lid","error":"restart_required"}"#)
                .unwrap();
        assert!(matches!(
            request.fault().unwrap(),
            Fault::StreamError {
                error: StreamErrorKind::RestartRequired,
                ..
            }
        ));
    }

    #[test]
    fn unknown_kinds_and_foreign_fields_are_refused() {
        for json in [
            r#"{"kind":"explode","device":"1:1@s.whatsapp.net"}"#,
            r#"{"device":"1:1@s.whatsapp.net"}"#,
            r#"{"kind":"drop_now","device":"1:1@s.whatsapp.net","count":2}"#,
            r#"{"kind":"drop_now"}"#,
            r#"{"kind":"delay_acks","device":"1:1@s.whatsapp.net"}"#,
            r#"{"kind":"stream_error","device":"1:1@s.whatsapp.net","error":"boom"}"#,
        ] {
            assert!(parse(json).is_err(), "{json}");
        }
    }

    #[test]
    fn ranges_are_checked() {
        for json in [
            r#"{"kind":"withhold_acks","device":"1:1@s.whatsapp.net","count":0}"#,
            r#"{"kind":"withhold_acks","device":"1:1@s.whatsapp.net","count":10001}"#,
            r#"{"kind":"delay_acks","device":"1:1@s.whatsapp.net","delay_ms":3600001}"#,
            r#"{"kind":"random_drops","per_mille":1001}"#,
        ] {
            assert!(parse(json).unwrap().fault().is_err(), "{json}");
        }
    }
}
