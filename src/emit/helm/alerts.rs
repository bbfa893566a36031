//! The Prometheus rules the charts' `metrics.prometheusRule.rules` carry.
//!
//! In: a plan with an exporter and `monitoring.alerts`. Out: typed rules, scoped to this
//! release's pods (a PrometheusRule is evaluated over every target Prometheus scrapes).
//! Invariant: a rule is only written when the metric it reads can exist for this
//! topology (no AOF alert without AOF, no RDB-age alert without RDB snapshots).
//!
//! From the runbooks (seeds 002, 003), with two corrections: seed 002's
//! `redis_aof_last_rewrite_status` is not a redis_exporter metric (the INFO field is
//! `aof_last_bgrewrite_status`), so its alert could never fire; and its RDB-age alert
//! fires on an idle store that has nothing to save, so it also requires unsaved changes.
//! Annotations hold no `{{ $labels }}`: the charts pass the rules through `tpl`, which
//! would read them as Helm template actions and fail the render.

use crate::plan::model::Plan;
use crate::target::helm::Chart;
use crate::target::monitoring::Rule;

/// The rules for one release.
pub fn rules(plan: &Plan, chart: Chart) -> Vec<Rule> {
    // Every pod the chart names starts with the fullname (`redis-node-0`, `redis-master-0`,
    // `redis-0` for redis-cluster).
    let sel = format!(
        "namespace=\"{}\", pod=~\"{}-.+\"",
        plan.namespace, plan.name
    );
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
                "kubelet_volume_stats_available_bytes{{namespace=\"{ns}\", persistentvolumeclaim=~\"redis-data-{n}-.+\"}} / kubelet_volume_stats_capacity_bytes{{namespace=\"{ns}\", persistentvolumeclaim=~\"redis-data-{n}-.+\"}} < 0.15",
                ns = plan.namespace,
                n = plan.name
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
    if chart == Chart::RedisCluster {
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
