//! Long headless work shows its progress on a terminal and says nothing extra when stderr is piped:
//! `auditui archive import` of 30,000 generated entries, once with stderr on a pseudo-terminal this
//! test creates, once with stderr piped.
#![cfg(unix)]

use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::path::Path;
use std::process::{Command, Stdio};

use auditui::generate::Generator;
use nix::pty::{Winsize, openpty};

const ENTRIES: u64 = 30_000;

fn saved_entries(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("saved.jsonl");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let mut generator = Generator::new(5, ENTRIES, 24, auditui::clock::now());
    for _ in 0..ENTRIES {
        writeln!(file, "{}", generator.next_line()).unwrap();
    }
    file.flush().unwrap();
    path
}

fn import(dir: &Path, saved: &Path, archive: &str, stderr: Stdio) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_auditui"))
        .args(["archive", "--archive"])
        .arg(dir.join(archive))
        .arg("import")
        .arg(saved)
        .args(["--log-file"])
        .arg(dir.join("auditui.log"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .unwrap()
}

#[test]
fn an_import_counts_on_a_terminal_and_is_silent_when_piped() {
    let dir = tempfile::tempdir().unwrap();
    let saved = saved_entries(dir.path());

    // Piped: stderr holds only the messages (the generator writes a malformed line now and then),
    // stdout the summary.
    let piped = import(dir.path(), &saved, "piped.sqlite", Stdio::piped())
        .wait_with_output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&piped.stderr);
    assert!(piped.status.success(), "{stderr}");
    assert!(
        stderr
            .lines()
            .all(|line| line.starts_with("auditui: ") && line.contains(": skipped, ")),
        "nothing but messages when piped: {stderr:?}"
    );
    assert!(
        !stderr.contains("import: ") && !stderr.contains('\r'),
        "{stderr:?}"
    );
    let stdout = String::from_utf8_lossy(&piped.stdout);
    assert!(stdout.starts_with("imported "), "{stdout}");

    // On a terminal: the counter is drawn on stderr.
    let size = Winsize {
        ws_row: 24,
        ws_col: 120,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    let pty = openpty(Some(&size), None).expect("openpty");
    let slave: OwnedFd = pty.slave;
    let child = import(
        dir.path(),
        &saved,
        "terminal.sqlite",
        Stdio::from(slave.try_clone().unwrap()),
    );
    drop(slave);
    let mut master = std::fs::File::from(pty.master);
    let reader = std::thread::spawn(move || {
        let mut drawn = Vec::new();
        let mut buf = [0u8; 4096];
        // Reading ends with EIO once the child, the last holder of the slave, has exited.
        while let Ok(n) = master.read(&mut buf) {
            if n == 0 {
                break;
            }
            drawn.extend_from_slice(&buf[..n]);
        }
        drawn
    });
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let drawn = String::from_utf8_lossy(&reader.join().unwrap()).into_owned();
    assert!(drawn.contains("import: "), "{drawn:?}");
    assert!(drawn.contains(" entries, storing "), "{drawn:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.starts_with("imported "), "{stdout}");
}
