//! Monitoring of the cluster: the PrometheusRule with seed 000's six alerts and the
//! ServiceMonitor that scrapes the exporter sidecars through the headless Service.
//!
//! In: the cluster context. Out: a PrometheusRule (when `monitoring.alerts`) and a
//! ServiceMonitor (when `monitoring.serviceMonitor` and an exporter). Invariant: every
//! number and name in an expression is derived: the pod count from S x (1 + R), the slot
//! count from the slot table, the `service` label from the Service the ServiceMonitor
//! selects, the Job regex from the backup CronJob's name, the alert prefix from part-of.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::jobs::backup_name;
use super::{Ctx, SERVER, camel};
use crate::emit::common::{meta, selector_labels};
use crate::emit::{EmitError, Object};
use crate::plan::slots::CLUSTER_SLOTS;
use crate::target::monitoring::{
    Endpoint, NamespaceSelector, PrometheusRule, PrometheusRuleSpec, Rule, RuleGroup,
    ServiceMonitor, ServiceMonitorSpec,
};

pub(super) fn emit(ctx: &Ctx) -> Result<Vec<Object>, EmitError> {
    let Some(m) = ctx.plan.spec.monitoring.as_ref() else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    if m.alerts {
        out.push(rule(ctx)?);
    }
    if m.service_monitor && m.exporter.is_some() {
        out.push(service_monitor(ctx)?);
    }
    Ok(out)
}

/// The slots the ranges of the plan cover (16384 for every valid cluster).
fn slots(ctx: &Ctx) -> u32 {
    let covered: u32 = ctx.plan.slots.iter().map(|r| r.len()).sum();
    if covered == 0 { CLUSTER_SLOTS } else { covered }
}

struct Alert {
    name: &'static str,
    expr: String,
    for_: &'static str,
    severity: &'static str,
    summary: String,
}

fn alerts(ctx: &Ctx) -> Vec<Alert> {
    let pods = ctx.plan.data_pods;
    let slots = slots(ctx);
    // This topology's series only: the exporter's carry the scraped Service (the headless
    // one) and its namespace, kube-state-metrics' the CronJob and its namespace.
    let ns = &ctx.names.namespace;
    let sel = format!("namespace=\"{ns}\", service=\"{}\"", ctx.names.name);
    let mut v = vec![
        Alert {
            name: "ClusterDegraded",
            expr: format!("min(redis_cluster_state{{{sel}}}) == 0"),
            for_: "1m",
            severity: "critical",
            summary: "A Redis Cluster node reports cluster_state other than ok".into(),
        },
        Alert {
            name: "ClusterNodeDown",
            // redis_up, not the target's `up`: the exporter sidecar answers while Redis is
            // down. A pod that is gone has no series: `or vector(0)` keeps the alert alive
            // when every pod is gone.
            expr: format!("(sum(redis_up{{{sel}}}) or vector(0)) < {pods}"),
            for_: "5m",
            severity: "warning",
            summary: format!("Fewer than {pods} Redis Cluster nodes are up"),
        },
        Alert {
            name: "ClusterSlotsIncomplete",
            expr: format!("min(redis_cluster_slots_ok{{{sel}}}) < {slots}"),
            for_: "2m",
            severity: "critical",
            summary: format!("Not all {slots} hash slots are served"),
        },
        Alert {
            name: "MemoryHigh",
            // Without maxmemory (0) the bound is the memory Redis sees: the node's, as no
            // container limit is set either (RKV120).
            expr: format!(
                "max(redis_memory_used_bytes{{{sel}}} / (redis_memory_max_bytes{{{sel}}} > 0 or redis_total_system_memory_bytes{{{sel}}})) > 0.8"
            ),
            for_: "10m",
            severity: "warning",
            summary: "A Redis node uses more than 80% of maxmemory (or, without maxmemory, of the memory it sees)".into(),
        },
        Alert {
            name: "ReplicationBroken",
            expr: format!(
                "min(redis_connected_slaves{{{sel}}} and on (instance) redis_instance_info{{{sel}, role=\"master\"}}) < 1"
            ),
            for_: "5m",
            severity: "warning",
            summary: "A Redis Cluster primary has no connected replica".into(),
        },
    ];
    if ctx.plan.spec.backup.is_some() {
        v.push(Alert {
            name: "BackupFailed",
            expr: crate::emit::backup::failed_expr(ns, &backup_name(ctx)),
            for_: "1h",
            severity: "warning",
            summary: "No successful Redis Cluster backup since the last scheduled run (failed, partial or not run)".into(),
        });
    }
    v
}

/// The PrometheusRule's rules, when `monitoring.alerts` asks for them.
pub(super) fn rules(ctx: &Ctx) -> Vec<Rule> {
    if !ctx.plan.spec.monitoring.as_ref().is_some_and(|m| m.alerts) {
        return Vec::new();
    }
    let prefix = format!("{}Redis", camel(&ctx.plan.part_of));
    alerts(ctx)
        .into_iter()
        .map(|a| {
            Rule::alert(
                &format!("{prefix}{}", a.name),
                a.expr,
                Some(a.for_),
                a.severity,
                &a.summary,
            )
        })
        .collect()
}

fn rule(ctx: &Ctx) -> Result<Object, EmitError> {
    let rules = rules(ctx);
    let r = PrometheusRule {
        metadata: meta(ctx.plan, &ctx.names.name, SERVER),
        spec: PrometheusRuleSpec {
            groups: vec![RuleGroup {
                name: format!("{}.rules", ctx.names.name),
                rules,
            }],
        },
    };
    let pods = ctx.plan.data_pods;
    let comment = vec![
        format!(
            "NodeDown threshold {pods} = {} shards x (1 + {} replicas); slots {} = the slot table's total.",
            ctx.shape.shards,
            ctx.shape.replicas,
            slots(ctx)
        ),
        format!(
            "`service=\"{}\"` is the headless Service the ServiceMonitor scrapes the exporters through.",
            ctx.names.name
        ),
        "MemoryHigh and ReplicationBroken use redis_exporter's real series: seed 000's".into(),
        "`redis_memory_used / redis_memory_max` and `redis_connected_slaves{role=\"master\"}` match no series.".into(),
        "BackupFailed reads kube-state-metrics' CronJob times, not failed Jobs (they linger after a retry succeeds).".into(),
    ];
    Ok(Object::new("PrometheusRule", &r)?.with_comment(comment))
}

fn service_monitor(ctx: &Ctx) -> Result<Object, EmitError> {
    let sm = ServiceMonitor {
        metadata: meta(ctx.plan, &ctx.names.name, SERVER),
        spec: ServiceMonitorSpec {
            // The headless Service carries component=server; the client Service does not.
            selector: LabelSelector {
                match_labels: Some(selector_labels(ctx.plan, SERVER)),
                ..Default::default()
            },
            namespace_selector: Some(NamespaceSelector {
                match_names: vec![ctx.names.namespace.clone()],
            }),
            endpoints: vec![Endpoint {
                port: "metrics".into(),
                path: Some("/metrics".into()),
                interval: Some("30s".into()),
                scrape_timeout: Some("10s".into()),
            }],
        },
    };
    Ok(Object::new("ServiceMonitor", &sm)?)
}
