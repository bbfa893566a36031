//! The live side from a cluster, through kube.
//!
//! In: the rendered objects and [`DiffOptions`]. Out: one [`Pair`] per rendered object
//! (live object from GET, merged object from a server-side apply dry run) and one per
//! live object with rkv's labels that is not rendered (a prune).
//!
//! Invariants: kinds are resolved through the server's discovery, never guessed; every
//! request is bounded by `opts.timeout`; at most `opts.concurrency` requests are in
//! flight; the outcome does not depend on the order requests complete in.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

use futures::{StreamExt, stream};
use kube::api::{Api, DynamicObject, ListParams, Patch, PatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::core::GroupVersionKind;
use kube::discovery::{ApiCapabilities, ApiResource, Discovery, Scope, verbs};
use kube::{Client, Config};
use serde_json::{Map, Value};

use super::error::operator_for;
use super::{
    DiffError, DiffOptions, FIELD_MANAGER, INSTANCE_LABEL, MANAGED_BY_LABEL, MissingKind, ObjKey,
    Pair, group_of, label,
};

/// What every error message needs to know about the cluster.
struct Env {
    server: String,
    timeout: Duration,
}

/// One request, for error messages: `patch` + `deployments.apps in namespace redis`.
struct Req {
    verb: &'static str,
    resource: String,
    object: Option<String>,
}

/// Loads the kubeconfig as kubectl does and bounds every connection and response.
async fn config(opts: &DiffOptions) -> Result<Config, DiffError> {
    let options = KubeConfigOptions {
        context: opts.context.clone(),
        ..Default::default()
    };
    let kubeconfig_error = |source| DiffError::Kubeconfig {
        path: opts.kubeconfig.clone(),
        context: opts.context.clone(),
        source: Box::new(source),
    };
    let mut config = if let Some(path) = &opts.kubeconfig {
        let kubeconfig = Kubeconfig::read_from(path).map_err(kubeconfig_error)?;
        Config::from_custom_kubeconfig(kubeconfig, &options)
            .await
            .map_err(kubeconfig_error)?
    } else if kubeconfig_available() || opts.context.is_some() {
        Config::from_kubeconfig(&options)
            .await
            .map_err(kubeconfig_error)?
    } else {
        Config::incluster().map_err(|source| DiffError::NoConfig {
            source: Box::new(source),
        })?
    };
    config.connect_timeout = Some(opts.timeout);
    config.read_timeout = Some(opts.timeout);
    config.write_timeout = Some(opts.timeout);
    config.reset_reader_on_write = true;
    // A diff is read-only and interactive: report a 503 rather than back off and retry.
    config.default_retry = false;
    Ok(config)
}

/// Whether `KUBECONFIG` names files or `~/.kube/config` exists (kubectl's order).
fn kubeconfig_available() -> bool {
    if std::env::var_os("KUBECONFIG").is_some_and(|v| !v.is_empty()) {
        return true;
    }
    let home = std::env::var_os("HOME").or_else(|| std::env::var_os("USERPROFILE"));
    home.map(|h| PathBuf::from(h).join(".kube").join("config").is_file())
        .unwrap_or(false)
}

/// `plural.group`, with ` in namespace NS` for a namespaced request.
fn resource_name(ar: &ApiResource, namespace: Option<&str>) -> String {
    let mut s = if ar.group.is_empty() {
        ar.plural.clone()
    } else {
        format!("{}.{}", ar.plural, ar.group)
    };
    if let Some(ns) = namespace {
        s.push_str(" in namespace ");
        s.push_str(ns);
    }
    s
}

/// Runs `fut` within the timeout; the inner result is kube's, for the caller to inspect.
async fn bounded<T>(
    env: &Env,
    req: &Req,
    limit: Duration,
    fut: impl Future<Output = Result<T, kube::Error>>,
) -> Result<Result<T, kube::Error>, DiffError> {
    tokio::time::timeout(limit, fut)
        .await
        .map_err(|_| DiffError::Timeout {
            server: env.server.clone(),
            verb: req.verb.to_string(),
            resource: req.resource.clone(),
            after: limit,
        })
}

/// Whether a transport error is a timeout somewhere in its chain.
fn is_timeout(err: &kube::Error) -> bool {
    let mut cur: Option<&dyn std::error::Error> = Some(err);
    while let Some(e) = cur {
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::TimedOut
        {
            return true;
        }
        let text = e.to_string().to_ascii_lowercase();
        if text.contains("timed out") || text.contains("deadline has elapsed") {
            return true;
        }
        cur = e.source();
    }
    false
}

/// kube's error as the [`DiffError`] that says what was refused.
fn classify(env: &Env, req: &Req, err: kube::Error) -> DiffError {
    let verb = req.verb.to_string();
    let resource = req.resource.clone();
    match err {
        kube::Error::Api(status) => {
            let message = status.message.clone();
            match status.code {
                401 => DiffError::Unauthorized {
                    server: env.server.clone(),
                    verb,
                    resource,
                    message,
                },
                403 => DiffError::Forbidden {
                    verb,
                    resource,
                    message,
                },
                409 => DiffError::Conflict {
                    object: req.object.clone().unwrap_or(resource),
                    message,
                },
                code @ 500..=599 => DiffError::Server {
                    server: env.server.clone(),
                    code,
                    verb,
                    resource,
                    message,
                },
                code => DiffError::Refused {
                    code,
                    reason: status.reason.clone(),
                    verb,
                    resource,
                    message,
                },
            }
        }
        err @ (kube::Error::HyperError(_) | kube::Error::Service(_)) => {
            if is_timeout(&err) {
                DiffError::Timeout {
                    server: env.server.clone(),
                    verb,
                    resource,
                    after: env.timeout,
                }
            } else {
                DiffError::Unreachable {
                    server: env.server.clone(),
                    verb,
                    resource,
                    source: Box::new(err),
                }
            }
        }
        source => DiffError::Protocol {
            server: env.server.clone(),
            verb,
            resource,
            source: Box::new(source),
        },
    }
}

/// Whether the server refuses a server-side apply dry run (older servers, or a kind
/// that does not support it): then a plain GET is the best view of the live object.
fn refuses_dry_run_apply(err: &kube::Error) -> bool {
    match err {
        kube::Error::Api(s) => {
            let msg = s.message.to_ascii_lowercase();
            matches!(s.code, 405 | 415)
                || (s.code == 400
                    && (msg.contains("dryrun")
                        || msg.contains("dry-run")
                        || msg.contains("dry run")))
        }
        _ => false,
    }
}

/// A fetched object as JSON, with `apiVersion` and `kind` first (LIST items lack them).
fn to_value(obj: DynamicObject, ar: &ApiResource) -> Value {
    let mut out = Map::new();
    out.insert("apiVersion".into(), Value::String(ar.api_version.clone()));
    out.insert("kind".into(), Value::String(ar.kind.clone()));
    if let Ok(Value::Object(map)) = serde_json::to_value(&obj) {
        for (k, v) in map {
            if k != "apiVersion" && k != "kind" {
                out.insert(k, v);
            }
        }
    }
    Value::Object(out)
}

/// A rendered object resolved against discovery.
struct Resolved {
    key: ObjKey,
    api_version: String,
    obj: Value,
    ar: ApiResource,
    caps: ApiCapabilities,
}

/// One unit of concurrent work.
enum Task<'a> {
    /// GET and dry-run apply one rendered object.
    Object(&'a Resolved),
    /// LIST one kind in one namespace (or cluster-wide) with rkv's labels.
    List {
        ar: &'a ApiResource,
        namespace: Option<&'a str>,
        selector: String,
    },
}

enum Outcome {
    Object(Box<Pair>),
    Listed(Vec<Value>),
}

/// Fetches the live side of every rendered object and the prune candidates.
pub(crate) async fn fetch(
    rendered: &[Value],
    instances: &BTreeSet<String>,
    opts: &DiffOptions,
) -> Result<Vec<Pair>, DiffError> {
    let config = config(opts).await?;
    let env = Env {
        server: config.cluster_url.to_string(),
        timeout: opts.timeout,
    };
    let default_namespace = config.default_namespace.clone();
    let client = Client::try_from(config).map_err(|source| DiffError::Client {
        server: env.server.clone(),
        source: Box::new(source),
    })?;

    // Discovery of the groups rendered, in the form every server serves.
    let groups: BTreeSet<&str> = rendered
        .iter()
        .filter_map(|o| o.get("apiVersion")?.as_str())
        .map(group_of)
        .collect();
    let filter: Vec<&str> = groups.iter().copied().collect();
    let req = Req {
        verb: "get",
        resource: "API discovery (/api, /apis)".into(),
        object: None,
    };
    let rounds = u32::try_from(groups.len()).map_or(u32::MAX, |g| g.saturating_add(2));
    let limit = opts.timeout.saturating_mul(rounds);
    let discovery = bounded(
        &env,
        &req,
        limit,
        Discovery::new(client.clone()).filter(&filter).run(),
    )
    .await?
    .map_err(|e| classify(&env, &req, e))?;

    let resolved = resolve(rendered, &discovery, &default_namespace)?;

    // Prune candidates: every kind rendered, in every namespace rendered.
    let mut kinds: BTreeMap<(String, String, String), &Resolved> = BTreeMap::new();
    for r in &resolved {
        kinds
            .entry((r.ar.group.clone(), r.ar.version.clone(), r.ar.kind.clone()))
            .or_insert(r);
    }
    let namespaces: BTreeSet<&str> = resolved
        .iter()
        .filter(|r| r.caps.scope == Scope::Namespaced)
        .map(|r| r.key.namespace.as_str())
        .collect();
    let mut tasks: Vec<Task> = resolved.iter().map(Task::Object).collect();
    // One LIST per kind and namespace, whatever the number of instances: for one
    // instance the server filters by it; for several, rkv's objects are listed once and
    // filtered below (a LIST per instance would make the requests instances x kinds x
    // namespaces: 2,400 of 2,600 requests for 200 objects of 20 topologies).
    let selector = match instances.iter().next() {
        Some(instance) if instances.len() == 1 => {
            format!("{MANAGED_BY_LABEL}=rkv,{INSTANCE_LABEL}={instance}")
        }
        _ => format!("{MANAGED_BY_LABEL}=rkv"),
    };
    // Without an instance there is nothing rkv could prune.
    for r in kinds.values().filter(|_| !instances.is_empty()) {
        if !r.caps.supports_operation(verbs::LIST) {
            continue;
        }
        if r.caps.scope == Scope::Namespaced {
            for ns in &namespaces {
                tasks.push(Task::List {
                    ar: &r.ar,
                    namespace: Some(ns),
                    selector: selector.clone(),
                });
            }
        } else {
            tasks.push(Task::List {
                ar: &r.ar,
                namespace: None,
                selector: selector.clone(),
            });
        }
    }

    let (env, client) = (&env, &client);
    let total = tasks.len();
    let mut done = 0usize;
    let mut results: Vec<(usize, Result<Outcome, DiffError>)> =
        stream::iter(tasks.into_iter().enumerate())
            .map(|(i, task)| async move { (i, run(env, client, task).await) })
            .buffer_unordered(opts.concurrency.max(1))
            .inspect(|_| {
                done += 1;
                if opts.progress {
                    eprint!("\rrkv diff: {done}/{total} requests");
                }
            })
            .collect()
            .await;
    if opts.progress {
        // Clear the progress line so the report starts on a clean line.
        eprint!("\r{}\r", " ".repeat(40));
    }
    results.sort_by_key(|(i, _)| *i);

    let rendered_keys: BTreeSet<&ObjKey> = resolved.iter().map(|r| &r.key).collect();
    let mut pairs = Vec::new();
    let mut pruned: BTreeMap<ObjKey, Value> = BTreeMap::new();
    for (_, result) in results {
        match result? {
            Outcome::Object(pair) => pairs.push(*pair),
            Outcome::Listed(items) => {
                for item in items {
                    if let Some(key) = ObjKey::of(&item)
                        && !rendered_keys.contains(&key)
                        && label(&item, INSTANCE_LABEL).is_some_and(|i| instances.contains(i))
                    {
                        pruned.entry(key).or_insert(item);
                    }
                }
            }
        }
    }
    for (key, live) in pruned {
        pairs.push(Pair {
            api_version: live
                .get("apiVersion")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            key,
            rendered: None,
            live: Some(live),
            merged: None,
        });
    }
    Ok(pairs)
}

/// Lists, read-only, the objects of `kinds` (API group, kind) in `namespace` that match
/// the label `selector`, with the diff's client, timeouts and error messages. Kinds the
/// server does not serve (an operator not installed) are skipped. Used by `rkv import --live`.
pub(crate) async fn list_namespace(
    opts: &DiffOptions,
    namespace: &str,
    selector: Option<&str>,
    kinds: &[(&str, &str)],
) -> Result<Vec<Value>, DiffError> {
    let config = config(opts).await?;
    let env = Env {
        server: config.cluster_url.to_string(),
        timeout: opts.timeout,
    };
    let client = Client::try_from(config).map_err(|source| DiffError::Client {
        server: env.server.clone(),
        source: Box::new(source),
    })?;
    let groups: BTreeSet<&str> = kinds.iter().map(|(g, _)| *g).collect();
    let filter: Vec<&str> = groups.iter().copied().collect();
    let req = Req {
        verb: "get",
        resource: "API discovery (/api, /apis)".into(),
        object: None,
    };
    let rounds = u32::try_from(groups.len()).map_or(u32::MAX, |g| g.saturating_add(2));
    let limit = opts.timeout.saturating_mul(rounds);
    let discovery = bounded(
        &env,
        &req,
        limit,
        Discovery::new(client.clone()).filter(&filter).run(),
    )
    .await?
    .map_err(|e| classify(&env, &req, e))?;
    let mut out = Vec::new();
    for (group, kind) in kinds {
        let Some((ar, caps)) = discovery.get(group).and_then(|g| g.recommended_kind(kind)) else {
            continue;
        };
        if !caps.supports_operation(verbs::LIST) {
            continue;
        }
        let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), namespace, &ar);
        let req = Req {
            verb: "list",
            resource: resource_name(&ar, Some(namespace)),
            object: None,
        };
        let mut params = ListParams::default();
        if let Some(sel) = selector {
            params = params.labels(sel);
        }
        let list = bounded(&env, &req, env.timeout, api.list(&params))
            .await?
            .map_err(|e| classify(&env, &req, e))?;
        let mut items: Vec<Value> = list.items.into_iter().map(|o| to_value(o, &ar)).collect();
        items.sort_by(|a, b| {
            let name = |v: &Value| {
                v.pointer("/metadata/name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string()
            };
            name(a).cmp(&name(b))
        });
        out.extend(items);
    }
    Ok(out)
}

