//! What the stages after planning pass along: rendered objects, their keys, the files of
//! a tree, and where each variant's files go.
//!
//! In: nothing (types and small functions only). Out: [`Object`] (what `emit` makes and
//! `write`, `diff` and `gitops` consume), [`ObjKey`] (an object's identity), [`OutFile`]
//! (what `write` puts on disk) and the directories of a variant's trees. Invariant:
//! every module after `plan` talks to the others through these types, so `emit`,
//! `write`, `diff` and `gitops` never import one another.

pub mod secrets;

use serde::Serialize;
use serde_json::Value;

use crate::spec::Variant;

/// One rendered Kubernetes object (or document, such as Helm values).
#[derive(Debug, Clone, PartialEq)]
pub struct Object {
    /// The object, `apiVersion` and `kind` first.
    pub value: Value,
    /// Comment lines written above the object (the arithmetic behind a number).
    pub comment: Vec<String>,
    /// Set for a file that lives outside the variant's kustomize tree (an Argo CD
    /// Application, Helm values): its path relative to `generated/<profile>/`.
    pub path: Option<String>,
}

/// A typed value that could not become JSON (a bug in an emitter, never user input).
#[derive(Debug, thiserror::Error)]
#[error("cannot serialize {what}")]
pub struct SerializeError {
    pub what: String,
    #[source]
    pub source: serde_json::Error,
}

impl Object {
    /// Turn a typed object into an [`Object`].
    pub fn new<T: Serialize>(what: &str, typed: &T) -> Result<Object, SerializeError> {
        let value = serde_json::to_value(typed).map_err(|source| SerializeError {
            what: what.to_string(),
            source,
        })?;
        Ok(Object {
            value,
            comment: Vec::new(),
            path: None,
        })
    }

    pub fn with_comment(mut self, lines: Vec<String>) -> Self {
        self.comment = lines;
        self
    }

    /// Write this object (or document) at `path` instead of into the kustomize tree.
    pub fn at_path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// The string at `path` (object keys), or `""`. Not `Value::pointer`, which builds
    /// two strings per segment: these are read on every comparison of a sort.
    fn str_at(&self, path: &[&str]) -> &str {
        path.iter()
            .try_fold(&self.value, |v, k| v.get(k))
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    pub fn api_version(&self) -> &str {
        self.str_at(&["apiVersion"])
    }
    pub fn kind(&self) -> &str {
        self.str_at(&["kind"])
    }
    pub fn name(&self) -> &str {
        self.str_at(&["metadata", "name"])
    }
    pub fn namespace(&self) -> &str {
        self.str_at(&["metadata", "namespace"])
    }

    /// The API group (`apps`, `""` for core).
    pub fn group(&self) -> &str {
        group_of(self.api_version())
    }

    /// The object's identity; empty parts for a document that is not an object.
    pub fn key(&self) -> ObjKey {
        ObjKey {
            kind: self.kind().into(),
            namespace: self.namespace().into(),
            name: self.name().into(),
            group: self.group().into(),
        }
    }

    /// [`ObjKey::render_order`] of [`Object::key`], borrowed: for sorting and lookups,
    /// which would otherwise build four strings per object (or per comparison).
    pub fn order(&self) -> (&str, &str, &str, &str) {
        (self.group(), self.kind(), self.namespace(), self.name())
    }

    /// `<kind>-<name>.yaml`, lowercase.
    pub fn file_name(&self) -> String {
        format!("{}-{}.yaml", self.kind(), self.name()).to_lowercase()
    }
}

/// Identity of an object as kustomize and the API server see it: the API group (not the
/// version: a live object may be served at another version), kind, namespace (empty for
/// cluster-scoped objects) and name. Ordered by kind, namespace, name, group.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjKey {
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub group: String,
}

impl ObjKey {
    /// The key of `obj`, or `None` when it lacks `apiVersion`, `kind` or `metadata.name`.
    pub fn of(obj: &Value) -> Option<ObjKey> {
        let api_version = obj.get("apiVersion")?.as_str()?;
        let kind = obj.get("kind")?.as_str()?;
        let meta = obj.get("metadata")?;
        let name = meta.get("name")?.as_str()?;
        let namespace = meta.get("namespace").and_then(Value::as_str).unwrap_or("");
        Some(ObjKey {
            kind: kind.to_string(),
            namespace: namespace.to_string(),
            name: name.to_string(),
            group: group_of(api_version).to_string(),
        })
    }

    /// The order objects are emitted and printed in: group, kind, namespace, name.
    pub fn render_order(self) -> (String, String, String, String) {
        (self.group, self.kind, self.namespace, self.name)
    }
}

impl std::fmt::Display for ObjKey {
    /// `kind/namespace/name`, or `kind/name` for a cluster-scoped object.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.namespace.is_empty() {
            write!(f, "{}/{}", self.kind, self.name)
        } else {
            write!(f, "{}/{}/{}", self.kind, self.namespace, self.name)
        }
    }
}

/// The group of an `apiVersion` (`apps/v1` -> `apps`, `v1` -> ``).
pub fn group_of(api_version: &str) -> &str {
    match api_version.rsplit_once('/') {
        Some((group, _)) => group,
        None => "",
    }
}

/// One file of a profile's tree, path relative to `generated/<profile>/`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct OutFile {
    pub path: String,
    pub content: String,
}

/// The directory `rkv render` writes into unless told otherwise, which docs/gitops.md has
/// committed at the root of the GitOps repository.
pub const DEFAULT_OUTPUT: &str = "generated";

/// The path of a spec's tree in the GitOps repository when rkv renders it from the
/// repository's root into [`DEFAULT_OUTPUT`] on its own: `generated/<file stem>`.
pub fn default_repo_dir(source_name: &str) -> String {
    let stem = std::path::Path::new(source_name)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| source_name.to_string());
    format!("{DEFAULT_OUTPUT}/{stem}")
}

/// Where a variant's kustomize directory lives.
pub fn tree_dir(variant: &Variant) -> String {
    match variant {
        Variant::Base => "base".into(),
        Variant::Environment(e) => format!("overlays/{e}"),
        Variant::Site(s) => format!("clusters/{s}/apps/redis"),
    }
}

/// Where a variant's Helm files go.
pub fn helm_dir(variant: &Variant) -> String {
    match variant {
        Variant::Base => "helm".into(),
        other => format!("helm/{}", other.label()),
    }
}

/// Whether a placed file belongs to a `helm/` tree ([`helm_dir`] of some variant).
pub fn is_helm_path(path: &str) -> bool {
    path == "helm" || path.starts_with("helm/")
}
