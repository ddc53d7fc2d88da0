//! The real binary (`auditui demo`) in a pseudo-terminal this test creates, its screen read back through a
//! terminal emulator (vt100): entries appear, a filter narrows them, the detail view opens, copying reports
//! success over OSC 52 (there is no display here), and quitting or SIGTERM gives the terminal back; the
//! incident is marked, noted and written as an evidence bundle that `verify` passes, and its case reopens.
#![cfg(unix)]

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use nix::pty::{Winsize, openpty};

const ROWS: u16 = 30;
const COLS: u16 = 110;
const PATIENCE: Duration = Duration::from_secs(60);

/// A running `auditui demo` and everything it has written to its terminal.
struct Session {
    child: Child,
    input: File,
    screen: Arc<Mutex<vt100::Parser>>,
    raw: Arc<Mutex<Vec<u8>>>,
    reader: Option<thread::JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

impl Session {
    /// `auditui demo`.
    fn start() -> Session {
        Session::start_with(&["demo"], &[])
    }

    fn start_with(args: &[&str], envs: &[(&str, &str)]) -> Session {
        let mut all = args.to_vec();
        all.push("--log-file");
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("auditui.log");
        all.push(log.to_str().unwrap());
        Session::start_program(env!("CARGO_BIN_EXE_auditui").as_ref(), &all, envs, dir)
    }

    /// Any program in the pseudo-terminal, started in `dir`.
    fn start_program(
        program: &std::path::Path,
        args: &[&str],
        envs: &[(&str, &str)],
        dir: tempfile::TempDir,
    ) -> Session {
        let size = Winsize {
            ws_row: ROWS,
            ws_col: COLS,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        let pty = openpty(Some(&size), None).expect("openpty");
        let slave: OwnedFd = pty.slave;
        let stdio = || Stdio::from(slave.try_clone().unwrap());
        let mut command = Command::new(program);
        command
            .args(args)
            .envs(envs.iter().copied())
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .env("XDG_CONFIG_HOME", dir.path())
            // The demo keeps an archive of its own in the data directory: one per session here.
            .env("XDG_DATA_HOME", dir.path())
            .env("TERM", "xterm-256color")
            .current_dir(dir.path())
            .stdin(stdio())
            .stdout(stdio())
            .stderr(stdio());
        // The child gets a session of its own with the pty as its controlling terminal, as a shell gives.
        unsafe {
            command.pre_exec(|| {
                nix::unistd::setsid().map_err(std::io::Error::from)?;
                if nix::libc::ioctl(0, nix::libc::TIOCSCTTY as _, 0) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command.spawn().expect("the auditui binary starts");
        drop(slave);
        let master = File::from(pty.master);
        let input = master.try_clone().unwrap();
        let screen = Arc::new(Mutex::new(vt100::Parser::new(
            ROWS.try_into().unwrap(),
            COLS.try_into().unwrap(),
            0,
        )));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let reader = {
            let (screen, raw) = (screen.clone(), raw.clone());
            let mut master = master;
            thread::spawn(move || {
                let mut buf = [0u8; 8192];
                // Ends with EIO once the child and every copy of the slave side are gone.
                while let Ok(n) = master.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    screen.lock().unwrap().process(&buf[..n]);
                    raw.lock().unwrap().extend_from_slice(&buf[..n]);
                }
            })
        };
        Session {
            child,
            input,
            screen,
            raw,
            reader: Some(reader),
            _dir: dir,
        }
    }

    fn contents(&self) -> String {
        self.screen.lock().unwrap().screen().contents()
    }

    fn rows(&self) -> Vec<String> {
        self.screen.lock().unwrap().screen().rows(0, COLS).collect()
    }

    /// Waits until the screen satisfies `ready`, failing with the screen after [`PATIENCE`].
    fn wait_for(&self, what: &str, ready: impl Fn(&[String]) -> bool) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let rows = self.rows();
            if ready(&rows) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; screen:\n{}",
                rows.join("\n")
            );
            thread::sleep(Duration::from_millis(50));
        }
    }

    fn type_text(&mut self, text: &str) {
        self.input.write_all(text.as_bytes()).unwrap();
        self.input.flush().unwrap();
    }

