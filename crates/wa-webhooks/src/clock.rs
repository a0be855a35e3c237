//! Time as the queue and the worker see it: a [`Clock`] that tells the time and sleeps, so tests
//! can drive retries with a [`ManualClock`] instead of waiting.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::watch;

/// Milliseconds since the Unix epoch (UTC).
///
/// ```
/// use wa_webhooks::UnixMillis;
/// let t = UnixMillis(1_700_000_000_123);
/// assert_eq!(t.as_secs(), 1_700_000_000);
/// assert_eq!(t.to_rfc3339(), "2023-11-14T22:13:20.123Z");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixMillis(pub u64);

impl UnixMillis {
    /// Whole seconds since the epoch (what `X-WA-Timestamp` carries).
    pub fn as_secs(self) -> u64 {
        self.0 / 1000
    }

    /// This instant plus `d`, saturating.
    #[must_use]
    pub fn plus(self, d: Duration) -> Self {
        let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        Self(self.0.saturating_add(ms))
    }

    /// RFC 3339 in UTC with milliseconds, e.g. `2023-11-14T22:13:20.123Z`.
    pub fn to_rfc3339(self) -> String {
        let secs = self.0 / 1000;
        let millis = self.0 % 1000;
        let days = secs / 86_400;
        let rem = secs % 86_400;
        let (y, m, d) = civil_from_days(days);
        format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}Z",
            rem / 3600,
            (rem / 60) % 60,
            rem % 60
        )
    }

    /// Parses the exact form [`UnixMillis::to_rfc3339`] writes; `None` for anything else.
    ///
    /// ```
    /// use wa_webhooks::UnixMillis;
    /// let t = UnixMillis(1_700_000_000_123);
    /// assert_eq!(UnixMillis::parse_rfc3339(&t.to_rfc3339()), Some(t));
    /// assert_eq!(UnixMillis::parse_rfc3339("yesterday"), None);
    /// ```
    pub fn parse_rfc3339(text: &str) -> Option<Self> {
        let b = text.as_bytes();
        if b.len() != 24 {
            return None;
        }
        let shape_ok = b.iter().enumerate().all(|(i, &c)| match i {
            4 | 7 => c == b'-',
            10 => c == b'T',
            13 | 16 => c == b':',
            19 => c == b'.',
            23 => c == b'Z',
            _ => c.is_ascii_digit(),
        });
        if !shape_ok {
            return None;
        }
        let num = |from: usize, to: usize| text.get(from..to).and_then(|s| s.parse::<u64>().ok());
        let (y, mo, d) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
        let (h, mi, s, ms) = (num(11, 13)?, num(14, 16)?, num(17, 19)?, num(20, 23)?);
        if y < 1970
            || !(1..=12).contains(&mo)
            || !(1..=31).contains(&d)
            || h > 23
            || mi > 59
            || s > 59
        {
            return None;
        }
        let days = days_from_civil(y, mo, d);
        if civil_from_days(days) != (y, mo, d) {
            return None; // e.g. February 30th
        }
        let secs = days * 86_400 + h * 3600 + mi * 60 + s;
        Some(Self(secs * 1000 + ms))
    }
}

impl fmt::Display for UnixMillis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

/// (year, month, day) of a day count since 1970-01-01 (proleptic Gregorian; H. Hinnant's
/// algorithm restricted to dates after the epoch).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

/// Inverse of [`civil_from_days`] for years from 1970.
fn days_from_civil(y: u64, m: u64, d: u64) -> u64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y / 400;
    let yoe = y % 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe).saturating_sub(719_468)
}

/// A boxed future the worker awaits while it sleeps.
pub type Sleep<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// Where the queue and the worker get the time, and how the worker sleeps until a retry is due.
///
/// [`SystemClock`] is the real one; [`ManualClock`] moves only when a test advances it.
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    /// The current time.
    fn now(&self) -> UnixMillis;

    /// Completes once [`Clock::now`] has reached `deadline`.
    fn sleep_until(&self, deadline: UnixMillis) -> Sleep<'_>;
}

