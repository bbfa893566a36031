//! The operator's runbook: `generated/<profile>/RUNBOOK.md`.
//!
//! In: the compiled variants of one spec (each variant's plan and its emitted objects).
//! Out: one Markdown [`OutFile`] with, per variant, the topology, the exact names, how to
//! connect and find the primary, what the PDBs allow and why, the disaster-recovery
//! procedures that apply to the shape, the alerts, and a Mermaid diagram.
//!
//! Invariant: every name is read from the emitted objects (or derived from an operator
//! CR's name and replica count the way the operator derives it), never re-typed, so the
//! runbook cannot drift from the manifests. Names an operator check can resolve are in
//! backticks in the `### Names` tables; `tests/runbook.rs` proves each exists.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde_json::Value;

use super::Object;
use super::layout::{OutFile, dir_of};
use crate::compile::Variant;
use crate::plan::model::{Budget, Plan};
use crate::spec::{Shape, Variant as Which};

/// The runbook's path, relative to `generated/<profile>/`.
pub const PATH: &str = "RUNBOOK.md";

/// One row of a Names table.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Row {
    kind: String,
    name: String,
    namespace: String,
    note: String,
}

/// What the procedures need to know about where Redis runs in one variant.
#[derive(Debug, Default)]
struct Topo {
    namespace: String,
    /// Redis data pods by exact name (empty for a Deployment: its pod names are random).
    data_pods: Vec<String>,
    /// `kubectl exec` target for redis-cli (`pod/x` or `deploy/x`).
    exec: String,
    /// The container to exec into, when the pod has more than one.
    container: Option<String>,
    /// redis-cli TLS flags, from the redis container's volume mounts.
    tls: Option<String>,
    /// `REDISCLI_AUTH` is already in the container's environment.
    cli_auth_env: bool,
    /// Sentinel: exec target and container.
    sentinel_exec: Option<(String, Option<String>)>,
    sentinel_pods: Vec<String>,
    master_name: Option<String>,
    /// Who makes the pods: `rkv`, an operator, or a chart.
    maker: String,
    /// The StatefulSet (own or operator-made) holding the data pods.
    data_set: Option<String>,
    /// The data PVCs by exact name.
    pvcs: Vec<String>,
}

fn s<'a>(v: &'a Value, ptr: &str) -> &'a str {
    v.pointer(ptr).and_then(Value::as_str).unwrap_or("")
}

fn n(v: &Value, ptr: &str) -> Option<u64> {
    v.pointer(ptr).and_then(Value::as_u64)
}

fn code(x: &str) -> String {
    format!("`{x}`")
}

/// Every Secret an object refers to: `secretKeyRef`, `secretName`, `existingSecret`,
/// `secretPath` (Spotahome auth), `redisSecret`, `passwordSecret`, ExternalSecret targets.
pub fn referenced_secrets(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x) {
                    ("secretName" | "existingSecret" | "secretPath", Value::String(name)) => {
                        out.insert(name.clone());
                    }
                    ("secretKeyRef" | "redisSecret" | "secretRef", Value::Object(r)) => {
                        if let Some(Value::String(name)) = r.get("name") {
                            out.insert(name.clone());
                        }
                    }
                    _ => {}
                }
                referenced_secrets(x, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| referenced_secrets(x, out)),
        _ => {}
    }
}

fn variant_title(v: &Which) -> String {
    match v {
        Which::Base => "Base".into(),
        Which::Environment(e) => format!("Environment `{e}`"),
        Which::Site(s) => format!("Site `{s}`"),
    }
}

