//! Preflight: what the rendered objects depend on in the cluster but do not create.
//!
//! In: the rendered objects (namespaces filled in) for [`references`]; then what
//! [`super::live`] fetched about those references ([`Facts`]) for [`findings`]. Out:
//! findings with codes `RKV200` to `RKV207` (see [`crate::diag::CODES`]) and notes.
//! Pure functions, no I/O; Secret values never reach this module (only key names).
//!
//! What is checked:
//! - Secrets and keys referenced by pod templates (`secretKeyRef`, `secretRef`, secret
//!   volumes and projections), Spotahome `spec.auth.secretPath` (key `password`),
//!   OT-CONTAINER-KIT `kubernetesConfig.redisSecret`, Strimzi `passwordSecret` and
//!   `trustedCertificates`, and the Bitnami chart values of a HelmRelease
//!   (`auth.existingSecret`, `tls.existingSecret`) — unless a rendered object creates the
//!   Secret (a Secret, an ExternalSecret's target, a Certificate's `secretName`, a
//!   KafkaUser's credentials) or the reference is `optional`;
//! - StorageClasses named by claims (any claim spec, and chart `persistence.storageClass`),
//!   and a default StorageClass for claims that name none;
//! - the namespaces objects go into, unless rendered;
//! - each custom resource against the cluster's own CRD: the rendered version deprecated
//!   (`RKV206`), fields the CRD's structural schema does not declare and the API server
//!   would prune without a word (`RKV204`), and what is left checked against the schema
//!   (`RKV205`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value;

use super::{Applier, ObjKey, group_of};
use crate::diag::Diagnostic;
use crate::diag::codes;
use crate::validate::crd::{CrdSet, Rejection};

/// What a lookup in the cluster found.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Lookup<T> {
    Found(T),
    Missing,
    /// The request was refused (403): the server's message.
    Denied(String),
}

/// A Secret (and key) an object needs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct SecretRef {
    pub namespace: String,
    pub name: String,
    pub key: Option<String>,
    /// The object that needs it, and where.
    pub from: String,
    pub path: String,
}

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

/// What the rendered objects depend on. `values` gives the Helm values of a
/// HelmRelease (read from its values ConfigMap among the rendered objects).
pub(crate) fn references(rendered: &[Value]) -> Refs {
    let mut refs = Refs::default();
    let produced = produced_secrets(rendered);
    let rendered_namespaces: BTreeSet<&str> = rendered
        .iter()
        .filter(|o| is_kind(o, "", "Namespace"))
        .filter_map(|o| str_at(o, "/metadata/name"))
        .collect();
    for o in rendered {
        let Some(key) = ObjKey::of(o) else { continue };
        let from = key.to_string();
        let ns = key.namespace.clone();
        if !ns.is_empty() && !rendered_namespaces.contains(ns.as_str()) {
            refs.namespaces
                .entry(ns.clone())
                .or_default()
                .push(from.clone());
        }
        let mut secret = |namespace: &str, name: &str, k: Option<&str>, path: String| {
            if !produced.contains(&(namespace.to_string(), name.to_string())) {
                refs.secrets.push(SecretRef {
                    namespace: namespace.to_string(),
                    name: name.to_string(),
                    key: k.map(str::to_string),
                    from: from.clone(),
                    path,
                });
            }
        };
        for pointer in [
            "/spec/template/spec",
            "/spec/jobTemplate/spec/template/spec",
        ] {
            if let Some(pod) = o.pointer(pointer) {
                pod_secrets(pod, &pointer_path(pointer), &mut |n, k, p| {
                    secret(&ns, n, k, p)
                });
            }
        }
        if is_kind(o, "databases.spotahome.com", "RedisFailover")
            && let Some(name) = str_at(o, "/spec/auth/secretPath")
        {
            secret(&ns, name, Some("password"), "spec.auth.secretPath".into());
        }
        if group_of(str_at(o, "/apiVersion").unwrap_or("")) == "redis.redis.opstreelabs.in"
            && let Some(name) = str_at(o, "/spec/kubernetesConfig/redisSecret/name")
        {
            let k = str_at(o, "/spec/kubernetesConfig/redisSecret/key");
            secret(&ns, name, k, "spec.kubernetesConfig.redisSecret".into());
        }
        if group_of(str_at(o, "/apiVersion").unwrap_or("")) == "kafka.strimzi.io" {
            strimzi_secrets(o, String::new(), &mut |n, k, p| secret(&ns, n, k, p));
        }
        claims(o, String::new(), &mut |class, path| {
            refs.claims.push(ClaimRef {
                class,
                from: from.clone(),
                path,
            })
        });
        if is_kind(o, "helm.toolkit.fluxcd.io", "HelmRelease") {
            let target = str_at(o, "/spec/targetNamespace")
                .unwrap_or(&ns)
                .to_string();
            if target != ns && !rendered_namespaces.contains(target.as_str()) {
                refs.namespaces
                    .entry(target.clone())
                    .or_default()
                    .push(from.clone());
            }
            if let Some(values) = helm_values(rendered, o) {
                helm_refs(
                    &values,
                    &mut |n, k, p| secret(&target, n, k, p),
                    &mut |class, path| {
                        refs.claims.push(ClaimRef {
                            class,
                            from: from.clone(),
                            path,
                        })
                    },
                );
            }
        }
    }
    refs.secrets.sort();
    refs.secrets.dedup();
    refs.claims.sort();
    refs.claims.dedup();
    refs
}

