//! The Kafka write-ahead log beside a RedisFailover: the applier Deployment that consumes
//! a topic (found by the environment it reads), the Strimzi KafkaTopic and KafkaUser
//! among the sources.
//!
//! In: the source objects and the draft of the RedisFailover. Out: `shape.failover.wal`
//! and the roles of the applier and the Kafka objects. The secret store is never in the
//! sources: it is written as a placeholder with a note.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Container;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::Value;

use super::{Draft, Role};
use crate::import::error::ImportError;
use crate::import::pod::{self, Pod};
use crate::import::source::SourceObject;
use crate::spec::{Applier, Kafka, SecretStoreKind, SecretStoreRef, Shape, Wal, WalTopic};

/// Environment variable names a WAL applier may read each setting from (rkv's first).
const APPLIER_ENV: &[(&str, &[&str])] = &[
    (
        "bootstrap",
        &[
            "KAFKA_BOOTSTRAP_SERVERS",
            "KAFKA_BOOTSTRAP",
            "BOOTSTRAP_SERVERS",
        ],
    ),
    ("topic", &["KAFKA_TOPIC", "TOPIC"]),
    ("group", &["KAFKA_GROUP_ID", "KAFKA_GROUP", "GROUP_ID"]),
    (
        "user",
        &["KAFKA_SASL_USERNAME", "KAFKA_USER", "KAFKA_USERNAME"],
    ),
];

/// What a WAL applier's container says about the log.
struct ApplierEnv {
    index: usize,
    container: Container,
    bootstrap: String,
    topic: String,
    group: Option<String>,
    user: Option<String>,
}

/// The first Deployment of the namespace whose container reads a Kafka bootstrap and topic.
fn applier(
    objects: &[SourceObject],
    d: &Draft,
    ns: &str,
) -> Result<Option<ApplierEnv>, ImportError> {
    for (i, o) in objects.iter().enumerate() {
        if o.kind() != "Deployment"
            || d.roles.contains_key(&i)
            || !(o.namespace().is_empty() || o.namespace() == ns)
        {
            continue;
        }
        let pod = Pod::at(o, "/spec/template")?;
        for c in &pod.spec.containers {
            let env: BTreeMap<&str, &str> = c
                .env
                .iter()
                .flatten()
                .filter_map(|e| e.value.as_deref().map(|v| (e.name.as_str(), v)))
                .collect();
            let get = |what: &str| {
                APPLIER_ENV
                    .iter()
                    .find(|(w, _)| *w == what)
                    .and_then(|(_, names)| {
                        names
                            .iter()
                            .find_map(|n| env.get(n).map(|v| (*v).to_string()))
                    })
            };
            if let (Some(bootstrap), Some(topic)) = (get("bootstrap"), get("topic")) {
                return Ok(Some(ApplierEnv {
                    index: i,
                    container: c.clone(),
                    bootstrap,
                    topic,
                    group: get("group"),
                    user: get("user"),
                }));
            }
        }
    }
    Ok(None)
}

