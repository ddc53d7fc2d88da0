//! A window of entries from the API, read the way `tail` follows the stream: seeded at the window's
//! start, paged forward until past its end (or caught up with the newest entry).

use anyhow::Context;

use super::Gathered;
use crate::client::{Client, ClientOptions};
use crate::config::Connection;
use crate::entry::id_time_millis;
use crate::evidence::Coverage;
use crate::poller::{self, ConnState, PollControl, PollEvent, PollerConfig, Start, session_agent};
use crate::progress::Progress;
use crate::timestamp::UnixNanos;

/// How far past the window's end an entry must be before paging stops: timestamps and ids may disagree
/// a little, and an entry of the window may come after one that is already past it.
const PAST_END_NANOS: i64 = 60_000_000_000;

pub(super) async fn window(
    connection: &Connection,
    since: UnixNanos,
    until: UnixNanos,
    budget: u32,
) -> anyhow::Result<Gathered> {
    let agent = session_agent();
    let client = Client::new(ClientOptions {
        user_agent: Some(agent.clone()),
        ..ClientOptions::from_connection(connection)
    })?;
    let (self_filter, service_user) = poller::identify(&client, agent, &connection.token).await;
    let mut config = PollerConfig::new(Start::Since(since));
    config.budget_per_minute = budget;
    config.self_filter = self_filter;
    let (mut events, control) = poller::spawn(client, config);
    let mut entries = Vec::new();
    let mut rejected = Vec::new();
    let end = until.saturating_add(PAST_END_NANOS);
    let progress = Progress::on_stderr("evidence");
    let outcome: anyhow::Result<()> = async {
        while let Some(event) = events.recv().await {
            match event {
                PollEvent::Entries(batch) => {
                    let past = batch.iter().any(|e| {
                        e.ts >= end && id_time_millis(&e.id).is_some_and(|ms| ms * 1_000_000 >= end)
                    });
                    entries.extend(batch);
                    if let Some(newest) = entries.last() {
                        progress.set(
                            entries.len() as u64,
                            &format!(
                                "entries of the window, at {}",
                                crate::clock::Zone::Utc.format(newest.ts, "%Y-%m-%d %H:%M:%S UTC")
                            ),
                        );
                    }
                    if past {
                        return Ok(());
                    }
                }
                PollEvent::Rejected(batch) => rejected.extend(batch),
                PollEvent::Status(status) => match status.state {
                    ConnState::Live => return Ok(()),
                    ConnState::Failed => anyhow::bail!(
                        "the API refused the fetch: {}",
                        status.last_error.unwrap_or_default()
                    ),
                    _ => {}
                },
                // Only `auditui open`'s loader sends blocks.
                PollEvent::Position(_)
                | PollEvent::Loaded(_)
                | PollEvent::Archive(_)
                | PollEvent::Identified(_) => {}
                PollEvent::Stopped { reason } => anyhow::bail!(
                    "the fetch stopped before the end of the window: {}",
                    reason.map_or_else(|| "no reason given".to_owned(), |r| r.to_string())
                ),
            }
        }
        anyhow::bail!("the poller ended without saying why")
    }
    .await;
    progress.finish();
    let _ = control.send(PollControl::Stop).await;
    outcome.context("cannot read the window from the API")?;
    Ok(Gathered {
        entries,
        rejected,
        coverage: Coverage::Complete,
        host: connection.base_url.clone(),
        region: None,
        service_user,
    })
}
