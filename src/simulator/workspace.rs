//! The simulated workspace: its people, their addresses and browsers, and the everyday activity they
//! produce, across every entry type API.md knows and a few that no client knows yet.

use rand::seq::IndexedRandom;
use rand::{Rng, RngExt};
use serde_json::{Value, json};

/// The workspace's mail domain (a reserved name: it can never be a real firm).
pub const DOMAIN: &str = "hartwell-lane.example";

/// One thing that happened, before it gets an id and a timestamp.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub kind: String,
    pub user: String,
    pub ip: String,
    pub user_agent: String,
    pub data: Value,
}

#[derive(Debug, Clone)]
struct Person {
    email: String,
    ip: String,
    user_agent: &'static str,
    admin: bool,
}

/// The people of the workspace and what they tend to do.
#[derive(Debug, Clone)]
pub struct Workspace {
    people: Vec<Person>,
    vaults: Vec<String>,
}

const FIRST: &[&str] = &[
    "amara", "ben", "chloe", "dmitri", "elena", "farid", "grace", "hiro", "ines", "jonas",
    "keisha", "liam", "maya", "nikhil", "olga", "pedro", "quinn", "rosa", "sven", "tamar", "uma",
    "victor", "wen", "ximena", "yusuf", "zoe",
];
const LAST: &[&str] = &[
    "adeyemi",
    "brennan",
    "castillo",
    "dubois",
    "eriksen",
    "fischer",
    "gupta",
    "hartley",
    "ivanova",
    "jensen",
    "kowalski",
    "lindqvist",
    "moreau",
    "nakamura",
    "okafor",
    "petrov",
];

const USER_AGENTS: &[&str] = &[
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Word 16.0.18129; Pro)",
    "Microsoft Outlook 16.0.18129",
];

const DOCUMENTS: &[&str] = &[
    "Share Purchase Agreement v7.docx",
    "Disclosure Letter - draft.docx",
    "Board minutes 2026-10.pdf",
    "NDA - Project Kestrel.docx",
    "Employment contract template.docx",
    "Lease renewal - Unit 4.pdf",
    "Due diligence report (final).pdf",
    "Witness statement J. Moss.docx",
];

/// Entry types with their relative frequency. The last few are types no client knows yet.
const KINDS: &[(&str, u32)] = &[
    ("api:create_query", 160),
    ("auth:login", 90),
    ("auth:logout", 50),
    ("auth:failed", 25),
    ("user:word_add_in_docx_drafting", 80),
    ("user:outlook_add_in_ask", 80),
    ("api:vault_upload_files", 50),
    ("api:vault_delete_file", 12),
    ("admin:fetch_workspace_users", 8),
    ("admin:fetch_workspace_history", 8),
    ("admin:client_view_workspace_history_item", 15),
    ("admin:add_users", 3),
    ("api:token_mgmt_rotate", 2),
    ("api:audit_log_fetch", 10),
    ("api:vault_download_file", 40),
    ("user:vault_review_table_export", 10),
    ("user:assistant_feedback", 15),
    ("admin:update_sso_settings", 1),
    ("api:client_matter_management", 6),
    ("api:history_fetch", 12),
    ("api:vault_list_projects", 10),
    ("api:vault_get_metadata", 10),
    ("api:vault_delete_project", 1),
    ("admin:fetch_workspace_history_item", 4),
    ("admin:add_client_matters", 2),
];

/// Types whose `data` repeats the caller's `ip`, `user_agent` and `site`, as some real ones do.
const REPEATS_CALLER: [&str; 3] = [
    "api:history_fetch",
    "api:vault_get_metadata",
    "admin:fetch_workspace_history_item",
];

/// The other integration of the organisation that also reads the audit log (and shares its limit).
pub const SIEM_USER: &str = "siem-connector@hartwell-lane.example";
const SIEM_AGENT: &str = "HarveyAuditConnector/2.4 (+siem)";

