//! The round trip: the source objects against the objects rkv renders from the imported
//! spec, object by object and field by field.
//!
//! In: the source objects with their roles, the rendered objects (and Helm values), the
//! fixes import made. Out: an [`ObjectReport`] per object: fields identical, changed on
//! purpose (with the reason or finding code), or lost.
//!
//! Both sides are normalized the same way first, so that only meaning is compared:
//! fields a server sets are dropped and Kubernetes' defaults filled in (a `kubectl get`
//! dump compares like a hand-written file); Redis configuration is compared directive by
//! directive with Redis's defaults, wherever it lives (`redis.conf` in a ConfigMap,
//! `redis-server` arguments, `sh -c` lines, operator `customConfig`, chart values);
//! list items are matched by name (containers, env, ports), mount path or source (volumes).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use super::infer::Role;
use super::redisconf::{self, Conf};
use super::report::{Class, Difference, Fix, ObjectReport, Outcome, show};
use super::rules::{self, Change, RULES, Seg, Why};
use super::source::{SourceObject, object_id};
use crate::diag::{Code, codes};

/// `spec.template.spec.containers[redis].image`.
pub fn display(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Seg::Item(k) => {
                s.push('[');
                s.push_str(k);
                s.push(']');
            }
        }
    }
    s
}

/// What the round trip compares.
pub struct Input<'a> {
    /// The source objects; the Helm values document, when there is one, among them.
    pub sources: &'a [SourceObject],
    pub roles: &'a BTreeMap<usize, Role>,
    /// What of a source object folded into the spec the spec cannot express.
    pub partial: &'a BTreeMap<usize, Vec<String>>,
    /// The rendered cluster objects of the imported variant.
    pub rendered: &'a [Value],
    /// The rendered Helm values document and its file.
    pub rendered_values: Option<(String, Value)>,
    pub fixes: &'a [Fix],
    /// The chart's defaults, merged under both values documents before they are compared.
    pub chart_defaults: Option<Value>,
    /// The chart's own values.yaml, when given: a key it does not have never took effect.
    pub chart_values: Option<Value>,
    /// The chart runs Sentinel nodes from `replica.*` (so `master.*` never took effect).
    pub sentinel_nodes: bool,
    /// rkv's budget over the data pods, as it reads (`minAvailable: 5`).
    pub budget: String,
}

struct Side {
    kind: String,
    id: String,
    role: Option<Role>,
    value: Value,
}

