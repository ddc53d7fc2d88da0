//! A simulator of the Harvey Audit Log API: a real HTTP server on loopback with a living workspace behind
//! it, for `auditui demo`, `auditui simulate` and the tests.
//!
//! It answers as API.md says (ids strictly after `from`, ascending; `{"log": entry}` seeds; 400/401/403/
//! 404/429/500 as JSON), logs each audit call as the API does, and can misbehave on purpose: rate limit,
//! server errors, slow answers, malformed entries and broken bodies.

mod activity;
mod limiter;
mod log;
mod render;
mod server;
pub mod storyline;
mod workspace;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::SeedableRng;
use rand::rngs::StdRng;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use self::activity::World;
use self::limiter::Limiter;
use self::log::Class;
use crate::cli::SimKnobs;

/// The service user behind the accepted token: the author of the self-logged fetch entries.
pub const SERVICE_USER: &str = "audit-bot@hartwell-lane.example";

/// The token the simulator accepts unless told otherwise (not a secret: it guards nothing).
pub const DEMO_TOKEN: &str = "demo-token";

/// `size` entries at once, every `every`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Burst {
    pub size: u32,
    pub every: Duration,
}

/// Which shape `/latest` answers in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LatestShape {
    /// `{"log": entry}`, as the current API does.
    #[default]
    Envelope,
    /// A bare array of up to 100 recent entries, newest first, as the older guide describes.
    BareArray,
}

/// How badly the server answers, changeable while it runs ([`SimHandle::set_faults`]).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Faults {
    /// Fraction of audit requests answered 500.
    pub error_rate: f64,
    /// Fraction of audit requests answered after the configured `slow_delay`.
    pub slow_rate: f64,
    /// Fraction of 200 answers whose body is cut in half.
    pub broken_body_rate: f64,
}

/// What the simulated workspace does and how its server behaves.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Seed for the workspace, its activity and the injected faults.
    pub seed: u64,
    /// Steady background activity.
    pub events_per_sec: f64,
    pub burst: Option<Burst>,
    /// Audit requests admitted per window (0: no limit); over it, 429 with `Retry-After`.
    pub rate_limit_per_min: u32,
    /// The rate-limit window: a minute, as the API has it; tests shorten it.
    pub rate_window: Duration,
    /// Fraction of audit requests answered 500.
    pub error_rate: f64,
    /// Fraction of audit requests answered after `slow_delay`.
    pub slow_rate: f64,
    pub slow_delay: Duration,
    /// Fraction of entries stored malformed, and of 200 answers whose body is cut in half.
    pub malformed_rate: f64,
    /// How far back the history goes (background history is at most one entry a second, capped).
    pub history: Duration,
    /// The bearer token of the service user with audit-log permission.
    pub accept_token: String,
    /// A token that is valid (whoami answers) but lacks audit-log permission: audit calls get 403.
    pub limited_token: Option<String>,
    pub latest_shape: LatestShape,
    /// How fast the storyline's live part plays (its first live event comes 20 s in at 1.0); tests that
    /// wait for it play it faster.
    pub story_speed: f64,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            seed: 7,
            events_per_sec: 2.0,
            burst: None,
            rate_limit_per_min: 60,
            rate_window: Duration::from_secs(60),
            error_rate: 0.0,
            slow_rate: 0.0,
            slow_delay: Duration::from_secs(3),
            malformed_rate: 0.0,
            history: Duration::from_secs(24 * 3600),
            accept_token: DEMO_TOKEN.into(),
            limited_token: None,
            latest_shape: LatestShape::Envelope,
            story_speed: 1.0,
        }
    }
}

