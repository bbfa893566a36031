//! The runbooks name only what exists.
//!
//! In: every `generated/<profile>/RUNBOOK.md` (or under `$RKV_GENERATED_DIR`) and the YAML
//! of the same tree. Out: one failure listing every name of a `### Names` table that the
//! tree does not have. A name exists when it is an object of that kind in the tree, a pod
//! of a StatefulSet (`<sts>-<i>`, i < replicas), an object or pod an operator CR or the
//! Bitnami chart makes from the tree (derived here independently of the emitter), a
//! Secret some object references, or a namespace some object is in. The derivation is
//! written again here on purpose: reusing the emitter's would prove nothing.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// What a tree holds: (kind, name) pairs and namespaces.
#[derive(Debug, Default)]
struct Known {
    names: BTreeSet<(String, String)>,
    namespaces: BTreeSet<String>,
}

impl Known {
    fn add(&mut self, kind: &str, name: impl Into<String>) {
        self.names.insert((kind.to_string(), name.into()));
    }
}

fn s<'a>(v: &'a Value, p: &str) -> &'a str {
    v.pointer(p).and_then(Value::as_str).unwrap_or("")
}

fn count(v: &Value, p: &str) -> u64 {
    v.pointer(p).and_then(Value::as_u64).unwrap_or(0)
}

fn secrets(v: &Value, out: &mut Known) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x) {
                    ("secretName" | "existingSecret" | "secretPath", Value::String(n)) => {
                        out.add("Secret", n.clone())
                    }
                    ("secretKeyRef" | "redisSecret" | "secretRef", Value::Object(r)) => {
                        if let Some(Value::String(n)) = r.get("name") {
                            out.add("Secret", n.clone());
                        }
                    }
                    _ => {}
                }
                secrets(x, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| secrets(x, out)),
        _ => {}
    }
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let p = e.expect("dir entry").path();
        if p.is_dir() {
            yaml_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "yaml")
            && p.file_name().is_some_and(|n| n != "kustomization.yaml")
        {
            out.push(p);
        }
    }
}

fn parse(f: &Path) -> Vec<Value> {
    let text = fs::read_to_string(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
    serde_saphyr::from_str_multiple::<Value, Vec<Value>>(&text)
        .unwrap_or_else(|e| panic!("{}: {e}", f.display()))
}

/// Set `value` at a JSON pointer (`add` / `replace` of a JSON 6902 patch).
fn set(doc: &mut Value, pointer: &str, value: Value) {
    let Some((parent, last)) = pointer.rsplit_once('/') else {
        return;
    };
    let last = last.replace("~1", "/").replace("~0", "~");
    match doc.pointer_mut(parent) {
        Some(Value::Object(m)) => {
            m.insert(last, value);
        }
        Some(Value::Array(a)) => match last.parse::<usize>() {
            Ok(i) if i < a.len() => a[i] = value,
            _ => a.push(value),
        },
        _ => {}
    }
}

/// The objects an overlay's JSON 6902 patches change, as they are after the patch: the
/// tree's files hold only the base object, and a patched replica count names new pods.
fn patched(tree: &Path, docs: &[Value]) -> Vec<Value> {
    let mut out = Vec::new();
    let mut dirs = Vec::new();
    let mut stack = vec![tree.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).into_iter().flatten().flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else if e.file_name() == "kustomization.yaml" {
                dirs.push(d.clone());
            }
        }
    }
    for dir in dirs {
        for k in parse(&dir.join("kustomization.yaml")) {
            for p in k
                .get("patches")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let (kind, name) = (s(p, "/target/kind"), s(p, "/target/name"));
                let Some(ops) = parse(&dir.join(s(p, "/path"))).into_iter().next() else {
                    continue;
                };
                let Some(ops) = ops.as_array() else { continue };
                for base in docs
                    .iter()
                    .filter(|d| s(d, "/kind") == kind && s(d, "/metadata/name") == name)
                {
                    let mut d = base.clone();
                    for op in ops {
                        if matches!(s(op, "/op"), "add" | "replace")
                            && let Some(v) = op.get("value")
                        {
                            set(&mut d, s(op, "/path"), v.clone());
                        }
                    }
                    out.push(d);
                }
            }
        }
    }
    out
}

