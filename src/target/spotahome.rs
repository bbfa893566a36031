//! Spotahome `RedisFailover` (`databases.spotahome.com/v1`).
//!
//! In: values an emitter fills in. Out: a CR the Spotahome operator reconciles into a
//! `rfr-<name>` StatefulSet (Redis) and an `rfs-<name>` Deployment (Sentinel).
//! Invariant: only fields of the upstream CRD (Chart-3.3.0 manifest) are modelled.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Affinity, LocalObjectReference, PersistentVolumeClaimSpec, PodSecurityContext,
    ResourceRequirements, SecurityContext, Toleration, TopologySpreadConstraint,
};
use serde::Serialize;

use super::{Cr, Resource};

pub const API_VERSION: &str = "databases.spotahome.com/v1";

/// The master group name the operator always gives Sentinel.
pub const MASTER_NAME: &str = "mymaster";
/// The longest RedisFailover name the operator accepts: it derives `rfr-<name>`,
/// `rfs-<name>` and suffixed object names from it.
pub const MAX_NAME: usize = 48;
/// Sentinel's port; the operator does not let it change.
pub const SENTINEL_PORT: u16 = 26379;
/// The key of the `auth.secretPath` Secret the operator reads the password from.
pub const PASSWORD_KEY: &str = "password";
/// Where the operator's generated redis.conf (ConfigMap `rfr-<name>`) is mounted in the
/// Redis container, and so what the container runs when `spec.redis.command` is empty:
/// `redis-server /redis/redis.conf` (operator/redisfailover/service/generator.go:
/// `getRedisCommand` returns `spec.redis.command` verbatim when it is set, else those
/// two words; `getRedisVolumeMounts` mounts the ConfigMap at `/redis`).
pub const REDIS_CONF: &str = "/redis/redis.conf";

/// The Redis container's command: the operator's own (`redis-server` and its
/// redis.conf, which holds `slaveof`, `port`, the password and the command renames the
/// operator relies on), then `args`, which Redis applies after the file, at process start.
pub fn redis_command(args: Vec<String>) -> Vec<String> {
    let mut c = vec!["redis-server".to_string(), REDIS_CONF.to_string()];
    c.extend(args);
    c
}

/// The label the operator (1.2 and later) sets to `master` or `slave` on each Redis pod
/// after every check; its own `rfrm-<name>` Service selects the primary by it
/// (operator/redisfailover/service/constants.go, generator.go).
pub const ROLE_LABEL: &str = "redisfailovers-role";
/// `app.kubernetes.io/part-of` on every pod the operator creates.
const PART_OF: &str = "redis-failover";

/// The quorum the operator configures for `sentinels` Sentinels: floor(n/2) + 1.
pub fn quorum(sentinels: u32) -> u32 {
    sentinels / 2 + 1
}

/// The labels the operator puts on the pods of RedisFailover `name`, of `component`
/// (`redis` or `sentinel`) or both: its `generateSelectorLabels` (name = the CR's name,
/// part-of = `redis-failover`). Selectors built on rkv's own labels would match nothing.
pub fn pod_labels(name: &str, component: Option<&str>) -> BTreeMap<String, String> {
    let mut m = BTreeMap::from([
        ("app.kubernetes.io/name".to_string(), name.to_string()),
        ("app.kubernetes.io/part-of".to_string(), PART_OF.to_string()),
    ]);
    if let Some(c) = component {
        m.insert("app.kubernetes.io/component".into(), c.into());
    }
    m
}

/// The StatefulSet of Redis pods the operator makes: `rfr-<name>`, pods `rfr-<name>-<i>`.
pub fn redis_statefulset(name: &str) -> String {
    format!("rfr-{name}")
}

/// The Sentinel Deployment and Service the operator makes: `rfs-<name>`.
pub fn sentinel_name(name: &str) -> String {
    format!("rfs-{name}")
}

pub type RedisFailover = Cr<RedisFailoverSpec>;

impl Resource for RedisFailoverSpec {
    const API_VERSION: &'static str = API_VERSION;
    const KIND: &'static str = "RedisFailover";
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RedisFailoverSpec {
    pub redis: RedisSettings,
    pub sentinel: SentinelSettings,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth: Option<AuthSettings>,
    /// Regexes of the CR's labels the operator copies onto what it creates.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub label_whitelist: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthSettings {
    /// A Secret in the CR's namespace; the operator reads its key `password`.
    pub secret_path: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RedisSettings {
    pub image: String,
    pub replicas: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,
    /// Applied by the operator with `CONFIG SET` once the pod runs: not at start.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub custom_config: Vec<String>,
    /// The Redis container's command (see [`redis_command`]): in force from start.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage: Option<RedisStorage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exporter: Option<Exporter>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub affinity: Option<Affinity>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub topology_spread_constraints: Vec<TopologySpreadConstraint>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<Toleration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority_class_name: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub image_pull_secrets: Vec<LocalObjectReference>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub pod_annotations: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_context: Option<PodSecurityContext>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container_security_context: Option<SecurityContext>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disable_pod_disruption_budget: Option<bool>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SentinelSettings {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    pub replicas: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub custom_config: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub affinity: Option<Affinity>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub topology_spread_constraints: Vec<TopologySpreadConstraint>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<Toleration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority_class_name: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub image_pull_secrets: Vec<LocalObjectReference>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub pod_annotations: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_context: Option<PodSecurityContext>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container_security_context: Option<SecurityContext>,
    /// The init container that copies `sentinel.conf` to a writable volume.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config_copy: Option<ConfigCopy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disable_pod_disruption_budget: Option<bool>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigCopy {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container_security_context: Option<SecurityContext>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RedisStorage {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keep_after_deletion: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub persistent_volume_claim: Option<EmbeddedPvc>,
}

/// The CRD's `EmbeddedPersistentVolumeClaim`: a reduced ObjectMeta plus a claim spec.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EmbeddedPvc {
    pub metadata: EmbeddedMeta,
    pub spec: PersistentVolumeClaimSpec,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EmbeddedMeta {
    pub name: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Exporter {
    pub enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container_security_context: Option<SecurityContext>,
}
