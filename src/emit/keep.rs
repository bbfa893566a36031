//! Objects whose deletion deletes data, kept by the GitOps tool that delivers them.
//!
//! In: a plan and its emitted objects. Out: the same objects, every
//! PersistentVolumeClaim, KafkaTopic and KafkaUser annotated so that neither pruning
//! (the object left the tree: an environment's `$patch: delete`, a renamed object) nor
//! deleting the Flux Kustomization or Argo CD Application deletes it. Deleting a claim
//! deletes its volume (with the usual `Delete` reclaim policy); Strimzi deletes the
//! topic, with every message of the WAL, or the user and its credentials, with the CR.
//! Invariant: a variant delivered by the Argo CD Application rkv renders carries Argo
//! CD's annotation; any other kustomize tree, which Flux or Argo CD may deliver
//! (docs/gitops.md), carries both tools'.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::Object;
use crate::plan::model::Plan;
use crate::target::{argocd, flux};

/// The kinds a GitOps controller must never delete.
pub const KINDS: &[&str] = &["PersistentVolumeClaim", "KafkaTopic", "KafkaUser"];

/// The annotations that keep an object of this plan's tree.
pub fn annotations(plan: &Plan) -> Vec<(&'static str, &'static str)> {
    let mut a = vec![(argocd::SYNC_OPTIONS_ANNOTATION, argocd::KEEP)];
    if plan.argocd.is_none() {
        a.push((flux::PRUNE_ANNOTATION, flux::PRUNE_DISABLED));
    }
    a
}

/// Annotate every object of [`KINDS`] in the plan's kustomize trees (the Helm
/// target's directory is one too).
pub fn protect(plan: &Plan, objects: &mut [Object]) {
    let keep = annotations(plan);
    // Objects placed at a path included: the Helm target's backup claim sits in the
    // kustomize tree beside the HelmRelease, which Flux prunes like any other.
    for o in objects.iter_mut().filter(|o| KINDS.contains(&o.kind())) {
        let Some(meta) = o.value.get_mut("metadata").and_then(Value::as_object_mut) else {
            continue;
        };
        // As the typed metadata writes them: annotations first, keys sorted.
        let mut ann: BTreeMap<String, Value> = match meta.get("annotations") {
            Some(Value::Object(a)) => a.clone().into_iter().collect(),
            _ => BTreeMap::new(),
        };
        for (k, v) in &keep {
            ann.insert((*k).to_string(), Value::String((*v).to_string()));
        }
        let mut rebuilt = Map::new();
        rebuilt.insert(
            "annotations".into(),
            Value::Object(ann.into_iter().collect()),
        );
        for (k, v) in std::mem::take(meta) {
            if k != "annotations" {
                rebuilt.insert(k, v);
            }
        }
        *meta = rebuilt;
    }
}
