//! The simulated world over time: the history before the start, then live activity in real time
//! (steady background, bursts, the incident's live part), and the service user's own fetch entries.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rand::rngs::StdRng;
use rand::{Rng, RngExt, SeedableRng};
use serde_json::json;

use super::log::Log;
use super::render::{Malformation, render};
use super::storyline::{Beat, hostile_beats, incident};
use super::workspace::{Event, Workspace};
use super::{SERVICE_USER, Shared, SimConfig};

/// The most background entries generated for the history, whatever its length: enough to investigate,
/// small enough to start in a blink.
pub const HISTORY_CAP: usize = 30_000;

/// The most background entries per second of history.
const HISTORY_RATE_CAP: f64 = 1.0;

/// The log and everything that writes to it.
pub struct World {
    pub log: Log,
    /// The account the incident is about.
    pub victim: String,
    workspace: Workspace,
    rng: StdRng,
    malformed_rate: f64,
    /// Scripted events still to come, by time from the start.
    pending: VecDeque<Beat>,
}

/// Now, in Unix milliseconds.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// How busy the workspace is at `ms` (UTC), relative to a working hour: a firm on UTC office hours.
fn busyness(ms: u64) -> f64 {
    match (ms / 3_600_000) % 24 {
        8..=18 => 1.0,
        6..=7 | 19..=22 => 0.35,
        _ => 0.08,
    }
}

/// A time in the history, working hours more likely than the night.
fn history_time(start_ms: u64, history_ms: u64, rng: &mut impl Rng) -> u64 {
    loop {
        let at = start_ms - rng.random_range(1..=history_ms.max(1));
        if rng.random::<f64>() < busyness(at) {
            return at;
        }
    }
}

impl World {
    /// A world whose history ends at `start_ms`.
    pub fn new(config: &SimConfig, start_ms: u64) -> World {
        let mut rng = StdRng::seed_from_u64(config.seed);
        let workspace = Workspace::new(&mut rng);
        let history = config.history;
        let mut beats = incident(&workspace, history);
        beats.extend(hostile_beats(&workspace, history));
        beats.sort_by_key(|b| b.at_ms);
        let (past, live): (Vec<Beat>, Vec<Beat>) = beats.into_iter().partition(|b| b.at_ms < 0);

        let history_ms = history.as_millis().min(u128::from(start_ms)) as u64;
        let rate = config.events_per_sec.clamp(0.0, HISTORY_RATE_CAP);
        let count = ((history_ms as f64 / 1000.0) * rate).min(HISTORY_CAP as f64) as usize;
        // Scripted beats are marked by `true` so they are never stored broken.
        let mut timeline: Vec<(u64, Option<Event>)> = (0..count)
            .map(|_| (history_time(start_ms, history_ms, &mut rng), None))
            .collect();
        for beat in past {
            let at = start_ms.saturating_add_signed(beat.at_ms);
            timeline.push((at, Some(beat.event)));
        }
        timeline.sort_by_key(|(at, _)| *at);

        let mut world = World {
            log: Log::default(),
            victim: super::storyline::victim(&workspace).to_owned(),
            workspace,
            rng,
            malformed_rate: config.malformed_rate,
            pending: live.into(),
        };
        for (at, scripted) in timeline {
            match scripted {
                Some(event) => world.append(&event, at, false, false),
                None => world.append_background(at),
            }
        }
        world
    }

    fn append(&mut self, event: &Event, at_ms: u64, self_log: bool, may_break: bool) {
        let id = self.log.ids.next(at_ms, &mut self.rng);
        let damage = (may_break
            && self.malformed_rate > 0.0
            && self.rng.random_bool(self.malformed_rate.min(1.0)))
        .then(|| Malformation::pick(&mut self.rng));
        let stored = render(event, id, self_log, damage, &mut self.rng);
        self.log.push(stored);
    }

    fn append_background(&mut self, at_ms: u64) {
        let event = self.workspace.background(&mut self.rng);
        self.append(&event, at_ms, false, true);
    }

    /// Appends `count` background entries now.
    pub fn emit_background(&mut self, count: usize, at_ms: u64) {
        for _ in 0..count {
            self.append_background(at_ms);
        }
    }

    /// Appends the scripted events due by `elapsed_ms` of active time since the start.
    pub fn emit_due_beats(&mut self, elapsed_ms: i64, at_ms: u64) {
        while self.pending.front().is_some_and(|b| b.at_ms <= elapsed_ms) {
            let beat = self.pending.pop_front().expect("checked");
            self.append(&beat.event, at_ms, false, false);
        }
    }

