//! The durable outbox: one row per send, written before (or in the same transaction as) the
//! send's encryption, so that a retried call with the same idempotency key is answered from
//! the first one, sends not acknowledged before a crash are resent with the same message id,
//! and retry receipts can be answered by re-encrypting the stored message.
//!
//! The message bytes are the plaintext content (a `wa_proto` `Message`): they are held in
//! [`Zeroizing`] buffers and never printed.

use std::fmt;

use rusqlite::{params, Connection, OptionalExtension, Row};
use zeroize::Zeroizing;

use crate::ids::DeviceId;
use crate::{Error, Result, Store};

/// The longest idempotency key accepted, in bytes.
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 256;

/// The longest message id accepted, in bytes.
const MAX_MESSAGE_ID_LEN: usize = 128;

/// A caller's name for one logical send: the same key always means the same send.
///
/// ```
/// use wa_store::IdempotencyKey;
/// assert!(IdempotencyKey::new("order-42/confirm").is_ok());
/// assert!(IdempotencyKey::new("").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Checks a key: 1 to [`MAX_IDEMPOTENCY_KEY_LEN`] bytes, no control characters.
    ///
    /// # Errors
    /// [`Error::InvalidOutboxValue`] otherwise.
    pub fn new(key: &str) -> Result<Self> {
        if key.is_empty()
            || key.len() > MAX_IDEMPOTENCY_KEY_LEN
            || key.chars().any(char::is_control)
        {
            return Err(Error::InvalidOutboxValue("idempotency key"));
        }
        Ok(Self(key.to_owned()))
    }

    /// The key text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The id a message goes out with (ASCII letters and digits), as the outbox keeps it.
///
/// ```
/// use wa_store::OutboxMessageId;
/// assert_eq!(OutboxMessageId::new("3EB0AA01")?.as_str(), "3EB0AA01");
/// assert!(OutboxMessageId::new("no spaces").is_err());
/// # Ok::<(), wa_store::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OutboxMessageId(String);

impl OutboxMessageId {
    /// Checks an id: 1 to 128 ASCII letters or digits.
    ///
    /// # Errors
    /// [`Error::InvalidOutboxValue`] otherwise.
    pub fn new(id: &str) -> Result<Self> {
        if id.is_empty()
            || id.len() > MAX_MESSAGE_ID_LEN
            || !id.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(Error::InvalidOutboxValue("message id"));
        }
        Ok(Self(id.to_owned()))
    }

    /// The id text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OutboxMessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a send stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxState {
    /// Not acknowledged by the server yet: resent after a restart.
    Pending,
    /// The server acknowledged it, at this server time (unix seconds, 0 when unknown).
    Acked {
        /// The ack's `t`.
        server_timestamp: u64,
    },
    /// The server refused it with this code; never resent.
    Failed {
        /// The ack's `error`.
        code: u16,
    },
}

/// A send to record: what [`Store::outbox_insert`] and
/// [`SendBatch::insert_outbox`](crate::SendBatch::insert_outbox) take.
#[derive(Clone)]
pub struct NewOutboxEntry {
    /// The caller's key for this send.
    pub key: IdempotencyKey,
    /// The id the message goes out with.
    pub message_id: OutboxMessageId,
    /// The chat JID (user or group) as text.
    pub chat: String,
    /// The plaintext content (protobuf bytes).
    pub message: Zeroizing<Vec<u8>>,
    /// When the send was made (unix seconds, the caller's clock).
    pub created_at: u64,
}

impl fmt::Debug for NewOutboxEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewOutboxEntry")
            .field("key", &self.key)
            .field("message_id", &self.message_id)
            .field("chat", &self.chat)
            .field("message", &"[redacted]")
            .field("created_at", &self.created_at)
            .finish()
    }
}

/// One stored send.
#[derive(Clone)]
pub struct OutboxEntry {
    /// The caller's key for this send.
    pub key: IdempotencyKey,
    /// The id the message went out with.
    pub message_id: OutboxMessageId,
    /// The chat JID as text.
    pub chat: String,
    /// The plaintext content (protobuf bytes).
    pub message: Zeroizing<Vec<u8>>,
    /// When the send was made (unix seconds).
    pub created_at: u64,
    /// Pending, acked or failed.
    pub state: OutboxState,
}

impl fmt::Debug for OutboxEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutboxEntry")
            .field("key", &self.key)
            .field("message_id", &self.message_id)
            .field("chat", &self.chat)
            .field("message", &"[redacted]")
            .field("created_at", &self.created_at)
            .field("state", &self.state)
            .finish()
    }
}

