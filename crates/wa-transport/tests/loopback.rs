//! Client and server over a real WebSocket on 127.0.0.1: the handshake with dictionaries v3 and
//! v2, nodes both ways (a 300 KB node, a batch), certificate rejection, and a hand-written
//! server (wa-noise used directly) that sends frames split across messages, zlib frames and
//! garbage after the handshake.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::io::Write as _;
use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use prost::Message as _;
use rand_core::OsRng;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;
use wa_binary::{encode_frame, Dictionary, Node};
use wa_noise::{
    CertChainBuilder, CertVerifier, FrameDecoder, FrameEncoder, IntroHeader, KeyPair, PrivateKey,
    ServerHandshake, Transport,
};
use wa_proto::wa6::{client_payload, ClientPayload};
use wa_transport::{accept, connect, Error, ProtocolError, ServerConnection};

const NOW: u64 = 1_750_000_000;
/// Every await on the network is bounded, so a bug fails the test instead of hanging it.
const TIMEOUT: Duration = Duration::from_secs(20);

/// A test root, the server static key it certifies (through an intermediate), the chain.
struct Pki {
    root: PrivateKey,
    server_static: KeyPair,
    chain: Vec<u8>,
}

impl Pki {
    fn new() -> Self {
        let root = PrivateKey::generate(&mut OsRng);
        let server_static = KeyPair::generate(&mut OsRng);
        let chain = CertChainBuilder::new(root.clone(), KeyPair::generate(&mut OsRng))
            .validity(1_700_000_000, 1_900_000_000)
            .build(server_static.public_key(), &mut OsRng);
        Self {
            root,
            server_static,
            chain,
        }
    }

    fn verifier(&self) -> CertVerifier {
        CertVerifier::new(self.root.public_key())
    }
}

/// A login payload with the common part PROTOCOL.md section 1 lists.
fn login_payload() -> ClientPayload {
    ClientPayload {
        username: Some(15_550_001_111),
        device: Some(3),
        passive: Some(true),
        pull: Some(true),
        connect_type: Some(1),
        connect_reason: Some(1),
        user_agent: Some(client_payload::UserAgent {
            platform: Some(14),
            app_version: Some(client_payload::user_agent::AppVersion {
                primary: Some(2),
                secondary: Some(3000),
                tertiary: Some(1_045_649_367),
                ..Default::default()
            }),
            mcc: Some("000".into()),
            mnc: Some("000".into()),
            os_version: Some("0.1".into()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

async fn listen() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/ws/chat", listener.local_addr().unwrap());
    (listener, url)
}

async fn timed<F: std::future::Future>(future: F) -> F::Output {
    tokio::time::timeout(TIMEOUT, future)
        .await
        .expect("timed out")
}

/// Spawns a server that accepts one connection with `wa_transport::accept` and runs `body`.
fn spawn_server<F, Fut>(listener: TcpListener, pki: &Pki, body: F) -> JoinHandle<()>
where
    F: FnOnce(ServerConnection) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let server_static = pki.server_static.clone();
    let chain = pki.chain.clone();
    tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let conn = timed(accept(stream, server_static, &chain)).await.unwrap();
        body(conn).await;
    })
}

/// Spawns a server whose handshake is expected to fail (the client hangs up instead of sending
/// its finish); the task returns the server's error.
fn spawn_failing_server(listener: TcpListener, pki: &Pki) -> JoinHandle<Error> {
    let server_static = pki.server_static.clone();
    let chain = pki.chain.clone();
    tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        timed(accept(stream, server_static, &chain))
            .await
            .unwrap_err()
    })
}

fn iq(id: &str) -> Node<'static> {
    Node::new("iq")
        .with_attr("id", id.to_owned())
        .with_attr("type", "get")
        .with_attr("xmlns", "w:p")
        .with_children(vec![Node::new("ping")])
}

