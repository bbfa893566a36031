//! Immutable fields: which a change touches, whether a server refusal is about one, and
//! what to do when an object must be replaced.
//!
//! In: a live object and the rendered one (server fields stripped), or a refusal's code
//! and message. Out: dotted field paths (`spec.volumeClaimTemplates[0].spec.resources.
//! requests.storage`), a yes/no, and the remedy text. Pure functions, no I/O.
//!
//! The table is the Kubernetes validation rkv's objects can meet: a StatefulSet's spec
//! beyond `replicas`, `ordinals`, `template`, `updateStrategy`,
//! `persistentVolumeClaimRetentionPolicy` and `minReadySeconds`; a
//! PersistentVolumeClaim's spec beyond growing its storage; a Job's `selector` and
//! `template`; a Deployment's `selector`. It names the exact fields when a server only
//! says `spec: Forbidden`, and predicts refusals when there is no server to ask.

use serde_json::Value;

use super::normalize::project;
use super::{Applier, ObjKey};

/// The fields of a StatefulSet's spec the API server lets an update change.
const STATEFULSET_MUTABLE: [&str; 6] = [
    "replicas",
    "ordinals",
    "template",
    "updateStrategy",
    "persistentVolumeClaimRetentionPolicy",
    "minReadySeconds",
];

/// Whether a refusal (status code and message) is about an immutable field.
pub(crate) fn is_immutable_refusal(code: u16, message: &str) -> bool {
    code == 422
        && (message.contains("field is immutable")
            || message.contains("is immutable after creation")
            || message.contains("updates to statefulset spec for fields other than")
            || message.contains("can not be less than previous value"))
}

/// The immutable fields `rendered` changes on `live`, as dotted paths (empty: none).
/// `live` is compared only on the fields `rendered` has, so server defaults do not count.
pub(crate) fn changed(key: &ObjKey, live: &Value, rendered: &Value) -> Vec<String> {
    let spec = |v: &Value| v.get("spec").cloned().unwrap_or(Value::Null);
    let (live_spec, new_spec) = (spec(live), spec(rendered));
    let live_spec = project(&live_spec, &new_spec);
    let mut out = Vec::new();
    let mut compare = |field: &str| {
        if let (Some(a), Some(b)) = (live_spec.get(field), new_spec.get(field)) {
            diff_paths(a, b, &format!("spec.{field}"), &mut out);
        }
    };
    match (key.group.as_str(), key.kind.as_str()) {
        ("apps", "StatefulSet") => {
            if let Some(fields) = new_spec.as_object() {
                for field in fields.keys() {
                    if !STATEFULSET_MUTABLE.contains(&field.as_str()) {
                        compare(field);
                    }
                }
            }
        }
        ("apps", "Deployment") => compare("selector"),
        ("batch", "Job") => {
            compare("selector");
            compare("template");
        }
        ("", "PersistentVolumeClaim") => {
            if let Some(fields) = new_spec.as_object() {
                for field in fields.keys() {
                    if field != "resources" && field != "volumeAttributesClassName" {
                        compare(field);
                    }
                }
            }
            let storage = |v: &Value| {
                v.pointer("/resources/requests/storage")
                    .and_then(Value::as_str)
                    .and_then(|q| crate::plan::memory::parse_k8s_quantity(q).ok())
            };
            if let (Some(old), Some(new)) = (storage(&live_spec), storage(&new_spec))
                && new < old
            {
                out.push("spec.resources.requests.storage".into());
            }
        }
        _ => {}
    }
    out
}

/// Appends the paths where `a` and `b` differ: map keys recursed, lists of one length
/// recursed by index, anything else compared whole.
fn diff_paths(a: &Value, b: &Value, path: &str, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                match (x.get(k), y.get(k)) {
                    (Some(p), Some(q)) => diff_paths(p, q, &format!("{path}.{k}"), out),
                    _ => out.push(format!("{path}.{k}")),
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                diff_paths(p, q, &format!("{path}[{i}]"), out);
            }
        }
        _ if a != b => out.push(path.to_string()),
        _ => {}
    }
}

