//! The crate's error type. Messages never contain key material or payload bytes.

use core::fmt;

/// Everything that can go wrong in this crate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Framing: bad intro header, oversized frame.
    #[error("frame error: {0}")]
    Frame(#[from] FrameError),
    /// A handshake message was malformed or failed to decrypt.
    #[error("handshake error: {0}")]
    Handshake(#[from] HandshakeError),
    /// The server's certificate chain was rejected.
    #[error("certificate error: {0}")]
    Cert(#[from] CertError),
    /// A transport frame failed AES-GCM authentication (the receive counter is not advanced).
    #[error("transport frame failed authentication")]
    Decrypt,
    /// The 2^32 nonces of a direction are used up; the connection must be re-established.
    #[error("nonce counter exhausted")]
    NonceExhausted,
}

/// Framing errors. The decoder is unusable after one (it keeps returning it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// A frame's length exceeds the limit (2^24 - 1 on the wire, or the receiver's lower limit).
    #[error("frame of {len} bytes exceeds the limit of {max} bytes")]
    TooLarge {
        /// Declared or requested length.
        len: usize,
        /// The limit in force.
        max: usize,
    },
    /// The connection did not start with `57 41 06 VV` ("WA", 6, dictionary version).
    #[error("connection does not start with the WA intro header")]
    InvalidIntroHeader,
    /// The connection started with `E` but not with the edge-routing magic `45 44 00 01`.
    #[error("invalid edge-routing prefix")]
    InvalidRoutingPrefix,
    /// The edge-routing info is longer than allowed.
    #[error("edge-routing info of {len} bytes exceeds the limit of {max} bytes")]
    RoutingInfoTooLarge {
        /// Declared or requested length.
        len: usize,
        /// The limit in force.
        max: usize,
    },
}

/// The handshake-message part an error refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HandshakeField {
    /// `HandshakeMessage.clientHello` (2).
    ClientHello,
    /// `ClientHello.ephemeral` (1).
    ClientHelloEphemeral,
    /// `HandshakeMessage.serverHello` (3).
    ServerHello,
    /// `ServerHello.ephemeral` (1).
    ServerHelloEphemeral,
    /// `ServerHello.static` (2), the encrypted server static key.
    ServerHelloStatic,
    /// `ServerHello.payload` (3), the encrypted certificate chain.
    ServerHelloPayload,
    /// `HandshakeMessage.clientFinish` (4).
    ClientFinish,
    /// `ClientFinish.static` (1), the encrypted client static key.
    ClientFinishStatic,
    /// `ClientFinish.payload` (2), the encrypted `ClientPayload`.
    ClientFinishPayload,
}

impl fmt::Display for HandshakeField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::ClientHello => "clientHello",
            Self::ClientHelloEphemeral => "clientHello.ephemeral",
            Self::ServerHello => "serverHello",
            Self::ServerHelloEphemeral => "serverHello.ephemeral",
            Self::ServerHelloStatic => "serverHello.static",
            Self::ServerHelloPayload => "serverHello.payload",
            Self::ClientFinish => "clientFinish",
            Self::ClientFinishStatic => "clientFinish.static",
            Self::ClientFinishPayload => "clientFinish.payload",
        })
    }
}

/// Handshake errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HandshakeError {
    /// The bytes are not a `HandshakeMessage` protobuf.
    #[error("malformed HandshakeMessage: {0}")]
    Decode(prost::DecodeError),
    /// A required field is absent.
    #[error("handshake message lacks {0}")]
    MissingField(HandshakeField),
    /// A key field (or decrypted key) does not have the expected length.
    #[error("{field} is {len} bytes, expected {expected}")]
    InvalidLength {
        /// The field.
        field: HandshakeField,
        /// Its length.
        len: usize,
        /// The required length.
        expected: usize,
    },
    /// An encrypted field failed AES-GCM authentication.
    #[error("{0} failed authentication")]
    DecryptFailed(HandshakeField),
    /// A Diffie-Hellman result was all zeros: the peer sent a low-order point.
    #[error("peer key is a low-order point")]
    NonContributoryDh,
}

/// Which certificate of the chain a [`CertError`] refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CertKind {
    /// The intermediate certificate, signed by the trusted root.
    Intermediate,
    /// The leaf certificate, signed by the intermediate; its key is the server static key.
    Leaf,
}

impl fmt::Display for CertKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Intermediate => "intermediate",
            Self::Leaf => "leaf",
        })
    }
}

/// Certificate-chain checks, one variant per check (in the order they are made).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CertError {
    /// The payload is not a `CertChain` protobuf.
    #[error("malformed CertChain: {0}")]
    Decode(prost::DecodeError),
    /// A certificate or its details is absent.
    #[error("{0} certificate details missing")]
    MissingDetails(CertKind),
    /// A certificate's signature is absent.
    #[error("{0} certificate signature missing")]
    MissingSignature(CertKind),
    /// A signature is not 64 bytes.
    #[error("{cert} certificate signature is {len} bytes, expected 64")]
    SignatureLength {
        /// Which certificate.
        cert: CertKind,
        /// Its signature length.
        len: usize,
    },
    /// The intermediate is not signed by the trusted root.
    #[error("intermediate certificate is not signed by the trusted root")]
    IntermediateSignature,
    /// A certificate's details are not a `Details` protobuf.
    #[error("malformed {cert} certificate details: {error}")]
    DetailsDecode {
        /// Which certificate.
        cert: CertKind,
        /// Why.
        error: prost::DecodeError,
    },
    /// The intermediate's issuer serial is not the root's (0).
    #[error("intermediate issuer serial is {found}, expected {expected}")]
    IntermediateIssuerSerial {
        /// Serial in the certificate.
        found: u32,
        /// The root's serial.
        expected: u32,
    },
    /// The intermediate's key is not 32 bytes.
    #[error("intermediate key is {0} bytes, expected 32")]
    IntermediateKeyLength(usize),
    /// The leaf is not signed by the intermediate's key.
    #[error("leaf certificate is not signed by the intermediate")]
    LeafSignature,
    /// The leaf's issuer serial is not the intermediate's serial.
    #[error("leaf issuer serial is {found}, expected {expected}")]
    LeafIssuerSerial {
        /// Serial in the leaf.
        found: u32,
        /// The intermediate's serial.
        expected: u32,
    },
    /// The leaf's key is not the static key the server proved it holds.
    #[error("leaf key does not match the server static key")]
    LeafKeyMismatch,
    /// `now` is before the certificate's `notBefore`.
    #[error("{cert} certificate not valid before {not_before} (now {now})")]
    NotYetValid {
        /// Which certificate.
        cert: CertKind,
        /// Its `notBefore` (unix seconds).
        not_before: u64,
        /// The time checked.
        now: u64,
    },
    /// `now` is after the certificate's `notAfter`.
    #[error("{cert} certificate expired at {not_after} (now {now})")]
    Expired {
        /// Which certificate.
        cert: CertKind,
        /// Its `notAfter` (unix seconds).
        not_after: u64,
        /// The time checked.
        now: u64,
    },
}
