//! The Kafka side of the WAL: Strimzi CRs in the Kafka namespace of each site.
//!
//! In: the plan (its site) and the `wal` block. Out: the `redis-writes` KafkaTopic and
//! the applier's KafkaUser on every site; on the mirror's source site the mirror's
//! read-only KafkaUser; on its target site the mirror's KafkaUser, the ExternalSecrets
//! for the source's credentials and CA, the KafkaMirrorMaker2 and its NetworkPolicies.
//! Invariant: the topic keeps its name across sites (identity replication), so the
//! applier on either site consumes the same `redis-writes` with the same per-key order.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use serde_json::{Value, json};

use super::super::common::labels;
use super::super::network::{self, tcp};
use super::super::{EmitError, Object};
use super::applier::external_secret;
use crate::emit::security;
use crate::plan::model::Plan;
use crate::spec::{Mirror, Variant, Wal};
use crate::target::strimzi::{
    self, Acl, AclResource, Authorization, CA_KEY, CLUSTER_LABEL, CertSecretSource,
    ClientAuthentication, ClientTls, Connector, ContainerTemplate, KafkaMirrorMaker2, KafkaTopic,
    KafkaTopicSpec, KafkaUser, KafkaUserSpec, MirrorMaker2Spec, Mm2Template, PASSWORD_KEY,
    PasswordSecret, PodTemplate, SourceCluster, TargetCluster, UserAuthentication,
    cluster_ca_secret,
};

const COMPONENT: &str = "wal";
const HOUR_MS: u64 = 3_600_000;
/// Strimzi's Connect REST API port, which its cluster operator calls.
const CONNECT_REST_PORT: u16 = 8083;

fn kafka_meta(plan: &Plan, wal: &Wal, name: &str, cluster_label: bool) -> ObjectMeta {
    let mut l = labels(plan, COMPONENT);
    if cluster_label {
        l.insert(CLUSTER_LABEL.into(), wal.kafka.cluster.clone());
    }
    ObjectMeta {
        name: Some(name.to_string()),
        namespace: Some(wal.kafka.namespace.clone()),
        labels: Some(l),
        ..Default::default()
    }
}

/// The name of the mirror's KafkaUser and KafkaMirrorMaker2.
pub fn mirror_name(wal: &Wal) -> String {
    format!("{}-mirror", wal.topic.name)
}

pub fn objects(plan: &Plan, wal: &Wal) -> Result<Vec<Object>, EmitError> {
    let mut out = vec![topic(plan, wal)?, applier_user(plan, wal)?];
    let site = match &plan.variant {
        Variant::Site(s) => Some(s.as_str()),
        _ => None,
    };
    if let (Some(m), Some(site)) = (&wal.mirror, site) {
        if site == m.from {
            out.push(user(
                plan,
                wal,
                &mirror_name(wal),
                vec![acl(
                    "topic",
                    &wal.topic.name,
                    "literal",
                    &["Read", "Describe", "DescribeConfigs"],
                )],
            )?);
        }
        if site == m.to {
            out.extend(mirror_target(plan, wal, m)?);
        }
    }
    Ok(out)
}

fn topic(plan: &Plan, wal: &Wal) -> Result<Object, EmitError> {
    let t = &wal.topic;
    // Only what the spec states: Strimzi's topic operator sets every key of
    // `spec.config` on the topic, and removes each per-topic setting the topic has that
    // `spec.config` does not name, so a value the spec never gave would overwrite (or,
    // for a key left out, reset) what an existing topic runs with.
    let mut config = BTreeMap::new();
    if let Some(h) = t.retention_hours {
        config.insert("retention.ms".to_string(), json!(u64::from(h) * HOUR_MS));
    }
    let kt = KafkaTopic {
        metadata: kafka_meta(plan, wal, &t.name, true),
        spec: KafkaTopicSpec {
            topic_name: None,
            partitions: t.partitions,
            replicas: t.replicas,
            config,
        },
    };
    let mut why = match t.retention_hours {
        Some(h) => vec![format!(
            "retention.ms = {h} h x 3600000 ms = {}: the topic is the only source for a rebuild",
            u64::from(h) * HOUR_MS
        )],
        None => vec![
            format!("retention {}", strimzi::retention_text(None)),
            "Strimzi removes a per-topic retention.ms the existing topic has: state `retentionHours` to keep one".into(),
        ],
    };
    why.push(
        "a rebuild (wipe the PVCs, reset the group to --to-earliest, replay) reaches back at most this far".into(),
    );
    match (wal.restore_window_hours, t.retention_hours) {
        (Some(w), Some(h)) => why.push(format!(
            "restore window asked for: {w} h <= retention {h} h"
        )),
        (Some(w), None) => why.push(format!(
            "restore window asked for: {w} h, against a retention the spec does not state"
        )),
        (None, _) => why.push(
            "no restoreWindowHours in the spec: nothing to check the retention against".into(),
        ),
    }
    why.push("partition key = Redis key: all ops of one key stay ordered in one partition".into());
    why.push(
        "cleanup.policy not stated: the broker's default, delete; a compacted WAL would drop ops and change what a replay produces".into(),
    );
    if t.partitions.is_none() {
        why.push(
            "partitions and replicas unset: the broker's (or the existing topic's) values stand"
                .into(),
        );
    }
    Ok(Object::new("KafkaTopic", &kt)?.with_comment(why))
}

