//! The `cluster` shape: a Redis Cluster of S shards x (1 + R) pods, as seed 000's
//! production overlay runs it.
//!
//! In: a plan whose shape is cluster. Out: the StatefulSet with its headless and client
//! Services, the redis.conf and client-address ConfigMaps, the cluster-init Job, the
//! backup, retention and (suspended) restore CronJobs with their PVC and scripts, the
//! PrometheusRule and ServiceMonitor, the PodDisruptionBudget, the NetworkPolicies and,
//! with cert-manager, the Certificates.
//!
//! Invariant: every value that depends on the shape (pod count, PDB, init arguments,
//! alert thresholds, client addresses, DNS names) is derived here from the plan through
//! `Names` and `Shape`, never typed in, so an environment that changes shards,
//! replicas, name or namespace changes every dependent value with it.

mod data;
mod jobs;
mod monitoring;
mod policy;
mod tls;

use super::inventory::{Backup, Exec, Inventory, Made, Maker, Password, RedisAccess, ServiceEntry};
use super::{EmitError, Emitted};
use crate::plan::model::Plan;
use crate::spec::Cluster;

/// Component label of the Redis data pods.
const SERVER: &str = "server";
/// Component label of the cluster-init Job's pod.
const INIT: &str = "cluster-init";
/// Component label of the backup CronJob's pods.
const BACKUP: &str = "backup";
/// Component label of the retention CronJob's pods.
const RETENTION: &str = "backup-retention";
/// Component label of the restore Jobs' pods (made from the suspended restore CronJob).
const RESTORE: &str = "restore";
/// Component label of what clients read (client Service, address ConfigMap).
const CLIENT: &str = "client";

/// Where the server certificate Secret is mounted (seed 000 section 5 uses it there).
const TLS_DIR: &str = "/etc/redis/tls";
/// Where the client certificate Secret is mounted for probes, the exporter and jobs.
const CLIENT_TLS_DIR: &str = "/etc/redis/client-tls";
/// Where the redis.conf ConfigMap is mounted.
const CONF_DIR: &str = "/etc/redis/conf";
/// Where the scripts ConfigMap is mounted.
const SCRIPTS_DIR: &str = "/scripts";
/// Where the backup PVC is mounted.
const BACKUP_DIR: &str = "/backup";
/// Redis Cluster's bus listens on the data port + 10000 (RKV141 keeps it in range).
const BUS_OFFSET: u16 = 10000;

/// The numbers of the cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Shape {
    shards: u32,
    replicas: u32,
    node_timeout_ms: u32,
}

/// Every name and DNS name the objects refer to each other by.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Names {
    /// The StatefulSet, the headless Service (peer discovery) and the PDB.
    name: String,
    namespace: String,
    /// The ClusterIP Service clients bootstrap from.
    client_service: String,
    /// Pods `<name>-0` .. `<name>-(N-1)`.
    pods: Vec<String>,
}

impl Names {
    fn new(plan: &Plan, pods: u32) -> Names {
        Names {
            name: plan.name.clone(),
            namespace: plan.namespace.clone(),
            client_service: format!("{}-client", plan.name),
            pods: (0..pods).map(|i| format!("{}-{i}", plan.name)).collect(),
        }
    }

    /// `<pod>.<headless>.<ns>.svc.cluster.local`: what each pod announces.
    fn fqdn(&self, pod: &str) -> String {
        format!("{pod}.{}.{}.svc.cluster.local", self.name, self.namespace)
    }

    /// Every pod's FQDN, in ordinal order.
    fn fqdns(&self) -> Vec<String> {
        self.pods.iter().map(|p| self.fqdn(p)).collect()
    }

    /// `<pod>.<headless>.<ns>.svc:<port>` for every pod, as seed 000 section 5 step 6
    /// hands them to clients (`REDIS_CLUSTER_ADDRESSES`).
    fn client_addresses(&self, port: u16) -> String {
        self.pods
            .iter()
            .map(|p| format!("{p}.{}.{}.svc:{port}", self.name, self.namespace))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// `--cluster-announce-hostname`, expanded per pod by the kubelet from `POD_NAME`.
    fn announce_hostname(&self) -> String {
        self.fqdn("$(POD_NAME)")
    }
}

/// Everything the emitters of this shape share.
struct Ctx<'a> {
    plan: &'a Plan,
    shape: Shape,
    names: Names,
    port: u16,
    bus_port: u16,
}

