//! rkv: compile a Redis topology spec into Kubernetes manifests.
//!
//! The pipeline, one module per stage:
//! [`spec`] (load) -> [`check`] -> [`plan`] -> [`emit`] -> [`write`]; [`compile`] runs it
//! for one spec, [`batch`] for many at once, [`pick`] chooses one variant of a compiled
//! spec, [`import`] turns a Redis that already runs into a spec, and [`cli`] is the
//! command line over all of it.

pub mod batch;
pub mod check;
pub mod cli;
pub mod compile;
pub mod diag;
pub mod diff;
pub mod emit;
pub mod explain;
pub mod gitops;
pub mod import;
pub mod par;
pub mod pick;
pub mod plan;
pub mod spec;
pub mod validate;
pub mod write;
