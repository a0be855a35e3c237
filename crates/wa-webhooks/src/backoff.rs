//! Retry policy: how many attempts, and how long to wait before the next one (exponential,
//! capped, with jitter from a seedable generator).

use std::time::Duration;

use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

/// When to give up and how to space retries.
///
/// The wait after the `n`th failed attempt is `min(max_delay, base_delay * 2^(n-1))`, of which
/// the upper half is random ("equal jitter"): never less than half the nominal delay, so a
/// struggling receiver gets real relief, and spread so retries from many deliveries do not
/// arrive together.
///
/// ```
/// use std::time::Duration;
/// use wa_webhooks::{Jitter, RetryPolicy};
/// let policy = RetryPolicy { max_attempts: 5, base_delay: Duration::from_secs(10), max_delay: Duration::from_secs(60) };
/// let mut jitter = Jitter::seeded(7);
/// let first = policy.delay_after(1, &mut jitter);
/// assert!(first >= Duration::from_secs(5) && first <= Duration::from_secs(10));
/// assert_eq!(policy.nominal_delay(4), Duration::from_secs(60)); // 80 s capped
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all (the first one included) before a delivery is marked dead. At least 1.
    pub max_attempts: u32,
    /// The nominal wait after the first failure.
    pub base_delay: Duration,
    /// The cap on the nominal wait.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// 10 attempts over about an hour and a quarter: 10 s, 20 s, 40 s … capped at 30 min.
    fn default() -> Self {
        Self {
            max_attempts: 10,
            base_delay: Duration::from_secs(10),
            max_delay: Duration::from_secs(30 * 60),
        }
    }
}

impl RetryPolicy {
    /// The wait after `failed_attempts` failures before jitter (`failed_attempts` ≥ 1).
    pub fn nominal_delay(&self, failed_attempts: u32) -> Duration {
        let doublings = failed_attempts.saturating_sub(1).min(31);
        self.base_delay
            .checked_mul(1u32 << doublings)
            .unwrap_or(self.max_delay)
            .min(self.max_delay)
    }

    /// The wait after `failed_attempts` failures: the nominal delay's lower half plus a random
    /// part of its upper half.
    pub fn delay_after(&self, failed_attempts: u32, jitter: &mut Jitter) -> Duration {
        let nominal = self.nominal_delay(failed_attempts);
        let half = nominal / 2;
        let spread = u64::try_from((nominal - half).as_millis()).unwrap_or(u64::MAX);
        half + Duration::from_millis(jitter.below_inclusive(spread))
    }

    /// Whether a delivery that has failed `failed_attempts` times is out of attempts.
    pub fn exhausted(&self, failed_attempts: u32) -> bool {
        failed_attempts >= self.max_attempts.max(1)
    }
}

/// The random source for jitter: seeded in tests for repeatable delays, from the operating
/// system otherwise.
///
/// ```
/// use wa_webhooks::Jitter;
/// let (mut a, mut b) = (Jitter::seeded(1), Jitter::seeded(1));
/// assert_eq!(a.below_inclusive(1000), b.below_inclusive(1000));
/// ```
#[derive(Debug)]
pub struct Jitter(ChaCha8Rng);

impl Jitter {
    /// A generator that always yields the same sequence for `seed`.
    pub fn seeded(seed: u64) -> Self {
        Self(ChaCha8Rng::seed_from_u64(seed))
    }

    /// A generator seeded from the operating system.
    pub fn from_entropy() -> Self {
        let mut seed = [0u8; 32];
        rand_core::OsRng.fill_bytes(&mut seed);
        Self(ChaCha8Rng::from_seed(seed))
    }

    /// A uniform value in `0..=max` (modulo bias is negligible for millisecond spans).
    pub fn below_inclusive(&mut self, max: u64) -> u64 {
        match max.checked_add(1) {
            Some(n) => self.0.next_u64() % n,
            None => self.0.next_u64(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_secs(2),
            max_delay: Duration::from_secs(20),
        }
    }

    #[test]
    fn nominal_delay_doubles_then_caps() {
        let p = policy();
        let got: Vec<u64> = (1..=6).map(|n| p.nominal_delay(n).as_secs()).collect();
        assert_eq!(got, [2, 4, 8, 16, 20, 20]);
        // Huge attempt counts neither overflow nor exceed the cap.
        assert_eq!(p.nominal_delay(u32::MAX), Duration::from_secs(20));
    }

    #[test]
    fn jittered_delay_stays_within_the_upper_half_and_varies() {
        let p = policy();
        let mut jitter = Jitter::seeded(42);
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..200 {
            let d = p.delay_after(3, &mut jitter);
            assert!(
                d >= Duration::from_secs(4) && d <= Duration::from_secs(8),
                "{d:?}"
            );
            seen.insert(d);
        }
        assert!(
            seen.len() > 100,
            "jitter spreads retries: {} distinct",
            seen.len()
        );
    }

    #[test]
    fn same_seed_gives_the_same_delays() {
        let p = policy();
        let (mut a, mut b) = (Jitter::seeded(9), Jitter::seeded(9));
        let xs: Vec<Duration> = (1..=5).map(|n| p.delay_after(n, &mut a)).collect();
        let ys: Vec<Duration> = (1..=5).map(|n| p.delay_after(n, &mut b)).collect();
        assert_eq!(xs, ys);
    }

    #[test]
    fn exhausted_after_max_attempts() {
        let p = policy();
        assert!(!p.exhausted(3));
        assert!(p.exhausted(4));
        let zero = RetryPolicy {
            max_attempts: 0,
            ..p
        };
        assert!(zero.exhausted(1), "zero is treated as one attempt");
    }
}
