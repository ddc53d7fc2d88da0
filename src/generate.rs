//! Realistic audit entries for benchmarks, demos and end-to-end tests: thousands of users with a skewed
//! share of the activity, dozens of types, a few hundred IPs, ids that are UUIDv7s whose times agree with
//! the timestamps only roughly, and files that vary the way real ones do (key order, spacing, escapes,
//! unknown fields, timestamp spellings, the odd malformed line).

use std::io::{self, Write};

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};

use crate::timestamp::UnixNanos;

const FIRST: &[&str] = &[
    "alice", "bob", "carol", "dave", "eve", "frank", "grace", "heidi", "ivan", "judy", "mallory",
    "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "yasmin", "zoe",
    "amir", "bea", "chen", "dmitri", "elena", "farid", "gita", "hana", "ines",
];
const LAST: &[&str] = &[
    "smith",
    "jones",
    "garcia",
    "muller",
    "rossi",
    "dubois",
    "kim",
    "nguyen",
    "okafor",
    "silva",
    "tanaka",
    "kowalski",
    "larsen",
    "ahmed",
    "cohen",
    "novak",
    "ivanova",
    "oconnor",
    "haddad",
    "lindqvist",
];
const DOMAINS: &[&str] = &[
    "lawfirm.example",
    "counsel.example.com",
    "partners.example.org",
    "legal.example.co.uk",
];
const TYPES: &[&str] = &[
    "auth:login",
    "auth:logout",
    "auth:failed",
    "auth:mfa_challenge",
    "auth:sso_login",
    "auth:password_reset",
    "api:audit_log_fetch",
    "api:create_query",
    "api:token_mgmt_rotate",
    "api:token_mgmt_create",
    "api:vault_upload_files",
    "api:vault_delete_file",
    "api:vault_list_files",
    "api:assistant_query",
    "api:workflow_run",
    "admin:add_users",
    "admin:remove_users",
    "admin:fetch_workspace_users",
    "admin:fetch_workspace_history",
    "admin:client_view_workspace_history_item",
    "admin:update_permissions",
    "admin:update_sso_config",
    "admin:export_history",
    "user:word_add_in_docx_drafting",
    "user:outlook_add_in_ask",
    "user:assistant_ask",
    "user:assistant_draft",
    "user:vault_create_project",
    "user:vault_share_project",
    "user:vault_upload_files",
    "user:vault_review_table",
    "user:knowledge_search",
    "user:translate_document",
    "user:compare_documents",
    "user:redline_document",
    "user:export_answer",
    "user:feedback_submit",
    "user:library_view_item",
    "user:workflow_start",
    "user:share_thread",
];
const USER_AGENTS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Word 16.0.18129; Pro)",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.18129; Pro)",
    "python-requests/2.32.3",
    "python-httpx/0.27.2",
    "curl/8.7.1",
    "Go-http-client/2.0",
    "auditui/0.1.0",
    "PostmanRuntime/7.42.0",
    "okhttp/4.12.0",
    "Splunk-HEC/9.3",
];
const SITES: &[&str] = &["us", "eu", "au", "uk"];
const ROUTES: &[&str] = &[
    "/api/v1/logs/audit",
    "/api/v1/logs/audit/latest",
    "/api/v1/logs/audit/search",
    "/api/v2/assistant/query",
    "/api/v1/vault/files",
    "/api/v1/workflows/run",
];
const DOCS: &[&str] = &[
    "Share Purchase Agreement",
    "NDA - Project Falcon",
    "Board minutes Q3",
    "Lease (Berlin office)",
    "Due diligence report",
    "Employment contract",
    "Merger memo",
];

/// A fixed population of users, IPs and agents, and a random stream of entries drawn from it.
pub struct Generator {
    rng: StdRng,
    users: Vec<String>,
    ips: Vec<String>,
    /// Current stream time (id time), nanoseconds.
    now: UnixNanos,
    /// Mean gap between entries, nanoseconds.
    gap: f64,
    written: u64,
    last_id: u128,
}

