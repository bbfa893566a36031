//! From source objects to a draft spec: find the one Redis topology among the objects,
//! read its shape, and map every fact the spec can hold.
//!
//! In: the source objects (and, for a Helm release, its values; see [`super::helm`]).
//! Out: a [`Draft`]: the spec, a note on every inferred or unmapped value, and the role
//! each source object plays (for the round trip). Invariant: a value is either read from
//! the source, or carries an `inferred` note saying where it came from.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::batch::v1::CronJob;
use k8s_openapi::api::core::v1::{Container, PersistentVolumeClaimSpec, Service};
use serde::Serialize;
use serde_json::Value;

use super::error::ImportError;
use super::notes::Notes;
use super::pod::{self, Pod, typed, typed_opt};
use super::redisconf::{self, Conf};
use super::settings::{self, Target};
use super::source::SourceObject;
use crate::spec::{
    ApiVersion, Auth, Backup, Client, Cluster, Disruption, Exporter, Exposure, Failover,
    FailoverOperator, Metadata, Monitoring, Persistence, Redis, Replication, Sentinel, ServiceType,
    Shape, Standalone, Tls, Topology, TopologyKind, TopologySpec, Use,
};

/// The part an object plays in the topology; the round trip pairs a source object with
/// the rendered object of the same role when their names differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// The Redis pods: Deployment, StatefulSet, RedisFailover, RedisReplication.
    Data,
    /// The OT-CONTAINER-KIT RedisSentinel.
    Sentinel,
    /// The redis.conf ConfigMap of the data pods.
    Config,
    /// A headless Service over the data pods.
    Headless,
    /// A ClusterIP Service clients connect to.
    ClientService,
    /// A LoadBalancer or NodePort Service.
    ExternalService,
    /// The PodDisruptionBudget over the data pods.
    DataPdb,
    /// A NetworkPolicy over the topology's pods.
    NetworkPolicy,
    /// The backup CronJob.
    Backup,
    /// The backup retention CronJob.
    Retention,
    /// The PVC backups are written to.
    BackupPvc,
    /// The data PVC of a single pod.
    DataPvc,
    /// The cluster-create Job.
    InitJob,
    /// The PrometheusRule with the alerts.
    Alerts,
    /// The ServiceMonitor.
    ServiceMonitor,
    /// A Bitnami chart's values.
    HelmValues,
    /// Part of the Redis configuration whose content the spec holds elsewhere.
    Absorbed,
    /// The WAL applier (seed 001's `redis-applier`).
    Applier,
    /// A Strimzi KafkaTopic or KafkaUser of the WAL.
    Kafka,
}

/// A spec being built, with everything the later stages need to explain it.
#[derive(Debug, Clone)]
pub struct Draft {
    pub topology: Topology,
    pub notes: Notes,
    /// The data pods' Redis configuration as the source runs it.
    pub conf: Conf,
    /// AOF or RDB settings the source runs without a volume (see [`settings::Target`]).
    pub without_volume: Vec<(String, String)>,
    /// Role of each source object that belongs to the topology (index into the objects).
    pub roles: BTreeMap<usize, Role>,
    /// One line: what was found (`StatefulSet/cordum/cordum-redis: Redis Cluster, 6 pods`).
    pub found: String,
    /// The budget the source sets over the data pods, as it reads (`minAvailable: 4`).
    pub source_budget: Option<(usize, String)>,
    /// Source objects folded into the spec only in part (a NetworkPolicy with an ipBlock
    /// peer): what of each the spec cannot express.
    pub partial: BTreeMap<usize, Vec<String>>,
}

impl Draft {
    pub fn spec(&mut self) -> &mut TopologySpec {
        &mut self.topology.spec
    }
}

/// What kind of Redis an object runs, if any (`objects`: where its start scripts are).
fn redis_kind(o: &SourceObject, objects: &[SourceObject]) -> Option<&'static str> {
    match (o.api_version().split('/').next().unwrap_or(""), o.kind()) {
        ("databases.spotahome.com", "RedisFailover") => Some("RedisFailover"),
        ("redis.redis.opstreelabs.in", "RedisReplication") => Some("RedisReplication"),
        ("redis.redis.opstreelabs.in", "RedisCluster" | "Redis") => Some("unsupported"),
        ("apps", "Deployment" | "StatefulSet") => {
            let pod = Pod::at(o, "/spec/template").ok()?;
            pod.spec
                .containers
                .iter()
                .any(|c| {
                    !pod::is_exporter(c)
                        && pod::pod_redis_invocation(&pod, c, objects).is_some_and(|i| !i.sentinel)
                })
                .then_some("workload")
        }
        _ => None,
    }
}

/// Whether an object is made by a controller (an operator's StatefulSet): it follows
/// from its owner and is not imported on its own.
fn owned(o: &SourceObject) -> bool {
    o.value
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty())
}

/// Finds the one Redis topology among `objects` and drafts its spec.
pub fn draft(
    objects: &[SourceObject],
    namespace: Option<&str>,
    what: &str,
) -> Result<Draft, ImportError> {
    let candidates: Vec<(usize, &str)> = objects
        .iter()
        .enumerate()
        .filter(|(_, o)| !owned(o))
        .filter_map(|(i, o)| redis_kind(o, objects).map(|k| (i, k)))
        .collect();
    match candidates.as_slice() {
        [] => Err(ImportError::NoRedis {
            what: what.to_string(),
            help: "import reads a Deployment or StatefulSet running redis-server, a RedisFailover, a RedisReplication (with its RedisSentinel), or Bitnami chart values (--helm-values)".into(),
        }),
        [(i, kind)] => {
            let o = &objects[*i];
            match *kind {
                "RedisFailover" => failover(objects, *i, namespace),
                "RedisReplication" => replication(objects, *i, namespace),
                "workload" => workload(objects, *i, namespace),
                _ => Err(o.invalid(
                    "",
                    format!(
                        "a {} has no rkv shape yet (rkv runs Redis Cluster as a StatefulSet and standalone as a Deployment)",
                        o.kind()
                    ),
                )),
            }
        }
        many => Err(ImportError::Ambiguous {
            what: what.to_string(),
            candidates: many.iter().map(|(i, _)| objects[*i].id()).collect(),
        }),
    }
}

/// The namespace of the topology: the object's, else the one given, else an error.
fn namespace_of(o: &SourceObject, given: Option<&str>) -> Result<String, ImportError> {
    match (o.namespace(), given) {
        (ns, _) if !ns.is_empty() => Ok(ns.to_string()),
        (_, Some(ns)) => Ok(ns.to_string()),
        _ => Err(o.invalid(
            "/metadata",
            "no namespace: give one with --namespace (or set it in the manifests)",
        )),
    }
}

/// The spec's metadata from the main object: name, namespace, the extra labels it
/// carries (not the `app.kubernetes.io/*` ones rkv sets) and `part-of`.
fn metadata(o: &SourceObject, namespace: String, skip: &[&str]) -> Metadata {
    let labels: BTreeMap<String, String> = o
        .value
        .pointer("/metadata/labels")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter(|(k, _)| {
                    !k.starts_with("app.kubernetes.io/") && !skip.contains(&k.as_str())
                })
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                .collect()
        })
        .unwrap_or_default();
    Metadata {
        name: o.name().to_string(),
        namespace,
        part_of: o
            .value
            .pointer("/metadata/labels/app.kubernetes.io~1part-of")
            .and_then(Value::as_str)
            .map(str::to_string),
        labels,
    }
}

