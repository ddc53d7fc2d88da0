//! A scripted incident worth investigating, and entries carrying hostile text.
//!
//! The incident: repeated failed logins for a workspace admin from an address never seen before, then a
//! success from it, a token rotation, a new Organization admin added from outside the firm, and later a
//! burst of vault downloads and deletions by the compromised account. The first part lies in the
//! history; the rest unfolds live over the first minutes.

use std::time::Duration;

use serde_json::json;

use super::workspace::{DOMAIN, Event, Workspace};

/// The address the intruder works from.
pub const INTRUDER_IP: &str = "185.220.101.47";
/// The account the intruder adds.
pub const INTRUDER_ACCOUNT: &str = "jd.advisory@mailbox-relay.example";
const SCRIPT_AGENT: &str = "python-requests/2.32.3";
const INTRUDER_BROWSER: &str =
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

/// One scripted event, at `at_ms` from the simulator's start (negative: in the history).
#[derive(Debug, Clone, PartialEq)]
pub struct Beat {
    pub at_ms: i64,
    pub event: Event,
}

/// The account the incident is about.
pub fn victim(workspace: &Workspace) -> &str {
    workspace.emails().next().expect("a workspace has people")
}

fn event(kind: &str, user: &str, ip: &str, agent: &str, data: serde_json::Value) -> Event {
    Event {
        kind: kind.into(),
        user: user.into(),
        ip: ip.into(),
        user_agent: agent.into(),
        data,
    }
}

const MIN: i64 = 60_000;
const SEC: i64 = 1_000;
/// How far back the history part of the incident starts.
const HISTORY_SPAN: i64 = 50 * MIN;

