//! Checks backed by the topology math: disruption budgets, Sentinel majority, memory and
//! disk headroom, timeouts, eviction policy against the declared use, placement.
//!
//! In: one resolved topology and its plan. Out: findings, each located at the spec field
//! that decides it. Invariant: the numbers in messages come from `crate::plan`, the same
//! functions that produce the emitted budgets.

use crate::diag::codes;
use crate::diag::{Code, Diagnostic, Severity};
use crate::plan::disruption::{self, IntOrPercent, PdbBudget, SentinelIssue};
use crate::plan::memory::{self, DiskIssue, MemoryIssue};
use crate::plan::model::Plan;
use crate::plan::qos;
use crate::plan::zones::{Break, Verdict};
use crate::spec::{
    AntiAffinity, EvictionPolicy, Failover, Loaded, Replication, Resolved, Shape, Use,
};

/// Every math-backed finding for one topology.
pub fn check(l: &Loaded, r: &Resolved, plan: &Plan, out: &mut Vec<Diagnostic>) {
    disruption_findings(l, r, out);
    sentinel_findings(l, r, plan, out);
    memory_findings(l, r, plan, out);
    qos_findings(l, r, plan, out);
    disk_findings(l, r, plan, out);
    timeout_findings(l, r, out);
    policy_findings(l, r, out);
    placement_findings(l, r, plan, out);
}

fn disruption_findings(l: &Loaded, r: &Resolved, out: &mut Vec<Diagnostic>) {
    let s = &r.spec;
    match &s.shape {
        Shape::Cluster(c) => {
            let budget = disruption::cluster_budget(c.shards, c.replicas_per_shard);
            if let Err(errors) = &budget {
                for e in errors {
                    out.push(
                        l.diag(codes::RKV111, &r.at("shape", "/cluster"), format!("no safe PodDisruptionBudget: {e}"))
                            .help("rkv emits no PDB for this cluster (one that is safe would block every drain): run at least 3 shards with 1 replica each"),
                    );
                }
            }
            let Some(d) = &s.disruption else { return };
            let (field, over) = match (d.min_available, d.max_unavailable) {
                (Some(m), None) => (
                    "/minAvailable",
                    PdbBudget::MinAvailable(IntOrPercent::Int(m)),
                ),
                (None, Some(m)) => (
                    "/maxUnavailable",
                    PdbBudget::MaxUnavailable(IntOrPercent::Int(m)),
                ),
                _ => {
                    out.push(
                        l.diag(
                            codes::RKV110,
                            &r.origin("disruption"),
                            "set exactly one of `minAvailable` and `maxUnavailable`",
                        )
                        .help("a PodDisruptionBudget takes one of the two"),
                    );
                    return;
                }
            };
            let pointer = r.at("disruption", field);
            match disruption::cluster_pdb_counterexample_for(c.shards, c.replicas_per_shard, &over)
            {
                Ok(Some(cx)) => {
                    let pods: Vec<String> = cx
                        .evicted
                        .iter()
                        .map(|i| format!("`{}-{i}`", r.name))
                        .collect();
                    let safe = budget.as_ref().map(|b| b.min_available).ok();
                    let breaks = match &cx.breaks {
                        disruption::Violation::ShardLost { shard, slots, .. } => format!(
                            "they are shard {shard}'s primary and its own replica, so slots {slots} go offline (cluster_state:fail)"
                        ),
                        disruption::Violation::NoPrimaryMajority {
                            evicted_primaries,
                            primaries,
                            majority,
                        } => format!(
                            "if they are primaries, {evicted_primaries} of {primaries} are gone and no majority of {majority} is left to vote a failover"
                        ),
                    };
                    out.push(
                        l.diag(
                            codes::RKV110,
                            &pointer,
                            format!(
                                "this budget lets {} of {} pods be evicted at once; evicting {} together breaks the cluster: {breaks}",
                                cx.allowed_disruptions,
                                c.shards.saturating_mul(1 + c.replicas_per_shard),
                                pods.join(" and "),
                            ),
                        )
                        .help(match safe {
                            Some(m) => format!("remove the override to use rkv's budget, `minAvailable: {m}` (`rkv explain` shows the arithmetic)"),
                            None => "remove the override; `rkv explain` shows why no budget is safe".to_string(),
                        }),
                    );
                }
                Ok(None) => {
                    if let Ok(b) = &budget {
                        let allowed = disruption::allowed_disruptions(b.pods, &over).unwrap_or(0);
                        if allowed == 0 {
                            // Safe but stuck: no eviction breaks the cluster, every drain
                            // waits, so it warns where an unsafe override is an error.
                            out.push(
                                l.diag(codes::RKV110, &pointer, format!("this budget allows no eviction at all: every node drain of the {} pods will hang", b.pods))
                                    .with_severity(Severity::Warning)
                                    .help(format!("use `minAvailable: {}`, the tightest budget that is still safe", b.min_available)),
                            );
                        }
                    }
                }
                Err(e) => out.push(l.diag(codes::RKV110, &pointer, format!("invalid budget: {e}"))),
            }
        }
        Shape::Failover(Failover { replicas: pods, .. })
        | Shape::Replication(Replication { replicas: pods, .. }) => {
            let pods = *pods;
            if let Err(e) = disruption::replicated_budget(pods) {
                out.push(
                    l.diag(
                        codes::RKV111,
                        &r.origin("shape"),
                        format!("no safe PodDisruptionBudget: {e}"),
                    )
                    .help("run at least one replica beside the primary"),
                );
            }
            if let Some(d) = &s.disruption {
                let ok = match (d.min_available, d.max_unavailable) {
                    (None, Some(1)) => true,
                    (Some(m), None) => m + 1 == pods,
                    _ => false,
                };
                if !ok {
                    out.push(
                        l.diag(codes::RKV110, &r.origin("disruption"), format!("with one primary and {} replica(s), only one Redis pod may be evicted at once (`maxUnavailable: 1`)", pods.saturating_sub(1)))
                            .help("evicting the primary and the replica Sentinel would promote at the same time leaves no copy to fail over to; remove the override"),
                    );
                }
            }
        }
        Shape::Standalone(_) => {
            if s.disruption.is_some() {
                out.push(
                    l.diag(codes::RKV110, &r.origin("disruption"), "a standalone Redis has one pod: a PodDisruptionBudget either blocks every drain or allows the only pod to go")
                        .help("remove `disruption`; use the `replication` or `cluster` shape to survive drains"),
                );
            }
        }
    }
}

