//! Bitnami chart values (`redis` 23.x, `redis-cluster` 13.x) to a draft spec.
//!
//! In: a values document, the chart, optionally the chart's own `values.yaml` (its
//! defaults) and the release. Out: a [`Draft`] whose `outputs.helm` renders the release
//! again. Invariant: import reads what the chart runs: the values given over the chart's
//! defaults, the `replica.*` values for Sentinel nodes (the chart ignores `master.*`
//! then, which a note says).
//!
//! Here: the chart's defaults and what a release runs over them ([`effective`]) and the
//! draft's order; `values` reads the values, `shape` the shape, `nodes` what the Redis
//! nodes run (auth, volume, resources, configuration, metrics), `related` what is around
//! them (clients, exposure, budgets, backup CronJobs beside the release).

mod nodes;
mod related;
mod shape;
mod values;

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::error::ImportError;
use super::infer::{Draft, Role, empty_topology, infer_use};
use super::notes::Notes;
use super::redisconf::Conf;
use super::source::SourceObject;
use crate::spec::{HelmOutput, Metadata, Outputs};
use crate::target::helm::DEFAULT_MASTER_SET;
use values::{Vals, fullname, image_of};

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
                "masterSet": DEFAULT_MASTER_SET,
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

/// The values key of a node setting: `/<role>/<k>` (`/replica/persistence/size`), or
/// `/<k>` for the redis-cluster chart, whose nodes have no role.
fn at(role: &str, k: &str) -> String {
    if role.is_empty() {
        format!("/{k}")
    } else {
        format!("/{role}/{k}")
    }
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
    let (shape, role, found) = shape::shape(input, &vals, &release, &mut notes)?;
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
    let mut topology = empty_topology(
        Metadata {
            name: name.clone(),
            namespace: namespace.clone(),
            part_of: None,
            labels: BTreeMap::new(),
        },
        shape,
        image,
    );
    topology.spec.outputs = Some(Outputs {
        kustomize: false,
        helm: Some(HelmOutput {
            release: release.clone(),
            namespace: namespace.clone(),
            version,
            repository: "oci://registry-1.docker.io/bitnamicharts".into(),
            interval: "10m".into(),
        }),
    });
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
    nodes::auth(input, &vals, &mut d, &name)?;
    nodes::storage(input, &vals, &mut d, role)?;
    nodes::config(input, &vals, &mut d, role)?;
    nodes::metrics(&vals, &mut d)?;
    related::clients(&vals, &mut d, &namespace);
    related::exposure(input, &vals, &mut d)?;
    related::budget(input, &vals, &mut d, role, values_index)?;
    related::pdbs_beside(input, objects, &mut d, &namespace, &release);
    related::backups_beside(objects, &mut d, &namespace)?;
    infer_use(&mut d);
    Ok(d)
}
