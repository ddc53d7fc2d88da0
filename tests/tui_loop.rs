//! The app loop itself, headless: a test backend, a scripted event stream, a stand-in clipboard and a
//! poller channel. Time is tokio's paused clock, which only moves when every task waits, so each scripted
//! key arrives after the loop has handled everything already sent to it.

mod tui_support;

use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use auditui::app::keymap::Keymap;
use auditui::app::run::{DRAIN_BEFORE_DRAW, Finished, PollerLink, drive};
use auditui::app::state::State;
use auditui::clipboard::{Copier, CopyError, CopyMethod};
use auditui::poller::{PollControl, PollEvent};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use futures::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::{Backend, ClearType, TestBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};
use tokio::sync::mpsc;
use tui_support::{entry, incident};

/// A test backend the script can read while the loop draws on it.
#[derive(Clone)]
struct Shared(Arc<Mutex<TestBackend>>);

impl Shared {
    fn new(width: u16, height: u16) -> Shared {
        Shared(Arc::new(Mutex::new(TestBackend::new(width, height))))
    }

    fn text(&self) -> String {
        let backend = self.0.lock().unwrap();
        let buffer = backend.buffer();
        let mut out = String::new();
        for y in 0..buffer.area.height {
            for x in 0..buffer.area.width {
                out.push_str(buffer[(x, y)].symbol());
            }
            out.push('\n');
        }
        out
    }

    /// Waits (by real time, the loop running meanwhile) until the screen shows `text`.
    async fn wait_for(&self, text: &str) {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while !self.text().contains(text) {
            assert!(
                std::time::Instant::now() < deadline,
                "the screen never showed {text:?}:\n{}",
                self.text()
            );
            tokio::task::yield_now().await;
        }
    }
}

impl Backend for Shared {
    type Error = io::Error;

    fn draw<'a, I>(&mut self, content: I) -> io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        self.0
            .lock()
            .unwrap()
            .draw(content)
            .map_err(io::Error::other)
    }
    fn hide_cursor(&mut self) -> io::Result<()> {
        self.0
            .lock()
            .unwrap()
            .hide_cursor()
            .map_err(io::Error::other)
    }
    fn show_cursor(&mut self) -> io::Result<()> {
        self.0
            .lock()
            .unwrap()
            .show_cursor()
            .map_err(io::Error::other)
    }
    fn get_cursor_position(&mut self) -> io::Result<Position> {
        self.0
            .lock()
            .unwrap()
            .get_cursor_position()
            .map_err(io::Error::other)
    }
    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> io::Result<()> {
        self.0
            .lock()
            .unwrap()
            .set_cursor_position(position)
            .map_err(io::Error::other)
    }
    fn clear(&mut self) -> io::Result<()> {
        self.0.lock().unwrap().clear().map_err(io::Error::other)
    }
    fn clear_region(&mut self, clear_type: ClearType) -> io::Result<()> {
        self.0
            .lock()
            .unwrap()
            .clear_region(clear_type)
            .map_err(io::Error::other)
    }
    fn size(&self) -> io::Result<Size> {
        self.0.lock().unwrap().size().map_err(io::Error::other)
    }
    fn window_size(&mut self) -> io::Result<WindowSize> {
        self.0
            .lock()
            .unwrap()
            .window_size()
            .map_err(io::Error::other)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.lock().unwrap().flush().map_err(io::Error::other)
    }
}

/// A clipboard that keeps what it is given, capped like OSC 52 when `limit` is set.
#[derive(Default)]
struct Kept {
    copies: Vec<String>,
    limit: Option<usize>,
}

impl Copier for Kept {
    fn copy(&mut self, text: &str) -> Result<CopyMethod, CopyError> {
        self.copies.push(text.to_owned());
        Ok(CopyMethod::Osc52)
    }
    fn max_bytes(&self) -> Option<usize> {
        self.limit
    }
}

fn key(c: char) -> io::Result<Event> {
    let modifiers = if c.is_ascii_uppercase() {
        KeyModifiers::SHIFT
    } else {
        KeyModifiers::NONE
    };
    Ok(Event::Key(KeyEvent::new(KeyCode::Char(c), modifiers)))
}

/// Keys typed one at a time, each after the loop went idle.
fn typed(keys: &str) -> impl Stream<Item = io::Result<Event>> + Unpin {
    let keys: Vec<char> = keys.chars().collect();
    Box::pin(futures::stream::iter(keys).then(|c| async move {
        tokio::time::sleep(Duration::from_millis(10)).await;
        key(c)
    }))
}

/// The loop ticks with the wall clock, so the state starts on it (a notice fades 10 s after it is
/// posted by that clock).
fn state() -> State {
    State::new(Keymap::defaults(), "test", auditui::clock::now())
}

#[tokio::test(start_paused = true)]
async fn a_burst_from_the_poller_is_drained_in_a_few_frames() {
    const MESSAGES: usize = 600;
    let (tx, rx) = mpsc::channel(MESSAGES);
    let (control, _control_rx) = mpsc::channel(8);
    for i in 0..MESSAGES {
        let one = entry(
            i as u32,
            30,
            "auth:login",
            "a@example.com",
            "10.0.0.1",
            "{}",
        );
        tx.try_send(PollEvent::Entries(vec![one])).unwrap();
    }
    let screen = Shared::new(80, 24);
    let mut terminal = Terminal::new(screen.clone()).unwrap();
    let Finished { state, frames, .. } = drive(
        state(),
        &mut terminal,
        typed("q"),
        &mut Kept::default(),
        async { (rx, control) },
        std::future::pending(),
    )
    .await
    .unwrap();
    assert_eq!(state.store.len(), MESSAGES, "every message was handled");
    // One frame at the start, one per select and drain (a message and up to 256 more), and perhaps
    // one for the first tick: never one per message.
    let most = 1 + MESSAGES.div_ceil(DRAIN_BEFORE_DRAW + 1) + 1;
    assert!(frames <= most, "{frames} frames for {MESSAGES} messages");
    assert!(screen.text().contains(&format!("{MESSAGES} / {MESSAGES}")));
    drop(tx);
}

