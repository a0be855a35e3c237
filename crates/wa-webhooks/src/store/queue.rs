//! The delivery queue: enqueueing events, the worker's view of what is due, recording attempt
//! outcomes, and listing deliveries for inspection.

use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};

use super::subscriptions::decode_types;
use super::WebhookStore;
use crate::metrics::Counters;
use crate::{
    DeliveryId, Envelope, Error, Event, EventId, OrgId, Result, SubscriptionId, UnixMillis,
    WebhookSecret,
};

/// Where a delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryState {
    /// Waiting for its first attempt or a retry.
    Pending,
    /// A receiver answered 2xx.
    Delivered,
    /// Out of attempts; kept for inspection.
    Dead,
}

impl DeliveryState {
    fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Dead => "dead",
        }
    }

    fn parse(text: &str) -> Result<Self> {
        match text {
            "pending" => Ok(DeliveryState::Pending),
            "delivered" => Ok(DeliveryState::Delivered),
            "dead" => Ok(DeliveryState::Dead),
            _ => Err(Error::Corrupt("webhook_deliveries.state")),
        }
    }
}

/// What [`WebhookStore::enqueue`] queued.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Enqueued {
    /// The event's id (the body's `id`).
    pub event_id: EventId,
    /// One delivery per subscription that wanted the event; empty when none did (and then
    /// nothing was stored).
    pub deliveries: Vec<DeliveryId>,
}

/// One delivery as stored, for inspection (no body, no secret).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryRecord {
    /// The delivery id (`X-WA-Delivery`).
    pub id: DeliveryId,
    /// The event it carries.
    pub event_id: EventId,
    /// The subscription it goes to.
    pub subscription_id: SubscriptionId,
    /// The event type's name (`X-WA-Event`).
    pub event_type: String,
    /// Pending, delivered or dead.
    pub state: DeliveryState,
    /// Attempts made so far.
    pub attempts: u32,
    /// When it was queued.
    pub created_at: UnixMillis,
    /// When the next attempt is due (meaningful while pending).
    pub next_attempt_at: UnixMillis,
    /// When it was delivered or given up on.
    pub finished_at: Option<UnixMillis>,
    /// The HTTP status of the last attempt, if the receiver answered.
    pub last_status: Option<u16>,
    /// Why the last attempt failed (`status 500`, `timeout`, `connect`, …).
    pub last_error: Option<String>,
}

/// A subscription's oldest pending delivery: only it may be attempted (order per subscription).
#[derive(Clone, Debug)]
pub(crate) struct Head {
    pub(crate) subscription_id: SubscriptionId,
    pub(crate) seq: i64,
    pub(crate) due: UnixMillis,
}

/// Everything one attempt needs.
#[derive(Debug)]
pub(crate) struct Claimed {
    pub(crate) seq: i64,
    pub(crate) id: DeliveryId,
    pub(crate) subscription_id: SubscriptionId,
    pub(crate) event_type: String,
    pub(crate) body: String,
    pub(crate) attempts: u32,
    pub(crate) url: String,
    pub(crate) secret: WebhookSecret,
}

fn millis(v: i64) -> UnixMillis {
    UnixMillis(u64::try_from(v).unwrap_or(0))
}

fn sql_millis(t: UnixMillis) -> i64 {
    i64::try_from(t.0).unwrap_or(i64::MAX)
}

pub(super) fn count_pending(conn: &Connection) -> Result<u64> {
    let n: i64 = conn.query_row(
        "SELECT COUNT(*) FROM webhook_deliveries WHERE state = 'pending'",
        [],
        |r| r.get(0),
    )?;
    Ok(u64::try_from(n).unwrap_or(0))
}

const RECORD_COLUMNS: &str = "d.id, d.event_id, d.subscription_id, d.event_type, d.state,
    d.attempts, d.created_at_ms, d.next_attempt_at_ms, d.finished_at_ms, d.last_status,
    d.last_error";

type RawRecord = (DeliveryRecord, String);