/// What [`Store::outbox_insert`] found.
#[derive(Debug, Clone)]
pub enum OutboxInsert {
    /// The entry is new and now stored.
    Inserted,
    /// An entry with this key already exists: the first send's, unchanged.
    Existing(OutboxEntry),
}

const COLUMNS: &str =
    "idempotency_key, message_id, chat, message, created_at, state, server_timestamp, error_code";

fn to_i64(v: u64, what: &'static str) -> Result<i64> {
    i64::try_from(v).map_err(|_| Error::InvalidOutboxValue(what))
}

fn entry_from_row(row: &Row<'_>) -> rusqlite::Result<Result<OutboxEntry>> {
    let key: String = row.get(0)?;
    let id: String = row.get(1)?;
    let chat: String = row.get(2)?;
    let message: Vec<u8> = row.get(3)?;
    let created_at: i64 = row.get(4)?;
    let state: String = row.get(5)?;
    let t: Option<i64> = row.get(6)?;
    let code: Option<i64> = row.get(7)?;
    let message = Zeroizing::new(message);
    Ok((|| {
        let corrupt = |_| Error::Corrupt("outbox");
        let state = match state.as_str() {
            "pending" => OutboxState::Pending,
            "acked" => OutboxState::Acked {
                server_timestamp: u64::try_from(t.unwrap_or(0)).map_err(corrupt)?,
            },
            "failed" => OutboxState::Failed {
                code: u16::try_from(code.unwrap_or(0)).map_err(corrupt)?,
            },
            _ => return Err(Error::Corrupt("outbox")),
        };
        Ok(OutboxEntry {
            key: IdempotencyKey::new(&key).map_err(|_| Error::Corrupt("outbox"))?,
            message_id: OutboxMessageId::new(&id).map_err(|_| Error::Corrupt("outbox"))?,
            chat,
            message,
            created_at: u64::try_from(created_at).map_err(corrupt)?,
            state,
        })
    })())
}

/// Moves one pending entry to `state` (pending: no change). Returns 1 if it changed.
pub(crate) fn settle_one(
    conn: &Connection,
    device: DeviceId,
    id: &OutboxMessageId,
    state: OutboxState,
) -> Result<usize> {
    let changed = match state {
        OutboxState::Pending => 0,
        OutboxState::Acked { server_timestamp } => conn
            .prepare_cached(
                "UPDATE outbox SET state = 'acked', server_timestamp = ?3 \
                 WHERE device_id = ?1 AND message_id = ?2 AND state = 'pending'",
            )?
            .execute(params![
                device.get(),
                id.as_str(),
                to_i64(server_timestamp, "server timestamp")?
            ])?,
        OutboxState::Failed { code } => conn
            .prepare_cached(
                "UPDATE outbox SET state = 'failed', error_code = ?3 \
                 WHERE device_id = ?1 AND message_id = ?2 AND state = 'pending'",
            )?
            .execute(params![device.get(), id.as_str(), code])?,
    };
    Ok(changed)
}

fn one_entry(
    conn: &Connection,
    column: &str,
    device: DeviceId,
    value: &str,
) -> Result<Option<OutboxEntry>> {
    let sql = format!("SELECT {COLUMNS} FROM outbox WHERE device_id = ?1 AND {column} = ?2");
    conn.prepare_cached(&sql)?
        .query_row(params![device.get(), value], entry_from_row)
        .optional()?
        .transpose()
}

/// Writes a new pending entry inside the caller's transaction. A key or message id already
/// present is [`Error::OutboxConflict`] (the transaction is then rolled back by the caller).
pub(crate) fn write_outbox(
    conn: &Connection,
    device: DeviceId,
    entry: &NewOutboxEntry,
) -> Result<()> {
    let changed = conn
        .prepare_cached(
            "INSERT INTO outbox (device_id, idempotency_key, message_id, chat, message, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
        )?
        .execute(params![
            device.get(),
            entry.key.as_str(),
            entry.message_id.as_str(),
            entry.chat,
            entry.message.as_slice(),
            to_i64(entry.created_at, "created_at")?,
        ])?;
    if changed == 0 {
        return Err(Error::OutboxConflict);
    }
    Ok(())
}

