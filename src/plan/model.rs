//! The plan of one resolved topology: the spec's facts plus everything derived from them.
//!
//! In: a [`Resolved`] topology (planned before the checks: planning is total). Out: a
//! [`Plan`] the checks and the emitters read.
//! Invariant: every number an emitter writes that is not a spec fact (budgets, maxmemory,
//! thresholds, DNS names) is computed here, once.

use std::collections::BTreeMap;

use serde::Serialize;

use super::disruption::{self, SentinelBudget};
use super::memory;
use super::slots::{self, SlotRange};
use super::zones::{self, Facts, ZoneLoss};
use crate::spec::{Outputs, Resolved, Shape, TopologySpec};

/// Everything an emitter needs for one topology.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Base, environment or site: where the objects go.
    pub variant: crate::spec::Variant,
    pub name: String,
    pub namespace: String,
    pub part_of: String,
    /// Labels every object carries besides the `app.kubernetes.io/*` set.
    pub extra_labels: BTreeMap<String, String>,
    pub spec: TopologySpec,
    pub outputs: Outputs,
    /// The uid the Redis image runs as (999 official, 1000 opstree, 1001 Bitnami).
    pub run_as_user: i64,
    /// `maxmemory` as Redis reads it, when set or derivable.
    pub maxmemory: Option<String>,
    /// How `maxmemory` was derived (empty when the spec sets it).
    pub maxmemory_reasoning: Vec<String>,
    /// Redis data pods: 1, S*(1+R), or the primary + replicas count.
    pub data_pods: u32,
    /// The PodDisruptionBudget over the data pods, when the shape can have a safe one.
    pub data_budget: Option<Budget>,
    /// The PodDisruptionBudget over the Sentinels, for Sentinel shapes.
    pub sentinel_budget: Option<Budget>,
    /// The full Sentinel arithmetic (quorum, majority), for Sentinel shapes.
    pub sentinel: Option<SentinelBudget>,
    /// Hash slots per primary, for the cluster shape.
    pub slots: Vec<SlotRange>,
    /// The name of the spec file, for generated-file headers.
    pub source_name: String,
    /// The site's or environment's Argo CD Application settings, when given.
    pub argocd: Option<crate::spec::ArgoCd>,
    /// The PodDisruptionBudget over the WAL applier, for `failover` with `wal`.
    pub applier_budget: Option<Budget>,
    /// What one zone's loss does, when the spec counts zones or spreads over them (never
    /// for the standalone shape, whose one pod the checks refuse to spread).
    pub zone_loss: Option<ZoneLoss>,
}

/// A PodDisruptionBudget's numbers and the arithmetic behind them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Budget {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_available: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_unavailable: Option<u32>,
    pub reasoning: Vec<String>,
}

