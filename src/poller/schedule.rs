//! When the poller sends its next request: the rate budget, draining versus idling, backing off.
//!
//! Pure and synchronous: every method takes the current time, so the decisions are tested with an
//! injected clock. The async driver only performs what [`Schedule::next`] says.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// The window the budget is counted over.
pub const BUDGET_WINDOW: Duration = Duration::from_secs(60);

/// The least time between two request starts: the API's paging reference allows "1 per second for audit
/// log querying", on top of the per-minute budget.
pub const MIN_SPACING: Duration = Duration::from_secs(1);

/// The longest `Retry-After` waited out as given: a server asking for hours is asked again sooner (as
/// the client's own policy does), rather than leaving the tail silent that long.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(5 * 60);

/// How long to wait after the `attempt`-th consecutive failure, given the server's `Retry-After`.
pub type BackoffPolicy = Box<dyn FnMut(u32, Option<Duration>) -> Duration + Send>;

/// What the driver should do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Send the next request now.
    Send,
    /// Nothing to do before this time (or before a control message arrives).
    WaitUntil(Instant),
    /// Nothing to do until a control message arrives (paused, or failed for good).
    WaitForControl,
}

/// Why the schedule is where it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// No request has succeeded yet.
    Connecting,
    /// The last page was full: more is waiting, go as fast as the budget allows.
    Draining,
    /// Caught up: poll again after the idle interval.
    Idle,
    /// The last request failed; `attempt` consecutive failures so far.
    Retrying { attempt: u32 },
    /// Stopped by an error that retrying cannot fix.
    Failed,
}

pub struct Schedule {
    budget: u32,
    /// The window the budget is counted over ([`BUDGET_WINDOW`] but in tests that compress time).
    window: Duration,
    /// The least time between two starts: [`MIN_SPACING`], compressed with the window.
    spacing: Duration,
    interval: Duration,
    backoff: BackoffPolicy,
    /// When each request of the last window ended (or started, while it is in flight). The end is what
    /// counts: the server saw the request somewhere between its start and its end, so spacing a new
    /// start a window after an old end keeps any window of the server's own clock within the budget.
    requests: VecDeque<Instant>,
    in_flight: bool,
    phase: Phase,
    paused: bool,
    /// The earliest time of the next request, before the budget is applied.
    due: Instant,
    /// When the last request started: the next starts `spacing` later at the earliest.
    last_start: Option<Instant>,
}

impl Schedule {
    pub fn new(now: Instant, budget: u32, interval: Duration, backoff: BackoffPolicy) -> Schedule {
        Schedule {
            budget: budget.max(1),
            window: BUDGET_WINDOW,
            spacing: MIN_SPACING,
            interval,
            backoff,
            requests: VecDeque::new(),
            in_flight: false,
            phase: Phase::Connecting,
            paused: false,
            due: now,
            last_start: None,
        }
    }

    /// Counts the budget over `window` instead of a minute, and spaces starts by the same share of it
    /// (a 60th). Only for end-to-end tests that compress time against the simulator.
    pub fn with_window(mut self, window: Duration) -> Schedule {
        self.window = window.max(Duration::from_millis(60));
        self.spacing = self
            .window
            .mul_f64(MIN_SPACING.as_secs_f64() / BUDGET_WINDOW.as_secs_f64());
        self
    }

    pub fn phase(&self) -> Phase {
        self.phase
    }

    pub fn is_paused(&self) -> bool {
        self.paused
    }

    #[cfg(test)]
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// What to do at `now`.
    pub fn next(&self, now: Instant) -> Next {
        if self.paused || self.phase == Phase::Failed || self.in_flight {
            return Next::WaitForControl;
        }
        let mut at = match self.budget_allows_at() {
            Some(allowed) => self.due.max(allowed),
            None => self.due,
        };
        if let Some(last) = self.last_start {
            at = at.max(last + self.spacing);
        }
        if at <= now {
            Next::Send
        } else {
            Next::WaitUntil(at)
        }
    }

    /// The earliest time the budget allows another request, when it holds one back at all.
    fn budget_allows_at(&self) -> Option<Instant> {
        let used = self.requests.len();
        let budget = self.budget as usize;
        (used >= budget).then(|| self.requests[used - budget] + self.window)
    }

    /// Requests counted in the window ending at `now` (those in flight included).
    pub fn requests_in_window(&self, now: Instant) -> u32 {
        let recent = self
            .requests
            .iter()
            .filter(|&&at| at + self.window > now)
            .count();
        recent as u32
    }

