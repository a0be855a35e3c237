//! The `device` table: one row per account/device of ours, its long-term keys and JIDs.

use rusqlite::{params, OptionalExtension, Row};
use wa_curve25519::{KeyPair, KEY_LENGTH};
use zeroize::Zeroizing;

use wa_signal::{IdentityKeyPair, RegistrationId, SignedPreKeyId};

use crate::ids::DeviceId;
use crate::{Error, Result, Store};

/// The keys a new device starts with (before pairing gives it JIDs and an ADV identity).
#[derive(Debug)]
pub struct NewDevice {
    /// The Noise static key pair (the connection's identity to the server).
    pub noise_key: KeyPair,
    /// The Signal identity key pair.
    pub identity_key: IdentityKeyPair,
    /// The Signal registration id.
    pub registration_id: RegistrationId,
    /// The id of the signed prekey in force (its record is in `signed_prekeys`).
    pub signed_prekey_id: SignedPreKeyId,
}

/// One stored device. Private keys are zeroized on drop and redacted in `Debug` by their types.
#[derive(Debug)]
pub struct Device {
    /// Its row id.
    pub id: DeviceId,
    /// The Noise static key pair.
    pub noise_key: KeyPair,
    /// The Signal identity key pair.
    pub identity_key: IdentityKeyPair,
    /// The Signal registration id.
    pub registration_id: RegistrationId,
    /// The signed prekey in force.
    pub signed_prekey_id: SignedPreKeyId,
    /// The `ADVSignedDeviceIdentity` from pairing, once paired.
    pub adv_signed_identity: Option<wa_proto::adv::AdvSignedDeviceIdentity>,
    /// Our device JID (`user:device@s.whatsapp.net`), once paired.
    pub jid: Option<String>,
    /// Our LID (`user:device@lid`), once known.
    pub lid: Option<String>,
    /// The platform name sent at login.
    pub platform: Option<String>,
}

/// What pairing learns about a device.
#[derive(Debug, Clone, Default)]
pub struct Pairing {
    /// The `ADVSignedDeviceIdentity`.
    pub adv_signed_identity: Option<wa_proto::adv::AdvSignedDeviceIdentity>,
    /// The device JID.
    pub jid: Option<String>,
    /// The LID.
    pub lid: Option<String>,
    /// The platform.
    pub platform: Option<String>,
}

fn key_pair(row: &Row<'_>, col: usize, what: &'static str) -> Result<KeyPair> {
    let bytes: Zeroizing<Vec<u8>> = Zeroizing::new(row.get(col)?);
    let array: [u8; KEY_LENGTH] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| Error::Corrupt(what))?;
    let array = Zeroizing::new(array);
    Ok(KeyPair::from_private_bytes(*array))
}

fn u32_col(row: &Row<'_>, col: usize, what: &'static str) -> Result<u32> {
    let v: i64 = row.get(col)?;
    u32::try_from(v).map_err(|_| Error::Corrupt(what))
}

fn device_from_row(row: &Row<'_>) -> Result<Device> {
    use prost::Message as _;
    let adv: Option<Vec<u8>> = row.get(5)?;
    let adv_signed_identity = adv
        .map(|b| wa_proto::adv::AdvSignedDeviceIdentity::decode(b.as_slice()))
        .transpose()
        .map_err(|_| Error::Corrupt("device.adv_signed_identity"))?;
    Ok(Device {
        id: DeviceId::from_raw(row.get(0)?),
        noise_key: key_pair(row, 1, "device.noise_private")?,
        identity_key: IdentityKeyPair::from_private_key(
            key_pair(row, 2, "device.identity_private")?
                .private_key()
                .clone(),
        ),
        registration_id: RegistrationId(u32_col(row, 3, "device.registration_id")?),
        signed_prekey_id: SignedPreKeyId(u32_col(row, 4, "device.signed_prekey_id")?),
        adv_signed_identity,
        jid: row.get(6)?,
        lid: row.get(7)?,
        platform: row.get(8)?,
    })
}

