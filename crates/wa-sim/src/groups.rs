//! Groups: the simulator's in-memory group directory (sans-IO; the caller passes randomness,
//! the clock and the account registry) and the participant hash (`phash`) senders and the
//! server compare when a group message is routed (PROTOCOL.md section 5).

use std::collections::BTreeMap;

use rand_core::RngCore;
use sha2::{Digest as _, Sha256};
use wa_binary::{Jid, Server};

use crate::error::{Error, Result};
use crate::registry::{random_digits, Account, Registry};

/// The prefix of every group id this simulator makes (the real server's current one).
const GROUP_ID_PREFIX: &str = "120363";
/// Random digits after the prefix.
const GROUP_ID_RANDOM_DIGITS: usize = 12;

/// How a group names its participants on the wire (`addressing_mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddressingMode {
    /// By phone number (`PHONE@s.whatsapp.net`), each with its `lid` alongside.
    Pn,
    /// By LID (`LID@lid`), each with its `phone_number` alongside.
    Lid,
}

impl AddressingMode {
    /// The `addressing_mode` attribute value: `"pn"` or `"lid"`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pn => "pn",
            Self::Lid => "lid",
        }
    }

    /// The JID of `account` in this addressing form.
    #[must_use]
    pub fn jid_of(self, account: &Account) -> &Jid {
        match self {
            Self::Pn => &account.jid,
            Self::Lid => &account.lid,
        }
    }
}

/// A participant's rank in a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ParticipantRole {
    /// A plain member.
    Member,
    /// An admin (`type="admin"`).
    Admin,
    /// The creator's rank (`type="superadmin"`).
    SuperAdmin,
}

impl ParticipantRole {
    /// The participant's `type` attribute, if it has one.
    #[must_use]
    pub fn as_type(self) -> Option<&'static str> {
        match self {
            Self::Member => None,
            Self::Admin => Some("admin"),
            Self::SuperAdmin => Some("superadmin"),
        }
    }
}

/// One member of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupParticipant {
    /// The member's account (both its PN and LID JIDs).
    pub account: Account,
    /// Its rank.
    pub role: ParticipantRole,
}

/// What the server holds about a group.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GroupInfo {
    /// `120363XXXXXXXXXXXX@g.us`.
    pub jid: Jid,
    /// The group's name.
    pub subject: String,
    /// Who created it (and set the subject).
    pub creator: Account,
    /// Creation time, unix seconds (also the subject's time).
    pub created: u64,
    /// How participants are addressed.
    pub addressing: AddressingMode,
    /// The members, creator first, in the order they were added.
    pub participants: Vec<GroupParticipant>,
}

impl GroupInfo {
    /// The member whose account has this PN or LID JID (any device part is ignored).
    #[must_use]
    pub fn participant(&self, user: &Jid) -> Option<&GroupParticipant> {
        self.participants
            .iter()
            .find(|participant| is_account(&participant.account, user))
    }

    /// Whether the account with this phone number is a member.
    pub(crate) fn has_member_phone(&self, phone: &str) -> bool {
        self.participants
            .iter()
            .any(|participant| participant.account.jid.user() == phone)
    }
}

/// What a new group is made of (the arguments of `Simulator::create_group`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct NewGroup<'a> {
    pub(crate) subject: &'a str,
    pub(crate) creator: &'a Jid,
    pub(crate) participants: &'a [Jid],
    pub(crate) addressing: AddressingMode,
}

/// The directory of groups, keyed by group id (the JID's user part).
#[derive(Debug, Default)]
pub(crate) struct Groups {
    groups: BTreeMap<String, GroupInfo>,
}

impl Groups {
    /// Creates a group with `spec.creator` as superadmin and `spec.participants` as members
    /// (duplicates and the creator among them are ignored). All are PN or LID JIDs of existing
    /// accounts; device parts are ignored.
    pub(crate) fn create<R: RngCore>(
        &mut self,
        registry: &Registry,
        rng: &mut R,
        now: u64,
        spec: &NewGroup<'_>,
    ) -> Result<Jid> {
        let NewGroup {
            subject,
            creator,
            participants,
            addressing,
        } = *spec;
        if subject.is_empty() {
            return Err(Error::InvalidSubject);
        }
        let creator = registry.account(creator)?;
        let mut members = vec![GroupParticipant {
            account: creator.clone(),
            role: ParticipantRole::SuperAdmin,
        }];
        for jid in participants {
            let account = registry
                .account(jid)
                .map_err(|_| Error::UnknownParticipant(jid.clone()))?;
            if members.iter().all(|member| member.account != account) {
                members.push(GroupParticipant {
                    account,
                    role: ParticipantRole::Member,
                });
            }
        }
        let id = loop {
            let candidate = format!(
                "{GROUP_ID_PREFIX}{}",
                random_digits(rng, GROUP_ID_RANDOM_DIGITS)
            );
            if !self.groups.contains_key(&candidate) {
                break candidate;
            }
        };
        let jid = Jid::new(&id, Server::Group)?;
        self.groups.insert(
            id,
            GroupInfo {
                jid: jid.clone(),
                subject: subject.to_owned(),
                creator,
                created: now,
                addressing,
                participants: members,
            },
        );
        Ok(jid)
    }

    /// The group with this JID, if it exists.
    pub(crate) fn get(&self, group: &Jid) -> Option<&GroupInfo> {
        if *group.server() != Server::Group {
            return None;
        }
        self.groups.get(group.user())
    }

