//! Taking over the terminal, and always giving it back: on quit, on error (the guard's drop), on panic
//! (a hook that restores before the message is printed) and on SIGTERM (the app loop quits, the guard
//! drops).

use std::io::{self, Stdout, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, Once};
use std::thread::ThreadId;

use crossterm::cursor::Show;
use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

pub type Tui = Terminal<CrosstermBackend<Stdout>>;

/// Owns the terminal while the TUI runs; restores it when dropped.
pub struct TerminalGuard {
    pub terminal: Tui,
}

impl TerminalGuard {
    /// Raw mode, alternate screen, mouse reporting, and a panic hook that undoes them first.
    pub fn enter() -> io::Result<TerminalGuard> {
        install_panic_hook();
        enable_raw_mode()?;
        *UI_THREAD.lock().unwrap_or_else(|e| e.into_inner()) = Some(std::thread::current().id());
        TAKEN.store(true, Ordering::SeqCst);
        let mut stdout = io::stdout();
        if let Err(err) = crossterm::execute!(stdout, EnterAlternateScreen, EnableMouseCapture) {
            restore();
            return Err(err);
        }
        let terminal = match Terminal::new(CrosstermBackend::new(stdout)) {
            Ok(terminal) => terminal,
            Err(err) => {
                restore();
                return Err(err);
            }
        };
        Ok(TerminalGuard { terminal })
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Whether the terminal is ours to give back.
static TAKEN: AtomicBool = AtomicBool::new(false);

/// The thread that drives the TUI (the one that took the terminal).
static UI_THREAD: Mutex<Option<ThreadId>> = Mutex::new(None);

/// Whether a panic on the current thread leaves the TUI running: one in a background task (the poller,
/// an export) ends that task only, and the app loop reports it; the screen is still the TUI's.
fn panic_leaves_tui_running() -> bool {
    let ui = *UI_THREAD.lock().unwrap_or_else(|e| e.into_inner());
    TAKEN.load(Ordering::SeqCst) && ui.is_some_and(|ui| ui != std::thread::current().id())
}

/// Puts the terminal back as the shell expects it. Safe to call more than once: only the first call
/// writes, because leaving the alternate screen again also moves the cursor back to where it was saved,
/// and what was printed since (a panic message) would be written over.
pub fn restore() {
    if !TAKEN.swap(false, Ordering::SeqCst) {
        return;
    }
    let mut stdout = io::stdout();
    let _ = crossterm::execute!(stdout, DisableMouseCapture, LeaveAlternateScreen, Show);
    let _ = disable_raw_mode();
    let _ = stdout.flush();
}

fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if panic_leaves_tui_running() {
                // Printing would scribble over the screen, restoring would pull it from under the TUI.
                tracing::error!("{}", describe_panic(info));
                return;
            }
            restore();
            previous(info);
        }));
    });
}

/// Makes every panic message safe to print before anything else runs: a panic can quote untrusted text
/// (slicing a string names the string), and the default hook would print it as is. Installed first in
/// `main`; the TUI's hook runs before it and restores the terminal.
pub fn install_safe_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        eprintln!("{}", describe_panic(info));
        if std::env::var_os("RUST_BACKTRACE").is_some_and(|v| v != "0") {
            eprintln!("{}", std::backtrace::Backtrace::force_capture());
        }
    }));
}

/// What a panic says, with its untrusted parts shown as escapes.
pub fn describe_panic(info: &std::panic::PanicHookInfo<'_>) -> String {
    let message = info
        .payload()
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| info.payload().downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_owned());
    let place = info
        .location()
        .map(|l| format!(" at {}:{}", l.file(), l.line()))
        .unwrap_or_default();
    let thread = std::thread::current();
    let name = thread.name().unwrap_or("<unnamed>");
    crate::sanitize::clean(&format!(
        "auditui: internal error (thread '{name}' panicked{place}): {message}"
    ))
    .into_owned()
}
