//! `rkv explain`: what a topology survives, with its arithmetic, for every variant of a
//! spec or the one named.

use super::args::{ExplainArgs, Format};
use super::{Error, ExitStatus, Result, compile_all, pick};
use crate::explain::{Report, explain, render_text};

pub(super) fn run(a: ExplainArgs) -> Result {
    let compiled = match compile_all(std::slice::from_ref(&a.spec), false, Format::Text) {
        Ok(c) => c,
        Err(status) => return Ok(status),
    };
    let Some((l, c)) = compiled.first() else {
        return Ok(ExitStatus::Error);
    };
    // Every variant by default; one when named.
    let reports: Vec<Report> = match a.env.as_deref() {
        None => c
            .variants
            .iter()
            .map(|v| explain(&v.plan, &v.inventory.prerequisites))
            .collect(),
        Some(name) => {
            let v = pick(&l.source.file, c, Some(name))?;
            vec![explain(&v.plan, &v.inventory.prerequisites)]
        }
    };
    match a.format {
        Format::Text => print!("{}", render_text(&reports)),
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&reports).map_err(Error::Json)?
        ),
    }
    Ok(ExitStatus::Success)
}