/// Resolves every rendered object's kind through discovery; all missing kinds at once.
fn resolve(
    rendered: &[Value],
    discovery: &Discovery,
    default_namespace: &str,
) -> Result<Vec<Resolved>, DiffError> {
    let mut out = Vec::new();
    let mut missing = BTreeSet::new();
    for obj in rendered {
        let api_version = obj
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let kind = obj.get("kind").and_then(Value::as_str).unwrap_or_default();
        let group = group_of(api_version);
        let version = api_version.rsplit('/').next().unwrap_or_default();
        let Some((ar, caps)) = discovery.resolve_gvk(&GroupVersionKind::gvk(group, version, kind))
        else {
            missing.insert(MissingKind {
                api_version: api_version.to_string(),
                kind: kind.to_string(),
                operator: operator_for(group),
                group_served: discovery.has_group(group),
            });
            continue;
        };
        let mut obj = obj.clone();
        if let Some(Value::Object(meta)) = obj.get_mut("metadata") {
            match caps.scope {
                Scope::Namespaced => {
                    if !meta.get("namespace").is_some_and(Value::is_string) {
                        meta.insert(
                            "namespace".into(),
                            Value::String(default_namespace.to_string()),
                        );
                    }
                }
                Scope::Cluster => {
                    meta.shift_remove("namespace");
                }
            }
        }
        let Some(key) = ObjKey::of(&obj) else {
            continue;
        };
        out.push(Resolved {
            key,
            api_version: api_version.to_string(),
            obj,
            ar,
            caps,
        });
    }
    if !missing.is_empty() {
        return Err(DiffError::KindsNotInstalled {
            kinds: missing.into_iter().collect(),
        });
    }
    // Deterministic task order, so the error reported first does not depend on input order.
    out.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(out)
}