fn sentinel_findings(l: &Loaded, r: &Resolved, plan: &Plan, out: &mut Vec<Diagnostic>) {
    let Some(sb) = &plan.sentinel else { return };
    let key = match &r.spec.shape {
        Shape::Failover(_) => "/failover/sentinel",
        _ => "/replication/sentinel",
    };
    for issue in &sb.issues {
        let field = match issue {
            disruption::SentinelIssue::EvenSentinels { .. }
            | disruption::SentinelIssue::NoSentinels => "/replicas",
            _ => "/quorum",
        };
        out.push(
            l.diag(
                sentinel_code(issue),
                &r.at("shape", &format!("{key}{field}")),
                issue.message(),
            )
            .help(issue.help()),
        );
    }
}

// The math's issues carry a severity of their own (an error means no budget is written),
// and each maps to one code whose registry severity is the same: checked by
// `the_math_and_the_registry_agree_on_severity`.

fn sentinel_code(issue: &SentinelIssue) -> Code {
    match issue {
        SentinelIssue::QuorumAboveSentinels { .. }
        | SentinelIssue::ZeroQuorum
        | SentinelIssue::NoSentinels => codes::RKV112,
        SentinelIssue::EvenSentinels { .. } => codes::RKV113,
        SentinelIssue::QuorumBelowMajority { .. } => codes::RKV114,
        SentinelIssue::BlocksEveryDrain { .. } => codes::RKV115,
    }
}

