//! Disruption and network policy of the cluster: one PodDisruptionBudget over all data
//! pods, default-deny NetworkPolicies and the exact allows the cluster needs.
//!
//! In: the cluster context. Out: the PDB (when the plan has a budget) and the
//! NetworkPolicies. Invariant: the PDB's numbers are the plan's (the math module's),
//! never computed here; every pod this topology runs (data pods and Job pods) is covered
//! by the default deny, and each allow names its peers by this instance's labels.

use std::collections::BTreeMap;

use k8s_openapi::api::networking::v1::{
    NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer,
    NetworkPolicySpec,
};
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{BACKUP, Ctx, INIT, RESTORE, SERVER};
use crate::emit::common::{self, meta, selector, tcp};
use crate::emit::{EmitError, Object};

pub(super) fn emit(ctx: &Ctx) -> Result<Vec<Object>, EmitError> {
    let plan = ctx.plan;
    let mut out = Vec::new();
    out.extend(pdb(ctx)?);
    out.push(common::default_deny(plan)?);
    out.push(common::allow_dns(plan)?);
    out.extend(common::allow_clients(plan, SERVER, &[ctx.port])?);
    out.extend(common::allow_metrics(plan, SERVER)?);
    out.push(allow_peers(ctx)?);
    out.push(allow_jobs_in(ctx)?);
    out.push(allow_jobs_out(ctx)?);
    Ok(out)
}

/// One PDB over every data pod: roles move after each failover, so the budget cannot
/// single out primaries. The numbers and the reasoning are the plan's.
fn pdb(ctx: &Ctx) -> Result<Option<Object>, EmitError> {
    let Some(b) = &ctx.plan.data_budget else {
        return Ok(None);
    };
    let int = |n: u32| IntOrString::Int(i32::try_from(n).unwrap_or(i32::MAX));
    let p = PodDisruptionBudget {
        metadata: meta(ctx.plan, &ctx.names.name, SERVER),
        spec: Some(PodDisruptionBudgetSpec {
            min_available: b.min_available.map(int),
            max_unavailable: b.max_unavailable.map(int),
            selector: Some(selector(ctx.plan, SERVER)),
            // A crash-looping pod must not block node drains.
            unhealthy_pod_eviction_policy: Some("AlwaysAllow".into()),
        }),
        ..Default::default()
    };
    Ok(Some(
        Object::new("PodDisruptionBudget", &p)?.with_comment(b.reasoning.clone()),
    ))
}

fn np(ctx: &Ctx, suffix: &str, spec: NetworkPolicySpec) -> Result<Object, EmitError> {
    let n = NetworkPolicy {
        metadata: meta(
            ctx.plan,
            &format!("{}-{suffix}", ctx.names.name),
            "network-policy",
        ),
        spec: Some(spec),
    };
    Object::new("NetworkPolicy", &n)
}

/// Pods of this instance whose component is one of `components`, in its namespace.
fn components(ctx: &Ctx, components: &[&str]) -> LabelSelector {
    LabelSelector {
        match_labels: Some(BTreeMap::from([
            ("app.kubernetes.io/name".to_string(), "redis".to_string()),
            (
                "app.kubernetes.io/instance".to_string(),
                ctx.names.name.clone(),
            ),
        ])),
        match_expressions: Some(vec![LabelSelectorRequirement {
            key: "app.kubernetes.io/component".into(),
            operator: "In".into(),
            values: Some(components.iter().map(|c| c.to_string()).collect()),
        }]),
    }
}

fn same_namespace(sel: LabelSelector) -> NetworkPolicyPeer {
    NetworkPolicyPeer {
        pod_selector: Some(sel),
        ..Default::default()
    }
}

/// Redis pods to each other: data port (replication, redirects) and the cluster bus
/// (gossip, failover votes), in both directions.
fn allow_peers(ctx: &Ctx) -> Result<Object, EmitError> {
    let ports = vec![tcp(ctx.port), tcp(ctx.bus_port)];
    let peers = vec![same_namespace(selector(ctx.plan, SERVER))];
    np(
        ctx,
        "allow-peers",
        NetworkPolicySpec {
            pod_selector: Some(selector(ctx.plan, SERVER)),
            policy_types: Some(vec!["Ingress".into(), "Egress".into()]),
            ingress: Some(vec![NetworkPolicyIngressRule {
                from: Some(peers.clone()),
                ports: Some(ports.clone()),
            }]),
            egress: Some(vec![NetworkPolicyEgressRule {
                to: Some(peers),
                ports: Some(ports),
            }]),
        },
    )
}

/// The cluster-init and backup Job pods into the Redis pods, on the data port only.
fn allow_jobs_in(ctx: &Ctx) -> Result<Object, EmitError> {
    np(
        ctx,
        "allow-jobs",
        NetworkPolicySpec {
            pod_selector: Some(selector(ctx.plan, SERVER)),
            policy_types: Some(vec!["Ingress".into()]),
            ingress: Some(vec![NetworkPolicyIngressRule {
                from: Some(vec![same_namespace(components(
                    ctx,
                    &[INIT, BACKUP, RESTORE],
                ))]),
                ports: Some(vec![tcp(ctx.port)]),
            }]),
            ..Default::default()
        },
    )
}

/// The other half: the Job pods out to the Redis pods' data port.
fn allow_jobs_out(ctx: &Ctx) -> Result<Object, EmitError> {
    np(
        ctx,
        "jobs-egress",
        NetworkPolicySpec {
            pod_selector: Some(components(ctx, &[INIT, BACKUP, RESTORE])),
            policy_types: Some(vec!["Egress".into()]),
            egress: Some(vec![NetworkPolicyEgressRule {
                to: Some(vec![same_namespace(selector(ctx.plan, SERVER))]),
                ports: Some(vec![tcp(ctx.port)]),
            }]),
            ..Default::default()
        },
    )
}
