//! JIDs: `[integrator-]user[.agent][:device]@server`, validated, with a typed [`Server`].
//!
//! Parsing is strict ([`JidError`] for anything malformed), but a JID decoded from the wire is
//! kept as the peer sent it: the decoder builds it from its parts without validating them, so
//! any server string or user a peer sends survives a decode / re-encode. [`Jid::validate`]
//! applies the parser's rules to such a JID.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use crate::error::JidError;
use crate::text::CompactStr;

/// The server (domain) part of a JID.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
#[non_exhaustive]
pub enum Server {
    /// `s.whatsapp.net`: phone-number users and their devices; alone, the server itself.
    User,
    /// `lid`: LID (hidden) users and their devices.
    Lid,
    /// `hosted`: hosted (Cloud API) phone-number users.
    Hosted,
    /// `hosted.lid`: hosted LID users.
    HostedLid,
    /// `g.us`: groups.
    Group,
    /// `broadcast`: broadcast lists and `status@broadcast`.
    Broadcast,
    /// `newsletter`: channels.
    Newsletter,
    /// `msgr`: Messenger (FB) users, written as FB_JID.
    Messenger,
    /// `interop`: interoperability users, written as INTEROP_JID with an integrator.
    Interop,
    /// `bot`: bots (Meta AI).
    Bot,
    /// `c.us`: the legacy user server.
    LegacyUser,
    /// Any other server name.
    Other(OtherServer),
}

/// The name of a server this crate has no variant for.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct OtherServer(CompactStr);

impl OtherServer {
    /// The server name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

/// Which characters a server allows in the user part.
#[derive(Clone, Copy)]
enum UserRule {
    /// `0-9`.
    Digits,
    /// `0-9` and `-` (legacy `creator-timestamp` group ids).
    GroupId,
    /// ASCII letters, digits and `-`.
    Name,
}

impl Server {
    /// The server name as written in a JID.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::User => "s.whatsapp.net",
            Self::Lid => "lid",
            Self::Hosted => "hosted",
            Self::HostedLid => "hosted.lid",
            Self::Group => "g.us",
            Self::Broadcast => "broadcast",
            Self::Newsletter => "newsletter",
            Self::Messenger => "msgr",
            Self::Interop => "interop",
            Self::Bot => "bot",
            Self::LegacyUser => "c.us",
            Self::Other(name) => name.as_str(),
        }
    }

    /// The known server with this name, if any.
    #[must_use]
    pub fn known(name: &str) -> Option<Self> {
        Some(match name {
            "s.whatsapp.net" => Self::User,
            "lid" => Self::Lid,
            "hosted" => Self::Hosted,
            "hosted.lid" => Self::HostedLid,
            "g.us" => Self::Group,
            "broadcast" => Self::Broadcast,
            "newsletter" => Self::Newsletter,
            "msgr" => Self::Messenger,
            "interop" => Self::Interop,
            "bot" => Self::Bot,
            "c.us" => Self::LegacyUser,
            _ => return None,
        })
    }

    /// A server from its name: a known server, or [`Server::Other`] when the name is made of
    /// dot-separated labels of `a-z 0-9 -`.
    ///
    /// # Errors
    /// [`JidError::EmptyServer`] or [`JidError::InvalidServer`].
    pub fn from_name(name: &str) -> Result<Self, JidError> {
        if let Some(known) = Self::known(name) {
            return Ok(known);
        }
        if name.is_empty() {
            return Err(JidError::EmptyServer);
        }
        let label_ok = |label: &str| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        };
        if name.split('.').all(label_ok) {
            Ok(Self::Other(OtherServer(CompactStr::new(name))))
        } else {
            Err(JidError::InvalidServer)
        }
    }

    /// A server name as a peer sent it: known, or [`Server::Other`] without validation.
    pub(crate) fn from_wire(name: &str) -> Self {
        Self::known(name).unwrap_or_else(|| Self::Other(OtherServer(CompactStr::new(name))))
    }

    /// The AD_JID domain byte of the servers that use AD_JID: `s.whatsapp.net` 0, `lid` 1,
    /// `hosted` 128, `hosted.lid` 129.
    #[must_use]
    pub fn ad_domain(&self) -> Option<u8> {
        match self {
            Self::User => Some(0),
            Self::Lid => Some(1),
            Self::Hosted => Some(128),
            Self::HostedLid => Some(129),
            _ => None,
        }
    }

    /// The largest device number the server's wire form carries, `None` when it has no device.
    fn max_device(&self) -> Option<u16> {
        match self {
            Self::User | Self::Lid | Self::Hosted | Self::HostedLid => Some(u16::from(u8::MAX)),
            Self::Messenger | Self::Interop => Some(u16::MAX),
            _ => None,
        }
    }

    fn user_rule(&self) -> UserRule {
        match self {
            Self::User
            | Self::Lid
            | Self::Hosted
            | Self::HostedLid
            | Self::Newsletter
            | Self::Messenger
            | Self::Interop
            | Self::Bot => UserRule::Digits,
            Self::Group => UserRule::GroupId,
            Self::Broadcast | Self::LegacyUser | Self::Other(_) => UserRule::Name,
        }
    }
}

