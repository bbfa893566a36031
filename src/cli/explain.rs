//! `rkv explain`: what a topology survives, with its arithmetic, for every variant of a
//! spec or the one named; with `--code`, what a finding code means (`rustc --explain`).

use super::args::{ExplainArgs, Format};
use super::{Error, ExitStatus, Result, compile_all, pick};
use crate::diag::Code;
use crate::explain::{Report, explain, render_text};

pub(super) fn run(a: ExplainArgs) -> Result {
    if let Some(name) = &a.code {
        let code = Code::parse(name).ok_or_else(|| Error::UnknownCode(name.clone()))?;
        match a.format {
            Format::Text => print!("{}", code.explanation()),
            Format::Json => println!(
                "{}",
                serde_json::to_string_pretty(&code.entry()).map_err(Error::Json)?
            ),
        }
        return Ok(ExitStatus::Success);
    }
    // clap requires a spec without `--code`.
    let Some(spec) = a.spec else {
        return Ok(ExitStatus::Error);
    };
    let compiled = match compile_all(std::slice::from_ref(&spec), false, Format::Text) {
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
