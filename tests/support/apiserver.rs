//! A stand-in Kubernetes API server for tests: hyper 1 on 127.0.0.1, plain HTTP.
//!
//! It speaks the REST protocol for the verbs `rkv diff` uses and models just enough of
//! the real server's semantics for the diff to be tested against it. What it models:
//!
//! - **Discovery** in the legacy form only (`/api`, `/api/v1`, `/apis`,
//!   `/apis/<group>/<version>`), with a `<plural>/status` subresource per kind.
//! - **GET** of one object, **LIST** in one namespace or across all namespaces
//!   (`/api/v1/configmaps`), with an equality `labelSelector`; list items lack
//!   `apiVersion` and `kind`, as real servers send them.
//! - **Server-side apply** (`PATCH`, `application/apply-patch+yaml`, `dryRun=All` only,
//!   `fieldManager` required), for updates and creates alike (201 for a create).
//!   Field ownership is kept per manager as a set of field paths: a path goes through
//!   maps key by key and ends at a scalar, an empty map or a list (lists are atomic: a
//!   real server merges lists with merge keys such as `containers` by name; this one does
//!   not). An apply removes every field its manager owned before and no longer sends,
//!   unless another manager owns it too; the manager then owns exactly what it sent; with
//!   `force`, fields whose value it changes are taken from their other owners (without
//!   `force` such a change is a 409 conflict, as on a real server). `metadata.managedFields`
//!   is rendered in the real `FieldsV1` form. [`FakeApiServer::seed`] stores objects as an
//!   `Update` by `kubectl` (client-side apply), [`FakeApiServer::seed_applied`] as an
//!   `Apply` by a named manager.
//! - **Immutable fields**, refused with 422 `Invalid` and `details.causes` in the real
//!   wording: a StatefulSet's spec beyond `replicas`, `ordinals`, `template`,
//!   `updateStrategy`, `persistentVolumeClaimRetentionPolicy` and `minReadySeconds`; a
//!   PersistentVolumeClaim's spec beyond growing `resources.requests.storage`; a Job's
//!   `spec.selector` and `spec.template`; a Deployment's `spec.selector`.
//! - **CustomResourceDefinitions** ([`FakeApiServer::add_crd`]): the CRD object itself
//!   (GET and LIST under `apiextensions.k8s.io/v1`), each served version in discovery, and
//!   for custom resources written through apply the structural-schema behaviour: unknown
//!   fields are pruned (`properties`, `items`, `additionalProperties`,
//!   `x-kubernetes-preserve-unknown-fields`; `apiVersion`, `kind` and `metadata` kept at
//!   the root) and a wrong `type` is a 422 naming the field.
//! - **Namespaces**: seeding a namespaced object creates its `Namespace` (a cluster that
//!   holds the object has it); once [`FakeApiServer::require_namespaces`] is called, an
//!   apply into a namespace without a stored `Namespace` object is a 404
//!   `namespaces "x" not found`.
//! - **Faults**, injected per test by method and path: any `kind: Status` error, or a hang.
//!
//! Not modelled: defaulting, admission webhooks (inject a fault with the webhook's
//! message), RBAC (inject 403s), CEL rules, conversion between versions, watches, writes
//! that are not dry runs.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Map, Value, json};
use tokio::net::TcpListener;

/// One kind the server serves.
#[derive(Debug, Clone)]
pub struct Resource {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub plural: String,
    pub namespaced: bool,
    pub verbs: &'static [&'static str],
}

const ALL_VERBS: &[&str] = &[
    "create", "delete", "get", "list", "patch", "update", "watch",
];

impl Resource {
    pub fn new(
        group: impl Into<String>,
        version: impl Into<String>,
        kind: impl Into<String>,
        plural: impl Into<String>,
        namespaced: bool,
    ) -> Self {
        Self {
            group: group.into(),
            version: version.into(),
            kind: kind.into(),
            plural: plural.into(),
            namespaced,
            verbs: ALL_VERBS,
        }
    }

    fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `plural.group` (or `plural` for the core group), as the server names resources.
    fn group_resource(&self) -> String {
        if self.group.is_empty() {
            self.plural.clone()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    /// `Kind.group` (or `Kind`), as validation messages name kinds.
    fn group_kind(&self) -> String {
        if self.group.is_empty() {
            self.kind.clone()
        } else {
            format!("{}.{}", self.kind, self.group)
        }
    }
}

/// The built-in kinds every test cluster has.
pub fn builtin_resources() -> Vec<Resource> {
    vec![
        Resource::new("", "v1", "ConfigMap", "configmaps", true),
        Resource::new("", "v1", "Secret", "secrets", true),
        Resource::new("", "v1", "Service", "services", true),
        Resource::new("", "v1", "Namespace", "namespaces", false),
        Resource::new(
            "",
            "v1",
            "PersistentVolumeClaim",
            "persistentvolumeclaims",
            true,
        ),
        Resource::new("apps", "v1", "Deployment", "deployments", true),
        Resource::new("apps", "v1", "StatefulSet", "statefulsets", true),
        Resource::new("batch", "v1", "Job", "jobs", true),
        Resource::new("batch", "v1", "CronJob", "cronjobs", true),
        Resource::new(
            "policy",
            "v1",
            "PodDisruptionBudget",
            "poddisruptionbudgets",
            true,
        ),
        Resource::new(
            "networking.k8s.io",
            "v1",
            "NetworkPolicy",
            "networkpolicies",
            true,
        ),
        Resource::new(
            "storage.k8s.io",
            "v1",
            "StorageClass",
            "storageclasses",
            false,
        ),
        Resource::new(
            "apiextensions.k8s.io",
            "v1",
            "CustomResourceDefinition",
            "customresourcedefinitions",
            false,
        ),
    ]
}

/// The Spotahome operator's kind, served without a CRD object (no schema).
pub fn redisfailover_resource() -> Resource {
    Resource::new(
        "databases.spotahome.com",
        "v1",
        "RedisFailover",
        "redisfailovers",
        true,
    )
}

/// What an injected fault answers.
#[derive(Debug, Clone)]
pub enum Respond {
    /// A `kind: Status` error body with this code, reason and message.
    Status {
        code: u16,
        reason: &'static str,
        message: String,
    },
    /// Never answer (the client's timeout must fire).
    Hang,
}

/// A fault: requests whose method matches (any when `None`) and whose path with query
/// contains `path_contains` get `respond` instead of the normal answer.
#[derive(Debug, Clone)]
pub struct Fault {
    pub method: Option<Method>,
    pub path_contains: String,
    pub respond: Respond,
}

impl Fault {
    pub fn status(
        method: Option<Method>,
        path_contains: &str,
        code: u16,
        reason: &'static str,
        message: &str,
    ) -> Self {
        Self {
            method,
            path_contains: path_contains.to_string(),
            respond: Respond::Status {
                code,
                reason,
                message: message.to_string(),
            },
        }
    }
}

/// (plural, group, namespace, name)
type ObjKey = (String, String, String, String);

/// A field path: map keys from the root; the last names a scalar, list or empty map.
type FieldPath = Vec<String>;

/// What one field manager owns of one object.
#[derive(Debug, Clone, Default)]
struct Owner {
    /// `Apply` or `Update`.
    operation: String,
    fields: BTreeSet<FieldPath>,
}

#[derive(Default)]
struct State {
    resources: Vec<Resource>,
    objects: BTreeMap<ObjKey, Value>,
    /// Per object, per manager.
    owners: BTreeMap<ObjKey, BTreeMap<String, Owner>>,
    /// `openAPIV3Schema` per (group, version, kind) of each CRD added.
    schemas: BTreeMap<(String, String, String), Value>,
    require_namespaces: bool,
    faults: Vec<Fault>,
    log: Vec<String>,
    resource_version: u64,
}

/// A running stand-in API server; it stops with the test's runtime.
#[derive(Clone)]
pub struct FakeApiServer {
    state: Arc<Mutex<State>>,
    pub addr: SocketAddr,
}

impl FakeApiServer {
    /// Starts a server serving `resources` on a free loopback port.
    pub async fn start(resources: Vec<Resource>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let state = Arc::new(Mutex::new(State {
            resources,
            ..State::default()
        }));
        let server_state = state.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let state = server_state.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| {
                        let state = state.clone();
                        async move { Ok::<_, Infallible>(handle(state, req).await) }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self { state, addr }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stores `obj` as `kubectl apply` (client-side) would: an `Update` by `kubectl` that
    /// owns every field, with uid, resourceVersion, creationTimestamp, generation,
    /// managedFields and status.
    pub fn seed(&self, obj: Value) {
        self.store(obj, "kubectl", "Update");
    }

    /// Stores `obj` as a server-side apply by `manager` would.
    pub fn seed_applied(&self, obj: Value, manager: &str) {
        self.store(obj, manager, "Apply");
    }

    fn store(&self, obj: Value, manager: &str, operation: &str) {
        let mut st = self.state.lock().unwrap();
        let res = find_kind(&st.resources, &obj).expect("seeded kind is served");
        let key = key_of(&res, &obj);
        let owners = BTreeMap::from([(
            manager.to_string(),
            Owner {
                operation: operation.to_string(),
                fields: leaves(&obj),
            },
        )]);
        // An object lives in a namespace: a real cluster that holds it has the namespace.
        if res.namespaced {
            let ns_key = (
                "namespaces".into(),
                String::new(),
                String::new(),
                key.2.clone(),
            );
            if !st.objects.contains_key(&ns_key) {
                let ns = json!({"apiVersion": "v1", "kind": "Namespace",
                                "metadata": {"name": key.2}});
                let ns_owners = BTreeMap::from([(
                    "kubectl".to_string(),
                    Owner {
                        operation: "Update".into(),
                        fields: leaves(&ns),
                    },
                )]);
                let ns = server_fields(&mut st, ns, None, &ns_owners);
                st.owners.insert(ns_key.clone(), ns_owners);
                st.objects.insert(ns_key, ns);
            }
        }
        let obj = server_fields(&mut st, obj, None, &owners);
        st.owners.insert(key.clone(), owners);
        st.objects.insert(key, obj);
    }

    /// Installs a CustomResourceDefinition: the object itself, and each of its served
    /// versions as a kind with the version's schema.
    pub fn add_crd(&self, crd: Value) {
        let mut st = self.state.lock().unwrap();
        let spec = &crd["spec"];
        let group = spec["group"].as_str().expect("CRD group").to_string();
        let kind = spec["names"]["kind"]
            .as_str()
            .expect("CRD kind")
            .to_string();
        let plural = spec["names"]["plural"]
            .as_str()
            .expect("CRD plural")
            .to_string();
        let namespaced = spec["scope"].as_str() != Some("Cluster");
        for v in spec["versions"].as_array().expect("CRD versions") {
            let name = v["name"].as_str().expect("version name").to_string();
            if v["served"].as_bool() == Some(false) {
                continue;
            }
            st.resources
                .retain(|r| !(r.group == group && r.version == name && r.plural == plural));
            st.resources.push(Resource::new(
                group.clone(),
                name.clone(),
                kind.clone(),
                plural.clone(),
                namespaced,
            ));
            if let Some(schema) = v.pointer("/schema/openAPIV3Schema") {
                st.schemas
                    .insert((group.clone(), name, kind.clone()), schema.clone());
            }
        }
        drop(st);
        self.seed(crd);
    }

    /// From now on, applying into a namespace with no `Namespace` object is a 404.
    pub fn require_namespaces(&self) {
        self.state.lock().unwrap().require_namespaces = true;
    }

    pub fn inject(&self, fault: Fault) {
        self.state.lock().unwrap().faults.push(fault);
    }

    /// Every request served so far: `METHOD /path?query`.
    pub fn log(&self) -> Vec<String> {
        self.state.lock().unwrap().log.clone()
    }

    /// A kubeconfig for this server in `dir`, current context `fake` (namespace `redis`).
    pub fn kubeconfig(&self, dir: &Path) -> PathBuf {
        write_kubeconfig(dir, &self.url(), "fake")
    }
}

/// A kubeconfig with two contexts: `fake` pointing at `server` and `dead` at a closed
/// port; `current` names the current context.
pub fn write_kubeconfig(dir: &Path, server: &str, current: &str) -> PathBuf {
    let path = dir.join("kubeconfig");
    let text = format!(
        "apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster:
    server: {server}
- name: dead
  cluster:
    server: http://127.0.0.1:9
contexts:
- name: fake
  context:
    cluster: fake
    user: tester
    namespace: redis
- name: dead
  context:
    cluster: dead
    user: tester
current-context: {current}
users:
- name: tester
  user:
    token: test-token
"
    );
    std::fs::write(&path, text).expect("write kubeconfig");
    path
}

fn find_kind(resources: &[Resource], obj: &Value) -> Option<Resource> {
    let api_version = obj["apiVersion"].as_str()?;
    let kind = obj["kind"].as_str()?;
    resources
        .iter()
        .find(|r| r.api_version() == api_version && r.kind == kind)
        .cloned()
}

fn key_of(res: &Resource, obj: &Value) -> ObjKey {
    let ns = if res.namespaced {
        obj["metadata"]["namespace"]
            .as_str()
            .unwrap_or("default")
            .to_string()
    } else {
        String::new()
    };
    (
        res.plural.clone(),
        res.group.clone(),
        ns,
        obj["metadata"]["name"].as_str().unwrap_or("").to_string(),
    )
}

/// Fields the server owns or that name the object: never owned by a manager.
fn is_identity(path: &[String]) -> bool {
    match path {
        [first, ..] if first == "apiVersion" || first == "kind" || first == "status" => true,
        [m, field, ..] if m == "metadata" => matches!(
            field.as_str(),
            "name"
                | "namespace"
                | "uid"
                | "resourceVersion"
                | "creationTimestamp"
                | "generation"
                | "managedFields"
                | "selfLink"
        ),
        _ => false,
    }
}

/// Every field path of `obj` (see [`FieldPath`]), identity fields left out.
fn leaves(obj: &Value) -> BTreeSet<FieldPath> {
    fn walk(v: &Value, path: &mut FieldPath, out: &mut BTreeSet<FieldPath>) {
        match v {
            Value::Object(m) if !m.is_empty() => {
                for (k, child) in m {
                    path.push(k.clone());
                    walk(child, path, out);
                    path.pop();
                }
            }
            _ => {
                if !path.is_empty() && !is_identity(path) {
                    out.insert(path.clone());
                }
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(obj, &mut Vec::new(), &mut out);
    out
}

fn get_path<'a>(v: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(v, |cur, k| cur.get(k))
}

/// Removes the field at `path`, then every map on the way that it left empty.
fn remove_path(v: &mut Value, path: &[String]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let Some(Value::Object(parent)) = parents.iter().try_fold(&mut *v, |cur, k| cur.get_mut(k))
    else {
        return;
    };
    parent.shift_remove(last);
    if parent.is_empty() && !parents.is_empty() {
        remove_path(v, parents);
    }
}

/// The `FieldsV1` trie of a set of paths: `{"f:spec": {"f:replicas": {}}}`.
fn fields_v1(fields: &BTreeSet<FieldPath>) -> Value {
    fn insert(m: &mut Map<String, Value>, path: &[String]) {
        if let Some((k, rest)) = path.split_first()
            && let Value::Object(child) = m
                .entry(format!("f:{k}"))
                .or_insert_with(|| Value::Object(Map::new()))
        {
            insert(child, rest);
        }
    }
    let mut root = Map::new();
    for path in fields {
        insert(&mut root, path);
    }
    Value::Object(root)
}

/// Adds what a server sets on write; `previous` keeps uid and creationTimestamp.
fn server_fields(
    st: &mut State,
    mut obj: Value,
    previous: Option<&Value>,
    owners: &BTreeMap<String, Owner>,
) -> Value {
    st.resource_version += 1;
    let rv = st.resource_version.to_string();
    let prev_meta = previous.map(|p| p["metadata"].clone()).unwrap_or(json!({}));
    let api_version = obj["apiVersion"].clone();
    let managed: Vec<Value> = owners
        .iter()
        .map(|(manager, o)| {
            json!({"manager": manager, "operation": o.operation, "apiVersion": api_version,
                   "time": "2024-05-01T10:00:00Z", "fieldsType": "FieldsV1",
                   "fieldsV1": fields_v1(&o.fields)})
        })
        .collect();
    let meta = obj["metadata"].as_object_mut().expect("metadata is a map");
    meta.insert(
        "uid".into(),
        prev_meta
            .get("uid")
            .cloned()
            .unwrap_or_else(|| json!(format!("00000000-0000-0000-0000-{:012}", rv))),
    );
    meta.insert("resourceVersion".into(), json!(rv));
    meta.insert(
        "creationTimestamp".into(),
        prev_meta
            .get("creationTimestamp")
            .cloned()
            .unwrap_or_else(|| json!("2024-05-01T10:00:00Z")),
    );
    meta.insert("generation".into(), json!(2));
    meta.insert("managedFields".into(), Value::Array(managed));
    obj.as_object_mut()
        .expect("object")
        .insert("status".into(), json!({"observedGeneration": 2}));
    obj
}

fn merge(into: &mut Value, patch: &Value) {
    match (into, patch) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                match a.get_mut(k) {
                    Some(existing) => merge(existing, v),
                    None => {
                        a.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (a, b) => *a = b.clone(),
    }
}

/// Server-side apply of `patch` by `manager` onto `live` (see the module doc); `Err`
/// holds the conflicting fields when `force` is off.
fn apply(
    live: &mut Value,
    patch: &Value,
    owners: &mut BTreeMap<String, Owner>,
    manager: &str,
    force: bool,
) -> Result<(), Vec<(String, FieldPath)>> {
    let sent = leaves(patch);
    let changed = |p: &FieldPath| get_path(live, p) != get_path(patch, p);
    let mut conflicts = Vec::new();
    for (other, o) in owners.iter() {
        if other == manager {
            continue;
        }
        for p in o.fields.intersection(&sent) {
            if changed(p) {
                conflicts.push((other.clone(), p.clone()));
            }
        }
    }
    if !conflicts.is_empty() && !force {
        return Err(conflicts);
    }
    let before: BTreeSet<FieldPath> = owners
        .get(manager)
        .map(|o| o.fields.clone())
        .unwrap_or_default();
    for p in before.difference(&sent) {
        let shared = owners
            .iter()
            .any(|(m, o)| m != manager && o.fields.contains(p));
        if !shared {
            remove_path(live, p);
        }
    }
    for (other, p) in &conflicts {
        if let Some(o) = owners.get_mut(other) {
            o.fields.remove(p);
        }
    }
    owners.retain(|_, o| !o.fields.is_empty());
    merge(live, patch);
    owners.insert(
        manager.to_string(),
        Owner {
            operation: "Apply".into(),
            fields: sent,
        },
    );
    Ok(())
}

/// Drops the fields the structural `schema` does not declare (the API server's pruning).
fn prune(v: &mut Value, schema: &Value, root: bool) {
    let preserve = schema["x-kubernetes-preserve-unknown-fields"].as_bool() == Some(true);
    match v {
        Value::Object(m) => {
            let props = schema["properties"].as_object();
            let additional = &schema["additionalProperties"];
            let keys: Vec<String> = m.keys().cloned().collect();
            for k in keys {
                if root && matches!(k.as_str(), "apiVersion" | "kind" | "metadata") {
                    continue;
                }
                let child_schema = props.and_then(|p| p.get(&k)).or(match additional {
                    Value::Object(_) => Some(additional),
                    _ => None,
                });
                match child_schema {
                    Some(s) => {
                        if let Some(child) = m.get_mut(&k) {
                            prune(child, s, false);
                        }
                    }
                    None if preserve || additional.as_bool() == Some(true) => {}
                    None => {
                        m.shift_remove(&k);
                    }
                }
            }
        }
        Value::Array(items) if schema["items"].is_object() => {
            for item in items {
                prune(item, &schema["items"], false);
            }
        }
        _ => {}
    }
}

/// Type errors against `schema`: (field path, message) in the server's wording.
fn type_errors(v: &Value, schema: &Value, path: &str, out: &mut Vec<(String, String)>) {
    if v.is_null() && schema["nullable"].as_bool() == Some(true) {
        return;
    }
    let int_or_string = schema["x-kubernetes-int-or-string"].as_bool() == Some(true);
    let ok = match schema["type"].as_str() {
        _ if int_or_string => v.is_string() || v.is_i64() || v.is_u64(),
        Some("object") => v.is_object(),
        Some("array") => v.is_array(),
        Some("string") => v.is_string(),
        Some("integer") => v.is_i64() || v.is_u64(),
        Some("number") => v.is_number(),
        Some("boolean") => v.is_boolean(),
        _ => true,
    };
    if !ok {
        let found = match v {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        };
        let want = schema["type"].as_str().unwrap_or("");
        out.push((
            path.to_string(),
            format!(
                "Invalid value: \"{found}\": {path} in body must be of type {want}: \"{found}\""
            ),
        ));
        return;
    }
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                let child_path = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                if path.is_empty() && k == "metadata" {
                    continue;
                }
                if let Some(s) = schema["properties"].get(k) {
                    type_errors(child, s, &child_path, out);
                } else if schema["additionalProperties"].is_object() {
                    type_errors(child, &schema["additionalProperties"], &child_path, out);
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                type_errors(item, &schema["items"], &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// 422 `Invalid` with one cause per (field, message), in the real server's shape.
fn invalid(res: &Resource, name: &str, causes: &[(String, String, &str)]) -> Response<Full<Bytes>> {
    let summary: Vec<String> = causes
        .iter()
        .map(|(field, message, _)| format!("{field}: {message}"))
        .collect();
    let message = format!(
        "{} \"{name}\" is invalid: {}",
        res.group_kind(),
        if summary.len() == 1 {
            summary[0].clone()
        } else {
            format!("[{}]", summary.join(", "))
        }
    );
    respond(
        422,
        &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": message, "reason": "Invalid", "code": 422,
                "details": {"name": name, "group": res.group, "kind": res.kind,
                            "causes": causes.iter().map(|(field, message, reason)| json!({
                                "reason": reason, "message": message, "field": field,
                            })).collect::<Vec<_>>()}}),
    )
}

const STS_MUTABLE: [&str; 6] = [
    "replicas",
    "ordinals",
    "template",
    "updateStrategy",
    "persistentVolumeClaimRetentionPolicy",
    "minReadySeconds",
];

/// The 422 a real server gives when `merged` changes an immutable field of `previous`.
fn immutable(
    res: &Resource,
    name: &str,
    previous: &Value,
    merged: &Value,
) -> Option<Response<Full<Bytes>>> {
    let spec = |v: &Value| v.get("spec").cloned().unwrap_or(Value::Null);
    let (old, new) = (spec(previous), spec(merged));
    let without = |v: &Value, keys: &[&str]| {
        let mut v = v.clone();
        if let Value::Object(m) = &mut v {
            for k in keys {
                m.shift_remove(*k);
            }
        }
        v
    };
    let forbidden = |message: &str| {
        Some(invalid(
            res,
            name,
            &[(
                "spec".into(),
                format!("Forbidden: {message}"),
                "FieldValueForbidden",
            )],
        ))
    };
    match (res.group.as_str(), res.kind.as_str()) {
        ("apps", "StatefulSet") if without(&old, &STS_MUTABLE) != without(&new, &STS_MUTABLE) => {
            forbidden(
                "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
            )
        }
        ("", "PersistentVolumeClaim") => {
            let size = |v: &Value| {
                v.pointer("/resources/requests/storage")
                    .and_then(Value::as_str)
                    .map(quantity)
            };
            let shrinks = matches!((size(&old), size(&new)), (Some(a), Some(b)) if b < a);
            let strip = |v: &Value| {
                let mut v = v.clone();
                if let Some(Value::Object(r)) = v.pointer_mut("/resources/requests") {
                    r.shift_remove("storage");
                }
                without(&v, &["volumeAttributesClassName"])
            };
            if shrinks {
                Some(invalid(
                    res,
                    name,
                    &[(
                        "spec.resources.requests.storage".into(),
                        "Forbidden: field can not be less than previous value".into(),
                        "FieldValueForbidden",
                    )],
                ))
            } else if strip(&old) != strip(&new) {
                forbidden(
                    "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims",
                )
            } else {
                None
            }
        }
        ("batch", "Job") | ("apps", "Deployment") => {
            let fields: &[&str] = if res.kind == "Job" {
                &["selector", "template"]
            } else {
                &["selector"]
            };
            let causes: Vec<(String, String, &str)> = fields
                .iter()
                .filter(|f| old.get(**f) != new.get(**f) && old.get(**f).is_some())
                .map(|f| {
                    (
                        format!("spec.{f}"),
                        format!(
                            "Invalid value: {}: field is immutable",
                            new.get(*f).cloned().unwrap_or(Value::Null)
                        ),
                        "FieldValueInvalid",
                    )
                })
                .collect();
            (!causes.is_empty()).then(|| invalid(res, name, &causes))
        }
        _ => None,
    }
}

/// Bytes of a quantity like `20Gi`, `500M` or `1000` (enough for comparing sizes).
fn quantity(q: &str) -> u128 {
    let digits: String = q.chars().take_while(char::is_ascii_digit).collect();
    let n: u128 = digits.parse().unwrap_or(0);
    let unit = &q[digits.len()..];
    let mult: u128 = match unit {
        "Ki" => 1 << 10,
        "Mi" => 1 << 20,
        "Gi" => 1 << 30,
        "Ti" => 1 << 40,
        "k" => 1_000,
        "M" => 1_000_000,
        "G" => 1_000_000_000,
        "T" => 1_000_000_000_000,
        _ => 1,
    };
    n * mult
}

fn respond(code: u16, body: &Value) -> Response<Full<Bytes>> {
    Response::builder()
        .status(StatusCode::from_u16(code).expect("status code"))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("response")
}

fn status(code: u16, reason: &str, message: &str) -> Response<Full<Bytes>> {
    respond(
        code,
        &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": message, "reason": reason, "code": code}),
    )
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                    }
                    Err(_) => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn query_params(query: &str) -> BTreeMap<String, String> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (percent_decode(k), percent_decode(v)),
            None => (percent_decode(p), String::new()),
        })
        .collect()
}

fn matches_selector(obj: &Value, selector: &str) -> bool {
    selector.split(',').filter(|s| !s.is_empty()).all(|term| {
        let (k, v) = term
            .split_once("==")
            .or_else(|| term.split_once('='))
            .unwrap_or((term, ""));
        obj["metadata"]["labels"][k].as_str() == Some(v)
    })
}

async fn handle(state: Arc<Mutex<State>>, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let content_type = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let full = if query.is_empty() {
        path.clone()
    } else {
        format!("{path}?{query}")
    };
    let fault = {
        let mut st = state.lock().unwrap();
        st.log.push(format!("{method} {full}"));
        st.faults
            .iter()
            .find(|f| {
                f.method.as_ref().is_none_or(|m| *m == method) && full.contains(&f.path_contains)
            })
            .map(|f| f.respond.clone())
    };
    match fault {
        Some(Respond::Status {
            code,
            reason,
            message,
        }) => return status(code, reason, &message),
        Some(Respond::Hang) => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            return status(504, "Timeout", "hung");
        }
        None => {}
    }
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return status(400, "BadRequest", "unreadable body"),
    };
    let mut st = state.lock().unwrap();
    route(&mut st, &method, &path, &query, &content_type, &body)
}

fn not_found_resource() -> Response<Full<Bytes>> {
    status(
        404,
        "NotFound",
        "the server could not find the requested resource",
    )
}

fn route(
    st: &mut State,
    method: &Method,
    path: &str,
    query: &str,
    content_type: &str,
    body: &[u8],
) -> Response<Full<Bytes>> {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    // Discovery.
    match (method, segs.as_slice()) {
        (&Method::GET, ["api"]) => {
            return respond(
                200,
                &json!({"kind": "APIVersions", "versions": ["v1"],
                        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]}),
            );
        }
        (&Method::GET, ["apis"]) => {
            let mut groups: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
            for r in st.resources.iter().filter(|r| !r.group.is_empty()) {
                let versions = groups.entry(r.group.as_str()).or_default();
                if !versions.contains(&r.version.as_str()) {
                    versions.push(r.version.as_str());
                }
            }
            let groups: Vec<Value> = groups
                .into_iter()
                .map(|(g, vs)| {
                    let versions: Vec<Value> = vs
                        .iter()
                        .map(|v| json!({"groupVersion": format!("{g}/{v}"), "version": v}))
                        .collect();
                    json!({"name": g, "versions": versions, "preferredVersion": versions[0]})
                })
                .collect();
            return respond(
                200,
                &json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}),
            );
        }
        (&Method::GET, ["api", version]) => return resource_list(st, "", version),
        (&Method::GET, ["apis", group, version]) => return resource_list(st, group, version),
        _ => {}
    }
    let (group, version, rest) = match segs.as_slice() {
        ["api", version, rest @ ..] => ("", *version, rest),
        ["apis", group, version, rest @ ..] => (*group, *version, rest),
        _ => return not_found_resource(),
    };
    let (namespace, plural, name) = match rest {
        ["namespaces", ns, plural] => (Some(*ns), *plural, None),
        ["namespaces", ns, plural, name] => (Some(*ns), *plural, Some(*name)),
        [plural] => (None, *plural, None),
        [plural, name] => (None, *plural, Some(*name)),
        _ => return not_found_resource(),
    };
    let Some(res) = st
        .resources
        .iter()
        .find(|r| r.group == group && r.version == version && r.plural == plural)
        .cloned()
    else {
        return not_found_resource();
    };
    let ns = namespace.unwrap_or("").to_string();
    let not_found = |name: &str| {
        status(
            404,
            "NotFound",
            &format!("{} \"{name}\" not found", res.group_resource()),
        )
    };
    let params = query_params(query);
    match (method, name) {
        (&Method::GET, Some(name)) => {
            let key = (plural.into(), group.into(), ns, name.into());
            match st.objects.get(&key) {
                Some(obj) => respond(200, obj),
                None => not_found(name),
            }
        }
        (&Method::GET, None) => {
            let selector = params.get("labelSelector").cloned().unwrap_or_default();
            let items: Vec<Value> = st
                .objects
                .iter()
                .filter(|((p, g, o_ns, _), _)| {
                    p == plural && g == group && (namespace.is_none() || *o_ns == ns)
                })
                .filter(|(_, obj)| matches_selector(obj, &selector))
                .map(|(_, obj)| {
                    // Real servers leave apiVersion and kind out of list items.
                    let mut item = obj.clone();
                    if let Some(m) = item.as_object_mut() {
                        m.shift_remove("apiVersion");
                        m.shift_remove("kind");
                    }
                    item
                })
                .collect();
            respond(
                200,
                &json!({"kind": format!("{}List", res.kind), "apiVersion": res.api_version(),
                        "metadata": {"resourceVersion": st.resource_version.to_string()},
                        "items": items}),
            )
        }
        (&Method::PATCH, Some(name)) => {
            if content_type != "application/apply-patch+yaml" {
                return status(
                    415,
                    "UnsupportedMediaType",
                    &format!(
                        "the body of the request was in an unknown format - accepted media types include: application/apply-patch+yaml (got {content_type})"
                    ),
                );
            }
            if params.get("dryRun").map(String::as_str) != Some("All") {
                return status(400, "BadRequest", "this stand-in only serves dryRun=All");
            }
            let Some(manager) = params.get("fieldManager").cloned() else {
                return status(
                    422,
                    "Invalid",
                    "fieldManager is required for apply requests",
                );
            };
            let force = params.get("force").map(String::as_str) == Some("true");
            let Ok(patch) = serde_json::from_slice::<Value>(body) else {
                return status(400, "BadRequest", "the apply patch is not JSON/YAML");
            };
            if patch["metadata"]["name"].as_str() != Some(name) {
                return status(400, "BadRequest", "the name of the object does not match");
            }
            if res.namespaced
                && st.require_namespaces
                && !st.objects.contains_key(&(
                    "namespaces".into(),
                    String::new(),
                    String::new(),
                    ns.clone(),
                ))
            {
                return status(404, "NotFound", &format!("namespaces \"{ns}\" not found"));
            }
            let key = (plural.into(), group.into(), ns, name.into());
            let previous = st.objects.get(&key).cloned();
            let mut owners = st.owners.get(&key).cloned().unwrap_or_default();
            let mut merged = previous.clone().unwrap_or_else(|| json!({"metadata": {}}));
            if let Err(conflicts) = apply(&mut merged, &patch, &mut owners, &manager, force) {
                let list: Vec<String> = conflicts
                    .iter()
                    .map(|(m, p)| format!("conflict with \"{m}\": .{}", p.join(".")))
                    .collect();
                return status(
                    409,
                    "Conflict",
                    &format!(
                        "Apply failed with {} conflict(s): {}",
                        list.len(),
                        list.join(", ")
                    ),
                );
            }
            let schema_key = (res.group.clone(), res.version.clone(), res.kind.clone());
            if let Some(schema) = st.schemas.get(&schema_key) {
                prune(&mut merged, schema, true);
                let mut errors = Vec::new();
                type_errors(&merged, schema, "", &mut errors);
                if !errors.is_empty() {
                    let causes: Vec<(String, String, &str)> = errors
                        .into_iter()
                        .map(|(f, m)| (f, m, "FieldValueTypeInvalid"))
                        .collect();
                    return invalid(&res, name, &causes);
                }
            }
            if let Some(prev) = &previous
                && let Some(refusal) = immutable(&res, name, prev, &merged)
            {
                return refusal;
            }
            let merged = server_fields(st, merged, previous.as_ref(), &owners);
            // dryRun=All: nothing is stored.
            respond(if previous.is_some() { 200 } else { 201 }, &merged)
        }
        _ => status(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
        ),
    }
}

fn resource_list(st: &State, group: &str, version: &str) -> Response<Full<Bytes>> {
    let resources: Vec<Value> = st
        .resources
        .iter()
        .filter(|r| r.group == group && r.version == version)
        .flat_map(|r| {
            let main = json!({"name": r.plural, "singularName": "", "namespaced": r.namespaced,
                              "kind": r.kind, "verbs": r.verbs});
            let status = json!({"name": format!("{}/status", r.plural), "singularName": "",
                                "namespaced": r.namespaced, "kind": r.kind,
                                "verbs": ["get", "patch", "update"]});
            [main, status]
        })
        .collect();
    if resources.is_empty() {
        return not_found_resource();
    }
    let gv = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    respond(
        200,
        &json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv,
                "resources": resources}),
    )
}