impl fmt::Display for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Server {
    type Err = JidError;

    fn from_str(s: &str) -> Result<Self, JidError> {
        Self::from_name(s)
    }
}

/// A WhatsApp JID.
///
/// Text forms (all accepted by [`FromStr`] and produced by [`fmt::Display`]):
///
/// | form | example |
/// | --- | --- |
/// | user | `15550002222@s.whatsapp.net` |
/// | device (AD JID) | `15550002222:2@s.whatsapp.net`, `123456789012345:5@lid` |
/// | agent and device | `15550002222.1:3@s.whatsapp.net` |
/// | hosted | `15550002222:99@hosted`, `123:1@hosted.lid` |
/// | group, broadcast, newsletter | `120363012345678901@g.us`, `status@broadcast`, `1203...@newsletter` |
/// | Messenger | `100012345:3@msgr` |
/// | interop (integrator 7) | `7-100012345:1@interop` |
/// | bot, legacy | `867051314767696@bot`, `16505361212@c.us` |
/// | server only | `@s.whatsapp.net` (also parsed from `s.whatsapp.net`), `@g.us` |
///
/// Baileys' `user_agent` form (`15550002222_1:3@...`) is rejected: `_N` is the Signal-address
/// domain suffix, not part of a JID.
///
/// A device written explicitly as `:0` is kept (it is encoded as AD_JID, as Baileys does), but
/// it is the same device as no device: equality and hashing treat `u:0@s` and `u@s` alike.
///
/// ```
/// use wa_binary::{Jid, Server};
/// let jid: Jid = "15550002222:2@s.whatsapp.net".parse()?;
/// assert_eq!(jid.user(), "15550002222");
/// assert_eq!(jid.device(), 2);
/// assert_eq!(jid.server(), &Server::User);
/// assert_eq!(jid.to_non_ad().to_string(), "15550002222@s.whatsapp.net");
/// assert_eq!(jid.signal_address().to_string(), "15550002222:2");
/// let lid: Jid = "12345:3@lid".parse()?;
/// assert_eq!(lid.signal_address().to_string(), "12345_1:3");
/// # Ok::<(), wa_binary::JidError>(())
/// ```
#[derive(Clone)]
pub struct Jid {
    user: CompactStr,
    server: Server,
    device: u16,
    integrator: u16,
    agent: u8,
    device_written: bool,
}

/// How a JID goes on the wire (decided by its server and device).
pub(crate) enum JidWire {
    /// AD_JID with this domain byte.
    Ad { domain: u8 },
    /// FB_JID.
    Fb,
    /// INTEROP_JID.
    Interop,
    /// JID_PAIR.
    Pair,
}

impl Jid {
    /// `user@server`, validated.
    ///
    /// # Errors
    /// When the user does not suit the server (see [`JidError::InvalidUser`]). An empty user
    /// gives the server-only JID.
    pub fn new(user: &str, server: Server) -> Result<Self, JidError> {
        check_user(user, &server)?;
        Ok(Self::from_parts_unchecked(user, server))
    }