/// Everything the YAML of one profile's tree names.
fn known(tree: &Path) -> Known {
    let mut files = Vec::new();
    yaml_files(tree, &mut files);
    let mut k = Known::default();
    let mut values = Vec::new();
    let mut releases = Vec::new();
    let mut all: Vec<Value> = files.iter().flat_map(|f| parse(f)).collect();
    all.extend(patched(tree, &all));
    for d in all {
        // JSON 6902 patches are lists; `$patch: delete` documents remove, not add.
        if !d.is_object() || d.get("$patch").is_some() {
            continue;
        }
        let (kind, name, ns) = (
            s(&d, "/kind"),
            s(&d, "/metadata/name"),
            s(&d, "/metadata/namespace"),
        );
        if kind.is_empty() {
            values.push(d);
            continue;
        }
        k.add(kind, name);
        if !ns.is_empty() {
            k.namespaces.insert(ns.to_string());
        }
        secrets(&d, &mut k);
        match kind {
            "ExternalSecret" => {
                let t = s(&d, "/spec/target/name");
                k.add("Secret", if t.is_empty() { name } else { t });
            }
            "StatefulSet" => {
                let claims: Vec<String> = d
                    .pointer("/spec/volumeClaimTemplates")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .map(|c| s(c, "/metadata/name").to_string())
                    .collect();
                for i in 0..count(&d, "/spec/replicas") {
                    k.add("Pod", format!("{name}-{i}"));
                    for c in &claims {
                        k.add("PersistentVolumeClaim", format!("{c}-{name}-{i}"));
                    }
                }
            }
            "RedisFailover" => {
                k.add("StatefulSet", format!("rfr-{name}"));
                k.add("Deployment", format!("rfs-{name}"));
                k.add("Service", format!("rfs-{name}"));
                let claim = s(
                    &d,
                    "/spec/redis/storage/persistentVolumeClaim/metadata/name",
                );
                for i in 0..count(&d, "/spec/redis/replicas") {
                    k.add("Pod", format!("rfr-{name}-{i}"));
                    if !claim.is_empty() {
                        k.add("PersistentVolumeClaim", format!("{claim}-rfr-{name}-{i}"));
                    }
                }
            }
            "RedisReplication" => {
                k.add("StatefulSet", name);
                k.add("Service", name);
                k.add("Service", format!("{name}-headless"));
                k.add("Service", format!("{name}-master"));
                for i in 0..count(&d, "/spec/clusterSize") {
                    k.add("Pod", format!("{name}-{i}"));
                }
            }
            "RedisSentinel" => {
                k.add("StatefulSet", format!("{name}-sentinel"));
                k.add("Service", format!("{name}-sentinel"));
                for i in 0..count(&d, "/spec/clusterSize") {
                    k.add("Pod", format!("{name}-sentinel-{i}"));
                }
            }
            "HelmRelease" => {
                let ns = match s(&d, "/spec/targetNamespace") {
                    "" => ns,
                    t => t,
                };
                k.namespaces.insert(ns.to_string());
                releases.push(name.to_string());
            }
            _ => {}
        }
    }
    // The Bitnami charts: with Sentinel, StatefulSet <fullname>-node, Services <fullname>
    // and <fullname>-headless; standalone, StatefulSet and Service <fullname>-master and
    // Service <fullname>-headless; redis-cluster, StatefulSet and Services <fullname> and
    // <fullname>-headless.
    for v in &values {
        secrets(v, &mut k);
        for r in &releases {
            let full = match s(v, "/fullnameOverride") {
                "" => r.as_str(),
                f => f,
            };
            // Password auth with no `existingSecret`: the chart makes Secret <fullname>.
            let auth = v
                .pointer("/auth/enabled")
                .or_else(|| v.pointer("/usePassword"));
            let existing = [s(v, "/auth/existingSecret"), s(v, "/existingSecret")];
            if auth.and_then(Value::as_bool) == Some(true) && existing.iter().all(|e| e.is_empty())
            {
                k.add("Secret", full);
            }
            if v.pointer("/sentinel/enabled").and_then(Value::as_bool) == Some(true) {
                if v.pointer("/sentinel/masterService/enabled")
                    .and_then(Value::as_bool)
                    == Some(true)
                {
                    k.add("Service", format!("{full}-master"));
                }
                k.add("StatefulSet", format!("{full}-node"));
                k.add("Service", full);
                k.add("Service", format!("{full}-headless"));
                for i in 0..count(v, "/replica/replicaCount") {
                    k.add("Pod", format!("{full}-node-{i}"));
                }
            } else if s(v, "/architecture") == "standalone" {
                k.add("StatefulSet", format!("{full}-master"));
                k.add("Service", format!("{full}-master"));
                k.add("Service", format!("{full}-headless"));
                k.add("Pod", format!("{full}-master-0"));
            } else if v.pointer("/cluster/nodes").is_some() {
                k.add("StatefulSet", full);
                k.add("Service", full);
                k.add("Service", format!("{full}-headless"));
                for i in 0..count(v, "/cluster/nodes") {
                    k.add("Pod", format!("{full}-{i}"));
                }
            }
        }
    }
    k
}

