//! OT-CONTAINER-KIT redis-operator resources: `RedisReplication` and `RedisSentinel`
//! (`redis.redis.opstreelabs.in/v1beta2`, operator v0.26).
//!
//! In: values the replication emitter fills. Out: the two custom resources as serde
//! structs. Invariant: only fields the v1beta2 CRD defines, with the CRD's types — the
//! Sentinel settings are STRINGS (`quorum: "2"`), the `pdb` numbers are integers (the
//! CRD's `pdb` is not int-or-string), `clusterSize` is an int32.
//!
//! What the operator derives from these (read in its source, `internal/k8sutils`):
//! - RedisReplication `<n>`: StatefulSet `<n>`; Services `<n>` (ClusterIP, every pod),
//!   `<n>-headless`, `<n>-additional` (type from `kubernetesConfig.service`, every pod),
//!   `<n>-master` and `<n>-replica` (by the `redis-role` label it keeps on the pods),
//!   `<n>-metrics` when the exporter is on; PodDisruptionBudget `<n>-replication`.
//! - RedisSentinel `<s>`: StatefulSet and Services `<s>-sentinel`, `<s>-sentinel-headless`,
//!   `<s>-sentinel-additional`; PodDisruptionBudget `<s>-sentinel`.
//! - Pods carry `app`, `redis_setup_type`, `role` and every label of the CR.

use k8s_openapi::api::core::v1::{
    Affinity, EnvVarSource, PersistentVolumeClaimSpec, PodSecurityContext, Probe,
    ResourceRequirements, SecurityContext, TopologySpreadConstraint,
};
use serde::Serialize;

use super::{Cr, Resource};

/// The API version of both resources.
pub const API_VERSION: &str = "redis.redis.opstreelabs.in/v1beta2";

/// The label the operator sets to `master` or `slave` on each Redis pod after every
/// role check; its own `<n>-master` Service selects by it.
pub const ROLE_LABEL: &str = "redis-role";

/// The Sentinel port; the operator does not let it be changed.
pub const SENTINEL_PORT: u16 = 26379;

/// The Sentinel image when the spec names none: the operator's own image, the same
/// Redis 7.0 line as seed 004's server.
pub const DEFAULT_SENTINEL_IMAGE: &str = "quay.io/opstree/redis-sentinel:v7.0.15";

/// The key of the `additionalRedisConfig` ConfigMap the operator's image includes from
/// `/etc/redis/external.conf.d/`.
pub const ADDITIONAL_CONFIG_KEY: &str = "redis-additional.conf";

/// Where the operator mounts `spec.TLS.secret` in the Redis, Sentinel and exporter
/// containers.
pub const TLS_DIR: &str = "/tls";

/// The key of the `additionalSentinelConfig` ConfigMap the Sentinel image includes from
/// `/etc/redis/external.conf.d/`.
pub const SENTINEL_CONFIG_KEY: &str = "redis-sentinel-additional.conf";

/// The port the operator's Services, probes and Sentinel configuration use for Redis.
pub const REDIS_PORT: u16 = 6379;

/// The master group name the operator's Sentinel uses when the CR names none.
pub const DEFAULT_MASTER_GROUP: &str = "myMaster";

/// Labels the operator sets on pods itself; a CR label with the same key overrides
/// them and breaks the operator's own selectors (PDB, Services, master lookup).
pub const OPERATOR_LABELS: &[&str] = &["app", "redis_setup_type", "role", ROLE_LABEL];

/// The StatefulSet (and Service) the operator makes for RedisSentinel `name`.
pub fn sentinel_statefulset(name: &str) -> String {
    format!("{name}-sentinel")
}

/// The headless Service the operator makes for RedisReplication `name`.
pub fn headless_service(name: &str) -> String {
    format!("{name}-headless")
}

/// The Service the operator keeps on the primary (`redis-role: master`).
pub fn master_service(name: &str) -> String {
    format!("{name}-master")
}

/// `RedisReplication`: one primary and its replicas in one StatefulSet.
pub type RedisReplication = Cr<RedisReplicationSpec>;