fn empty_topology(metadata: Metadata, shape: Shape, image: String) -> Topology {
    Topology {
        api_version: ApiVersion::V1Alpha1,
        kind: TopologyKind::RedisTopology,
        metadata,
        spec: TopologySpec {
            use_: Use::Durable,
            shape,
            redis: Redis {
                image,
                port: 6379,
                maxclients: None,
                repl_diskless_sync: None,
            },
            auth: None,
            persistence: None,
            resources: None,
            memory: None,
            tls: None,
            clients: Vec::new(),
            exposure: None,
            monitoring: None,
            backup: None,
            jobs: None,
            disruption: None,
            placement: None,
            outputs: None,
            environments: BTreeMap::new(),
            sites: BTreeMap::new(),
        },
    }
}

fn new_draft(topology: Topology, found: String) -> Draft {
    Draft {
        topology,
        notes: Notes::default(),
        conf: Conf::default(),
        without_volume: Vec::new(),
        roles: BTreeMap::new(),
        found,
        source_budget: None,
        partial: BTreeMap::new(),
    }
}

/// Persistence from a PVC spec (a StatefulSet claim template, a PVC object, an operator's).
fn persistence_of(
    obj: &SourceObject,
    pointer: &str,
    spec: &PersistentVolumeClaimSpec,
) -> Result<Persistence, ImportError> {
    let size = spec
        .resources
        .as_ref()
        .and_then(|r| r.requests.as_ref())
        .and_then(|r| r.get("storage"))
        .map(|q| q.0.clone())
        .ok_or_else(|| {
            obj.invalid(
                pointer,
                "a volume claim without `resources.requests.storage`",
            )
        })?;
    if !pod::is_quantity(&size) {
        return Err(obj.invalid(
            &format!("{pointer}/resources/requests/storage"),
            format!("`{size}` is not a storage quantity"),
        ));
    }
    Ok(Persistence {
        enabled: true,
        size,
        storage_class: spec.storage_class_name.clone(),
        aof: None,
        rdb_save: None,
    })
}

/// Applies the Redis directives and records what the source runs.
fn apply_conf(d: &mut Draft, conf: Conf, origin: &str) {
    for n in &conf.notes {
        d.notes.unmapped("/spec/redis", n.clone());
    }
    let mut target = Target {
        spec: &mut d.topology.spec,
        without_volume: Vec::new(),
    };
    settings::apply(&conf, &mut target, &mut d.notes, origin);
    d.without_volume = target.without_volume;
    d.conf = conf;
}

/// The password: `requirepass` read from an environment variable fed by a Secret, or
/// from a file of a Secret volume given on stdin (rkv's start script).
fn password(
    d: &mut Draft,
    pod: &Pod,
    c: &Container,
    conf: &Conf,
    file: Option<&redisconf::PasswordFile>,
) {
    if let Some(f) = file {
        match pod.file_secret(c, &f.path) {
            Some(secret) => {
                d.topology.spec.auth = Some(Auth {
                    password_secret: secret,
                });
            }
            None => d.notes.unmapped(
                "/spec",
                format!("`requirepass` is read from `{}`, which no Secret volume of the container holds: set `auth.passwordSecret`", f.path),
            ),
        }
        return;
    }
    let Some(value) = conf.get("requirepass") else {
        return;
    };
    match redisconf::env_reference(value) {
        Some(var) => match pod.env_secret(c, var) {
            Some(secret) => {
                d.topology.spec.auth = Some(Auth {
                    password_secret: secret,
                });
            }
            None if pod.env_literal(c, var) => d.notes.unmapped(
                "/spec",
                format!("the password is a literal value of `{var}` in the manifest: the spec takes it from a Secret only; put it in one and set `auth.passwordSecret`"),
            ),
            None => d.notes.unmapped(
                "/spec",
                format!("`requirepass` reads `{var}`, which no Secret of the container feeds: set `auth.passwordSecret`"),
            ),
        },
        None => d.notes.unmapped(
            "/spec",
            "`requirepass` is written in clear text: the spec takes the password from a Secret only; put it in one and set `auth.passwordSecret`",
        ),
    }
    if let Some(m) = conf.get("masterauth")
        && m != value
    {
        d.notes.unmapped(
            "/spec",
            "`masterauth` differs from `requirepass`: rkv uses the one password for both",
        );
    }
}

/// A memory limit times four for a volume import had to add (RDB + AOF + a rewrite),
/// else 10Gi; always with an `inferred` note.
pub fn inferred_size(spec: &TopologySpec) -> String {
    let limit = spec
        .resources
        .as_ref()
        .and_then(|r| r.limits.as_ref())
        .and_then(|l| l.memory.as_deref())
        .and_then(settings::quantity_bytes);
    match limit {
        Some(b) => format!("{}Gi", (b.saturating_mul(4)).div_ceil(1 << 30).max(1)),
        None => "10Gi".into(),
    }
}

