//! Progress of long headless work (a backfill, an import, an evidence window) on stderr: a one-line
//! counter redrawn in place while stderr is a terminal, nothing at all when it is piped or redirected,
//! so a script's stderr holds only the messages it would read.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A counter of work done, drawn only on a terminal.
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// On stderr when it is a terminal; silent otherwise.
    pub fn on_stderr(what: &str) -> Progress {
        Progress::new(what, std::io::stderr().is_terminal())
    }

    /// Drawn to stderr when `shown`; `Progress::new(_, false)` draws nothing and costs nothing.
    pub fn new(what: &str, shown: bool) -> Progress {
        if !shown {
            return Progress { bar: None };
        }
        Progress::to(what, ProgressDrawTarget::stderr())
    }

    /// Drawn to `target` (a test's in-memory terminal, say).
    pub fn to(what: &str, target: ProgressDrawTarget) -> Progress {
        let bar = ProgressBar::with_draw_target(None, target);
        let style =
            ProgressStyle::with_template("{spinner} {prefix}: {human_pos} {msg} ({elapsed})")
                .expect("a valid template")
                .tick_chars("|/-\\ ");
        bar.set_style(style);
        bar.set_prefix(crate::sanitize::clean(what).into_owned());
        bar.enable_steady_tick(Duration::from_millis(250));
        Progress { bar: Some(bar) }
    }

    /// Whether anything is drawn.
    pub fn is_shown(&self) -> bool {
        self.bar.is_some()
    }

    /// `done` so far, and what it means (`entries stored · at 2026-11-30 10:00`). The message is
    /// escaped: it may hold text from the API or a file name.
    pub fn set(&self, done: u64, message: &str) {
        if let Some(bar) = &self.bar {
            bar.set_position(done);
            bar.set_message(crate::sanitize::clean(message).into_owned());
        }
    }

    /// Prints `line` on stderr above the counter (which is redrawn below it).
    pub fn say(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
    }

    /// Removes the line, leaving the terminal as it was for the summary that follows.
    pub fn finish(mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use indicatif::TermLike;

    use super::*;

    /// A terminal that keeps every line drawn.
    #[derive(Debug, Clone, Default)]
    struct Screen(Arc<Mutex<String>>);

    impl TermLike for Screen {
        fn width(&self) -> u16 {
            100
        }
        fn move_cursor_up(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_down(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_right(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_left(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn write_line(&self, line: &str) -> std::io::Result<()> {
            let mut text = self.0.lock().unwrap();
            text.push_str(line);
            text.push('\n');
            Ok(())
        }
        fn write_str(&self, s: &str) -> std::io::Result<()> {
            self.0.lock().unwrap().push_str(s);
            Ok(())
        }
        fn clear_line(&self) -> std::io::Result<()> {
            Ok(())
        }
        fn flush(&self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_terminal_sees_the_count_and_the_message_with_controls_escaped() {
        let screen = Screen::default();
        let progress = Progress::to(
            "import",
            ProgressDrawTarget::term_like(Box::new(screen.clone())),
        );
        assert!(progress.is_shown());
        progress.set(12_345, "entries from evil\u{1b}]0;x\u{7}.jsonl");
        progress.finish();
        let text = screen.0.lock().unwrap().clone();
        assert!(
            text.contains("import: 12,345 entries from evil"),
            "{text:?}"
        );
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "{text:?}"
        );
    }

    #[test]
    fn not_shown_draws_nothing() {
        let progress = Progress::new("import", false);
        assert!(!progress.is_shown());
        progress.set(1, "entries");
        progress.finish();
    }
}