async fn round_trip(header: IntroHeader) {
    let pki = Pki::new();
    let (listener, url) = listen().await;
    let client_static = KeyPair::generate(&mut OsRng);
    let expected_client_key = *client_static.public_key();
    let expected_dict = Dictionary::from_header_version(header.dict_version()).unwrap();

    let (hash_tx, hash_rx) = tokio::sync::oneshot::channel();
    let server = spawn_server(listener, &pki, move |conn| async move {
        assert_eq!(conn.client_payload(), &login_payload());
        assert_eq!(conn.client_static(), &expected_client_key);
        assert_eq!(conn.intro_header(), header);
        assert_eq!(conn.dictionary(), expected_dict);
        assert_eq!(conn.routing_info(), None);
        hash_tx.send(*conn.handshake_hash()).unwrap();

        // Echo every node back until the client closes.
        let (mut tx, mut rx) = conn.into_split();
        while let Some(node) = timed(rx.recv()).await.unwrap() {
            timed(tx.send(&node)).await.unwrap();
        }
        assert_eq!(rx.frames_received(), tx.frames_sent());
    });

    let mut conn = timed(connect(
        &url,
        client_static,
        header,
        &pki.verifier(),
        &login_payload(),
        NOW,
    ))
    .await
    .unwrap();
    assert_eq!(conn.dictionary(), expected_dict);
    assert_eq!(conn.server_static(), pki.server_static.public_key());
    assert_eq!(&hash_rx.await.unwrap(), conn.handshake_hash());

    // One node, then a 300 KB bytes node (one frame far larger than a TCP segment or a
    // default read buffer), then a batch of three frames in one WebSocket message.
    let ping = iq("1");
    timed(conn.send(&ping)).await.unwrap();
    assert_eq!(timed(conn.recv()).await.unwrap().unwrap(), ping);

    let blob: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let media = Node::new("media")
        .with_attr("id", "big")
        .with_bytes(blob.clone());
    timed(conn.send(&media)).await.unwrap();
    let echoed = timed(conn.recv()).await.unwrap().unwrap();
    assert_eq!(echoed.bytes(), Some(blob.as_slice()));

    let batch = vec![iq("a"), iq("b"), Node::new("ack").with_attr("id", "c")];
    timed(conn.send_many(&batch)).await.unwrap();
    for expected in &batch {
        assert_eq!(&timed(conn.recv()).await.unwrap().unwrap(), expected);
    }
    timed(conn.send_many(&[])).await.unwrap();

    let (mut tx, mut rx) = conn.into_split();
    timed(tx.close()).await.unwrap();
    // The server closes in turn: a clean end of stream.
    assert!(timed(rx.recv()).await.unwrap().is_none());
    timed(server).await.unwrap();
}

#[tokio::test]
async fn handshake_and_nodes_dictionary_v3() {
    round_trip(IntroHeader::V3).await;
}

#[tokio::test]
async fn handshake_and_nodes_dictionary_v2() {
    round_trip(IntroHeader::V2).await;
}

#[tokio::test]
async fn client_rejects_chain_from_another_root() {
    let pki = Pki::new();
    let other = Pki::new();
    let (listener, url) = listen().await;
    let server = spawn_failing_server(listener, &pki);

    let result = timed(connect(
        &url,
        KeyPair::generate(&mut OsRng),
        IntroHeader::V3,
        &other.verifier(),
        &login_payload(),
        NOW,
    ))
    .await;
    match result {
        Err(Error::Noise(wa_noise::Error::Cert(wa_noise::CertError::IntermediateSignature))) => {}
        other => panic!("expected a certificate error, got {other:?}"),
    }
    let server_error = timed(server).await.unwrap();
    assert!(
        matches!(server_error, Error::Closed | Error::WebSocket(_)),
        "{server_error:?}"
    );
}

