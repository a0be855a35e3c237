//! Our side of a scenario: the engine's public content and fan-out API, the node encoder and
//! the Noise transport, exactly as the session actor chains them for one reaction.

use prost::Message as _;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng as _;
use wa_binary::{encode_frame, Dictionary, Jid, Node};
use wa_noise::Transport;
use wa_proto::e2e::{Message, SenderKeyDistributionMessage as SkdmProto};
use wa_session::content::{
    build_reaction, GroupAddressing, NoLidMappings, ReactionEmoji, TargetKey, UnixMillis,
};
use wa_session::fanout::{
    encrypt_direct, encrypt_group_for, own_sender_key_name, Addressing, Bundles, DirectMessage,
    GroupFanout, MessageId, OwnIdentity, StanzaAttrs,
};
use wa_signal::sender_key::{create_distribution_message, SenderKeyRecord, SenderKeyStore as _};
use wa_signal::{IdentityKeyPair, RegistrationId};

use super::floor::FloorSpec;
use super::peers::{address_of, establish};
use super::{noise, BenchError, Scenario};
use wa_signal::store::InMemoryStore;

/// Our phone number, LID and this device's id.
const OWN_PN: &str = "15550001111@s.whatsapp.net";
const OWN_LID: &str = "100000000000001@lid";
const THIS_DEVICE: u16 = 7;
/// The one-to-one peer and the group.
const PEER_PN: &str = "15550002222@s.whatsapp.net";
const GROUP: &str = "120363012345678901@g.us";
/// First LID user of the group's members; each member has devices 0 and 1.
const FIRST_MEMBER_LID: u64 = 200_000_000_000_000;
/// The message reacted to, and the reaction.
const TARGET_ID: &str = "3A1B2C3D4E5F60718293";
const EMOJI: &str = "\u{2764}\u{fe0f}";
/// Signal padding adds 1 to 16 bytes; the floor uses the middle.
const MEAN_PAD: usize = 8;
/// The send clock starts here (milliseconds) and moves 1 ms per message.
const START_MILLIS: u64 = 1_700_000_000_000;

/// Where the reaction goes.
#[derive(Debug)]
enum Destination {
    Direct {
        chat: Jid,
        devices: Vec<Jid>,
    },
    Group {
        group: Jid,
        /// The member devices, their `phash` and who holds our sender key, kept between sends
        /// as the session keeps them per group.
        fanout: GroupFanout,
        /// Every send is the first: our sender key is dropped before it.
        first: bool,
    },
}

/// One scenario's sender, set up with established sessions; [`send`](Self::send) is the timed
/// unit.
///
/// ```
/// use wa_benches::send_path::{Scenario, SendPath};
/// let mut three = SendPath::new(Scenario::OneToOneThreeDevices, 7)?;
/// assert_eq!(three.floor_spec().pairwise.len(), 3);
/// let frame_bytes = three.send()?;
/// assert!(frame_bytes > 3 * 100);
/// # Ok::<(), wa_benches::send_path::BenchError>(())
/// ```
#[derive(Debug)]
pub struct SendPath {
    destination: Destination,
    store: InMemoryStore,
    own: OwnIdentity,
    this_device: Jid,
    target: TargetKey,
    emoji: ReactionEmoji,
    no_bundles: Bundles,
    now: u64,
    rng: ChaCha20Rng,
    transport: Transport,
    stanza_bytes: Vec<u8>,
    frame_bytes: Vec<u8>,
    floor: FloorSpec,
}

