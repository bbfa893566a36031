//! The Secrets rendered objects need and do not create: what must exist before they are
//! applied.
//!
//! In: the rendered objects (each with its namespace) and, for a Flux HelmRelease, a way
//! to read its chart values. Out: one [`SecretRef`] per (object, Secret, key) reference,
//! and the [`Prerequisite`]s grouped from them. Pure functions; a Secret's value never
//! reaches this module (rkv renders references only).
//!
//! Read: `secretKeyRef`, `secretRef`, secret volumes and projections of pod templates;
//! Spotahome `spec.auth.secretPath` (key `password`); OT-CONTAINER-KIT
//! `kubernetesConfig.redisSecret`; Strimzi `{secretName, password|certificate}`; the
//! Bitnami charts' values (`auth.existingSecret` / `existingSecret`, `tls.existingSecret`).
//! Left out: optional references, and Secrets a rendered object creates (a Secret, an
//! ExternalSecret's target, a cert-manager Certificate's `secretName`, a Strimzi
//! KafkaUser's credentials, which the User Operator writes under the user's name).
//! `rkv diff` looks each one up in the cluster (RKV200, RKV201); the runbook and
//! `rkv explain` list them as prerequisites.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::{ObjKey, group_of};

/// A Secret (and key) an object needs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SecretRef {
    pub namespace: String,
    pub name: String,
    pub key: Option<String>,
    /// The object that needs it (`kind/namespace/name`), and where in it.
    pub from: String,
    pub path: String,
}

/// A Secret that must exist before the objects are applied, with every key read from it
/// and every object that reads it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Prerequisite {
    pub namespace: String,
    pub name: String,
    /// The keys the objects read (empty: a volume mounts the whole Secret).
    pub keys: Vec<String>,
    /// `Kind name` of each object that reads it.
    pub used_by: Vec<String>,
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str)
}

fn is_kind(o: &Value, api_group: &str, kind: &str) -> bool {
    o.get("kind").and_then(Value::as_str) == Some(kind)
        && group_of(str_at(o, "/apiVersion").unwrap_or("")) == api_group
}

