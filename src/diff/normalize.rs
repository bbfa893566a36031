//! Normalization of both sides of a diff: pure functions on JSON values, no I/O.
//!
//! In: a live object and the object after the rollout. Out: the same objects without
//! the fields the server sets on its own, with Secret values replaced by their sizes,
//! and with keys in the order of the rendered object, so that the YAML of both sides
//! reads like the rendered files and differs only where the objects do.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value};

/// Fields of `metadata` the server owns.
const SERVER_METADATA: &[&str] = &[
    "managedFields",
    "resourceVersion",
    "uid",
    "creationTimestamp",
    "generation",
    "selfLink",
];

/// Annotations that tools write on their own.
const TOOL_ANNOTATIONS: &[&str] = &[
    "kubectl.kubernetes.io/last-applied-configuration",
    "deployment.kubernetes.io/revision",
];

/// Drops `status`, server-set metadata, tool annotations and empty label or annotation maps.
pub(crate) fn strip(mut obj: Value) -> Value {
    let Some(map) = obj.as_object_mut() else {
        return obj;
    };
    map.shift_remove("status");
    if let Some(Value::Object(meta)) = map.get_mut("metadata") {
        for field in SERVER_METADATA {
            meta.shift_remove(*field);
        }
        if let Some(Value::Object(annotations)) = meta.get_mut("annotations") {
            for a in TOOL_ANNOTATIONS {
                annotations.shift_remove(*a);
            }
        }
        for field in ["annotations", "labels"] {
            let empty = match meta.get(field) {
                Some(Value::Object(m)) => m.is_empty(),
                Some(Value::Null) => true,
                _ => false,
            };
            if empty {
                meta.shift_remove(field);
            }
        }
    }
    obj
}

/// Keeps of `live` only the fields that `desired` has (recursively through maps, and
/// through lists of the same length), so that fields the server defaults do not show as
/// changes when there is no server-merged object to compare with.
pub(crate) fn project(live: &Value, desired: &Value) -> Value {
    match (live, desired) {
        (Value::Object(l), Value::Object(d)) => Value::Object(
            l.iter()
                .filter_map(|(k, v)| d.get(k).map(|dv| (k.clone(), project(v, dv))))
                .collect(),
        ),
        (Value::Array(l), Value::Array(d)) if l.len() == d.len() => {
            Value::Array(l.iter().zip(d).map(|(lv, dv)| project(lv, dv)).collect())
        }
        _ => live.clone(),
    }
}

/// Returns `value` with its map keys in the order of `reference` (keys `reference`
/// lacks follow, in their own order), recursively.
pub(crate) fn align(value: &Value, reference: &Value) -> Value {
    match (value, reference) {
        (Value::Object(v), Value::Object(r)) => {
            let mut out = Map::with_capacity(v.len());
            for (k, rv) in r {
                if let Some(vv) = v.get(k) {
                    out.insert(k.clone(), align(vv, rv));
                }
            }
            for (k, vv) in v {
                if !r.contains_key(k) {
                    out.insert(k.clone(), vv.clone());
                }
            }
            Value::Object(out)
        }
        (Value::Array(v), Value::Array(r)) => Value::Array(
            v.iter()
                .enumerate()
                .map(|(i, vv)| match r.get(i) {
                    Some(rv) => align(vv, rv),
                    None => vv.clone(),
                })
                .collect(),
        ),
        _ => value.clone(),
    }
}

/// Whether `obj` is a core `v1` Secret.
pub(crate) fn is_secret(obj: &Value) -> bool {
    obj.get("kind").and_then(Value::as_str) == Some("Secret")
        && obj.get("apiVersion").and_then(Value::as_str) == Some("v1")
}

/// Moves Secret `stringData` into `data` (base64), as the server does on write.
pub(crate) fn fold_string_data(obj: &mut Value) {
    let Some(map) = obj.as_object_mut() else {
        return;
    };
    let Some(Value::Object(string_data)) = map.shift_remove("stringData") else {
        return;
    };
    let data = map
        .entry("data")
        .or_insert_with(|| Value::Object(Map::new()));
    if !data.is_object() {
        *data = Value::Object(Map::new());
    }
    if let Value::Object(data) = data {
        for (k, v) in string_data {
            let text = match v {
                Value::String(s) => s,
                other => other.to_string(),
            };
            data.insert(k, Value::String(STANDARD.encode(text.as_bytes())));
        }
    }
}

/// Size in bytes of a base64 `data` value (its own length if it is not base64).
fn decoded_len(v: &Value) -> usize {
    match v {
        Value::String(s) => STANDARD.decode(s).map(|b| b.len()).unwrap_or(s.len()),
        Value::Null => 0,
        other => other.to_string().len(),
    }
}

