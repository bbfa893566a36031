//! Destructive changes: what a sync would do that loses data or leaves Redis unable to
//! fail over, and why, and what to do instead.
//!
//! In: every normalized object of a report (action, live side, after side) and the
//! options (applier, runbook). Out: [`Destructive`] entries on the objects they concern.
//! Pure functions, no I/O. The rules, each with its code:
//!
//! - `RKV210` a PersistentVolumeClaim pruned or replaced: its volume goes with it;
//! - `RKV211` the shard count or replicas per shard of a Redis Cluster change (the
//!   StatefulSet next to the init script's `--cluster-replicas`, or the redis-cluster
//!   chart's `cluster.nodes` / `cluster.replicas`): the init Job never reshards;
//! - `RKV212` fewer Sentinels (RedisFailover `spec.sentinel.replicas`, RedisSentinel
//!   `spec.clusterSize`, the Bitnami chart's `replica.replicaCount` with Sentinel):
//!   Sentinels never forget peers;
//! - `RKV213` a storage change on an operator custom resource (RedisFailover
//!   `spec.redis.storage`, RedisReplication and RedisSentinel `spec.storage`) or in a
//!   HelmRelease's values (`persistence`): no controller resizes existing claims;
//! - `RKV214` a namespace change: an object pruned in one namespace and rendered under
//!   the same kind and name in another; nothing moves the data.
//!
//! Helm values are read from the ConfigMap a HelmRelease's `valuesFrom` names, on each
//! side (the live HelmRelease names the live ConfigMap).

use serde_json::Value;

use super::outcome::Norm;
use super::report::{Action, Destructive};
use super::{Applier, DiffOptions, FLUX_PRUNE_ANNOTATION, ObjKey};
use crate::diag::codes;

/// Adds the destructive changes to `norms`.
pub(crate) fn analyze(norms: &mut [Norm], opts: &DiffOptions) {
    let before: Vec<&Value> = norms.iter().filter_map(|n| n.before.as_ref()).collect();
    let after: Vec<&Value> = norms.iter().filter_map(|n| n.after.as_ref()).collect();
    let mut found: Vec<(usize, Destructive)> = Vec::new();
    for (i, n) in norms.iter().enumerate() {
        let d = |code, why, what_to_do, section: Section| Destructive {
            code,
            why,
            what_to_do,
            runbook: pointer(opts, section),
        };
        if let Some(x) = claim(n, opts) {
            found.push((i, d(codes::RKV210, x.0, x.1, Section::FullLoss)));
        }
        if let Some(x) = moved(n, norms) {
            found.push((i, d(codes::RKV214, x.0, x.1, Section::FullLoss)));
        }
        let (Some(b), Some(a)) = (&n.before, &n.after) else {
            continue;
        };
        if !matches!(n.action, Action::Change | Action::ReplaceRequired) {
            continue;
        }
        let values = |side: &[&Value], release: &Value| helm_values(side, release);
        let (vb, va) = if is(&n.key, "helm.toolkit.fluxcd.io", "HelmRelease") {
            (values(&before, b), values(&after, a))
        } else {
            (None, None)
        };
        if let Some(x) = reshard(n, b, a, &before, &after, vb.as_ref(), va.as_ref()) {
            found.push((i, d(codes::RKV211, x.0, x.1, Section::SlotMigration)));
        }
        if let Some(x) = fewer_sentinels(n, b, a, vb.as_ref(), va.as_ref()) {
            found.push((i, d(codes::RKV212, x.0, x.1, Section::FindPrimary)));
        }
        if let Some(x) = storage(n, b, a, vb.as_ref(), va.as_ref()) {
            found.push((i, d(codes::RKV213, x.0, x.1, Section::Persistence)));
        }
    }
    for (i, d) in found {
        norms[i].destructive.push(d);
    }
}

/// The runbook sections destructive changes point at.
#[derive(Debug, Clone, Copy)]
enum Section {
    FullLoss,
    SlotMigration,
    FindPrimary,
    Persistence,
}

