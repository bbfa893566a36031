//! The cluster's Jobs: `<name>-cluster-init` (forms the cluster once), the hourly
//! `<name>-backup` CronJob over every primary, the `<part-of>-backup-retention` CronJob,
//! the suspended `<name>-restore` CronJob (the template of the RUNBOOK's restore Job),
//! the backup PVC and the scripts ConfigMap they run.
//!
//! In: the cluster context. Out: those objects. Invariant: the scripts list the pods by
//! the same DNS names the pods announce, and every Job pod carries this instance's
//! labels, so the default-deny NetworkPolicy covers it and the allows name it exactly.

use std::collections::BTreeMap;

use k8s_openapi::api::batch::v1::{CronJob, CronJobSpec, Job, JobSpec, JobTemplateSpec};
use k8s_openapi::api::core::v1::{
    ConfigMap, ConfigMapVolumeSource, Container, EmptyDirVolumeSource, PersistentVolumeClaim,
    PersistentVolumeClaimVolumeSource, PodSpec, PodTemplateSpec, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use minijinja::context;

use super::data::{client_tls_volume, mount};
use super::{
    BACKUP, BACKUP_DIR, CLIENT_TLS_DIR, Ctx, INIT, RESTORE, RETENTION, SCRIPTS_DIR, render,
};
use crate::emit::common::{self, labels, meta};
use crate::emit::placement::{self, Role};
use crate::emit::{EmitError, Object, auth, security};
use crate::plan::qos;
use crate::plan::slots::CLUSTER_SLOTS;
use crate::spec::{Backup, ResourceList, Resources};

const INIT_SH: &str = include_str!("../templates/cluster-init.sh.j2");
const BACKUP_SH: &str = include_str!("../templates/cluster-backup.sh.j2");
const RETENTION_SH: &str = include_str!("../templates/backup-retention.sh.j2");
const RESTORE_SH: &str = include_str!("../templates/cluster-restore.sh.j2");
/// The restore script's temporary redis-server: on the restore pod's loopback only.
const RESTORE_LOCAL_PORT: u16 = 6390;
/// Seconds the restore waits for that server to load one dump (large dumps load slowly).
const RESTORE_LOAD_ATTEMPTS: u32 = 600;

/// How often the init script polls a pod, and how many times: 60 x 5 s = 5 minutes
/// per pod at most, so a missing pod fails the Job with a clear line instead of hanging.
const INIT_ATTEMPTS: u32 = 60;
const INIT_INTERVAL_S: u32 = 5;
/// Schedules in the spec are UTC (seed 000: retention "at 03:30 UTC").
const TIME_ZONE: &str = "Etc/UTC";
const SCRIPT_MODE: i32 = 0o555;

pub(super) fn emit(ctx: &Ctx) -> Result<Vec<Object>, EmitError> {
    let backup = ctx.plan.spec.backup.as_ref();
    let mut out = vec![scripts(ctx, backup)?, init_job(ctx)?];
    if let Some(b) = backup {
        out.push(backup_pvc(ctx, b)?);
        out.push(backup_cronjob(ctx, b)?);
        out.push(retention_cronjob(ctx, b)?);
        if can_restore(ctx) {
            out.push(restore_cronjob(ctx, b)?);
        }
    }
    Ok(out)
}

/// The restore's temporary server sends every key to the cluster over MIGRATE; on a TLS
/// cluster that needs a certificate to present, which only a client Secret provides.
pub(super) fn can_restore(ctx: &Ctx) -> bool {
    ctx.tls().is_none_or(|t| t.client_secret.is_some())
}

/// `<name>-restore`: a suspended CronJob, the template of the restore Job the RUNBOOK has
/// the user create (`kubectl create job --from=cronjob/<name>-restore`).
pub(super) fn restore_name(ctx: &Ctx) -> String {
    format!("{}-restore", ctx.names.name)
}

pub(super) fn init_name(ctx: &Ctx) -> String {
    format!("{}-cluster-init", ctx.names.name)
}

/// `<name>-backup`: the CronJob and its PVC. The backup alert matches its Jobs by it.
pub(super) fn backup_name(ctx: &Ctx) -> String {
    format!("{}-backup", ctx.names.name)
}

/// `<part-of>-backup-retention`, as seed 000 names it (`cordum-backup-retention`).
fn retention_name(ctx: &Ctx) -> String {
    format!("{}-backup-retention", ctx.plan.part_of)
}

fn scripts_name(ctx: &Ctx) -> String {
    format!("{}-scripts", ctx.names.name)
}

fn scripts(ctx: &Ctx, backup: Option<&Backup>) -> Result<Object, EmitError> {
    let nodes = ctx.names.fqdns();
    let flags = ctx.cli_tls_flags();
    // Scripts that call redis-cli against the cluster read the password from its file.
    let auth_lines = ctx.plan.spec.auth.as_ref().map(|_| auth::cli_auth_lines());
    let mut data = BTreeMap::new();
    data.insert(
        "cluster-init.sh".to_string(),
        render(
            "cluster-init.sh",
            INIT_SH,
            context! {
                name => ctx.names.name,
                shards => ctx.shape.shards,
                replicas => ctx.shape.replicas,
                pods => nodes.len(),
                port => ctx.port,
                attempts => INIT_ATTEMPTS,
                interval => INIT_INTERVAL_S,
                nodes => nodes,
                tls_flags => flags,
                auth_lines => auth_lines,
            },
        )?,
    );
    if let Some(b) = backup {
        data.insert(
            "backup.sh".to_string(),
            render(
                "backup.sh",
                BACKUP_SH,
                context! {
                    name => ctx.names.name,
                    port => ctx.port,
                    slots => CLUSTER_SLOTS,
                    nodes => nodes,
                    tls_flags => flags,
                    backup_dir => BACKUP_DIR,
                    auth_lines => auth_lines,
                },
            )?,
        );
        if can_restore(ctx) {
            // Outgoing MIGRATE links of the temporary server present the client certificate.
            let server_tls: Vec<String> = if ctx.tls().is_some() {
                vec![
                    "--tls-cluster yes".into(),
                    format!("--tls-cert-file {CLIENT_TLS_DIR}/tls.crt"),
                    format!("--tls-key-file {CLIENT_TLS_DIR}/tls.key"),
                    format!("--tls-ca-cert-file {CLIENT_TLS_DIR}/ca.crt"),
                ]
            } else {
                Vec::new()
            };
            data.insert(
                "restore.sh".to_string(),
                render(
                    "restore.sh",
                    RESTORE_SH,
                    context! {
                        name => ctx.names.name,
                        restore_name => restore_name(ctx),
                        port => ctx.port,
                        slots => CLUSTER_SLOTS,
                        nodes => nodes,
                        tls_flags => flags,
                        server_tls_flags => server_tls,
                        backup_dir => BACKUP_DIR,
                        local_port => RESTORE_LOCAL_PORT,
                        load_attempts => RESTORE_LOAD_ATTEMPTS,
                        auth_lines => auth_lines,
                    },
                )?,
            );
        }
        data.insert(
            "retention.sh".to_string(),
            render(
                "retention.sh",
                RETENTION_SH,
                context! {
                    name => ctx.names.name,
                    days => b.retention_days,
                    minutes => u64::from(b.retention_days) * 24 * 60,
                    backup_dir => BACKUP_DIR,
                },
            )?,
        );
    }
    let mut m = meta(ctx.plan, &scripts_name(ctx), INIT);
    // Flux must not substitute `${...}` in shell scripts.
    m.annotations = Some(BTreeMap::from([(
        "kustomize.toolkit.fluxcd.io/substitute".to_string(),
        "disabled".to_string(),
    )]));
    let cm = ConfigMap {
        metadata: m,
        data: Some(data),
        ..Default::default()
    };
    Ok(Object::new("ConfigMap", &cm)?)
}

/// A hardened pod running one script with redis-cli.
fn script_pod(
    ctx: &Ctx,
    component: &str,
    script: &str,
    talks_to_redis: bool,
    backup_volume: bool,
) -> PodTemplateSpec {
    let mut volumes = vec![
        Volume {
            name: "scripts".into(),
            config_map: Some(ConfigMapVolumeSource {
                name: scripts_name(ctx),
                default_mode: Some(SCRIPT_MODE),
                ..Default::default()
            }),
            ..Default::default()
        },
        Volume {
            name: "tmp".into(),
            empty_dir: Some(EmptyDirVolumeSource::default()),
            ..Default::default()
        },
    ];
    let mut mounts = vec![
        mount("scripts", SCRIPTS_DIR),
        VolumeMount {
            name: "tmp".into(),
            mount_path: "/tmp".into(),
            ..Default::default()
        },
    ];
    if let Some(v) = client_tls_volume(ctx).filter(|_| talks_to_redis) {
        volumes.push(v);
        mounts.push(mount("client-tls", CLIENT_TLS_DIR));
    }
    if let Some(a) = ctx.plan.spec.auth.as_ref().filter(|_| talks_to_redis) {
        volumes.push(auth::volume(&a.password_secret));
        mounts.push(auth::mount());
    }
    if backup_volume {
        volumes.push(Volume {
            name: "backup".into(),
            persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                claim_name: backup_name(ctx),
                read_only: None,
            }),
            ..Default::default()
        });
        mounts.push(VolumeMount {
            name: "backup".into(),
            mount_path: BACKUP_DIR.into(),
            ..Default::default()
        });
    }
    placement::template(
        ctx.plan,
        Role::Batch,
        ObjectMeta {
            labels: Some(labels(ctx.plan, component)),
            ..Default::default()
        },
        PodSpec {
            restart_policy: Some("Never".into()),
            automount_service_account_token: Some(false),
            enable_service_links: Some(false),
            security_context: Some(security::data_pod(ctx.plan.run_as_user)),
            containers: vec![Container {
                name: component.into(),
                image: Some(ctx.plan.spec.redis.image.clone()),
                command: Some(vec!["sh".into(), format!("{SCRIPTS_DIR}/{script}")]),
                resources: Some(
                    common::resources(Some(&job_resources(ctx, component))).unwrap_or_default(),
                ),
                security_context: Some(security::container()),
                volume_mounts: Some(mounts),
                ..Default::default()
            }],
            volumes: Some(volumes),
            ..Default::default()
        },
    )
}