fn containers(o: &Object) -> Vec<&Value> {
    o.value
        .pointer("/spec/template/spec/containers")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

fn redis_container(o: &Object) -> Option<&Value> {
    containers(o).into_iter().find(|c| s(c, "/name") == "redis")
}

/// `--tls --cacert <dir>/ca.crt --cert <dir>/tls.crt --key <dir>/tls.key` from the
/// container's TLS mount (the client certificate when mutual TLS mounts one).
fn tls_flags(c: &Value) -> Option<String> {
    let mounts = c.pointer("/volumeMounts").and_then(Value::as_array)?;
    let path = |want: &str| {
        mounts
            .iter()
            .find(|m| s(m, "/name") == want)
            .map(|m| s(m, "/mountPath").to_string())
    };
    let dir = path("client-tls").or_else(|| path("tls"))?;
    Some(format!(
        "--tls --cacert {dir}/ca.crt --cert {dir}/tls.crt --key {dir}/tls.key"
    ))
}

fn has_env(c: &Value, name: &str) -> bool {
    c.pointer("/env")
        .and_then(Value::as_array)
        .is_some_and(|e| e.iter().any(|x| s(x, "/name") == name))
}

/// The Names rows and the procedures' facts for one variant.
fn inventory(plan: &Plan, objects: &[Object]) -> (Vec<Row>, Topo) {
    let mut rows = BTreeSet::new();
    let mut topo = Topo {
        namespace: plan.namespace.clone(),
        maker: "rkv".into(),
        ..Topo::default()
    };
    let mut namespaces = BTreeSet::new();
    let row = |kind: &str, name: &str, ns: &str, note: &str| Row {
        kind: kind.into(),
        name: name.into(),
        namespace: ns.into(),
        note: note.into(),
    };
    for o in objects {
        let (kind, name, ns) = (o.kind(), o.name(), o.namespace());
        if kind.is_empty() || name.is_empty() {
            // A file outside the tree without a kind (Helm values): chart-made names below.
            continue;
        }
        if !ns.is_empty() {
            namespaces.insert(ns.to_string());
        }
        rows.insert(row(kind, name, ns, ""));
        let mut secrets = BTreeSet::new();
        referenced_secrets(&o.value, &mut secrets);
        if kind == "ExternalSecret" {
            let target = s(&o.value, "/spec/target/name");
            secrets.insert(if target.is_empty() { name } else { target }.to_string());
        }
        for sec in secrets {
            rows.insert(row(
                "Secret",
                &sec,
                ns,
                &format!("referenced by {kind} `{name}`"),
            ));
        }
        match kind {
            "StatefulSet" => {
                let replicas = n(&o.value, "/spec/replicas").unwrap_or(1);
                let redis = redis_container(o);
                for i in 0..replicas {
                    let pod = format!("{name}-{i}");
                    rows.insert(row("Pod", &pod, ns, &format!("StatefulSet `{name}`")));
                    for vct in o
                        .value
                        .pointer("/spec/volumeClaimTemplates")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        // The StatefulSet controller names each claim <template>-<pod>.
                        let pvc = format!("{}-{pod}", s(vct, "/metadata/name"));
                        rows.insert(row(
                            "PersistentVolumeClaim",
                            &pvc,
                            ns,
                            &format!("StatefulSet `{name}`"),
                        ));
                        if redis.is_some() {
                            topo.pvcs.push(pvc);
                        }
                    }
                    if redis.is_some() {
                        topo.data_pods.push(pod);
                    }
                }
                if let Some(c) = redis {
                    topo.exec = format!("pod/{name}-0");
                    topo.container = Some("redis".into());
                    topo.tls = tls_flags(c);
                    topo.cli_auth_env = has_env(c, "REDISCLI_AUTH");
                    topo.data_set = Some(name.to_string());
                    topo.namespace = ns.to_string();
                }
            }
            // The backup PVC holds dumps, not the live data.
            "PersistentVolumeClaim" if !name.ends_with("-backup") => {
                topo.pvcs.push(name.to_string());
            }
            "Deployment" => {
                if let Some(c) = redis_container(o) {
                    topo.exec = format!("deploy/{name}");
                    topo.container = Some("redis".into());
                    topo.tls = tls_flags(c);
                    topo.cli_auth_env = has_env(c, "REDISCLI_AUTH");
                    topo.namespace = ns.to_string();
                }
            }
            "RedisFailover" => {
                // Spotahome: StatefulSet rfr-<name> (pods rfr-<name>-<i>), Sentinel
                // Deployment and Service rfs-<name> (pod names hashed).
                let note = format!("operator-made from RedisFailover `{name}`");
                let sts = format!("rfr-{name}");
                let rfs = format!("rfs-{name}");
                rows.insert(row("StatefulSet", &sts, ns, &note));
                rows.insert(row("Deployment", &rfs, ns, &note));
                rows.insert(row(
                    "Service",
                    &rfs,
                    ns,
                    &format!("{note}; Sentinel port 26379"),
                ));
                let claim = s(
                    &o.value,
                    "/spec/redis/storage/persistentVolumeClaim/metadata/name",
                );
                for i in 0..n(&o.value, "/spec/redis/replicas").unwrap_or(0) {
                    let pod = format!("{sts}-{i}");
                    rows.insert(row("Pod", &pod, ns, &note));
                    if !claim.is_empty() {
                        let pvc = format!("{claim}-{pod}");
                        rows.insert(row("PersistentVolumeClaim", &pvc, ns, &note));
                        topo.pvcs.push(pvc);
                    }
                    topo.data_pods.push(pod);
                }
                topo.exec = format!("pod/{sts}-0");
                topo.container = Some("redis".into());
                topo.sentinel_exec = Some((format!("deploy/{rfs}"), Some("sentinel".into())));
                topo.maker = "the Spotahome redis-operator".into();
                topo.data_set = Some(sts);
                topo.master_name = Some("mymaster".into());
                topo.namespace = ns.to_string();
            }
            "RedisReplication" => {
                // OT-CONTAINER-KIT: StatefulSet <name>, pods <name>-<i>, Services <name>
                // and <name>-headless.
                let note = format!("operator-made from RedisReplication `{name}`");
                rows.insert(row("StatefulSet", name, ns, &note));
                rows.insert(row("Service", name, ns, &note));
                rows.insert(row("Service", &format!("{name}-headless"), ns, &note));
                for i in 0..n(&o.value, "/spec/clusterSize").unwrap_or(0) {
                    let pod = format!("{name}-{i}");
                    rows.insert(row("Pod", &pod, ns, &note));
                    topo.data_pods.push(pod);
                }
                topo.exec = format!("pod/{name}-0");
                topo.maker = "the OT-CONTAINER-KIT redis-operator".into();
                topo.data_set = Some(name.to_string());
                topo.namespace = ns.to_string();
            }
            "RedisSentinel" => {
                let note = format!("operator-made from RedisSentinel `{name}`");
                let sts = format!("{name}-sentinel");
                rows.insert(row("StatefulSet", &sts, ns, &note));
                rows.insert(row("Service", &sts, ns, &format!("{note}; port 26379")));
                for i in 0..n(&o.value, "/spec/clusterSize").unwrap_or(0) {
                    let pod = format!("{sts}-{i}");
                    rows.insert(row("Pod", &pod, ns, &note));
                    topo.sentinel_pods.push(pod);
                }
                topo.sentinel_exec = Some((format!("pod/{sts}-0"), None));
                let m = s(&o.value, "/spec/redisSentinelConfig/masterGroupName");
                topo.master_name = Some(if m.is_empty() { "myMaster" } else { m }.to_string());
            }
            _ => {}
        }
    }
    // The Bitnami chart: with Sentinel one StatefulSet <fullname>-node whose pods run
    // Redis and Sentinel side by side.
    if let (Some(values), Some(release)) = (
        objects.iter().find(|o| o.kind().is_empty()),
        objects.iter().find(|o| o.kind() == "HelmRelease"),
    ) {
        let v = &values.value;
        let full = match s(v, "/fullnameOverride") {
            "" => release.name(),
            f => f,
        };
        let ns = s(&release.value, "/spec/targetNamespace");
        let ns = if ns.is_empty() {
            release.namespace()
        } else {
            ns
        };
        let note = format!("chart-made from HelmRelease `{}`", release.name());
        if v.pointer("/sentinel/enabled").and_then(Value::as_bool) == Some(true) {
            let sts = format!("{full}-node");
            rows.insert(row("StatefulSet", &sts, ns, &note));
            rows.insert(row(
                "Service",
                full,
                ns,
                &format!("{note}; ports 6379 and 26379"),
            ));
            rows.insert(row("Service", &format!("{full}-headless"), ns, &note));
            for i in 0..n(v, "/replica/replicaCount").unwrap_or(0) {
                let pod = format!("{sts}-{i}");
                rows.insert(row("Pod", &pod, ns, &note));
                topo.data_pods.push(pod.clone());
                topo.sentinel_pods.push(pod);
            }
            topo.exec = format!("pod/{sts}-0");
            topo.container = Some("redis".into());
            topo.sentinel_exec = Some((format!("pod/{sts}-0"), Some("sentinel".into())));
            let m = s(v, "/sentinel/masterSet");
            topo.master_name = Some(if m.is_empty() { "mymaster" } else { m }.to_string());
            topo.data_set = Some(sts);
        }
        let mut secrets = BTreeSet::new();
        referenced_secrets(v, &mut secrets);
        for sec in secrets {
            rows.insert(row("Secret", &sec, ns, "referenced by the Helm values"));
        }
        topo.maker = "the Bitnami chart".into();
        topo.namespace = ns.to_string();
        namespaces.insert(ns.to_string());
    }
    if let Some(m) = plan.sentinel.as_ref().and(sentinel_master(plan)) {
        topo.master_name = Some(m);
    }
    for ns in namespaces {
        rows.insert(row("Namespace", &ns, "", ""));
    }
    (merge(rows), topo)
}

