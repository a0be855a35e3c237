//! Accounts and their devices: the simulator's in-memory directory (sans-IO; the caller passes
//! randomness and holds the lock).

use std::collections::{BTreeMap, HashMap};

use rand_core::RngCore;
use wa_binary::{Jid, Server};
use wa_noise::PublicKey;
use wa_signal::keys::serialize_public_key;
use wa_signal::{IdentityKey, PreKeyId, RegistrationId, SignedPreKeyId};

use crate::error::{Error, RegistrationError, Result};
use crate::phone::PhoneKeys;

/// Largest id that fits the 3 bytes stanzas give prekey ids.
pub(crate) const MAX_PREKEY_ID: u32 = 0x00FF_FFFF;
/// Companion device ids run from 1 (0 is the primary phone) up to this.
const MAX_DEVICE_ID: u16 = 99;

/// A simulated account: its phone-number JID and its LID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// `PHONE@s.whatsapp.net`.
    pub jid: Jid,
    /// `LID@lid`, a random 15-digit user.
    pub lid: Jid,
}

/// A signed prekey as a device publishes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedPreKeyPublic {
    /// Its id (3 bytes on the wire).
    pub id: SignedPreKeyId,
    /// The public key.
    pub public_key: PublicKey,
    /// XEdDSA signature by the identity key over 0x05 || public key.
    pub signature: [u8; 64],
}

/// A one-time prekey as a device publishes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PreKeyPublic {
    /// Its id (3 bytes on the wire).
    pub id: PreKeyId,
    /// The public key.
    pub public_key: PublicKey,
}

/// Everything public the server knows about a companion device when it is registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRegistration {
    /// The device's Noise static public key (it must log in with the matching private key).
    pub noise_key: PublicKey,
    /// The Signal identity key.
    pub identity_key: IdentityKey,
    /// The Signal registration id.
    pub registration_id: RegistrationId,
    /// The current signed prekey.
    pub signed_pre_key: SignedPreKeyPublic,
    /// One-time prekeys (may be empty; the device uploads more after login).
    pub pre_keys: Vec<PreKeyPublic>,
}

/// A read-only view of a registered device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    /// `PHONE:ID@s.whatsapp.net`.
    pub jid: Jid,
    /// `LID:ID@lid`.
    pub lid: Jid,
    /// The Signal identity key.
    pub identity_key: IdentityKey,
    /// The Signal registration id.
    pub registration_id: RegistrationId,
    /// The current signed prekey.
    pub signed_pre_key: SignedPreKeyPublic,
    /// How many one-time prekeys the server holds for it.
    pub pre_key_count: usize,
    /// Whether the device was removed (it can no longer log in).
    pub removed: bool,
}

/// Why a login was refused. Both map to `<failure reason="401"/>` on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LoginRejection {
    /// No such account or device, or the Noise key does not match the registered one.
    Unknown,
    /// The device existed and was removed.
    Removed,
}

/// What a prekey bundle fetch hands out for one device: its public keys and, while any are
/// left, one one-time prekey (removed from the server when handed out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Bundle {
    pub(crate) registration_id: RegistrationId,
    pub(crate) identity_key: IdentityKey,
    pub(crate) signed_pre_key: SignedPreKeyPublic,
    pub(crate) pre_key: Option<PreKeyPublic>,
}

/// A device by its account's phone number and its device id (0 = the primary phone).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct DeviceRef {
    pub(crate) phone: String,
    pub(crate) device: u16,
}

#[derive(Debug)]
struct DeviceRecord {
    /// For the simulated primary phone (device 0) the Noise key is a placeholder: it never
    /// logs in over a socket (`simulated`).
    registration: DeviceRegistration,
    /// A simulated device lives inside the server; no connection may log in as it.
    simulated: bool,
    pre_keys: BTreeMap<PreKeyId, PublicKey>,
    removed: bool,
    /// `ADVSignedDeviceIdentity` (details, account signature key and signature) as encoded.
    adv_identity: Vec<u8>,
}

#[derive(Debug)]
struct AccountRecord {
    lid_user: String,
    devices: BTreeMap<u16, DeviceRecord>,
}

/// The directory of accounts, keyed by phone number, with a LID index.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    accounts: BTreeMap<String, AccountRecord>,
    phone_by_lid: HashMap<String, String>,
}

