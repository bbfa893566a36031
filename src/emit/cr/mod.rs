//! Typed custom resources, one module per API group family.
//!
//! In: nothing (types only). Out: serde structs that serialize with `apiVersion` and
//! `kind` first, optional fields omitted when unset. Invariant: every field an emitter
//! sets exists in the upstream CRD's schema (the tests validate emitted objects against
//! `../shared/crds/`).

pub mod argocd;
pub mod cert_manager;
pub mod external_secrets;
pub mod flux;
pub mod monitoring;
pub mod opstree;
pub mod spotahome;
pub mod strimzi;
