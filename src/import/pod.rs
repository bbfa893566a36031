//! Reading a pod template: the Redis container and how it starts, its password, its
//! configuration file, its volumes, the exporter beside it, its placement.
//!
//! In: a source object holding a pod template (Deployment, StatefulSet, Job, CronJob)
//! and the other source objects (for ConfigMaps and PVCs it names). Out: typed pieces,
//! or an input error located in the object.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, PodSpec, PodTemplateSpec, Volume};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::error::ImportError;
use super::redisconf::{self, Conf, Invocation};
use super::source::SourceObject;
use crate::spec::{Resources, SecretKeyRef};

/// Deserializes the node at `pointer` of `obj` as `T`; a wrong shape is a located error.
pub fn typed<T: DeserializeOwned>(
    obj: &SourceObject,
    pointer: &str,
    what: &str,
) -> Result<T, ImportError> {
    let v = obj.value.pointer(pointer).cloned().unwrap_or(Value::Null);
    serde_json::from_value(v).map_err(|e| obj.invalid(pointer, format!("not a valid {what}: {e}")))
}

/// Deserializes an optional node: `None` when absent or null.
pub fn typed_opt<T: DeserializeOwned>(
    obj: &SourceObject,
    pointer: &str,
    what: &str,
) -> Result<Option<T>, ImportError> {
    match obj.value.pointer(pointer) {
        None | Some(Value::Null) => Ok(None),
        Some(_) => typed(obj, pointer, what).map(Some),
    }
}

/// The pod template of a workload, and where it is in the object.
pub struct Pod<'a> {
    pub obj: &'a SourceObject,
    /// JSON pointer of the pod spec (`/spec/template/spec`).
    pub base: String,
    pub labels: BTreeMap<String, String>,
    pub spec: PodSpec,
}