    /// The server-only JID `@server` (e.g. the `to` of an iq for the server).
    #[must_use]
    pub fn server_only(server: Server) -> Self {
        Self::from_parts_unchecked("", server)
    }

    /// This JID with a device (`user:device@server`); the device is kept even when it is 0.
    ///
    /// # Errors
    /// [`JidError::DeviceNotAllowed`] on a server without devices, [`JidError::EmptyUser`] on a
    /// server-only JID, [`JidError::DeviceOutOfRange`] above 255 for AD JIDs.
    pub fn with_device(mut self, device: u16) -> Result<Self, JidError> {
        let max = self.server.max_device().ok_or(JidError::DeviceNotAllowed)?;
        if self.user.as_str().is_empty() {
            return Err(JidError::EmptyUser);
        }
        if device > max {
            return Err(JidError::DeviceOutOfRange);
        }
        self.device = device;
        self.device_written = true;
        Ok(self)
    }

    /// This JID with an agent (`user.agent@s.whatsapp.net`). The agent is shown and kept in
    /// memory but never written to the wire, where `s.whatsapp.net` always has domain 0 (as in
    /// whatsmeow and Baileys).
    ///
    /// # Errors
    /// [`JidError::AgentNotAllowed`] on servers other than `s.whatsapp.net`,
    /// [`JidError::EmptyUser`] on a server-only JID.
    pub fn with_agent(mut self, agent: u8) -> Result<Self, JidError> {
        if self.server != Server::User {
            return Err(JidError::AgentNotAllowed);
        }
        if self.user.as_str().is_empty() {
            return Err(JidError::EmptyUser);
        }
        self.agent = agent;
        Ok(self)
    }

    /// This interop JID with an integrator (`integrator-user:device@interop`).
    ///
    /// # Errors
    /// [`JidError::IntegratorNotAllowed`] on servers other than `interop`.
    pub fn with_integrator(mut self, integrator: u16) -> Result<Self, JidError> {
        if self.server != Server::Interop {
            return Err(JidError::IntegratorNotAllowed);
        }
        self.integrator = integrator;
        Ok(self)
    }

    /// Parses a JID (same as [`FromStr`]).
    ///
    /// # Errors
    /// A [`JidError`] naming what is malformed.
    pub fn parse(s: &str) -> Result<Self, JidError> {
        if s.is_empty() {
            return Err(JidError::Empty);
        }
        let Some((user_part, server_name)) = s.split_once('@') else {
            return Server::known(s)
                .map(Self::server_only)
                .ok_or(JidError::UnknownServer);
        };
        if server_name.contains('@') {
            return Err(JidError::MultipleAt);
        }
        let server = Server::from_name(server_name)?;
        if user_part.is_empty() {
            return Ok(Self::server_only(server));
        }

        let (user_agent, device) = match user_part.split_once(':') {
            Some((rest, device)) => (rest, Some(device)),
            None => (user_part, None),
        };
        let (user_integrated, agent) = match user_agent.split_once('.') {
            Some((rest, agent)) => (rest, Some(agent)),
            None => (user_agent, None),
        };
        let (integrator, user) = match (&server, user_integrated.split_once('-')) {
            (Server::Interop, Some((integrator, user))) => (Some(integrator), user),
            _ => (None, user_integrated),
        };
        if user.is_empty() {
            return Err(JidError::EmptyUser);
        }

        let mut jid = Self::new(user, server)?;
        if let Some(agent) = agent {
            let agent = decimal(agent)
                .and_then(|a| u8::try_from(a).ok())
                .ok_or(JidError::InvalidAgent)?;
            jid = jid.with_agent(agent)?;
        }
        if let Some(integrator) = integrator {
            let integrator = decimal(integrator)
                .and_then(|i| u16::try_from(i).ok())
                .ok_or(JidError::InvalidIntegrator)?;
            jid = jid.with_integrator(integrator)?;
        }
        if let Some(device) = device {
            let device = decimal(device).ok_or(JidError::InvalidDevice)?;
            if jid.server.max_device().is_none() {
                return Err(JidError::DeviceNotAllowed);
            }
            let device = u16::try_from(device).map_err(|_| JidError::DeviceOutOfRange)?;
            jid = jid.with_device(device)?;
        }
        Ok(jid)
    }

