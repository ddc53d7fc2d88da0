//! The app loop: the one owner of the state. It waits on the terminal, the poller and a slow tick, turns
//! what arrives into actions, performs the effects `update` returns, and draws when something changed.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{Event, EventStream, KeyEventKind, MouseButton, MouseEventKind};
use futures::StreamExt;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc::{Receiver, Sender};
use tokio::task::JoinSet;

use crate::app::action::{Action, Effect, ExportFormat, Notice};
use crate::app::state::State;
use crate::clipboard::Clipboard;
use crate::formats;
use crate::poller::{ConnState, PollControl, PollEvent, StopReason};
use crate::store::Store;
use crate::terminal::TerminalGuard;
use crate::ui::screen::render;

/// Poller messages handled before a redraw, so a burst costs one frame, not one per batch.
const DRAIN_BEFORE_DRAW: usize = 256;
const MOUSE_WHEEL_ROWS: i32 = 3;

/// Runs the TUI until the user quits or the process is told to stop. The terminal is restored on every
/// way out (the guard drops; a panic hook covers panics).
pub async fn run(
    mut state: State,
    mut events_from_poller: Receiver<PollEvent>,
    control: Sender<PollControl>,
) -> anyhow::Result<()> {
    let mut guard = TerminalGuard::enter()?;
    let mut clipboard = Clipboard::open();
    let mut terminal_events = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    let size = guard.terminal.size()?;
    state.update(Action::Resize {
        width: size.width,
        height: size.height,
    });
    guard.terminal.draw(|frame| render(&state, frame))?;
    let mut poller_open = true;
    let mut exports: JoinSet<(PathBuf, io::Result<(usize, PathBuf)>)> = JoinSet::new();

    loop {
        let mut effects = tokio::select! {
            event = terminal_events.next() => match event {
                Some(Ok(event)) => terminal_event(&mut state, event),
                Some(Err(err)) => return Err(err.into()),
                None => break,
            },
            event = events_from_poller.recv(), if poller_open => match event {
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
                        Vec::new()
                    }
                }
            },
            Some(done) = exports.join_next(), if !exports.is_empty() => match done {
                Ok((path, result)) => state.update(Action::Report(export_notice(&path, result))),
                Err(err) => state.update(Action::Report(Notice {
                    text: format!("export failed: {err}"),
                    is_error: true,
                })),
            },
            _ = tick.tick() => state.update(Action::Tick(crate::clock::now())),
            _ = sigterm.recv() => break,
            _ = sighup.recv() => break,
            _ = sigint.recv() => break,
        };
        for _ in 0..DRAIN_BEFORE_DRAW {
            match events_from_poller.try_recv() {
                Ok(event) => {
                    log_rejected(&event);
                    effects.extend(state.update(Action::Poll(event)));
                }
                Err(_) => break,
            }
        }
        let mut quit = false;
        for effect in effects {
            match effect {
                Effect::Quit => quit = true,
                Effect::Copy { text, what } => {
                    let notice = match clipboard.copy(&text, guard.terminal.backend_mut()) {
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
                    };
                    tracing::info!("{}", notice.text);
                    state.update(Action::Report(notice));
                }
                Effect::Export { format, path } => {
                    // Written on a blocking thread from a snapshot, so the screen keeps moving; the
                    // result comes back through `exports`.
                    let job = export_job(&state, format, path.clone());
                    state.update(Action::Report(Notice {
                        text: format!("exporting {} to {}…", entries(job.count()), path.display()),
                        is_error: false,
                    }));
                    exports.spawn_blocking(move || (path, job.write()));
                }
                Effect::Control(message) => {
                    let _ = control.try_send(message);
                }
            }
        }
        if quit {
            break;
        }
        guard.terminal.draw(|frame| render(&state, frame))?;
    }
    let _ = control.try_send(PollControl::Stop);
    Ok(())
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

fn terminal_event(state: &mut State, event: Event) -> Vec<Effect> {
    match event {
        Event::Key(key) if key.kind != KeyEventKind::Release => state.handle_key(key),
        Event::Mouse(mouse) => match mouse.kind {
            MouseEventKind::ScrollDown => state.update(Action::Scroll(MOUSE_WHEEL_ROWS)),
            MouseEventKind::ScrollUp => state.update(Action::Scroll(-MOUSE_WHEEL_ROWS)),
            MouseEventKind::Down(MouseButton::Left) => state.update(Action::Click {
                column: mouse.column,
                row: mouse.row,
            }),
            _ => Vec::new(),
        },
        Event::Resize(width, height) => state.update(Action::Resize { width, height }),
        _ => Vec::new(),
    }
}

/// The view as it was when the export was asked for: the store (shared, not copied) and the positions
/// of the entries shown. Entries arriving later are not in it.
pub struct ExportJob {
    store: Arc<Store>,
    indices: Vec<u32>,
    format: ExportFormat,
    path: PathBuf,
}

/// Takes the snapshot to export: cheap (one copy of the view's positions), so it can run on the loop.
pub fn export_job(state: &State, format: ExportFormat, path: PathBuf) -> ExportJob {
    ExportJob {
        store: Arc::clone(&state.store),
        indices: state.view.indices().to_vec(),
        format,
        path,
    }
}

impl ExportJob {
    pub fn count(&self) -> usize {
        self.indices.len()
    }

    /// Writes every entry of the snapshot to a new file (never over an existing one); returns the count
    /// and the path actually written. Blocking: run it off the app loop.
    pub fn write(self) -> io::Result<(usize, PathBuf)> {
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::owner_only::create_dir_all(dir)?;
        }
        let (file, path) = create_new(&self.path)?;
        let mut out = BufWriter::new(file);
        formats::write_header(&mut out, self.format)?;
        for &index in &self.indices {
            let entry = self.store.get(index);
            formats::write_entry(&mut out, self.format, &entry.row(), &entry.json_line())?;
        }
        out.flush()?;
        Ok((self.indices.len(), path))
    }
}

/// Writes every entry of the view to a new file, here and now (see [`ExportJob::write`]).
pub fn export_view(
    state: &State,
    format: ExportFormat,
    path: &Path,
) -> io::Result<(usize, PathBuf)> {
    export_job(state, format, path.to_owned()).write()
}

/// Opens `path`, or `name-2.ext`, `name-3.ext`... when it exists.
fn create_new(path: &Path) -> io::Result<(File, PathBuf)> {
    let stem = path
        .file_stem()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    let ext = path
        .extension()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    let mut candidate = path.to_owned();
    let mut n = 1;
    loop {
        match crate::owner_only::create_new(&candidate) {
            Ok(file) => return Ok((file, candidate)),
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists && n < 100 => {
                n += 1;
                candidate = path.with_file_name(format!("{stem}-{n}.{ext}"));
            }
            Err(err) => return Err(err),
        }
    }
}

/// The status bar counts malformed entries and points to the log: this is where each one is written.
fn log_rejected(event: &PollEvent) {
    if let PollEvent::Rejected(rejected) = event {
        for r in rejected {
            let id =
                r.id.map_or_else(|| "no readable id".into(), |id| id.to_string());
            tracing::warn!(
                "malformed entry skipped ({id}): {}; starts {}",
                crate::sanitize::clean(&r.reason),
                crate::sanitize::clean(&r.excerpt)
            );
        }
    }
}
