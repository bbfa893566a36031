//! Bitnami chart values (`redis` 23.x, `redis-cluster` 13.x) to a draft spec.
//!
//! In: a values document, the chart, optionally the chart's own `values.yaml` (its
//! defaults) and the release. Out: a [`Draft`] whose `outputs.helm` renders the release
//! again. Invariant: import reads what the chart runs: the values given over the chart's
//! defaults, the `replica.*` values for Sentinel nodes (the chart ignores `master.*`
//! then, which a note says).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::error::ImportError;
use super::infer::{Draft, Role, infer_use};
use super::notes::Notes;
use super::pod;
use super::redisconf::{self, Conf};
use super::settings::{self, Target};
use super::source::SourceObject;
use crate::spec::{
    ApiVersion, Auth, Client, Cluster, Disruption, Exporter, Exposure, HelmOutput, Metadata,
    Monitoring, Outputs, Persistence, Redis, Replication, SecretKeyRef, Sentinel, ServiceType,
    Shape, Standalone, Topology, TopologyKind, TopologySpec, Use,
};

/// The Bitnami chart a values file is for: the charts rkv writes for.
pub use crate::target::helm::Chart as ChartName;

/// The chart's defaults for every key import reads (checked against the chart's own
/// values.yaml by the tests).
pub fn defaults(chart: ChartName) -> Value {
    match chart {
        ChartName::Redis => json!({
            "architecture": "replication",
            "auth": {"enabled": true, "password": "", "existingSecret": "", "existingSecretPasswordKey": ""},
            "commonConfiguration": "# Enable AOF https://redis.io/topics/persistence#append-only-file\nappendonly yes\n# Disable RDB persistence, AOF persistence already enabled.\nsave \"\"",
            "fullnameOverride": "",
            "image": {"registry": "docker.io", "repository": "bitnami/redis", "tag": "8.2.1-debian-12-r0"},
            "master": {
                "configuration": "",
                "persistence": {"enabled": true, "size": "8Gi", "storageClass": ""},
                "service": {"type": "ClusterIP"}
            },
            "replica": {
                "replicaCount": 3,
                "configuration": "",
                "persistence": {"enabled": true, "size": "8Gi", "storageClass": ""},
                "service": {"type": "ClusterIP"}
            },
            "sentinel": {
                "enabled": false,
                "masterSet": "mymaster",
                "quorum": 2,
                "downAfterMilliseconds": 60000,
                "failoverTimeout": 180000,
                "parallelSyncs": 1,
                "service": {"type": "ClusterIP"}
            },
            "metrics": {
                "enabled": false,
                "image": {"registry": "docker.io", "repository": "bitnami/redis-exporter"},
                "serviceMonitor": {"enabled": false},
                "prometheusRule": {"enabled": false}
            },
            "networkPolicy": {"enabled": true, "extraIngress": []}
        }),
        ChartName::RedisCluster => json!({
            "cluster": {"nodes": 6, "replicas": 1},
            "existingSecret": "",
            "existingSecretPasswordKey": "",
            "fullnameOverride": "",
            "image": {"registry": "docker.io", "repository": "bitnami/redis-cluster", "tag": "8.2.1-debian-12-r0"},
            "password": "",
            "persistence": {"enabled": true, "size": "8Gi", "storageClass": ""},
            "redis": {"configmap": "", "useAOFPersistence": "yes"},
            "usePassword": true,
            "metrics": {
                "enabled": false,
                "image": {"registry": "docker.io", "repository": "bitnami/redis-exporter"},
                "serviceMonitor": {"enabled": false},
                "prometheusRule": {"enabled": false}
            },
            "networkPolicy": {"enabled": true}
        }),
    }
}

/// A Helm release to import.
#[derive(Debug, Clone)]
pub struct HelmInput {
    /// The values document (from `--helm-values`, or a HelmRelease's `spec.values`).
    pub values: SourceObject,
    pub chart: ChartName,
    /// `--chart-version`; the version rkv writes values for when absent.
    pub version: Option<String>,
    /// The chart's own values.yaml (`helm show values`), for the round trip.
    pub defaults: Option<Value>,
    /// The release name; the chart's name when absent.
    pub release: Option<String>,
    pub namespace: Option<String>,
}

