//! Typed custom resources: one module per API group.
//!
//! In: nothing (types only). Out: serde structs whose serialization is the resource as
//! the API server expects it, `apiVersion` and `kind` first. Invariant: optional fields
//! are omitted when unset, so the output carries only what an emitter decided.

pub mod cert_manager;
pub mod monitoring;
