//! [`Store`]: one SQLite connection, the record caches, and the typed tables.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension};
use wa_signal::sender_key::{SenderKeyName, SenderKeyRecord};
use wa_signal::{
    IdentityKey, IdentityKeyPair, PreKeyId, PreKeyRecord, ProtocolAddress, RegistrationId,
    SessionRecord, SignedPreKeyId, SignedPreKeyRecord,
};

use crate::cache::{Cache, DEFAULT_CAPACITY};
use crate::ids::{DeviceId, GroupId, LidUser, PnUser};
use crate::records::Record;
use crate::{open, Error, Result};

pub(crate) type SessionKey = (DeviceId, ProtocolAddress);
pub(crate) type SenderKeyKey = (DeviceId, SenderKeyName);

/// The key store: one SQLite file holding every device of this engine.
///
/// It is synchronous and owns its connection; async code reaches it through
/// [`crate::StoreHandle`], which runs it on a dedicated thread. Sessions and sender keys are
/// cached in memory (read-through; written through only after the transaction commits).
#[derive(Debug)]
pub struct Store {
    pub(crate) conn: Connection,
    pub(crate) sessions_cache: RefCell<Cache<SessionKey, SessionRecord>>,
    pub(crate) sender_keys_cache: RefCell<Cache<SenderKeyKey, SenderKeyRecord>>,
    pub(crate) identity_cache: RefCell<HashMap<DeviceId, (IdentityKeyPair, RegistrationId)>>,
}

fn decode_u32(v: i64, what: &'static str) -> Result<u32> {
    u32::try_from(v).map_err(|_| Error::Corrupt(what))
}

fn parse_address(text: &str, what: &'static str) -> Result<ProtocolAddress> {
    text.parse().map_err(|_| Error::Corrupt(what))
}

pub(crate) fn write_session(
    conn: &Connection,
    device: DeviceId,
    address: &ProtocolAddress,
    record: &SessionRecord,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO sessions (device_id, address, record) VALUES (?1, ?2, ?3) \
         ON CONFLICT (device_id, address) DO UPDATE SET record = excluded.record",
    )?
    .execute(params![
        device.get(),
        address.to_string(),
        record.to_blob().as_slice()
    ])?;
    Ok(())
}

pub(crate) fn write_sender_key(
    conn: &Connection,
    device: DeviceId,
    name: &SenderKeyName,
    record: &SenderKeyRecord,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO sender_keys (device_id, group_id, sender, record) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (device_id, group_id, sender) DO UPDATE SET record = excluded.record",
    )?
    .execute(params![
        device.get(),
        name.group_id(),
        name.sender().to_string(),
        record.to_blob().as_slice()
    ])?;
    Ok(())
}

pub(crate) fn write_identity(
    conn: &Connection,
    device: DeviceId,
    address: &ProtocolAddress,
    key: &IdentityKey,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO identities (device_id, address, identity_key) VALUES (?1, ?2, ?3) \
         ON CONFLICT (device_id, address) DO UPDATE SET identity_key = excluded.identity_key",
    )?
    .execute(params![
        device.get(),
        address.to_string(),
        key.serialize().as_slice()
    ])?;
    Ok(())
}

pub(crate) fn write_sender_key_device(
    conn: &Connection,
    device: DeviceId,
    group: &GroupId,
    address: &ProtocolAddress,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO sender_key_devices (device_id, group_id, address) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![device.get(), group.as_str(), address.to_string()])?;
    Ok(())
}