/// One row per (kind, name, namespace): a Secret referenced by several objects lists
/// them all in its note.
fn merge(rows: BTreeSet<Row>) -> Vec<Row> {
    let mut out: Vec<Row> = Vec::new();
    for r in rows {
        match out.last_mut() {
            Some(l) if (&l.kind, &l.name, &l.namespace) == (&r.kind, &r.name, &r.namespace) => {
                if l.note.is_empty() {
                    l.note = r.note;
                } else if !r.note.is_empty() {
                    let more = r.note.strip_prefix("referenced by ").unwrap_or(&r.note);
                    l.note = format!("{}, {more}", l.note);
                }
            }
            _ => out.push(r),
        }
    }
    out
}

fn sentinel_master(plan: &Plan) -> Option<String> {
    match &plan.spec.shape {
        Shape::Failover(f) => f.sentinel.master_name.clone(),
        Shape::Replication(r) => r.sentinel.master_name.clone(),
        _ => None,
    }
}

/// `kubectl -n <ns> exec -it <target> [-c <c>] -- <cmd>`.
fn exec(ns: &str, target: &str, container: Option<&str>, cmd: &str) -> String {
    let c = container.map(|c| format!(" -c {c}")).unwrap_or_default();
    format!("kubectl -n {ns} exec -it {target}{c} -- {cmd}")
}

