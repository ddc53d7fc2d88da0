//! Entries as Elastic Common Schema 8.x documents (<https://www.elastic.co/guide/en/ecs/8.11>).
//!
//! [`RULES`] gives each known entry type its `event.category`, `event.type` and `event.outcome` (values
//! from ECS's allowed lists only: an ingest pipeline may refuse others). Fields ECS has no place for go
//! under `harvey.audit` (custom fields under the source's own name, as ECS asks), and the entry as
//! received is `event.original`.

use serde_json::{Map, Value, json};

use super::{unmapped_fields, valid_ip};
use crate::export::{Row, format_utc};

/// The ECS version the documents follow.
pub const ECS_VERSION: &str = "8.11.0";

/// `event.dataset`: where the documents come from.
pub const DATASET: &str = "harvey.audit";

/// How one entry type maps.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub kind: &'static str,
    pub category: &'static [&'static str],
    pub event_type: &'static [&'static str],
    /// "success", "failure" or "unknown".
    pub outcome: &'static str,
}

const fn rule(
    kind: &'static str,
    category: &'static [&'static str],
    event_type: &'static [&'static str],
    outcome: &'static str,
) -> Rule {
    Rule {
        kind,
        category,
        event_type,
        outcome,
    }
}

/// The mapping table (README "ECS mapping" repeats it).
pub const RULES: &[Rule] = &[
    rule(
        "auth:login",
        &["authentication", "session"],
        &["start"],
        "success",
    ),
    rule("auth:failed", &["authentication"], &["start"], "failure"),
    rule(
        "auth:logout",
        &["authentication", "session"],
        &["end"],
        "success",
    ),
    rule(
        "admin:add_users",
        &["iam"],
        &["user", "creation"],
        "unknown",
    ),
    rule(
        "admin:fetch_workspace_users",
        &["iam"],
        &["user", "info"],
        "unknown",
    ),
    rule(
        "api:token_mgmt_rotate",
        &["iam", "configuration"],
        &["change"],
        "unknown",
    ),
    rule("api:audit_log_fetch", &["web"], &["access"], "unknown"),
    rule(
        "api:vault_upload_files",
        &["file"],
        &["creation"],
        "unknown",
    ),
    rule("api:vault_download_file", &["file"], &["access"], "unknown"),
    rule("api:vault_get_metadata", &["file"], &["info"], "unknown"),
    rule("api:vault_list_projects", &["file"], &["info"], "unknown"),
    rule("api:vault_delete_file", &["file"], &["deletion"], "unknown"),
    rule(
        "api:vault_delete_project",
        &["file"],
        &["deletion"],
        "unknown",
    ),
    rule(
        "admin:update_sso_settings",
        &["configuration", "iam"],
        &["change"],
        "unknown",
    ),
];

/// What a type the table does not know becomes: an event, with nothing claimed about it.
const UNKNOWN: Rule = rule("", &[], &["info"], "unknown");

/// The rule for an entry type (the generic one for a type the table does not know).
pub fn rule_for(kind: &str) -> &'static Rule {
    RULES.iter().find(|r| r.kind == kind).unwrap_or(&UNKNOWN)
}

