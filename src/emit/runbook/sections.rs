//! The Markdown sections of one variant: topology, names, connect, find the primary,
//! disruption budgets, disaster recovery, alerts, then the diagram.
//!
//! In: one [`Section`] (plan, objects, inventory). Out: Markdown appended to the
//! runbook. Invariant: every command names real objects: an exec target, container and
//! TLS flags from the inventory, numbers from the plan.

use std::fmt::Write as _;

use super::prereqs::before_apply;
use super::{
    Section, access, cli, code, diagram, exec, names, restore, sentinel_cli, services,
    variant_title,
};
use crate::bundle::Object;
use crate::bundle::{helm_dir, tree_dir};
use crate::emit::inventory::{Inventory, Maker, Password, SentinelAccess};
use crate::plan::model::{Budget, Plan};
use crate::spec::Shape;

pub fn section(out: &mut String, v: &Section<'_>) {
    let (plan, inv) = (v.plan, v.inventory);
    let label = plan.variant.label();
    let _ = writeln!(out, "## {}\n", variant_title(&plan.variant));
    topology(out, plan, inv);
    before_apply(out, plan, v.objects, inv);
    let _ = writeln!(out, "### Names ({label})\n");
    let _ = writeln!(out, "| Kind | Name | Namespace | Note |\n|---|---|---|---|");
    for r in names::rows(plan, v.objects, inv) {
        let ns = if r.namespace.is_empty() {
            String::new()
        } else {
            code(&r.namespace)
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            r.kind,
            code(&r.name),
            ns,
            r.note
        );
    }
    let _ = writeln!(out);
    connect(out, plan, v.objects, inv);
    find_primary(out, plan, inv);
    budgets(out, plan);
    let _ = writeln!(out, "### Disaster recovery ({label})\n");
    dr(out, plan, inv);
    let _ = writeln!(out, "### Alerts ({label})\n");
    alerts(out, inv);
    let _ = writeln!(out, "### Diagram ({label})\n");
    diagram::diagram(out, plan, inv);
    let _ = writeln!(out);
}

fn topology(out: &mut String, plan: &Plan, inv: &Inventory) {
    let label = plan.variant.label();
    let dir = if plan.outputs.kustomize {
        format!("{}/", tree_dir(&plan.variant))
    } else {
        format!("{}/", helm_dir(&plan.variant))
    };
    let _ = writeln!(out, "### Topology ({label})\n");
    let shape = match &plan.spec.shape {
        Shape::Standalone(_) => {
            "standalone: one Redis pod, no replica, no automatic failover".into()
        }
        Shape::Cluster(c) => format!(
            "Redis Cluster: {} shards x (1 primary + {} replica(s)), {} hash-slot ranges",
            c.shards,
            c.replicas_per_shard,
            plan.slots.len()
        ),
        Shape::Failover(f) => format!(
            "failover ({} operator): 1 primary + {} replica(s), {} Sentinels, quorum {}",
            f.operator.title(),
            f.replicas.saturating_sub(1),
            f.sentinel.replicas,
            f.sentinel.quorum
        ),
        Shape::Replication(r) => format!(
            "replication: 1 primary + {} replica(s), {} Sentinels, quorum {}",
            r.replicas.saturating_sub(1),
            r.sentinel.replicas,
            r.sentinel.quorum
        ),
    };
    let _ = writeln!(out, "- Shape: {shape}");
    let _ = writeln!(out, "- Use: `{}`", plan.spec.use_.as_str());
    let _ = writeln!(
        out,
        "- Redis data pods: {} (made by {})",
        plan.data_pods,
        inv.maker.describe()
    );
    let _ = writeln!(out, "- Namespace: `{}`", plan.namespace);
    let _ = writeln!(out, "- Manifests: `{dir}`");
    if let Some(m) = &plan.maxmemory {
        let _ = writeln!(out, "- maxmemory: {m}");
    }
    let _ = writeln!(out);
}