/// The rows of every `### Names` table: (kind, name, namespace).
fn names_rows(runbook: &str) -> Vec<(String, String, String)> {
    let mut rows = Vec::new();
    let mut inside = false;
    for line in runbook.lines() {
        if line.starts_with('#') {
            inside = line.starts_with("### Names");
            continue;
        }
        if !inside || !line.starts_with('|') {
            continue;
        }
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let unquote = |c: &str| {
            c.strip_prefix('`')
                .and_then(|c| c.strip_suffix('`'))
                .map(str::to_string)
        };
        if let (Some(kind), Some(name)) = (cells.first(), cells.get(1).and_then(|c| unquote(c))) {
            let ns = cells.get(2).and_then(|c| unquote(c)).unwrap_or_default();
            rows.push((kind.to_string(), name, ns));
        }
    }
    rows
}

/// Every name of the runbook's Names tables the tree does not have.
fn unknown(runbook: &str, k: &Known) -> Vec<String> {
    let mut bad = Vec::new();
    for (kind, name, ns) in names_rows(runbook) {
        let ok = match kind.as_str() {
            "Namespace" => k.namespaces.contains(&name),
            _ => k.names.contains(&(kind.clone(), name.clone())),
        };
        if !ok || name.is_empty() {
            bad.push(format!("{kind} `{name}`"));
        }
        if !ns.is_empty() && !k.namespaces.contains(&ns) {
            bad.push(format!("namespace `{ns}` of {kind} `{name}`"));
        }
    }
    bad
}

#[test]
fn every_runbook_name_exists_in_its_tree() {
    let mut failures = Vec::new();
    let mut profiles = 0;
    for e in fs::read_dir(crate::support::generated_dir()).expect("generated/") {
        let tree = e.expect("entry").path();
        if !tree.is_dir() {
            continue;
        }
        profiles += 1;
        let text = fs::read_to_string(tree.join("RUNBOOK.md"))
            .unwrap_or_else(|e| panic!("{}/RUNBOOK.md: {e}", tree.display()));
        let rows = names_rows(&text);
        // A runbook whose tables the parser cannot read would pass vacuously.
        assert!(
            rows.len() >= 5,
            "{}: only {} names read",
            tree.display(),
            rows.len()
        );
        assert!(
            rows.iter().any(|r| r.0 == "Pod"),
            "{}: no pod named",
            tree.display()
        );
        for b in unknown(&text, &known(&tree)) {
            failures.push(format!("{}: {b}", tree.display()));
        }
    }
    assert!(profiles > 0, "no profile under generated/");
    assert!(
        failures.is_empty(),
        "names not in the tree:\n{}",
        failures.join("\n")
    );
}

