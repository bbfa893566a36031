//! Policy test over everything rkv wrote under `generated/` (or `$RKV_GENERATED_DIR`).
//!
//! What goes in: every YAML file of every tree, less `kustomization.yaml` files, the files
//! a kustomization uses as patches or generator inputs (partial objects or payloads), and
//! documents that are not objects (Helm values). What comes out: one failure listing every
//! violation with its file and object. The invariant (DESIGN.md, "Security defaults"):
//! no secret value is rendered; every pod is non-root, RuntimeDefault seccomp, all
//! capabilities dropped, no privilege escalation, no service account token unless it has
//! a service account; every namespace a kustomize tree places objects in has a
//! default-deny NetworkPolicy in that tree; every object carries the standard labels with
//! `app.kubernetes.io/managed-by: rkv`. A run that finds no object at all fails.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::generated_dir;

const REQUIRED_LABELS: [&str; 5] = [
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/component",
    "app.kubernetes.io/part-of",
    "app.kubernetes.io/managed-by",
];

const KUSTOMIZATION_NAMES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// Kinds with no namespace; every other kind lives in one.
const CLUSTER_SCOPED: [&str; 17] = [
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PriorityClass",
    "StorageClass",
    "PersistentVolume",
    "IngressClass",
    "RuntimeClass",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "APIService",
    "ClusterSecretStore",
    "ClusterExternalSecret",
    "ClusterIssuer",
];

// ---------------------------------------------------------------------------------------
// Predicates on one object
// ---------------------------------------------------------------------------------------

fn str_at<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str)
}

fn kind(v: &Value) -> &str {
    str_at(v, "/kind").unwrap_or("?")
}

fn name(v: &Value) -> &str {
    str_at(v, "/metadata/name").unwrap_or("?")
}

fn is_object(v: &Value) -> bool {
    str_at(v, "/apiVersion").is_some() && str_at(v, "/kind").is_some()
}

/// The pod specs an object runs, with the JSON pointer each sits at.
fn pod_specs(obj: &Value) -> Vec<(&'static str, Option<&Value>)> {
    let at = |p: &'static str| vec![(p, obj.pointer(p))];
    match (str_at(obj, "/apiVersion").unwrap_or(""), kind(obj)) {
        ("v1", "Pod") => at("/spec"),
        ("v1", "ReplicationController")
        | ("apps/v1", "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet")
        | ("batch/v1", "Job") => at("/spec/template/spec"),
        ("batch/v1", "CronJob") => at("/spec/jobTemplate/spec/template/spec"),
        _ => vec![],
    }
}

fn containers(spec: &Value) -> Vec<(&'static str, &Value)> {
    let mut out = Vec::new();
    for list in ["initContainers", "containers", "ephemeralContainers"] {
        if let Some(items) = spec.get(list).and_then(Value::as_array) {
            out.extend(items.iter().map(|c| (list, c)));
        }
    }
    out
}

fn is_true(v: Option<&Value>) -> bool {
    v.and_then(Value::as_bool) == Some(true)
}

fn is_false(v: Option<&Value>) -> bool {
    v.and_then(Value::as_bool) == Some(false)
}

/// True when an env var of this name looks like it holds a credential.
fn looks_secret(env_name: &str) -> bool {
    let upper = env_name.to_ascii_uppercase();
    // A variable that names a file or directory holds a path, not the credential itself.
    if ["_FILE", "_PATH", "_DIR"]
        .iter()
        .any(|sfx| upper.ends_with(sfx))
    {
        return false;
    }
    ["PASSWORD", "PASSWD", "SECRET", "TOKEN"]
        .iter()
        .any(|w| upper.contains(w))
        || upper
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|seg| matches!(seg, "KEY" | "APIKEY" | "PASS" | "PWD" | "CREDENTIALS"))
}

