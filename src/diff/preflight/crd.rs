//! Each custom resource against the cluster's own CRD for its kind: the version it is
//! written in deprecated (RKV206), fields the structural schema does not declare, which
//! the API server drops without a word (RKV204), and what is left against the schema
//! (RKV205).
//!
//! In: the rendered objects, the CRD fetched for each kind (`plural.group`). Out:
//! findings, and a note for a kind served without a CRD (an aggregated API).

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use super::{Facts, Lookup, denied, str_at};
use crate::diag::{Diagnostic, codes};
use crate::diff::ObjKey;
use crate::validate::crd::{CrdSet, Rejection};

/// RKV204, RKV205 and RKV206 for every rendered custom resource whose CRD was fetched.
pub(super) fn custom_resources(
    rendered: &[Value],
    facts: &Facts,
    crd_names: &BTreeMap<(String, String), String>,
    out: &mut Vec<Diagnostic>,
    notes: &mut Vec<String>,
) {
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
}

/// The dotted paths of the fields of `v` that the structural `schema` does not declare.
fn pruned(v: &Value, schema: &Value, path: String, root: bool, out: &mut Vec<String>) {
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
