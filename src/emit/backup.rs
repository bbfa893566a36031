//! Backups of the shapes rkv does not run itself as a Redis Cluster: the standalone
//! Deployment, the primary of a Sentinel shape (found through Sentinel at each run),
//! and the Bitnami charts beside their HelmRelease.
//!
//! In: a plan with `backup` and a [`Job`] saying how its Redis is reached. Out: the
//! scripts ConfigMap (`backup.sh`, `retention.sh`), the backup PVC, the backup and
//! retention CronJobs, and the NetworkPolicies that let the backup pods reach Redis and
//! Sentinel (and nothing else). Invariant: the retention script and the CronJob settings
//! are the cluster shape's (one retention template, `Forbid` concurrency, UTC schedules);
//! a backup never saves a replica in place of the primary (the script checks the role);
//! the password reaches redis-cli through `REDISCLI_AUTH`, never its argv.

use std::collections::BTreeMap;

use k8s_openapi::api::batch::v1::{CronJob, CronJobSpec, JobSpec, JobTemplateSpec};
use k8s_openapi::api::core::v1::{
    ConfigMap, ConfigMapVolumeSource, Container, EmptyDirVolumeSource, KeyToPath,
    PersistentVolumeClaim, PersistentVolumeClaimVolumeSource, PodSpec, PodTemplateSpec,
    SecretVolumeSource, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use minijinja::context;

use super::common::{self, labels, meta};
use super::inventory;
use super::network::{self, egress, here, ingress, named, rules, tcp};
use super::placement::{self, Role};
use super::{EmitError, Object, auth, security};
use crate::plan::model::Plan;
use crate::plan::qos;
use crate::plan::slots::CLUSTER_SLOTS;
use crate::target::monitoring::Rule;

const PRIMARY_SH: &str = include_str!("templates/primary-backup.sh.j2");
const CLUSTER_SH: &str = include_str!("templates/cluster-backup.sh.j2");
const RETENTION_SH: &str = include_str!("templates/backup-retention.sh.j2");

/// Component label of the backup CronJob's pods.
pub const BACKUP: &str = "backup";
/// Component label of the retention CronJob's pods.
pub const RETENTION: &str = "backup-retention";
/// Schedules in the spec are UTC (as the cluster's).
const TIME_ZONE: &str = "Etc/UTC";
const SCRIPT_MODE: i32 = 0o555;
/// Read-only for the owner and the pod's fsGroup.
const SECRET_MODE: i32 = 0o440;
const SCRIPTS_DIR: &str = "/scripts";
const BACKUP_DIR: &str = "/backup";
/// Where the certificate the backup pod presents (or only the CA) is mounted.
pub const CLIENT_TLS_DIR: &str = "/etc/redis/client-tls";

/// Where the Redis to back up is.
#[derive(Debug, Clone)]
pub enum Source {
    /// One address (the standalone Service, the chart's master Service).
    Direct { host: String, port: u16 },
    /// Ask Sentinel which pod is the primary now.
    Sentinel {
        host: String,
        port: u16,
        master: String,
        /// The Sentinels require the Redis password too (the Bitnami chart's).
        auth: bool,
    },
    /// Every node of a Redis Cluster, by the name it answers to: each primary is saved
    /// (the cluster shape's own script).
    Cluster { nodes: Vec<String>, port: u16 },
}

/// The certificate files the backup pod uses.
#[derive(Debug, Clone)]
pub struct ClientTls {
    /// The Secret mounted at [`CLIENT_TLS_DIR`].
    pub secret: String,
    /// Only its `ca.crt` (enough to verify the server when no client certificate is
    /// asked for); otherwise `tls.crt` and `tls.key` are presented too.
    pub only_ca: bool,
}

impl ClientTls {
    fn flags(&self) -> Vec<String> {
        let mut f = vec![
            "--tls".to_string(),
            "--cacert".into(),
            format!("{CLIENT_TLS_DIR}/ca.crt"),
        ];
        if !self.only_ca {
            f.extend([
                "--cert".to_string(),
                format!("{CLIENT_TLS_DIR}/tls.crt"),
                "--key".into(),
                format!("{CLIENT_TLS_DIR}/tls.key"),
            ]);
        }
        f
    }
}

/// The pods the backup connects to, for its NetworkPolicies.
#[derive(Debug, Clone)]
pub struct Peers {
    pub redis: LabelSelector,
    pub sentinel: Option<LabelSelector>,
    /// Whether rkv admits the backup pods on the peers' side (its own policies select
    /// them); the Bitnami charts' policy admits pods with [`Job::pod_labels`] itself.
    pub admit: bool,
}

/// How one topology is backed up.
#[derive(Debug, Clone)]
pub struct Job<'a> {
    pub plan: &'a Plan,
    pub backup: &'a crate::spec::Backup,
    pub source: Source,
    pub tls: Option<ClientTls>,
    pub peers: Peers,
    /// Labels the backup pods carry besides rkv's (a chart's client label).
    pub pod_labels: BTreeMap<String, String>,
    /// The image with redis-cli (the spec's Redis image).
    pub image: String,
}