/// The ECS document for one entry (`raw`: its JSON text as received).
pub fn document(row: &Row<'_>, raw: &str) -> Value {
    let rule = rule_for(row.kind);
    let mut unmapped = unmapped_fields(raw);
    let mut doc = Map::new();
    doc.insert("@timestamp".into(), json!(format_utc(row.ts)));
    doc.insert("ecs".into(), json!({"version": ECS_VERSION}));
    let mut event = json!({
        "id": row.id.to_string(),
        "action": row.kind,
        "kind": "event",
        "type": rule.event_type,
        "outcome": rule.outcome,
        "dataset": DATASET,
        "module": "harvey",
        "provider": "harvey",
        "original": raw,
    });
    if !rule.category.is_empty() {
        event["category"] = json!(rule.category);
    }
    doc.insert("event".into(), event);
    if !row.user.is_empty() {
        doc.insert("user".into(), json!({"email": row.user, "name": row.user}));
    }
    match valid_ip(row.ip) {
        Some(ip) => {
            doc.insert("source".into(), json!({"ip": ip.to_string()}));
        }
        None if !row.ip.is_empty() => {
            unmapped.insert("ip".into(), json!(row.ip));
        }
        None => {}
    }
    if !row.user_agent.is_empty() {
        doc.insert("user_agent".into(), json!({"original": row.user_agent}));
    }
    doc.insert("harvey".into(), json!({"audit": unmapped}));
    Value::Object(doc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::tests::entry;

    /// ECS's required fields, then the ones this mapping promises for every entry.
    const REQUIRED: [&str; 2] = ["@timestamp", "ecs.version"];
    const PROMISED: [&str; 6] = [
        "event.action",
        "event.type",
        "event.outcome",
        "event.id",
        "event.dataset",
        "event.kind",
    ];
    /// ECS 8.11's allowed values.
    const CATEGORIES: [&str; 17] = [
        "api",
        "authentication",
        "configuration",
        "database",
        "driver",
        "email",
        "file",
        "host",
        "iam",
        "intrusion_detection",
        "malware",
        "network",
        "package",
        "process",
        "registry",
        "session",
        "web",
    ];
    const TYPES: [&str; 17] = [
        "access",
        "admin",
        "allowed",
        "change",
        "connection",
        "creation",
        "deletion",
        "denied",
        "end",
        "error",
        "group",
        "indicator",
        "info",
        "installation",
        "protocol",
        "start",
        "user",
    ];

    fn field<'v>(doc: &'v Value, dotted: &str) -> Option<&'v Value> {
        let (first, rest) = dotted.split_once('.').unwrap_or((dotted, ""));
        let top = doc.get(first)?;
        if rest.is_empty() {
            Some(top)
        } else {
            rest.split('.').try_fold(top, |v, key| v.get(key))
        }
    }

    #[test]
    fn every_rule_and_an_unknown_type_give_a_valid_document() {
        for kind in RULES.iter().map(|r| r.kind).chain(["user:new_thing"]) {
            let e = entry(kind, "{}");
            let doc = document(&e.row(), e.raw.get());
            for key in REQUIRED.iter().chain(&PROMISED) {
                assert!(field(&doc, key).is_some(), "{kind}: {key} in {doc}");
            }
            for c in doc["event"]["category"].as_array().into_iter().flatten() {
                assert!(CATEGORIES.contains(&c.as_str().unwrap()), "{kind}: {c}");
            }
            for t in doc["event"]["type"].as_array().unwrap() {
                assert!(TYPES.contains(&t.as_str().unwrap()), "{kind}: {t}");
            }
            assert!(
                ["success", "failure", "unknown"]
                    .contains(&doc["event"]["outcome"].as_str().unwrap())
            );
            let stamp = doc["@timestamp"].as_str().unwrap();
            assert!(
                chrono::DateTime::parse_from_rfc3339(stamp).is_ok(),
                "{stamp}"
            );
        }
    }

    #[test]
    fn the_columns_land_in_their_fields_and_nothing_is_lost() {
        let e = entry("auth:failed", r#"{"reason":"mfa_failed"}"#);
        let doc = document(&e.row(), e.raw.get());
        assert_eq!(doc["@timestamp"], "2025-02-11T16:08:44.324452Z");
        assert_eq!(doc["event"]["action"], "auth:failed");
        assert_eq!(doc["event"]["category"], json!(["authentication"]));
        assert_eq!(doc["event"]["outcome"], "failure");
        assert_eq!(doc["event"]["id"], "0194f5a3-7b2c-7def-8123-456789abcdef");
        assert_eq!(doc["event"]["dataset"], DATASET);
        assert_eq!(doc["user"]["email"], "ana@firm.example");
        assert_eq!(doc["source"]["ip"], "185.220.101.47");
        assert_eq!(doc["user_agent"]["original"], "Mozilla/5.0");
        assert_eq!(doc["event"]["original"], e.raw.get());
        assert_eq!(doc["harvey"]["audit"]["data"]["reason"], "mfa_failed");
        assert_eq!(doc["harvey"]["audit"]["extra"], 7);
    }
}