impl Generator {
    /// `count` entries over `span_hours` hours ending at `end`, from `seed`.
    pub fn new(seed: u64, count: u64, span_hours: u64, end: UnixNanos) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let users = (0..4000)
            .map(|i| {
                format!(
                    "{}.{}{}@{}",
                    FIRST[rng.random_range(0..FIRST.len())],
                    LAST[rng.random_range(0..LAST.len())],
                    if i < 600 {
                        String::new()
                    } else {
                        (i % 97).to_string()
                    },
                    DOMAINS[rng.random_range(0..DOMAINS.len())]
                )
            })
            .collect();
        let ips = (0..320)
            .map(|i| match i % 10 {
                0 => format!(
                    "2001:db8:{:x}:{:x}::{:x}",
                    rng.random_range(0..0xffff),
                    rng.random_range(0..0xff),
                    rng.random_range(1..0xfff)
                ),
                1..=3 => format!(
                    "10.{}.{}.{}",
                    rng.random_range(0..255),
                    rng.random_range(0..255),
                    rng.random_range(1..255)
                ),
                _ => format!(
                    "{}.{}.{}.{}",
                    rng.random_range(11..223),
                    rng.random_range(0..255),
                    rng.random_range(0..255),
                    rng.random_range(1..255)
                ),
            })
            .collect();
        let span = span_hours as f64 * 3600e9;
        let gap = span / count.max(1) as f64;
        Generator {
            rng,
            users,
            ips,
            now: end - span as i64,
            gap,
            written: 0,
            last_id: 0,
        }
    }

    /// Skewed choice: a few values get most of the activity.
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.skewed(items.len())]
    }

    fn skewed(&mut self, len: usize) -> usize {
        let u: f64 = self.rng.random();
        ((u * u * u) * len as f64) as usize % len
    }

    /// The next entry as one JSON line (without the newline).
    pub fn next_line(&mut self) -> String {
        self.written += 1;
        let step = -self.gap * (1.0 - self.rng.random::<f64>()).ln();
        self.now += step.max(1.0) as i64;
        let id_ms = self.now / 1_000_000;
        // Timestamps agree with id times to a few milliseconds, and once in a while by seconds.
        let skew_ms = if self.rng.random_bool(0.01) {
            self.rng.random_range(-3000..3000)
        } else {
            self.rng.random_range(-4..5)
        };
        let ts = (id_ms + skew_ms) * 1_000_000 + self.rng.random_range(0..1000) * 1000;
        let id = ((id_ms as u128) << 80)
            | (0x7 << 76)
            | (u128::from(self.rng.random::<u16>() & 0x0fff) << 64)
            | (0b10 << 62)
            | u128::from(self.rng.random::<u64>() >> 2);
        // Within one millisecond, ids still ascend (as a v7 generator's counter makes them).
        let id = if id <= self.last_id {
            self.last_id + 1
        } else {
            id
        };
        self.last_id = id;
        let id = uuid::Uuid::from_u128(id).to_string();
        let kind = *self.pick(TYPES);
        let (user, ip, ua) = if kind == "api:audit_log_fetch" {
            (
                "svc-audit@lawfirm.example".to_string(),
                "10.20.30.40".to_string(),
                "auditui/0.1.0",
            )
        } else {
            let (u, i) = (self.skewed(self.users.len()), self.skewed(self.ips.len()));
            let (user, ip) = (self.users[u].clone(), self.ips[i].clone());
            (user, ip, *self.pick(USER_AGENTS))
        };
        let data = self.data(kind, ts);
        let mut ts_text = chrono::DateTime::from_timestamp_nanos(ts)
            .format("%Y-%m-%dT%H:%M:%S%.6f")
            .to_string();
        match self.rng.random_range(0..1000) {
            0..=4 => ts_text.push('Z'),
            5..=6 => ts_text.push_str("+00:00"),
            7 => ts_text.truncate(23),
            _ => {}
        }
        let escape = self.rng.random_bool(0.01);
        let q = |s: &str| {
            let mut text = serde_json::to_string(s).unwrap_or_default();
            if escape {
                text = text.replace('/', "\\/").replace('@', "\\u0040");
            }
            text
        };
        let mut fields = vec![
            ("data", data),
            ("id", q(&id)),
            ("ip", q(&ip)),
            ("timestamp", q(&ts_text)),
            ("type", q(kind)),
            ("user", q(&user)),
            ("user_agent", q(ua)),
        ];
        if self.rng.random_bool(0.02) {
            fields.push((
                "request_id",
                q(&format!("req_{:016x}", self.rng.random::<u64>())),
            ));
        }
        if self.rng.random_bool(0.1) {
            fields.shuffle(&mut self.rng);
        }
        let (sep, colon) = match self.rng.random_range(0..10) {
            0..=5 => (", ", ": "),
            6..=8 => (",", ":"),
            _ => (" ,  ", " :\t"),
        };
        let mut line = String::with_capacity(400);
        line.push('{');
        for (i, (key, value)) in fields.iter().enumerate() {
            if i > 0 {
                line.push_str(sep);
            }
            line.push('"');
            line.push_str(key);
            line.push('"');
            line.push_str(colon);
            line.push_str(value);
        }
        line.push('}');
        if self.written % 250_000 == 1000 {
            line.truncate(line.len() / 2);
        }
        line
    }

    fn data(&mut self, kind: &str, ts: UnixNanos) -> String {
        let rng = &mut self.rng;
        let site = SITES[rng.random_range(0..SITES.len())];
        let day = |t: UnixNanos| {
            chrono::DateTime::from_timestamp_nanos(t)
                .format("%Y-%m-%d")
                .to_string()
        };
        let value = if kind.starts_with("auth:") {
            let method = ["sso", "password", "saml"][rng.random_range(0..3)];
            serde_json::json!({"site": site, "method": method})
        } else if kind == "api:audit_log_fetch" {
            serde_json::json!({"route": ROUTES[rng.random_range(0..3)], "take": 1000})
        } else if kind.contains("vault") || kind.contains("document") {
            serde_json::json!({
                "file_name": format!(
                    "{} v{}.docx",
                    DOCS[rng.random_range(0..DOCS.len())],
                    rng.random_range(1..9)
                ),
                "size": rng.random_range(1000..5_000_000),
            })
        } else if kind.starts_with("admin:") {
            serde_json::json!({
                "event_id": rng.random_range(10_000..99_999),
                "begin_date": day(ts - 86_400_000_000_000 * 7),
                "end_date": day(ts),
                "num_events": rng.random_range(1..500),
            })
        } else {
            serde_json::json!({"route": ROUTES[rng.random_range(3..ROUTES.len())], "site": site, "thread_id": rng.random_range(1..100_000)})
        };
        let text = value.to_string();
        if rng.random_bool(0.01) {
            text.replace("docx", "d\\u00f6cx")
        } else {
            text
        }
    }

    /// Writes `count` lines.
    pub fn write_lines(&mut self, out: &mut impl Write, count: u64) -> io::Result<()> {
        for _ in 0..count {
            out.write_all(self.next_line().as_bytes())?;
            out.write_all(b"\n")?;
        }
        Ok(())
    }
}

