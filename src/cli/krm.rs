//! `rkv krm` (or the binary called `rkv-krm`): the KRM function, a ResourceList on stdin
//! and the same list with the rendered objects and the findings on stdout.

use std::io::{Read as _, Write as _};

use super::{Error, ExitStatus, Result};
use crate::gitops::krm;

pub(super) fn run() -> Result {
    let mut input = String::new();
    // One byte over the limit is enough for `krm::run` to refuse the input as too large.
    let limit = u64::try_from(krm::MAX_INPUT).map_or(u64::MAX, |m| m.saturating_add(1));
    std::io::stdin()
        .take(limit)
        .read_to_string(&mut input)
        .map_err(Error::Stdin)?;
    let out = krm::run(&input)?;
    let _ = std::io::stdout().lock().write_all(out.yaml.as_bytes());
    if out.failed {
        eprintln!("error: the spec has errors; see `results` in the output");
        return Ok(ExitStatus::Failure);
    }
    Ok(ExitStatus::Success)
}
