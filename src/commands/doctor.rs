//! `auditui doctor`: is the host reachable, is the token accepted, may it read audit logs? One verdict per
//! check, with what to do next when it fails.

use std::fmt::Write;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use crate::cli::Cli;
use crate::client::backoff::{self, Backoff};
use crate::client::{ApiError, Client, ClientOptions, ServerDate};
use crate::config;
use crate::entry::Batch;
use crate::sanitize::{clean, clean_truncated};
use crate::timestamp::UnixNanos;

/// How a check came out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Pass(String),
    /// What went wrong, and what to do about it.
    Fail {
        problem: String,
        next: String,
    },
    /// Not run, because an earlier check failed.
    Skipped(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub name: &'static str,
    pub verdict: Verdict,
}

impl Check {
    fn pass(name: &'static str, text: impl Into<String>) -> Check {
        Check {
            name,
            verdict: Verdict::Pass(text.into()),
        }
    }

    fn fail(name: &'static str, problem: impl Into<String>, next: impl Into<String>) -> Check {
        Check {
            name,
            verdict: Verdict::Fail {
                problem: problem.into(),
                next: next.into(),
            },
        }
    }

    fn skipped(name: &'static str, why: &str) -> Check {
        Check {
            name,
            verdict: Verdict::Skipped(why.into()),
        }
    }
}

const CONFIG: &str = "configuration";
const HOST: &str = "host reachable";
const CLOCK: &str = "clock";
const TOKEN: &str = "token accepted";
const AUDIT: &str = "audit-log access";

/// How many times a transient failure (429, 5xx, network, timeout) is tried before it counts.
const ATTEMPTS: u32 = 3;

