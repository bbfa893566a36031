//! The round trip: the source objects against the objects rkv renders from the imported
//! spec, object by object and field by field.
//!
//! In: the source objects with their roles, the rendered objects (and Helm values), the
//! fixes import made. Out: an [`ObjectReport`] per object: fields identical, changed on
//! purpose (with the reason or finding code), or lost.
//!
//! Both sides are normalized the same way first, so that only meaning is compared:
//! fields a server sets are dropped and Kubernetes' defaults filled in (a `kubectl get`
//! dump compares like a hand-written file); Redis configuration is compared directive by
//! directive with Redis's defaults, wherever it lives (`redis.conf` in a ConfigMap,
//! `redis-server` arguments, `sh -c` lines, operator `customConfig`, chart values);
//! list items are matched by name (containers, env, ports), mount path or source (volumes).
//!
//! Here: both sides normalized (`normalize`, the Redis configuration in `config`), paired
//! (same kind and name, then the same role), and what stays unpaired explained; a pair is
//! compared leaf by leaf in `fields`.

mod config;
mod fields;
mod normalize;

use std::collections::BTreeMap;

use serde_json::Value;

use super::infer::Role;
use super::report::{Fix, ObjectReport, Outcome};
use super::source::{SourceObject, object_id};
use crate::diag::codes;
use fields::compare_pair;
use normalize::normalize;

pub use fields::display;

/// What the round trip compares.
pub struct Input<'a> {
    /// The source objects; the Helm values document, when there is one, among them.
    pub sources: &'a [SourceObject],
    pub roles: &'a BTreeMap<usize, Role>,
    /// What of a source object folded into the spec the spec cannot express.
    pub partial: &'a BTreeMap<usize, Vec<String>>,
    /// The rendered cluster objects of the imported variant.
    pub rendered: &'a [Value],
    /// The rendered Helm values document and its file.
    pub rendered_values: Option<(String, Value)>,
    pub fixes: &'a [Fix],
    /// The chart's defaults, merged under both values documents before they are compared.
    pub chart_defaults: Option<Value>,
    /// The chart's own values.yaml, when given: a key it does not have never took effect.
    pub chart_values: Option<Value>,
    /// The chart runs Sentinel nodes from `replica.*` (so `master.*` never took effect).
    pub sentinel_nodes: bool,
    /// rkv's budget over the data pods, as it reads (`minAvailable: 5`).
    pub budget: String,
}

struct Side {
    kind: String,
    id: String,
    role: Option<Role>,
    value: Value,
}

