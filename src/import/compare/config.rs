//! Redis configuration as directives, wherever it lives: a Redis container's command
//! line and the redis.conf it reads from a mounted ConfigMap, an operator's
//! `customConfig`, a Bitnami chart's configuration values. Values are canonical
//! (memory units, yes/no, `$VAR` as `$(VAR)`) so both sides compare by meaning.
//!
//! In: a container (with the pod's volumes and a ConfigMap reader), a CR, or a values
//! document. Out: the same JSON with `redis.conf` (a directive map) in place of them.

use serde_json::{Map, Value, json};

use super::Input;
use crate::import::redisconf::{self, Conf};

/// The Secret name and key a container reads at `path`, and the volume holding it.
fn password_file_secret(
    c: &k8s_openapi::api::core::v1::Container,
    volumes: &Value,
    path: &str,
) -> Option<(String, String, String)> {
    let m = c
        .volume_mounts
        .iter()
        .flatten()
        .filter(|m| path.starts_with(&format!("{}/", m.mount_path.trim_end_matches('/'))))
        .max_by_key(|m| m.mount_path.len())?;
    let rest = path
        .strip_prefix(m.mount_path.trim_end_matches('/'))?
        .trim_start_matches('/');
    let vol = volumes
        .as_array()?
        .iter()
        .find(|v| v.get("name").and_then(Value::as_str) == Some(&m.name))?;
    let name = vol.pointer("/secret/secretName")?.as_str()?.to_string();
    let key = vol
        .pointer("/secret/items")
        .and_then(Value::as_array)
        .and_then(|items| {
            items
                .iter()
                .find(|i| i.get("path").and_then(Value::as_str) == Some(rest))
                .and_then(|i| i.get("key").and_then(Value::as_str))
        })
        .unwrap_or(rest)
        .to_string();
    Some((name, key, m.name.clone()))
}

/// Replaces a Redis container's `command` and `args` with the configuration it runs:
/// `redis-server.conf-file` and `redis.conf.<directive>`; returns the names of the volumes
/// compared as that configuration (the configuration file's, a password file's), whose
/// mounts are dropped here.
pub(super) fn redis_container(
    c: &mut Value,
    volumes: &Value,
    ns: &str,
    conf: &dyn Fn(&str, &str, &str) -> Option<String>,
) -> Option<Vec<String>> {
    let mut extra_volumes = Vec::new();
    let typed = serde_json::from_value::<k8s_openapi::api::core::v1::Container>(c.clone()).ok()?;
    if crate::import::pod::is_exporter(&typed) {
        return None;
    }
    // The mount holding `file`, and the file's text from the ConfigMap mounted there.
    let mounted = |file: &str| {
        let mount = typed
            .volume_mounts
            .iter()
            .flatten()
            .filter(|m| file.starts_with(&format!("{}/", m.mount_path.trim_end_matches('/'))))
            .max_by_key(|m| m.mount_path.len());
        let text = mount.and_then(|m| {
            let vol = volumes
                .as_array()?
                .iter()
                .find(|v| v.get("name").and_then(Value::as_str) == Some(&m.name))?;
            let cm = vol.pointer("/configMap/name")?.as_str()?;
            let rest = file
                .strip_prefix(m.mount_path.trim_end_matches('/'))?
                .trim_start_matches('/');
            let key = vol
                .pointer("/configMap/items")
                .and_then(Value::as_array)
                .and_then(|items| {
                    items
                        .iter()
                        .find(|i| i.get("path").and_then(Value::as_str) == Some(rest))
                        .and_then(|i| i.get("key").and_then(Value::as_str))
                })
                .unwrap_or(rest)
                .to_string();
            conf(ns, cm, &key)
        });
        (mount, text)
    };
    let mut inv = crate::import::pod::redis_invocation(&typed, &|file| mounted(file).1)?;
    if inv.sentinel {
        return None;
    }
    // A password file given on stdin (rkv's start) is the same configuration as
    // `requirepass $(REDIS_PASSWORD)` with that variable fed by the same Secret key: compared
    // in that form, so a source written either way matches.
    if let Some(pf) = inv.password_file.take() {
        let secret = password_file_secret(&typed, volumes, &pf.path)?;
        inv.options
            .set("requirepass", &["$(REDIS_PASSWORD)".to_string()]);
        if pf.masterauth {
            inv.options
                .set("masterauth", &["$(REDIS_PASSWORD)".to_string()]);
        }
        if let Some(m) = c.as_object_mut() {
            let env = m.entry("env").or_insert_with(|| json!([]));
            if let Some(list) = env.as_array_mut() {
                list.push(json!({"name": "REDIS_PASSWORD", "valueFrom": {"secretKeyRef": {"name": secret.0, "key": secret.1}}}));
            }
            if let Some(Value::Array(mounts)) = m.get_mut("volumeMounts") {
                mounts.retain(|x| x.get("name").and_then(Value::as_str) != Some(&secret.2));
            }
        }
        extra_volumes.push(secret.2);
    }
    let mut conf_volume = None;
    let mut merged = Conf::default();
    if let Some(file) = &inv.conf_file {
        let (mount, text) = mounted(file);
        match text {
            Some(t) => merged = redisconf::parse_conf(&t, file),
            // The file's content is unknown: keep the command line as it is.
            None => return None,
        }
        conf_volume = mount.map(|m| (m.name.clone(), m.mount_path.clone()));
    }
    merged.extend(&inv.options);
    if let Some(m) = c.as_object_mut() {
        m.shift_remove("command");
        m.shift_remove("args");
        if let (Some((_, path)), Some(Value::Array(mounts))) =
            (&conf_volume, m.get_mut("volumeMounts"))
        {
            mounts.retain(|x| x.get("mountPath").and_then(Value::as_str) != Some(path));
        }
        m.insert(
            "redis-server".into(),
            json!({"conf-file": inv.conf_file.as_deref().map(|_| "(a redis.conf file)")}),
        );
        m.insert("redis.conf".into(), conf_map(&merged));
    }
    extra_volumes.extend(conf_volume.map(|(name, _)| name));
    Some(extra_volumes)
}

