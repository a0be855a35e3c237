//! One HTTP attempt: POST the stored body with the signed headers and classify the answer.

use reqwest::header::CONTENT_TYPE;

use crate::signature::headers;
use crate::store::Claimed;
use crate::{sign, UnixMillis};

/// How one attempt ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The receiver answered 2xx.
    Delivered(u16),
    /// Anything else: a non-2xx status (redirects included: they are not followed), a timeout,
    /// or a connection that failed or closed before an answer.
    Failed { status: Option<u16>, reason: String },
}

/// Sends `claimed` once, signed at `now`.
pub(crate) async fn post(client: &reqwest::Client, claimed: &Claimed, now: UnixMillis) -> Outcome {
    let timestamp = now.as_secs().to_string();
    let signature = sign(&claimed.secret, &timestamp, claimed.body.as_bytes());
    let request = client
        .post(&claimed.url)
        .header(CONTENT_TYPE, "application/json")
        .header(headers::EVENT, &claimed.event_type)
        .header(headers::DELIVERY, claimed.id.as_str())
        .header(headers::TIMESTAMP, &timestamp)
        .header(headers::SIGNATURE, signature)
        .body(claimed.body.clone());
    match request.send().await {
        Ok(response) => {
            let status = response.status();
            if status.is_success() {
                Outcome::Delivered(status.as_u16())
            } else {
                Outcome::Failed {
                    status: Some(status.as_u16()),
                    reason: format!("status {}", status.as_u16()),
                }
            }
        }
        Err(e) => Outcome::Failed {
            status: None,
            reason: classify(&e).to_owned(),
        },
    }
}

/// A short, URL-free reason for a transport error (reqwest's messages include the URL, which
/// may carry a token).
fn classify(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect"
    } else if e.is_builder() {
        "bad request"
    } else {
        // A connection closed before the answer, a malformed answer, …
        "connection"
    }
}
