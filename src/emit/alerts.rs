//! The Prometheus rules of the shapes whose Redis pods an operator or a chart runs: the
//! charts' `metrics.prometheusRule.rules`, and the PrometheusRule rkv renders beside the
//! OT-CONTAINER-KIT and Spotahome resources.
//!
//! In: a plan with an exporter and `monitoring.alerts`, and the [`Scope`] of its pods and
//! claims. Out: typed rules, scoped to this topology's pods (a PrometheusRule is
//! evaluated over every target Prometheus scrapes).
//! Invariant: a rule is only written when the metric it reads can exist for this
//! topology (no AOF alert without AOF, no RDB-age alert without RDB snapshots).
//!
//! From the runbooks (seeds 002, 003), with two corrections: seed 002's
//! `redis_aof_last_rewrite_status` is not a redis_exporter metric (the INFO field is
//! `aof_last_bgrewrite_status`), so its alert could never fire; and its RDB-age alert
//! fires on an idle store that has nothing to save, so it also requires unsaved changes.
//! Annotations hold no `{{ $labels }}`: the charts pass the rules through `tpl`, which
//! would read them as Helm template actions and fail the render.

use super::common::meta;
use super::{EmitError, Object};
use crate::plan::model::Plan;
use crate::target::monitoring::{PrometheusRule, PrometheusRuleSpec, Rule, RuleGroup};

/// Which series are this topology's: its Redis pods and data claims, as regular
/// expressions over the `pod` and `persistentvolumeclaim` labels.
#[derive(Debug, Clone)]
pub struct Scope {
    pub pods: String,
    pub claims: String,
    /// A Redis Cluster (`redis_cluster_state` is read).
    pub cluster: bool,
}

/// The rules for one topology.
pub fn rules(plan: &Plan, scope: &Scope) -> Vec<Rule> {
    let sel = format!("namespace=\"{}\", pod=~\"{}\"", plan.namespace, scope.pods);
    let mut out = vec![Rule::alert(
        "RedisDown",
        format!("redis_up{{{sel}}} == 0"),
        Some("1m"),
        "critical",
        "A Redis pod is down",
    )];
    let persistence = plan.spec.persistence.as_ref().filter(|p| p.enabled);
    if let Some(p) = persistence {
        let rdb = p.rdb_save.as_ref().is_none_or(|r| !r.is_empty());
        if rdb {
            out.push(Rule::alert(
                "RedisPersistenceFailure",
                format!(
                    "redis_rdb_last_save_timestamp_seconds{{{sel}}} < (time() - 3600) and redis_rdb_changes_since_last_save{{{sel}}} > 0"
                ),
                Some("10m"),
                "critical",
                "Redis hasn't saved to disk in over 1 hour",
            ));
            out.push(Rule::alert(
                "RedisBGSaveFailure",
                format!("redis_rdb_last_bgsave_status{{{sel}}} == 0"),
                Some("5m"),
                "critical",
                "The last BGSAVE of a Redis pod failed",
            ));
        }
        if p.aof.is_some() {
            out.push(Rule::alert(
                "RedisAOFFailure",
                format!(
                    "redis_aof_last_bgrewrite_status{{{sel}}} == 0 or redis_aof_last_write_status{{{sel}}} == 0"
                ),
                None,
                "high",
                "Redis AOF rewrite failed",
            ));
        }
        // The PVC must hold RDB + AOF + a rewrite (seed 002: 2-3x the data).
        out.push(Rule::alert(
            "RedisDiskFull",
            format!(
                "kubelet_volume_stats_available_bytes{{namespace=\"{ns}\", persistentvolumeclaim=~\"{c}\"}} / kubelet_volume_stats_capacity_bytes{{namespace=\"{ns}\", persistentvolumeclaim=~\"{c}\"}} < 0.15",
                ns = plan.namespace,
                c = scope.claims
            ),
            Some("10m"),
            "warning",
            "A Redis data volume has less than 15% free",
        ));
    }
    if plan.maxmemory.is_some() {
        out.push(Rule::alert(
            "RedisMemoryHigh",
            format!(
                "redis_memory_used_bytes{{{sel}}} / redis_memory_max_bytes{{{sel}}} > 0.9 and redis_memory_max_bytes{{{sel}}} > 0"
            ),
            Some("5m"),
            "warning",
            "A Redis pod uses over 90% of maxmemory",
        ));
    }
    if plan.spec.backup.is_some() {
        out.push(crate::emit::backup::alert(plan, "Redis"));
    }
    if scope.cluster {
        out.push(Rule::alert(
            "RedisClusterStateFail",
            format!("redis_cluster_state{{{sel}}} == 0"),
            Some("1m"),
            "critical",
            "Redis Cluster reports cluster_state:fail (slots not served)",
        ));
    }
    out
}

/// The PrometheusRule `<name>` with [`rules`], when `monitoring.alerts` asks for it (with
/// an exporter: RKV107 refuses alerts without one).
pub fn prometheus_rule(
    plan: &Plan,
    scope: &Scope,
    component: &str,
) -> Result<Option<Object>, EmitError> {
    if !plan
        .spec
        .monitoring
        .as_ref()
        .is_some_and(|m| m.alerts && m.exporter.is_some())
    {
        return Ok(None);
    }
    let r = PrometheusRule {
        metadata: meta(plan, &plan.name, component),
        spec: PrometheusRuleSpec {
            groups: vec![RuleGroup {
                name: format!("{}.rules", plan.name),
                rules: rules(plan, scope),
            }],
        },
    };
    Ok(Some(Object::new("PrometheusRule", &r)?))
}
