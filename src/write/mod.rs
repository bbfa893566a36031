//! The one deterministic YAML writer: typed values in, YAML text out.
//!
//! Invariant: the same value always gives the same bytes; every string a YAML 1.1
//! reader (kubectl, libyaml) would take for a boolean or a number is quoted.

mod yaml;

pub use yaml::{to_yaml, to_yaml_stream};
