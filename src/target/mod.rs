//! Facts about the software rkv writes for: the Helm charts (chart names, majors, image
//! naming, how a chart version reads) and the operators (the names, labels and ports
//! they use for what they create).
//!
//! In: nothing but the spec's own values. Out: constants and small pure functions.
//! Invariant: both the check stage and the emitters read these facts from here, so a
//! check never disagrees with what is emitted, and `check` never imports `emit`.

pub mod helm;