fn acl(kind: &str, name: &str, pattern: &str, ops: &[&str]) -> Acl {
    Acl {
        resource: AclResource {
            type_: kind.into(),
            name: name.into(),
            pattern_type: pattern.into(),
        },
        operations: ops.iter().map(|o| o.to_string()).collect(),
    }
}

fn user(plan: &Plan, wal: &Wal, name: &str, acls: Vec<Acl>) -> Result<Object, EmitError> {
    let u = KafkaUser {
        metadata: kafka_meta(plan, wal, name, true),
        spec: KafkaUserSpec {
            authentication: UserAuthentication {
                type_: "scram-sha-512".into(),
            },
            authorization: Authorization {
                type_: "simple".into(),
                acls,
            },
        },
    };
    Ok(Object::new("KafkaUser", &u)?)
}

/// The applier may read the topic and commit its group's offsets, nothing else.
fn applier_user(plan: &Plan, wal: &Wal) -> Result<Object, EmitError> {
    let a = &wal.applier;
    user(
        plan,
        wal,
        &a.user,
        vec![
            acl("topic", &wal.topic.name, "literal", &["Read", "Describe"]),
            acl("group", &a.group, "literal", &["Read"]),
        ],
    )
}

/// The target site's half of the mirror.
fn mirror_target(plan: &Plan, wal: &Wal, m: &Mirror) -> Result<Vec<Object>, EmitError> {
    let name = mirror_name(wal);
    let k = &wal.kafka;
    let source_secret = format!("{name}-source");
    let source_ca = format!("{name}-source-ca");
    let local_ca = cluster_ca_secret(&k.cluster);
    let mut out = Vec::new();
    // The mirror writes the topic (and creates it, with the source's partition count),
    // and owns its Connect group and internal topics.
    out.push(user(
        plan,
        wal,
        &name,
        vec![
            acl(
                "topic",
                &wal.topic.name,
                "literal",
                &[
                    "Write",
                    "Create",
                    "Describe",
                    "DescribeConfigs",
                    "AlterConfigs",
                ],
            ),
            acl("topic", &format!("{name}-"), "prefix", &["All"]),
            acl(
                "topic",
                &format!("mm2-offset-syncs.{}.internal", m.to),
                "literal",
                &["All"],
            ),
            acl("group", &name, "literal", &["Read"]),
        ],
    )?);
    let store = &wal.secret_store;
    if let Some(key) = &m.source_password_key {
        out.push(external_secret(
            plan,
            &k.namespace,
            &source_secret,
            COMPONENT,
            store,
            key,
            PASSWORD_KEY,
        )?);
    }
    if let Some(key) = &m.source_ca_key {
        out.push(external_secret(
            plan,
            &k.namespace,
            &source_ca,
            COMPONENT,
            store,
            key,
            CA_KEY,
        )?);
    }
    let connector: BTreeMap<String, Value> = BTreeMap::from([
        // Keep the topic's name on the target: both appliers consume `redis-writes`,
        // and a cutover needs no client change. Never mirror back the other way with
        // this policy: identity names make a two-way mirror loop forever.
        (
            "replication.policy.class".to_string(),
            json!("org.apache.kafka.connect.mirror.IdentityReplicationPolicy"),
        ),
        // MM2 writes each record to the partition it had on the source, key and all, so
        // per-key order survives the mirror.
        ("offset-syncs.topic.location".to_string(), json!("target")),
        ("sync.topic.acls.enabled".to_string(), json!("false")),
        ("refresh.topics.interval.seconds".to_string(), json!(60)),
    ]);
    let mm2 = KafkaMirrorMaker2 {
        metadata: kafka_meta(plan, wal, &name, false),
        spec: MirrorMaker2Spec {
            replicas: 1,
            target: TargetCluster {
                alias: m.to.clone(),
                bootstrap_servers: format!("{}:{}", k.bootstrap, k.port),
                group_id: name.clone(),
                config_storage_topic: format!("{name}-configs"),
                status_storage_topic: format!("{name}-status"),
                offset_storage_topic: format!("{name}-offsets"),
                tls: ClientTls {
                    trusted_certificates: vec![CertSecretSource {
                        secret_name: local_ca,
                        certificate: CA_KEY.into(),
                    }],
                },
                authentication: ClientAuthentication {
                    type_: "scram-sha-512".into(),
                    username: name.clone(),
                    password_secret: PasswordSecret {
                        secret_name: name.clone(),
                        password: PASSWORD_KEY.into(),
                    },
                },
            },
            mirrors: vec![crate::target::strimzi::Mirror {
                source: SourceCluster {
                    alias: m.from.clone(),
                    bootstrap_servers: m.source_bootstrap.clone(),
                    tls: ClientTls {
                        trusted_certificates: vec![CertSecretSource {
                            secret_name: source_ca,
                            certificate: CA_KEY.into(),
                        }],
                    },
                    authentication: ClientAuthentication {
                        type_: "scram-sha-512".into(),
                        username: name.clone(),
                        password_secret: PasswordSecret {
                            secret_name: source_secret,
                            password: PASSWORD_KEY.into(),
                        },
                    },
                },
                source_connector: Connector {
                    tasks_max: 1,
                    config: connector,
                },
                topics_pattern: regex_literal(&wal.topic.name),
            }],
            template: Some(Mm2Template {
                pod: PodTemplate {
                    // Strimzi's image runs as its own user.
                    security_context: security::pod(None, false),
                },
                connect_container: ContainerTemplate {
                    security_context: security::container(),
                },
            }),
        },
    };
    let why = vec![
        format!(
            "{} -> {}: `{}` keeps its name (IdentityReplicationPolicy)",
            m.from, m.to, wal.topic.name
        ),
        "one worker: a restart only stretches the replication lag the WAL design accepts".into(),
        "MM2 also copies the topic's config from the source: both sites' KafkaTopics carry the same spec".into(),
    ];
    out.push(Object::new("KafkaMirrorMaker2", &mm2)?.with_comment(why));
    out.extend(mirror_policies(plan, wal, m)?);
    Ok(out)
}

