//! The mapping tables: one entry per Redis directive and per pod-placement knob the spec
//! can express. Adding a spec field that import should fill is one entry here.
//!
//! In: the source's Redis configuration ([`Conf`]) and the data pods' pod spec. Out: the
//! spec's fields set, and a note for every directive or knob the spec cannot carry.
//! Invariant: a directive is mapped, owned by a shape reader (port, TLS, cluster,
//! password), equal to Redis's default, or noted as not mapped; never silently dropped.

use k8s_openapi::api::core::v1::PodSpec;

use super::notes::Notes;
use super::redisconf::{self, Conf};
use crate::spec::{
    AntiAffinity, Aof, EvictionPolicy, Fsync, Memory, Placement, SaveRule, TopologySpec,
};

/// What a mapping writes into, and what it could not place yet.
pub struct Target<'a> {
    pub spec: &'a mut TopologySpec,
    /// AOF or RDB settings the source runs without a persistent volume: kept here until
    /// a volume exists (see the RKV170 fix).
    pub without_volume: Vec<(String, String)>,
}

/// One Redis directive the spec can express.
pub struct Setting {
    pub directive: &'static str,
    /// Sets the spec from the directive's value; `Err` says why it cannot.
    pub apply: fn(&mut Target, &str) -> Result<(), String>,
}

/// Every Redis directive the spec carries, in the order they are applied (`appendonly`
/// before the AOF settings that need it, the policy before `maxmemory`).
pub const SETTINGS: &[Setting] = &[
    Setting {
        directive: "appendonly",
        apply: appendonly,
    },
    Setting {
        directive: "appendfsync",
        apply: appendfsync,
    },
    Setting {
        directive: "auto-aof-rewrite-percentage",
        apply: rewrite_percentage,
    },
    Setting {
        directive: "auto-aof-rewrite-min-size",
        apply: rewrite_min_size,
    },
    Setting {
        directive: "save",
        apply: save,
    },
    Setting {
        directive: "maxmemory-policy",
        apply: maxmemory_policy,
    },
    Setting {
        directive: "maxmemory",
        apply: maxmemory,
    },
    Setting {
        directive: "maxclients",
        apply: maxclients,
    },
    Setting {
        directive: "repl-diskless-sync",
        apply: repl_diskless_sync,
    },
];

/// Directives a shape reader maps itself (port, TLS, cluster mode, password) or that
/// rkv writes with its own value (the data directory); the round trip compares them.
pub const OWNED: &[&str] = &[
    "bind",
    "cluster-announce-hostname",
    "cluster-announce-ip",
    "cluster-config-file",
    "cluster-enabled",
    "cluster-node-timeout",
    "cluster-preferred-endpoint-type",
    "dir",
    "masterauth",
    "port",
    "protected-mode",
    "requirepass",
    "tls-auth-clients",
    "tls-ca-cert-file",
    "tls-cert-file",
    "tls-client-cert-file",
    "tls-client-key-file",
    "tls-cluster",
    "tls-key-file",
    "tls-port",
    "tls-replication",
];

/// Applies every directive of `conf`; notes on `/spec/redis` name those the spec cannot carry.
pub fn apply(conf: &Conf, target: &mut Target, notes: &mut Notes, origin: &str) {
    for s in SETTINGS {
        if let Some(v) = conf.get(s.directive)
            && let Err(why) = (s.apply)(target, v)
        {
            notes.unmapped(
                "/spec/redis",
                format!("`{} {v}` ({origin}): {why}", s.directive),
            );
        }
    }
    for (k, v) in &conf.directives {
        if SETTINGS.iter().any(|s| s.directive == k) || OWNED.contains(&k.as_str()) {
            continue;
        }
        if redisconf::default_of(k)
            .is_some_and(|d| redisconf::canonical(k, d) == redisconf::canonical(k, v))
        {
            continue;
        }
        // ACL `user` lines and `*pass*` directives hold credentials: name them only.
        let shown = if k == "user" || k.contains("pass") || k.contains("auth") {
            format!("`{k} ...` (value not shown)")
        } else {
            format!("`{k} {v}`")
        };
        notes.unmapped(
            "/spec/redis",
            format!("{shown} ({origin}): the spec has no field for it"),
        );
    }
}

fn yes_no(v: &str) -> Result<bool, String> {
    match v.to_ascii_lowercase().as_str() {
        "yes" => Ok(true),
        "no" => Ok(false),
        _ => Err(format!("`{v}` is neither `yes` nor `no`")),
    }
}

fn appendonly(t: &mut Target, v: &str) -> Result<(), String> {
    let on = yes_no(v)?;
    match t.spec.persistence.as_mut() {
        Some(p) => {
            p.aof = if on {
                Some(p.aof.take().unwrap_or_else(default_aof))
            } else {
                None
            };
            Ok(())
        }
        None if on => {
            t.without_volume.push(("appendonly".into(), v.into()));
            Err("AOF on without a persistent volume: the file is lost with the pod".into())
        }
        None => Ok(()),
    }
}