pub fn compare(input: &Input) -> Vec<ObjectReport> {
    let src_conf = |ns: &str, name: &str, key: &str| -> Option<String> {
        super::pod::configmap_text(input.sources, ns, name, key).map(|(_, t)| t.to_string())
    };
    let rendered_objs: Vec<SourceObject> = input
        .rendered
        .iter()
        .map(|v| SourceObject::unplaced(v.clone(), "rendered"))
        .collect();
    let dst_conf = |ns: &str, name: &str, key: &str| -> Option<String> {
        super::pod::configmap_text(&rendered_objs, ns, name, key).map(|(_, t)| t.to_string())
    };
    let mut sources: Vec<Side> = Vec::new();
    for (i, o) in input.sources.iter().enumerate() {
        let role = input.roles.get(&i).copied();
        let kind = if role == Some(Role::HelmValues) {
            "HelmValues".to_string()
        } else {
            o.kind().to_string()
        };
        let id = if role == Some(Role::HelmValues) {
            format!("values {}", o.file)
        } else {
            format!("{} ({})", o.id(), o.place(""))
        };
        let value = normalize(&kind, &o.value, role, &src_conf, input);
        sources.push(Side {
            kind,
            id,
            role,
            value,
        });
    }
    let mut rendered: Vec<Side> = input
        .rendered
        .iter()
        .map(|v| {
            let kind = v
                .get("kind")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let role = rendered_role(v);
            Side {
                value: normalize(&kind, v, role, &dst_conf, input),
                kind,
                id: object_id(v),
                role,
            }
        })
        .collect();
    if let Some((path, v)) = &input.rendered_values {
        rendered.push(Side {
            kind: "HelmValues".into(),
            id: path.clone(),
            role: Some(Role::HelmValues),
            value: normalize("HelmValues", v, Some(Role::HelmValues), &dst_conf, input),
        });
    }

    // Pair: same kind and name first, then the same role.
    let mut pair: Vec<Option<usize>> = vec![None; sources.len()];
    let mut taken = vec![false; rendered.len()];
    let name_of = |v: &Value| {
        v.pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    for (i, s) in sources.iter().enumerate() {
        if s.kind == "HelmValues" {
            continue;
        }
        if let Some(j) = rendered.iter().enumerate().position(|(j, r)| {
            !taken[j] && r.kind == s.kind && name_of(&r.value) == name_of(&s.value)
        }) {
            pair[i] = Some(j);
            taken[j] = true;
        }
    }
    for (i, s) in sources.iter().enumerate() {
        if pair[i].is_some() {
            continue;
        }
        let Some(role) = s
            .role
            .filter(|r| !matches!(r, Role::NetworkPolicy | Role::Absorbed))
        else {
            continue;
        };
        let same_kind = rendered
            .iter()
            .enumerate()
            .position(|(j, r)| !taken[j] && r.role == Some(role) && r.kind == s.kind);
        let any_kind = || {
            rendered
                .iter()
                .enumerate()
                .position(|(j, r)| !taken[j] && r.role == Some(role) && role == Role::Data)
        };
        if let Some(j) = same_kind.or_else(any_kind) {
            pair[i] = Some(j);
            taken[j] = true;
        }
    }

    let mut out = Vec::new();
    for (i, s) in sources.iter().enumerate() {
        match pair[i] {
            Some(j) => out.push(compare_pair(s, &rendered[j], input)),
            None => out.push(unpaired_source(s, input.partial.get(&i), input)),
        }
    }
    for (j, r) in rendered.iter().enumerate() {
        if !taken[j] {
            out.push(ObjectReport {
                source: None,
                rendered: Some(r.id.clone()),
                outcome: Outcome::Added,
                identical: 0,
                added: BTreeMap::new(),
                differences: Vec::new(),
                reason: added_reason(&r.kind, &r.id).to_string(),
                code: None,
            });
        }
    }
    out
}

/// The role of a rendered object, from its kind, component label and name.
fn rendered_role(v: &Value) -> Option<Role> {
    let kind = v.get("kind").and_then(Value::as_str).unwrap_or("");
    let component = v
        .pointer("/metadata/labels/app.kubernetes.io~1component")
        .and_then(Value::as_str)
        .unwrap_or("");
    let name = v
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    Some(match kind {
        "Deployment" | "StatefulSet" if component == "server" => Role::Data,
        "RedisFailover" | "RedisReplication" => Role::Data,
        "RedisSentinel" => Role::Sentinel,
        "ConfigMap" if name.ends_with("-config") => Role::Config,
        "Service" => {
            let spec = v.get("spec");
            if spec
                .and_then(|s| s.get("clusterIP"))
                .and_then(Value::as_str)
                == Some("None")
            {
                Role::Headless
            } else if matches!(
                spec.and_then(|s| s.get("type")).and_then(Value::as_str),
                Some("LoadBalancer" | "NodePort")
            ) {
                Role::ExternalService
            } else {
                Role::ClientService
            }
        }
        "PodDisruptionBudget" if matches!(component, "server" | "redis") => Role::DataPdb,
        "CronJob" if component == "backup" => Role::Backup,
        "CronJob" if component == "backup-retention" => Role::Retention,
        "PersistentVolumeClaim" if component == "backup" => Role::BackupPvc,
        "PersistentVolumeClaim" => Role::DataPvc,
        "Job" => Role::InitJob,
        "Deployment" if component == "applier" => Role::Applier,
        "PrometheusRule" => Role::Alerts,
        "ServiceMonitor" => Role::ServiceMonitor,
        "NetworkPolicy" => Role::NetworkPolicy,
        _ => return None,
    })
}

fn added_reason(kind: &str, id: &str) -> &'static str {
    match kind {
        "NetworkPolicy" => {
            "rkv's NetworkPolicies: deny by default, then exact allows (clients, peers, operator, metrics, DNS)"
        }
        "Service" => "a Service the shape needs (clients, or the primary exposed)",
        "ConfigMap" if id.ends_with("-scripts") => "the scripts of rkv's Jobs",
        "ConfigMap" if id.ends_with("-client") => "the client addresses, for applications to read",
        "ConfigMap" => "the Redis configuration",
        "PodDisruptionBudget" => "rkv's budget over the pods, with its arithmetic (`rkv explain`)",
        "CronJob" if id.ends_with("-restore") => {
            "the suspended template of the RUNBOOK's restore Job, from `backup`"
        }
        "CronJob" => "rkv's backups and their retention, from `backup`",
        "PersistentVolumeClaim" => "a volume the spec asks for",
        "Job" => "the cluster-create Job",
        "PrometheusRule" => "the shape's alerts, from `monitoring.alerts`",
        "ServiceMonitor" => "Prometheus scrapes the exporters, from `monitoring.serviceMonitor`",
        "HelmRelease" | "OCIRepository" => "the Flux release of the values and its chart source",
        "ExternalSecret" => {
            "the WAL's Kafka credentials from the secret store, instead of Secrets copied by hand"
        }
        "KafkaTopic" | "KafkaUser" | "KafkaMirrorMaker2" => {
            "the WAL's Strimzi resources, from `wal`"
        }
        "RedisSentinel" => "the Sentinels of the replication",
        "HelmValues" => "the chart's values",
        _ => "rendered for the shape",
    }
}

fn unpaired_source(s: &Side, partial: Option<&Vec<String>>, input: &Input) -> ObjectReport {
    let fix110 = input.fixes.iter().find(|f| f.code == codes::RKV110);
    let (outcome, reason, code) = match (s.kind.as_str(), s.role) {
        ("Secret", _) => (
            Outcome::Lost,
            "rkv never renders a Secret (only references to one): keep it outside rkv's tree, or make it an ExternalSecret or SealedSecret".to_string(),
            None,
        ),
        (_, Some(Role::NetworkPolicy)) if partial.is_some() => (
            Outcome::Lost,
            format!(
                "rkv's NetworkPolicies replace it, but cannot express {}",
                partial.map(|p| p.join("; ")).unwrap_or_default()
            ),
            None,
        ),
        (_, Some(Role::NetworkPolicy)) => (
            Outcome::Replaced,
            "by rkv's NetworkPolicies: deny by default, clients from the spec's `clients`, the peers, DNS".to_string(),
            None,
        ),
        (_, Some(Role::DataPdb)) => match fix110 {
            Some(f) => (
                Outcome::Replaced,
                format!("{}; rkv's own budget replaces it ({}): delete this PDB, two PDBs over one pod make every eviction fail", f.message, input.budget),
                Some(f.code),
            ),
            None => (
                Outcome::Replaced,
                format!("rkv renders the budget over these pods itself ({}): delete this PDB, two PDBs over one pod make every eviction fail", input.budget),
                None,
            ),
        },
        (_, Some(Role::Absorbed | Role::Config)) => (
            Outcome::Replaced,
            "its content is compared as the Redis configuration of the pods".to_string(),
            None,
        ),
        (_, Some(Role::Backup | Role::Retention | Role::BackupPvc)) => (
            Outcome::Lost,
            "the spec's `backup` holds its schedule and retention, but rkv renders backup jobs for the Redis Cluster shape only".to_string(),
            None,
        ),
        _ => (Outcome::Lost, "rkv renders nothing like it: the spec cannot express it".to_string(), None),
    };
    ObjectReport {
        source: Some(s.id.clone()),
        rendered: None,
        outcome,
        identical: 0,
        added: BTreeMap::new(),
        differences: Vec::new(),
        reason,
        code,
    }
}

