//! The Helm tree as the cluster gets it: what `kubectl kustomize helm/` builds from the
//! files [`layout`](super::layout) writes, for the modes that stream objects instead of
//! writing files (`render --stdout`, Argo CD, KRM, `diff`).
//!
//! In: a variant's objects, among them the ones placed under `helm/` (values file,
//! OCIRepository, HelmRelease, `Kustomization`). Out: the values ConfigMap, named with
//! kustomize's content hash, the OCIRepository and the HelmRelease naming that
//! ConfigMap. Invariant: the ConfigMap's data is the values file byte for byte as
//! [`object_file`] writes it, so its name is the one kustomize gives the committed tree.

use std::collections::BTreeMap;

use serde_json::Value;

use super::layout::{LayoutError, object_file};
use crate::bundle::{Object, is_helm_path};

/// The cluster objects the `helm/` files of one variant build to, as `kubectl kustomize`
/// of that directory prints them: the values ConfigMap (generated from the values file
/// the tree holds, so its data starts with the file's header, and named with kustomize's
/// content hash), the OCIRepository, and the HelmRelease with `valuesFrom` naming that
/// ConfigMap. `source` is the spec's file name (the values file's header says it).
///
/// In: a variant's objects (the Helm files among them are found by their path under
/// `helm/`). Out: the three objects, or none when the variant has no Helm target.
/// Invariant: never a `Kustomization` or kustomize configuration document.
pub fn cluster_objects(objects: &[Object], source: &str) -> Result<Vec<Object>, LayoutError> {
    let in_helm = |o: &&Object| o.path.as_deref().is_some_and(is_helm_path);
    let helm: Vec<&Object> = objects.iter().filter(in_helm).collect();
    let Some(kustomization) = helm.iter().find(|o| {
        o.kind() == "Kustomization" && o.api_version().starts_with("kustomize.config.k8s.io/")
    }) else {
        return Ok(Vec::new());
    };
    let dir = kustomization
        .path
        .as_deref()
        .and_then(|p| p.rsplit_once('/'))
        .map(|(d, _)| d)
        .unwrap_or("helm");
    let mut renamed: BTreeMap<String, String> = BTreeMap::new();
    let mut out = Vec::new();
    let generators = kustomization
        .value
        .get("configMapGenerator")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for g in generators {
        let name = g.get("name").and_then(Value::as_str).unwrap_or_default();
        let mut data = BTreeMap::new();
        for file in g
            .get("files")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            let path = format!("{dir}/{file}");
            if let Some(o) = helm
                .iter()
                .find(|o| o.path.as_deref() == Some(path.as_str()))
            {
                data.insert(file.to_string(), object_file(source, o)?);
            }
        }
        let hashed = format!("{name}-{}", config_map_hash(&data));
        renamed.insert(name.to_string(), hashed.clone());
        let options = kustomization.value.get("generatorOptions");
        let mut meta = serde_json::Map::new();
        for field in ["annotations", "labels"] {
            if let Some(v) = options.and_then(|o| o.get(field)) {
                meta.insert(field.into(), v.clone());
            }
        }
        meta.insert("name".into(), Value::String(hashed));
        if let Some(ns) = g.get("namespace") {
            meta.insert("namespace".into(), ns.clone());
        }
        let cm = serde_json::json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": meta,
            "data": data,
        });
        out.push(Object {
            value: cm,
            comment: Vec::new(),
            path: None,
        });
    }
    for o in helm.iter().filter(|o| {
        !o.api_version().is_empty() && !o.api_version().starts_with("kustomize.config.k8s.io/")
    }) {
        let mut value = o.value.clone();
        if o.kind() == "HelmRelease"
            && let Some(Value::Array(from)) = value.pointer_mut("/spec/valuesFrom")
        {
            for v in from {
                let new = v
                    .get("name")
                    .and_then(Value::as_str)
                    .and_then(|n| renamed.get(n))
                    .cloned();
                if v.get("kind").and_then(Value::as_str) == Some("ConfigMap")
                    && let Some(new) = new
                {
                    v["name"] = Value::String(new);
                }
            }
        }
        out.push(Object {
            value,
            comment: o.comment.clone(),
            path: None,
        });
    }
    Ok(out)
}

/// The suffix kustomize appends to a generated ConfigMap's name: SHA-256 of the JSON
/// `{"data":{...},"kind":"ConfigMap","name":""}` as Go's `encoding/json` writes it (keys
/// sorted; kustomize v5 looks the name up with a path it does not find, so it is empty),
/// first ten hex digits with `0 1 3 a e` mapped to `g h k m t`.
fn config_map_hash(data: &BTreeMap<String, String>) -> String {
    let mut json = String::from("{\"data\":{");
    for (i, (k, v)) in data.iter().enumerate() {
        if i > 0 {
            json.push(',');
        }
        go_json_string(&mut json, k);
        json.push(':');
        go_json_string(&mut json, v);
    }
    json.push_str("},\"kind\":\"ConfigMap\",\"name\":\"\"}");
    let digest = ring::digest::digest(&ring::digest::SHA256, json.as_bytes());
    digest
        .as_ref()
        .iter()
        .flat_map(|b| [b >> 4, b & 0xf])
        .take(10)
        .map(|n| match n {
            0 => 'g',
            1 => 'h',
            3 => 'k',
            10 => 'm',
            14 => 't',
            n => char::from_digit(u32::from(n), 16).unwrap_or('0'),
        })
        .collect()
}

/// `s` as a JSON string the way Go's `encoding/json` escapes it (HTML-safe).
fn go_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)))
            }
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_map_hashes_are_kustomizes() {
        // `kubectl kustomize` (kustomize v5.6) of a generator with literal `a=b`
        // names it `x-4h2mbtbbt6`.
        let data = BTreeMap::from([("a".to_string(), "b".to_string())]);
        assert_eq!(config_map_hash(&data), "4h2mbtbbt6");
        let mut s = String::new();
        go_json_string(&mut s, "<a & \"b\">\n\t\u{1}\u{2028}é");
        assert_eq!(s, r#""\u003ca \u0026 \"b\"\u003e\n\t\u0001\u2028é""#);
    }
}
