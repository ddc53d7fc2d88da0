//! `auditui query --format counts --by FIELD`: how many matching entries each value of a field has, with
//! its share and when it was first and last seen, most first.

use std::collections::HashMap;
use std::io::{self, Write};

use crate::export::format_utc;
use crate::query::text::data_at_compact;
use crate::sanitize::clean_truncated;
use crate::store::counts::{Counts, Dimension, HOUR, Stats};
use crate::store::{Store, View};

/// What `--by` names: a column, or a path inside `data`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CountBy {
    Column(Dimension),
    Data(Vec<String>),
}

impl CountBy {
    /// `user`, `type`, `ip`, `ua` or `data.KEY` (dots go deeper: `data.route`, `data.file.name`).
    pub fn parse(text: &str) -> Result<CountBy, String> {
        let column = |d| Ok(CountBy::Column(d));
        match text {
            "user" => column(Dimension::User),
            "type" => column(Dimension::Type),
            "ip" => column(Dimension::Ip),
            "ua" => column(Dimension::UserAgent),
            _ => match text.strip_prefix("data.") {
                Some(path) if !path.split('.').any(str::is_empty) => {
                    Ok(CountBy::Data(path.split('.').map(String::from).collect()))
                }
                _ => Err(format!(
                    "expected user, type, ip, ua or data.KEY, found {:?}",
                    clean_truncated(text, 40)
                )),
            },
        }
    }

    fn title(&self) -> String {
        match self {
            CountBy::Column(d) => d.key().to_owned(),
            CountBy::Data(path) => format!("data.{}", path.join(".")),
        }
    }
}

/// One line of the table.
struct Line {
    value: String,
    stats: Stats,
}

/// Counts the entries of `view` by `by` and writes the table.
pub fn write_counts(
    store: &Store,
    view: &View,
    by: &CountBy,
    out: &mut impl Write,
) -> io::Result<()> {
    let (lines, missing) = match by {
        CountBy::Column(dimension) => {
            let counts = Counts::new(store, view, HOUR);
            let lines = counts
                .top(store, *dimension, usize::MAX)
                .into_iter()
                .map(|v| Line {
                    value: v.value.to_owned(),
                    stats: v.stats.clone(),
                })
                .collect();
            (lines, 0)
        }
        CountBy::Data(path) => by_data(store, view, path),
    };
    let total = view.len().max(1) as f64;
    writeln!(
        out,
        "{:>9}  {:>6}  {:<27}  {:<27}  {}",
        "COUNT",
        "SHARE",
        "FIRST SEEN",
        "LAST SEEN",
        by.title().to_uppercase()
    )?;
    for line in &lines {
        // A value is untrusted text: a line break in it must not fake a row.
        writeln!(
            out,
            "{:>9}  {:>5.1}%  {:<27}  {:<27}  {}",
            line.stats.count,
            100.0 * line.stats.count as f64 / total,
            format_utc(line.stats.first),
            format_utc(line.stats.last),
            crate::sanitize::clean(&line.value)
        )?;
    }
    writeln!(
        out,
        "{} entries, {} distinct values{}",
        view.len(),
        lines.len(),
        if missing > 0 {
            format!(", {missing} entries without {}", by.title())
        } else {
            String::new()
        }
    )
}

/// Lines by the value at `path` in `data`, and how many entries lack it.
fn by_data(store: &Store, view: &View, path: &[String]) -> (Vec<Line>, usize) {
    let mut map: HashMap<String, Stats> = HashMap::new();
    let mut missing = 0;
    for &i in view.indices() {
        let entry = store.get(i);
        let Some(value) = data_at_compact(entry.data_json(), path) else {
            missing += 1;
            continue;
        };
        let stats = map.entry(value).or_default();
        let ts = entry.ts();
        stats.first = if stats.count == 0 {
            ts
        } else {
            stats.first.min(ts)
        };
        stats.last = if stats.count == 0 {
            ts
        } else {
            stats.last.max(ts)
        };
        stats.count += 1;
    }
    let mut lines: Vec<Line> = map
        .into_iter()
        .map(|(value, stats)| Line { value, stats })
        .collect();
    lines.sort_by(|a, b| {
        (b.stats.count.cmp(&a.stats.count))
            .then(a.stats.first.cmp(&b.stats.first))
            .then(a.value.cmp(&b.value))
    });
    (lines, missing)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_names_a_column_or_a_data_path() {
        let cases = [
            ("ip", Ok(CountBy::Column(Dimension::Ip))),
            ("ua", Ok(CountBy::Column(Dimension::UserAgent))),
            ("data.route", Ok(CountBy::Data(vec!["route".into()]))),
            ("data.a.b", Ok(CountBy::Data(vec!["a".into(), "b".into()]))),
        ];
        for (text, expected) in cases {
            assert_eq!(CountBy::parse(text), expected, "{text}");
        }
        for bad in ["", "data.", "data.a..b", "IP", "email"] {
            let err = CountBy::parse(bad).expect_err(bad);
            assert!(err.starts_with("expected user, type"), "{bad}: {err}");
        }
    }
}
