//! The plan stage: derived facts only, pure functions, no I/O.

pub mod model;
