//! Entries as OCSF 1.3 events (<https://schema.ocsf.io/1.3.0>).
//!
//! [`RULES`] says which class and activity each known entry type becomes; a type it does not name (the
//! API adds types at any time) becomes a Base Event whose `activity_name` is the type. Every event keeps
//! the entry as received in `raw_data` and the fields no attribute holds (`data`, undocumented fields,
//! an address that is not an IP) in `unmapped`.
//!
//! One entry can give more than one event: `admin:add_users` gives an Account Change (Create) for each
//! account it adds and, when the role given is an admin role, a User Access Management (Assign
//! Privileges) event for each as well.

use serde_json::{Map, Value, json};

use super::{data_text, millis, unmapped_fields, valid_ip};
use crate::export::{Row, format_utc};

/// The OCSF schema version the events follow.
pub const SCHEMA_VERSION: &str = "1.3.0";

/// An OCSF event class and its category.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Class {
    pub uid: u32,
    pub name: &'static str,
    pub category_uid: u32,
    pub category_name: &'static str,
}

const IAM: &str = "Identity & Access Management";
const APPLICATION: &str = "Application Activity";

pub const BASE_EVENT: Class = Class {
    uid: 0,
    name: "Base Event",
    category_uid: 0,
    category_name: "Uncategorized",
};
pub const ACCOUNT_CHANGE: Class = Class {
    uid: 3001,
    name: "Account Change",
    category_uid: 3,
    category_name: IAM,
};
pub const AUTHENTICATION: Class = Class {
    uid: 3002,
    name: "Authentication",
    category_uid: 3,
    category_name: IAM,
};
pub const USER_ACCESS_MANAGEMENT: Class = Class {
    uid: 3005,
    name: "User Access Management",
    category_uid: 3,
    category_name: IAM,
};
pub const API_ACTIVITY: Class = Class {
    uid: 6003,
    name: "API Activity",
    category_uid: 6,
    category_name: APPLICATION,
};
pub const FILE_HOSTING: Class = Class {
    uid: 6006,
    name: "File Hosting Activity",
    category_uid: 6,
    category_name: APPLICATION,
};

/// The outcome an entry type states by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failure,
}

/// How one entry type maps.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub kind: &'static str,
    pub class: Class,
    pub activity_id: u32,
    pub activity_name: &'static str,
    /// `status_id`, where the type says whether the action succeeded.
    pub outcome: Option<Outcome>,
    /// 1 Informational, 2 Low, 3 Medium.
    pub severity_id: u32,
}

const fn rule(
    kind: &'static str,
    class: Class,
    activity_id: u32,
    activity_name: &'static str,
    outcome: Option<Outcome>,
    severity_id: u32,
) -> Rule {
    Rule {
        kind,
        class,
        activity_id,
        activity_name,
        outcome,
        severity_id,
    }
}

/// The mapping table (README "OCSF mapping" repeats it).
pub const RULES: &[Rule] = &[
    rule(
        "auth:login",
        AUTHENTICATION,
        1,
        "Logon",
        Some(Outcome::Success),
        1,
    ),
    rule(
        "auth:failed",
        AUTHENTICATION,
        1,
        "Logon",
        Some(Outcome::Failure),
        2,
    ),
    rule(
        "auth:logout",
        AUTHENTICATION,
        2,
        "Logoff",
        Some(Outcome::Success),
        1,
    ),
    rule("admin:add_users", ACCOUNT_CHANGE, 1, "Create", None, 1),
    rule("api:token_mgmt_rotate", API_ACTIVITY, 3, "Update", None, 1),
    rule("api:audit_log_fetch", API_ACTIVITY, 2, "Read", None, 1),
    rule("api:vault_list_projects", API_ACTIVITY, 2, "Read", None, 1),
    rule("api:vault_get_metadata", API_ACTIVITY, 2, "Read", None, 1),
    rule("api:vault_upload_files", FILE_HOSTING, 1, "Upload", None, 1),
    rule(
        "api:vault_download_file",
        FILE_HOSTING,
        2,
        "Download",
        None,
        1,
    ),
    rule("api:vault_delete_file", FILE_HOSTING, 4, "Delete", None, 1),
    rule(
        "api:vault_delete_project",
        FILE_HOSTING,
        4,
        "Delete",
        None,
        1,
    ),
];