/// `/spec/template/spec` as `spec.template.spec`.
fn pointer_path(pointer: &str) -> String {
    pointer.trim_start_matches('/').replace('/', ".")
}

/// (namespace, name) of every Secret a rendered object creates.
fn produced_secrets(rendered: &[Value]) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for o in rendered {
        let ns = str_at(o, "/metadata/namespace").unwrap_or("").to_string();
        let name = str_at(o, "/metadata/name").unwrap_or("");
        let produced = if is_kind(o, "", "Secret") || is_kind(o, "kafka.strimzi.io", "KafkaUser") {
            Some(name)
        } else if is_kind(o, "external-secrets.io", "ExternalSecret") {
            Some(str_at(o, "/spec/target/name").unwrap_or(name))
        } else if is_kind(o, "cert-manager.io", "Certificate") {
            str_at(o, "/spec/secretName")
        } else {
            None
        };
        if let Some(p) = produced {
            out.insert((ns, p.to_string()));
        }
    }
    out
}

/// Secret references of a pod spec: `found(name, key, path)`; optional ones left out.
fn pod_secrets(pod: &Value, base: &str, found: &mut dyn FnMut(&str, Option<&str>, String)) {
    let optional = |v: &Value| v.get("optional").and_then(Value::as_bool) == Some(true);
    for list in ["initContainers", "containers"] {
        let Some(containers) = pod.get(list).and_then(Value::as_array) else {
            continue;
        };
        for (ci, c) in containers.iter().enumerate() {
            let cpath = format!("{base}.{list}[{ci}]");
            for (ei, e) in c
                .get("env")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                if let Some(r) = e.pointer("/valueFrom/secretKeyRef")
                    && !optional(r)
                    && let Some(name) = r.get("name").and_then(Value::as_str)
                {
                    let k = r.get("key").and_then(Value::as_str);
                    found(name, k, format!("{cpath}.env[{ei}].valueFrom.secretKeyRef"));
                }
            }
            for (ei, e) in c
                .get("envFrom")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                if let Some(r) = e.get("secretRef")
                    && !optional(r)
                    && let Some(name) = r.get("name").and_then(Value::as_str)
                {
                    found(name, None, format!("{cpath}.envFrom[{ei}].secretRef"));
                }
            }
        }
    }
    for (vi, v) in pod
        .get("volumes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let vpath = format!("{base}.volumes[{vi}]");
        if let Some(s) = v.get("secret")
            && !optional(s)
            && let Some(name) = s.get("secretName").and_then(Value::as_str)
        {
            items(s, &mut |k| found(name, k, format!("{vpath}.secret")));
        }
        for (si, src) in v
            .pointer("/projected/sources")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            if let Some(s) = src.get("secret")
                && !optional(s)
                && let Some(name) = s.get("name").and_then(Value::as_str)
            {
                items(s, &mut |k| {
                    found(name, k, format!("{vpath}.projected.sources[{si}].secret"))
                });
            }
        }
    }
}