/// The Kafka write-ahead log beside a RedisFailover: a Deployment in its namespace that
/// consumes a Kafka topic (seed 001's `redis-applier`), and the Strimzi KafkaTopic and
/// KafkaUser among the sources. The secret store the spec needs is never in the sources
/// (seed 001 copies the Secrets by hand): it is written as a placeholder to fill in.
pub(super) fn wal(objects: &[SourceObject], d: &mut Draft, ns: &str) -> Result<(), ImportError> {
    let Some(a) = applier(objects, d, ns)? else {
        return Ok(());
    };
    let o = &objects[a.index];
    // `<cluster>-kafka-bootstrap.<namespace>.svc:<port>`: Strimzi's bootstrap Service.
    let first = a.bootstrap.split(',').next().unwrap_or_default();
    let (host, port) = match first.rsplit_once(':') {
        Some((h, p)) => (h.to_string(), p.parse::<u16>().ok()),
        None => (first.to_string(), None),
    };
    let labels: Vec<&str> = host.split('.').collect();
    let (Some(service), Some(kafka_ns), Some(port)) = (labels.first(), labels.get(1), port) else {
        d.notes.unmapped(
            "/spec/shape/failover",
            format!("the WAL applier `{}` reads Kafka at `{}`, not `<cluster>-kafka-bootstrap.<namespace>.svc:<port>`: the WAL is not imported", o.name(), a.bootstrap),
        );
        return Ok(());
    };
    let cluster = service
        .strip_suffix("-kafka-bootstrap")
        .unwrap_or(service)
        .to_string();
    let replicas = match o.value.pointer("/spec/replicas") {
        Some(v) => v
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| o.invalid("/spec/replicas", "not a count of pods"))?,
        None => 1,
    };
    let c = &a.container;
    let http_port = c
        .readiness_probe
        .as_ref()
        .and_then(|p| p.http_get.as_ref())
        .and_then(|h| match &h.port {
            IntOrString::Int(p) => u16::try_from(*p).ok(),
            IntOrString::String(_) => None,
        })
        .or_else(|| {
            c.ports
                .as_ref()?
                .first()
                .and_then(|p| u16::try_from(p.container_port).ok())
        })
        .unwrap_or(8080);
    let user = a.user.clone().unwrap_or_else(|| o.name().to_string());
    let group = a.group.clone().unwrap_or_else(|| o.name().to_string());
    d.roles.insert(a.index, Role::Applier);
    let mut topic = WalTopic {
        name: a.topic.clone(),
        partitions: None,
        replicas: None,
        retention_hours: None,
    };
    for (k, x) in objects.iter().enumerate() {
        if !x.api_version().starts_with("kafka.strimzi.io/") {
            continue;
        }
        let topic_name = x
            .value
            .pointer("/spec/topicName")
            .and_then(Value::as_str)
            .unwrap_or(x.name());
        if x.kind() == "KafkaTopic" && topic_name == a.topic {
            d.roles.insert(k, Role::Kafka);
            let count = |p: &str| {
                x.value
                    .pointer(p)
                    .and_then(Value::as_u64)
                    .and_then(|n| u32::try_from(n).ok())
            };
            topic.partitions = count("/spec/partitions");
            topic.replicas = count("/spec/replicas");
            if let Some(ms) = x
                .value
                .pointer("/spec/config/retention.ms")
                .and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok()))
            {
                topic.retention_hours =
                    Some(u32::try_from(ms / 3_600_000).unwrap_or(u32::MAX).max(1));
            }
        }
        if x.kind() == "KafkaUser" && x.name() == user {
            d.roles.insert(k, Role::Kafka);
        }
    }
    let wal = Wal {
        kafka: Kafka {
            namespace: (*kafka_ns).to_string(),
            cluster,
            bootstrap: host.clone(),
            port,
        },
        topic,
        applier: Applier {
            image: c.image.clone().unwrap_or_default(),
            replicas,
            user,
            group,
            port: http_port,
            resources: pod::resources(c).0,
        },
        mirror: None,
        restore_window_hours: None,
        secret_store: SecretStoreRef {
            name: "replace-me".into(),
            kind: SecretStoreKind::ClusterSecretStore,
            scram_password_key: "replace-me/kafka-user-password".into(),
            kafka_ca_key: "replace-me/kafka-cluster-ca".into(),
        },
    };
    if let Shape::Failover(f) = &mut d.topology.spec.shape {
        f.wal = Some(wal);
    }
    d.notes.inferred(
        "/spec/shape/failover/wal/secretStore",
        format!("not in the sources (`{}` reads its Kafka credentials from Secrets put there by hand): rkv brings them in with ExternalSecrets; name your store and its keys before the first rollout, or the applier cannot start", o.name()),
    );
    d.found.push_str(&format!(
        ", WAL: `{}` replays topic `{}`",
        o.name(),
        a.topic
    ));
    Ok(())
}