impl<'a> Pod<'a> {
    /// The pod template at `template` (`/spec/template` or `/spec/jobTemplate/spec/template`).
    pub fn at(obj: &'a SourceObject, template: &str) -> Result<Pod<'a>, ImportError> {
        let t: PodTemplateSpec = typed(obj, template, "pod template")?;
        let Some(spec) = t.spec else {
            return Err(obj.invalid(template, "a pod template without `spec`"));
        };
        Ok(Pod {
            obj,
            base: format!("{template}/spec"),
            labels: t.metadata.and_then(|m| m.labels).unwrap_or_default(),
            spec,
        })
    }

    /// The pointer of container `i`.
    pub fn container_pointer(&self, i: usize) -> String {
        format!("{}/containers/{i}", self.base)
    }

    pub fn volume(&self, name: &str) -> Option<&Volume> {
        self.spec.volumes.as_ref()?.iter().find(|v| v.name == name)
    }

    /// The volume mounted at `path` (or at a folder holding it) in container `c`.
    pub fn volume_at(&self, c: &Container, path: &str) -> Option<(&Volume, String)> {
        let mounts = c.volume_mounts.as_ref()?;
        let m = mounts
            .iter()
            .filter(|m| {
                path == m.mount_path
                    || path.starts_with(&format!("{}/", m.mount_path.trim_end_matches('/')))
            })
            .max_by_key(|m| m.mount_path.len())?;
        let rest = path
            .strip_prefix(m.mount_path.trim_end_matches('/'))
            .unwrap_or("")
            .trim_start_matches('/')
            .to_string();
        Some((self.volume(&m.name)?, rest))
    }

    /// The Secret (and key) whose file container `c` reads at `path`: a Secret volume
    /// mounted over it, the key by the volume's `items` (else the file name).
    pub fn file_secret(&self, c: &Container, path: &str) -> Option<SecretKeyRef> {
        let (v, rest) = self.volume_at(c, path)?;
        let s = v.secret.as_ref()?;
        let key = s
            .items
            .iter()
            .flatten()
            .find(|i| i.path == rest)
            .map_or(rest.clone(), |i| i.key.clone());
        Some(SecretKeyRef {
            name: s.secret_name.clone()?,
            key,
        })
    }

    /// The Secret that holds environment variable `var` of container `c`, and its key.
    pub fn env_secret(&self, c: &Container, var: &str) -> Option<SecretKeyRef> {
        if let Some(e) = c.env.as_ref()?.iter().find(|e| e.name == var) {
            let r = e.value_from.as_ref()?.secret_key_ref.as_ref()?;
            return Some(SecretKeyRef {
                name: r.name.clone(),
                key: r.key.clone(),
            });
        }
        c.env_from.as_ref()?.iter().find_map(|f| {
            let s = f.secret_ref.as_ref()?;
            Some(SecretKeyRef {
                name: s.name.clone(),
                key: var.to_string(),
            })
        })
    }

    /// Whether environment variable `var` of container `c` holds a literal value.
    pub fn env_literal(&self, c: &Container, var: &str) -> bool {
        c.env
            .as_ref()
            .and_then(|env| env.iter().find(|e| e.name == var))
            .is_some_and(|e| e.value.is_some())
    }
}

/// `command` followed by `args`.
pub fn argv(c: &Container) -> Vec<String> {
    let mut v = c.command.clone().unwrap_or_default();
    v.extend(c.args.clone().unwrap_or_default());
    v
}

/// The last path segment of an image's repository (`quay.io/opstree/redis:7` -> `redis`).
pub fn image_base(image: &str) -> &str {
    let no_digest = image.split('@').next().unwrap_or(image);
    let no_tag = match no_digest.rsplit_once(':') {
        Some((p, t)) if !t.contains('/') => p,
        _ => no_digest,
    };
    no_tag.rsplit('/').next().unwrap_or(no_tag)
}

/// Whether a container is a Redis exporter.
pub fn is_exporter(c: &Container) -> bool {
    let base = image_base(c.image.as_deref().unwrap_or(""));
    base.contains("redis_exporter") || base.contains("redis-exporter")
}

/// How a container runs Redis: the invocation from its command, through a start script
/// file that ends with `exec redis-server "$@"` (`script` reads the file where the
/// container mounts it, as rkv's cluster pods run `sh /etc/redis/conf/start.sh`), or the
/// image's own `redis-server` (an image named `redis` started without a command).
pub fn redis_invocation(
    c: &Container,
    script: &dyn Fn(&str) -> Option<String>,
) -> Option<Invocation> {
    let argv = argv(c);
    if let Some(inv) = redisconf::invocation(&argv) {
        return Some(inv);
    }
    let with = |args: &[String], password_file| {
        let mut full = vec!["redis-server".to_string()];
        full.extend(args.iter().cloned());
        redisconf::invocation(&full).map(|inv| Invocation {
            password_file,
            ..inv
        })
    };
    if let Some((file, args)) = redisconf::script_call(&argv)
        && let Some(pw) = script(file).and_then(|text| redisconf::script_redis(&text))
    {
        return with(args, pw);
    }
    // `sh -c SCRIPT $0 ARGS...`: rkv's standalone start with a password.
    if let [sh, flag, text, _name, args @ ..] = argv.as_slice()
        && matches!(sh.rsplit('/').next(), Some("sh" | "bash" | "dash" | "ash"))
        && flag == "-c"
        && let Some(pw) = redisconf::script_redis(text)
    {
        return with(args, pw);
    }
    let base = image_base(c.image.as_deref().unwrap_or(""));
    if c.command.is_none() && (base == "redis" || base == "redis-stack-server") {
        // The official image's entrypoint runs `redis-server` with the args it is given.
        let mut full = vec!["redis-server".to_string()];
        full.extend(c.args.clone().unwrap_or_default());
        return redisconf::invocation(&full).or(Some(Invocation::default()));
    }
    None
}

/// The text of `key` of the ConfigMap `name` among `objects`.
pub fn configmap_text<'o>(
    objects: &'o [SourceObject],
    namespace: &str,
    name: &str,
    key: &str,
) -> Option<(&'o SourceObject, &'o str)> {
    objects
        .iter()
        .find(|o| {
            o.kind() == "ConfigMap"
                && o.name() == name
                && (o.namespace().is_empty() || namespace.is_empty() || o.namespace() == namespace)
        })
        .and_then(|o| {
            o.value
                .pointer(&format!("/data/{}", super::source::escape(key)))
                .and_then(Value::as_str)
                .map(|t| (o, t))
        })
}

/// The ConfigMap a container reads a file from: the ConfigMap volume mounted where `file`
/// is, the object, the key (the file name, or an `items` mapping) and its text.
pub fn mounted_file<'o>(
    pod: &Pod,
    c: &Container,
    file: &str,
    objects: &'o [SourceObject],
) -> Option<(&'o SourceObject, String, String, &'o str)> {
    let (vol, rest) = pod.volume_at(c, file)?;
    let cm = vol.config_map.as_ref()?;
    let key = cm
        .items
        .as_ref()
        .and_then(|items| items.iter().find(|i| i.path == rest).map(|i| i.key.clone()))
        .unwrap_or(rest);
    let ns = pod.obj.namespace();
    let (obj, text) = configmap_text(objects, ns, &cm.name, &key)?;
    Some((obj, cm.name.clone(), key, text))
}

