//! The data plane: the StatefulSet (Redis + exporter sidecar), the headless and client
//! Services, the redis.conf ConfigMap and the client-address ConfigMap.
//!
//! In: the cluster context. Out: those objects. Invariant: the pods' names, the headless
//! Service and the announced hostnames all come from [`Names`](super::Names), so what the
//! pods announce, what the init Job creates the cluster from and what clients are told
//! are the same names.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{StatefulSet, StatefulSetSpec, StatefulSetUpdateStrategy};
use k8s_openapi::api::core::v1::{
    ConfigMap, ConfigMapVolumeSource, Container, ContainerPort, EmptyDirVolumeSource, EnvVar,
    EnvVarSource, ExecAction, HTTPGetAction, KeyToPath, ObjectFieldSelector, PersistentVolumeClaim,
    PodSpec, Probe, SecretVolumeSource, Service, ServicePort, ServiceSpec, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use minijinja::context;

use super::{CLIENT, CLIENT_TLS_DIR, CONF_DIR, Ctx, SERVER, TLS_DIR, fingerprint, render};
use crate::emit::common::{self, labels, meta, selector, selector_labels};
use crate::emit::placement::{self, Role};
use crate::emit::{EmitError, Object, auth, security};
use crate::plan::{qos, settings};

const REDIS_CONF: &str = include_str!("../templates/cluster-redis.conf.j2");
const START_SH: &str = include_str!("../templates/cluster-start.sh.j2");
/// Where Redis keeps the cluster's node table (`cluster-config-file` in the template).
const NODES_CONF: &str = "/data/nodes.conf";
/// Seconds start.sh waits in total for peer names to resolve (the liveness probe allows
/// 20 s + 5 x 15 s before it restarts the container).
const START_WAIT_S: u32 = 30;
/// Read-only for the owner and the pod's fsGroup: Redis and the exporter run as that group.
const SECRET_MODE: i32 = 0o440;
/// The data volume: the claim template when persistent (each pod's claim is then
/// `data-<pod>`), an emptyDir when not.
pub(super) const DATA_VOLUME: &str = "data";

pub(super) fn emit(ctx: &Ctx) -> Result<Vec<Object>, EmitError> {
    let conf = redis_conf(ctx)?;
    let auth_exec = ctx.plan.spec.auth.as_ref().map(|_| auth::server_exec(true));
    let start = render(
        "start.sh",
        START_SH,
        context! {
            name => ctx.names.name,
            nodes_conf => NODES_CONF,
            wait_seconds => START_WAIT_S,
            auth_exec => auth_exec,
        },
    )?;
    Ok(vec![
        statefulset(ctx, &format!("{conf}{start}"))?,
        headless_service(ctx)?,
        client_service(ctx)?,
        conf_map(ctx, &conf, &start)?,
        client_map(ctx)?,
    ])
}

/// The redis.conf ConfigMap's name.
fn conf_name(ctx: &Ctx) -> String {
    format!("{}-config", ctx.names.name)
}

/// The Redis settings as `(directive, value)` pairs, less the node timeout, which the
/// template writes with the rest of cluster mode.
fn settings(ctx: &Ctx) -> Vec<(String, String)> {
    settings::settings(ctx.plan)
        .into_iter()
        .filter(|s| s.key != settings::CLUSTER_NODE_TIMEOUT)
        // redis.conf needs the `save` rules quoted as one argument (`save ""` disables).
        .map(|s| match s.key.as_str() {
            "save" => (s.key.clone(), format!("\"{}\"", s.value())),
            _ => (s.key.clone(), s.value()),
        })
        .collect()
}

fn redis_conf(ctx: &Ctx) -> Result<String, EmitError> {
    let tls = ctx.tls();
    render(
        "redis.conf",
        REDIS_CONF,
        context! {
            name => ctx.names.name,
            shards => ctx.shape.shards,
            replicas => ctx.shape.replicas,
            node_timeout_ms => ctx.shape.node_timeout_ms,
            port => ctx.port,
            tls => tls.is_some(),
            tls_dir => TLS_DIR,
            client_tls_dir => tls.and_then(|t| t.client_secret.as_ref()).map(|_| CLIENT_TLS_DIR),
            mutual => tls.is_some_and(|t| t.mutual),
            auth => ctx.plan.spec.auth.is_some(),
            settings => settings(ctx),
        },
    )
}

fn conf_map(ctx: &Ctx, conf: &str, start: &str) -> Result<Object, EmitError> {
    let mut m = meta(ctx.plan, &conf_name(ctx), SERVER);
    // Flux must not substitute `${...}` in the start script.
    m.annotations = Some(BTreeMap::from([(
        "kustomize.toolkit.fluxcd.io/substitute".to_string(),
        "disabled".to_string(),
    )]));
    let cm = ConfigMap {
        metadata: m,
        data: Some(BTreeMap::from([
            ("redis.conf".to_string(), conf.to_string()),
            ("start.sh".to_string(), start.to_string()),
        ])),
        ..Default::default()
    };
    Ok(Object::new("ConfigMap", &cm)?)
}

/// `<name>-client`: what an application needs to find the cluster (seed 000 section 5 step 6).
fn client_map(ctx: &Ctx) -> Result<Object, EmitError> {
    let cm = ConfigMap {
        metadata: meta(ctx.plan, &ctx.names.client_service, CLIENT),
        data: Some(BTreeMap::from([(
            "REDIS_CLUSTER_ADDRESSES".to_string(),
            ctx.names.client_addresses(ctx.port),
        )])),
        ..Default::default()
    };
    Ok(Object::new("ConfigMap", &cm)?)
}

fn port(name: &str, port: u16) -> ServicePort {
    ServicePort {
        name: Some(name.into()),
        port: port.into(),
        target_port: Some(IntOrString::String(name.into())),
        protocol: Some("TCP".into()),
        ..Default::default()
    }
}

/// The exporter's port, when there is an exporter.
pub(super) fn exporter<'a>(ctx: &'a Ctx) -> Option<&'a crate::spec::Exporter> {
    ctx.plan
        .spec
        .monitoring
        .as_ref()
        .and_then(|m| m.exporter.as_ref())
}

