//! PodDisruptionBudgets: the one builder, the one integer conversion of a budget's
//! numbers, and the invariant that no pod is selected by two budgets.
//!
//! In: a plan's [`Budget`] and the selector of the pods it covers; for the invariant,
//! every object of one variant. Out: a PodDisruptionBudget object with the budget's
//! arithmetic as comments, and `Ok` or the first pair of budgets in one namespace whose
//! selectors can match the same pod. Invariants: the numbers are the plan's, never
//! computed here; a crash-looping pod never blocks a drain (`AlwaysAllow`); the eviction
//! API refuses every eviction of a pod two budgets select, so a node drain would hang on
//! it: no variant is written with such a pair.
//!
//! No spec can make two budgets overlap (each budget rkv writes selects one component, and the
//! operators' own budgets are switched off or not rendered), so it is an emitter
//! invariant checked on every compile, not a finding a user could act on.

use std::collections::BTreeMap;

use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::Value;

use super::common::meta;
use super::{EmitError, Object};
use crate::plan::model::{Budget, Plan};

/// A budget's number as the int32 Kubernetes and the operators' CRDs take (budgets are
/// pod counts, far below the limit).
pub fn int32(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// The PodDisruptionBudget `name` over the pods `selector` picks, with the budget's
/// numbers and, as comments, its arithmetic.
pub fn budget(
    plan: &Plan,
    name: &str,
    component: &str,
    selector: LabelSelector,
    budget: &Budget,
) -> Result<Object, EmitError> {
    let p = PodDisruptionBudget {
        metadata: meta(plan, name, component),
        spec: Some(PodDisruptionBudgetSpec {
            min_available: budget.min_available.map(|n| IntOrString::Int(int32(n))),
            max_unavailable: budget.max_unavailable.map(|n| IntOrString::Int(int32(n))),
            selector: Some(selector),
            // A crash-looping pod must not block a node drain.
            unhealthy_pod_eviction_policy: Some("AlwaysAllow".into()),
        }),
        ..Default::default()
    };
    Ok(Object::new("PodDisruptionBudget", &p)?.with_comment(budget.reasoning.clone()))
}

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
