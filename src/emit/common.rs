//! Pieces every emitter shares: labels, selectors, object metadata, Secret references,
//! resources and claims.
//!
//! Invariant: every object rkv renders carries the `app.kubernetes.io/*` labels
//! (`managed-by: rkv` is what `rkv diff` prunes by), and every selector of rkv's own
//! pods is built from the same three of them.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{EnvVar, EnvVarSource, SecretKeySelector};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{
    LabelSelector, LabelSelectorRequirement, ObjectMeta,
};

use crate::plan::model::Plan;
use crate::spec::SecretKeyRef;

/// The `app.kubernetes.io/*` labels of one component, plus the spec's extra labels.
pub fn labels(plan: &Plan, component: &str) -> BTreeMap<String, String> {
    let mut l = plan.extra_labels.clone();
    l.insert("app.kubernetes.io/name".into(), "redis".into());
    l.insert("app.kubernetes.io/instance".into(), plan.name.clone());
    l.insert("app.kubernetes.io/component".into(), component.into());
    l.insert("app.kubernetes.io/part-of".into(), plan.part_of.clone());
    l.insert("app.kubernetes.io/managed-by".into(), "rkv".into());
    l
}

/// The labels that select one component's pods (stable across spec changes).
pub fn selector_labels(plan: &Plan, component: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("app.kubernetes.io/name".into(), "redis".into()),
        ("app.kubernetes.io/instance".into(), plan.name.clone()),
        ("app.kubernetes.io/component".into(), component.into()),
    ])
}

pub fn selector(plan: &Plan, component: &str) -> LabelSelector {
    LabelSelector {
        match_labels: Some(selector_labels(plan, component)),
        ..Default::default()
    }
}

/// Metadata of a namespaced object.
pub fn meta(plan: &Plan, name: &str, component: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_string()),
        namespace: Some(plan.namespace.clone()),
        labels: Some(labels(plan, component)),
        ..Default::default()
    }
}

/// An environment variable read from a Secret key: the value never appears in the output.
pub fn secret_env(name: &str, secret: &SecretKeyRef) -> EnvVar {
    EnvVar {
        name: name.into(),
        value_from: Some(EnvVarSource {
            secret_key_ref: Some(SecretKeySelector {
                name: secret.name.clone(),
                key: secret.key.clone(),
                optional: Some(false),
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// All pods of this topology (every component).
pub fn instance_selector(plan: &Plan) -> LabelSelector {
    LabelSelector {
        match_labels: Some(BTreeMap::from([
            ("app.kubernetes.io/instance".into(), plan.name.clone()),
            ("app.kubernetes.io/managed-by".into(), "rkv".into()),
        ])),
        ..Default::default()
    }
}

/// Pods of this instance whose component is one of `components`.
pub fn components_selector(plan: &Plan, components: &[&str]) -> LabelSelector {
    LabelSelector {
        match_labels: Some(BTreeMap::from([
            ("app.kubernetes.io/name".to_string(), "redis".to_string()),
            ("app.kubernetes.io/instance".to_string(), plan.name.clone()),
        ])),
        match_expressions: Some(vec![LabelSelectorRequirement {
            key: "app.kubernetes.io/component".into(),
            operator: "In".into(),
            values: Some(components.iter().map(|c| c.to_string()).collect()),
        }]),
    }
}

/// The spec's requests and limits as Kubernetes resource requirements.
pub fn resources(
    r: Option<&crate::spec::Resources>,
) -> Option<k8s_openapi::api::core::v1::ResourceRequirements> {
    use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
    let r = r?;
    let list = |l: &Option<crate::spec::ResourceList>| {
        l.as_ref().map(|l| {
            let mut m = BTreeMap::new();
            if let Some(c) = &l.cpu {
                m.insert("cpu".to_string(), Quantity(c.clone()));
            }
            if let Some(mem) = &l.memory {
                m.insert("memory".to_string(), Quantity(mem.clone()));
            }
            m
        })
    };
    Some(k8s_openapi::api::core::v1::ResourceRequirements {
        requests: list(&r.requests),
        limits: list(&r.limits),
        ..Default::default()
    })
}

/// Requests and limits of one of rkv's own containers: the spec's block when it sets
/// one (it replaces the default whole), else the default sized for its work.
pub fn sized(
    spec: Option<&crate::spec::Resources>,
    default: crate::plan::qos::Sizing,
) -> k8s_openapi::api::core::v1::ResourceRequirements {
    let d = default.resources();
    resources(Some(spec.unwrap_or(&d))).unwrap_or_default()
}

/// A ReadWriteOnce claim of `size` (a Kubernetes quantity) on `storage_class`, or the
/// cluster's default class when `None`.
pub fn rwo_claim(
    size: &str,
    storage_class: Option<String>,
) -> k8s_openapi::api::core::v1::PersistentVolumeClaimSpec {
    use k8s_openapi::api::core::v1::{PersistentVolumeClaimSpec, VolumeResourceRequirements};
    use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
    PersistentVolumeClaimSpec {
        access_modes: Some(vec!["ReadWriteOnce".into()]),
        storage_class_name: storage_class,
        resources: Some(VolumeResourceRequirements {
            requests: Some(BTreeMap::from([(
                "storage".to_string(),
                Quantity(size.to_string()),
            )])),
            ..Default::default()
        }),
        ..Default::default()
    }
}
