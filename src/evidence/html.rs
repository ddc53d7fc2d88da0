//! `timeline.html`: one self-contained page (inline style, the chart as inline SVG, no script, no
//! external resource) that opens offline. Its Content-Security-Policy forbids loading anything, so even a
//! string that escaped escaping could not fetch or run. Every value from an entry or the command line is
//! HTML-escaped with its control characters shown as escapes.

use std::fmt::Write;

use super::inert::html as h;
use super::markdown::SLICES;
use super::summary::{Activity, Summary, ranked};
use super::{BundleInput, coverage_text, window_text};
use crate::entry::Entry;
use crate::export::format_utc;

const VALUE_CHARS: usize = 200;
const DATA_CHARS: usize = 400;
const TOP: usize = 15;

const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#1b1f24}\
h1{font-size:1.6em}h2{margin-top:1.6em;border-bottom:1px solid #ccd}\
table{border-collapse:collapse;width:100%}th,td{border:1px solid #ccd;padding:4px 6px;text-align:left;vertical-align:top}\
th{background:#eef}td.mono,dd.mono{font-family:ui-monospace,monospace;word-break:break-all}\
.note{background:#fff6d5}.summary{display:flex;gap:2em;flex-wrap:wrap}.summary table{width:auto}\
svg{background:#fafbff;border:1px solid #ccd}dl.meta{display:grid;grid-template-columns:max-content auto;gap:2px 1em}\
dl.meta dt{font-weight:bold}";

pub(super) fn render(input: &BundleInput<'_>, timeline: &[&Entry], summary: &Summary) -> String {
    let source = input.source;
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n",
    );
    let title = match &source.case {
        Some(case) => format!("Evidence timeline: {}", h(case, VALUE_CHARS)),
        None => "Evidence timeline".into(),
    };
    let _ = writeln!(
        out,
        "<title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>"
    );
    let _ = writeln!(out, "<h1 id=\"title\">{title}</h1>");
    out.push_str("<dl class=\"meta\">\n");
    let mut meta = |name: &str, value: String| {
        let _ = writeln!(out, "<dt>{name}</dt><dd class=\"mono\">{value}</dd>");
    };
    meta(
        "Query",
        if source.filter.trim().is_empty() {
            "none (every entry of the window)".into()
        } else {
            h(&source.filter, usize::MAX)
        },
    );
    meta("Window (UTC)", h(&window_text(source), usize::MAX));
    meta("Coverage", h(&coverage_text(&source.coverage), usize::MAX));
    meta("Source", h(&source.host, usize::MAX));
    meta("Made by", h(&source.made_by, usize::MAX));
    meta("Created", format_utc(input.created));
    meta(
        "Entries",
        format!(
            "{} in the bundle, {} rejected as malformed, {} in the timeline ({})",
            summary.total,
            input.rejected.len(),
            timeline.len(),
            if input.marks.is_empty() {
                "all, up to the limit"
            } else {
                "the marked ones"
            }
        ),
    );
    out.push_str("</dl>\n<h2>Activity</h2>\n");
    chart(
        &mut out,
        &Activity::over(input.entries, (source.since, source.until), SLICES),
    );
    out.push_str("<h2>Timeline</h2>\n<table id=\"timeline\">\n<thead><tr><th>#</th><th>Time (UTC)</th><th>Type</th><th>User</th><th>IP</th><th>Note</th><th>Agent</th><th>Data</th><th>Id</th></tr></thead>\n<tbody>\n");
    for (n, entry) in timeline.iter().enumerate() {
        let note = match input.marks.get(&entry.id) {
            Some(Some(note)) => h(note, usize::MAX),
            Some(None) => "marked".into(),
            None => String::new(),
        };
        let _ = writeln!(
            out,
            "<tr class=\"entry\"><td>{}</td><td class=\"mono\">{}</td><td class=\"mono\">{}</td><td class=\"mono\">{}</td><td class=\"mono\">{}</td><td class=\"note\">{note}</td><td class=\"mono\">{}</td><td class=\"mono\">{}</td><td class=\"mono\">{}</td></tr>",
            n + 1,
            format_utc(entry.ts),
            h(&entry.kind, VALUE_CHARS),
            h(&entry.user, VALUE_CHARS),
            h(&entry.ip, VALUE_CHARS),
            h(&entry.user_agent, VALUE_CHARS),
            h(entry.data.get(), DATA_CHARS),
            entry.id,
        );
    }
    out.push_str("</tbody>\n</table>\n<h2>Summary</h2>\n<div class=\"summary\">\n");
    for (title, counts) in [
        ("By user", &summary.by_user),
        ("By type", &summary.by_type),
        ("By IP", &summary.by_ip),
    ] {
        let _ = writeln!(
            out,
            "<table><thead><tr><th>{title}</th><th>Entries</th></tr></thead><tbody>"
        );
        let rows = ranked(counts);
        for (value, count) in rows.iter().take(TOP) {
            let _ = writeln!(
                out,
                "<tr><td class=\"mono\">{}</td><td>{count}</td></tr>",
                h(value, VALUE_CHARS)
            );
        }
        if rows.len() > TOP {
            let _ = writeln!(
                out,
                "<tr><td>… and {} more</td><td></td></tr>",
                rows.len() - TOP
            );
        }
        out.push_str("</tbody></table>\n");
    }
    out.push_str("</div>\n</body>\n</html>\n");
    out
}

/// Entries per slice of the window as an SVG bar chart, with the window's ends and the peak labelled.
fn chart(out: &mut String, activity: &Activity) {
    const WIDTH: usize = 960;
    const HEIGHT: usize = 180;
    const AXIS: usize = 24;
    let peak = activity.peak().max(1);
    let slices = activity.buckets.len().max(1);
    let bar = WIDTH / slices;
    let plot = HEIGHT - AXIS;
    let _ = writeln!(
        out,
        "<svg id=\"activity\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{HEIGHT}\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" aria-label=\"entries over the window\">"
    );
    for (index, count) in activity.buckets.iter().enumerate() {
        let height = (*count as usize * (plot - 12)).div_ceil(peak as usize);
        let _ = writeln!(
            out,
            "<rect class=\"bar\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{height}\" fill=\"#3b5bdb\"><title>{}: {count}</title></rect>",
            index * bar + 1,
            plot - height,
            bar.saturating_sub(2).max(1),
            format_utc(activity.bucket_start(index)),
        );
    }
    let _ = writeln!(
        out,
        "<line x1=\"0\" y1=\"{plot}\" x2=\"{WIDTH}\" y2=\"{plot}\" stroke=\"#556\"/>\n\
         <text x=\"2\" y=\"{}\" font-size=\"12\">{}</text>\n\
         <text x=\"{WIDTH}\" y=\"{}\" font-size=\"12\" text-anchor=\"end\">{}</text>\n\
         <text x=\"2\" y=\"12\" font-size=\"12\">peak {peak} per slice</text>\n</svg>",
        HEIGHT - 6,
        format_utc(activity.start),
        HEIGHT - 6,
        format_utc(activity.end),
    );
}
