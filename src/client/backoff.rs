//! How long to wait before trying a failed call again.
//!
//! Exponential from about a second, with jitter so that many clients of one organisation (which share
//! its rate limit) do not retry in step, capped near a minute, and a server's `Retry-After` wins when it
//! gave one. The policy is pure: the jitter source is a parameter, so tests choose its values.

use std::future::Future;
use std::time::Duration;

use super::ApiError;

/// How the random part of a delay is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jitter {
    /// Uniform in `[0, min(cap, base * 2^attempt)]`.
    Full,
    /// Uniform in `[base, min(cap, previous * 3)]`: grows like the exponential, never below `base`.
    Decorrelated,
}

/// The retry-delay policy and where it stands.
#[derive(Debug, Clone)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
    /// The longest `Retry-After` honoured as given (a server asking for an hour gets this instead).
    pub max_retry_after: Duration,
    pub jitter: Jitter,
    attempt: u32,
    previous: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff::new(
            Duration::from_secs(1),
            Duration::from_secs(60),
            Jitter::Decorrelated,
        )
    }
}

impl Backoff {
    pub fn new(base: Duration, cap: Duration, jitter: Jitter) -> Backoff {
        Backoff {
            base,
            cap,
            max_retry_after: Duration::from_secs(5 * 60),
            jitter,
            attempt: 0,
            previous: base,
        }
    }

    /// How many delays were handed out since the last success.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// Forget past failures (call after a success).
    pub fn reset(&mut self) {
        self.attempt = 0;
        self.previous = self.base;
    }

    /// The next delay. `unit` draws a number in `[0, 1)`; `retry_after` is what the server asked for.
    pub fn next_delay(
        &mut self,
        retry_after: Option<Duration>,
        unit: &mut dyn FnMut() -> f64,
    ) -> Duration {
        let drawn = unit().clamp(0.0, 1.0);
        let computed = match self.jitter {
            Jitter::Full => {
                let ceiling = self
                    .base
                    .saturating_mul(1u32 << self.attempt.min(20))
                    .min(self.cap);
                ceiling.mul_f64(drawn)
            }
            Jitter::Decorrelated => {
                let ceiling = self.previous.saturating_mul(3).min(self.cap).max(self.base);
                self.base + (ceiling - self.base).mul_f64(drawn)
            }
        };
        self.attempt = self.attempt.saturating_add(1);
        self.previous = computed.max(self.base);
        match retry_after {
            Some(asked) => asked.min(self.max_retry_after),
            None => computed,
        }
    }
}

/// A number in `[0, 1)` from the thread's random generator: the jitter source outside tests.
pub fn random_unit() -> f64 {
    rand::random::<f64>()
}

/// Runs `call` up to `attempts` times, waiting between retryable failures as `backoff` says, and
/// telling `on_retry` each wait. For one-shot callers such as `doctor`; the poller schedules its own.
pub async fn retry<T, F, Fut>(
    attempts: u32,
    backoff: &mut Backoff,
    mut on_retry: impl FnMut(&ApiError, Duration),
    mut call: F,
) -> Result<T, ApiError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    let mut tries = 0;
    loop {
        tries += 1;
        match call().await {
            Ok(value) => {
                backoff.reset();
                return Ok(value);
            }
            Err(err) if err.is_retryable() && tries < attempts.max(1) => {
                let delay = backoff.next_delay(err.retry_after(), &mut random_unit);
                on_retry(&err, delay);
                tokio::time::sleep(delay).await;
            }
            Err(err) => return Err(err),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    fn delays(backoff: &mut Backoff, draws: &[f64]) -> Vec<Duration> {
        draws
            .iter()
            .map(|&d| backoff.next_delay(None, &mut || d))
            .collect()
    }

    #[test]
    fn full_jitter_ceiling_doubles_up_to_the_cap() {
        let mut b = Backoff::new(S, 60 * S, Jitter::Full);
        let got = delays(&mut b, &[1.0; 9]);
        let secs: Vec<u64> = got.iter().map(Duration::as_secs).collect();
        assert_eq!(secs, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
        let mut b = Backoff::new(S, 60 * S, Jitter::Full);
        assert_eq!(delays(&mut b, &[0.0, 0.5]), [Duration::ZERO, S]);
    }

    #[test]
    fn decorrelated_jitter_stays_between_base_and_cap() {
        let mut b = Backoff::default();
        let got = delays(&mut b, &[1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 1.0]);
        let secs: Vec<u64> = got.iter().map(Duration::as_secs).collect();
        assert_eq!(secs, [3, 9, 27, 60, 60, 1, 3]);
    }

    #[test]
    fn many_random_delays_respect_the_bounds() {
        for jitter in [Jitter::Full, Jitter::Decorrelated] {
            let mut b = Backoff::new(S, 60 * S, jitter);
            for _ in 0..1000 {
                let d = b.next_delay(None, &mut random_unit);
                assert!(d <= 60 * S, "{jitter:?} {d:?}");
                if jitter == Jitter::Decorrelated {
                    assert!(d >= S, "{d:?}");
                }
            }
        }
    }

    #[test]
    fn retry_after_wins_but_is_bounded() {
        let mut b = Backoff::default();
        assert_eq!(b.next_delay(Some(7 * S), &mut || 0.9), 7 * S);
        assert_eq!(
            b.next_delay(Some(Duration::ZERO), &mut || 0.9),
            Duration::ZERO
        );
        assert_eq!(b.next_delay(Some(3600 * S), &mut || 0.9), 300 * S);
        assert_eq!(b.attempt(), 3);
    }

    #[test]
    fn reset_starts_over() {
        let mut b = Backoff::new(S, 60 * S, Jitter::Full);
        delays(&mut b, &[1.0; 5]);
        b.reset();
        assert_eq!(b.attempt(), 0);
        assert_eq!(delays(&mut b, &[1.0]), [S]);
    }

    #[tokio::test]
    async fn retry_stops_at_success_or_at_a_final_error() {
        let ms = Duration::from_millis(1);
        let mut b = Backoff::new(ms, 2 * ms, Jitter::Full);
        let mut calls = 0;
        let mut waits = Vec::new();
        let result = retry(
            5,
            &mut b,
            |_, d| waits.push(d),
            || {
                calls += 1;
                let n = calls;
                async move {
                    if n < 3 {
                        Err(ApiError::RateLimited {
                            retry_after: Some(ms),
                        })
                    } else {
                        Ok(n)
                    }
                }
            },
        )
        .await;
        assert_eq!(result, Ok(3));
        assert_eq!(waits, [ms; 2]);

        let mut calls = 0;
        let result: Result<(), _> = retry(
            5,
            &mut b,
            |_, _| {},
            || {
                calls += 1;
                async { Err(ApiError::Unauthorized) }
            },
        )
        .await;
        assert_eq!(result, Err(ApiError::Unauthorized));
        assert_eq!(calls, 1);

        let mut calls = 0;
        let result: Result<(), _> = retry(
            3,
            &mut b,
            |_, _| {},
            || {
                calls += 1;
                async { Err(ApiError::Timeout) }
            },
        )
        .await;
        assert_eq!(result, Err(ApiError::Timeout));
        assert_eq!(calls, 3);
    }
}
