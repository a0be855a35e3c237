//! Faults on demand, for tests of what clients do when the server misbehaves: drop a
//! connection (now, or around a device's next message), delay or withhold acks, send a stream
//! error, or drop connections at random with a seeded, reproducible draw.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore as _, SeedableRng as _};
use wa_binary::{Jid, Node};

use crate::error::Result;
use crate::registry::DeviceRef;
use crate::simulator::Simulator;

/// A fault to inject with [`Simulator::inject`](crate::Simulator::inject). Device faults name
/// a companion device by its PN or LID device JID.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Close the device's connection now (no stream error, as a network drop).
    DropNow {
        /// The device.
        device: Jid,
    },
    /// Close the device's connection when its next `<message>` arrives, before the server
    /// routes it: the message is lost and never acked; the client must resend it.
    DropBeforeRouting {
        /// The device.
        device: Jid,
    },
    /// Route the device's next `<message>`, then close the connection without acking it: the
    /// recipients have it, the sender does not know.
    DropAfterRouting {
        /// The device.
        device: Jid,
    },
    /// Send the acks of the device's next `count` messages `delay` late.
    DelayAcks {
        /// The device.
        device: Jid,
        /// How many messages.
        count: u32,
        /// How late.
        delay: Duration,
    },
    /// Route the device's next `count` messages but never ack them.
    WithholdAcks {
        /// The device.
        device: Jid,
        /// How many messages.
        count: u32,
    },
    /// Deliver the device's next `count` incoming messages with bytes of each `<enc>`
    /// flipped (its MAC no longer checks): the device cannot decrypt them and asks the
    /// sender to retry.
    CorruptDeliveries {
        /// The device.
        device: Jid,
        /// How many messages.
        count: u32,
    },
    /// Acknowledge the device's next `count` messages with `<ack error="CODE">` instead of
    /// routing them (a refused send).
    RefuseMessages {
        /// The device.
        device: Jid,
        /// How many messages.
        count: u32,
        /// The ack's error code (e.g. 479).
        code: u16,
    },
    /// Send a stream error to the device and close its connection.
    StreamError {
        /// The device.
        device: Jid,
        /// Which error.
        error: StreamErrorKind,
    },
    /// From now on, drop the connection of any device sending a message with probability
    /// `per_mille`/1000, before or after routing it (a fair coin), drawn from a generator
    /// seeded with `seed`: the same seed and the same message order give the same drops.
    RandomDrops {
        /// The generator's seed.
        seed: u64,
        /// Drop probability in thousandths (0 turns random drops off).
        per_mille: u16,
    },
}

/// The stream errors the simulator can send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StreamErrorKind {
    /// `<conflict type="replaced"/>`: another connection took over; clients stop.
    Conflict,
    /// `code="401"` with `<conflict type="device_removed"/>`: the device was removed (it is
    /// removed from the account too); clients log out.
    DeviceRemoved,
    /// `code="515"`: restart required; clients reconnect.
    RestartRequired,
    /// `code="503"`: service unavailable; clients reconnect.
    ServiceUnavailable,
}

impl StreamErrorKind {
    /// The `<stream:error>` stanza.
    #[must_use]
    pub fn to_node(self) -> Node<'static> {
        let error = Node::new("stream:error");
        match self {
            Self::Conflict => {
                error.with_children(vec![Node::new("conflict").with_attr("type", "replaced")])
            }
            Self::DeviceRemoved => {
                error.with_attr("code", "401").with_children(vec![
                    Node::new("conflict").with_attr("type", "device_removed")
                ])
            }
            Self::RestartRequired => error.with_attr("code", "515"),
            Self::ServiceUnavailable => error.with_attr("code", "503"),
        }
    }
}

/// What happens to one incoming `<message>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MessageFault {
    /// Route and ack normally.
    None,
    /// Close before routing.
    DropBefore,
    /// Route, then close without acking.
    DropAfter,
    /// Route, ack late.
    DelayAck(Duration),
    /// Route, never ack.
    WithholdAck,
    /// Do not route; ack with this error code.
    Refuse(u16),
}