/// Violations of the pod rules in one pod spec.
fn check_pod_spec(spec: &Value) -> Vec<String> {
    let mut v = Vec::new();
    let psc = spec.get("securityContext");
    if !is_true(psc.and_then(|s| s.get("runAsNonRoot"))) {
        v.push("pod securityContext.runAsNonRoot is not true".to_string());
    }
    let pod_seccomp = psc.and_then(|s| str_at(s, "/seccompProfile/type"));
    if pod_seccomp.is_some_and(|t| t != "RuntimeDefault") {
        v.push(format!(
            "pod seccompProfile type is {}",
            pod_seccomp.unwrap_or("")
        ));
    }
    let has_sa = spec
        .get("serviceAccountName")
        .or_else(|| spec.get("serviceAccount"))
        .and_then(Value::as_str)
        .is_some_and(|s| !s.is_empty());
    if !has_sa && !is_false(spec.get("automountServiceAccountToken")) {
        v.push(
            "automountServiceAccountToken is not false and the pod sets no serviceAccountName"
                .to_string(),
        );
    }
    let all = containers(spec);
    if all.is_empty() {
        v.push("pod has no containers".to_string());
    }
    for (list, c) in all {
        let cname = str_at(c, "/name").unwrap_or("?");
        let here = format!("{list} `{cname}`");
        let csc = c.get("securityContext");
        let drops_all = csc
            .and_then(|s| s.pointer("/capabilities/drop"))
            .and_then(Value::as_array)
            .is_some_and(|d| d.iter().any(|x| x.as_str() == Some("ALL")));
        if !drops_all {
            v.push(format!("{here} does not drop ALL capabilities"));
        }
        if !is_false(csc.and_then(|s| s.get("allowPrivilegeEscalation"))) {
            v.push(format!("{here}: allowPrivilegeEscalation is not false"));
        }
        if is_true(csc.and_then(|s| s.get("privileged"))) {
            v.push(format!("{here} is privileged"));
        }
        if is_false(csc.and_then(|s| s.get("runAsNonRoot"))) {
            v.push(format!("{here} sets runAsNonRoot false"));
        }
        match (pod_seccomp, csc.and_then(|s| str_at(s, "/seccompProfile/type"))) {
            (_, Some("RuntimeDefault")) | (Some("RuntimeDefault"), None) => {}
            (_, Some(other)) => v.push(format!("{here}: seccompProfile type is {other}")),
            (_, None) => v.push(format!(
                "{here} has no RuntimeDefault seccompProfile (neither the pod nor the container sets it)"
            )),
        }
        for e in c.get("env").and_then(Value::as_array).into_iter().flatten() {
            let ename = str_at(e, "/name").unwrap_or("");
            if looks_secret(ename) && e.get("value").is_some() {
                v.push(format!(
                    "{here}: env `{ename}` has a literal value; a credential must come from valueFrom"
                ));
            }
        }
    }
    v
}

/// Violations of every per-object rule (labels, Secrets, pods).
fn check_object(obj: &Value) -> Vec<String> {
    let mut v = Vec::new();
    let labels = obj.pointer("/metadata/labels");
    for l in REQUIRED_LABELS {
        if labels
            .and_then(|m| m.get(l))
            .and_then(Value::as_str)
            .is_none()
        {
            v.push(format!("missing label `{l}`"));
        }
    }
    if let Some(m) = labels.and_then(|m| m.get("app.kubernetes.io/managed-by"))
        && m.as_str() != Some("rkv")
    {
        v.push(format!(
            "label `app.kubernetes.io/managed-by` is {m}, not `rkv`"
        ));
    }
    if str_at(obj, "/apiVersion") == Some("v1") && kind(obj) == "Secret" {
        for field in ["data", "stringData"] {
            if obj.get(field).is_some_and(|d| !d.is_null()) {
                v.push(format!(
                    "Secret renders `{field}`: secret values must only be referenced"
                ));
            }
        }
    }
    for (pointer, spec) in pod_specs(obj) {
        match spec {
            None => v.push(format!("no pod spec at {pointer}")),
            Some(spec) => v.extend(check_pod_spec(spec)),
        }
    }
    v
}

/// The labels a deny-all NetworkPolicy selects: `Some({})` selects every pod of the
/// namespace. `None` when the object is not a policy that allows nothing both ways.
fn deny_selector(obj: &Value) -> Option<BTreeMap<String, String>> {
    if str_at(obj, "/apiVersion") != Some("networking.k8s.io/v1") || kind(obj) != "NetworkPolicy" {
        return None;
    }
    let spec = obj.get("spec")?;
    let selector = spec.get("podSelector").and_then(Value::as_object)?;
    // Only plain label equality is understood here; expressions are not a default deny.
    if selector.keys().any(|k| k != "matchLabels") {
        return None;
    }
    let labels: BTreeMap<String, String> = selector
        .get("matchLabels")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default();
    is_default_deny_rules(spec).then_some(labels)
}

