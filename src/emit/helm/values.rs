//! Values documents for the Bitnami `redis` (23.x) and `redis-cluster` (13.x) charts.
//!
//! In: a plan whose shape is standalone, replication or cluster. Out: the values as a
//! [`serde_json::Value`] built from typed pieces, and the comment lines (the arithmetic)
//! written above them. Invariant: every key exists in the chart's `values.yaml` (the
//! tests check both charts key by key) and every value has the type the chart's schema
//! wants; every number not a spec fact (PDB, maxmemory) comes from the plan.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Capabilities, ResourceRequirements, SeccompProfile};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::emit::alerts::{self, Scope};
use crate::emit::{common, placement, security};
use crate::plan::model::Plan;
use crate::plan::settings;
use crate::spec::{Cluster, Replication};
use crate::target::helm::{
    CA_FILE, CERT_FILE, Chart, Image, KEY_FILE, KUBECTL_TAG, SENTINEL_PORT, Workload,
    master_service as master_service_name,
};
use crate::target::monitoring::Rule;

mod auth;
mod images;
mod reach;
mod scheduling;

use images::sentinel_image;
use reach::{RoleService, exposed_service, network_policy};
use scheduling::{Scheduling, global, scheduling};

/// `podSecurityContext` as the charts read it (only the keys their `values.yaml` has).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct PodSecurity {
    enabled: bool,
    fs_group: i64,
}

/// `containerSecurityContext` as the charts read it: rkv's hardening (non-root, no
/// escalation, every capability dropped, RuntimeDefault seccomp, read-only root: the
/// charts mount an emptyDir for `/tmp`) in the charts' keys, as the chart's user.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct ContainerSecurity {
    enabled: bool,
    run_as_user: i64,
    run_as_group: i64,
    run_as_non_root: Option<bool>,
    allow_privilege_escalation: Option<bool>,
    read_only_root_filesystem: Option<bool>,
    seccomp_profile: Option<SeccompProfile>,
    capabilities: Option<Capabilities>,
    /// Only the redis-cluster chart has this key.
    #[serde(skip_serializing_if = "Option::is_none")]
    privileged: Option<bool>,
}

fn container_security(uid: i64, chart: Chart) -> ContainerSecurity {
    let h = security::container_with_seccomp();
    ContainerSecurity {
        enabled: true,
        run_as_user: uid,
        run_as_group: uid,
        run_as_non_root: h.run_as_non_root,
        allow_privilege_escalation: h.allow_privilege_escalation,
        read_only_root_filesystem: h.read_only_root_filesystem,
        seccomp_profile: h.seccomp_profile,
        capabilities: h.capabilities,
        privileged: (chart == Chart::RedisCluster).then_some(false),
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct Persistence {
    enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    size: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    storage_class: Option<String>,
}

/// `pdb` / `master.pdb` / `replica.pdb`: numbers from the plan's budget only.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct Pdb {
    create: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    min_available: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_unavailable: Option<u32>,
}

fn pdb(plan: &Plan) -> Pdb {
    match &plan.data_budget {
        Some(b) => Pdb {
            create: true,
            min_available: b.min_available,
            max_unavailable: b.max_unavailable,
        },
        // No safe budget (one pod, or a cluster too small to vote): no PDB rather than
        // one that blocks every drain or promises what it cannot keep.
        None => Pdb {
            create: false,
            min_available: None,
            max_unavailable: None,
        },
    }
}

/// One role's pods (`master`, `replica`) in the redis chart.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct Role {
    #[serde(skip_serializing_if = "Option::is_none")]
    replica_count: Option<u32>,
    automount_service_account_token: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    resources: Option<ResourceRequirements>,
    pod_security_context: PodSecurity,
    container_security_context: ContainerSecurity,
    persistence: Persistence,
    pdb: Pdb,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pod_labels: BTreeMap<String, String>,
    /// The master Service outside the cluster (`exposure`, standalone only).
    #[serde(skip_serializing_if = "Option::is_none")]
    service: Option<RoleService>,
    #[serde(flatten)]
    scheduling: Scheduling,
}

/// The chart's pods of one role, by the labels the Bitnami charts put on them
/// (`common.labels.matchLabels` and the component of the role's StatefulSet).
pub fn chart_pods(plan: &Plan, chart: Chart, component: Option<&str>) -> LabelSelector {
    let mut m = BTreeMap::from([
        (
            "app.kubernetes.io/name".to_string(),
            chart.name().to_string(),
        ),
        ("app.kubernetes.io/instance".to_string(), release(plan)),
    ]);
    if let Some(c) = component {
        m.insert("app.kubernetes.io/component".into(), c.into());
    }
    LabelSelector {
        match_labels: Some(m),
        ..Default::default()
    }
}