#[test]
fn every_golden_runbook_name_exists_in_its_expected_tree() {
    let root = crate::support::root().join("tests/golden");
    let mut failures = Vec::new();
    let mut checked = 0;
    for e in fs::read_dir(&root).expect("tests/golden") {
        let tree = e.expect("entry").path().join("expected");
        let Ok(text) = fs::read_to_string(tree.join("RUNBOOK.md")) else {
            continue;
        };
        checked += names_rows(&text).len();
        for b in unknown(&text, &known(&tree)) {
            failures.push(format!("{}: {b}", tree.display()));
        }
    }
    assert!(
        checked > 100,
        "only {checked} names read from the golden runbooks"
    );
    assert!(
        failures.is_empty(),
        "names not in the tree:\n{}",
        failures.join("\n")
    );
}

#[test]
fn a_bogus_name_is_reported() {
    let mut k = Known::default();
    k.add("StatefulSet", "cordum-redis");
    k.add("Pod", "cordum-redis-0");
    k.add("Secret", "cordum-redis-secret");
    k.namespaces.insert("cordum".into());
    let runbook = "\
### Names (production)

| Kind | Name | Namespace | Note |
|---|---|---|---|
| StatefulSet | `cordum-redis` | `cordum` |  |
| Pod | `cordum-redis-0` | `cordum` |  |
| Pod | `cordum-redis-6` | `cordum` | one past the replicas |
| Secret | `cordum-redis-password` | `cordum` | never referenced |
| Service | `cordum-redis` | `elsewhere` |  |
| Namespace | `cordum` |  |  |

### Connect (production)

| Pod | `not-checked-outside-names` | | |
";
    assert_eq!(
        unknown(runbook, &k),
        vec![
            "Pod `cordum-redis-6`",
            "Secret `cordum-redis-password`",
            "Service `cordum-redis`",
            "namespace `elsewhere` of Service `cordum-redis`",
        ]
    );
}

#[test]
fn operator_pods_are_derived_from_the_cr() {
    let dir = tempfile::tempdir().expect("tmp");
    fs::write(
        dir.path().join("redisfailover-redis.yaml"),
        "apiVersion: databases.spotahome.com/v1\nkind: RedisFailover\nmetadata: {name: redis, namespace: redis}\nspec: {redis: {replicas: 2}}\n",
    )
    .expect("write");
    let k = known(dir.path());
    let rb =
        "### Names\n| Pod | `rfr-redis-1` | `redis` | |\n| Pod | `rfr-redis-2` | `redis` | |\n";
    assert_eq!(unknown(rb, &k), vec!["Pod `rfr-redis-2`"]);
}

/// The objects of one kustomize directory's own files (no patches, no deletes).
fn dir_objects(dir: &Path) -> Vec<Value> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let p = e.expect("dir entry").path();
        let name = p
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        if name.ends_with(".yaml")
            && name != "kustomization.yaml"
            && !name.starts_with("delete-")
            && !name.starts_with("patch-")
        {
            out.extend(parse(&p));
        }
    }
    out
}

fn find<'a>(docs: &'a [Value], kind: &str) -> Vec<&'a Value> {
    docs.iter().filter(|d| s(d, "/kind") == kind).collect()
}

