//! **Fuzzing only** (feature `fuzzing`): the server's stanza handling and the QR parser, driven
//! without sockets, for `fuzz/fuzz_targets/sim_stanza.rs`.

use rand_core::SeedableRng as _;
use wa_binary::Node;

use crate::pairing::PairingQr;
use crate::registry::DeviceRef;
use crate::{AddressingMode, DeviceKeys, Simulator};

/// A simulator with two accounts (their phones online), a companion device of the first one,
/// and a PN and a LID group of both; stanzas are handled as if that companion sent them.
#[derive(Debug)]
pub struct Harness {
    sim: Simulator,
    device: DeviceRef,
}

impl Harness {
    /// The fixed scene (seeded: every run is the same).
    ///
    /// # Panics
    /// Never for this fixed scene (the setup is checked by the crate's tests).
    #[must_use]
    #[allow(clippy::expect_used)]
    pub fn new() -> Self {
        let sim = Simulator::with_time(1, 1_760_000_000);
        let alice = sim.create_account(Some("15550001111")).expect("account");
        let bob = sim.create_account(Some("15550002222")).expect("account");
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(2);
        let keys = DeviceKeys::generate(5, 1_760_000_000, &mut rng);
        let device = sim
            .register_device(&alice.jid, keys.registration())
            .expect("device");
        for mode in [AddressingMode::Pn, AddressingMode::Lid] {
            sim.create_group("g", &alice.jid, std::slice::from_ref(&bob.jid), mode)
                .expect("group");
        }
        Self {
            sim,
            device: DeviceRef {
                phone: device.jid.user().to_owned(),
                device: device.jid.device(),
            },
        }
    }

    /// Handles one stanza as the companion sent it and delivers what it causes. Returns the
    /// server's direct answer.
    pub fn stanza(&self, stanza: &Node<'_>) -> Option<Node<'static>> {
        let now = self.sim.shared.clock.now();
        let mut state = self.sim.shared.lock();
        let routed = state.route_stanza(&self.device, stanza, now);
        state.dispatch(routed.deliveries, now);
        routed.reply
    }

    /// The simulator, to inspect it.
    #[must_use]
    pub const fn simulator(&self) -> &Simulator {
        &self.sim
    }
}

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
}

/// Whether `qr` parses as a pairing QR (either form).
#[must_use]
pub fn parse_qr(qr: &str) -> bool {
    PairingQr::parse(qr).is_ok()
}