    /// A request went out at `now`.
    pub fn on_sent(&mut self, now: Instant) {
        self.forget_before(now);
        self.requests.push_back(now);
        self.last_start = Some(now);
        self.in_flight = true;
    }

    /// The request answered. `more` says whether more entries are already waiting (a full page, or a
    /// seed that still has to be paged from).
    pub fn on_success(&mut self, now: Instant, more: bool) {
        self.finish(now);
        if more {
            self.phase = Phase::Draining;
            self.due = now;
        } else {
            self.phase = Phase::Idle;
            self.due = now + self.interval;
        }
    }

    /// The request failed in a way that trying again can fix (429, 5xx, timeout, broken body).
    /// Returns how long it waits before the next try.
    pub fn on_retryable(&mut self, now: Instant, retry_after: Option<Duration>) -> Duration {
        self.finish(now);
        let attempt = match self.phase {
            Phase::Retrying { attempt } => attempt + 1,
            _ => 1,
        };
        let asked = retry_after.map(|d| d.min(MAX_RETRY_AFTER));
        let wait = (self.backoff)(attempt, asked).max(asked.unwrap_or_default());
        self.phase = Phase::Retrying { attempt };
        self.due = now + wait;
        wait
    }

    /// The request failed in a way only the user can fix (401, 403): no more requests.
    pub fn on_fatal(&mut self, now: Instant) {
        self.finish(now);
        self.phase = Phase::Failed;
    }

    pub fn pause(&mut self) {
        self.paused = true;
    }

    /// Resuming polls at once (within the budget), whatever the interval said.
    pub fn resume(&mut self, now: Instant) {
        if self.paused {
            self.paused = false;
            if matches!(self.phase, Phase::Idle) {
                self.due = now;
            }
        }
    }

    /// A new idle interval, counted from the last request when idle.
    pub fn set_interval(&mut self, interval: Duration) {
        if self.phase == Phase::Idle {
            let last = self.due.checked_sub(self.interval).unwrap_or(self.due);
            self.due = last + interval;
        }
        self.interval = interval;
    }

    fn finish(&mut self, now: Instant) {
        if self.in_flight {
            if let Some(last) = self.requests.back_mut() {
                *last = now;
            }
            self.in_flight = false;
        }
    }