/// Each key of a volume source's `items`, or `None` once when it has none (the whole
/// Secret is mounted).
fn items(source: &Value, each: &mut dyn FnMut(Option<&str>)) {
    match source.get("items").and_then(Value::as_array) {
        Some(list) if !list.is_empty() => {
            for i in list {
                each(i.get("key").and_then(Value::as_str));
            }
        }
        _ => each(None),
    }
}

/// Strimzi's `{secretName, password}` and `{secretName, certificate}` references.
fn strimzi_secrets(v: &Value, path: String, found: &mut dyn FnMut(&str, Option<&str>, String)) {
    match v {
        Value::Object(m) => {
            if let Some(name) = m.get("secretName").and_then(Value::as_str) {
                for key in ["password", "certificate"] {
                    if let Some(k) = m.get(key).and_then(Value::as_str) {
                        found(name, Some(k), path.clone());
                    }
                }
            }
            for (k, child) in m {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                strimzi_secrets(child, p, found);
            }
        }
        Value::Array(list) => {
            for (i, child) in list.iter().enumerate() {
                strimzi_secrets(child, format!("{path}[{i}]"), found);
            }
        }
        _ => {}
    }
}

/// Claim specs (a map with `accessModes` and `resources`): `found(class, path)`.
fn claims(v: &Value, path: String, found: &mut dyn FnMut(Option<String>, String)) {
    match v {
        Value::Object(m) => {
            if m.get("accessModes").is_some_and(Value::is_array)
                && m.get("resources").is_some_and(Value::is_object)
            {
                let class = m
                    .get("storageClassName")
                    .and_then(Value::as_str)
                    .map(str::to_string);
                found(class, path);
                return;
            }
            for (k, child) in m {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                claims(child, p, found);
            }
        }
        Value::Array(list) => {
            for (i, child) in list.iter().enumerate() {
                claims(child, format!("{path}[{i}]"), found);
            }
        }
        _ => {}
    }
}

/// The values of `release` from the values ConfigMap among `objects` (first
/// `valuesFrom` ConfigMap found), as YAML parsed to JSON.
fn helm_values(objects: &[Value], release: &Value) -> Option<Value> {
    let ns = str_at(release, "/metadata/namespace");
    for v in release.pointer("/spec/valuesFrom")?.as_array()? {
        if v.get("kind").and_then(Value::as_str) != Some("ConfigMap") {
            continue;
        }
        let name = v.get("name").and_then(Value::as_str)?;
        let key = v
            .get("valuesKey")
            .and_then(Value::as_str)
            .unwrap_or("values.yaml");
        let text = objects
            .iter()
            .find(|o| {
                is_kind(o, "", "ConfigMap")
                    && str_at(o, "/metadata/name") == Some(name)
                    && str_at(o, "/metadata/namespace") == ns
            })
            .and_then(|c| c.get("data")?.get(key)?.as_str());
        if let Some(values) = text.and_then(|t| serde_saphyr::from_str::<Value>(t).ok()) {
            return Some(values);
        }
    }
    None
}