    /// Checks a JID (e.g. one decoded from the wire) against the parser's rules.
    ///
    /// # Errors
    /// The [`JidError`] that parsing its text form would give.
    pub fn validate(&self) -> Result<(), JidError> {
        if let Server::Other(name) = &self.server {
            Server::from_name(name.as_str())?;
        }
        check_user(self.user(), &self.server)?;
        let has_user = !self.user().is_empty();
        if self.agent != 0 && (self.server != Server::User || !has_user) {
            return Err(JidError::AgentNotAllowed);
        }
        if self.integrator != 0 && self.server != Server::Interop {
            return Err(JidError::IntegratorNotAllowed);
        }
        if self.device_written || self.device != 0 {
            let max = self.server.max_device().ok_or(JidError::DeviceNotAllowed)?;
            if !has_user {
                return Err(JidError::EmptyUser);
            }
            if self.device > max {
                return Err(JidError::DeviceOutOfRange);
            }
        }
        Ok(())
    }

    /// Builds a JID from parts without checking them (decoder and constructors).
    pub(crate) fn from_parts_unchecked(user: &str, server: Server) -> Self {
        Self {
            user: CompactStr::new(user),
            server,
            device: 0,
            integrator: 0,
            agent: 0,
            device_written: false,
        }
    }

    /// The JID an AD_JID (domain byte, device byte, user) denotes. Unknown domains are kept as
    /// the agent of an `s.whatsapp.net` JID (as whatsmeow does).
    pub(crate) fn from_ad_wire(user: &str, domain: u8, device: u8) -> Self {
        let (server, agent) = match domain {
            0 => (Server::User, 0),
            1 => (Server::Lid, 0),
            128 => (Server::Hosted, 0),
            129 => (Server::HostedLid, 0),
            other => (Server::User, other),
        };
        // Hosted JIDs are always AD_JIDs, so their device 0 carries no "written" information.
        let device_written = device != 0 || matches!(server, Server::User | Server::Lid);
        Self {
            agent,
            device: u16::from(device),
            device_written,
            ..Self::from_parts_unchecked(user, server)
        }
    }

    /// The JID an FB_JID or INTEROP_JID denotes.
    pub(crate) fn from_device_wire(
        user: &str,
        server: Server,
        device: u16,
        integrator: u16,
    ) -> Self {
        Self {
            device,
            integrator,
            device_written: true,
            ..Self::from_parts_unchecked(user, server)
        }
    }

    /// The wire form of this JID.
    pub(crate) fn wire(&self) -> JidWire {
        match (&self.server, self.server.ad_domain()) {
            (Server::Hosted | Server::HostedLid, Some(domain)) => JidWire::Ad { domain },
            (_, Some(domain)) if self.has_device() => JidWire::Ad { domain },
            (Server::Messenger, _) => JidWire::Fb,
            (Server::Interop, _) => JidWire::Interop,
            _ => JidWire::Pair,
        }
    }

    /// The user part (empty for a server-only JID; without integrator, agent or device).
    #[must_use]
    pub fn user(&self) -> &str {
        self.user.as_str()
    }

    /// The server.
    #[must_use]
    pub fn server(&self) -> &Server {
        &self.server
    }

    /// The device number (0, the primary device, when none is written).
    #[must_use]
    pub fn device(&self) -> u16 {
        self.device
    }

    /// Whether a device is written (`:N`, including an explicit `:0`).
    #[must_use]
    pub fn has_device(&self) -> bool {
        self.device_written || self.device != 0
    }

    /// The agent (0 when none).
    #[must_use]
    pub fn agent(&self) -> u8 {
        self.agent
    }

    /// The interop integrator (0 when none).
    #[must_use]
    pub fn integrator(&self) -> u16 {
        self.integrator
    }