async fn run(env: &Env, client: &Client, task: Task<'_>) -> Result<Outcome, DiffError> {
    match task {
        Task::Object(r) => fetch_object(env, client, r)
            .await
            .map(|p| Outcome::Object(Box::new(p))),
        Task::List {
            ar,
            namespace,
            selector,
        } => {
            let api: Api<DynamicObject> = match namespace {
                Some(ns) => Api::namespaced_with(client.clone(), ns, ar),
                None => Api::all_with(client.clone(), ar),
            };
            let req = Req {
                verb: "list",
                resource: resource_name(ar, namespace),
                object: None,
            };
            let list = bounded(
                env,
                &req,
                env.timeout,
                api.list(&ListParams::default().labels(&selector)),
            )
            .await?
            .map_err(|e| classify(env, &req, e))?;
            Ok(Outcome::Listed(
                list.items.into_iter().map(|o| to_value(o, ar)).collect(),
            ))
        }
    }
}

async fn fetch_object(env: &Env, client: &Client, r: &Resolved) -> Result<Pair, DiffError> {
    let namespaced = r.caps.scope == Scope::Namespaced;
    let api: Api<DynamicObject> = if namespaced {
        Api::namespaced_with(client.clone(), &r.key.namespace, &r.ar)
    } else {
        Api::all_with(client.clone(), &r.ar)
    };
    let resource = resource_name(&r.ar, namespaced.then_some(r.key.namespace.as_str()));
    let object = Some(super::display_key(&r.key));
    let get = Req {
        verb: "get",
        resource: resource.clone(),
        object: object.clone(),
    };
    let mut live = bounded(env, &get, env.timeout, api.get_opt(&r.key.name))
        .await?
        .map_err(|e| classify(env, &get, e))?
        .map(|o| to_value(o, &r.ar));

    let mut merged = None;
    if live.is_some() && r.caps.supports_operation(verbs::PATCH) {
        let patch = Req {
            verb: "patch",
            resource,
            object,
        };
        let params = PatchParams::apply(FIELD_MANAGER).force().dry_run();
        match bounded(
            env,
            &patch,
            env.timeout,
            api.patch(&r.key.name, &params, &Patch::Apply(&r.obj)),
        )
        .await?
        {
            Ok(m) => merged = Some(to_value(m, &r.ar)),
            Err(e) if refuses_dry_run_apply(&e) => {}
            // Deleted between the GET and the PATCH: a create.
            Err(kube::Error::Api(s)) if s.code == 404 => live = None,
            Err(e) => return Err(classify(env, &patch, e)),
        }
    }
    Ok(Pair {
        key: r.key.clone(),
        api_version: r.api_version.clone(),
        rendered: Some(r.obj.clone()),
        live,
        merged,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_names_say_group_and_namespace() {
        let ar = ApiResource {
            group: "databases.spotahome.com".into(),
            version: "v1".into(),
            api_version: "databases.spotahome.com/v1".into(),
            kind: "RedisFailover".into(),
            plural: "redisfailovers".into(),
        };
        assert_eq!(
            resource_name(&ar, Some("redis")),
            "redisfailovers.databases.spotahome.com in namespace redis"
        );
    }

    #[test]
    fn dry_run_refusals_fall_back() {
        let status = |code: u16, message: &str| {
            kube::Error::Api(
                kube::core::Status::failure(message, "x")
                    .with_code(code)
                    .boxed(),
            )
        };
        assert!(refuses_dry_run_apply(&status(415, "")));
        assert!(refuses_dry_run_apply(&status(405, "")));
        assert!(refuses_dry_run_apply(&status(
            400,
            "dryRun is not supported"
        )));
        assert!(!refuses_dry_run_apply(&status(
            400,
            "spec.replicas: Invalid"
        )));
        assert!(!refuses_dry_run_apply(&status(403, "")));
    }
}