/// A NetworkPolicy that selects every pod and allows nothing in either direction.
#[cfg(test)]
fn is_default_deny(obj: &Value) -> bool {
    deny_selector(obj).is_some_and(|l| l.is_empty())
}

fn is_default_deny_rules(spec: &Value) -> bool {
    let types: Vec<&str> = spec
        .get("policyTypes")
        .and_then(Value::as_array)
        .map(|t| t.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let no_rules = |k: &str| match spec.get(k) {
        None | Some(Value::Null) => true,
        Some(Value::Array(a)) => a.is_empty(),
        Some(_) => false,
    };
    types.contains(&"Ingress")
        && types.contains(&"Egress")
        && no_rules("ingress")
        && no_rules("egress")
}

fn is_namespaced(obj: &Value) -> bool {
    !CLUSTER_SCOPED.contains(&kind(obj))
}

// ---------------------------------------------------------------------------------------
// Loading a generated dir, and the per-tree NetworkPolicy rule
// ---------------------------------------------------------------------------------------

struct Doc {
    file: PathBuf,
    value: Value,
}

struct Loaded {
    root: PathBuf,
    docs: Vec<Doc>,
    /// Canonical file path -> indexes into `docs`.
    file_docs: HashMap<PathBuf, Vec<usize>>,
    /// Canonical dir -> its kustomization.
    kustomizations: BTreeMap<PathBuf, Value>,
    errors: Vec<String>,
}

impl Loaded {
    fn show(&self, p: &Path) -> String {
        let base = self.root.parent().unwrap_or(&self.root);
        p.strip_prefix(base).unwrap_or(p).display().to_string()
    }

    fn label(&self, i: usize) -> String {
        let d = &self.docs[i];
        format!(
            "{}: {}/{}",
            self.show(&d.file),
            kind(&d.value),
            name(&d.value)
        )
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out);
        } else if p.is_file() {
            out.push(p);
        }
    }
}

fn parse_yaml(text: &str) -> Result<Vec<Value>, String> {
    serde_saphyr::from_str_multiple::<Value, Vec<Value>>(text).map_err(|e| e.to_string())
}

fn strings(v: Option<&Value>) -> impl Iterator<Item = &str> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
}

fn paths_in(v: Option<&Value>) -> impl Iterator<Item = &str> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|e| str_at(e, "/path"))
}

/// Files a kustomization uses as something other than whole objects.
fn non_object_refs(k: &Value) -> Vec<String> {
    let mut refs: Vec<String> = Vec::new();
    for key in ["patches", "patchesJson6902", "replacements"] {
        refs.extend(paths_in(k.get(key)).map(str::to_string));
    }
    refs.extend(
        strings(k.get("patchesStrategicMerge"))
            .filter(|s| !s.contains('\n'))
            .map(str::to_string),
    );
    for generator in ["configMapGenerator", "secretGenerator"] {
        for g in k
            .get(generator)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let files = strings(g.get("files")).chain(strings(g.get("envs")));
            let env = g.get("env").and_then(Value::as_str);
            for f in files.chain(env) {
                refs.push(f.rsplit_once('=').map_or(f, |(_, p)| p).to_string());
            }
        }
    }
    for key in ["configurations", "crds"] {
        refs.extend(strings(k.get(key)).map(str::to_string));
    }
    refs
}