fn compare_pair(s: &Side, r: &Side, input: &Input) -> ObjectReport {
    let mut a = BTreeMap::new();
    let mut b = BTreeMap::new();
    flatten(&s.value, &mut Vec::new(), &mut a);
    flatten(&r.value, &mut Vec::new(), &mut b);
    // The name is compared as the pairing (a rename), not as a field.
    for m in [&mut a, &mut b] {
        m.remove(&vec![Seg::Key("metadata".into()), Seg::Key("name".into())]);
    }
    let keys: BTreeSet<&Vec<Seg>> = a.keys().chain(b.keys()).collect();
    let mut report = ObjectReport {
        source: Some(s.id.clone()),
        rendered: Some(r.id.clone()),
        outcome: Outcome::Compared,
        identical: 0,
        added: BTreeMap::new(),
        differences: Vec::new(),
        reason: String::new(),
        code: None,
    };
    let kind = if r.kind.is_empty() {
        s.kind.as_str()
    } else {
        r.kind.as_str()
    };
    if s.kind != r.kind || name(&s.value) != name(&r.value) {
        report.outcome = Outcome::Renamed;
        report.reason = if s.kind == "PersistentVolumeClaim" {
            "rkv's name: a new, empty volume; move what the old one holds, then delete it".into()
        } else if s.kind != r.kind {
            format!(
                "rkv runs it as a {}: a new object; delete the old one after the rollout",
                r.kind
            )
        } else {
            "rkv's name: a new object; delete the old one after the rollout (`rkv diff` does not prune what rkv did not make)".into()
        };
    }
    for k in keys {
        let (x, y) = (
            a.get(k).cloned(),
            b.get(k).cloned().or_else(|| default_for(k)),
        );
        let x = x.or_else(|| {
            if b.contains_key(k) {
                default_for(k)
            } else {
                None
            }
        });
        let change = match (&x, &y) {
            (Some(x), Some(y)) if same(x, y) => {
                report.identical += 1;
                continue;
            }
            (Some(_), Some(_)) => Change::Changed,
            (Some(_), None) => Change::Removed,
            (None, Some(_)) => Change::Added,
            (None, None) => continue,
        };
        let path = display(k);
        let (class, reason, code) = classify(kind, k, change, input);
        if change == Change::Added && class == Class::Deliberate && code.is_none() {
            *report.added.entry(reason).or_default() += 1;
            continue;
        }
        report.differences.push(Difference {
            source: x.as_ref().map(|v| show(&path, v)),
            rendered: y.as_ref().map(|v| show(&path, v)),
            path,
            class,
            reason,
            code,
            recreate: rules::immutable(kind, k),
        });
    }
    report
}

