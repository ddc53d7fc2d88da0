//! What `tail` writes where: entries to stdout in chunks, each followed by the saved position (kept in
//! step with what was written), and status lines and rejected entries to stderr, sanitized.

use std::io::{self, Write};
use std::path::PathBuf;
use std::time::Duration;

use uuid::Uuid;

use crate::cli::{TailArgs, TailFormat};
use crate::entry::{Entry, Rejected};
use crate::formats;
use crate::poller::state_file::{self, SavedPosition};
use crate::poller::{ConnState, PollEvent, PollStatus};
use crate::query::{Matcher, Query};
use crate::sanitize::clean_truncated;

/// Most output handed to stdout at once (unless one line is longer), the position saved right after
/// it: the saved position never runs ahead of what was written, and what a kill -9 can make the next
/// run repeat is at most one chunk.
const CHUNK_BYTES: usize = 64 * 1024;

/// Whether to go on after an event.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Flow {
    Continue,
    /// `--max` reached.
    Done,
    /// The poller stopped; `Some` holds why, when it was a failure.
    Stopped(Option<String>),
}

/// Writes what the poller delivers and keeps the state file in step with what was written.
pub(super) struct Output<'q, W: Write> {
    out: W,
    /// `--filter`: entries it rejects are passed over (and the position still moves past them).
    filter: Option<Matcher<'q>>,
    format: TailFormat,
    max: Option<u64>,
    state: Option<PathBuf>,
    log_type: Option<String>,
    /// Saved with the position, so that the run resuming it knows this one's fetches.
    agent: String,
    /// The sessions before this one, newest first: saved along, so later runs hide their fetches too.
    earlier_agents: Vec<String>,
    written: u64,
    /// The position last saved: a batch whose last entry was written needs no second save.
    saved: Option<Uuid>,
    last: Option<PollStatus>,
}

impl<'q, W: Write> Output<'q, W> {
    pub(super) fn new(
        out: W,
        args: &TailArgs,
        resumed: bool,
        filter: Option<&'q Query>,
        agent: String,
    ) -> io::Result<Output<'q, W>> {
        let mut output = Output {
            out,
            filter: filter.map(Matcher::new),
            format: args.format,
            max: args.max,
            state: args.state.clone(),
            log_type: args.watch.log_type.clone(),
            agent,
            earlier_agents: Vec::new(),
            written: 0,
            saved: None,
            last: None,
        };
        // A resumed run appends to what the last one wrote: one header only.
        if output.format.has_header() && !resumed {
            formats::write_header(&mut output.out, output.format)?;
            output.out.flush()?;
        }
        Ok(output)
    }

    /// Takes one event; `err` receives the status lines.
    pub(super) fn take(&mut self, event: PollEvent, err: &mut impl Write) -> anyhow::Result<Flow> {
        match event {
            PollEvent::Entries(entries) => return self.write_entries(&entries),
            PollEvent::Rejected(rejected) => report_rejected(&rejected, err),
            // Only `auditui open`'s loader sends blocks; tail's poller is not told who it is.
            PollEvent::Loaded(_) | PollEvent::Archive(_) | PollEvent::Identified(_) => {}
            PollEvent::Position(id) => self.save(id)?,
            PollEvent::Status(status) => {
                if let Some(line) = status_line(self.last.as_ref(), &status) {
                    let _ = writeln!(err, "auditui: {line}");
                }
                self.last = Some(status);
            }
            PollEvent::Stopped { reason } => {
                return Ok(Flow::Stopped(reason.map(|r| r.to_string())));
            }
        }
        Ok(Flow::Continue)
    }

    fn write_entries(&mut self, entries: &[Entry]) -> anyhow::Result<Flow> {
        let mut chunk = Vec::with_capacity(CHUNK_BYTES);
        let mut line = Vec::new();
        let mut last = None;
        let mut flow = Flow::Continue;
        for entry in entries {
            if self.max_reached() {
                flow = Flow::Done;
                break;
            }
            if let Some(filter) = &mut self.filter
                && !filter.matches(&entry.row())
            {
                last = Some(entry.id);
                continue;
            }
            line.clear();
            formats::write_entry(&mut line, self.format, &entry.row(), entry.raw.get())?;
            if chunk.len() + line.len() > CHUNK_BYTES {
                self.commit(&mut chunk, last)?;
            }
            chunk.extend_from_slice(&line);
            last = Some(entry.id);
            self.written += 1;
        }
        if self.max_reached() {
            flow = Flow::Done;
        }
        // Saved now, not only at the batch's position: a stop before that must not repeat these.
        self.commit(&mut chunk, last)?;
        Ok(flow)
    }

    fn max_reached(&self) -> bool {
        self.max.is_some_and(|max| self.written >= max)
    }

    /// Writes and flushes `chunk`, then saves `last` (the last entry it holds or passed over).
    fn commit(&mut self, chunk: &mut Vec<u8>, last: Option<Uuid>) -> anyhow::Result<()> {
        self.out.write_all(chunk)?;
        self.out.flush()?;
        chunk.clear();
        if let Some(id) = last {
            self.save(id)?;
        }
        Ok(())
    }

    /// Remembers the sessions before this one in the state file (at most [`state_file::AGENTS_KEPT`]).
    pub(super) fn remembering(mut self, mut earlier: Vec<String>) -> Self {
        earlier.truncate(state_file::AGENTS_KEPT - 1);
        self.earlier_agents = earlier;
        self
    }

    fn save(&mut self, cursor: Uuid) -> anyhow::Result<()> {
        if self.saved == Some(cursor) {
            return Ok(());
        }
        if let Some(path) = &self.state {
            let position = SavedPosition {
                cursor,
                log_type: self.log_type.clone(),
                agent: Some(self.agent.clone()),
                earlier_agents: self.earlier_agents.clone(),
            };
            state_file::save(path, &position)?;
        }
        self.saved = Some(cursor);
        Ok(())
    }

    pub(super) fn summary(&self) -> String {
        let status = self.last.clone().unwrap_or_default();
        format!(
            "wrote {} entries ({} rejected, {} own fetches hidden, {} retries, {} rate-limited)",
            self.written, status.rejected, status.self_hidden, status.retries, status.rate_limited
        )
    }
}

