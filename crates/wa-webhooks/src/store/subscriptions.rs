//! Creating, listing and deleting subscriptions.

use rusqlite::{params, Row};

use super::WebhookStore;
use crate::{Error, EventType, OrgId, Result, SubscriptionId, UnixMillis, WebhookSecret};

/// Longest URL accepted.
const MAX_URL_LEN: usize = 2048;

/// A subscription as listed: where to POST and which event types. The secret is not part of
/// it; it is shown once, in [`CreatedSubscription`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subscription {
    /// Its id.
    pub id: SubscriptionId,
    /// The organization that owns it; it receives only that organization's events.
    pub org: OrgId,
    /// The receiver's URL (`http://` or `https://`).
    pub url: String,
    /// The event types it receives, sorted, at least one.
    pub event_types: Vec<EventType>,
    /// When it was created.
    pub created_at: UnixMillis,
}

impl Subscription {
    /// Whether events of type `t` go to this subscription.
    pub fn wants(&self, t: EventType) -> bool {
        self.event_types.contains(&t)
    }
}

/// What [`WebhookStore::create_subscription`] returns: the subscription and its secret, which
/// the caller shows the user now; it is not returned again.
#[derive(Clone, Debug)]
pub struct CreatedSubscription {
    /// The new subscription.
    pub subscription: Subscription,
    /// Its signing secret.
    pub secret: WebhookSecret,
}

fn check_url(url: &str) -> Result<()> {
    if url.len() > MAX_URL_LEN {
        return Err(Error::InvalidUrl("longer than 2048 bytes"));
    }
    let parsed = reqwest::Url::parse(url).map_err(|_| Error::InvalidUrl("not a URL"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(Error::InvalidUrl("scheme must be http or https"));
    }
    if parsed.host_str().unwrap_or("").is_empty() {
        return Err(Error::InvalidUrl("no host"));
    }
    Ok(())
}

fn encode_types(types: &[EventType]) -> String {
    types
        .iter()
        .map(|t| t.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

pub(super) fn decode_types(text: &str) -> Result<Vec<EventType>> {
    // An event type this build does not know (written by a newer one) is skipped, not fatal.
    let mut types: Vec<EventType> = text.split(',').filter_map(|t| t.parse().ok()).collect();
    types.sort();
    types.dedup();
    if types.is_empty() {
        return Err(Error::Corrupt("webhook_subscriptions.event_types"));
    }
    Ok(types)
}

fn read_subscription(row: &Row<'_>) -> rusqlite::Result<(Subscription, String)> {
    let created: i64 = row.get(4)?;
    Ok((
        Subscription {
            id: SubscriptionId::new(row.get::<_, String>(0)?),
            org: OrgId::new(row.get::<_, String>(1)?),
            url: row.get(2)?,
            event_types: Vec::new(),
            created_at: UnixMillis(u64::try_from(created).unwrap_or(0)),
        },
        row.get(3)?,
    ))
}

impl WebhookStore {
    /// Creates a subscription for `org`: events of the given types are POSTed to `url`,
    /// signed with a newly generated secret (returned here, once).
    ///
    /// Fails with [`Error::InvalidUrl`] unless `url` is an absolute `http://` or `https://`
    /// URL, and with [`Error::NoEventTypes`] for an empty list. Duplicates are ignored.
    pub fn create_subscription(
        &self,
        org: &OrgId,
        url: &str,
        event_types: &[EventType],
    ) -> Result<CreatedSubscription> {
        check_url(url)?;
        let mut types = event_types.to_vec();
        types.sort();
        types.dedup();
        if types.is_empty() {
            return Err(Error::NoEventTypes);
        }
        let secret = WebhookSecret::generate();
        let subscription = Subscription {
            id: SubscriptionId::generate(),
            org: org.clone(),
            url: url.to_owned(),
            event_types: types,
            created_at: self.clock().now(),
        };
        self.conn().execute(
            "INSERT INTO webhook_subscriptions (id, org, url, secret, event_types, created_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                subscription.id.as_str(),
                org.as_str(),
                url,
                secret.expose(),
                encode_types(&subscription.event_types),
                i64::try_from(subscription.created_at.0).unwrap_or(i64::MAX),
            ],
        )?;
        Ok(CreatedSubscription {
            subscription,
            secret,
        })
    }

    /// `org`'s subscriptions, oldest first.
    pub fn list_subscriptions(&self, org: &OrgId) -> Result<Vec<Subscription>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT id, org, url, event_types, created_at_ms FROM webhook_subscriptions
             WHERE org = ?1 ORDER BY created_at_ms, id",
        )?;
        let rows = stmt.query_map([org.as_str()], read_subscription)?;
        let mut out = Vec::new();
        for row in rows {
            let (mut sub, types) = row?;
            sub.event_types = decode_types(&types)?;
            out.push(sub);
        }
        Ok(out)
    }

    /// Deletes `org`'s subscription `id` and every delivery queued for it (pending ones are
    /// not sent). `false` when there is no such subscription for `org` (another
    /// organization's id is not found, and not deleted).
    pub fn delete_subscription(&self, org: &OrgId, id: &SubscriptionId) -> Result<bool> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let pending: i64 = tx.query_row(
            "SELECT COUNT(*) FROM webhook_deliveries d JOIN webhook_subscriptions s
               ON s.id = d.subscription_id
             WHERE s.id = ?1 AND s.org = ?2 AND d.state = 'pending'",
            params![id.as_str(), org.as_str()],
            |r| r.get(0),
        )?;
        let deleted = tx.execute(
            "DELETE FROM webhook_subscriptions WHERE id = ?1 AND org = ?2",
            params![id.as_str(), org.as_str()],
        )?;
        tx.commit()?;
        crate::metrics::Counters::sub(
            &self.counters().queue_depth,
            u64::try_from(pending).unwrap_or(0),
        );
        Ok(deleted > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_absolute_http_or_https() {
        for ok in ["http://127.0.0.1:8080/hook", "https://example.com/a?b=c"] {
            assert!(check_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ftp://example.com/",
            "/relative",
            "example.com",
            "http://",
            "",
        ] {
            assert!(matches!(check_url(bad), Err(Error::InvalidUrl(_))), "{bad}");
        }
    }

    #[test]
    fn subscriptions_are_per_organization() {
        let store = WebhookStore::open_in_memory().unwrap();
        let (a, b) = (OrgId::new("a"), OrgId::new("b"));
        let created = store
            .create_subscription(
                &a,
                "http://127.0.0.1/x",
                &[
                    EventType::SessionStatus,
                    EventType::MessageReaction,
                    EventType::SessionStatus,
                ],
            )
            .unwrap();
        assert_eq!(
            created.subscription.event_types,
            [EventType::MessageReaction, EventType::SessionStatus]
        );
        assert_eq!(
            store.list_subscriptions(&a).unwrap(),
            std::slice::from_ref(&created.subscription)
        );
        assert!(store.list_subscriptions(&b).unwrap().is_empty());
        // Another organization can neither see nor delete it.
        assert!(!store
            .delete_subscription(&b, &created.subscription.id)
            .unwrap());
        assert!(store
            .delete_subscription(&a, &created.subscription.id)
            .unwrap());
        assert!(store.list_subscriptions(&a).unwrap().is_empty());
    }

    #[test]
    fn empty_event_type_list_is_refused() {
        let store = WebhookStore::open_in_memory().unwrap();
        assert!(matches!(
            store.create_subscription(&OrgId::new("a"), "http://h/", &[]),
            Err(Error::NoEventTypes)
        ));
    }
}