pub fn default_aof() -> Aof {
    Aof {
        fsync: None,
        rewrite_percentage: 100,
        rewrite_min_size: "64mb".into(),
    }
}

/// The AOF settings, when AOF is on; the directive is kept for later when it waits for a volume.
fn aof_of<'a>(t: &'a mut Target, key: &str, v: &str) -> Result<&'a mut Aof, String> {
    if t.spec.persistence.is_none() && t.without_volume.iter().any(|(k, _)| k == "appendonly") {
        t.without_volume.push((key.into(), v.into()));
        return Err("waits for the persistent volume AOF needs".into());
    }
    t.spec
        .persistence
        .as_mut()
        .and_then(|p| p.aof.as_mut())
        .ok_or_else(|| "AOF is off, so the spec has no place for it".to_string())
}

fn appendfsync(t: &mut Target, v: &str) -> Result<(), String> {
    let f = match v.to_ascii_lowercase().as_str() {
        "always" => Fsync::Always,
        "everysec" => Fsync::Everysec,
        "no" => Fsync::No,
        _ => return Err(format!("`{v}` is not always, everysec or no")),
    };
    aof_of(t, "appendfsync", v)?.fsync = Some(f);
    Ok(())
}

fn rewrite_percentage(t: &mut Target, v: &str) -> Result<(), String> {
    let n: u32 = v
        .parse()
        .map_err(|_| format!("`{v}` is not a percentage"))?;
    aof_of(t, "auto-aof-rewrite-percentage", v)?.rewrite_percentage = n;
    Ok(())
}

fn rewrite_min_size(t: &mut Target, v: &str) -> Result<(), String> {
    if redisconf::memory_bytes(v).is_none() {
        return Err(format!("`{v}` is not a Redis memory size"));
    }
    aof_of(t, "auto-aof-rewrite-min-size", v)?.rewrite_min_size = v.to_string();
    Ok(())
}

fn save(t: &mut Target, v: &str) -> Result<(), String> {
    let words: Vec<&str> = v.split_whitespace().collect();
    if !words.len().is_multiple_of(2) || words.iter().any(|w| w.parse::<u64>().is_err()) {
        return Err("not pairs of `<seconds> <changes>`".into());
    }
    let rules: Vec<SaveRule> = words
        .chunks(2)
        .map(|c| SaveRule(format!("{} {}", c[0], c[1])))
        .collect();
    match t.spec.persistence.as_mut() {
        Some(p) => {
            p.rdb_save = Some(rules);
            Ok(())
        }
        // Without a volume rkv writes `save ""`: no snapshots is what the spec says.
        None if rules.is_empty() => Ok(()),
        None => {
            t.without_volume.push(("save".into(), v.into()));
            Err("RDB snapshots without a persistent volume: the file is lost with the pod".into())
        }
    }
}

fn memory_section<'a>(t: &'a mut Target<'_>) -> &'a mut Memory {
    t.spec.memory.get_or_insert_with(|| Memory {
        // Without `maxmemory` Redis is unbounded (`0`), whatever the policy.
        maxmemory: "0".into(),
        policy: EvictionPolicy::Noeviction,
        dataset_estimate: None,
    })
}

fn maxmemory_policy(t: &mut Target, v: &str) -> Result<(), String> {
    let p: EvictionPolicy =
        serde_json::from_value(serde_json::Value::String(v.to_ascii_lowercase()))
            .map_err(|_| format!("`{v}` is not an eviction policy"))?;
    // Redis's own default alone needs no `memory` section.
    if p == EvictionPolicy::Noeviction && t.spec.memory.is_none() {
        return Ok(());
    }
    memory_section(t).policy = p;
    Ok(())
}

fn maxmemory(t: &mut Target, v: &str) -> Result<(), String> {
    let bytes =
        redisconf::memory_bytes(v).ok_or_else(|| format!("`{v}` is not a Redis memory size"))?;
    if bytes == 0 && t.spec.memory.is_none() {
        return Ok(());
    }
    let limit = t
        .spec
        .resources
        .as_ref()
        .and_then(|r| r.limits.as_ref())
        .and_then(|l| l.memory.as_deref())
        .and_then(quantity_bytes);
    let m = memory_section(t);
    // `auto` derives the same number from the limit: say so instead of repeating it.
    m.maxmemory = match limit {
        Some(l) if bytes > 0 && l / 8 * 7 == bytes => "auto".into(),
        _ => v.to_ascii_lowercase(),
    };
    Ok(())
}

