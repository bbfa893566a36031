//! Facts about the software rkv writes for, one module per target: the Helm charts
//! (chart names, majors, image naming, how a chart version reads), the operators (the
//! names, labels and ports they use for what they create) and the typed custom
//! resources each one reads, kustomize's files among them; and the Redis server itself
//! (the directives it knows, [`redis`]).
//!
//! In: nothing but the spec's own values. Out: constants, small pure functions, and
//! serde structs that serialize with `apiVersion` and `kind` first, optional fields
//! omitted when unset. Invariants: both the check stage and the emitters read these
//! facts from here, so a check never disagrees with what is emitted and `check` never
//! imports `emit`; every field an emitter sets exists in the upstream CRD's schema (the
//! tests validate emitted objects against `../shared/crds/`).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::ser::{Serialize, SerializeStruct, Serializer};

pub mod argocd;
pub mod cert_manager;
pub mod effects;
pub mod external_secrets;
pub mod flux;
pub mod helm;
pub mod kustomize;
pub mod monitoring;
pub mod opstree;
pub mod redis;
pub mod spotahome;
pub mod strimzi;

/// The uid the Redis user of an image has: 999 in the official image, 1000 in the
/// OT-CONTAINER-KIT one, 1001 in Bitnami's (their Dockerfiles' `USER 1001`, and the
/// charts' `runAsUser`/`fsGroup` defaults); the pod runs as it so the data volume is
/// writable.
pub fn image_uid(image: &str) -> i64 {
    if image.contains("bitnami") {
        1001
    } else if image.contains("opstree") {
        1000
    } else {
        999
    }
}

/// What a custom resource's spec type says about the resource: its `apiVersion` and
/// `kind`.
pub trait Resource {
    const API_VERSION: &'static str;
    const KIND: &'static str;
}

/// A custom resource: `apiVersion` and `kind` from the type of its spec, then its
/// metadata and spec, in that order (kube-core's `Object<P, U>`, without a status).
#[derive(Debug, Clone, PartialEq)]
pub struct Cr<S> {
    pub metadata: ObjectMeta,
    pub spec: S,
}

impl<S> Cr<S> {
    pub fn new(metadata: ObjectMeta, spec: S) -> Self {
        Cr { metadata, spec }
    }
}

impl<S: Resource + Serialize> Serialize for Cr<S> {
    fn serialize<Ser: Serializer>(&self, serializer: Ser) -> Result<Ser::Ok, Ser::Error> {
        let mut o = serializer.serialize_struct(S::KIND, 4)?;
        o.serialize_field("apiVersion", S::API_VERSION)?;
        o.serialize_field("kind", S::KIND)?;
        o.serialize_field("metadata", &self.metadata)?;
        o.serialize_field("spec", &self.spec)?;
        o.end()
    }
}