/// `redis-writes` as a regular expression matching only itself.
fn regex_literal(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_string()
            } else {
                format!("\\{c}")
            }
        })
        .collect()
}

/// The port of a `host:port` bootstrap address (9092, Kafka's default, if none).
fn port_of(bootstrap: &str) -> u16 {
    bootstrap
        .rsplit_once(':')
        .and_then(|(_, p)| p.parse().ok())
        .unwrap_or(9092)
}

/// Default deny for the MirrorMaker 2 pods in the Kafka namespace, plus exact allows:
/// DNS, the local brokers, the source's bootstrap port, and the Strimzi operator (and
/// the workers themselves) on the Connect REST port.
fn mirror_policies(plan: &Plan, wal: &Wal, m: &Mirror) -> Result<Vec<Object>, EmitError> {
    let name = mirror_name(wal);
    let k = &wal.kafka;
    let pods = BTreeMap::from([
        (CLUSTER_LABEL.to_string(), name.clone()),
        (
            "strimzi.io/kind".to_string(),
            "KafkaMirrorMaker2".to_string(),
        ),
    ]);
    let select = || LabelSelector {
        match_labels: Some(pods.clone()),
        ..Default::default()
    };
    let meta = |suffix: &str| kafka_meta(plan, wal, &format!("{name}-{suffix}"), false);
    let operator = network::anywhere(BTreeMap::from([(
        "strimzi.io/kind".to_string(),
        "cluster-operator".to_string(),
    )]));
    let workers = || network::here(select());
    let brokers = network::in_namespace(
        &k.namespace,
        &BTreeMap::from([(CLUSTER_LABEL.to_string(), k.cluster.clone())]),
    );
    Ok(vec![
        network::policy(meta("default-deny"), network::deny_all(select()))?,
        network::policy(
            meta("allow"),
            network::rules(
                select(),
                vec![network::ingress(
                    vec![operator, workers()],
                    vec![tcp(CONNECT_REST_PORT)],
                )],
                vec![
                    network::dns(),
                    network::egress(Some(vec![brokers]), vec![tcp(k.port)]),
                    // The source is another cluster: its address is not a pod here.
                    network::egress(None, vec![tcp(port_of(&m.source_bootstrap))]),
                    network::egress(Some(vec![workers()]), vec![tcp(CONNECT_REST_PORT)]),
                ],
            ),
        )?,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_and_port() {
        assert_eq!(regex_literal("redis-writes"), "redis-writes");
        assert_eq!(regex_literal("a.b"), "a\\.b");
        assert_eq!(port_of("x.example:9095"), 9095);
        assert_eq!(port_of("x.example"), 9092);
    }
}
