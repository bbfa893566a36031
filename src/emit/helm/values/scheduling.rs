//! Where the charts' pods run and what they carry: `spec.placement` and `spec.pods` in the
//! keys both Bitnami charts give each workload (`master.*`, `replica.*`, `redis.*`) and
//! `global.imagePullSecrets`.
//!
//! In: a plan and the chart workload. Out: the typed scheduling values the parent module
//! flattens into each role. Invariant: the same knobs as the pods rkv renders itself
//! (`emit::placement`), spread over the chart's own pod labels.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Toleration, TopologySpreadConstraint};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use serde::Serialize;
use serde_json::{Value, json};

use crate::emit::placement;
use crate::plan::model::Plan;
use crate::spec::AntiAffinity;
use crate::target::helm::Workload;

/// Where a chart's pods run and what they carry, in the keys both charts give each
/// workload (`master.*`, `replica.*`, `redis.*`): `spec.placement` and `spec.pods`.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Scheduling {
    /// `soft`/`hard` anti-affinity over `kubernetes.io/hostname` among the role's own pods.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) pod_anti_affinity_preset: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) priority_class_name: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub(super) pod_annotations: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) node_selector: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) tolerations: Option<Vec<Toleration>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) topology_spread_constraints: Option<Vec<TopologySpreadConstraint>>,
}

/// The scheduling values of the chart's pods `workload` runs (selected for spreading by
/// the chart's own labels), or of its `component` when it is not the running one (the
/// redis chart's `master.*` under Sentinel, kept equal).
pub(super) fn scheduling(
    plan: &Plan,
    workload: Workload<'_>,
    component: Option<&str>,
) -> Scheduling {
    let (p, pods) = (plan.spec.placement.as_ref(), plan.spec.pods.as_ref());
    let release = plan
        .outputs
        .helm
        .as_ref()
        .map_or(plan.name.as_str(), |h| h.release.as_str());
    let mut labels = crate::target::helm::pod_labels(workload, release);
    if let Some(c) = component {
        labels.insert("app.kubernetes.io/component".into(), c.into());
    }
    Scheduling {
        pod_anti_affinity_preset: p.and_then(|p| p.anti_affinity).map(|a| match a {
            AntiAffinity::Preferred => "soft",
            AntiAffinity::Required => "hard",
        }),
        priority_class_name: placement::priority_class(pods),
        pod_annotations: placement::annotations(pods),
        node_selector: placement::node_selector(p),
        tolerations: placement::tolerations(p),
        topology_spread_constraints: placement::spread(
            p,
            LabelSelector {
                match_labels: Some(labels),
                ..Default::default()
            },
        ),
    }
}

/// `global.imagePullSecrets`: both charts give every image (Redis, Sentinel, the
/// exporter, their init containers) the Secrets named there, by name.
pub(super) fn global(plan: &Plan) -> Option<Value> {
    let names: Vec<String> = placement::image_pull_secrets(plan.spec.pods.as_ref())?
        .into_iter()
        .map(|s| s.name)
        .collect();
    Some(json!({"imagePullSecrets": names}))
}