fn report_rejected(rejected: &[Rejected], err: &mut impl Write) {
    for r in rejected {
        let id =
            r.id.map_or_else(|| "without a readable id".into(), |id| id.to_string());
        let _ = writeln!(
            err,
            "auditui: rejected entry {id}: {}: {}",
            clean_truncated(&r.reason, 120),
            clean_truncated(&r.excerpt, 80)
        );
    }
}

/// The stderr line for a status, when it says something new: a change of state, or a new error.
fn status_line(previous: Option<&PollStatus>, status: &PollStatus) -> Option<String> {
    if previous.is_some_and(|p| p.state == status.state) {
        return None;
    }
    let error = status.last_error.as_deref().unwrap_or("unknown error");
    Some(match &status.state {
        ConnState::Connecting | ConnState::Failed => return None,
        ConnState::Live => format!(
            "live: caught up ({} received, {} rejected, {} own fetches hidden, {}/{} requests in the last minute)",
            status.received,
            status.rejected,
            status.self_hidden,
            status.requests_last_minute,
            status.budget_per_minute
        ),
        ConnState::CatchingUp => match status.lag {
            Some(lag) => format!("catching up: {} behind", human_duration(lag)),
            None => "catching up".into(),
        },
        ConnState::Retrying { attempt } => {
            let offline = if status.offline { "offline, " } else { "" };
            format!("{offline}retrying (attempt {attempt}) after: {error}")
        }
        ConnState::Paused => "paused".into(),
    })
}

