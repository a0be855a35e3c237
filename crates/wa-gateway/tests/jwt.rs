//! Login JWTs against a JWKS file: a token signed by the published Ed25519 key is accepted
//! with its role's capabilities; one signed by an unknown key (same key id), an expired one,
//! or one naming another algorithm is refused.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use axum::http::{Method, StatusCode};
use common::{call, serve, simulator, TempDir};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair as _};
use serde_json::json;
use wa_gateway::JwksSource;

fn key_pair() -> (Vec<u8>, Vec<u8>) {
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
    let public = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref())
        .unwrap()
        .public_key()
        .as_ref()
        .to_vec();
    (pkcs8.as_ref().to_vec(), public)
}

fn token(pkcs8: &[u8], kid: &str, org: &str, role: &str, exp_offset: i64) -> String {
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(kid.to_owned());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let exp = i64::try_from(now).unwrap() + exp_offset;
    jsonwebtoken::encode(
        &header,
        &json!({ "sub": "user-1", "org": org, "role": role, "exp": exp }),
        &EncodingKey::from_ed_der(pkcs8),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwts_from_the_jwks_are_accepted_and_others_refused() {
    let dir = TempDir::new("jwt");
    let (pkcs8, public) = key_pair();
    let (stranger, _) = key_pair();
    let jwks = json!({ "keys": [{
        "kty": "OKP", "crv": "Ed25519", "kid": "login-1", "alg": "EdDSA", "use": "sig",
        "x": data_encoding::BASE64URL_NOPAD.encode(&public),
    }]});
    let jwks_path = dir.0.join("jwks.json");
    std::fs::write(&jwks_path, jwks.to_string()).unwrap();
    let sim = simulator().await;
    let server = serve(&dir.0, &sim, |config| {
        config.jwks = Some(JwksSource::File(jwks_path));
    })
    .await;
    let addr = server.addr;

    let viewer = token(&pkcs8, "login-1", "acme", "viewer", 300);
    let listed = call(
        addr,
        Method::GET,
        "/api/v1/sessions",
        Some(&viewer),
        None,
        &[],
    )
    .await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.json);
    let create = call(
        addr,
        Method::POST,
        "/api/v1/sessions",
        Some(&viewer),
        None,
        &[],
    )
    .await;
    create.assert_error(StatusCode::FORBIDDEN, "forbidden");

    for (name, refused) in [
        (
            "unknown key",
            token(&stranger, "login-1", "acme", "admin", 300),
        ),
        (
            "unknown kid",
            token(&pkcs8, "login-2", "acme", "admin", 300),
        ),
        ("expired", token(&pkcs8, "login-1", "acme", "admin", -3600)),
        (
            "bad org",
            token(&pkcs8, "login-1", "no spaces allowed", "admin", 300),
        ),
    ] {
        let answer = call(
            addr,
            Method::GET,
            "/api/v1/sessions",
            Some(&refused),
            None,
            &[],
        )
        .await;
        assert_eq!(
            (answer.status, answer.code()),
            (StatusCode::UNAUTHORIZED, "unauthorized"),
            "{name}"
        );
    }
    // An HS256 token (the "alg confusion" attack uses the public key as an HMAC secret).
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("login-1".into());
    let forged = jsonwebtoken::encode(
        &header,
        &json!({ "org": "acme", "role": "admin", "exp": 4_000_000_000_u64 }),
        &EncodingKey::from_secret(&public),
    )
    .unwrap();
    let answer = call(
        addr,
        Method::GET,
        "/api/v1/sessions",
        Some(&forged),
        None,
        &[],
    )
    .await;
    assert_eq!(answer.code(), "unauthorized");
    server.stop();
}

/// A fixed 2048-bit RSA key made for this test only (`openssl genpkey -algorithm RSA`, then
/// `openssl rsa -traditional -outform DER`: PKCS#1 DER), and the JWKS publishing its public
/// half: ring cannot generate RSA keys at test time.
const RSA_KEY: &[u8] = include_bytes!("data/rs256-test-key.der");
const RSA_JWKS: &str = include_str!("data/rs256-test-jwks.json");

fn rs256_token(kid: &str, org: &str, role: &str) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_owned());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let exp = i64::try_from(now).unwrap() + 300;
    jsonwebtoken::encode(
        &header,
        &json!({ "sub": "user-2", "org": org, "role": role, "exp": exp }),
        &EncodingKey::from_rsa_der(RSA_KEY),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rs256_jwts_from_the_jwks_are_accepted_and_tampered_ones_refused() {
    let dir = TempDir::new("jwt-rs256");
    let jwks_path = dir.0.join("jwks.json");
    std::fs::write(&jwks_path, RSA_JWKS).unwrap();
    let sim = simulator().await;
    let server = serve(&dir.0, &sim, |config| {
        config.jwks = Some(JwksSource::File(jwks_path));
    })
    .await;
    let addr = server.addr;

    let admin = rs256_token("rsa-login-1", "acme", "admin");
    let created = call(
        addr,
        Method::POST,
        "/api/v1/sessions",
        Some(&admin),
        None,
        &[],
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.json);

    // The same claims with one signature byte changed, and a key id the JWKS does not have.
    let mut parts: Vec<String> = admin.split('.').map(str::to_owned).collect();
    let mut signature = data_encoding::BASE64URL_NOPAD
        .decode(parts[2].as_bytes())
        .unwrap();
    signature[10] ^= 1;
    parts[2] = data_encoding::BASE64URL_NOPAD.encode(&signature);
    let tampered = parts.join(".");
    for token in [tampered, rs256_token("rsa-login-2", "acme", "admin")] {
        let refused = call(
            addr,
            Method::GET,
            "/api/v1/sessions",
            Some(&token),
            None,
            &[],
        )
        .await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.json);
        assert_eq!(refused.json["error"]["code"], "unauthorized");
    }
}
