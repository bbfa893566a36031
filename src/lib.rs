//! rkv: compile a Redis topology spec into Kubernetes manifests.
//!
//! The pipeline, one module per stage:
//! [`spec`] (load) -> [`check`] -> [`plan`] -> [`emit`] -> [`write`]; [`compile`] runs it
//! for one spec, [`render`] streams many specs through it to disk, [`cli`] is the
//! command line over it.

pub mod check;
pub mod cli;
pub mod compile;
pub mod diag;
pub mod diff;
pub mod emit;
pub mod explain;
pub mod gitops;
pub mod par;
pub mod plan;
pub mod render;
pub mod spec;
pub mod validate;
pub mod write;
