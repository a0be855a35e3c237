//! The transcript file: JSON, stable and diff-friendly (one entry per frame, in order, with the
//! node it carries as readable text next to its bytes).

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The version of the format written by this crate; others are refused.
pub const FORMAT_VERSION: u32 = 1;

/// A recorded session: what the engine was given (seed, clock, settings, the simulator's
/// certificate root, the starting store) and every frame of every connection, both ways.
///
/// ```
/// use wa_replay::Transcript;
///
/// let json = r#"{"format":1,"scenario":"login","seed":1,"clock":1750000000,
///   "settings":{"dictionary":3,"prekey_low_water":10,"prekey_batch":5},
///   "server_root":"00","names":{},"store":null,"connections":[]}"#;
/// let transcript = Transcript::from_json(json).unwrap();
/// assert_eq!(transcript.scenario, "login");
/// assert_eq!(Transcript::from_json(&transcript.to_json()).unwrap(), transcript);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transcript {
    /// [`FORMAT_VERSION`].
    pub format: u32,
    /// The scenario that produced it (replays run the same one).
    pub scenario: String,
    /// The engine's seed (`SessionConfig::seed`).
    pub seed: u64,
    /// The engine's (and the simulator's) fixed clock, unix seconds.
    pub clock: u64,
    /// The engine settings that shape its frames.
    pub settings: EngineSettings,
    /// The simulator's certificate root public key (hex) the engine trusts.
    pub server_root: String,
    /// JIDs the scenario needs by name (accounts, groups), as recorded.
    pub names: BTreeMap<String, String>,
    /// The paired device the store starts with; `None` for an empty store (pairing).
    pub store: Option<StartingDevice>,
    /// Every connection the engine opened, in order.
    pub connections: Vec<Connection>,
}

/// The engine settings that shape its frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineSettings {
    /// The token dictionary of the intro header (3 for WhatsApp Web).
    pub dictionary: u8,
    /// `SessionConfig::prekey_low_water`.
    pub prekey_low_water: u64,
    /// `SessionConfig::prekey_batch`.
    pub prekey_batch: u32,
}

/// A paired device as the store holds it before the session starts: the credentials are
/// regenerated from `seed` (`Credentials::generate(created, ChaCha20(seed))`), the rest is what
/// pairing stores. These are simulator-only keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartingDevice {
    /// Seed of the device's credentials.
    pub seed: u64,
    /// The `now` the credentials were generated with.
    pub created: u64,
    /// Our device JID.
    pub jid: String,
    /// Our LID device JID.
    pub lid: Option<String>,
    /// The phone's platform.
    pub platform: Option<String>,
    /// Our ADV key index.
    pub key_index: u32,
    /// The countersigned `AdvSignedDeviceIdentity` (hex).
    pub account: String,
}

/// One connection: the intro header the engine opened it with and its entries in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connection {
    /// The intro header (hex), e.g. `57410603`.
    pub intro: String,
    /// Frames and checkpoints, in the order the engine saw them.
    pub entries: Vec<Entry>,
}

/// One entry of a connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Entry {
    /// A frame, as on the wire (3-byte length prefix and payload).
    Frame(Frame),
    /// The scenario settled here (its `n`-th checkpoint, from 1): everything before was
    /// exchanged before its next step began.
    Checkpoint {
        /// The checkpoint's number in the whole transcript.
        checkpoint: u32,
    },
}

/// A frame and what it carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Frame {
    /// Who wrote it.
    pub dir: Dir,
    /// The frame (hex).
    pub frame: String,
    /// The node it carries as text; `None` for handshake messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
}

/// Who wrote a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dir {
    /// The engine (client).
    Out,
    /// The server.
    In,
}

impl Frame {
    /// The frame's bytes.
    ///
    /// # Errors
    /// [`Error::Transcript`] for bad hex.
    pub fn bytes(&self) -> Result<Vec<u8>> {
        hex::decode(&self.frame).map_err(|error| Error::Transcript(format!("frame hex: {error}")))
    }

    /// The node text, or what the frame is when it has none.
    #[must_use]
    pub fn describe(&self) -> String {
        match &self.node {
            Some(node) => node.clone(),
            None => format!("handshake message {}", abbreviated(&self.frame)),
        }
    }
}

/// `hex` cut to its first 32 characters, with its length in bytes.
pub(crate) fn abbreviated(hex: &str) -> String {
    let shown = hex.get(..32).unwrap_or(hex);
    format!("{shown}... ({} bytes)", hex.len() / 2)
}

impl Transcript {
    /// Parses a transcript.
    ///
    /// # Errors
    /// [`Error::Transcript`] for invalid JSON or another format version.
    pub fn from_json(json: &str) -> Result<Self> {
        let transcript: Self =
            serde_json::from_str(json).map_err(|error| Error::Transcript(error.to_string()))?;
        if transcript.format != FORMAT_VERSION {
            return Err(Error::Transcript(format!(
                "format {} (this build reads {FORMAT_VERSION})",
                transcript.format
            )));
        }
        Ok(transcript)
    }

    /// The transcript as pretty JSON with a final newline (the same transcript always gives
    /// the same text).
    #[must_use]
    pub fn to_json(&self) -> String {
        let mut json = serde_json::to_string_pretty(self).unwrap_or_default();
        json.push('\n');
        json
    }

    /// Reads a transcript file.
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be read, [`Error::Transcript`] when it is not one.
    pub fn load(path: &Path) -> Result<Self> {
        Self::from_json(&std::fs::read_to_string(path)?)
    }

    /// Writes the transcript to `path`.
    ///
    /// # Errors
    /// [`Error::Io`].
    pub fn save(&self, path: &Path) -> Result<()> {
        Ok(std::fs::write(path, self.to_json())?)
    }

    /// A named JID.
    ///
    /// # Errors
    /// [`Error::Transcript`] when the name is missing or not a JID.
    pub fn name(&self, name: &str) -> Result<wa_binary::Jid> {
        let text = self
            .names
            .get(name)
            .ok_or_else(|| Error::Transcript(format!("no JID named {name:?}")))?;
        text.parse()
            .map_err(|_| Error::Transcript(format!("{name:?} is not a JID: {text}")))
    }
}
