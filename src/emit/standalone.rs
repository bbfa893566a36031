//! The `standalone` shape: one Redis pod as seed 000's `base.yaml` runs it.
//!
//! In: a plan whose shape is standalone. Out: a Deployment (1 replica, `Recreate` so the
//! ReadWriteOnce volume is released before the new pod starts), a ClusterIP Service, a
//! PVC and the NetworkPolicies. No PodDisruptionBudget: with one pod any budget either
//! blocks every drain or allows the only pod to go, so it would only mislead.

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec, DeploymentStrategy};
use k8s_openapi::api::core::v1::{
    Container, ContainerPort, ExecAction, PersistentVolumeClaim, PersistentVolumeClaimVolumeSource,
    PodSpec, Probe, Service, ServicePort, ServiceSpec, TCPSocketAction, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::backup::{self, ClientTls, Peers, Source};
use super::common::{self, labels, meta, selector, selector_labels};
use super::inventory::{Exec, Inventory, Password, RedisAccess, ServiceEntry};
use super::{EmitError, Emitted, Object, exposure, network};
use crate::emit::placement::{self, Role};
use crate::emit::{auth, security, tls};
use crate::plan::model::Plan;
use crate::plan::settings::redis_args;

/// The component label of the standalone Redis pod and its objects.
pub const COMPONENT: &str = "server";

pub fn emit(plan: &Plan) -> Result<Emitted, EmitError> {
    let mut out = vec![deployment(plan)?, service(plan)?];
    if let Some(pvc) = pvc(plan)? {
        out.push(pvc);
    }
    out.push(network::default_deny(plan)?);
    out.push(network::allow_dns(plan)?);
    out.extend(network::allow_clients(
        plan,
        "allow-clients",
        selector(plan, COMPONENT),
        &[plan.spec.redis.port],
    )?);
    out.extend(exposure::service(
        plan,
        COMPONENT,
        selector_labels(plan, COMPONENT),
        vec!["The Deployment's one Redis pod, outside the cluster.".into()],
    )?);
    out.extend(exposure::policy(plan, selector(plan, COMPONENT))?);
    if let Some(b) = &plan.spec.backup {
        out.extend(backup::objects(&backup_job(plan, b))?);
    }
    if let Some(t) = &plan.spec.tls {
        let dns_names: Vec<String> = crate::plan::tls::server_names(plan)
            .into_iter()
            .map(|n| n.name)
            .collect();
        let who = tls::Subjects {
            server: COMPONENT,
            client: COMPONENT,
            common_name: dns_names.first().cloned(),
            dns_names,
        };
        out.extend(tls::certificates(plan, t, who)?);
    }
    Ok(Emitted {
        objects: out,
        inventory: inventory(plan),
    })
}

/// The backup reads the one Redis through its Service.
fn backup_job<'a>(plan: &'a Plan, b: &'a crate::spec::Backup) -> backup::Job<'a> {
    backup::Job {
        plan,
        backup: b,
        source: Source::Direct {
            host: format!("{}.{}.svc", plan.name, plan.namespace),
            port: plan.spec.redis.port,
        },
        tls: plan.spec.tls.as_ref().map(|t| ClientTls {
            secret: t
                .client_secret
                .clone()
                .unwrap_or_else(|| t.server_secret.clone()),
            only_ca: t.client_secret.is_none(),
        }),
        peers: Peers {
            redis: selector(plan, COMPONENT),
            sentinel: None,
            admit: true,
        },
        pod_labels: Default::default(),
        image: plan.spec.redis.image.clone(),
    }
}

/// One pod of a Deployment (its name is random), reached through the Deployment.
fn inventory(plan: &Plan) -> Inventory {
    let persistent = plan.spec.persistence.as_ref().is_some_and(|p| p.enabled);
    Inventory {
        redis: Some(RedisAccess {
            exec: Exec::new(format!("deploy/{}", plan.name), Some("redis")),
            tls_flags: plan.spec.tls.as_ref().map(|t| tls::cli_flags(t).join(" ")),
            password: Password::ExactFile(auth::PASSWORD_FILE),
        }),
        claims: if persistent {
            vec![data_claim(plan)]
        } else {
            Vec::new()
        },
        services: std::iter::once(ServiceEntry {
            name: plan.name.clone(),
            namespace: plan.namespace.clone(),
            ports: vec![plan.spec.redis.port],
            type_: Some("ClusterIP"),
            hostname: None,
            external: false,
        })
        .chain(exposure::entry(plan))
        .collect(),
        backup: plan.spec.backup.as_ref().map(|_| backup::inventory(plan)),
        ..Inventory::default()
    }
}

fn data_claim(plan: &Plan) -> String {
    format!("{}-data", plan.name)
}

fn deployment(plan: &Plan) -> Result<Object, EmitError> {
    let port = plan.spec.redis.port;
    let persistent = plan.spec.persistence.as_ref().is_some_and(|p| p.enabled);
    let tls = plan.spec.tls.as_ref();
    let mut args = redis_args(plan);
    if let Some(t) = tls {
        // `redis_args` starts with `--port <port>`: TLS takes that port, plaintext closes.
        args.splice(0..2, tls::server_args(t, port));
    }
    let flags = tls.map(tls::cli_flags).unwrap_or_default();
    let sep = if flags.is_empty() { "" } else { " " };
    let ping = format!(
        "redis-cli{sep}{} -h 127.0.0.1 -p {port} ping | grep -q PONG",
        flags.join(" ")
    );
    let volume = Volume {
        name: "data".into(),
        persistent_volume_claim: persistent.then(|| PersistentVolumeClaimVolumeSource {
            claim_name: data_claim(plan),
            read_only: None,
        }),
        empty_dir: (!persistent).then(Default::default),
        ..Default::default()
    };
    // With a password, a shell reads it from the mounted Secret and gives it to
    // redis-server on stdin (`auth::server_exec`); `$0` names the process as the image would.
    let command = match &plan.spec.auth {
        Some(_) => vec![
            "sh".into(),
            "-c".into(),
            auth::server_exec(false),
            "redis-server".into(),
        ],
        None => vec!["redis-server".into()],
    };
    let mut mounts = vec![VolumeMount {
        name: "data".into(),
        mount_path: "/data".into(),
        ..Default::default()
    }];
    let mut volumes = vec![volume];
    if let Some(t) = tls {
        mounts.extend(tls::mounts());
        volumes.extend(tls::volumes(t));
    }
    if let Some(a) = &plan.spec.auth {
        mounts.push(auth::mount());
        volumes.push(auth::volume(&a.password_secret));
    }
    let container = Container {
        name: "redis".into(),
        image: Some(plan.spec.redis.image.clone()),
        command: Some(command),
        args: Some(args),
        ports: Some(vec![ContainerPort {
            name: Some("redis".into()),
            container_port: port.into(),
            protocol: Some("TCP".into()),
            ..Default::default()
        }]),
        readiness_probe: Some(Probe {
            exec: Some(ExecAction {
                command: Some(vec![
                    "sh".into(),
                    "-c".into(),
                    if plan.spec.auth.is_some() {
                        auth::cli(&ping)
                    } else {
                        ping
                    },
                ]),
            }),
            initial_delay_seconds: Some(5),
            period_seconds: Some(10),
            timeout_seconds: Some(3),
            ..Default::default()
        }),
        liveness_probe: Some(Probe {
            tcp_socket: Some(TCPSocketAction {
                port: IntOrString::Int(port.into()),
                host: None,
            }),
            initial_delay_seconds: Some(15),
            period_seconds: Some(20),
            timeout_seconds: Some(3),
            ..Default::default()
        }),
        resources: common::resources(plan.spec.resources.as_ref()),
        security_context: Some(security::container()),
        volume_mounts: Some(mounts),
        ..Default::default()
    };
    let d = Deployment {
        metadata: meta(plan, &plan.name, COMPONENT),
        spec: DeploymentSpec {
            replicas: Some(1),
            selector: selector(plan, COMPONENT),
            strategy: Some(DeploymentStrategy {
                type_: Some("Recreate".into()),
                rolling_update: None,
            }),
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
                    security_context: Some(security::data_pod(plan.run_as_user)),
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

fn service(plan: &Plan) -> Result<Object, EmitError> {
    let port = plan.spec.redis.port;
    let s = Service {
        metadata: meta(plan, &plan.name, COMPONENT),
        spec: Some(ServiceSpec {
            type_: Some("ClusterIP".into()),
            selector: Some(selector_labels(plan, COMPONENT)),
            ports: Some(vec![ServicePort {
                name: Some("redis".into()),
                port: port.into(),
                target_port: Some(IntOrString::String("redis".into())),
                protocol: Some("TCP".into()),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        ..Default::default()
    };
    Ok(Object::new("Service", &s)?)
}

fn pvc(plan: &Plan) -> Result<Option<Object>, EmitError> {
    let Some(p) = plan.spec.persistence.as_ref().filter(|p| p.enabled) else {
        return Ok(None);
    };
    let c = PersistentVolumeClaim {
        metadata: meta(plan, &data_claim(plan), COMPONENT),
        spec: Some(crate::emit::common::rwo_claim(
            &p.size,
            p.storage_class.clone(),
        )),
        ..Default::default()
    };
    Ok(Some(Object::new("PersistentVolumeClaim", &c)?))
}
