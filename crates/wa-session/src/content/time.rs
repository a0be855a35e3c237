//! The caller's clock reading, passed in: this module never reads a clock itself.

/// A point in time as milliseconds since the Unix epoch (what `senderTimestampMs` carries).
///
/// ```
/// use wa_session::content::UnixMillis;
///
/// let now = UnixMillis::new(1_700_000_000_123);
/// assert_eq!(now.as_secs(), 1_700_000_000);
/// assert_eq!(now.as_millis(), 1_700_000_000_123);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixMillis(u64);

impl UnixMillis {
    /// `ms` milliseconds after the epoch.
    #[must_use]
    pub const fn new(ms: u64) -> Self {
        Self(ms)
    }

    /// Milliseconds since the epoch.
    #[must_use]
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// Whole seconds since the epoch (rounded down).
    #[must_use]
    pub const fn as_secs(self) -> u64 {
        self.0 / 1000
    }

    /// The value as the protobuf `int64` it is written as; saturates past `i64::MAX` (year
    /// 292 million), so it never wraps negative.
    #[must_use]
    pub(crate) fn as_proto_millis(self) -> i64 {
        i64::try_from(self.0).unwrap_or(i64::MAX)
    }
}
