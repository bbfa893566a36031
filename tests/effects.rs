//! Every field of the spec's JSON schema, changed on every target: the rendered objects
//! change, the findings change (a field only the checks read), or rkv refuses it with the
//! code the table of effects names ([`rkv::target::effects`]). A field that is accepted
//! and changes nothing is a failure: the test names it.
//!
//! How: each target has a full spec (below) with every field the schema has set. Its base
//! is the full spec without what the table refuses on that target. For each leaf of the
//! schema the test makes one change (another value; a field the base lacks is set from
//! the full spec, else from the schema), compiles both and compares. A new schema field
//! no full spec sets fails the test until it is added here and to the table.

use std::collections::BTreeMap;

use rkv::compile::{CompileError, compile};
use rkv::target::effects::{self, Effect, Target};
use serde_json::{Value, json};

use crate::support::root;

/// What every target shares: each section with every field set.
const SHARED: &str = r#"
apiVersion: rkv.dev/v1alpha1
kind: RedisTopology
metadata: {name: kv, namespace: apps, partOf: platform, labels: {team: data}}
spec:
  use: durable
  shape: {standalone: {}}
  redis: {image: "redis:7.2", port: 6379, maxclients: 100, replDisklessSync: true}
  auth: {passwordSecret: {name: kv-auth, key: password}}
  persistence:
    enabled: true
    size: 10Gi
    storageClass: fast
    aof: {fsync: everysec, rewritePercentage: 100, rewriteMinSize: 64mb}
    rdbSave: ["900 1"]
  resources: {requests: {cpu: 100m, memory: 512Mi}, limits: {cpu: "1", memory: 2Gi}}
  memory: {maxmemory: auto, policy: noeviction, datasetEstimate: 100Mi}
  tls:
    mutual: true
    plaintextPort: false
    serverSecret: kv-tls
    clientSecret: kv-client-tls
    certManager: {issuer: ca, issuerKind: ClusterIssuer}
  clients: [{namespace: web, podSelector: {app: web}}]
  exposure:
    type: LoadBalancer
    hostname: kv.example.com
    acceptInsecure: "a lab network, no clients outside the rack"
    sourceRanges: ["10.0.0.0/8"]
  monitoring:
    namespace: monitoring
    exporter:
      image: "oliver006/redis_exporter:v1.58.0"
      port: 9121
      resources: {requests: {cpu: 10m, memory: 32Mi}, limits: {cpu: 100m, memory: 64Mi}}
    alerts: true
    serviceMonitor: true
  backup:
    schedule: "0 * * * *"
    retentionDays: 7
    retentionSchedule: "30 3 * * *"
    size: 20Gi
    storageClass: backup
  placement:
    antiAffinity: required
    topologySpread: true
    zoneSpread: true
    zones: 3
    nodeSelector: {pool: redis}
    tolerations: [{key: dedicated, operator: Equal, value: redis, effect: NoExecute, tolerationSeconds: 30}]
  outputs: {kustomize: true}
"#;

const SENTINEL: &str = r#"{replicas: 3, quorum: 2, downAfterMs: 5000, failoverTimeoutMs: 15000,
  parallelSyncs: 1, masterName: MASTER, image: "IMAGE",
  resources: {requests: {cpu: 50m, memory: 64Mi}, limits: {cpu: 200m, memory: 128Mi}}}"#;

const HELM: &str = r#"{kustomize: false, helm: {release: kv, namespace: apps, version: 23.1.1,
  repository: "oci://registry-1.docker.io/bitnamicharts", interval: 10m}}"#;

const WAL: &str = r#"
kafka: {namespace: kafka, cluster: kafka, bootstrap: kafka-kafka-bootstrap.kafka.svc, port: 9095}
topic: {name: redis-writes, partitions: 3, replicas: 3, retentionHours: 168}
applier:
  image: "registry.example.invalid/redis-applier:v0.1.1"
  replicas: 3
  user: redis-applier
  group: redis-applier
  port: 8080
  resources: {requests: {cpu: 50m, memory: 64Mi}, limits: {cpu: 200m, memory: 128Mi}}
