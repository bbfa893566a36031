//! `rkv import`: a Redis that already runs (manifests, Bitnami chart values or a live
//! namespace) in, its spec out on stdout or in `-o FILE`, the import report on stderr.
//!
//! Exit statuses: 0 imported; 1 with `--check` when a source field would be lost; 2 an
//! input, I/O or cluster error (import's own located errors, printed once by `cli::main`).

use std::io::Write as _;
use std::path::{Component, Path};

use super::args::{Format, ImportArgs};
use super::{Error, ExitStatus, Result};
use crate::import::{self as imp, ChartName, HelmInput, ImportError, Imported, Options, source};

/// The schema's `$id`, for a spec written where `schemas/` is not beside it.
const SCHEMA_ID: &str = "https://rkv.dev/schemas/topology.schema.json";

pub(super) fn run(a: ImportArgs) -> Result {
    let imported = import(&a)?;
    match a.format {
        Format::Text => eprint!("{}", imported.report.render_text()),
        Format::Json => eprintln!(
            "{}",
            serde_json::to_string_pretty(&imported.report).map_err(Error::Json)?
        ),
    }
    if a.check {
        return Ok(if imported.report.lost() > 0 {
            ExitStatus::Failure
        } else {
            ExitStatus::Success
        });
    }
    match &a.output {
        None => {
            let _ = std::io::stdout().lock().write_all(imported.yaml.as_bytes());
        }
        Some(out) => {
            if crate::write::fs::write_file(out, &imported.yaml)? {
                eprintln!("wrote {}", out.display());
            } else {
                eprintln!("{} is up to date", out.display());
            }
        }
    }
    Ok(ExitStatus::Success)
}

/// Reads the sources `a` names and imports them.
fn import(a: &ImportArgs) -> Result<Imported> {
    let (objects, label) = if a.live {
        let opts = imp::LiveOptions {
            kubeconfig: a.kubeconfig.clone(),
            context: a.context.clone(),
            namespace: a.namespace.clone().unwrap_or_default(),
            selector: a.selector.clone(),
            timeout: std::time::Duration::from_secs(a.timeout.max(1)),
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(Error::Runtime)?;
        let objects = runtime.block_on(imp::fetch_live(&opts))?;
        let label = format!("namespace `{}` of the cluster", opts.namespace);
        (objects, label)
    } else {
        let objects = imp::read_manifests(&a.manifests, &a.kubectl)?;
        let what: Vec<String> = a
            .helm_values
            .iter()
            .chain(&a.manifests)
            .map(|p| p.display().to_string())
            .collect();
        (objects, what.join(", "))
    };
    let helm = match (&a.helm_values, a.chart.as_deref()) {
        (Some(f), Some(chart)) => Some(HelmInput {
            values: values_file(f)?,
            chart: if chart == "redis-cluster" {
                ChartName::RedisCluster
            } else {
                ChartName::Redis
            },
            version: a.chart_version.clone(),
            defaults: a
                .chart_defaults
                .as_deref()
                .map(values_file)
                .transpose()?
                .map(|o| o.value),
            release: a.release.clone(),
            namespace: a.namespace.clone(),
        }),
        _ => None,
    };
    let schema = match &a.output {
        Some(out) => schema_ref(out),
        None => "../schemas/topology.schema.json".to_string(),
    };
    let opts = Options {
        namespace: a.namespace.clone(),
        schema,
        label,
    };
    Ok(imp::import(objects, helm, &opts)?)
}

/// The one YAML document of a values file (an empty file is an empty mapping).
fn values_file(f: &Path) -> std::result::Result<source::SourceObject, ImportError> {
    let label = f.display().to_string();
    let mut docs = source::parse_documents(&label, &source::read_text(f)?)?;
    match docs.len() {
        0 => Ok(source::SourceObject::unplaced(
            serde_json::json!({}),
            &label,
        )),
        1 => Ok(docs.remove(0)),
        _ => Err(docs
            .remove(1)
            .invalid("", "a values file holds one YAML document")),
    }
}

/// The schema's path as seen from the folder of `out` when `schemas/` is in the current
/// directory, else the schema's `$id`.
fn schema_ref(out: &Path) -> String {
    let schema = Path::new("schemas/topology.schema.json");
    let (Ok(cwd), true) = (std::env::current_dir(), schema.is_file()) else {
        return SCHEMA_ID.into();
    };
    let dir = out
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let abs = cwd.join(dir);
    // `..` in the path cannot be counted back down from the current directory.
    match abs.strip_prefix(&cwd) {
        Ok(rest)
            if rest
                .components()
                .all(|c| matches!(c, Component::Normal(_) | Component::CurDir)) =>
        {
            let depth = rest
                .components()
                .filter(|c| matches!(c, Component::Normal(_)))
                .count();
            format!("{}schemas/topology.schema.json", "../".repeat(depth))
        }
        _ => SCHEMA_ID.into(),
    }
}
