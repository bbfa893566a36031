//! Where pods land and what every pod carries: anti-affinity and topology spread over
//! nodes and zones, node selectors, tolerations, and the pod settings of `spec.pods`
//! (annotations, image pull Secrets, priority class).
//!
//! In: the spec's `placement` and `pods`, the selector of the pods to keep apart, and
//! whether a pod serves or runs a batch Job. Out: the pod spec's `affinity`,
//! `topologySpreadConstraints`, `nodeSelector`, `tolerations`, `imagePullSecrets`,
//! `priorityClassName` and template annotations, as k8s-openapi values (the operator
//! and chart emitters copy them into their own fields). Invariants: spreading acts over
//! exactly the pods the selector picks (a term without a selector matches no pod and
//! spreads nothing); nothing is set the spec does not ask for; batch pods (Jobs and
//! CronJobs) take only what lets them run where the topology runs (node selector,
//! tolerations, pull Secrets), never the annotations (an injected sidecar would keep a
//! Job's pod running forever) or the priority (a batch run must not preempt serving
//! pods).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Affinity, LocalObjectReference, PodAffinityTerm, PodAntiAffinity, PodSpec, PodTemplateSpec,
    Toleration, TopologySpreadConstraint, WeightedPodAffinityTerm,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};

use crate::plan::model::Plan;
use crate::spec::{AntiAffinity, Placement, Pods};

const HOSTNAME: &str = "kubernetes.io/hostname";
/// The well-known label every cloud provider sets on a node to its zone.
pub const ZONE: &str = "topology.kubernetes.io/zone";

/// Pod anti-affinity among the pods `selector` picks: soft (weight 100) or hard, as the
/// placement says; `None` without it.
pub fn anti_affinity(placement: Option<&Placement>, selector: LabelSelector) -> Option<Affinity> {
    let term = PodAffinityTerm {
        label_selector: Some(selector),
        topology_key: HOSTNAME.into(),
        ..Default::default()
    };
    let anti = match placement?.anti_affinity? {
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

/// The spread constraints the placement asks for, among the pods `selector` picks:
/// over nodes (`topologySpread`: at most one pod more on any node, best effort), and
/// over zones (`zoneSpread`: at most one pod more in any zone, enforced, over at least
/// `zones` zones when the spec says how many). `None` when it asks for neither.
///
/// The zone constraint is a hard one (`DoNotSchedule`) because the zone-loss reasoning
/// counts on it: with `ScheduleAnyway` every pod may land in one zone. `minDomains`
/// makes the scheduler count the declared zones even when fewer have room, so a pod
/// waits rather than crowd a zone.
pub fn spread(
    placement: Option<&Placement>,
    selector: LabelSelector,
) -> Option<Vec<TopologySpreadConstraint>> {
    let p = placement?;
    let mut out = Vec::new();
    if p.topology_spread {
        out.push(TopologySpreadConstraint {
            max_skew: 1,
            topology_key: HOSTNAME.into(),
            when_unsatisfiable: "ScheduleAnyway".into(),
            label_selector: Some(selector.clone()),
            ..Default::default()
        });
    }
    if p.zone_spread {
        out.push(TopologySpreadConstraint {
            max_skew: 1,
            topology_key: ZONE.into(),
            when_unsatisfiable: "DoNotSchedule".into(),
            min_domains: p.zones.and_then(|z| i32::try_from(z).ok()),
            label_selector: Some(selector),
            ..Default::default()
        });
    }
    (!out.is_empty()).then_some(out)
}

/// The placement with only its zone spread, for pods rkv spreads over zones but not
/// over nodes (the WAL applier).
pub fn zones_only(placement: Option<&Placement>) -> Option<Placement> {
    placement.map(|p| Placement {
        topology_spread: false,
        ..p.clone()
    })
}

/// `nodeSelector`; `None` when the placement names no node labels.
pub fn node_selector(placement: Option<&Placement>) -> Option<BTreeMap<String, String>> {
    placement
        .map(|p| p.node_selector.clone())
        .filter(|m| !m.is_empty())
}

/// `tolerations`, as Kubernetes writes them; `None` when the placement names none.
pub fn tolerations(placement: Option<&Placement>) -> Option<Vec<Toleration>> {
    let t: Vec<Toleration> = placement?
        .tolerations
        .iter()
        .map(|t| Toleration {
            key: t.key.clone(),
            operator: t.operator.map(|o| o.as_str().to_string()),
            value: t.value.clone(),
            effect: t.effect.map(|e| e.as_str().to_string()),
            toleration_seconds: t.toleration_seconds,
        })
        .collect();
    (!t.is_empty()).then_some(t)
}

/// `imagePullSecrets`; `None` when the spec names none.
pub fn image_pull_secrets(pods: Option<&Pods>) -> Option<Vec<LocalObjectReference>> {
    let s: Vec<LocalObjectReference> = pods?
        .image_pull_secrets
        .iter()
        .map(|n| LocalObjectReference { name: n.0.clone() })
        .collect();
    (!s.is_empty()).then_some(s)
}

/// The pod annotations of `spec.pods`; empty when there are none.
pub fn annotations(pods: Option<&Pods>) -> BTreeMap<String, String> {
    pods.map(|p| p.annotations.clone()).unwrap_or_default()
}

/// `priorityClassName` of the serving pods.
pub fn priority_class(pods: Option<&Pods>) -> Option<String> {
    pods?.priority_class_name.clone()
}

/// What a pod rkv renders itself is for, which decides the pod settings it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Runs as long as the topology does: Redis, the WAL applier.
    Serving,
    /// A Job's or CronJob's pod: it must finish.
    Batch,
}

/// Set the spec's node selector, tolerations and pull Secrets on a pod rkv renders, and
/// for a serving pod also its priority class and annotations (added to `meta`'s, which
/// rkv's own win over: the checks refuse a spec annotation rkv sets).
pub fn apply(plan: &Plan, role: Role, meta: &mut ObjectMeta, spec: &mut PodSpec) {
    let (placement, pods) = (plan.spec.placement.as_ref(), plan.spec.pods.as_ref());
    spec.node_selector = node_selector(placement);
    spec.tolerations = tolerations(placement);
    spec.image_pull_secrets = image_pull_secrets(pods);
    if role == Role::Batch {
        return;
    }
    spec.priority_class_name = priority_class(pods);
    let mut a = annotations(pods);
    if a.is_empty() {
        return;
    }
    a.extend(meta.annotations.take().unwrap_or_default());
    meta.annotations = Some(a);
}

/// A pod template of `role` with the spec's pod settings applied to `meta` and `spec`.
pub fn template(
    plan: &Plan,
    role: Role,
    mut meta: ObjectMeta,
    mut spec: PodSpec,
) -> PodTemplateSpec {
    apply(plan, role, &mut meta, &mut spec);
    PodTemplateSpec {
        metadata: Some(meta),
        spec: Some(spec),
    }
}
