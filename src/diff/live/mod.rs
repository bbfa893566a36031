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
//!
//! Here: what to fetch and how the answers become a [`Fetched`]; `client` connects and
//! turns kube's errors into [`DiffError`]s, `tasks` runs each request (`apply` is one
//! object's GET and dry-run apply), `namespace` is the read-only listing import uses.

mod apply;
mod client;
mod namespace;
mod tasks;

use std::collections::{BTreeMap, BTreeSet};

use futures::{StreamExt, stream};
use kube::Client;
use kube::core::GroupVersionKind;
use kube::discovery::{ApiCapabilities, ApiResource, Discovery, Scope, verbs};
use serde_json::Value;

use super::error::operator_for;
use super::preflight::{self, Facts};
use super::{
    Applier, DiffError, DiffOptions, Fetched, INSTANCE_LABEL, Kept, MANAGED_BY_LABEL, MissingKind,
    ObjKey, Pair, group_of, inventory, kept, kept_notes, label,
};
use client::{Env, connect, discover};
use tasks::{Outcome, Task, run};

pub(crate) use namespace::list_namespace;

/// A rendered object resolved against discovery.
struct Resolved {
    key: ObjKey,
    api_version: String,
    obj: Value,
    ar: ApiResource,
    caps: ApiCapabilities,
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
    let (env, client, default_namespace) = connect(opts).await?;

    // Discovery of the groups rendered, every group rkv can emit (for prunes) and the
    // groups preflight reads, in the form every server serves.
    let mut groups: BTreeSet<&str> = rendered
        .iter()
        .filter_map(|o| o.get("apiVersion")?.as_str())
        .map(group_of)
        .collect();
    groups.extend(inventory::group_kinds().map(|(g, _)| g));
    groups.extend(["", "storage.k8s.io", "apiextensions.k8s.io"]);
    let discovery = discover(&env, &client, &groups).await?;

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
