//! The frame tap and seeded ephemerals: a tap sees every frame one by one (handshake messages
//! without a node, batched frames separately) exactly as the peer received them, and two
//! handshakes with the same seeds and keys write the same bytes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng as _;
use tokio::net::TcpListener;
use wa_binary::Node;
use wa_noise::{CertChainBuilder, CertVerifier, IntroHeader, KeyPair, PrivateKey};
use wa_proto::wa6::ClientPayload;
use wa_transport::{accept_seeded, connect_with, ConnectOptions, Direction, FrameTap};

const NOW: u64 = 1_750_000_000;
const TIMEOUT: Duration = Duration::from_secs(20);

/// One frame a tap saw: direction, bytes, the node as text.
type Seen = (Direction, Vec<u8>, Option<String>);

/// Every frame a tap saw.
#[derive(Debug, Default)]
struct Recorded(Mutex<Vec<Seen>>);

impl FrameTap for Recorded {
    fn frame(&self, direction: Direction, frame: &[u8], node: Option<&Node<'_>>) {
        self.0
            .lock()
            .unwrap()
            .push((direction, frame.to_vec(), node.map(ToString::to_string)));
    }
}

/// Runs one connection with fixed keys and ephemeral seeds against `accept_seeded`: the client
/// sends a batch of two nodes in one WebSocket message and receives one node. Returns what the
/// client's tap saw.
async fn one_connection(client_seed: [u8; 32]) -> Vec<Seen> {
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let root = PrivateKey::generate(&mut rng);
    let server_static = KeyPair::generate(&mut rng);
    let chain = CertChainBuilder::new(root.clone(), KeyPair::generate(&mut rng))
        .validity(1_700_000_000, 1_900_000_000)
        .build(server_static.public_key(), &mut rng);
    let client_static = KeyPair::generate(&mut rng);

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/ws/chat", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let mut conn = accept_seeded(stream, server_static, &chain, [9; 32])
            .await
            .unwrap();
        let first = conn.recv().await.unwrap().unwrap();
        let second = conn.recv().await.unwrap().unwrap();
        conn.send(&Node::new("ack").with_attr("id", "2"))
            .await
            .unwrap();
        (first.tag().to_owned(), second.tag().to_owned())
    });

    let tap = Arc::new(Recorded::default());
    let options = ConnectOptions::new(IntroHeader::V3, CertVerifier::new(root.public_key()), NOW)
        .with_ephemeral_seed(client_seed)
        .with_tap(tap.clone());
    let payload = ClientPayload {
        passive: Some(true),
        ..ClientPayload::default()
    };
    let mut conn = connect_with(&url, client_static, &payload, &options)
        .await
        .unwrap();
    let batch = [
        Node::new("iq").with_attr("id", "1"),
        Node::new("message").with_attr("id", "2"),
    ];
    conn.send_many(&batch).await.unwrap();
    let ack = tokio::time::timeout(TIMEOUT, conn.recv())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(ack.tag(), "ack");
    let tags = tokio::time::timeout(TIMEOUT, server)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(tags, ("iq".to_owned(), "message".to_owned()));
    let frames = tap.0.lock().unwrap().clone();
    frames
}

#[tokio::test]
async fn the_tap_sees_each_frame_and_seeded_handshakes_repeat() {
    let first = one_connection([1; 32]).await;
    let kinds: Vec<(Direction, Option<&str>)> = first
        .iter()
        .map(|(direction, _, node)| (*direction, node.as_deref()))
        .collect();
    assert_eq!(
        kinds,
        [
            (Direction::Sent, None),
            (Direction::Received, None),
            (Direction::Sent, None),
            (Direction::Sent, Some("<iq id=\"1\"/>")),
            (Direction::Sent, Some("<message id=\"2\"/>")),
            (Direction::Received, Some("<ack id=\"2\"/>")),
        ]
    );
    for (_, frame, _) in &first {
        let length =
            usize::from(frame[0]) << 16 | usize::from(frame[1]) << 8 | usize::from(frame[2]);
        assert_eq!(length + 3, frame.len(), "each report is one whole frame");
    }
    // The client hello is the ephemeral key: without the intro header, 32 bytes in a
    // HandshakeMessage.
    assert!(first[0].1.len() < 48);

    let again = one_connection([1; 32]).await;
    assert_eq!(first, again, "same seeds, same bytes both ways");
    let other = one_connection([2; 32]).await;
    assert_ne!(first[0].1, other[0].1, "another seed, another ephemeral");
}
