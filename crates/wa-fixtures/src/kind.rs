//! Recognises a fixture file's format from its content (never from its file name), so that
//! other vector sets in the same formats replay too.

use serde_json::Value;

/// The fixture formats the replayer understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FixtureKind {
    /// `encodeBinaryNode` vectors: `cases[]` with `input`, `encoded`, `decoded`, plus
    /// `decodeOnly[]` and `quirks[]`.
    BinaryNodes,
    /// A token dictionary dump (Baileys' `singleByte`/`doubleByte` or the
    /// `single_byte`/`double_byte` layout of `tokens_v3.json`).
    Tokens,
    /// `Message{reactionMessage}` protobuf vectors.
    ProtoReaction,
    /// `Message{protocolMessage{REVOKE}}` protobuf vectors.
    ProtoRevoke,
    /// A recorded Noise XX handshake with every key.
    NoiseHandshake,
    /// Captured outgoing `<message>` stanzas.
    StanzasSend,
    /// Signal 1:1 sessions with every private key (replayed by a later issue).
    Signal1to1,
    /// Signal sender-key group sessions (replayed by a later issue).
    SignalGroup,
    /// A vector set's manifest: the SHA-256 of every file in it.
    Manifest,
}

impl FixtureKind {
    /// Short name used in reports.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::BinaryNodes => "binary_nodes",
            Self::Tokens => "tokens",
            Self::ProtoReaction => "proto_reaction",
            Self::ProtoRevoke => "proto_revoke",
            Self::NoiseHandshake => "noise_handshake",
            Self::StanzasSend => "stanzas_send",
            Self::Signal1to1 => "signal_1to1",
            Self::SignalGroup => "signal_group",
            Self::Manifest => "manifest",
        }
    }

    /// Detects the kind of a parsed fixture file, or `None` if it matches no known format.
    #[must_use]
    pub fn detect(doc: &Value) -> Option<Self> {
        let has = |key: &str| doc.get(key).is_some();
        let first_case = doc
            .get("cases")
            .and_then(Value::as_array)
            .and_then(|c| c.first());
        let case_has = |key: &str| first_case.is_some_and(|c| c.get(key).is_some());
        if (has("singleByte") && has("doubleByte")) || (has("single_byte") && has("double_byte")) {
            Some(Self::Tokens)
        } else if has("keys") && doc.pointer("/messages/clientHello").is_some() {
            Some(Self::NoiseHandshake)
        } else if case_has("reactionMessageHex") {
            Some(Self::ProtoReaction)
        } else if case_has("protocolMessageHex") {
            Some(Self::ProtoRevoke)
        } else if case_has("encoded") && case_has("input") {
            Some(Self::BinaryNodes)
        } else if has("scenarios") && doc.pointer("/scenarios/0/capturedHex").is_some() {
            Some(Self::StanzasSend)
        } else if has("alice") && has("senderKeyRandomness") {
            Some(Self::SignalGroup)
        } else if has("alice") && has("peers") {
            Some(Self::Signal1to1)
        } else if doc.pointer("/files/0/sha256").is_some() {
            Some(Self::Manifest)
        } else {
            None
        }
    }
}
