//! `redis-applier`: the consumer that replays the WAL topic into the local primary.
//!
//! In: the plan and its `wal` block. Out: the Deployment, its PodDisruptionBudget and
//! the two ExternalSecrets it reads (the SCRAM password, the Kafka cluster CA) — they
//! replace the seed's hand copy of Strimzi's Secrets from `kafka` into this namespace.
//! Invariant: the applier finds the primary through Sentinel (never a pod address) and
//! reads every credential from a Secret reference.

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec};
use k8s_openapi::api::core::v1::{
    Container, ContainerPort, EnvVar, HTTPGetAction, KeyToPath, PodSpec, Probe, SecretVolumeSource,
    TCPSocketAction, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::super::common::{self, labels, meta, selector};
use super::super::{EmitError, Object, pdb};
use super::sentinel_address;
use crate::emit::placement::{self, Role};
use crate::emit::{auth, security};
use crate::plan::model::Plan;
use crate::plan::qos;
use crate::spec::Wal;
use crate::target::external_secrets::{
    Data, ExternalSecret, ExternalSecretSpec, RemoteRef, SecretStoreRef, Target,
};
use crate::target::spotahome;
use crate::target::strimzi::{CA_KEY, PASSWORD_KEY};

pub const COMPONENT: &str = "applier";
/// Where the Kafka cluster CA is mounted in the applier.
const CA_DIR: &str = "/etc/kafka-ca";
/// Where the SCRAM password Secret is mounted: the applier reads `KAFKA_SASL_PASSWORD_FILE`.
const SCRAM_DIR: &str = "/etc/kafka-scram";
/// Read-only for the owner and group: the applier runs as that uid and group.
const SECRET_MODE: i32 = 0o440;
/// Distroless `nonroot`: the applier image has no shell and needs no other uid.
const APPLIER_UID: i64 = 65532;

pub fn name(plan: &Plan) -> String {
    format!("{}-applier", plan.name)
}

/// The Secret (in the Redis namespace) holding the applier's SCRAM password.
pub fn scram_secret(plan: &Plan) -> String {
    format!("{}-kafka-scram", name(plan))
}

/// The Secret (in the Redis namespace) holding the Kafka cluster CA.
pub fn ca_secret(plan: &Plan) -> String {
    format!("{}-kafka-ca", name(plan))
}

pub fn objects(plan: &Plan, wal: &Wal) -> Result<Vec<Object>, EmitError> {
    let mut out = vec![deployment(plan, wal)?];
    if let Some(b) = &plan.applier_budget {
        out.push(pdb::budget(
            plan,
            &name(plan),
            COMPONENT,
            selector(plan, COMPONENT),
            b,
        )?);
    }
    let store = &wal.secret_store;
    out.push(external_secret(
        plan,
        &plan.namespace,
        &scram_secret(plan),
        COMPONENT,
        store,
        &store.scram_password_key,
        PASSWORD_KEY,
    )?);
    out.push(external_secret(
        plan,
        &plan.namespace,
        &ca_secret(plan),
        COMPONENT,
        store,
        &store.kafka_ca_key,
        CA_KEY,
    )?);
    Ok(out)
}

/// An ExternalSecret that writes `secret` (key `key`) from the store's `remote` entry,
/// property `key` (the same key name Strimzi uses, so the store mirrors its Secrets).
pub fn external_secret(
    plan: &Plan,
    namespace: &str,
    secret: &str,
    component: &str,
    store: &crate::spec::SecretStoreRef,
    remote: &str,
    key: &str,
) -> Result<Object, EmitError> {
    let mut metadata = meta(plan, secret, component);
    metadata.namespace = Some(namespace.to_string());
    let es = ExternalSecret {
        metadata,
        spec: ExternalSecretSpec {
            refresh_interval: "1h".into(),
            secret_store_ref: SecretStoreRef {
                name: store.name.clone(),
                kind: store.kind.as_str().into(),
            },
            target: Target {
                name: secret.to_string(),
                creation_policy: "Owner".into(),
            },
            data: vec![Data {
                secret_key: key.to_string(),
                remote_ref: RemoteRef {
                    key: remote.to_string(),
                    property: Some(key.to_string()),
                },
            }],
        },
    };
    Ok(Object::new("ExternalSecret", &es)?)
}

fn env(name: &str, value: impl Into<String>) -> EnvVar {
    EnvVar {
        name: name.into(),
        value: Some(value.into()),
        ..Default::default()
    }
}

/// One key of a Secret as a file of the same name, readable by the pod's group.
fn secret_volume(name: &str, secret: String, key: &str) -> Volume {
    Volume {
        name: name.into(),
        secret: Some(SecretVolumeSource {
            secret_name: Some(secret),
            default_mode: Some(SECRET_MODE),
            items: Some(vec![KeyToPath {
                key: key.into(),
                path: key.into(),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn deployment(plan: &Plan, wal: &Wal) -> Result<Object, EmitError> {
    let a = &wal.applier;
    let k = &wal.kafka;
    let mut vars = vec![
        env(
            "KAFKA_BOOTSTRAP_SERVERS",
            format!("{}:{}", k.bootstrap, k.port),
        ),
        env("KAFKA_TOPIC", wal.topic.name.clone()),
        env("KAFKA_GROUP_ID", a.group.clone()),
        env("KAFKA_SECURITY_PROTOCOL", "SASL_SSL"),
        env("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512"),
        env("KAFKA_SASL_USERNAME", a.user.clone()),
        // Credentials are files (the `_FILE` variables of the applier's contract), never
        // environment values: `env` of a container is readable by anyone who can read the
        // pod spec's resolved environment, and checkov's CKV_K8S_35 asks for files.
        env(
            "KAFKA_SASL_PASSWORD_FILE",
            format!("{SCRAM_DIR}/{PASSWORD_KEY}"),
        ),
        env("KAFKA_CA_FILE", format!("{CA_DIR}/{CA_KEY}")),
        env("REDIS_SENTINEL_ADDRS", sentinel_address(plan)),
        env("REDIS_MASTER_NAME", spotahome::MASTER_NAME),
        env("HTTP_ADDR", format!(":{}", a.port)),
    ];
    let mut mounts = vec![
        VolumeMount {
            name: "kafka-ca".into(),
            mount_path: CA_DIR.into(),
            read_only: Some(true),
            ..Default::default()
        },
        VolumeMount {
            name: "kafka-scram".into(),
            mount_path: SCRAM_DIR.into(),
            read_only: Some(true),
            ..Default::default()
        },
    ];
    let mut volumes = vec![
        secret_volume("kafka-ca", ca_secret(plan), CA_KEY),
        secret_volume("kafka-scram", scram_secret(plan), PASSWORD_KEY),
    ];
    if let Some(a) = &plan.spec.auth {
        vars.push(env("REDIS_PASSWORD_FILE", auth::PASSWORD_FILE));
        mounts.push(auth::mount());
        volumes.push(auth::volume(&a.password_secret));
    }
    let container = Container {
        name: "applier".into(),
        image: Some(a.image.clone()),
        env: Some(vars),
        ports: Some(vec![ContainerPort {
            name: Some("http".into()),
            container_port: a.port.into(),
            protocol: Some("TCP".into()),
            ..Default::default()
        }]),
        // v0.1.1 reports ready only once the consumer group has joined and partitions
        // are assigned, so a rollout waits for each new pod to really consume.
        readiness_probe: Some(Probe {
            http_get: Some(HTTPGetAction {
                path: Some("/readyz".into()),
                port: IntOrString::String("http".into()),
                ..Default::default()
            }),
            initial_delay_seconds: Some(5),
            period_seconds: Some(10),
            timeout_seconds: Some(3),
            ..Default::default()
        }),
        // Liveness is a TCP check, not `/readyz`: during a rebalance or a Kafka outage
        // `/readyz` is false by design, and restarting the pod then only adds rebalances.
        // The seed documents no `/healthz`, so liveness asks only that the process serves.
        liveness_probe: Some(Probe {
            tcp_socket: Some(TCPSocketAction {
                port: IntOrString::String("http".into()),
                host: None,
            }),
            initial_delay_seconds: Some(15),
            period_seconds: Some(20),
            timeout_seconds: Some(3),
            failure_threshold: Some(3),
            ..Default::default()
        }),
        resources: Some(common::sized(a.resources.as_ref(), qos::APPLIER)),
        security_context: Some(security::container()),
        volume_mounts: Some(mounts),
        ..Default::default()
    };
    // No volume to make writable; the group lets the applier read its Secret files (0440).
    let pod_security = security::pod(Some(APPLIER_UID), true);
    let d = Deployment {
        metadata: meta(plan, &name(plan), COMPONENT),
        spec: DeploymentSpec {
            replicas: Some(a.replicas as i32),
            selector: selector(plan, COMPONENT),
            template: placement::template(
                plan,
                Role::Serving,
                ObjectMeta {
                    labels: Some(labels(plan, COMPONENT)),
                    ..Default::default()
                },
                PodSpec {
                    automount_service_account_token: Some(false),
                    enable_service_links: Some(false),
                    security_context: Some(pod_security),
                    // A zone's loss must not take every applier: the replay would stop.
                    topology_spread_constraints: placement::spread(
                        placement::zones_only(plan.spec.placement.as_ref()).as_ref(),
                        selector(plan, COMPONENT),
                    ),
                    containers: vec![container],
                    volumes: Some(volumes),
                    ..Default::default()
                },
            ),
            ..Default::default()
        },
        ..Default::default()
    };
    Ok(Object::new("Deployment", &d)?)
}