/// The privilege grant that goes with an admin:add_users entry whose role is an admin role.
pub const ASSIGN_PRIVILEGES: Rule = rule(
    "admin:add_users",
    USER_ACCESS_MANAGEMENT,
    1,
    "Assign Privileges",
    None,
    3,
);

/// What a type the table does not know becomes (its `activity_name` is then the type).
pub const GENERIC: Rule = rule("", BASE_EVENT, 99, "Other", None, 1);

/// The rule for an entry type; `None` for a type the table does not know.
pub fn rule_for(kind: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.kind == kind)
}

/// The OCSF events for one entry (`raw`: its JSON text as received).
pub fn events(row: &Row<'_>, raw: &str) -> Vec<Value> {
    let data: Value = serde_json::from_str(row.data).unwrap_or(Value::Null);
    let Some(rule) = rule_for(row.kind) else {
        let mut event = base(&GENERIC, row, raw);
        event.insert("activity_name".into(), json!(row.kind));
        event.insert(
            "type_name".into(),
            json!(format!("{}: {}", BASE_EVENT.name, row.kind)),
        );
        return vec![Value::Object(event)];
    };
    let class = rule.class;
    if class == ACCOUNT_CHANGE {
        return account_events(rule, row, raw, &data);
    }
    let mut event = base(rule, row, raw);
    if class == AUTHENTICATION {
        event.insert("user".into(), user_object(row.user));
    } else if class == API_ACTIVITY {
        let mut api = json!({"operation": row.kind, "service": {"name": "Harvey"}});
        if let Some(route) = data_text(&data, "route") {
            api["request"] = json!({"uid": route});
        }
        event.insert("api".into(), api);
    } else if class == FILE_HOSTING {
        event.insert("file".into(), file_object(&data));
    }
    vec![Value::Object(event)]
}

/// admin:add_users: one Account Change per account added, and a privilege grant for each when the
/// role is an admin role.
fn account_events(rule: &Rule, row: &Row<'_>, raw: &str, data: &Value) -> Vec<Value> {
    let mut added: Vec<String> = match data.get("emails") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => data_text(data, "email").into_iter().collect(),
    };
    if added.is_empty() {
        added.push(String::new());
    }
    let role = data_text(data, "role");
    let grants_admin = role
        .as_deref()
        .is_some_and(|r| r.to_ascii_lowercase().contains("admin"));
    let mut events = Vec::new();
    for account in &added {
        let mut event = base(rule, row, raw);
        event.insert("user".into(), user_object(account));
        events.push(Value::Object(event));
        if grants_admin {
            let mut grant = base(&ASSIGN_PRIVILEGES, row, raw);
            grant.insert("user".into(), user_object(account));
            grant.insert(
                "privileges".into(),
                json!([role.clone().unwrap_or_default()]),
            );
            events.push(Value::Object(grant));
        }
    }
    events
}

/// The attributes every event has.
fn base(rule: &Rule, row: &Row<'_>, raw: &str) -> Map<String, Value> {
    let class = rule.class;
    let mut unmapped = unmapped_fields(raw);
    let mut event = Map::new();
    let mut put = |key: &str, value: Value| {
        event.insert(key.to_owned(), value);
    };
    put("class_uid", json!(class.uid));
    put("class_name", json!(class.name));
    put("category_uid", json!(class.category_uid));
    put("category_name", json!(class.category_name));
    put("activity_id", json!(rule.activity_id));
    put("activity_name", json!(rule.activity_name));
    put("type_uid", json!(type_uid(class, rule.activity_id)));
    put(
        "type_name",
        json!(format!("{}: {}", class.name, rule.activity_name)),
    );
    put("time", json!(millis(row)));
    put("severity_id", json!(rule.severity_id));
    put("severity", json!(severity_name(rule.severity_id)));
    if let Some(outcome) = rule.outcome {
        let (id, name) = match outcome {
            Outcome::Success => (1, "Success"),
            Outcome::Failure => (2, "Failure"),
        };
        put("status_id", json!(id));
        put("status", json!(name));
    }
    put(
        "metadata",
        json!({
            "version": SCHEMA_VERSION,
            "product": {
                "name": "Harvey",
                "vendor_name": "Harvey",
                "feature": {"name": "Audit Log API"},
            },
            "uid": row.id.to_string(),
            "event_code": row.kind,
            "original_time": format_utc(row.ts),
        }),
    );
    put("actor", json!({"user": user_object(row.user)}));
    let mut endpoint = Map::new();
    match valid_ip(row.ip) {
        Some(ip) => {
            endpoint.insert("ip".into(), json!(ip.to_string()));
        }
        None if !row.ip.is_empty() => {
            unmapped.insert("ip".into(), json!(row.ip));
        }
        None => {}
    }
    put("src_endpoint", Value::Object(endpoint));
    if !row.user_agent.is_empty() {
        put("http_request", json!({"user_agent": row.user_agent}));
    }
    put("raw_data", json!(raw));
    put("unmapped", Value::Object(unmapped));
    event
}