fn load(root: &Path) -> Loaded {
    let root = fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let mut files = Vec::new();
    walk(&root, &mut files);
    let mut loaded = Loaded {
        root: root.clone(),
        docs: Vec::new(),
        file_docs: HashMap::new(),
        kustomizations: BTreeMap::new(),
        errors: Vec::new(),
    };
    let is_yaml = |p: &Path| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"));
    let mut skip: HashSet<PathBuf> = HashSet::new();
    for f in files.iter().filter(|f| {
        f.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| KUSTOMIZATION_NAMES.contains(&n))
    }) {
        let text = fs::read_to_string(f).unwrap_or_default();
        match parse_yaml(&text) {
            Ok(docs) => {
                let k = docs.into_iter().next().unwrap_or(Value::Null);
                let dir = f.parent().unwrap_or(&root).to_path_buf();
                for r in non_object_refs(&k) {
                    skip.insert(fs::canonicalize(dir.join(&r)).unwrap_or_else(|_| dir.join(r)));
                }
                loaded.kustomizations.insert(dir, k);
            }
            Err(e) => loaded
                .errors
                .push(format!("{}: not valid YAML: {e}", loaded.show(f))),
        }
    }
    for f in files {
        let is_kust = f
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| KUSTOMIZATION_NAMES.contains(&n));
        if !is_yaml(&f) || is_kust || skip.contains(&f) {
            continue;
        }
        let text = match fs::read_to_string(&f) {
            Ok(t) => t,
            Err(e) => {
                loaded.errors.push(format!("{}: {e}", loaded.show(&f)));
                continue;
            }
        };
        match parse_yaml(&text) {
            Ok(values) => {
                for value in values.into_iter().filter(is_object) {
                    let i = loaded.docs.len();
                    loaded.docs.push(Doc {
                        file: f.clone(),
                        value,
                    });
                    loaded.file_docs.entry(f.clone()).or_default().push(i);
                }
            }
            Err(e) => loaded
                .errors
                .push(format!("{}: not valid YAML: {e}", loaded.show(&f))),
        }
    }
    loaded
}

/// The objects a kustomization emits, each with the namespace it ends up in
/// (an outer kustomization's `namespace:` wins over inner ones and the object's own).
fn kustomize_objects(
    l: &Loaded,
    dir: &Path,
    stack: &mut Vec<PathBuf>,
) -> Vec<(usize, Option<String>)> {
    let Some(k) = l.kustomizations.get(dir) else {
        return vec![];
    };
    if stack.iter().any(|d| d == dir) {
        return vec![];
    }
    stack.push(dir.to_path_buf());
    let mut out = Vec::new();
    for entry in strings(k.get("resources")).chain(strings(k.get("components"))) {
        let Ok(p) = fs::canonicalize(dir.join(entry)) else {
            continue; // missing or remote: `kubectl kustomize` in the conformance tier reports it
        };
        if p.is_dir() {
            out.extend(kustomize_objects(l, &p, stack));
        } else {
            for &i in l.file_docs.get(&p).into_iter().flatten() {
                let own = str_at(&l.docs[i].value, "/metadata/namespace").map(str::to_string);
                out.push((i, own));
            }
        }
    }
    stack.pop();
    if let Some(ns) = k.get("namespace").and_then(Value::as_str) {
        for (i, n) in &mut out {
            if is_namespaced(&l.docs[*i].value) {
                *n = Some(ns.to_string());
            }
        }
    }
    out
}

/// Every namespace the group places namespaced objects in must hold a deny-all policy, and
/// every pod template must be selected by one (a policy scoped to one topology's pods keeps
/// a shared namespace's other workloads untouched, so `podSelector {}` is not required).
fn check_group(l: &Loaded, what: &str, items: &[(usize, Option<String>)]) -> Vec<String> {
    let ns_of = |n: &Option<String>| n.clone().unwrap_or_else(|| "default".to_string());
    let mut used: BTreeMap<String, usize> = BTreeMap::new();
    let mut denies: BTreeMap<String, Vec<BTreeMap<String, String>>> = BTreeMap::new();
    for (i, n) in items {
        let obj = &l.docs[*i].value;
        if !is_namespaced(obj) {
            continue;
        }
        // Objects that run no pods of their own (delivery objects, configuration an
        // operator reads elsewhere) need no deny-all beside them: the tree or chart
        // that runs pods carries its NetworkPolicies.
        if !matches!(
            kind(obj),
            "HelmRelease"
                | "OCIRepository"
                | "HelmRepository"
                | "GitRepository"
                | "Application"
                | "ConfigMap"
                | "KafkaTopic"
                | "KafkaUser"
                | "ExternalSecret"
                | "PrometheusRule"
                | "ServiceMonitor"
                | "Certificate"
        ) {
            used.entry(ns_of(n)).or_insert(*i);
        }
        if let Some(sel) = deny_selector(obj) {
            denies.entry(ns_of(n)).or_default().push(sel);
        }
    }
    let mut v: Vec<String> = used
        .iter()
        .filter(|(ns, _)| !denies.contains_key(*ns))
        .map(|(ns, i)| {
            format!(
                "{what} places objects in namespace `{ns}` (e.g. {}) but has no deny-all \
                 NetworkPolicy there (policyTypes Ingress and Egress, no rules)",
                l.label(*i)
            )
        })
        .collect();
    for (i, n) in items {
        let obj = &l.docs[*i].value;
        let Some(ns_denies) = denies.get(&ns_of(n)) else {
            continue;
        };
        for (pointer, labels) in pod_template_labels(obj) {
            let covered = ns_denies
                .iter()
                .any(|sel| sel.iter().all(|(k, val)| labels.get(k) == Some(val)));
            if !covered {
                v.push(format!("{}: the pod template at {pointer} is not selected by any deny-all NetworkPolicy", l.label(*i)));
            }
        }
    }
    v
}