/// A Deployment or StatefulSet running redis-server: standalone or Redis Cluster.
fn workload(
    objects: &[SourceObject],
    idx: usize,
    namespace: Option<&str>,
) -> Result<Draft, ImportError> {
    let o = &objects[idx];
    let ns = namespace_of(o, namespace)?;
    let (replicas, claims) = match o.kind() {
        "StatefulSet" => {
            let s: StatefulSet = typed(o, "", "StatefulSet")?;
            (
                s.spec.replicas.unwrap_or(1),
                s.spec.volume_claim_templates.unwrap_or_default(),
            )
        }
        _ => {
            let dep: Deployment = typed(o, "", "Deployment")?;
            (dep.spec.replicas.unwrap_or(1), Vec::new())
        }
    };
    let pod = Pod::at(o, "/spec/template")?;
    let Some((ci, c)) = pod.spec.containers.iter().enumerate().find(|(_, c)| {
        !pod::is_exporter(c)
            && pod::pod_redis_invocation(&pod, c, objects).is_some_and(|i| !i.sentinel)
    }) else {
        return Err(o.invalid(
            "/spec/template/spec/containers",
            "no container runs redis-server",
        ));
    };
    let inv = pod::pod_redis_invocation(&pod, c, objects).unwrap_or_default();
    let image = c.image.clone().ok_or_else(|| {
        o.invalid(
            &format!("{}/image", pod.container_pointer(ci)),
            "the Redis container has no image",
        )
    })?;
    // The configuration file first, then the command line on top, as redis-server reads them.
    let mut conf = Conf::default();
    let mut conf_origin = "the command line".to_string();
    let mut config_map = None;
    if let Some(file) = &inv.conf_file {
        match pod::conf_file(&pod, c, file, objects) {
            Some((cm, key, file_conf)) => {
                conf_origin = format!("{} {key}", cm.id());
                config_map = objects.iter().position(|x| std::ptr::eq(x, cm));
                conf = file_conf;
            }
            None => {
                return Err(o.invalid(
                    &format!("{}/args", pod.container_pointer(ci)),
                    format!("redis-server reads `{file}`, and no ConfigMap among the sources is mounted there: add it to the sources"),
                ));
            }
        }
    }
    conf.extend(&inv.options);
    let cluster = conf.effective("cluster-enabled").as_deref() == Some("yes");
    let mut meta = metadata(o, ns.clone(), &[]);
    // rkv puts the spec's extra labels on the workload and its pods alike: keep both sets.
    for (k, v) in &pod.labels {
        if !k.starts_with("app.kubernetes.io/") {
            meta.labels.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    let tls_port = conf
        .get("tls-port")
        .and_then(|p| p.parse::<u16>().ok())
        .filter(|p| *p > 0);
    let shape = if cluster {
        if o.kind() != "StatefulSet" {
            return Err(o.invalid("", "a Redis Cluster in a Deployment: rkv runs it as a StatefulSet; import the StatefulSet form"));
        }
        Shape::Cluster(Cluster {
            shards: 0,
            replicas_per_shard: 0,
            node_timeout_ms: 15000,
        })
    } else {
        if replicas > 1 {
            return Err(o.invalid(
                "/spec/replicas",
                format!("{replicas} Redis pods without cluster mode or Sentinel: rkv has no shape for primary + replicas without failover"),
            ));
        }
        Shape::Standalone(Standalone {})
    };
    let mut d = new_draft(empty_topology(meta, shape, image), String::new());
    d.roles.insert(idx, Role::Data);
    if let Some(cm) = config_map {
        d.roles.insert(cm, Role::Config);
    }
    d.spec().resources = {
        let (r, dropped) = pod::resources(c);
        for k in dropped {
            d.notes.unmapped(
                "/spec/resources",
                format!("the Redis container's `{k}`: the spec holds cpu and memory only"),
            );
        }
        r
    };
    // Persistence: the volume behind the data directory.
    let dir = conf
        .get("dir")
        .map(str::to_string)
        .unwrap_or_else(|| "/data".into());
    let dir = if dir == "." || dir == "./" {
        "/data".to_string()
    } else {
        dir
    };
    let data_mount = c
        .volume_mounts
        .as_ref()
        .and_then(|ms| {
            ms.iter()
                .find(|m| m.mount_path.trim_end_matches('/') == dir.trim_end_matches('/'))
        })
        .map(|m| m.name.clone());
    if let Some(mount) = &data_mount {
        if let Some((ti, t)) = claims
            .iter()
            .enumerate()
            .find(|(_, t)| t.metadata.name.as_deref() == Some(mount.as_str()))
        {
            let p = format!("/spec/volumeClaimTemplates/{ti}/spec");
            d.spec().persistence =
                Some(persistence_of(o, &p, &t.spec.clone().unwrap_or_default())?);
        } else if let Some(pvc) = pod
            .volume(mount)
            .and_then(|v| v.persistent_volume_claim.as_ref())
        {
            match objects
                .iter()
                .enumerate()
                .find(|(_, x)| x.kind() == "PersistentVolumeClaim" && x.name() == pvc.claim_name)
            {
                Some((pi, x)) => {
                    let spec: PersistentVolumeClaimSpec =
                        typed(x, "/spec", "PersistentVolumeClaim spec")?;
                    d.spec().persistence = Some(persistence_of(x, "/spec", &spec)?);
                    d.roles.insert(pi, Role::DataPvc);
                }
                None => {
                    let size = inferred_size(&d.topology.spec);
                    d.notes.inferred("/spec/persistence/size", format!("the PVC `{}` is not among the sources: its size is a guess (memory limit x 4, else 10Gi)", pvc.claim_name));
                    d.spec().persistence = Some(Persistence {
                        enabled: true,
                        size,
                        storage_class: None,
                        aof: None,
                        rdb_save: None,
                    });
                }
            }
        }
    }
    password(&mut d, &pod, c, &conf, inv.password_file.as_ref());
    apply_conf(&mut d, conf.clone(), &conf_origin);
    // Port and TLS.
    let plain_port = conf
        .effective("port")
        .and_then(|p| p.parse::<u16>().ok())
        .unwrap_or(6379);
    d.spec().redis.port = tls_port.unwrap_or(plain_port);
    if let Some(tp) = tls_port {
        let server_secret = conf
            .get("tls-cert-file")
            .and_then(|f| pod.volume_at(c, f))
            .and_then(|(v, _)| v.secret.as_ref()?.secret_name.clone());
        let Some(server_secret) = server_secret else {
            return Err(o.invalid(
                &pod.container_pointer(ci),
                "TLS is on, and no Secret volume is mounted where `tls-cert-file` points: rkv takes the certificate from a Secret",
            ));
        };
        let client_secret = client_tls_secret(objects, &pod, c, &server_secret, &conf);
        d.spec().tls = Some(Tls {
            mutual: conf.effective("tls-auth-clients").as_deref() != Some("no"),
            plaintext_port: plain_port != 0,
            server_secret,
            client_secret,
            cert_manager: None,
        });
        if plain_port != 0 && plain_port != tp {
            d.notes.changed(
                "/spec/tls/plaintextPort",
                format!("the source keeps the plaintext port {plain_port} open beside TLS on {tp}"),
            );
        }
    }
    // Shape numbers.
    let found = match &mut d.topology.spec.shape {
        Shape::Cluster(cl) => {
            let (r, from) = cluster_replicas(objects, replicas);
            let pods = u32::try_from(replicas).unwrap_or(0);
            if pods == 0 || pods % (1 + r) != 0 {
                return Err(o.invalid(
                    "/spec/replicas",
                    format!("{replicas} pods cannot be shards x (1 + {r}) replicas"),
                ));
            }
            cl.shards = pods / (1 + r);
            cl.replicas_per_shard = r;
            if let Some(t) = conf
                .get("cluster-node-timeout")
                .and_then(|t| t.parse().ok())
            {
                cl.node_timeout_ms = t;
            }
            if from.is_none() {
                d.notes.inferred("/spec/shape/cluster/replicasPerShard", format!("no `--cluster-replicas` among the sources: {pods} pods read as {} shards x (1 + {r})", pods / (1 + r)));
            }
            format!(
                "{}: Redis Cluster, {} pods ({} shards x (1 + {r}))",
                o.id(),
                pods,
                pods / (1 + r)
            )
        }
        _ => format!("{}: standalone Redis", o.id()),
    };
    d.found = found;
    settings::read_knobs(&pod.spec, &mut d.topology.spec, &mut d.notes);
    exporter(&mut d, &pod, "/spec/monitoring");
    related(objects, &mut d, &pod.labels, &ns)?;
    infer_use(&mut d);
    Ok(d)
}

/// The client certificate Secret: another TLS Secret the topology's pods or Jobs mount
/// (the exporter's, the cluster-init Job's), or the one `tls-client-cert-file` names.
fn client_tls_secret(
    objects: &[SourceObject],
    pod: &Pod,
    c: &Container,
    server: &str,
    conf: &Conf,
) -> Option<String> {
    if let Some(name) = conf
        .get("tls-client-cert-file")
        .and_then(|f| pod.volume_at(c, f))
        .and_then(|(v, _)| v.secret.as_ref()?.secret_name.clone())
        .filter(|n| n != server)
    {
        return Some(name);
    }
    let mut found: Vec<String> = Vec::new();
    let mut add = |vols: Option<&Vec<k8s_openapi::api::core::v1::Volume>>| {
        for v in vols.into_iter().flatten() {
            if let Some(s) = v.secret.as_ref().and_then(|s| s.secret_name.clone())
                && s != server
                && s.contains("tls")
                && !found.contains(&s)
            {
                found.push(s);
            }
        }
    };
    add(pod.spec.volumes.as_ref());
    for o in objects {
        let template = match o.kind() {
            "Job" => "/spec/template",
            "CronJob" => "/spec/jobTemplate/spec/template",
            _ => continue,
        };
        if let Ok(p) = Pod::at(o, template) {
            add(p.spec.volumes.as_ref());
        }
    }
    (found.len() == 1).then(|| found.remove(0))
}

/// `--cluster-replicas N` from a Job or CronJob among the sources (the cluster-init
/// Job), else 1 when the pods split into at least three shards of two, else 0.
fn cluster_replicas(objects: &[SourceObject], pods: i32) -> (u32, Option<usize>) {
    for (i, o) in objects.iter().enumerate() {
        if !matches!(o.kind(), "Job" | "CronJob" | "ConfigMap") {
            continue;
        }
        let text = o.value.to_string();
        if let Some(pos) = text.find("--cluster-replicas") {
            let rest = &text[pos + "--cluster-replicas".len()..];
            let digits: String = rest
                .trim_start_matches([' ', '=', '"', ','])
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if let Ok(n) = digits.parse() {
                return (n, Some(i));
            }
        }
    }
    if pods >= 6 && pods % 2 == 0 {
        (1, None)
    } else {
        (0, None)
    }
}

/// The exporter sidecar, when the data pods have one.
fn exporter(d: &mut Draft, pod: &Pod, at: &str) {
    let Some(e) = pod.spec.containers.iter().find(|c| pod::is_exporter(c)) else {
        return;
    };
    let port = e
        .ports
        .as_ref()
        .and_then(|p| p.first())
        .and_then(|p| u16::try_from(p.container_port).ok())
        .unwrap_or(9121);
    let (resources, _) = pod::resources(e);
    let image = e.image.clone().unwrap_or_default();
    set_exporter(d, image, port, resources, at);
}

fn set_exporter(
    d: &mut Draft,
    image: String,
    port: u16,
    resources: Option<crate::spec::Resources>,
    at: &str,
) {
    let m = d
        .topology
        .spec
        .monitoring
        .get_or_insert_with(|| Monitoring {
            namespace: "monitoring".into(),
            exporter: None,
            alerts: false,
            service_monitor: false,
        });
    m.exporter = Some(Exporter {
        image,
        port,
        resources,
    });
    d.notes.inferred(
        &format!("{at}/namespace"),
        "the namespace Prometheus scrapes from is not in the sources: `monitoring` is a guess",
    );
}

/// The objects around the data pods: Services, PDBs, NetworkPolicies, CronJobs and
/// PVCs of backups, Jobs, PrometheusRules, ServiceMonitors.
fn related(
    objects: &[SourceObject],
    d: &mut Draft,
    pod_labels: &BTreeMap<String, String>,
    ns: &str,
) -> Result<(), ImportError> {
    let port = d.topology.spec.redis.port;
    let same_ns = |o: &SourceObject| o.namespace().is_empty() || o.namespace() == ns;
    for (i, o) in objects.iter().enumerate() {
        if d.roles.contains_key(&i) || !same_ns(o) {
            continue;
        }
        match o.kind() {
            "Service" => {
                let s: Service = typed(o, "", "Service")?;
                let spec = s.spec.unwrap_or_default();
                let sel =
                    serde_json::json!({"matchLabels": spec.selector.clone().unwrap_or_default()});
                if spec.selector.as_ref().is_none_or(|s| s.is_empty())
                    || !pod::selects(&sel, pod_labels)
                {
                    continue;
                }
                if spec.cluster_ip.as_deref() == Some("None") {
                    d.roles.insert(i, Role::Headless);
                    continue;
                }
                match spec.type_.as_deref().unwrap_or("ClusterIP") {
                    t @ ("LoadBalancer" | "NodePort") => {
                        d.roles.insert(i, Role::ExternalService);
                        let hostname = o
                            .value
                            .pointer(
                                "/metadata/annotations/external-dns.alpha.kubernetes.io~1hostname",
                            )
                            .and_then(Value::as_str)
                            .map(str::to_string);
                        d.topology.spec.exposure = Some(Exposure {
                            type_: if t == "LoadBalancer" {
                                ServiceType::LoadBalancer
                            } else {
                                ServiceType::NodePort
                            },
                            hostname,
                            accept_insecure: None,
                            source_ranges: spec
                                .load_balancer_source_ranges
                                .clone()
                                .unwrap_or_default(),
                        });
                    }
                    _ => {
                        d.roles.insert(i, Role::ClientService);
                    }
                }
            }
            "PodDisruptionBudget" => {
                let sel = o
                    .value
                    .pointer("/spec/selector")
                    .cloned()
                    .unwrap_or(Value::Null);
                if sel.is_null() || !pod::selects(&sel, pod_labels) {
                    continue;
                }
                d.roles.insert(i, Role::DataPdb);
                budget(d, i, o)?;
            }
            "NetworkPolicy" => {
                let sel = o
                    .value
                    .pointer("/spec/podSelector")
                    .cloned()
                    .unwrap_or(Value::Null);
                if !pod::selects(&sel, pod_labels) {
                    continue;
                }
                d.roles.insert(i, Role::NetworkPolicy);
                let lost = clients_from_policy(d, o, port, ns);
                if !lost.is_empty() {
                    d.notes
                        .unmapped("/spec/clients", format!("{}: {}", o.id(), lost.join("; ")));
                    d.partial.insert(i, lost);
                }
            }
            "CronJob" => {
                let cj: CronJob = typed(o, "", "CronJob")?;
                let text = o
                    .value
                    .pointer("/spec/jobTemplate")
                    .map(Value::to_string)
                    .unwrap_or_default();
                let schedule = cj.spec.schedule.clone();
                let retention_days = retention_days(&text);
                let backs_up =
                    text.contains("--rdb") || text.contains("bgsave") || text.contains("BGSAVE");
                if backs_up {
                    d.roles.insert(i, Role::Backup);
                    let b = backup_section(d);
                    b.schedule = schedule;
                    if let Some(days) = retention_days {
                        b.retention_days = days;
                        d.notes.clear_under("/spec/backup/retentionDays");
                    }
                    backup_pvc(objects, d, o)?;
                } else if let Some(days) = retention_days {
                    d.roles.insert(i, Role::Retention);
                    let b = backup_section(d);
                    b.retention_days = days;
                    b.retention_schedule = schedule;
                    d.notes.clear_under("/spec/backup/retentionDays");
                    // rkv names the retention CronJob `<partOf>-backup-retention`.
                    if d.topology.metadata.part_of.is_none()
                        && let Some(p) = o.name().strip_suffix("-backup-retention")
                        && !p.is_empty()
                        && p != d.topology.metadata.name
                    {
                        d.topology.metadata.part_of = Some(p.to_string());
                        d.notes.inferred("/metadata/partOf", format!("from the retention CronJob `{}` (rkv names it `<partOf>-backup-retention`)", o.name()));
                    }
                }
            }
            "Job" if o.value.to_string().contains("--cluster create") => {
                d.roles.insert(i, Role::InitJob);
            }
            "PrometheusRule" => {
                d.roles.insert(i, Role::Alerts);
                monitoring_section(d).alerts = true;
            }
            "ServiceMonitor" => {
                d.roles.insert(i, Role::ServiceMonitor);
                monitoring_section(d).service_monitor = true;
            }
            _ => {}
        }
    }
    if let Some(b) = &d.topology.spec.backup
        && b.schedule.is_empty()
    {
        // Retention without a backup job: nothing to keep.
        d.notes.unmapped("/spec", "a retention CronJob without a backup CronJob: rkv renders both from `backup`, so neither is imported");
        d.topology.spec.backup = None;
    }
    Ok(())
}

fn monitoring_section(d: &mut Draft) -> &mut Monitoring {
    if d.topology.spec.monitoring.is_none() {
        d.notes.inferred(
            "/spec/monitoring/namespace",
            "the namespace Prometheus scrapes from is not in the sources: `monitoring` is a guess",
        );
    }
    d.topology
        .spec
        .monitoring
        .get_or_insert_with(|| Monitoring {
            namespace: "monitoring".into(),
            exporter: None,
            alerts: false,
            service_monitor: false,
        })
}

fn backup_section(d: &mut Draft) -> &mut Backup {
    if d.topology.spec.backup.is_none() {
        d.notes.inferred(
            "/spec/backup/size",
            "no backup PVC among the sources: the size of a data volume is a guess",
        );
        d.notes.inferred(
            "/spec/backup/retentionDays",
            "no retention among the sources (`find -mtime +N`): 7 days is a guess",
        );
    }
    let size = d
        .topology
        .spec
        .persistence
        .as_ref()
        .map(|p| p.size.clone())
        .unwrap_or_else(|| "10Gi".into());
    d.topology.spec.backup.get_or_insert_with(|| Backup {
        schedule: String::new(),
        retention_days: 7,
        retention_schedule: "30 3 * * *".into(),
        size,
        storage_class: None,
    })
}

/// `find ... -mtime +N ... -delete` in a script: backups older than N days go.
fn retention_days(text: &str) -> Option<u32> {
    let pos = text.find("-mtime +")?;
    let digits: String = text[pos + "-mtime +".len()..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let days: u32 = digits.parse().ok()?;
    (text.contains("-delete") && days > 0).then_some(days)
}

/// The backup PVC: the claim a backup CronJob mounts at `/backup`.
fn backup_pvc(
    objects: &[SourceObject],
    d: &mut Draft,
    cron: &SourceObject,
) -> Result<(), ImportError> {
    let pod = Pod::at(cron, "/spec/jobTemplate/spec/template")?;
    let claim = pod
        .spec
        .containers
        .iter()
        .find_map(|c| pod.volume_at(c, "/backup"))
        .and_then(|(v, _)| {
            v.persistent_volume_claim
                .as_ref()
                .map(|p| p.claim_name.clone())
        });
    let Some(claim) = claim else { return Ok(()) };
    let Some((pi, pvc)) = objects
        .iter()
        .enumerate()
        .find(|(_, x)| x.kind() == "PersistentVolumeClaim" && x.name() == claim)
    else {
        return Ok(());
    };
    let spec: PersistentVolumeClaimSpec = typed(pvc, "/spec", "PersistentVolumeClaim spec")?;
    let p = persistence_of(pvc, "/spec", &spec)?;
    d.roles.insert(pi, Role::BackupPvc);
    d.notes.clear_under("/spec/backup/size");
    let b = backup_section(d);
    b.size = p.size;
    b.storage_class = p.storage_class;
    d.notes.clear_under("/spec/backup/size");
    Ok(())
}

/// The budget over the data pods: kept as `disruption` (rkv's checks judge it; the
/// import drops it where rkv computes the same numbers).
fn budget(d: &mut Draft, i: usize, o: &SourceObject) -> Result<(), ImportError> {
    let read = |key: &str| -> Result<Option<u32>, ImportError> {
        match o.value.pointer(&format!("/spec/{key}")) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| o.invalid(&format!("/spec/{key}"), "not a count of pods")),
            // A percentage: the spec takes counts; rkv's own budget replaces it.
            Some(Value::String(_)) => Ok(None),
            Some(_) => Err(o.invalid(&format!("/spec/{key}"), "not a count of pods")),
        }
    };
    let min = read("minAvailable")?;
    let max = read("maxUnavailable")?;
    for key in ["minAvailable", "maxUnavailable"] {
        if let Some(pct) = o
            .value
            .pointer(&format!("/spec/{key}"))
            .and_then(Value::as_str)
        {
            d.notes.unmapped(
                "/spec",
                format!("{} `{key}: {pct}`: the spec takes a count of pods, so rkv's own budget replaces it", o.id()),
            );
        }
    }
    let text = match (min, max) {
        (Some(m), _) => format!("minAvailable: {m}"),
        (_, Some(m)) => format!("maxUnavailable: {m}"),
        _ => return Ok(()),
    };
    d.source_budget = Some((i, text));
    d.topology.spec.disruption = Some(Disruption {
        min_available: min,
        max_unavailable: max,
    });
    Ok(())
}

/// Clients from a NetworkPolicy's ingress rules on the Redis port: each peer with a
/// namespace (by `kubernetes.io/metadata.name`) and pod labels, or pod labels alone (the
/// policy's namespace). Returns what of the policy the spec cannot express (rkv's own
/// policies cover the cluster bus, Sentinel, metrics from the monitoring namespace, DNS).
fn clients_from_policy(d: &mut Draft, o: &SourceObject, port: u16, ns: &str) -> Vec<String> {
    let mut lost = Vec::new();
    let covered = [port, port.saturating_add(10000), 26379, 9121];
    for rule in o
        .value
        .pointer("/spec/ingress")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let ports: Vec<u64> = rule
            .get("ports")
            .and_then(Value::as_array)
            .map(|ps| ps.iter().filter_map(|p| p.get("port")?.as_u64()).collect())
            .unwrap_or_default();
        let other: Vec<String> = ports
            .iter()
            .filter(|p| !covered.iter().any(|c| u64::from(*c) == **p))
            .map(u64::to_string)
            .collect();
        if !other.is_empty() {
            lost.push(format!("ingress on port(s) {}", other.join(", ")));
        }
        if !ports.is_empty() && !ports.contains(&u64::from(port)) {
            continue;
        }
        for peer in rule
            .get("from")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let labels = |p: &str| -> Option<BTreeMap<String, String>> {
                peer.pointer(p).and_then(Value::as_object).map(|m| {
                    m.iter()
                        .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                        .collect()
                })
            };
            if let Some(cidr) = peer.pointer("/ipBlock/cidr").and_then(Value::as_str) {
                lost.push(format!("ingress from ipBlock {cidr}"));
                continue;
            }
            if peer.pointer("/podSelector/matchExpressions").is_some()
                || peer
                    .pointer("/namespaceSelector/matchExpressions")
                    .is_some()
            {
                lost.push("a peer selected by matchExpressions".into());
                continue;
            }
            let namespace = match peer.get("namespaceSelector") {
                None => Some(ns.to_string()),
                Some(_) => {
                    let m = labels("/namespaceSelector/matchLabels").unwrap_or_default();
                    if m.len() > 1 {
                        lost.push("a namespace selected by more than its name".into());
                    }
                    m.get("kubernetes.io/metadata.name").cloned()
                }
            };
            let Some(namespace) = namespace else {
                lost.push("a peer whose namespace is not selected by name (`kubernetes.io/metadata.name`)".into());
                continue;
            };
            let client = Client {
                namespace,
                pod_selector: labels("/podSelector/matchLabels").unwrap_or_default(),
            };
            if !d.topology.spec.clients.contains(&client) {
                d.topology.spec.clients.push(client);
            }
        }
    }
    for rule in o
        .value
        .pointer("/spec/egress")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let dns = rule
            .get("ports")
            .and_then(Value::as_array)
            .is_some_and(|ps| {
                !ps.is_empty()
                    && ps
                        .iter()
                        .all(|p| p.get("port").and_then(Value::as_u64) == Some(53))
            });
        if !dns {
            lost.push("an egress rule other than DNS".into());
        }
    }
    lost.dedup();
    lost
}

