//! Both sides of the round trip normalized alike, so that only meaning is compared:
//! fields a server sets dropped, Kubernetes' and the operators' defaults filled in (a
//! `kubectl get` dump compares like a hand-written file), alerts listed by name, and the
//! Redis configuration of pods and CRs as directives (see `config`).
//!
//! In: an object (or a Helm values document), its role, and a reader of ConfigMap text
//! on its side. Out: the normalized object.

use serde_json::{Map, Value, json};

use super::Input;
use super::config::{conf_map, custom_config, helm_values, redis_container};
use crate::import::infer::Role;
use crate::import::redisconf;
use crate::target::opstree::ADDITIONAL_CONFIG_KEY;

/// Both sides of the comparison go through this: server fields out, defaults in,
/// configuration as directives.
pub(super) fn normalize(
    kind: &str,
    v: &Value,
    role: Option<Role>,
    conf: &dyn Fn(&str, &str, &str) -> Option<String>,
    input: &Input,
) -> Value {
    let mut v = v.clone();
    if kind == "HelmValues" {
        return helm_values(v, input);
    }
    strip_server_fields(&mut v);
    let ns = v
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    match kind {
        "Deployment" | "StatefulSet" => {
            fill(&mut v, "/spec/replicas", json!(1));
            fill(&mut v, "/spec/revisionHistoryLimit", json!(10));
            if kind == "Deployment" {
                fill(&mut v, "/spec/progressDeadlineSeconds", json!(600));
                fill(&mut v, "/spec/strategy/type", json!("RollingUpdate"));
                if v.pointer("/spec/strategy/type").and_then(Value::as_str) == Some("RollingUpdate")
                {
                    fill(
                        &mut v,
                        "/spec/strategy/rollingUpdate/maxSurge",
                        json!("25%"),
                    );
                    fill(
                        &mut v,
                        "/spec/strategy/rollingUpdate/maxUnavailable",
                        json!("25%"),
                    );
                }
            } else {
                fill(&mut v, "/spec/podManagementPolicy", json!("OrderedReady"));
                fill(&mut v, "/spec/updateStrategy/type", json!("RollingUpdate"));
                if v.pointer("/spec/updateStrategy/type")
                    .and_then(Value::as_str)
                    == Some("RollingUpdate")
                {
                    fill(
                        &mut v,
                        "/spec/updateStrategy/rollingUpdate/partition",
                        json!(0),
                    );
                }
                fill(
                    &mut v,
                    "/spec/persistentVolumeClaimRetentionPolicy/whenDeleted",
                    json!("Retain"),
                );
                fill(
                    &mut v,
                    "/spec/persistentVolumeClaimRetentionPolicy/whenScaled",
                    json!("Retain"),
                );
                if let Some(Value::Array(ts)) = v.pointer_mut("/spec/volumeClaimTemplates") {
                    for t in ts {
                        fill(t, "/apiVersion", json!("v1"));
                        fill(t, "/kind", json!("PersistentVolumeClaim"));
                        fill(t, "/spec/volumeMode", json!("Filesystem"));
                        if let Some(m) = t.as_object_mut() {
                            m.shift_remove("status");
                        }
                    }
                }
            }
            pod_defaults(&mut v, "/spec/template/spec", true, &ns, conf);
        }
        "Job" => {
            job_defaults(&mut v, "/spec");
            pod_defaults(&mut v, "/spec/template/spec", false, &ns, conf);
        }
        "CronJob" => {
            fill(&mut v, "/spec/concurrencyPolicy", json!("Allow"));
            fill(&mut v, "/spec/suspend", json!(false));
            fill(&mut v, "/spec/successfulJobsHistoryLimit", json!(3));
            fill(&mut v, "/spec/failedJobsHistoryLimit", json!(1));
            job_defaults(&mut v, "/spec/jobTemplate/spec");
            pod_defaults(
                &mut v,
                "/spec/jobTemplate/spec/template/spec",
                false,
                &ns,
                conf,
            );
        }
        "Service" => {
            fill(&mut v, "/spec/type", json!("ClusterIP"));
            fill(&mut v, "/spec/sessionAffinity", json!("None"));
            fill(&mut v, "/spec/internalTrafficPolicy", json!("Cluster"));
            if matches!(
                v.pointer("/spec/type").and_then(Value::as_str),
                Some("LoadBalancer" | "NodePort")
            ) {
                fill(&mut v, "/spec/externalTrafficPolicy", json!("Cluster"));
            }
            if let Some(Value::Array(ports)) = v.pointer_mut("/spec/ports") {
                for p in ports {
                    fill(p, "/protocol", json!("TCP"));
                    if let Some(port) = p.get("port").cloned() {
                        fill(p, "/targetPort", port);
                    }
                }
            }
        }
        "PersistentVolumeClaim" => {
            fill(&mut v, "/spec/volumeMode", json!("Filesystem"));
        }
        "ConfigMap" if role == Some(Role::Config) => {
            // Configuration files are compared as the pods' Redis configuration.
            if let Some(Value::Object(data)) = v.get_mut("data") {
                data.retain(|k, _| !k.ends_with(".conf"));
            }
        }
        "RedisFailover" => {
            fill(&mut v, "/spec/redis/replicas", json!(3));
            fill(&mut v, "/spec/sentinel/replicas", json!(3));
            fill(&mut v, "/spec/redis/port", json!(6379));
            fill(&mut v, "/spec/redis/image", json!("redis:6.2.6-alpine"));
            custom_config(&mut v, "/spec/redis", "redis.conf", &[]);
            custom_config(
                &mut v,
                "/spec/sentinel",
                "sentinel.conf",
                &[
                    ("down-after-milliseconds", "5000"),
                    ("failover-timeout", "10000"),
                    ("parallel-syncs", "1"),
                ],
            );
        }
        "RedisReplication" => {
            if let Some(cm) = v
                .pointer("/spec/redisConfig/additionalRedisConfig")
                .and_then(Value::as_str)
                .map(str::to_string)
                && let Some(text) = conf(&ns, &cm, ADDITIONAL_CONFIG_KEY)
            {
                let c = redisconf::parse_conf(&text, ADDITIONAL_CONFIG_KEY);
                if let Some(spec) = v.get_mut("spec").and_then(Value::as_object_mut) {
                    spec.insert("redis.conf".into(), conf_map(&c));
                }
            }
        }
        "RedisSentinel" => {
            if let Some(Value::Object(c)) = v.pointer_mut("/spec/redisSentinelConfig") {
                for (k, d) in [
                    ("quorum", "2"),
                    ("downAfterMilliseconds", "30000"),
                    ("failoverTimeout", "180000"),
                    ("parallelSyncs", "1"),
                    ("redisPort", "6379"),
                ] {
                    c.entry(k).or_insert_with(|| json!(d));
                }
            }
        }
        "PrometheusRule" => {
            let groups = v
                .pointer("/spec/groups")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let mut names = Vec::new();
            let mut rules = Vec::new();
            for g in &groups {
                names.push(g.get("name").cloned().unwrap_or(Value::Null));
                for r in g
                    .get("rules")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let mut r = r.clone();
                    if let Some(alert) = r.get("alert").cloned()
                        && let Some(m) = r.as_object_mut()
                    {
                        m.insert("name".into(), alert);
                        m.shift_remove("alert");
                    }
                    rules.push(r);
                }
            }
            if let Some(spec) = v.get_mut("spec").and_then(Value::as_object_mut) {
                spec.insert("groups".into(), Value::Array(names));
                spec.insert("rules".into(), Value::Array(rules));
            }
        }
        _ => {}
    }
    v
}