/// Seed 000 §5 corrected: the base-to-production migration of the cordum profile stops
/// the writers first, keeps the old claim, and copies the single-node data into the
/// cluster with a helper pod whose every reference is checked here against the two
/// trees (read independently of the emitter).
#[test]
fn the_migration_copies_the_base_data_into_the_cluster() {
    let tree = crate::support::generated_dir().join("cordum");
    let runbook = fs::read_to_string(tree.join("RUNBOOK.md")).expect("cordum RUNBOOK.md");
    let at = runbook
        .find("## Migration: base to `production`")
        .expect("the migration section");
    let m = &runbook[at..];
    // The seed's mistakes: a StatefulSet pod name for a Deployment, a dump copied out
    // and never loaded, --all stopping Redis itself, every service back at 1 replica.
    let code: String = m
        .split("```")
        .skip(1)
        .step_by(2)
        .chain(m.split('`').skip(1).step_by(2))
        .collect::<Vec<_>>()
        .join("\n");
    for wrong in [
        " redis-0",
        "/redis-0",
        "kubectl cp",
        "BGSAVE",
        "deployment --all",
        "--replicas=1",
    ] {
        assert!(
            !code.contains(wrong),
            "the migration's commands still say `{wrong}`"
        );
    }
    assert!(code.contains("kubectl -n cordum wait --for=delete pod -l"));
    let base = dir_objects(&tree.join("base"));
    let prod = dir_objects(&tree.join("overlays/production"));
    let sts = find(&prod, "StatefulSet")[0];
    let ns = s(sts, "/metadata/namespace");
    let redis = sts["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "redis")
        .unwrap();

    // The helper pod, as the runbook applies it.
    let start = m.find("<<'EOF'\n").expect("the helper pod") + "<<'EOF'\n".len();
    let end = start + m[start..].find("\n   EOF").unwrap();
    let yaml: String = m[start..end]
        .lines()
        .map(|l| l.strip_prefix("   ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n");
    let pod: Value = serde_saphyr::from_str(&yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    let spec = &pod["spec"];
    let c = &spec["containers"][0];
    let volume = |name: &str| {
        spec["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == name)
            .unwrap_or_else(|| panic!("volume {name}"))
            .clone()
    };

    // It reads the base's claim, which the overlay drops but keeps, read-only.
    let claim = s(&volume("old"), "/persistentVolumeClaim/claimName").to_string();
    let base_claim = find(&base, "PersistentVolumeClaim")
        .into_iter()
        .find(|p| s(p, "/metadata/name") == claim)
        .unwrap_or_else(|| panic!("no base claim `{claim}`"));
    assert!(
        s(
            base_claim,
            "/metadata/annotations/kustomize.toolkit.fluxcd.io~1prune"
        ) == "disabled"
    );
    assert!(
        tree.join(format!(
            "overlays/production/delete-persistentvolumeclaim-{claim}.yaml"
        ))
        .is_file()
    );
    assert!(m.contains(&format!("annotate pvc {claim} ")));
    assert_eq!(volume("old")["persistentVolumeClaim"]["readOnly"], true);

    // It runs the cluster's image, with the cluster's password and client certificate.
    assert_eq!(c["image"], redis["image"]);
    // The password: the StatefulSet's Secret and key, mounted as a file (never in the
    // environment), and read where the redis container's scripts read it.
    let secret_of = |v: &Value| {
        (
            v["secret"]["secretName"].clone(),
            v["secret"]["items"].clone(),
        )
    };
    let sts_auth = sts["spec"]["template"]["spec"]["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "redis-auth")
        .expect("the StatefulSet's password volume");
    assert_eq!(secret_of(&volume("redis-auth")), secret_of(sts_auth));
    let mount = |container: &Value| {
        container["volumeMounts"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|m| m["name"] == "redis-auth")
            .map(|m| m["mountPath"].clone())
    };
    assert_eq!(mount(c), mount(redis));
    assert!(
        c.get("env").is_none(),
        "no password in the environment: {c}"
    );
    let script = c["args"][0].as_str().expect("the helper's script");
    let path = mount(c)
        .and_then(|p| p.as_str().map(str::to_string))
        .expect("mounted");
    assert!(
        script.contains(&format!("cat {path}/password; echo .")),
        "{script}"
    );
    let sts_secrets: Vec<&str> = sts["spec"]["template"]["spec"]["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["secret"]["secretName"].as_str())
        .collect();
    let tls = s(&volume("tls"), "/secret/secretName").to_string();
    assert!(
        sts_secrets.contains(&tls.as_str()),
        "{tls} not in {sts_secrets:?}"
    );

    // The NetworkPolicies admit it: its labels match a client allow into the pods.
    let admitted = find(&prod, "NetworkPolicy").into_iter().any(|np| {
        np["spec"]["ingress"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|rule| {
                rule["from"].as_array().into_iter().flatten().any(|peer| {
                    peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] == ns
                        && peer["podSelector"]["matchLabels"]
                            .as_object()
                            .is_some_and(|want| {
                                !want.is_empty()
                                    && want.iter().all(|(k, v)| &pod["metadata"]["labels"][k] == v)
                            })
                })
            })
    });
    assert!(
        admitted,
        "no NetworkPolicy of the cluster admits the helper pod"
    );

    // It imports into the first pod of the StatefulSet by its headless DNS name, and
    // loads the old Redis's AOF because the base ran with one.
    let script = c["args"][0].as_str().unwrap();
    let node = format!(
        "{}-0.{}.{ns}.svc:{}",
        s(sts, "/metadata/name"),
        s(sts, "/spec/serviceName"),
        redis["ports"][0]["containerPort"]
    );
    assert!(
        script.contains(&format!(
            "--cluster import {node} --cluster-from 127.0.0.1:6380 --cluster-copy"
        )),
        "{script}"
    );
    let base_args =
        find(&base, "Deployment")[0]["spec"]["template"]["spec"]["containers"][0]["args"]
            .to_string();
    assert!(base_args.contains("\"--appendonly\",\"yes\""));
    assert!(script.contains("--appendonly yes"));
    assert!(
        !yaml.contains("requirepass"),
        "no password in a process's arguments"
    );
}

/// The Secrets of every `### Before you apply` table (first column).
fn before_apply_rows(runbook: &str) -> BTreeSet<String> {
    let mut rows = BTreeSet::new();
    let mut inside = false;
    for line in runbook.lines() {
        if line.starts_with('#') {
            inside = line.starts_with("### Before you apply");
            continue;
        }
        if !inside || !line.starts_with("| `") {
            continue;
        }
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        // Only the Secrets table: its second column is the namespace, its fifth who makes it.
        if cells.len() == 5
            && let Some(name) = cells[0].strip_prefix('`').and_then(|c| c.strip_suffix('`'))
        {
            rows.insert(name.to_string());
        }
    }
    rows
}

/// The Secrets the tree's objects refer to that no object of the tree creates (a Secret,
/// an ExternalSecret's target, a Certificate's `secretName`, a KafkaUser's credentials),
/// derived again here from the YAML files.
fn needed_secrets(tree: &Path) -> BTreeSet<String> {
    let mut files = Vec::new();
    yaml_files(tree, &mut files);
    let docs: Vec<Value> = files.iter().flat_map(|f| parse(f)).collect();
    let mut referenced = Known::default();
    let mut created = BTreeSet::new();
    for d in &docs {
        if !d.is_object() || d.get("$patch").is_some() {
            continue;
        }
        match s(d, "/kind") {
            "Secret" | "KafkaUser" => {
                created.insert(s(d, "/metadata/name").to_string());
            }
            "ExternalSecret" => {
                let target = s(d, "/spec/target/name");
                created.insert(if target.is_empty() {
                    s(d, "/metadata/name").to_string()
                } else {
                    target.to_string()
                });
            }
            "Certificate" => {
                created.insert(s(d, "/spec/secretName").to_string());
            }
            // A Bitnami chart's values (no kind): with auth on and no `existingSecret`,
            // the chart makes its password Secret `<fullnameOverride>` itself.
            "" if d.get("fullnameOverride").is_some() => {
                let off = |p: &str| d.pointer(p) == Some(&Value::Bool(false));
                let named = |p: &str| !s(d, p).is_empty();
                let makes = match d.get("auth") {
                    Some(_) => !off("/auth/enabled") && !named("/auth/existingSecret"),
                    None => !off("/usePassword") && !named("/existingSecret"),
                };
                if makes {
                    created.insert(s(d, "/fullnameOverride").to_string());
                }
            }
            _ => {}
        }
        secrets(d, &mut referenced);
    }
    referenced
        .names
        .into_iter()
        .filter(|(k, n)| k == "Secret" && !created.contains(n))
        .map(|(_, n)| n)
        .collect()
}

#[test]
fn every_secret_the_tree_needs_is_a_prerequisite_in_the_runbook_and_explain() {
    let mut failures = Vec::new();
    let mut listed = 0;
    let mut trees: Vec<(PathBuf, Option<PathBuf>)> = Vec::new();
    for e in fs::read_dir(crate::support::generated_dir()).expect("generated/") {
        let tree = e.expect("entry").path();
        if tree.is_dir() {
            let name = tree
                .file_name()
                .expect("a name")
                .to_string_lossy()
                .to_string();
            let spec = crate::support::root().join(format!("profiles/{name}.yaml"));
            trees.push((tree, Some(spec)));
        }
    }
    for e in fs::read_dir(crate::support::root().join("tests/golden")).expect("tests/golden") {
        let tree = e.expect("entry").path().join("expected");
        if tree.join("RUNBOOK.md").is_file() {
            trees.push((tree, None));
        }
    }
    for (tree, spec) in &trees {
        let text = fs::read_to_string(tree.join("RUNBOOK.md")).expect("RUNBOOK.md");
        let shown = before_apply_rows(&text);
        let needed = needed_secrets(tree);
        listed += shown.len();
        if shown != needed {
            failures.push(format!(
                "{}: the runbook lists {shown:?}, the tree needs {needed:?}",
                tree.display()
            ));
        }
        // `rkv explain` names each of them too.
        if let Some(spec) = spec.as_ref().filter(|s| s.is_file()) {
            let out = crate::support::rkv()
                .arg("explain")
                .arg(spec)
                .output()
                .expect("rkv explain");
            let text = String::from_utf8_lossy(&out.stdout);
            for n in &needed {
                if !text.contains(&format!("Secret `{n}`")) {
                    failures.push(format!("rkv explain {}: no Secret `{n}`", spec.display()));
                }
            }
        }
    }
    assert!(
        listed >= 5,
        "only {listed} prerequisites read: the table parser reads nothing"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The chart values of a tree (its `helm/**/values.yaml` documents).
fn chart_values(tree: &Path) -> Vec<Value> {
    let mut files = Vec::new();
    yaml_files(tree, &mut files);
    files
        .iter()
        .filter(|f| f.file_name().is_some_and(|n| n == "values.yaml"))
        .flat_map(|f| parse(f))
        .collect()
}

/// The Bitnami charts mount the password as a file (`auth.usePasswordFiles` defaults to
/// true): `$REDIS_PASSWORD` is empty in their pods, and Sentinel asks for the password
/// too (`auth.sentinel`). Every `redis-cli` a chart tree's runbook runs reads the file.
#[test]
fn chart_runbook_commands_authenticate_from_the_password_file() {
    let auth = "REDISCLI_AUTH=\"$(cat /opt/bitnami/redis/secrets/redis-password)\" redis-cli";
    let mut trees: Vec<PathBuf> = fs::read_dir(crate::support::generated_dir())
        .expect("generated/")
        .map(|e| e.expect("entry").path())
        .collect();
    for e in fs::read_dir(crate::support::root().join("tests/golden")).expect("tests/golden") {
        trees.push(e.expect("entry").path().join("expected"));
    }
    let mut failures = Vec::new();
    let mut commands = 0;
    let mut sentinel = 0;
    for tree in trees.iter().filter(|t| t.join("RUNBOOK.md").is_file()) {
        let protected = chart_values(tree).iter().any(|v| {
            v.pointer("/auth/enabled")
                .or_else(|| v.pointer("/usePassword"))
                == Some(&Value::Bool(true))
        });
        if !protected {
            continue;
        }
        let text = fs::read_to_string(tree.join("RUNBOOK.md")).expect("RUNBOOK.md");
        for line in text
            .lines()
            .filter(|l| l.contains("kubectl") && l.contains("redis-cli"))
        {
            // Each `redis-cli` of the line (a sentence can hold several commands).
            let runs = line.matches("redis-cli").count();
            let authenticated = line.matches(auth).count();
            commands += runs;
            sentinel += usize::from(line.contains("-c sentinel"));
            if authenticated != runs || line.contains("$REDIS_PASSWORD") {
                failures.push(format!("{}: {line}", tree.display()));
            }
        }
    }
    assert!(commands >= 10, "only {commands} redis-cli commands read");
    assert!(sentinel >= 1, "no Sentinel command read");
    assert!(
        failures.is_empty(),
        "commands that would get NOAUTH:\n{}",
        failures.join("\n")
    );
}
