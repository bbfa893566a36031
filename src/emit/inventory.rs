//! What one variant runs, told by the emitters that built it: the names the runbook
//! lists and the facts its procedures need.
//!
//! In: nothing (types only); each shape emitter and the Helm emitter fill one
//! [`Inventory`] from the same names it gives its objects. Out: the inventory the
//! runbook reads beside the plan. Invariant: every name here is the one an emitter
//! wrote into an object, or the one an operator or chart derives from such a name (by
//! the rules in [`crate::target`]), so the runbook never reads names back out of the
//! emitted objects and cannot drift from them.

pub use crate::bundle::secrets::Prerequisite;
use crate::target::monitoring::Rule;

/// Who makes the Redis pods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Maker {
    /// rkv's own Deployment or StatefulSet.
    #[default]
    Rkv,
    /// The Spotahome redis-operator, from a RedisFailover.
    Spotahome,
    /// The OT-CONTAINER-KIT redis-operator, from a RedisReplication and a RedisSentinel.
    Opstree,
    /// A Bitnami chart, from a HelmRelease.
    BitnamiChart,
}

impl Maker {
    /// The maker as the runbook's sentences name it.
    pub fn describe(self) -> &'static str {
        match self {
            Maker::Rkv => "rkv",
            Maker::Spotahome => "the Spotahome redis-operator",
            Maker::Opstree => "the OT-CONTAINER-KIT redis-operator",
            Maker::BitnamiChart => "the Bitnami chart",
        }
    }
}

/// A name that exists once the objects are applied without being one of them: a pod
/// or claim of a StatefulSet, an object an operator or a chart makes, a Secret the Helm
/// values refer to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Made {
    pub kind: &'static str,
    pub name: String,
    pub namespace: String,
    /// Who makes it, or what refers to it.
    pub note: String,
}

impl Made {
    pub fn new(kind: &'static str, name: &str, namespace: &str, note: &str) -> Made {
        Made {
            kind,
            name: name.into(),
            namespace: namespace.into(),
            note: note.into(),
        }
    }
}

/// Where `kubectl exec` runs a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exec {
    /// `pod/<name>` or `deploy/<name>`.
    pub target: String,
    /// The container, when the pod has more than one.
    pub container: Option<String>,
}

impl Exec {
    pub fn new(target: String, container: Option<&str>) -> Exec {
        Exec {
            target,
            container: container.map(str::to_string),
        }
    }
}

/// Where the Redis password is inside the Redis container, when there is one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Password {
    /// `REDIS_PASSWORD` in the environment.
    Env,
    /// `REDIS_PASSWORD` and `REDISCLI_AUTH`, which redis-cli reads by itself.
    EnvAndCli,
    /// A file mounted at this path, read as the Bitnami chart's scripts read it
    /// (`$(< file)`: trailing newlines dropped).
    File(&'static str),
    /// The Secret mounted as a file at this path by rkv, whose pods use its bytes exactly
    /// (`emit::auth`).
    ExactFile(&'static str),
}

/// How to reach Redis from inside one of its pods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisAccess {
    pub exec: Exec,
    /// The redis-cli TLS flags for the certificates mounted in that container.
    pub tls_flags: Option<String>,
    /// Where the container holds the password (read only when the spec sets `auth`).
    pub password: Password,
}

/// How to ask the Sentinels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentinelAccess {
    pub exec: Exec,
    /// The port the Sentinels listen on.
    pub port: u16,
    /// The master group name the Sentinels monitor.
    pub master: String,
    /// The Service clients reach the Sentinels through (in the topology's namespace).
    pub service: String,
    /// Where the Sentinel container holds the password, when Sentinel asks for one.
    pub password: Option<Password>,
    /// The redis-cli TLS flags for the Sentinel port, when it serves TLS.
    pub tls_flags: Option<String>,
    /// The Service that follows the primary for clients that do not ask Sentinel.
    pub primary_service: Option<String>,
}

/// A Service rkv renders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceEntry {
    pub name: String,
    pub namespace: String,
    pub ports: Vec<u16>,
    /// `spec.type`; `None` for a headless Service.
    pub type_: Option<&'static str>,
    /// The external-dns hostname it is published under.
    pub hostname: Option<String>,
    /// It exists to let clients outside the cluster in.
    pub external: bool,
}

/// A Redis Cluster's backup: the CronJob, the claim it writes dumps to, and the
/// suspended CronJob the restore Job is made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backup {
    pub cronjob: String,
    pub claim: String,
    /// `None` when no restore is rendered (a TLS cluster without a client certificate).
    pub restore: Option<String>,
}

/// What one variant runs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Inventory {
    pub maker: Maker,
    /// Names made from the objects (see [`Made`]).
    pub made: Vec<Made>,
    /// `None`: no Redis workload in this variant.
    pub redis: Option<RedisAccess>,
    pub sentinels: Option<SentinelAccess>,
    /// The StatefulSet (rkv's, an operator's or a chart's) holding the data pods.
    pub data_set: Option<String>,
    /// The Redis data pods by name (empty for a Deployment: its pod names are random).
    pub data_pods: Vec<String>,
    /// The Sentinel pods by name, where they have stable names.
    pub sentinel_pods: Vec<String>,
    /// The data claims by name.
    pub claims: Vec<String>,
    pub services: Vec<ServiceEntry>,
    /// The alerting rules of the PrometheusRule rkv renders.
    pub alerts: Vec<Rule>,
    pub backup: Option<Backup>,
    /// The Job that forms a Redis Cluster.
    pub init_job: Option<String>,
    /// The WAL applier Deployment.
    pub applier: Option<String>,
    /// The Secrets the objects read and nothing rendered creates: they must exist before
    /// the objects are applied (filled by [`crate::emit::emit_in`] from the objects).
    pub prerequisites: Vec<Prerequisite>,
}

impl Inventory {
    /// One variant rendered for two targets: the kustomize tree's workload is the one
    /// the procedures describe; every name either target makes is listed.
    pub fn merge(mut self, other: Inventory) -> Inventory {
        let mut made = std::mem::take(&mut self.made);
        made.extend(other.made.iter().cloned());
        let mut merged = if self.redis.is_some() { self } else { other };
        merged.made = made;
        merged
    }
}