/// Sets `pointer` to `value` when it is absent (creating the maps on the way).
fn fill(v: &mut Value, pointer: &str, value: Value) {
    if v.pointer(pointer).is_some_and(|x| !x.is_null()) {
        return;
    }
    let mut cur = v;
    let segs: Vec<&str> = pointer.split('/').skip(1).collect();
    for (i, seg) in segs.iter().enumerate() {
        let Some(m) = cur.as_object_mut() else {
            return;
        };
        if i + 1 == segs.len() {
            m.insert((*seg).to_string(), value);
            return;
        }
        cur = m
            .entry((*seg).to_string())
            .or_insert_with(|| Value::Object(Map::new()));
    }
}

fn strip_server_fields(v: &mut Value) {
    if let Some(m) = v.as_object_mut() {
        m.shift_remove("status");
    }
    if let Some(Value::Object(meta)) = v.get_mut("metadata") {
        for k in [
            "uid",
            "resourceVersion",
            "generation",
            "creationTimestamp",
            "managedFields",
            "selfLink",
            "ownerReferences",
        ] {
            meta.shift_remove(k);
        }
        if let Some(Value::Object(a)) = meta.get_mut("annotations") {
            a.retain(|k, _| {
                k != "kubectl.kubernetes.io/last-applied-configuration"
                    && k != "deployment.kubernetes.io/revision"
                    && !k.starts_with("pv.kubernetes.io/")
                    && !k.starts_with("volume.beta.kubernetes.io/")
                    && !k.starts_with("volume.kubernetes.io/")
            });
        }
    }
    if let Some(Value::Object(t)) = v.pointer_mut("/spec/template/metadata") {
        t.shift_remove("creationTimestamp");
    }
    if let Some(Value::Object(spec)) = v.get_mut("spec") {
        if spec.get("clusterIP").and_then(Value::as_str) != Some("None") {
            spec.shift_remove("clusterIP");
        }
        for k in [
            "clusterIPs",
            "ipFamilies",
            "ipFamilyPolicy",
            "healthCheckNodePort",
            "allocateLoadBalancerNodePorts",
            "volumeName",
        ] {
            spec.shift_remove(k);
        }
        if let Some(Value::Array(ports)) = spec.get_mut("ports") {
            for p in ports.iter_mut().filter_map(Value::as_object_mut) {
                p.shift_remove("nodePort");
            }
        }
    }
}

