//! The async task: performs what the schedule decides, feeds answers to the stream, and reports.
//!
//! All decisions live in [`Schedule`] and [`Stream`]; this loop only waits, sends requests, and turns
//! their outcomes into [`PollEvent`]s.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use super::schedule::{Next, Phase, Schedule};
use super::source::{AuditSource, Fault, Refusal, SourceError};
use super::stream::{Delivery, Request, Stream};
use super::{ConnState, PollControl, PollEvent, PollStatus, PollerConfig, StopReason};
use crate::entry::{Batch, id_time_millis};
use crate::sanitize::clean_truncated;
use crate::timestamp::UnixNanos;

/// Longest error text passed on (the problems pane shows it whole; this only bounds a hostile answer).
const ERROR_CHARS: usize = 4000;

/// The consumer went away: nothing left to poll for.
struct Gone;

/// Why following ended.
enum End {
    /// Told to stop (or the control channel closed).
    Asked,
    /// A fault only the user can fix.
    Failed(StopReason),
}

pub(super) struct Driver<S> {
    source: S,
    log_type: Option<String>,
    schedule: Schedule,
    stream: Stream,
    events: mpsc::Sender<PollEvent>,
    control: mpsc::Receiver<PollControl>,
    status: PollStatus,
    published: Option<PollStatus>,
    /// Told first, then forgotten.
    service_user: Option<serde_json::Map<String, serde_json::Value>>,
}

impl<S: AuditSource> Driver<S> {
    pub(super) fn new(
        source: S,
        config: PollerConfig,
        events: mpsc::Sender<PollEvent>,
        control: mpsc::Receiver<PollControl>,
    ) -> Driver<S> {
        let now = Instant::now().into_std();
        let status = PollStatus {
            budget_per_minute: config.budget_per_minute,
            ..PollStatus::default()
        };
        Driver {
            source,
            schedule: Schedule::new(
                now,
                config.budget_per_minute,
                config.interval,
                config.backoff,
            )
            .with_window(config.budget_window),
            stream: Stream::new(config.start, config.self_filter, config.show_self)
                .with_page_size(config.page_size),
            log_type: config.log_type,
            events,
            control,
            status,
            published: None,
            service_user: config.service_user,
        }
    }

    pub(super) async fn run(mut self) {
        if let Some(fields) = self.service_user.take()
            && self.send(PollEvent::Identified(fields)).await.is_err()
        {
            return;
        }
        let reason = match self.follow().await {
            Ok(End::Asked) => None,
            Ok(End::Failed(reason)) => Some(reason),
            Err(Gone) => return,
        };
        let _ = self.publish().await;
        let _ = self.events.send(PollEvent::Stopped { reason }).await;
    }