/// `defaults` with `over` merged in: maps key by key, everything else replaced.
pub fn merge(defaults: &Value, over: &Value) -> Value {
    match (defaults, over) {
        (Value::Object(a), Value::Object(b)) => {
            let mut out = a.clone();
            for (k, v) in b {
                let merged = match out.get(k) {
                    Some(existing) => merge(existing, v),
                    None => v.clone(),
                };
                out.insert(k.clone(), merged);
            }
            Value::Object(out)
        }
        (_, Value::Null) => defaults.clone(),
        _ => over.clone(),
    }
}

/// What the chart runs: its defaults (the embedded table, then `helm show values` when
/// given) with the release's values over them.
pub fn effective(input: &HelmInput) -> Value {
    let mut base = defaults(input.chart);
    if let Some(d) = &input.defaults {
        base = merge(&base, d);
    }
    merge(&base, &input.values.value)
}

struct Vals<'a> {
    v: &'a Value,
    src: &'a SourceObject,
}

impl Vals<'_> {
    fn get(&self, p: &str) -> Option<&Value> {
        self.v.pointer(p).filter(|v| !v.is_null())
    }
    fn str(&self, p: &str) -> Result<Option<String>, ImportError> {
        match self.get(p) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone()).filter(|s| !s.is_empty())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(_) => Err(self.src.invalid(p, "must be text")),
        }
    }
    fn bool(&self, p: &str) -> Result<bool, ImportError> {
        match self.get(p) {
            None => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(Value::String(s)) if s == "true" || s == "false" => Ok(s == "true"),
            Some(_) => Err(self.src.invalid(p, "must be true or false")),
        }
    }
    fn u32(&self, p: &str) -> Result<Option<u32>, ImportError> {
        match self.get(p) {
            None => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(v) => v
                .as_u64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                .and_then(|n| u32::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| self.src.invalid(p, "must be a whole number")),
        }
    }
    /// Whether the release's own values (not the defaults) set `p`.
    fn given(&self, p: &str) -> bool {
        self.src.value.pointer(p).is_some_and(|v| !v.is_null())
    }
}

/// `registry/repository:tag` without the Docker Hub registry.
fn image_of(vals: &Vals, at: &str) -> Result<Option<String>, ImportError> {
    let Some(repo) = vals.str(&format!("{at}/repository"))? else {
        return Ok(None);
    };
    let registry = vals.str(&format!("{at}/registry"))?.unwrap_or_default();
    let mut image = if registry.is_empty() || registry == "docker.io" {
        repo
    } else {
        format!("{registry}/{repo}")
    };
    if let Some(tag) = vals.str(&format!("{at}/tag"))? {
        image = format!("{image}:{tag}");
    }
    if let Some(digest) = vals.str(&format!("{at}/digest"))? {
        image = format!("{image}@{digest}");
    }
    Ok(Some(image))
}

fn resources_at(vals: &Vals, at: &str) -> Result<Option<crate::spec::Resources>, ImportError> {
    let Some(v) = vals.get(at) else {
        return Ok(None);
    };
    let r: k8s_openapi::api::core::v1::ResourceRequirements = serde_json::from_value(v.clone())
        .map_err(|e| vals.src.invalid(at, format!("not valid resources: {e}")))?;
    Ok(pod::resources(&k8s_openapi::api::core::v1::Container {
        resources: Some(r),
        ..Default::default()
    })
    .0)
}

/// The chart's full name (`redis` for release `redis` of chart `redis`).
fn fullname(vals: &Vals, chart: ChartName, release: &str) -> Result<String, ImportError> {
    if let Some(f) = vals.str("/fullnameOverride")? {
        return Ok(f);
    }
    Ok(if release.contains(chart.name()) {
        release.to_string()
    } else {
        format!("{release}-{}", chart.name())
    })
}