impl Ctx<'_> {
    fn tls(&self) -> Option<&crate::spec::Tls> {
        self.plan.spec.tls.as_ref()
    }

    /// redis-cli flags for probes and jobs; the client certificate when there is one,
    /// else only the CA (from the server Secret) to verify the server.
    fn cli_tls_flags(&self) -> Vec<String> {
        let Some(t) = self.tls() else {
            return Vec::new();
        };
        let mut f = vec![
            "--tls".to_string(),
            "--cacert".into(),
            format!("{CLIENT_TLS_DIR}/ca.crt"),
        ];
        if t.client_secret.is_some() {
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

pub fn emit(plan: &Plan, c: &Cluster) -> Result<Emitted, EmitError> {
    let port = plan.spec.redis.port;
    let ctx = Ctx {
        plan,
        shape: Shape {
            shards: c.shards,
            replicas: c.replicas_per_shard,
            node_timeout_ms: c.node_timeout_ms,
        },
        names: Names::new(plan, plan.data_pods),
        port,
        bus_port: port.saturating_add(BUS_OFFSET),
    };
    let mut out = Vec::new();
    out.extend(data::emit(&ctx)?);
    out.extend(jobs::emit(&ctx)?);
    out.extend(monitoring::emit(&ctx)?);
    out.extend(policy::emit(&ctx)?);
    out.extend(tls::emit(&ctx)?);
    Ok(Emitted {
        objects: out,
        inventory: inventory(&ctx),
    })
}

/// The StatefulSet's pods and claims, the Services, alerts and Jobs, by the names the
/// objects above were given.
fn inventory(ctx: &Ctx) -> Inventory {
    let plan = ctx.plan;
    let n = &ctx.names;
    let persistent = plan.spec.persistence.as_ref().is_some_and(|p| p.enabled);
    let note = format!("StatefulSet `{}`", n.name);
    let mut made = Vec::new();
    let mut claims = Vec::new();
    for pod in &n.pods {
        made.push(Made::new("Pod", pod, &n.namespace, &note));
        if persistent {
            // The StatefulSet controller names each claim <template>-<pod>.
            let claim = format!("{}-{pod}", data::DATA_VOLUME);
            made.push(Made::new(
                "PersistentVolumeClaim",
                &claim,
                &n.namespace,
                &note,
            ));
            claims.push(claim);
        }
    }
    let mut headless_ports = vec![ctx.port, ctx.bus_port];
    headless_ports.extend(data::exporter(ctx).map(|e| e.port));
    let service = |name: &str, ports: Vec<u16>, type_: Option<&'static str>| ServiceEntry {
        name: name.to_string(),
        namespace: n.namespace.clone(),
        ports,
        type_,
        hostname: None,
        external: false,
    };
    Inventory {
        maker: Maker::Rkv,
        made,
        redis: Some(RedisAccess {
            exec: Exec::new(
                format!("pod/{}", n.pods.first().map_or("", |p| p)),
                Some("redis"),
            ),
            // What the probes and Jobs present: the client certificate, or only the CA.
            tls_flags: ctx.tls().map(|_| ctx.cli_tls_flags().join(" ")),
            password: Password::ExactFile(super::auth::PASSWORD_FILE),
        }),
        sentinels: None,
        data_set: Some(n.name.clone()),
        data_pods: n.pods.clone(),
        sentinel_pods: Vec::new(),
        claims,
        services: vec![
            service(&n.name, headless_ports, None),
            service(&n.client_service, vec![ctx.port], Some("ClusterIP")),
        ],
        alerts: monitoring::rules(ctx),
        backup: plan.spec.backup.as_ref().map(|_| Backup {
            cronjob: jobs::backup_name(ctx),
            claim: jobs::backup_name(ctx),
            restore: jobs::can_restore(ctx).then(|| jobs::restore_name(ctx)),
        }),
        init_job: Some(jobs::init_name(ctx)),
        applier: None,
        prerequisites: Vec::new(),
    }
}

/// Render one embedded template; a template error is a bug in rkv, reported as such.
fn render(
    what: &'static str,
    template: &'static str,
    ctx: minijinja::Value,
) -> Result<String, EmitError> {
    thread_local! {
        // Each template is compiled once per thread, not once per variant: a fleet
        // renders the same four templates thousands of times. Templates are told apart
        // by `what`, which names one template each.
        static ENV: std::cell::RefCell<minijinja::Environment<'static>> = {
            let mut env = minijinja::Environment::new();
            env.set_keep_trailing_newline(true);
            std::cell::RefCell::new(env)
        };
    }
    ENV.with_borrow_mut(|env| {
        if env.get_template(what).is_err() {
            env.add_template(what, template)?;
        }
        env.get_template(what)?.render(ctx)
    })
    .map_err(|source| EmitError::Template {
        what: what.to_string(),
        source,
    })
}

/// 64-bit FNV-1a of a text: a stable fingerprint for the pod-template annotation that
/// rolls the pods when redis.conf changes.
fn fingerprint(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// `cordum` -> `Cordum`, `my-app` -> `MyApp`: alert name prefixes.
fn camel(s: &str) -> String {
    s.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;