/// How an application reaches the primary: through Sentinel, or through a Service that
/// follows it; what the seeds' single address means here.
fn find_primary_as_a_client(out: &mut String, plan: &Plan, inv: &Inventory, s: &SentinelAccess) {
    let ns = &plan.namespace;
    let port = plan.spec.redis.port;
    let auth = if plan.spec.auth.is_some() {
        ", both with the password"
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "Applications find the primary through Sentinel: connect to `{}.{ns}.svc:{}`, ask for master `{}`, then use the address it answers on port {port}{auth}; Sentinel-aware clients (Lettuce, Jedis, redis-py, ioredis) follow a failover by themselves.\n",
        s.service, s.port, s.master
    );
    let chart = inv.maker == Maker::BitnamiChart;
    match (&s.primary_service, chart) {
        (Some(svc), true) => {
            let _ = writeln!(
                out,
                "Clients that cannot ask Sentinel (`sentinelAware: false`) connect to `{svc}.{ns}.svc:{port}`: the chart's `sentinel.masterService`, which follows the primary (its `kubectl-shared` sidecar labels the primary pod `isMaster=true` through the API server). After a failover it points at the new primary once the label moves; connections to the old one are dropped. Without `sentinel.masterService` the chart renders no `{svc}` Service in Sentinel mode (the name exists only without Sentinel), so an address like seed 003's `{svc}.{ns}.svc.cluster.local:{port}` would find nothing.\n"
            );
        }
        (Some(svc), false) => {
            let _ = writeln!(
                out,
                "Clients that cannot ask Sentinel connect to `{svc}.{ns}.svc:{port}`, which {} keeps on the primary after every failover; connections to the old primary are dropped.\n",
                inv.maker.describe()
            );
        }
        (None, true) => {
            let _ = writeln!(
                out,
                "Sentinel mode has no `{}-master` Service: the chart renders that name only without Sentinel, so a client configured with `{}-master.{ns}.svc:{port}` (seed 003's) finds nothing, and the Service `{}` port {port} reaches every node, replicas included (writes there fail with `READONLY`). Mark such clients `sentinelAware: false` in `spec.clients` and rkv renders `sentinel.masterService`.\n",
                plan.name, plan.name, s.service
            );
        }
        (None, false) => {}
    }
}

fn connect(out: &mut String, plan: &Plan, objects: &[Object], inv: &Inventory) {
    let _ = writeln!(out, "### Connect ({})\n", plan.variant.label());
    let Some(redis) = &inv.redis else {
        let _ = writeln!(out, "No Redis workload in this variant.\n");
        return;
    };
    let _ = writeln!(out, "{}", access::section(plan, objects, inv));
    if let Some(s) = &inv.sentinels {
        find_primary_as_a_client(out, plan, inv, s);
    }
    let _ = writeln!(out, "```sh\n{}\n```\n", cli(plan, inv, ""));
    let listed: Vec<String> = services(inv)
        .into_iter()
        .map(|s| {
            let ports: Vec<String> = s.ports.iter().map(u16::to_string).collect();
            let outside = match (s.type_, &s.hostname) {
                (Some("LoadBalancer"), None) => {
                    " (LoadBalancer: outside the cluster at its external IP)".to_string()
                }
                (Some("LoadBalancer"), Some(h)) => {
                    format!(" (LoadBalancer: outside the cluster at `{h}`)")
                }
                _ => String::new(),
            };
            format!(
                "- `{}.{}.svc` port {}{outside}",
                s.name,
                s.namespace,
                ports.join(", ")
            )
        })
        .collect();
    if !listed.is_empty() {
        let _ = writeln!(
            out,
            "Services (DNS name, ports); clients reach them only from the namespaces and pods the NetworkPolicies allow:\n\n{}\n",
            listed.join("\n")
        );
    }
    if redis.tls_flags.is_some() {
        let _ = writeln!(
            out,
            "The TLS flags point at the certificate mounted in the redis container; without them the server refuses the connection.\n"
        );
        out.push_str(&restore::certificate_names(plan));
    }
    if let Some(a) = &plan.spec.auth {
        let _ = writeln!(
            out,
            "The password is Secret `{}` key `{}`, {}; it never leaves the pod.\n",
            a.password_secret.name,
            a.password_secret.key,
            match redis.password {
                Password::Env => "exposed in the pod as `REDIS_PASSWORD`".to_string(),
                Password::EnvAndCli => {
                    "exposed in the pod as `REDIS_PASSWORD` and `REDISCLI_AUTH`".to_string()
                }
                Password::File(path) | Password::ExactFile(path) => {
                    format!("mounted in the pod at `{path}`")
                }
            }
        );
    }
}