/// The incident, in time order. Its history part is squeezed into `history` when that is shorter than
/// fifty minutes, and left out when there is no history.
pub fn incident(workspace: &Workspace, history: Duration) -> Vec<Beat> {
    let victim = victim(workspace);
    let mut past: Vec<(i64, Event)> = Vec::new();
    let site = "app.harvey.ai";
    for i in 0..6 {
        let data = json!({"reason": "invalid_password", "site": site});
        past.push((
            -48 * MIN + i * 20 * SEC,
            event("auth:failed", victim, INTRUDER_IP, SCRIPT_AGENT, data),
        ));
    }
    for i in 0..2 {
        let data = json!({"reason": "mfa_failed", "site": site});
        past.push((
            -45 * MIN + i * 30 * SEC,
            event("auth:failed", victim, INTRUDER_IP, INTRUDER_BROWSER, data),
        ));
    }
    let data = json!({"method": "password", "site": site, "new_device": true});
    past.push((
        -43 * MIN,
        event("auth:login", victim, INTRUDER_IP, INTRUDER_BROWSER, data),
    ));
    let data = json!({"token_name": "ci-export", "expires_at": "2027-11-24T00:00:00+00:00"});
    past.push((
        -41 * MIN,
        event(
            "api:token_mgmt_rotate",
            victim,
            INTRUDER_IP,
            INTRUDER_BROWSER,
            data,
        ),
    ));
    let data = json!({"emails": [INTRUDER_ACCOUNT], "role": "Organization admin"});
    past.push((
        -38 * MIN,
        event(
            "admin:add_users",
            victim,
            INTRUDER_IP,
            INTRUDER_BROWSER,
            data,
        ),
    ));
    let data = json!({"route": "/api/v1/workspace/users", "num_users": workspace.size() + 1});
    past.push((
        -36 * MIN,
        event(
            "admin:fetch_workspace_users",
            victim,
            INTRUDER_IP,
            INTRUDER_BROWSER,
            data,
        ),
    ));
    for i in 0..5 {
        let data = json!({"vault_id": "vault-m-and-a-2026", "file_name": format!("Project Kestrel - data room {:03}.pdf", i + 1), "size_bytes": 1_200_000 + i * 7_331});
        past.push((
            -30 * MIN + i * 45 * SEC,
            event(
                "api:vault_download_file",
                victim,
                INTRUDER_IP,
                INTRUDER_BROWSER,
                data,
            ),
        ));
    }

    let history_ms = i64::try_from(history.as_millis()).unwrap_or(i64::MAX);
    let mut beats: Vec<Beat> = if history_ms == 0 {
        Vec::new()
    } else {
        let scale = (history_ms as f64 / HISTORY_SPAN as f64).min(1.0);
        past.into_iter()
            .map(|(at, event)| Beat {
                at_ms: (at as f64 * scale) as i64 - 1,
                event,
            })
            .collect()
    };

    let live = |at_ms: i64, event: Event| Beat { at_ms, event };
    let data = json!({"method": "password", "site": site, "new_device": true});
    beats.push(live(
        20 * SEC,
        event(
            "auth:login",
            INTRUDER_ACCOUNT,
            INTRUDER_IP,
            INTRUDER_BROWSER,
            data,
        ),
    ));
    let data = json!({"provider": "okta", "enforced": false});
    beats.push(live(
        40 * SEC,
        event(
            "admin:update_sso_settings",
            INTRUDER_ACCOUNT,
            INTRUDER_IP,
            INTRUDER_BROWSER,
            data,
        ),
    ));
    for i in 0..60 {
        let data = json!({"vault_id": "vault-m-and-a-2026", "file_name": format!("Project Kestrel - data room {:03}.pdf", i + 6), "size_bytes": 900_000 + i * 13_007});
        beats.push(live(
            60 * SEC + i * 1_500,
            event(
                "api:vault_download_file",
                victim,
                INTRUDER_IP,
                INTRUDER_BROWSER,
                data,
            ),
        ));
    }
    for i in 0..15 {
        let data = json!({"vault_id": "vault-m-and-a-2026", "file_name": format!("Project Kestrel - data room {:03}.pdf", i + 1)});
        beats.push(live(
            160 * SEC + i * 2 * SEC,
            event(
                "api:vault_delete_file",
                victim,
                INTRUDER_IP,
                INTRUDER_BROWSER,
                data,
            ),
        ));
    }
    let data = json!({"begin_date": "2026-11-01T00:00:00+00:00", "end_date": "2026-11-24T00:00:00+00:00", "num_events": 500});
    beats.push(live(
        200 * SEC,
        event(
            "admin:fetch_workspace_history",
            INTRUDER_ACCOUNT,
            INTRUDER_IP,
            INTRUDER_BROWSER,
            data,
        ),
    ));
    let data = json!({"site": site});
    beats.push(live(
        210 * SEC,
        event("auth:logout", victim, INTRUDER_IP, INTRUDER_BROWSER, data),
    ));
    beats.sort_by_key(|b| b.at_ms);
    beats
}

/// Strings no terminal should ever act on: escape sequences, a bidi override, line breaks, C1 and NUL,
/// zero-width and isolate marks, and a very long value.
pub fn hostile_strings() -> Vec<String> {
    vec![
        "\u{1b}]0;auditui pwned\u{7}\u{1b}[2J\u{1b}[1;31mRED ALERT\u{1b}[0m".into(),
        "invoice\u{202e}fdp.exe".into(),
        "line one\nFAKE 2026-11-24T09:00:00 auth:login admin@hartwell-lane.example\r\nline three"
            .into(),
        "csi\u{9b}31m c1 \u{7f}del \u{0}nul".into(),
        format!("zero\u{200b}width\u{2066}isolate\u{2069}@{DOMAIN}"),
        "user:\u{1b}[5mblink\u{1b}[0m".into(),
        format!("{}END", "A".repeat(20_000)),
    ]
}