#[tokio::test]
async fn client_rejects_expired_chain() {
    let pki = Pki::new();
    let (listener, url) = listen().await;
    let server = spawn_failing_server(listener, &pki);
    let result = timed(connect(
        &url,
        KeyPair::generate(&mut OsRng),
        IntroHeader::V3,
        &pki.verifier(),
        &login_payload(),
        2_000_000_000,
    ))
    .await;
    assert!(
        matches!(
            result,
            Err(Error::Noise(wa_noise::Error::Cert(
                wa_noise::CertError::Expired { .. }
            )))
        ),
        "{result:?}"
    );
    let server_error = timed(server).await.unwrap();
    assert!(
        matches!(server_error, Error::Closed | Error::WebSocket(_)),
        "{server_error:?}"
    );
}

#[tokio::test]
async fn unknown_dictionary_is_refused_before_dialing() {
    // Port 9 on loopback: nothing is dialled, the header is checked first.
    let result = connect(
        "ws://127.0.0.1:9/ws/chat",
        KeyPair::generate(&mut OsRng),
        IntroHeader::new(7),
        &Pki::new().verifier(),
        &login_payload(),
        NOW,
    )
    .await;
    assert!(
        matches!(
            result,
            Err(Error::Protocol(ProtocolError::UnsupportedDictionary(7)))
        ),
        "{result:?}"
    );
}

// ---- A hand-written server: wa-noise and tokio-tungstenite directly, to send what
// ---- `NodeSender` never would.

struct RawServer {
    ws: WebSocketStream<TcpStream>,
    transport: Transport,
    /// The decoder that read the handshake, kept for the client's transport frames.
    frames: FrameDecoder,
}

impl RawServer {
    async fn accept(listener: TcpListener, pki: &Pki) -> Self {
        let (stream, _) = listener.accept().await.unwrap();
        let mut ws = tokio_tungstenite::accept_async(stream).await.unwrap();
        let mut frames = FrameDecoder::server();
        let hello = next_frame(&mut ws, &mut frames).await;
        let header = frames.intro_header().unwrap();
        let handshake = ServerHandshake::new(pki.server_static.clone(), header, &mut OsRng)
            .read_client_hello(&hello)
            .unwrap();
        let (handshake, server_hello) = handshake.write_server_hello(&pki.chain).unwrap();
        let mut out = Vec::new();
        FrameEncoder::without_intro()
            .encode(&server_hello, &mut out)
            .unwrap();
        ws.send(Message::Binary(out)).await.unwrap();
        let finish = next_frame(&mut ws, &mut frames).await;
        let outcome = handshake.read_client_finish(&finish).unwrap();
        Self {
            ws,
            transport: outcome.transport,
            frames,
        }
    }

    /// An encrypted frame (length prefix included) of `plaintext`.
    fn frame(&mut self, plaintext: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        self.transport.encrypt_frame(plaintext, &mut out).unwrap();
        out
    }

    fn node_frame(&mut self, node: &Node<'_>) -> Vec<u8> {
        let mut plaintext = Vec::new();
        encode_frame(node, Dictionary::V3, &mut plaintext).unwrap();
        self.frame(&plaintext)
    }

    async fn send(&mut self, message: Message) {
        self.ws.send(message).await.unwrap();
    }
}

async fn next_frame(ws: &mut WebSocketStream<TcpStream>, frames: &mut FrameDecoder) -> Vec<u8> {
    loop {
        if let Some(frame) = frames.next_frame().unwrap() {
            return frame.to_vec();
        }
        match ws.next().await.unwrap().unwrap() {
            Message::Binary(bytes) => frames.push(&bytes).unwrap(),
            other => panic!("unexpected {other:?}"),
        }
    }
}