fn find_primary(out: &mut String, plan: &Plan, inv: &Inventory) {
    let _ = writeln!(out, "### Find the primary ({})\n", plan.variant.label());
    match (&plan.spec.shape, &inv.sentinels) {
        (Shape::Cluster(_), _) => {
            let _ = writeln!(
                out,
                "Every shard has its own primary; the slot map says which:\n\n```sh\n{} | grep master\n```\n",
                cli(plan, inv, "CLUSTER NODES")
            );
        }
        (_, Some(s)) => {
            let master = &s.master;
            let _ = writeln!(
                out,
                "Sentinel master name: `{master}`. Ask any Sentinel:\n\n```sh\n{}\n```\n\nThen confirm on that pod: `ROLE` answers `master`.\n",
                sentinel_cli(
                    plan,
                    s,
                    &format!("SENTINEL get-master-addr-by-name {master}")
                )
            );
        }
        _ => {
            let _ = writeln!(out, "There is one Redis pod; it is the primary.\n");
        }
    }
}

fn budget(out: &mut String, what: &str, b: &Budget) {
    let mut nums = Vec::new();
    if let Some(m) = b.min_available {
        nums.push(format!("minAvailable {m}"));
    }
    if let Some(m) = b.max_unavailable {
        nums.push(format!("maxUnavailable {m}"));
    }
    let _ = writeln!(out, "- **{what}**: {}. Why:", nums.join(", "));
    for r in &b.reasoning {
        let _ = writeln!(out, "  - {r}");
    }
}

fn budgets(out: &mut String, plan: &Plan) {
    let _ = writeln!(out, "### Disruption budgets ({})\n", plan.variant.label());
    let mut any = false;
    for (what, b) in [
        ("Redis data pods", &plan.data_budget),
        ("Sentinels", &plan.sentinel_budget),
        ("WAL applier", &plan.applier_budget),
    ] {
        if let Some(b) = b {
            budget(out, what, b);
            any = true;
        }
    }
    if !any {
        let _ = writeln!(
            out,
            "No PodDisruptionBudget: with one pod any budget either blocks every drain or lets the only pod go. A node drain takes Redis down for the pod's restart."
        );
    }
    let _ = writeln!(out);
}

fn alerts(out: &mut String, inv: &Inventory) {
    let rules: Vec<_> = inv.alerts.iter().filter(|r| !r.alert.is_empty()).collect();
    if rules.is_empty() {
        let _ = writeln!(
            out,
            "No PrometheusRule is generated for this variant (set `monitoring.alerts`).\n"
        );
        return;
    }
    let _ = writeln!(
        out,
        "| Alert | Severity | For | Expression | Meaning |\n|---|---|---|---|---|"
    );
    let get = |m: &std::collections::BTreeMap<String, String>, k: &str| {
        m.get(k).cloned().unwrap_or_default()
    };
    for r in rules {
        let _ = writeln!(
            out,
            "| {} | {} | {} | `{}` | {} |",
            r.alert,
            get(&r.labels, "severity"),
            r.for_.as_deref().unwrap_or(""),
            r.expr.replace('|', "\\|").replace('\n', " "),
            get(&r.annotations, "summary").replace('|', "\\|"),
        );
    }
    let _ = writeln!(out);
}