fn cli(plan: &Plan, t: &Topo, args: &str) -> String {
    let tls = t.tls.as_ref().map(|f| format!("{f} ")).unwrap_or_default();
    let port = plan.spec.redis.port;
    let base = format!(
        "redis-cli {tls}-p {port}{}",
        if args.is_empty() {
            String::new()
        } else {
            format!(" {args}")
        }
    );
    if plan.spec.auth.is_some() && !t.cli_auth_env {
        // The password stays in the pod: the container has it as REDIS_PASSWORD.
        exec(
            &t.namespace,
            &t.exec,
            t.container.as_deref(),
            &format!("sh -c 'REDISCLI_AUTH=\"$REDIS_PASSWORD\" {base}'"),
        )
    } else {
        exec(&t.namespace, &t.exec, t.container.as_deref(), &base)
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

fn mermaid_id(x: &str) -> String {
    x.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

fn diagram(out: &mut String, plan: &Plan, objects: &[Object], t: &Topo) {
    let _ = writeln!(out, "```mermaid\ngraph LR");
    let site = plan.variant.label();
    let _ = writeln!(
        out,
        "  subgraph {}[\"{} / namespace {}\"]",
        mermaid_id(&format!("v_{site}")),
        site,
        t.namespace
    );
    let data = if t.data_pods.is_empty() {
        let id = mermaid_id(&format!("d_{}", t.exec));
        let _ = writeln!(out, "    {id}[\"{} (Redis)\"]", t.exec);
        vec![id]
    } else {
        t.data_pods
            .iter()
            .map(|p| {
                let id = mermaid_id(&format!("p_{p}"));
                let _ = writeln!(out, "    {id}[\"{p}\"]");
                id
            })
            .collect()
    };
    match &plan.spec.shape {
        Shape::Cluster(_) => {
            // Which pod serves which slots is decided at init, not in the manifests.
            let ranges: Vec<String> = plan
                .slots
                .iter()
                .map(|r| format!("{}-{}", r.start, r.end))
                .collect();
            let _ = writeln!(
                out,
                "    slots[/\"cluster bus: hash slots {} over the primaries\"/]",
                ranges.join(", ")
            );
            for d in &data {
                let _ = writeln!(out, "    slots -.- {d}");
            }
        }
        _ => {
            if let Some(first) = data.first() {
                for d in data.iter().skip(1) {
                    let _ = writeln!(out, "    {first} -. replication .- {d}");
                }
            }
        }
    }
    if let Some((target, _)) = &t.sentinel_exec {
        let label = if t.sentinel_pods.is_empty() {
            format!("{target} (Sentinels)")
        } else {
            format!("Sentinels: {}", t.sentinel_pods.join(", "))
        };
        let _ = writeln!(out, "    sentinels{{{{\"{label}\"}}}}");
        for d in &data {
            let _ = writeln!(out, "    sentinels -. monitors .-> {d}");
        }
    }
    for o in objects {
        if o.kind() == "Service" {
            let id = mermaid_id(&format!("s_{}", o.name()));
            let _ = writeln!(out, "    {id}([\"Service {}\"])", o.name());
            if o.name().ends_with("-external") || s(&o.value, "/spec/type") == "LoadBalancer" {
                let _ = writeln!(out, "    clients((clients)) --> {id}");
            }
            let sel = o.value.pointer("/spec/selector");
            let target_is_redis = objects.iter().any(|w| {
                w.kind() == "StatefulSet"
                    && redis_container(w).is_some()
                    && sel.is_some()
                    && sel.and_then(Value::as_object).is_some_and(|m| {
                        m.iter().all(|(k, v)| {
                            w.value
                                .pointer("/spec/template/metadata/labels")
                                .and_then(|l| l.get(k))
                                == Some(v)
                        })
                    })
            }) || o.kind() == "Service" && t.maker != "rkv"
                || t.data_pods.is_empty();
            if target_is_redis {
                for d in &data {
                    let _ = writeln!(out, "    {id} --> {d}");
                }
            }
        }
    }
    if let Shape::Failover(f) = &plan.spec.shape
        && let Some(w) = &f.wal
    {
        let topic = mermaid_id(&format!("t_{}", w.topic.name));
        let _ = writeln!(
            out,
            "    applier[\"Deployment {} ({} pods)\"]",
            objects
                .iter()
                .find(|o| is_applier(o))
                .map(Object::name)
                .unwrap_or(""),
            w.applier.replicas
        );
        let _ = writeln!(out, "  end");
        let _ = writeln!(
            out,
            "  {topic}[(\"Kafka topic {} in {}\")] -- consumer group {} --> applier",
            w.topic.name, w.kafka.namespace, w.applier.group
        );
        let _ = writeln!(
            out,
            "  applier -- writes to primary --> {}",
            data.first().cloned().unwrap_or_default()
        );
        if let Some(m) = &w.mirror
            && site == m.to
        {
            let _ = writeln!(
                out,
                "  src[(\"site {} Kafka {}\")] -- MirrorMaker 2 --> {topic}",
                m.from, w.topic.name
            );
        }
    } else {
        let _ = writeln!(out, "  end");
    }
    let _ = writeln!(out, "```");
}

fn alerts(out: &mut String, objects: &[Object]) {
    let rules: Vec<&Value> = objects
        .iter()
        .filter(|o| o.kind() == "PrometheusRule")
        .flat_map(|o| {
            o.value
                .pointer("/spec/groups")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
        })
        .flat_map(|g| {
            g.pointer("/rules")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
        })
        .filter(|r| !s(r, "/alert").is_empty())
        .collect();
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
    for r in rules {
        let _ = writeln!(
            out,
            "| {} | {} | {} | `{}` | {} |",
            s(r, "/alert"),
            s(r, "/labels/severity"),
            s(r, "/for"),
            s(r, "/expr").replace('|', "\\|").replace('\n', " "),
            s(r, "/annotations/summary").replace('|', "\\|"),
        );
    }
    let _ = writeln!(out);
}

fn section(out: &mut String, v: &Variant) {
    let plan = &v.plan;
    let objects = &v.objects;
    let (rows, t) = inventory(plan, objects);
    let label = plan.variant.label();
    let dir = if plan.outputs.kustomize {
        format!("{}/", dir_of(&plan.variant))
    } else {
        "helm/".into()
    };
    let _ = writeln!(out, "## {}\n", variant_title(&plan.variant));
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
            "failover ({:?} operator): 1 primary + {} replica(s), {} Sentinels, quorum {}",
            f.operator,
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
    let _ = writeln!(out, "- Use: `{:?}`", plan.spec.use_);
    let _ = writeln!(
        out,
        "- Redis data pods: {} (made by {})",
        plan.data_pods, t.maker
    );
    let _ = writeln!(out, "- Namespace: `{}`", t.namespace);
    let _ = writeln!(out, "- Manifests: `{dir}`");
    if let Some(m) = &plan.maxmemory {
        let _ = writeln!(out, "- maxmemory: {m}");
    }
    let _ = writeln!(out);

    let _ = writeln!(out, "### Names ({label})\n");
    let _ = writeln!(out, "| Kind | Name | Namespace | Note |\n|---|---|---|---|");
    for r in &rows {
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

    let _ = writeln!(out, "### Connect ({label})\n");
    if t.exec.is_empty() {
        let _ = writeln!(out, "No Redis workload in this variant.\n");
    } else {
        let _ = writeln!(out, "```sh\n{}\n```\n", cli(plan, &t, ""));
        let services: Vec<String> = objects
            .iter()
            .filter(|o| o.kind() == "Service")
            .map(|o| {
                let ports: Vec<String> = o
                    .value
                    .pointer("/spec/ports")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|p| p.get("port").and_then(Value::as_u64))
                    .map(|p| p.to_string())
                    .collect();
                let host = s(
                    &o.value,
                    "/metadata/annotations/external-dns.alpha.kubernetes.io~1hostname",
                );
                let outside = match (s(&o.value, "/spec/type"), host) {
                    ("LoadBalancer", "") => {
                        " (LoadBalancer: outside the cluster at its external IP)".to_string()
                    }
                    ("LoadBalancer", h) => format!(" (LoadBalancer: outside the cluster at `{h}`)"),
                    _ => String::new(),
                };
                format!(
                    "- `{}.{}.svc` port {}{outside}",
                    o.name(),
                    o.namespace(),
                    ports.join(", ")
                )
            })
            .collect();
        if !services.is_empty() {
            let _ = writeln!(
                out,
                "Services (DNS name, ports); clients reach them only from the namespaces and pods the NetworkPolicies allow:\n\n{}\n",
                services.join("\n")
            );
        }
        if t.tls.is_some() {
            let _ = writeln!(
                out,
                "The TLS flags point at the certificate mounted in the redis container; without them the server refuses the connection.\n"
            );
            let _ = write!(out, "{}", super::runbook_restore::certificate_names(plan));
        }
        if let Some(a) = &plan.spec.auth {
            let _ = writeln!(
                out,
                "The password is Secret `{}` key `{}`, exposed in the pod as `REDIS_PASSWORD`{}; it never leaves the pod.\n",
                a.password_secret.name,
                a.password_secret.key,
                if t.cli_auth_env {
                    " and `REDISCLI_AUTH`"
                } else {
                    ""
                }
            );
        }
    }

    let _ = writeln!(out, "### Find the primary ({label})\n");
    match (&plan.spec.shape, &t.sentinel_exec, &t.master_name) {
        (Shape::Cluster(_), _, _) => {
            let _ = writeln!(
                out,
                "Every shard has its own primary; the slot map says which:\n\n```sh\n{} | grep master\n```\n",
                cli(plan, &t, "CLUSTER NODES")
            );
        }
        (_, Some((target, c)), Some(master)) => {
            let _ = writeln!(
                out,
                "Sentinel master name: `{master}`. Ask any Sentinel:\n\n```sh\n{}\n```\n\nThen confirm on that pod: `ROLE` answers `master`.\n",
                exec(
                    &t.namespace,
                    target,
                    c.as_deref(),
                    &format!("redis-cli -p 26379 SENTINEL get-master-addr-by-name {master}")
                )
            );
        }
        _ => {
            let _ = writeln!(out, "There is one Redis pod; it is the primary.\n");
        }
    }

    let _ = writeln!(out, "### Disruption budgets ({label})\n");
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

    let _ = writeln!(out, "### Disaster recovery ({label})\n");
    dr(out, plan, objects, &t);

    let _ = writeln!(out, "### Alerts ({label})\n");
    alerts(out, objects);

    let _ = writeln!(out, "### Diagram ({label})\n");
    diagram(out, plan, objects, &t);
    let _ = writeln!(out);
}

/// The WAL applier Deployment (by its component label, not its name).
fn is_applier(o: &Object) -> bool {
    o.kind() == "Deployment"
        && s(&o.value, "/metadata/labels/app.kubernetes.io~1component") == "applier"
}

/// The data PVCs in backticks, or who makes them.
fn pvc_list(t: &Topo) -> String {
    if t.pvcs.is_empty() {
        format!("made by {}", t.maker)
    } else {
        t.pvcs
            .iter()
            .map(|p| code(p))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn dr(out: &mut String, plan: &Plan, objects: &[Object], t: &Topo) {
    if t.exec.is_empty() {
        let _ = writeln!(out, "No Redis workload in this variant.\n");
        return;
    }
    let ns = &t.namespace;
    let set = t.data_set.clone().unwrap_or_default();
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
                if t.maker == "rkv" {
                    format!("the StatefulSet `{set}`")
                } else {
                    t.maker.clone()
                },
                cli(plan, t, "INFO replication")
            ),
        );
        let promote = if cluster {
            format!(
                "the shard's replica is promoted after `cluster-node-timeout` by the other primaries. Check with `{}`; the old primary rejoins as a replica.",
                cli(plan, t, "CLUSTER NODES")
            )
        } else {
            format!(
                "the Sentinels (quorum {}) agree it is down and promote a replica; clients that ask Sentinel for `{}` follow. The old primary rejoins as a replica.",
                plan.sentinel.as_ref().map(|s| s.quorum).unwrap_or(0),
                t.master_name.clone().unwrap_or_default()
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
                    "With {} data pods, losing two leaves one. If Sentinels keep a majority ({}), the survivor is (or becomes) primary: scale nothing, let {} recreate the pods. If the Sentinel majority is gone too, no failover happens: restore nodes first; never promote by hand while the old primary might come back (split brain).",
                    plan.data_pods,
                    plan.sentinel.as_ref().map(|s| s.majority).unwrap_or(0),
                    t.maker
                )
            },
        );
    } else {
        w(
            out,
            "Pod loss",
            format!(
                "The only pod is recreated by the Deployment; Redis reloads its data from the PVC (AOF/RDB). Clients see errors until `{}` answers `PONG`.",
                cli(plan, t, "PING")
            ),
        );
    }
    // Full loss: backup or WAL replay.
    let mut full = String::new();
    if let Shape::Failover(f) = &plan.spec.shape
        && let Some(wal) = &f.wal
    {
        let applier = objects
            .iter()
            .find(|o| is_applier(o))
            .map(Object::name)
            .unwrap_or("");
        let _ = write!(
            full,
            "Redis is rebuilt from the Kafka write-ahead log (topic `{topic}`, retention {h} h):\n\n```sh\n# 1. stop the applier so the group has no members\nkubectl -n {ns} scale deploy/{applier} --replicas=0\n# 2. recreate Redis empty (delete the data PVCs only if the data is lost), wait for a primary\n# 3. rewind the consumer group to the start of the topic\nkubectl -n {kns} exec -it $(kubectl -n {kns} get pod -l strimzi.io/cluster={kc},strimzi.io/kind=Kafka -o name | head -1) -- \\\n  bin/kafka-consumer-groups.sh --bootstrap-server localhost:9092 \\\n  --group {group} --topic {topic} --reset-offsets --to-earliest --execute\n# 4. replay\nkubectl -n {ns} scale deploy/{applier} --replicas={r}\n```\n\nOnly writes within the topic's retention come back: older keys need a backup.",
            topic = wal.topic.name,
            h = wal.topic.retention_hours,
            kns = wal.kafka.namespace,
            kc = wal.kafka.cluster,
            group = wal.applier.group,
            r = wal.applier.replicas,
        );
    } else if let Some(cron) = objects
        .iter()
        .find(|o| o.kind() == "CronJob" && o.name().ends_with("-backup"))
    {
        let named = |kind: &str, suffix: &str| {
            objects
                .iter()
                .find(|o| o.kind() == kind && o.name().ends_with(suffix))
                .map(Object::name)
        };
        let dir = dir_of(&plan.variant);
        full.push_str(&super::runbook_restore::cluster_full_loss(
            &super::runbook_restore::FullLoss {
                namespace: ns,
                dir: &dir,
                backup_cronjob: cron.name(),
                backup_pvc: named("PersistentVolumeClaim", "-backup").unwrap_or(""),
                restore_cronjob: named("CronJob", "-restore"),
                init_job: named("Job", "-cluster-init"),
            },
        ));
    } else if plan.spec.backup.is_some() {
        let _ = write!(
            full,
            "The spec sets a backup schedule (`{}`), but this target renders no backup job: until one runs, the data PVCs ({}) are the only copy, and losing them all loses the data.",
            plan.spec
                .backup
                .as_ref()
                .map(|b| b.schedule.as_str())
                .unwrap_or(""),
            pvc_list(t)
        );
    } else {
        let _ = write!(
            full,
            "No backup is configured: only the data PVCs ({}) hold the data. If every volume is lost, the data is lost.",
            pvc_list(t)
        );
    }
    w(out, "Full loss", full);
    if sentinel {
        w(
            out,
            "Split brain",
            format!(
                "Two pods both answer `ROLE` = `master` (a partition healed). The one the Sentinels name (`get-master-addr-by-name {}`) is the primary; make the other follow it: `{}`. Writes the losing side took during the partition are lost: replay them from the WAL or the application if they matter.",
                t.master_name.clone().unwrap_or_default(),
                cli(plan, t, "REPLICAOF <primary-ip> <port>")
            ),
        );
    } else if cluster {
        w(
            out,
            "Split brain",
            format!(
                "A partition can leave a minority primary accepting writes for up to `cluster-node-timeout`; after it heals, that node becomes a replica and its writes are lost. Check `{}` for two masters owning the same slots; `CLUSTER FAILOVER` on the intended primary settles it.",
                cli(plan, t, "CLUSTER NODES")
            ),
        );
    }
    if cluster {
        w(
            out,
            "Stuck slot migration",
            format!(
                "`{}` reports open slots (`[slot->-node]` or `[slot-<-node]` in CLUSTER NODES). Fix with `{}`; if a node is really gone, `CLUSTER SETSLOT <slot> STABLE` on both ends, then rerun the fix.",
                cli(plan, t, "--cluster check 127.0.0.1:6379"),
                cli(plan, t, "--cluster fix 127.0.0.1:6379")
            ),
        );
        if let Some(job) = objects.iter().find(|o| o.kind() == "Job") {
            w(
                out,
                "Init Job failure",
                format!(
                    "The Job `{j}` creates the cluster once all {p} pods answer. Read why it failed: `kubectl -n {ns} logs job/{j}`. If some pods were not ready, wait for them and re-run: `kubectl -n {ns} delete job {j}` and re-apply (GitOps recreates it). If it failed half-way, `{}` shows what is assigned; finish with `--cluster fix`, never re-create a cluster over nodes that already hold slots.",
                    cli(plan, t, "CLUSTER INFO"),
                    j = job.name(),
                    p = plan.data_pods,
                ),
            );
        }
    }
    let persist = plan.spec.persistence.as_ref().is_some_and(|p| p.enabled);
    if persist {
        w(
            out,
            "Persistence failures",
            format!(
                "- **Disk full**: `{}` shows `rdb_last_bgsave_status:err` / `aof_last_write_status:err` and writes fail (`MISCONF`). Grow the full PVC ({pvcs}: `kubectl -n {ns} edit pvc <name>`, if the StorageClass allows expansion) or free space; then `BGREWRITEAOF`.\n- **Fork failure** (`Can't save in background: fork`): the pod has no memory headroom for copy-on-write; raise the memory limit (rkv's maxmemory is 7/8 of it) or lower maxmemory.\n- **AOF corruption** (Redis refuses to start, `Bad file format reading the append only file`): stop the pod, run `redis-check-aof --fix` on the AOF in a helper pod mounting that pod's PVC, then start it; a replica can instead be wiped and resynced from the primary.",
                cli(plan, t, "INFO persistence"),
                pvcs = pvc_list(t),
            ),
        );
    }
}

/// The runbook of one compiled spec; none when no variant emits anything (nothing to run).
pub fn runbook(profile: &str, source_name: &str, variants: &[Variant]) -> Option<OutFile> {
    if variants.iter().all(|v| v.objects.is_empty()) {
        return None;
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<!-- Generated by rkv from {source_name}. Do not edit: change the spec and run `rkv render`. -->\n\n# Runbook: {profile}\n"
    );
    let _ = writeln!(
        out,
        "Every name below is read from the generated manifests. Names in the `Names` tables exist in this tree, or are made from it by the operator or chart named in the note.\n"
    );
    let _ = writeln!(out, "Variants:\n");
    for v in variants {
        let _ = writeln!(
            out,
            "- {}: {} ({} data pods)",
            variant_title(&v.plan.variant),
            v.plan.shape_name,
            v.plan.data_pods
        );
    }
    let _ = writeln!(out);
    // One section per variant, in the compiled order (base, environments, sites).
    for v in variants {
        section(&mut out, v);
    }
    Some(OutFile {
        path: PATH.into(),
        content: out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_are_found_wherever_an_object_references_them() {
        let v = json!({
            "spec": {
                "env": [{"valueFrom": {"secretKeyRef": {"name": "a", "key": "k"}}}],
                "volumes": [{"secret": {"secretName": "b"}}],
                "auth": {"secretPath": "c"},
                "kubernetesConfig": {"redisSecret": {"name": "d", "key": "k"}},
                "existingSecret": "e"
            }
        });
        let mut out = BTreeSet::new();
        referenced_secrets(&v, &mut out);
        assert_eq!(
            out.into_iter().collect::<Vec<_>>(),
            ["a", "b", "c", "d", "e"]
        );
    }

    #[test]
    fn a_secret_referenced_twice_is_one_row() {
        let row = |note: &str| Row {
            kind: "Secret".into(),
            name: "s".into(),
            namespace: "n".into(),
            note: note.into(),
        };
        let rows: BTreeSet<Row> = [row("referenced by A `x`"), row("referenced by B `y`")]
            .into_iter()
            .collect();
        let merged = merge(rows);
        assert_eq!(merged.len(), 1);
        assert_eq!(merged[0].note, "referenced by A `x`, B `y`");
    }
}