impl SendPath {
    /// Sets up `scenario` (identities, sessions with every peer device, a Noise transport) from
    /// `seed`, and sends once so the sender key is distributed where the scenario needs it.
    ///
    /// # Errors
    /// Any failure of the set-up; [`BenchError::Setup`] when a send still needs a `pkmsg` or,
    /// in steady state, a distribution message.
    pub fn new(scenario: Scenario, seed: u64) -> Result<Self, BenchError> {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let pn: Jid = OWN_PN.parse()?;
        let lid: Jid = OWN_LID.parse()?;
        let own = OwnIdentity::new(&pn, Some(&lid), THIS_DEVICE, vec![0x0a, 0x02, 0x08, 0x01])?;
        let mut store =
            InMemoryStore::new(IdentityKeyPair::generate(&mut rng), RegistrationId(4242));
        let emoji = ReactionEmoji::parse(EMOJI)?;
        let target_id = MessageId::parse(TARGET_ID)?;

        let (destination, target) = match scenario {
            Scenario::OneToOneOneDevice | Scenario::OneToOneThreeDevices => {
                let chat: Jid = PEER_PN.parse()?;
                let mut peers = vec![chat.clone()];
                if scenario == Scenario::OneToOneThreeDevices {
                    peers.push(chat.clone().with_device(2)?);
                    peers.push(pn);
                }
                let us = address_of(&own.device_jid(Addressing::Pn)?)?;
                for device in &peers {
                    establish(&mut store, &us, device, &mut rng)?;
                }
                let mut devices = peers;
                devices.push(own.device_jid(Addressing::Pn)?);
                let target = TargetKey::resolve(
                    chat.clone(),
                    target_id,
                    false,
                    None,
                    GroupAddressing::Pn,
                    &NoLidMappings,
                )?;
                (Destination::Direct { chat, devices }, target)
            }
            Scenario::GroupSteady { devices } | Scenario::GroupFirst { devices } => {
                let group: Jid = GROUP.parse()?;
                let us = address_of(&own.device_jid(Addressing::Lid)?)?;
                let mut members = Vec::with_capacity(devices + 1);
                for index in 0..devices {
                    let user = FIRST_MEMBER_LID + (index / 2) as u64;
                    let device = if index % 2 == 0 { 0 } else { 1 };
                    let jid: Jid = format!("{user}:{device}@lid").parse()?;
                    establish(&mut store, &us, &jid, &mut rng)?;
                    members.push(jid);
                }
                let author = members
                    .first()
                    .cloned()
                    .ok_or(BenchError::Setup("a group needs a member"))?;
                members.push(own.device_jid(Addressing::Lid)?);
                let target = TargetKey::resolve(
                    group.clone(),
                    target_id,
                    false,
                    Some(author),
                    GroupAddressing::Lid,
                    &NoLidMappings,
                )?;
                let destination = Destination::Group {
                    group,
                    fanout: GroupFanout::new(&own, Addressing::Lid, members)?,
                    first: matches!(scenario, Scenario::GroupFirst { .. }),
                };
                (destination, target)
            }
        };

        let this_device = own.device_jid(Addressing::Pn)?;
        let transport = noise::client_transport(&mut rng)?;
        let mut path = Self {
            destination,
            store,
            own,
            this_device,
            target,
            emoji,
            no_bundles: Bundles::new(),
            now: START_MILLIS,
            rng,
            transport,
            stanza_bytes: Vec::new(),
            frame_bytes: Vec::new(),
            floor: FloorSpec::default(),
        };
        path.warm_up(scenario)?;
        Ok(path)
    }

    /// Builds, encrypts, encodes and frames one reaction; returns the frame's length in bytes
    /// (what would be written to the socket).
    ///
    /// # Errors
    /// Failures of the engine, the encoder or the transport (none are expected).
    pub fn send(&mut self) -> Result<usize, BenchError> {
        let stanza = self.encrypt_stanza()?;
        self.frame(&stanza)
    }

    /// The sizes of the cryptographic work one send does, for [`Floor`](super::Floor).
    #[must_use]
    pub fn floor_spec(&self) -> &FloorSpec {
        &self.floor
    }

