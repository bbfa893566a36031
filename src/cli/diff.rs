//! `rkv diff`: what a rollout of one variant would change in the live cluster (or in a
//! `kubectl get -o yaml` dump), exiting like `kubectl diff`.

use std::io::IsTerminal as _;

use super::args::{DiffArgs, Format};
use super::{Error, ExitStatus, Result, compile_all, pick};
use crate::diff::{self as d, DiffOptions, LiveSource};

pub(super) fn run(a: DiffArgs) -> Result {
    // Findings exit 2 here, not 1: 1 means "the cluster would change".
    let Ok(compiled) = compile_all(std::slice::from_ref(&a.spec), false, Format::Text) else {
        return Ok(ExitStatus::Error);
    };
    let Some((l, c)) = compiled.first() else {
        return Ok(ExitStatus::Error);
    };
    let v = pick(&l.source.file, c, a.site.as_deref().or(a.env.as_deref()))?;
    // Files placed outside the tree (Helm values) are not cluster objects.
    let rendered: Vec<serde_json::Value> = v
        .objects
        .iter()
        .filter(|o| o.path.is_none() || !o.api_version().is_empty())
        .map(|o| o.value.clone())
        .collect();
    let opts = DiffOptions {
        kubeconfig: a.kubeconfig,
        context: a.context,
        concurrency: usize::from(a.concurrency),
        show_secrets: a.show_secrets,
        timeout: std::time::Duration::from_secs(a.timeout.max(1)),
        format: match a.format {
            Format::Text => d::Format::Text,
            Format::Json => d::Format::Json,
        },
        color: use_color(),
        progress: std::io::stderr().is_terminal(),
    };
    let live = match a.live {
        Some(f) => LiveSource::File(f),
        None => LiveSource::Cluster,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(Error::Runtime)?;
    let report = runtime.block_on(d::diff(&rendered, live, &opts))?;
    print!("{}", report.render(&opts));
    Ok(if report.has_changes() {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

/// Colour only on a terminal, and never with `NO_COLOR` set.
fn use_color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
}
