//! NetworkPolicies of the replication shape: deny everything, then allow exactly the
//! paths a primary, its replicas, the Sentinels, the operator, the clients and
//! Prometheus use.
//!
//! In: the plan. Out: the policies. Invariant: the operator copies the CR's labels onto
//! its pods, so the common selectors (`app.kubernetes.io/instance`, `component`) select
//! the operator's pods; every allowed port is one something listens on.
//!
//! | from | to | port |
//! |---|---|---|
//! | replicas | primary (any Redis pod: roles move) | 6379 |
//! | Sentinels | Redis pods | 6379 |
//! | Sentinels | Sentinels | 26379 |
//! | operator namespace | Redis pods, Sentinels | 6379, 26379 |
//! | spec clients | Redis pods, Sentinels | 6379, 26379 |
//! | monitoring namespace | Redis pods (exporter) | 9121 |
//! | outside (source ranges) | Redis pods, when exposed | 6379 |
//! | every pod | cluster DNS | 53 |

use std::collections::BTreeMap;

use k8s_openapi::api::networking::v1::{
    IPBlock, NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer,
    NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::{SENTINEL, SERVER};
use crate::emit::common::{self, meta, peer, selector, selector_labels, tcp};
use crate::emit::{EmitError, Object};
use crate::plan::model::Plan;
use crate::spec::{Replication, ServiceType};
use crate::target::opstree::SENTINEL_PORT;

pub fn policies(plan: &Plan, shape: &Replication) -> Result<Vec<Object>, EmitError> {
    let port = plan.spec.redis.port;
    let mut out = vec![common::default_deny(plan)?, common::allow_dns(plan)?];
    out.extend(common::allow_clients(plan, SERVER, &[port])?);
    out.extend(sentinel_clients(plan)?);
    out.push(redis_peers(plan, shape)?);
    out.push(sentinel_peers(plan, shape)?);
    out.extend(common::allow_metrics(plan, SERVER)?);
    out.extend(external(plan)?);
    Ok(out)
}

fn policy(plan: &Plan, suffix: &str, spec: NetworkPolicySpec) -> Result<Object, EmitError> {
    let np = NetworkPolicy {
        metadata: meta(plan, &format!("{}-{suffix}", plan.name), "network-policy"),
        spec: Some(spec),
    };
    Object::new("NetworkPolicy", &np).map_err(EmitError::from)
}

/// Pods of `component` of this topology, in its own namespace.
fn pods(plan: &Plan, component: &str) -> NetworkPolicyPeer {
    NetworkPolicyPeer {
        pod_selector: Some(selector(plan, component)),
        ..Default::default()
    }
}

fn operator(shape: &Replication) -> Option<NetworkPolicyPeer> {
    shape
        .operator_namespace
        .as_deref()
        .map(|ns| peer(ns, &BTreeMap::new()))
}

/// The spec's clients to the Sentinels, to discover the primary.
fn sentinel_clients(plan: &Plan) -> Result<Option<Object>, EmitError> {
    common::allow_clients_named(plan, "allow-sentinel-clients", SENTINEL, &[SENTINEL_PORT])
}

/// Redis pods: replication between them, Sentinel's checks and the operator's role
/// management in; replication to each other out.
fn redis_peers(plan: &Plan, shape: &Replication) -> Result<Object, EmitError> {
    let port = plan.spec.redis.port;
    let mut from = vec![pods(plan, SERVER), pods(plan, SENTINEL)];
    from.extend(operator(shape));
    policy(
        plan,
        "allow-redis-peers",
        NetworkPolicySpec {
            pod_selector: Some(selector(plan, SERVER)),
            policy_types: Some(vec!["Ingress".into(), "Egress".into()]),
            ingress: Some(vec![NetworkPolicyIngressRule {
                from: Some(from),
                ports: Some(vec![tcp(port)]),
            }]),
            egress: Some(vec![NetworkPolicyEgressRule {
                to: Some(vec![pods(plan, SERVER)]),
                ports: Some(vec![tcp(port)]),
            }]),
        },
    )
}

/// Sentinels: each other and the operator in; each other and the Redis pods out.
fn sentinel_peers(plan: &Plan, shape: &Replication) -> Result<Object, EmitError> {
    let mut from = vec![pods(plan, SENTINEL)];
    from.extend(operator(shape));
    policy(
        plan,
        "allow-sentinel-peers",
        NetworkPolicySpec {
            pod_selector: Some(selector(plan, SENTINEL)),
            policy_types: Some(vec!["Ingress".into(), "Egress".into()]),
            ingress: Some(vec![NetworkPolicyIngressRule {
                from: Some(from),
                ports: Some(vec![tcp(SENTINEL_PORT)]),
            }]),
            egress: Some(vec![
                NetworkPolicyEgressRule {
                    to: Some(vec![pods(plan, SENTINEL)]),
                    ports: Some(vec![tcp(SENTINEL_PORT)]),
                },
                NetworkPolicyEgressRule {
                    to: Some(vec![pods(plan, SERVER)]),
                    ports: Some(vec![tcp(plan.spec.redis.port)]),
                },
            ]),
        },
    )
}

/// Connections from outside the cluster through the external Service: the spec's
/// source ranges, or anywhere when it names none (the exposure check has already
/// reported that, and `acceptInsecure` carries the reason).
fn external(plan: &Plan) -> Result<Option<Object>, EmitError> {
    let Some(e) = &plan.spec.exposure else {
        return Ok(None);
    };
    if matches!(e.type_, ServiceType::ClusterIP) {
        return Ok(None);
    }
    let ranges: Vec<String> = if e.source_ranges.is_empty() {
        vec!["0.0.0.0/0".into(), "::/0".into()]
    } else {
        e.source_ranges.clone()
    };
    let from = ranges
        .into_iter()
        .map(|cidr| NetworkPolicyPeer {
            ip_block: Some(IPBlock { cidr, except: None }),
            ..Default::default()
        })
        .collect();
    let mut master = selector_labels(plan, SERVER);
    master.insert(crate::target::opstree::ROLE_LABEL.into(), "master".into());
    policy(
        plan,
        "allow-external",
        NetworkPolicySpec {
            pod_selector: Some(LabelSelector {
                match_labels: Some(master),
                ..Default::default()
            }),
            policy_types: Some(vec!["Ingress".into()]),
            ingress: Some(vec![NetworkPolicyIngressRule {
                from: Some(from),
                ports: Some(vec![tcp(plan.spec.redis.port)]),
            }]),
            ..Default::default()
        },
    )
    .map(Some)
}
