//! The spec stage: a topology file in, a typed [`Topology`] (or located findings) out,
//! and the effective topology of each environment and site.

pub mod fast;
pub mod load;
pub mod resolve;
pub mod tree;
pub mod types;

pub use load::{Loaded, load_bytes, load_file, load_str};
pub use resolve::{Resolved, Variant};
pub use types::*;