/// The configuration file a container reads ([`mounted_file`]), parsed.
pub fn conf_file<'o>(
    pod: &Pod,
    c: &Container,
    file: &str,
    objects: &'o [SourceObject],
) -> Option<(&'o SourceObject, String, Conf)> {
    let (obj, name, key, text) = mounted_file(pod, c, file, objects)?;
    let label = format!("ConfigMap/{name} {key}");
    Some((obj, key, redisconf::parse_conf(text, &label)))
}

/// How container `c` of `pod` runs Redis ([`redis_invocation`]), reading a start script
/// from the ConfigMaps among `objects`.
pub fn pod_redis_invocation(
    pod: &Pod,
    c: &Container,
    objects: &[SourceObject],
) -> Option<Invocation> {
    redis_invocation(c, &|file| {
        mounted_file(pod, c, file, objects).map(|(_, _, _, text)| text.to_string())
    })
}

/// The spec's resources from a container's, and the resource names it cannot carry.
pub fn resources(c: &Container) -> (Option<Resources>, Vec<String>) {
    let Some(r) = &c.resources else {
        return (None, Vec::new());
    };
    let mut dropped = Vec::new();
    let mut list =
        |m: &Option<BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>>,
         what: &str| {
            m.as_ref().map(|m| {
                for k in m.keys().filter(|k| *k != "cpu" && *k != "memory") {
                    dropped.push(format!("{what}.{k}"));
                }
                crate::spec::ResourceList {
                    cpu: m.get("cpu").map(|q| q.0.clone()),
                    memory: m.get("memory").map(|q| q.0.clone()),
                }
            })
        };
    let requests = list(&r.requests, "requests");
    let limits = list(&r.limits, "limits");
    let out = Resources { requests, limits };
    if out.requests.is_none() && out.limits.is_none() {
        return (None, dropped);
    }
    (Some(out), dropped)
}

/// A Kubernetes resource quantity as the spec's pattern accepts it.
pub fn is_quantity(q: &str) -> bool {
    let digits_end = q
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || *c == '.'))
        .map(|(i, _)| i)
        .unwrap_or(q.len());
    let (num, unit) = q.split_at(digits_end);
    !num.is_empty()
        && !num.starts_with('.')
        && !num.ends_with('.')
        && num.matches('.').count() <= 1
        && matches!(
            unit,
            "" | "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei" | "k" | "M" | "G" | "T" | "P" | "E" | "m"
        )
}

/// Whether a label selector's `matchLabels` select pods with `labels` (and it has no
/// `matchExpressions`, which import does not evaluate).
pub fn selects(selector: &Value, labels: &BTreeMap<String, String>) -> bool {
    let exprs = selector
        .get("matchExpressions")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty());
    if exprs {
        return false;
    }
    let Some(m) = selector.get("matchLabels").and_then(Value::as_object) else {
        // An empty selector selects every pod of the namespace.
        return true;
    };
    m.iter().all(|(k, v)| {
        v.as_str()
            .is_some_and(|v| labels.get(k).is_some_and(|l| l == v))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_bases() {
        assert_eq!(image_base("redis:7.2"), "redis");
        assert_eq!(image_base("quay.io/opstree/redis:v7.0.15"), "redis");
        assert_eq!(image_base("localhost:5000/redis"), "redis");
        assert_eq!(
            image_base("oliver006/redis_exporter:v1.58.0@sha256:abc"),
            "redis_exporter"
        );
    }

    #[test]
    fn quantities() {
        for q in ["20Gi", "500m", "1", "1.5Gi", "128974848"] {
            assert!(is_quantity(q), "{q}");
        }
        for q in ["", "Gi", "1.Gi", "1e3", "20 Gi", "1..2"] {
            assert!(!is_quantity(q), "{q}");
        }
    }

    #[test]
    fn selectors() {
        let labels = BTreeMap::from([("app".to_string(), "redis".to_string())]);
        assert!(selects(
            &serde_json::json!({"matchLabels": {"app": "redis"}}),
            &labels
        ));
        assert!(!selects(
            &serde_json::json!({"matchLabels": {"app": "x"}}),
            &labels
        ));
        assert!(selects(&serde_json::json!({}), &labels));
        assert!(!selects(
            &serde_json::json!({"matchExpressions": [{"key": "app", "operator": "Exists"}]}),
            &labels
        ));
    }
}