impl Workspace {
    /// A workspace of a few dozen people, the same for the same random source.
    pub fn new(rng: &mut impl Rng) -> Workspace {
        let mut people = Vec::new();
        for (i, first) in FIRST.iter().enumerate() {
            for last in LAST.iter().skip(i % 3).step_by(7).take(2) {
                let office = if i % 4 == 0 {
                    "198.51.100"
                } else {
                    "203.0.113"
                };
                people.push(Person {
                    email: format!("{first}.{last}@{DOMAIN}"),
                    ip: format!("{office}.{}", rng.random_range(2..250)),
                    user_agent: USER_AGENTS[rng.random_range(0..USER_AGENTS.len())],
                    admin: i % 9 == 0,
                });
            }
        }
        let vaults = [
            "kestrel-dd",
            "litigation-moss",
            "hr-policies",
            "m-and-a-2026",
            "leases",
        ]
        .iter()
        .map(|v| format!("vault-{v}"))
        .collect();
        Workspace { people, vaults }
    }

    /// How many people work here.
    pub fn size(&self) -> usize {
        self.people.len()
    }

    /// Every email address of the workspace.
    pub fn emails(&self) -> impl Iterator<Item = &str> {
        self.people.iter().map(|p| p.email.as_str())
    }

    /// One ordinary event.
    pub fn background(&self, rng: &mut impl Rng) -> Event {
        let kind = pick_kind(rng);
        let mut person = self.people.choose(rng).expect("people").clone();
        if kind.starts_with("admin:") {
            let admins: Vec<&Person> = self.people.iter().filter(|p| p.admin).collect();
            person = (*admins.choose(rng).expect("admins")).clone();
        }
        // People sometimes work from home or a phone.
        if rng.random_bool(0.08) {
            person.ip = format!(
                "{}.{}.{}.{}",
                rng.random_range(24..220),
                rng.random_range(0..255),
                rng.random_range(0..255),
                rng.random_range(1..254)
            );
        }
        let (user, ip, user_agent) = if kind == "api:audit_log_fetch" {
            (
                SIEM_USER.to_owned(),
                "192.0.2.10".to_owned(),
                SIEM_AGENT.to_owned(),
            )
        } else {
            (
                person.email.clone(),
                person.ip.clone(),
                person.user_agent.to_owned(),
            )
        };
        let mut data = self.data_for(kind, rng);
        if REPEATS_CALLER.contains(&kind)
            && let Some(object) = data.as_object_mut()
        {
            object.insert("ip".into(), Value::String(ip.clone()));
            object.insert("user_agent".into(), Value::String(user_agent.clone()));
            object.insert("site".into(), Value::String("app.harvey.ai".into()));
        }
        Event {
            kind: kind.to_owned(),
            user,
            ip,
            user_agent,
            data,
        }
    }

