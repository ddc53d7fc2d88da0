//! `timeline.md`: the timeline as Markdown for a ticket or a report. Every value that comes from an entry,
//! a note or the command line is a code span (see [`inert::markdown`]): it cannot become a link, an
//! image, raw HTML or a heading wherever the file is rendered.

use std::fmt::Write;

use super::inert::{markdown as md, markdown_plain};
use super::summary::{Activity, Summary, ranked};
use super::{BundleInput, coverage_text, window_text};
use crate::entry::Entry;
use crate::export::format_utc;

/// Characters of an entry value shown (the full text is in `entries.jsonl`).
const VALUE_CHARS: usize = 200;
const DATA_CHARS: usize = 400;
/// Rows of each summary table.
const TOP: usize = 15;
pub(super) const SLICES: usize = 48;

pub(super) fn render(input: &BundleInput<'_>, timeline: &[&Entry], summary: &Summary) -> String {
    let source = input.source;
    let mut out = String::new();
    let _ = writeln!(out, "# Evidence timeline\n");
    if let Some(case) = &source.case {
        let _ = writeln!(out, "- Case: {}", markdown_plain(case));
    }
    if source.filter.trim().is_empty() {
        out.push_str("- Query: none (every entry of the window)\n");
    } else {
        let _ = writeln!(out, "- Query: {}", markdown_plain(&source.filter));
    }
    let _ = writeln!(out, "- Window (UTC): {}", window_text(source));
    let _ = writeln!(out, "- Coverage: {}", coverage_text(&source.coverage));
    let _ = writeln!(out, "- Source: {}", markdown_plain(&source.host));
    let _ = writeln!(out, "- Made by: {}", markdown_plain(&source.made_by));
    let _ = writeln!(out, "- Created: {}", format_utc(input.created));
    let _ = writeln!(
        out,
        "- Entries: {} in the bundle, {} rejected as malformed, {} shown below ({})",
        summary.total,
        input.rejected.len(),
        timeline.len(),
        if input.marks.is_empty() {
            "all, in time order, up to the limit"
        } else {
            "the marked ones"
        }
    );
    out.push_str("\n## Activity\n\n");
    activity(
        &mut out,
        &Activity::over(input.entries, (source.since, source.until), SLICES),
    );
    out.push_str("\n## Timeline\n\n");
    if timeline.is_empty() {
        out.push_str("No entries.\n");
    }
    for (n, entry) in timeline.iter().enumerate() {
        let _ = writeln!(
            out,
            "{}. {} · {} · {} · {}",
            n + 1,
            format_utc(entry.ts),
            md(&entry.kind, VALUE_CHARS),
            md(&entry.user, VALUE_CHARS),
            md(&entry.ip, VALUE_CHARS),
        );
        if let Some(Some(note)) = input.marks.get(&entry.id) {
            let _ = writeln!(out, "   - Note: {}", md(note, usize::MAX));
        }
        let _ = writeln!(out, "   - Id: {}", entry.id);
        let _ = writeln!(out, "   - Agent: {}", md(&entry.user_agent, VALUE_CHARS));
        let _ = writeln!(out, "   - Data: {}", md(entry.data.get(), DATA_CHARS));
    }
    out.push_str("\n## Summary\n");
    for (title, counts) in [
        ("By user", &summary.by_user),
        ("By type", &summary.by_type),
        ("By IP", &summary.by_ip),
    ] {
        let _ = writeln!(out, "\n### {title}\n");
        let rows = ranked(counts);
        for (value, count) in rows.iter().take(TOP) {
            let _ = writeln!(out, "- {count} × {}", md(value, VALUE_CHARS));
        }
        if rows.len() > TOP {
            let _ = writeln!(out, "- … and {} more", rows.len() - TOP);
        }
    }
    out
}

/// A bar per slice of the window, in a fenced block (only times and counts: nothing untrusted).
fn activity(out: &mut String, activity: &Activity) {
    let peak = activity.peak().max(1);
    out.push_str("```text\n");
    for (index, count) in activity.buckets.iter().enumerate() {
        let width = (*count * 40).div_ceil(peak) as usize;
        let line = format!(
            "{}  {:>6}  {}",
            format_utc(activity.bucket_start(index)),
            count,
            "#".repeat(width)
        );
        let _ = writeln!(out, "{}", line.trim_end());
    }
    out.push_str("```\n");
}