fn name(v: &Value) -> &str {
    v.pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// Redis's default for a directive leaf (`...redis.conf.appendfsync`), so an absent
/// directive compares as the value Redis runs with.
fn default_for(path: &[Seg]) -> Option<Value> {
    let [.., Seg::Key(file), Seg::Key(directive)] = path else {
        return None;
    };
    match file.as_str() {
        "redis.conf" => {
            redisconf::default_of(directive).map(|d| json!(redisconf::canonical(directive, d)))
        }
        "sentinel.conf" => redisconf::SENTINEL_DEFAULTS
            .iter()
            .find(|(k, _)| k == directive)
            .map(|(_, v)| json!(v)),
        _ => None,
    }
}

fn classify(
    kind: &str,
    path: &[Seg],
    change: Change,
    input: &Input,
) -> (Class, String, Option<Code>) {
    if kind == "HelmValues"
        && input.sentinel_nodes
        && matches!(path.first(), Some(Seg::Key(k)) if k == "master")
    {
        return (Class::Deliberate, rules::INERT_MASTER.into(), None);
    }
    if kind == "HelmValues"
        && change == Change::Removed
        && let Some(known) = &input.chart_values
        && !has_key(known, path)
    {
        return (
            Class::Deliberate,
            "not a value of the chart (its values.yaml has no such key): it never took effect"
                .into(),
            None,
        );
    }
    for rule in RULES {
        if !(rule.kinds.is_empty() || rule.kinds.contains(&kind))
            || !rule.on.contains(&change)
            || !rules::matches(rule.path, path)
        {
            continue;
        }
        match rule.why {
            Why::Policy(p) => return (Class::Deliberate, p.to_string(), None),
            Why::Budget => {
                return match input.fixes.iter().find(|f| f.code == codes::RKV110) {
                    Some(f) => (
                        Class::Deliberate,
                        format!("{} ({})", f.message, f.change),
                        Some(f.code),
                    ),
                    None => (
                        Class::Deliberate,
                        format!(
                            "rkv's budget over these pods: {} (`rkv explain` shows the arithmetic)",
                            input.budget
                        ),
                        None,
                    ),
                };
            }
            Why::Fix(code) => {
                if let Some(f) = input.fixes.iter().find(|f| f.code == code) {
                    return (
                        Class::Deliberate,
                        format!("{} ({})", f.message, f.change),
                        Some(f.code),
                    );
                }
            }
        }
    }
    match change {
        Change::Added => (
            Class::Deliberate,
            "rkv's rendering of the shape".into(),
            None,
        ),
        Change::Changed => (
            Class::Lost,
            "the spec cannot express the source's value: rkv renders its own".into(),
            None,
        ),
        Change::Removed => (Class::Lost, "the spec cannot express it".into(), None),
    }
}

/// Whether the mapping keys of `path` exist in `v` (list items match any item).
fn has_key(v: &Value, path: &[Seg]) -> bool {
    match path.split_first() {
        None => true,
        Some((Seg::Key(k), rest)) => match v.get(k) {
            // An empty mapping in values.yaml takes any keys (`resources: {}`).
            Some(Value::Object(m)) if m.is_empty() => true,
            Some(inner) => has_key(inner, rest) || !inner.is_object(),
            None => false,
        },
        Some((Seg::Item(_), _)) => true,
    }
}

/// Equal in meaning: the same JSON, a number and its text, or two equal quantities.
fn same(a: &Value, b: &Value) -> bool {
    if a == b {
        return true;
    }
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    match (text(a), text(b)) {
        (Some(x), Some(y)) => x == y || quantity(&x).is_some_and(|q| quantity(&y) == Some(q)),
        _ => false,
    }
}

/// A Kubernetes quantity in thousandths (`1` = 1000, `500m` = 500, `1Gi` = 2^30 * 1000).
fn quantity(s: &str) -> Option<u128> {
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let (int, frac) = num.split_once('.').unwrap_or((num, ""));
    if int.is_empty() || frac.len() > 3 {
        return None;
    }
    let base: u128 = format!("{int}{frac:0<3}").parse().ok()?;
    let mult: u128 = match unit {
        "m" => return Some(base / 1000),
        "" => 1,
        "k" => 1000,
        "M" => 1_000_000,
        "G" => 1_000_000_000,
        "Ki" => 1 << 10,
        "Mi" => 1 << 20,
        "Gi" => 1 << 30,
        "Ti" => 1 << 40,
        _ => return None,
    };
    base.checked_mul(mult)
}

/// Every leaf of `v` under `path`: scalars, and lists of scalars as one value.
fn flatten(v: &Value, path: &mut Vec<Seg>, out: &mut BTreeMap<Vec<Seg>, Value>) {
    match v {
        Value::Object(m) => {
            for (k, inner) in m {
                path.push(Seg::Key(k.clone()));
                flatten(inner, path, out);
                path.pop();
            }
        }
        Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_object) => {
            let parent = match path.last() {
                Some(Seg::Key(k)) => k.clone(),
                _ => String::new(),
            };
            let keys: Vec<String> = items
                .iter()
                .enumerate()
                .map(|(i, item)| item_key(&parent, item).unwrap_or_else(|| i.to_string()))
                .collect();
            let mut keys = keys;
            if parent == "containers" {
                // One container besides Redis and the exporter is the workload's own,
                // whatever either side names it.
                let others: Vec<usize> = (0..keys.len())
                    .filter(|i| keys[*i] != "redis" && keys[*i] != "exporter")
                    .collect();
                if let [only] = others[..] {
                    keys[only] = "main".into();
                }
            }
            let unique: BTreeSet<&String> = keys.iter().collect();
            for (i, item) in items.iter().enumerate() {
                let key = if unique.len() == keys.len() {
                    keys[i].clone()
                } else {
                    i.to_string()
                };
                path.push(Seg::Item(key));
                let mut item = item.clone();
                if parent == "volumes"
                    && let Some(m) = item.as_object_mut()
                {
                    // Volumes are matched by what they mount; their names by the mounts.
                    m.shift_remove("name");
                }
                flatten(&item, path, out);
                path.pop();
            }
        }
        Value::Array(items) if items.is_empty() => {}
        Value::Null => {}
        leaf => {
            out.insert(path.clone(), leaf.clone());
        }
    }
}

/// How the items of a list are matched across the two sides.
fn item_key(parent: &str, item: &Value) -> Option<String> {
    let s = |p: &str| item.pointer(p).and_then(Value::as_str).map(str::to_string);
    match parent {
        "volumes" => {
            if let Some(n) = s("/secret/secretName") {
                return Some(format!("secret:{n}"));
            }
            if let Some(n) = s("/configMap/name") {
                return Some(format!("configMap:{n}"));
            }
            if let Some(n) = s("/persistentVolumeClaim/claimName") {
                return Some(format!("persistentVolumeClaim:{n}"));
            }
            if item.get("emptyDir").is_some() {
                return s("/name").map(|n| format!("emptyDir:{n}"));
            }
            s("/name")
        }
        "volumeMounts" => s("/mountPath"),
        "volumeClaimTemplates" => s("/metadata/name"),
        // Ports by number: a port named differently is the same port.
        "ports" => item
            .get("containerPort")
            .or_else(|| item.get("port"))
            .map(|p| p.to_string())
            .or_else(|| s("/name")),
        // The Redis container and the exporter by what they run, whatever their names.
        "containers" => {
            let c: k8s_openapi::api::core::v1::Container =
                serde_json::from_value(item.clone()).ok()?;
            if super::pod::is_exporter(&c) {
                Some("exporter".into())
            } else if super::pod::redis_invocation(&c, &|_| None).is_some_and(|i| !i.sentinel)
                // A container normalized from its invocation (a start script's too).
                || item.get("redis.conf").is_some()
            {
                Some("redis".into())
            } else {
                s("/name")
            }
        }
        _ => s("/name"),
    }
}

