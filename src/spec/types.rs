//! The typed topology spec (`rkv.dev/v1alpha1`, kind `RedisTopology`).
//!
//! In: nothing (types only). Out: the serde + schemars types every later stage reads.
//! Invariant: every struct refuses unknown fields, so a typo is a finding, never a
//! silently ignored setting; the JSON Schema in `schemas/` is generated from these types.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

const NAME: &str = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
const QUANTITY: &str = r"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E|m)?$";
const REDIS_BYTES: &str = r"^[0-9]+([kKmMgG][bB]?)?$";

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
    pub disruption: Option<Disruption>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement: Option<Placement>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outputs: Option<Outputs>,
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
    pub disruption: Option<Disruption>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement: Option<Placement>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outputs: Option<Outputs>,
    /// An Argo CD `Application` pointing at this environment's or site's tree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub argocd: Option<ArgoCd>,
}

/// Exactly one of the four shapes.
// One value per spec: boxing the larger variants would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub enum Shape {
    /// One Redis pod (a Deployment), as a development or base environment runs it.
    Standalone(Standalone),
    /// Redis Cluster: `shards` primaries, each with `replicasPerShard` replicas.
    Cluster(Cluster),
    /// Spotahome `RedisFailover`: one primary, replicas, Sentinels; optional Kafka WAL.
    Failover(Failover),
    /// Primary + replicas with Sentinel (OT-CONTAINER-KIT CRs, or the Bitnami chart).
    Replication(Replication),
}

