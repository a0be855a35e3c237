//! The in-process send path per message, over established sessions, and its cryptographic
//! floor measured the same way (issue 5, benchmark 1).
//!
//! One [`SendPath::send`] is what the session actor does for one reaction once it knows the
//! devices: [`build_reaction`](wa_session::content::build_reaction) (the protobuf), a fresh
//! message id, [`encrypt_direct`](wa_session::fanout::encrypt_direct) or
//! [`encrypt_group_for`](wa_session::fanout::encrypt_group_for) (padding, Signal or sender-key
//! encryption into the `<message>` stanza), the binary-node encoder into a reused buffer, and the
//! Noise transport's frame encryption into another. A group's devices, `phash` and sender key
//! holders are kept between sends in a [`GroupFanout`](wa_session::fanout::GroupFanout). Our Signal store is in memory; sessions are
//! set up once, outside any timing, by a real `pkmsg` and reply with every peer device.
//!
//! [`Floor::run`] is the cryptography the same send cannot avoid (see [`floor`](Floor) for the
//! list), on the bare primitive crates with preallocated buffers: `ours / floor` is the cost of
//! everything else (protobuf, JIDs, nodes, store records, allocation).
//!
//! ```
//! use wa_benches::send_path::{Floor, Scenario, SendPath};
//!
//! let mut ours = SendPath::new(Scenario::OneToOneOneDevice, 1)?;
//! let mut floor = Floor::new(ours.floor_spec());
//! assert_eq!(Scenario::OneToOneOneDevice.name(), "1to1-1dev");
//! assert!(ours.send()? > ours.floor_spec().frame);
//! assert!(floor.run() > 0);
//! # Ok::<(), wa_benches::send_path::BenchError>(())
//! ```

mod floor;
mod noise;
mod ours;
mod peers;

pub use floor::{Floor, FloorSpec};
pub use ours::SendPath;

/// A send-path scenario: who the reaction goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scenario {
    /// A one-to-one reaction to a recipient with one device; we have no other device.
    OneToOneOneDevice,
    /// A one-to-one reaction to a recipient with two devices, and a DeviceSentMessage to our
    /// phone: three `msg` copies.
    OneToOneThreeDevices,
    /// A reaction in a LID group of `devices` member devices (besides this one) that all have
    /// our sender key: one `skmsg`, no distribution message.
    GroupSteady {
        /// Member devices other than this one.
        devices: usize,
    },
    /// The first send in a LID group of `devices` member devices that all have pairwise
    /// sessions: a new sender key, its distribution message pairwise to every device, and the
    /// `skmsg`.
    GroupFirst {
        /// Member devices other than this one.
        devices: usize,
    },
}

impl Scenario {
    /// The scenarios `wa bench send-path` and the criterion bench run, in order.
    pub const ALL: [Self; 5] = [
        Self::OneToOneOneDevice,
        Self::OneToOneThreeDevices,
        Self::GroupSteady { devices: 10 },
        Self::GroupSteady { devices: 1000 },
        Self::GroupFirst { devices: 1000 },
    ];

    /// The stable name printed in reports, e.g. `1to1-3dev` or `group-first-1000dev`.
    ///
    /// ```
    /// use wa_benches::send_path::Scenario;
    /// assert_eq!(Scenario::GroupSteady { devices: 10 }.name(), "group-steady-10dev");
    /// ```
    #[must_use]
    pub fn name(self) -> String {
        match self {
            Self::OneToOneOneDevice => "1to1-1dev".to_owned(),
            Self::OneToOneThreeDevices => "1to1-3dev".to_owned(),
            Self::GroupSteady { devices } => format!("group-steady-{devices}dev"),
            Self::GroupFirst { devices } => format!("group-first-{devices}dev"),
        }
    }
}

/// Why a scenario could not be set up or a send failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BenchError {
    /// The session engine refused (content, fan-out).
    #[error("session engine: {0}")]
    Session(#[from] wa_session::Error),
    /// Signal session setup or encryption failed.
    #[error("signal: {0}")]
    Signal(#[from] wa_signal::Error),
    /// The Noise handshake or frame encryption failed.
    #[error("noise: {0}")]
    Noise(#[from] wa_noise::Error),
    /// The stanza did not encode.
    #[error("binary node: {0}")]
    Binary(#[from] wa_binary::Error),
    /// A scenario JID did not parse.
    #[error("jid: {0}")]
    Jid(#[from] wa_binary::JidError),
    /// The set-up did not reach the state the scenario measures.
    #[error("scenario set-up: {0}")]
    Setup(&'static str),
}

#[cfg(test)]
mod tests;
