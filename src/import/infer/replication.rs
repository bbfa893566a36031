//! An OT-CONTAINER-KIT RedisReplication and the RedisSentinel that names it: pod counts,
//! Sentinel settings (Sentinel's defaults where the CR is silent), images, resources,
//! password Secret, volume, `redis-additional.conf`, exporter, placement, the operator's
//! PDB and Service type; the objects around its pods.
//!
//! In: the source objects and the index of the RedisReplication. Out: its [`Draft`].

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, PersistentVolumeClaimSpec, ResourceRequirements};
use serde_json::Value;

use super::related::related;
use super::shared::{
    apply_conf, cr_pod_spec, empty_topology, metadata, namespace_of, new_draft, persistence_of,
    set_exporter,
};
use super::{Draft, Role, infer_use};
use crate::import::error::ImportError;
use crate::import::notes::Notes;
use crate::import::pod::{self, typed_opt};
use crate::import::redisconf::{self, Conf};
use crate::import::settings;
use crate::import::source::{self, SourceObject};
use crate::spec::{
    Auth, Disruption, Exposure, Replication, SecretKeyRef, Sentinel, ServiceType, Shape,
};
use crate::target::opstree::ADDITIONAL_CONFIG_KEY;

/// An OT-CONTAINER-KIT RedisReplication and the RedisSentinel that watches it.
pub(super) fn replication(
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
                        source::dotted(p)
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
        resources: typed_opt::<ResourceRequirements>(
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
    if let Some(r) =
        typed_opt::<ResourceRequirements>(o, "/spec/kubernetesConfig/resources", "resources")?
    {
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
            password_secret: SecretKeyRef {
                name: name.to_string(),
                key: key.unwrap_or("password").to_string(),
            },
            created_by: crate::spec::SecretMaker::External,
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
        match pod::configmap_text(objects, &ns, cm, ADDITIONAL_CONFIG_KEY) {
            Some((obj, text)) => {
                conf =
                    redisconf::parse_conf(text, &format!("ConfigMap/{cm} {ADDITIONAL_CONFIG_KEY}"));
                origin = format!("{} {ADDITIONAL_CONFIG_KEY}", obj.id());
                if let Some(ci) = objects.iter().position(|x| std::ptr::eq(x, obj)) {
                    d.roles.insert(ci, Role::Config);
                }
            }
            None => {
                return Err(o.invalid("/spec/redisConfig/additionalRedisConfig", format!("the ConfigMap `{cm}` (key `{ADDITIONAL_CONFIG_KEY}`) is not among the sources: add it")));
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
