//! The integration tests: one binary made of modules (ripgrep's `tests/tests.rs`), so one
//! build serves them all and `cargo test -- <name>` picks any test. Helpers every module
//! uses are in [`support`], once.
//!
//! - [`cli`]: the command line as users run it (whole-output snapshots with insta).
//! - [`ci_reports`]: findings and drift as GitHub annotations and SARIF logs.
//! - [`codes`]: every finding code is produced in a golden case, a snapshot or a named test.
//! - [`monorepo`]: specs of one name in several folders, rendered, checked and pruned.
//! - [`golden`]: one test per `tests/golden/<case>/`.
//! - [`argocd_paths`]: the Argo CD Applications rkv writes sync paths the repository has.
//! - [`gitops`]: the Argo CD plugin and the KRM function as their orchestrators run them.
//! - [`diff_cluster`]: `rkv diff` against a stand-in API server and dumps.
//! - [`effects`]: every schema field on every target renders, is read by the checks, or
//!   is refused as the table of effects says.
//! - [`helm`], [`policy`], [`runbook`]: what rkv writes, checked against charts, the
//!   security policy and the runbooks' names.
//! - [`keep`]: nothing rkv renders deletes data through GitOps.
//! - [`import`]: `rkv import` over the seeds, its round trip, its command line and
//!   `--live` against the stand-in API server.
//! - [`knobs`]: the placement and pod knobs on every pod rkv renders.
//! - [`names`]: every rendered name within Kubernetes' limits, and the name check agrees.
//! - [`no_panic`]: the loader on arbitrary input.
//! - [`secrets`]: no finding shows a secret, in any output format.
//! - [`spotahome`]: the RedisFailover's startup command, run by the real `redis-server`.

// A test states what must hold: a failed unwrap or a panic is a failed test; and tests
// write their own fixtures and temp trees directly, not through rkv's writer.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods
)]

mod support;

mod argocd_paths;
mod ci_reports;
mod cli;
mod codes;
mod diff_cluster;
mod effects;
mod gitops;
mod golden;
mod helm;
mod import;
mod keep;
mod knobs;
mod monorepo;
mod names;
mod no_panic;
mod policy;
mod runbook;
mod secrets;
mod spotahome;
