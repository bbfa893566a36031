//! Derived facts about a topology: pure functions, no I/O.
//!
//! In: numbers the checked spec already holds (shards, replicas, Sentinels,
//! quorum, memory limits, volume sizes). Out: the numbers rkv writes into
//! manifests (PDB budgets, slot ranges, `maxmemory`) together with the
//! arithmetic behind them and typed issues for the check stage to report.
//! Invariant: every function here is total (bad input is an `Err` or an issue,
//! never a panic) and deterministic, so `rkv explain` and the golden files agree.

pub mod disruption;
pub mod memory;
pub mod model;
pub mod qos;
pub mod settings;
pub mod slots;
pub mod tls;
pub mod zones;
