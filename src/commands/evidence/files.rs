//! Entries from saved files: JSON lines, a JSON array, or `{"log": entry}`.

use std::path::PathBuf;

use anyhow::Context;

use super::Gathered;
use crate::entry::{Entry, Rejected, parse_page, parse_seed};
use crate::evidence::Coverage;
use crate::sanitize::clean;

pub(super) fn read(inputs: &[PathBuf]) -> anyhow::Result<Gathered> {
    let mut entries = Vec::new();
    let mut rejected = Vec::new();
    for path in inputs {
        let raw_name = path.display().to_string();
        let name = clean(&raw_name).into_owned();
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {name}"))?;
        let trimmed = text.trim_start();
        if trimmed.starts_with('[') || trimmed.starts_with("{\"log\"") {
            let batch = if trimmed.starts_with('[') {
                parse_page(&text)
            } else {
                parse_seed(&text)
            }
            .with_context(|| {
                format!("{name} is not JSON lines, a JSON array or {{\"log\": entry}}")
            })?;
            entries.extend(batch.entries);
            rejected.extend(batch.rejected.into_iter().map(|r| Rejected {
                reason: format!("{name}: {}", r.reason),
                ..r
            }));
            continue;
        }
        for (index, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            match Entry::parse(line) {
                Ok(entry) => entries.push(entry),
                Err(r) => rejected.push(Rejected {
                    reason: format!("{name}:{}: {}", index + 1, r.reason),
                    ..r
                }),
            }
        }
    }
    for bad in rejected.iter().take(20) {
        eprintln!("auditui: skipped {}", clean(&bad.reason));
    }
    Ok(Gathered {
        entries,
        rejected,
        coverage: Coverage::Unknown(
            "read from saved files: whether they hold every entry of the window is not known"
                .into(),
        ),
        host: format!(
            "files: {}",
            inputs
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        region: None,
        service_user: None,
    })
}