impl SimConfig {
    /// The configuration the command-line knobs describe.
    pub fn from_knobs(
        knobs: &SimKnobs,
        accept_token: impl Into<String>,
    ) -> Result<SimConfig, String> {
        let fraction = |name: &str, value: f64| {
            if (0.0..=1.0).contains(&value) {
                Ok(value)
            } else {
                Err(format!(
                    "--{name} must be a fraction between 0 and 1, not {value}"
                ))
            }
        };
        if !(knobs.events_per_sec.is_finite() && knobs.events_per_sec >= 0.0) {
            return Err(format!(
                "--events-per-sec must be 0 or more, not {}",
                knobs.events_per_sec
            ));
        }
        if !(knobs.history_hours.is_finite() && (0.0..=24.0 * 366.0).contains(&knobs.history_hours))
        {
            return Err(format!(
                "--history-hours must be between 0 and a year, not {}",
                knobs.history_hours
            ));
        }
        let accept_token = accept_token.into();
        if accept_token.trim().is_empty() {
            return Err("--accept-token must not be empty".into());
        }
        Ok(SimConfig {
            seed: knobs.seed,
            events_per_sec: knobs.events_per_sec,
            burst: knobs.burst.as_deref().map(parse_burst).transpose()?,
            rate_limit_per_min: knobs.rate_limit,
            error_rate: fraction("error-rate", knobs.error_rate)?,
            slow_rate: fraction("slow-rate", knobs.slow_rate)?,
            malformed_rate: fraction("malformed-rate", knobs.malformed_rate)?,
            history: Duration::from_secs_f64(knobs.history_hours * 3600.0),
            accept_token,
            ..SimConfig::default()
        })
    }
}

/// Parses `N/S`: N entries every S seconds.
pub fn parse_burst(text: &str) -> Result<Burst, String> {
    let bad =
        || format!("--burst expects N/S (N entries every S seconds, e.g. 5000/30), not {text:?}");
    let (size, every) = text.split_once('/').ok_or_else(bad)?;
    let size: u32 = size.trim().parse().map_err(|_| bad())?;
    let every: f64 = every.trim().parse().map_err(|_| bad())?;
    if size == 0 || !(every.is_finite() && every > 0.0) {
        return Err(bad());
    }
    Ok(Burst {
        size,
        every: Duration::from_secs_f64(every),
    })
}

/// One request the server answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    /// When it arrived.
    pub at: Instant,
    /// Path and query.
    pub path: String,
    pub status: u16,
}

/// What the server and the activity task share.
struct Shared {
    config: SimConfig,
    world: Mutex<World>,
    limiter: Mutex<Limiter>,
    faults: Mutex<(Faults, StdRng)>,
    requests: Mutex<Vec<RequestRecord>>,
    paused: AtomicBool,
    /// Rounds of the activity task, paused or not: lets tests wait until a pause has been seen.
    ticks: AtomicU64,
}

/// A running simulator. Dropping it stops it.
pub struct SimHandle {
    addr: SocketAddr,
    shared: Arc<Shared>,
    cancel: CancellationToken,
    server: Option<JoinHandle<()>>,
}

/// The entries the simulator's history holds when it starts at `start_ms` (Unix milliseconds), as the
/// JSON objects it serves, oldest first: the demo's data without a server, for tests and benchmarks.
pub fn history_lines(config: &SimConfig, start_ms: u64) -> Vec<String> {
    World::new(config, start_ms)
        .log
        .iter()
        .map(|stored| stored.json.to_string())
        .collect()
}

/// Starts a simulator on `addr` (port 0: any free port): history first, then serving and live activity.
pub async fn start(config: SimConfig, addr: SocketAddr) -> std::io::Result<SimHandle> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let world_config = config.clone();
    let world = tokio::task::spawn_blocking(move || World::new(&world_config, activity::now_ms()))
        .await
        .map_err(std::io::Error::other)?;
    let shared = Arc::new(Shared {
        limiter: Mutex::new(Limiter::new(config.rate_limit_per_min, config.rate_window)),
        faults: Mutex::new((
            Faults {
                error_rate: config.error_rate,
                slow_rate: config.slow_rate,
                broken_body_rate: config.malformed_rate,
            },
            StdRng::seed_from_u64(config.seed.wrapping_add(1)),
        )),
        world: Mutex::new(world),
        requests: Mutex::new(Vec::new()),
        paused: AtomicBool::new(false),
        ticks: AtomicU64::new(0),
        config,
    });
    let cancel = CancellationToken::new();
    tokio::spawn(activity::run(shared.clone(), cancel.clone()));
    let app = server::router(shared.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let stop = cancel.clone();
    let server = tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(stop.cancelled_owned())
            .await;
        if let Err(err) = served {
            tracing::error!("simulator stopped: {err}");
        }
    });
    tracing::info!("simulator listening on {addr}");
    Ok(SimHandle {
        addr,
        shared,
        cancel,
        server: Some(server),
    })
}