/// `None` for the issue RKV170 reports (check/mod.rs), with the runbook's advice.
fn memory_code(issue: &MemoryIssue) -> Option<Code> {
    match issue {
        MemoryIssue::MaxmemoryAboveLimit { .. } => Some(codes::RKV116),
        MemoryIssue::TooLittleHeadroom { .. } => Some(codes::RKV117),
        MemoryIssue::ForkMayDoubleMemory { .. } => Some(codes::RKV118),
        MemoryIssue::DurableWithoutPersistence => None,
        MemoryIssue::NoMemoryBound => Some(codes::RKV120),
    }
}

fn disk_code(issue: &DiskIssue) -> Code {
    match issue {
        DiskIssue::PvcTooSmall { .. } => codes::RKV121,
    }
}

fn limit_bytes(r: &Resolved) -> Option<u64> {
    let l = r
        .spec
        .resources
        .as_ref()?
        .limits
        .as_ref()?
        .memory
        .as_deref()?;
    memory::parse_k8s_quantity(l).ok()
}

fn maxmemory_bytes(plan: &Plan) -> Option<u64> {
    plan.maxmemory
        .as_deref()
        .and_then(|m| memory::parse_redis_memory(m).ok())
}

fn dataset_estimate(r: &Resolved) -> Option<u64> {
    r.spec
        .memory
        .as_ref()?
        .dataset_estimate
        .as_deref()
        .and_then(|d| memory::parse_k8s_quantity(d).ok())
}

/// RKV119: rkv renders no requests or limits for Redis itself (its memory is the user's
/// data), so a spec without them gets pods of a lower QoS class: say which, and what to
/// set. Only where rkv renders the Redis pods and so knows every container (the
/// kustomize target's standalone and cluster shapes): an operator or chart adds
/// containers of its own.
fn qos_findings(l: &Loaded, r: &Resolved, plan: &Plan, out: &mut Vec<Diagnostic>) {
    let cluster = match &r.spec.shape {
        Shape::Standalone(_) => false,
        Shape::Cluster(_) => true,
        _ => return,
    };
    if !plan.outputs.kustomize {
        return;
    }
    let redis = r.spec.resources.as_ref();
    let missing = qos::missing(redis);
    if missing.is_empty() {
        return;
    }
    // The pod's containers as the emitters render them: the exporter and its init
    // container have rkv's Guaranteed-shaped defaults unless the spec sizes the exporter.
    let exporter = r
        .spec
        .monitoring
        .as_ref()
        .and_then(|m| m.exporter.as_ref())
        .filter(|_| cluster);
    let exporter_default = qos::EXPORTER.resources();
    let init_default = qos::EXPORTER_INIT.resources();
    let mut containers = vec![redis];
    if let Some(e) = exporter {
        containers.push(Some(e.resources.as_ref().unwrap_or(&exporter_default)));
        if r.spec.auth.is_some() {
            containers.push(Some(&init_default));
        }
    }
    let class = qos::QosClass::of(&containers);
    let consequence = match class {
        qos::QosClass::BestEffort => {
            "scheduled with no CPU or memory reserved and the first evicted when the node runs short of memory"
        }
        qos::QosClass::Burstable => {
            "evicted before Guaranteed pods once the node runs short of memory and they use more than they request"
        }
        qos::QosClass::Guaranteed => "evicted last",
    };
    let restore = if cluster && r.spec.backup.is_some() {
        "; the restore Job's memory (it loads one primary's dump) is taken from them too"
    } else {
        ""
    };
    let pointer = if redis.is_some() {
        r.origin("resources")
    } else {
        r.origin("redis")
    };
    out.push(
        l.diag(
            codes::RKV119,
            &pointer,
            format!(
                "the Redis container ({} {}) sets no {}: its pods run in QoS class {}, {consequence}",
                r.variant.label(),
                if cluster { "cluster" } else { "standalone" },
                missing.join(", "),
                class.as_str()
            ),
        )
        .help(format!(
            "rkv does not guess the size of your data: set `resources.requests` and `resources.limits` for cpu and memory (requests equal to limits make the pods Guaranteed){restore}"
        )),
    );
}

