//! rkv: compile a Redis topology spec into Kubernetes manifests.

pub mod diff;
pub mod write;
