//! NetworkPolicies of the Redis namespace: default deny for every pod of the topology
//! (rkv's applier and the operator's Redis and Sentinel pods), then exact allows.
//!
//! In: the plan. Out: NetworkPolicies. Invariant: the operator's pods are selected by
//! the operator's labels, rkv's pods by rkv's; nothing outside the listed peers reaches
//! Redis (6379), Sentinel (26379) or the exporter.

use std::collections::BTreeMap;

use k8s_openapi::api::networking::v1::{
    NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer,
    NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::super::common::{self, meta, peer, selector_labels, tcp};
use super::super::{EmitError, Object};
use super::{applier, operator_selector};
use crate::bundle::SerializeError;
use crate::plan::model::Plan;
use crate::spec::Failover;
use crate::target::spotahome::SENTINEL_PORT;

fn policy(plan: &Plan, suffix: &str, spec: NetworkPolicySpec) -> Result<Object, EmitError> {
    let np = NetworkPolicy {
        metadata: meta(plan, &format!("{}-{suffix}", plan.name), "network-policy"),
        spec: Some(spec),
    };
    Object::new("NetworkPolicy", &np).map_err(EmitError::from)
}

fn sel(m: BTreeMap<String, String>) -> Option<LabelSelector> {
    Some(LabelSelector {
        match_labels: Some(m),
        ..Default::default()
    })
}

/// Pods of this namespace with `labels`.
fn local(labels: BTreeMap<String, String>) -> NetworkPolicyPeer {
    NetworkPolicyPeer {
        pod_selector: sel(labels),
        ..Default::default()
    }
}

pub fn policies(plan: &Plan, f: &Failover) -> Result<Vec<Object>, EmitError> {
    let redis_port = plan.spec.redis.port;
    let redis = operator_selector(plan, Some("redis"));
    let sentinel = operator_selector(plan, Some("sentinel"));
    let both = operator_selector(plan, None);
    let applier_pods = selector_labels(plan, applier::COMPONENT);
    let mut out = Vec::new();

    // rkv's own pods (the applier): the shared default deny and DNS.
    if f.wal.is_some() {
        out.push(common::default_deny(plan)?);
        out.push(common::allow_dns(plan)?);
    }
    // The operator's pods: the same two, by the operator's labels.
    out.push(policy(
        plan,
        "failover-default-deny",
        NetworkPolicySpec {
            pod_selector: sel(both.clone()),
            policy_types: Some(vec!["Ingress".into(), "Egress".into()]),
            ..Default::default()
        },
    )?);
    let mut dns = common::allow_dns(plan)?;
    dns.value["metadata"]["name"] = format!("{}-failover-allow-dns", plan.name).into();
    dns.value["spec"]["podSelector"] =
        serde_json::to_value(sel(both.clone())).map_err(|source| SerializeError {
            what: "NetworkPolicy".into(),
            source,
        })?;
    out.push(dns);

    // Redis: replicas sync from the primary, Sentinels probe and reconfigure, the
    // applier writes to the primary.
    let mut redis_from = vec![local(redis.clone()), local(sentinel.clone())];
    if f.wal.is_some() {
        redis_from.push(local(applier_pods.clone()));
    }
    out.push(policy(
        plan,
        "redis",
        NetworkPolicySpec {
            pod_selector: sel(redis.clone()),
            policy_types: Some(vec!["Ingress".into(), "Egress".into()]),
            ingress: Some(vec![NetworkPolicyIngressRule {
                from: Some(redis_from),
                ports: Some(vec![tcp(redis_port)]),
            }]),
            egress: Some(vec![
                NetworkPolicyEgressRule {
                    to: Some(vec![local(redis.clone())]),
                    ports: Some(vec![tcp(redis_port)]),
                },
                // The operator's preStop hook on a Redis pod asks Sentinel for a
                // `SENTINEL failover` when the primary shuts down (a graceful switch
                // instead of waiting out down-after-milliseconds).
                NetworkPolicyEgressRule {
                    to: Some(vec![local(sentinel.clone())]),
                    ports: Some(vec![tcp(SENTINEL_PORT)]),
                },
            ]),
        },
    )?);
    // Sentinel: Sentinels gossip among themselves and watch Redis; the applier asks
    // them for the primary; a stopping Redis primary asks them to fail over.
    let mut sentinel_from = vec![local(sentinel.clone()), local(redis.clone())];
    if f.wal.is_some() {
        sentinel_from.push(local(applier_pods.clone()));
    }
    out.push(policy(
        plan,
        "sentinel",
        NetworkPolicySpec {
            pod_selector: sel(sentinel.clone()),
            policy_types: Some(vec!["Ingress".into(), "Egress".into()]),
            ingress: Some(vec![NetworkPolicyIngressRule {
                from: Some(sentinel_from),
                ports: Some(vec![tcp(SENTINEL_PORT)]),
            }]),
            egress: Some(vec![
                NetworkPolicyEgressRule {
                    to: Some(vec![local(sentinel.clone())]),
                    ports: Some(vec![tcp(SENTINEL_PORT)]),
                },
                NetworkPolicyEgressRule {
                    to: Some(vec![local(redis.clone())]),
                    ports: Some(vec![tcp(redis_port)]),
                },
            ]),
        },
    )?);
    // The applier: Sentinel for discovery, Redis for writes, Kafka for the WAL.
    if let Some(wal) = &f.wal {
        out.push(policy(
            plan,
            "applier",
            NetworkPolicySpec {
                pod_selector: sel(applier_pods.clone()),
                policy_types: Some(vec!["Egress".into()]),
                egress: Some(vec![
                    NetworkPolicyEgressRule {
                        to: Some(vec![local(sentinel.clone())]),
                        ports: Some(vec![tcp(SENTINEL_PORT)]),
                    },
                    NetworkPolicyEgressRule {
                        to: Some(vec![local(redis.clone())]),
                        ports: Some(vec![tcp(redis_port)]),
                    },
                    NetworkPolicyEgressRule {
                        to: Some(vec![peer(
                            &wal.kafka.namespace,
                            &BTreeMap::from([(
                                "strimzi.io/cluster".to_string(),
                                wal.kafka.cluster.clone(),
                            )]),
                        )]),
                        ports: Some(vec![tcp(wal.kafka.port)]),
                    },
                ]),
                ..Default::default()
            },
        )?);
    }
    // The read path: the spec's clients to Sentinel (discovery) and Redis (reads).
    if !plan.spec.clients.is_empty() {
        out.push(policy(
            plan,
            "allow-clients",
            NetworkPolicySpec {
                pod_selector: sel(both.clone()),
                policy_types: Some(vec!["Ingress".into()]),
                ingress: Some(vec![NetworkPolicyIngressRule {
                    from: Some(
                        plan.spec
                            .clients
                            .iter()
                            .map(|c| peer(&c.namespace, &c.pod_selector))
                            .collect(),
                    ),
                    ports: Some(vec![tcp(redis_port), tcp(SENTINEL_PORT)]),
                }]),
                ..Default::default()
            },
        )?);
    }
    // The operator checks and heals both (role queries, SENTINEL RESET, REPLICAOF).
    if let Some(ns) = &f.operator_namespace {
        out.push(policy(
            plan,
            "allow-operator",
            NetworkPolicySpec {
                pod_selector: sel(both.clone()),
                policy_types: Some(vec!["Ingress".into()]),
                ingress: Some(vec![NetworkPolicyIngressRule {
                    from: Some(vec![peer(ns, &BTreeMap::new())]),
                    ports: Some(vec![tcp(redis_port), tcp(SENTINEL_PORT)]),
                }]),
                ..Default::default()
            },
        )?);
    }
    // Prometheus to the exporter sidecar of the Redis pods.
    if let Some((mon, exp)) = plan
        .spec
        .monitoring
        .as_ref()
        .and_then(|m| m.exporter.as_ref().map(|e| (m, e)))
    {
        out.push(policy(
            plan,
            "allow-metrics",
            NetworkPolicySpec {
                pod_selector: sel(redis.clone()),
                policy_types: Some(vec!["Ingress".into()]),
                ingress: Some(vec![NetworkPolicyIngressRule {
                    from: Some(vec![peer(&mon.namespace, &BTreeMap::new())]),
                    ports: Some(vec![tcp(exp.port)]),
                }]),
                ..Default::default()
            },
        )?);
    }
    Ok(out)
}
