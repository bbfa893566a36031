//! Pieces every emitter shares: labels, object metadata, hardened security contexts,
//! the NetworkPolicies every topology gets, and Secret references.
//!
//! Invariant: every object rkv renders carries the `app.kubernetes.io/*` labels
//! (`managed-by: rkv` is what `rkv diff` prunes by), and every pod runs non-root with
//! all capabilities dropped and the RuntimeDefault seccomp profile.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Capabilities, EnvVar, EnvVarSource, PodSecurityContext, SeccompProfile, SecretKeySelector,
    SecurityContext,
};
use k8s_openapi::api::networking::v1::{
    NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer,
    NetworkPolicyPort, NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{EmitError, Object};
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

/// Pod-level hardening: non-root, RuntimeDefault seccomp, the data volume group-writable.
pub fn pod_security(uid: i64) -> PodSecurityContext {
    PodSecurityContext {
        run_as_non_root: Some(true),
        run_as_user: Some(uid),
        run_as_group: Some(uid),
        fs_group: Some(uid),
        seccomp_profile: Some(SeccompProfile {
            type_: "RuntimeDefault".into(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Container-level hardening: no privilege escalation, every capability dropped,
/// read-only root filesystem (Redis writes only to its data volume).
pub fn container_security() -> SecurityContext {
    SecurityContext {
        allow_privilege_escalation: Some(false),
        read_only_root_filesystem: Some(true),
        run_as_non_root: Some(true),
        capabilities: Some(Capabilities {
            drop: Some(vec!["ALL".into()]),
            ..Default::default()
        }),
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

pub fn tcp(port: u16) -> NetworkPolicyPort {
    NetworkPolicyPort {
        protocol: Some("TCP".into()),
        port: Some(IntOrString::Int(port.into())),
        ..Default::default()
    }
}

fn namespace_peer(namespace: &str, pods: Option<BTreeMap<String, String>>) -> NetworkPolicyPeer {
    NetworkPolicyPeer {
        namespace_selector: Some(LabelSelector {
            match_labels: Some(BTreeMap::from([(
                "kubernetes.io/metadata.name".into(),
                namespace.into(),
            )])),
            ..Default::default()
        }),
        pod_selector: pods.map(|m| LabelSelector {
            match_labels: if m.is_empty() { None } else { Some(m) },
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// A peer: pods with `labels` in `namespace` (every pod of it when `labels` is empty).
pub fn peer(namespace: &str, labels: &BTreeMap<String, String>) -> NetworkPolicyPeer {
    namespace_peer(namespace, Some(labels.clone()))
}

fn policy(plan: &Plan, suffix: &str, spec: NetworkPolicySpec) -> Result<Object, EmitError> {
    let np = NetworkPolicy {
        metadata: meta(plan, &format!("{}-{suffix}", plan.name), "network-policy"),
        spec: Some(spec),
    };
    Object::new("NetworkPolicy", &np).map_err(EmitError::from)
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

/// Deny all traffic to and from this topology's pods; the other policies add exact allows.
/// Scoped to the topology's pods so a shared namespace's other workloads are untouched.
pub fn default_deny(plan: &Plan) -> Result<Object, EmitError> {
    policy(
        plan,
        "default-deny",
        NetworkPolicySpec {
            pod_selector: Some(instance_selector(plan)),
            policy_types: Some(vec!["Ingress".into(), "Egress".into()]),
            ..Default::default()
        },
    )
}

/// DNS lookups to the cluster DNS in kube-system.
pub fn allow_dns(plan: &Plan) -> Result<Object, EmitError> {
    let dns = namespace_peer(
        "kube-system",
        Some(BTreeMap::from([("k8s-app".into(), "kube-dns".into())])),
    );
    policy(
        plan,
        "allow-dns",
        NetworkPolicySpec {
            pod_selector: Some(instance_selector(plan)),
            policy_types: Some(vec!["Egress".into()]),
            egress: Some(vec![NetworkPolicyEgressRule {
                to: Some(vec![dns]),
                ports: Some(vec![
                    NetworkPolicyPort {
                        protocol: Some("UDP".into()),
                        port: Some(IntOrString::Int(53)),
                        ..Default::default()
                    },
                    NetworkPolicyPort {
                        protocol: Some("TCP".into()),
                        port: Some(IntOrString::Int(53)),
                        ..Default::default()
                    },
                ]),
            }]),
            ..Default::default()
        },
    )
}

/// The spec's clients to `component`'s pods on `ports`.
pub fn allow_clients(
    plan: &Plan,
    component: &str,
    ports: &[u16],
) -> Result<Option<Object>, EmitError> {
    allow_clients_named(plan, "allow-clients", component, ports)
}

/// [`allow_clients`] as a policy named `<name>-<suffix>`, for a second set of ports on
/// another component (the Sentinels).
pub fn allow_clients_named(
    plan: &Plan,
    suffix: &str,
    component: &str,
    ports: &[u16],
) -> Result<Option<Object>, EmitError> {
    if plan.spec.clients.is_empty() {
        return Ok(None);
    }
    let from = plan
        .spec
        .clients
        .iter()
        .map(|c| peer(&c.namespace, &c.pod_selector))
        .collect();
    policy(
        plan,
        suffix,
        NetworkPolicySpec {
            pod_selector: Some(selector(plan, component)),
            policy_types: Some(vec!["Ingress".into()]),
            ingress: Some(vec![NetworkPolicyIngressRule {
                from: Some(from),
                ports: Some(ports.iter().map(|p| tcp(*p)).collect()),
            }]),
            ..Default::default()
        },
    )
    .map(Some)
}

/// Prometheus in the monitoring namespace to the exporter port of `component`'s pods.
pub fn allow_metrics(plan: &Plan, component: &str) -> Result<Option<Object>, EmitError> {
    let Some(mon) = &plan.spec.monitoring else {
        return Ok(None);
    };
    let Some(exporter) = &mon.exporter else {
        return Ok(None);
    };
    policy(
        plan,
        "allow-metrics",
        NetworkPolicySpec {
            pod_selector: Some(selector(plan, component)),
            policy_types: Some(vec!["Ingress".into()]),
            ingress: Some(vec![NetworkPolicyIngressRule {
                from: Some(vec![namespace_peer(&mon.namespace, None)]),
                ports: Some(vec![tcp(exporter.port)]),
            }]),
            ..Default::default()
        },
    )
    .map(Some)
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

/// Pod anti-affinity on `kubernetes.io/hostname` among the pods `selector` matches:
/// soft (weight 100) or hard, as the spec's placement says; `None` without placement.
pub fn anti_affinity(
    placement: Option<&crate::spec::Placement>,
    selector: LabelSelector,
) -> Option<k8s_openapi::api::core::v1::Affinity> {
    use k8s_openapi::api::core::v1::{
        Affinity, PodAffinityTerm, PodAntiAffinity, WeightedPodAffinityTerm,
    };
    let term = PodAffinityTerm {
        label_selector: Some(selector),
        topology_key: "kubernetes.io/hostname".into(),
        ..Default::default()
    };
    let anti = match placement?.anti_affinity {
        crate::spec::AntiAffinity::Preferred => PodAntiAffinity {
            preferred_during_scheduling_ignored_during_execution: Some(vec![
                WeightedPodAffinityTerm {
                    weight: 100,
                    pod_affinity_term: term,
                },
            ]),
            ..Default::default()
        },
        crate::spec::AntiAffinity::Required => PodAntiAffinity {
            required_during_scheduling_ignored_during_execution: Some(vec![term]),
            ..Default::default()
        },
    };
    Some(Affinity {
        pod_anti_affinity: Some(anti),
        ..Default::default()
    })
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
