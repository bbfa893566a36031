//! `rkv import`: adopt a Redis that already runs.
//!
//! In: what runs, read as [`SourceObject`]s: manifests ([`read_manifests`], a kustomize
//! tree built by `kubectl kustomize`), Bitnami chart values ([`HelmInput`]), or the
//! objects of a namespace of a live cluster ([`fetch_live`], read-only, through the
//! diff's kube client). Out: an [`Imported`]: the spec ([`Topology`]), its YAML with the
//! schema modeline and a comment on every value import inferred, could not map or
//! changed, and a [`Report`]: what was found, what changed on purpose (with the finding
//! code that explains it), and the round trip: the spec rendered through the library's
//! compile path and compared with the source object by object, every difference
//! identical, deliberate or lost.
//!
//! Invariants: import never reads a Secret's data and never prints a secret value (only
//! references); the same input gives the same spec and report; bad input is an
//! [`ImportError`] located in the file (exit 2); a source field rkv cannot express is
//! listed as lost, never dropped silently ([`Report::lost`] is what `--check` fails on).
//!
//! The mapping from sources to spec fields is in [`settings`] (Redis directives and
//! placement knobs: one table entry per spec field) and the shape readers ([`infer`],
//! [`helm`]); the reasons for deliberate differences are one table in [`rules`].

pub mod compare;
pub mod error;
pub mod fix;
pub mod helm;
pub mod infer;
pub mod notes;
pub mod pod;
pub mod redisconf;
pub mod report;
pub mod rules;
pub mod settings;
pub mod source;
pub mod yaml;

mod live;

use serde_json::Value;

use crate::compile::{CompileError, Compiled, compile};
use crate::diag::{self, Diagnostic, Severity};
use crate::spec::{self, Topology};

pub use error::ImportError;
pub use helm::{ChartName, HelmInput, defaults as chart_defaults};
pub use live::{LiveOptions, fetch_live};
pub use report::Report;
pub use source::{SourceObject, parse_manifests, read_manifests};

/// What every import needs besides its sources.
#[derive(Debug, Clone)]
pub struct Options {
    /// The namespace when the sources name none (`--namespace`).
    pub namespace: Option<String>,
    /// The schema path of the modeline (`# yaml-language-server: $schema=...`).
    pub schema: String,
    /// What was read, for the report and the spec's header (`tests/fixtures/...`).
    pub label: String,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            namespace: None,
            schema: "../schemas/topology.schema.json".into(),
            label: "the sources".into(),
        }
    }
}

/// An imported spec, its YAML and the report.
#[derive(Debug, Clone)]
pub struct Imported {
    pub topology: Topology,
    pub yaml: String,
    pub report: Report,
}

/// The file name diagnostics of the imported spec point into.
const SPEC_FILE: &str = "imported.yaml";

/// Imports `objects` (and, for a Helm release, its values).
pub fn import(
    mut objects: Vec<SourceObject>,
    helm: Option<HelmInput>,
    opts: &Options,
) -> Result<Imported, ImportError> {
    let read = match &helm {
        Some(h) => format!(
            "the values {} and {} object(s) from {}",
            h.values.file,
            objects.len(),
            opts.label
        ),
        None => format!("{} object(s) from {}", objects.len(), opts.label),
    };
    let mut draft = match &helm {
        Some(h) => {
            let d = helm::draft(h, &objects, objects.len())?;
            objects.push(h.values.clone());
            d
        }
        None => infer::draft(&objects, opts.namespace.as_deref(), &opts.label)?,
    };
    let header = |found: &str| {
        vec![
            format!("yaml-language-server: $schema={}", opts.schema),
            format!("Imported by `rkv import` from {}: {found}.", opts.label),
            "Review every `inferred`, `not mapped` and `changed` comment (and the import report), then commit the spec and run `rkv diff` before the first rollout.".to_string(),
        ]
    };
    // Resolve what rkv's checks refuse, the way their help says; each fix is recorded.
    let mut fixes: Vec<report::Fix> = Vec::new();
    let mut compiled = None;
    for _ in 0..12 {
        let text = yaml::emit(&draft.topology, &draft.notes, &header(&draft.found))
            .map_err(|e| ImportError::Internal(e.to_string()))?;
        let loaded = load(&text)?;
        match compile(&loaded) {
            Ok(c) => {
                compiled = Some(c);
                break;
            }
            Err(CompileError::Findings(found)) => {
                let mut progressed = false;
                let mut unresolved = Vec::new();
                for d in found.iter().filter(|d| d.is_error()) {
                    match fix::fix(d, &mut draft) {
                        Some(change) => {
                            progressed = true;
                            fixes.push(report::Fix {
                                code: d.code,
                                field: d.path.clone(),
                                message: d.message.clone(),
                                change,
                            });
                        }
                        None => unresolved.push(d.clone()),
                    }
                }
                if !progressed {
                    return Err(ImportError::Unresolved(format!(
                        "{}\nthe spec as imported:\n{text}",
                        diag::render_text(&unresolved)
                    )));
                }
            }
            Err(e @ (CompileError::Emit(_) | CompileError::Layout(_))) => {
                return Err(ImportError::Internal(e.to_string()));
            }
        }
    }
    if compiled.is_none() {
        return Err(ImportError::Internal(
            "the checks kept refusing the spec after 12 rounds of fixes".into(),
        ));
    }
    // A budget equal to rkv's own is not an override: leave it to rkv.
    if let Some(keep) = draft.topology.spec.disruption.clone() {
        draft.topology.spec.disruption = None;
        let text = yaml::emit(&draft.topology, &draft.notes, &header(&draft.found))
            .map_err(|e| ImportError::Internal(e.to_string()))?;
        let same = compile(&load(&text)?).ok().is_some_and(|c| {
            let ours = c.variants.first().and_then(|v| v.plan.data_budget.clone());
            ours.is_some_and(|b| {
                b.min_available == keep.min_available && b.max_unavailable == keep.max_unavailable
            })
        });
        if !same {
            draft.topology.spec.disruption = Some(keep);
        }
    }
    let yaml = yaml::emit(&draft.topology, &draft.notes, &header(&draft.found))
        .map_err(|e| ImportError::Internal(e.to_string()))?;
    let compiled = match compile(&load(&yaml)?) {
        Ok(c) => c,
        Err(e) => return Err(ImportError::Internal(format!("{e}: {yaml}"))),
    };
    let report = round_trip(&objects, &draft, helm.as_ref(), &compiled, fixes, read);
    Ok(Imported {
        topology: draft.topology,
        yaml,
        report,
    })
}

