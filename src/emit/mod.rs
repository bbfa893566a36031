//! The emit stage: a checked, planned topology in, Kubernetes objects and files out.
//!
//! Each target has its own module; emitters build typed values (k8s-openapi structs,
//! typed CR structs) and turn them into [`Object`]s. Invariant: emitting is a pure function
//! of the plan — no clock, no environment, no I/O.

pub mod cluster;
pub mod common;
pub mod failover;
pub mod helm;
pub mod inventory;
pub mod network;
pub mod pdb;
pub mod placement;
pub mod replication;
pub mod runbook;
pub mod security;
pub mod standalone;

pub use crate::bundle::Object;
use crate::bundle::SerializeError;
use crate::plan::model::Plan;
use inventory::Inventory;

/// Why a value could not become an object.
#[derive(Debug, thiserror::Error)]
pub enum EmitError {
    /// Two PodDisruptionBudgets of one variant can select the same pod (a bug in an
    /// emitter: the eviction API would refuse to evict that pod).
    #[error("PodDisruptionBudgets `{0}` and `{1}` can select the same pods")]
    OverlappingBudgets(String, String),
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

/// Every object of one plan, for every target the plan asks for, with its inventory.
pub fn emit(plan: &Plan) -> Result<Emitted, EmitError> {
    let mut out = Emitted::default();
    if plan.outputs.kustomize {
        match plan.shape_name {
            "standalone" => out.extend(standalone::emit(plan)?),
            "cluster" => out.extend(cluster::emit(plan)?),
            "failover" => out.extend(failover::emit(plan)?),
            "replication" => out.extend(replication::emit(plan)?),
            _ => {}
        }
    }
    if plan.outputs.helm.is_some() {
        out.extend(helm::emit(plan)?);
    }
    out.objects.sort_by_cached_key(|o| o.key().render_order());
    pdb::no_overlap(&out.objects)?;
    Ok(out)
}
