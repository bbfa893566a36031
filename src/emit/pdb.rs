//! PodDisruptionBudgets: the invariant that no pod is selected by two of them.
//!
//! In: every object of one variant. Out: `Ok`, or the first pair of budgets in one
//! namespace whose selectors can match the same pod. Invariant: the eviction API refuses
//! every eviction of a pod two budgets select, so a node drain would hang on it: no
//! variant is written with such a pair.
//!
//! No spec can cause this (each budget rkv writes selects one component, and the
//! operators' own budgets are switched off or not rendered), so it is an emitter
//! invariant checked on every compile, not a finding a user could act on.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{EmitError, Object};

/// The `matchLabels` of a budget's selector (`matchExpressions` only narrow a selector,
/// so leaving them out can only find more overlaps, never fewer).
fn match_labels(o: &Object) -> BTreeMap<String, String> {
    o.value
        .pointer("/spec/selector/matchLabels")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// Refuse two PodDisruptionBudgets that can select one pod.
pub fn no_overlap(objects: &[Object]) -> Result<(), EmitError> {
    let pdbs: Vec<&Object> = objects
        .iter()
        .filter(|o| o.kind() == "PodDisruptionBudget" && o.group() == "policy")
        .collect();
    for (i, a) in pdbs.iter().enumerate() {
        let la = match_labels(a);
        for b in &pdbs[i + 1..] {
            if a.namespace() != b.namespace() {
                continue;
            }
            let lb = match_labels(b);
            // Two selectors can match one pod unless some label must have two values.
            let disjoint = la.iter().any(|(k, v)| lb.get(k).is_some_and(|w| w != v));
            if !disjoint {
                return Err(EmitError::OverlappingBudgets(
                    a.name().to_string(),
                    b.name().to_string(),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pdb(name: &str, namespace: &str, labels: Value) -> Object {
        Object {
            value: json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
                "metadata": {"name": name, "namespace": namespace},
                "spec": {"selector": {"matchLabels": labels}}}),
            comment: vec![],
            path: None,
        }
    }

    #[test]
    fn two_budgets_over_the_same_pods_are_refused() {
        let data = pdb(
            "kv",
            "apps",
            json!({"app.kubernetes.io/instance": "kv", "app.kubernetes.io/component": "server"}),
        );
        let sentinel = pdb(
            "kv-sentinel",
            "apps",
            json!({"app.kubernetes.io/instance": "kv", "app.kubernetes.io/component": "sentinel"}),
        );
        let elsewhere = pdb(
            "kv-all",
            "other",
            json!({"app.kubernetes.io/instance": "kv"}),
        );
        assert!(no_overlap(&[data.clone(), sentinel.clone(), elsewhere]).is_ok());
        let broad = pdb(
            "kv-all",
            "apps",
            json!({"app.kubernetes.io/instance": "kv"}),
        );
        match no_overlap(&[data, sentinel, broad]) {
            Err(EmitError::OverlappingBudgets(a, b)) => {
                assert_eq!((a, b), ("kv".into(), "kv-all".into()))
            }
            other => panic!("expected an overlap, got {other:?}"),
        }
    }
}
