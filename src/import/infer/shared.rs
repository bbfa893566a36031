//! What every shape reader builds the same way: the namespace, the spec's metadata and
//! an empty topology to fill, persistence from a claim spec, the Redis configuration
//! applied through the settings table, the exporter, an operator CR's placement.
//!
//! In: the main source object and what a reader found. Out: parts of a [`Draft`].

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{PersistentVolumeClaimSpec, PodSpec};
use serde_json::Value;

use super::Draft;
use crate::import::error::ImportError;
use crate::import::notes::Notes;
use crate::import::pod::{self, typed_opt};
use crate::import::redisconf::Conf;
use crate::import::settings::{self, Target};
use crate::import::source::SourceObject;
use crate::spec::{
    ApiVersion, Exporter, Metadata, Monitoring, Persistence, Redis, Resources, Shape, Topology,
    TopologyKind, TopologySpec, Use,
};

/// The namespace of the topology: the object's, else the one given, else an error.
pub(super) fn namespace_of(o: &SourceObject, given: Option<&str>) -> Result<String, ImportError> {
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
pub(super) fn metadata(o: &SourceObject, namespace: String, skip: &[&str]) -> Metadata {
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

pub(crate) fn empty_topology(metadata: Metadata, shape: Shape, image: String) -> Topology {
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
                extra_config: BTreeMap::new(),
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
            pods: None,
            outputs: None,
            accept: Vec::new(),
            environments: BTreeMap::new(),
            sites: BTreeMap::new(),
        },
    }
}

pub(super) fn new_draft(topology: Topology, found: String) -> Draft {
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
pub(super) fn persistence_of(
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
pub(super) fn apply_conf(d: &mut Draft, conf: Conf, origin: &str) {
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

pub(super) fn set_exporter(
    d: &mut Draft,
    image: String,
    port: u16,
    resources: Option<Resources>,
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

/// The affinity and spread of an operator CR's pods, as a pod spec.
pub(super) fn cr_pod_spec(o: &SourceObject, at: &str) -> Result<Option<PodSpec>, ImportError> {
    let affinity = typed_opt(o, &format!("{at}/affinity"), "affinity")?;
    let spread = typed_opt(
        o,
        &format!("{at}/topologySpreadConstraints"),
        "topology spread constraints",
    )?;
    if affinity.is_none() && spread.is_none() {
        return Ok(None);
    }
    Ok(Some(PodSpec {
        affinity,
        topology_spread_constraints: spread,
        ..Default::default()
    }))
}