fn release(plan: &Plan) -> String {
    plan.outputs
        .helm
        .as_ref()
        .map_or_else(|| plan.name.clone(), |h| h.release.clone())
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct SentinelValues {
    enabled: bool,
    image: Image,
    #[serde(skip_serializing_if = "Option::is_none")]
    master_set: Option<String>,
    quorum: u32,
    down_after_milliseconds: u32,
    failover_timeout: u32,
    parallel_syncs: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    resources: Option<ResourceRequirements>,
    container_security_context: ContainerSecurity,
    /// The Service `<fullname>-master` that follows the primary, for clients that are
    /// not Sentinel-aware.
    #[serde(skip_serializing_if = "Option::is_none")]
    master_service: Option<Enabled>,
}

/// Whether the redis chart under Sentinel must render `sentinel.masterService`: some
/// client connects to one address that must lead to the primary.
pub fn master_service(plan: &Plan, workload: Workload<'_>) -> bool {
    matches!(workload, Workload::Sentinel(_)) && plan.spec.clients.iter().any(|c| !c.sentinel_aware)
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct Tls {
    enabled: bool,
    auth_clients: bool,
    existing_secret: String,
    cert_filename: &'static str,
    cert_key_filename: &'static str,
    #[serde(rename = "certCAFilename")]
    cert_ca_filename: &'static str,
}

fn tls(plan: &Plan) -> Option<Tls> {
    plan.spec.tls.as_ref().map(|t| Tls {
        enabled: true,
        auth_clients: t.mutual,
        existing_secret: t.server_secret.clone(),
        cert_filename: CERT_FILE,
        cert_key_filename: KEY_FILE,
        cert_ca_filename: CA_FILE,
    })
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct Metrics {
    enabled: bool,
    image: Image,
    /// The exporter's port (`monitoring.exporter.port`); the chart's Services and the
    /// NetworkPolicy rule follow it.
    container_ports: MetricsPorts,
    #[serde(skip_serializing_if = "Option::is_none")]
    resources: Option<ResourceRequirements>,
    container_security_context: ContainerSecurity,
    service_monitor: Enabled,
    prometheus_rule: PrometheusRule,
}

#[derive(Debug, Clone, Serialize)]
struct MetricsPorts {
    http: u16,
}

#[derive(Debug, Clone, Serialize)]
struct Enabled {
    enabled: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct PrometheusRule {
    enabled: bool,
    additional_labels: BTreeMap<String, String>,
    rules: Vec<Rule>,
}

/// The chart's rules: every pod the chart names starts with the fullname (`redis-node-0`,
/// `redis-master-0`, `redis-0` for redis-cluster), every claim with `redis-data-`.
pub fn alert_rules(plan: &Plan, chart: Chart) -> Vec<Rule> {
    alerts::rules(
        plan,
        &Scope {
            pods: format!("{}-.+", plan.name),
            claims: format!("redis-data-{}-.+", plan.name),
            cluster: chart == Chart::RedisCluster,
        },
    )
}

fn exporter(plan: &Plan) -> Option<&crate::spec::Exporter> {
    plan.spec.monitoring.as_ref()?.exporter.as_ref()
}

fn metrics(plan: &Plan, chart: Chart) -> Option<Metrics> {
    let mon = plan.spec.monitoring.as_ref()?;
    let e = mon.exporter.as_ref()?;
    let rules = if mon.alerts {
        alert_rules(plan, chart)
    } else {
        Vec::new()
    };
    Some(Metrics {
        enabled: true,
        image: Image::parse(&e.image),
        container_ports: MetricsPorts { http: e.port },
        resources: common::resources(e.resources.as_ref()),
        container_security_context: container_security(plan.run_as_user, chart),
        service_monitor: Enabled {
            enabled: mon.service_monitor,
        },
        prometheus_rule: PrometheusRule {
            enabled: !rules.is_empty(),
            additional_labels: labels_for_chart(plan),
            rules,
        },
    })
}

/// Labels rkv adds to the chart's objects: `part-of` and the spec's extra labels, never
/// `managed-by: rkv` (the chart's objects are Helm's: `rkv diff` must not prune them) and
/// never `name`/`instance` (the charts build their selectors from those).
fn labels_for_chart(plan: &Plan) -> BTreeMap<String, String> {
    let mut l = plan.extra_labels.clone();
    l.insert("app.kubernetes.io/part-of".into(), plan.part_of.clone());
    l
}

fn persistence(plan: &Plan) -> Persistence {
    match plan.spec.persistence.as_ref() {
        Some(p) if p.enabled => Persistence {
            enabled: true,
            size: Some(p.size.clone()),
            storage_class: p.storage_class.clone(),
        },
        _ => Persistence {
            enabled: false,
            size: None,
            storage_class: None,
        },
    }
}

/// The Redis configuration lines every node gets, in redis.conf syntax. `appendonly` is
/// written for the redis chart only: the redis-cluster chart sets it from
/// `redis.useAOFPersistence`.
pub fn redis_conf(plan: &Plan, chart: Chart) -> String {
    settings::settings(plan)
        .iter()
        .filter(|s| !(chart == Chart::RedisCluster && s.key == "appendonly"))
        .map(|s| match s.key.as_str() {
            "save" if s.args.is_empty() => "save \"\"".to_string(),
            _ => format!("{} {}", s.key, s.value()),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The values document and the lines written above it.
pub fn values(plan: &Plan, workload: Workload<'_>) -> (Value, Vec<String>) {
    let chart = workload.chart();
    let mut v = Map::new();
    let mut notes = Vec::new();
    if let Some(g) = global(plan) {
        v.insert("global".into(), g);
    }
    images::allow_insecure(plan, workload, &mut v, &mut notes);
    v.insert("fullnameOverride".into(), json!(plan.name));
    v.insert("commonLabels".into(), json!(labels_for_chart(plan)));
    let image = Image::parse(&plan.spec.redis.image);
    let port = plan.spec.redis.port;
    let net_ports: Vec<u16> = match workload {
        Workload::Sentinel(_) => vec![port, SENTINEL_PORT],
        Workload::Standalone | Workload::Cluster(_) => vec![port],
    };
    match workload {
        Workload::Standalone => redis_chart(plan, image, None, &mut v, &mut notes),
        Workload::Sentinel(r) => redis_chart(plan, image, Some(r), &mut v, &mut notes),
        Workload::Cluster(c) => cluster_chart(plan, c, image, &mut v, &mut notes),
    }
    if let Some(t) = tls(plan) {
        v.insert("tls".into(), json!(t));
    }
    v.insert(
        "networkPolicy".into(),
        json!(network_policy(plan, workload, &net_ports)),
    );
    if let Some(m) = metrics(plan, chart) {
        v.insert("metrics".into(), json!(m));
    }
    v.insert(
        "serviceAccount".into(),
        json!({"automountServiceAccountToken": false}),
    );
    if let Some(b) = &plan.data_budget {
        notes.push("PodDisruptionBudget:".into());
        notes.extend(b.reasoning.iter().map(|l| format!("  {l}")));
    }
    if !plan.maxmemory_reasoning.is_empty() {
        notes.push("maxmemory:".into());
        notes.extend(plan.maxmemory_reasoning.iter().map(|l| format!("  {l}")));
    }
    (Value::Object(v), notes)
}

/// The `redis` chart: standalone, or replication with `sentinel`.
fn redis_chart(
    plan: &Plan,
    image: Image,
    sentinel: Option<&Replication>,
    v: &mut Map<String, Value>,
    notes: &mut Vec<String>,
) {
    let uid = plan.run_as_user;
    let workload = match sentinel {
        Some(r) => Workload::Sentinel(r),
        None => Workload::Standalone,
    };
    let role = |replica_count: Option<u32>, pdb: Pdb, component: Option<&str>| Role {
        replica_count,
        automount_service_account_token: false,
        resources: common::resources(plan.spec.resources.as_ref()),
        pod_security_context: PodSecurity {
            enabled: true,
            fs_group: uid,
        },
        container_security_context: container_security(uid, Chart::Redis),
        persistence: persistence(plan),
        pdb,
        pod_labels: BTreeMap::new(),
        service: None,
        scheduling: scheduling(plan, workload, component),
    };
    let no_pdb = Pdb {
        create: false,
        min_available: None,
        max_unavailable: None,
    };
    v.insert("image".into(), json!(image));
    auth::redis_chart(plan, v);
    v.insert(
        "commonConfiguration".into(),
        json!(redis_conf(plan, Chart::Redis)),
    );
    match sentinel {
        Some(r) => {
            let s = &r.sentinel;
            v.insert("architecture".into(), json!("replication"));
            notes.push(format!(
                "With Sentinel the chart runs ONE StatefulSet `{}-node` of replica.replicaCount = {} pods, \
                 each Redis + Sentinel: 1 primary + {} replicas (not 1 + replicaCount).",
                plan.name,
                r.replicas,
                r.replicas.saturating_sub(1)
            ));
            notes.push(
                "One PDB (replica.pdb) covers every node, so every Sentinel too; master.pdb is off.".into(),
            );
            // Under Sentinel there is no master StatefulSet; master.* is kept equal so
            // nothing differs if the architecture is ever switched.
            v.insert("master".into(), json!(role(None, no_pdb, Some("master"))));
            let follow = master_service(plan, Workload::Sentinel(r));
            let mut replica = role(Some(r.replicas), pdb(plan), None);
            // The chart's `kubectl-shared` sidecar labels the primary with the pod's token.
            replica.automount_service_account_token = follow;
            v.insert("replica".into(), json!(replica));
            let sentinel_image = sentinel_image(r, &image);
            v.insert(
                "sentinel".into(),
                json!(SentinelValues {
                    enabled: true,
                    image: sentinel_image,
                    master_set: s.master_name.clone(),
                    quorum: s.quorum,
                    down_after_milliseconds: s.down_after_ms,
                    failover_timeout: s.failover_timeout_ms,
                    parallel_syncs: s.parallel_syncs,
                    resources: common::resources(s.resources.as_ref()),
                    container_security_context: container_security(uid, Chart::Redis),
                    master_service: follow.then_some(Enabled { enabled: true }),
                }),
            );
            if follow {
                notes.push(format!(
                    "sentinel.masterService: Service `{}` follows the primary for clients that do not ask Sentinel (`sentinelAware: false`);",
                    master_service_name(&plan.name)
                ));
                notes.push(
                    "  the chart's kubectl-shared sidecar labels the primary `isMaster: \"true\"` through the API server, so the chart needs rbac.create,".into(),
                );
                notes.push(
                    "  replica.automountServiceAccountToken and egress to the API server (ports 443, 6443).".into(),
                );
                v.insert("rbac".into(), json!({"create": true}));
                let mut kubectl = image.sibling("kubectl");
                kubectl.tag = KUBECTL_TAG.into();
                kubectl.digest = String::new();
                v.insert("kubectl".into(), json!({"image": kubectl}));
            }
        }
        None => {
            v.insert("architecture".into(), json!("standalone"));
            let master = Role {
                service: exposed_service(plan),
                ..role(None, no_pdb, None)
            };
            v.insert("master".into(), json!(master));
            notes.push(
                "No PodDisruptionBudget: with one pod it would either block every drain or allow the only pod to go."
                    .into(),
            );
        }
    }
}

fn cluster_chart(
    plan: &Plan,
    c: &Cluster,
    image: Image,
    v: &mut Map<String, Value>,
    notes: &mut Vec<String>,
) {
    let uid = plan.run_as_user;
    let nodes = c.shards.saturating_mul(1 + c.replicas_per_shard);
    notes.push(format!(
        "cluster.nodes = shards x (1 + replicasPerShard) = {} x (1 + {}) = {nodes}",
        c.shards, c.replicas_per_shard
    ));
    v.insert("image".into(), json!(image.sibling("redis-cluster")));
    auth::cluster_chart(plan, v);
    v.insert(
        "cluster".into(),
        json!({"init": true, "nodes": nodes, "replicas": c.replicas_per_shard}),
    );
    v.insert("persistence".into(), json!(persistence(plan)));
    let aof = plan
        .spec
        .persistence
        .as_ref()
        .is_some_and(|p| p.enabled && p.aof.is_some());
    let mut redis = Map::new();
    redis.insert("automountServiceAccountToken".into(), json!(false));
    redis.insert(
        "useAOFPersistence".into(),
        json!(if aof { "yes" } else { "no" }),
    );
    redis.insert(
        "configmap".into(),
        json!(redis_conf(plan, Chart::RedisCluster)),
    );
    if let Some(r) = common::resources(plan.spec.resources.as_ref()) {
        redis.insert("resources".into(), json!(r));
    }
    if let Value::Object(m) = json!(scheduling(plan, Workload::Cluster(c), None)) {
        redis.extend(m);
    }
    v.insert("redis".into(), Value::Object(redis));
    // The chart's cluster-update Job runs the Redis image on the same nodes: it takes the
    // node selector and tolerations, never the serving pods' annotations or priority.
    let job = Scheduling {
        node_selector: placement::node_selector(plan.spec.placement.as_ref()),
        tolerations: placement::tolerations(plan.spec.placement.as_ref()),
        ..Scheduling::default()
    };
    if let Value::Object(m) = json!(job)
        && !m.is_empty()
    {
        v.insert("updateJob".into(), Value::Object(m));
    }
    v.insert(
        "podSecurityContext".into(),
        json!(PodSecurity {
            enabled: true,
            fs_group: uid
        }),
    );
    v.insert(
        "containerSecurityContext".into(),
        json!(container_security(uid, Chart::RedisCluster)),
    );
    v.insert("pdb".into(), json!(pdb(plan)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::model::plan;
    use crate::spec::{Shape, load_str, resolve::resolve};

    fn values_for(image: &str, exporter: &str) -> Value {
        let text = format!(
            "apiVersion: rkv.dev/v1alpha1\nkind: RedisTopology\nmetadata: {{name: redis, namespace: redis}}\n\
             spec:\n  use: cache\n  shape: {{standalone: {{}}}}\n  redis: {{image: \"{image}\"}}\n\
             \x20 monitoring: {{namespace: monitoring, exporter: {{image: \"{exporter}\"}}}}\n\
             \x20 outputs:\n    kustomize: false\n    helm: {{release: redis, namespace: redis, version: 23.1.1, repository: oci://x}}\n"
        );
        let loaded = load_str("t.yaml", text).expect("loads");
        let p = plan(&resolve(&loaded.topology)[0], "t.yaml");
        values(&p, Workload::Standalone).0
    }

    #[test]
    fn the_insecure_images_switch_is_set_only_for_images_the_chart_refuses() {
        let switch = |v: &Value| v["global"]["security"]["allowInsecureImages"].clone();
        let own = values_for("bitnami/redis:latest", "bitnami/redis-exporter:latest");
        assert_eq!(switch(&own), Value::Null);
        assert!(own.get("global").is_none());
        for (image, exporter) in [
            ("bitnamilegacy/redis:7.2", "bitnami/redis-exporter:latest"),
            (
                "bitnami/redis:latest",
                "bitnamilegacy/redis-exporter:1.58.0",
            ),
            (
                "registry.example.com/bitnami/redis:7.2",
                "bitnami/redis-exporter:latest",
            ),
        ] {
            assert_eq!(
                switch(&values_for(image, exporter)),
                json!(true),
                "{image} {exporter}"
            );
        }
    }

    /// The Bitnami profile's values, its clients Sentinel-aware or not.
    fn bitnami(sentinel_aware: bool) -> Value {
        let mut text = include_str!("../../../profiles/bitnami-redis.yaml").to_string();
        if sentinel_aware {
            text = text.replace("      sentinelAware: false\n", "");
        }
        let loaded = load_str("bitnami-redis.yaml", text).expect("loads");
        let p = plan(&resolve(&loaded.topology)[0], "bitnami-redis.yaml");
        let Shape::Replication(r) = &p.spec.shape else {
            panic!("a replication profile")
        };
        values(&p, Workload::Sentinel(r)).0
    }

    #[test]
    fn clients_that_do_not_ask_sentinel_get_the_master_service() {
        let v = bitnami(false);
        assert_eq!(v["sentinel"]["masterService"]["enabled"], json!(true));
        // What the chart's values validation asks for with a master Service.
        assert_eq!(v["rbac"]["create"], json!(true));
        assert_eq!(v["replica"]["automountServiceAccountToken"], json!(true));
        // The sibling of the profile's Redis image, so from where it still pulls (RKV177).
        assert_eq!(
            v["kubectl"]["image"]["repository"],
            json!("bitnamilegacy/kubectl")
        );
        let egress = v["networkPolicy"]["extraEgress"]
            .as_array()
            .expect("egress");
        assert!(egress.iter().any(|e| e.get("to").is_none()
            && e["ports"]
                == json!([{"port": 443, "protocol": "TCP"}, {"port": 6443, "protocol": "TCP"}])));

        // Sentinel-aware clients: none of it, and no token in the pods.
        let v = bitnami(true);
        assert!(v["sentinel"].get("masterService").is_none());
        assert!(v.get("rbac").is_none() && v.get("kubectl").is_none());
        assert_eq!(v["replica"]["automountServiceAccountToken"], json!(false));
        assert_eq!(
            v["networkPolicy"]["extraEgress"].as_array().map(Vec::len),
            Some(1)
        );
    }
}