impl Store {
    /// Opens or creates the database file at `path` (mode 0600, WAL, `synchronous=FULL`) and
    /// migrates it to the current schema.
    ///
    /// # Errors
    /// I/O and SQLite errors, [`Error::SchemaTooNew`].
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Ok(Self::with_connection(open::open_file(path.as_ref())?))
    }

    /// A private in-memory store with the same schema (tests and tools; nothing is durable).
    ///
    /// # Errors
    /// SQLite errors.
    pub fn open_in_memory() -> Result<Self> {
        Ok(Self::with_connection(open::open_memory()?))
    }

    fn with_connection(conn: Connection) -> Self {
        Self {
            conn,
            sessions_cache: RefCell::new(Cache::new(DEFAULT_CAPACITY)),
            sender_keys_cache: RefCell::new(Cache::new(DEFAULT_CAPACITY)),
            identity_cache: RefCell::new(HashMap::new()),
        }
    }

    /// The schema version of the file (`PRAGMA user_version`).
    ///
    /// # Errors
    /// SQLite errors.
    pub fn schema_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    /// Session-cache hits and misses since opening (for benches and tuning).
    #[must_use]
    pub fn session_cache_stats(&self) -> (u64, u64) {
        self.sessions_cache.borrow().stats()
    }

    /// Drops every cached record (the next reads go to the file).
    pub fn clear_cache(&mut self) {
        self.sessions_cache.get_mut().clear();
        self.sender_keys_cache.get_mut().clear();
    }

    // ---- identities ------------------------------------------------------------------------

    /// Saves the identity key of a remote device. Returns `true` if a different key was stored
    /// before (the peer re-installed: callers drop the old session).
    ///
    /// # Errors
    /// SQLite errors.
    pub fn save_identity(
        &mut self,
        device: DeviceId,
        address: &ProtocolAddress,
        key: &IdentityKey,
    ) -> Result<bool> {
        let tx = self.conn.transaction()?;
        let old = identity_in(&tx, device, address)?;
        write_identity(&tx, device, address, key)?;
        tx.commit()?;
        Ok(old.is_some_and(|old| old != *key))
    }

    /// The stored identity key of a remote device.
    ///
    /// # Errors
    /// SQLite errors, [`Error::Corrupt`].
    pub fn identity(
        &self,
        device: DeviceId,
        address: &ProtocolAddress,
    ) -> Result<Option<IdentityKey>> {
        identity_in(&self.conn, device, address)
    }

    // ---- prekeys ---------------------------------------------------------------------------

    /// Stores freshly generated one-time prekeys (not yet uploaded), in one transaction.
    ///
    /// # Errors
    /// SQLite errors (including a duplicate id).
    pub fn insert_prekeys(&mut self, device: DeviceId, prekeys: &[PreKeyRecord]) -> Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO prekeys (device_id, id, record, uploaded) VALUES (?1, ?2, ?3, 0)",
            )?;
            for record in prekeys {
                stmt.execute(params![
                    device.get(),
                    record.id().0,
                    record.to_blob().as_slice()
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Stores or replaces one prekey, keeping its uploaded flag if it existed.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn put_prekey(&mut self, device: DeviceId, record: &PreKeyRecord) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO prekeys (device_id, id, record, uploaded) VALUES (?1, ?2, ?3, 0) \
                 ON CONFLICT (device_id, id) DO UPDATE SET record = excluded.record",
            )?
            .execute(params![
                device.get(),
                record.id().0,
                record.to_blob().as_slice()
            ])?;
        Ok(())
    }

    /// One prekey.
    ///
    /// # Errors
    /// SQLite errors, [`Error::Corrupt`].
    pub fn prekey(&self, device: DeviceId, id: PreKeyId) -> Result<Option<PreKeyRecord>> {
        let blob: Option<Vec<u8>> = self
            .conn
            .prepare_cached("SELECT record FROM prekeys WHERE device_id = ?1 AND id = ?2")?
            .query_row(params![device.get(), id.0], |r| r.get(0))
            .optional()?;
        blob.map(|b| PreKeyRecord::from_blob(&b)).transpose()
    }

    /// Deletes a used prekey. Returns whether it existed.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn remove_prekey(&mut self, device: DeviceId, id: PreKeyId) -> Result<bool> {
        let n = self
            .conn
            .prepare_cached("DELETE FROM prekeys WHERE device_id = ?1 AND id = ?2")?
            .execute(params![device.get(), id.0])?;
        Ok(n > 0)
    }

    /// Marks prekeys as uploaded to the server, in one transaction.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn mark_prekeys_uploaded(&mut self, device: DeviceId, ids: &[PreKeyId]) -> Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "UPDATE prekeys SET uploaded = 1 WHERE device_id = ?1 AND id = ?2",
            )?;
            for id in ids {
                stmt.execute(params![device.get(), id.0])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Prekeys not yet uploaded, lowest ids first, at most `limit`.
    ///
    /// # Errors
    /// SQLite errors, [`Error::Corrupt`].
    pub fn unuploaded_prekeys(&self, device: DeviceId, limit: u32) -> Result<Vec<PreKeyRecord>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT record FROM prekeys WHERE device_id = ?1 AND uploaded = 0 ORDER BY id LIMIT ?2",
        )?;
        let mut rows = stmt.query(params![device.get(), limit])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let blob: Vec<u8> = row.get(0)?;
            out.push(PreKeyRecord::from_blob(&blob)?);
        }
        Ok(out)
    }

    /// How many uploaded prekeys remain (the server's stock, as far as we know).
    ///
    /// # Errors
    /// SQLite errors.
    pub fn uploaded_prekey_count(&self, device: DeviceId) -> Result<u64> {
        let n: i64 = self
            .conn
            .prepare_cached("SELECT count(*) FROM prekeys WHERE device_id = ?1 AND uploaded = 1")?
            .query_row([device.get()], |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// The largest prekey id in use, to continue numbering after it.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn max_prekey_id(&self, device: DeviceId) -> Result<Option<PreKeyId>> {
        let v: Option<i64> = self
            .conn
            .prepare_cached("SELECT max(id) FROM prekeys WHERE device_id = ?1")?
            .query_row([device.get()], |r| r.get(0))?;
        v.map(|v| decode_u32(v, "prekeys.id").map(PreKeyId))
            .transpose()
    }

    // ---- signed prekeys --------------------------------------------------------------------

    /// Stores (or replaces) a signed prekey.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn put_signed_prekey(
        &mut self,
        device: DeviceId,
        record: &SignedPreKeyRecord,
    ) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO signed_prekeys (device_id, id, record) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (device_id, id) DO UPDATE SET record = excluded.record",
            )?
            .execute(params![
                device.get(),
                record.id().0,
                record.to_blob().as_slice()
            ])?;
        Ok(())
    }

    /// One signed prekey.
    ///
    /// # Errors
    /// SQLite errors, [`Error::Corrupt`].
    pub fn signed_prekey(
        &self,
        device: DeviceId,
        id: SignedPreKeyId,
    ) -> Result<Option<SignedPreKeyRecord>> {
        let blob: Option<Vec<u8>> = self
            .conn
            .prepare_cached("SELECT record FROM signed_prekeys WHERE device_id = ?1 AND id = ?2")?
            .query_row(params![device.get(), id.0], |r| r.get(0))
            .optional()?;
        blob.map(|b| SignedPreKeyRecord::from_blob(&b)).transpose()
    }

    /// Deletes a signed prekey.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn remove_signed_prekey(&mut self, device: DeviceId, id: SignedPreKeyId) -> Result<bool> {
        let n = self
            .conn
            .prepare_cached("DELETE FROM signed_prekeys WHERE device_id = ?1 AND id = ?2")?
            .execute(params![device.get(), id.0])?;
        Ok(n > 0)
    }

    // ---- sessions --------------------------------------------------------------------------

    /// The session with a remote device (cache, then file).
    ///
    /// # Errors
    /// SQLite errors, [`Error::Corrupt`].
    pub fn session(
        &self,
        device: DeviceId,
        address: &ProtocolAddress,
    ) -> Result<Option<SessionRecord>> {
        let key = (device, address.clone());
        if let Some(hit) = self.sessions_cache.borrow_mut().get(&key) {
            return Ok(Some(hit));
        }
        let blob: Option<Vec<u8>> = self
            .conn
            .prepare_cached("SELECT record FROM sessions WHERE device_id = ?1 AND address = ?2")?
            .query_row(params![device.get(), address.to_string()], |r| r.get(0))
            .optional()?;
        let Some(blob) = blob.map(zeroize::Zeroizing::new) else {
            return Ok(None);
        };
        let record = SessionRecord::from_blob(&blob)?;
        self.sessions_cache.borrow_mut().insert(key, record.clone());
        Ok(Some(record))
    }

    /// Stores one session in its own transaction. For session setup and the receive path;
    /// the send path uses [`Store::send_batch`].
    ///
    /// # Errors
    /// SQLite errors.
    pub fn put_session(
        &mut self,
        device: DeviceId,
        address: &ProtocolAddress,
        record: &SessionRecord,
    ) -> Result<()> {
        let key = (device, address.clone());
        let cache = self.sessions_cache.get_mut();
        cache.remove(&key);
        write_session(&self.conn, device, address, record)?;
        cache.insert(key, record.clone());
        Ok(())
    }

    /// Deletes one session.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn remove_session(&mut self, device: DeviceId, address: &ProtocolAddress) -> Result<bool> {
        self.sessions_cache
            .get_mut()
            .remove(&(device, address.clone()));
        let n = self
            .conn
            .prepare_cached("DELETE FROM sessions WHERE device_id = ?1 AND address = ?2")?
            .execute(params![device.get(), address.to_string()])?;
        Ok(n > 0)
    }

    /// The addresses we hold sessions with.
    ///
    /// # Errors
    /// SQLite errors, [`Error::Corrupt`].
    pub fn session_addresses(&self, device: DeviceId) -> Result<Vec<ProtocolAddress>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT address FROM sessions WHERE device_id = ?1 ORDER BY address")?;
        let mut rows = stmt.query([device.get()])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let text: String = row.get(0)?;
            out.push(parse_address(&text, "sessions.address")?);
        }
        Ok(out)
    }

    // ---- sender keys -----------------------------------------------------------------------

    /// A sender key (cache, then file).
    ///
    /// # Errors
    /// SQLite errors, [`Error::Corrupt`].
    pub fn sender_key(
        &self,
        device: DeviceId,
        name: &SenderKeyName,
    ) -> Result<Option<SenderKeyRecord>> {
        let key = (device, name.clone());
        if let Some(hit) = self.sender_keys_cache.borrow_mut().get(&key) {
            return Ok(Some(hit));
        }
        let blob: Option<Vec<u8>> = self
            .conn
            .prepare_cached(
                "SELECT record FROM sender_keys WHERE device_id = ?1 AND group_id = ?2 AND sender = ?3",
            )?
            .query_row(
                params![device.get(), name.group_id(), name.sender().to_string()],
                |r| r.get(0),
            )
            .optional()?;
        let Some(blob) = blob.map(zeroize::Zeroizing::new) else {
            return Ok(None);
        };
        let record = SenderKeyRecord::from_blob(&blob)?;
        self.sender_keys_cache
            .borrow_mut()
            .insert(key, record.clone());
        Ok(Some(record))
    }

    /// Stores one sender key in its own transaction (receiving an SKDM; sending uses
    /// [`Store::send_batch`]).
    ///
    /// # Errors
    /// SQLite errors.
    pub fn put_sender_key(
        &mut self,
        device: DeviceId,
        name: &SenderKeyName,
        record: &SenderKeyRecord,
    ) -> Result<()> {
        let key = (device, name.clone());
        let cache = self.sender_keys_cache.get_mut();
        cache.remove(&key);
        write_sender_key(&self.conn, device, name, record)?;
        cache.insert(key, record.clone());
        Ok(())
    }

    /// Deletes a sender key (e.g. after rotating ours).
    ///
    /// # Errors
    /// SQLite errors.
    pub fn remove_sender_key(&mut self, device: DeviceId, name: &SenderKeyName) -> Result<bool> {
        self.sender_keys_cache
            .get_mut()
            .remove(&(device, name.clone()));
        let n = self
            .conn
            .prepare_cached(
                "DELETE FROM sender_keys WHERE device_id = ?1 AND group_id = ?2 AND sender = ?3",
            )?
            .execute(params![
                device.get(),
                name.group_id(),
                name.sender().to_string()
            ])?;
        Ok(n > 0)
    }

    // ---- sender key devices ----------------------------------------------------------------

    /// Records that these devices have received our sender key for `group`.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn add_sender_key_devices(
        &mut self,
        device: DeviceId,
        group: &GroupId,
        addresses: &[ProtocolAddress],
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        for a in addresses {
            write_sender_key_device(&tx, device, group, a)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The devices that hold our sender key for `group`.
    ///
    /// # Errors
    /// SQLite errors, [`Error::Corrupt`].
    pub fn sender_key_devices(
        &self,
        device: DeviceId,
        group: &GroupId,
    ) -> Result<Vec<ProtocolAddress>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT address FROM sender_key_devices WHERE device_id = ?1 AND group_id = ?2 ORDER BY address",
        )?;
        let mut rows = stmt.query(params![device.get(), group.as_str()])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let text: String = row.get(0)?;
            out.push(parse_address(&text, "sender_key_devices.address")?);
        }
        Ok(out)
    }

    /// Forgets who holds our sender key for `group` (after rotating it: everyone needs the new
    /// one). Returns how many rows went.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn clear_sender_key_devices(&mut self, device: DeviceId, group: &GroupId) -> Result<usize> {
        Ok(self
            .conn
            .prepare_cached(
                "DELETE FROM sender_key_devices WHERE device_id = ?1 AND group_id = ?2",
            )?
            .execute(params![device.get(), group.as_str()])?)
    }

    // ---- LID map ---------------------------------------------------------------------------

    /// Records that `lid` and `pn` are the same account, replacing any older pairing of
    /// either, in one transaction.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn put_lid_mapping(&mut self, device: DeviceId, lid: &LidUser, pn: &PnUser) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.prepare_cached(
            "DELETE FROM lid_map WHERE device_id = ?1 AND (lid_user = ?2 OR pn_user = ?3)",
        )?
        .execute(params![device.get(), lid.as_str(), pn.as_str()])?;
        tx.prepare_cached(
            "INSERT INTO lid_map (device_id, lid_user, pn_user) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![device.get(), lid.as_str(), pn.as_str()])?;
        tx.commit()?;
        Ok(())
    }

    /// The LID user of a phone-number user.
    ///
    /// # Errors
    /// SQLite errors, [`Error::Corrupt`].
    pub fn lid_for_pn(&self, device: DeviceId, pn: &PnUser) -> Result<Option<LidUser>> {
        let v: Option<String> = self
            .conn
            .prepare_cached("SELECT lid_user FROM lid_map WHERE device_id = ?1 AND pn_user = ?2")?
            .query_row(params![device.get(), pn.as_str()], |r| r.get(0))
            .optional()?;
        v.map(|s| LidUser::new(&s).map_err(|_| Error::Corrupt("lid_map.lid_user")))
            .transpose()
    }

    /// The phone-number user of a LID user.
    ///
    /// # Errors
    /// SQLite errors, [`Error::Corrupt`].
    pub fn pn_for_lid(&self, device: DeviceId, lid: &LidUser) -> Result<Option<PnUser>> {
        let v: Option<String> = self
            .conn
            .prepare_cached("SELECT pn_user FROM lid_map WHERE device_id = ?1 AND lid_user = ?2")?
            .query_row(params![device.get(), lid.as_str()], |r| r.get(0))
            .optional()?;
        v.map(|s| PnUser::new(&s).map_err(|_| Error::Corrupt("lid_map.pn_user")))
            .transpose()
    }
}

pub(crate) fn identity_in(
    conn: &Connection,
    device: DeviceId,
    address: &ProtocolAddress,
) -> Result<Option<IdentityKey>> {
    let blob: Option<Vec<u8>> = conn
        .prepare_cached(
            "SELECT identity_key FROM identities WHERE device_id = ?1 AND address = ?2",
        )?
        .query_row(params![device.get(), address.to_string()], |r| r.get(0))
        .optional()?;
    blob.map(|b| {
        IdentityKey::deserialize(&b).map_err(|_| Error::Corrupt("identities.identity_key"))
    })
    .transpose()
}
