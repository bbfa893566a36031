//! Where the pods run and what they carry: `placement` (anti-affinity, spreads, zones,
//! node selector, tolerations) and `pods` (annotations, pull Secrets, priority class).
//!
//! In: nothing (types only). Out: one type per section. Invariant: as for every spec
//! type, unknown fields are refused.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::SUBDOMAIN;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum AntiAffinity {
    /// Best effort: pods may share a node.
    Preferred,
    /// Hard: pods never share a node.
    Required,
}

/// Where the pods run: anti-affinity, spreading over nodes and zones, and the nodes they
/// may use. Applies to every pod of the topology; `rkv explain` and the README say which
/// settings reach rkv's own Jobs and CronJobs.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Placement {
    /// Pod anti-affinity over `kubernetes.io/hostname` among the pods of one role; absent,
    /// none (the scheduler may put them on one node).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anti_affinity: Option<AntiAffinity>,
    /// Add a topology spread constraint over `kubernetes.io/hostname`.
    #[serde(default)]
    pub topology_spread: bool,
    /// Spread each role's pods over `topology.kubernetes.io/zone`: at most one pod more in
    /// any zone than in another (`maxSkew: 1`, `DoNotSchedule`), so one zone's loss takes
    /// a bounded number of pods (`rkv explain` shows which shards and Sentinel majorities
    /// survive it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub zone_spread: bool,
    /// How many zones the nodes span. With `zoneSpread` the scheduler spreads over at
    /// least this many (`minDomains`); the zone-loss checks reason with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 64))]
    pub zones: Option<u32>,
    /// Node labels every pod requires (`nodeSelector`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,
    /// Taints every pod tolerates.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<Toleration>,
}

/// A taint the pods tolerate, as Kubernetes writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Toleration {
    /// The taint key; absent with `operator: Exists`, every taint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// `Equal` (the default: key and value match) or `Exists` (any value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<TolerationOperator>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// The taint effect to tolerate; absent, every effect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effect: Option<TaintEffect>,
    /// With `effect: NoExecute`: how long a pod stays on a node after the taint appears.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub toleration_seconds: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum TolerationOperator {
    Equal,
    Exists,
}

impl TolerationOperator {
    /// The value as Kubernetes (and the spec) writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            TolerationOperator::Equal => "Equal",
            TolerationOperator::Exists => "Exists",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum TaintEffect {
    NoSchedule,
    PreferNoSchedule,
    NoExecute,
}

impl TaintEffect {
    /// The value as Kubernetes (and the spec) writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            TaintEffect::NoSchedule => "NoSchedule",
            TaintEffect::PreferNoSchedule => "PreferNoSchedule",
            TaintEffect::NoExecute => "NoExecute",
        }
    }
}

/// What every pod carries besides its placement: annotations, registry credentials and
/// a priority. The README says which of rkv's own pods take each.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Pods {
    /// Annotations on the long-running pods (Redis, Sentinel, the WAL applier), for
    /// service meshes or secret injectors; not on rkv's Jobs, whose pods an injected
    /// sidecar would keep running forever.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// Secrets of type `kubernetes.io/dockerconfigjson` every pod pulls its images with.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image_pull_secrets: Vec<SecretName>,
    /// The PriorityClass of the long-running pods (not of rkv's Jobs and CronJobs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = SUBDOMAIN), length(min = 1, max = 253))]
    pub priority_class_name: Option<String>,
}

/// The name of a Secret in the topology's namespace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct SecretName(
    #[schemars(regex(pattern = SUBDOMAIN), length(min = 1, max = 253))] pub String,
);
