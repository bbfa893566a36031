//! The mapping tables: one entry per Redis directive and per pod-placement knob the spec
//! can express.
//!
//! In: the source's Redis configuration ([`Conf`]) and the data pods' pod spec. Out: the
//! spec's fields set, and a note for every directive or knob the spec cannot carry.
//! Invariant: a directive is mapped, owned by a shape reader (port, TLS, cluster,
//! password), equal to Redis's default, or noted as not mapped; never silently dropped.
//!
//! The directives mapped are the ones rkv writes: [`DIRECTIVES`], the list
//! `plan::settings` renders every target's configuration from, read in its order
//! (`appendonly` before the AOF settings that need it). [`SETTINGS`] holds the reader of
//! each, the reverse of what `plan::settings` writes; the tests prove that every
//! directive it can write has one and reads back what it was written from.

use k8s_openapi::api::core::v1::PodSpec;

use super::notes::Notes;
use super::redisconf::{self, Conf};
use crate::plan::settings::{CLUSTER_NODE_TIMEOUT, DIRECTIVES};
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

/// The reader of every directive of [`DIRECTIVES`] but those a shape reader owns
/// ([`OWNED`]); they are applied in the order of [`DIRECTIVES`].
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
    CLUSTER_NODE_TIMEOUT,
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

/// The reader of `directive`, if the spec carries it: one rkv writes and import can read.
fn setting(directive: &str) -> Option<&'static Setting> {
    SETTINGS
        .iter()
        .find(|s| s.directive == directive && DIRECTIVES.contains(&directive))
}

