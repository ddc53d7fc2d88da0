//! `timeline.html` in a real headless Chromium (Debian's `chromium`; `.ci/run` installs it): the page
//! renders its timeline and chart offline, asks for nothing over the network and logs no script error.
//!
//! Every request Chromium makes goes through a counting proxy on loopback; the browser's own background
//! calls (component updates, sign-in, network time), which no flag fully silences, are told apart by
//! host. Console messages come from Chromium's log on stderr: the page holds no script, so any message
//! at all (an error, or a refusal by the page's Content-Security-Policy) fails the test. A control page
//! that fetches and throws shows that both checks can fail.

mod evidence_support;

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use evidence_support::{start_simulator, write_bundle};

const CHROMIUM: &str = "/usr/bin/chromium";
/// Hosts Chromium calls on its own, whatever the page holds.
const BROWSER_OWN: [&str; 6] = [
    "update.googleapis.com",
    "accounts.google.com",
    "clients2.google.com",
    "optimizationguide-pa.googleapis.com",
    "redirector.gvt1.com",
    "edgedl.me.gvt1.com",
];

/// One browser at a time: the machine is small and each run is heavy.
static BROWSER: Mutex<()> = Mutex::new(());

struct Visit {
    dom: String,
    /// Console messages from Chromium's log.
    console: Vec<String>,
    /// Request lines of the proxy's connections that the page caused.
    requests: Vec<String>,
}

/// Opens `page` headless; `extra` adds options (a screenshot instead of the DOM, for example).
fn open(page: &Path, extra: &[String]) -> Visit {
    assert!(
        Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does it)"
    );
    let _one = BROWSER.lock().unwrap_or_else(|e| e.into_inner());
    let proxy = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = proxy.local_addr().unwrap().port();
    proxy.set_nonblocking(true).unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let counter = {
        let (done, seen) = (done.clone(), seen.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::SeqCst) {
                match proxy.accept() {
                    Ok((mut stream, _)) => {
                        stream.set_nonblocking(false).unwrap();
                        stream
                            .set_read_timeout(Some(Duration::from_secs(2)))
                            .unwrap();
                        let mut head = [0u8; 512];
                        let n = stream.read(&mut head).unwrap_or(0);
                        let text = String::from_utf8_lossy(&head[..n]);
                        let line = text.lines().next().unwrap_or("<nothing sent>").to_owned();
                        seen.lock().unwrap().push(line);
                    }
                    // Accept polls until the browser has exited: the loop ends with it.
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        })
    };
    let profile = tempfile::tempdir().unwrap();
    let url = format!("file://{}", page.canonicalize().unwrap().display());
    let output = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--enable-logging=stderr",
            "--log-level=0",
            "--window-size=1280,1400",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--proxy-server=http://127.0.0.1:{port}"))
        .arg("--proxy-bypass-list=<-loopback>")
        .args(extra)
        .arg(&url)
        .output()
        .expect("chromium runs");
    done.store(true, Ordering::SeqCst);
    counter.join().unwrap();
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    let console = stderr
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_owned)
        .collect();
    let requests = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|line| !BROWSER_OWN.iter().any(|host| line.contains(host)))
        .cloned()
        .collect();
    Visit {
        dom: String::from_utf8_lossy(&output.stdout).into_owned(),
        console,
        requests,
    }
}

fn dump_dom() -> Vec<String> {
    vec!["--dump-dom".into()]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeline_html_renders_offline_with_no_request_and_no_script_error() {
    let sim = start_simulator().await;
    let dir = tempfile::tempdir().unwrap();
    let bundle = write_bundle(
        &sim,
        dir.path(),
        "incident",
        &["--since", "55m", "--case", "kestrel"],
    )
    .await;
    sim.shutdown().await;
    let page = bundle.join("timeline.html");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(bundle.join("manifest.json")).unwrap()).unwrap();
    let shown = manifest["timeline"]["shown"].as_u64().unwrap() as usize;
    assert!(
        shown > 100,
        "the window holds the incident and its background: {manifest:#}"
    );

    let visit = tokio::task::spawn_blocking(move || open(&page, &dump_dom()))
        .await
        .unwrap();
    assert!(
        visit.requests.is_empty(),
        "the page asked the network for {:?}",
        visit.requests
    );
    assert!(visit.console.is_empty(), "console: {:?}", visit.console);
    assert!(
        visit.dom.contains("<svg id=\"activity\""),
        "no chart in the DOM"
    );
    assert!(
        visit.dom.contains("<rect class=\"bar\""),
        "no bars in the chart"
    );
    assert_eq!(visit.dom.matches("<tr class=\"entry\">").count(), shown);
    assert!(visit.dom.contains("Evidence timeline: kestrel"));
    assert!(
        !visit.dom.contains("<script"),
        "a hostile entry became a script"
    );

    let shot = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("evidence-timeline.png");
    let _ = std::fs::remove_file(&shot);
    let page = bundle.join("timeline.html");
    let arg = format!("--screenshot={}", shot.display());
    let visit = tokio::task::spawn_blocking(move || open(&page, &[arg]))
        .await
        .unwrap();
    assert!(visit.requests.is_empty() && visit.console.is_empty());
    let png = std::fs::read(&shot).expect("a screenshot was written");
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 20_000,
        "{} bytes",
        png.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_checks_catch_a_page_that_fetches_or_throws() {
    let dir = tempfile::tempdir().unwrap();
    let fetches = dir.path().join("fetches.html");
    std::fs::write(
        &fetches,
        "<!DOCTYPE html><html><body><img src=\"http://203.0.113.9/pixel.png\"><script>throw new Error(\"boom\")</script></body></html>",
    )
    .unwrap();
    let refused = dir.path().join("refused.html");
    std::fs::write(
        &refused,
        "<!DOCTYPE html><html><head><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'\"></head><body><img src=\"pixel.png\"></body></html>",
    )
    .unwrap();
    let (fetching, refusing) = tokio::task::spawn_blocking(move || {
        (open(&fetches, &dump_dom()), open(&refused, &dump_dom()))
    })
    .await
    .unwrap();
    assert!(
        fetching.requests.iter().any(|r| r.contains("203.0.113.9")),
        "the proxy saw {:?}",
        fetching.requests
    );
    assert!(
        fetching
            .console
            .iter()
            .any(|l| l.contains("Uncaught Error: boom")),
        "{:?}",
        fetching.console
    );
    assert!(
        refusing
            .console
            .iter()
            .any(|l| l.contains("Content Security Policy")),
        "{:?}",
        refusing.console
    );
}