/// Headless, for peer discovery: every pod gets `<pod>.<name>.<ns>.svc` before it is
/// ready (`publishNotReadyAddresses`), which the init Job and a rebooting cluster need.
/// It also carries the `metrics` port the ServiceMonitor scrapes, so the `service` label
/// of the exporter's series is this Service's name.
fn headless_service(ctx: &Ctx) -> Result<Object, EmitError> {
    let mut ports = vec![port("redis", ctx.port), port("cluster-bus", ctx.bus_port)];
    if let Some(e) = exporter(ctx) {
        ports.push(port("metrics", e.port));
    }
    let s = Service {
        metadata: meta(ctx.plan, &ctx.names.name, SERVER),
        spec: Some(ServiceSpec {
            cluster_ip: Some("None".into()),
            publish_not_ready_addresses: Some(true),
            selector: Some(selector_labels(ctx.plan, SERVER)),
            ports: Some(ports),
            ..Default::default()
        }),
        ..Default::default()
    };
    Ok(Object::new("Service", &s)?)
}

/// A ClusterIP Service over the ready pods: one stable seed address for cluster clients,
/// which then follow the hostnames the pods announce.
fn client_service(ctx: &Ctx) -> Result<Object, EmitError> {
    let s = Service {
        metadata: meta(ctx.plan, &ctx.names.client_service, CLIENT),
        spec: Some(ServiceSpec {
            type_: Some("ClusterIP".into()),
            selector: Some(selector_labels(ctx.plan, SERVER)),
            ports: Some(vec![port("redis", ctx.port)]),
            ..Default::default()
        }),
        ..Default::default()
    };
    Ok(Object::new("Service", &s)?)
}

