//! The app loop: the one owner of the state. It waits on the terminal, the poller and a slow tick, turns
//! what arrives into actions, performs the effects `update` returns, and draws when something changed.
//!
//! [`run`] takes the real terminal, clipboard and signals; [`drive`] is the loop itself over any backend,
//! event stream and clipboard, so tests run it headless.

use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crossterm::event::{Event, EventStream, KeyEventKind, MouseButton, MouseEventKind};
use futures::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc::{Receiver, Sender};
use tokio::task::JoinSet;

use crate::app::action::{Action, Effect, Notice, Outcome};
use crate::app::state::State;
use crate::clipboard::{Clipboard, Copier};
use crate::poller::{ConnState, PollControl, PollEvent, StopReason};
use crate::terminal::TerminalGuard;
use crate::ui::screen::render;

/// Poller messages handled before a redraw, so a burst costs one frame, not one per batch.
pub const DRAIN_BEFORE_DRAW: usize = 256;
const MOUSE_WHEEL_ROWS: i32 = 3;
/// Blocks of archive loads waiting for the loop (a load waits for it beyond that).
const LOADS_IN_FLIGHT: usize = 4;

/// The two ends of a running poller: its messages, and its control.
pub type PollerLink = (Receiver<PollEvent>, Sender<PollControl>);

/// Runs the TUI until the user quits or the process is told to stop. The terminal is taken first, so
/// the screen says "connecting" (and `q` quits) while `poller` is still starting, however long that
/// takes. The terminal is restored on every way out (the guard drops; a panic hook covers panics).
pub async fn run(
    state: State,
    poller: impl Future<Output = PollerLink>,
) -> anyhow::Result<Finished> {
    let mut guard = TerminalGuard::enter()?;
    let mut clipboard = Clipboard::open();
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    let shutdown = async move {
        tokio::select! {
            _ = sigterm.recv() => {}
            _ = sighup.recv() => {}
            _ = sigint.recv() => {}
        }
    };
    drive(
        state,
        &mut guard.terminal,
        EventStream::new(),
        &mut clipboard,
        poller,
        shutdown,
    )
    .await
}

/// How a run of the loop ended.
pub struct Finished {
    pub state: State,
    /// Frames drawn, the first one included.
    pub frames: usize,
    /// Why the case's last change could not be saved, if it could not.
    pub unsaved: Option<String>,
    /// Entries on screen when the poller was started (the archive's first rows come before it).
    pub shown_before_poller: Option<usize>,
}