fn memory_findings(l: &Loaded, r: &Resolved, plan: &Plan, out: &mut Vec<Diagnostic>) {
    let persistence_on = r.spec.persistence.as_ref().is_some_and(|p| p.enabled);
    let durable = r.spec.use_ == Use::Durable;
    for issue in memory::memory_findings(
        limit_bytes(r),
        maxmemory_bytes(plan),
        durable,
        persistence_on,
        dataset_estimate(r),
    ) {
        let Some(code) = memory_code(&issue) else {
            continue;
        };
        let pointer = match &issue {
            MemoryIssue::ForkMayDoubleMemory { .. } => r.at("resources", "/limits/memory"),
            MemoryIssue::NoMemoryBound => r.origin("redis"),
            _ => r.at("memory", "/maxmemory"),
        };
        out.push(l.diag(code, &pointer, issue.message()).help(issue.help()));
    }
}

fn disk_findings(l: &Loaded, r: &Resolved, plan: &Plan, out: &mut Vec<Diagnostic>) {
    let Some(p) = r.spec.persistence.as_ref().filter(|p| p.enabled) else {
        return;
    };
    let Ok(pvc) = memory::parse_k8s_quantity(&p.size) else {
        return;
    };
    let Some(dataset) = dataset_estimate(r).or(maxmemory_bytes(plan)) else {
        return;
    };
    let rdb_on = p.rdb_save.as_ref().is_none_or(|rules| !rules.is_empty());
    let pct = p.aof.as_ref().map(|a| a.rewrite_percentage).unwrap_or(100);
    let Ok(need) = memory::disk_need(dataset, p.aof.is_some(), rdb_on, pct) else {
        return;
    };
    for issue in memory::disk_findings(pvc, &need) {
        out.push(
            l.diag(
                disk_code(&issue),
                &r.at("persistence", "/size"),
                issue.message(),
            )
            .help(format!("{} ({})", issue.help(), need.reasoning.join("; "))),
        );
    }
}

fn timeout_findings(l: &Loaded, r: &Resolved, out: &mut Vec<Diagnostic>) {
    match &r.spec.shape {
        Shape::Cluster(c) => {
            if c.node_timeout_ms < 1000 {
                out.push(
                    l.diag(codes::RKV122, &r.at("shape", "/cluster/nodeTimeoutMs"), format!("`cluster-node-timeout {}` marks a node failed after less than a second: a GC pause or network blip triggers a failover", c.node_timeout_ms))
                        .help("use 5000 ms or more (seed 000 runs 5000)"),
                );
            } else if c.node_timeout_ms > 60000 {
                out.push(
                    l.diag(codes::RKV122, &r.at("shape", "/cluster/nodeTimeoutMs"), format!("`cluster-node-timeout {}`: writes to a failed primary's slots fail for over a minute before a replica is promoted", c.node_timeout_ms))
                        .help("use 5000 to 15000 ms"),
                );
            }
        }
        Shape::Failover(f) => sentinel_timeouts(l, r, &f.sentinel, "/failover/sentinel", out),
        Shape::Replication(f) => sentinel_timeouts(l, r, &f.sentinel, "/replication/sentinel", out),
        Shape::Standalone(_) => {}
    }
}

fn sentinel_timeouts(
    l: &Loaded,
    r: &Resolved,
    s: &crate::spec::Sentinel,
    key: &str,
    out: &mut Vec<Diagnostic>,
) {
    // Sentinel waits down-after-milliseconds before voting, then the failover itself must
    // finish (promotion, replicas reconfigured) inside failover-timeout.
    if s.failover_timeout_ms < s.down_after_ms.saturating_mul(2) {
        out.push(
            l.diag(
                codes::RKV122,
                &r.at("shape", &format!("{key}/failoverTimeoutMs")),
                format!(
                    "failover-timeout {} ms is less than twice down-after-milliseconds {} ms: a failover that starts late can be abandoned and retried, doubling the outage",
                    s.failover_timeout_ms, s.down_after_ms
                ),
            )
            .help(format!("set `failoverTimeoutMs` to at least {}", s.down_after_ms.saturating_mul(2))),
        );
    }
}