/// The volume holding what redis-cli and the exporter present: the client Secret, or,
/// without one, only the CA from the server Secret (enough to verify the server).
pub(super) fn client_tls_volume(ctx: &Ctx) -> Option<Volume> {
    let t = ctx.tls()?;
    let source = match &t.client_secret {
        Some(name) => SecretVolumeSource {
            secret_name: Some(name.clone()),
            default_mode: Some(SECRET_MODE),
            ..Default::default()
        },
        None => SecretVolumeSource {
            secret_name: Some(t.server_secret.clone()),
            default_mode: Some(SECRET_MODE),
            items: Some(vec![KeyToPath {
                key: "ca.crt".into(),
                path: "ca.crt".into(),
                ..Default::default()
            }]),
            ..Default::default()
        },
    };
    Some(Volume {
        name: "client-tls".into(),
        secret: Some(source),
        ..Default::default()
    })
}

pub(super) fn mount(name: &str, path: &str) -> VolumeMount {
    VolumeMount {
        name: name.into(),
        mount_path: path.into(),
        read_only: Some(true),
        ..Default::default()
    }
}

/// A probe running redis-cli against this pod; `accept` is what counts as alive. With a
/// password, redis-cli reads it from `REDISCLI_AUTH`, set from the mounted file for that
/// one process.
fn cli_probe(ctx: &Ctx, accept: &str) -> ExecAction {
    let flags = ctx.cli_tls_flags().join(" ");
    let sep = if flags.is_empty() { "" } else { " " };
    let cmd = format!(
        "redis-cli{sep}{flags} -h 127.0.0.1 -p {} ping | grep -Eq '^({accept})'",
        ctx.port
    );
    ExecAction {
        command: Some(vec![
            "sh".into(),
            "-c".into(),
            if ctx.plan.spec.auth.is_some() {
                auth::cli(&cmd)
            } else {
                cmd
            },
        ]),
    }
}

