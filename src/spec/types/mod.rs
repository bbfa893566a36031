//! The typed topology spec (`rkv.dev/v1alpha1`, kind `RedisTopology`).
//!
//! In: nothing (types only). Out: the serde + schemars types every later stage reads.
//! Invariant: every struct refuses unknown fields, so a typo is a finding, never a
//! silently ignored setting; the JSON Schema in `schemas/` is generated from these types.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

mod placement;
mod sections;
mod shape;

pub use placement::*;
pub use sections::*;
pub use shape::*;

const NAME: &str = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
const QUANTITY: &str = r"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E|m)?$";
const REDIS_BYTES: &str = r"^[0-9]+([kKmMgG][bB]?)?$";
/// An RFC 1123 subdomain (`IsDNS1123Subdomain`): Secret and PriorityClass names.
const SUBDOMAIN: &str = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";

/// One Redis topology: what to run, where, and how it may be disrupted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(title = "RedisTopology", extend("$id" = "https://rkv.dev/schemas/topology.schema.json"))]
pub struct Topology {
    /// Always `rkv.dev/v1alpha1`.
    pub api_version: ApiVersion,
    /// Always `RedisTopology`.
    pub kind: TopologyKind,
    pub metadata: Metadata,
    pub spec: TopologySpec,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ApiVersion {
    #[serde(rename = "rkv.dev/v1alpha1")]
    V1Alpha1,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum TopologyKind {
    RedisTopology,
}

/// Identity: the name every object is derived from, and where it runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Metadata {
    /// Base name of every object (StatefulSet, Services, CRs). A DNS-1123 label.
    #[schemars(regex(pattern = NAME), length(min = 1, max = 63))]
    pub name: String,
    /// Namespace of every namespaced object.
    #[schemars(regex(pattern = NAME), length(min = 1, max = 63))]
    pub namespace: String,
    /// `app.kubernetes.io/part-of`; defaults to the name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part_of: Option<String>,
    /// Extra labels for every object (for example the `app: redis` selectors runbooks use).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

/// What the store holds, which decides the eviction and persistence checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Use {
    /// Data that can be rebuilt: eviction is fine, persistence optional.
    Cache,
    /// User sessions: losing a key logs a user out; eviction must not be silent.
    Session,
    /// The system of record: persistence and backups required, no eviction.
    Durable,
}

impl Use {
    /// The value as the spec writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Use::Cache => "cache",
            Use::Session => "session",
            Use::Durable => "durable",
        }
    }
}

/// The topology. Every section except `shape` and `redis` is optional; an
/// environment or site replaces whole sections.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TopologySpec {
    #[serde(rename = "use")]
    pub use_: Use,
    pub shape: Shape,
    pub redis: Redis,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<Auth>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persistence: Option<Persistence>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Resources>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<Memory>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<Tls>,
    /// Who may connect: drives the NetworkPolicy allows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clients: Vec<Client>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposure: Option<Exposure>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitoring: Option<Monitoring>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup: Option<Backup>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jobs: Option<Jobs>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disruption: Option<Disruption>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement: Option<Placement>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pods: Option<Pods>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outputs: Option<Outputs>,
    /// Findings accepted with a written reason (waivers), for every environment and site.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accept: Vec<Acceptance>,
    /// Environments compiled as kustomize overlays (`overlays/<name>/`) over the base.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub environments: BTreeMap<String, Overrides>,
    /// Clusters the topology spans, each a self-contained tree `clusters/<site>/apps/redis/`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sites: BTreeMap<String, Overrides>,
}

/// Per-environment or per-site changes: each section given replaces the base section.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Overrides {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = NAME), length(min = 1, max = 63))]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = NAME), length(min = 1, max = 63))]
    pub namespace: Option<String>,
    #[serde(default, rename = "use", skip_serializing_if = "Option::is_none")]
    pub use_: Option<Use>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shape: Option<Shape>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redis: Option<Redis>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<Auth>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persistence: Option<Persistence>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Resources>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<Memory>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<Tls>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clients: Option<Vec<Client>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposure: Option<Exposure>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitoring: Option<Monitoring>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup: Option<Backup>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jobs: Option<Jobs>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disruption: Option<Disruption>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement: Option<Placement>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pods: Option<Pods>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outputs: Option<Outputs>,
    /// An Argo CD `Application` pointing at this environment's or site's tree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub argocd: Option<ArgoCd>,
}
