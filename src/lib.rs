//! rkv: compile a Redis topology spec into Kubernetes manifests.
//!
//! The pipeline, one module per stage: [`spec`] (load, resolve) -> [`plan`] (derived
//! facts) -> [`check`] (findings about the spec and its plans) -> [`emit`] (objects and
//! what they run) -> [`write`](mod@write) (the tree, YAML, files). [`compile`] runs the
//! pipeline for one spec, [`batch`] for many at once (which files, and where each one's
//! tree goes), [`render`] streams many specs through it to disk (each compiled, staged
//! and dropped in turn, so memory does not grow with their number), and [`pick`]
//! chooses one variant of a compiled spec. After it: [`diff`] compares the objects with
//! a live cluster, [`gitops`] runs the pipeline inside Argo CD and KRM pipelines,
//! [`import`] turns a Redis that already runs into a spec (and compiles it back to
//! compare), and [`cli`] is the command line over all of it. Beside the stages: [`diag`]
//! (findings as data), [`target`] (facts about the charts and operators rkv writes for,
//! and their typed resources), [`bundle`] (what the stages after planning pass along:
//! objects, keys, files), [`explain`], [`validate`], [`par`].
//!
//! # The dependency rule
//!
//! A module uses only the modules listed beside it (and its own submodules); a stage
//! never uses a later one, and no two modules use each other. `architecture::tests`
//! reads this table and checks every `crate::`, `super::` and `self::` path in the
//! non-test code of `src/` against it, and that no two submodules use each other.
//!
//! | module | may use |
//! |---|---|
//! | `diag` | |
//! | `par` | |
//! | `spec` | `diag` |
//! | `target` | `spec` |
//! | `bundle` | `spec` |
//! | `plan` | `spec` `target` |
//! | `check` | `diag` `spec` `target` `plan` |
//! | `emit` | `spec` `target` `plan` `bundle` |
//! | `write` | `spec` `target` `bundle` `par` |
//! | `validate` | `diag` |
//! | `explain` | `spec` `target` `plan` `bundle` |
//! | `compile` | `diag` `spec` `plan` `check` `bundle` `emit` `write` |
//! | `pick` | `spec` `compile` |
//! | `batch` | `diag` `spec` `compile` `par` |
//! | `render` | `diag` `spec` `compile` `batch` `write` `par` |
//! | `diff` | `diag` `plan` `bundle` `write` `validate` |
//! | `gitops` | `diag` `spec` `bundle` `write` `compile` `pick` |
//! | `import` | `diag` `spec` `target` `plan` `compile` `diff` |
//! | `cli` | `diag` `spec` `bundle` `write` `validate` `explain` `compile` `pick` `batch` `render` `diff` `gitops` `import` `par` |

#[cfg(test)]
mod architecture;
pub mod batch;
pub mod bundle;
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
pub mod render;
pub mod spec;
pub mod target;
pub mod validate;
pub mod write;