mirror:
  from: dc
  to: dr
  sourceBootstrap: kafka-bootstrap.dc.example.invalid:9095
  sourcePasswordKey: kafka/dc/mirror
  sourceCaKey: kafka/dc/ca
restoreWindowHours: 24
secretStore: {name: vault, kind: ClusterSecretStore, scramPasswordKey: kafka/users/applier, kafkaCaKey: kafka/ca}
"#;

fn yaml(text: &str) -> Value {
    let loaded = rkv::spec::load_str("full.yaml", text.to_string())
        .unwrap_or_else(|d| panic!("{}", rkv::diag::render_text(&d)));
    serde_json::to_value(&loaded.topology).unwrap()
}

/// A YAML fragment as JSON (through a throw-away spec, so rkv's own reader parses it).
fn fragment(text: &str) -> Value {
    let v: Value = serde_saphyr::from_str(text).unwrap();
    v
}

/// The full spec of a target: every field the schema has, set.
fn full(t: Target) -> Value {
    let mut v = yaml(SHARED);
    let spec = v.pointer_mut("/spec").unwrap();
    let sentinel = |master: &str, image: &str| {
        fragment(&SENTINEL.replace("MASTER", master).replace("IMAGE", image))
    };
    let cluster = json!({"cluster": {"shards": 3, "replicasPerShard": 1, "nodeTimeoutMs": 5000}});
    match t {
        Target::Standalone => {
            spec["disruption"] = json!({"maxUnavailable": 1});
            // One pod: RKV127 refuses a zone spread (the leaves add them back).
            unzone(spec);
        }
        Target::Cluster => {
            spec["shape"] = cluster;
            spec["disruption"] = json!({"minAvailable": 6});
        }
        Target::Spotahome => {
            spec["shape"] = json!({"failover": {
                "operator": "spotahome", "replicas": 3,
                "sentinel": sentinel("mymaster", "redis:7.2"),
                "wal": fragment(WAL), "operatorNamespace": "redis-operator"}});
            spec["disruption"] = json!({"minAvailable": 2});
            spec["sites"] = json!({"dc": {}, "dr": {}});
        }
        Target::Opstree => {
            spec["shape"] = json!({"replication": {"replicas": 3,
                "sentinel": sentinel("kv-master", "quay.io/opstree/redis-sentinel:v7.0.15"),
                "operatorNamespace": "redis-operator"}});
            spec["redis"]["image"] = json!("quay.io/opstree/redis:7.0.15");
            spec["disruption"] = json!({"minAvailable": 2});
        }
        Target::HelmStandalone | Target::HelmSentinel | Target::HelmCluster => {
            spec["redis"]["image"] = json!("bitnamilegacy/redis:7.2");
            spec["outputs"] = fragment(HELM);
            match t {
                Target::HelmSentinel => {
                    spec["shape"] = json!({"replication": {"replicas": 3,
                        "sentinel": sentinel("kv-master", "bitnamilegacy/redis-sentinel:7.2"),
                        "operatorNamespace": "redis-operator"}});
                    spec["disruption"] = json!({"minAvailable": 2});
                }
                Target::HelmCluster => {
                    spec["shape"] = cluster;
                    spec["outputs"]["helm"]["version"] = json!("13.0.5");
                    spec["disruption"] = json!({"minAvailable": 6});
                }
                _ => {
                    spec["disruption"] = json!({"maxUnavailable": 1});
                    unzone(spec);
                }
            }
        }
    }
    v
}

/// Without the zone fields, which RKV127 refuses on one pod.
fn unzone(spec: &mut Value) {
    if let Some(p) = spec["placement"].as_object_mut() {
        p.remove("zoneSpread");
        p.remove("zones");
    }
}

