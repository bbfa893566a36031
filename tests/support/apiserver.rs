//! A stand-in Kubernetes API server for tests: hyper 1 on 127.0.0.1, plain HTTP.
//!
//! It speaks the REST protocol for the verbs `rkv diff` uses: legacy discovery
//! (`/api`, `/api/v1`, `/apis`, `/apis/<group>/<version>`), GET of one object, LIST
//! with an equality `labelSelector`, PATCH with `application/apply-patch+yaml` and
//! `dryRun=All` (a deep merge of the patch into the stored object, with the fields a
//! server sets), and `kind: Status` error bodies. Faults are injected per test.
#![allow(dead_code)]

use std::collections::BTreeMap;
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
use serde_json::{Value, json};
use tokio::net::TcpListener;

/// One kind the server serves.
#[derive(Debug, Clone)]
pub struct Resource {
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    pub plural: &'static str,
    pub namespaced: bool,
    pub verbs: &'static [&'static str],
}

const ALL_VERBS: &[&str] = &[
    "create", "delete", "get", "list", "patch", "update", "watch",
];

impl Resource {
    pub fn new(
        group: &'static str,
        version: &'static str,
        kind: &'static str,
        plural: &'static str,
        namespaced: bool,
    ) -> Self {
        Self {
            group,
            version,
            kind,
            plural,
            namespaced,
            verbs: ALL_VERBS,
        }
    }

    fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
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
        Resource::new("apps", "v1", "Deployment", "deployments", true),
        Resource::new("apps", "v1", "StatefulSet", "statefulsets", true),
        Resource::new(
            "policy",
            "v1",
            "PodDisruptionBudget",
            "poddisruptionbudgets",
            true,
        ),
    ]
}

/// The Spotahome operator's CRD.
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

#[derive(Default)]
struct State {
    resources: Vec<Resource>,
    objects: BTreeMap<ObjKey, Value>,
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

    /// Stores `obj` as the server would: with uid, resourceVersion, creationTimestamp,
    /// generation, managedFields and status.
    pub fn seed(&self, obj: Value) {
        let mut st = self.state.lock().unwrap();
        let res = find_kind(&st.resources, &obj).expect("seeded kind is served");
        let key = key_of(&res, &obj);
        let obj = server_fields(&mut st, obj, None, "kubectl", "Update");
        st.objects.insert(key, obj);
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
        res.plural.to_string(),
        res.group.to_string(),
        ns,
        obj["metadata"]["name"].as_str().unwrap_or("").to_string(),
    )
}

/// Adds what a server sets on write; `previous` keeps uid and creationTimestamp.
fn server_fields(
    st: &mut State,
    mut obj: Value,
    previous: Option<&Value>,
    manager: &str,
    operation: &str,
) -> Value {
    st.resource_version += 1;
    let rv = st.resource_version.to_string();
    let prev_meta = previous.map(|p| p["metadata"].clone()).unwrap_or(json!({}));
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
    meta.insert(
        "managedFields".into(),
        json!([{"manager": manager, "operation": operation, "apiVersion": "v1",
                "time": "2024-05-01T10:00:00Z", "fieldsType": "FieldsV1", "fieldsV1": {}}]),
    );
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
                let versions = groups.entry(r.group).or_default();
                if !versions.contains(&r.version) {
                    versions.push(r.version);
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
        _ => {
            return status(
                404,
                "NotFound",
                "the server could not find the requested resource",
            );
        }
    };
    let (namespace, plural, name) = match rest {
        ["namespaces", ns, plural] => (Some(*ns), *plural, None),
        ["namespaces", ns, plural, name] => (Some(*ns), *plural, Some(*name)),
        [plural] => (None, *plural, None),
        [plural, name] => (None, *plural, Some(*name)),
        _ => {
            return status(
                404,
                "NotFound",
                "the server could not find the requested resource",
            );
        }
    };
    let Some(res) = st
        .resources
        .iter()
        .find(|r| r.group == group && r.version == version && r.plural == plural)
        .cloned()
    else {
        return status(
            404,
            "NotFound",
            "the server could not find the requested resource",
        );
    };
    let ns = namespace.unwrap_or("").to_string();
    let not_found = |name: &str| {
        let group_res = if res.group.is_empty() {
            res.plural.to_string()
        } else {
            format!("{}.{}", res.plural, res.group)
        };
        status(
            404,
            "NotFound",
            &format!("{group_res} \"{name}\" not found"),
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
            let Ok(patch) = serde_json::from_slice::<Value>(body) else {
                return status(400, "BadRequest", "the apply patch is not JSON/YAML");
            };
            if patch["metadata"]["name"].as_str() != Some(name) {
                return status(400, "BadRequest", "the name of the object does not match");
            }
            let key = (plural.into(), group.into(), ns, name.into());
            let previous = st.objects.get(&key).cloned();
            let mut merged = previous.clone().unwrap_or_else(|| json!({"metadata": {}}));
            merge(&mut merged, &patch);
            let merged = server_fields(st, merged, previous.as_ref(), &manager, "Apply");
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
        return status(
            404,
            "NotFound",
            "the server could not find the requested resource",
        );
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