/// Drafts the spec of a Bitnami release. `values_index` is the values document's index
/// among the objects the round trip compares.
pub fn draft(
    input: &HelmInput,
    objects: &[SourceObject],
    values_index: usize,
) -> Result<Draft, ImportError> {
    let eff = effective(input);
    let vals = Vals {
        v: &eff,
        src: &input.values,
    };
    if !input.values.value.is_object() {
        return Err(input.values.invalid("", "Helm values must be a mapping"));
    }
    let release = input
        .release
        .clone()
        .unwrap_or_else(|| input.chart.name().to_string());
    let name = fullname(&vals, input.chart, &release)?;
    let namespace = input.namespace.clone().ok_or_else(|| {
        input.values.invalid(
            "",
            "the release's namespace is not in its values: give it with --namespace",
        )
    })?;
    let mut notes = Notes::default();
    if input.release.is_none() {
        notes.inferred(
            "/spec/outputs/helm/release",
            format!(
                "no release name given: the chart's name, `{}`",
                input.chart.name()
            ),
        );
    }
    let version = match &input.version {
        Some(v) => v.clone(),
        None => {
            notes.inferred(
                "/spec/outputs/helm/version",
                format!(
                    "no --chart-version: the version rkv writes values for, {}",
                    input.chart.version()
                ),
            );
            input.chart.version().to_string()
        }
    };
    notes.inferred(
        "/spec/outputs/helm/repository",
        "Bitnami's OCI registry: set the repository the release installs from",
    );
    let (shape, role, found) = match input.chart {
        ChartName::Redis => {
            let arch = vals.str("/architecture")?.unwrap_or_default();
            let sentinel = vals.bool("/sentinel/enabled")?;
            match (arch.as_str(), sentinel) {
                ("standalone", _) => (
                    Shape::Standalone(Standalone {}),
                    "master",
                    format!("Bitnami `redis` release `{release}`: standalone"),
                ),
                ("replication", true) => {
                    let n = vals.u32("/replica/replicaCount")?.unwrap_or(3);
                    let s = Sentinel {
                        replicas: n,
                        quorum: vals.u32("/sentinel/quorum")?.unwrap_or(2),
                        down_after_ms: vals
                            .u32("/sentinel/downAfterMilliseconds")?
                            .unwrap_or(60000),
                        failover_timeout_ms: vals
                            .u32("/sentinel/failoverTimeout")?
                            .unwrap_or(180000),
                        parallel_syncs: vals.u32("/sentinel/parallelSyncs")?.unwrap_or(1),
                        master_name: vals.str("/sentinel/masterSet")?,
                        image: if vals.given("/sentinel/image") {
                            image_of(&vals, "/sentinel/image")?
                        } else {
                            None
                        },
                        resources: resources_at(&vals, "/sentinel/resources")?,
                    };
                    for (k, field) in [
                        ("/sentinel/quorum", "quorum"),
                        ("/sentinel/downAfterMilliseconds", "downAfterMs"),
                        ("/sentinel/failoverTimeout", "failoverTimeoutMs"),
                        ("/sentinel/parallelSyncs", "parallelSyncs"),
                    ] {
                        if !vals.given(k) {
                            notes.inferred(
                                &format!("/spec/shape/replication/sentinel/{field}"),
                                format!(
                                    "`{}` is not in the values: the chart's default",
                                    super::source::dotted(k)
                                ),
                            );
                        }
                    }
                    notes.inferred(
                        "/spec/shape/replication/sentinel/replicas",
                        "the chart runs one Sentinel beside each of the replica.replicaCount nodes",
                    );
                    (
                        Shape::Replication(Replication {
                            replicas: n,
                            sentinel: s,
                            operator_namespace: None,
                        }),
                        "replica",
                        format!(
                            "Bitnami `redis` release `{release}`: {n} nodes, each Redis + Sentinel"
                        ),
                    )
                }
                ("replication", false) => {
                    return Err(input.values.invalid(
                        "/architecture",
                        "`replication` without Sentinel (a primary and read-only replicas that nothing promotes) has no rkv shape: enable `sentinel`, or import `architecture: standalone`",
                    ));
                }
                (other, _) => {
                    return Err(input.values.invalid(
                        "/architecture",
                        format!("`{other}` is not standalone or replication"),
                    ));
                }
            }
        }
        ChartName::RedisCluster => {
            let nodes = vals.u32("/cluster/nodes")?.unwrap_or(6);
            let r = vals.u32("/cluster/replicas")?.unwrap_or(1);
            if nodes == 0 || nodes % (1 + r) != 0 {
                return Err(input.values.invalid(
                    "/cluster/nodes",
                    format!("{nodes} nodes cannot be shards x (1 + {r})"),
                ));
            }
            (
                Shape::Cluster(Cluster {
                    shards: nodes / (1 + r),
                    replicas_per_shard: r,
                    node_timeout_ms: 15000,
                }),
                "",
                format!(
                    "Bitnami `redis-cluster` release `{release}`: {nodes} nodes ({} shards x (1 + {r}))",
                    nodes / (1 + r)
                ),
            )
        }
    };
    let at = |k: &str| {
        if role.is_empty() {
            format!("/{k}")
        } else {
            format!("/{role}/{k}")
        }
    };
    // Sentinel nodes run replica.*: master.* given in the values never takes effect.
    if role == "replica" {
        for k in [
            "resources",
            "persistence",
            "configuration",
            "podSecurityContext",
            "containerSecurityContext",
        ] {
            if vals.given(&format!("/master/{k}")) {
                notes.unmapped("/spec", format!("`master.{k}` is in the values, but with Sentinel the chart runs every node from `replica.{k}`: it never took effect, and import reads `replica.{k}`"));
            }
        }
    }
    let mut image = image_of(&vals, "/image")?
        .ok_or_else(|| input.values.invalid("/image", "no image repository"))?;
    if input.chart == ChartName::RedisCluster {
        // rkv derives `redis-cluster` from the spec's `redis` image.
        image = image.replacen("redis-cluster", "redis", 1);
    }
    if !vals.given("/image") {
        notes.inferred(
            "/spec/redis/image",
            "the values name no image: the chart's default for this version",
        );
    }
    let topology = Topology {
        api_version: ApiVersion::V1Alpha1,
        kind: TopologyKind::RedisTopology,
        metadata: Metadata {
            name: name.clone(),
            namespace: namespace.clone(),
            part_of: None,
            labels: BTreeMap::new(),
        },
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
            outputs: Some(Outputs {
                kustomize: false,
                helm: Some(HelmOutput {
                    release: release.clone(),
                    namespace: namespace.clone(),
                    version,
                    repository: "oci://registry-1.docker.io/bitnamicharts".into(),
                    interval: "10m".into(),
                }),
            }),
            environments: BTreeMap::new(),
            sites: BTreeMap::new(),
        },
    };
    let mut d = Draft {
        topology,
        notes,
        conf: Conf::default(),
        without_volume: Vec::new(),
        roles: BTreeMap::from([(values_index, Role::HelmValues)]),
        found,
        source_budget: None,
        partial: BTreeMap::new(),
    };
    // Auth.
    let (auth_on, secret, key, password) = match input.chart {
        ChartName::Redis => (
            vals.bool("/auth/enabled")?,
            vals.str("/auth/existingSecret")?,
            vals.str("/auth/existingSecretPasswordKey")?,
            vals.given("/auth/password"),
        ),
        ChartName::RedisCluster => (
            vals.bool("/usePassword")?,
            vals.str("/existingSecret")?,
            vals.str("/existingSecretPasswordKey")?,
            vals.given("/password"),
        ),
    };
    if auth_on {
        if secret.is_none() {
            d.notes.inferred("/spec/auth/passwordSecret", format!("the chart's own Secret `{name}` (key `redis-password`){}; rkv sets `auth.existingSecret`, so the chart stops making it and Helm deletes it on the next upgrade: copy it under another name first and name the copy here", if password { ", made from the password written in the values" } else { ", with a password it generated" }));
        }
        d.topology.spec.auth = Some(Auth {
            password_secret: SecretKeyRef {
                name: secret.unwrap_or_else(|| name.clone()),
                key: key.unwrap_or_else(|| "redis-password".into()),
            },
        });
    }
    // Persistence and resources of the nodes.
    if vals.bool(&at("persistence/enabled"))? {
        let size = vals
            .str(&at("persistence/size"))?
            .unwrap_or_else(|| "8Gi".into());
        if !pod::is_quantity(&size) {
            return Err(input.values.invalid(
                &at("persistence/size"),
                format!("`{size}` is not a storage quantity"),
            ));
        }
        d.topology.spec.persistence = Some(Persistence {
            enabled: true,
            size,
            storage_class: vals.str(&at("persistence/storageClass"))?,
            aof: None,
            rdb_save: None,
        });
    }
    d.topology.spec.resources = match input.chart {
        ChartName::Redis => resources_at(&vals, &at("resources"))?,
        ChartName::RedisCluster => resources_at(&vals, "/redis/resources")?,
    };
    // Redis configuration: the chart's common configuration, then the role's.
    let mut conf = Conf::default();
    let mut origin = Vec::new();
    let sources: Vec<String> = match input.chart {
        ChartName::Redis => vec!["/commonConfiguration".into(), at("configuration")],
        ChartName::RedisCluster => vec!["/redis/configmap".into()],
    };
    for p in &sources {
        if let Some(text) = vals.str(p)? {
            let label = format!("values {}", super::source::dotted(p));
            conf.extend(&redisconf::parse_conf(&text, &label));
            origin.push(label);
        }
    }
    if input.chart == ChartName::RedisCluster {
        let aof = vals
            .str("/redis/useAOFPersistence")?
            .unwrap_or_else(|| "yes".into());
        conf.set("appendonly", &[aof]);
        if let Some(t) = conf
            .get("cluster-node-timeout")
            .and_then(|t| t.parse().ok())
            && let Shape::Cluster(c) = &mut d.topology.spec.shape
        {
            c.node_timeout_ms = t;
        }
    }
    for n in &conf.notes {
        d.notes.unmapped("/spec/redis", n.clone());
    }
    let mut target = Target {
        spec: &mut d.topology.spec,
        without_volume: Vec::new(),
    };
    settings::apply(&conf, &mut target, &mut d.notes, &origin.join(" + "));
    d.without_volume = target.without_volume;
    d.conf = conf;
    // Metrics.
    if vals.bool("/metrics/enabled")? {
        let image =
            image_of(&vals, "/metrics/image")?.unwrap_or_else(|| "bitnami/redis-exporter".into());
        if !vals.given("/metrics/image") {
            d.notes.inferred(
                "/spec/monitoring/exporter/image",
                "the values name no exporter image: the chart's default",
            );
        }
        d.topology.spec.monitoring = Some(Monitoring {
            namespace: "monitoring".into(),
            exporter: Some(Exporter {
                image,
                port: 9121,
                resources: resources_at(&vals, "/metrics/resources")?,
            }),
            alerts: vals.bool("/metrics/prometheusRule/enabled")?,
            service_monitor: vals.bool("/metrics/serviceMonitor/enabled")?,
        });
        d.notes.inferred(
            "/spec/monitoring/namespace",
            "the namespace Prometheus scrapes from is not in the values: `monitoring` is a guess",
        );
    }
    // Clients: the chart's extra ingress rules.
    for (ri, rule) in vals
        .get("/networkPolicy/extraIngress")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        for peer in rule
            .get("from")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let ns = peer
                .pointer("/namespaceSelector/matchLabels/kubernetes.io~1metadata.name")
                .and_then(Value::as_str)
                .map(str::to_string)
                .or_else(|| {
                    peer.get("namespaceSelector")
                        .is_none()
                        .then(|| namespace.clone())
                });
            let Some(ns) = ns else {
                d.notes.unmapped(
                    "/spec/clients",
                    format!(
                        "networkPolicy.extraIngress[{ri}]: a peer that is not a namespace by name"
                    ),
                );
                continue;
            };
            let pods: BTreeMap<String, String> = peer
                .pointer("/podSelector/matchLabels")
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                        .collect()
                })
                .unwrap_or_default();
            let c = Client {
                namespace: ns,
                pod_selector: pods,
            };
            if !d.topology.spec.clients.contains(&c) {
                d.topology.spec.clients.push(c);
            }
        }
    }
    // Exposure: the Service clients reach.
    let svc = match (&d.topology.spec.shape, input.chart) {
        (Shape::Replication(_), _) => "/sentinel/service/type",
        (_, ChartName::Redis) => "/master/service/type",
        _ => "/service/type",
    };
    match vals.str(svc)?.as_deref() {
        Some("LoadBalancer") => {
            d.topology.spec.exposure = Some(Exposure {
                type_: ServiceType::LoadBalancer,
                hostname: None,
                accept_insecure: None,
                source_ranges: Vec::new(),
            })
        }
        Some("NodePort") => {
            d.topology.spec.exposure = Some(Exposure {
                type_: ServiceType::NodePort,
                hostname: None,
                accept_insecure: None,
                source_ranges: Vec::new(),
            })
        }
        _ => {}
    }
    // The chart's PDB over the nodes.
    let pdb = match input.chart {
        ChartName::Redis => at("pdb"),
        ChartName::RedisCluster => "/pdb".into(),
    };
    if vals.bool(&format!("{pdb}/create"))? {
        let min = vals.u32(&format!("{pdb}/minAvailable"))?;
        let max = vals.u32(&format!("{pdb}/maxUnavailable"))?;
        if min.is_some() || max.is_some() {
            d.source_budget = Some((values_index, format!("{}.pdb", role)));
            d.topology.spec.disruption = Some(Disruption {
                min_available: min,
                max_unavailable: max,
            });
        }
    }
    // PDBs beside the release that select its pods.
    for (i, o) in objects.iter().enumerate() {
        if o.kind() != "PodDisruptionBudget"
            || (!o.namespace().is_empty() && o.namespace() != namespace)
        {
            continue;
        }
        let sel = o
            .value
            .pointer("/spec/selector")
            .cloned()
            .unwrap_or(Value::Null);
        let labels = BTreeMap::from([
            (
                "app.kubernetes.io/name".to_string(),
                input.chart.name().to_string(),
            ),
            ("app.kubernetes.io/instance".to_string(), release.clone()),
        ]);
        if sel.is_null() || !pod::selects(&sel, &labels) {
            continue;
        }
        d.roles.insert(i, Role::DataPdb);
        let min = o
            .value
            .pointer("/spec/minAvailable")
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok());
        let max = o
            .value
            .pointer("/spec/maxUnavailable")
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok());
        if min.is_some() || max.is_some() {
            d.source_budget = Some((
                i,
                match (min, max) {
                    (Some(m), _) => format!("minAvailable: {m}"),
                    (_, Some(m)) => format!("maxUnavailable: {m}"),
                    _ => String::new(),
                },
            ));
            d.topology.spec.disruption = Some(Disruption {
                min_available: min,
                max_unavailable: max,
            });
        }
    }
    backups_beside(objects, &mut d, &namespace)?;
    infer_use(&mut d);
    Ok(d)
}