/// A step of a pointer into the spec.
#[derive(Debug, Clone, PartialEq)]
enum Seg {
    Key(String),
    /// The first item of a list.
    First,
    /// The first key of a map whose keys are the user's (labels, selectors).
    AnyKey,
}

/// One field of the schema that holds a value.
#[derive(Debug, Clone)]
struct Leaf {
    path: Vec<Seg>,
    schema: Value,
}

impl Leaf {
    /// The dotted field the table of effects is looked up by (no list items or map keys).
    fn field(&self) -> String {
        let keys: Vec<&str> = self
            .path
            .iter()
            .filter_map(|s| match s {
                Seg::Key(k) => Some(k.as_str()),
                _ => None,
            })
            .collect();
        let spec_less = match keys.split_first() {
            Some((&"spec", rest)) => rest.to_vec(),
            _ => keys,
        };
        spec_less.join(".")
    }
}

fn resolve<'a>(schema: &'a Value, node: &'a Value) -> &'a Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let name = r.rsplit('/').next().unwrap();
            resolve(schema, &schema["$defs"][name])
        }
        None => node,
    }
}

/// Every leaf under `node`.
fn leaves(schema: &Value, node: &Value, path: Vec<Seg>, out: &mut Vec<Leaf>) {
    let node = resolve(schema, node);
    for key in ["anyOf", "oneOf"] {
        if let Some(alts) = node.get(key).and_then(Value::as_array) {
            for a in alts {
                if resolve(schema, a).get("type") != Some(&json!("null")) {
                    leaves(schema, a, path.clone(), out);
                }
            }
            return;
        }
    }
    if let Some(props) = node.get("properties").and_then(Value::as_object) {
        for (k, v) in props {
            let mut p = path.clone();
            p.push(Seg::Key(k.clone()));
            // Overrides are changes of the same sections: tested below, not as leaves.
            if path == [Seg::Key("spec".into())] && (k == "environments" || k == "sites") {
                continue;
            }
            if path.is_empty() && (k == "apiVersion" || k == "kind") {
                continue;
            }
            leaves(schema, v, p, out);
        }
        return;
    }
    let types: Vec<&str> = match node.get("type") {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if types.contains(&"array") {
        let mut p = path;
        p.push(Seg::First);
        return leaves(schema, &node["items"], p, out);
    }
    if types.contains(&"object") {
        if let Some(ap) = node.get("additionalProperties").filter(|a| a.is_object()) {
            let mut p = path;
            p.push(Seg::AnyKey);
            return leaves(schema, ap, p, out);
        }
        // An object without fields (`standalone: {}`): nothing to change.
        return;
    }
    out.push(Leaf {
        path,
        schema: node.clone(),
    });
}

fn schema_leaves() -> Vec<Leaf> {
    let text = std::fs::read_to_string(root().join("schemas/topology.schema.json")).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    let mut out = Vec::new();
    leaves(&schema, &schema, Vec::new(), &mut out);
    out
}

fn get<'a>(v: &'a Value, path: &[Seg]) -> Option<&'a Value> {
    let Some((first, rest)) = path.split_first() else {
        return Some(v);
    };
    let next = match first {
        Seg::Key(k) => v.get(k)?,
        Seg::First => v.as_array()?.first()?,
        Seg::AnyKey => v.as_object()?.values().next()?,
    };
    get(next, rest)
}

fn get_mut<'a>(v: &'a mut Value, path: &[Seg]) -> Option<&'a mut Value> {
    let Some((first, rest)) = path.split_first() else {
        return Some(v);
    };
    let next = match first {
        Seg::Key(k) => v.get_mut(k)?,
        Seg::First => v.as_array_mut()?.first_mut()?,
        Seg::AnyKey => v.as_object_mut()?.values_mut().next()?,
    };
    get_mut(next, rest)
}

/// A pointer of the table's dotted field, under `/spec` (or `/metadata`).
fn pointer(field: &str) -> String {
    if field == "metadata" {
        "/metadata".into()
    } else {
        format!("/spec/{}", field.replace('.', "/"))
    }
}

