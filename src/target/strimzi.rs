//! Strimzi `KafkaTopic`, `KafkaUser` and `KafkaMirrorMaker2` (`kafka.strimzi.io/v1`).
//!
//! In: values an emitter fills in. Out: CRs the Strimzi Topic, User and Cluster
//! operators reconcile. Invariant: `kafka.strimzi.io/v1` only — Strimzi 1.x serves no
//! other version — and only fields of the 1.2.0 CRDs are modelled.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{PodSecurityContext, SecurityContext};
use serde::Serialize;

use super::{Cr, Resource};
use serde_json::Value;

pub const API_VERSION: &str = "kafka.strimzi.io/v1";

/// The label that ties a topic or user to its Kafka cluster.
pub const CLUSTER_LABEL: &str = "strimzi.io/cluster";

/// The key Strimzi's `<cluster>-cluster-ca-cert` Secret holds the CA under.
pub const CA_KEY: &str = "ca.crt";
/// The key of the SCRAM password in the Secret the User Operator writes.
pub const PASSWORD_KEY: &str = "password";

/// Kafka's default `log.retention.hours`: what a topic keeps when neither it nor the
/// cluster sets a retention.
pub const BROKER_DEFAULT_RETENTION_HOURS: u32 = 168;

/// A topic's retention in prose: the hours the spec states, or the broker's default.
pub fn retention_text(hours: Option<u32>) -> String {
    match hours {
        Some(h) => format!("{h} h"),
        None => format!(
            "not stated: the broker's default (`log.retention.hours`, {BROKER_DEFAULT_RETENTION_HOURS} h unless the cluster sets another)"
        ),
    }
}

/// The Secret holding the cluster CA of Kafka cluster `cluster`.
pub fn cluster_ca_secret(cluster: &str) -> String {
    format!("{cluster}-cluster-ca-cert")
}

pub type KafkaTopic = Cr<KafkaTopicSpec>;

impl Resource for KafkaTopicSpec {
    const API_VERSION: &'static str = API_VERSION;
    const KIND: &'static str = "KafkaTopic";
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KafkaTopicSpec {
    /// The topic's name in Kafka when it differs from the CR's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partitions: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replicas: Option<u32>,
    /// Topic configuration (`retention.ms`, `cleanup.policy`...).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub config: BTreeMap<String, Value>,
}

pub type KafkaUser = Cr<KafkaUserSpec>;

impl Resource for KafkaUserSpec {
    const API_VERSION: &'static str = API_VERSION;
    const KIND: &'static str = "KafkaUser";
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KafkaUserSpec {
    pub authentication: UserAuthentication,
    pub authorization: Authorization,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserAuthentication {
    /// `scram-sha-512`: the User Operator generates the password into a Secret named
    /// after the user, in the user's namespace.
    #[serde(rename = "type")]
    pub type_: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Authorization {
    /// `simple`: Kafka ACLs.
    #[serde(rename = "type")]
    pub type_: String,
    pub acls: Vec<Acl>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Acl {
    pub resource: AclResource,
    pub operations: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AclResource {
    /// `topic`, `group`, `cluster` or `transactionalId`.
    #[serde(rename = "type")]
    pub type_: String,
    pub name: String,
    /// `literal` or `prefix`.
    pub pattern_type: String,
}

pub type KafkaMirrorMaker2 = Cr<MirrorMaker2Spec>;

impl Resource for MirrorMaker2Spec {
    const API_VERSION: &'static str = API_VERSION;
    const KIND: &'static str = "KafkaMirrorMaker2";
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MirrorMaker2Spec {
    pub replicas: u32,
    /// The cluster the Connect workers run against and write into.
    pub target: TargetCluster,
    pub mirrors: Vec<Mirror>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template: Option<Mm2Template>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetCluster {
    pub alias: String,
    pub bootstrap_servers: String,
    pub group_id: String,
    pub config_storage_topic: String,
    pub status_storage_topic: String,
    pub offset_storage_topic: String,
    pub tls: ClientTls,
    pub authentication: ClientAuthentication,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceCluster {
    pub alias: String,
    pub bootstrap_servers: String,
    pub tls: ClientTls,
    pub authentication: ClientAuthentication,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientTls {
    pub trusted_certificates: Vec<CertSecretSource>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CertSecretSource {
    pub secret_name: String,
    pub certificate: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientAuthentication {
    /// `scram-sha-512`.
    #[serde(rename = "type")]
    pub type_: String,
    pub username: String,
    pub password_secret: PasswordSecret,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PasswordSecret {
    pub secret_name: String,
    /// The key of the Secret that holds the password.
    pub password: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Mirror {
    pub source: SourceCluster,
    pub source_connector: Connector,
    /// A regular expression of the topics to mirror.
    pub topics_pattern: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Connector {
    pub tasks_max: u32,
    pub config: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Mm2Template {
    pub pod: PodTemplate,
    pub connect_container: ContainerTemplate,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PodTemplate {
    pub security_context: PodSecurityContext,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerTemplate {
    pub security_context: SecurityContext,
}
