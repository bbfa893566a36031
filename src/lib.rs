//! rkv: compile a Redis topology spec into Kubernetes manifests.

pub mod validate;
pub mod write;