/// What the store holds, from how it is configured; always noted, since only its owner knows.
pub fn infer_use(d: &mut Draft) {
    let persistent = d
        .topology
        .spec
        .persistence
        .as_ref()
        .is_some_and(|p| p.enabled)
        || !d.without_volume.is_empty();
    let evicts = d
        .topology
        .spec
        .memory
        .as_ref()
        .is_some_and(|m| m.policy != crate::spec::EvictionPolicy::Noeviction);
    let (u, why) = match (evicts, persistent) {
        (true, true) => (Use::Session, "keys may be evicted, yet they are persisted"),
        (true, false) => (Use::Cache, "keys may be evicted and nothing is persisted"),
        (false, true) => (Use::Durable, "persisted, and no key is evicted"),
        (false, false) => (Use::Cache, "nothing is persisted"),
    };
    d.topology.spec.use_ = u;
    d.notes.inferred(
        "/spec/use",
        format!("{why}: declare what the store holds (cache, session or durable), rkv's checks depend on it"),
    );
}

/// A Spotahome RedisFailover.
fn failover(
    objects: &[SourceObject],
    idx: usize,
    namespace: Option<&str>,
) -> Result<Draft, ImportError> {
    let o = &objects[idx];
    let ns = namespace_of(o, namespace)?;
    let count = |p: &str, default: u32| -> Result<u32, ImportError> {
        match o.value.pointer(p) {
            None | Some(Value::Null) => Ok(default),
            Some(v) => v
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| o.invalid(p, "not a count of pods")),
        }
    };
    let replicas = count("/spec/redis/replicas", 3)?;
    let sentinels = count("/spec/sentinel/replicas", 3)?;
    let mut d_notes = Notes::default();
    let image = match o.value.pointer("/spec/redis/image").and_then(Value::as_str) {
        Some(i) => i.to_string(),
        None => {
            d_notes.inferred(
                "/spec/redis/image",
                "the RedisFailover names no image: the operator's default (Spotahome 1.2/1.3) runs",
            );
            "redis:6.2.6-alpine".to_string()
        }
    };
    let mut sentinel_conf = Conf::default();
    for (i, line) in o
        .value
        .pointer("/spec/sentinel/customConfig")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let Some(line) = line.as_str() else {
            return Err(o.invalid(
                &format!("/spec/sentinel/customConfig/{i}"),
                "a customConfig line must be text",
            ));
        };
        let words = redisconf::split_args(line).unwrap_or_default();
        if let Some((k, rest)) = words.split_first() {
            sentinel_conf.set(k, rest);
        }
    }
    // The operator's own defaults for what the CR leaves out (api/redisfailover/v1/defaults.go).
    let ms =
        |key: &str, default: u32, notes: &mut Notes, field: &str| -> Result<u32, ImportError> {
            match sentinel_conf.get(key) {
                Some(v) => v.parse().map_err(|_| {
                    o.invalid(
                        "/spec/sentinel/customConfig",
                        format!("`{key} {v}` is not a number"),
                    )
                }),
                None => {
                    notes.inferred(
                        &format!("/spec/shape/failover/sentinel/{field}"),
                        format!("the CR sets no `{key}`: the operator's default {default} runs"),
                    );
                    Ok(default)
                }
            }
        };
    let down = ms("down-after-milliseconds", 5000, &mut d_notes, "downAfterMs")?;
    let timeout = ms("failover-timeout", 10000, &mut d_notes, "failoverTimeoutMs")?;
    let parallel = match sentinel_conf.get("parallel-syncs") {
        Some(v) => v.parse().map_err(|_| {
            o.invalid(
                "/spec/sentinel/customConfig",
                format!("`parallel-syncs {v}` is not a number"),
            )
        })?,
        None => 1,
    };
    for k in sentinel_conf.directives.keys().filter(|k| {
        !matches!(
            k.as_str(),
            "down-after-milliseconds" | "failover-timeout" | "parallel-syncs"
        )
    }) {
        d_notes.unmapped(
            "/spec/shape/failover/sentinel",
            format!("Sentinel `{k}`: the spec has no field for it"),
        );
    }
    let sentinel = Sentinel {
        replicas: sentinels,
        quorum: sentinels / 2 + 1,
        down_after_ms: down,
        failover_timeout_ms: timeout,
        parallel_syncs: parallel,
        master_name: Some("mymaster".into()),
        image: o
            .value
            .pointer("/spec/sentinel/image")
            .and_then(Value::as_str)
            .map(str::to_string),
        resources: None,
    };
    d_notes.inferred(
        "/spec/shape/failover/sentinel/quorum",
        "Spotahome sets the quorum to floor(n/2) + 1 itself",
    );
    let shape = Shape::Failover(Failover {
        operator: FailoverOperator::Spotahome,
        replicas,
        sentinel,
        wal: None,
        operator_namespace: None,
    });
    let meta = metadata(o, ns.clone(), &[]);
    let mut d = new_draft(
        empty_topology(meta, shape, image),
        format!(
            "{}: Spotahome RedisFailover, {replicas} Redis + {sentinels} Sentinel pods",
            o.id()
        ),
    );
    d.notes = d_notes;
    d.roles.insert(idx, Role::Data);
    if let Some(p) = o.value.pointer("/spec/redis/port") {
        d.spec().redis.port = p
            .as_u64()
            .or_else(|| p.as_str().and_then(|s| s.parse().ok()))
            .and_then(|p| u16::try_from(p).ok())
            .ok_or_else(|| o.invalid("/spec/redis/port", "not a port"))?;
    }
    if let Some(secret) = o
        .value
        .pointer("/spec/auth/secretPath")
        .and_then(Value::as_str)
    {
        d.spec().auth = Some(Auth {
            password_secret: crate::spec::SecretKeyRef {
                name: secret.to_string(),
                key: "password".into(),
            },
        });
    }
    if let Some(r) = typed_opt::<k8s_openapi::api::core::v1::ResourceRequirements>(
        o,
        "/spec/redis/resources",
        "resources",
    )? {
        let c = Container {
            resources: Some(r),
            ..Default::default()
        };
        d.spec().resources = pod::resources(&c).0;
    }
    if let Some(s) = typed_opt::<k8s_openapi::api::core::v1::ResourceRequirements>(
        o,
        "/spec/sentinel/resources",
        "resources",
    )? {
        let c = Container {
            resources: Some(s),
            ..Default::default()
        };
        if let Shape::Failover(f) = &mut d.topology.spec.shape {
            f.sentinel.resources = pod::resources(&c).0;
        }
    }
    if let Some(pvc) = typed_opt::<PersistentVolumeClaimSpec>(
        o,
        "/spec/redis/storage/persistentVolumeClaim/spec",
        "volume claim",
    )? {
        d.spec().persistence = Some(persistence_of(
            o,
            "/spec/redis/storage/persistentVolumeClaim/spec",
            &pvc,
        )?);
    }
    let mut conf = Conf::default();
    for (i, line) in o
        .value
        .pointer("/spec/redis/customConfig")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let Some(line) = line.as_str() else {
            return Err(o.invalid(
                &format!("/spec/redis/customConfig/{i}"),
                "a customConfig line must be text",
            ));
        };
        let c = redisconf::parse_conf(line, "customConfig");
        conf.extend(&c);
    }
    apply_conf(&mut d, conf, &format!("{} customConfig", o.id()));
    if o.value
        .pointer("/spec/redis/exporter/enabled")
        .and_then(Value::as_bool)
        == Some(true)
    {
        let image = match o
            .value
            .pointer("/spec/redis/exporter/image")
            .and_then(Value::as_str)
        {
            Some(i) => i.to_string(),
            None => {
                d.notes.inferred(
                    "/spec/monitoring/exporter/image",
                    "the CR names no exporter image: the operator's default runs",
                );
                "quay.io/oliver006/redis_exporter:v1.33.0-alpine".into()
            }
        };
        set_exporter(&mut d, image, 9121, None, "/spec/monitoring");
    }
    if let Some(pod_spec) = cr_pod_spec(o, "/spec/redis")? {
        settings::read_knobs(&pod_spec, &mut d.topology.spec, &mut d.notes);
    }
    let labels = BTreeMap::from([
        (
            "app.kubernetes.io/component".to_string(),
            "redis".to_string(),
        ),
        ("app.kubernetes.io/name".to_string(), o.name().to_string()),
        (
            "app.kubernetes.io/part-of".to_string(),
            "redis-failover".to_string(),
        ),
    ]);
    related(objects, &mut d, &labels, &ns)?;
    wal(objects, &mut d, &ns)?;
    infer_use(&mut d);
    Ok(d)
}

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
fn wal(objects: &[SourceObject], d: &mut Draft, ns: &str) -> Result<(), ImportError> {
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
            k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(p) => {
                u16::try_from(*p).ok()
            }
            k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::String(_) => None,
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
    let mut topic = crate::spec::WalTopic {
        name: a.topic.clone(),
        partitions: None,
        replicas: None,
        retention_hours: 168,
    };
    let mut retention_read = false;
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
                topic.retention_hours = u32::try_from(ms / 3_600_000).unwrap_or(u32::MAX).max(1);
                retention_read = true;
            }
        }
        if x.kind() == "KafkaUser" && x.name() == user {
            d.roles.insert(k, Role::Kafka);
        }
    }
    if !retention_read {
        d.notes.inferred(
            "/spec/shape/failover/wal/topic/retentionHours",
            "no KafkaTopic with `retention.ms` among the sources: the broker's default, 168 h (log.retention.hours)",
        );
    }
    let wal = crate::spec::Wal {
        kafka: crate::spec::Kafka {
            namespace: (*kafka_ns).to_string(),
            cluster,
            bootstrap: host.clone(),
            port,
        },
        topic,
        applier: crate::spec::Applier {
            image: c.image.clone().unwrap_or_default(),
            replicas,
            user,
            group,
            port: http_port,
            resources: pod::resources(c).0,
        },
        mirror: None,
        restore_window_hours: None,
        secret_store: crate::spec::SecretStoreRef {
            name: "replace-me".into(),
            kind: crate::spec::SecretStoreKind::ClusterSecretStore,
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

/// The affinity and spread of an operator CR's pods, as a pod spec.
fn cr_pod_spec(
    o: &SourceObject,
    at: &str,
) -> Result<Option<k8s_openapi::api::core::v1::PodSpec>, ImportError> {
    let affinity = typed_opt(o, &format!("{at}/affinity"), "affinity")?;
    let spread = typed_opt(
        o,
        &format!("{at}/topologySpreadConstraints"),
        "topology spread constraints",
    )?;
    if affinity.is_none() && spread.is_none() {
        return Ok(None);
    }
    Ok(Some(k8s_openapi::api::core::v1::PodSpec {
        affinity,
        topology_spread_constraints: spread,
        ..Default::default()
    }))
}

/// An OT-CONTAINER-KIT RedisReplication and the RedisSentinel that watches it.
fn replication(
    objects: &[SourceObject],
    idx: usize,
    namespace: Option<&str>,
) -> Result<Draft, ImportError> {
    let o = &objects[idx];
    let ns = namespace_of(o, namespace)?;
    let pods = match o.value.pointer("/spec/clusterSize") {
        Some(v) => v
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| o.invalid("/spec/clusterSize", "not a count of pods"))?,
        None => 3,
    };
    let image = o
        .value
        .pointer("/spec/kubernetesConfig/image")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            o.invalid(
                "/spec/kubernetesConfig",
                "a RedisReplication without `kubernetesConfig.image`",
            )
        })?
        .to_string();
    // The RedisSentinel that names this replication.
    let sentinels: Vec<usize> = objects
        .iter()
        .enumerate()
        .filter(|(_, s)| {
            s.kind() == "RedisSentinel"
                && s.value
                    .pointer("/spec/redisSentinelConfig/redisReplicationName")
                    .and_then(Value::as_str)
                    == Some(o.name())
        })
        .map(|(i, _)| i)
        .collect();
    let sentinel_obj = match sentinels.as_slice() {
        [] => {
            return Err(o.invalid("", "no RedisSentinel names this RedisReplication (`redisSentinelConfig.redisReplicationName`): rkv's replication shape fails over with Sentinel; add it to the sources"));
        }
        [s] => &objects[*s],
        many => {
            return Err(ImportError::Ambiguous {
                what: format!("the Sentinels of {}", o.id()),
                candidates: many.iter().map(|i| objects[*i].id()).collect(),
            });
        }
    };
    let s = sentinel_obj;
    let mut notes = Notes::default();
    let num = |obj: &SourceObject,
               p: &str,
               default: u32,
               field: &str,
               notes: &mut Notes|
     -> Result<u32, ImportError> {
        match obj.value.pointer(p) {
            None | Some(Value::Null) => {
                notes.inferred(
                    &format!("/spec/shape/replication/sentinel/{field}"),
                    format!(
                        "`{}` is not set: Sentinel's default {default} runs",
                        super::source::dotted(p)
                    ),
                );
                Ok(default)
            }
            Some(v) => v
                .as_u64()
                .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| obj.invalid(p, "not a number")),
        }
    };
    let sentinel = Sentinel {
        replicas: match s.value.pointer("/spec/clusterSize") {
            Some(v) => v
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| s.invalid("/spec/clusterSize", "not a count of pods"))?,
            None => 3,
        },
        quorum: num(
            s,
            "/spec/redisSentinelConfig/quorum",
            2,
            "quorum",
            &mut notes,
        )?,
        down_after_ms: num(
            s,
            "/spec/redisSentinelConfig/downAfterMilliseconds",
            30000,
            "downAfterMs",
            &mut notes,
        )?,
        failover_timeout_ms: num(
            s,
            "/spec/redisSentinelConfig/failoverTimeout",
            180000,
            "failoverTimeoutMs",
            &mut notes,
        )?,
        parallel_syncs: num(
            s,
            "/spec/redisSentinelConfig/parallelSyncs",
            1,
            "parallelSyncs",
            &mut notes,
        )?,
        master_name: s
            .value
            .pointer("/spec/redisSentinelConfig/masterGroupName")
            .and_then(Value::as_str)
            .map(str::to_string),
        image: s
            .value
            .pointer("/spec/kubernetesConfig/image")
            .and_then(Value::as_str)
            .map(str::to_string),
        resources: typed_opt::<k8s_openapi::api::core::v1::ResourceRequirements>(
            s,
            "/spec/kubernetesConfig/resources",
            "resources",
        )?
        .and_then(|r| {
            pod::resources(&Container {
                resources: Some(r),
                ..Default::default()
            })
            .0
        }),
    };
    let shape = Shape::Replication(Replication {
        replicas: pods,
        sentinel,
        operator_namespace: None,
    });
    let meta = metadata(o, ns.clone(), crate::target::opstree::OPERATOR_LABELS);
    let mut d = new_draft(
        empty_topology(meta, shape, image),
        format!(
            "{}: OT-CONTAINER-KIT RedisReplication, {pods} Redis pods, watched by {}",
            o.id(),
            s.id()
        ),
    );
    d.notes = notes;
    d.roles.insert(idx, Role::Data);
    if let Some(si) = objects.iter().position(|x| std::ptr::eq(x, s)) {
        d.roles.insert(si, Role::Sentinel);
    }
    if let Some(r) = typed_opt::<k8s_openapi::api::core::v1::ResourceRequirements>(
        o,
        "/spec/kubernetesConfig/resources",
        "resources",
    )? {
        d.spec().resources = pod::resources(&Container {
            resources: Some(r),
            ..Default::default()
        })
        .0;
    }
    if let (Some(name), key) = (
        o.value
            .pointer("/spec/kubernetesConfig/redisSecret/name")
            .and_then(Value::as_str),
        o.value
            .pointer("/spec/kubernetesConfig/redisSecret/key")
            .and_then(Value::as_str),
    ) {
        d.spec().auth = Some(Auth {
            password_secret: crate::spec::SecretKeyRef {
                name: name.to_string(),
                key: key.unwrap_or("password").to_string(),
            },
        });
    }
    if let Some(pvc) = typed_opt::<PersistentVolumeClaimSpec>(
        o,
        "/spec/storage/volumeClaimTemplate/spec",
        "volume claim",
    )? {
        d.spec().persistence = Some(persistence_of(
            o,
            "/spec/storage/volumeClaimTemplate/spec",
            &pvc,
        )?);
    }
    // redisConfig.additionalRedisConfig names a ConfigMap whose `redis-additional.conf` the
    // image includes last.
    let mut conf = Conf::default();
    let mut origin = o.id();
    if let Some(cm) = o
        .value
        .pointer("/spec/redisConfig/additionalRedisConfig")
        .and_then(Value::as_str)
    {
        match pod::configmap_text(objects, &ns, cm, "redis-additional.conf") {
            Some((obj, text)) => {
                conf =
                    redisconf::parse_conf(text, &format!("ConfigMap/{cm} redis-additional.conf"));
                origin = format!("{} redis-additional.conf", obj.id());
                if let Some(ci) = objects.iter().position(|x| std::ptr::eq(x, obj)) {
                    d.roles.insert(ci, Role::Config);
                }
            }
            None => {
                return Err(o.invalid("/spec/redisConfig/additionalRedisConfig", format!("the ConfigMap `{cm}` (key `redis-additional.conf`) is not among the sources: add it")));
            }
        }
    }
    apply_conf(&mut d, conf, &origin);
    if o.value
        .pointer("/spec/redisExporter/enabled")
        .and_then(Value::as_bool)
        == Some(true)
    {
        let image = o
            .value
            .pointer("/spec/redisExporter/image")
            .and_then(Value::as_str)
            .unwrap_or("quay.io/opstree/redis-exporter:v1.44.0")
            .to_string();
        if o.value.pointer("/spec/redisExporter/image").is_none() {
            d.notes.inferred(
                "/spec/monitoring/exporter/image",
                "the CR names no exporter image: the operator's default is a guess",
            );
        }
        let port = o
            .value
            .pointer("/spec/redisExporter/port")
            .and_then(Value::as_u64)
            .and_then(|p| u16::try_from(p).ok())
            .unwrap_or(9121);
        set_exporter(&mut d, image, port, None, "/spec/monitoring");
    }
    if let Some(pod_spec) = cr_pod_spec(o, "/spec")? {
        settings::read_knobs(&pod_spec, &mut d.topology.spec, &mut d.notes);
    }
    // The operator's data PDB (`pdb`): kept as `disruption` when set.
    if o.value
        .pointer("/spec/pdb/enabled")
        .and_then(Value::as_bool)
        == Some(true)
    {
        let min = o
            .value
            .pointer("/spec/pdb/minAvailable")
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok());
        let max = o
            .value
            .pointer("/spec/pdb/maxUnavailable")
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok());
        if min.is_some() || max.is_some() {
            d.source_budget = Some((
                idx,
                match (min, max) {
                    (Some(m), _) => format!("pdb.minAvailable: {m}"),
                    (_, Some(m)) => format!("pdb.maxUnavailable: {m}"),
                    _ => String::new(),
                },
            ));
            d.spec().disruption = Some(Disruption {
                min_available: min,
                max_unavailable: max,
            });
        }
    }
    // The operator's Service, exposed: `kubernetesConfig.service.serviceType`.
    if let Some(t) = o
        .value
        .pointer("/spec/kubernetesConfig/service/serviceType")
        .and_then(Value::as_str)
    {
        let type_ = match t {
            "LoadBalancer" => Some(ServiceType::LoadBalancer),
            "NodePort" => Some(ServiceType::NodePort),
            _ => None,
        };
        if let Some(type_) = type_ {
            let hostname = o
                .value
                .pointer("/spec/kubernetesConfig/service/annotations/external-dns.alpha.kubernetes.io~1hostname")
                .and_then(Value::as_str)
                .map(str::to_string);
            d.spec().exposure = Some(Exposure {
                type_,
                hostname,
                accept_insecure: None,
                source_ranges: Vec::new(),
            });
        }
    }
    let labels = BTreeMap::from([
        ("app".to_string(), o.name().to_string()),
        ("redis_setup_type".to_string(), "replication".to_string()),
        ("role".to_string(), "replication".to_string()),
    ]);
    related(objects, &mut d, &labels, &ns)?;
    infer_use(&mut d);
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_from_find() {
        assert_eq!(
            retention_days("find /backup -name 'x' -mtime +7 -delete"),
            Some(7)
        );
        assert_eq!(retention_days("find /backup -mtime +30"), None);
        assert_eq!(retention_days("-mtime +x -delete"), None);
    }
}