/// Both sides of the comparison go through this: server fields out, defaults in,
/// configuration as directives.
fn normalize(
    kind: &str,
    v: &Value,
    role: Option<Role>,
    conf: &dyn Fn(&str, &str, &str) -> Option<String>,
    input: &Input,
) -> Value {
    let mut v = v.clone();
    if kind == "HelmValues" {
        return helm_values(v, input);
    }
    strip_server_fields(&mut v);
    let ns = v
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    match kind {
        "Deployment" | "StatefulSet" => {
            fill(&mut v, "/spec/replicas", json!(1));
            fill(&mut v, "/spec/revisionHistoryLimit", json!(10));
            if kind == "Deployment" {
                fill(&mut v, "/spec/progressDeadlineSeconds", json!(600));
                fill(&mut v, "/spec/strategy/type", json!("RollingUpdate"));
                if v.pointer("/spec/strategy/type").and_then(Value::as_str) == Some("RollingUpdate")
                {
                    fill(
                        &mut v,
                        "/spec/strategy/rollingUpdate/maxSurge",
                        json!("25%"),
                    );
                    fill(
                        &mut v,
                        "/spec/strategy/rollingUpdate/maxUnavailable",
                        json!("25%"),
                    );
                }
            } else {
                fill(&mut v, "/spec/podManagementPolicy", json!("OrderedReady"));
                fill(&mut v, "/spec/updateStrategy/type", json!("RollingUpdate"));
                if v.pointer("/spec/updateStrategy/type")
                    .and_then(Value::as_str)
                    == Some("RollingUpdate")
                {
                    fill(
                        &mut v,
                        "/spec/updateStrategy/rollingUpdate/partition",
                        json!(0),
                    );
                }
                fill(
                    &mut v,
                    "/spec/persistentVolumeClaimRetentionPolicy/whenDeleted",
                    json!("Retain"),
                );
                fill(
                    &mut v,
                    "/spec/persistentVolumeClaimRetentionPolicy/whenScaled",
                    json!("Retain"),
                );
                if let Some(Value::Array(ts)) = v.pointer_mut("/spec/volumeClaimTemplates") {
                    for t in ts {
                        fill(t, "/apiVersion", json!("v1"));
                        fill(t, "/kind", json!("PersistentVolumeClaim"));
                        fill(t, "/spec/volumeMode", json!("Filesystem"));
                        if let Some(m) = t.as_object_mut() {
                            m.shift_remove("status");
                        }
                    }
                }
            }
            pod_defaults(&mut v, "/spec/template/spec", true, &ns, conf);
        }
        "Job" => {
            job_defaults(&mut v, "/spec");
            pod_defaults(&mut v, "/spec/template/spec", false, &ns, conf);
        }
        "CronJob" => {
            fill(&mut v, "/spec/concurrencyPolicy", json!("Allow"));
            fill(&mut v, "/spec/suspend", json!(false));
            fill(&mut v, "/spec/successfulJobsHistoryLimit", json!(3));
            fill(&mut v, "/spec/failedJobsHistoryLimit", json!(1));
            job_defaults(&mut v, "/spec/jobTemplate/spec");
            pod_defaults(
                &mut v,
                "/spec/jobTemplate/spec/template/spec",
                false,
                &ns,
                conf,
            );
        }
        "Service" => {
            fill(&mut v, "/spec/type", json!("ClusterIP"));
            fill(&mut v, "/spec/sessionAffinity", json!("None"));
            fill(&mut v, "/spec/internalTrafficPolicy", json!("Cluster"));
            if matches!(
                v.pointer("/spec/type").and_then(Value::as_str),
                Some("LoadBalancer" | "NodePort")
            ) {
                fill(&mut v, "/spec/externalTrafficPolicy", json!("Cluster"));
            }
            if let Some(Value::Array(ports)) = v.pointer_mut("/spec/ports") {
                for p in ports {
                    fill(p, "/protocol", json!("TCP"));
                    if let Some(port) = p.get("port").cloned() {
                        fill(p, "/targetPort", port);
                    }
                }
            }
        }
        "PersistentVolumeClaim" => {
            fill(&mut v, "/spec/volumeMode", json!("Filesystem"));
        }
        "ConfigMap" if role == Some(Role::Config) => {
            // Configuration files are compared as the pods' Redis configuration.
            if let Some(Value::Object(data)) = v.get_mut("data") {
                data.retain(|k, _| !k.ends_with(".conf"));
            }
        }
        "RedisFailover" => {
            fill(&mut v, "/spec/redis/replicas", json!(3));
            fill(&mut v, "/spec/sentinel/replicas", json!(3));
            fill(&mut v, "/spec/redis/port", json!(6379));
            fill(&mut v, "/spec/redis/image", json!("redis:6.2.6-alpine"));
            custom_config(&mut v, "/spec/redis", "redis.conf", &[]);
            custom_config(
                &mut v,
                "/spec/sentinel",
                "sentinel.conf",
                &[
                    ("down-after-milliseconds", "5000"),
                    ("failover-timeout", "10000"),
                    ("parallel-syncs", "1"),
                ],
            );
        }
        "RedisReplication" => {
            if let Some(cm) = v
                .pointer("/spec/redisConfig/additionalRedisConfig")
                .and_then(Value::as_str)
                .map(str::to_string)
                && let Some(text) = conf(&ns, &cm, "redis-additional.conf")
            {
                let c = redisconf::parse_conf(&text, "redis-additional.conf");
                if let Some(spec) = v.get_mut("spec").and_then(Value::as_object_mut) {
                    spec.insert("redis.conf".into(), conf_map(&c));
                }
            }
        }
        "RedisSentinel" => {
            if let Some(Value::Object(c)) = v.pointer_mut("/spec/redisSentinelConfig") {
                for (k, d) in [
                    ("quorum", "2"),
                    ("downAfterMilliseconds", "30000"),
                    ("failoverTimeout", "180000"),
                    ("parallelSyncs", "1"),
                    ("redisPort", "6379"),
                ] {
                    c.entry(k).or_insert_with(|| json!(d));
                }
            }
        }
        "PrometheusRule" => {
            let groups = v
                .pointer("/spec/groups")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let mut names = Vec::new();
            let mut rules = Vec::new();
            for g in &groups {
                names.push(g.get("name").cloned().unwrap_or(Value::Null));
                for r in g
                    .get("rules")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let mut r = r.clone();
                    if let Some(alert) = r.get("alert").cloned()
                        && let Some(m) = r.as_object_mut()
                    {
                        m.insert("name".into(), alert);
                        m.shift_remove("alert");
                    }
                    rules.push(r);
                }
            }
            if let Some(spec) = v.get_mut("spec").and_then(Value::as_object_mut) {
                spec.insert("groups".into(), Value::Array(names));
                spec.insert("rules".into(), Value::Array(rules));
            }
        }
        _ => {}
    }
    v
}

