//! A plain `http://` GET for fetching a JWKS (no TLS in this build: serve the JWKS over
//! loopback or a TLS-terminating proxy, or give a file).

use std::time::Duration;

use axum::body::Body;
use http_body_util::BodyExt as _;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::error::{Error, Result};

/// The whole fetch must finish within this time.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// The largest JWKS accepted.
const MAX_BODY: usize = 1 << 20;

/// Fetches `url` and returns its body as text.
pub(crate) async fn get(url: &str) -> Result<String> {
    tokio::time::timeout(FETCH_TIMEOUT, fetch(url))
        .await
        .map_err(|_| Error::Jwks(format!("{url}: timed out")))?
}

async fn fetch(url: &str) -> Result<String> {
    let rest = url.strip_prefix("http://").ok_or_else(|| {
        Error::Jwks(format!(
            "{url}: only http:// URLs can be fetched (https needs a TLS proxy or a file)"
        ))
    })?;
    let (authority, path) = match rest.find('/') {
        Some(slash) => rest.split_at(slash),
        None => (rest, "/"),
    };
    let address = if authority.contains(':') {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    let failed = |error: &dyn std::fmt::Display| Error::Jwks(format!("{url}: {error}"));
    let stream = TcpStream::connect(&address).await.map_err(|e| failed(&e))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| failed(&e))?;
    tokio::spawn(connection);
    let request = axum::http::Request::get(path)
        .header("host", authority)
        .header("accept", "application/json")
        .body(Body::empty())
        .map_err(|e| failed(&e))?;
    let response = sender.send_request(request).await.map_err(|e| failed(&e))?;
    if !response.status().is_success() {
        return Err(failed(&response.status()));
    }
    let body = http_body_util::Limited::new(response.into_body(), MAX_BODY)
        .collect()
        .await
        .map_err(|e| failed(&e))?
        .to_bytes();
    String::from_utf8(body.to_vec()).map_err(|e| failed(&e))
}