    /// The Signal domain: the AD domain of `s.whatsapp.net` (0), `lid` (1), `hosted` (128),
    /// `hosted.lid` (129); the agent on other servers.
    #[must_use]
    pub fn domain(&self) -> u8 {
        self.server.ad_domain().unwrap_or(self.agent)
    }

    /// The server-only JID: no user.
    #[must_use]
    pub fn is_server(&self) -> bool {
        self.user().is_empty()
    }

    /// A group (`g.us`).
    #[must_use]
    pub fn is_group(&self) -> bool {
        self.server == Server::Group
    }

    /// A broadcast list or the status broadcast (`broadcast`).
    #[must_use]
    pub fn is_broadcast(&self) -> bool {
        self.server == Server::Broadcast
    }

    /// `status@broadcast`.
    #[must_use]
    pub fn is_status_broadcast(&self) -> bool {
        self.server == Server::Broadcast && self.user() == "status"
    }

    /// A channel (`newsletter`).
    #[must_use]
    pub fn is_newsletter(&self) -> bool {
        self.server == Server::Newsletter
    }

    /// A LID user or device (`lid` or `hosted.lid`).
    #[must_use]
    pub fn is_lid(&self) -> bool {
        matches!(self.server, Server::Lid | Server::HostedLid)
    }

    /// A phone-number user or device (`s.whatsapp.net` or `hosted`, with a user).
    #[must_use]
    pub fn is_pn_user(&self) -> bool {
        matches!(self.server, Server::User | Server::Hosted) && !self.is_server()
    }

    /// The JID without agent and device (the user's account).
    #[must_use]
    pub fn to_non_ad(&self) -> Self {
        Self {
            device: 0,
            agent: 0,
            device_written: false,
            ..self.clone()
        }
    }

    /// The Signal protocol address of this device: `user` (domain 0) or `user_<domain>`, with
    /// the device id.
    #[must_use]
    pub fn signal_address(&self) -> SignalAddress {
        let domain = self.domain();
        let name = if domain == 0 {
            self.user().to_owned()
        } else {
            format!("{}_{domain}", self.user())
        };
        SignalAddress {
            name,
            device: self.device,
        }
    }
}

impl PartialEq for Jid {
    fn eq(&self, other: &Self) -> bool {
        // `device_written` is left out on purpose: `u:0@s` and `u@s` are the same device.
        self.user == other.user
            && self.server == other.server
            && self.device == other.device
            && self.integrator == other.integrator
            && self.agent == other.agent
    }
}

impl Eq for Jid {}

impl Hash for Jid {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.user.hash(state);
        self.server.hash(state);
        self.device.hash(state);
        self.integrator.hash(state);
        self.agent.hash(state);
    }
}

impl fmt::Display for Jid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.integrator != 0 {
            write!(f, "{}-", self.integrator)?;
        }
        f.write_str(self.user())?;
        if self.agent != 0 {
            write!(f, ".{}", self.agent)?;
        }
        if self.has_device() {
            write!(f, ":{}", self.device)?;
        }
        write!(f, "@{}", self.server)
    }
}

impl fmt::Debug for Jid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Jid({self})")
    }
}

impl FromStr for Jid {
    type Err = JidError;

    fn from_str(s: &str) -> Result<Self, JidError> {
        Self::parse(s)
    }
}

impl TryFrom<&str> for Jid {
    type Error = JidError;

    fn try_from(s: &str) -> Result<Self, JidError> {
        Self::parse(s)
    }
}

/// A Signal protocol address: the session name and the device id, shown as `name:device`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SignalAddress {
    name: String,
    device: u16,
}

impl SignalAddress {
    /// `user` or `user_<domain>`.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The device id.
    #[must_use]
    pub fn device(&self) -> u16 {
        self.device
    }
}

impl fmt::Display for SignalAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.name, self.device)
    }
}