/// Plan one resolved topology. The checks have run: a budget the math refuses is
/// absent here (and was reported), never replaced by a guess.
pub fn plan(r: &Resolved, source_name: &str) -> Plan {
    let spec = r.spec.clone();
    let outputs = spec.outputs.clone().unwrap_or(Outputs {
        kustomize: true,
        helm: None,
    });
    let (maxmemory, maxmemory_reasoning) = maxmemory(&spec);
    let (data_pods, data_budget, sentinel, slots) = match &spec.shape {
        Shape::Standalone(_) => (1, None, None, Vec::new()),
        Shape::Cluster(c) => {
            let pods = c.shards.saturating_mul(1 + c.replicas_per_shard);
            let budget = match spec.disruption.as_ref() {
                Some(d) => Some(overridden(d)),
                None => disruption::cluster_budget(c.shards, c.replicas_per_shard)
                    .ok()
                    .map(|b| Budget {
                        min_available: Some(b.min_available),
                        max_unavailable: None,
                        reasoning: b.reasoning,
                    }),
            };
            (
                pods,
                budget,
                None,
                slots::slot_ranges(c.shards).unwrap_or_default(),
            )
        }
        Shape::Failover(f) => replicated(f.replicas, &f.sentinel, spec.disruption.as_ref()),
        Shape::Replication(f) => replicated(f.replicas, &f.sentinel, spec.disruption.as_ref()),
    };
    let sentinel_budget = sentinel.as_ref().filter(|s| s.is_valid()).map(|s| Budget {
        min_available: Some(s.min_available),
        max_unavailable: None,
        reasoning: s.reasoning.clone(),
    });
    let applier_budget = match &spec.shape {
        Shape::Failover(f) => f
            .wal
            .as_ref()
            .and_then(|w| disruption::serving_budget(w.applier.replicas).ok())
            .map(|b| Budget {
                min_available: None,
                max_unavailable: Some(b.max_unavailable),
                reasoning: b.reasoning,
            }),
        _ => None,
    };
    let zone_loss = zone_facts(&spec.shape).and_then(|f| {
        let p = spec.placement.as_ref();
        zones::zone_loss(f, p.and_then(|p| p.zones), p.is_some_and(|p| p.zone_spread))
    });
    Plan {
        variant: r.variant.clone(),
        name: r.name.clone(),
        namespace: r.namespace.clone(),
        part_of: r.part_of.clone(),
        extra_labels: r.labels.clone(),
        run_as_user: crate::target::image_uid(&spec.redis.image),
        maxmemory,
        maxmemory_reasoning,
        data_pods,
        data_budget,
        sentinel_budget,
        sentinel,
        slots,
        spec,
        outputs,
        source_name: source_name.to_string(),
        argocd: r.argocd.clone(),
        applier_budget,
        zone_loss,
    }
}

/// The numbers of a shape that decide what a zone's loss does; `None` for one pod.
fn zone_facts(shape: &Shape) -> Option<Facts> {
    match shape {
        Shape::Standalone(_) => None,
        Shape::Cluster(c) => Some(Facts::Cluster {
            shards: c.shards,
            replicas: c.replicas_per_shard,
        }),
        Shape::Failover(crate::spec::Failover {
            replicas, sentinel, ..
        })
        | Shape::Replication(crate::spec::Replication {
            replicas, sentinel, ..
        }) => Some(Facts::Sentinel {
            redis: *replicas,
            sentinels: sentinel.replicas,
            quorum: sentinel.quorum,
        }),
    }
}

fn overridden(d: &crate::spec::Disruption) -> Budget {
    Budget {
        min_available: d.min_available,
        max_unavailable: d.max_unavailable,
        reasoning: vec![
            "set by the spec's `disruption` (checked against the computed budget)".into(),
        ],
    }
}

type Shaped = (u32, Option<Budget>, Option<SentinelBudget>, Vec<SlotRange>);

fn replicated(
    pods: u32,
    s: &crate::spec::Sentinel,
    over: Option<&crate::spec::Disruption>,
) -> Shaped {
    let budget = match over {
        Some(d) => Some(overridden(d)),
        None => disruption::replicated_budget(pods).ok().map(|b| Budget {
            min_available: None,
            max_unavailable: Some(b.max_unavailable),
            reasoning: b.reasoning,
        }),
    };
    (
        pods,
        budget,
        Some(disruption::sentinel_budget(s.replicas, s.quorum)),
        Vec::new(),
    )
}

/// `maxmemory` as written in the spec, or 7/8 of the memory limit for `auto`.
fn maxmemory(spec: &TopologySpec) -> (Option<String>, Vec<String>) {
    let Some(m) = &spec.memory else {
        return (None, Vec::new());
    };
    if m.maxmemory != "auto" {
        return (Some(m.maxmemory.clone()), Vec::new());
    }
    let limit = spec
        .resources
        .as_ref()
        .and_then(|r| r.limits.as_ref())
        .and_then(|l| l.memory.as_deref());
    match limit.map(memory::parse_k8s_quantity) {
        Some(Ok(bytes)) => match memory::derive_maxmemory(bytes) {
            Ok(d) => (Some(d.maxmemory), d.reasoning),
            Err(_) => (None, Vec::new()),
        },
        _ => (None, Vec::new()),
    }
}