/// Sets `pointer` to `value` when it is absent (creating the maps on the way).
fn fill(v: &mut Value, pointer: &str, value: Value) {
    if v.pointer(pointer).is_some_and(|x| !x.is_null()) {
        return;
    }
    let mut cur = v;
    let segs: Vec<&str> = pointer.split('/').skip(1).collect();
    for (i, seg) in segs.iter().enumerate() {
        let Some(m) = cur.as_object_mut() else {
            return;
        };
        if i + 1 == segs.len() {
            m.insert((*seg).to_string(), value);
            return;
        }
        cur = m
            .entry((*seg).to_string())
            .or_insert_with(|| Value::Object(Map::new()));
    }
}

fn strip_server_fields(v: &mut Value) {
    if let Some(m) = v.as_object_mut() {
        m.shift_remove("status");
    }
    if let Some(Value::Object(meta)) = v.get_mut("metadata") {
        for k in [
            "uid",
            "resourceVersion",
            "generation",
            "creationTimestamp",
            "managedFields",
            "selfLink",
            "ownerReferences",
        ] {
            meta.shift_remove(k);
        }
        if let Some(Value::Object(a)) = meta.get_mut("annotations") {
            a.retain(|k, _| {
                k != "kubectl.kubernetes.io/last-applied-configuration"
                    && k != "deployment.kubernetes.io/revision"
                    && !k.starts_with("pv.kubernetes.io/")
                    && !k.starts_with("volume.beta.kubernetes.io/")
                    && !k.starts_with("volume.kubernetes.io/")
            });
        }
    }
    if let Some(Value::Object(t)) = v.pointer_mut("/spec/template/metadata") {
        t.shift_remove("creationTimestamp");
    }
    if let Some(Value::Object(spec)) = v.get_mut("spec") {
        if spec.get("clusterIP").and_then(Value::as_str) != Some("None") {
            spec.shift_remove("clusterIP");
        }
        for k in [
            "clusterIPs",
            "ipFamilies",
            "ipFamilyPolicy",
            "healthCheckNodePort",
            "allocateLoadBalancerNodePorts",
            "volumeName",
        ] {
            spec.shift_remove(k);
        }
        if let Some(Value::Array(ports)) = spec.get_mut("ports") {
            for p in ports.iter_mut().filter_map(Value::as_object_mut) {
                p.shift_remove("nodePort");
            }
        }
    }
}

fn job_defaults(v: &mut Value, at: &str) {
    fill(v, &format!("{at}/backoffLimit"), json!(6));
    fill(v, &format!("{at}/completionMode"), json!("NonIndexed"));
    fill(v, &format!("{at}/completions"), json!(1));
    fill(v, &format!("{at}/parallelism"), json!(1));
    fill(v, &format!("{at}/suspend"), json!(false));
    if let Some(Value::Object(t)) = v.pointer_mut(&format!("{at}/template/metadata")) {
        t.shift_remove("creationTimestamp");
    }
}

