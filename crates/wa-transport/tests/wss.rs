//! `wss://` URLs (WhatsApp's) go through TLS: a server that is not TLS gives a typed error, not
//! a panic (which is what a missing TLS crypto provider would do) and not "unsupported scheme".

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpListener;
use wa_noise::{CertVerifier, IntroHeader, KeyPair};
use wa_proto::wa6::ClientPayload;
use wa_transport::Error;

#[tokio::test]
async fn a_wss_url_speaks_tls_and_fails_cleanly_against_a_plain_server() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        // Not a TLS server hello.
        let _ = socket.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
    });
    let key = KeyPair::generate(&mut rand_core::OsRng);
    let result = wa_transport::connect(
        &format!("wss://127.0.0.1:{}/ws/chat", addr.port()),
        key,
        IntroHeader::V3,
        &CertVerifier::whatsapp(),
        &ClientPayload::default(),
        0,
    )
    .await;
    match result {
        Err(Error::WebSocket(error)) => {
            let text = error.to_string();
            assert!(!text.contains("URL scheme not supported"), "{text}");
        }
        Err(other) => panic!("expected a TLS / WebSocket error, got {other}"),
        Ok(_) => panic!("a plain TCP server cannot complete a TLS handshake"),
    }
}