/// Applies every directive of `conf`; notes on `/spec/redis` name those the spec cannot carry.
pub fn apply(conf: &Conf, target: &mut Target, notes: &mut Notes, origin: &str) {
    for s in DIRECTIVES.iter().filter_map(|d| setting(d)) {
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
        if setting(k).is_some() || OWNED.contains(&k.as_str()) {
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
    use std::collections::BTreeSet;
    use std::path::Path;

    use serde_json::json;

    use super::*;
    use crate::plan::{model, settings as written};
    use crate::spec::{self, Resolved, resolve::resolve};

    #[test]
    fn every_directive_rkv_writes_has_a_reader_or_an_owner() {
        for d in DIRECTIVES {
            let readers = SETTINGS.iter().filter(|s| s.directive == *d).count();
            assert!(
                readers == 1 || (readers == 0 && OWNED.contains(d)),
                "`{d}`: plan::settings writes it, so import::settings needs one reader for it ({readers} now) or a shape reader that owns it (`OWNED`)"
            );
        }
        for s in SETTINGS {
            assert!(
                DIRECTIVES.contains(&s.directive),
                "`{}` has a reader but is not in plan::settings::DIRECTIVES",
                s.directive
            );
        }
    }

    /// One spec per branch of `plan::settings::settings`, beside the profiles and goldens.
    const BRANCHES: &[&str] = &[
        // No volume: `appendonly no` and `save ""`.
        "shape: {standalone: {}}\nredis: {image: redis:7.2}",
        // RDB rules, no AOF; an explicit maxmemory and policy; the client settings.
        "shape: {standalone: {}}\nredis: {image: redis:7.2, maxclients: 5000, replDisklessSync: false}\n\
         persistence: {size: 1Gi, rdbSave: ['900 1', '300 10']}\n\
         memory: {maxmemory: 1gb, policy: allkeys-lru}",
        // Every AOF setting, snapshots off, maxmemory from the limit, the node timeout.
        "shape: {cluster: {shards: 3, replicasPerShard: 1, nodeTimeoutMs: 5000}}\n\
         redis: {image: redis:7.2, replDisklessSync: true}\n\
         persistence: {size: 4Gi, storageClass: fast, rdbSave: [], \
         aof: {fsync: always, rewritePercentage: 50, rewriteMinSize: 128mb}}\n\
         resources: {limits: {memory: 2Gi}}\n\
         memory: {policy: volatile-lru}",
    ];

    /// Every variant of every profile, golden case and branch spec that loads.
    fn variants() -> Vec<(String, Resolved)> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut texts: Vec<(String, String)> = BRANCHES
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let text = format!("apiVersion: rkv.dev/v1alpha1\nkind: RedisTopology\nmetadata: {{name: kv, namespace: kv}}\nspec:\n  use: durable\n  {}\n", b.replace('\n', "\n  "));
                (format!("branch {i}"), text)
            })
            .collect();
        let mut files: Vec<std::path::PathBuf> = Vec::new();
        for dir in ["profiles", "tests/golden"] {
            for e in std::fs::read_dir(root.join(dir)).expect("readable") {
                let p = e.expect("entry").path();
                files.push(if p.is_dir() { p.join("spec.yaml") } else { p });
            }
        }
        files.sort();
        for f in files.into_iter().filter(|f| f.is_file()) {
            let text = std::fs::read_to_string(&f).unwrap_or_default();
            texts.push((f.display().to_string(), text));
        }
        let mut out = Vec::new();
        for (label, text) in texts {
            // The load-* golden cases do not load, on purpose.
            if let Ok(loaded) = spec::load_str(&label, text) {
                out.extend(
                    resolve(&loaded.topology)
                        .into_iter()
                        .map(|r| (label.clone(), r)),
                );
            }
        }
        out
    }

    /// The spec as import's shape readers find it before the settings are read: the
    /// shape (with the node timeout), image, port, the volume, the resources; nothing
    /// the settings are written from.
    fn before_settings(spec: &TopologySpec) -> TopologySpec {
        let full = serde_json::to_value(spec).expect("a spec serializes");
        let mut base = json!({
            "use": full["use"],
            "shape": full["shape"],
            "redis": {"image": full["redis"]["image"], "port": full["redis"]["port"]},
        });
        if let Some(r) = full.get("resources") {
            base["resources"] = r.clone();
        }
        if let Some(p) = full
            .get("persistence")
            .filter(|p| p["enabled"] == json!(true))
        {
            base["persistence"] = json!({"size": p["size"]});
            if let Some(c) = p.get("storageClass") {
                base["persistence"]["storageClass"] = c.clone();
            }
        }
        serde_json::from_value(base).expect("a spec deserializes")
    }

    /// What Redis runs with for every directive rkv writes: the value written, else
    /// Redis's default (a default written out is the same server as none written).
    fn running(settings: &[written::Setting]) -> Vec<(&'static str, Option<String>)> {
        DIRECTIVES
            .iter()
            .map(|d| {
                let value = match settings.iter().find(|s| s.key == *d) {
                    Some(s) => Some(s.value()),
                    None => redisconf::default_of(d).map(str::to_string),
                };
                (*d, value.map(|v| redisconf::canonical(d, &v)))
            })
            .collect()
    }

    #[test]
    fn every_setting_rkv_writes_reads_back() {
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        let variants = variants();
        assert!(variants.len() > 50, "read {} variants", variants.len());
        for (label, r) in variants {
            let at = format!("{label} ({:?})", r.variant);
            let plan = model::plan(&r, "spec.yaml");
            let settings = written::settings(&plan);
            let order: Vec<usize> = settings
                .iter()
                .map(|s| {
                    DIRECTIVES
                        .iter()
                        .position(|d| *d == s.key)
                        .unwrap_or_else(|| {
                            panic!(
                                "{at}: plan::settings writes `{}`, which DIRECTIVES does not list",
                                s.key
                            )
                        })
                })
                .collect();
            assert!(
                order.is_sorted(),
                "{at}: written out of DIRECTIVES order: {order:?}"
            );
            seen.extend(settings.iter().map(|s| s.key));
            // As the pods run them: `redis-server --port 6379 --appendonly yes ...`.
            let mut argv = vec!["redis-server".to_string()];
            argv.extend(written::redis_args(&plan));
            let conf = redisconf::invocation(&argv)
                .expect("redis-server arguments")
                .options;
            let mut spec = before_settings(&r.spec);
            let mut target = Target {
                spec: &mut spec,
                without_volume: Vec::new(),
            };
            let mut notes = Notes::default();
            apply(&conf, &mut target, &mut notes, "the test");
            assert!(
                target.without_volume.is_empty(),
                "{at}: {:?}",
                target.without_volume
            );
            assert_eq!(notes, Notes::default(), "{at}: read from {argv:?}");
            let mut again = r.clone();
            again.spec = spec;
            let plan_again = model::plan(&again, "spec.yaml");
            assert_eq!(
                running(&written::settings(&plan_again)),
                running(&settings),
                "{at}: read from {argv:?}"
            );
        }
        let all: BTreeSet<&str> = DIRECTIVES.iter().copied().collect();
        assert_eq!(
            seen, all,
            "a directive no case writes: add a case to BRANCHES"
        );
    }

    #[test]
    fn quantities_in_bytes() {
        assert_eq!(quantity_bytes("1Gi"), Some(1 << 30));
        assert_eq!(quantity_bytes("512Mi"), Some(512 << 20));
        assert_eq!(quantity_bytes("2G"), Some(2_000_000_000));
        assert_eq!(quantity_bytes("1.5Gi"), None);
        assert_eq!(quantity_bytes("99999999999Ti"), None);
    }
}