impl Store {
    /// Records a send unless its key is known: [`OutboxInsert::Existing`] hands back the
    /// first send's entry (the caller replays its result), [`OutboxInsert::Inserted`] means
    /// this is the first. Its own transaction; the send path usually stages the entry in its
    /// batch instead ([`SendBatch::insert_outbox`](crate::SendBatch::insert_outbox)).
    ///
    /// ```
    /// # use wa_curve25519::KeyPair;
    /// # use wa_signal::{IdentityKeyPair, RegistrationId, SignedPreKeyId};
    /// use wa_store::{IdempotencyKey, NewOutboxEntry, OutboxInsert, OutboxMessageId, Store};
    /// # let mut store = Store::open_in_memory()?;
    /// # let device = store.create_device(&wa_store::NewDevice {
    /// #     noise_key: KeyPair::from_private_bytes([1; 32]),
    /// #     identity_key: IdentityKeyPair::generate(&mut rand_core::OsRng),
    /// #     registration_id: RegistrationId(42),
    /// #     signed_prekey_id: SignedPreKeyId(1),
    /// # })?;
    /// let entry = NewOutboxEntry {
    ///     key: IdempotencyKey::new("k1")?,
    ///     message_id: OutboxMessageId::new("3EB0AA")?,
    ///     chat: "15550002222@s.whatsapp.net".into(),
    ///     message: vec![0x0a, 0x02, b'h', b'i'].into(),
    ///     created_at: 1_700_000_000,
    /// };
    /// assert!(matches!(store.outbox_insert(device, &entry)?, OutboxInsert::Inserted));
    /// assert!(matches!(store.outbox_insert(device, &entry)?, OutboxInsert::Existing(_)));
    /// assert_eq!(store.outbox_pending(device)?.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// SQLite errors; [`Error::OutboxConflict`] when the message id is already used by
    /// another key; [`Error::UnknownDevice`].
    pub fn outbox_insert(
        &mut self,
        device: DeviceId,
        entry: &NewOutboxEntry,
    ) -> Result<OutboxInsert> {
        self.require_device(device)?;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        if let Some(existing) = one_entry(&tx, "idempotency_key", device, entry.key.as_str())? {
            return Ok(OutboxInsert::Existing(existing));
        }
        write_outbox(&tx, device, entry)?;
        tx.commit()?;
        Ok(OutboxInsert::Inserted)
    }

    /// The entry recorded under `key`, if any.
    ///
    /// # Errors
    /// SQLite errors, [`Error::Corrupt`].
    pub fn outbox_by_key(
        &self,
        device: DeviceId,
        key: &IdempotencyKey,
    ) -> Result<Option<OutboxEntry>> {
        one_entry(&self.conn, "idempotency_key", device, key.as_str())
    }

    /// The entry of the message sent with `id` (to answer a retry receipt).
    ///
    /// # Errors
    /// SQLite errors, [`Error::Corrupt`].
    pub fn outbox_by_message_id(
        &self,
        device: DeviceId,
        id: &OutboxMessageId,
    ) -> Result<Option<OutboxEntry>> {
        one_entry(&self.conn, "message_id", device, id.as_str())
    }