    /// Appends the `api:audit_log_fetch` entry the API writes for each audit call.
    pub fn append_self_log(&mut self, route: &str, ip: &str, user_agent: &str) {
        let event = Event {
            kind: "api:audit_log_fetch".into(),
            user: SERVICE_USER.into(),
            ip: ip.into(),
            user_agent: user_agent.into(),
            data: json!({"route": route}),
        };
        self.append(&event, now_ms(), true, false);
    }
}

/// Generates live activity until cancelled: background at `events_per_sec`, bursts, the incident's live
/// part. Paused time does not count, so the incident resumes where it stopped.
pub async fn run(shared: Arc<Shared>, cancel: tokio_util::sync::CancellationToken) {
    let config = &shared.config;
    let tick = Duration::from_millis(50);
    let mut ticker = tokio::time::interval(tick);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last = Instant::now();
    let mut active = Duration::ZERO;
    let mut carry = 0.0f64;
    let mut since_burst = Duration::ZERO;
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = ticker.tick() => {}
        }
        let now = Instant::now();
        let step = now - last;
        last = now;
        if shared.paused.load(Ordering::SeqCst) {
            shared.ticks.fetch_add(1, Ordering::Release);
            continue;
        }
        active += step;
        carry += config.events_per_sec.max(0.0) * step.as_secs_f64();
        let mut count = carry.floor();
        carry -= count;
        if let Some(burst) = &config.burst {
            since_burst += step;
            while !burst.every.is_zero() && since_burst >= burst.every {
                since_burst -= burst.every;
                count += f64::from(burst.size);
            }
        }
        // After a long stall (a suspended laptop) do not try to make up for hours at once.
        let count = count.min(100_000.0) as usize;
        let mut world = shared.world.lock().expect("world lock");
        let at = now_ms();
        let story_ms = active.as_secs_f64() * config.story_speed.max(0.0) * 1000.0;
        world.emit_due_beats(story_ms as i64, at);
        world.emit_background(count, at);
        drop(world);
        shared.ticks.fetch_add(1, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::Entry;
    use crate::simulator::log::Class;

    fn config(history_secs: u64, rate: f64) -> SimConfig {
        SimConfig {
            history: Duration::from_secs(history_secs),
            events_per_sec: rate,
            ..SimConfig::default()
        }
    }

    #[test]
    fn history_ends_before_the_start_and_is_in_id_order() {
        let start = 1_764_000_000_000;
        let world = World::new(&config(2 * 3600, 1.0), start);
        assert!(world.log.len() > 7000, "{}", world.log.len());
        let entries: Vec<_> = world.log.iter().collect();
        assert!(entries.windows(2).all(|w| w[0].id < w[1].id));
        for stored in &entries {
            let ms = (stored.id.as_u128() >> 80) as u64;
            assert!(ms < start && ms >= start - 2 * 3600 * 1000);
            assert!(Entry::parse(&stored.json).is_ok());
        }
    }

    #[test]
    fn history_is_capped_and_malformed_entries_appear_at_the_rate_asked() {
        let mut cfg = config(365 * 86400, 1.0);
        cfg.malformed_rate = 0.1;
        let world = World::new(&cfg, 1_764_000_000_000);
        assert!(world.log.len() <= HISTORY_CAP + 100);
        let broken = world
            .log
            .iter()
            .filter(|e| {
                // Damaged entries a client keeps (an unreadable timestamp) count as damaged too.
                matches!(e.class, Class::Malformed { .. })
                    || Entry::parse(&e.json).is_ok_and(|kept| !kept.ts_readable)
            })
            .count();
        let share = broken as f64 / world.log.len() as f64;
        assert!((0.08..0.12).contains(&share), "{share}");
    }

    #[test]
    fn the_history_is_busier_in_office_hours_than_at_night() {
        let world = World::new(&config(86_400, 0.3), 1_764_000_000_000);
        let mut per_hour = [0usize; 24];
        for stored in world.log.iter() {
            per_hour[(((stored.id.as_u128() >> 80) as u64 / 3_600_000) % 24) as usize] += 1;
        }
        let office: usize = per_hour[9..=17].iter().sum::<usize>() / 9;
        let night: usize = per_hour[0..=4].iter().sum::<usize>() / 5;
        assert!(office > 4 * night.max(1), "{per_hour:?}");
    }

    #[test]
    fn live_beats_come_when_due() {
        let mut world = World::new(&config(0, 0.0), 1_764_000_000_000);
        assert_eq!(world.log.len(), 0);
        world.emit_due_beats(500, 1_764_000_000_500);
        assert_eq!(world.log.len(), 0);
        world.emit_due_beats(30_000, 1_764_000_030_000);
        let kinds: Vec<String> = world
            .log
            .iter()
            .map(|e| Entry::parse(&e.json).map(|e| e.kind).unwrap_or_default())
            .collect();
        assert!(kinds.contains(&"auth:login".to_string()), "{kinds:?}");
    }
}