const DEVICE_COLUMNS: &str = "SELECT id, noise_private, identity_private, registration_id, \
     signed_prekey_id, adv_signed_identity, jid, lid, platform FROM device";

impl Store {
    /// Adds a device and returns its id.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn create_device(&mut self, new: &NewDevice) -> Result<DeviceId> {
        let noise = new.noise_key.private_key().to_bytes();
        let identity = new.identity_key.private_key().to_bytes();
        let mut stmt = self.conn.prepare_cached(
            "INSERT INTO device (noise_private, identity_private, registration_id, signed_prekey_id) \
             VALUES (?1, ?2, ?3, ?4)",
        )?;
        stmt.execute(params![
            noise.as_slice(),
            identity.as_slice(),
            new.registration_id.0,
            new.signed_prekey_id.0
        ])?;
        Ok(DeviceId::from_raw(self.conn.last_insert_rowid()))
    }

    /// One device, or `None`.
    ///
    /// # Errors
    /// SQLite errors, [`Error::Corrupt`].
    pub fn device(&self, id: DeviceId) -> Result<Option<Device>> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("{DEVICE_COLUMNS} WHERE id = ?1"))?;
        let mut rows = stmt.query([id.get()])?;
        rows.next()?.map(device_from_row).transpose()
    }

    /// Every device in the file, by id.
    ///
    /// # Errors
    /// SQLite errors, [`Error::Corrupt`].
    pub fn devices(&self) -> Result<Vec<Device>> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("{DEVICE_COLUMNS} ORDER BY id"))?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            out.push(device_from_row(row)?);
        }
        Ok(out)
    }

    /// Records what pairing learnt (fields left `None` are cleared).
    ///
    /// # Errors
    /// [`Error::UnknownDevice`], SQLite errors.
    pub fn set_pairing(&mut self, id: DeviceId, pairing: &Pairing) -> Result<()> {
        let adv = pairing
            .adv_signed_identity
            .as_ref()
            .map(prost::Message::encode_to_vec);
        let mut stmt = self.conn.prepare_cached(
            "UPDATE device SET adv_signed_identity = ?2, jid = ?3, lid = ?4, platform = ?5 WHERE id = ?1",
        )?;
        let n = stmt.execute(params![
            id.get(),
            adv,
            pairing.jid,
            pairing.lid,
            pairing.platform
        ])?;
        if n == 0 {
            return Err(Error::UnknownDevice);
        }
        Ok(())
    }

    /// Changes the signed prekey in force.
    ///
    /// # Errors
    /// [`Error::UnknownDevice`], SQLite errors.
    pub fn set_signed_prekey_id(&mut self, id: DeviceId, signed: SignedPreKeyId) -> Result<()> {
        let mut stmt = self
            .conn
            .prepare_cached("UPDATE device SET signed_prekey_id = ?2 WHERE id = ?1")?;
        if stmt.execute(params![id.get(), signed.0])? == 0 {
            return Err(Error::UnknownDevice);
        }
        Ok(())
    }

    /// Deletes a device and, by cascade, every row it owns; drops its cached records.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn delete_device(&mut self, id: DeviceId) -> Result<bool> {
        let n = self
            .conn
            .prepare_cached("DELETE FROM device WHERE id = ?1")?
            .execute([id.get()])?;
        self.sessions_cache.get_mut().retain(|(d, _), _| *d != id);
        self.sender_keys_cache
            .get_mut()
            .retain(|(d, _), _| *d != id);
        self.identity_cache.get_mut().remove(&id);
        Ok(n > 0)
    }

    pub(crate) fn require_device(&self, id: DeviceId) -> Result<()> {
        let found = self
            .conn
            .prepare_cached("SELECT 1 FROM device WHERE id = ?1")?
            .query_row([id.get()], |_| Ok(()))
            .optional()?;
        found.ok_or(Error::UnknownDevice)
    }
}