impl Shape {
    pub fn name(&self) -> &'static str {
        match self {
            Shape::Standalone(_) => "standalone",
            Shape::Cluster(_) => "cluster",
            Shape::Failover(_) => "failover",
            Shape::Replication(_) => "replication",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Standalone {}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Cluster {
    /// Number of primaries; the 16384 slots are spread over them.
    #[schemars(range(min = 1, max = 1000))]
    pub shards: u32,
    /// Replicas of each primary.
    #[schemars(range(min = 0, max = 10))]
    pub replicas_per_shard: u32,
    /// `cluster-node-timeout` in milliseconds.
    #[serde(default = "default_node_timeout")]
    #[schemars(range(min = 100, max = 600000))]
    pub node_timeout_ms: u32,
}

fn default_node_timeout() -> u32 {
    15000
}

/// Sentinel settings shared by the failover and replication shapes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Sentinel {
    /// Number of Sentinel pods.
    #[schemars(range(min = 1, max = 15))]
    pub replicas: u32,
    /// Sentinels that must agree the primary is down.
    #[schemars(range(min = 1, max = 15))]
    pub quorum: u32,
    #[serde(default = "default_down_after")]
    #[schemars(range(min = 100, max = 600000))]
    pub down_after_ms: u32,
    #[serde(default = "default_failover_timeout")]
    #[schemars(range(min = 100, max = 3600000))]
    pub failover_timeout_ms: u32,
    #[serde(default = "default_parallel_syncs")]
    #[schemars(range(min = 1, max = 100))]
    pub parallel_syncs: u32,
    /// Master group name clients ask Sentinel for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub master_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Resources>,
}

fn default_down_after() -> u32 {
    30000
}
fn default_failover_timeout() -> u32 {
    180000
}
fn default_parallel_syncs() -> u32 {
    1
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Failover {
    /// The operator that reconciles the CR.
    pub operator: FailoverOperator,
    /// Redis pods: one primary, the rest replicas.
    #[schemars(range(min = 1, max = 15))]
    pub replicas: u32,
    pub sentinel: Sentinel,
    /// A Kafka write-ahead log replayed into Redis by `redis-applier`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wal: Option<Wal>,
    /// Namespace the operator runs in: the NetworkPolicies let it reach Redis and
    /// Sentinel (it checks and heals them); absent, they keep it out (a finding).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = NAME))]
    pub operator_namespace: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum FailoverOperator {
    Spotahome,
}

impl FailoverOperator {
    /// The value as the spec writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            FailoverOperator::Spotahome => "spotahome",
        }
    }

    /// The operator's own name, for prose.
    pub fn title(self) -> &'static str {
        match self {
            FailoverOperator::Spotahome => "Spotahome",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Replication {
    /// Redis pods: one primary, the rest replicas.
    #[schemars(range(min = 1, max = 15))]
    pub replicas: u32,
    pub sentinel: Sentinel,
    /// Namespace the OT-CONTAINER-KIT operator runs in: it must reach Redis (6379) and
    /// Sentinel (26379) through the default-deny NetworkPolicy to manage roles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = NAME), length(min = 1, max = 63))]
    pub operator_namespace: Option<String>,
}

/// The Kafka write-ahead log (seed 001, ADR-0018).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Wal {
    pub kafka: Kafka,
    pub topic: WalTopic,
    pub applier: Applier,
    /// MirrorMaker 2 from one site's Kafka to another's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mirror: Option<Mirror>,
    /// How far back a rebuild from the WAL must reach, in hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub restore_window_hours: Option<u32>,
    /// The store the ExternalSecrets read the SCRAM password and Kafka CA from.
    pub secret_store: SecretStoreRef,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Kafka {
    #[schemars(regex(pattern = NAME))]
    pub namespace: String,
    /// Strimzi `Kafka` cluster name (the `strimzi.io/cluster` label).
    pub cluster: String,
    /// Bootstrap Service host, for example `kafka-kafka-bootstrap.kafka.svc`.
    pub bootstrap: String,
    /// Internal SCRAM-SHA-512 TLS listener port.
    #[schemars(range(min = 1, max = 65535))]
    pub port: u16,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct WalTopic {
    pub name: String,
    /// Partitions; absent leaves the count to the broker (or an existing topic) untouched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 10000))]
    pub partitions: Option<u32>,
    /// Replication factor; absent leaves it to the broker (or an existing topic).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 10))]
    pub replicas: Option<u32>,
    /// `retention.ms` in hours: the restore window.
    #[schemars(range(min = 1))]
    pub retention_hours: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Applier {
    pub image: String,
    #[schemars(range(min = 1, max = 100))]
    pub replicas: u32,
    /// KafkaUser and consumer group name.
    pub user: String,
    pub group: String,
    #[schemars(range(min = 1, max = 65535))]
    pub port: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Resources>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Mirror {
    /// Site whose Kafka is the source.
    pub from: String,
    /// Site whose tree holds the KafkaMirrorMaker2.
    pub to: String,
    /// Bootstrap address of the source cluster as seen from the target site.
    pub source_bootstrap: String,
    /// Key in the secret store of the SCRAM password of the source site's mirror
    /// KafkaUser (rkv emits that user in the source site's tree).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_password_key: Option<String>,
    /// Key in the secret store of the source cluster's CA certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_ca_key: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SecretStoreRef {
    pub name: String,
    pub kind: SecretStoreKind,
    /// Key of the SCRAM password in the store.
    pub scram_password_key: String,
    /// Key of the Kafka cluster CA certificate in the store.
    pub kafka_ca_key: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum SecretStoreKind {
    SecretStore,
    ClusterSecretStore,
}

impl SecretStoreKind {
    /// The kind of the store object (the spec writes it the same way).
    pub fn as_str(self) -> &'static str {
        match self {
            SecretStoreKind::SecretStore => "SecretStore",
            SecretStoreKind::ClusterSecretStore => "ClusterSecretStore",
        }
    }
}

/// The Redis server itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Redis {
    /// Container image with tag, for example `redis:7.2`.
    #[schemars(length(min = 1))]
    pub image: String,
    #[serde(default = "default_port")]
    #[schemars(range(min = 1, max = 65535))]
    pub port: u16,
    /// `maxclients`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub maxclients: Option<u32>,
    /// `repl-diskless-sync`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repl_diskless_sync: Option<bool>,
}

fn default_port() -> u16 {
    6379
}

/// A reference to a key of a Secret; rkv never reads or renders its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SecretKeyRef {
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
    #[schemars(length(min = 1))]
    pub key: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Auth {
    /// The Redis password: `requirepass` and `masterauth` come from it.
    pub password_secret: SecretKeyRef,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Fsync {
    Always,
    Everysec,
    No,
}

impl Fsync {
    /// The `appendfsync` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Fsync::Always => "always",
            Fsync::Everysec => "everysec",
            Fsync::No => "no",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Aof {
    /// `appendfsync`; left unset the server default (`everysec`) applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fsync: Option<Fsync>,
    /// `auto-aof-rewrite-percentage`.
    #[serde(default = "default_rewrite_pct")]
    #[schemars(range(min = 0, max = 10000))]
    pub rewrite_percentage: u32,
    /// `auto-aof-rewrite-min-size`, Redis units (`64mb`).
    #[serde(default = "default_rewrite_min")]
    #[schemars(regex(pattern = REDIS_BYTES))]
    pub rewrite_min_size: String,
}

fn default_rewrite_pct() -> u32 {
    100
}
fn default_rewrite_min() -> String {
    "64mb".into()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Persistence {
    /// A PersistentVolumeClaim per Redis pod.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// PVC size per pod, a Kubernetes quantity.
    #[schemars(regex(pattern = QUANTITY))]
    pub size: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_class: Option<String>,
    /// Append-only file; absent means `appendonly no`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aof: Option<Aof>,
    /// RDB `save` rules, each `"<seconds> <changes>"`; `[]` disables snapshots, absent keeps the server default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rdb_save: Option<Vec<SaveRule>>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct SaveRule(#[schemars(regex(pattern = r"^[0-9]+ [0-9]+$"))] pub String);

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ResourceList {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = QUANTITY))]
    pub cpu: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = QUANTITY))]
    pub memory: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Resources {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests: Option<ResourceList>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<ResourceList>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Memory {
    /// `maxmemory`: `auto` (7/8 of the memory limit) or Redis units (`896mb`).
    #[serde(default = "auto")]
    #[schemars(regex(pattern = r"^(auto|[0-9]+([kKmMgG][bB]?)?)$"))]
    pub maxmemory: String,
    /// `maxmemory-policy`.
    pub policy: EvictionPolicy,
    /// Expected dataset size, a Kubernetes quantity; sharpens the fork and disk checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = QUANTITY))]
    pub dataset_estimate: Option<String>,
}

fn auto() -> String {
    "auto".into()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum EvictionPolicy {
    Noeviction,
    AllkeysLru,
    AllkeysLfu,
    AllkeysRandom,
    VolatileLru,
    VolatileLfu,
    VolatileRandom,
    VolatileTtl,
}

impl EvictionPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            EvictionPolicy::Noeviction => "noeviction",
            EvictionPolicy::AllkeysLru => "allkeys-lru",
            EvictionPolicy::AllkeysLfu => "allkeys-lfu",
            EvictionPolicy::AllkeysRandom => "allkeys-random",
            EvictionPolicy::VolatileLru => "volatile-lru",
            EvictionPolicy::VolatileLfu => "volatile-lfu",
            EvictionPolicy::VolatileRandom => "volatile-random",
            EvictionPolicy::VolatileTtl => "volatile-ttl",
        }
    }
}

/// TLS from Secrets that hold `tls.crt`, `tls.key` and `ca.crt`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Tls {
    /// Clients must present a certificate (`tls-auth-clients yes`).
    #[serde(default = "yes")]
    pub mutual: bool,
    /// Keep the plaintext port open beside the TLS port.
    #[serde(default)]
    pub plaintext_port: bool,
    /// Secret with the server certificate.
    pub server_secret: String,
    /// Secret with the client certificate tools (init, backup, exporter) present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// Issue both certificates with cert-manager from this issuer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_manager: Option<CertManager>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CertManager {
    pub issuer: String,
    #[serde(default = "issuer_kind")]
    pub issuer_kind: String,
}

fn issuer_kind() -> String {
    "Issuer".into()
}

/// Pods allowed to reach Redis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Client {
    #[schemars(regex(pattern = NAME))]
    pub namespace: String,
    /// Labels of the client pods; empty means every pod of the namespace.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub pod_selector: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ServiceType {
    ClusterIP,
    LoadBalancer,
    NodePort,
}

impl ServiceType {
    /// The Service `type` (the spec writes it the same way).
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceType::ClusterIP => "ClusterIP",
            ServiceType::LoadBalancer => "LoadBalancer",
            ServiceType::NodePort => "NodePort",
        }
    }
}

