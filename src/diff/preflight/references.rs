//! What the rendered objects depend on in the cluster but do not create: Secrets and
//! keys (pod templates, operator CRs, Strimzi resources, Bitnami chart values of a
//! HelmRelease; optional references and Secrets a rendered object creates left out),
//! the StorageClasses of claims, the namespaces objects go into.
//!
//! In: the rendered objects, namespaces filled in. Out: [`Refs`], sorted and deduplicated.

use std::collections::BTreeSet;

use serde_json::Value;

use super::{ClaimRef, Refs, SecretRef, is_kind, str_at};
use crate::diff::{ObjKey, group_of};

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
}
