//! The emit stage: a checked, planned topology in, Kubernetes objects and files out.
//!
//! Each target has its own module; emitters build typed values (k8s-openapi structs,
//! typed CR structs) and turn them into [`Object`]s. [`layout`] arranges the objects of
//! every variant of a spec into the GitOps tree. Invariant: emitting is a pure function
//! of the plan — no clock, no environment, no I/O.

pub mod cluster;
pub mod common;
pub mod cr;
pub mod failover;
pub mod helm;
pub mod layout;
pub mod replication;
pub mod runbook;
pub mod runbook_restore;
pub mod standalone;

use serde::Serialize;
use serde_json::Value;

use crate::plan::model::Plan;

/// One rendered Kubernetes object.
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

/// Why a value could not become an object.
#[derive(Debug, thiserror::Error)]
pub enum EmitError {
    /// Two objects would be written to the same file.
    #[error("two objects render to `{0}`")]
    DuplicatePath(String),
    /// A typed value failed to serialize (a bug in an emitter, never user input).
    #[error("cannot serialize {what}")]
    Serialize {
        what: String,
        #[source]
        source: serde_json::Error,
    },
    /// A text payload template failed to render (a bug in a template, never user input).
    #[error("cannot render the template `{what}`")]
    Template {
        what: String,
        #[source]
        source: minijinja::Error,
    },
}

impl Object {
    /// Turn a typed object into an [`Object`].
    pub fn new<T: Serialize>(what: &str, typed: &T) -> Result<Object, EmitError> {
        let value = serde_json::to_value(typed).map_err(|source| EmitError::Serialize {
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

    fn str_at(&self, pointer: &str) -> &str {
        self.value
            .pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    pub fn api_version(&self) -> &str {
        self.str_at("/apiVersion")
    }
    pub fn kind(&self) -> &str {
        self.str_at("/kind")
    }
    pub fn name(&self) -> &str {
        self.str_at("/metadata/name")
    }
    pub fn namespace(&self) -> &str {
        self.str_at("/metadata/namespace")
    }

    /// The API group (`apps`, `""` for core).
    pub fn group(&self) -> &str {
        match self.api_version().rsplit_once('/') {
            Some((g, _)) => g,
            None => "",
        }
    }

    /// Identity as kustomize sees it: group, kind, namespace, name.
    pub fn id(&self) -> (String, String, String, String) {
        (
            self.group().into(),
            self.kind().into(),
            self.namespace().into(),
            self.name().into(),
        )
    }

    /// `<kind>-<name>.yaml`, lowercase.
    pub fn file_name(&self) -> String {
        format!("{}-{}.yaml", self.kind(), self.name()).to_lowercase()
    }
}

/// Every object of one plan, for every target the plan asks for.
pub fn emit(plan: &Plan) -> Result<Vec<Object>, EmitError> {
    let mut objects = Vec::new();
    if plan.outputs.kustomize {
        match plan.shape_name {
            "standalone" => objects.extend(standalone::emit(plan)?),
            "cluster" => objects.extend(cluster::emit(plan)?),
            "failover" => objects.extend(failover::emit(plan)?),
            "replication" => objects.extend(replication::emit(plan)?),
            _ => {}
        }
    }
    if plan.outputs.helm.is_some() {
        objects.extend(helm::emit(plan)?);
    }
    objects.sort_by_key(Object::id);
    Ok(objects)
}
