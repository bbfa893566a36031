//! What the rendered objects depend on in the cluster but do not create: Secrets and
//! keys ([`crate::bundle::secrets`]: the same list the runbook's "Before you apply" and
//! `rkv explain` show, with the Bitnami chart values of a HelmRelease read from its values
//! ConfigMap), the StorageClasses of claims, the namespaces objects go into.
//!
//! In: the rendered objects, namespaces filled in. Out: [`Refs`], sorted and deduplicated.

use std::collections::BTreeSet;

use serde_json::Value;

use super::{ClaimRef, Refs, is_kind, str_at};
use crate::diff::ObjKey;

/// What the rendered objects depend on. `values` gives the Helm values of a
/// HelmRelease (read from its values ConfigMap among the rendered objects).
pub(crate) fn references(rendered: &[Value]) -> Refs {
    let mut refs = Refs {
        secrets: crate::bundle::secrets::needed(&rendered.iter().collect::<Vec<_>>(), &|release| {
            helm_values(rendered, release)
        }),
        ..Refs::default()
    };
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
                helm_claims(&values, &mut |class, path| {
                    refs.claims.push(ClaimRef {
                        class,
                        from: from.clone(),
                        path,
                    })
                });
            }
        }
    }
    refs.claims.sort();
    refs.claims.dedup();
    refs
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

/// Claims of the Bitnami charts' values.
fn helm_claims(values: &Value, claim: &mut dyn FnMut(Option<String>, String)) {
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