/// `<name>-backup`: the CronJob and its PVC (the backup alert matches its Jobs by it).
pub fn name(plan: &Plan) -> String {
    format!("{}-backup", plan.name)
}

/// `<part-of>-backup-retention`, as the cluster shape names it.
fn retention_name(plan: &Plan) -> String {
    format!("{}-backup-retention", plan.part_of)
}

fn scripts_name(plan: &Plan) -> String {
    format!("{}-backup-scripts", plan.name)
}

/// What the runbook names.
pub fn inventory(plan: &Plan) -> inventory::Backup {
    inventory::Backup {
        cronjob: name(plan),
        claim: name(plan),
        // No restore Job: the runbook says how to load a dump by hand.
        restore: None,
    }
}

/// Whether the backup CronJob `cronjob` in `namespace` is failing, from kube-state-metrics'
/// CronJob times: the newest scheduled run has not succeeded (failed, or partial: the
/// cluster's backup.sh exits 2); or no run succeeded for two schedule intervals; or none
/// ever did. Failed Jobs that linger after a successful retry do not count. The cluster
/// shape's alert and this module's read the same expression.
pub fn failed_expr(namespace: &str, cronjob: &str) -> String {
    let cj = format!("namespace=\"{namespace}\", cronjob=\"{cronjob}\"");
    format!(
        "(kube_cronjob_status_last_schedule_time{{{cj}}} > kube_cronjob_status_last_successful_time{{{cj}}}) or (time() - kube_cronjob_status_last_successful_time{{{cj}}} > 2 * (kube_cronjob_next_schedule_time{{{cj}}} - kube_cronjob_status_last_schedule_time{{{cj}}})) or (kube_cronjob_status_last_schedule_time{{{cj}}} unless on (namespace, cronjob) kube_cronjob_status_last_successful_time{{{cj}}})"
    )
}

/// The alert on the backup CronJob.
pub fn alert(plan: &Plan, prefix: &str) -> Rule {
    Rule::alert(
        &format!("{prefix}BackupFailed"),
        failed_expr(&plan.namespace, &name(plan)),
        Some("1h"),
        "warning",
        "No successful Redis backup since the last scheduled run (failed or not run)",
    )
}

fn render(what: &str, template: &str, ctx: minijinja::Value) -> Result<String, EmitError> {
    let mut env = minijinja::Environment::new();
    env.set_keep_trailing_newline(true);
    env.render_str(template, ctx)
        .map_err(|source| EmitError::Template {
            what: what.to_string(),
            source,
        })
}

/// Every object of the backup.
pub fn objects(job: &Job) -> Result<Vec<Object>, EmitError> {
    Ok(vec![
        scripts(job)?,
        pvc(job)?,
        cronjob(
            job,
            &name(job.plan),
            BACKUP,
            &job.backup.schedule,
            "backup.sh",
        )?,
        cronjob(
            job,
            &retention_name(job.plan),
            RETENTION,
            &job.backup.retention_schedule,
            "retention.sh",
        )?,
        egress_policy(job)?,
    ]
    .into_iter()
    .chain(admit_policies(job)?)
    .collect())
}