    /// Waits for the process to end; its exit status.
    fn wait_exit(&mut self) -> std::process::ExitStatus {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                if let Some(reader) = self.reader.take() {
                    reader.join().unwrap();
                }
                return status;
            }
            assert!(Instant::now() < deadline, "auditui did not exit");
            thread::sleep(Duration::from_millis(50));
        }
    }

    fn raw_text(&self) -> String {
        String::from_utf8_lossy(&self.raw.lock().unwrap()).into_owned()
    }

    fn assert_terminal_restored(&self) {
        let parser = self.screen.lock().unwrap();
        let screen = parser.screen();
        assert!(!screen.alternate_screen(), "still on the alternate screen");
        assert!(!screen.hide_cursor(), "cursor still hidden");
        drop(parser);
        let raw = self.raw_text();
        let left = raw
            .rfind("\x1b[?1049l")
            .expect("leaves the alternate screen");
        let entered = raw
            .rfind("\x1b[?1049h")
            .expect("entered the alternate screen");
        assert!(left > entered);
        assert!(raw.contains("\x1b[?1000l"), "mouse reporting turned off");
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// `auditui simulate` on a free port, stopped when dropped.
struct Simulator {
    child: Child,
    base_url: String,
}

impl Simulator {
    fn start(token: &str) -> Simulator {
        let mut child = Command::new(env!("CARGO_BIN_EXE_auditui"))
            .args(["simulate", "--port", "0", "--accept-token", token])
            .args(["--history-hours", "1", "--log-file", "/dev/null"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        let base_url = loop {
            line.clear();
            let read = std::io::BufRead::read_line(&mut out, &mut line).unwrap();
            assert!(
                read > 0,
                "the simulator ended before saying where it listens"
            );
            if let Some(at) = line.find("http://") {
                break line[at..].trim().to_owned();
            }
        };
        Simulator { child, base_url }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// "12 / 345" from the filter bar.
fn counts(rows: &[String]) -> Option<(usize, usize)> {
    let bar = rows.get(1)?;
    let mut words = bar.split_whitespace().rev();
    let total = words.next()?.parse().ok()?;
    (words.next()? == "/").then_some(())?;
    let shown = words.next()?.parse().ok()?;
    Some((shown, total))
}

/// The entry rows of the log pane (under the header, the filter bar and the column heading).
fn entry_rows(rows: &[String]) -> Vec<&String> {
    rows[3..rows.len() - 2]
        .iter()
        .filter(|r| !r.trim().is_empty())
        .collect()
}

#[test]
fn entries_appear_a_filter_narrows_the_detail_opens_copy_works_and_quit_restores() {
    let mut session = Session::start();
    session.wait_for("entries from the simulator", |rows| {
        counts(rows).is_some_and(|(shown, total)| shown > 0 && shown == total)
            && entry_rows(rows).len() > 5
    });
    assert!(
        session.raw_text().contains("\x1b[?1049h"),
        "alternate screen entered"
    );

    session.type_text("/type:auth:failed");
    // Read as one condition: a screen caught between frames can show the new bar over old rows.
    session.wait_for(
        "the filter to narrow the view to auth:failed rows only",
        |rows| {
            let shown = entry_rows(rows);
            rows[1].contains("type:auth:failed")
                && counts(rows).is_some_and(|(shown, total)| shown > 0 && shown < total)
                && !shown.is_empty()
                && shown.iter().all(|row| row.contains("auth:failed"))
        },
    );

    // Enter leaves the bar, Enter again opens the selected entry.
    session.type_text("\r\r");
    session.wait_for("the detail view", |rows| {
        let text = rows.join("\n");
        text.contains("Entry") && text.contains("id time") && text.contains("auth:failed")
    });

    session.type_text("y");
    session.wait_for("the copy report", |rows| {
        rows.iter()
            .any(|r| r.contains("copied entry") && r.contains("via OSC 52"))
    });
    assert!(
        session.raw_text().contains("\x1b]52;c;"),
        "the OSC 52 sequence reached the terminal"
    );

    // q in the detail view goes back to the list; q there quits.
    session.type_text("qq");
    let status = session.wait_exit();
    assert!(status.success(), "{status:?}");
    session.assert_terminal_restored();
    assert!(
        !session.contents().contains("id time"),
        "the TUI's screen is gone"
    );
}

#[test]
fn sigterm_restores_the_terminal() {
    let mut session = Session::start();
    session.wait_for("the first screen", |rows| counts(rows).is_some());
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(session.child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let status = session.wait_exit();
    assert!(
        status.success(),
        "a requested stop is a clean exit: {status:?}"
    );
    session.assert_terminal_restored();
}

/// Not a test on its own: the process `a_panic_restores_the_terminal_before_its_message_is_printed` runs
/// in a pseudo-terminal. It takes the terminal as the TUI does and panics while holding it.
#[test]
#[ignore = "run in a pseudo-terminal by a_panic_restores_the_terminal_before_its_message_is_printed"]
fn panicking_while_holding_the_terminal() {
    let _guard = auditui::terminal::TerminalGuard::enter().unwrap();
    panic!("deliberate panic while the TUI holds the terminal");
}

#[test]
fn a_panic_restores_the_terminal_before_its_message_is_printed() {
    let this_test_binary = std::env::current_exe().unwrap();
    let mut session = Session::start_program(
        &this_test_binary,
        &[
            "--ignored",
            "--exact",
            "panicking_while_holding_the_terminal",
            "--nocapture",
        ],
        &[],
        tempfile::tempdir().unwrap(),
    );
    let status = session.wait_exit();
    assert!(!status.success(), "the panic fails the child: {status:?}");
    session.assert_terminal_restored();
    // Printed after leaving the alternate screen (by the hook), so it stays readable on the shell's.
    assert!(
        session
            .contents()
            .contains("deliberate panic while the TUI holds the terminal"),
        "the panic message is on the main screen:\n{}",
        session.contents()
    );
    let modes = nix::sys::termios::tcgetattr(&session.input)
        .unwrap()
        .local_flags;
    use nix::sys::termios::LocalFlags;
    assert!(
        modes.contains(LocalFlags::ICANON | LocalFlags::ECHO),
        "raw mode is off again: {modes:?}"
    );
}

/// Not a test on its own: run in a pseudo-terminal by
/// `a_panic_in_a_background_task_leaves_the_screen_to_the_tui`. A background thread panics while the
/// TUI holds the terminal; the UI thread carries on and then gives the terminal back as on quit.
#[test]
#[ignore = "run in a pseudo-terminal by a_panic_in_a_background_task_leaves_the_screen_to_the_tui"]
fn a_background_thread_panics_while_the_tui_holds_the_terminal() {
    let guard = auditui::terminal::TerminalGuard::enter().unwrap();
    let task = std::thread::spawn(|| panic!("deliberate panic in a background task"));
    assert!(task.join().is_err(), "the background thread panicked");
    drop(guard);
    println!("the UI thread carried on");
}

#[test]
fn a_panic_in_a_background_task_leaves_the_screen_to_the_tui() {
    let this_test_binary = std::env::current_exe().unwrap();
    let mut session = Session::start_program(
        &this_test_binary,
        &[
            "--ignored",
            "--exact",
            "a_background_thread_panics_while_the_tui_holds_the_terminal",
            "--nocapture",
        ],
        &[],
        tempfile::tempdir().unwrap(),
    );
    let status = session.wait_exit();
    assert!(status.success(), "the UI thread went on: {status:?}");
    session.assert_terminal_restored();
    let screen = session.contents();
    assert!(screen.contains("the UI thread carried on"), "{screen}");
    // Its message goes to the log: on the terminal it would have been written over the TUI's screen.
    assert!(
        !screen.contains("deliberate panic in a background task"),
        "the background panic was printed on the terminal:\n{screen}"
    );
}

#[test]
fn a_rejected_token_at_start_is_a_clear_full_screen_message() {
    let simulator = Simulator::start("the-right-token");
    let mut session = Session::start_with(
        &["--base-url", &simulator.base_url],
        &[("HARVEY_API_TOKEN", "a-wrong-token")],
    );
    session.wait_for("the token error screen", |rows| {
        let text = rows.join("\n");
        text.contains("Token rejected") && text.contains("HARVEY_API_TOKEN")
    });
    assert!(
        !session.raw_text().contains("a-wrong-token"),
        "the token never reaches the screen"
    );
    session.type_text("q");
    let status = session.wait_exit();
    assert!(status.success(), "{status:?}");
    session.assert_terminal_restored();
}

/// The screen line whose cells carry the selection's background.
fn highlighted_row(session: &Session) -> Option<u16> {
    let parser = session.screen.lock().unwrap();
    let screen = parser.screen();
    (3..ROWS - 2).find(|&row| {
        screen
            .cell(row, 20)
            .is_some_and(|cell| cell.bgcolor() == vt100::Color::Idx(8))
    })
}

#[test]
fn a_click_selects_a_row_and_the_wheel_moves_the_selection() {
    let mut session = Session::start();
    session.wait_for("a full page of entries", |rows| {
        entry_rows(rows).len() >= usize::from(ROWS) - 6
    });
    // Wheel up (SGR mouse report, 1-based column;row): the selection leaves the bottom by three rows.
    let before = highlighted_row(&session).expect("a selected row");
    session.type_text("\x1b[<64;20;10M");
    session.wait_for("the wheel to move the selection", |_| {
        highlighted_row(&session) == Some(before - 3)
    });
    // A left click on screen line 6 (0-based 5) selects that row.
    session.type_text("\x1b[<0;20;6M\x1b[<0;20;6m");
    session.wait_for("the click to select the row", |_| {
        highlighted_row(&session) == Some(5)
    });
    session.type_text("q");
    assert!(session.wait_exit().success());
}

#[test]
fn counts_search_and_context_in_the_real_binary() {
    let mut session = Session::start();
    session.wait_for("entries from the simulator", |rows| {
        counts(rows).is_some_and(|(shown, total)| shown > 0 && shown == total)
            && entry_rows(rows).len() > 5
    });
    // The counts panel over every entry, then its IP group, then narrowing to the top address.
    session.type_text("c");
    session.wait_for("the counts panel", |rows| {
        rows[2].contains("USER") && rows[2].contains("entries counted") && rows[3].contains("COUNT")
    });
    session.type_text("\t\t");
    session.wait_for("the IP group", |rows| {
        rows[4]
            .split_whitespace()
            .next()
            .is_some_and(|v| v.contains('.'))
    });
    session.type_text("\r");
    session.wait_for("the view narrowed to that address", |rows| {
        rows[1].contains("ip:")
            && counts(rows).is_some_and(|(shown, total)| shown > 0 && shown < total)
    });
    // A search within the narrowed view: the filter stays, the status line counts the matches.
    session.type_text("stype:auth:login\r");
    session.wait_for("the search's rank", |rows| {
        rows.iter().any(|r| r.contains("“type:auth:login”")) && rows[1].contains("ip:")
    });
    session.type_text("n");
    // Context: all entries around the selected one, then the same user, then back.
    session.type_text("z");
    session.wait_for("the context view", |rows| {
        rows.iter().any(|r| r.contains("context: all entries"))
            && counts(rows).is_some_and(|(shown, total)| shown == total)
    });
    session.type_text("zz");
    session.wait_for("back to the narrowed view", |rows| {
        rows[1].contains("ip:") && !rows.iter().any(|r| r.contains("context:"))
    });
    session.type_text("q");
    let status = session.wait_exit();
    assert!(status.success(), "{status:?}");
    session.assert_terminal_restored();
}

#[test]
fn from_a_fresh_demo_the_incident_is_marked_noted_and_bundled_and_the_case_reopens() {
    let mut session = Session::start_with(&["demo", "--case", "kestrel"], &[]);
    session.wait_for("entries from the simulator", |rows| {
        counts(rows).is_some_and(|(shown, total)| shown > 0 && shown == total)
            && entry_rows(rows).len() > 5
    });
    // The incident: the intruder's address.
    session.type_text("/ip:185.220.101.47\r");
    session.wait_for("the intruder's entries", |rows| {
        rows[1].contains("ip:185.220.101.47")
            && counts(rows).is_some_and(|(shown, total)| shown >= 5 && shown < total)
    });
    // Up one row first, so following stops and the selection stays where the keys put it.
    session.type_text("k");
    for n in 1..=5 {
        session.type_text(&format!("anote {n} on the intruder\rk"));
        session.wait_for("the note kept", |rows| {
            rows.iter()
                .any(|r| r.contains(&format!("note kept ({n} marked)")))
        });
    }
    session.wait_for("five marked rows", |rows| {
        rows.iter().filter(|r| r.starts_with('●')).count() == 5
    });
    // The evidence key, taking the directory it offers.
    session.type_text("B");
    session.wait_for("the evidence prompt", |rows| {
        rows[1].contains("evidence to:") && rows[1].contains("evidence-kestrel-")
    });
    session.type_text("\r");
    session.wait_for("the bundle written", |rows| {
        rows.iter()
            .any(|r| r.contains("evidence: 5 entries (5 marked) written to"))
    });
    let exports = session._dir.path().join("auditui").join("exports");
    let bundles: Vec<_> = std::fs::read_dir(&exports)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("evidence-kestrel-")
        })
        .collect();
    assert_eq!(bundles.len(), 1, "{bundles:?}");
    let bundle = &bundles[0];
    let verified = Command::new(env!("CARGO_BIN_EXE_auditui"))
        .arg("verify")
        .arg(bundle)
        .output()
        .unwrap();
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stdout)
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(bundle.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["case"], "kestrel");
    // The service user behind the token, as whoami named it to the TUI's poller.
    assert_eq!(
        manifest["source"]["service_user"]["email"],
        auditui::simulator::SERVICE_USER
    );
    assert_eq!(manifest["counts"]["marked"], 5);
    assert_eq!(
        manifest["raw"]["reserialized"],
        serde_json::json!([]),
        "every line as received, from the demo's archive"
    );
    let mut notes: Vec<String> = manifest["marks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["note"].as_str().unwrap().to_owned())
        .collect();
    notes.sort();
    let expected: Vec<String> = (1..=5)
        .map(|n| format!("note {n} on the intruder"))
        .collect();
    assert_eq!(notes, expected);
    let markdown = std::fs::read_to_string(bundle.join("timeline.md")).unwrap();
    let html = std::fs::read_to_string(bundle.join("timeline.html")).unwrap();
    for note in &expected {
        assert!(markdown.contains(note.as_str()), "timeline.md lacks {note}");
        assert!(html.contains(note.as_str()), "timeline.html lacks {note}");
    }
    session.type_text("q");
    assert!(session.wait_exit().success());
    session.assert_terminal_restored();

    // The case is listed, and reopening it restores the marks, the notes and the filter.
    let dir = std::mem::replace(&mut session._dir, tempfile::tempdir().unwrap());
    let listed = Command::new(env!("CARGO_BIN_EXE_auditui"))
        .args(["case", "list"])
        .env("XDG_DATA_HOME", dir.path())
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&listed.stdout).into_owned();
    assert!(
        listing.starts_with("kestrel\t5 marks (5 with a note)") && listing.contains("demo.sqlite"),
        "{listing}"
    );
    let log = dir.path().join("auditui-2.log");
    let mut again = Session::start_program(
        env!("CARGO_BIN_EXE_auditui").as_ref(),
        &[
            "demo",
            "--case",
            "kestrel",
            "--log-file",
            log.to_str().unwrap(),
        ],
        &[],
        dir,
    );
    again.wait_for("the case's filter restored", |rows| {
        rows[1].contains("ip:185.220.101.47")
            && counts(rows).is_some_and(|(shown, total)| shown >= 5 && shown < total)
    });
    again.type_text("M");
    again.wait_for("the marks list", |rows| {
        rows.iter().any(|r| r.contains("Marks: 5 (5 with a note)"))
            && rows.iter().any(|r| r.contains("note 1 on the intruder"))
    });
    // Esc and q apart: together they read as alt-q.
    again.type_text("\x1b");
    again.wait_for("the log again", |rows| {
        !rows.iter().any(|r| r.contains("Marks: 5"))
    });
    again.type_text("q");
    assert!(again.wait_exit().success());
}

#[test]
fn open_keeps_its_case_in_the_cases_file_of_the_data_directory() {
    let saved = tempfile::tempdir().unwrap();
    let file = saved.path().join("saved.jsonl");
    let lines: String = (1..=3)
        .map(|n| {
            format!(
                "{{\"id\":\"0194f5a3-7b2c-7def-8123-00000000000{n}\",\"timestamp\":\"2026-11-24T09:0{n}:00\",\"type\":\"auth:login\",\"user\":\"u{n}@example.com\",\"ip\":\"10.0.0.{n}\"}}\n"
            )
        })
        .collect();
    std::fs::write(&file, lines).unwrap();
    let mut session =
        Session::start_with(&["open", file.to_str().unwrap(), "--case", "saved"], &[]);
    session.wait_for("the saved entries", |rows| {
        counts(rows).is_some_and(|(shown, total)| shown == 3 && total == 3)
    });
    session.type_text("mkanoted\r");
    session.wait_for("the note kept", |rows| {
        rows.iter().any(|r| r.contains("note kept (2 marked)"))
    });
    session.type_text("q");
    assert!(session.wait_exit().success());
    let listed = Command::new(env!("CARGO_BIN_EXE_auditui"))
        .args(["case", "list"])
        .env("XDG_DATA_HOME", session._dir.path())
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&listed.stdout).into_owned();
    assert!(
        listing.starts_with("saved\t2 marks (1 with a note)") && listing.contains("cases file"),
        "{listing}"
    );
}
