//! NetworkPolicies of the Redis namespace: default deny for every pod of the topology
//! (rkv's applier and the operator's Redis and Sentinel pods), then exact allows.
//!
//! In: the plan. Out: NetworkPolicies. Invariant: the operator's pods are selected by
//! the operator's labels, rkv's pods by rkv's; nothing outside the listed peers reaches
//! Redis (6379), Sentinel (26379) or the exporter.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::super::common::selector_labels;
use super::super::network::{
    self, allow_clients, allow_dns, allow_dns_for, allow_metrics, default_deny, deny_all, egress,
    here_labelled, in_namespace, ingress, named, rules, tcp,
};
use super::super::{EmitError, Object};
use super::{applier, operator_selector};
use crate::plan::model::Plan;
use crate::spec::Failover;
use crate::target::spotahome::SENTINEL_PORT;

fn sel(m: BTreeMap<String, String>) -> LabelSelector {
    LabelSelector {
        match_labels: Some(m),
        ..Default::default()
    }
}

pub fn policies(plan: &Plan, f: &Failover) -> Result<Vec<Object>, EmitError> {
    let redis_port = plan.spec.redis.port;
    let redis = || here_labelled(operator_selector(plan, Some("redis")));
    let sentinel = || here_labelled(operator_selector(plan, Some("sentinel")));
    let both = || sel(operator_selector(plan, None));
    let applier_pods = || here_labelled(selector_labels(plan, applier::COMPONENT));
    let mut out = Vec::new();

    // rkv's own pods (the applier, the backup Jobs): the shared default deny and DNS.
    if f.wal.is_some() || plan.spec.backup.is_some() {
        out.push(default_deny(plan)?);
        out.push(allow_dns(plan)?);
    }
    // The operator's pods: the same two, by the operator's labels.
    out.push(network::policy(
        named(plan, "failover-default-deny"),
        deny_all(both()),
    )?);
    out.push(allow_dns_for(plan, "failover-allow-dns", both())?);

    // Redis: replicas sync from the primary, Sentinels probe and reconfigure, the
    // applier writes to the primary.
    let mut redis_from = vec![redis(), sentinel()];
    if f.wal.is_some() {
        redis_from.push(applier_pods());
    }
    out.push(network::policy(
        named(plan, "redis"),
        rules(
            sel(operator_selector(plan, Some("redis"))),
            vec![ingress(redis_from, vec![tcp(redis_port)])],
            vec![
                egress(Some(vec![redis()]), vec![tcp(redis_port)]),
                // The operator's preStop hook on a Redis pod asks Sentinel for a
                // `SENTINEL failover` when the primary shuts down (a graceful switch
                // instead of waiting out down-after-milliseconds).
                egress(Some(vec![sentinel()]), vec![tcp(SENTINEL_PORT)]),
            ],
        ),
    )?);
    // Sentinel: Sentinels gossip among themselves and watch Redis; the applier asks
    // them for the primary; a stopping Redis primary asks them to fail over.
    let mut sentinel_from = vec![sentinel(), redis()];
    if f.wal.is_some() {
        sentinel_from.push(applier_pods());
    }
    out.push(network::policy(
        named(plan, "sentinel"),
        rules(
            sel(operator_selector(plan, Some("sentinel"))),
            vec![ingress(sentinel_from, vec![tcp(SENTINEL_PORT)])],
            vec![
                egress(Some(vec![sentinel()]), vec![tcp(SENTINEL_PORT)]),
                egress(Some(vec![redis()]), vec![tcp(redis_port)]),
            ],
        ),
    )?);
    // The applier: Sentinel for discovery, Redis for writes, Kafka for the WAL.
    if let Some(wal) = &f.wal {
        let kafka = in_namespace(
            &wal.kafka.namespace,
            &BTreeMap::from([("strimzi.io/cluster".to_string(), wal.kafka.cluster.clone())]),
        );
        out.push(network::policy(
            named(plan, "applier"),
            rules(
                sel(selector_labels(plan, applier::COMPONENT)),
                vec![],
                vec![
                    egress(Some(vec![sentinel()]), vec![tcp(SENTINEL_PORT)]),
                    egress(Some(vec![redis()]), vec![tcp(redis_port)]),
                    egress(Some(vec![kafka]), vec![tcp(wal.kafka.port)]),
                ],
            ),
        )?);
    }
    // The read path: the spec's clients to Sentinel (discovery) and Redis (reads).
    out.extend(allow_clients(
        plan,
        "allow-clients",
        both(),
        &[redis_port, SENTINEL_PORT],
    )?);
    // The operator checks and heals both (role queries, SENTINEL RESET, REPLICAOF).
    if let Some(ns) = &f.operator_namespace {
        out.push(network::policy(
            named(plan, "allow-operator"),
            rules(
                both(),
                vec![ingress(
                    vec![network::every_pod_of(ns)],
                    vec![tcp(redis_port), tcp(SENTINEL_PORT)],
                )],
                vec![],
            ),
        )?);
    }
    // Prometheus to the exporter sidecar of the Redis pods.
    out.extend(allow_metrics(
        plan,
        sel(operator_selector(plan, Some("redis"))),
        network::every_pod_of,
    )?);
    Ok(out)
}