pub async fn run(cli: &Cli) -> anyhow::Result<ExitCode> {
    crate::logging::init(cli.log_file.as_deref());
    let checks = match config::resolve(&cli.api) {
        Err(err) => vec![
            Check::fail(
                CONFIG,
                err.to_string(),
                "fix the configuration and run doctor again",
            ),
            Check::skipped(HOST, "needs a configuration"),
            Check::skipped(CLOCK, "needs a configuration"),
            Check::skipped(TOKEN, "needs a configuration"),
            Check::skipped(AUDIT, "needs a configuration"),
        ],
        Ok(connection) => {
            let mut checks = vec![Check::pass(
                CONFIG,
                format!(
                    "base URL {}, token from {}",
                    connection.base_url,
                    token_source(&cli.api)
                ),
            )];
            let mut options = ClientOptions::from_connection(&connection);
            options.timeout = Duration::from_secs(15);
            match Client::new(options) {
                Ok(client) => checks.extend(check_api(&client).await),
                Err(err) => checks.push(Check::fail(
                    CONFIG,
                    err.to_string(),
                    "fix the configuration",
                )),
            }
            checks
        }
    };
    print!("{}", report(&checks));
    let failed = checks
        .iter()
        .any(|c| matches!(c.verdict, Verdict::Fail { .. }));
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Where the token came from, in the order `config::resolve` looks.
fn token_source(api: &crate::cli::ApiArgs) -> String {
    let from_env = std::env::var(config::TOKEN_ENV).is_ok_and(|v| !v.trim().is_empty());
    match &api.token_file {
        Some(path) => format!(
            "--token-file {}",
            clean_truncated(&path.display().to_string(), 80)
        ),
        None if from_env => config::TOKEN_ENV.to_owned(),
        None => "the token_file of the config file".to_owned(),
    }
}

async fn with_retries<T, F, Fut>(call: F) -> Result<T, ApiError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, ApiError>>,
{
    let mut policy = Backoff::new(
        Duration::from_secs(1),
        Duration::from_secs(10),
        backoff::Jitter::Decorrelated,
    );
    policy.max_retry_after = Duration::from_secs(30);
    backoff::retry(
        ATTEMPTS,
        &mut policy,
        |err, wait| {
            eprintln!(
                "  ({}; trying again in {:.1} s)",
                clean(&err.to_string()),
                wait.as_secs_f64()
            )
        },
        call,
    )
    .await
}

/// The host, token and permission checks against a client.
pub async fn check_api(client: &Client) -> Vec<Check> {
    let mut checks = Vec::new();
    let started = Instant::now();
    let whoami = with_retries(|| client.whoami()).await;
    let elapsed = started.elapsed();
    match &whoami {
        Err(err @ (ApiError::Network(_) | ApiError::Timeout)) => {
            checks.push(Check::fail(
                HOST,
                match err {
                    ApiError::Network(cause) => {
                        format!("{} did not answer: {cause}", client.base_url())
                    }
                    _ => format!("{} did not answer in time", client.base_url()),
                },
                "check the network, a proxy or VPN, and the --region or --base-url",
            ));
            checks.push(Check::skipped(CLOCK, "needs the host"));
            checks.push(Check::skipped(TOKEN, "needs the host"));
            checks.push(Check::skipped(AUDIT, "needs the host"));
            return checks;
        }
        _ => {
            checks.push(Check::pass(
                HOST,
                format!(
                    "{} answered in {} ms",
                    client.base_url(),
                    elapsed.as_millis()
                ),
            ));
            checks.push(clock_check(client.last_server_date()));
        }
    }
    match whoami {
        Ok(fields) => checks.push(Check::pass(TOKEN, describe_user(&fields))),
        Err(ApiError::Unauthorized) => {
            checks.push(Check::fail(
                TOKEN,
                ApiError::Unauthorized.to_string(),
                "make a new token under workspace settings, API Tokens, and export HARVEY_API_TOKEN=... \
                 (or put it in a file only you can read and pass --token-file)",
            ));
            checks.push(Check::skipped(AUDIT, "needs an accepted token"));
            return checks;
        }
        Err(err) => checks.push(Check::fail(
            TOKEN,
            format!("whoami failed: {err}"),
            "try again later; if it persists, contact Harvey support",
        )),
    }
    checks.push(match with_retries(|| client.latest(None)).await {
        Ok(batch) => Check::pass(AUDIT, describe_latest(&batch)),
        Err(err @ ApiError::Forbidden) => Check::fail(
            AUDIT,
            err.to_string(),
            "make a token whose permission list includes the audit logs, as a Territory admin or Organization admin",
        ),
        Err(err @ ApiError::Unauthorized) => Check::fail(
            AUDIT,
            err.to_string(),
            "check HARVEY_API_TOKEN or --token-file",
        ),
        Err(err) => Check::fail(
            AUDIT,
            format!("/latest failed: {err}"),
            "try again in a minute (the rate limit is shared by the organisation)",
        ),
    });
    checks
}

/// How far apart the clocks may be before time windows (`--since`, `since:`) go noticeably wrong.
const CLOCK_TOLERANCE_SECS: f64 = 90.0;

/// Whether this machine's clock agrees with the server's: `--since 15m` and time windows are computed
/// from the local clock and matched against the server's timestamps.
fn clock_check(date: Option<ServerDate>) -> Check {
    let Some(date) = date else {
        return Check::skipped(CLOCK, "the server sent no Date header");
    };
    let ahead = date.local_ahead_secs();
    if ahead.abs() <= CLOCK_TOLERANCE_SECS {
        return Check::pass(
            CLOCK,
            format!("agrees with the server's (within {CLOCK_TOLERANCE_SECS:.0} s)"),
        );
    }
    let minutes = (ahead.abs() / 60.0).round();
    let direction = if ahead > 0.0 { "ahead of" } else { "behind" };
    Check::fail(
        CLOCK,
        format!("this machine's clock is about {minutes} min {direction} the server's"),
        "sync the clock (for example `timedatectl set-ntp true`): --since and time windows are computed from it",
    )
}

/// The fields whoami returned: names, and short sanitized values of the plain ones.
fn describe_user(fields: &serde_json::Map<String, serde_json::Value>) -> String {
    if fields.is_empty() {
        return "whoami answered with an empty object".into();
    }
    let shown: Vec<String> = fields
        .iter()
        .take(12)
        .map(|(key, value)| {
            let key = clean_truncated(key, 40);
            match value {
                serde_json::Value::String(s) => format!("{key}={}", clean_truncated(s, 60)),
                serde_json::Value::Number(n) => format!("{key}={n}"),
                serde_json::Value::Bool(b) => format!("{key}={b}"),
                _ => key.into_owned(),
            }
        })
        .collect();
    let more = fields.len().saturating_sub(12);
    let mut text = format!("service user: {}", shown.join(", "));
    if more > 0 {
        let _ = write!(text, " (+{more} more fields)");
    }
    text
}

fn describe_latest(batch: &Batch) -> String {
    let newest = batch.entries.iter().max_by_key(|e| e.id);
    match (newest, batch.rejected.is_empty()) {
        (Some(entry), _) => format!(
            "newest entry {} ({}, {})",
            entry.id,
            clean_truncated(&entry.kind, 60),
            format_time(entry.ts)
        ),
        (None, false) => "the newest entry could not be parsed, but access works".into(),
        (None, true) => "no entries yet, but access works".into(),
    }
}

fn format_time(ts: UnixNanos) -> String {
    chrono::DateTime::from_timestamp_nanos(ts)
        .format("%Y-%m-%d %H:%M:%S UTC")
        .to_string()
}

/// The verdicts as the user reads them.
pub fn report(checks: &[Check]) -> String {
    let mut out = String::new();
    // Verdicts quote paths, config-file parse errors and server answers: the last word on safety is here.
    for check in checks {
        let _ = match &check.verdict {
            Verdict::Pass(text) => writeln!(out, "✓ {:<17} {}", check.name, clean(text)),
            Verdict::Fail { problem, next } => writeln!(
                out,
                "✗ {:<17} {}\n  {:<17} → {}",
                check.name,
                clean(problem),
                "",
                clean(next)
            ),
            Verdict::Skipped(why) => {
                writeln!(out, "- {:<17} skipped: {}", check.name, clean(why))
            }
        };
    }
    let failed = checks
        .iter()
        .filter(|c| matches!(c.verdict, Verdict::Fail { .. }))
        .count();
    let _ = if failed == 0 {
        writeln!(out, "All checks passed.")
    } else {
        writeln!(out, "{failed} check(s) failed.")
    };
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whoami_fields_that_echo_the_token_are_scrubbed() {
        let token = "hv_doctor_TOKEN_0123456789";
        crate::sanitize::register_secret(token);
        let fields: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&format!(
            r#"{{"name": "svc", "token": "{token}", "note": "Bearer {token}"}}"#
        ))
        .unwrap();
        let text = report(&[Check::pass(TOKEN, describe_user(&fields))]);
        assert!(!text.contains(token), "{text}");
        assert!(text.contains("token=<token>"), "{text}");
    }

    #[test]
    fn the_report_gives_a_verdict_per_check_and_what_to_do() {
        let checks = [
            Check::pass(HOST, "answered"),
            Check::fail(TOKEN, "token rejected (401)", "export HARVEY_API_TOKEN"),
            Check::skipped(AUDIT, "needs an accepted token"),
        ];
        let text = report(&checks);
        assert!(text.contains("✓ host reachable"), "{text}");
        assert!(text.contains("✗ token accepted"), "{text}");
        assert!(text.contains("→ export HARVEY_API_TOKEN"), "{text}");
        assert!(text.contains("- audit-log access"), "{text}");
        assert!(text.ends_with("1 check(s) failed.\n"), "{text}");
        assert!(report(&checks[..1]).ends_with("All checks passed.\n"));
    }

    #[test]
    fn the_report_shows_quoted_control_characters_as_escapes() {
        let checks = [
            Check::pass(HOST, "https://h\u{202e} answered"),
            Check::fail(
                CONFIG,
                "cannot read the token file /tmp/t\u{1b}[2J: denied",
                "fix \u{9b}31m it",
            ),
            Check::skipped(AUDIT, "needs\n\u{7}"),
        ];
        let text = report(&checks);
        assert!(text.contains("/tmp/t\\x1b[2J: denied"), "{text}");
        assert!(text.contains("https://h\\u{202e} answered"), "{text}");
        assert!(text.contains("→ fix \\x9b31m it"), "{text}");
        assert!(text.contains("skipped: needs\\n\\x07"), "{text}");
        assert!(
            !text.contains(['\u{1b}', '\u{9b}', '\u{7}', '\u{202e}']),
            "{text:?}"
        );
    }

    #[test]
    fn the_clock_check_tolerates_a_minute_and_a_half() {
        use std::time::SystemTime;
        let server = SystemTime::UNIX_EPOCH + Duration::from_secs(1_764_000_000);
        let at = |offset: i64| ServerDate {
            server,
            local: if offset >= 0 {
                server + Duration::from_secs(offset as u64)
            } else {
                server - Duration::from_secs(offset.unsigned_abs())
            },
        };
        let cases = [
            (0, "agrees"),
            (89, "agrees"),
            (-90, "agrees"),
            (600, "about 10 min ahead of"),
            (-3600, "about 60 min behind"),
        ];
        for (offset, text) in cases {
            let check = clock_check(Some(at(offset)));
            let shown = report(std::slice::from_ref(&check));
            assert!(shown.contains(text), "{offset}: {shown}");
        }
        assert!(matches!(clock_check(None).verdict, Verdict::Skipped(_)));
    }

    #[test]
    fn whoami_fields_are_shown_sanitized() {
        let fields = serde_json::json!({
            "email": "bot@x.example",
            "name": "evil\u{1b}[2J",
            "roles": ["a"],
            "id": 7,
        });
        let text = describe_user(fields.as_object().unwrap());
        assert!(text.contains("email=bot@x.example"), "{text}");
        assert!(text.contains("name=evil\\x1b[2J"), "{text}");
        assert!(text.contains("roles"), "{text}");
        assert!(text.contains("id=7"), "{text}");
        assert!(!text.contains('\u{1b}'));
    }
}