/// What to do when `key` must be replaced because `fields` are immutable.
pub(crate) fn remedy(
    key: &ObjKey,
    rendered: Option<&Value>,
    fields: &[String],
    applier: Option<Applier>,
) -> String {
    let ns = if key.namespace.is_empty() {
        String::new()
    } else {
        format!("-n {} ", key.namespace)
    };
    let name = &key.name;
    let flux_forced = rendered
        .and_then(|r| super::annotation(r, "kustomize.toolkit.fluxcd.io/force"))
        == Some("enabled");
    match (key.group.as_str(), key.kind.as_str()) {
        ("apps", "StatefulSet") => {
            let grows_claims = fields
                .iter()
                .any(|f| f.starts_with("spec.volumeClaimTemplates") && f.ends_with("storage"));
            let orphan = format!(
                "`kubectl {ns}delete statefulset {name} --cascade=orphan` so the sync creates it again; its pods keep running and keep their claims"
            );
            if grows_claims {
                let claims = claim_names(key, rendered);
                let which = if claims.is_empty() {
                    "each claim of the StatefulSet".to_string()
                } else {
                    claims
                        .iter()
                        .map(|c| format!("`{c}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                format!(
                    "grow the claims first (only if their StorageClass has `allowVolumeExpansion: true`): `kubectl {ns}patch pvc <claim> -p '{{\"spec\":{{\"resources\":{{\"requests\":{{\"storage\":\"<size>\"}}}}}}}}'` for {which}; then {orphan}"
                )
            } else {
                format!(
                    "{orphan}; then `kubectl {ns}rollout restart statefulset {name}` if the pods must pick up the change"
                )
            }
        }
        ("apps", "Deployment") => format!(
            "`kubectl {ns}delete deployment {name}` so the sync creates it again (its pods restart: a single replica means downtime)"
        ),
        ("batch", "Job") if flux_forced && applier != Some(Applier::ArgoCd) => format!(
            "nothing by hand under Flux: the Job carries `kustomize.toolkit.fluxcd.io/force: enabled`, so Flux deletes and re-creates it; otherwise `kubectl {ns}delete job {name}` before the sync"
        ),
        ("batch", "Job") => format!(
            "`kubectl {ns}delete job {name}` so the sync creates it again (Argo CD: sync option `Replace=true` on it)"
        ),
        ("", "PersistentVolumeClaim") => format!(
            "a claim cannot change this after creation: back the data up, `kubectl {ns}delete pvc {name}` (this deletes its volume) and let the sync create it, then restore"
        ),
        _ => format!(
            "delete `{}/{name}` so the sync creates it again",
            key.kind.to_lowercase()
        ),
    }
}

/// `<template>-<statefulset>-<ordinal>` for every claim template and replica.
fn claim_names(key: &ObjKey, rendered: Option<&Value>) -> Vec<String> {
    let Some(spec) = rendered.and_then(|r| r.get("spec")) else {
        return Vec::new();
    };
    let replicas = spec.get("replicas").and_then(Value::as_u64).unwrap_or(1);
    let templates: Vec<&str> = spec
        .get("volumeClaimTemplates")
        .and_then(Value::as_array)
        .map(|ts| {
            ts.iter()
                .filter_map(|t| t.pointer("/metadata/name").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default();
    let mut out = Vec::new();
    for t in templates {
        for i in 0..replicas.min(64) {
            out.push(format!("{t}-{}-{i}", key.name));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key(group: &str, kind: &str) -> ObjKey {
        ObjKey {
            kind: kind.into(),
            namespace: "redis".into(),
            name: "kv".into(),
            group: group.into(),
        }
    }

    fn sts(size: &str, replicas: u32) -> Value {
        json!({"spec": {"replicas": replicas, "serviceName": "kv",
            "template": {"spec": {}},
            "volumeClaimTemplates": [{"metadata": {"name": "data"},
                "spec": {"resources": {"requests": {"storage": size}}}}]}})
    }

    #[test]
    fn statefulset_claim_size_is_named_exactly_and_replicas_are_free() {
        let k = key("apps", "StatefulSet");
        let mut live = sts("20Gi", 6);
        live["spec"]["volumeClaimTemplates"][0]["spec"]["volumeMode"] = json!("Filesystem");
        assert_eq!(
            changed(&k, &live, &sts("40Gi", 6)),
            ["spec.volumeClaimTemplates[0].spec.resources.requests.storage"]
        );
        assert!(changed(&k, &sts("20Gi", 6), &sts("20Gi", 8)).is_empty());
        let todo = remedy(
            &k,
            Some(&sts("40Gi", 2)),
            &changed(&k, &live, &sts("40Gi", 2)),
            None,
        );
        assert!(todo.contains("`data-kv-0`, `data-kv-1`"), "{todo}");
        assert!(todo.contains("--cascade=orphan"), "{todo}");
    }

    #[test]
    fn claims_may_grow_but_not_shrink_or_change_class() {
        let k = key("", "PersistentVolumeClaim");
        let pvc = |size: &str, class: &str| {
            json!({"spec": {"storageClassName": class,
                "resources": {"requests": {"storage": size}}}})
        };
        assert!(changed(&k, &pvc("10Gi", "a"), &pvc("20Gi", "a")).is_empty());
        assert_eq!(
            changed(&k, &pvc("20Gi", "a"), &pvc("10Gi", "a")),
            ["spec.resources.requests.storage"]
        );
        assert_eq!(
            changed(&k, &pvc("10Gi", "a"), &pvc("10Gi", "b")),
            ["spec.storageClassName"]
        );
    }

    #[test]
    fn refusals_about_immutable_fields_are_recognized() {
        assert!(is_immutable_refusal(
            422,
            "Job.batch \"x\" is invalid: spec.template: Invalid value: ...: field is immutable"
        ));
        assert!(is_immutable_refusal(
            422,
            "StatefulSet.apps \"x\" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas' are forbidden"
        ));
        assert!(!is_immutable_refusal(422, "spec.replicas: Invalid value"));
        assert!(!is_immutable_refusal(400, "field is immutable"));
    }

    #[test]
    fn a_forced_job_needs_nothing_under_flux() {
        let k = key("batch", "Job");
        let job =
            json!({"metadata": {"annotations": {"kustomize.toolkit.fluxcd.io/force": "enabled"}}});
        assert!(remedy(&k, Some(&job), &[], Some(Applier::Flux)).starts_with("nothing by hand"));
        assert!(remedy(&k, Some(&job), &[], Some(Applier::ArgoCd)).contains("Replace=true"));
    }
}
