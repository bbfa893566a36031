//! The write stage: the objects of every variant laid out as a tree ([`layout`]), the
//! Helm tree as kustomize builds it for the modes that stream objects ([`helm`]), the one
//! deterministic YAML writer, and the one place files are written ([`fs`]).
//!
//! Invariant: the same value always gives the same bytes; every string a YAML 1.1
//! reader (kubectl, libyaml) would take for a boolean or a number is quoted; trees are
//! replaced atomically.

pub mod fs;
pub mod helm;
pub mod layout;
mod yaml;

pub use yaml::{to_yaml, to_yaml_stream};
