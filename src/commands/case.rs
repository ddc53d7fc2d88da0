//! `auditui case list`: every case with its mark count, its last change and where it is stored.

use std::io::Write;
use std::process::ExitCode;

use crate::case::{self, Kind};
use crate::cli::{CaseAction, CaseArgs};
use crate::export::format_utc;
use crate::sanitize::clean;

pub fn run(args: &CaseArgs) -> anyhow::Result<ExitCode> {
    let CaseAction::List { archive } = &args.action;
    let mut out = std::io::stdout().lock();
    let mut any = false;
    for (path, kind) in case::locations(archive.as_deref()) {
        if !path.exists() {
            continue;
        }
        let where_ = clean(&path.display().to_string()).into_owned();
        let what = match kind {
            Kind::Archive => "archive",
            Kind::Standalone => "cases file",
        };
        match case::list_at(&path) {
            Ok(cases) => {
                for c in cases {
                    any = true;
                    writeln!(
                        out,
                        "{}\t{} marks ({} with a note)\tlast change {}\t{what} {where_}",
                        c.name,
                        c.marks,
                        c.notes,
                        format_utc(c.updated)
                    )?;
                }
            }
            Err(err) => eprintln!("auditui: {}", clean(&err.to_string())),
        }
    }
    if !any {
        eprintln!(
            "auditui: no cases yet: `auditui --case NAME` (or `auditui demo --case NAME`) starts one"
        );
    }
    Ok(ExitCode::SUCCESS)
}