fn policy_findings(l: &Loaded, r: &Resolved, out: &mut Vec<Diagnostic>) {
    let Some(m) = &r.spec.memory else { return };
    let p = m.policy;
    let allkeys = matches!(
        p,
        EvictionPolicy::AllkeysLru | EvictionPolicy::AllkeysLfu | EvictionPolicy::AllkeysRandom
    );
    let pointer = r.at("memory", "/policy");
    let finding = match (r.spec.use_, p) {
        (Use::Session, _) if allkeys => Some((
            format!("`{}` on a session store evicts live sessions silently when memory is full: users are logged out with no error anywhere", p.as_str()),
            "use `noeviction` (writes fail loudly when full) or `volatile-lru` with a TTL on every session key".to_string(),
        )),
        (Use::Durable, EvictionPolicy::Noeviction) => None,
        (Use::Durable, _) => Some((
            format!("`{}` on a durable store deletes data of record when memory is full", p.as_str()),
            "use `noeviction` and size memory for the dataset".to_string(),
        )),
        (Use::Cache, EvictionPolicy::Noeviction) => Some((
            "`noeviction` on a cache makes writes fail once memory is full instead of dropping cold keys".to_string(),
            "use `allkeys-lru` or `allkeys-lfu` for a cache".to_string(),
        )),
        _ => None,
    };
    if let Some((msg, help)) = finding {
        out.push(l.diag(codes::RKV123, &pointer, msg).help(help));
    }
}

fn placement_findings(l: &Loaded, r: &Resolved, plan: &Plan, out: &mut Vec<Diagnostic>) {
    zone_findings(l, r, plan, out);
    let anti = r.spec.placement.as_ref().and_then(|p| p.anti_affinity);
    let how = match anti {
        Some(AntiAffinity::Required) => return,
        Some(AntiAffinity::Preferred) => "pod anti-affinity is preferred (soft)",
        None => "no pod anti-affinity is required",
    };
    let what = match &r.spec.shape {
        Shape::Cluster(_) => format!("a primary and its own replica (a whole shard) can land on one node: losing that node takes the shard's slots offline ({} pods)", plan.data_pods),
        Shape::Failover(_) | Shape::Replication(_) => {
            "Sentinels (or the primary and its replicas) can share a node: losing that node can take a Sentinel majority and the primary at once".to_string()
        }
        Shape::Standalone(_) => return,
    };
    let pointer = match &r.spec.placement {
        Some(p) if p.anti_affinity.is_some() => r.at("placement", "/antiAffinity"),
        Some(_) => r.origin("placement"),
        None => r.origin("shape"),
    };
    out.push(
        l.diag(codes::RKV124, &pointer, format!("{how}, so {what}"))
            .help(format!("set `placement.antiAffinity: required` (needs at least {} schedulable nodes) or keep it soft and watch placement", plan.data_pods)),
    );
}