impl Registry {
    /// Creates an account; a phone number and the LID are drawn from `rng` when not given.
    pub(crate) fn create_account<R: RngCore>(
        &mut self,
        phone: Option<&str>,
        rng: &mut R,
    ) -> Result<Account> {
        let phone = match phone {
            Some(phone) => {
                validate_phone(phone)?;
                if self.accounts.contains_key(phone) {
                    return Err(Error::PhoneTaken);
                }
                phone.to_owned()
            }
            None => loop {
                // A 12-digit number in a range no real country code uses for mobiles.
                let candidate = format!("999{}", random_digits(rng, 9));
                if !self.accounts.contains_key(&candidate) {
                    break candidate;
                }
            },
        };
        let lid_user = loop {
            let candidate = random_digits(rng, 15);
            if !candidate.starts_with('0') && !self.phone_by_lid.contains_key(&candidate) {
                break candidate;
            }
        };
        self.phone_by_lid.insert(lid_user.clone(), phone.clone());
        let account = Account {
            jid: Jid::new(&phone, Server::User)?,
            lid: Jid::new(&lid_user, Server::Lid)?,
        };
        self.accounts.insert(
            phone,
            AccountRecord {
                lid_user,
                devices: BTreeMap::new(),
            },
        );
        Ok(account)
    }

    /// The lowest companion device id of `account` (PN or LID JID) that is neither used nor in
    /// `reserved` (ids promised to pairings in progress).
    pub(crate) fn free_device_id(&self, account: &Jid, reserved: &[u16]) -> Result<u16> {
        let record = self
            .accounts
            .get(self.phone_of(account)?)
            .ok_or(Error::UnknownAccount)?;
        (1..=MAX_DEVICE_ID)
            .find(|id| !record.devices.contains_key(id) && !reserved.contains(id))
            .ok_or(Error::TooManyDevices)
    }

    /// Registers a companion device on `account` (its PN or LID JID) under device id `id`
    /// (from [`free_device_id`](Self::free_device_id)), with its encoded ADV signed identity.
    pub(crate) fn register_device(
        &mut self,
        account: &Jid,
        id: u16,
        registration: DeviceRegistration,
        adv_identity: Vec<u8>,
    ) -> Result<DeviceInfo> {
        validate_registration(&registration)?;
        let phone = self.phone_of(account)?.to_owned();
        let record = self.accounts.get_mut(&phone).ok_or(Error::UnknownAccount)?;
        if id > MAX_DEVICE_ID {
            return Err(Error::TooManyDevices);
        }
        // Device 0 is the primary phone's.
        if id == 0 || record.devices.contains_key(&id) {
            return Err(Error::DeviceIdTaken);
        }
        let pre_keys = registration
            .pre_keys
            .iter()
            .map(|key| (key.id, key.public_key))
            .collect();
        record.devices.insert(
            id,
            DeviceRecord {
                registration,
                pre_keys,
                removed: false,
                simulated: false,
                adv_identity,
            },
        );
        self.device_info(&DeviceRef { phone, device: id })
    }

    /// The encoded ADV signed identity of a device (PN or LID device JID).
    pub(crate) fn adv_identity(&self, device: &Jid) -> Result<Vec<u8>> {
        Ok(self
            .device_record(&self.device_ref(device)?)?
            .adv_identity
            .clone())
    }

    /// Publishes the simulated primary phone of the account `phone` as its device 0.
    pub(crate) fn register_phone(&mut self, phone: &str, keys: &PhoneKeys) -> Result<()> {
        let record = self.accounts.get_mut(phone).ok_or(Error::UnknownAccount)?;
        if record.devices.contains_key(&0) {
            return Err(Error::DeviceIdTaken);
        }
        let registration = DeviceRegistration {
            noise_key: *keys.identity_key.public_key(),
            identity_key: keys.identity_key,
            registration_id: keys.registration_id,
            signed_pre_key: keys.signed_pre_key.clone(),
            pre_keys: keys.pre_keys.clone(),
        };
        validate_registration(&registration)?;
        let pre_keys = keys
            .pre_keys
            .iter()
            .map(|key| (key.id, key.public_key))
            .collect();
        record.devices.insert(
            0,
            DeviceRecord {
                registration,
                simulated: true,
                pre_keys,
                removed: false,
                adv_identity: Vec::new(),
            },
        );
        Ok(())
    }

    /// Marks a device removed: later logins get `<failure reason="401"/>`.
    pub(crate) fn remove_device(&mut self, device: &Jid) -> Result<()> {
        let device_ref = self.device_ref(device)?;
        let record = self.device_mut(&device_ref)?;
        record.removed = true;
        record.pre_keys.clear();
        Ok(())
    }

    /// A view of a device, by its PN or LID device JID.
    pub(crate) fn device(&self, device: &Jid) -> Result<DeviceInfo> {
        self.device_info(&self.device_ref(device)?)
    }