    /// The `data` object of an event of `kind`: its keys depend on the type, as in the real API.
    pub fn data_for(&self, kind: &str, rng: &mut impl Rng) -> Value {
        let event_id = rng.random_range(100_000_000u64..200_000_000);
        let document = *DOCUMENTS.choose(rng).expect("documents");
        let vault = self.vaults.choose(rng).expect("vaults").clone();
        let site = "app.harvey.ai";
        match kind {
            "auth:login" => {
                json!({"method": *["sso", "sso", "password", "magic_link"].choose(rng).unwrap(), "site": site})
            }
            "auth:logout" => json!({"site": site}),
            "auth:failed" => {
                json!({"reason": *["invalid_password", "mfa_failed", "sso_assertion_expired"].choose(rng).unwrap(), "site": site})
            }
            "api:create_query" => {
                json!({"event_id": event_id, "mode": *["assist", "draft", "research"].choose(rng).unwrap(), "num_documents": rng.random_range(0..12)})
            }
            "user:word_add_in_docx_drafting" => {
                json!({"event_id": event_id, "document_name": document})
            }
            "user:outlook_add_in_ask" => {
                json!({"event_id": event_id, "thread_length": rng.random_range(1..30)})
            }
            "api:vault_upload_files" => {
                let n = rng.random_range(1..6);
                let names: Vec<&str> = DOCUMENTS.sample(rng, n).copied().collect();
                json!({"vault_id": vault, "num_files": n, "file_names": names})
            }
            "api:vault_delete_file" => json!({"vault_id": vault, "file_name": document}),
            "api:vault_download_file" => {
                json!({"vault_id": vault, "file_name": document, "size_bytes": rng.random_range(20_000..9_000_000)})
            }
            "admin:fetch_workspace_users" => {
                json!({"route": "/api/v1/workspace/users", "num_users": self.people.len()})
            }
            "admin:fetch_workspace_history" => {
                let days = rng.random_range(1..30);
                json!({"begin_date": format!("2026-10-{:02}T00:00:00+00:00", days), "end_date": "2026-11-24T00:00:00+00:00", "num_events": rng.random_range(10..500)})
            }
            "admin:client_view_workspace_history_item" => json!({"event_id": event_id}),
            "admin:add_users" => {
                json!({"emails": [format!("new.hire{}@{DOMAIN}", rng.random_range(1..99))], "role": "member"})
            }
            "api:token_mgmt_rotate" => {
                json!({"token_name": "ci-export", "expires_at": "2027-05-24T00:00:00+00:00"})
            }
            "api:audit_log_fetch" => {
                json!({"route": "/api/v1/logs/audit?from=0194f5a3-7b2c-7def-8123-456789abcdef&take=1000"})
            }
            "user:vault_review_table_export" => {
                json!({"vault_id": vault, "format": "xlsx", "rows": rng.random_range(5..400)})
            }
            "user:assistant_feedback" => {
                json!({"event_id": event_id, "rating": *["up", "down"].choose(rng).unwrap()})
            }
            "admin:update_sso_settings" => json!({"provider": "okta", "enforced": true}),
            "api:client_matter_management" => {
                json!({"action": *["create", "update", "archive"].choose(rng).unwrap(), "client_matter": format!("CM-{}", rng.random_range(1000..9999))})
            }
            "api:history_fetch" => {
                json!({"route": "/api/v1/history", "num_events": rng.random_range(1..200)})
            }
            "api:vault_list_projects" => json!({"num_projects": self.vaults.len()}),
            "api:vault_get_metadata" => json!({"vault_id": vault, "file_name": document}),
            "api:vault_delete_project" => json!({"vault_id": vault, "project_name": vault}),
            "admin:fetch_workspace_history_item" => json!({"event_id": event_id}),
            "admin:add_client_matters" => {
                json!({"client_matters": [format!("CM-{}", rng.random_range(1000..9999))]})
            }
            _ => json!({}),
        }
    }
}

fn pick_kind(rng: &mut impl Rng) -> &'static str {
    let total: u32 = KINDS.iter().map(|(_, w)| w).sum();
    let mut draw = rng.random_range(0..total);
    for (kind, weight) in KINDS {
        if draw < *weight {
            return kind;
        }
        draw -= weight;
    }
    KINDS[0].0
}

/// Every type the simulator writes on its own.
#[cfg(test)]
fn known_kinds() -> impl Iterator<Item = &'static str> {
    KINDS.iter().map(|(k, _)| *k)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn a_workspace_has_dozens_of_people_and_every_kind_shows_up() {
        let mut rng = StdRng::seed_from_u64(3);
        let ws = Workspace::new(&mut rng);
        assert!((24..=80).contains(&ws.size()), "{}", ws.size());
        let mut seen = std::collections::HashSet::new();
        for _ in 0..20_000 {
            let event = ws.background(&mut rng);
            assert!(event.data.is_object());
            seen.insert(event.kind);
        }
        for kind in known_kinds() {
            assert!(seen.contains(kind), "{kind} never generated");
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_activity() {
        let run = |seed| {
            let mut rng = StdRng::seed_from_u64(seed);
            let ws = Workspace::new(&mut rng);
            (0..50).map(|_| ws.background(&mut rng)).collect::<Vec<_>>()
        };
        assert_eq!(run(9), run(9));
        assert_ne!(run(9), run(10));
    }
}
