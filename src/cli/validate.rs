//! `rkv validate`: every finding about the specs; with `--crds`, also every custom
//! resource they render (or, with `--manifests`, every one in YAML files on disk)
//! checked against the CRDs in a directory.

use super::args::{Format, ValidateArgs};
use super::{ExitStatus, Result, compile_all, print_diags};
use crate::diag::Severity;
use crate::validate::crd::CrdSet;
use crate::validate::manifests;

pub(super) fn run(a: ValidateArgs) -> Result {
    let crds = a.crds.as_deref().map(CrdSet::load_dir).transpose()?;
    if let Some(set) = &crds
        && !a.manifests.is_empty()
    {
        return on_disk(set, &a);
    }
    let compiled = match compile_all(&a.paths, a.deny_warnings, a.format) {
        Ok(c) => c,
        Err(status) => return Ok(status),
    };
    let mut diags = Vec::new();
    let mut checked = 0;
    if let Some(set) = &crds {
        for (l, c) in &compiled {
            for v in &c.variants {
                for o in v.objects.iter().filter(|o| {
                    !o.api_version().is_empty() && !crate::validate::is_built_in(o.api_version())
                }) {
                    checked += 1;
                    let what =
                        format!("{}/{} ({})", o.kind(), o.name(), v.resolved.variant.label());
                    diags.extend(manifests::crd_findings(
                        set,
                        &o.value,
                        &l.source.file,
                        &what,
                    ));
                }
            }
        }
    }
    print_diags(&diags, a.format);
    if diags
        .iter()
        .any(|d| d.is_error() || (a.deny_warnings && d.severity == Severity::Warning))
    {
        return Ok(ExitStatus::Failure);
    }
    if a.format == Format::Text {
        match crds {
            Some(_) => eprintln!(
                "{} spec(s) valid; {checked} custom resource(s) match their CRDs",
                compiled.len()
            ),
            None => eprintln!("{} spec(s) valid", compiled.len()),
        }
    }
    Ok(ExitStatus::Success)
}

/// `--manifests`: the custom resources in YAML files on disk.
fn on_disk(set: &CrdSet, a: &ValidateArgs) -> Result {
    let checked = manifests::check_files(set, &a.manifests)?;
    print_diags(&checked.diags, a.format);
    if checked.diags.iter().any(|d| d.is_error()) {
        return Ok(ExitStatus::Failure);
    }
    if a.format == Format::Text {
        eprintln!(
            "{} custom resource(s) in {} file(s) match their CRDs",
            checked.objects, checked.files
        );
    }
    Ok(ExitStatus::Success)
}