/// A Job container's requests and limits: `jobs.resources`, else rkv's default. The
/// restore's temporary redis-server holds one primary's dump, so unless `jobs.resources`
/// says otherwise its memory is the Redis container's (none when the spec sets none:
/// RKV119 says so rather than rkv guessing the data's size).
fn job_resources(ctx: &Ctx, component: &str) -> Resources {
    let spec = ctx
        .plan
        .spec
        .jobs
        .as_ref()
        .and_then(|j| j.resources.clone());
    if let Some(r) = spec {
        return r;
    }
    let mut r = qos::JOB.resources();
    if component == RESTORE {
        let redis = ctx.plan.spec.resources.as_ref();
        let memory = |l: Option<&ResourceList>| l.and_then(|l| l.memory.clone());
        let limit = memory(redis.and_then(|r| r.limits.as_ref()));
        let request = memory(redis.and_then(|r| r.requests.as_ref())).or(limit.clone());
        if let Some(l) = r.limits.as_mut() {
            l.memory = limit;
        }
        if let Some(q) = r.requests.as_mut() {
            q.memory = request;
        }
    }
    r
}

/// The Job keeps its name across runs: runbook G deletes and re-applies it by name.
/// No TTL, so a finished Job stays as the record that the cluster was formed; the
/// script is idempotent, so re-running it is always safe.
fn init_job(ctx: &Ctx) -> Result<Object, EmitError> {
    let mut m = meta(ctx.plan, &init_name(ctx), INIT);
    // A Job's pod template is immutable: when the shape changes, Flux replaces the Job.
    m.annotations = Some(BTreeMap::from([(
        "kustomize.toolkit.fluxcd.io/force".to_string(),
        "enabled".to_string(),
    )]));
    let job = Job {
        metadata: m,
        spec: Some(JobSpec {
            backoff_limit: Some(3),
            template: script_pod(ctx, INIT, "cluster-init.sh", true, false),
            ..Default::default()
        }),
        ..Default::default()
    };
    Ok(Object::new("Job", &job)?.with_comment(slot_comment(ctx)))
}

