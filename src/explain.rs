//! `rkv explain`: what a topology survives, with the arithmetic.
//!
//! In: a compiled variant (its plan, and the Secrets its objects need and do not create).
//! Out: a [`Report`] — sections of facts, each line a number and how it was computed —
//! printed as text or JSON. Invariant: every number comes from the plan, the same place
//! the emitted objects take it from, and the prerequisites from the objects as written,
//! so the report cannot disagree with `generated/`.

use serde::Serialize;

use crate::bundle::secrets::Prerequisite;
use crate::plan::memory;
use crate::plan::model::Plan;
use crate::spec::{AntiAffinity, SecretMaker, Shape};
use crate::target::spotahome;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub name: String,
    pub namespace: String,
    pub variant: String,
    pub shape: String,
    pub sections: Vec<Section>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Section {
    pub title: String,
    pub lines: Vec<String>,
}

fn section(title: &str, lines: Vec<String>) -> Section {
    Section {
        title: title.to_string(),
        lines,
    }
}

/// Explain one planned topology whose objects need the Secrets `prerequisites`.
pub fn explain(plan: &Plan, prerequisites: &[Prerequisite]) -> Report {
    let s = &plan.spec;
    let mut sections = Vec::new();
    let hard = s
        .placement
        .as_ref()
        .is_some_and(|p| p.anti_affinity == Some(AntiAffinity::Required));
    let pods = plan.data_pods;
    let mut shape = vec![match &s.shape {
        Shape::Standalone(_) => {
            "standalone: 1 Redis pod (Deployment, Recreate strategy)".to_string()
        }
        Shape::Cluster(c) => format!(
            "Redis Cluster: {} shards x (1 primary + {} replica(s)) = {pods} pods, cluster-node-timeout {} ms",
            c.shards, c.replicas_per_shard, c.node_timeout_ms
        ),
        Shape::Failover(f) => format!(
            "Spotahome RedisFailover: 1 primary + {} replica(s), {} Sentinels (quorum {}), master `{}`",
            f.replicas.saturating_sub(1),
            f.sentinel.replicas,
            f.sentinel.quorum,
            spotahome::MASTER_NAME
        ),
        Shape::Replication(r) => format!(
            "primary + {} replica(s) with {} Sentinels (quorum {})",
            r.replicas.saturating_sub(1),
            r.sentinel.replicas,
            r.sentinel.quorum
        ),
    }];
    shape.push(format!("use: {}", s.use_.as_str()));
    sections.push(section("Topology", shape));

    let mut disruption = Vec::new();
    match &plan.data_budget {
        Some(b) => {
            let what = match (b.min_available, b.max_unavailable) {
                (Some(m), _) => format!("data pods PodDisruptionBudget: minAvailable {m} of {pods}"),
                (_, Some(m)) => format!("data pods PodDisruptionBudget: maxUnavailable {m} of {pods}"),
                _ => "data pods PodDisruptionBudget".to_string(),
            };
            disruption.push(what);
            disruption.extend(b.reasoning.iter().map(|l| format!("  {l}")));
        }
        None if pods == 1 => disruption.push(
            "no PodDisruptionBudget: with one pod, a budget either blocks every drain or lets the only pod go; a drain takes Redis down until the pod is rescheduled and its volume reattached".into(),
        ),
        None => disruption.push("no PodDisruptionBudget: the topology cannot have a safe one (see the findings)".into()),
    }
    if let Some(sb) = &plan.sentinel {
        disruption.push(format!(
            "Sentinels: quorum {} declares the master down; a majority of all {} Sentinels, {}, must authorize the failover",
            sb.quorum, sb.sentinels, sb.majority
        ));
        if let Some(b) = &plan.sentinel_budget {
            disruption.push(format!(
                "Sentinel PodDisruptionBudget: minAvailable {}",
                b.min_available.unwrap_or_default()
            ));
            disruption.extend(b.reasoning.iter().map(|l| format!("  {l}")));
        }
    }
    sections.push(section(
        "Voluntary disruptions (drains, evictions)",
        disruption,
    ));

    let node_loss = match (&s.shape, hard) {
        (Shape::Standalone(_), _) => vec!["losing the node stops Redis until the pod is rescheduled; data written since the last fsync (AOF everysec: up to 1 s) can be lost".into()],
        (Shape::Cluster(c), true) => vec![format!(
            "required anti-affinity: one node holds at most one of the {pods} pods; losing it loses at most one copy of one shard, and a replica is promoted within about {} ms",
            c.node_timeout_ms
        )],
        (Shape::Cluster(_), false) => vec![
            "preferred (soft) anti-affinity: the scheduler may co-locate a primary and its own replica; losing that node takes the shard's slots offline until a pod returns".into(),
        ],
        (_, true) => vec!["required anti-affinity: one node holds at most one Redis pod and one Sentinel; losing it leaves a Sentinel majority and a replica to promote".into()],
        (_, false) => vec![
            "preferred (soft) anti-affinity: Sentinels or Redis pods may share a node; losing it can take the primary and a Sentinel majority at once, and no failover happens until pods return".into(),
        ],
    };
    sections.push(section("Node loss", node_loss));

    if let Some(z) = &plan.zone_loss {
        sections.push(section("Zone loss", z.reasoning.clone()));
    }

    if !plan.slots.is_empty() {
        let lines = plan
            .slots
            .iter()
            .enumerate()
            .map(|(i, r)| {
                format!(
                    "shard {i}: slots {}-{} ({} slots)",
                    r.start,
                    r.end,
                    r.end - r.start + 1
                )
            })
            .chain(std::iter::once(format!(
                "16384 slots over {} primaries",
                plan.slots.len()
            )))
            .collect();
        sections.push(section("Hash slots", lines));
    }

    let names = crate::plan::tls::server_names(plan);
    if let Some(t) = s.tls.as_ref().filter(|_| !names.is_empty()) {
        let mut lines = vec![format!(
            "Secret `{}` must hold a certificate for exactly these DNS names (clients that verify the name they dial reject it otherwise; no `localhost` or IP is needed):",
            t.server_secret
        )];
        lines.extend(
            names
                .iter()
                .map(|n| format!("  DNS:{} ({})", n.name, n.why)),
        );
        sections.push(section("TLS server certificate", lines));
    }

    let mut mem = Vec::new();
    let limit = s
        .resources
        .as_ref()
        .and_then(|r| r.limits.as_ref())
        .and_then(|l| l.memory.clone());
    match (&plan.maxmemory, &limit) {
        (Some(m), _) if !plan.maxmemory_reasoning.is_empty() => {
            mem.push(format!("maxmemory {m}"));
            mem.extend(plan.maxmemory_reasoning.iter().map(|l| format!("  {l}")));
        }
        (Some(m), Some(l)) => {
            mem.push(format!("maxmemory {m} (set by the spec) under a {l} limit"))
        }
        (Some(m), None) => mem.push(format!(
            "maxmemory {m} (set by the spec), no container memory limit"
        )),
        (None, Some(l)) => mem.push(format!(
            "no maxmemory: Redis grows to the {l} limit and is OOM-killed there"
        )),
        (None, None) => {
            mem.push("no maxmemory and no memory limit: nothing bounds the dataset".into())
        }
    }
    if let Some(m) = &s.memory {
        mem.push(format!("maxmemory-policy {}", m.policy.as_str()));
    }
    sections.push(section("Memory", mem));

    if let Some(p) = s.persistence.as_ref().filter(|p| p.enabled) {
        let mut disk = vec![format!(
            "{} per pod{}; AOF {}; RDB {}",
            p.size,
            p.storage_class
                .as_ref()
                .map(|c| format!(" on `{c}`"))
                .unwrap_or_default(),
            if p.aof.is_some() { "on" } else { "off" },
            match &p.rdb_save {
                None => "server default rules".to_string(),
                Some(r) if r.is_empty() => "off".to_string(),
                Some(r) => r
                    .iter()
                    .map(|x| format!("save {}", x.0))
                    .collect::<Vec<_>>()
                    .join(", "),
            }
        )];
        let dataset = s
            .memory
            .as_ref()
            .and_then(|m| m.dataset_estimate.as_deref())
            .and_then(|d| memory::parse_k8s_quantity(d).ok())
            .or_else(|| {
                plan.maxmemory
                    .as_deref()
                    .and_then(|m| memory::parse_redis_memory(m).ok())
            });
        if let Some(d) = dataset {
            let rdb_on = p.rdb_save.as_ref().is_none_or(|r| !r.is_empty());
            let pct = p.aof.as_ref().map(|a| a.rewrite_percentage).unwrap_or(100);
            if let Ok(need) = memory::disk_need(d, p.aof.is_some(), rdb_on, pct) {
                disk.extend(need.reasoning.iter().map(|l| format!("  {l}")));
            }
        } else {
            disk.push("  the disk need is unknown: set maxmemory or memory.datasetEstimate".into());
        }
        sections.push(section("Disk", disk));
    }

    if let Shape::Failover(f) = &s.shape
        && let Some(w) = &f.wal
    {
        let mut wal = vec![
                format!(
                    "topic `{}`: {} keyed by Redis key, {}",
                    w.topic.name,
                    w.topic.partitions.map_or("partitions as the topic has them".to_string(), |p| format!("{p} partitions")),
                    match w.topic.retention_hours {
                        Some(h) => format!("retention {h} h: a Redis rebuilt from scratch replays at most the last {h} h ({} days) of writes", h / 24),
                        None => format!(
                            "retention not stated: a Redis rebuilt from scratch replays at most what the broker's default keeps (`log.retention.hours`, {} h unless the cluster sets another)",
                            crate::target::strimzi::BROKER_DEFAULT_RETENTION_HOURS
                        ),
                    }
                ),
                format!(
                    "consumer group `{}` replays into the primary found through Sentinel `{}:{}`",
                    w.applier.group,
                    spotahome::sentinel_name(&plan.name),
                    spotahome::SENTINEL_PORT
                ),
                "EXPIRE replays as a relative TTL: a key replayed later (after lag, or in a rebuild) expires later than on the first site; use PEXPIREAT in producers".into(),
            ];
        if let Some(m) = &w.mirror {
            wal.push(format!(
                    "site loss: MirrorMaker 2 carries `{}` from `{}` to `{}`; if `{}` is lost, `{}` keeps serving reads and its applier has applied everything mirrored so far (lag: MM2 + applier)",
                    w.topic.name, m.from, m.to, m.from, m.to
                ));
        }
        sections.push(section("Write-ahead log", wal));
    }
    sections.push(section(
        "Before you apply",
        before_apply(plan, prerequisites),
    ));
    Report {
        name: plan.name.clone(),
        namespace: plan.namespace.clone(),
        variant: plan.variant.label().to_string(),
        shape: s.shape.name().to_string(),
        sections,
    }
}