    /// Every entry not yet acknowledged, oldest first (to resend after a restart).
    ///
    /// # Errors
    /// SQLite errors, [`Error::Corrupt`].
    pub fn outbox_pending(&self, device: DeviceId) -> Result<Vec<OutboxEntry>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM outbox WHERE device_id = ?1 AND state = 'pending' ORDER BY seq"
        );
        let mut statement = self.conn.prepare_cached(&sql)?;
        let rows = statement.query_map(params![device.get()], entry_from_row)?;
        let mut entries = Vec::new();
        for row in rows {
            entries.push(row??);
        }
        Ok(entries)
    }

    /// Marks a pending send acknowledged with the server's timestamp. Returns whether a
    /// pending entry was changed (an entry acked or failed already is left as it is).
    ///
    /// This one commit does not wait for the disk (`synchronous=NORMAL` for it alone): the
    /// next durable commit (the next send) carries it to the disk with its own. A power loss
    /// before that leaves the entry pending, so it is sent again with the same id, which
    /// the server and peers deduplicate; nothing is lost and no key is reused. It halves the
    /// disk flushes of a send.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn outbox_mark_acked(
        &mut self,
        device: DeviceId,
        id: &OutboxMessageId,
        server_timestamp: u64,
    ) -> Result<bool> {
        let timestamp = to_i64(server_timestamp, "server timestamp")?;
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        let changed = self
            .conn
            .prepare_cached(
                "UPDATE outbox SET state = 'acked', server_timestamp = ?3 \
                 WHERE device_id = ?1 AND message_id = ?2 AND state = 'pending'",
            )
            .and_then(|mut update| update.execute(params![device.get(), id.as_str(), timestamp]));
        // Every other commit stays durable when it returns.
        self.conn.pragma_update(None, "synchronous", "FULL")?;
        Ok(changed? > 0)
    }

    /// Settles many sends in one transaction (one fsync): each pending entry named becomes
    /// acked or failed as given; entries already settled are left as they are. Returns how
    /// many entries changed.
    ///
    /// ```
    /// # use wa_curve25519::KeyPair;
    /// # use wa_signal::{IdentityKeyPair, RegistrationId, SignedPreKeyId};
    /// use wa_store::{IdempotencyKey, NewOutboxEntry, OutboxMessageId, OutboxState, Store};
    /// # let mut store = Store::open_in_memory()?;
    /// # let device = store.create_device(&wa_store::NewDevice {
    /// #     noise_key: KeyPair::from_private_bytes([1; 32]),
    /// #     identity_key: IdentityKeyPair::generate(&mut rand_core::OsRng),
    /// #     registration_id: RegistrationId(42),
    /// #     signed_prekey_id: SignedPreKeyId(1),
    /// # })?;
    /// for (key, id) in [("k1", "3EB0A1"), ("k2", "3EB0A2")] {
    ///     store.outbox_insert(device, &NewOutboxEntry {
    ///         key: IdempotencyKey::new(key)?,
    ///         message_id: OutboxMessageId::new(id)?,
    ///         chat: "15550002222@s.whatsapp.net".into(),
    ///         message: vec![0x0a, 0x02, b'h', b'i'].into(),
    ///         created_at: 1_700_000_000,
    ///     })?;
    /// }
    /// let settled = store.outbox_settle_many(device, &[
    ///     (OutboxMessageId::new("3EB0A1")?, OutboxState::Acked { server_timestamp: 7 }),
    ///     (OutboxMessageId::new("3EB0A2")?, OutboxState::Failed { code: 479 }),
    /// ])?;
    /// assert_eq!(settled, 2);
    /// assert!(store.outbox_pending(device)?.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// SQLite errors (nothing is changed then).
    pub fn outbox_settle_many(
        &mut self,
        device: DeviceId,
        outcomes: &[(OutboxMessageId, OutboxState)],
    ) -> Result<usize> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut changed = 0;
        for (id, state) in outcomes {
            changed += settle_one(&tx, device, id, *state)?;
        }
        tx.commit()?;
        Ok(changed)
    }

    /// Deletes the settled (acked or failed) entries created before `created_before` (unix
    /// seconds): the outbox stays bounded under a send loop. Pending entries are kept
    /// whatever their age (they are still to be resent). Returns how many were deleted.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn outbox_prune(&mut self, device: DeviceId, created_before: u64) -> Result<usize> {
        let changed = self
            .conn
            .prepare_cached(
                "DELETE FROM outbox WHERE device_id = ?1 AND state != 'pending' \
                 AND created_at < ?2",
            )?
            .execute(params![device.get(), to_i64(created_before, "created_at")?])?;
        Ok(changed)
    }

    /// How many entries the outbox holds for `device`, by state: `(pending, settled)`.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn outbox_counts(&self, device: DeviceId) -> Result<(u64, u64)> {
        let (pending, all): (i64, i64) = self
            .conn
            .prepare_cached(
                "SELECT COALESCE(SUM(state = 'pending'), 0), COUNT(*) FROM outbox \
                 WHERE device_id = ?1",
            )?
            .query_row(params![device.get()], |row| Ok((row.get(0)?, row.get(1)?)))?;
        let pending = u64::try_from(pending).map_err(|_| Error::Corrupt("outbox"))?;
        let all = u64::try_from(all).map_err(|_| Error::Corrupt("outbox"))?;
        Ok((pending, all.saturating_sub(pending)))
    }

    /// Marks a pending send refused by the server (`code` from its ack): it is never resent.
    /// Returns whether a pending entry was changed.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn outbox_mark_failed(
        &mut self,
        device: DeviceId,
        id: &OutboxMessageId,
        code: u16,
    ) -> Result<bool> {
        let changed = self
            .conn
            .prepare_cached(
                "UPDATE outbox SET state = 'failed', error_code = ?3 \
                 WHERE device_id = ?1 AND message_id = ?2 AND state = 'pending'",
            )?
            .execute(params![device.get(), id.as_str(), code])?;
        Ok(changed > 0)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_ack_mark_leaves_every_later_commit_durable() {
        let mut store = Store::open_in_memory().unwrap();
        let id = OutboxMessageId::new("3EB0AA").unwrap();
        assert!(!store
            .outbox_mark_acked(DeviceId::from_raw(1), &id, 1_700_000_000)
            .unwrap());
        let synchronous: i64 = store
            .conn
            .pragma_query_value(None, "synchronous", |row| row.get(0))
            .unwrap();
        assert_eq!(synchronous, 2, "back to FULL");
    }
}
