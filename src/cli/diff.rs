//! `rkv diff`: what a rollout of one variant would change in the live cluster (or in a
//! `kubectl get -o yaml` dump), exiting like `kubectl diff`.
//!
//! In: [`DiffArgs`] and the environment (`RKV_EXTERNAL_DIFF`, `NO_COLOR`). Out: the
//! report on stdout (or the external differ's output and the report's footer), and
//! [`ExitStatus::Failure`] when what `--fail-on` names is present. The arguments become
//! [`DiffOptions`] here; the logic lives in [`crate::diff`].

use std::collections::BTreeSet;
use std::io::IsTerminal as _;

use serde_json::Value;

use super::args::{ApplierArg, DiffArgs, DiffOutput, FailOnArg, Format};
use super::{Error, ExitStatus, Result, compile_all, pick};
use crate::compile::{Compiled, Variant};
use crate::diff::{self as d, Applier, DiffOptions, LiveSource};
use crate::write::layout::LayoutError;

pub(super) fn run(a: DiffArgs) -> Result {
    // Findings exit 2 here, not 1: 1 means "the cluster would change".
    let Ok(compiled) = compile_all(std::slice::from_ref(&a.spec), false, Format::Text) else {
        return Ok(ExitStatus::Error);
    };
    let Some((l, c)) = compiled.first() else {
        return Ok(ExitStatus::Error);
    };
    let v = pick(&l.source.file, c, a.site.as_deref().or(a.env.as_deref()))?;
    let rendered = rendered_objects(v)?;
    let opts = options(&a, c, v)?;
    let live = match &a.live {
        Some(f) => LiveSource::File(f.clone()),
        None => LiveSource::Cluster,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(Error::Runtime)?;
    let report = runtime.block_on(d::diff(&rendered, live, &opts))?;
    let external = std::env::var("RKV_EXTERNAL_DIFF")
        .ok()
        .filter(|c| !c.trim().is_empty() && opts.format == d::Format::Text);
    match external {
        Some(command) => {
            let out = d::external_diff(&report, &command)?;
            print!("{}{}", out.stdout, report.render_footer(opts.color));
        }
        None => print!("{}", report.render(&opts)),
    }
    let fail_on = match a.fail_on {
        FailOnArg::Changes => d::FailOn::Changes,
        FailOnArg::Destructive => d::FailOn::Destructive,
    };
    Ok(if report.fails(fail_on) {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

/// The options of the diff from its arguments, the compiled spec and the variant `v`.
fn options(a: &DiffArgs, c: &Compiled, v: &Variant) -> Result<DiffOptions> {
    let applier = a.applier.map(|x| match x {
        ApplierArg::Flux => Applier::Flux,
        ApplierArg::Argocd => Applier::ArgoCd,
        ApplierArg::Kubectl => Applier::Kubectl,
    });
    // Live objects another variant of the spec renders are not this variant's prunes.
    let mut other_variants = Vec::new();
    for o in c
        .variants
        .iter()
        .filter(|o| o.resolved.variant != v.resolved.variant)
    {
        other_variants.push((o.resolved.variant.label().to_string(), rendered_objects(o)?));
    }
    Ok(DiffOptions {
        kubeconfig: a.kubeconfig.clone(),
        context: a.context.clone(),
        concurrency: usize::from(a.concurrency),
        show_secrets: a.show_secrets,
        timeout: std::time::Duration::from_secs(a.timeout.max(1)),
        format: match a.output {
            DiffOutput::Text => d::Format::Text,
            DiffOutput::Summary => d::Format::Summary,
            DiffOutput::Json => d::Format::Json,
        },
        color: use_color(),
        progress: std::io::stderr().is_terminal(),
        field_manager: a
            .field_manager
            .clone()
            .or_else(|| applier.map(|x| x.field_manager().to_string()))
            .unwrap_or_else(|| d::FIELD_MANAGER.to_string()),
        applier,
        context_lines: a.context_lines,
        suppress: a.suppress.clone(),
        namespaces: spec_namespaces(c),
        runbook: Some(d::Runbook {
            path: format!("generated/{}/RUNBOOK.md", c.profile),
            variant: v.resolved.variant.label().to_string(),
        }),
        other_variants,
    })
}

/// The cluster objects of one compiled variant, as `rkv diff` compares them: exactly
/// what `rkv render --stdout` prints ([`crate::gitops::stream_objects`]), so the Helm
/// target is its values ConfigMap, OCIRepository and HelmRelease.
fn rendered_objects(v: &Variant) -> std::result::Result<Vec<Value>, LayoutError> {
    Ok(crate::gitops::stream_objects(v)?
        .into_iter()
        .map(|o| o.value)
        .collect())
}

/// Every namespace any variant of a compiled spec uses ([`d::namespaces_of`] over all
/// of them): where objects of the topology may be left behind by an earlier render.
fn spec_namespaces(c: &Compiled) -> BTreeSet<String> {
    let all: Vec<Value> = c
        .variants
        .iter()
        .flat_map(|v| v.objects.iter().map(|o| o.value.clone()))
        .collect();
    d::namespaces_of(&all)
}

/// Colour only on a terminal, and never with `NO_COLOR` set.
fn use_color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
}