    /// Makes a member an admin, or a plain member again (`admin == false` also demotes a
    /// superadmin). Promoting a superadmin leaves it superadmin.
    pub(crate) fn set_admin(&mut self, group: &Jid, participant: &Jid, admin: bool) -> Result<()> {
        if *group.server() != Server::Group {
            return Err(Error::UnknownGroup);
        }
        let info = self
            .groups
            .get_mut(group.user())
            .ok_or(Error::UnknownGroup)?;
        let member = info
            .participants
            .iter_mut()
            .find(|member| is_account(&member.account, participant))
            .ok_or(Error::NotInGroup)?;
        member.role = match (admin, member.role) {
            (true, ParticipantRole::SuperAdmin) => ParticipantRole::SuperAdmin,
            (true, _) => ParticipantRole::Admin,
            (false, _) => ParticipantRole::Member,
        };
        Ok(())
    }
}

impl Groups {
    /// Removes a member (PN or LID JID) and returns its account.
    pub(crate) fn remove_participant(&mut self, group: &Jid, participant: &Jid) -> Result<Account> {
        if *group.server() != Server::Group {
            return Err(Error::UnknownGroup);
        }
        let info = self
            .groups
            .get_mut(group.user())
            .ok_or(Error::UnknownGroup)?;
        let index = info
            .participants
            .iter()
            .position(|member| is_account(&member.account, participant))
            .ok_or(Error::NotInGroup)?;
        Ok(info.participants.remove(index).account)
    }
}

/// Whether `user` (a PN or LID JID, any device part ignored) names `account`.
fn is_account(account: &Account, user: &Jid) -> bool {
    match user.server() {
        Server::User => account.jid.user() == user.user(),
        Server::Lid => account.lid.user() == user.user(),
        _ => false,
    }
}

/// The participant hash of a group message (`phash`, version 2): `"2:"` + base64 (standard
/// alphabet, no padding) of the first 6 bytes of SHA-256 over the concatenation, without
/// separators, of the sorted device JIDs in AD string form (`user.agent:device@server`, agent
/// and device always written, e.g. `15550001111.0:1@s.whatsapp.net`).
#[must_use]
pub fn participant_hash(devices: &[Jid]) -> String {
    let mut ad_strings: Vec<String> = devices.iter().map(ad_string).collect();
    ad_strings.sort_unstable();
    let digest = Sha256::digest(ad_strings.concat().as_bytes());
    let prefix = digest.get(..6).unwrap_or_default();
    format!("2:{}", base64_unpadded(prefix))
}

/// `user.agent:device@server`, the form the hash is taken over.
fn ad_string(jid: &Jid) -> String {
    format!(
        "{}.{}:{}@{}",
        jid.user(),
        jid.agent(),
        jid.device(),
        jid.server().as_str()
    )
}

/// RFC 4648 base64, standard alphabet, without padding.
fn base64_unpadded(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let [a, b, c] = [0, 1, 2].map(|i| chunk.get(i).copied().unwrap_or(0));
        let group = u32::from(a) << 16 | u32::from(b) << 8 | u32::from(c);
        // A chunk of n bytes yields n + 1 characters.
        for index in 0..=chunk.len() {
            let shift = 18 - 6 * index;
            let sextet = (group >> shift) & 0x3F;
            // The mask keeps the index below 64, so the fallback is never taken.
            let symbol = ALPHABET.get(sextet as usize).copied().unwrap_or(b'A');
            out.push(char::from(symbol));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn jid(s: &str) -> Jid {
        Jid::parse(s).unwrap()
    }

    #[test]
    fn base64_matches_rfc_4648_vectors_without_padding() {
        for (input, expected) in [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64_unpadded(input.as_bytes()), expected, "{input:?}");
        }
        assert_eq!(base64_unpadded(&[0xFB, 0xFF]), "+/8");
    }

    #[test]
    fn ad_string_always_writes_agent_and_device() {
        assert_eq!(
            ad_string(&jid("15550001111@s.whatsapp.net")),
            "15550001111.0:0@s.whatsapp.net"
        );
        assert_eq!(
            ad_string(&jid("123456789012345:3@lid")),
            "123456789012345.0:3@lid"
        );
    }

    /// Input: devices `15550002222:2@s.whatsapp.net`, `15550001111:1@s.whatsapp.net`,
    /// `15550002222@s.whatsapp.net` (given unsorted). Sorted AD strings concatenated:
    /// `15550001111.0:1@s.whatsapp.net15550002222.0:0@s.whatsapp.net15550002222.0:2@s.whatsapp.net`.
    /// SHA-256 of that (computed independently with Python's hashlib) starts
    /// `71 b6 df 55 f4 2e`, which is `cbbfVfQu` in base64.
    #[test]
    fn participant_hash_of_a_known_device_list() {
        let devices = [
            jid("15550002222:2@s.whatsapp.net"),
            jid("15550001111:1@s.whatsapp.net"),
            jid("15550002222@s.whatsapp.net"),
        ];
        assert_eq!(participant_hash(&devices), "2:cbbfVfQu");
    }

    #[test]
    fn participant_hash_ignores_order() {
        let a = jid("111111111111111:1@lid");
        let b = jid("222222222222222@lid");
        assert_eq!(
            participant_hash(&[a.clone(), b.clone()]),
            participant_hash(&[b, a])
        );
    }
}