/// Secrets and claims of the Bitnami charts' values.
fn helm_refs(
    values: &Value,
    secret: &mut dyn FnMut(&str, Option<&str>, String),
    claim: &mut dyn FnMut(Option<String>, String),
) {
    if let Some(name) = str_at(values, "/auth/existingSecret").filter(|n| !n.is_empty()) {
        let key = str_at(values, "/auth/existingSecretPasswordKey")
            .filter(|k| !k.is_empty())
            .unwrap_or("redis-password");
        secret(name, Some(key), "values auth.existingSecret".into());
    }
    if let Some(name) = str_at(values, "/tls/existingSecret").filter(|n| !n.is_empty()) {
        let mut any = false;
        for field in ["certFilename", "certKeyFilename", "certCAFilename"] {
            if let Some(k) = str_at(values, &format!("/tls/{field}")).filter(|k| !k.is_empty()) {
                secret(name, Some(k), format!("values tls.{field}"));
                any = true;
            }
        }
        if !any {
            secret(name, None, "values tls.existingSecret".into());
        }
    }
    for section in ["master", "replica", ""] {
        let base = if section.is_empty() {
            "/persistence".to_string()
        } else {
            format!("/{section}/persistence")
        };
        let Some(p) = values.pointer(&base) else {
            continue;
        };
        if p.get("enabled").and_then(Value::as_bool) == Some(false) {
            continue;
        }
        let class = p
            .get("storageClass")
            .and_then(Value::as_str)
            .filter(|c| !c.is_empty())
            .map(str::to_string);
        let path = format!(
            "values {}.storageClass",
            base.trim_start_matches('/').replace('/', ".")
        );
        claim(class, path);
    }
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
    let denied = |what: String, from: &str, message: &str| {
        Diagnostic::new(
            codes::RKV207,
            from,
            format!("cannot check {what}: {message}"),
        )
        .help("grant `get` on it to the diff's credentials, or check it by hand")
    };

    // Namespaces.
    for (ns, users) in &refs.namespaces {
        let from = format!("Namespace/{ns}");
        match facts.namespaces.get(ns) {
            Some(Lookup::Missing) => {
                let help = match applier {
                    Some(Applier::ArgoCd) => {
                        "create it, or set the Application's sync option `CreateNamespace=true`"
                            .to_string()
                    }
                    _ => format!(
                        "create it before the rollout (`kubectl create namespace {ns}`), or have the applier create it"
                    ),
                };
                out.push(
                    Diagnostic::new(
                        codes::RKV203,
                        &from,
                        format!(
                            "namespace `{ns}` does not exist and is not rendered; {} object(s) go into it",
                            users.len()
                        ),
                    )
                    .help(help),
                );
            }
            Some(Lookup::Denied(m)) => out.push(denied(format!("namespace `{ns}`"), &from, m)),
            _ => {}
        }
    }

    // Secrets and keys.
    let mut reported: BTreeSet<(String, String)> = BTreeSet::new();
    for r in &refs.secrets {
        let id = (r.namespace.clone(), r.name.clone());
        match facts.secrets.get(&id) {
            Some(Lookup::Missing) if reported.insert(id.clone()) => {
                let users: BTreeSet<&str> = refs
                    .secrets
                    .iter()
                    .filter(|s| s.namespace == r.namespace && s.name == r.name)
                    .map(|s| s.from.as_str())
                    .collect();
                let keys: BTreeSet<&str> = refs
                    .secrets
                    .iter()
                    .filter(|s| s.namespace == r.namespace && s.name == r.name)
                    .filter_map(|s| s.key.as_deref())
                    .collect();
                let literal: Vec<String> = keys
                    .iter()
                    .map(|k| format!("--from-literal={k}=..."))
                    .collect();
                let mut d = Diagnostic::new(
                    codes::RKV200,
                    &r.from,
                    format!(
                        "Secret `{}` does not exist in namespace `{}` and nothing rendered creates it; used by {}",
                        r.name,
                        r.namespace,
                        users.into_iter().collect::<Vec<_>>().join(", ")
                    ),
                )
                .help(format!(
                    "create it before the rollout (rkv renders references, never secret values): `kubectl -n {} create secret generic {} {}`",
                    r.namespace,
                    r.name,
                    literal.join(" ")
                ));
                d.path = r.path.clone();
                out.push(d);
            }
            Some(Lookup::Found(keys)) => {
                if let Some(k) = &r.key
                    && !keys.contains(k)
                    && reported.insert((r.namespace.clone(), format!("{}\0{k}", r.name)))
                {
                    let mut d = Diagnostic::new(
                        codes::RKV201,
                        &r.from,
                        format!(
                            "Secret `{}` in namespace `{}` has no key `{k}`",
                            r.name, r.namespace
                        ),
                    )
                    .help(if keys.is_empty() {
                        "it has no keys at all: add the key to the Secret".to_string()
                    } else {
                        format!(
                            "its keys are {}: add `{k}` to it, or point the spec at one of them",
                            keys.iter()
                                .map(|k| format!("`{k}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    });
                    d.path = r.path.clone();
                    out.push(d);
                }
            }
            Some(Lookup::Denied(m)) if reported.insert(id.clone()) => out.push(denied(
                format!("Secret `{}` in namespace `{}`", r.name, r.namespace),
                &r.from,
                m,
            )),
            _ => {}
        }
    }

    // StorageClasses.
    match &facts.storage_classes {
        Some(Lookup::Found((names, defaults))) => {
            let mut seen = BTreeSet::new();
            for c in &refs.claims {
                match &c.class {
                    Some(class)
                        if !class.is_empty()
                            && !names.contains(class)
                            && seen.insert(class.clone()) =>
                    {
                        let mut d = Diagnostic::new(
                            codes::RKV202,
                            &c.from,
                            format!(
                                "StorageClass `{class}` does not exist: the claim stays Pending"
                            ),
                        )
                        .help(if names.is_empty() {
                            "the cluster has no StorageClass at all".to_string()
                        } else {
                            format!(
                                "the cluster has {}: set `persistence.storageClass` to one of them",
                                names
                                    .iter()
                                    .map(|n| format!("`{n}`"))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )
                        });
                        d.path = c.path.clone();
                        out.push(d);
                    }
                    None if defaults.is_empty() && seen.insert(String::new()) => {
                        let mut d = Diagnostic::new(
                            codes::RKV202,
                            &c.from,
                            "the claim names no StorageClass and the cluster has no default one: it stays Pending",
                        )
                        .help("set `persistence.storageClass`, or mark a StorageClass `storageclass.kubernetes.io/is-default-class: \"true\"`");
                        d.path = c.path.clone();
                        out.push(d);
                    }
                    _ => {}
                }
            }
        }
        Some(Lookup::Denied(m)) if !refs.claims.is_empty() => {
            out.push(denied("StorageClasses".into(), &refs.claims[0].from, m))
        }
        _ => {}
    }

    // Custom resources against the cluster's CRDs.
    let mut sets: BTreeMap<String, Option<CrdSet>> = BTreeMap::new();
    for o in rendered {
        let api_version = str_at(o, "/apiVersion").unwrap_or("");
        if crate::validate::is_built_in(api_version) {
            continue;
        }
        let Some(key) = ObjKey::of(o) else { continue };
        let Some(crd_name) = crd_names.get(&(key.group.clone(), key.kind.clone())) else {
            continue;
        };
        let from = key.to_string();
        let crd = match facts.crds.get(crd_name) {
            Some(Lookup::Found(crd)) => crd,
            Some(Lookup::Missing) => {
                notes.push(format!(
                    "`{api_version}` {} is served without a CustomResourceDefinition (an aggregated API): not checked against a schema",
                    key.kind
                ));
                continue;
            }
            Some(Lookup::Denied(m)) => {
                out.push(denied(
                    format!("CustomResourceDefinition `{crd_name}`"),
                    &from,
                    m,
                ));
                continue;
            }
            None => continue,
        };
        let version = api_version.rsplit('/').next().unwrap_or("");
        let Some(v) = crd
            .pointer("/spec/versions")
            .and_then(Value::as_array)
            .and_then(|vs| {
                vs.iter()
                    .find(|v| v.get("name").and_then(Value::as_str) == Some(version))
            })
        else {
            continue;
        };
        if v.get("deprecated").and_then(Value::as_bool) == Some(true) {
            let warning = v
                .get("deprecationWarning")
                .and_then(Value::as_str)
                .map(|w| format!(": {w}"))
                .unwrap_or_default();
            out.push(
                Diagnostic::new(
                    codes::RKV206,
                    &from,
                    format!("`{api_version}` {} is deprecated in the cluster's CRD `{crd_name}`{warning}", key.kind),
                )
                .help("upgrade the operator, then the version rkv writes for it"),
            );
        }
        let Some(schema) = v.pointer("/schema/openAPIV3Schema") else {
            continue;
        };
        let mut gone = Vec::new();
        pruned(o, schema, String::new(), true, &mut gone);
        if !gone.is_empty() {
            let mut d = Diagnostic::new(
                codes::RKV204,
                &from,
                format!(
                    "the cluster's CRD `{crd_name}` ({version}) does not declare {}: the API server drops {} without an error, so the setting never reaches the operator",
                    gone.iter().map(|g| format!("`{g}`")).collect::<Vec<_>>().join(", "),
                    if gone.len() == 1 { "it" } else { "them" }
                ),
            )
            .help("upgrade the operator's CRDs to a version that has the field, or remove the setting from the spec");
            d.path = gone[0].clone();
            out.push(d);
        }
        let set = sets.entry(crd_name.clone()).or_insert_with(|| {
            CrdSet::from_documents(
                Path::new(&format!("the cluster's CRD {crd_name}")),
                std::slice::from_ref(crd),
            )
            .ok()
        });
        if let Some(set) = set {
            let mut kept = o.clone();
            for g in &gone {
                remove_dotted(&mut kept, g);
            }
            if let Err(Rejection::Invalid(violations)) = set.validate(&kept) {
                for violation in violations {
                    let mut d = Diagnostic::new(
                        codes::RKV205,
                        &from,
                        format!(
                            "does not match the cluster's CRD `{crd_name}` ({version}){}: {}",
                            if violation.path.is_empty() {
                                String::new()
                            } else {
                                format!(" at `{}`", violation.path)
                            },
                            violation.message
                        ),
                    )
                    .help(
                        "the server refuses it; compare with the operator version the spec targets",
                    );
                    d.path = violation.path.clone();
                    out.push(d);
                }
            }
        }
    }
    (out, notes)
}

/// The dotted paths of the fields of `v` that the structural `schema` does not declare.
pub(crate) fn pruned(v: &Value, schema: &Value, path: String, root: bool, out: &mut Vec<String>) {
    let preserve = schema
        .get("x-kubernetes-preserve-unknown-fields")
        .and_then(Value::as_bool)
        == Some(true);
    let embedded = schema
        .get("x-kubernetes-embedded-resource")
        .and_then(Value::as_bool)
        == Some(true);
    match v {
        Value::Object(m) => {
            let props = schema.get("properties").and_then(Value::as_object);
            let additional = schema.get("additionalProperties");
            for (k, child) in m {
                if (root || embedded) && matches!(k.as_str(), "apiVersion" | "kind" | "metadata") {
                    continue;
                }
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                match props.and_then(|ps| ps.get(k)) {
                    Some(s) => pruned(child, s, p, false, out),
                    None => match additional {
                        Some(s @ Value::Object(_)) => pruned(child, s, p, false, out),
                        Some(Value::Bool(true)) => {}
                        _ if preserve => {}
                        _ => out.push(p),
                    },
                }
            }
        }
        Value::Array(list) => {
            if let Some(items) = schema.get("items").filter(|i| i.is_object()) {
                for (i, child) in list.iter().enumerate() {
                    pruned(child, items, format!("{path}[{i}]"), false, out);
                }
            }
        }
        _ => {}
    }
}

/// Removes the field at a dotted path (with `[i]` list indexes) from `v`.
fn remove_dotted(v: &mut Value, path: &str) {
    let mut steps: Vec<String> = Vec::new();
    for part in path.split('.') {
        let mut rest = part;
        if let Some(i) = rest.find('[') {
            steps.push(rest[..i].to_string());
            rest = &rest[i..];
            while let Some(end) = rest.find(']') {
                steps.push(rest[1..end].to_string());
                rest = &rest[end + 1..];
            }
        } else {
            steps.push(rest.to_string());
        }
    }
    let Some((last, parents)) = steps.split_last() else {
        return;
    };
    let mut cur = v;
    for s in parents {
        cur = match cur {
            Value::Object(m) => match m.get_mut(s) {
                Some(c) => c,
                None => return,
            },
            Value::Array(a) => match s.parse::<usize>().ok().and_then(|i| a.get_mut(i)) {
                Some(c) => c,
                None => return,
            },
            _ => return,
        };
    }
    if let Value::Object(m) = cur {
        m.shift_remove(last);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deployment() -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": "redis", "namespace": "cordum"},
               "spec": {"template": {"spec": {
                   "containers": [{"name": "redis", "env": [
                       {"name": "A", "valueFrom": {"secretKeyRef": {"name": "auth", "key": "REDIS_PASSWORD"}}},
                       {"name": "B", "valueFrom": {"secretKeyRef": {"name": "opt", "key": "x", "optional": true}}}]}],
                   "volumes": [{"name": "tls", "secret": {"secretName": "tls", "items": [{"key": "tls.crt", "path": "c"}]}},
                               {"name": "made", "secret": {"secretName": "made-by-es"}}]}}}})
    }

    #[test]
    fn references_skip_optional_and_produced_secrets() {
        let es = json!({"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret",
                        "metadata": {"name": "es", "namespace": "cordum"},
                        "spec": {"target": {"name": "made-by-es"}}});
        let pvc = json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                         "metadata": {"name": "data", "namespace": "cordum"},
                         "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}});
        let refs = references(&[deployment(), es, pvc]);
        let secrets: Vec<(&str, Option<&str>, &str)> = refs
            .secrets
            .iter()
            .map(|s| (s.name.as_str(), s.key.as_deref(), s.path.as_str()))
            .collect();
        assert_eq!(
            secrets,
            [
                (
                    "auth",
                    Some("REDIS_PASSWORD"),
                    "spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef"
                ),
                (
                    "tls",
                    Some("tls.crt"),
                    "spec.template.spec.volumes[0].secret"
                ),
            ]
        );
        assert_eq!(refs.claims.len(), 1);
        assert_eq!(refs.claims[0].class, None);
        assert_eq!(refs.namespaces["cordum"].len(), 3);
    }

    #[test]
    fn pruned_fields_follow_the_structural_schema() {
        let schema = json!({"type": "object", "properties": {
            "spec": {"type": "object", "properties": {
                "a": {"type": "integer"},
                "m": {"type": "object", "additionalProperties": {"type": "string"}},
                "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
                "list": {"type": "array", "items": {"type": "object", "properties": {"x": {"type": "string"}}}}}}}});
        let obj = json!({"apiVersion": "x/v1", "kind": "X", "metadata": {"name": "n"},
            "spec": {"a": 1, "gone": true, "m": {"any": "v"}, "free": {"any": 1},
                     "list": [{"x": "1", "y": 2}]}});
        let mut out = Vec::new();
        pruned(&obj, &schema, String::new(), true, &mut out);
        assert_eq!(out, ["spec.gone", "spec.list[0].y"]);
        let mut kept = obj.clone();
        for p in &out {
            remove_dotted(&mut kept, p);
        }
        assert_eq!(kept["spec"]["list"][0], json!({"x": "1"}));
        assert!(kept["spec"].get("gone").is_none());
    }
}
