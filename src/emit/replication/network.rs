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

use k8s_openapi::api::networking::v1::NetworkPolicyPeer;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::{SENTINEL, SERVER};
use crate::emit::common::selector;
use crate::emit::network::{
    self, allow_clients, allow_dns, allow_metrics, default_deny, egress, every_pod_of, here,
    ingress, named, rules, tcp,
};
use crate::emit::{EmitError, Object, exposure};
use crate::plan::model::Plan;
use crate::spec::Replication;
use crate::target::opstree::SENTINEL_PORT;

pub fn policies(plan: &Plan, shape: &Replication) -> Result<Vec<Object>, EmitError> {
    let port = plan.spec.redis.port;
    let mut out = vec![default_deny(plan)?, allow_dns(plan)?];
    out.extend(allow_clients(
        plan,
        "allow-clients",
        selector(plan, SERVER),
        &[port],
    )?);
    // The spec's clients to the Sentinels, to discover the primary.
    out.extend(allow_clients(
        plan,
        "allow-sentinel-clients",
        selector(plan, SENTINEL),
        &[SENTINEL_PORT],
    )?);
    out.push(redis_peers(plan, shape)?);
    out.push(sentinel_peers(plan, shape)?);
    out.extend(allow_metrics(
        plan,
        selector(plan, SERVER),
        network::namespace,
    )?);
    out.extend(external(plan)?);
    Ok(out)
}

/// Pods of `component` of this topology, in its own namespace.
fn pods(plan: &Plan, component: &str) -> NetworkPolicyPeer {
    here(selector(plan, component))
}

fn operator(shape: &Replication) -> Option<NetworkPolicyPeer> {
    shape.operator_namespace.as_deref().map(every_pod_of)
}

/// Redis pods: replication between them, Sentinel's checks and the operator's role
/// management in; replication to each other out.
fn redis_peers(plan: &Plan, shape: &Replication) -> Result<Object, EmitError> {
    let port = plan.spec.redis.port;
    let mut from = vec![pods(plan, SERVER), pods(plan, SENTINEL)];
    from.extend(operator(shape));
    network::policy(
        named(plan, "allow-redis-peers"),
        rules(
            selector(plan, SERVER),
            vec![ingress(from, vec![tcp(port)])],
            vec![egress(Some(vec![pods(plan, SERVER)]), vec![tcp(port)])],
        ),
    )
}

/// Sentinels: each other and the operator in; each other and the Redis pods out.
fn sentinel_peers(plan: &Plan, shape: &Replication) -> Result<Object, EmitError> {
    let mut from = vec![pods(plan, SENTINEL)];
    from.extend(operator(shape));
    network::policy(
        named(plan, "allow-sentinel-peers"),
        rules(
            selector(plan, SENTINEL),
            vec![ingress(from, vec![tcp(SENTINEL_PORT)])],
            vec![
                egress(Some(vec![pods(plan, SENTINEL)]), vec![tcp(SENTINEL_PORT)]),
                egress(
                    Some(vec![pods(plan, SERVER)]),
                    vec![tcp(plan.spec.redis.port)],
                ),
            ],
        ),
    )
}

/// Connections from outside the cluster through the external Service, to the primary.
fn external(plan: &Plan) -> Result<Option<Object>, EmitError> {
    exposure::policy(
        plan,
        LabelSelector {
            match_labels: Some(super::service::primary(plan)),
            ..Default::default()
        },
    )
}
