//! The `### Names` table of a variant: every object rkv writes, every Secret one of them
//! refers to, every name made from them (pods, claims, what an operator or a chart
//! makes), and the namespaces they live in.
//!
//! In: a variant's objects and its [`Inventory`]. Out: the table's rows, one per
//! (kind, name, namespace). Invariant: object names and the Secrets they refer to are
//! read from the objects as written; every other name comes from the inventory.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::bundle::Object;
use crate::emit::inventory::Inventory;
use crate::plan::model::Plan;

/// One row of a Names table.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Row {
    pub kind: String,
    pub name: String,
    pub namespace: String,
    pub note: String,
}

fn row(kind: &str, name: &str, namespace: &str, note: &str) -> Row {
    Row {
        kind: kind.into(),
        name: name.into(),
        namespace: namespace.into(),
        note: note.into(),
    }
}

/// Every Secret an object refers to: `secretKeyRef`, `secretName`, `existingSecret`,
/// `secretPath` (Spotahome auth), `redisSecret`, `passwordSecret`.
pub fn referenced_secrets(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x) {
                    ("secretName" | "existingSecret" | "secretPath", Value::String(name)) => {
                        out.insert(name.clone());
                    }
                    ("secretKeyRef" | "redisSecret" | "secretRef", Value::Object(r)) => {
                        if let Some(Value::String(name)) = r.get("name") {
                            out.insert(name.clone());
                        }
                    }
                    _ => {}
                }
                referenced_secrets(x, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| referenced_secrets(x, out)),
        _ => {}
    }
}

/// The Secret an ExternalSecret writes: its `spec.target.name`, else its own name.
fn written_secret(o: &Object) -> String {
    match o.value.pointer("/spec/target/name").and_then(Value::as_str) {
        Some(target) if !target.is_empty() => target.to_string(),
        _ => o.name().to_string(),
    }
}

/// The rows of one variant.
pub fn rows(plan: &Plan, objects: &[Object], inventory: &Inventory) -> Vec<Row> {
    let mut rows = BTreeSet::new();
    let mut namespaces = BTreeSet::new();
    for o in objects {
        let (kind, name, ns) = (o.kind(), o.name(), o.namespace());
        if kind.is_empty() || name.is_empty() {
            // A document that is not an object (Helm values, kustomize configuration).
            continue;
        }
        if !ns.is_empty() {
            namespaces.insert(ns.to_string());
        }
        rows.insert(row(kind, name, ns, ""));
        let mut secrets = BTreeSet::new();
        referenced_secrets(&o.value, &mut secrets);
        if kind == "ExternalSecret" {
            secrets.insert(written_secret(o));
        }
        for sec in secrets {
            rows.insert(row(
                "Secret",
                &sec,
                ns,
                &format!("referenced by {kind} `{name}`"),
            ));
        }
    }
    for m in &inventory.made {
        rows.insert(row(m.kind, &m.name, &m.namespace, &m.note));
    }
    // The workload runs in the topology's namespace, also when only a chart's release
    // object (in another namespace) is rendered.
    if !objects.is_empty() {
        namespaces.insert(plan.namespace.clone());
    }
    for ns in namespaces {
        rows.insert(row("Namespace", &ns, "", ""));
    }
    merge(rows)
}

/// One row per (kind, name, namespace): a Secret referenced by several objects lists
/// them all in its note.
fn merge(rows: BTreeSet<Row>) -> Vec<Row> {
    let mut out: Vec<Row> = Vec::new();
    for r in rows {
        match out.last_mut() {
            Some(l) if (&l.kind, &l.name, &l.namespace) == (&r.kind, &r.name, &r.namespace) => {
                if l.note.is_empty() {
                    l.note = r.note;
                } else if !r.note.is_empty() {
                    // "referenced by A, B"; after another note (who makes it): "...; referenced by B".
                    l.note = match r.note.strip_prefix("referenced by ") {
                        Some(more)
                            if l.note.starts_with("referenced by ")
                                || l.note.contains("; referenced by ") =>
                        {
                            format!("{}, {more}", l.note)
                        }
                        _ => format!("{}; {}", l.note, r.note),
                    };
                }
            }
            _ => out.push(r),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_are_found_wherever_an_object_references_them() {
        let v = json!({
            "spec": {
                "env": [{"valueFrom": {"secretKeyRef": {"name": "a", "key": "k"}}}],
                "volumes": [{"secret": {"secretName": "b"}}],
                "auth": {"secretPath": "c"},
                "kubernetesConfig": {"redisSecret": {"name": "d", "key": "k"}},
                "existingSecret": "e"
            }
        });
        let mut out = BTreeSet::new();
        referenced_secrets(&v, &mut out);
        assert_eq!(
            out.into_iter().collect::<Vec<_>>(),
            ["a", "b", "c", "d", "e"]
        );
    }

    #[test]
    fn a_secret_referenced_twice_is_one_row() {
        let rows: BTreeSet<Row> = [
            row("Secret", "s", "n", "referenced by A `x`"),
            row("Secret", "s", "n", "referenced by B `y`"),
        ]
        .into_iter()
        .collect();
        let merged = merge(rows);
        assert_eq!(merged.len(), 1);
        assert_eq!(merged[0].note, "referenced by A `x`, B `y`");
    }

    #[test]
    fn who_makes_a_secret_comes_before_who_reads_it() {
        let rows: BTreeSet<Row> = [
            row("Secret", "s", "n", "chart-made from HelmRelease `r`"),
            row("Secret", "s", "n", "referenced by A `x`"),
            row("Secret", "s", "n", "referenced by B `y`"),
        ]
        .into_iter()
        .collect();
        let merged = merge(rows);
        assert_eq!(
            merged[0].note,
            "chart-made from HelmRelease `r`; referenced by A `x`, B `y`"
        );
    }
}