fn read_record(row: &Row<'_>) -> rusqlite::Result<RawRecord> {
    let finished: Option<i64> = row.get(8)?;
    let status: Option<i64> = row.get(9)?;
    let attempts: i64 = row.get(5)?;
    Ok((
        DeliveryRecord {
            id: DeliveryId::new(row.get::<_, String>(0)?),
            event_id: EventId::new(row.get::<_, String>(1)?),
            subscription_id: SubscriptionId::new(row.get::<_, String>(2)?),
            event_type: row.get(3)?,
            state: DeliveryState::Pending,
            attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
            created_at: millis(row.get(6)?),
            next_attempt_at: millis(row.get(7)?),
            finished_at: finished.map(millis),
            last_status: status.and_then(|s| u16::try_from(s).ok()),
            last_error: row.get(10)?,
        },
        row.get(4)?,
    ))
}

impl WebhookStore {
    /// Queues `event` for every subscription of `org` that wants its type, in one transaction
    /// (all of its deliveries or none), and wakes the worker.
    ///
    /// ```
    /// # fn main() -> Result<(), wa_webhooks::Error> {
    /// use wa_webhooks::*;
    /// let store = WebhookStore::open_in_memory()?;
    /// let org = OrgId::new("acme");
    /// store.create_subscription(&org, "http://127.0.0.1:9/hook", &[EventType::SessionStatus])?;
    /// let queued = store.enqueue(&org, &Event::SessionStatus(SessionStatusEvent {
    ///     session_id: SessionId::new("s1"),
    ///     status: SessionState::Connected,
    ///     reason: None,
    /// }))?;
    /// assert_eq!(queued.deliveries.len(), 1);
    /// assert_eq!(store.metrics().queue_depth, 1);
    /// # Ok(()) }
    /// ```
    pub fn enqueue(&self, org: &OrgId, event: &Event) -> Result<Enqueued> {
        let now = self.clock().now();
        let envelope = Envelope {
            id: EventId::generate(),
            created_at: now,
            event: event.clone(),
        };
        let body = serde_json::to_string(&envelope)?;
        let event_type = event.event_type();
        let mut deliveries = Vec::new();
        {
            let mut conn = self.conn();
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let targets: Vec<(String, String)> = {
                let mut stmt = tx.prepare_cached(
                    "SELECT id, event_types FROM webhook_subscriptions WHERE org = ?1
                     ORDER BY created_at_ms, id",
                )?;
                let rows = stmt.query_map([org.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            {
                let mut insert = tx.prepare_cached(
                    "INSERT INTO webhook_deliveries (id, event_id, subscription_id, event_type,
                       body, state, next_attempt_at_ms, created_at_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5, 'pending', ?6, ?6)",
                )?;
                for (subscription_id, types) in targets {
                    if !decode_types(&types)?.contains(&event_type) {
                        continue;
                    }
                    let id = DeliveryId::generate();
                    insert.execute(params![
                        id.as_str(),
                        envelope.id.as_str(),
                        subscription_id,
                        event_type.as_str(),
                        body,
                        sql_millis(now),
                    ])?;
                    deliveries.push(id);
                }
            }
            tx.commit()?;
        }
        let n = u64::try_from(deliveries.len()).unwrap_or(u64::MAX);
        if n > 0 {
            Counters::add(&self.counters().enqueued, n);
            Counters::add(&self.counters().queue_depth, n);
            self.inner.wake.notify_one();
        }
        Ok(Enqueued {
            event_id: envelope.id,
            deliveries,
        })
    }

    /// One delivery of `org`'s, by id.
    pub fn delivery(&self, org: &OrgId, id: &DeliveryId) -> Result<Option<DeliveryRecord>> {
        let conn = self.conn();
        let raw = conn
            .query_row(
                &format!(
                    "SELECT {RECORD_COLUMNS} FROM webhook_deliveries d
                     JOIN webhook_subscriptions s ON s.id = d.subscription_id
                     WHERE d.id = ?1 AND s.org = ?2"
                ),
                params![id.as_str(), org.as_str()],
                read_record,
            )
            .optional()?;
        raw.map(|(mut rec, state)| {
            rec.state = DeliveryState::parse(&state)?;
            Ok(rec)
        })
        .transpose()
    }

    /// `org`'s deliveries in `state` (all states when `None`), newest first, at most `limit`.
    pub fn list_deliveries(
        &self,
        org: &OrgId,
        state: Option<DeliveryState>,
        limit: u32,
    ) -> Result<Vec<DeliveryRecord>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {RECORD_COLUMNS} FROM webhook_deliveries d
             JOIN webhook_subscriptions s ON s.id = d.subscription_id
             WHERE s.org = ?1 AND (?2 IS NULL OR d.state = ?2)
             ORDER BY d.seq DESC LIMIT ?3"
        ))?;
        let rows = stmt.query_map(
            params![org.as_str(), state.map(DeliveryState::as_str), limit],
            read_record,
        )?;
        let mut out = Vec::new();
        for row in rows {
            let (mut rec, state) = row?;
            rec.state = DeliveryState::parse(&state)?;
            out.push(rec);
        }
        Ok(out)
    }

    /// Gives `org`'s dead delivery `id` a fresh set of attempts, due now (after an operator
    /// fixed the receiver). It goes out before the subscription's newer pending deliveries,
    /// keeping their order. `false` when there is no such dead delivery.
    pub fn requeue_dead(&self, org: &OrgId, id: &DeliveryId) -> Result<bool> {
        let now = self.clock().now();
        let changed = self.conn().execute(
            "UPDATE webhook_deliveries SET state = 'pending', attempts = 0,
               next_attempt_at_ms = ?3, finished_at_ms = NULL
             WHERE id = ?1 AND state = 'dead' AND subscription_id IN
               (SELECT id FROM webhook_subscriptions WHERE org = ?2)",
            params![id.as_str(), org.as_str(), sql_millis(now)],
        )?;
        if changed > 0 {
            Counters::add(&self.counters().queue_depth, 1);
            self.inner.wake.notify_one();
        }
        Ok(changed > 0)
    }

    /// Deletes delivered and dead deliveries that finished before `before` (housekeeping);
    /// returns how many.
    pub fn purge_finished(&self, before: UnixMillis) -> Result<usize> {
        Ok(self.conn().execute(
            "DELETE FROM webhook_deliveries WHERE state IN ('delivered', 'dead')
               AND finished_at_ms < ?1",
            [sql_millis(before)],
        )?)
    }

    /// Each subscription's oldest pending delivery.
    pub(crate) fn pending_heads(&self) -> Result<Vec<Head>> {
        let conn = self.conn();
        // SQLite fills bare columns of a MIN() aggregate from the row holding the minimum.
        let mut stmt = conn.prepare_cached(
            "SELECT subscription_id, MIN(seq), next_attempt_at_ms FROM webhook_deliveries
             WHERE state = 'pending' GROUP BY subscription_id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(Head {
                subscription_id: SubscriptionId::new(r.get::<_, String>(0)?),
                seq: r.get(1)?,
                due: millis(r.get(2)?),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The pending delivery `seq` with its subscription's URL and secret.
    pub(crate) fn claim(&self, seq: i64) -> Result<Option<Claimed>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT d.id, d.subscription_id, d.event_type, d.body, d.attempts, s.url, s.secret
             FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id
             WHERE d.seq = ?1 AND d.state = 'pending'",
        )?;
        Ok(stmt
            .query_row([seq], |r| {
                let attempts: i64 = r.get(4)?;
                Ok(Claimed {
                    seq,
                    id: DeliveryId::new(r.get::<_, String>(0)?),
                    subscription_id: SubscriptionId::new(r.get::<_, String>(1)?),
                    event_type: r.get(2)?,
                    body: r.get(3)?,
                    attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
                    url: r.get(5)?,
                    secret: WebhookSecret::from_text(r.get::<_, String>(6)?),
                })
            })
            .optional()?)
    }

    /// Records a 2xx: the delivery is done.
    pub(crate) fn record_delivered(&self, seq: i64, status: u16) -> Result<()> {
        let now = self.clock().now();
        let changed = self.conn().execute(
            "UPDATE webhook_deliveries SET state = 'delivered', attempts = attempts + 1,
               finished_at_ms = ?2, last_status = ?3, last_error = NULL
             WHERE seq = ?1 AND state = 'pending'",
            params![seq, sql_millis(now), status],
        )?;
        if changed > 0 {
            Counters::add(&self.counters().delivered, 1);
            Counters::sub(&self.counters().queue_depth, 1);
        }
        Ok(())
    }

    /// Records a failed attempt: retry at `retry_at`, or dead when `None`.
    pub(crate) fn record_failure(
        &self,
        seq: i64,
        status: Option<u16>,
        error: &str,
        retry_at: Option<UnixMillis>,
    ) -> Result<()> {
        let now = self.clock().now();
        let changed = match retry_at {
            Some(at) => self.conn().execute(
                "UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at_ms = ?2,
                   last_status = ?3, last_error = ?4
                 WHERE seq = ?1 AND state = 'pending'",
                params![seq, sql_millis(at), status, error],
            )?,
            None => self.conn().execute(
                "UPDATE webhook_deliveries SET state = 'dead', attempts = attempts + 1,
                   finished_at_ms = ?2, last_status = ?3, last_error = ?4
                 WHERE seq = ?1 AND state = 'pending'",
                params![seq, sql_millis(now), status, error],
            )?,
        };
        if changed > 0 {
            Counters::add(&self.counters().failed_attempts, 1);
            if retry_at.is_none() {
                Counters::add(&self.counters().dead, 1);
                Counters::sub(&self.counters().queue_depth, 1);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EventType, SessionState, SessionStatusEvent};

    fn status_event() -> Event {
        Event::SessionStatus(SessionStatusEvent {
            session_id: "s1".into(),
            status: SessionState::Connected,
            reason: None,
        })
    }

    #[test]
    fn enqueue_stores_one_row_per_matching_subscription_with_the_same_body() {
        let store = WebhookStore::open_in_memory().unwrap();
        let org = OrgId::new("a");
        let s1 = store
            .create_subscription(&org, "http://h/1", &[EventType::SessionStatus])
            .unwrap();
        let s2 = store
            .create_subscription(&org, "http://h/2", &EventType::ALL)
            .unwrap();
        store
            .create_subscription(&org, "http://h/3", &[EventType::MessageReaction])
            .unwrap();
        store
            .create_subscription(&OrgId::new("b"), "http://h/4", &EventType::ALL)
            .unwrap();
        let queued = store.enqueue(&org, &status_event()).unwrap();
        assert_eq!(queued.deliveries.len(), 2);
        let heads = store.pending_heads().unwrap();
        let mut subs: Vec<_> = heads.iter().map(|h| h.subscription_id.clone()).collect();
        subs.sort();
        let mut want = vec![s1.subscription.id, s2.subscription.id];
        want.sort();
        assert_eq!(subs, want);
        let bodies: Vec<String> = heads
            .iter()
            .map(|h| store.claim(h.seq).unwrap().unwrap().body)
            .collect();
        assert_eq!(bodies[0], bodies[1]);
        let envelope: Envelope = serde_json::from_str(&bodies[0]).unwrap();
        assert_eq!(envelope.id, queued.event_id);
    }

    #[test]
    fn enqueue_without_a_matching_subscription_stores_nothing() {
        let store = WebhookStore::open_in_memory().unwrap();
        let org = OrgId::new("a");
        store
            .create_subscription(&org, "http://h/1", &[EventType::MessageRevoked])
            .unwrap();
        assert!(store
            .enqueue(&org, &status_event())
            .unwrap()
            .deliveries
            .is_empty());
        assert!(store.list_deliveries(&org, None, 10).unwrap().is_empty());
        assert_eq!(store.metrics().queue_depth, 0);
    }

    #[test]
    fn failures_then_dead_are_recorded_and_counted() {
        let store = WebhookStore::open_in_memory().unwrap();
        let org = OrgId::new("a");
        store
            .create_subscription(&org, "http://h/1", &EventType::ALL)
            .unwrap();
        let id = store.enqueue(&org, &status_event()).unwrap().deliveries[0].clone();
        let seq = store.pending_heads().unwrap()[0].seq;
        store
            .record_failure(seq, Some(500), "status 500", Some(UnixMillis(u64::MAX / 4)))
            .unwrap();
        let rec = store.delivery(&org, &id).unwrap().unwrap();
        assert_eq!(
            (rec.state, rec.attempts, rec.last_status),
            (DeliveryState::Pending, 1, Some(500))
        );
        store.record_failure(seq, None, "timeout", None).unwrap();
        let rec = store.delivery(&org, &id).unwrap().unwrap();
        assert_eq!(rec.state, DeliveryState::Dead);
        assert_eq!(rec.attempts, 2);
        assert_eq!(rec.last_error.as_deref(), Some("timeout"));
        let m = store.metrics();
        assert_eq!((m.failed_attempts, m.dead, m.queue_depth), (2, 1, 0));
        // Another organization cannot read it.
        assert_eq!(store.delivery(&OrgId::new("b"), &id).unwrap(), None);
    }
}
