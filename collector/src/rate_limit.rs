//! A rate limit per write key (batches per second, with a burst of one second's worth), so one
//! app flooding the collector cannot starve the others. A request over the limit is told when to
//! come back, which the SDK honours as `Retry-After`.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

pub struct WriteKeyRateLimit {
    limiter: Option<DefaultKeyedRateLimiter<String>>,
    clock: DefaultClock,
}

impl WriteKeyRateLimit {
    /// At most `per_second` batches per second per write key; `0` turns the limit off.
    pub fn new(per_second: u32) -> WriteKeyRateLimit {
        let limiter = NonZeroU32::new(per_second).map(|rate| RateLimiter::keyed(Quota::per_second(rate)));
        WriteKeyRateLimit { limiter, clock: DefaultClock::default() }
    }

    /// `Ok` when a batch for `write_key` may go through now, else how long to wait.
    pub fn check(&self, write_key: &str) -> Result<(), Duration> {
        let Some(limiter) = &self.limiter else { return Ok(()) };
        limiter.check_key(&write_key.to_owned()).map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_write_key_has_its_own_budget() {
        let limit = WriteKeyRateLimit::new(3);
        for _ in 0..3 {
            assert_eq!(limit.check("a"), Ok(()));
        }
        let wait = limit.check("a").unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_millis(334), "{wait:?}");
        assert_eq!(limit.check("b"), Ok(()), "another key is not held back");
    }

    #[test]
    fn zero_turns_the_limit_off() {
        let limit = WriteKeyRateLimit::new(0);
        assert!((0..10_000).all(|_| limit.check("a").is_ok()));
    }
}
