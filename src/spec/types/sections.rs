//! The sections every shape shares: the Redis server, auth, persistence, memory,
//! resources, TLS, clients, exposure, monitoring, backup, disruption, outputs
//! and the Argo CD Application.
//!
//! In: nothing (types only). Out: one type per section. Invariant: as for every spec
//! type, unknown fields are refused.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{NAME, QUANTITY, REDIS_BYTES};

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
    /// redis.conf directives rkv does not model, `directive: value` (`hz: 20`,
    /// `notify-keyspace-events: Ex`, `client-output-buffer-limit: "pubsub 64mb 16mb
    /// 60"`). A directive a spec field sets (`port`, `maxmemory`, `appendonly`...) or one
    /// that breaks rkv's guarantees (`rename-command`, `dir`, `tls-*`, `cluster-*`...) is
    /// refused with the field to use instead. Written after rkv's own settings.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra_config: BTreeMap<String, ConfigValue>,
}

/// The value of an `extraConfig` directive: text, a whole number or a boolean (written
/// `yes` / `no`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum ConfigValue {
    Bool(bool),
    Int(i64),
    Text(String),
}

impl ConfigValue {
    /// The value as redis.conf and `redis-server` arguments write it.
    pub fn render(&self) -> String {
        match self {
            ConfigValue::Bool(true) => "yes".into(),
            ConfigValue::Bool(false) => "no".into(),
            ConfigValue::Int(n) => n.to_string(),
            ConfigValue::Text(t) => t.clone(),
        }
    }
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
    /// Who makes the password Secret: `external` (you, External Secrets, Sealed Secrets:
    /// it must exist before the first apply), or `chart` (the Bitnami chart of the Helm
    /// target makes its own Secret `<name>` key `redis-password` at install and keeps the
    /// password on every upgrade, as a release installed without `auth.existingSecret`
    /// already has).
    #[serde(default, skip_serializing_if = "SecretMaker::is_external")]
    pub created_by: SecretMaker,
}

/// Who makes a Secret rkv only refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum SecretMaker {
    /// Something outside rkv's output, before it is applied.
    #[default]
    External,
    /// The Helm chart the output installs.
    Chart,
}

impl SecretMaker {
    pub fn is_external(&self) -> bool {
        *self == SecretMaker::External
    }

    /// The value as the spec writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            SecretMaker::External => "external",
            SecretMaker::Chart => "chart",
        }
    }
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
    /// The client asks Sentinel for the primary (the default). `false`: it connects to one
    /// address that must lead to the primary (seed 003's `redis-master...:6379`); the
    /// Bitnami chart then gets `sentinel.masterService`, a Service that follows it.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub sentinel_aware: bool,
}

fn is_true(b: &bool) -> bool {
    *b
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

/// rkv's own Jobs and CronJobs (cluster init, backup, retention, restore).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Jobs {
    /// Requests and limits of their containers; replaces rkv's default (requests 50m CPU
    /// and 64Mi, limits 500m and 256Mi: redis-cli, sh and find) as a whole. The restore's
    /// memory is the Redis container's (it loads one primary's dump) unless set here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Resources>,
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

/// A finding accepted with a written reason: printed as accepted, listed in the
/// runbook, and not counted by `--deny-warnings`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Acceptance {
    /// The finding's code, `RKV124`.
    #[schemars(regex(pattern = r"^RKV[0-9]{3}$"))]
    pub code: String,
    /// Why the risk is accepted: at least a sentence, kept in the runbook.
    #[schemars(length(min = 1))]
    pub reason: String,
    /// Only the findings at this field or under it, as findings name it
    /// (`spec.placement.zones`, `spec.environments.production`); absent, every finding
    /// of the code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
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
    /// Path of the site's tree in the GitOps repository; default: where `rkv render` puts
    /// it, from the repository's root (`generated/<spec>/clusters/<site>/apps/redis`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

fn argocd_ns() -> String {
    "argocd".into()
}
fn head() -> String {
    "HEAD".into()
}