fn load(text: &str) -> Result<spec::Loaded, ImportError> {
    spec::load_str(SPEC_FILE, text.to_string())
        .map_err(|d| ImportError::Internal(format!("{}\n{text}", diag::render_text(&d))))
}

/// `minAvailable: 5`, or `none`: rkv's budget over the data pods.
fn budget_text(c: &Compiled) -> String {
    match c.variants.first().and_then(|v| v.plan.data_budget.as_ref()) {
        Some(b) => match (b.min_available, b.max_unavailable) {
            (Some(m), _) => format!("minAvailable: {m}"),
            (_, Some(m)) => format!("maxUnavailable: {m}"),
            _ => "none".into(),
        },
        None => {
            "none: with one Redis pod a budget either blocks every drain or lets the only pod go"
                .into()
        }
    }
}

fn round_trip(
    objects: &[SourceObject],
    draft: &infer::Draft,
    helm: Option<&HelmInput>,
    compiled: &Compiled,
    fixes: Vec<report::Fix>,
    read: String,
) -> Report {
    let variant = compiled.variants.first();
    let mut rendered: Vec<Value> = Vec::new();
    let mut values = None;
    for o in variant.map(|v| &v.objects[..]).unwrap_or_default() {
        if o.api_version().is_empty() {
            if o.path
                .as_deref()
                .is_some_and(|p| p.ends_with("values.yaml"))
            {
                values = Some((o.path.clone().unwrap_or_default(), o.value.clone()));
            }
            continue;
        }
        if o.api_version().starts_with("kustomize.config.k8s.io/") {
            continue;
        }
        rendered.push(o.value.clone());
    }
    let chart_defaults = helm.map(|h| {
        let mut d = helm::defaults(h.chart);
        if let Some(full) = &h.defaults {
            d = helm::merge(&d, full);
        }
        d
    });
    let sentinel_nodes = helm.is_some()
        && matches!(
            draft.topology.spec.shape,
            crate::spec::Shape::Replication(_)
        );
    let input = compare::Input {
        sources: objects,
        roles: &draft.roles,
        partial: &draft.partial,
        rendered: &rendered,
        rendered_values: values,
        fixes: &fixes,
        chart_defaults,
        chart_values: helm.and_then(|h| h.defaults.clone()),
        sentinel_nodes,
        budget: budget_text(compiled),
    };
    let objects_report = compare::compare(&input);
    let findings = compiled
        .findings
        .iter()
        .filter(|d| d.severity != Severity::Note)
        .map(|d: &Diagnostic| report::Finding {
            code: d.code,
            severity: d.severity.as_str().to_string(),
            field: d.path.clone(),
            message: d.message.clone(),
        })
        .collect();
    Report {
        found: draft.found.clone(),
        read,
        fixes,
        findings,
        notes: draft.notes.0.clone(),
        objects: objects_report,
    }
}
