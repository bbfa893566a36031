//! A Spotahome RedisFailover: Redis and Sentinel counts and settings (the operator's
//! defaults where the CR is silent), image, port, password Secret, resources, volume,
//! `customConfig`, exporter and placement; the objects around its pods and the Kafka
//! WAL beside it.
//!
//! In: the source objects and the index of the RedisFailover. Out: its [`Draft`].

use k8s_openapi::api::core::v1::{Container, PersistentVolumeClaimSpec, ResourceRequirements};
use serde_json::Value;

use super::related::related;
use super::shared::{
    apply_conf, cr_pod_spec, empty_topology, metadata, namespace_of, new_draft, persistence_of,
    set_exporter,
};
use super::wal::wal;
use super::{Draft, Role, infer_use};
use crate::import::error::ImportError;
use crate::import::notes::Notes;
use crate::import::pod::{self, typed_opt};
use crate::import::redisconf::{self, Conf};
use crate::import::settings;
use crate::import::source::SourceObject;
use crate::spec::{Auth, Failover, FailoverOperator, SecretKeyRef, Sentinel, Shape};
use crate::target::spotahome;

/// A Spotahome RedisFailover.
pub(super) fn failover(
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
        quorum: spotahome::quorum(sentinels),
        down_after_ms: down,
        failover_timeout_ms: timeout,
        parallel_syncs: parallel,
        master_name: Some(spotahome::MASTER_NAME.into()),
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
            password_secret: SecretKeyRef {
                name: secret.to_string(),
                key: spotahome::PASSWORD_KEY.into(),
            },
            created_by: crate::spec::SecretMaker::External,
        });
    }
    if let Some(r) = typed_opt::<ResourceRequirements>(o, "/spec/redis/resources", "resources")? {
        let c = Container {
            resources: Some(r),
            ..Default::default()
        };
        d.spec().resources = pod::resources(&c).0;
    }
    if let Some(s) = typed_opt::<ResourceRequirements>(o, "/spec/sentinel/resources", "resources")?
    {
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
    let labels = spotahome::pod_labels(o.name(), Some("redis"));
    related(objects, &mut d, &labels, &ns)?;
    wal(objects, &mut d, &ns)?;
    infer_use(&mut d);
    Ok(d)
}