/// `class_uid * 100 + activity_id`, as OCSF defines it.
pub fn type_uid(class: Class, activity_id: u32) -> u64 {
    u64::from(class.uid) * 100 + u64::from(activity_id)
}

fn severity_name(id: u32) -> &'static str {
    match id {
        1 => "Informational",
        2 => "Low",
        3 => "Medium",
        4 => "High",
        5 => "Critical",
        6 => "Fatal",
        _ => "Unknown",
    }
}

/// A User object: the address when there is one, "Unknown" when the entry names nobody.
fn user_object(email: &str) -> Value {
    if email.is_empty() {
        json!({"type_id": 0, "type": "Unknown"})
    } else {
        json!({"email_addr": email, "name": email})
    }
}

/// The file a vault entry is about; several uploaded at once are named together.
fn file_object(data: &Value) -> Value {
    let name = match data.get("file_names") {
        Some(Value::Array(names)) => names
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(", "),
        _ => data_text(data, "file_name")
            .or_else(|| data_text(data, "project_name"))
            .or_else(|| data_text(data, "vault_id"))
            .unwrap_or_default(),
    };
    let mut file = json!({"name": name, "type_id": 1, "type": "Regular File"});
    if let Some(size) = data.get("size_bytes").and_then(Value::as_u64) {
        file["size"] = json!(size);
    }
    if let Some(vault) = data_text(data, "vault_id") {
        file["parent_folder"] = json!(vault);
    }
    file
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::tests::entry;

    /// OCSF 1.3's required attributes: those of every event class, then each class's own.
    const REQUIRED_BASE: [&str; 7] = [
        "activity_id",
        "category_uid",
        "class_uid",
        "metadata",
        "severity_id",
        "time",
        "type_uid",
    ];
    const REQUIRED_METADATA: [&str; 2] = ["product", "version"];

    fn required_for_class(uid: u32) -> &'static [&'static str] {
        match uid {
            3001 | 3002 => &["user"],
            3005 => &["user", "privileges"],
            6003 => &["actor", "api", "src_endpoint"],
            6006 => &["actor", "file", "src_endpoint"],
            _ => &[],
        }
    }

    fn assert_valid(event: &Value) {
        for key in REQUIRED_BASE {
            assert!(event.get(key).is_some(), "missing {key}: {event}");
        }
        for key in REQUIRED_METADATA {
            assert!(
                event["metadata"].get(key).is_some(),
                "metadata.{key}: {event}"
            );
        }
        assert!(event["metadata"]["product"]["vendor_name"].is_string());
        let class = event["class_uid"].as_u64().unwrap() as u32;
        for key in required_for_class(class) {
            assert!(
                event.get(*key).is_some(),
                "class {class} needs {key}: {event}"
            );
        }
        assert_eq!(
            event["type_uid"].as_u64().unwrap(),
            event["class_uid"].as_u64().unwrap() * 100 + event["activity_id"].as_u64().unwrap()
        );
        assert_eq!(
            event["category_uid"].as_u64().unwrap(),
            event["class_uid"].as_u64().unwrap() / 1000,
            "the category is the class's thousands"
        );
        if class == 6006 {
            assert!(event["file"]["name"].is_string() && event["file"]["type_id"].is_u64());
        }
        if class == 6003 {
            assert!(event["api"]["operation"].is_string());
        }
    }

    fn mapped(kind: &str, data: &str) -> Vec<Value> {
        let e = entry(kind, data);
        events(&e.row(), e.raw.get())
    }

    #[test]
    fn every_rule_and_an_unknown_type_give_events_with_the_required_attributes() {
        let kinds = RULES.iter().map(|r| r.kind).chain(["user:new_thing"]);
        for kind in kinds {
            let events = mapped(
                kind,
                r#"{"emails":["x@y.z"],"role":"Organization admin","file_names":["a.pdf"]}"#,
            );
            assert!(!events.is_empty(), "{kind}");
            for event in &events {
                assert_valid(event);
            }
        }
    }

    #[test]
    fn the_table_maps_as_documented() {
        let cases = [
            ("auth:login", 3002, 1, Some(1)),
            ("auth:failed", 3002, 1, Some(2)),
            ("auth:logout", 3002, 2, Some(1)),
            ("api:token_mgmt_rotate", 6003, 3, None),
            ("api:audit_log_fetch", 6003, 2, None),
            ("api:vault_upload_files", 6006, 1, None),
            ("api:vault_download_file", 6006, 2, None),
            ("api:vault_delete_file", 6006, 4, None),
        ];
        for (kind, class, activity, status) in cases {
            let event = &mapped(kind, "{}")[0];
            assert_eq!(event["class_uid"], class, "{kind}");
            assert_eq!(event["activity_id"], activity, "{kind}");
            assert_eq!(event["status_id"].as_u64(), status, "{kind}");
        }
    }

    #[test]
    fn the_columns_land_in_their_attributes_and_nothing_is_lost() {
        let e = entry("auth:failed", r#"{"reason":"mfa_failed"}"#);
        let event = &events(&e.row(), e.raw.get())[0];
        assert_eq!(event["actor"]["user"]["email_addr"], "ana@firm.example");
        assert_eq!(event["user"]["email_addr"], "ana@firm.example");
        assert_eq!(event["src_endpoint"]["ip"], "185.220.101.47");
        assert_eq!(event["http_request"]["user_agent"], "Mozilla/5.0");
        assert_eq!(event["time"], 1_739_290_124_324i64);
        assert_eq!(
            event["metadata"]["uid"],
            "0194f5a3-7b2c-7def-8123-456789abcdef"
        );
        assert_eq!(event["raw_data"], e.raw.get());
        assert_eq!(event["unmapped"]["data"]["reason"], "mfa_failed");
        assert_eq!(event["unmapped"]["extra"], 7);
    }

    #[test]
    fn an_unknown_type_is_a_base_event_named_after_it() {
        let event = &mapped("user:outlook_add_in_ask", "{}")[0];
        assert_eq!(event["class_uid"], 0);
        assert_eq!(event["activity_id"], 99);
        assert_eq!(event["type_uid"], 99);
        assert_eq!(event["activity_name"], "user:outlook_add_in_ask");
    }

    #[test]
    fn adding_an_admin_is_an_account_creation_and_a_privilege_grant_for_each_account() {
        let events = mapped(
            "admin:add_users",
            r#"{"emails":["a@x.y","b@x.y"],"role":"Organization admin"}"#,
        );
        let summary: Vec<(u64, String)> = events
            .iter()
            .map(|e| {
                (
                    e["type_uid"].as_u64().unwrap(),
                    e["user"]["email_addr"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (300101, "a@x.y".to_owned()),
                (300501, "a@x.y".to_owned()),
                (300101, "b@x.y".to_owned()),
                (300501, "b@x.y".to_owned()),
            ]
        );
        assert_eq!(events[1]["privileges"], json!(["Organization admin"]));
        let members = mapped("admin:add_users", r#"{"emails":["c@x.y"],"role":"member"}"#);
        assert_eq!(members.len(), 1, "a member is granted nothing");
    }

    #[test]
    fn an_address_that_is_not_an_ip_is_kept_unmapped() {
        let e = crate::entry::Entry::parse(
            r#"{"id":"0194f5a3-7b2c-7def-8123-456789abcdef","timestamp":"2025-02-11T16:08:44","type":"auth:login","ip":"not-an-ip"}"#,
        )
        .unwrap();
        let event = &events(&e.row(), e.raw.get())[0];
        assert!(event["src_endpoint"].get("ip").is_none());
        assert_eq!(event["unmapped"]["ip"], "not-an-ip");
        assert_eq!(event["actor"]["user"]["type_id"], 0, "nobody named");
    }
}
