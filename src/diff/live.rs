//! The live side from a cluster, through kube.
//!
//! In: the rendered objects and [`DiffOptions`]. Out: a [`Fetched`]: one [`Pair`] per
//! rendered object (the live object from GET, the server's answer to a server-side
//! apply dry run as the applier's field manager, or its refusal), one per live object
//! with rkv's labels that is not rendered (a prune), the preflight findings and notes.
//!
//! Invariants: kinds are resolved through the server's discovery, never guessed; every
//! request is bounded by `opts.timeout`; at most `opts.concurrency` requests are in
//! flight; the outcome does not depend on the order requests complete in. A Secret is
//! read only for its key names. Prune candidates are listed across all namespaces; when
//! the credentials may not, in the rendered namespaces and [`DiffOptions::namespaces`],
//! and the report says so.

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
use super::preflight::{self, Facts, Lookup};
use super::{
    Applier, DiffError, DiffOptions, Fetched, INSTANCE_LABEL, Kept, MANAGED_BY_LABEL, MissingKind,
    ObjKey, Pair, Refusal, group_of, immutable, inventory, kept, kept_notes, label,
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
    /// LIST one kind with rkv's labels, across all namespaces (or, when that is
    /// forbidden, in each of `namespaces`).
    Prune {
        ar: &'a ApiResource,
        namespaced: bool,
    },
    /// GET a Secret for its key names.
    Secret {
        ar: &'a ApiResource,
        namespace: &'a str,
        name: &'a str,
    },
    /// LIST the StorageClasses.
    StorageClasses(&'a ApiResource),
    /// GET a namespace.
    Namespace { ar: &'a ApiResource, name: &'a str },
    /// GET a CustomResourceDefinition.
    Crd { ar: &'a ApiResource, name: &'a str },
}

enum Outcome {
    Object(Box<Pair>),
    Listed {
        items: Vec<Value>,
        /// Set when the list across all namespaces was refused.
        fallback: Option<String>,
    },
    Secret {
        id: (String, String),
        found: Lookup<BTreeSet<String>>,
    },
    StorageClasses(Lookup<(BTreeSet<String>, Vec<String>)>),
    Namespace {
        name: String,
        found: Lookup<()>,
    },
    Crd {
        name: String,
        found: Lookup<Value>,
    },
}

/// What every task shares.
struct Ctx<'a> {
    env: &'a Env,
    client: &'a Client,
    opts: &'a DiffOptions,
    selector: String,
    /// Where to list when a list across all namespaces is forbidden.
    namespaces: BTreeSet<String>,
}

/// The kind `(group, kind)` as the cluster serves it, at its preferred version.
fn served(
    discovery: &Discovery,
    group: &str,
    kind: &str,
) -> Option<(ApiResource, ApiCapabilities)> {
    discovery.get(group)?.recommended_kind(kind)
}