/// A backup CronJob beside the release (seed 002's `redis-backup`): its schedule and
/// retention become `backup`.
fn backups_beside(
    objects: &[SourceObject],
    d: &mut Draft,
    namespace: &str,
) -> Result<(), ImportError> {
    for (i, o) in objects.iter().enumerate() {
        if o.kind() != "CronJob" || (!o.namespace().is_empty() && o.namespace() != namespace) {
            continue;
        }
        let text = o
            .value
            .pointer("/spec/jobTemplate")
            .map(Value::to_string)
            .unwrap_or_default();
        if !(text.contains("bgsave") || text.contains("BGSAVE") || text.contains("--rdb")) {
            continue;
        }
        let schedule = o
            .value
            .pointer("/spec/schedule")
            .and_then(Value::as_str)
            .ok_or_else(|| o.invalid("/spec/schedule", "a CronJob without a schedule"))?
            .to_string();
        d.roles.insert(i, Role::Backup);
        let days = text
            .find("-mtime +")
            .map(|p| {
                text[p + 8..]
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect::<String>()
            })
            .and_then(|s| s.parse().ok());
        let size = d
            .topology
            .spec
            .persistence
            .as_ref()
            .map(|p| p.size.clone())
            .unwrap_or_else(|| "10Gi".into());
        d.notes.inferred("/spec/backup/size", format!("the backup PVC of `{}` is not among the sources: the data volume's size is a guess", o.name()));
        if days.is_none() {
            d.notes.inferred(
                "/spec/backup/retentionDays",
                "no retention in the CronJob (`find -mtime +N -delete`): 7 days is a guess",
            );
        }
        d.topology.spec.backup = Some(crate::spec::Backup {
            schedule,
            retention_days: days.unwrap_or(7),
            retention_schedule: "30 3 * * *".into(),
            size,
            storage_class: None,
        });
        d.notes.inferred("/spec/backup/retentionSchedule", "the source deletes old backups inside the backup job: rkv runs retention as its own daily CronJob");
    }
    Ok(())
}