impl SimHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &SimConfig {
        &self.shared.config
    }

    /// One line saying what to look for: the incident's account and the address it is worked from.
    pub fn storyline_hint(&self) -> String {
        let victim = self.shared.world.lock().expect("world").victim.clone();
        format!(
            "something is going on: look at {victim} and the address {} (auth:failed, admin:add_users, \
             vault downloads); more unfolds live over the first four minutes",
            storyline::INTRUDER_IP
        )
    }

    /// Changes how the server misbehaves from the next request on (stored entries stay as they are):
    /// for tests of an outage and its recovery.
    pub fn set_faults(&self, faults: Faults) {
        self.shared.faults.lock().expect("faults").0 = faults;
    }

    /// How the server misbehaves now.
    pub fn faults(&self) -> Faults {
        self.shared.faults.lock().expect("faults").0
    }

    /// Ids of every well-formed activity entry so far (not the self-logged fetches), ascending.
    pub fn ground_truth(&self) -> Vec<Uuid> {
        self.ids_of(|class| class == Class::Activity)
    }

    /// Ids of the entries stored malformed on purpose that a client can still read the id of.
    pub fn malformed_ids(&self) -> Vec<Uuid> {
        self.ids_of(|class| class == Class::Malformed { readable_id: true })
    }

    /// Ids of the self-logged `api:audit_log_fetch` entries, ascending.
    pub fn self_log_ids(&self) -> Vec<Uuid> {
        self.ids_of(|class| class == Class::SelfLog)
    }

    fn ids_of(&self, keep: impl Fn(Class) -> bool) -> Vec<Uuid> {
        let world = self.shared.world.lock().expect("world");
        world
            .log
            .iter()
            .filter(|e| keep(e.class))
            .map(|e| e.id)
            .collect()
    }

    /// How many entries are stored, of every kind.
    pub fn len(&self) -> usize {
        self.shared.world.lock().expect("world").log.len()
    }

    pub fn is_empty(&self) -> bool {
        self.shared.world.lock().expect("world").log.is_empty()
    }

    /// Stops generating activity (self-logging goes on).
    pub fn pause_activity(&self) {
        self.shared.paused.store(true, Ordering::SeqCst);
    }

    pub fn resume_activity(&self) {
        self.shared.paused.store(false, Ordering::SeqCst);
    }

    /// How many rounds the activity task has run (it runs every 50 ms). A test that paused activity
    /// waits for this to move before checking that nothing more is generated.
    pub fn activity_ticks(&self) -> u64 {
        self.shared.ticks.load(Ordering::Acquire)
    }

    /// Appends `count` background entries at once, paused or not: for tests that need new entries now.
    pub fn emit(&self, count: usize) {
        let mut world = self.shared.world.lock().expect("world");
        world.emit_background(count, activity::now_ms());
    }

    /// Every request served so far, in the order answered.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared.requests.lock().expect("requests").clone()
    }

    /// Stops serving and generating; waits for answers in flight.
    pub async fn shutdown(mut self) {
        self.cancel.cancel();
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_are_written_n_over_s() {
        assert_eq!(
            parse_burst("5000/30"),
            Ok(Burst {
                size: 5000,
                every: Duration::from_secs(30)
            })
        );
        assert_eq!(
            parse_burst("10/0.5").unwrap().every,
            Duration::from_millis(500)
        );
        for bad in ["", "5000", "0/30", "5/0", "x/3", "5/-1", "5/inf"] {
            assert!(parse_burst(bad).unwrap_err().contains("N/S"), "{bad:?}");
        }
    }

    #[test]
    fn knobs_are_checked() {
        let knobs = || SimKnobs {
            seed: 1,
            events_per_sec: 2.0,
            burst: Some("100/10".into()),
            rate_limit: 60,
            error_rate: 0.1,
            slow_rate: 0.0,
            malformed_rate: 0.0,
            history_hours: 2.0,
        };
        let config = SimConfig::from_knobs(&knobs(), "t").unwrap();
        assert_eq!(config.history, Duration::from_secs(7200));
        assert_eq!(config.burst.unwrap().size, 100);
        assert_eq!(config.error_rate, 0.1);
        let mut bad = knobs();
        bad.error_rate = 1.5;
        assert!(
            SimConfig::from_knobs(&bad, "t")
                .unwrap_err()
                .contains("--error-rate")
        );
        let mut bad = knobs();
        bad.events_per_sec = -1.0;
        assert!(SimConfig::from_knobs(&bad, "t").is_err());
        assert!(SimConfig::from_knobs(&knobs(), " ").is_err());
    }
}