/// The faults armed for the next messages of each device, and the random-drop generator.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    armed: HashMap<DeviceRef, VecDeque<MessageFault>>,
    /// How many more incoming messages to corrupt, per device.
    corrupt: HashMap<DeviceRef, u32>,
    random: Option<(ChaCha20Rng, u16)>,
}

impl Faults {
    /// Arms `count` copies of a fault for the device's next messages.
    pub(crate) fn arm(&mut self, device: DeviceRef, fault: MessageFault, count: u32) {
        let queue = self.armed.entry(device).or_default();
        for _ in 0..count {
            queue.push_back(fault);
        }
    }

    /// Whether the message about to be delivered to `device` is to be corrupted (counts it).
    pub(crate) fn corrupt_delivery(&mut self, device: &DeviceRef) -> bool {
        match self.corrupt.get_mut(device) {
            Some(left) if *left > 0 => {
                *left -= 1;
                true
            }
            _ => false,
        }
    }

    /// Starts (or with `per_mille == 0` stops) random drops.
    pub(crate) fn random_drops(&mut self, seed: u64, per_mille: u16) {
        self.random = (per_mille > 0).then(|| (ChaCha20Rng::seed_from_u64(seed), per_mille));
    }

    /// The fault for the device's message that just arrived (armed faults first).
    pub(crate) fn next_message(&mut self, device: &DeviceRef) -> MessageFault {
        if let Some(fault) = self.armed.get_mut(device).and_then(VecDeque::pop_front) {
            return fault;
        }
        match &mut self.random {
            Some((rng, per_mille)) => {
                // Two halves of 0..2000: a hit in the first drops before routing, in the
                // second after; each with probability per_mille/2000.
                let draw = rng.next_u32() % 2000;
                let threshold = u32::from(*per_mille);
                if draw < threshold {
                    MessageFault::DropBefore
                } else if (1000..1000 + threshold).contains(&draw) {
                    MessageFault::DropAfter
                } else {
                    MessageFault::None
                }
            }
            None => MessageFault::None,
        }
    }
}

