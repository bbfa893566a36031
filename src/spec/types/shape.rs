//! The four shapes and what only they carry: the cluster's numbers, Sentinel, the
//! failover's operator and write-ahead log, the replication shape.
//!
//! In: nothing (types only). Out: [`Shape`] and its parts. Invariant: as for every spec
//! type, unknown fields are refused.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{NAME, Resources};

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
    /// `retention.ms` in hours: how far back a rebuild from the WAL reaches. Absent,
    /// the KafkaTopic states no retention: the broker's default applies (and Strimzi's
    /// topic operator removes a per-topic retention an existing topic has).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub retention_hours: Option<u32>,
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