    /// Checks a login: the account and device exist, are not removed, and `noise_key` is the
    /// registered Noise key (compared in constant time).
    pub(crate) fn authenticate(
        &self,
        username: u64,
        device: u32,
        noise_key: &PublicKey,
    ) -> Result<(DeviceRef, DeviceInfo), LoginRejection> {
        let phone = username.to_string();
        let device = u16::try_from(device).map_err(|_| LoginRejection::Unknown)?;
        let record = self
            .accounts
            .get(&phone)
            .and_then(|account| account.devices.get(&device))
            .ok_or(LoginRejection::Unknown)?;
        if record.simulated || record.registration.noise_key != *noise_key {
            return Err(LoginRejection::Unknown);
        }
        if record.removed {
            return Err(LoginRejection::Removed);
        }
        let device_ref = DeviceRef { phone, device };
        let info = self
            .device_info(&device_ref)
            .map_err(|_| LoginRejection::Unknown)?;
        Ok((device_ref, info))
    }

    /// Replaces a device's signed prekey and adds (or replaces, by id) one-time prekeys, after
    /// checking the signature against the registered identity. Nothing changes on error.
    pub(crate) fn store_pre_keys(
        &mut self,
        device: &DeviceRef,
        registration_id: RegistrationId,
        signed_pre_key: SignedPreKeyPublic,
        pre_keys: &[PreKeyPublic],
    ) -> Result<()> {
        let record = self.device_mut(device)?;
        validate_signed_pre_key(&record.registration.identity_key, &signed_pre_key)?;
        for pre_key in pre_keys {
            check_pre_key_id(pre_key.id.0)?;
        }
        record.registration.registration_id = registration_id;
        record.registration.signed_pre_key = signed_pre_key;
        record
            .pre_keys
            .extend(pre_keys.iter().map(|key| (key.id, key.public_key)));
        Ok(())
    }

    /// The identity key a device registered with.
    pub(crate) fn identity_of(&self, device: &DeviceRef) -> Result<IdentityKey> {
        Ok(self.device_record(device)?.registration.identity_key)
    }

    /// How many one-time prekeys the server holds for a device.
    pub(crate) fn pre_key_count(&self, device: &DeviceRef) -> Result<usize> {
        Ok(self.device_record(device)?.pre_keys.len())
    }

    /// The bundle of a device (PN or LID device JID), consuming its lowest-numbered one-time
    /// prekey. Removed devices have no bundle.
    pub(crate) fn take_bundle(&mut self, device: &Jid) -> Result<Bundle> {
        let device_ref = self.device_ref(device)?;
        let record = self.device_mut(&device_ref)?;
        if record.removed {
            return Err(Error::UnknownDevice);
        }
        let pre_key = record
            .pre_keys
            .pop_first()
            .map(|(id, public_key)| PreKeyPublic { id, public_key });
        Ok(Bundle {
            registration_id: record.registration.registration_id,
            identity_key: record.registration.identity_key,
            signed_pre_key: record.registration.signed_pre_key.clone(),
            pre_key,
        })
    }

    /// The ids of an account's devices that are not removed, ascending, by its PN or LID JID
    /// (any device part is ignored); device 0 is the account's simulated primary phone.
    pub(crate) fn device_ids(&self, user: &Jid) -> Result<Vec<u16>> {
        let phone = self.phone_of(user)?;
        let account = self.accounts.get(phone).ok_or(Error::UnknownAccount)?;
        Ok(account
            .devices
            .iter()
            .filter(|(_, record)| !record.removed)
            .map(|(id, _)| *id)
            .collect())
    }

    /// The LID of an account given by its PN JID (any device part is ignored).
    pub(crate) fn lid_of(&self, user: &Jid) -> Result<Jid> {
        if *user.server() != Server::User {
            return Err(Error::UnknownAccount);
        }
        let account = self
            .accounts
            .get(user.user())
            .ok_or(Error::UnknownAccount)?;
        Ok(Jid::new(&account.lid_user, Server::Lid)?)
    }

    /// The account with this PN or LID JID (any device part is ignored).
    pub(crate) fn account(&self, user: &Jid) -> Result<Account> {
        let phone = self.phone_of(user)?;
        let account = self.accounts.get(phone).ok_or(Error::UnknownAccount)?;
        Ok(Account {
            jid: Jid::new(phone, Server::User)?,
            lid: Jid::new(&account.lid_user, Server::Lid)?,
        })
    }

    /// The device a PN or LID device JID names, if it exists and was not removed.
    pub(crate) fn resolve_live(&self, device: &Jid) -> Result<DeviceRef> {
        let device_ref = self.device_ref(device)?;
        if self.device_record(&device_ref)?.removed {
            return Err(Error::UnknownDevice);
        }
        Ok(device_ref)
    }