/// What `--cluster create` will do: the first S pods become primaries with these slots.
fn slot_comment(ctx: &Ctx) -> Vec<String> {
    let mut c = vec![format!(
        "`redis-cli --cluster create` over {} pods, --cluster-replicas {}: {} primaries own the {} slots:",
        ctx.names.pods.len(),
        ctx.shape.replicas,
        ctx.shape.shards,
        ctx.plan.slots.iter().map(|r| r.len()).sum::<u32>(),
    )];
    for (pod, range) in ctx.names.pods.iter().zip(&ctx.plan.slots) {
        c.push(format!("  {pod}: slots {range} ({} slots)", range.len()));
    }
    c
}

fn backup_pvc(ctx: &Ctx, b: &Backup) -> Result<Object, EmitError> {
    let c = PersistentVolumeClaim {
        metadata: meta(ctx.plan, &backup_name(ctx), BACKUP),
        spec: Some(crate::emit::common::rwo_claim(
            &b.size,
            b.storage_class.clone(),
        )),
        ..Default::default()
    };
    Ok(Object::new("PersistentVolumeClaim", &c)?)
}

fn cronjob(
    ctx: &Ctx,
    name: &str,
    component: &str,
    schedule: &str,
    script: &str,
) -> Result<Object, EmitError> {
    let cj = CronJob {
        metadata: meta(ctx.plan, name, component),
        spec: CronJobSpec {
            // Only a template: the RUNBOOK makes Jobs from it by hand.
            suspend: (component == RESTORE).then_some(true),
            schedule: schedule.into(),
            time_zone: Some(TIME_ZONE.into()),
            // Two runs must never write the same PVC at once.
            concurrency_policy: Some("Forbid".into()),
            successful_jobs_history_limit: Some(3),
            failed_jobs_history_limit: Some(3),
            job_template: JobTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(labels(ctx.plan, component)),
                    ..Default::default()
                }),
                spec: Some(JobSpec {
                    backoff_limit: Some(1),
                    template: script_pod(ctx, component, script, component != RETENTION, true),
                    ..Default::default()
                }),
            },
            ..Default::default()
        },
        ..Default::default()
    };
    Ok(Object::new("CronJob", &cj)?)
}

fn backup_cronjob(ctx: &Ctx, b: &Backup) -> Result<Object, EmitError> {
    cronjob(ctx, &backup_name(ctx), BACKUP, &b.schedule, "backup.sh")
}

/// Never scheduled (suspended); its schedule is the backup's so it stays a valid CronJob.
fn restore_cronjob(ctx: &Ctx, b: &Backup) -> Result<Object, EmitError> {
    cronjob(ctx, &restore_name(ctx), RESTORE, &b.schedule, "restore.sh")
}

fn retention_cronjob(ctx: &Ctx, b: &Backup) -> Result<Object, EmitError> {
    cronjob(
        ctx,
        &retention_name(ctx),
        RETENTION,
        &b.retention_schedule,
        "retention.sh",
    )
}