/// Kubernetes' pod defaults, and each Redis container's configuration as directives.
fn pod_defaults(
    v: &mut Value,
    at: &str,
    restart_always: bool,
    ns: &str,
    conf: &dyn Fn(&str, &str, &str) -> Option<String>,
) {
    if v.pointer(at).is_none() {
        return;
    }
    if restart_always {
        fill(v, &format!("{at}/restartPolicy"), json!("Always"));
    }
    fill(v, &format!("{at}/dnsPolicy"), json!("ClusterFirst"));
    fill(
        v,
        &format!("{at}/schedulerName"),
        json!("default-scheduler"),
    );
    fill(v, &format!("{at}/terminationGracePeriodSeconds"), json!(30));
    let volumes = v
        .pointer(&format!("{at}/volumes"))
        .cloned()
        .unwrap_or(Value::Null);
    if let Some(Value::Array(vols)) = v.pointer_mut(&format!("{at}/volumes")) {
        for vol in vols {
            if vol.get("secret").is_some() {
                fill(vol, "/secret/defaultMode", json!(420));
            }
            if vol.get("configMap").is_some() {
                fill(vol, "/configMap/defaultMode", json!(420));
            }
        }
    }
    let mut conf_mounts: Vec<String> = Vec::new();
    for list in ["containers", "initContainers"] {
        let Some(Value::Array(cs)) = v.pointer_mut(&format!("{at}/{list}")) else {
            continue;
        };
        for c in cs {
            fill(c, "/terminationMessagePath", json!("/dev/termination-log"));
            fill(c, "/terminationMessagePolicy", json!("File"));
            let image = c
                .get("image")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let latest =
                image.ends_with(":latest") || !image.rsplit('/').next().unwrap_or("").contains(':');
            fill(
                c,
                "/imagePullPolicy",
                json!(if latest { "Always" } else { "IfNotPresent" }),
            );
            if let Some(Value::Array(ports)) = c.get_mut("ports") {
                for p in ports {
                    fill(p, "/protocol", json!("TCP"));
                }
            }
            for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
                if c.get(probe).is_some() {
                    fill(c, &format!("/{probe}/periodSeconds"), json!(10));
                    fill(c, &format!("/{probe}/timeoutSeconds"), json!(1));
                    fill(c, &format!("/{probe}/successThreshold"), json!(1));
                    fill(c, &format!("/{probe}/failureThreshold"), json!(3));
                }
            }
            if let Some(Value::Array(env)) = c.get_mut("env") {
                for e in env {
                    if e.pointer("/valueFrom/fieldRef").is_some() {
                        fill(e, "/valueFrom/fieldRef/apiVersion", json!("v1"));
                    }
                    if let Some(Value::Object(r)) = e.pointer_mut("/valueFrom/secretKeyRef")
                        && r.get("optional") == Some(&json!(false))
                    {
                        r.shift_remove("optional");
                    }
                }
            }
            if let Some(names) = redis_container(c, &volumes, ns, conf) {
                conf_mounts.extend(names);
            }
        }
    }
    // The configuration file's mount and volume are compared as the configuration itself.
    if let Some(Value::Array(vols)) = v.pointer_mut(&format!("{at}/volumes")) {
        vols.retain(|vol| {
            !vol.get("name")
                .and_then(Value::as_str)
                .is_some_and(|n| conf_mounts.iter().any(|m| m == n))
        });
    }
}

/// The Secret name and key a container reads at `path`, and the volume holding it.
fn password_file_secret(
    c: &k8s_openapi::api::core::v1::Container,
    volumes: &Value,
    path: &str,
) -> Option<(String, String, String)> {
    let m = c
        .volume_mounts
        .iter()
        .flatten()
        .filter(|m| path.starts_with(&format!("{}/", m.mount_path.trim_end_matches('/'))))
        .max_by_key(|m| m.mount_path.len())?;
    let rest = path
        .strip_prefix(m.mount_path.trim_end_matches('/'))?
        .trim_start_matches('/');
    let vol = volumes
        .as_array()?
        .iter()
        .find(|v| v.get("name").and_then(Value::as_str) == Some(&m.name))?;
    let name = vol.pointer("/secret/secretName")?.as_str()?.to_string();
    let key = vol
        .pointer("/secret/items")
        .and_then(Value::as_array)
        .and_then(|items| {
            items
                .iter()
                .find(|i| i.get("path").and_then(Value::as_str) == Some(rest))
                .and_then(|i| i.get("key").and_then(Value::as_str))
        })
        .unwrap_or(rest)
        .to_string();
    Some((name, key, m.name.clone()))
}

/// Replaces a Redis container's `command` and `args` with the configuration it runs:
/// `redis-server.conf-file` and `redis.conf.<directive>`; returns the names of the volumes
/// compared as that configuration (the configuration file's, a password file's), whose
/// mounts are dropped here.
fn redis_container(
    c: &mut Value,
    volumes: &Value,
    ns: &str,
    conf: &dyn Fn(&str, &str, &str) -> Option<String>,
) -> Option<Vec<String>> {
    let mut extra_volumes = Vec::new();
    let typed = serde_json::from_value::<k8s_openapi::api::core::v1::Container>(c.clone()).ok()?;
    if super::pod::is_exporter(&typed) {
        return None;
    }
    // The mount holding `file`, and the file's text from the ConfigMap mounted there.
    let mounted = |file: &str| {
        let mount = typed
            .volume_mounts
            .iter()
            .flatten()
            .filter(|m| file.starts_with(&format!("{}/", m.mount_path.trim_end_matches('/'))))
            .max_by_key(|m| m.mount_path.len());
        let text = mount.and_then(|m| {
            let vol = volumes
                .as_array()?
                .iter()
                .find(|v| v.get("name").and_then(Value::as_str) == Some(&m.name))?;
            let cm = vol.pointer("/configMap/name")?.as_str()?;
            let rest = file
                .strip_prefix(m.mount_path.trim_end_matches('/'))?
                .trim_start_matches('/');
            let key = vol
                .pointer("/configMap/items")
                .and_then(Value::as_array)
                .and_then(|items| {
                    items
                        .iter()
                        .find(|i| i.get("path").and_then(Value::as_str) == Some(rest))
                        .and_then(|i| i.get("key").and_then(Value::as_str))
                })
                .unwrap_or(rest)
                .to_string();
            conf(ns, cm, &key)
        });
        (mount, text)
    };
    let mut inv = super::pod::redis_invocation(&typed, &|file| mounted(file).1)?;
    if inv.sentinel {
        return None;
    }
    // A password file given on stdin (rkv's start) is the same configuration as
    // `requirepass $(REDIS_PASSWORD)` with that variable fed by the same Secret key: compared
    // in that form, so a source written either way matches.
    if let Some(pf) = inv.password_file.take() {
        let secret = password_file_secret(&typed, volumes, &pf.path)?;
        inv.options
            .set("requirepass", &["$(REDIS_PASSWORD)".to_string()]);
        if pf.masterauth {
            inv.options
                .set("masterauth", &["$(REDIS_PASSWORD)".to_string()]);
        }
        if let Some(m) = c.as_object_mut() {
            let env = m.entry("env").or_insert_with(|| json!([]));
            if let Some(list) = env.as_array_mut() {
                list.push(json!({"name": "REDIS_PASSWORD", "valueFrom": {"secretKeyRef": {"name": secret.0, "key": secret.1}}}));
            }
            if let Some(Value::Array(mounts)) = m.get_mut("volumeMounts") {
                mounts.retain(|x| x.get("name").and_then(Value::as_str) != Some(&secret.2));
            }
        }
        extra_volumes.push(secret.2);
    }
    let mut conf_volume = None;
    let mut merged = Conf::default();
    if let Some(file) = &inv.conf_file {
        let (mount, text) = mounted(file);
        match text {
            Some(t) => merged = redisconf::parse_conf(&t, file),
            // The file's content is unknown: keep the command line as it is.
            None => return None,
        }
        conf_volume = mount.map(|m| (m.name.clone(), m.mount_path.clone()));
    }
    merged.extend(&inv.options);
    if let Some(m) = c.as_object_mut() {
        m.shift_remove("command");
        m.shift_remove("args");
        if let (Some((_, path)), Some(Value::Array(mounts))) =
            (&conf_volume, m.get_mut("volumeMounts"))
        {
            mounts.retain(|x| x.get("mountPath").and_then(Value::as_str) != Some(path));
        }
        m.insert(
            "redis-server".into(),
            json!({"conf-file": inv.conf_file.as_deref().map(|_| "(a redis.conf file)")}),
        );
        m.insert("redis.conf".into(), conf_map(&merged));
    }
    extra_volumes.extend(conf_volume.map(|(name, _)| name));
    Some(extra_volumes)
}

