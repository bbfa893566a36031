//! `rkv schema`: the spec's JSON Schema, written, printed or checked against the file.

use super::args::SchemaArgs;
use super::{Error, ExitStatus, Result};

pub(super) fn run(a: SchemaArgs) -> Result {
    let text = crate::spec::load::schema_text().map_err(Error::Json)?;
    if a.stdout {
        print!("{text}");
        return Ok(ExitStatus::Success);
    }
    if a.check {
        if std::fs::read_to_string(&a.output).is_ok_and(|old| old == text) {
            return Ok(ExitStatus::Success);
        }
        eprintln!(
            "{} is out of date: run `rkv schema -o {}` and commit it",
            a.output.display(),
            a.output.display()
        );
        return Ok(ExitStatus::Failure);
    }
    crate::write::fs::write_file(&a.output, &text)?;
    Ok(ExitStatus::Success)
}