    /// The reaction as a `<message>` stanza, encrypted for every device.
    fn encrypt_stanza(&mut self) -> Result<Node<'static>, BenchError> {
        self.now += 1;
        let now = UnixMillis::new(self.now);
        let (message, _) = build_reaction(&self.target, &self.emoji, now)?.into_parts();
        let id = MessageId::generate(now, Some(&self.this_device), &mut self.rng);
        let attrs = StanzaAttrs::for_message(id, &message);
        match &mut self.destination {
            Destination::Direct { chat, devices } => {
                let direct = DirectMessage {
                    chat,
                    devices,
                    message: &message,
                    attrs: &attrs,
                };
                let sent = encrypt_direct(
                    &mut self.store,
                    &self.own,
                    &direct,
                    &self.no_bundles,
                    &mut self.rng,
                )?;
                Ok(sent.stanza)
            }
            Destination::Group {
                group,
                fanout,
                first,
            } => {
                if *first {
                    let name = own_sender_key_name(&self.own, group, Addressing::Lid)?;
                    self.store
                        .store_sender_key(&name, &SenderKeyRecord::new())?;
                }
                let sent = encrypt_group_for(
                    &mut self.store,
                    &self.own,
                    group,
                    fanout,
                    &message,
                    &attrs,
                    &self.no_bundles,
                    &mut self.rng,
                )?;
                fanout.record_sent(&sent);
                Ok(sent.stanza)
            }
        }
    }

    /// Encodes the stanza into the reused buffer, then encrypts it as one Noise frame into the
    /// other.
    fn frame(&mut self, stanza: &Node<'_>) -> Result<usize, BenchError> {
        self.stanza_bytes.clear();
        encode_frame(stanza, Dictionary::V3, &mut self.stanza_bytes)?;
        self.frame_bytes.clear();
        self.transport
            .encrypt_frame(&self.stanza_bytes, &mut self.frame_bytes)?;
        Ok(self.frame_bytes.len())
    }

    /// Sends until the scenario's steady state, checks it, and records the floor's sizes.
    fn warm_up(&mut self, scenario: Scenario) -> Result<(), BenchError> {
        if matches!(scenario, Scenario::GroupSteady { .. }) {
            // The first group send distributes our sender key.
            self.send()?;
        }
        let stanza = self.encrypt_stanza()?;
        if stanza.child("device-identity").is_some() {
            return Err(BenchError::Setup("a session is not established (pkmsg)"));
        }
        let distributes = stanza.child("participants").is_some();
        if matches!(scenario, Scenario::GroupSteady { .. }) == distributes {
            return Err(BenchError::Setup(
                "sender key distribution not as the scenario says",
            ));
        }
        self.frame(&stanza)?;

        let reaction = build_reaction(&self.target, &self.emoji, UnixMillis::new(self.now))?;
        let padded = |len: usize| len + MEAN_PAD;
        let mut floor = FloorSpec {
            frame: self.stanza_bytes.len(),
            ..FloorSpec::default()
        };
        match &self.destination {
            Destination::Direct { chat, devices } => {
                for device in devices {
                    if self.own.is_this_device(device) {
                        continue;
                    }
                    floor.pairwise.push(padded(if self.own.is_own_user(device) {
                        reaction.encode_device_sent(chat).len()
                    } else {
                        reaction.encode().len()
                    }));
                }
            }
            Destination::Group {
                group,
                fanout,
                first,
            } => {
                floor.sender_key = Some(padded(reaction.encode().len()));
                if *first {
                    floor.new_sender_key = true;
                    let skdm = distribution_message_len(group, &mut self.rng);
                    let others = fanout
                        .devices()
                        .iter()
                        .filter(|device| !self.own.is_this_device(device))
                        .count();
                    floor.pairwise = vec![padded(skdm); others];
                }
            }
        }
        self.floor = floor;
        Ok(())
    }
}

/// The protobuf length of the `Message` carrying a new sender key's distribution message.
fn distribution_message_len(group: &Jid, rng: &mut ChaCha20Rng) -> usize {
    let distribution = create_distribution_message(&mut SenderKeyRecord::new(), rng);
    Message {
        sender_key_distribution_message: Some(SkdmProto {
            group_id: Some(group.to_string()),
            axolotl_sender_key_distribution_message: Some(distribution.serialized().to_vec()),
        }),
        ..Message::default()
    }
    .encoded_len()
}