fn job_defaults(v: &mut Value, at: &str) {
    fill(v, &format!("{at}/backoffLimit"), json!(6));
    fill(v, &format!("{at}/completionMode"), json!("NonIndexed"));
    fill(v, &format!("{at}/completions"), json!(1));
    fill(v, &format!("{at}/parallelism"), json!(1));
    fill(v, &format!("{at}/suspend"), json!(false));
    if let Some(Value::Object(t)) = v.pointer_mut(&format!("{at}/template/metadata")) {
        t.shift_remove("creationTimestamp");
    }
}

/// Kubernetes' pod defaults, and each Redis container's configuration as directives.
fn pod_defaults(
    v: &mut Value,
    at: &str,
    restart_always: bool,
    ns: &str,
    conf: &dyn Fn(&str, &str, &str) -> Option<String>,
) {
    if v.pointer(at).is_none() {
        return;
    }
    if restart_always {
        fill(v, &format!("{at}/restartPolicy"), json!("Always"));
    }
    fill(v, &format!("{at}/dnsPolicy"), json!("ClusterFirst"));
    fill(
        v,
        &format!("{at}/schedulerName"),
        json!("default-scheduler"),
    );
    fill(v, &format!("{at}/terminationGracePeriodSeconds"), json!(30));
    let volumes = v
        .pointer(&format!("{at}/volumes"))
        .cloned()
        .unwrap_or(Value::Null);
    if let Some(Value::Array(vols)) = v.pointer_mut(&format!("{at}/volumes")) {
        for vol in vols {
            if vol.get("secret").is_some() {
                fill(vol, "/secret/defaultMode", json!(420));
            }
            if vol.get("configMap").is_some() {
                fill(vol, "/configMap/defaultMode", json!(420));
            }
        }
    }
    let mut conf_mounts: Vec<String> = Vec::new();
    for list in ["containers", "initContainers"] {
        let Some(Value::Array(cs)) = v.pointer_mut(&format!("{at}/{list}")) else {
            continue;
        };
        for c in cs {
            fill(c, "/terminationMessagePath", json!("/dev/termination-log"));
            fill(c, "/terminationMessagePolicy", json!("File"));
            let image = c
                .get("image")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let latest =
                image.ends_with(":latest") || !image.rsplit('/').next().unwrap_or("").contains(':');
            fill(
                c,
                "/imagePullPolicy",
                json!(if latest { "Always" } else { "IfNotPresent" }),
            );
            if let Some(Value::Array(ports)) = c.get_mut("ports") {
                for p in ports {
                    fill(p, "/protocol", json!("TCP"));
                }
            }
            for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
                if c.get(probe).is_some() {
                    fill(c, &format!("/{probe}/periodSeconds"), json!(10));
                    fill(c, &format!("/{probe}/timeoutSeconds"), json!(1));
                    fill(c, &format!("/{probe}/successThreshold"), json!(1));
                    fill(c, &format!("/{probe}/failureThreshold"), json!(3));
                }
            }
            if let Some(Value::Array(env)) = c.get_mut("env") {
                for e in env {
                    if e.pointer("/valueFrom/fieldRef").is_some() {
                        fill(e, "/valueFrom/fieldRef/apiVersion", json!("v1"));
                    }
                    if let Some(Value::Object(r)) = e.pointer_mut("/valueFrom/secretKeyRef")
                        && r.get("optional") == Some(&json!(false))
                    {
                        r.shift_remove("optional");
                    }
                }
            }
            if let Some(names) = redis_container(c, &volumes, ns, conf) {
                conf_mounts.extend(names);
            }
        }
    }
    // The configuration file's mount and volume are compared as the configuration itself.
    if let Some(Value::Array(vols)) = v.pointer_mut(&format!("{at}/volumes")) {
        vols.retain(|vol| {
            !vol.get("name")
                .and_then(Value::as_str)
                .is_some_and(|n| conf_mounts.iter().any(|m| m == n))
        });
    }
}
