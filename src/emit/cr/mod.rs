//! Typed custom resources of the operators rkv targets.
//!
//! In: nothing (types only). Out: serde structs that serialize to the exact shape the
//! upstream CRDs accept (`apiVersion` and `kind` first, camelCase, absent fields omitted).
//! Invariant: every struct here validates against the CRD in `../shared/crds/`; fields
//! rkv does not set are not modelled, so nothing is written by accident.

pub mod argocd;
pub mod external_secrets;
pub mod spotahome;
pub mod strimzi;
