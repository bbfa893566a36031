//! The Redis settings of a topology: one list for every place they are written.
//!
//! In: a [`Plan`] (the spec's persistence, memory and client settings, `maxmemory` as
//! derived, the cluster's node timeout). Out: [`Setting`]s, directive and arguments, in
//! redis.conf order. Invariant: redis.conf of the cluster shape, the replication shape's
//! `redis-additional.conf`, `redis-server` arguments, the RedisFailover's `customConfig`
//! and the Helm charts' configuration all render this one list, so a new setting is one
//! edit here and reaches every target.

use super::model::Plan;
use crate::spec::Shape;

/// One directive and its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    pub key: &'static str,
    /// Usually one argument; `save` has one per rule (`"900 1"`), none when snapshots
    /// are off.
    pub args: Vec<String>,
}

impl Setting {
    fn new(key: &'static str, value: impl Into<String>) -> Setting {
        Setting {
            key,
            args: vec![value.into()],
        }
    }

    /// The arguments as one value (`save` rules joined with spaces, empty when off).
    pub fn value(&self) -> String {
        self.args.join(" ")
    }
}

/// `cluster-node-timeout`: the cluster's own setting, which a redis.conf that sets up
/// cluster mode itself writes beside `cluster-enabled`.
pub const CLUSTER_NODE_TIMEOUT: &str = "cluster-node-timeout";

/// Every directive [`settings`] can write, in the order it writes them. Read-only: `rkv
/// import` reads each back into the spec, in this order, and its tests fail when
/// [`settings`] writes a directive this list or import's readers do not have.
pub const DIRECTIVES: &[&str] = &[
    "appendonly",
    "appendfsync",
    "auto-aof-rewrite-percentage",
    "auto-aof-rewrite-min-size",
    "save",
    CLUSTER_NODE_TIMEOUT,
    "maxmemory",
    "maxmemory-policy",
    "maxclients",
    "repl-diskless-sync",
];

/// The settings in redis.conf order: persistence, the cluster's node timeout, `maxmemory`
/// and the eviction policy, client and replication limits.
pub fn settings(plan: &Plan) -> Vec<Setting> {
    let s = &plan.spec;
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    let mut v = Vec::new();
    match s.persistence.as_ref().filter(|p| p.enabled) {
        Some(p) => {
            v.push(Setting::new("appendonly", yes_no(p.aof.is_some())));
            if let Some(aof) = &p.aof {
                if let Some(f) = aof.fsync {
                    v.push(Setting::new("appendfsync", f.as_str()));
                }
                v.push(Setting::new(
                    "auto-aof-rewrite-percentage",
                    aof.rewrite_percentage.to_string(),
                ));
                v.push(Setting::new(
                    "auto-aof-rewrite-min-size",
                    aof.rewrite_min_size.clone(),
                ));
            }
            if let Some(rules) = &p.rdb_save {
                v.push(Setting {
                    key: "save",
                    args: rules.iter().map(|r| r.0.clone()).collect(),
                });
            }
        }
        None => {
            v.push(Setting::new("appendonly", "no"));
            // No volume: no snapshots either.
            v.push(Setting {
                key: "save",
                args: Vec::new(),
            });
        }
    }
    if let Shape::Cluster(c) = &s.shape {
        v.push(Setting::new(
            CLUSTER_NODE_TIMEOUT,
            c.node_timeout_ms.to_string(),
        ));
    }
    if let Some(m) = &plan.maxmemory {
        v.push(Setting::new("maxmemory", m.clone()));
    }
    if let Some(m) = &s.memory {
        v.push(Setting::new("maxmemory-policy", m.policy.as_str()));
    }
    if let Some(n) = s.redis.maxclients {
        v.push(Setting::new("maxclients", n.to_string()));
    }
    if let Some(d) = s.redis.repl_diskless_sync {
        v.push(Setting::new("repl-diskless-sync", yes_no(d)));
    }
    v
}

/// The directives that decide what Redis writes to disk and what it loads when it
/// starts. Applied only after start (`CONFIG SET`), they leave a window in which a
/// restarted Redis with `appendonly no` loads a stale RDB and then rewrites the AOF from it.
pub const DURABILITY: &[&str] = &[
    "appendonly",
    "appendfsync",
    "auto-aof-rewrite-percentage",
    "auto-aof-rewrite-min-size",
    "save",
];

/// `redis-server` arguments, after a config file, that put the durability settings in
/// force from process start. Arguments override the file, except `save`: rules in the
/// file and on the command line add up, so a `save` list starts with `--save ""`, which
/// clears the file's rules first (checked against redis-server 7.0).
pub fn durability_args(plan: &Plan) -> Vec<String> {
    let mut a = Vec::new();
    for s in settings(plan)
        .into_iter()
        .filter(|s| DURABILITY.contains(&s.key))
    {
        if s.key == "save" && !s.args.is_empty() {
            a.extend(["--save".to_string(), String::new()]);
        }
        a.push(format!("--{}", s.key));
        a.push(s.value());
    }
    a
}

/// `redis-server` arguments for the spec's settings. Never the password: arguments are
/// what `ps` shows every user of the pod; it goes to redis-server on stdin instead
/// (`emit::auth`).
pub fn redis_args(plan: &Plan) -> Vec<String> {
    let mut a = vec!["--port".to_string(), plan.spec.redis.port.to_string()];
    for s in settings(plan) {
        a.push(format!("--{}", s.key));
        a.push(s.value());
    }
    a
}