/// `POD_NAME` from the downward API: each pod's announced name is built from it.
fn pod_name_env() -> EnvVar {
    EnvVar {
        name: "POD_NAME".into(),
        value_from: Some(EnvVarSource {
            field_ref: Some(ObjectFieldSelector {
                field_path: "metadata.name".into(),
                api_version: None,
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn redis_container(ctx: &Ctx) -> Container {
    let plan = ctx.plan;
    let env = vec![pod_name_env()];
    // The password is not among them: start.sh reads it from the mounted Secret.
    let args = vec![
        format!("{CONF_DIR}/redis.conf"),
        "--cluster-announce-hostname".into(),
        ctx.names.announce_hostname(),
    ];
    let mut mounts = vec![
        VolumeMount {
            name: DATA_VOLUME.into(),
            mount_path: "/data".into(),
            ..Default::default()
        },
        mount("config", CONF_DIR),
    ];
    if ctx.tls().is_some() {
        mounts.push(mount("tls", TLS_DIR));
        mounts.push(mount("client-tls", CLIENT_TLS_DIR));
    }
    if plan.spec.auth.is_some() {
        mounts.push(auth::mount());
    }
    Container {
        name: "redis".into(),
        image: Some(plan.spec.redis.image.clone()),
        // start.sh refreshes peer addresses in nodes.conf, then execs redis-server "$@".
        command: Some(vec!["sh".into(), format!("{CONF_DIR}/start.sh")]),
        args: Some(args),
        env: Some(env),
        ports: Some(vec![
            ContainerPort {
                name: Some("redis".into()),
                container_port: ctx.port.into(),
                protocol: Some("TCP".into()),
                ..Default::default()
            },
            ContainerPort {
                name: Some("cluster-bus".into()),
                container_port: ctx.bus_port.into(),
                protocol: Some("TCP".into()),
                ..Default::default()
            },
        ]),
        readiness_probe: Some(Probe {
            exec: Some(cli_probe(ctx, "PONG")),
            initial_delay_seconds: Some(5),
            period_seconds: Some(10),
            timeout_seconds: Some(5),
            ..Default::default()
        }),
        // A node loading a large AOF answers LOADING: alive, so not restarted mid-load.
        liveness_probe: Some(Probe {
            exec: Some(cli_probe(ctx, "PONG|LOADING")),
            initial_delay_seconds: Some(20),
            period_seconds: Some(15),
            timeout_seconds: Some(5),
            failure_threshold: Some(5),
            ..Default::default()
        }),
        resources: common::resources(plan.spec.resources.as_ref()),
        security_context: Some(security::container()),
        volume_mounts: Some(mounts),
        ..Default::default()
    }
}

fn exporter_container(ctx: &Ctx, e: &crate::spec::Exporter) -> Container {
    let scheme = if ctx.tls().is_some() {
        "rediss"
    } else {
        "redis"
    };
    let value = |name: &str, v: String| EnvVar {
        name: name.into(),
        value: Some(v),
        ..Default::default()
    };
    // Over TLS the exporter verifies the name it dials: the pod's announced hostname, which
    // the server certificate carries for cluster clients anyway (`plan::tls`), rather than
    // `localhost`, which no documented certificate has. The kubelet expands `$(POD_NAME)`.
    let (mut env, host) = if ctx.tls().is_some() {
        (vec![pod_name_env()], ctx.names.announce_hostname())
    } else {
        (Vec::new(), "localhost".to_string())
    };
    env.push(value(
        "REDIS_ADDR",
        format!("{scheme}://{host}:{}", ctx.port),
    ));
    env.extend([
        value("REDIS_EXPORTER_WEB_LISTEN_ADDRESS", format!(":{}", e.port)),
        // redis_total_system_memory_bytes: the MemoryHigh alert's bound when no maxmemory is set.
        value("REDIS_EXPORTER_INCL_SYSTEM_METRICS", "true".into()),
    ]);
    let mut mounts = Vec::new();
    if ctx.plan.spec.auth.is_some() {
        // The init container wrote the password file for this REDIS_ADDR.
        env.push(auth::exporter_env());
        mounts.push(auth::exporter_mount());
    }
    if let Some(t) = ctx.tls() {
        env.push(value(
            "REDIS_EXPORTER_TLS_CA_CERT_FILE",
            format!("{CLIENT_TLS_DIR}/ca.crt"),
        ));
        if t.client_secret.is_some() {
            env.push(value(
                "REDIS_EXPORTER_TLS_CLIENT_CERT_FILE",
                format!("{CLIENT_TLS_DIR}/tls.crt"),
            ));
            env.push(value(
                "REDIS_EXPORTER_TLS_CLIENT_KEY_FILE",
                format!("{CLIENT_TLS_DIR}/tls.key"),
            ));
        }
        mounts.push(mount("client-tls", CLIENT_TLS_DIR));
    }
    let http = |path: &str| HTTPGetAction {
        path: Some(path.into()),
        port: IntOrString::String("metrics".into()),
        ..Default::default()
    };
    Container {
        name: "exporter".into(),
        image: Some(e.image.clone()),
        env: Some(env),
        ports: Some(vec![ContainerPort {
            name: Some("metrics".into()),
            container_port: e.port.into(),
            protocol: Some("TCP".into()),
            ..Default::default()
        }]),
        liveness_probe: Some(Probe {
            http_get: Some(http("/health")),
            initial_delay_seconds: Some(10),
            period_seconds: Some(20),
            timeout_seconds: Some(3),
            ..Default::default()
        }),
        // `/health` answers once the exporter serves (it does not ask Redis: the Redis
        // container has probes of its own). The pod is ready only when metrics can be
        // scraped, as with the Bitnami chart's metrics sidecar.
        readiness_probe: Some(Probe {
            http_get: Some(http("/health")),
            initial_delay_seconds: Some(5),
            period_seconds: Some(10),
            timeout_seconds: Some(3),
            ..Default::default()
        }),
        resources: Some(common::sized(e.resources.as_ref(), qos::EXPORTER)),
        security_context: Some(security::container()),
        volume_mounts: (!mounts.is_empty()).then_some(mounts),
        ..Default::default()
    }
}

/// The init container writing the exporter's password file, keyed by the exporter's own
/// `REDIS_ADDR` (and the `POD_NAME` it expands from): the Redis image, which has a shell.
fn exporter_auth_init(ctx: &Ctx, exporter: &Container) -> Container {
    let addr_env = exporter
        .env
        .iter()
        .flatten()
        .filter(|e| e.name == "POD_NAME" || e.name == "REDIS_ADDR")
        .cloned()
        .collect();
    auth::exporter_init(
        &ctx.plan.spec.redis.image,
        addr_env,
        common::sized(None, qos::EXPORTER_INIT),
    )
}

fn volumes(ctx: &Ctx) -> Vec<Volume> {
    let mut v = vec![Volume {
        name: "config".into(),
        config_map: Some(ConfigMapVolumeSource {
            name: conf_name(ctx),
            ..Default::default()
        }),
        ..Default::default()
    }];
    if let Some(t) = ctx.tls() {
        v.push(Volume {
            name: "tls".into(),
            secret: Some(SecretVolumeSource {
                secret_name: Some(t.server_secret.clone()),
                default_mode: Some(SECRET_MODE),
                ..Default::default()
            }),
            ..Default::default()
        });
    }
    v.extend(client_tls_volume(ctx));
    if let Some(a) = &ctx.plan.spec.auth {
        v.push(auth::volume(&a.password_secret));
        if exporter(ctx).is_some() {
            v.push(auth::exporter_volume());
        }
    }
    if !persistent(ctx) {
        v.push(Volume {
            name: DATA_VOLUME.into(),
            empty_dir: Some(EmptyDirVolumeSource::default()),
            ..Default::default()
        });
    }
    v
}

fn persistent(ctx: &Ctx) -> bool {
    ctx.plan
        .spec
        .persistence
        .as_ref()
        .is_some_and(|p| p.enabled)
}

fn claim(ctx: &Ctx) -> Option<PersistentVolumeClaim> {
    let p = ctx.plan.spec.persistence.as_ref().filter(|p| p.enabled)?;
    Some(PersistentVolumeClaim {
        metadata: ObjectMeta {
            name: Some(DATA_VOLUME.into()),
            labels: Some(labels(ctx.plan, SERVER)),
            ..Default::default()
        },
        spec: Some(crate::emit::common::rwo_claim(
            &p.size,
            p.storage_class.clone(),
        )),
        ..Default::default()
    })
}

fn statefulset(ctx: &Ctx, conf: &str) -> Result<Object, EmitError> {
    let plan = ctx.plan;
    let mut containers = vec![redis_container(ctx)];
    let mut init = Vec::new();
    if let Some(e) = exporter(ctx) {
        let c = exporter_container(ctx, e);
        if plan.spec.auth.is_some() {
            init.push(exporter_auth_init(ctx, &c));
        }
        containers.push(c);
    }
    let annotations = BTreeMap::from([
        (
            "kubectl.kubernetes.io/default-container".to_string(),
            "redis".to_string(),
        ),
        // A redis.conf or start.sh change must restart the pods: the fingerprint changes
        // the template.
        ("rkv.dev/config-fingerprint".to_string(), fingerprint(conf)),
    ]);
    let replicas = i32::try_from(plan.data_pods).unwrap_or(i32::MAX);
    let sts = StatefulSet {
        metadata: meta(plan, &ctx.names.name, SERVER),
        spec: StatefulSetSpec {
            replicas: Some(replicas),
            service_name: Some(ctx.names.name.clone()),
            // Every pod must be up before the cluster can form: start them all at once.
            pod_management_policy: Some("Parallel".into()),
            selector: selector(plan, SERVER),
            update_strategy: Some(StatefulSetUpdateStrategy {
                type_: Some("RollingUpdate".into()),
                rolling_update: None,
            }),
            template: placement::template(
                plan,
                Role::Serving,
                ObjectMeta {
                    labels: Some(labels(plan, SERVER)),
                    annotations: Some(annotations),
                    ..Default::default()
                },
                PodSpec {
                    automount_service_account_token: Some(false),
                    enable_service_links: Some(false),
                    security_context: Some(security::data_pod(plan.run_as_user)),
                    affinity: placement::anti_affinity(
                        plan.spec.placement.as_ref(),
                        selector(plan, SERVER),
                    ),
                    topology_spread_constraints: placement::spread(
                        plan.spec.placement.as_ref(),
                        selector(plan, SERVER),
                    ),
                    init_containers: (!init.is_empty()).then_some(init),
                    containers,
                    volumes: Some(volumes(ctx)),
                    ..Default::default()
                },
            ),
            volume_claim_templates: claim(ctx).map(|c| vec![c]),
            ..Default::default()
        },
        ..Default::default()
    };
    Ok(Object::new("StatefulSet", &sts)?)
}