    fn forget_before(&mut self, now: Instant) {
        while let Some(&first) = self.requests.front() {
            if first + self.window <= now {
                self.requests.pop_front();
            } else {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BUDGET: u32 = 30;
    const INTERVAL: Duration = Duration::from_secs(5);

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    /// Backoff that doubles from one second, without jitter, so the cases can say exact times.
    fn doubling() -> BackoffPolicy {
        Box::new(|attempt, _| Duration::from_secs(1 << (attempt - 1).min(6)))
    }

    fn schedule(t0: Instant, budget: u32) -> Schedule {
        Schedule::new(t0, budget, INTERVAL, doubling())
    }

    /// Sends at `at` and answers `latency` later, as the driver would.
    fn request(s: &mut Schedule, at: Instant, latency: Duration, more: bool) -> Instant {
        assert_eq!(s.next(at), Next::Send);
        s.on_sent(at);
        assert_eq!(s.next(at), Next::WaitForControl, "one request at a time");
        let end = at + latency;
        s.on_success(end, more);
        end
    }

    /// The time `next` asks to send at, starting from `now`.
    fn send_time(s: &Schedule, now: Instant) -> Instant {
        match s.next(now) {
            Next::Send => now,
            Next::WaitUntil(at) => at,
            Next::WaitForControl => panic!("schedule is waiting for control"),
        }
    }

    #[test]
    fn first_request_goes_at_once() {
        let t0 = Instant::now();
        let s = schedule(t0, BUDGET);
        assert_eq!(s.next(t0), Next::Send);
        assert_eq!(s.phase(), Phase::Connecting);
    }

    #[test]
    fn decisions_after_each_outcome() {
        // (outcome, expected phase, expected wait before the next request)
        enum Outcome {
            FullPage,
            ShortPage,
            Failure(Option<Duration>),
        }
        use Outcome::*;
        let cases: Vec<(&str, Vec<Outcome>, Phase, Duration)> = vec![
            (
                "full page drains as soon as the spacing allows (a second after the last start)",
                vec![FullPage],
                Phase::Draining,
                secs(0.9),
            ),
            (
                "short page idles for the interval",
                vec![ShortPage],
                Phase::Idle,
                INTERVAL,
            ),
            (
                "first failure backs off one step",
                vec![Failure(None)],
                Phase::Retrying { attempt: 1 },
                secs(1.0),
            ),
            (
                "consecutive failures back off further",
                vec![Failure(None), Failure(None), Failure(None)],
                Phase::Retrying { attempt: 3 },
                secs(4.0),
            ),
            (
                "retry-after longer than the backoff wins",
                vec![Failure(Some(secs(17.0)))],
                Phase::Retrying { attempt: 1 },
                secs(17.0),
            ),
            (
                "a retry-after of hours is held to a few minutes",
                vec![Failure(Some(secs(7200.0)))],
                Phase::Retrying { attempt: 1 },
                MAX_RETRY_AFTER,
            ),
            (
                "success resets the backoff",
                vec![Failure(None), Failure(None), FullPage, Failure(None)],
                Phase::Retrying { attempt: 1 },
                secs(1.0),
            ),
            (
                "failure then short page idles",
                vec![Failure(None), ShortPage],
                Phase::Idle,
                INTERVAL,
            ),
        ];
        for (name, outcomes, phase, wait) in cases {
            let t0 = Instant::now();
            let mut s = schedule(t0, BUDGET);
            let mut now = t0;
            for outcome in outcomes {
                now = send_time(&s, now);
                s.on_sent(now);
                now += secs(0.1);
                match outcome {
                    FullPage => s.on_success(now, true),
                    ShortPage => s.on_success(now, false),
                    Failure(retry_after) => {
                        s.on_retryable(now, retry_after);
                    }
                }
            }
            assert_eq!(s.phase(), phase, "{name}");
            assert_eq!(send_time(&s, now) - now, wait, "{name}");
        }
    }

    #[test]
    fn draining_never_exceeds_the_budget_in_any_window() {
        for (budget, latency) in [(30, 0.0), (30, 0.2), (5, 1.5), (60, 0.05), (1, 0.0)] {
            let t0 = Instant::now();
            let mut s = schedule(t0, budget);
            let mut now = t0;
            let mut starts = Vec::new();
            let mut ends = Vec::new();
            for _ in 0..(budget * 4) {
                now = send_time(&s, now);
                starts.push(now);
                now = request(&mut s, now, secs(latency), true);
                ends.push(now);
            }
            // A request's server-side time lies between its start and end: the next `budget`-th start
            // must come a full window after the end of the request `budget` earlier.
            let b = budget as usize;
            for k in b..starts.len() {
                assert!(
                    starts[k] >= ends[k - b] + BUDGET_WINDOW,
                    "budget {budget}, latency {latency}: request {k} too early"
                );
            }
            // ...and no slower than that: the drain uses the budget fully.
            let total = now - t0;
            let minimum_windows = (starts.len() as u32 - 1) / budget;
            assert!(
                total < BUDGET_WINDOW * (minimum_windows + 1) + secs(latency) * budget * 4,
                "budget {budget}: drain took {total:?}"
            );
        }
    }

    #[test]
    fn a_burst_of_budget_requests_goes_one_a_second_then_waits_for_the_window() {
        let t0 = Instant::now();
        let mut s = schedule(t0, 3);
        let mut now = t0;
        for k in 0..3 {
            let at = send_time(&s, now);
            assert_eq!(at, t0 + MIN_SPACING * k);
            now = request(&mut s, at, secs(0.0), true);
        }
        assert_eq!(s.next(now), Next::WaitUntil(t0 + BUDGET_WINDOW));
        assert_eq!(s.requests_in_window(now), 3);
        assert_eq!(
            s.requests_in_window(t0 + BUDGET_WINDOW + MIN_SPACING * 2),
            0
        );
    }

    #[test]
    fn a_compressed_window_scales_the_budget_window_and_the_spacing_together() {
        let t0 = Instant::now();
        let window = secs(15.0);
        let mut s = schedule(t0, 3).with_window(window);
        let mut now = t0;
        for k in 0..3 {
            let at = send_time(&s, now);
            assert_eq!(at, t0 + secs(0.25) * k, "a 60th of the window apart");
            now = request(&mut s, at, secs(0.0), true);
        }
        assert_eq!(s.next(now), Next::WaitUntil(t0 + window));
        assert_eq!(s.requests_in_window(t0 + window + secs(0.5)), 0);
    }

    #[test]
    fn request_starts_are_a_second_apart_whatever_the_budget_the_interval_or_a_retry() {
        // A budget of 600 a minute and an idle interval of 0.1 s would allow ten a second.
        let t0 = Instant::now();
        let mut s = Schedule::new(t0, 600, secs(0.1), Box::new(|_, _| Duration::ZERO));
        let mut now = t0;
        let mut starts = Vec::new();
        for k in 0..30 {
            now = send_time(&s, now);
            starts.push(now);
            s.on_sent(now);
            now += secs(0.05);
            match k % 3 {
                0 => s.on_success(now, true),
                1 => s.on_success(now, false),
                _ => {
                    s.on_retryable(now, Some(Duration::ZERO));
                }
            }
        }
        for pair in starts.windows(2) {
            assert_eq!(pair[1] - pair[0], MIN_SPACING);
        }
    }

    #[test]
    fn idle_polls_once_per_interval() {
        let t0 = Instant::now();
        let mut s = schedule(t0, BUDGET);
        let mut now = t0;
        let mut sends = Vec::new();
        for _ in 0..10 {
            now = send_time(&s, now);
            sends.push(now);
            now = request(&mut s, now, secs(0.0), false);
        }
        for pair in sends.windows(2) {
            assert_eq!(pair[1] - pair[0], INTERVAL);
        }
    }

    #[test]
    fn idle_interval_shorter_than_the_budget_allows_is_held_to_the_budget() {
        let t0 = Instant::now();
        let mut s = Schedule::new(t0, 6, secs(1.0), doubling());
        let mut now = t0;
        let mut sends = Vec::new();
        while now < t0 + secs(180.0) {
            now = send_time(&s, now);
            sends.push(now);
            now = request(&mut s, now, secs(0.0), false);
        }
        for (i, &at) in sends.iter().enumerate() {
            let in_window = sends[i..]
                .iter()
                .filter(|&&t| t < at + BUDGET_WINDOW)
                .count();
            assert!(in_window <= 6, "window from request {i} holds {in_window}");
        }
    }

    #[test]
    fn retry_after_is_honoured_even_with_budget_to_spare() {
        let t0 = Instant::now();
        let mut s = schedule(t0, BUDGET);
        s.on_sent(t0);
        s.on_retryable(t0, Some(secs(30.0)));
        assert_eq!(s.next(t0 + secs(29.9)), Next::WaitUntil(t0 + secs(30.0)));
        assert_eq!(s.next(t0 + secs(30.0)), Next::Send);
    }

    #[test]
    fn fatal_errors_stop_requests() {
        let t0 = Instant::now();
        let mut s = schedule(t0, BUDGET);
        s.on_sent(t0);
        s.on_fatal(t0);
        assert_eq!(s.phase(), Phase::Failed);
        assert_eq!(s.next(t0 + secs(3600.0)), Next::WaitForControl);
        s.resume(t0 + secs(3600.0));
        assert_eq!(s.next(t0 + secs(3600.0)), Next::WaitForControl);
    }

    #[test]
    fn pause_holds_requests_and_resume_polls_at_once() {
        let t0 = Instant::now();
        let mut s = schedule(t0, BUDGET);
        let now = request(&mut s, t0, secs(0.0), false);
        s.pause();
        assert_eq!(s.next(now + secs(60.0)), Next::WaitForControl);
        s.resume(now + secs(1.0));
        assert_eq!(s.next(now + secs(1.0)), Next::Send);
    }

    #[test]
    fn resume_while_backing_off_keeps_the_backoff() {
        let t0 = Instant::now();
        let mut s = schedule(t0, BUDGET);
        s.on_sent(t0);
        s.on_retryable(t0, Some(secs(20.0)));
        s.pause();
        s.resume(t0 + secs(1.0));
        assert_eq!(s.next(t0 + secs(1.0)), Next::WaitUntil(t0 + secs(20.0)));
    }

    #[test]
    fn changing_the_interval_moves_the_next_idle_poll() {
        let t0 = Instant::now();
        let mut s = schedule(t0, BUDGET);
        let now = request(&mut s, t0, secs(0.0), false);
        s.set_interval(secs(30.0));
        assert_eq!(s.next(now), Next::WaitUntil(now + secs(30.0)));
        s.set_interval(secs(1.0));
        assert_eq!(s.next(now), Next::WaitUntil(now + secs(1.0)));
        assert_eq!(s.interval(), secs(1.0));
    }

    #[test]
    fn the_window_counts_requests_in_flight() {
        let t0 = Instant::now();
        let mut s = schedule(t0, 2);
        s.on_sent(t0);
        assert_eq!(s.requests_in_window(t0), 1);
        s.on_success(t0 + secs(10.0), true);
        s.on_sent(t0 + secs(10.0));
        s.on_success(t0 + secs(11.0), true);
        // The window runs from the end of the first request, not its start.
        assert_eq!(s.next(t0 + secs(11.0)), Next::WaitUntil(t0 + secs(70.0)));
    }
}