/// `message` with the middle and last bytes of each `<enc>` flipped.
pub(crate) fn corrupt_message(mut message: Node<'static>) -> Node<'static> {
    if message.tag() != "message" {
        return message;
    }
    if let wa_binary::Content::Nodes(children) = &mut message.content {
        for enc in children.iter_mut().filter(|child| child.tag() == "enc") {
            if let wa_binary::Content::Bytes(bytes) = &mut enc.content {
                // The middle byte lies in the ciphertext (or a prekey message's inner message)
                // and the last in the MAC or signature: neither check passes.
                let bytes = bytes.to_mut();
                let middle = bytes.len() / 2;
                for index in [middle, bytes.len().saturating_sub(1)] {
                    if let Some(byte) = bytes.get_mut(index) {
                        *byte ^= 0x5a;
                    }
                }
            }
        }
    }
    message
}

impl Simulator {
    /// Injects a fault. Faults about a device's next messages wait for them; `DropNow` and
    /// `StreamError` act at once (on a device that is offline they do nothing, except that
    /// `DeviceRemoved` still removes the device).
    ///
    /// # Errors
    /// [`Error::UnknownAccount`](crate::Error::UnknownAccount) or
    /// [`Error::UnknownDevice`](crate::Error::UnknownDevice) for a device fault naming no
    /// device.
    pub fn inject(&self, fault: Fault) -> Result<()> {
        let mut state = self.shared.lock();
        match fault {
            Fault::RandomDrops { seed, per_mille } => {
                state.faults.random_drops(seed, per_mille);
            }
            Fault::DropNow { device } => {
                let device = state.registry.resolve_live(&device)?;
                state.hub.close(&device, None);
            }
            Fault::StreamError { device, error } => {
                let device = state.registry.resolve_live(&device)?;
                if error == StreamErrorKind::DeviceRemoved {
                    let jid = state.registry.device_jid(&device)?;
                    state.registry.remove_device(&jid)?;
                }
                state.hub.close(&device, Some(error.to_node()));
            }
            Fault::DropBeforeRouting { device } => {
                let device = state.registry.resolve_live(&device)?;
                state.faults.arm(device, MessageFault::DropBefore, 1);
            }
            Fault::DropAfterRouting { device } => {
                let device = state.registry.resolve_live(&device)?;
                state.faults.arm(device, MessageFault::DropAfter, 1);
            }
            Fault::DelayAcks {
                device,
                count,
                delay,
            } => {
                let device = state.registry.resolve_live(&device)?;
                state
                    .faults
                    .arm(device, MessageFault::DelayAck(delay), count);
            }
            Fault::WithholdAcks { device, count } => {
                let device = state.registry.resolve_live(&device)?;
                state.faults.arm(device, MessageFault::WithholdAck, count);
            }
            Fault::RefuseMessages {
                device,
                count,
                code,
            } => {
                let device = state.registry.resolve_live(&device)?;
                state.faults.arm(device, MessageFault::Refuse(code), count);
            }
            Fault::CorruptDeliveries { device, count } => {
                let device = state.registry.resolve_live(&device)?;
                *state.faults.corrupt.entry(device).or_default() += count;
            }
        }
        Ok(())
    }

    /// Whether a device (PN or LID device JID) has a logged-in connection.
    #[must_use]
    pub fn is_online(&self, device: &Jid) -> bool {
        let state = self.shared.lock();
        state
            .registry
            .resolve_live(device)
            .is_ok_and(|device| state.hub.is_online(&device))
    }

    /// How many stanzas wait for a device: queued while it was offline, or sent and not yet
    /// acknowledged (they are re-sent when it reconnects).
    #[must_use]
    pub fn waiting(&self, device: &Jid) -> usize {
        let state = self.shared.lock();
        state
            .registry
            .resolve_live(device)
            .map_or(0, |device| state.hub.waiting(&device))
    }

    /// Closes every client connection at once, as a server restart does; accounts, groups and
    /// undelivered messages are kept and clients can reconnect.
    pub fn restart(&self) {
        self.shared.lock().hub.close_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device() -> DeviceRef {
        DeviceRef {
            phone: "15550001111".to_owned(),
            device: 1,
        }
    }

    #[test]
    fn armed_faults_apply_in_order_then_stop() {
        let mut faults = Faults::default();
        faults.arm(device(), MessageFault::WithholdAck, 2);
        faults.arm(device(), MessageFault::DropBefore, 1);
        assert_eq!(faults.next_message(&device()), MessageFault::WithholdAck);
        assert_eq!(faults.next_message(&device()), MessageFault::WithholdAck);
        assert_eq!(faults.next_message(&device()), MessageFault::DropBefore);
        assert_eq!(faults.next_message(&device()), MessageFault::None);
    }

    #[test]
    fn random_drops_are_reproducible_and_near_their_rate() {
        let draws = |seed| {
            let mut faults = Faults::default();
            faults.random_drops(seed, 100);
            (0..10_000)
                .map(|_| faults.next_message(&device()))
                .collect::<Vec<_>>()
        };
        let first = draws(7);
        assert_eq!(first, draws(7));
        assert_ne!(first, draws(8));
        let dropped = first.iter().filter(|f| **f != MessageFault::None).count();
        // 10% of 10 000, split between before and after routing.
        assert!((800..1200).contains(&dropped), "{dropped}");
        assert!(first.contains(&MessageFault::DropBefore));
        assert!(first.contains(&MessageFault::DropAfter));
    }

    #[test]
    fn stream_errors_have_the_shapes_clients_read() {
        let removed = StreamErrorKind::DeviceRemoved.to_node();
        assert_eq!(removed.attr_str("code"), Some("401"));
        assert_eq!(
            removed.child("conflict").and_then(|c| c.attr_str("type")),
            Some("device_removed")
        );
        let conflict = StreamErrorKind::Conflict.to_node();
        assert_eq!(
            conflict.child("conflict").and_then(|c| c.attr_str("type")),
            Some("replaced")
        );
        assert_eq!(
            StreamErrorKind::RestartRequired.to_node().attr_str("code"),
            Some("515")
        );
    }
}