fn backup_script(job: &Job) -> Result<String, EmitError> {
    let flags = job.tls.as_ref().map(ClientTls::flags).unwrap_or_default();
    let name = &job.plan.name;
    // redis-cli's password, read from the mounted Secret's file.
    let auth_lines = job.plan.spec.auth.as_ref().map(|_| auth::cli_auth_lines());
    match &job.source {
        Source::Direct { host, port } => render(
            "backup.sh",
            PRIMARY_SH,
            context! {
                name, host, port, tls_flags => flags, backup_dir => BACKUP_DIR, auth_lines,
            },
        ),
        Source::Sentinel {
            host,
            port,
            master,
            auth,
        } => render(
            "backup.sh",
            PRIMARY_SH,
            context! {
                name, sentinel_host => host, sentinel_port => port, master,
                sentinel_auth => auth, tls_flags => flags, backup_dir => BACKUP_DIR, auth_lines,
            },
        ),
        Source::Cluster { nodes, port } => render(
            "backup.sh",
            CLUSTER_SH,
            context! {
                name, port, nodes, tls_flags => flags, backup_dir => BACKUP_DIR,
                slots => CLUSTER_SLOTS, auth_lines,
            },
        ),
    }
}

fn scripts(job: &Job) -> Result<Object, EmitError> {
    let b = job.backup;
    let data = BTreeMap::from([
        ("backup.sh".to_string(), backup_script(job)?),
        (
            "retention.sh".to_string(),
            render(
                "retention.sh",
                RETENTION_SH,
                context! {
                    name => job.plan.name,
                    days => b.retention_days,
                    minutes => u64::from(b.retention_days) * 24 * 60,
                    backup_dir => BACKUP_DIR,
                },
            )?,
        ),
    ]);
    let mut m = meta(job.plan, &scripts_name(job.plan), BACKUP);
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

fn pvc(job: &Job) -> Result<Object, EmitError> {
    let c = PersistentVolumeClaim {
        metadata: meta(job.plan, &name(job.plan), BACKUP),
        spec: Some(common::rwo_claim(
            &job.backup.size,
            job.backup.storage_class.clone(),
        )),
        ..Default::default()
    };
    Ok(Object::new("PersistentVolumeClaim", &c)?)
}

fn mount(name: &str, path: &str, read_only: bool) -> VolumeMount {
    VolumeMount {
        name: name.into(),
        mount_path: path.into(),
        read_only: read_only.then_some(true),
        ..Default::default()
    }
}

/// A hardened pod running one script; only the backup pod talks to Redis.
fn pod(job: &Job, component: &str, script: &str) -> PodTemplateSpec {
    let plan = job.plan;
    let talks = component == BACKUP;
    let mut volumes = vec![
        Volume {
            name: "scripts".into(),
            config_map: Some(ConfigMapVolumeSource {
                name: scripts_name(plan),
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
        Volume {
            name: "backup".into(),
            persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                claim_name: name(plan),
                read_only: None,
            }),
            ..Default::default()
        },
    ];
    let mut mounts = vec![
        mount("scripts", SCRIPTS_DIR, true),
        mount("tmp", "/tmp", false),
        mount("backup", BACKUP_DIR, false),
    ];
    if let Some(t) = job.tls.as_ref().filter(|_| talks) {
        volumes.push(Volume {
            name: "client-tls".into(),
            secret: Some(SecretVolumeSource {
                secret_name: Some(t.secret.clone()),
                default_mode: Some(SECRET_MODE),
                items: t.only_ca.then(|| {
                    vec![KeyToPath {
                        key: "ca.crt".into(),
                        path: "ca.crt".into(),
                        ..Default::default()
                    }]
                }),
                ..Default::default()
            }),
            ..Default::default()
        });
        mounts.push(mount("client-tls", CLIENT_TLS_DIR, true));
    }
    // The password is a file of the mounted Secret, read into REDISCLI_AUTH by the script
    // (`auth::cli_auth_lines`): never an environment value from the Secret (CKV_K8S_35).
    if let Some(a) = plan.spec.auth.as_ref().filter(|_| talks) {
        mounts.push(auth::mount());
        volumes.push(auth::volume(&a.password_secret));
    }
    // rkv's own container: sized for redis-cli and a file copy, unless `jobs.resources` says.
    let resources = plan
        .spec
        .jobs
        .as_ref()
        .and_then(|j| j.resources.clone())
        .unwrap_or_else(|| qos::JOB.resources());
    let mut pod_labels = labels(plan, component);
    if talks {
        pod_labels.extend(job.pod_labels.clone());
    }
    placement::template(
        plan,
        Role::Batch,
        ObjectMeta {
            labels: Some(pod_labels),
            ..Default::default()
        },
        PodSpec {
            restart_policy: Some("Never".into()),
            automount_service_account_token: Some(false),
            enable_service_links: Some(false),
            security_context: Some(security::data_pod(plan.run_as_user)),
            containers: vec![Container {
                name: component.into(),
                image: Some(job.image.clone()),
                command: Some(vec!["sh".into(), format!("{SCRIPTS_DIR}/{script}")]),
                resources: common::resources(Some(&resources)),
                security_context: Some(security::container()),
                volume_mounts: Some(mounts),
                ..Default::default()
            }],
            volumes: Some(volumes),
            ..Default::default()
        },
    )
}

fn cronjob(
    job: &Job,
    name: &str,
    component: &str,
    schedule: &str,
    script: &str,
) -> Result<Object, EmitError> {
    let plan = job.plan;
    let cj = CronJob {
        metadata: meta(plan, name, component),
        spec: CronJobSpec {
            schedule: schedule.into(),
            time_zone: Some(TIME_ZONE.into()),
            // Two runs must never write the same PVC at once.
            concurrency_policy: Some("Forbid".into()),
            successful_jobs_history_limit: Some(3),
            failed_jobs_history_limit: Some(3),
            job_template: JobTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(labels(plan, component)),
                    ..Default::default()
                }),
                spec: Some(JobSpec {
                    backoff_limit: Some(1),
                    template: pod(job, component, script),
                    ..Default::default()
                }),
            },
            ..Default::default()
        },
        ..Default::default()
    };
    Ok(Object::new("CronJob", &cj)?)
}

