//! Disruption and network policy of the cluster: one PodDisruptionBudget over all data
//! pods, default-deny NetworkPolicies and the exact allows the cluster needs.
//!
//! In: the cluster context. Out: the PDB (when the plan has a budget) and the
//! NetworkPolicies. Invariant: the PDB's numbers are the plan's (the math module's),
//! never computed here; every pod this topology runs (data pods and Job pods) is covered
//! by the default deny, and each allow names its peers by this instance's labels.

use super::{BACKUP, Ctx, INIT, RESTORE, SERVER};
use crate::emit::common::{components_selector, selector};
use crate::emit::network::{
    self, allow_clients, allow_dns, allow_metrics, default_deny, egress, here, ingress, named,
    rules, tcp,
};
use crate::emit::{EmitError, Object, pdb};

pub(super) fn emit(ctx: &Ctx) -> Result<Vec<Object>, EmitError> {
    let plan = ctx.plan;
    let mut out = Vec::new();
    // One PDB over every data pod: roles move after each failover, so the budget cannot
    // single out primaries.
    if let Some(b) = &plan.data_budget {
        out.push(pdb::budget(
            plan,
            &ctx.names.name,
            SERVER,
            selector(plan, SERVER),
            b,
        )?);
    }
    out.push(default_deny(plan)?);
    out.push(allow_dns(plan)?);
    out.extend(allow_clients(
        plan,
        "allow-clients",
        selector(plan, SERVER),
        &[ctx.port],
    )?);
    out.extend(allow_metrics(
        plan,
        selector(plan, SERVER),
        network::namespace,
    )?);
    let redis = || here(selector(plan, SERVER));
    let jobs = || components_selector(plan, &[INIT, BACKUP, RESTORE]);
    // Redis pods to each other: data port (replication, redirects) and the cluster bus
    // (gossip, failover votes), in both directions.
    let ports = || vec![tcp(ctx.port), tcp(ctx.bus_port)];
    out.push(network::policy(
        named(plan, "allow-peers"),
        rules(
            selector(plan, SERVER),
            vec![ingress(vec![redis()], ports())],
            vec![egress(Some(vec![redis()]), ports())],
        ),
    )?);
    // The cluster-init, backup and restore Job pods into the Redis pods, on the data port only...
    out.push(network::policy(
        named(plan, "allow-jobs"),
        rules(
            selector(plan, SERVER),
            vec![ingress(vec![here(jobs())], vec![tcp(ctx.port)])],
            vec![],
        ),
    )?);
    // ... and the other half: the Job pods out to the Redis pods' data port.
    out.push(network::policy(
        named(plan, "jobs-egress"),
        rules(
            jobs(),
            vec![],
            vec![egress(Some(vec![redis()]), vec![tcp(ctx.port)])],
        ),
    )?);
    Ok(out)
}