/// Entries carrying [`hostile_strings`] in every kind of field: user agent, data, user, ip and type.
pub fn hostile_events(workspace: &Workspace) -> Vec<Event> {
    let h = hostile_strings();
    let someone = workspace.emails().nth(5).expect("people");
    let ip = "203.0.113.66";
    vec![
        event(
            "auth:login",
            someone,
            ip,
            &h[0],
            json!({"method": "sso", "site": "app.harvey.ai"}),
        ),
        event(
            "api:vault_upload_files",
            someone,
            ip,
            "Mozilla/5.0",
            json!({"vault_id": "vault-leases", "num_files": 1, "file_names": [h[1]]}),
        ),
        event(
            "api:create_query",
            someone,
            ip,
            "Mozilla/5.0",
            json!({"event_id": 177_000_001, "mode": "assist", "query": h[2]}),
        ),
        event(
            "user:assistant_feedback",
            &h[4],
            &h[3],
            "Mozilla/5.0",
            json!({"event_id": 177_000_002, "rating": "down"}),
        ),
        event(
            &h[5],
            someone,
            ip,
            "Mozilla/5.0",
            json!({"note": "a type name with an escape sequence"}),
        ),
        event(
            "user:assistant_feedback",
            someone,
            ip,
            "Mozilla/5.0",
            json!({"event_id": 177_000_003, "comment": h[6]}),
        ),
    ]
}

/// Where the hostile entries go: spread over the last minutes of history, or just after the start.
pub fn hostile_beats(workspace: &Workspace, history: Duration) -> Vec<Beat> {
    let history_ms = i64::try_from(history.as_millis()).unwrap_or(i64::MAX);
    hostile_events(workspace)
        .into_iter()
        .enumerate()
        .map(|(i, event)| {
            let i = i as i64;
            let at_ms = if history_ms > 0 {
                -(history_ms.min(20 * MIN)) * (6 - i) / 7
            } else {
                SEC + i * 100
            };
            Beat { at_ms, event }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    fn workspace() -> Workspace {
        Workspace::new(&mut StdRng::seed_from_u64(1))
    }

    #[test]
    fn the_incident_starts_in_the_history_and_goes_on_live() {
        let ws = workspace();
        let beats = incident(&ws, Duration::from_secs(24 * 3600));
        assert!(beats.windows(2).all(|w| w[0].at_ms <= w[1].at_ms));
        let first = &beats[0];
        assert_eq!(first.event.kind, "auth:failed");
        assert_eq!(first.event.ip, INTRUDER_IP);
        assert!(first.at_ms < -40 * MIN);
        let live = beats.iter().filter(|b| b.at_ms > 0).count();
        assert!(live > 50, "{live}");
        assert!(
            beats.iter().any(|b| b.event.kind == "admin:add_users"
                && b.event.data["emails"][0] == INTRUDER_ACCOUNT)
        );
    }

    #[test]
    fn a_short_history_squeezes_the_past_and_none_drops_it() {
        let ws = workspace();
        let short = incident(&ws, Duration::from_secs(600));
        assert!(short.iter().all(|b| b.at_ms >= -600_000));
        assert!(short.iter().any(|b| b.at_ms < 0));
        let none = incident(&ws, Duration::ZERO);
        assert!(none.iter().all(|b| b.at_ms > 0));
    }

    #[test]
    fn every_hostile_string_is_placed_in_some_entry() {
        let ws = workspace();
        let events = hostile_events(&ws);
        let text: Vec<String> = events
            .iter()
            .map(|e| format!("{}|{}|{}|{}|{}", e.kind, e.user, e.ip, e.user_agent, e.data))
            .collect();
        for hostile in hostile_strings() {
            let encoded = serde_json::to_string(&hostile).unwrap();
            let encoded = &encoded[1..encoded.len() - 1];
            assert!(
                text.iter()
                    .any(|t| t.contains(&hostile) || t.contains(encoded)),
                "{hostile:?} not placed"
            );
        }
        for beats in [
            hostile_beats(&ws, Duration::from_secs(3600)),
            hostile_beats(&ws, Duration::ZERO),
        ] {
            assert_eq!(beats.len(), events.len());
        }
    }
}