fn backup_pods(plan: &Plan) -> LabelSelector {
    common::selector(plan, BACKUP)
}

/// The ports the backup connects to: Redis's and, through Sentinel, Sentinel's.
fn ports(job: &Job) -> (u16, Option<u16>) {
    match &job.source {
        Source::Direct { port, .. } | Source::Cluster { port, .. } => (*port, None),
        Source::Sentinel { port, .. } => (job.plan.spec.redis.port, Some(*port)),
    }
}

/// The backup pods out to Redis (and Sentinel), nowhere else; the shape's default deny
/// and DNS policies select them as every pod of the topology.
fn egress_policy(job: &Job) -> Result<Object, EmitError> {
    let (redis, sentinel) = ports(job);
    let mut out = vec![egress(
        Some(vec![here(job.peers.redis.clone())]),
        vec![tcp(redis)],
    )];
    if let (Some(s), Some(port)) = (&job.peers.sentinel, sentinel) {
        out.push(egress(Some(vec![here(s.clone())]), vec![tcp(port)]));
    }
    network::policy(
        named(job.plan, "backup-egress"),
        rules(backup_pods(job.plan), vec![], out),
    )
}

/// Redis (and Sentinel) let the backup pods in.
fn admit_policies(job: &Job) -> Result<Vec<Object>, EmitError> {
    if !job.peers.admit {
        return Ok(Vec::new());
    }
    let (redis, sentinel) = ports(job);
    let from = || vec![here(backup_pods(job.plan))];
    let mut out = vec![network::policy(
        named(job.plan, "allow-backup"),
        rules(
            job.peers.redis.clone(),
            vec![ingress(from(), vec![tcp(redis)])],
            vec![],
        ),
    )?];
    if let (Some(s), Some(port)) = (&job.peers.sentinel, sentinel) {
        out.push(network::policy(
            named(job.plan, "allow-backup-sentinel"),
            rules(s.clone(), vec![ingress(from(), vec![tcp(port)])], vec![]),
        )?);
    }
    Ok(out)
}
