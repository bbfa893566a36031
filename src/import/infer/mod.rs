//! From source objects to a draft spec: find the one Redis topology among the objects,
//! read its shape, and map every fact the spec can hold.
//!
//! In: the source objects (and, for a Helm release, its values; see [`super::helm`]).
//! Out: a [`Draft`]: the spec, a note on every inferred or unmapped value, and the role
//! each source object plays (for the round trip). Invariant: a value is either read from
//! the source, or carries an `inferred` note saying where it came from.
//!
//! One reader per kind of Redis: `workload` (a Deployment or StatefulSet running
//! redis-server), `failover` (a Spotahome RedisFailover, and the Kafka WAL beside it in
//! `wal`), `replication` (an OT-CONTAINER-KIT RedisReplication and its RedisSentinel).
//! Each builds on `shared` and reads the objects around its pods with `related`.

mod failover;
mod related;
mod replication;
mod shared;
mod wal;
mod workload;

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::error::ImportError;
use super::notes::Notes;
use super::pod::{self, Pod};
use super::redisconf::Conf;
use super::source::SourceObject;
use crate::spec::{Topology, TopologySpec, Use};

pub(crate) use shared::empty_topology;
pub use shared::inferred_size;

/// The part an object plays in the topology; the round trip pairs a source object with
/// the rendered object of the same role when their names differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// The Redis pods: Deployment, StatefulSet, RedisFailover, RedisReplication.
    Data,
    /// The OT-CONTAINER-KIT RedisSentinel.
    Sentinel,
    /// The redis.conf ConfigMap of the data pods.
    Config,
    /// A headless Service over the data pods.
    Headless,
    /// A ClusterIP Service clients connect to.
    ClientService,
    /// A LoadBalancer or NodePort Service.
    ExternalService,
    /// The PodDisruptionBudget over the data pods.
    DataPdb,
    /// A NetworkPolicy over the topology's pods.
    NetworkPolicy,
    /// The backup CronJob.
    Backup,
    /// The backup retention CronJob.
    Retention,
    /// The PVC backups are written to.
    BackupPvc,
    /// The data PVC of a single pod.
    DataPvc,
    /// The cluster-create Job.
    InitJob,
    /// The PrometheusRule with the alerts.
    Alerts,
    /// The ServiceMonitor.
    ServiceMonitor,
    /// A Bitnami chart's values.
    HelmValues,
    /// Part of the Redis configuration whose content the spec holds elsewhere.
    Absorbed,
    /// The WAL applier (seed 001's `redis-applier`).
    Applier,
    /// A Strimzi KafkaTopic or KafkaUser of the WAL.
    Kafka,
}

/// A spec being built, with everything the later stages need to explain it.
#[derive(Debug, Clone)]
pub struct Draft {
    pub topology: Topology,
    pub notes: Notes,
    /// The data pods' Redis configuration as the source runs it.
    pub conf: Conf,
    /// AOF or RDB settings the source runs without a volume (see
    /// [`super::settings::Target`]).
    pub without_volume: Vec<(String, String)>,
    /// Role of each source object that belongs to the topology (index into the objects).
    pub roles: BTreeMap<usize, Role>,
    /// One line: what was found (`StatefulSet/cordum/cordum-redis: Redis Cluster, 6 pods`).
    pub found: String,
    /// The budget the source sets over the data pods, as it reads (`minAvailable: 4`).
    pub source_budget: Option<(usize, String)>,
    /// Source objects folded into the spec only in part (a NetworkPolicy with an ipBlock
    /// peer): what of each the spec cannot express.
    pub partial: BTreeMap<usize, Vec<String>>,
}

impl Draft {
    pub fn spec(&mut self) -> &mut TopologySpec {
        &mut self.topology.spec
    }
}

/// What kind of Redis an object runs, if any (`objects`: where its start scripts are).
fn redis_kind(o: &SourceObject, objects: &[SourceObject]) -> Option<&'static str> {
    match (o.api_version().split('/').next().unwrap_or(""), o.kind()) {
        ("databases.spotahome.com", "RedisFailover") => Some("RedisFailover"),
        ("redis.redis.opstreelabs.in", "RedisReplication") => Some("RedisReplication"),
        ("redis.redis.opstreelabs.in", "RedisCluster" | "Redis") => Some("unsupported"),
        ("apps", "Deployment" | "StatefulSet") => {
            let pod = Pod::at(o, "/spec/template").ok()?;
            pod.spec
                .containers
                .iter()
                .any(|c| {
                    !pod::is_exporter(c)
                        && pod::pod_redis_invocation(&pod, c, objects).is_some_and(|i| !i.sentinel)
                })
                .then_some("workload")
        }
        _ => None,
    }
}

/// Whether an object is made by a controller (an operator's StatefulSet): it follows
/// from its owner and is not imported on its own.
fn owned(o: &SourceObject) -> bool {
    o.value
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty())
}

/// Finds the one Redis topology among `objects` and drafts its spec.
pub fn draft(
    objects: &[SourceObject],
    namespace: Option<&str>,
    what: &str,
) -> Result<Draft, ImportError> {
    let candidates: Vec<(usize, &str)> = objects
        .iter()
        .enumerate()
        .filter(|(_, o)| !owned(o))
        .filter_map(|(i, o)| redis_kind(o, objects).map(|k| (i, k)))
        .collect();
    match candidates.as_slice() {
        [] => Err(ImportError::NoRedis {
            what: what.to_string(),
            help: "import reads a Deployment or StatefulSet running redis-server, a RedisFailover, a RedisReplication (with its RedisSentinel), or Bitnami chart values (--helm-values)".into(),
        }),
        [(i, kind)] => {
            let o = &objects[*i];
            match *kind {
                "RedisFailover" => failover::failover(objects, *i, namespace),
                "RedisReplication" => replication::replication(objects, *i, namespace),
                "workload" => workload::workload(objects, *i, namespace),
                _ => Err(o.invalid(
                    "",
                    format!(
                        "a {} has no rkv shape yet (rkv runs Redis Cluster as a StatefulSet and standalone as a Deployment)",
                        o.kind()
                    ),
                )),
            }
        }
        many => Err(ImportError::Ambiguous {
            what: what.to_string(),
            candidates: many.iter().map(|(i, _)| objects[*i].id()).collect(),
        }),
    }
}

/// What the store holds, from how it is configured; always noted, since only its owner knows.
pub fn infer_use(d: &mut Draft) {
    let persistent = d
        .topology
        .spec
        .persistence
        .as_ref()
        .is_some_and(|p| p.enabled)
        || !d.without_volume.is_empty();
    let evicts = d
        .topology
        .spec
        .memory
        .as_ref()
        .is_some_and(|m| m.policy != crate::spec::EvictionPolicy::Noeviction);
    let (u, why) = match (evicts, persistent) {
        (true, true) => (Use::Session, "keys may be evicted, yet they are persisted"),
        (true, false) => (Use::Cache, "keys may be evicted and nothing is persisted"),
        (false, true) => (Use::Durable, "persisted, and no key is evicted"),
        (false, false) => (Use::Cache, "nothing is persisted"),
    };
    d.topology.spec.use_ = u;
    d.notes.inferred(
        "/spec/use",
        format!("{why}: declare what the store holds (cache, session or durable), rkv's checks depend on it"),
    );
}