/// Fetches the live side of every rendered object, the prune candidates and the
/// preflight facts.
pub(crate) async fn fetch(
    rendered: &[Value],
    instances: &BTreeSet<String>,
    opts: &DiffOptions,
) -> Result<Fetched, DiffError> {
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

    // Discovery of the groups rendered, every group rkv can emit (for prunes) and the
    // groups preflight reads, in the form every server serves.
    let mut groups: BTreeSet<&str> = rendered
        .iter()
        .filter_map(|o| o.get("apiVersion")?.as_str())
        .map(group_of)
        .collect();
    groups.extend(inventory::group_kinds().map(|(g, _)| g));
    groups.extend(["", "storage.k8s.io", "apiextensions.k8s.io"]);
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

    // Prune candidates: every kind rkv can emit and every kind rendered, as served.
    let mut prune_kinds: BTreeMap<(String, String), (ApiResource, ApiCapabilities)> =
        BTreeMap::new();
    for r in &resolved {
        prune_kinds
            .entry((r.ar.group.clone(), r.ar.kind.clone()))
            .or_insert_with(|| (r.ar.clone(), r.caps.clone()));
    }
    for (group, kind) in inventory::group_kinds() {
        if let Some(found) = served(&discovery, group, kind) {
            prune_kinds
                .entry((group.to_string(), kind.to_string()))
                .or_insert(found);
        }
    }
    let mut namespaces: BTreeSet<String> = opts.namespaces.clone();
    namespaces.extend(
        resolved
            .iter()
            .filter(|r| r.caps.scope == Scope::Namespaced)
            .map(|r| r.key.namespace.clone()),
    );
    // One LIST per kind, whatever the number of instances: for one instance the server
    // filters by it; for several, rkv's objects are listed once and filtered below.
    let selector = match instances.iter().next() {
        Some(instance) if instances.len() == 1 => {
            format!("{MANAGED_BY_LABEL}=rkv,{INSTANCE_LABEL}={instance}")
        }
        _ => format!("{MANAGED_BY_LABEL}=rkv"),
    };

    let mut tasks: Vec<Task> = resolved.iter().map(Task::Object).collect();
    // Without an instance there is nothing rkv could prune.
    if !instances.is_empty() {
        for (ar, caps) in prune_kinds.values() {
            if caps.supports_operation(verbs::LIST) {
                tasks.push(Task::Prune {
                    ar,
                    namespaced: caps.scope == Scope::Namespaced,
                });
            }
        }
    }

    // Preflight: what the objects reference, looked up.
    let filled: Vec<Value> = resolved.iter().map(|r| r.obj.clone()).collect();
    let refs = preflight::references(&filled);
    let core = |kind: &str| served(&discovery, "", kind).map(|(ar, _)| ar);
    let secret_ar = core("Secret");
    let namespace_ar = core("Namespace");
    let class_ar = served(&discovery, "storage.k8s.io", "StorageClass").map(|(ar, _)| ar);
    let crd_ar = served(
        &discovery,
        "apiextensions.k8s.io",
        "CustomResourceDefinition",
    )
    .map(|(ar, _)| ar);
    let secret_names = refs.secret_names();
    if let Some(ar) = &secret_ar {
        for (namespace, name) in &secret_names {
            tasks.push(Task::Secret {
                ar,
                namespace,
                name,
            });
        }
    }
    if let Some(ar) = &namespace_ar {
        for name in refs.namespaces.keys() {
            tasks.push(Task::Namespace { ar, name });
        }
    }
    if let Some(ar) = &class_ar
        && !refs.claims.is_empty()
    {
        tasks.push(Task::StorageClasses(ar));
    }
    let mut crd_names: BTreeMap<(String, String), String> = BTreeMap::new();
    for r in &resolved {
        if !crate::validate::is_built_in(&r.api_version) {
            crd_names.insert(
                (r.key.group.clone(), r.key.kind.clone()),
                format!("{}.{}", r.ar.plural, r.ar.group),
            );
        }
    }
    let crd_list: BTreeSet<&String> = crd_names.values().collect();
    if let Some(ar) = &crd_ar {
        for name in crd_list {
            tasks.push(Task::Crd { ar, name });
        }
    }

    let ctx = Ctx {
        env: &env,
        client: &client,
        opts,
        selector,
        namespaces,
    };
    let ctx = &ctx;
    let total = tasks.len();
    let mut done = 0usize;
    let mut results: Vec<(usize, Result<Outcome, DiffError>)> =
        stream::iter(tasks.into_iter().enumerate())
            .map(|(i, task)| async move { (i, run(ctx, task).await) })
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
    let mut fetched = Fetched::default();
    let mut facts = Facts::default();
    let mut pruned: BTreeMap<ObjKey, Value> = BTreeMap::new();
    let mut kept_objects: Vec<(ObjKey, Kept)> = Vec::new();
    let others = super::other_variant_keys(opts);
    let mut fallbacks: BTreeSet<String> = BTreeSet::new();
    for (_, result) in results {
        match result? {
            Outcome::Object(pair) => fetched.pairs.push(*pair),
            Outcome::Listed { items, fallback } => {
                fallbacks.extend(fallback);
                for item in items {
                    let Some(key) = ObjKey::of(&item) else {
                        continue;
                    };
                    if rendered_keys.contains(&key)
                        || !label(&item, INSTANCE_LABEL).is_some_and(|i| instances.contains(i))
                    {
                        continue;
                    }
                    match kept(&item, &others) {
                        Some(why) => kept_objects.push((key, why)),
                        None => {
                            pruned.entry(key).or_insert(item);
                        }
                    }
                }
            }
            Outcome::Secret { id, found } => {
                facts.secrets.insert(id, found);
            }
            Outcome::StorageClasses(found) => facts.storage_classes = Some(found),
            Outcome::Namespace { name, found } => {
                facts.namespaces.insert(name, found);
            }
            Outcome::Crd { name, found } => {
                facts.crds.insert(name, found);
            }
        }
    }
    for (key, live) in pruned {
        let mut pair = Pair::new(
            key,
            live.get("apiVersion")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
        );
        pair.live = Some(live);
        fetched.pairs.push(pair);
    }

    let (preflight, mut notes) =
        preflight::findings(&filled, &refs, &facts, &crd_names, opts.applier);
    fetched.preflight = preflight;
    if !fallbacks.is_empty() {
        notes.push(format!(
            "listing {} across all namespaces was forbidden: objects to prune were searched only in {}",
            fallbacks.into_iter().collect::<Vec<_>>().join(", "),
            ctx.namespaces
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    notes.extend(kept_notes(&kept_objects));
    notes.extend(manager_note(&fetched.pairs, opts));
    for (what, ar) in [
        ("Secrets", secret_ar.is_none() && !secret_names.is_empty()),
        (
            "StorageClasses",
            class_ar.is_none() && !refs.claims.is_empty(),
        ),
        ("CRD schemas", crd_ar.is_none() && !crd_names.is_empty()),
    ] {
        if ar {
            notes.push(format!(
                "the cluster does not serve the API to read {what}: not checked"
            ));
        }
    }
    notes.sort();
    notes.dedup();
    fetched.notes = notes;
    Ok(fetched)
}

/// A note when live objects were applied by other field managers than the dry run's:
/// the fields only they set and the render dropped would be removed by the real sync
/// but cannot show here.
fn manager_note(pairs: &[Pair], opts: &DiffOptions) -> Option<String> {
    let mut others: BTreeMap<String, usize> = BTreeMap::new();
    for p in pairs.iter().filter(|p| p.rendered.is_some()) {
        let Some(fields) = p
            .live
            .as_ref()
            .and_then(|l| l.pointer("/metadata/managedFields"))
            .and_then(Value::as_array)
        else {
            continue;
        };
        let appliers: Vec<&str> = fields
            .iter()
            .filter(|f| f.get("operation").and_then(Value::as_str) == Some("Apply"))
            .filter_map(|f| f.get("manager").and_then(Value::as_str))
            .collect();
        if !appliers.is_empty() && !appliers.contains(&opts.field_manager.as_str()) {
            for a in appliers {
                *others.entry(a.to_string()).or_default() += 1;
            }
        }
    }
    if others.is_empty() {
        return None;
    }
    let list: Vec<String> = others
        .iter()
        .map(|(m, n)| {
            let flag = match Applier::of_manager(m) {
                Some(a) => format!("`--applier {}`", a.flag()),
                None => format!("`--field-manager {m}`"),
            };
            format!("`{m}` ({n} object(s); pass {flag})")
        })
        .collect();
    Some(format!(
        "live objects were applied by {}, not by `{}`, this diff's field manager: fields only that manager set and the render no longer has are removed by the real sync but do not show here",
        list.join(", "),
        opts.field_manager
    ))
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

/// A GET that may find nothing or be refused: `Found`, `Missing` (404), `Denied` (403);
/// any other failure fails the diff.
async fn lookup(
    ctx: &Ctx<'_>,
    ar: &ApiResource,
    namespace: Option<&str>,
    name: &str,
) -> Result<Lookup<Value>, DiffError> {
    let api: Api<DynamicObject> = match namespace {
        Some(ns) => Api::namespaced_with(ctx.client.clone(), ns, ar),
        None => Api::all_with(ctx.client.clone(), ar),
    };
    let req = Req {
        verb: "get",
        resource: resource_name(ar, namespace),
        object: Some(name.to_string()),
    };
    match bounded(ctx.env, &req, ctx.env.timeout, api.get_opt(name)).await? {
        Ok(Some(o)) => Ok(Lookup::Found(to_value(o, ar))),
        Ok(None) => Ok(Lookup::Missing),
        Err(kube::Error::Api(s)) if s.code == 403 => Ok(Lookup::Denied(s.message.clone())),
        Err(e) => Err(classify(ctx.env, &req, e)),
    }
}

/// A LIST with the prune selector, in one namespace or across all.
async fn list(
    ctx: &Ctx<'_>,
    ar: &ApiResource,
    namespace: Option<&str>,
) -> Result<Result<Vec<Value>, kube::Error>, DiffError> {
    let api: Api<DynamicObject> = match namespace {
        Some(ns) => Api::namespaced_with(ctx.client.clone(), ns, ar),
        None => Api::all_with(ctx.client.clone(), ar),
    };
    let req = Req {
        verb: "list",
        resource: resource_name(ar, namespace),
        object: None,
    };
    Ok(bounded(
        ctx.env,
        &req,
        ctx.env.timeout,
        api.list(&ListParams::default().labels(&ctx.selector)),
    )
    .await?
    .map(|l| l.items.into_iter().map(|o| to_value(o, ar)).collect()))
}

async fn run(ctx: &Ctx<'_>, task: Task<'_>) -> Result<Outcome, DiffError> {
    let list_req = |ar: &ApiResource, namespace: Option<&str>| Req {
        verb: "list",
        resource: resource_name(ar, namespace),
        object: None,
    };
    match task {
        Task::Object(r) => fetch_object(ctx, r)
            .await
            .map(|p| Outcome::Object(Box::new(p))),
        Task::Prune { ar, namespaced } => match list(ctx, ar, None).await? {
            Ok(items) => Ok(Outcome::Listed {
                items,
                fallback: None,
            }),
            // Namespace-scoped credentials: list where the topology lives.
            Err(kube::Error::Api(s)) if s.code == 403 && namespaced => {
                let mut items = Vec::new();
                for ns in &ctx.namespaces {
                    items.extend(
                        list(ctx, ar, Some(ns))
                            .await?
                            .map_err(|e| classify(ctx.env, &list_req(ar, Some(ns)), e))?,
                    );
                }
                Ok(Outcome::Listed {
                    items,
                    fallback: Some(resource_name(ar, None)),
                })
            }
            Err(e) => Err(classify(ctx.env, &list_req(ar, None), e)),
        },
        Task::Secret {
            ar,
            namespace,
            name,
        } => {
            let found = match lookup(ctx, ar, Some(namespace), name).await? {
                // Only the key names leave this function: never a value.
                Lookup::Found(secret) => Lookup::Found(
                    secret
                        .get("data")
                        .and_then(Value::as_object)
                        .map(|d| d.keys().cloned().collect())
                        .unwrap_or_default(),
                ),
                Lookup::Missing => Lookup::Missing,
                Lookup::Denied(m) => Lookup::Denied(m),
            };
            Ok(Outcome::Secret {
                id: (namespace.to_string(), name.to_string()),
                found,
            })
        }
        Task::StorageClasses(ar) => {
            let api: Api<DynamicObject> = Api::all_with(ctx.client.clone(), ar);
            let req = list_req(ar, None);
            let found = match bounded(
                ctx.env,
                &req,
                ctx.env.timeout,
                api.list(&ListParams::default()),
            )
            .await?
            {
                Ok(list) => {
                    let mut names = BTreeSet::new();
                    let mut defaults = Vec::new();
                    for o in list.items {
                        let Some(name) = o.metadata.name.clone() else {
                            continue;
                        };
                        let default = o.metadata.annotations.as_ref().is_some_and(|a| {
                            [
                                "storageclass.kubernetes.io/is-default-class",
                                "storageclass.beta.kubernetes.io/is-default-class",
                            ]
                            .iter()
                            .any(|k| a.get(*k).is_some_and(|v| v == "true"))
                        });
                        if default {
                            defaults.push(name.clone());
                        }
                        names.insert(name);
                    }
                    Lookup::Found((names, defaults))
                }
                Err(kube::Error::Api(s)) if s.code == 403 => Lookup::Denied(s.message.clone()),
                Err(e) => return Err(classify(ctx.env, &req, e)),
            };
            Ok(Outcome::StorageClasses(found))
        }
        Task::Namespace { ar, name } => {
            let found = match lookup(ctx, ar, None, name).await? {
                Lookup::Found(_) => Lookup::Found(()),
                Lookup::Missing => Lookup::Missing,
                Lookup::Denied(m) => Lookup::Denied(m),
            };
            Ok(Outcome::Namespace {
                name: name.to_string(),
                found,
            })
        }
        Task::Crd { ar, name } => Ok(Outcome::Crd {
            name: name.to_string(),
            found: lookup(ctx, ar, None, name).await?,
        }),
    }
}

/// Whether a refused dry run is the object's own outcome (the sync would meet the same
/// refusal) rather than a reason the diff cannot be made: validation (400, 422) and
/// admission webhooks, whatever their code.
fn is_object_refusal(status: &kube::core::Status) -> bool {
    let webhook = status.message.contains("admission webhook")
        || status.message.contains("failed calling webhook");
    matches!(status.code, 400 | 422) || (webhook && status.code != 401)
}

async fn fetch_object(ctx: &Ctx<'_>, r: &Resolved) -> Result<Pair, DiffError> {
    let env = ctx.env;
    let namespaced = r.caps.scope == Scope::Namespaced;
    let api: Api<DynamicObject> = if namespaced {
        Api::namespaced_with(ctx.client.clone(), &r.key.namespace, &r.ar)
    } else {
        Api::all_with(ctx.client.clone(), &r.ar)
    };
    let resource = resource_name(&r.ar, namespaced.then_some(r.key.namespace.as_str()));
    let object = Some(r.key.to_string());
    let get = Req {
        verb: "get",
        resource: resource.clone(),
        object: object.clone(),
    };
    let mut pair = Pair::new(r.key.clone(), r.api_version.clone());
    pair.rendered = Some(r.obj.clone());
    pair.live = bounded(env, &get, env.timeout, api.get_opt(&r.key.name))
        .await?
        .map_err(|e| classify(env, &get, e))?
        .map(|o| to_value(o, &r.ar));

    if !r.caps.supports_operation(verbs::PATCH) {
        pair.notes
            .push("no dry run: the server does not allow patching this kind".into());
        return Ok(pair);
    }
    let patch = Req {
        verb: "patch",
        resource,
        object,
    };
    // Creates too: admission and schema refusals of new objects show before the sync.
    let params = PatchParams::apply(&ctx.opts.field_manager)
        .force()
        .dry_run();
    match bounded(
        env,
        &patch,
        env.timeout,
        api.patch(&r.key.name, &params, &Patch::Apply(&r.obj)),
    )
    .await?
    {
        Ok(m) => pair.merged = Some(to_value(m, &r.ar)),
        Err(e) if refuses_dry_run_apply(&e) => pair.notes.push(
            "no dry run: the server refused a server-side apply dry run; compared with the rendered object".into(),
        ),
        Err(kube::Error::Api(s)) if s.code == 404 => {
            // Deleted between the GET and the PATCH, or a namespace that does not
            // exist yet: a create the server could not dry-run.
            pair.live = None;
            pair.notes.push(format!("no dry run: {}", s.message));
        }
        Err(kube::Error::Api(s)) if is_object_refusal(&s) => {
            pair.refusal = Some(if immutable::is_immutable_refusal(s.code, &s.message) {
                let fields = s
                    .details
                    .as_ref()
                    .map(|d| d.causes.iter().map(|c| c.field.clone()).filter(|f| !f.is_empty()).collect())
                    .unwrap_or_default();
                Refusal::ReplaceRequired {
                    fields,
                    message: s.message.clone(),
                }
            } else {
                Refusal::Refused {
                    code: s.code,
                    message: s.message.clone(),
                }
            });
        }
        Err(e) => return Err(classify(env, &patch, e)),
    }
    Ok(pair)
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
