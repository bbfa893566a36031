//! The requests of a diff, one task each: an object's GET and dry run, a LIST of prune
//! candidates (across all namespaces, or in each namespace when that is forbidden), and
//! the preflight lookups (a Secret's key names, StorageClasses, a namespace, a CRD).
//!
//! In: a [`Task`] and the shared [`Ctx`]. Out: its [`Outcome`]; a refusal the diff can
//! report (404, 403 on a lookup) is a [`Lookup`], any other failure a [`DiffError`].

use std::collections::BTreeSet;

use kube::api::{Api, DynamicObject, ListParams};
use kube::discovery::ApiResource;
use serde_json::Value;

use super::apply::fetch_object;
use super::client::{Req, bounded, classify, resource_name, to_value};
use super::{Ctx, Resolved};
use crate::diff::preflight::Lookup;
use crate::diff::{DiffError, Pair};

/// One unit of concurrent work.
pub(super) enum Task<'a> {
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

pub(super) enum Outcome {
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

pub(super) async fn run(ctx: &Ctx<'_>, task: Task<'_>) -> Result<Outcome, DiffError> {
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