/// Replaces the Secret values of `before` and `after` by their sizes:
/// `<unchanged: N bytes>` on both sides, `<before: N bytes>` / `<changed: N -> M bytes>`,
/// `<added: M bytes>`, `<removed: N bytes>`. Call after [`fold_string_data`].
pub(crate) fn mask_secrets(before: Option<&mut Value>, after: Option<&mut Value>) {
    let take = |obj: &Option<&mut Value>| -> Map<String, Value> {
        obj.as_ref()
            .and_then(|o| o.get("data"))
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
    };
    let old = take(&before);
    let new = take(&after);
    let mut masked_old = Map::new();
    let mut masked_new = Map::new();
    // Keys in the order of the "after" side, then removed keys.
    for (k, nv) in &new {
        let n = decoded_len(nv);
        match old.get(k) {
            Some(ov) if ov == nv => {
                let text = Value::String(format!("<unchanged: {n} bytes>"));
                masked_old.insert(k.clone(), text.clone());
                masked_new.insert(k.clone(), text);
            }
            Some(ov) => {
                let o = decoded_len(ov);
                masked_old.insert(k.clone(), Value::String(format!("<before: {o} bytes>")));
                masked_new.insert(
                    k.clone(),
                    Value::String(format!("<changed: {o} -> {n} bytes>")),
                );
            }
            None => {
                masked_new.insert(k.clone(), Value::String(format!("<added: {n} bytes>")));
            }
        }
    }
    for (k, ov) in &old {
        if !new.contains_key(k) {
            let o = decoded_len(ov);
            masked_old.insert(k.clone(), Value::String(format!("<removed: {o} bytes>")));
        }
    }
    for (obj, masked) in [(before, masked_old), (after, masked_new)] {
        if let Some(Value::Object(map)) = obj
            && map.contains_key("data")
        {
            map.insert("data".into(), Value::Object(masked));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strip_drops_server_fields_and_empty_maps() {
        let live = json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {
                "name": "redis", "uid": "u", "resourceVersion": "7", "generation": 3,
                "creationTimestamp": "2024-01-01T00:00:00Z", "selfLink": "/x",
                "managedFields": [{"manager": "rkv"}], "labels": {},
                "annotations": {
                    "kubectl.kubernetes.io/last-applied-configuration": "{}",
                    "deployment.kubernetes.io/revision": "4"
                }
            },
            "spec": {"replicas": 1},
            "status": {"readyReplicas": 1}
        });
        assert_eq!(
            strip(live),
            json!({"apiVersion": "apps/v1", "kind": "Deployment",
                   "metadata": {"name": "redis"}, "spec": {"replicas": 1}})
        );
    }

    #[test]
    fn project_keeps_only_rendered_fields() {
        let live = json!({"spec": {"replicas": 1, "revisionHistoryLimit": 10,
                                   "ports": [{"port": 6379, "protocol": "TCP"}]}});
        let desired = json!({"spec": {"replicas": 2, "ports": [{"port": 6379}]}});
        assert_eq!(
            project(&live, &desired),
            json!({"spec": {"replicas": 1, "ports": [{"port": 6379}]}})
        );
    }

    #[test]
    fn align_follows_the_reference_order() {
        let v = json!({"b": 1, "z": 0, "a": {"y": 1, "x": 2}});
        let r = json!({"a": {"x": 0, "y": 0}, "b": 0});
        let aligned = align(&v, &r);
        assert_eq!(
            serde_json::to_string(&aligned).unwrap(),
            r#"{"a":{"x":2,"y":1},"b":1,"z":0}"#
        );
    }

    #[test]
    fn secrets_are_masked_by_size() {
        let mut old = json!({"kind": "Secret", "apiVersion": "v1",
            "data": {"same": "YWJj", "changed": "YWJjZGVmZ2hpamts", "gone": "eA=="}});
        let mut new = json!({"kind": "Secret", "apiVersion": "v1",
            "data": {"same": "YWJj", "changed": "MDEyMzQ1Njc4OWFiY2RlZg=="},
            "stringData": {"added": "hello"}});
        fold_string_data(&mut new);
        mask_secrets(Some(&mut old), Some(&mut new));
        assert_eq!(
            old["data"],
            json!({"same": "<unchanged: 3 bytes>", "changed": "<before: 12 bytes>",
                   "gone": "<removed: 1 bytes>"})
        );
        assert_eq!(
            new["data"],
            json!({"same": "<unchanged: 3 bytes>", "changed": "<changed: 12 -> 16 bytes>",
                   "added": "<added: 5 bytes>"})
        );
    }
}