/// The labels of every pod template an object carries.
fn pod_template_labels(obj: &Value) -> Vec<(&'static str, BTreeMap<String, String>)> {
    let api = str_at(obj, "/apiVersion").unwrap_or_default();
    let pointer = match (api, kind(obj)) {
        ("apps/v1", "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet")
        | ("batch/v1", "Job") => "/spec/template/metadata/labels",
        ("batch/v1", "CronJob") => "/spec/jobTemplate/spec/template/metadata/labels",
        ("v1", "Pod") => "/metadata/labels",
        _ => return Vec::new(),
    };
    let labels = obj
        .pointer(pointer)
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default();
    vec![(pointer, labels)]
}

fn check_network_policies(l: &Loaded) -> Vec<String> {
    let mut v = Vec::new();
    let mut reached: HashSet<usize> = HashSet::new();
    for (dir, k) in &l.kustomizations {
        let items = kustomize_objects(l, dir, &mut Vec::new());
        reached.extend(items.iter().map(|(i, _)| *i));
        if k.get("kind").and_then(Value::as_str) == Some("Component") {
            continue; // built by the kustomizations that use it
        }
        v.extend(check_group(
            l,
            &format!("kustomize tree {}", l.show(dir)),
            &items,
        ));
    }
    // Objects no kustomization uses: grouped by profile tree (generated/<profile>/).
    let mut loose: BTreeMap<PathBuf, Vec<(usize, Option<String>)>> = BTreeMap::new();
    for (i, d) in l
        .docs
        .iter()
        .enumerate()
        .filter(|(i, _)| !reached.contains(i))
    {
        let tree = d
            .file
            .strip_prefix(&l.root)
            .ok()
            .and_then(|r| r.components().next())
            .map(|c| l.root.join(c))
            .unwrap_or_else(|| l.root.clone());
        let own = str_at(&d.value, "/metadata/namespace").map(str::to_string);
        loose.entry(tree).or_default().push((i, own));
    }
    for (tree, items) in loose {
        v.extend(check_group(
            l,
            &format!("tree {} (files outside any kustomization)", l.show(&tree)),
            &items,
        ));
    }
    v
}

/// Every violation in a generated dir, or an error when it holds no object at all.
fn check_dir(root: &Path) -> Result<Vec<String>, String> {
    let l = load(root);
    if l.docs.is_empty() {
        return Err(format!(
            "no Kubernetes objects found under {}: a policy test that checks nothing must not pass",
            root.display()
        ));
    }
    let mut v = l.errors.clone();
    for i in 0..l.docs.len() {
        let label = l.label(i);
        v.extend(
            check_object(&l.docs[i].value)
                .into_iter()
                .map(|m| format!("{label}: {m}")),
        );
    }
    v.extend(check_network_policies(&l));
    Ok(v)
}

#[test]
fn generated_output_meets_security_and_label_policy() {
    let dir = generated_dir();
    match check_dir(&dir) {
        Err(e) => panic!("{e}"),
        Ok(v) if v.is_empty() => {}
        Ok(v) => panic!(
            "{} policy violation(s) under {}:\n  {}",
            v.len(),
            dir.display(),
            v.join("\n  ")
        ),
    }
}

// ---------------------------------------------------------------------------------------
// The predicates themselves can fail: small inline cases
// ---------------------------------------------------------------------------------------

fn yaml(text: &str) -> Value {
    parse_yaml(text)
        .expect("test YAML parses")
        .into_iter()
        .next()
        .expect("one document")
}