/// `<runbook> § <heading> › <subheading>`, the headings as the runbook writes them.
fn pointer(opts: &DiffOptions, section: Section) -> String {
    let (path, variant) = match &opts.runbook {
        Some(r) => (r.path.as_str(), format!(" ({})", r.variant)),
        None => ("RUNBOOK.md", String::new()),
    };
    let dr = format!("Disaster recovery{variant}");
    match section {
        Section::FullLoss => format!("{path} § {dr} › Full loss"),
        Section::SlotMigration => {
            format!("{path} § {dr} › Stuck slot migration, and › Init Job failure")
        }
        Section::FindPrimary => format!("{path} § Find the primary{variant}"),
        Section::Persistence => format!("{path} § {dr} › Persistence failures"),
    }
}

fn is(key: &ObjKey, group: &str, kind: &str) -> bool {
    key.group == group && key.kind == kind
}

fn u64_at(v: &Value, pointer: &str) -> Option<u64> {
    v.pointer(pointer).and_then(Value::as_u64)
}

/// How to keep a live object out of the applier's prune.
fn keep_hint(applier: Option<Applier>) -> String {
    match applier {
        Some(Applier::Flux) => {
            format!("annotate the live object `{FLUX_PRUNE_ANNOTATION}: disabled`")
        }
        Some(Applier::ArgoCd) => {
            "annotate the live object `argocd.argoproj.io/sync-options: Prune=false`".into()
        }
        _ => format!(
            "annotate the live object `{FLUX_PRUNE_ANNOTATION}: disabled` (Flux) or `argocd.argoproj.io/sync-options: Prune=false` (Argo CD)"
        ),
    }
}

/// RKV210: a claim pruned or replaced.
fn claim(n: &Norm, opts: &DiffOptions) -> Option<(String, String)> {
    if !is(&n.key, "", "PersistentVolumeClaim") {
        return None;
    }
    let ns = &n.key.namespace;
    let name = &n.key.name;
    match n.action {
        Action::Prune => Some((
            format!(
                "pruning claim `{name}` deletes its volume when the StorageClass's reclaimPolicy is `Delete` (the default), and every byte on it"
            ),
            format!(
                "back the data up first; to keep the claim, {} before the sync, or copy the data to where the render now keeps it (`kubectl -n {ns} get pvc {name}` shows its volume)",
                keep_hint(opts.applier)
            ),
        )),
        Action::ReplaceRequired => Some((
            format!(
                "claim `{name}` cannot take this change ({}): replacing it deletes its volume and the data on it",
                n.immutable.join(", ")
            ),
            "back the data up, replace the claim, restore; or keep the old claim and change the spec back".into(),
        )),
        _ => None,
    }
}

/// RKV214: pruned here, rendered under the same kind and name in another namespace.
fn moved(n: &Norm, norms: &[Norm]) -> Option<(String, String)> {
    if n.action != Action::Prune || n.key.namespace.is_empty() {
        return None;
    }
    let to = norms.iter().find(|m| {
        m.rendered.is_some()
            && m.key.group == n.key.group
            && m.key.kind == n.key.kind
            && m.key.name == n.key.name
            && m.key.namespace != n.key.namespace
    })?;
    Some((
        format!(
            "`{}` moves from namespace `{}` to `{}`: the new one starts empty and the old one is pruned; nothing moves the data or the clients",
            n.key, n.key.namespace, to.key.namespace
        ),
        format!(
            "keep the old objects until the new ones hold the data ({}), restore the backup into `{}`, move the clients, then let the prune happen",
            keep_hint(None),
            to.key.namespace
        ),
    ))
}

/// `--cluster-replicas N` of the init script for StatefulSet `sts` among `objects`.
fn cluster_replicas(objects: &[&Value], sts: &str) -> Option<u64> {
    let pod0 = format!("{sts}-0.");
    objects
        .iter()
        .filter(|o| o.get("kind").and_then(Value::as_str) == Some("ConfigMap"))
        .filter_map(|o| o.get("data").and_then(Value::as_object))
        .flat_map(|data| data.values().filter_map(Value::as_str))
        .filter(|text| text.contains(&pod0))
        .find_map(|text| {
            let rest = text.split("--cluster-replicas").nth(1)?;
            rest.split_whitespace().next()?.parse().ok()
        })
}