/// Runs `server` against a client connected with dictionary v3, and returns the client.
async fn with_raw_server<F, Fut>(
    server: F,
) -> (wa_transport::ClientConnection, JoinHandle<RawServer>)
where
    F: FnOnce(RawServer) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = RawServer> + Send,
{
    let pki = Pki::new();
    let (listener, url) = listen().await;
    let verifier = pki.verifier();
    let server = tokio::spawn(async move {
        let raw = RawServer::accept(listener, &pki).await;
        server(raw).await
    });
    let conn = timed(connect(
        &url,
        KeyPair::generate(&mut OsRng),
        IntroHeader::V3,
        &verifier,
        &login_payload(),
        NOW,
    ))
    .await
    .unwrap();
    (conn, server)
}

#[tokio::test]
async fn frames_split_across_messages_and_zlib_frames_are_decoded() {
    let first = iq("split");
    let second = iq("same-message");
    let third = Node::new("notification").with_attr("id", "zlib");
    let expected = [first.clone(), second.clone(), third.clone()];
    let (mut conn, server) = with_raw_server(move |mut raw| async move {
        // Frame 1 cut in three messages, the last also carrying frame 2 whole and the first
        // byte of frame 3 (a zlib frame: flag 0x02, then the deflated node).
        let one = raw.node_frame(&first);
        let two = raw.node_frame(&second);
        let mut node = Vec::new();
        encode_frame(&third, Dictionary::V3, &mut node).unwrap();
        let mut deflate =
            flate2::write::ZlibEncoder::new(vec![0x02], flate2::Compression::default());
        deflate.write_all(&node[1..]).unwrap();
        let three = raw.frame(&deflate.finish().unwrap());

        raw.send(Message::Binary(one[..2].to_vec())).await;
        raw.send(Message::Ping(b"keepalive".to_vec())).await;
        raw.send(Message::Binary(one[2..10].to_vec())).await;
        let mut tail = one[10..].to_vec();
        tail.extend_from_slice(&two);
        tail.push(three[0]);
        raw.send(Message::Binary(tail)).await;
        raw.send(Message::Binary(three[1..].to_vec())).await;
        raw
    })
    .await;
    for node in &expected {
        assert_eq!(&timed(conn.recv()).await.unwrap().unwrap(), node);
    }
    timed(server).await.unwrap();
}

#[tokio::test]
async fn send_many_is_one_websocket_message() {
    let batch = vec![iq("x"), iq("y"), iq("z")];
    let expected = batch.clone();
    let (mut conn, server) = with_raw_server(move |mut raw| async move {
        let Message::Binary(bytes) = timed(raw.ws.next()).await.unwrap().unwrap() else {
            panic!("expected a binary message");
        };
        raw.frames.push(&bytes).unwrap();
        for node in &expected {
            let frame = raw.frames.next_frame().unwrap().unwrap();
            let plaintext = raw.transport.decrypt_in_place(frame).unwrap();
            assert_eq!(
                &wa_binary::decode_frame(plaintext, Dictionary::V3).unwrap(),
                node
            );
        }
        assert!(raw.frames.next_frame().unwrap().is_none());
        raw
    })
    .await;
    timed(conn.send_many(&batch)).await.unwrap();
    timed(server).await.unwrap();
}

/// What a misbehaving server sends after a good handshake.
#[derive(Debug, Clone, Copy)]
enum Garbage {
    /// Random bytes behind a valid length prefix: fails authentication.
    BadCiphertext,
    /// A frame shorter than the GCM tag.
    ShortFrame,
    /// A well-encrypted frame whose plaintext is not a node.
    NotANode,
    /// A WebSocket text message.
    Text,
    /// Half a frame, then a clean WebSocket close.
    TruncatedThenClose,
}