/// The user part's characters against the server's rule (empty = server-only, allowed).
fn check_user(user: &str, server: &Server) -> Result<(), JidError> {
    let ok = match server.user_rule() {
        UserRule::Digits => user.bytes().all(|b| b.is_ascii_digit()),
        UserRule::GroupId => user.bytes().all(|b| b.is_ascii_digit() || b == b'-'),
        UserRule::Name => user.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'),
    };
    if ok {
        Ok(())
    } else {
        Err(JidError::InvalidUser)
    }
}

/// A plain decimal number: digits only, no leading zero (except "0"); saturates on overflow so
/// that range checks reject it.
fn decimal(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    Some(s.bytes().fold(0u64, |acc, b| {
        acc.saturating_mul(10).saturating_add(u64::from(b - b'0'))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(s: &str) -> Jid {
        let jid: Jid = s.parse().unwrap_or_else(|e| panic!("{s}: {e}"));
        assert_eq!(jid.to_string(), s, "display of {s}");
        assert_eq!(jid.to_string().parse::<Jid>().unwrap(), jid);
        jid
    }

    #[test]
    fn every_form_round_trips() {
        let user = round_trip("15550002222@s.whatsapp.net");
        assert_eq!(
            (user.user(), user.device(), user.has_device()),
            ("15550002222", 0, false)
        );
        let device = round_trip("15550002222:2@s.whatsapp.net");
        assert_eq!(device.device(), 2);
        let zero = round_trip("15550002222:0@s.whatsapp.net");
        assert!(zero.has_device());
        assert_eq!(zero, user, ":0 is the same device as none");
        let agent = round_trip("15550002222.1:3@s.whatsapp.net");
        assert_eq!((agent.agent(), agent.device()), (1, 3));
        round_trip("15550002222.4@s.whatsapp.net");
        assert!(round_trip("123456789012345@lid").is_lid());
        assert_eq!(round_trip("123456789012345:5@lid").device(), 5);
        round_trip("15550002222@hosted");
        round_trip("15550002222:99@hosted");
        round_trip("123:1@hosted.lid");
        assert!(round_trip("120363012345678901@g.us").is_group());
        assert!(round_trip("15551234567-1441234567@g.us").is_group());
        assert!(round_trip("status@broadcast").is_status_broadcast());
        assert!(round_trip("1234567890@broadcast").is_broadcast());
        assert!(round_trip("120363123456789012@newsletter").is_newsletter());
        assert_eq!(round_trip("100012345:3@msgr").device(), 3);
        assert_eq!(round_trip("100012345:65535@msgr").device(), 65535);
        let interop = round_trip("7-100012345:1@interop");
        assert_eq!(
            (interop.integrator(), interop.user(), interop.device()),
            (7, "100012345", 1)
        );
        round_trip("100012345:1@interop");
        round_trip("867051314767696@bot");
        round_trip("16505361212@c.us");
        round_trip("server@c.us");
        round_trip("call-1@call");
        assert!(round_trip("@s.whatsapp.net").is_server());
        round_trip("@g.us");
    }

    #[test]
    fn server_only_without_at() {
        let jid: Jid = "s.whatsapp.net".parse().unwrap();
        assert_eq!(jid, Jid::server_only(Server::User));
        assert_eq!(jid.to_string(), "@s.whatsapp.net");
        assert_eq!("g.us".parse::<Jid>().unwrap().server(), &Server::Group);
        assert_eq!("example.com".parse::<Jid>(), Err(JidError::UnknownServer));
    }

    #[test]
    fn malformed_inputs_are_typed_errors() {
        let cases = [
            ("", JidError::Empty),
            ("a@b@c", JidError::MultipleAt),
            ("1@", JidError::EmptyServer),
            ("1@S.WHATSAPP.NET", JidError::InvalidServer),
            ("1@bad..server", JidError::InvalidServer),
            ("1@bad_server", JidError::InvalidServer),
            ("abc@s.whatsapp.net", JidError::InvalidUser),
            ("15550002222_1:3@s.whatsapp.net", JidError::InvalidUser),
            ("+1555@s.whatsapp.net", JidError::InvalidUser),
            ("1a@lid", JidError::InvalidUser),
            ("12 3@g.us", JidError::InvalidUser),
            (":3@s.whatsapp.net", JidError::EmptyUser),
            ("1:x@s.whatsapp.net", JidError::InvalidDevice),
            ("1:@s.whatsapp.net", JidError::InvalidDevice),
            ("1:-1@s.whatsapp.net", JidError::InvalidDevice),
            ("1:01@s.whatsapp.net", JidError::InvalidDevice),
            ("1:2:3@s.whatsapp.net", JidError::InvalidDevice),
            ("1:256@s.whatsapp.net", JidError::DeviceOutOfRange),
            ("1:256@lid", JidError::DeviceOutOfRange),
            ("1:65536@msgr", JidError::DeviceOutOfRange),
            ("1:99999999999999999999999@msgr", JidError::DeviceOutOfRange),
            ("1:1@g.us", JidError::DeviceNotAllowed),
            ("status:1@broadcast", JidError::DeviceNotAllowed),
            ("1.x:1@s.whatsapp.net", JidError::InvalidAgent),
            ("1.256:1@s.whatsapp.net", JidError::InvalidAgent),
            ("1.2.3:1@s.whatsapp.net", JidError::InvalidAgent),
            ("1.2:1@lid", JidError::AgentNotAllowed),
            ("x-1:1@interop", JidError::InvalidIntegrator),
            ("70000-1:1@interop", JidError::InvalidIntegrator),
        ];
        for (input, expected) in cases {
            assert_eq!(input.parse::<Jid>(), Err(expected), "{input}");
        }
    }

    #[test]
    fn helpers() {
        let lid: Jid = "12345:3@lid".parse().unwrap();
        assert_eq!(lid.domain(), 1);
        assert_eq!(lid.signal_address().to_string(), "12345_1:3");
        assert_eq!(lid.signal_address().name(), "12345_1");
        let hosted: Jid = "12345:3@hosted.lid".parse().unwrap();
        assert_eq!(hosted.signal_address().to_string(), "12345_129:3");
        let pn: Jid = "15550002222@s.whatsapp.net".parse().unwrap();
        assert_eq!(pn.signal_address().to_string(), "15550002222:0");
        assert!(pn.is_pn_user());
        let agent: Jid = "15550002222.1:3@s.whatsapp.net".parse().unwrap();
        assert_eq!(
            agent.domain(),
            0,
            "agents do not change the s.whatsapp.net domain"
        );
        assert_eq!(agent.to_non_ad(), pn);
        assert_eq!(agent.to_non_ad().to_string(), "15550002222@s.whatsapp.net");
    }

    #[test]
    fn constructors_validate() {
        assert_eq!(Jid::new("abc", Server::User), Err(JidError::InvalidUser));
        let jid = Jid::new("1", Server::User).unwrap();
        assert_eq!(
            jid.clone().with_device(256),
            Err(JidError::DeviceOutOfRange)
        );
        assert_eq!(
            jid.clone().with_integrator(1),
            Err(JidError::IntegratorNotAllowed)
        );
        assert_eq!(
            Jid::server_only(Server::User).with_device(1),
            Err(JidError::EmptyUser)
        );
        assert_eq!(
            Jid::new("1", Server::Group).unwrap().with_device(1),
            Err(JidError::DeviceNotAllowed)
        );
        assert_eq!(
            jid.with_device(255).unwrap().to_string(),
            "1:255@s.whatsapp.net"
        );
    }

    #[test]
    fn wire_jids_keep_what_the_peer_sent() {
        let odd = Jid::from_ad_wire("15550002222", 7, 2);
        assert_eq!(odd.to_string(), "15550002222.7:2@s.whatsapp.net");
        assert!(odd.validate().is_ok());
        let hosted = Jid::from_ad_wire("1", 128, 0);
        assert_eq!(hosted.to_string(), "1@hosted");
        let strange = Jid::from_parts_unchecked("a:b", Server::from_wire("X"));
        assert_eq!(strange.validate(), Err(JidError::InvalidServer));
        assert_eq!(strange.server().as_str(), "X");
    }
}