/// RKV211: shards or replicas per shard change.
fn reshard(
    n: &Norm,
    b: &Value,
    a: &Value,
    before: &[&Value],
    after: &[&Value],
    vb: Option<&Value>,
    va: Option<&Value>,
) -> Option<(String, String)> {
    let shape = if is(&n.key, "apps", "StatefulSet") {
        let (pods_b, pods_a) = (u64_at(b, "/spec/replicas")?, u64_at(a, "/spec/replicas")?);
        let rb = cluster_replicas(before, &n.key.name);
        let ra = cluster_replicas(after, &n.key.name);
        let (rb, ra) = match (rb, ra) {
            (Some(x), Some(y)) => (x, y),
            (Some(x), None) | (None, Some(x)) => (x, x),
            (None, None) => return None,
        };
        ((pods_b / (1 + rb), rb), (pods_a / (1 + ra), ra))
    } else {
        let (vb, va) = (vb?, va?);
        let nodes = |v: &Value| u64_at(v, "/cluster/nodes");
        let reps = |v: &Value| u64_at(v, "/cluster/replicas");
        let (nb, na, rb, ra) = (nodes(vb)?, nodes(va)?, reps(vb)?, reps(va)?);
        ((nb / (1 + rb), rb), (na / (1 + ra), ra))
    };
    let ((sb, rb), (sa, ra)) = shape;
    if (sb, rb) == (sa, ra) {
        return None;
    }
    let what_to_do = if sa * (1 + ra) >= sb * (1 + rb) {
        "after the sync, join each new pod by hand: `redis-cli --cluster add-node <new-pod>:<port> <existing-pod>:<port>` (with `--cluster-slave` for a replica), then `redis-cli --cluster rebalance <pod>:<port> --cluster-use-empty-masters`".to_string()
    } else {
        "before the sync, move the slots off the pods that go (`redis-cli --cluster reshard`), remove them (`redis-cli --cluster del-node`), and only then scale down".to_string()
    };
    Some((
        format!(
            "Redis Cluster shape changes from {sb} shard(s) x (1 + {rb}) to {sa} shard(s) x (1 + {ra}): the init Job creates a cluster once and never reshards, so new pods own no slots and removed pods take theirs offline (`cluster_state:fail`)"
        ),
        what_to_do,
    ))
}

/// RKV212: fewer Sentinels.
fn fewer_sentinels(
    n: &Norm,
    b: &Value,
    a: &Value,
    vb: Option<&Value>,
    va: Option<&Value>,
) -> Option<(String, String)> {
    let (old, new) = if is(&n.key, "databases.spotahome.com", "RedisFailover") {
        (
            u64_at(b, "/spec/sentinel/replicas")?,
            u64_at(a, "/spec/sentinel/replicas")?,
        )
    } else if is(&n.key, "redis.redis.opstreelabs.in", "RedisSentinel") {
        (
            u64_at(b, "/spec/clusterSize")?,
            u64_at(a, "/spec/clusterSize")?,
        )
    } else {
        let sentinels = |v: &Value| {
            (v.pointer("/sentinel/enabled").and_then(Value::as_bool) == Some(true))
                .then(|| u64_at(v, "/replica/replicaCount"))
                .flatten()
        };
        (sentinels(vb?)?, sentinels(va?)?)
    };
    (new < old).then(|| {
        (
            format!(
                "Sentinels go from {old} to {new}: Sentinels never forget peers, so the remaining ones still count the {} removed and a failover may never reach the majority it needs",
                old - new
            ),
            "after the sync, run `SENTINEL RESET *` on each remaining Sentinel, one at a time, waiting for `SENTINEL master <name>` to show `num-other-sentinels` = the new count - 1 before the next".into(),
        )
    })
}

