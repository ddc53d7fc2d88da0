//! Fixed entries and a fixed clock, so screens drawn in tests are the same on every run.
#![allow(dead_code)]

use auditui::entry::Entry;
use auditui::timestamp::UnixNanos;

/// 2026-11-24T10:30:00Z: the tests' "now".
pub const NOW: UnixNanos = 1_795_516_200_000_000_000;

/// A UUIDv7 whose embedded time is `millis`, with `seq` in the random part so ids stay unique.
pub fn id(millis: i64, seq: u32) -> String {
    let hex = format!("{millis:012x}");
    format!("{}-{}-7000-8000-{:012x}", &hex[..8], &hex[8..12], seq)
}

/// One entry `minutes_ago` before [`NOW`].
pub fn entry(seq: u32, minutes_ago: i64, kind: &str, user: &str, ip: &str, data: &str) -> Entry {
    let ts = NOW - minutes_ago * 60_000_000_000 + i64::from(seq) * 1_000_000;
    let millis = ts / 1_000_000;
    let stamp = chrono::DateTime::from_timestamp_nanos(ts).format("%Y-%m-%dT%H:%M:%S%.6f");
    let json = serde_json::json!({
        "id": id(millis, seq),
        "timestamp": stamp.to_string(),
        "type": kind,
        "user": user,
        "ip": ip,
        "user_agent": "Mozilla/5.0 (X11; Linux x86_64)",
    });
    let mut text = json.to_string();
    text.truncate(text.len() - 1);
    text.push_str(&format!(",\"data\":{data}}}"));
    Entry::parse(&text).expect("fixture entries parse")
}

/// A small incident: logins, a burst of failures, admin activity, API calls, and one hostile entry.
pub fn incident() -> Vec<Entry> {
    vec![
        entry(
            1,
            50,
            "auth:login",
            "alice@example.com",
            "203.0.113.7",
            r#"{"site":"web"}"#,
        ),
        entry(
            2,
            45,
            "api:create_query",
            "alice@example.com",
            "203.0.113.7",
            r#"{"route":"/api/v1/query","num_events":3}"#,
        ),
        entry(
            3,
            40,
            "user:outlook_add_in_ask",
            "bob@example.com",
            "198.51.100.23",
            r#"{"event_id":"ev-19"}"#,
        ),
        entry(
            4,
            30,
            "auth:failed",
            "mallory@example.net",
            "192.0.2.66",
            r#"{"reason":"bad password"}"#,
        ),
        entry(
            5,
            29,
            "auth:failed",
            "mallory@example.net",
            "192.0.2.66",
            r#"{"reason":"bad password"}"#,
        ),
        entry(
            6,
            28,
            "auth:failed",
            "mallory@example.net",
            "192.0.2.66",
            r#"{"reason":"bad password"}"#,
        ),
        entry(
            7,
            20,
            "admin:add_users",
            "root@example.com",
            "10.0.0.5",
            r#"{"added":["eve@example.com"]}"#,
        ),
        entry(
            8,
            12,
            "api:vault_delete_file",
            "eve@example.com",
            "10.0.0.9",
            r#"{"file":"merger-plan.docx"}"#,
        ),
        entry(
            9,
            8,
            "admin:fetch_workspace_history",
            "root@example.com",
            "10.0.0.5",
            r#"{"begin_date":"2026-11-01","end_date":"2026-11-24"}"#,
        ),
        entry(10, 4, "auth:login", "eve@example.com", "10.0.0.9", "null"),
        entry(
            11,
            2,
            "api:token_mgmt_rotate",
            "svc-audit@example.com",
            "10.0.0.2",
            r#"{"note":"\u001b]0;pwned\u0007\u001b[2Jgotcha\u202etxt.exe"}"#,
        ),
        entry(
            12,
            1,
            "billing:plan_changed",
            "carol@example.com",
            "2001:db8::1",
            r#"{"plan":"enterprise"}"#,
        ),
    ]
}

/// A clipboard for loop tests that copy nothing: every copy is refused.
pub struct NoClipboard;

impl auditui::clipboard::Copier for NoClipboard {
    fn copy(
        &mut self,
        _text: &str,
    ) -> Result<auditui::clipboard::CopyMethod, auditui::clipboard::CopyError> {
        Err(auditui::clipboard::CopyError::Terminal(
            "not in this test".into(),
        ))
    }

    fn max_bytes(&self) -> Option<usize> {
        None
    }
}

/// `state` drawn on a test terminal the size of its screen.
pub fn screen(
    state: &auditui::app::state::State,
) -> ratatui::Terminal<ratatui::backend::TestBackend> {
    let area = state.screen.header.union(state.screen.status);
    let mut terminal =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(area.width, area.height))
            .unwrap();
    terminal
        .draw(|frame| auditui::ui::screen::render(state, frame))
        .unwrap();
    terminal
}

/// What a test terminal shows, one line per row (colours dropped).
pub fn text_of(terminal: &ratatui::Terminal<ratatui::backend::TestBackend>) -> String {
    let buffer = terminal.backend().buffer();
    buffer
        .content()
        .chunks(usize::from(buffer.area.width))
        .map(|row| row.iter().map(|c| c.symbol()).collect::<String>())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The whole screen of `state` as text, one line per row (colours dropped).
pub fn screen_text(state: &auditui::app::state::State) -> String {
    text_of(&screen(state))
}
