//! `manifest.json`: what the bundle is, where it came from, what it holds, and every file's SHA-256.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The format name and version, so a later reader knows what it is looking at.
pub const FORMAT: &str = "auditui-evidence/1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub tool: Tool,
    /// The command line (token never included: it is not an option) or the TUI key that made it.
    pub made_by: String,
    pub case: Option<String>,
    /// RFC 3339 UTC.
    pub created_at: String,
    pub source: SourceInfo,
    pub query: QueryInfo,
    pub coverage: CoverageInfo,
    pub counts: Counts,
    pub first_id: Option<String>,
    pub last_id: Option<String>,
    pub raw: RawInfo,
    /// Entries the source sent that could not be read: counted here, never silently dropped.
    pub rejected: Vec<RejectedInfo>,
    pub timeline: TimelineInfo,
    /// The marked entries with their notes, in id order (empty when nothing was marked).
    #[serde(default)]
    pub marks: Vec<MarkInfo>,
    /// Every other file of the bundle (not this one, not `SHA256SUMS`), by name.
    pub files: BTreeMap<String, FileInfo>,
}

/// One mark of the investigation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarkInfo {
    pub id: String,
    pub note: Option<String>,
    /// Whether the entry is in this bundle (a case may hold marks outside the window).
    pub in_bundle: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceInfo {
    /// The API's base URL, or the files read.
    pub host: String,
    pub region: Option<String>,
    /// What `whoami` said about the token's service user (never the token).
    pub service_user: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueryInfo {
    pub filter: String,
    pub since_given: Option<String>,
    pub until_given: Option<String>,
    /// The window as resolved, RFC 3339 UTC: `[since, until)`.
    pub since_utc: Option<String>,
    pub until_utc: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoverageInfo {
    /// Every entry of the window was read from the source.
    pub complete: bool,
    pub gaps: Vec<GapInfo>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GapInfo {
    pub from_utc: Option<String>,
    pub until_utc: Option<String>,
    pub after_id: Option<String>,
    pub before_id: Option<String>,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Counts {
    pub total: u64,
    pub by_type: BTreeMap<String, u64>,
    pub by_user: BTreeMap<String, u64>,
    pub rejected: u64,
    pub marked: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RawInfo {
    /// Entries written to `entries.jsonl` as the source sent them.
    pub as_received: u64,
    /// Ids of the entries that had no raw form: written re-serialized from their fields instead.
    pub reserialized: Vec<String>,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RejectedInfo {
    pub id: Option<String>,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineInfo {
    /// `marked` or `all`.
    pub selection: String,
    pub shown: u64,
    /// Entries left out of the timelines by the limit (none are left out of `entries.*`).
    pub left_out: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileInfo {
    pub sha256: String,
    pub bytes: u64,
}