/// A configuration as a map of canonical values (environment references as `$(VAR)`).
fn conf_map(c: &Conf) -> Value {
    let mut m = Map::new();
    for (k, v) in &c.directives {
        let canon = match redisconf::env_reference(v) {
            Some(var) => format!("$({var})"),
            None => redisconf::canonical(k, v),
        };
        m.insert(k.clone(), Value::String(canon));
    }
    Value::Object(m)
}

/// An operator's `customConfig` lines as a directive map, with the operator's defaults.
fn custom_config(v: &mut Value, at: &str, name: &str, defaults: &[(&str, &str)]) {
    let lines: Vec<String> = v
        .pointer(&format!("{at}/customConfig"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|l| l.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let mut c = redisconf::parse_conf(&lines.join("\n"), name);
    for (k, d) in defaults {
        if c.get(k).is_none() {
            c.set(k, &[(*d).to_string()]);
        }
    }
    if let Some(Value::Object(m)) = v.pointer_mut(at) {
        m.shift_remove("customConfig");
        m.insert(name.into(), conf_map(&c));
    }
}

/// A values document over the chart's defaults, its Redis configuration as directives.
fn helm_values(v: Value, input: &Input) -> Value {
    let mut v = match &input.chart_defaults {
        Some(d) => super::helm::merge(d, &v),
        None => v,
    };
    let role = if input.sentinel_nodes {
        "replica"
    } else {
        "master"
    };
    let mut c = Conf::default();
    let is_cluster = v.get("cluster").is_some() && v.get("architecture").is_none();
    if is_cluster {
        if let Some(t) = v.pointer("/redis/configmap").and_then(Value::as_str) {
            c.extend(&redisconf::parse_conf(t, "values"));
        }
        let aof = v
            .pointer("/redis/useAOFPersistence")
            .and_then(Value::as_str)
            .unwrap_or("yes")
            .to_string();
        c.set("appendonly", &[aof]);
        if let Some(Value::Object(r)) = v.get_mut("redis") {
            r.shift_remove("configmap");
            r.shift_remove("useAOFPersistence");
        }
    } else {
        for p in [
            "/commonConfiguration".to_string(),
            format!("/{role}/configuration"),
        ] {
            if let Some(t) = v.pointer(&p).and_then(Value::as_str) {
                c.extend(&redisconf::parse_conf(t, "values"));
            }
        }
        if let Some(m) = v.as_object_mut() {
            m.shift_remove("commonConfiguration");
        }
        for r in ["master", "replica"] {
            if let Some(Value::Object(m)) = v.get_mut(r) {
                m.shift_remove("configuration");
            }
        }
    }
    if let Some(m) = v.as_object_mut() {
        m.insert("redis.conf".into(), conf_map(&c));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_compare_by_value() {
        assert!(same(&json!("1000m"), &json!("1")));
        assert!(same(&json!("1Gi"), &json!("1024Mi")));
        assert!(same(&json!(2), &json!("2")));
        assert!(!same(&json!("1Gi"), &json!("1G")));
        assert!(!same(&json!("500m"), &json!("5")));
    }

    #[test]
    fn lists_match_by_name_and_mount() {
        let v = json!({"containers": [{"name": "b", "image": "x"}, {"name": "a", "image": "y"}],
                       "volumes": [{"name": "v1", "secret": {"secretName": "s"}}]});
        let mut out = BTreeMap::new();
        flatten(&v, &mut Vec::new(), &mut out);
        let paths: Vec<String> = out.keys().map(|k| display(k)).collect();
        assert_eq!(
            paths,
            [
                "containers[a].image",
                "containers[a].name",
                "containers[b].image",
                "containers[b].name",
                "volumes[secret:s].secret.secretName"
            ]
        );
    }
}