fn remove(v: &mut Value, pointer: &str) {
    if let Some((parent, key)) = pointer.rsplit_once('/')
        && let Some(Value::Object(m)) = v.pointer_mut(parent)
    {
        m.remove(key);
    }
}

/// Whether a value is what leaving the field out means.
fn unset(v: &Value) -> bool {
    match v {
        Value::Null | Value::Bool(false) => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// The base of a target: its full spec without what the table refuses there, and
/// without `disruption`, whose numbers constrain every shape field (its own fields are
/// tested by adding it back).
fn base(t: Target) -> Value {
    let mut v = full(t);
    strip(&mut v, t);
    remove(&mut v, "/spec/disruption");
    v
}

fn strip(v: &mut Value, t: Target) {
    for row in effects::TABLE {
        if row.field == "metadata" || row.field.contains('*') {
            continue;
        }
        let p = pointer(row.field);
        match row.effect(t) {
            Effect::Refused(_) => remove(v, &p),
            Effect::Only(pinned, _) if v.pointer(&p).is_some_and(|x| !pinned.matches(x)) => {
                remove(v, &p)
            }
            _ => {}
        }
    }
}

/// Everything a compile shows: the objects of every variant (none when refused) and the
/// findings.
#[derive(Debug, Clone, PartialEq)]
struct Run {
    objects: Option<Vec<(Option<String>, Value)>>,
    findings: Vec<(String, String, String)>,
}

impl Run {
    fn codes(&self) -> String {
        let c: Vec<String> = self
            .findings
            .iter()
            .map(|(code, path, msg)| format!("{code} at {path}: {msg}"))
            .collect();
        c.join("; ")
    }

    /// Whether `code` refused the field (at it or at a section it is in).
    fn refused_by(&self, code: &str, field_path: &str) -> bool {
        self.objects.is_none()
            && self.findings.iter().any(|(c, path, _)| {
                c == code
                    && field_path
                        .strip_prefix(path.as_str())
                        .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
            })
    }
}

/// Compile a spec given as JSON.
fn run(spec: &Value) -> Run {
    let text = serde_json::to_string(spec).unwrap();
    let loaded = match rkv::spec::load_str("spec.yaml", text) {
        Ok(l) => l,
        Err(d) => {
            return Run {
                objects: None,
                findings: d
                    .iter()
                    .map(|d| (d.code.to_string(), d.path.clone(), d.message.clone()))
                    .collect(),
            };
        }
    };
    let strip_findings = |d: &[rkv::diag::Diagnostic]| {
        d.iter()
            .map(|d| {
                (
                    d.code.to_string(),
                    d.path.clone(),
                    format!(
                        "{} / {}{}",
                        d.message,
                        d.help.clone().unwrap_or_default(),
                        // An accepted finding shows the reason it was accepted with.
                        d.accepted
                            .as_ref()
                            .map(|a| format!(" / accepted: {}", a.reason))
                            .unwrap_or_default()
                    ),
                )
            })
            .collect()
    };
    match compile(&loaded) {
        Ok(c) => Run {
            objects: Some(
                c.variants
                    .iter()
                    .flat_map(|v| v.objects.iter().map(|o| (o.path.clone(), o.value.clone())))
                    .collect(),
            ),
            findings: strip_findings(&c.findings),
        },
        Err(CompileError::Findings(d)) => Run {
            objects: None,
            findings: strip_findings(&d),
        },
        Err(e) => panic!("{e}"),
    }
}

/// Another valid value for a leaf.
fn alternative(field: &str, current: &Value, schema: &Value) -> Option<Value> {
    // Values whose neighbours are fixed by other checks, or that must cross a threshold
    // for the checks that read them to say anything different.
    let special = match field {
        "shape.failover.wal.restoreWindowHours" => Some(json!(1000)),
        "memory.datasetEstimate" => Some(json!("1500Mi")),
        "backup.schedule" => Some(json!("15 * * * *")),
        "backup.retentionSchedule" => Some(json!("45 3 * * *")),
        "outputs.helm.interval" => Some(json!("5m")),
        "exposure.sourceRanges" => Some(json!("192.168.0.0/16")),
        "memory.maxmemory" => Some(json!("512mb")),
        "persistence.rdbSave" => Some(json!("300 10")),
        "persistence.aof.rewriteMinSize" => Some(json!("128mb")),
        _ => None,
    };
    if special.is_some() {
        return special;
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        let i = values.iter().position(|v| v == current)?;
        return values
            .get(i + 1)
            .or_else(|| values.first())
            .filter(|v| *v != current)
            .cloned();
    }
    if schema.get("const").is_some() {
        return None;
    }
    match current {
        Value::Bool(b) => Some(json!(!b)),
        Value::Number(n) => {
            let n = n.as_u64()?;
            let max = schema
                .get("maximum")
                .and_then(Value::as_u64)
                .unwrap_or(u64::MAX);
            // +2 keeps Sentinel counts odd.
            Some(json!(if n + 2 <= max { n + 2 } else { n - 1 }))
        }
        Value::String(s) => {
            let pattern = schema.get("pattern").and_then(Value::as_str).unwrap_or("");
            if pattern.contains("Ki|Mi|Gi") {
                let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
                let n: u64 = digits.parse().ok()?;
                Some(json!(format!("{}{}", n * 2, &s[digits.len()..])))
            } else {
                Some(json!(format!("{s}-x")))
            }
        }
        _ => None,
    }
}

/// A value for a leaf no full spec sets: the schema's minimum, first value or default.
fn sample(schema: &Value) -> Option<Value> {
    if let Some(v) = schema.get("enum").and_then(Value::as_array) {
        return v.first().cloned();
    }
    if let Some(m) = schema.get("minimum") {
        return Some(m.clone());
    }
    schema.get("default").cloned()
}

/// Set `leaf` in `spec`, taking what is missing on its way from `donor`.
fn set_from(spec: &mut Value, donor: &Value, path: &[Seg]) -> bool {
    for n in 1..=path.len() {
        if get(spec, &path[..n]).is_none() {
            let Some(value) = get(donor, &path[..n]).cloned() else {
                return false;
            };
            let Some(parent) = get_mut(spec, &path[..n - 1]) else {
                return false;
            };
            match (&path[n - 1], parent) {
                (Seg::Key(k), Value::Object(m)) => {
                    m.insert(k.clone(), value);
                }
                _ => return false,
            }
            return true;
        }
    }
    true
}

/// Fields whose change needs a neighbour changed with it, or removed from the base, to
/// stay a spec the other checks accept: the change of the field alone is what is judged.
fn context(field: &str, t: Target, spec: &mut Value) {
    match field {
        // RKV103 speaks only when something is insecure.
        "exposure.acceptInsecure" => remove(spec, "/spec/tls"),
        // Other types refuse a hostname (only a LoadBalancer has one).
        "exposure.type" => remove(spec, "/spec/exposure/hostname"),
        // Without a volume, AOF and snapshots are refused, and so is a durable store.
        "persistence.enabled" => {
            for f in ["aof", "rdbSave", "storageClass"] {
                remove(spec, &format!("/spec/persistence/{f}"));
            }
            spec["spec"]["use"] = json!("cache");
        }
        // The Helm target runs Bitnami images only (RKV174), from where they still pull (RKV177).
        f if f.starts_with("outputs.helm") && !helm(t) => {
            spec["spec"]["redis"]["image"] = json!("bitnamilegacy/redis:7.2");
            let twin = match t {
                Target::Standalone => Target::HelmStandalone,
                Target::Opstree => Target::HelmSentinel,
                _ => Target::HelmCluster,
            };
            strip(spec, twin);
            // The chart has no client certificate, which the StatefulSet needs for mutual TLS (RKV140).
            if matches!(t, Target::Cluster | Target::Standalone) {
                spec["spec"]["tls"]["mutual"] = json!(false);
            }
            // The kustomize tree stays: its NetworkPolicies must still let the operator in (RKV168).
            if t == Target::Opstree {
                spec["spec"]["shape"]["replication"]["operatorNamespace"] = json!("redis-operator");
            }
        }
        // A second target must find a spec it can render.
        "outputs.kustomize" if helm(t) => {
            let twin = match t {
                Target::HelmStandalone => Target::Standalone,
                Target::HelmSentinel => Target::Opstree,
                _ => Target::Cluster,
            };
            strip(spec, twin);
            if matches!(t, Target::HelmCluster | Target::HelmStandalone) {
                spec["spec"]["tls"]["mutual"] = json!(false);
            }
        }
        _ => {}
    }
}

fn helm(t: Target) -> bool {
    matches!(
        t,
        Target::HelmStandalone | Target::HelmSentinel | Target::HelmCluster
    )
}

/// Changes that move two fields at once (both are the change judged).
fn paired(field: &str, t: Target, spec: &mut Value) {
    let s = &mut spec["spec"]["shape"];
    match (field, t) {
        // Spotahome fixes the quorum at floor(n/2) + 1 (RKV157).
        ("shape.failover.sentinel.replicas", _) => s["failover"]["sentinel"]["quorum"] = json!(3),
        // A quorum above 2 needs more Sentinels (RKV112, RKV115), and the chart one
        // Redis pod per Sentinel (RKV175).
        ("shape.replication.sentinel.quorum", _) => {
            s["replication"]["sentinel"]["quorum"] = json!(3);
            s["replication"]["sentinel"]["replicas"] = json!(5);
            if t == Target::HelmSentinel {
                s["replication"]["replicas"] = json!(5);
            }
        }
        // The chart runs one Sentinel per Redis pod (RKV175).
        ("shape.replication.replicas", Target::HelmSentinel) => {
            s["replication"]["sentinel"]["replicas"] = json!(5)
        }
        // The operator's tree beside the chart: its NetworkPolicies must let the operator
        // in (RKV168), which the chart alone refuses (RKV107).
        ("outputs.kustomize", Target::HelmSentinel) => {
            s["replication"]["operatorNamespace"] = json!("redis-operator")
        }
        // A mirror goes between two sites: swap them.
        ("shape.failover.wal.mirror.from", _) => {
            s["failover"]["wal"]["mirror"]["from"] = json!("dr");
            s["failover"]["wal"]["mirror"]["to"] = json!("dc");
        }
        ("shape.failover.wal.mirror.to", _) => {
            s["failover"]["wal"]["mirror"]["from"] = json!("dr");
            s["failover"]["wal"]["mirror"]["to"] = json!("dc");
        }
        _ => {}
    }
}

/// What a change of one leaf on one target did, against what the table says; `None`
/// when it agrees.
fn judge(
    t: Target,
    leaf: &Leaf,
    runner: &dyn Fn(&Value) -> Run,
    cache: &mut Cache,
) -> Option<String> {
    let field = leaf.field();
    let effect = if leaf.path.first() == Some(&Seg::Key("metadata".into())) {
        effects::effect("metadata", t)
    } else {
        effects::effect(&field, t)
    };
    let full = full(t);
    let mut before = base(t);
    context(&field, t, &mut before);
    // A field inside the shape of another target cannot be written here.
    if effect == Effect::Elsewhere {
        return None;
    }
    let mut after = before.clone();
    let dotted = rkv::spec::load::dotted(&seg_pointer(&leaf.path));
    if get(&after, &leaf.path).is_some() {
        let current = get(&after, &leaf.path)?.clone();
        let Some(alt) = alternative(&field, &current, &leaf.schema) else {
            // A field with one allowed value (`operator: spotahome`) has nothing to change to.
            return None;
        };
        *get_mut(&mut after, &leaf.path)? = alt;
    } else if !std::iter::once(t)
        .chain(Target::ALL)
        .any(|d| set_from(&mut after, &self::full(d), &leaf.path))
    {
        // No full spec sets it: the schema's own value, beside whatever the base has.
        let value = sample(&leaf.schema)?;
        let (last, parent) = leaf.path.split_last()?;
        if !set_from(&mut after, &full, parent) {
            return Some(format!(
                "{t:?} `{field}`: no full spec sets it or its section"
            ));
        }
        match (last, get_mut(&mut after, parent)?) {
            (Seg::Key(k), Value::Object(m)) => {
                m.insert(k.clone(), value);
            }
            _ => return Some(format!("{t:?} `{field}`: cannot be set")),
        }
    } else if matches!(effect, Effect::Renders | Effect::Checks)
        && get(&after, &leaf.path).is_some_and(unset)
    {
        return Some(format!(
            "{t:?} `{field}`: the full spec sets it to what leaving it out means"
        ));
    }
    paired(&field, t, &mut after);
    let was = cache.run(&before, runner);
    if was.objects.is_none() {
        return Some(format!(
            "{t:?}: the base for `{field}` does not compile: {}",
            was.codes()
        ));
    }
    let now = runner(&after);
    let changed = now.objects.is_some() && now.objects != was.objects;
    let verdict = match effect {
        Effect::Renders if changed => None,
        Effect::Renders => Some("renders nothing different (silently ignored)"),
        Effect::Checks if now.findings != was.findings => None,
        Effect::Checks => Some("changes no finding"),
        Effect::Refused(_) | Effect::Only(..) if now.refused_by("RKV107", &dotted) => None,
        Effect::Refused(_) | Effect::Only(..) => Some("is not refused by RKV107"),
        Effect::RefusedBy(code) if changed || now.refused_by(code, &dotted) => None,
        Effect::RefusedBy(_) => Some("neither renders nor is refused by its code"),
        Effect::Elsewhere => None,
    }?;
    Some(format!(
        "{t:?} `{dotted}` ({effect:?}) {verdict}: {}",
        if now.objects.is_none() {
            format!("refused: {}", now.codes())
        } else {
            "compiled".to_string()
        }
    ))
}

fn seg_pointer(path: &[Seg]) -> String {
    path.iter()
        .map(|s| match s {
            Seg::Key(k) => format!("/{k}"),
            Seg::First => "/0".into(),
            Seg::AnyKey => "/*".into(),
        })
        .collect()
}

/// Base runs, once per distinct base.
#[derive(Default)]
struct Cache(BTreeMap<String, Run>);

impl Cache {
    fn run(&mut self, spec: &Value, runner: &dyn Fn(&Value) -> Run) -> Run {
        let key = spec.to_string();
        self.0.entry(key).or_insert_with(|| runner(spec)).clone()
    }
}

/// Every problem of one target.
fn audit(t: Target, runner: &dyn Fn(&Value) -> Run) -> Vec<String> {
    let mut cache = Cache::default();
    let mut problems = Vec::new();
    let b = run(&base(t));
    if b.objects.is_none() {
        return vec![format!("{t:?}: the base does not compile: {}", b.codes())];
    }
    if let Some(f) = b.findings.iter().find(|f| f.0 == "RKV107") {
        problems.push(format!("{t:?}: the base has RKV107: {f:?}"));
    }
    for leaf in schema_leaves() {
        problems.extend(judge(t, &leaf, runner, &mut cache));
    }
    problems
}

macro_rules! targets {
    ($($name:ident => $t:expr,)*) => {$(
        #[test]
        fn $name() {
            let problems = audit($t, &run);
            assert!(problems.is_empty(), "{}", problems.join("\n"));
        }
    )*};
}

targets! {
    every_field_on_standalone => Target::Standalone,
    every_field_on_cluster => Target::Cluster,
    every_field_on_spotahome => Target::Spotahome,
    every_field_on_opstree => Target::Opstree,
    every_field_on_helm_standalone => Target::HelmStandalone,
    every_field_on_helm_sentinel => Target::HelmSentinel,
    every_field_on_helm_cluster => Target::HelmCluster,
}

/// The audit catches a field an emitter drops: with `tls.mutual` removed before every
/// compile (as an emitter that ignored it would behave), the cluster's `tls.mutual` is
/// reported as silently ignored; with the real compile it is not.
#[test]
fn a_silently_ignored_field_is_caught() {
    let leaf = schema_leaves()
        .into_iter()
        .find(|l| l.field() == "tls.mutual")
        .unwrap();
    let sabotaged = |spec: &Value| {
        let mut s = spec.clone();
        remove(&mut s, "/spec/tls/mutual");
        run(&s)
    };
    let caught = judge(Target::Cluster, &leaf, &sabotaged, &mut Cache::default());
    assert!(
        caught
            .as_deref()
            .is_some_and(|p| p.contains("silently ignored")),
        "{caught:?}"
    );
    assert_eq!(
        judge(Target::Cluster, &leaf, &run, &mut Cache::default()),
        None
    );
}

/// A section set in an environment or site has the effect it has in the base: one
/// refused on the target is refused at the override.
#[test]
fn overrides_are_judged_like_the_base() {
    let mut problems = Vec::new();
    for t in Target::ALL {
        let group = if t == Target::Spotahome {
            "sites"
        } else {
            "environments"
        };
        let variant = if t == Target::Spotahome { "dc" } else { "e" };
        for row in effects::TABLE {
            if row.field.contains('.') || row.field == "metadata" {
                continue;
            }
            if !matches!(row.effect(t), Effect::Refused(_)) {
                continue;
            }
            let full = full(t);
            let Some(section) = full.pointer(&pointer(row.field)).cloned() else {
                continue;
            };
            let mut spec = base(t);
            if spec["spec"].get(group).is_none() {
                spec["spec"][group] = json!({variant: {}});
            }
            spec["spec"][group][variant][row.field] = section;
            let r = run(&spec);
            let at = format!("spec.{group}.{variant}.{}", row.field);
            if !r.refused_by("RKV107", &at) {
                problems.push(format!("{t:?} `{at}`: not refused: {}", r.codes()));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The README shows the table as the code has it (`RKV_UPDATE_GOLDEN=1` rewrites it).
#[test]
fn the_readme_shows_the_table() {
    let path = root().join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let (begin, end) = ("<!-- effects:begin", "<!-- effects:end -->");
    let start = readme
        .find(begin)
        .expect("README.md has the effects:begin marker");
    let start = start + readme[start..].find('\n').unwrap() + 1;
    let stop = readme
        .find(end)
        .expect("README.md has the effects:end marker");
    let table = effects::markdown();
    if std::env::var_os("RKV_UPDATE_GOLDEN").is_some() {
        let updated = format!("{}{table}{}", &readme[..start], &readme[stop..]);
        std::fs::write(&path, updated).unwrap();
        return;
    }
    assert_eq!(
        &readme[start..stop],
        table,
        "README.md's table of effects is not the code's: run `RKV_UPDATE_GOLDEN=1 cargo test -- effects::the_readme`"
    );
}

/// Every field the schema has is looked up in the table through a row of its own or of a
/// section it is in (a new section without a row would default to "renders").
#[test]
fn every_schema_field_has_a_row() {
    let mut missing = Vec::new();
    for leaf in schema_leaves() {
        let field = leaf.field();
        let field = if field.starts_with("metadata") {
            "metadata".to_string()
        } else {
            field
        };
        if effects::row(&field).is_none() {
            missing.push(field);
        }
    }
    assert!(
        missing.is_empty(),
        "no row in the table of effects: {missing:?}"
    );
}
