//! Where pods land: anti-affinity and topology spread over nodes.
//!
//! In: the spec's placement and the selector of the pods to keep apart. Out: the pod
//! spec's `affinity` and `topologySpreadConstraints`. Invariant: both act on
//! `kubernetes.io/hostname` over exactly the pods the selector picks (a term without a
//! selector matches no pod and spreads nothing), and nothing is set without placement.

use k8s_openapi::api::core::v1::{
    Affinity, PodAffinityTerm, PodAntiAffinity, TopologySpreadConstraint, WeightedPodAffinityTerm,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use crate::spec::{AntiAffinity, Placement};

const HOSTNAME: &str = "kubernetes.io/hostname";

/// Pod anti-affinity among the pods `selector` picks: soft (weight 100) or hard, as the
/// placement says; `None` without placement.
pub fn anti_affinity(placement: Option<&Placement>, selector: LabelSelector) -> Option<Affinity> {
    let term = PodAffinityTerm {
        label_selector: Some(selector),
        topology_key: HOSTNAME.into(),
        ..Default::default()
    };
    let anti = match placement?.anti_affinity {
        AntiAffinity::Preferred => PodAntiAffinity {
            preferred_during_scheduling_ignored_during_execution: Some(vec![
                WeightedPodAffinityTerm {
                    weight: 100,
                    pod_affinity_term: term,
                },
            ]),
            ..Default::default()
        },
        AntiAffinity::Required => PodAntiAffinity {
            required_during_scheduling_ignored_during_execution: Some(vec![term]),
            ..Default::default()
        },
    };
    Some(Affinity {
        pod_anti_affinity: Some(anti),
        ..Default::default()
    })
}

/// At most one pod more on any node than on another, among the pods `selector` picks,
/// best effort; `None` unless the placement asks for `topologySpread`.
pub fn spread(
    placement: Option<&Placement>,
    selector: LabelSelector,
) -> Option<Vec<TopologySpreadConstraint>> {
    placement.filter(|p| p.topology_spread).map(|_| {
        vec![TopologySpreadConstraint {
            max_skew: 1,
            topology_key: HOSTNAME.into(),
            when_unsatisfiable: "ScheduleAnyway".into(),
            label_selector: Some(selector),
            ..Default::default()
        }]
    })
}