/// Every Secret reference of `objects` that no object of them creates, sorted.
/// `values_of` gives the chart values of a HelmRelease among them.
pub fn needed(objects: &[&Value], values_of: &dyn Fn(&Value) -> Option<Value>) -> Vec<SecretRef> {
    let produced = produced(objects, values_of);
    let mut out = Vec::new();
    for &o in objects {
        let Some(key) = ObjKey::of(o) else { continue };
        let from = key.to_string();
        let ns = key.namespace.clone();
        let mut secret = |namespace: &str, name: &str, k: Option<&str>, path: String| {
            if !produced.contains(&(namespace.to_string(), name.to_string())) {
                out.push(SecretRef {
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
                let base = pointer.trim_start_matches('/').replace('/', ".");
                pod_secrets(pod, &base, &mut |n, k, p| secret(&ns, n, k, p));
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
        if is_kind(o, "helm.toolkit.fluxcd.io", "HelmRelease") {
            let target = str_at(o, "/spec/targetNamespace")
                .unwrap_or(&ns)
                .to_string();
            if let Some(values) = values_of(o) {
                chart_secrets(&values, &mut |n, k, p| secret(&target, n, k, p));
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The references grouped by Secret: what must exist before the objects are applied.
pub fn prerequisites(refs: &[SecretRef]) -> Vec<Prerequisite> {
    let mut by: BTreeMap<(String, String), (BTreeSet<String>, BTreeSet<String>)> = BTreeMap::new();
    for r in refs {
        let (keys, users) = by.entry((r.namespace.clone(), r.name.clone())).or_default();
        keys.extend(r.key.clone());
        // `Kind/namespace/name` as `Kind name`: the namespace is the Secret's own.
        let mut parts = r.from.split('/');
        let kind = parts.next().unwrap_or_default();
        let name = parts.next_back().unwrap_or_default();
        users.insert(format!("{kind} `{name}`"));
    }
    by.into_iter()
        .map(|((namespace, name), (keys, users))| Prerequisite {
            namespace,
            name,
            keys: keys.into_iter().collect(),
            used_by: users.into_iter().collect(),
        })
        .collect()
}

/// (namespace, name) of every Secret a rendered object creates, the password Secret a
/// Bitnami chart makes itself included (its values turn auth on and name no existing one).
fn produced(
    objects: &[&Value],
    values_of: &dyn Fn(&Value) -> Option<Value>,
) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for &o in objects {
        if is_kind(o, "helm.toolkit.fluxcd.io", "HelmRelease")
            && let Some(values) = values_of(o)
            && let Some(name) = chart_made_secret(o, &values)
        {
            let ns = str_at(o, "/spec/targetNamespace")
                .or_else(|| str_at(o, "/metadata/namespace"))
                .unwrap_or("");
            out.insert((ns.to_string(), name));
        }
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

/// The password Secret a Bitnami chart renders itself: `<fullname>` when its values turn
/// auth on (`auth.enabled` of redis, `usePassword` of redis-cluster; both default to true)
/// and name no `existingSecret`.
fn chart_made_secret(release: &Value, values: &Value) -> Option<String> {
    let on = |at: &str| values.pointer(at).and_then(Value::as_bool) != Some(false);
    let named = |at: &str| str_at(values, at).is_some_and(|n| !n.is_empty());
    let redis = values.get("auth").is_some();
    let makes = if redis {
        on("/auth/enabled") && !named("/auth/existingSecret")
    } else {
        on("/usePassword") && !named("/existingSecret")
    };
    makes.then(|| {
        str_at(values, "/fullnameOverride")
            .filter(|n| !n.is_empty())
            .or_else(|| str_at(release, "/spec/releaseName"))
            .or_else(|| str_at(release, "/metadata/name"))
            .unwrap_or_default()
            .to_string()
    })
}

/// The Secrets the Bitnami charts' values name: the password's (`auth.existingSecret` of
/// the redis chart, `existingSecret` of redis-cluster) and the TLS certificates'.
fn chart_secrets(values: &Value, secret: &mut dyn FnMut(&str, Option<&str>, String)) {
    for (at, key_at) in [
        ("/auth/existingSecret", "/auth/existingSecretPasswordKey"),
        ("/existingSecret", "/existingSecretPasswordKey"),
    ] {
        if let Some(name) = str_at(values, at).filter(|n| !n.is_empty()) {
            let key = str_at(values, key_at)
                .filter(|k| !k.is_empty())
                .unwrap_or("redis-password");
            let path = format!("values {}", at.trim_start_matches('/').replace('/', "."));
            secret(name, Some(key), path);
        }
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deployment(env_optional: bool) -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "d", "namespace": "n"},
            "spec": {"template": {"spec": {
                "containers": [{"name": "c", "env": [
                    {"name": "P", "valueFrom": {"secretKeyRef": {"name": "pw", "key": "password", "optional": env_optional}}}
                ]}],
                "volumes": [{"name": "t", "secret": {"secretName": "tls"}}]
            }}}
        })
    }

    #[test]
    fn references_skip_optional_and_produced_secrets() {
        let es = json!({"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret",
            "metadata": {"name": "x", "namespace": "n"}, "spec": {"target": {"name": "tls"}}});
        let none = |_: &Value| None;
        let refs = needed(&[&deployment(false)], &none);
        let names: Vec<(&str, Option<&str>)> = refs
            .iter()
            .map(|r| (r.name.as_str(), r.key.as_deref()))
            .collect();
        assert_eq!(names, [("pw", Some("password")), ("tls", None)]);
        let refs = needed(&[&deployment(true), &es], &none);
        assert!(refs.is_empty(), "{refs:?}");
    }

    #[test]
    fn chart_values_name_the_password_and_tls_secrets() {
        let release = json!({"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
            "metadata": {"name": "r", "namespace": "flux"}, "spec": {"targetNamespace": "kv"}});
        let values = json!({
            "auth": {"existingSecret": "pw", "existingSecretPasswordKey": "k"},
            "tls": {"existingSecret": "tls", "certFilename": "tls.crt", "certKeyFilename": "tls.key", "certCAFilename": "ca.crt"}
        });
        let refs = needed(&[&release], &|_| Some(values.clone()));
        let p = prerequisites(&refs);
        assert_eq!(p.len(), 2);
        assert_eq!((p[0].namespace.as_str(), p[0].name.as_str()), ("kv", "pw"));
        assert_eq!(p[0].keys, ["k"]);
        assert_eq!(p[1].keys, ["ca.crt", "tls.crt", "tls.key"]);
        assert_eq!(p[1].used_by, ["HelmRelease `r`"]);
        // The chart's own Secret (no existingSecret) is nobody's prerequisite.
        let own = json!({"auth": {"enabled": true}});
        let release = json!({"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
            "metadata": {"name": "r", "namespace": "kv"}});
        assert!(needed(&[&release], &|_| Some(own.clone())).is_empty());
    }

    #[test]
    fn the_password_secret_the_chart_makes_is_nobodys_prerequisite() {
        let release = json!({"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
            "metadata": {"name": "redis", "namespace": "kv"}});
        let backup = json!({"apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": {"name": "backup", "namespace": "kv"},
            "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "b",
                "env": [{"name": "P", "valueFrom": {"secretKeyRef": {"name": "redis", "key": "redis-password"}}}]}]}}}}}});
        // The chart makes Secret `redis` (auth on, no existingSecret): the backup may use it.
        let made = json!({"auth": {"enabled": true}, "fullnameOverride": "redis"});
        assert!(needed(&[&release, &backup], &|_| Some(made.clone())).is_empty());
        // Auth off: the chart makes nothing, so the backup's Secret must exist first.
        let off = json!({"auth": {"enabled": false}, "fullnameOverride": "redis"});
        assert_eq!(
            needed(&[&release, &backup], &|_| Some(off.clone())).len(),
            1
        );
        // redis-cluster: `usePassword` and a top-level `existingSecret`.
        let cluster =
            json!({"usePassword": true, "existingSecret": "mine", "fullnameOverride": "redis"});
        let refs = needed(&[&release, &backup], &|_| Some(cluster.clone()));
        let names: Vec<&str> = refs.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["mine", "redis"]);
    }
}
