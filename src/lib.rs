//! rkv: compile a Redis topology spec into Kubernetes manifests.

pub mod plan;
pub mod write;