fn maxclients(t: &mut Target, v: &str) -> Result<(), String> {
    let n: u32 = v.parse().map_err(|_| format!("`{v}` is not a number"))?;
    if n == 0 {
        return Err("the spec's `maxclients` is at least 1".into());
    }
    t.spec.redis.maxclients = Some(n);
    Ok(())
}

fn repl_diskless_sync(t: &mut Target, v: &str) -> Result<(), String> {
    t.spec.redis.repl_diskless_sync = Some(yes_no(v)?);
    Ok(())
}

/// Bytes of a Kubernetes quantity (`1Gi`, `512Mi`, `1G`, `1000`); `None` when it is not one.
pub fn quantity_bytes(q: &str) -> Option<u64> {
    let split = q.find(|c: char| !c.is_ascii_digit()).unwrap_or(q.len());
    let (num, unit) = q.split_at(split);
    let n: u64 = num.parse().ok()?;
    let mult: u64 = match unit {
        "" => 1,
        "Ki" => 1 << 10,
        "Mi" => 1 << 20,
        "Gi" => 1 << 30,
        "Ti" => 1 << 40,
        "k" => 1_000,
        "M" => 1_000_000,
        "G" => 1_000_000_000,
        "T" => 1_000_000_000_000,
        _ => return None,
    };
    n.checked_mul(mult)
}

/// One pod-placement knob the spec can express.
pub struct Knob {
    pub name: &'static str,
    /// Reads the knob from the data pods' pod spec into the spec; `Err` says what the spec
    /// cannot carry.
    pub read: fn(&PodSpec, &mut TopologySpec) -> Result<(), String>,
}

/// Every placement knob, read in this order.
pub const KNOBS: &[Knob] = &[
    Knob {
        name: "pod anti-affinity",
        read: anti_affinity,
    },
    Knob {
        name: "topology spread",
        read: topology_spread,
    },
];

/// Reads every knob; notes on `/spec/placement` name what the spec cannot carry.
pub fn read_knobs(pod: &PodSpec, spec: &mut TopologySpec, notes: &mut Notes) {
    for k in KNOBS {
        if let Err(why) = (k.read)(pod, spec) {
            notes.unmapped("/spec/placement", format!("{}: {why}", k.name));
        }
    }
}

const HOSTNAME: &str = "kubernetes.io/hostname";

fn anti_affinity(pod: &PodSpec, spec: &mut TopologySpec) -> Result<(), String> {
    let Some(anti) = pod
        .affinity
        .as_ref()
        .and_then(|a| a.pod_anti_affinity.as_ref())
    else {
        return Ok(());
    };
    let required = anti
        .required_during_scheduling_ignored_during_execution
        .as_deref()
        .unwrap_or_default();
    let preferred = anti
        .preferred_during_scheduling_ignored_during_execution
        .as_deref()
        .unwrap_or_default();
    let other = required
        .iter()
        .map(|t| &t.topology_key)
        .chain(preferred.iter().map(|w| &w.pod_affinity_term.topology_key))
        .find(|k| *k != HOSTNAME);
    if let Some(k) = other {
        return Err(format!(
            "spreading over `{k}`: the spec spreads over `{HOSTNAME}` only"
        ));
    }
    let kind = if !required.is_empty() {
        AntiAffinity::Required
    } else if !preferred.is_empty() {
        AntiAffinity::Preferred
    } else {
        return Ok(());
    };
    let p = spec.placement.get_or_insert(Placement {
        anti_affinity: kind,
        topology_spread: false,
    });
    p.anti_affinity = kind;
    Ok(())
}

fn topology_spread(pod: &PodSpec, spec: &mut TopologySpec) -> Result<(), String> {
    let Some(c) = pod
        .topology_spread_constraints
        .as_deref()
        .filter(|c| !c.is_empty())
    else {
        return Ok(());
    };
    if let Some(other) = c.iter().find(|c| c.topology_key != HOSTNAME) {
        return Err(format!(
            "spreading over `{}`: the spec spreads over `{HOSTNAME}` only",
            other.topology_key
        ));
    }
    match spec.placement.as_mut() {
        Some(p) => p.topology_spread = true,
        None => {
            spec.placement = Some(Placement {
                anti_affinity: AntiAffinity::Preferred,
                topology_spread: true,
            });
            return Err(
                "a topology spread without pod anti-affinity: the spec's placement always has anti-affinity (preferred here)"
                    .into(),
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_in_bytes() {
        assert_eq!(quantity_bytes("1Gi"), Some(1 << 30));
        assert_eq!(quantity_bytes("512Mi"), Some(512 << 20));
        assert_eq!(quantity_bytes("2G"), Some(2_000_000_000));
        assert_eq!(quantity_bytes("1.5Gi"), None);
        assert_eq!(quantity_bytes("99999999999Ti"), None);
    }
}