impl Resource for RedisReplicationSpec {
    const API_VERSION: &'static str = API_VERSION;
    const KIND: &'static str = "RedisReplication";
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RedisReplicationSpec {
    /// Redis pods: one primary, the rest replicas.
    pub cluster_size: i32,
    pub kubernetes_config: KubernetesConfig,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redis_config: Option<RedisConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage: Option<Storage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redis_exporter: Option<RedisExporter>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub liveness_probe: Option<Probe>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub readiness_probe: Option<Probe>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod_security_context: Option<PodSecurityContext>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_context: Option<SecurityContext>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub affinity: Option<Affinity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topology_spread_constraints: Option<Vec<TopologySpreadConstraint>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pdb: Option<Pdb>,
    /// TLS from a Secret the operator mounts at [`TLS_DIR`].
    #[serde(rename = "TLS", skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsConfig>,
}

/// Image, resources and the password Secret of the pods.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KubernetesConfig {
    pub image: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_pull_policy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,
    /// The Redis password (`requirepass` and `masterauth`), by reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redis_secret: Option<RedisSecret>,
}

/// A Secret key holding the password.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RedisSecret {
    pub name: String,
    pub key: String,
}

/// Extra redis.conf lines: the name of a ConfigMap whose key `redis-additional.conf`
/// the operator mounts at `/etc/redis/external.conf.d/` and includes last.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RedisConfig {
    pub additional_redis_config: String,
}

/// One PersistentVolumeClaim per pod.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Storage {
    pub volume_claim_template: VolumeClaimTemplate,
}

/// The claim template (the operator names the claims after the StatefulSet).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VolumeClaimTemplate {
    pub spec: PersistentVolumeClaimSpec,
}

/// The redis_exporter sidecar.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RedisExporter {
    pub enabled: bool,
    pub image: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_pull_policy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_context: Option<SecurityContext>,
}

/// The PodDisruptionBudget the operator creates. Integers only: the CRD types both
/// fields as int32, not int-or-string.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Pdb {
    pub enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_available: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_unavailable: Option<i32>,
}

/// `RedisSentinel`: Sentinels watching one RedisReplication.
pub type RedisSentinel = Cr<RedisSentinelSpec>;

impl Resource for RedisSentinelSpec {
    const API_VERSION: &'static str = API_VERSION;
    const KIND: &'static str = "RedisSentinel";
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RedisSentinelSpec {
    pub cluster_size: i32,
    pub kubernetes_config: KubernetesConfig,
    pub redis_sentinel_config: RedisSentinelConfig,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod_security_context: Option<PodSecurityContext>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_context: Option<SecurityContext>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub affinity: Option<Affinity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topology_spread_constraints: Option<Vec<TopologySpreadConstraint>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pdb: Option<Pdb>,
    /// TLS from a Secret the operator mounts at [`TLS_DIR`].
    #[serde(rename = "TLS", skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsConfig>,
}

/// What the Sentinels monitor. Every number is a string: the operator passes them to
/// the Sentinel container as environment variables and the CRD types them as strings.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RedisSentinelConfig {
    pub redis_replication_name: String,
    pub master_group_name: String,
    pub redis_port: String,
    pub quorum: String,
    pub parallel_syncs: String,
    pub failover_timeout: String,
    pub down_after_milliseconds: String,
    /// The Redis password, as an env var source (a Secret key reference).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redis_replication_password: Option<EnvVarSource>,
    /// A ConfigMap whose key [`SENTINEL_CONFIG_KEY`] the Sentinel image includes last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub additional_sentinel_config: Option<String>,
}

/// `spec.TLS`: the Secret and the names of its three files. The operator mounts the
/// Secret at [`TLS_DIR`], sets `TLS_MODE=true` and `REDIS_TLS_CERT`/`REDIS_TLS_CERT_KEY`
/// (and `REDIS_TLS_CA_CERT` when `ca` is named), and its probes, exporter and own client
/// present that certificate (internal/k8sutils statefulset.go, redis.go).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TlsConfig {
    pub ca: String,
    pub cert: String,
    pub key: String,
    pub secret: TlsSecret,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TlsSecret {
    pub secret_name: String,
}