    /// Follows the stream until told to stop or a fault only the user can fix.
    async fn follow(&mut self) -> Result<End, Gone> {
        loop {
            self.publish().await?;
            let now = Instant::now();
            match self.schedule.next(now.into_std()) {
                Next::Send => {
                    if let Some(end) = self.poll_once(now).await? {
                        return Ok(end);
                    }
                }
                Next::WaitUntil(at) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(Instant::from_std(at)) => {}
                        control = self.control.recv() => {
                            if apply(&mut self.schedule, control) {
                                return Ok(End::Asked);
                            }
                        }
                    }
                }
                Next::WaitForControl => {
                    let control = self.control.recv().await;
                    if apply(&mut self.schedule, control) {
                        return Ok(End::Asked);
                    }
                }
            }
        }
    }

    /// One request and its outcome; `Some` when following must end.
    async fn poll_once(&mut self, now: Instant) -> Result<Option<End>, Gone> {
        let request = self.stream.next_request();
        self.schedule.on_sent(now.into_std());
        let answer = {
            let call = fetch(&self.source, request, self.log_type.as_deref());
            tokio::pin!(call);
            loop {
                tokio::select! {
                    answer = &mut call => break answer,
                    control = self.control.recv() => {
                        // Only a stop cuts a request short; pausing takes effect once it answered.
                        if apply(&mut self.schedule, control) {
                            return Ok(Some(End::Asked));
                        }
                    }
                }
            }
        };
        let end = Instant::now().into_std();
        let answer = answer.and_then(|batch| {
            self.stream
                .accept(batch)
                .map_err(|unusable| SourceError::retry(unusable.0))
        });
        match answer {
            Ok(delivery) => {
                self.schedule.on_success(end, delivery.more);
                self.status.last_ok = Some(crate::clock::now());
                self.status.offline = false;
                self.status.retry_at = None;
                self.deliver(delivery).await?;
                Ok(None)
            }
            Err(error) => {
                self.status.last_error = Some(clean_truncated(&error.message, ERROR_CHARS).into());
                match error.fault {
                    Fault::Retry {
                        retry_after,
                        rate_limited,
                        offline,
                    } => {
                        // The log keeps every fault, not only the last the status shows.
                        tracing::warn!(
                            "request failed, will retry: {}",
                            self.status.last_error.as_deref().unwrap_or_default()
                        );
                        let wait = self.schedule.on_retryable(end, retry_after);
                        self.status.offline = offline;
                        self.status.retry_at = Some(
                            crate::clock::now() + wait.as_nanos().min(i64::MAX as u128) as i64,
                        );
                        self.status.retries += 1;
                        self.status.rate_limited += u64::from(rate_limited);
                        Ok(None)
                    }
                    Fault::Fatal(refusal) => {
                        self.schedule.on_fatal(end);
                        self.status.retry_at = None;
                        let text = self.status.last_error.clone().unwrap_or_default();
                        let why = match refusal {
                            Refusal::TokenRejected => "token rejected",
                            Refusal::PermissionMissing => "permission missing",
                            Refusal::Other => "request refused",
                        };
                        // The text is the sanitized, token-scrubbed message the status shows.
                        tracing::error!("polling stopped for good ({why}): {text}");
                        Ok(Some(End::Failed(match refusal {
                            Refusal::TokenRejected => StopReason::TokenRejected(text),
                            Refusal::PermissionMissing => StopReason::PermissionMissing(text),
                            Refusal::Other => StopReason::Refused(text),
                        })))
                    }
                }
            }
        }
    }

    async fn deliver(&mut self, delivery: Delivery) -> Result<(), Gone> {
        let Delivery {
            entries,
            rejected,
            self_hidden,
            position,
            more,
        } = delivery;
        self.status.received += entries.len() as u64;
        self.status.rejected += rejected.len() as u64;
        self.status.self_hidden += self_hidden;
        self.status.lag = if more {
            self.stream
                .cursor()
                .and_then(|c| id_time_millis(&c))
                .map(|millis| behind(crate::clock::now(), millis))
        } else {
            Some(Duration::ZERO)
        };
        // Rejections first: once an entry is shown, every malformed one before it has been reported.
        if !rejected.is_empty() {
            self.send(PollEvent::Rejected(rejected)).await?;
        }
        if !entries.is_empty() {
            self.send(PollEvent::Entries(entries)).await?;
        }
        if let Some(position) = position {
            self.send(PollEvent::Position(position)).await?;
        }
        Ok(())
    }

    /// Sends the status if it changed since last sent.
    async fn publish(&mut self) -> Result<(), Gone> {
        let now = Instant::now().into_std();
        self.status.state = match (self.schedule.is_paused(), self.schedule.phase()) {
            (_, Phase::Failed) => ConnState::Failed,
            (true, _) => ConnState::Paused,
            (false, Phase::Connecting) => ConnState::Connecting,
            (false, Phase::Draining) => ConnState::CatchingUp,
            (false, Phase::Idle) => ConnState::Live,
            (false, Phase::Retrying { attempt }) => ConnState::Retrying { attempt },
        };
        self.status.requests_last_minute = self.schedule.requests_in_window(now);
        if self.published.as_ref() == Some(&self.status) {
            return Ok(());
        }
        self.published = Some(self.status.clone());
        self.send(PollEvent::Status(self.status.clone())).await
    }

    async fn send(&mut self, event: PollEvent) -> Result<(), Gone> {
        self.events.send(event).await.map_err(|_| Gone)
    }
}

/// Applies a control message; true when the poller must stop. A closed control channel means stop.
fn apply(schedule: &mut Schedule, control: Option<PollControl>) -> bool {
    let now = Instant::now().into_std();
    match control {
        None | Some(PollControl::Stop) => return true,
        Some(PollControl::Pause) => schedule.pause(),
        Some(PollControl::Resume) => schedule.resume(now),
        Some(PollControl::SetInterval(interval)) => schedule.set_interval(interval),
        Some(PollControl::Fetch { .. }) => {}
    }
    false
}

async fn fetch<S: AuditSource>(
    source: &S,
    request: Request,
    log_type: Option<&str>,
) -> Result<Batch, SourceError> {
    match request {
        Request::Latest => source.latest(log_type).await,
        Request::Earliest => source.earliest(log_type).await,
        Request::Search { epoch_secs } => source.search(epoch_secs, log_type).await,
        Request::Page { from, take } => source.page(from, take, log_type).await,
    }
}

fn behind(now: UnixNanos, millis: i64) -> Duration {
    let millis_now = now.div_euclid(1_000_000);
    Duration::from_millis(millis_now.saturating_sub(millis).max(0) as u64)
}