const LABELS: &str = "
    app.kubernetes.io/name: redis
    app.kubernetes.io/instance: cache
    app.kubernetes.io/component: server
    app.kubernetes.io/part-of: platform-kv
    app.kubernetes.io/managed-by: rkv";

fn good_deployment() -> String {
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: cache
  namespace: kv
  labels:{LABELS}
spec:
  selector:
    matchLabels:
      app: cache
  template:
    spec:
      automountServiceAccountToken: false
      securityContext:
        runAsNonRoot: true
        seccompProfile:
          type: RuntimeDefault
      initContainers:
        - name: init
          image: redis
          securityContext:
            allowPrivilegeEscalation: false
            capabilities:
              drop: [ALL]
      containers:
        - name: redis
          image: redis
          env:
            - name: REDIS_PASSWORD
              valueFrom:
                secretKeyRef: {{name: auth, key: password}}
            - name: MODE
              value: 'yes'
          securityContext:
            allowPrivilegeEscalation: false
            capabilities:
              drop: [ALL]
"
    )
}

fn deny_policy(ns: &str) -> String {
    format!(
        "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: {ns}
  labels:{LABELS}
spec:
  podSelector: {{}}
  policyTypes: [Ingress, Egress]
"
    )
}

#[test]
fn a_hardened_deployment_passes() {
    assert_eq!(
        check_object(&yaml(&good_deployment())),
        Vec::<String>::new()
    );
}

#[test]
fn an_unhardened_pod_is_caught_on_every_rule() {
    let bad = yaml(&format!(
        "apiVersion: v1
kind: Pod
metadata:
  name: bad
  labels:{LABELS}
spec:
  securityContext:
    runAsNonRoot: false
  containers:
    - name: redis
      image: redis
      env:
        - name: REDIS_PASSWORD
          value: hunter2
        - name: API_KEY
          value: abc
      securityContext:
        allowPrivilegeEscalation: true
        capabilities:
          drop: [NET_RAW]
"
    ));
    let v = check_object(&bad).join("\n");
    for expected in [
        "runAsNonRoot is not true",
        "automountServiceAccountToken is not false",
        "does not drop ALL capabilities",
        "allowPrivilegeEscalation is not false",
        "no RuntimeDefault seccompProfile",
        "env `REDIS_PASSWORD` has a literal value",
        "env `API_KEY` has a literal value",
    ] {
        assert!(v.contains(expected), "expected `{expected}` in:\n{v}");
    }
}

#[test]
fn a_service_account_allows_token_mount_and_container_seccomp_suffices() {
    let text = good_deployment()
        .replace("automountServiceAccountToken: false", "serviceAccountName: cache")
        .replace(
            "        seccompProfile:\n          type: RuntimeDefault\n",
            "",
        )
        .replace(
            "            allowPrivilegeEscalation: false\n",
            "            allowPrivilegeEscalation: false\n            seccompProfile: {type: RuntimeDefault}\n",
        );
    assert_eq!(check_object(&yaml(&text)), Vec::<String>::new());
    // ...but a container without it, under a pod without it, is caught.
    let one_missing = text.replacen(
        "            seccompProfile: {type: RuntimeDefault}\n",
        "",
        1,
    );
    let v = check_object(&yaml(&one_missing)).join("\n");
    assert!(
        v.contains("initContainers `init` has no RuntimeDefault"),
        "{v}"
    );
}

#[test]
fn a_cronjob_pod_template_is_checked() {
    let cron = yaml(&format!(
        "apiVersion: batch/v1
kind: CronJob
metadata:
  name: backup
  labels:{LABELS}
spec:
  schedule: '@daily'
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - name: backup
              image: redis
"
    ));
    let v = check_object(&cron).join("\n");
    assert!(v.contains("runAsNonRoot is not true"), "{v}");
    assert!(v.contains("container"), "{v}");
}

#[test]
fn a_secret_with_values_is_caught() {
    let s = yaml(&format!(
        "apiVersion: v1
kind: Secret
metadata:
  name: auth
  labels:{LABELS}
stringData:
  password: hunter2
data:
  x: eA==
"
    ));
    let v = check_object(&s).join("\n");
    assert!(v.contains("`stringData`") && v.contains("`data`"), "{v}");
}