/// RKV213: a storage change an operator or chart cannot carry out.
fn storage(
    n: &Norm,
    b: &Value,
    a: &Value,
    vb: Option<&Value>,
    va: Option<&Value>,
) -> Option<(String, String)> {
    let what_to_do = "grow each existing claim by hand (`kubectl patch pvc`, if its StorageClass allows expansion) before the sync, or back up and restore into new claims; never let the controller re-create claims over data".to_string();
    let pointer = if is(&n.key, "databases.spotahome.com", "RedisFailover") {
        Some("/spec/redis/storage")
    } else if is(&n.key, "redis.redis.opstreelabs.in", "RedisReplication")
        || is(&n.key, "redis.redis.opstreelabs.in", "RedisSentinel")
    {
        Some("/spec/storage")
    } else {
        None
    };
    if let Some(p) = pointer {
        let (old, new) = (b.pointer(p), a.pointer(p));
        return (old.is_some() && old != new).then(|| {
            (
                format!(
                    "`{p}` of {} `{}` changes: the operator cannot resize or move existing claims, so it re-creates the StatefulSet with new claim templates or fails, and the claims keep the old size or are replaced empty",
                    n.key.kind, n.key.name
                ),
                what_to_do.clone(),
            )
        });
    }
    let (vb, va) = (vb?, va?);
    let mut changed = Vec::new();
    for section in ["master", "replica", ""] {
        for field in ["size", "storageClass"] {
            let p = if section.is_empty() {
                format!("/persistence/{field}")
            } else {
                format!("/{section}/persistence/{field}")
            };
            let (old, new) = (vb.pointer(&p), va.pointer(&p));
            if old.is_some() && old != new {
                changed.push(format!(
                    "`{}` {} -> {}",
                    p.trim_start_matches('/').replace('/', "."),
                    old.map(Value::to_string).unwrap_or_default(),
                    new.map(Value::to_string).unwrap_or_else(|| "unset".into())
                ));
            }
        }
    }
    (!changed.is_empty()).then(|| {
        (
            format!(
                "the chart's storage changes ({}): the chart's StatefulSets cannot change their claim templates, so the upgrade fails, and existing claims keep their size",
                changed.join(", ")
            ),
            what_to_do,
        )
    })
}

/// The values a HelmRelease reads, from the ConfigMap its `valuesFrom` names among
/// `objects` (the same side's objects), merged in order.
fn helm_values(objects: &[&Value], release: &Value) -> Option<Value> {
    let namespace = release
        .pointer("/metadata/namespace")
        .and_then(Value::as_str);
    let from = release.pointer("/spec/valuesFrom")?.as_array()?;
    let mut merged = Value::Object(serde_json::Map::new());
    let mut found = false;
    for v in from {
        if v.get("kind").and_then(Value::as_str) != Some("ConfigMap") {
            continue;
        }
        let Some(name) = v.get("name").and_then(Value::as_str) else {
            continue;
        };
        let key = v
            .get("valuesKey")
            .and_then(Value::as_str)
            .unwrap_or("values.yaml");
        let cm = objects.iter().find(|o| {
            o.get("kind").and_then(Value::as_str) == Some("ConfigMap")
                && o.pointer("/metadata/name").and_then(Value::as_str) == Some(name)
                && o.pointer("/metadata/namespace").and_then(Value::as_str) == namespace
        });
        let Some(text) = cm.and_then(|c| c.get("data")?.get(key)?.as_str()) else {
            continue;
        };
        if let Ok(values) = serde_saphyr::from_str::<Value>(text) {
            merge(&mut merged, values);
            found = true;
        }
    }
    found.then_some(merged)
}