pub fn compare(input: &Input) -> Vec<ObjectReport> {
    let src_conf = |ns: &str, name: &str, key: &str| -> Option<String> {
        crate::import::pod::configmap_text(input.sources, ns, name, key).map(|(_, t)| t.to_string())
    };
    let rendered_objs: Vec<SourceObject> = input
        .rendered
        .iter()
        .map(|v| SourceObject::unplaced(v.clone(), "rendered"))
        .collect();
    let dst_conf = |ns: &str, name: &str, key: &str| -> Option<String> {
        crate::import::pod::configmap_text(&rendered_objs, ns, name, key)
            .map(|(_, t)| t.to_string())
    };
    let mut sources: Vec<Side> = Vec::new();
    for (i, o) in input.sources.iter().enumerate() {
        let role = input.roles.get(&i).copied();
        let kind = if role == Some(Role::HelmValues) {
            "HelmValues".to_string()
        } else {
            o.kind().to_string()
        };
        let id = if role == Some(Role::HelmValues) {
            format!("values {}", o.file)
        } else {
            format!("{} ({})", o.id(), o.place(""))
        };
        let value = normalize(&kind, &o.value, role, &src_conf, input);
        sources.push(Side {
            kind,
            id,
            role,
            value,
        });
    }
    let mut rendered: Vec<Side> = input
        .rendered
        .iter()
        .map(|v| {
            let kind = v
                .get("kind")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let role = rendered_role(v);
            Side {
                value: normalize(&kind, v, role, &dst_conf, input),
                kind,
                id: object_id(v),
                role,
            }
        })
        .collect();
    if let Some((path, v)) = &input.rendered_values {
        rendered.push(Side {
            kind: "HelmValues".into(),
            id: path.clone(),
            role: Some(Role::HelmValues),
            value: normalize("HelmValues", v, Some(Role::HelmValues), &dst_conf, input),
        });
    }

    // Pair: same kind and name first, then the same role.
    let mut pair: Vec<Option<usize>> = vec![None; sources.len()];
    let mut taken = vec![false; rendered.len()];
    let name_of = |v: &Value| {
        v.pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    for (i, s) in sources.iter().enumerate() {
        if s.kind == "HelmValues" {
            continue;
        }
        if let Some(j) = rendered.iter().enumerate().position(|(j, r)| {
            !taken[j] && r.kind == s.kind && name_of(&r.value) == name_of(&s.value)
        }) {
            pair[i] = Some(j);
            taken[j] = true;
        }
    }
    for (i, s) in sources.iter().enumerate() {
        if pair[i].is_some() {
            continue;
        }
        let Some(role) = s
            .role
            .filter(|r| !matches!(r, Role::NetworkPolicy | Role::Absorbed))
        else {
            continue;
        };
        let same_kind = rendered
            .iter()
            .enumerate()
            .position(|(j, r)| !taken[j] && r.role == Some(role) && r.kind == s.kind);
        let any_kind = || {
            rendered
                .iter()
                .enumerate()
                .position(|(j, r)| !taken[j] && r.role == Some(role) && role == Role::Data)
        };
        if let Some(j) = same_kind.or_else(any_kind) {
            pair[i] = Some(j);
            taken[j] = true;
        }
    }

    let mut out = Vec::new();
    for (i, s) in sources.iter().enumerate() {
        match pair[i] {
            Some(j) => out.push(compare_pair(s, &rendered[j], input)),
            None => out.push(unpaired_source(s, input.partial.get(&i), input)),
        }
    }
    for (j, r) in rendered.iter().enumerate() {
        if !taken[j] {
            out.push(ObjectReport {
                source: None,
                rendered: Some(r.id.clone()),
                outcome: Outcome::Added,
                identical: 0,
                added: BTreeMap::new(),
                differences: Vec::new(),
                reason: added_reason(&r.kind, &r.id).to_string(),
                code: None,
            });
        }
    }
    out
}

/// The role of a rendered object, from its kind, component label and name.
fn rendered_role(v: &Value) -> Option<Role> {
    let kind = v.get("kind").and_then(Value::as_str).unwrap_or("");
    let component = v
        .pointer("/metadata/labels/app.kubernetes.io~1component")
        .and_then(Value::as_str)
        .unwrap_or("");
    let name = v
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    Some(match kind {
        "Deployment" | "StatefulSet" if component == "server" => Role::Data,
        "RedisFailover" | "RedisReplication" => Role::Data,
        "RedisSentinel" => Role::Sentinel,
        "ConfigMap" if name.ends_with("-config") => Role::Config,
        "Service" => {
            let spec = v.get("spec");
            if spec
                .and_then(|s| s.get("clusterIP"))
                .and_then(Value::as_str)
                == Some("None")
            {
                Role::Headless
            } else if matches!(
                spec.and_then(|s| s.get("type")).and_then(Value::as_str),
                Some("LoadBalancer" | "NodePort")
            ) {
                Role::ExternalService
            } else {
                Role::ClientService
            }
        }
        "PodDisruptionBudget" if matches!(component, "server" | "redis") => Role::DataPdb,
        "CronJob" if component == "backup" => Role::Backup,
        "CronJob" if component == "backup-retention" => Role::Retention,
        "PersistentVolumeClaim" if component == "backup" => Role::BackupPvc,
        "PersistentVolumeClaim" => Role::DataPvc,
        "Job" => Role::InitJob,
        "Deployment" if component == "applier" => Role::Applier,
        "PrometheusRule" => Role::Alerts,
        "ServiceMonitor" => Role::ServiceMonitor,
        "NetworkPolicy" => Role::NetworkPolicy,
        _ => return None,
    })
}

fn added_reason(kind: &str, id: &str) -> &'static str {
    match kind {
        "NetworkPolicy" => {
            "rkv's NetworkPolicies: deny by default, then exact allows (clients, peers, operator, metrics, DNS)"
        }
        "Service" => "a Service the shape needs (clients, or the primary exposed)",
        "ConfigMap" if id.ends_with("-scripts") => "the scripts of rkv's Jobs",
        "ConfigMap" if id.ends_with("-client") => "the client addresses, for applications to read",
        "ConfigMap" => "the Redis configuration",
        "PodDisruptionBudget" => "rkv's budget over the pods, with its arithmetic (`rkv explain`)",
        "CronJob" if id.ends_with("-restore") => {
            "the suspended template of the RUNBOOK's restore Job, from `backup`"
        }
        "CronJob" => "rkv's backups and their retention, from `backup`",
        "PersistentVolumeClaim" => "a volume the spec asks for",
        "Job" => "the cluster-create Job",
        "PrometheusRule" => "the shape's alerts, from `monitoring.alerts`",
        "ServiceMonitor" => "Prometheus scrapes the exporters, from `monitoring.serviceMonitor`",
        "HelmRelease" | "OCIRepository" => "the Flux release of the values and its chart source",
        "ExternalSecret" => {
            "the WAL's Kafka credentials from the secret store, instead of Secrets copied by hand"
        }
        "KafkaTopic" | "KafkaUser" | "KafkaMirrorMaker2" => {
            "the WAL's Strimzi resources, from `wal`"
        }
        "RedisSentinel" => "the Sentinels of the replication",
        "HelmValues" => "the chart's values",
        _ => "rendered for the shape",
    }
}