/// The loop over any terminal: draws the state, then handles terminal events, poller messages (once
/// `poller` has started), finished exports and ticks until a quit, the end of the event stream, or
/// `shutdown`. Draws only when an update says the screen changed.
pub async fn drive<B: Backend>(
    mut state: State,
    terminal: &mut Terminal<B>,
    mut terminal_events: impl Stream<Item = io::Result<Event>> + Unpin,
    clipboard: &mut impl Copier,
    poller: impl Future<Output = PollerLink>,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<Finished>
where
    B::Error: Send + Sync + 'static,
{
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let size = terminal.size()?;
    state.copy_limit = clipboard.max_bytes();
    state.update(Action::Resize {
        width: size.width,
        height: size.height,
    });
    terminal.draw(|frame| draw(&state, frame))?;
    let mut frames = 1;
    let mut poller = std::pin::pin!(poller);
    let mut shutdown = std::pin::pin!(shutdown);
    let mut link: Option<PollerLink> = None;
    let mut poller_open = true;
    // Exports and evidence bundles, each ending in the notice that reports it.
    let mut exports: JoinSet<Notice> = JoinSet::new();
    // The case is saved off the loop (an archive may be busy with a sync's write), one save at a time:
    // each holds the whole case, so of those asked for meanwhile only the latest is written.
    let mut case_save: JoinSet<Option<Notice>> = JoinSet::new();
    let mut pending_save: Option<CaseSave> = None;
    // Archive loads send their blocks here; the loop keeps a sender, so this never closes.
    let (loads, mut loaded) = tokio::sync::mpsc::channel::<PollEvent>(LOADS_IN_FLIGHT);
    for effect in state.start() {
        if let Effect::LoadArchive(request) = effect {
            crate::history::load::spawn(request, loads.clone());
        }
    }
    let mut shown_before_poller = None;

    loop {
        // The poller starts once the archive's first rows are drawn, and what it brings is taken once
        // the archive's history of the window is in.
        let may_start = link.is_none() && state.live_may_start();
        if may_start && shown_before_poller.is_none() {
            shown_before_poller = Some(state.store.len());
        }
        let may_flow = state.live_may_flow();
        let mut outcome = tokio::select! {
            event = terminal_events.next() => match event {
                Some(Ok(event)) => terminal_event(&mut state, event),
                Some(Err(err)) => return Err(err.into()),
                None => break,
            },
            started = &mut poller, if may_start => {
                link = Some(started);
                Outcome::none()
            },
            event = recv(&mut link), if link.is_some() && poller_open && may_flow => match event {
                Some(event) => {
                    log_rejected(&event);
                    state.update(Action::Poll(event))
                }
                None => {
                    poller_open = false;
                    // A poller that stops on purpose says so first; one that vanished is reported here.
                    if state.status.state != ConnState::Failed {
                        state.update(Action::Poll(PollEvent::Stopped {
                            reason: Some(StopReason::Vanished),
                        }))
                    } else {
                        Outcome::none()
                    }
                }
            },
            Some(event) = loaded.recv() => state.update(Action::Poll(event)),
            Some(done) = exports.join_next(), if !exports.is_empty() => match done {
                Ok(notice) => state.update(Action::Report(notice)),
                Err(err) => state.update(Action::Report(Notice {
                    text: format!("export failed: {err}"),
                    is_error: true,
                })),
            },
            Some(done) = case_save.join_next(), if !case_save.is_empty() => {
                if let Some(next) = pending_save.take() {
                    case_save.spawn_blocking(move || next.write());
                }
                match done {
                    Ok(None) => Outcome::none(),
                    Ok(Some(notice)) => state.update(Action::Report(notice)),
                    Err(err) => state.update(Action::Report(Notice {
                        text: format!("case not saved: {err}"),
                        is_error: true,
                    })),
                }
            },
            _ = tick.tick() => state.update(Action::Tick(crate::clock::now())),
            () = &mut shutdown => break,
        };
        if let Some((events, _)) = link.as_mut().filter(|_| state.live_may_flow()) {
            for _ in 0..DRAIN_BEFORE_DRAW {
                match events.try_recv() {
                    Ok(event) => {
                        log_rejected(&event);
                        outcome = outcome.and(state.update(Action::Poll(event)));
                    }
                    Err(_) => break,
                }
            }
        }
        let mut quit = false;
        let mut redraw = outcome.redraw;
        for effect in outcome.effects {
            match effect {
                Effect::Quit => quit = true,
                Effect::Copy { text, what } => {
                    let notice = copy_notice(clipboard, &text, &what);
                    tracing::info!("{}", notice.text);
                    redraw |= state.update(Action::Report(notice)).redraw;
                }
                Effect::Export { format, path } => {
                    // Written on a blocking thread from a snapshot, so the screen keeps moving; the
                    // result comes back through `exports`.
                    let job = state.export_job(format, path.clone());
                    let notice = Notice {
                        text: format!("exporting {} to {}…", entries(job.count()), path.display()),
                        is_error: false,
                    };
                    redraw |= state.update(Action::Report(notice)).redraw;
                    exports.spawn_blocking(move || export_notice(&path, job.write()));
                }
                Effect::WriteEvidence { dir } => {
                    let job = state.evidence_job(dir.clone());
                    let notice = Notice {
                        text: format!(
                            "writing the evidence bundle to {}…",
                            crate::sanitize::clean(&dir.display().to_string())
                        ),
                        is_error: false,
                    };
                    redraw |= state.update(Action::Report(notice)).redraw;
                    exports.spawn_blocking(move || job.write());
                }
                Effect::SaveCase { store, kind, case } => {
                    let save = CaseSave { store, kind, case };
                    if case_save.is_empty() {
                        case_save.spawn_blocking(move || save.write());
                    } else {
                        pending_save = Some(save);
                    }
                }
                Effect::Control(message) => {
                    if let Some((_, control)) = &link {
                        let _ = control.try_send(message);
                    }
                }
                Effect::LoadArchive(request) => {
                    crate::history::load::spawn(request, loads.clone());
                }
            }
        }
        if quit {
            break;
        }
        if redraw {
            terminal.draw(|frame| draw(&state, frame))?;
            frames += 1;
        }
    }
    if let Some((_, control)) = &link {
        let _ = control.try_send(PollControl::Stop);
    }
    // The last change of the case is written before the program ends; a failure is told once the
    // terminal is back (the screen is still the TUI's here).
    let mut unsaved = None;
    while let Some(done) = case_save.join_next().await {
        if let Ok(Some(notice)) = done {
            unsaved = Some(notice.text);
        }
    }
    if let Some(last) = pending_save.take() {
        unsaved = tokio::task::spawn_blocking(move || last.write())
            .await?
            .map(|n| n.text);
    }
    Ok(Finished {
        state,
        frames,
        unsaved,
        shown_before_poller,
    })
}

/// One save of the case: the whole of it, replacing what is stored.
struct CaseSave {
    store: PathBuf,
    kind: crate::case::Kind,
    case: crate::case::Case,
}

impl CaseSave {
    /// Writes it; a notice only when it failed.
    fn write(self) -> Option<Notice> {
        let saved = crate::case::CaseStore::open(&self.store, self.kind)
            .and_then(|mut cases| cases.save(&self.case, crate::clock::now()));
        let err = saved.err()?;
        tracing::warn!("case {} not saved: {err}", self.case.name);
        Some(Notice {
            text: format!("case {} not saved: {err}", self.case.name),
            is_error: true,
        })
    }
}

/// The next poller message; only polled while there is a poller.
async fn recv(link: &mut Option<PollerLink>) -> Option<PollEvent> {
    match link {
        Some((events, _)) => events.recv().await,
        None => std::future::pending().await,
    }
}

fn copy_notice(clipboard: &mut impl Copier, text: &str, what: &str) -> Notice {
    match clipboard.copy(text) {
        Ok(method) => Notice {
            text: format!(
                "copied {what} ({} bytes) via {}",
                text.len(),
                method.describe()
            ),
            is_error: false,
        },
        Err(err) => Notice {
            text: format!("not copied: {err}"),
            is_error: true,
        },
    }
}

/// The screen, without its colours when the user asked for none.
fn draw(state: &State, frame: &mut ratatui::Frame<'_>) {
    render(state, frame);
    if !state.colour {
        crate::ui::theme::without_colour(frame.buffer_mut());
    }
}

/// "1 entry", "12 entries".
fn entries(count: usize) -> String {
    format!("{count} {}", if count == 1 { "entry" } else { "entries" })
}

/// The status message for a finished export.
fn export_notice(path: &Path, result: io::Result<(usize, PathBuf)>) -> Notice {
    let notice = match result {
        Ok((count, path)) => Notice {
            text: format!("exported {} to {}", entries(count), path.display()),
            is_error: false,
        },
        Err(err) => Notice {
            text: format!("export failed: {}: {err}", path.display()),
            is_error: true,
        },
    };
    tracing::info!("{}", notice.text);
    notice
}

fn terminal_event(state: &mut State, event: Event) -> Outcome {
    match event {
        Event::Key(key) if key.kind != KeyEventKind::Release => state.handle_key(key),
        Event::Mouse(mouse) => match mouse.kind {
            MouseEventKind::ScrollDown => state.update(Action::Scroll(MOUSE_WHEEL_ROWS)),
            MouseEventKind::ScrollUp => state.update(Action::Scroll(-MOUSE_WHEEL_ROWS)),
            MouseEventKind::Down(MouseButton::Left) => state.update(Action::Click {
                column: mouse.column,
                row: mouse.row,
            }),
            _ => Outcome::none(),
        },
        Event::Resize(width, height) => state.update(Action::Resize { width, height }),
        _ => Outcome::none(),
    }
}

/// The status bar counts malformed entries and points to the log: this is where each one is written.
fn log_rejected(event: &PollEvent) {
    if let PollEvent::Rejected(rejected) = event {
        for r in rejected {
            let id = r.shown_id().unwrap_or_else(|| "no readable id".into());
            tracing::warn!(
                "malformed entry skipped ({}): {}; starts {}",
                crate::sanitize::clean(&id),
                crate::sanitize::clean(&r.reason),
                crate::sanitize::clean(&r.excerpt)
            );
        }
    }
}