/// The system's wall clock, sleeping with tokio's timer.
///
/// ```
/// use wa_webhooks::{Clock, SystemClock};
/// assert!(SystemClock.now().as_secs() > 1_600_000_000);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> UnixMillis {
        let since = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        UnixMillis(u64::try_from(since.as_millis()).unwrap_or(u64::MAX))
    }

    fn sleep_until(&self, deadline: UnixMillis) -> Sleep<'_> {
        let wait = Duration::from_millis(deadline.0.saturating_sub(self.now().0));
        Box::pin(tokio::time::sleep(wait))
    }
}

/// A clock that moves only when told to: tests advance it past a backoff to release a retry.
///
/// ```
/// use std::time::Duration;
/// use wa_webhooks::{Clock, ManualClock, UnixMillis};
/// let clock = ManualClock::new(UnixMillis(1_000));
/// clock.advance(Duration::from_secs(2));
/// assert_eq!(clock.now(), UnixMillis(3_000));
/// ```
#[derive(Clone, Debug)]
pub struct ManualClock {
    now: Arc<watch::Sender<UnixMillis>>,
}

impl ManualClock {
    /// A clock standing at `start`.
    pub fn new(start: UnixMillis) -> Self {
        Self {
            now: Arc::new(watch::Sender::new(start)),
        }
    }

    /// Moves the clock forward by `d`, waking sleepers whose deadline has come.
    pub fn advance(&self, d: Duration) {
        self.now.send_modify(|t| *t = t.plus(d));
    }

    /// Sets the clock to `t` (never backwards: an earlier `t` is ignored).
    pub fn set(&self, t: UnixMillis) {
        self.now.send_if_modified(|cur| {
            let later = t > *cur;
            if later {
                *cur = t;
            }
            later
        });
    }
}

impl Clock for ManualClock {
    fn now(&self) -> UnixMillis {
        *self.now.borrow()
    }

    fn sleep_until(&self, deadline: UnixMillis) -> Sleep<'_> {
        let mut rx = self.now.subscribe();
        Box::pin(async move {
            while *rx.borrow_and_update() < deadline {
                if rx.changed().await.is_err() {
                    // The sender lives as long as `self`; unreachable in practice. Never wake.
                    std::future::pending::<()>().await;
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trips_across_leap_years_and_month_ends() {
        for ms in [
            0,
            951_782_400_000,     // 2000-02-29
            1_709_164_799_999,   // 2024-02-28T23:59:59.999
            4_102_444_800_000,   // 2100-01-01
            253_402_300_799_999, // 9999-12-31T23:59:59.999
        ] {
            let t = UnixMillis(ms);
            assert_eq!(UnixMillis::parse_rfc3339(&t.to_rfc3339()), Some(t), "{ms}");
        }
        assert_eq!(UnixMillis(0).to_rfc3339(), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            UnixMillis(951_782_400_000).to_rfc3339(),
            "2000-02-29T00:00:00.000Z"
        );
    }

    #[test]
    fn rfc3339_parse_rejects_other_forms() {
        for bad in [
            "2023-02-30T00:00:00.000Z",
            "2023-11-14T22:13:20Z",
            "2023-11-14 22:13:20.123Z",
            "2023-11-14T24:00:00.000Z",
            "2023-11-14T22:13:20.123+00:00",
        ] {
            assert_eq!(UnixMillis::parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[tokio::test]
    async fn manual_sleep_wakes_only_when_advanced_past_the_deadline() {
        let clock = ManualClock::new(UnixMillis(0));
        let sleeper = clock.clone();
        let task = tokio::spawn(async move { sleeper.sleep_until(UnixMillis(5_000)).await });
        clock.advance(Duration::from_secs(4));
        tokio::task::yield_now().await;
        assert!(!task.is_finished());
        clock.advance(Duration::from_secs(1));
        assert!(task.await.is_ok());
    }
}