/// The data claims in backticks, or who makes them.
fn claim_list(inv: &Inventory) -> String {
    if inv.claims.is_empty() {
        format!("made by {}", inv.maker.describe())
    } else {
        inv.claims
            .iter()
            .map(|p| code(p))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn dr(out: &mut String, plan: &Plan, inv: &Inventory) {
    if inv.redis.is_none() {
        let _ = writeln!(out, "No Redis workload in this variant.\n");
        return;
    }
    let ns = &plan.namespace;
    let port = plan.spec.redis.port;
    let set = inv.data_set.clone().unwrap_or_default();
    let maker = inv.maker.describe();
    let master = inv.sentinels.as_ref().map_or("", |s| s.master.as_str());
    let sentinel = matches!(plan.spec.shape, Shape::Failover(_) | Shape::Replication(_));
    let cluster = matches!(plan.spec.shape, Shape::Cluster(_));
    let w = |out: &mut String, title: &str, body: String| {
        let _ = writeln!(out, "#### {title}\n\n{body}\n");
    };
    if sentinel || cluster {
        w(
            out,
            "Replica loss",
            format!(
                "A replica pod is rescheduled by {} with its PVC and resyncs from the primary. Watch it: `{}` shows `master_link_status:up` when done. Nothing to do unless it stays Pending (node or volume gone: delete its PVC only if the volume is lost, then delete the pod).",
                if inv.maker == Maker::Rkv {
                    format!("the StatefulSet `{set}`")
                } else {
                    maker.to_string()
                },
                cli(plan, inv, "INFO replication")
            ),
        );
        let promote = if cluster {
            format!(
                "the shard's replica is promoted after `cluster-node-timeout` by the other primaries. Check with `{}`; the old primary rejoins as a replica.",
                cli(plan, inv, "CLUSTER NODES")
            )
        } else {
            format!(
                "the Sentinels (quorum {}) agree it is down and promote a replica; clients that ask Sentinel for `{master}` follow. The old primary rejoins as a replica.",
                plan.sentinel.as_ref().map(|s| s.quorum).unwrap_or(0),
            )
        };
        w(
            out,
            "Primary loss",
            format!(
                "Automatic: {promote} Writes acknowledged but not yet replicated are lost (asynchronous replication)."
            ),
        );
        w(
            out,
            "Two nodes lost",
            if cluster {
                "If both pods of one shard are gone its slots have no owner and the cluster reports `cluster_state:fail` for those keys: bring one back (its PVC holds the data), or restore that shard from backup. Two pods of different shards: each shard fails over on its own.".into()
            } else {
                format!(
                    "With {} data pods, losing two leaves one. If Sentinels keep a majority ({}), the survivor is (or becomes) primary: scale nothing, let {maker} recreate the pods. If the Sentinel majority is gone too, no failover happens: restore nodes first; never promote by hand while the old primary might come back (split brain).",
                    plan.data_pods,
                    plan.sentinel.as_ref().map(|s| s.majority).unwrap_or(0),
                )
            },
        );
    } else {
        w(
            out,
            "Pod loss",
            format!(
                "The only pod is recreated by the {}; Redis reloads its data from the PVC (AOF/RDB). Clients see errors until `{}` answers `PONG`.",
                match &inv.data_set {
                    Some(set) => format!("StatefulSet `{set}`"),
                    None => "Deployment".to_string(),
                },
                cli(plan, inv, "PING")
            ),
        );
    }
    w(out, "Full loss", full_loss(plan, inv));
    if sentinel {
        w(
            out,
            "Split brain",
            format!(
                "Two pods both answer `ROLE` = `master` (a partition healed). The one the Sentinels name (`get-master-addr-by-name {master}`) is the primary; make the other follow it: `{}`. Writes the losing side took during the partition are lost: replay them from the WAL or the application if they matter.",
                cli(plan, inv, "REPLICAOF <primary-ip> <port>")
            ),
        );
    } else if cluster {
        w(
            out,
            "Split brain",
            format!(
                "A partition can leave a minority primary accepting writes for up to `cluster-node-timeout`; after it heals, that node becomes a replica and its writes are lost. Check `{}` for two masters owning the same slots; `CLUSTER FAILOVER` on the intended primary settles it.",
                cli(plan, inv, "CLUSTER NODES")
            ),
        );
    }
    if cluster {
        w(
            out,
            "Stuck slot migration",
            format!(
                "`{}` reports open slots (`[slot->-node]` or `[slot-<-node]` in CLUSTER NODES). Fix with `{}`; if a node is really gone, `CLUSTER SETSLOT <slot> STABLE` on both ends, then rerun the fix.",
                cli(plan, inv, &format!("--cluster check 127.0.0.1:{port}")),
                cli(plan, inv, &format!("--cluster fix 127.0.0.1:{port}"))
            ),
        );
        if let Some(j) = &inv.init_job {
            w(
                out,
                "Init Job failure",
                format!(
                    "The Job `{j}` creates the cluster once all {p} pods answer. Read why it failed: `kubectl -n {ns} logs job/{j}`. If some pods were not ready, wait for them and re-run: `kubectl -n {ns} delete job {j}` and re-apply (GitOps recreates it). If it failed half-way, `{}` shows what is assigned; finish with `--cluster fix`, never re-create a cluster over nodes that already hold slots.",
                    cli(plan, inv, "CLUSTER INFO"),
                    p = plan.data_pods,
                ),
            );
        }
    }
    if let Some(p) = plan.spec.persistence.as_ref().filter(|p| p.enabled) {
        let mut text = format!(
            "- **Disk full**: `{}` shows `rdb_last_bgsave_status:err` / `aof_last_write_status:err` and writes fail (`MISCONF`). Grow the full PVC ({claims}: `kubectl -n {ns} edit pvc <name>`, if the StorageClass allows expansion) or free space; then `BGREWRITEAOF`.\n- **Fork failure** (`Can't save in background: fork`): the pod has no memory headroom for copy-on-write; raise the memory limit (rkv's maxmemory is 7/8 of it) or lower maxmemory.\n- **AOF corruption** (Redis refuses to start, `Bad file format reading the append only file`): stop the pod, run `redis-check-aof --fix` on the AOF in a helper pod mounting that pod's PVC, then start it; a replica can instead be wiped and resynced from the primary.",
            cli(plan, inv, "INFO persistence"),
            claims = claim_list(inv),
        );
        if inv.maker == Maker::Spotahome && p.aof.is_some() {
            // The RedisFailover's command turns AOF on at start; volumes written before
            // (AOF only by CONFIG SET, or none) may hold a dump.rdb and no AOF.
            text.push_str(&format!(
                "\n- **AOF from the start** (the RedisFailover's `command`): Redis started with `appendonly yes` loads only the AOF, so a pod whose volume holds a `dump.rdb` but no `appendonlydir/` starts empty. Before you apply it over pods that ran without AOF, check each one (`{ls}`); where the directory is missing, `{set}` and wait until `{info}` shows `aof_rewrite_in_progress:0`: the restart then loads that AOF. The operator restarts the replicas first and the primary last (its pre-stop script asks Sentinel to fail over): never delete every Redis pod at once.",
                ls = match &inv.redis {
                    Some(r) => exec(ns, &r.exec.target, r.exec.container.as_deref(), "ls /data"),
                    None => String::new(),
                },
                set = cli(plan, inv, "CONFIG SET appendonly yes"),
                info = cli(plan, inv, "INFO persistence"),
            ));
        }
        w(out, "Persistence failures", text);
    }
}

/// Losing every pod and volume: replay the WAL, restore a backup, or nothing to restore.
fn full_loss(plan: &Plan, inv: &Inventory) -> String {
    let ns = &plan.namespace;
    if let Shape::Failover(f) = &plan.spec.shape
        && let Some(wal) = &f.wal
    {
        return format!(
            "Redis is rebuilt from the Kafka write-ahead log (topic `{topic}`, retention {h}):\n\n```sh\n# 1. stop the applier so the group has no members\nkubectl -n {ns} scale deploy/{applier} --replicas=0\n# 2. recreate Redis empty (delete the data PVCs only if the data is lost), wait for a primary\n# 3. rewind the consumer group to the start of the topic\nkubectl -n {kns} exec -it $(kubectl -n {kns} get pod -l strimzi.io/cluster={kc},strimzi.io/kind=Kafka -o name | head -1) -- \\\n  bin/kafka-consumer-groups.sh --bootstrap-server localhost:9092 \\\n  --group {group} --topic {topic} --reset-offsets --to-earliest --execute\n# 4. replay\nkubectl -n {ns} scale deploy/{applier} --replicas={r}\n```\n\nOnly writes within the topic's retention come back: older keys need a backup.",
            applier = inv.applier.as_deref().unwrap_or(""),
            topic = wal.topic.name,
            h = crate::target::strimzi::retention_text(wal.topic.retention_hours),
            kns = wal.kafka.namespace,
            kc = wal.kafka.cluster,
            group = wal.applier.group,
            r = wal.applier.replicas,
        );
    }
    if let Some(b) = &inv.backup {
        // The kustomize cluster (its init Job) renders a restore Job; other shapes say
        // how to load a dump by hand.
        return match inv.init_job {
            Some(_) => restore::cluster_full_loss(plan, inv, b),
            None => restore::primary_full_loss(plan, b),
        };
    }
    match &plan.spec.backup {
        Some(b) => format!(
            "The spec sets a backup schedule (`{}`), but this target renders no backup job: until one runs, the data PVCs ({}) are the only copy, and losing them all loses the data.",
            b.schedule,
            claim_list(inv)
        ),
        None => format!(
            "No backup is configured: only the data PVCs ({}) hold the data. If every volume is lost, the data is lost.",
            claim_list(inv)
        ),
    }
}