    /// The PN device JID of a device.
    pub(crate) fn device_jid(&self, device: &DeviceRef) -> Result<Jid> {
        let account = self.account_by_phone(&device.phone)?;
        crate::routing::device_jid(&account, device.device, false)
    }

    /// The account a phone number belongs to.
    pub(crate) fn account_by_phone(&self, phone: &str) -> Result<Account> {
        let account = self.accounts.get(phone).ok_or(Error::UnknownAccount)?;
        Ok(Account {
            jid: Jid::new(phone, Server::User)?,
            lid: Jid::new(&account.lid_user, Server::Lid)?,
        })
    }

    /// The ids of the devices of the account with this phone number that are not removed.
    pub(crate) fn live_devices(&self, phone: &str) -> Vec<DeviceRef> {
        self.accounts.get(phone).map_or_else(Vec::new, |account| {
            account
                .devices
                .iter()
                .filter(|(_, record)| !record.removed)
                .map(|(id, _)| DeviceRef {
                    phone: phone.to_owned(),
                    device: *id,
                })
                .collect()
        })
    }

    fn phone_of<'s>(&'s self, account: &'s Jid) -> Result<&'s str> {
        match account.server() {
            Server::User => Ok(account.user()),
            Server::Lid => self
                .phone_by_lid
                .get(account.user())
                .map(String::as_str)
                .ok_or(Error::UnknownAccount),
            _ => Err(Error::UnknownAccount),
        }
    }

    fn device_ref(&self, device: &Jid) -> Result<DeviceRef> {
        let phone = self.phone_of(device)?.to_owned();
        Ok(DeviceRef {
            phone,
            device: device.device(),
        })
    }

    fn device_record(&self, device: &DeviceRef) -> Result<&DeviceRecord> {
        self.accounts
            .get(&device.phone)
            .ok_or(Error::UnknownAccount)?
            .devices
            .get(&device.device)
            .ok_or(Error::UnknownDevice)
    }

    fn device_mut(&mut self, device: &DeviceRef) -> Result<&mut DeviceRecord> {
        self.accounts
            .get_mut(&device.phone)
            .ok_or(Error::UnknownAccount)?
            .devices
            .get_mut(&device.device)
            .ok_or(Error::UnknownDevice)
    }

    fn device_info(&self, device: &DeviceRef) -> Result<DeviceInfo> {
        let account = self
            .accounts
            .get(&device.phone)
            .ok_or(Error::UnknownAccount)?;
        let record = self.device_record(device)?;
        Ok(DeviceInfo {
            jid: Jid::new(&device.phone, Server::User)?.with_device(device.device)?,
            lid: Jid::new(&account.lid_user, Server::Lid)?.with_device(device.device)?,
            identity_key: record.registration.identity_key,
            registration_id: record.registration.registration_id,
            signed_pre_key: record.registration.signed_pre_key.clone(),
            pre_key_count: record.pre_keys.len(),
            removed: record.removed,
        })
    }
}

fn validate_phone(phone: &str) -> Result<()> {
    let ok = (5..=15).contains(&phone.len())
        && phone.bytes().all(|b| b.is_ascii_digit())
        && !phone.starts_with('0');
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidPhone)
    }
}

/// Checks a registration's signed prekey (signature, id) and one-time prekey ids.
pub(crate) fn validate_registration(
    registration: &DeviceRegistration,
) -> Result<(), RegistrationError> {
    validate_signed_pre_key(&registration.identity_key, &registration.signed_pre_key)?;
    registration
        .pre_keys
        .iter()
        .try_for_each(|pre_key| check_pre_key_id(pre_key.id.0))
}

fn check_pre_key_id(id: u32) -> Result<(), RegistrationError> {
    if id <= MAX_PREKEY_ID {
        Ok(())
    } else {
        Err(RegistrationError::PreKeyIdRange)
    }
}

fn validate_signed_pre_key(
    identity: &IdentityKey,
    signed_pre_key: &SignedPreKeyPublic,
) -> Result<(), RegistrationError> {
    check_pre_key_id(signed_pre_key.id.0)?;
    let message = serialize_public_key(&signed_pre_key.public_key);
    if wa_curve25519::verify(
        identity.public_key().as_bytes(),
        &message,
        &signed_pre_key.signature,
    ) {
        Ok(())
    } else {
        Err(RegistrationError::BadSignature)
    }
}

/// `count` decimal digits drawn uniformly from `rng`.
pub(crate) fn random_digits<R: RngCore>(rng: &mut R, count: usize) -> String {
    (0..count)
        .map(|_| {
            // Rejection sampling keeps the digits uniform.
            loop {
                let [byte, ..] = rng.next_u32().to_le_bytes();
                if byte < 250 {
                    break char::from(b'0' + byte % 10);
                }
            }
        })
        .collect()
}
