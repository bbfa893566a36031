//! The emit stage: a checked, planned topology in; its objects, and the [`Inventory`] of
//! what they run (for the runbook), out.
//!
//! [`emit`] dispatches on the shape (one module each) and the Helm target; emitters build
//! typed values (k8s-openapi structs, [`crate::target`]'s custom resources) with the one
//! builder of each piece ([`common`], [`network`], [`pdb`], [`placement`],
//! [`security`]) and turn them into [`Object`]s; [`runbook`] writes RUNBOOK.md from the
//! plans and inventories. Invariant: emitting is a pure function of the plan — no
//! clock, no environment, no I/O.

pub mod alerts;
pub mod application;
pub mod auth;
pub mod backup;
pub mod cluster;
pub mod common;
pub mod exposure;
pub mod failover;
pub mod helm;
pub mod inventory;
pub mod keep;
pub mod network;
pub mod pdb;
pub mod placement;
pub mod replication;
pub mod runbook;
pub mod security;
pub mod standalone;
pub mod tls;

pub use crate::bundle::Object;
use crate::bundle::{SerializeError, default_repo_dir};
use crate::plan::model::Plan;
use crate::spec::Shape;
use crate::target::helm::Workload;
use inventory::Inventory;

/// Why a value could not become an object.
#[derive(Debug, thiserror::Error)]
pub enum EmitError {
    /// Two PodDisruptionBudgets of one variant can select the same pod (a bug in an
    /// emitter: the eviction API would refuse to evict that pod).
    #[error("PodDisruptionBudgets `{0}` and `{1}` can select the same pods")]
    OverlappingBudgets(String, String),
    /// The Helm target was asked for a shape no chart runs (the checks refuse it first).
    #[error("no Helm chart runs the `{0}` shape")]
    NoChart(&'static str),
    /// A site's Argo CD Application must name its tree's path in the GitOps repository,
    /// and the output directory is not inside the repository's root.
    #[error(
        "the Argo CD Application of site `{0}` syncs its tree from the GitOps repository, but the output directory is not inside the repository's root: run rkv from the repository's root, pass `--repo-root`, or set `spec.sites.{0}.argocd.path`"
    )]
    NoRepoPath(String),
    /// A typed value failed to serialize (a bug in an emitter, never user input).
    #[error(transparent)]
    Serialize(#[from] SerializeError),
    /// A text payload template failed to render (a bug in a template, never user input).
    #[error("cannot render the template `{what}`")]
    Template {
        what: String,
        #[source]
        source: minijinja::Error,
    },
}

/// What one variant's emitters made: its objects and what they run.
#[derive(Debug, Clone, Default)]
pub struct Emitted {
    pub objects: Vec<Object>,
    pub inventory: Inventory,
}

impl Emitted {
    fn extend(&mut self, other: Emitted) {
        self.objects.extend(other.objects);
        self.inventory = std::mem::take(&mut self.inventory).merge(other.inventory);
    }
}

/// Every object of one plan, for every target the plan asks for, with its inventory,
/// for a tree at [`default_repo_dir`] in the GitOps repository.
pub fn emit(plan: &Plan) -> Result<Emitted, EmitError> {
    emit_in(plan, Some(&default_repo_dir(&plan.source_name)))
}

/// [`emit`] for a spec whose tree is at `repo_dir` in the GitOps repository (a path from
/// the repository's root, `/`-separated): the Argo CD Applications sync from there.
/// `None` when the tree is not inside the repository: then an Application without its
/// own `argocd.path` is [`EmitError::NoRepoPath`].
pub fn emit_in(plan: &Plan, repo_dir: Option<&str>) -> Result<Emitted, EmitError> {
    let mut out = Emitted::default();
    if plan.outputs.kustomize {
        out.extend(match &plan.spec.shape {
            Shape::Standalone(_) => standalone::emit(plan)?,
            Shape::Cluster(c) => cluster::emit(plan, c)?,
            Shape::Failover(f) => failover::emit(plan, f)?,
            Shape::Replication(r) => replication::emit(plan, r)?,
        });
        // A site's Argo CD Application syncs its kustomize tree.
        out.objects
            .extend(application::application(plan, repo_dir)?);
    }
    if let Some(h) = &plan.outputs.helm {
        // The failover shape has no chart: the checks refuse it (RKV173) before a plan.
        let workload =
            Workload::of(&plan.spec.shape).ok_or(EmitError::NoChart(plan.spec.shape.name()))?;
        out.extend(helm::emit(plan, h, workload)?);
    }
    keep::protect(plan, &mut out.objects);
    // Borrowed keys: no strings built to sort (`sort_by` is stable, as the cached-key
    // sort of owned keys was, so the order is the same).
    out.objects.sort_by(|a, b| a.order().cmp(&b.order()));
    pdb::no_overlap(&out.objects)?;
    out.inventory.prerequisites = prerequisites(plan, &out.objects);
    Ok(out)
}

/// The Secrets `objects` read and do not create, the Helm values read from the values
/// document beside the HelmRelease. A TLS Secret mounted whole is read for the three
/// files the spec's `tls` Secrets hold.
fn prerequisites(plan: &Plan, objects: &[Object]) -> Vec<inventory::Prerequisite> {
    use crate::target::helm::{CA_FILE, CERT_FILE, KEY_FILE};
    let values = objects.iter().find(|o| {
        o.kind().is_empty()
            && o.path
                .as_deref()
                .is_some_and(|p| p.ends_with("values.yaml"))
    });
    let docs: Vec<&serde_json::Value> = objects.iter().map(|o| &o.value).collect();
    let refs = crate::bundle::secrets::needed(&docs, &|_| values.map(|v| v.value.clone()));
    let mut out = crate::bundle::secrets::prerequisites(&refs);
    let tls: Vec<&str> = plan
        .spec
        .tls
        .iter()
        .flat_map(|t| std::iter::once(t.server_secret.as_str()).chain(t.client_secret.as_deref()))
        .collect();
    for p in out.iter_mut().filter(|p| p.keys.is_empty()) {
        if tls.contains(&p.name.as_str()) {
            p.keys = [CA_FILE, CERT_FILE, KEY_FILE].map(String::from).to_vec();
        }
    }
    out
}
