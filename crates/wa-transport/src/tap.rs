//! Observing a connection frame by frame (for recording and replaying sessions), and the
//! client's connect options that carry the observer and a seeded ephemeral key.

use std::fmt;
use std::sync::Arc;

use rand_chacha::ChaCha20Rng;
use rand_core::{OsRng, RngCore, SeedableRng as _};
use wa_binary::Node;
use wa_noise::{CertVerifier, IntroHeader};

/// Which way a frame went, seen from the side that owns the tap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Written by this side.
    Sent,
    /// Read from the peer.
    Received,
}

/// An observer of every Noise frame of a connection, in the order the frames were written or
/// read: the handshake messages (without a node) and every transport frame with the node it
/// carries. `frame` is the whole frame as it is on the wire: the 3-byte length prefix and the
/// payload (ciphertext after the handshake), without the client's intro header.
///
/// Frames are reported one by one even when [`NodeSender::send_many`](crate::NodeSender::send_many)
/// packs several into one WebSocket message, so what a tap sees does not depend on batching.
/// It is called on the connection's task: keep it cheap, and never log node contents from it
/// in production (they hold message ciphertexts and keys of the protocol's IQs).
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use wa_binary::Node;
/// use wa_transport::{Direction, FrameTap};
///
/// #[derive(Debug, Default)]
/// struct Count(Mutex<(usize, usize)>);
///
/// impl FrameTap for Count {
///     fn frame(&self, direction: Direction, _frame: &[u8], _node: Option<&Node<'_>>) {
///         let mut counts = self.0.lock().unwrap();
///         match direction {
///             Direction::Sent => counts.0 += 1,
///             Direction::Received => counts.1 += 1,
///         }
///     }
/// }
///
/// let tap: Arc<dyn FrameTap> = Arc::new(Count::default());
/// tap.frame(Direction::Sent, &[0, 0, 0], None);
/// ```
pub trait FrameTap: Send + Sync + fmt::Debug {
    /// A client connection's handshake begins (the WebSocket is open): the frames that
    /// follow belong to a new connection.
    fn connection_started(&self) {}

    /// One frame went by (`node` is `None` for handshake messages).
    fn frame(&self, direction: Direction, frame: &[u8], node: Option<&Node<'_>>);
}

/// A shared tap, as connections hold it.
pub(crate) type SharedTap = Option<Arc<dyn FrameTap>>;

/// Reports `payload` with its 3-byte length prefix (as it was on the wire) to `tap`.
pub(crate) fn report_payload(
    tap: &dyn FrameTap,
    direction: Direction,
    payload: &[u8],
    node: Option<&Node<'_>>,
) {
    let [_, _, _, _, _, a, b, c] = (payload.len() as u64).to_be_bytes();
    let mut frame = Vec::with_capacity(payload.len() + 3);
    frame.extend_from_slice(&[a, b, c]);
    frame.extend_from_slice(payload);
    tap.frame(direction, &frame, node);
}

/// How [`connect_with`](crate::connect_with) connects: the intro header, whom to trust and when,
/// and optionally a seed for the Noise ephemeral key and a [`FrameTap`].
///
/// ```
/// use wa_noise::{CertVerifier, IntroHeader};
/// use wa_transport::ConnectOptions;
///
/// let options = ConnectOptions::new(IntroHeader::V3, CertVerifier::whatsapp(), 1_750_000_000)
///     .with_ephemeral_seed([7; 32]);
/// assert_eq!(options.header, IntroHeader::V3);
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct ConnectOptions {
    /// Opens the connection and picks the token dictionary.
    pub header: IntroHeader,
    /// Checks the server's certificate chain.
    pub verifier: CertVerifier,
    /// Unix seconds at which the chain must be valid.
    pub now: u64,
    /// Derive the Noise ephemeral key from this seed instead of the OS generator. Only for
    /// reproducible recordings and replays: a seed used twice reuses the ephemeral key.
    pub ephemeral_seed: Option<[u8; 32]>,
    /// Sees every frame of the connection.
    pub tap: Option<Arc<dyn FrameTap>>,
}

impl ConnectOptions {
    /// Options with a fresh ephemeral key from the OS and no tap.
    #[must_use]
    pub fn new(header: IntroHeader, verifier: CertVerifier, now: u64) -> Self {
        Self {
            header,
            verifier,
            now,
            ephemeral_seed: None,
            tap: None,
        }
    }

    /// Derives the ephemeral key from `seed` (see [`ephemeral_seed`](Self::ephemeral_seed)).
    #[must_use]
    pub const fn with_ephemeral_seed(mut self, seed: [u8; 32]) -> Self {
        self.ephemeral_seed = Some(seed);
        self
    }

    /// Reports every frame to `tap`.
    #[must_use]
    pub fn with_tap(mut self, tap: Arc<dyn FrameTap>) -> Self {
        self.tap = Some(tap);
        self
    }
}

impl fmt::Debug for ConnectOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectOptions")
            .field("header", &self.header)
            .field("now", &self.now)
            .field("seeded_ephemeral", &self.ephemeral_seed.is_some())
            .field("tap", &self.tap)
            .finish_non_exhaustive()
    }
}

/// The generator a handshake draws its ephemeral key from: seeded, or the OS.
pub(crate) enum EphemeralRng {
    Seeded(Box<ChaCha20Rng>),
    Os,
}

impl EphemeralRng {
    pub(crate) fn new(seed: Option<[u8; 32]>) -> Self {
        seed.map_or(Self::Os, |seed| {
            Self::Seeded(Box::new(ChaCha20Rng::from_seed(seed)))
        })
    }
}

impl RngCore for EphemeralRng {
    fn next_u32(&mut self) -> u32 {
        match self {
            Self::Seeded(rng) => rng.next_u32(),
            Self::Os => OsRng.next_u32(),
        }
    }

    fn next_u64(&mut self) -> u64 {
        match self {
            Self::Seeded(rng) => rng.next_u64(),
            Self::Os => OsRng.next_u64(),
        }
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        match self {
            Self::Seeded(rng) => rng.fill_bytes(dest),
            Self::Os => OsRng.fill_bytes(dest),
        }
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        match self {
            Self::Seeded(rng) => rng.try_fill_bytes(dest),
            Self::Os => OsRng.try_fill_bytes(dest),
        }
    }
}

impl rand_core::CryptoRng for EphemeralRng {}