async fn client_error_after(garbage: Garbage) -> Error {
    let (mut conn, server) = with_raw_server(move |mut raw| async move {
        let message = match garbage {
            Garbage::BadCiphertext => {
                let mut bytes = vec![0, 0, 40];
                bytes.extend((0u8..40).map(|i| i.wrapping_mul(37)));
                Message::Binary(bytes)
            }
            Garbage::ShortFrame => Message::Binary(vec![0, 0, 3, 1, 2, 3]),
            Garbage::NotANode => Message::Binary(raw.frame(&[0x00, 0xf8, 0x00, 0xff])),
            Garbage::Text => Message::Text("<iq/>".into()),
            Garbage::TruncatedThenClose => {
                let frame = raw.node_frame(&iq("cut"));
                Message::Binary(frame[..frame.len() / 2].to_vec())
            }
        };
        raw.send(message).await;
        if let Garbage::TruncatedThenClose = garbage {
            raw.ws.close(None).await.unwrap();
        }
        raw
    })
    .await;
    let error = timed(conn.recv()).await.unwrap_err();
    // The server task is done (or its socket is); the client must not hang or panic.
    timed(server).await.unwrap();
    error
}

#[tokio::test]
async fn garbage_after_handshake_is_a_typed_error() {
    let error = client_error_after(Garbage::BadCiphertext).await;
    assert!(
        matches!(error, Error::Noise(wa_noise::Error::Decrypt)),
        "{error:?}"
    );
    let error = client_error_after(Garbage::ShortFrame).await;
    assert!(matches!(error, Error::Noise(_)), "{error:?}");
    let error = client_error_after(Garbage::NotANode).await;
    assert!(matches!(error, Error::Node(_)), "{error:?}");
    let error = client_error_after(Garbage::Text).await;
    assert!(
        matches!(error, Error::Protocol(ProtocolError::TextMessage)),
        "{error:?}"
    );
    let error = client_error_after(Garbage::TruncatedThenClose).await;
    assert!(
        matches!(error, Error::Protocol(ProtocolError::TruncatedFrame { .. })),
        "{error:?}"
    );
}

#[tokio::test]
async fn server_reads_edge_routing_prefix() {
    // A hand-written client: the routing prefix goes before the intro header.
    let pki = Pki::new();
    let (listener, url) = listen().await;
    let server_static = pki.server_static.clone();
    let chain = pki.chain.clone();
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let mut conn = timed(accept(stream, server_static, &chain)).await.unwrap();
        assert_eq!(conn.routing_info(), Some(&[8u8, 1, 8, 2][..]));
        assert_eq!(conn.intro_header(), IntroHeader::V2);
        assert_eq!(conn.client_payload(), &login_payload());
        timed(conn.recv()).await.unwrap().unwrap()
    });

    let (mut ws, _) = tokio_tungstenite::connect_async(url.as_str())
        .await
        .unwrap();
    let header = IntroHeader::V2;
    let mut encoder = FrameEncoder::with_routing_info(header, &[8, 1, 8, 2]).unwrap();
    let (handshake, hello) =
        wa_noise::ClientHandshake::new(KeyPair::generate(&mut OsRng), header, &mut OsRng)
            .write_client_hello();
    let mut out = Vec::new();
    encoder.encode(&hello, &mut out).unwrap();
    ws.send(Message::Binary(out)).await.unwrap();
    let Message::Binary(bytes) = ws.next().await.unwrap().unwrap() else {
        panic!("expected a binary message");
    };
    let mut frames = FrameDecoder::new();
    frames.push(&bytes).unwrap();
    let server_hello = frames.next_frame().unwrap().unwrap().to_vec();
    let handshake = handshake
        .read_server_hello(&server_hello, &pki.verifier(), NOW)
        .unwrap();
    let (mut transport, finish) = handshake
        .write_client_finish(&login_payload().encode_to_vec())
        .unwrap();
    let mut out = Vec::new();
    encoder.encode(&finish, &mut out).unwrap();
    // The first transport frame rides in the same WebSocket message as the finish.
    let mut node = Vec::new();
    encode_frame(&iq("routed"), Dictionary::V2, &mut node).unwrap();
    transport.encrypt_frame(&node, &mut out).unwrap();
    ws.send(Message::Binary(out)).await.unwrap();

    assert_eq!(timed(server).await.unwrap(), iq("routed"));
}