fn human_duration(d: Duration) -> String {
    let secs = d.as_secs();
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m{:02}s", secs / 60, secs % 60),
        _ => format!("{}h{:02}m", secs / 3600, (secs % 3600) / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rejected_entry_that_echoes_the_token_is_reported_without_it() {
        let token = "hv_tail_TOKEN_0123456789";
        crate::sanitize::register_secret(token);
        let rejected = [Rejected {
            id: None,
            reason: format!("field `user` should be a string ({token})"),
            excerpt: format!(r#"{{"id": "x", "auth": "{token}"}}"#),
        }];
        let mut err = Vec::new();
        report_rejected(&rejected, &mut err);
        let text = String::from_utf8(err).unwrap();
        assert!(!text.contains(token), "{text}");
        assert_eq!(text.matches("<token>").count(), 2, "{text}");
    }
    use crate::commands::tail::tests::tail_args;
    use crate::commands::tail::{Plan, plan};

    fn entry(n: u128) -> Entry {
        Entry::parse(&format!(
            r#"{{"id":"{}","timestamp":"2025-02-11T16:08:44","type":"auth:login","user":"a@b.c"}}"#,
            Uuid::from_u128(n)
        ))
        .unwrap()
    }

    fn output_for<'q>(args: &TailArgs, p: &'q Plan) -> io::Result<Output<'q, Vec<u8>>> {
        Output::new(
            Vec::new(),
            args,
            p.resumed,
            p.filter.as_ref(),
            p.agent.clone(),
        )
    }

    #[test]
    fn the_state_file_remembers_the_agents_of_every_earlier_session() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("tail.state");
        let args = tail_args(&["--state", state.to_str().unwrap()]);
        let mut agents = Vec::new();
        for run in 0..3u128 {
            let p = plan(&args).unwrap();
            assert_eq!(
                p.earlier_agents, agents,
                "run {run} knows every earlier session"
            );
            let mut output = output_for(&args, &p)
                .unwrap()
                .remembering(p.earlier_agents.clone());
            output
                .take(PollEvent::Entries(vec![entry(run + 1)]), &mut Vec::new())
                .unwrap();
            agents.insert(0, p.agent.clone());
        }
        assert_eq!(state_file::load(&state).unwrap().unwrap().agents(), agents);
        assert_eq!(agents.len(), 3);
    }

    fn lines(out: &[u8]) -> Vec<String> {
        String::from_utf8(out.to_vec())
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn entries_are_written_as_received_and_the_position_saved_after_each_batch() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("tail.state");
        let args = tail_args(&["--state", state.to_str().unwrap()]);
        let p = plan(&args).unwrap();
        let mut output = output_for(&args, &p).unwrap();
        let mut err = Vec::new();
        let batch = vec![entry(1), entry(2)];
        let flow = output
            .take(PollEvent::Entries(batch.clone()), &mut err)
            .unwrap();
        assert_eq!(flow, Flow::Continue);
        assert_eq!(
            lines(&output.out),
            batch
                .iter()
                .map(|e| e.raw.get().to_owned())
                .collect::<Vec<_>>()
        );
        let saved = || state_file::load(&state).unwrap().unwrap().cursor;
        assert_eq!(saved(), Uuid::from_u128(2));
        let agent = state_file::load(&state).unwrap().unwrap().agent;
        assert_eq!(
            agent,
            Some(p.agent.clone()),
            "the next run will know this one's fetches"
        );
        output
            .take(PollEvent::Position(Uuid::from_u128(5)), &mut err)
            .unwrap();
        assert_eq!(saved(), Uuid::from_u128(5), "hidden entries move it too");
    }

    /// An output that notes, at each write, the position the state file held then.
    struct Watched {
        state: PathBuf,
        out: Vec<u8>,
        /// The id of the last line written before each write, the position saved then, the size.
        writes: Vec<(Option<Uuid>, Option<Uuid>, usize)>,
    }

    impl Write for Watched {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let written = lines(&self.out).last().map(|line| {
                let value: serde_json::Value = serde_json::from_str(line).unwrap();
                Uuid::parse_str(value["id"].as_str().unwrap()).unwrap()
            });
            let saved = state_file::load(&self.state).unwrap().map(|p| p.cursor);
            self.writes.push((written, saved, buf.len()));
            self.out.extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_large_batch_goes_out_in_chunks_each_followed_by_its_saved_position() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("tail.state");
        let args = tail_args(&["--state", state.to_str().unwrap()]);
        let p = plan(&args).unwrap();
        let watched = Watched {
            state: state.clone(),
            out: Vec::new(),
            writes: Vec::new(),
        };
        let mut output = Output::new(watched, &args, false, None, p.agent.clone()).unwrap();
        let batch: Vec<Entry> = (1..=2000).map(entry).collect();
        let line_bytes = batch[0].raw.get().len() + 1;
        assert!(
            batch.len() * line_bytes > 2 * CHUNK_BYTES,
            "the batch spans chunks"
        );
        output
            .take(PollEvent::Entries(batch.clone()), &mut Vec::new())
            .unwrap();
        let Watched { out, writes, .. } = output.out;
        assert_eq!(lines(&out).len(), batch.len());
        assert!(writes.len() >= 3, "{} writes", writes.len());
        for (written, saved, size) in &writes {
            // Never ahead of the output, and caught up with it before each new chunk.
            assert_eq!(saved, written);
            assert!(*size <= CHUNK_BYTES, "a write of {size} bytes");
        }
        let saved = state_file::load(&state).unwrap().unwrap().cursor;
        assert_eq!(saved, Uuid::from_u128(2000));
    }

    #[test]
    fn max_stops_mid_batch_and_saves_the_last_entry_written() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("tail.state");
        let args = tail_args(&["--max", "3", "--state", state.to_str().unwrap()]);
        let p = plan(&args).unwrap();
        let mut output = output_for(&args, &p).unwrap();
        let mut err = Vec::new();
        let first = output
            .take(PollEvent::Entries(vec![entry(1), entry(2)]), &mut err)
            .unwrap();
        assert_eq!(first, Flow::Continue);
        let second = output
            .take(
                PollEvent::Entries(vec![entry(3), entry(4), entry(5)]),
                &mut err,
            )
            .unwrap();
        assert_eq!(second, Flow::Done);
        assert_eq!(lines(&output.out).len(), 3);
        let saved = state_file::load(&state).unwrap().unwrap();
        assert_eq!(saved.cursor, Uuid::from_u128(3));
    }

    #[test]
    fn the_filter_narrows_the_output_and_the_position_moves_past_what_it_drops() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("tail.state");
        let args = tail_args(&["--state", state.to_str().unwrap(), "--filter", "user:bob"]);
        let p = plan(&args).unwrap();
        let mut output = output_for(&args, &p).unwrap();
        let by = |n: u128, user: &str| {
            Entry::parse(&format!(
                r#"{{"id":"{}","timestamp":"2025-02-11T16:08:44","type":"auth:login","user":"{user}"}}"#,
                Uuid::from_u128(n)
            ))
            .unwrap()
        };
        let batch = vec![by(1, "alice@x.y"), by(2, "bob@x.y"), by(3, "carol@x.y")];
        output
            .take(PollEvent::Entries(batch), &mut Vec::new())
            .unwrap();
        assert_eq!(lines(&output.out).len(), 1);
        assert!(lines(&output.out)[0].contains("bob@x.y"));
        let saved = state_file::load(&state).unwrap().unwrap();
        assert_eq!(saved.cursor, Uuid::from_u128(3));
    }

    #[test]
    fn csv_has_one_header_unless_resuming() {
        let args = tail_args(&["--format", "csv"]);
        let p = plan(&args).unwrap();
        let mut fresh = output_for(&args, &p).unwrap();
        fresh
            .take(PollEvent::Entries(vec![entry(1)]), &mut Vec::new())
            .unwrap();
        let fresh = lines(&fresh.out);
        assert_eq!(fresh[0], crate::export::CSV_HEADER);
        assert_eq!(fresh.len(), 2);
        let p = Plan {
            resumed: true,
            ..plan(&args).unwrap()
        };
        let resumed = output_for(&args, &p).unwrap();
        assert!(resumed.out.is_empty());
    }

    #[test]
    fn rejected_entries_and_state_changes_reach_stderr_sanitized() {
        let args = tail_args(&[]);
        let p = plan(&args).unwrap();
        let mut output = output_for(&args, &p).unwrap();
        let mut err = Vec::new();
        let rejected = Rejected {
            id: Some(Uuid::from_u128(9)),
            reason: "bad timestamp \u{1b}[2J".into(),
            excerpt: "{\"id\": \u{202e}".into(),
        };
        output
            .take(PollEvent::Rejected(vec![rejected]), &mut err)
            .unwrap();
        let retrying = PollStatus {
            state: ConnState::Retrying { attempt: 2 },
            last_error: Some("server answered 500: oops".into()),
            ..PollStatus::default()
        };
        output
            .take(PollEvent::Status(retrying.clone()), &mut err)
            .unwrap();
        output.take(PollEvent::Status(retrying), &mut err).unwrap();
        let text = String::from_utf8(err).unwrap();
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{202e}'),
            "{text}"
        );
        assert!(text.contains("rejected entry 00000000-0000-0000-0000-000000000009"));
        assert_eq!(
            text.matches("retrying (attempt 2) after: server answered 500")
                .count(),
            1,
            "an unchanged status is not repeated: {text}"
        );
        assert!(output.out.is_empty(), "nothing but entries on stdout");
    }

    #[test]
    fn a_network_fault_reads_as_offline_on_stderr() {
        let args = tail_args(&[]);
        let p = plan(&args).unwrap();
        let mut output = output_for(&args, &p).unwrap();
        let mut err = Vec::new();
        let offline = PollStatus {
            state: ConnState::Retrying { attempt: 1 },
            offline: true,
            last_error: Some("network error: connection refused".into()),
            ..PollStatus::default()
        };
        output.take(PollEvent::Status(offline), &mut err).unwrap();
        let text = String::from_utf8(err).unwrap();
        assert!(
            text.contains("offline, retrying (attempt 1) after: network error: connection refused"),
            "{text}"
        );
    }

    #[test]
    fn a_failed_poller_stops_with_its_reason() {
        let args = tail_args(&[]);
        let p = plan(&args).unwrap();
        let mut output = output_for(&args, &p).unwrap();
        let flow = output
            .take(
                PollEvent::Stopped {
                    reason: Some(crate::poller::StopReason::TokenRejected(
                        "token rejected (401)".into(),
                    )),
                },
                &mut Vec::new(),
            )
            .unwrap();
        assert_eq!(flow, Flow::Stopped(Some("token rejected (401)".into())));
    }

    #[test]
    fn durations_read_like_people_write_them() {
        let cases = [(5, "5s"), (75, "1m15s"), (7300, "2h01m")];
        for (secs, text) in cases {
            assert_eq!(human_duration(Duration::from_secs(secs)), text);
        }
    }
}
