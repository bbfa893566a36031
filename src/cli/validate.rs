//! `rkv validate`: every finding about the specs; with `--crds`, also every custom
//! resource they render (or, with `--manifests`, every one in YAML files on disk)
//! checked against the CRDs in a directory.

use super::args::{FindingsFormat, ValidateArgs};
use super::{ExitStatus, Result, compile_quiet, print_findings};
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
    // Every finding, of the specs and of their custom resources, is printed once at the
    // end: a SARIF log or a JSON array is one document.
    let c = compile_quiet(
        &a.paths,
        a.deny_warnings,
        Some(crate::bundle::DEFAULT_OUTPUT),
    );
    let mut diags = c.diags;
    if let Some(status) = c.failed {
        print_findings(&diags, a.format);
        return Ok(status);
    }
    let compiled = c.compiled;
    let mut checked = 0;
    let mut crd_failed = false;
    if let Some(set) = &crds {
        let mut found = Vec::new();
        for (l, c) in &compiled {
            for v in &c.variants {
                for o in v.objects.iter().filter(|o| {
                    !o.api_version().is_empty() && !crate::validate::is_built_in(o.api_version())
                }) {
                    checked += 1;
                    let what =
                        format!("{}/{} ({})", o.kind(), o.name(), v.resolved.variant.label());
                    found.extend(manifests::crd_findings(
                        set,
                        &o.value,
                        &l.source.file,
                        &what,
                    ));
                }
            }
        }
        // The specs' own warnings were judged above; these decide on their own.
        crd_failed = found
            .iter()
            .any(|d| d.is_error() || (a.deny_warnings && d.severity == Severity::Warning));
        diags.extend(found);
    }
    print_findings(&diags, a.format);
    if crd_failed {
        return Ok(ExitStatus::Failure);
    }
    if a.format == FindingsFormat::Text {
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
    print_findings(&checked.diags, a.format);
    if checked.diags.iter().any(|d| d.is_error()) {
        return Ok(ExitStatus::Failure);
    }
    if a.format == FindingsFormat::Text {
        eprintln!(
            "{} custom resource(s) in {} file(s) match their CRDs",
            checked.objects, checked.files
        );
    }
    Ok(ExitStatus::Success)
}