fn unpaired_source(s: &Side, partial: Option<&Vec<String>>, input: &Input) -> ObjectReport {
    let fix110 = input.fixes.iter().find(|f| f.code == codes::RKV110);
    let (outcome, reason, code) = match (s.kind.as_str(), s.role) {
        ("Secret", _) => (
            Outcome::Lost,
            "rkv never renders a Secret (only references to one): keep it outside rkv's tree, or make it an ExternalSecret or SealedSecret".to_string(),
            None,
        ),
        (_, Some(Role::NetworkPolicy)) if partial.is_some() => (
            Outcome::Lost,
            format!(
                "rkv's NetworkPolicies replace it, but cannot express {}",
                partial.map(|p| p.join("; ")).unwrap_or_default()
            ),
            None,
        ),
        (_, Some(Role::NetworkPolicy)) => (
            Outcome::Replaced,
            "by rkv's NetworkPolicies: deny by default, clients from the spec's `clients`, the peers, DNS".to_string(),
            None,
        ),
        (_, Some(Role::DataPdb)) => match fix110 {
            Some(f) => (
                Outcome::Replaced,
                format!("{}; rkv's own budget replaces it ({}): delete this PDB, two PDBs over one pod make every eviction fail", f.message, input.budget),
                Some(f.code),
            ),
            None => (
                Outcome::Replaced,
                format!("rkv renders the budget over these pods itself ({}): delete this PDB, two PDBs over one pod make every eviction fail", input.budget),
                None,
            ),
        },
        (_, Some(Role::Absorbed | Role::Config)) => (
            Outcome::Replaced,
            "its content is compared as the Redis configuration of the pods".to_string(),
            None,
        ),
        (_, Some(Role::Backup | Role::Retention | Role::BackupPvc)) => (
            Outcome::Lost,
            "the spec's `backup` holds its schedule and retention, but rkv renders backup jobs for the Redis Cluster shape only".to_string(),
            None,
        ),
        _ => (Outcome::Lost, "rkv renders nothing like it: the spec cannot express it".to_string(), None),
    };
    ObjectReport {
        source: Some(s.id.clone()),
        rendered: None,
        outcome,
        identical: 0,
        added: BTreeMap::new(),
        differences: Vec::new(),
        reason,
        code,
    }
}