fn merge(into: &mut Value, from: Value) {
    match (into, from) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                match a.get_mut(&k) {
                    Some(existing) => merge(existing, v),
                    None => {
                        a.insert(k, v);
                    }
                }
            }
        }
        (a, b) => *a = b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Code;
    use std::collections::BTreeMap;

    use crate::diff::Runbook;
    use serde_json::json;

    /// Groups destructive findings by code, for tests and summaries.
    fn by_object(norms: &[Norm]) -> BTreeMap<String, Vec<Code>> {
        norms
            .iter()
            .filter(|n| !n.destructive.is_empty())
            .map(|n| {
                (
                    n.key.to_string(),
                    n.destructive.iter().map(|d| d.code).collect(),
                )
            })
            .collect()
    }

    fn norm(kind: &str, group: &str, ns: &str, name: &str, action: Action) -> Norm {
        Norm {
            key: ObjKey {
                kind: kind.into(),
                namespace: ns.into(),
                name: name.into(),
                group: group.into(),
            },
            api_version: String::new(),
            action,
            before: None,
            after: None,
            rendered: None,
            immutable: Vec::new(),
            message: None,
            remedy: None,
            destructive: Vec::new(),
            notes: Vec::new(),
        }
    }

    fn opts() -> DiffOptions {
        DiffOptions {
            runbook: Some(Runbook {
                path: "generated/cordum/RUNBOOK.md".into(),
                variant: "production".into(),
            }),
            ..DiffOptions::default()
        }
    }

    #[test]
    fn a_pruned_claim_and_a_namespace_move_are_destructive() {
        let mut pvc = norm("PersistentVolumeClaim", "", "a", "data", Action::Prune);
        pvc.before = Some(json!({"kind": "PersistentVolumeClaim"}));
        let mut new = norm("PersistentVolumeClaim", "", "b", "data", Action::Create);
        new.rendered = Some(json!({}));
        new.after = Some(json!({"kind": "PersistentVolumeClaim"}));
        let mut norms = vec![pvc, new];
        analyze(&mut norms, &opts());
        let found = by_object(&norms);
        assert_eq!(
            found.get("PersistentVolumeClaim/a/data").map(Vec::as_slice),
            Some(&[codes::RKV210, codes::RKV214][..])
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            norms[0].destructive[0].runbook,
            "generated/cordum/RUNBOOK.md § Disaster recovery (production) › Full loss"
        );
    }

    #[test]
    fn cluster_shape_comes_from_the_init_script() {
        let script = |pods: u64, r: u64| {
            let hosts: Vec<String> = (0..pods).map(|i| format!("kv-{i}.kv:6379")).collect();
            json!({"kind": "ConfigMap", "data": {"cluster-init.sh":
                format!("cli --cluster create {} --cluster-replicas {r} --cluster-yes", hosts.join(" "))}})
        };
        let sts = |pods: u64| json!({"kind": "StatefulSet", "spec": {"replicas": pods}});
        let run = |(pb, rb): (u64, u64), (pa, ra): (u64, u64)| {
            let mut s = norm("StatefulSet", "apps", "r", "kv", Action::Change);
            s.before = Some(sts(pb));
            s.after = Some(sts(pa));
            let mut cm = norm("ConfigMap", "", "r", "kv-scripts", Action::Change);
            cm.before = Some(script(pb, rb));
            cm.after = Some(script(pa, ra));
            let mut norms = vec![s, cm];
            analyze(&mut norms, &opts());
            norms[0].destructive.clone()
        };
        let grow = run((6, 1), (8, 1));
        assert_eq!(grow.len(), 1);
        assert!(
            grow[0]
                .why
                .contains("from 3 shard(s) x (1 + 1) to 4 shard(s) x (1 + 1)"),
            "{}",
            grow[0].why
        );
        assert!(grow[0].what_to_do.contains("add-node"));
        let more_replicas = run((6, 1), (9, 2));
        assert!(more_replicas[0].why.contains("to 3 shard(s) x (1 + 2)"));
        assert!(run((6, 1), (6, 1)).is_empty());
        let shrink = run((8, 1), (6, 1));
        assert!(
            shrink[0].what_to_do.contains("del-node"),
            "{}",
            shrink[0].what_to_do
        );
    }

    #[test]
    fn fewer_sentinels_through_helm_values() {
        let values = |n: u64| {
            json!({"kind": "ConfigMap", "metadata": {"name": format!("redis-values-{n}"), "namespace": "r"},
                   "data": {"values.yaml": format!("sentinel:\n  enabled: true\nreplica:\n  replicaCount: {n}\n  persistence:\n    size: 8Gi\n")}})
        };
        let release = |n: u64| {
            json!({"kind": "HelmRelease", "metadata": {"name": "redis", "namespace": "r"},
                   "spec": {"valuesFrom": [{"kind": "ConfigMap", "name": format!("redis-values-{n}")}]}})
        };
        let mut hr = norm(
            "HelmRelease",
            "helm.toolkit.fluxcd.io",
            "r",
            "redis",
            Action::Change,
        );
        hr.before = Some(release(5));
        hr.after = Some(release(3));
        let mut old = norm("ConfigMap", "", "r", "redis-values-5", Action::Prune);
        old.before = Some(values(5));
        let mut new = norm("ConfigMap", "", "r", "redis-values-3", Action::Create);
        new.after = Some(values(3));
        let mut norms = vec![hr, old, new];
        analyze(&mut norms, &opts());
        let d = &norms[0].destructive;
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].code, codes::RKV212);
        assert!(d[0].why.contains("from 5 to 3"), "{}", d[0].why);
        assert!(d[0].runbook.ends_with("§ Find the primary (production)"));
    }

    /// A HelmRelease whose values ConfigMap (named by `valuesFrom`) holds `values`.
    fn helm_pair(before: &str, after: &str) -> Vec<Norm> {
        let cm = |name: &str, values: &str| {
            json!({"kind": "ConfigMap", "metadata": {"name": name, "namespace": "r"},
                   "data": {"values.yaml": values}})
        };
        let release = |name: &str| {
            json!({"kind": "HelmRelease", "metadata": {"name": "kv", "namespace": "r"},
                   "spec": {"valuesFrom": [{"kind": "ConfigMap", "name": name}]}})
        };
        let mut hr = norm(
            "HelmRelease",
            "helm.toolkit.fluxcd.io",
            "r",
            "kv",
            Action::Change,
        );
        hr.before = Some(release("kv-values-a"));
        hr.after = Some(release("kv-values-b"));
        let mut old = norm("ConfigMap", "", "r", "kv-values-a", Action::Prune);
        old.before = Some(cm("kv-values-a", before));
        let mut new = norm("ConfigMap", "", "r", "kv-values-b", Action::Create);
        new.after = Some(cm("kv-values-b", after));
        let mut norms = vec![hr, old, new];
        analyze(&mut norms, &opts());
        norms
    }

    #[test]
    fn redis_cluster_chart_shape_and_storage_through_values() {
        let norms = helm_pair(
            "cluster:\n  nodes: 6\n  replicas: 1\npersistence:\n  size: 8Gi\n",
            "cluster:\n  nodes: 9\n  replicas: 2\npersistence:\n  size: 16Gi\n",
        );
        let d = &norms[0].destructive;
        assert_eq!(
            d.iter().map(|d| d.code).collect::<Vec<_>>(),
            [codes::RKV211, codes::RKV213]
        );
        assert!(
            d[0].why
                .contains("from 3 shard(s) x (1 + 1) to 3 shard(s) x (1 + 2)"),
            "{}",
            d[0].why
        );
        assert!(
            d[1].why.contains("`persistence.size` \"8Gi\" -> \"16Gi\""),
            "{}",
            d[1].why
        );
        // Values that change nothing about shape or storage are not destructive.
        let calm = helm_pair(
            "cluster:\n  nodes: 6\n  replicas: 1\n",
            "cluster:\n  nodes: 6\n  replicas: 1\nimage: x\n",
        );
        assert!(calm[0].destructive.is_empty());
    }

    /// Every section a destructive change points at is a heading of the runbook of a
    /// profile whose shape can have that change.
    #[test]
    fn runbook_sections_exist() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("generated");
        let read = |p: &str| std::fs::read_to_string(root.join(p)).expect("a committed runbook");
        let cases = [
            (
                "cordum/RUNBOOK.md",
                "production",
                &[
                    Section::FullLoss,
                    Section::SlotMigration,
                    Section::Persistence,
                ][..],
            ),
            (
                "wal-failover/RUNBOOK.md",
                "dc",
                &[
                    Section::FullLoss,
                    Section::FindPrimary,
                    Section::Persistence,
                ][..],
            ),
            (
                "platform-kv/RUNBOOK.md",
                "base",
                &[
                    Section::FullLoss,
                    Section::FindPrimary,
                    Section::Persistence,
                ][..],
            ),
            (
                "bitnami-redis/RUNBOOK.md",
                "base",
                &[
                    Section::FullLoss,
                    Section::FindPrimary,
                    Section::Persistence,
                ][..],
            ),
        ];
        for (file, variant, sections) in cases {
            let text = read(file);
            let o = DiffOptions {
                runbook: Some(Runbook {
                    path: file.into(),
                    variant: variant.into(),
                }),
                ..DiffOptions::default()
            };
            for s in sections {
                let p = pointer(&o, *s);
                let headings = p.split(" § ").nth(1).expect("a section");
                let names: Vec<String> = headings
                    .replace(", and", "")
                    .split('›')
                    .map(|h| h.trim().to_string())
                    .collect();
                for h in names {
                    let found = text.lines().any(|l| l.trim_start_matches('#').trim() == h);
                    assert!(found, "{file} lacks the heading `{h}` ({p})");
                }
            }
        }
    }
}