/// The Secrets that must exist first, and who makes the password Secret otherwise.
fn before_apply(plan: &Plan, prerequisites: &[Prerequisite]) -> Vec<String> {
    let mut lines: Vec<String> = prerequisites
        .iter()
        .map(|p| {
            let keys = if p.keys.is_empty() {
                "every key (mounted whole)".to_string()
            } else {
                p.keys
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            format!(
                "Secret `{}` in `{}` must exist: {keys}, read by {}",
                p.name,
                p.namespace,
                p.used_by.join(", ")
            )
        })
        .collect();
    if let Some(a) = plan
        .spec
        .auth
        .as_ref()
        .filter(|a| a.created_by == SecretMaker::Chart)
    {
        lines.push(format!(
            "the password Secret `{}` is the chart's own: made at install with a random password, kept with its password on every upgrade",
            a.password_secret.name
        ));
    }
    if lines.is_empty() {
        lines.push(
            "no Secret needs to exist first: the objects create every Secret they read".into(),
        );
    }
    lines
}

/// The report as text.
pub fn render_text(reports: &[Report]) -> String {
    let mut out = String::new();
    for r in reports {
        out.push_str(&format!(
            "{} in {} ({}, {})\n",
            r.name, r.namespace, r.variant, r.shape
        ));
        for s in &r.sections {
            out.push_str(&format!("\n  {}\n", s.title));
            for l in &s.lines {
                out.push_str(&format!("    {l}\n"));
            }
        }
        out.push('\n');
    }
    out
}
