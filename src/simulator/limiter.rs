//! The organisation's rate limit: so many audit requests per window, the count reset when a window ends
//! (API.md: 60 per minute, reset each minute).

use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct Limiter {
    limit: u32,
    window: Duration,
    started: Option<Instant>,
    used: u32,
}

impl Limiter {
    /// `limit` requests per `window`; a limit of 0 admits everything.
    pub fn new(limit: u32, window: Duration) -> Limiter {
        Limiter {
            limit,
            window,
            started: None,
            used: 0,
        }
    }

    /// Admits a request at `now`, or says how long until the window resets.
    pub fn admit(&mut self, now: Instant) -> Result<(), Duration> {
        if self.limit == 0 {
            return Ok(());
        }
        let started = match self.started {
            Some(start) if now.saturating_duration_since(start) < self.window => start,
            _ => {
                self.used = 0;
                self.started = Some(now);
                now
            }
        };
        if self.used >= self.limit {
            return Err(self.window - now.saturating_duration_since(started));
        }
        self.used += 1;
        Ok(())
    }
}

/// A `Retry-After` value in whole seconds, never 0 (a client told 0 would hammer the server).
pub fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs_f64().ceil().max(1.0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admits_up_to_the_limit_then_waits_for_the_window_to_reset() {
        let t0 = Instant::now();
        let sec = Duration::from_secs(1);
        let mut limiter = Limiter::new(3, 60 * sec);
        for i in 0..3 {
            assert_eq!(limiter.admit(t0 + i * sec), Ok(()));
        }
        assert_eq!(limiter.admit(t0 + 10 * sec), Err(50 * sec));
        assert_eq!(limiter.admit(t0 + 59 * sec), Err(sec));
        assert_eq!(limiter.admit(t0 + 60 * sec), Ok(()));
        assert_eq!(limiter.admit(t0 + 61 * sec), Ok(()));
    }

    #[test]
    fn zero_means_no_limit() {
        let mut limiter = Limiter::new(0, Duration::from_secs(60));
        let now = Instant::now();
        assert!((0..10_000).all(|_| limiter.admit(now).is_ok()));
    }

    #[test]
    fn retry_after_is_rounded_up_to_at_least_a_second() {
        let cases = [(0, 1), (1, 1), (999, 1), (1000, 1), (1001, 2), (59_400, 60)];
        for (ms, secs) in cases {
            assert_eq!(retry_after_secs(Duration::from_millis(ms)), secs, "{ms} ms");
        }
    }
}