/// RKV124 for zones: the worst zone's loss takes the topology down (with the zones the
/// spec counts), or no number of zones would let it survive one (with the spread on).
fn zone_findings(l: &Loaded, r: &Resolved, plan: &Plan, out: &mut Vec<Diagnostic>) {
    let Some(z) = &plan.zone_loss else { return };
    let fewest = |spread: bool| {
        match z.min_zones {
        Some(m) if spread => format!(
            "spread over at least {m} zones it survives any one zone's loss; or accept the risk with a reason in `spec.accept` (`rkv explain` shows the arithmetic)"
        ),
        Some(m) => format!(
            "set `placement.zoneSpread: true`: spread over at least {m} zones it survives any one zone's loss (`rkv explain` shows the arithmetic)"
        ),
        None => "no number of zones is enough: add replicas (and Sentinels) so that the topology can lose a pod of each kind, or accept the risk with a reason in `spec.accept` (`rkv explain` shows the arithmetic)".into(),
    }
    };
    let pod = |i: u32| match &r.spec.shape {
        Shape::Cluster(_) => format!("`{}-{i}`", r.name),
        _ => format!("pod {i}"),
    };
    match (&z.verdict, z.zones) {
        (Verdict::Breaks(b), Some(zones)) => {
            let how = if z.spread {
                format!("losing one of the {zones} zones can take `{}` down", r.name)
            } else {
                format!(
                    "nothing spreads the pods over the {zones} zones, so losing one can take `{}` down",
                    r.name
                )
            };
            out.push(
                l.diag(codes::RKV124, &r.at("placement", "/zones"), format!("{how}: {}", describe(b, pod)))
                    .help(fewest(z.spread)),
            );
        }
        (Verdict::Unknown, None) if z.min_zones.is_none() => out.push(
            l.diag(
                codes::RKV124,
                &r.at("placement", "/zoneSpread"),
                format!("spreading over zones cannot save `{}`: even with one pod in each zone, losing a zone takes it down", r.name),
            )
            .help(fewest(true)),
        ),
        _ => {}
    }
}

/// A zone break in words, the cluster's pods by name.
fn describe(b: &Break, pod: impl Fn(u32) -> String) -> String {
    let names = |pods: &[u32]| {
        let n: Vec<String> = pods.iter().map(|p| pod(*p)).collect();
        n.join(" and ")
    };
    match b {
        Break::ShardLost { shard, pods, slots } => format!(
            "{}, all of shard {shard} (its primary and replicas), can be in that zone, and slots {slots} go offline",
            names(pods)
        ),
        Break::NoPrimaryMajority {
            lost, primaries, ..
        } => format!(
            "{lost} of the {primaries} primaries can be in that zone (roles move on every failover), leaving no majority to vote their replicas' promotion"
        ),
        other => other.describe(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::disruption::Severity as MathSeverity;

    fn same(math: MathSeverity, code: Code) -> bool {
        let math = match math {
            MathSeverity::Error => Severity::Error,
            MathSeverity::Warning => Severity::Warning,
        };
        math == code.severity()
    }

    /// The findings take the registry's severity; the math decides with its own whether a
    /// budget is written. They must agree, or an error finding would come with a budget.
    #[test]
    fn the_math_and_the_registry_agree_on_severity() {
        let sentinel = [
            SentinelIssue::NoSentinels,
            SentinelIssue::ZeroQuorum,
            SentinelIssue::QuorumAboveSentinels {
                quorum: 4,
                sentinels: 3,
            },
            SentinelIssue::BlocksEveryDrain {
                sentinels: 3,
                quorum: 3,
                min_available: 3,
            },
            SentinelIssue::EvenSentinels { sentinels: 4 },
            SentinelIssue::QuorumBelowMajority {
                quorum: 1,
                majority: 2,
                sentinels: 3,
            },
        ];
        for i in &sentinel {
            assert!(same(i.severity(), sentinel_code(i)), "{i:?}");
        }
        let memory = [
            MemoryIssue::MaxmemoryAboveLimit {
                maxmemory_bytes: 2,
                limit_bytes: 1,
            },
            MemoryIssue::TooLittleHeadroom {
                maxmemory_bytes: 1,
                limit_bytes: 1,
                headroom_bytes: 0,
                needed_bytes: 1,
            },
            MemoryIssue::ForkMayDoubleMemory {
                limit_bytes: 1,
                dataset_bytes: 1,
                from_estimate: true,
            },
            MemoryIssue::NoMemoryBound,
        ];
        for i in &memory {
            let code = memory_code(i).expect("a code");
            assert!(same(i.severity(), code), "{i:?}");
        }
        assert_eq!(memory_code(&MemoryIssue::DurableWithoutPersistence), None);
        let disk = DiskIssue::PvcTooSmall {
            pvc_bytes: 1,
            need_bytes: 2,
        };
        assert!(same(disk.severity(), disk_code(&disk)));
    }
}