/// The end of the benchmark sets' time span: 2026-11-24T00:00:00Z.
pub const BENCH_END: UnixNanos = 1_795_478_400_000_000_000;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::Entry;

    #[test]
    fn lines_parse_vary_and_include_a_malformed_one() {
        let mut generator = Generator::new(7, 2000, 24, BENCH_END);
        let lines: Vec<String> = (0..2000).map(|_| generator.next_line()).collect();
        let parsed: Vec<_> = lines.iter().map(|l| Entry::parse(l)).collect();
        assert_eq!(parsed.iter().filter(|p| p.is_err()).count(), 1);
        let entries: Vec<&Entry> = parsed.iter().filter_map(|p| p.as_ref().ok()).collect();
        for w in entries.windows(2) {
            assert!(w[0].id < w[1].id, "{} then {}", w[0].id, w[1].id);
        }
        assert!(lines.iter().any(|l| l.contains("\\u0040")));
        assert!(lines.iter().any(|l| l.contains("\"request_id\"")));
        assert!(lines.iter().any(|l| !l.starts_with("{\"data\"")));
        assert!(lines.iter().any(|l| l.contains(" :\t")));
        let users: std::collections::HashSet<&str> =
            entries.iter().map(|e| e.user.as_str()).collect();
        assert!(users.len() > 300, "{}", users.len());
    }
}