#[tokio::test(start_paused = true)]
async fn a_vanished_poller_is_reported_and_the_loop_keeps_working() {
    let (tx, rx) = mpsc::channel(8);
    let (control, _control_rx) = mpsc::channel(8);
    tx.try_send(PollEvent::Entries(incident())).unwrap();
    drop(tx);
    let screen = Shared::new(100, 24);
    let mut terminal = Terminal::new(screen.clone()).unwrap();
    let mut clipboard = Kept::default();
    let script = {
        let screen = screen.clone();
        Box::pin(
            futures::stream::once(async move {
                screen.wait_for("the poller ended unexpectedly").await;
                key('y')
            })
            .chain(typed("q")),
        )
    };
    let Finished { state, .. } = drive(
        state(),
        &mut terminal,
        script,
        &mut clipboard,
        async { (rx, control) },
        std::future::pending(),
    )
    .await
    .unwrap();
    assert_eq!(state.store.len(), incident().len(), "what arrived is kept");
    assert_eq!(
        clipboard.copies.len(),
        1,
        "keys still work after the poller went"
    );
}

#[tokio::test(start_paused = true)]
async fn copies_and_exports_report_in_the_status_bar() {
    let dir = tempfile::tempdir().unwrap();
    let (tx, rx) = mpsc::channel(8);
    let (control, mut control_rx) = mpsc::channel(8);
    tx.try_send(PollEvent::Entries(incident())).unwrap();
    let screen = Shared::new(140, 24);
    let mut terminal = Terminal::new(screen.clone()).unwrap();
    let mut clipboard = Kept::default();
    let mut state = state();
    state.export_dir = dir.path().to_owned();
    let (first, second) = (screen.clone(), screen.clone());
    let script = Box::pin(
        typed("y")
            .chain(futures::stream::once(async move {
                first.wait_for("copied entry").await;
                first.wait_for("via OSC 52").await;
                key('e')
            }))
            .chain(futures::stream::once(async move {
                let exported = format!("exported {} entries to", incident().len());
                second.wait_for(&exported).await;
                key('q')
            })),
    );
    let Finished { .. } = drive(
        state,
        &mut terminal,
        script,
        &mut clipboard,
        async { (rx, control) },
        std::future::pending(),
    )
    .await
    .unwrap();
    let [copied] = clipboard.copies.as_slice() else {
        panic!("one copy: {:?}", clipboard.copies);
    };
    let newest = incident().last().unwrap().id.to_string();
    assert!(
        copied.contains(&newest),
        "the selected (newest) entry: {copied}"
    );
    let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(files.len(), 1);
    let text = std::fs::read_to_string(files[0].as_ref().unwrap().path()).unwrap();
    assert_eq!(text.lines().count(), incident().len());
    assert_eq!(
        control_rx.try_recv().ok(),
        Some(PollControl::Stop),
        "quitting stops the poller"
    );
    drop(tx);
}

#[tokio::test(start_paused = true)]
async fn the_screen_says_connecting_and_q_quits_while_the_poller_is_still_starting() {
    let screen = Shared::new(80, 24);
    let mut terminal = Terminal::new(screen.clone()).unwrap();
    let script = {
        let screen = screen.clone();
        Box::pin(
            futures::stream::once(async move {
                screen.wait_for("connecting to the audit log").await;
                key('q')
            })
            .chain(futures::stream::pending()),
        )
    };
    // A poller that never starts (whoami hanging): quitting must not wait for it.
    let never = std::future::pending::<PollerLink>();
    let started = tokio::time::Instant::now();
    drive(
        state(),
        &mut terminal,
        script,
        &mut Kept::default(),
        never,
        std::future::pending(),
    )
    .await
    .unwrap();
    assert!(
        started.elapsed() < Duration::from_millis(100),
        "quit after {:?} of the loop's clock",
        started.elapsed()
    );
    assert!(screen.text().contains("◌ connecting"));
}

#[tokio::test(start_paused = true)]
async fn ctrl_c_quits_while_connecting() {
    let mut terminal = Terminal::new(Shared::new(80, 24)).unwrap();
    let ctrl_c = Ok(Event::Key(KeyEvent::new(
        KeyCode::Char('c'),
        KeyModifiers::CONTROL,
    )));
    // The stream never ends after the key: only the key can end the loop.
    let script = Box::pin(futures::stream::iter([ctrl_c]).chain(futures::stream::pending()));
    let finished = tokio::time::timeout(
        Duration::from_millis(100),
        drive(
            state(),
            &mut terminal,
            script,
            &mut Kept::default(),
            std::future::pending::<PollerLink>(),
            std::future::pending(),
        ),
    )
    .await;
    assert!(
        matches!(finished, Ok(Ok(_))),
        "ctrl-c ends the loop within 100 ms of its clock"
    );
}
