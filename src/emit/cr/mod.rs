//! Typed custom resources of the operators rkv targets, one module per API group.
//!
//! In: nothing (types only). Out: serde structs whose JSON is the custom resource, with
//! `apiVersion` and `kind` first. Invariant: every field exists in the upstream CRD
//! schema (the golden outputs are validated against the CRDs in `../shared/crds/`), and
//! an unset optional field is left out, never written as `null`.

pub mod opstree;