/// A configuration as a map of canonical values (environment references as `$(VAR)`).
pub(super) fn conf_map(c: &Conf) -> Value {
    let mut m = Map::new();
    for (k, v) in &c.directives {
        let canon = match redisconf::env_reference(v) {
            Some(var) => format!("$({var})"),
            None => redisconf::canonical(k, v),
        };
        m.insert(k.clone(), Value::String(canon));
    }
    Value::Object(m)
}

/// An operator's `customConfig` lines as a directive map, with the operator's defaults.
pub(super) fn custom_config(v: &mut Value, at: &str, name: &str, defaults: &[(&str, &str)]) {
    let lines: Vec<String> = v
        .pointer(&format!("{at}/customConfig"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|l| l.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let mut c = redisconf::parse_conf(&lines.join("\n"), name);
    for (k, d) in defaults {
        if c.get(k).is_none() {
            c.set(k, &[(*d).to_string()]);
        }
    }
    if let Some(Value::Object(m)) = v.pointer_mut(at) {
        m.shift_remove("customConfig");
        m.insert(name.into(), conf_map(&c));
    }
}

/// A values document over the chart's defaults, its Redis configuration as directives.
pub(super) fn helm_values(v: Value, input: &Input) -> Value {
    let mut v = match &input.chart_defaults {
        Some(d) => crate::import::helm::merge(d, &v),
        None => v,
    };
    let role = if input.sentinel_nodes {
        "replica"
    } else {
        "master"
    };
    let mut c = Conf::default();
    let is_cluster = v.get("cluster").is_some() && v.get("architecture").is_none();
    if is_cluster {
        if let Some(t) = v.pointer("/redis/configmap").and_then(Value::as_str) {
            c.extend(&redisconf::parse_conf(t, "values"));
        }
        let aof = v
            .pointer("/redis/useAOFPersistence")
            .and_then(Value::as_str)
            .unwrap_or("yes")
            .to_string();
        c.set("appendonly", &[aof]);
        if let Some(Value::Object(r)) = v.get_mut("redis") {
            r.shift_remove("configmap");
            r.shift_remove("useAOFPersistence");
        }
    } else {
        for p in [
            "/commonConfiguration".to_string(),
            format!("/{role}/configuration"),
        ] {
            if let Some(t) = v.pointer(&p).and_then(Value::as_str) {
                c.extend(&redisconf::parse_conf(t, "values"));
            }
        }
        if let Some(m) = v.as_object_mut() {
            m.shift_remove("commonConfiguration");
        }
        for r in ["master", "replica"] {
            if let Some(Value::Object(m)) = v.get_mut(r) {
                m.shift_remove("configuration");
            }
        }
    }
    if let Some(m) = v.as_object_mut() {
        m.insert("redis.conf".into(), conf_map(&c));
    }
    v
}
