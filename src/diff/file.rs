//! `--live FILE`: the live side from a `kubectl get -o yaml` dump, no cluster at all.
//!
//! In: the dump (a `v1 List` with `items`, or multi-document YAML, or both) and the
//! rendered objects. Out: a [`Fetched`] with one [`Pair`] per rendered object, and one
//! per dumped object that carries rkv's labels for a rendered instance but is not
//! rendered (a prune) unless another object owns it or its pruning is disabled. No dry
//! run and no preflight: the report says so.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value;

use super::{
    DiffError, DiffOptions, Fetched, INSTANCE_LABEL, MANAGED_BY_LABEL, ObjKey, Pair, kept,
    kept_notes, label, other_variant_keys,
};

/// Reads and parses the dump at `path`, then pairs it with `rendered`.
pub(crate) fn fetched(
    rendered: &[Value],
    instances: &BTreeSet<String>,
    path: &Path,
    opts: &DiffOptions,
) -> Result<Fetched, DiffError> {
    let text = std::fs::read_to_string(path).map_err(|source| DiffError::ReadDump {
        path: path.to_path_buf(),
        source,
    })?;
    let live = parse_dump(&text, &path.display().to_string())?;
    Ok(pair_up(rendered, instances, live, opts))
}

/// Every object of a dump: list items are flattened, empty documents skipped.
pub(crate) fn parse_dump(text: &str, path: &str) -> Result<Vec<Value>, DiffError> {
    let docs: Vec<Value> =
        serde_saphyr::from_multiple(text).map_err(|source| DiffError::ParseDump {
            path: path.to_string(),
            source: Box::new(source),
        })?;
    let mut out = Vec::new();
    for doc in docs {
        flatten(doc, &mut out);
    }
    Ok(out)
}

fn flatten(doc: Value, out: &mut Vec<Value>) {
    match doc {
        Value::Null => {}
        Value::Array(items) => items.into_iter().for_each(|i| flatten(i, out)),
        Value::Object(mut map) => {
            let is_list = map
                .get("kind")
                .and_then(Value::as_str)
                .is_some_and(|k| k.ends_with("List"))
                && map.get("items").is_some_and(Value::is_array);
            if is_list {
                if let Some(Value::Array(items)) = map.shift_remove("items") {
                    items.into_iter().for_each(|i| flatten(i, out));
                }
            } else {
                out.push(Value::Object(map));
            }
        }
        _ => {}
    }
}

/// Pairs rendered objects with dumped ones by group, kind, namespace and name.
pub(crate) fn pair_up(
    rendered: &[Value],
    instances: &BTreeSet<String>,
    live: Vec<Value>,
    opts: &DiffOptions,
) -> Fetched {
    let others = other_variant_keys(opts);
    let mut live_by_key: BTreeMap<ObjKey, Value> = live
        .into_iter()
        .filter_map(|v| ObjKey::of(&v).map(|k| (k, v)))
        .collect();
    let mut out = Fetched {
        notes: vec![
            "compared with a dump, not a cluster: no server dry run (defaults, admission and immutable fields are not the server's answer; immutable fields are predicted) and no preflight".into(),
        ],
        ..Fetched::default()
    };
    for obj in rendered {
        let Some(key) = ObjKey::of(obj) else { continue };
        let mut pair = Pair::new(key.clone(), api_version(obj));
        pair.live = live_by_key.remove(&key);
        pair.rendered = Some(obj.clone());
        out.pairs.push(pair);
    }
    let mut kept_objects = Vec::new();
    for (key, obj) in live_by_key {
        let ours = label(&obj, MANAGED_BY_LABEL) == Some("rkv")
            && label(&obj, INSTANCE_LABEL).is_some_and(|i| instances.contains(i));
        if !ours {
            continue;
        }
        if let Some(why) = kept(&obj, &others) {
            kept_objects.push((key, why));
            continue;
        }
        let mut pair = Pair::new(key, api_version(&obj));
        pair.live = Some(obj);
        out.pairs.push(pair);
    }
    out.notes.extend(kept_notes(&kept_objects));
    out
}

fn api_version(obj: &Value) -> String {
    obj.get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_and_multi_doc_dumps_flatten_alike() {
        let list = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: b}\n";
        let docs = "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n";
        let a = parse_dump(list, "list").unwrap();
        let b = parse_dump(docs, "docs").unwrap();
        assert_eq!(a.len(), 2);
        assert_eq!(a, b);
    }

    #[test]
    fn bad_yaml_is_an_error_naming_the_file() {
        let err = parse_dump("a: [", "dump.yaml").unwrap_err();
        assert!(err.to_string().contains("`dump.yaml`"), "{err}");
    }
}
