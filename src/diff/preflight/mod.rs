//! Preflight: what the rendered objects depend on in the cluster but do not create.
//!
//! In: the rendered objects (namespaces filled in) for [`references`]; then what
//! [`super::live`] fetched about those references ([`Facts`]) for [`findings`]. Out:
//! findings with codes `RKV200` to `RKV207` (see [`crate::diag::CODES`]) and notes.
//! Pure functions, no I/O; Secret values never reach this module (only key names).
//!
//! What is checked:
//! - the Secrets and keys the objects need and do not create ([`crate::bundle::secrets`]:
//!   the same list the runbook's "Before you apply" and `rkv explain` show), with the
//!   Bitnami chart values of a HelmRelease read from its values ConfigMap;
//! - StorageClasses named by claims (any claim spec, and chart `persistence.storageClass`),
//!   and a default StorageClass for claims that name none;
//! - the namespaces objects go into, unless rendered;
//! - each custom resource against the cluster's own CRD: the rendered version deprecated
//!   (`RKV206`), fields the CRD's structural schema does not declare and the API server
//!   would prune without a word (`RKV204`), and what is left checked against the schema
//!   (`RKV205`).
//!
//! Here: the references and facts, and the findings in order; `references` reads what the
//! objects depend on, `missing` finds namespaces, Secrets, keys and StorageClasses the
//! cluster lacks, `crd` checks custom resources against the cluster's CRDs.

mod crd;
mod missing;
mod references;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::{Applier, group_of};
use crate::diag::Diagnostic;
use crate::diag::codes;

pub(crate) use references::references;

/// What a lookup in the cluster found.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Lookup<T> {
    Found(T),
    Missing,
    /// The request was refused (403): the server's message.
    Denied(String),
}

pub(crate) use crate::bundle::secrets::SecretRef;

/// A claim and the StorageClass it names (`None`: the default class).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct ClaimRef {
    pub class: Option<String>,
    pub from: String,
    pub path: String,
}

/// Everything the rendered objects depend on in the cluster.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Refs {
    pub secrets: Vec<SecretRef>,
    pub claims: Vec<ClaimRef>,
    /// Namespace -> the objects that go into it (rendered Namespaces left out).
    pub namespaces: BTreeMap<String, Vec<String>>,
}

impl Refs {
    /// The distinct (namespace, name) of the Secrets to look up.
    pub(crate) fn secret_names(&self) -> BTreeSet<(String, String)> {
        self.secrets
            .iter()
            .map(|s| (s.namespace.clone(), s.name.clone()))
            .collect()
    }
}

/// What was fetched about the references.
#[derive(Debug, Default)]
pub(crate) struct Facts {
    /// (namespace, name) -> the key names of the Secret.
    pub secrets: BTreeMap<(String, String), Lookup<BTreeSet<String>>>,
    /// The StorageClass names and the default ones; `None` when not looked up.
    pub storage_classes: Option<Lookup<(BTreeSet<String>, Vec<String>)>>,
    pub namespaces: BTreeMap<String, Lookup<()>>,
    /// CRD name (`plural.group`) -> the CRD.
    pub crds: BTreeMap<String, Lookup<Value>>,
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str)
}

fn is_kind(o: &Value, api_group: &str, kind: &str) -> bool {
    o.get("kind").and_then(Value::as_str) == Some(kind)
        && group_of(str_at(o, "/apiVersion").unwrap_or("")) == api_group
}

/// The findings and notes from what was fetched.
pub(crate) fn findings(
    rendered: &[Value],
    refs: &Refs,
    facts: &Facts,
    crd_names: &BTreeMap<(String, String), String>,
    applier: Option<Applier>,
) -> (Vec<Diagnostic>, Vec<String>) {
    let mut out = Vec::new();
    let mut notes = Vec::new();
    missing::namespaces(refs, facts, applier, &mut out);
    missing::secrets(refs, facts, &mut out);
    missing::storage_classes(refs, facts, &mut out);
    crd::custom_resources(rendered, facts, crd_names, &mut out, &mut notes);
    (out, notes)
}

/// RKV207: what the diff's credentials may not read, so it was not checked.
fn denied(what: String, from: &str, message: &str) -> Diagnostic {
    Diagnostic::new(
        codes::RKV207,
        from,
        format!("cannot check {what}: {message}"),
    )
    .help("grant `get` on it to the diff's credentials, or check it by hand")
}