#[test]
fn missing_or_wrong_labels_are_caught() {
    let text = good_deployment()
        .replace("    app.kubernetes.io/part-of: platform-kv\n", "")
        .replace("managed-by: rkv", "managed-by: helm");
    let v = check_object(&yaml(&text)).join("\n");
    assert!(
        v.contains("missing label `app.kubernetes.io/part-of`"),
        "{v}"
    );
    assert!(v.contains("not `rkv`"), "{v}");
}

#[test]
fn default_deny_is_recognised_exactly() {
    assert!(is_default_deny(&yaml(&deny_policy("kv"))));
    let ingress_only = deny_policy("kv").replace("[Ingress, Egress]", "[Ingress]");
    assert!(!is_default_deny(&yaml(&ingress_only)));
    let selective =
        deny_policy("kv").replace("podSelector: {}", "podSelector: {matchLabels: {a: b}}");
    assert!(!is_default_deny(&yaml(&selective)));
    let allows = format!("{}  ingress:\n    - {{}}\n", deny_policy("kv"));
    assert!(!is_default_deny(&yaml(&allows)));
}

#[test]
fn secret_looking_env_names() {
    for n in [
        "REDIS_PASSWORD",
        "AUTH_TOKEN",
        "API_KEY",
        "CLIENT_SECRET",
        "key",
    ] {
        assert!(looks_secret(n), "{n}");
    }
    for n in ["MODE", "KEYSPACE_EVENTS", "REDIS_PORT"] {
        assert!(!looks_secret(n), "{n}");
    }
}

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    fs::create_dir_all(p.parent().expect("has parent")).expect("mkdir");
    fs::write(p, text).expect("write");
}

#[test]
fn a_tree_without_default_deny_is_caught_and_patches_are_skipped() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let g = tmp.path().join("generated");
    write(
        &g,
        "dev/base/kustomization.yaml",
        "resources: [deployment.yaml, netpol.yaml]\n",
    );
    write(&g, "dev/base/deployment.yaml", &good_deployment());
    write(&g, "dev/base/netpol.yaml", &deny_policy("kv"));
    // The overlay moves everything to another namespace: the deny policy moves too.
    write(
        &g,
        "dev/overlays/prod/kustomization.yaml",
        "namespace: kv-prod\nresources: [../../base]\npatches:\n  - path: patch.yaml\n",
    );
    write(
        &g,
        "dev/overlays/prod/patch.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: cache\nspec:\n  replicas: 3\n",
    );
    write(&g, "dev/helm/values.yaml", "architecture: replication\n");
    assert_eq!(check_dir(&g), Ok(vec![]));

    // A second tree whose kustomization has no deny policy.
    write(
        &g,
        "stage/kustomization.yaml",
        "resources: [deployment.yaml]\n",
    );
    write(&g, "stage/deployment.yaml", &good_deployment());
    let v = check_dir(&g).expect("objects found").join("\n");
    assert!(
        v.contains("kustomize tree generated/stage places objects in namespace `kv`"),
        "{v}"
    );
    assert!(!v.contains("dev"), "{v}");
}

#[test]
fn an_empty_generated_dir_fails() {
    let tmp = tempfile::tempdir().expect("tempdir");
    assert!(check_dir(tmp.path()).is_err());
    assert!(check_dir(&tmp.path().join("missing")).is_err());
}

#[test]
fn a_scoped_deny_must_select_every_pod_template() {
    let deny = yaml(&deny_policy("kv").replace(
        "podSelector: {}",
        "podSelector: {matchLabels: {app.kubernetes.io/instance: kv}}",
    ));
    assert_eq!(deny_selector(&deny).map(|m| m.len()), Some(1));
    let covered = yaml(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a, namespace: kv}\nspec:\n  template:\n    metadata: {labels: {app.kubernetes.io/instance: kv, x: y}}\n",
    );
    let uncovered = yaml(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: b, namespace: kv}\nspec:\n  template:\n    metadata: {labels: {app: other}}\n",
    );
    let sel = deny_selector(&deny).unwrap();
    let sees = |o: &Value| {
        pod_template_labels(o)
            .iter()
            .all(|(_, l)| sel.iter().all(|(k, v)| l.get(k) == Some(v)))
    };
    assert!(sees(&covered));
    assert!(!sees(&uncovered));
}