/// How the client Service is exposed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Exposure {
    #[serde(rename = "type")]
    pub type_: ServiceType,
    /// external-dns hostname for a LoadBalancer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// Accept exposure without auth or TLS; the reason is required and kept in the output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 10))]
    pub accept_insecure: Option<String>,
    /// Source ranges allowed to reach a LoadBalancer or NodePort.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub source_ranges: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Monitoring {
    /// Namespace Prometheus scrapes from.
    #[schemars(regex(pattern = NAME))]
    pub namespace: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exporter: Option<Exporter>,
    /// Emit a PrometheusRule with the shape's alerts.
    #[serde(default)]
    pub alerts: bool,
    /// Emit a ServiceMonitor for the exporter.
    #[serde(default)]
    pub service_monitor: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Exporter {
    pub image: String,
    #[serde(default = "exporter_port")]
    #[schemars(range(min = 1, max = 65535))]
    pub port: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Resources>,
}

fn exporter_port() -> u16 {
    9121
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Backup {
    /// Cron schedule of the backup CronJob (UTC).
    pub schedule: String,
    #[schemars(range(min = 1, max = 3650))]
    pub retention_days: u32,
    /// Cron schedule of the retention CronJob (UTC).
    #[serde(default = "retention_schedule")]
    pub retention_schedule: String,
    /// Backup PVC size.
    #[schemars(regex(pattern = QUANTITY))]
    pub size: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_class: Option<String>,
}

fn retention_schedule() -> String {
    "30 3 * * *".into()
}

/// A hand-set disruption budget for the data pods; rkv checks it against its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Disruption {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub min_available: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub max_unavailable: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum AntiAffinity {
    /// Best effort: pods may share a node.
    Preferred,
    /// Hard: pods never share a node.
    Required,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Placement {
    pub anti_affinity: AntiAffinity,
    /// Add a topology spread constraint over `kubernetes.io/hostname`.
    #[serde(default)]
    pub topology_spread: bool,
}

/// Which targets to emit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Outputs {
    /// The kustomize tree of plain objects and operator CRs.
    #[serde(default = "yes")]
    pub kustomize: bool,
    /// Bitnami chart values and a Flux HelmRelease under `helm/`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub helm: Option<HelmOutput>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HelmOutput {
    pub release: String,
    #[schemars(regex(pattern = NAME))]
    pub namespace: String,
    /// Chart version constraint, for example `23.1.1`.
    pub version: String,
    /// OCI or HTTP chart repository URL.
    pub repository: String,
    #[serde(default = "interval")]
    pub interval: String,
}

fn interval() -> String {
    "10m".into()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ArgoCd {
    pub project: String,
    /// Namespace Argo CD runs in (the Application's namespace).
    #[serde(default = "argocd_ns")]
    pub namespace: String,
    #[serde(rename = "repoURL")]
    pub repo_url: String,
    #[serde(default = "head")]
    pub target_revision: String,
    /// Destination cluster API server URL, or use `destinationName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_server: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_name: Option<String>,
    /// Path of the tree in the GitOps repository; default `clusters/<site>/apps/redis`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

fn argocd_ns() -> String {
    "argocd".into()
}
fn head() -> String {
    "HEAD".into()
}
