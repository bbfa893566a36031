//! Facts about the software rkv writes for, one module per target: the Helm charts
//! (chart names, majors, image naming, how a chart version reads), the operators (the
//! names, labels and ports they use for what they create) and the typed custom
//! resources each one reads.
//!
//! In: nothing but the spec's own values. Out: constants, small pure functions, and
//! serde structs that serialize with `apiVersion` and `kind` first, optional fields
//! omitted when unset. Invariants: both the check stage and the emitters read these
//! facts from here, so a check never disagrees with what is emitted and `check` never
//! imports `emit`; every field an emitter sets exists in the upstream CRD's schema (the
//! tests validate emitted objects against `../shared/crds/`).

pub mod argocd;
pub mod cert_manager;
pub mod external_secrets;
pub mod flux;
pub mod helm;
pub mod monitoring;
pub mod opstree;
pub mod spotahome;
pub mod strimzi;

/// The uid the Redis user of an image has (999 in the official image, 1000 in the
/// OT-CONTAINER-KIT and Bitnami ones); the pod runs as it so the data volume is writable.
pub fn image_uid(image: &str) -> i64 {
    if image.contains("opstree") || image.contains("bitnami") {
        1000
    } else {
        999
    }
}
