//! The Redis settings of a topology: one list for every place they are written.
//!
//! In: a [`Plan`] (the spec's persistence, memory and client settings, `maxmemory` as
//! derived, the cluster's node timeout, `redis.extraConfig`). Out: [`Setting`]s,
//! directive and arguments, in redis.conf order, rkv's own first and the spec's
//! `extraConfig` after them; and [`owner`], which says which directives rkv (or the
//! operator, chart or image it writes for) owns, with the spec field to use instead.
//! Invariant: redis.conf of the cluster shape, the replication shape's
//! `redis-additional.conf`, `redis-server` arguments, the RedisFailover's `customConfig`
//! and the Helm charts' configuration all render this one list, so a new setting is one
//! edit here and reaches every target; every directive this module can produce from a
//! spec field is owned (a test proves it), so `extraConfig` never sets one twice.

use super::model::Plan;
use crate::spec::Shape;

/// One directive and its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    pub key: String,
    /// Usually one argument; `save` has one per rule (`"900 1"`), none when snapshots
    /// are off.
    pub args: Vec<String>,
}

impl Setting {
    fn new(key: &str, value: impl Into<String>) -> Setting {
        Setting {
            key: key.to_string(),
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
                    key: "save".into(),
                    args: rules.iter().map(|r| r.0.clone()).collect(),
                });
            }
        }
        None => {
            v.push(Setting::new("appendonly", "no"));
            // No volume: no snapshots either.
            v.push(Setting {
                key: "save".into(),
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
    // The checks refuse an owned directive and a value that is not one redis.conf line,
    // so these follow rkv's own settings without overriding any.
    v.extend(
        s.redis
            .extra_config
            .iter()
            .map(|(k, val)| Setting::new(k, val.render())),
    );
    v
}

/// Who sets a directive instead of `redis.extraConfig`, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner {
    /// The spec field that sets it, or what sets it when no field does.
    pub instead: &'static str,
    /// Why `extraConfig` may not set it.
    pub why: &'static str,
}

/// How an ownership rule matches a directive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Match {
    Exact(&'static str),
    Prefix(&'static str),
}

const fn rule(m: Match, instead: &'static str, why: &'static str) -> (Match, Owner) {
    (m, Owner { instead, why })
}

use Match::{Exact, Prefix};

/// The directives `redis.extraConfig` may not set: the ones a spec field renders, the
/// ones rkv's templates, the operators, the charts or the images set themselves, and
/// the ones that would break a guarantee (no secret rendered, commands the probes and
/// Jobs call, a server in the foreground that logs to stdout).
const OWNED: &[(Match, Owner)] = &[
    rule(
        Exact("port"),
        "`redis.port`",
        "rkv, the Services, probes and NetworkPolicies all use the port the spec names",
    ),
    rule(
        Prefix("tls-"),
        "`tls`",
        "rkv writes the TLS ports, certificates and client authentication from `tls`, and the probes and Jobs follow them",
    ),
    rule(
        Prefix("cluster-"),
        "`shape.cluster`",
        "cluster mode and its node timeout (`nodeTimeoutMs`) are written by rkv's redis.conf or the chart; other shapes run no cluster",
    ),
    rule(
        Exact("appendonly"),
        "`persistence.aof`",
        "rkv turns the AOF on from `persistence.aof`",
    ),
    rule(
        Exact("appendfsync"),
        "`persistence.aof.fsync`",
        "the durability checks read the fsync policy from the spec",
    ),
    rule(
        Exact("auto-aof-rewrite-percentage"),
        "`persistence.aof.rewritePercentage`",
        "the disk check sizes the volume from it",
    ),
    rule(
        Exact("auto-aof-rewrite-min-size"),
        "`persistence.aof.rewriteMinSize`",
        "rkv writes it from the spec",
    ),
    rule(
        Exact("appendfilename"),
        "no field",
        "the backup and restore procedures find the AOF where Redis puts it by default",
    ),
    rule(
        Exact("appenddirname"),
        "no field",
        "the backup and restore procedures find the AOF where Redis puts it by default",
    ),
    rule(
        Exact("save"),
        "`persistence.rdbSave`",
        "the disk check sizes the volume from the RDB rules",
    ),
    rule(
        Exact("dbfilename"),
        "no field",
        "the backups and restores find `dump.rdb` by its name",
    ),
    rule(
        Prefix("maxmemory"),
        "`memory.maxmemory` and `memory.policy`",
        "the memory checks and `maxmemory: auto` work from the spec's memory settings",
    ),
    rule(
        Exact("maxclients"),
        "`redis.maxclients`",
        "rkv writes it from the spec",
    ),
    rule(
        Exact("repl-diskless-sync"),
        "`redis.replDisklessSync`",
        "rkv writes it from the spec",
    ),
    rule(
        Exact("requirepass"),
        "`auth.passwordSecret`",
        "rkv renders a Secret reference, never a password",
    ),
    rule(
        Exact("masterauth"),
        "`auth.passwordSecret`",
        "rkv renders a Secret reference, never a password",
    ),
    rule(
        Exact("masteruser"),
        "`auth.passwordSecret`",
        "replicas, Sentinel and the operators authenticate as the default user with the spec's password",
    ),
    rule(
        Exact("user"),
        "`auth.passwordSecret`",
        "an ACL user line holds its password in the clear, and rkv never renders a credential",
    ),
    rule(
        Exact("aclfile"),
        "`auth.passwordSecret`",
        "no ACL file is mounted, and a missing one stops Redis from starting",
    ),
    rule(
        Exact("rename-command"),
        "no field",
        "the probes, the exporter, rkv's Jobs, Sentinel and the operators call commands (INFO, CONFIG, BGSAVE, CLUSTER, SHUTDOWN) by their names",
    ),
    rule(
        Exact("dir"),
        "no field",
        "the data volume's mount path is set by rkv, the operator or the chart",
    ),
    rule(
        Exact("bind"),
        "`clients`",
        "Redis must listen on the pod's address; the NetworkPolicies from `clients` decide who connects",
    ),
    rule(
        Exact("bind-source-addr"),
        "no field",
        "replication and the cluster bus connect from the pod's address",
    ),
    rule(
        Exact("protected-mode"),
        "`auth`",
        "rkv sets it from `auth`: protected mode refuses every other pod when there is no password",
    ),
    rule(
        Exact("replicaof"),
        "`shape`",
        "which pod replicates which is decided by Sentinel, the operator or the cluster",
    ),
    rule(
        Exact("slaveof"),
        "`shape`",
        "which pod replicates which is decided by Sentinel, the operator or the cluster",
    ),
    rule(
        Prefix("replica-announce-"),
        "no field",
        "the operator or chart announces each pod's own address",
    ),
    rule(
        Prefix("slave-announce-"),
        "no field",
        "the operator or chart announces each pod's own address",
    ),
    rule(
        Exact("include"),
        "`redis.extraConfig`",
        "an included file is not mounted in the pod: write its directives here",
    ),
    rule(
        Exact("loadmodule"),
        "`redis.image`",
        "the module file must be in every image that reads the data (replicas, restores): use an image that loads the module itself",
    ),
    rule(
        Exact("daemonize"),
        "no field",
        "a container's Redis must stay in the foreground",
    ),
    rule(
        Exact("logfile"),
        "no field",
        "Redis logs to stdout, where `kubectl logs` reads them (and the root filesystem is read-only)",
    ),
    rule(
        Exact("sentinel"),
        "`shape.<shape>.sentinel`",
        "Sentinel has its own settings; redis-server refuses `sentinel` directives",
    ),
    rule(
        Exact("enable-protected-configs"),
        "no field",
        "it lets clients change `dir` and `dbfilename` with CONFIG SET, how an attacker writes files",
    ),
    rule(
        Exact("enable-debug-command"),
        "no field",
        "DEBUG can crash or stall the server",
    ),
    rule(
        Exact("enable-module-command"),
        "no field",
        "MODULE LOAD runs code from any file the server can read",
    ),
];

/// Who owns `directive` (lowercase) instead of `redis.extraConfig`; `None` when the spec
/// may set it there.
pub fn owner(directive: &str) -> Option<Owner> {
    OWNED.iter().find_map(|(m, o)| {
        let hit = match m {
            Exact(d) => directive == *d,
            Prefix(p) => directive.starts_with(p),
        };
        hit.then_some(*o)
    })
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
        .filter(|s| DURABILITY.contains(&s.key.as_str()))
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

/// The longest directive name `redis.extraConfig` takes; Redis 7.0's longest is 34
/// characters.
const MAX_NAME: usize = 64;

/// `[a-z][a-z0-9_-]*`, at most [`MAX_NAME`] characters.
pub fn is_name(key: &str) -> bool {
    let b = key.as_bytes();
    b.first().is_some_and(u8::is_ascii_lowercase)
        && b.len() <= MAX_NAME
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'-' | b'_'))
}

/// Why `value` cannot be written as the arguments of one directive, in every place the
/// settings go: a redis.conf line (a newline starts another directive, quotes and
/// backslashes change how the line splits), a `redis-server` argument (the kubelet
/// expands `$(VAR)`, and a word starting with `--` starts another option), a Helm
/// value the chart renders as a template (`{{`), and Spotahome's `CONFIG SET`.
pub fn unwritable(value: &str) -> Option<&'static str> {
    if value.is_empty() {
        return Some("is empty: leave the directive out to keep the server's default");
    }
    if value.chars().any(|c| c == '\n' || c == '\r') {
        return Some("has a line break, which would start another directive");
    }
    if value.chars().any(|c| !(' '..='~').contains(&c)) {
        return Some("has a character that is not printable ASCII");
    }
    if value.starts_with(' ') || value.ends_with(' ') {
        return Some("starts or ends with a space");
    }
    if value.contains(['"', '\'', '\\', '`']) {
        return Some("has a quote or a backslash, which change how Redis splits the line");
    }
    if value.contains("$(") {
        return Some("has `$(`, which the kubelet expands from the container's environment");
    }
    if value.contains("{{") || value.contains("}}") {
        return Some("has `{{` or `}}`, which Helm renders as a template");
    }
    if value.split(' ').any(|w| w.starts_with("--")) {
        return Some(
            "has a word starting with `--`, which `redis-server` reads as another directive",
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::redis;

    fn plan_of(spec: &str) -> Plan {
        let loaded = crate::spec::load_str("t.yaml", spec.to_string()).expect("spec loads");
        let r = crate::spec::resolve::resolve(&loaded.topology)
            .into_iter()
            .next()
            .expect("a variant");
        super::super::model::plan(&r, "t.yaml")
    }

    /// Every spec field that renders a setting, set.
    const FULL: &str = "apiVersion: rkv.dev/v1alpha1\nkind: RedisTopology\nmetadata: {name: kv, namespace: kv}\nspec:\n  use: cache\n  shape: {cluster: {shards: 3, replicasPerShard: 1}}\n  redis: {image: \"redis:7.2\", maxclients: 100, replDisklessSync: true, extraConfig: {hz: 20, lazyfree-lazy-eviction: true, notify-keyspace-events: Ex}}\n  resources: {limits: {memory: 1Gi}}\n  memory: {maxmemory: auto, policy: allkeys-lru}\n  persistence: {size: 10Gi, aof: {fsync: everysec}, rdbSave: [\"900 1\"]}\n";

    #[test]
    fn every_directive_a_spec_field_renders_is_owned() {
        let all = settings(&plan_of(FULL));
        let own: Vec<&Setting> = all
            .iter()
            .filter(|s| {
                !["hz", "lazyfree-lazy-eviction", "notify-keyspace-events"]
                    .contains(&s.key.as_str())
            })
            .collect();
        assert_eq!(own.len(), 10, "{own:?}");
        for s in own {
            assert!(
                owner(&s.key).is_some(),
                "`{}` is rendered from a spec field but not owned",
                s.key
            );
        }
        // So is every directive the cluster's redis.conf template writes itself.
        let template = include_str!("../emit/templates/cluster-redis.conf.j2");
        for line in template.lines() {
            let word = line.split_whitespace().next().unwrap_or("");
            if word.is_empty() || word.starts_with(['#', '{']) {
                continue;
            }
            assert!(
                owner(word).is_some(),
                "the template writes `{word}`, which is not owned"
            );
        }
    }

    #[test]
    fn extra_config_follows_rkvs_own_settings_in_key_order() {
        let all = settings(&plan_of(FULL));
        let tail: Vec<(String, String)> = all[all.len() - 3..]
            .iter()
            .map(|s| (s.key.clone(), s.value()))
            .collect();
        assert_eq!(
            tail,
            [
                ("hz".to_string(), "20".to_string()),
                ("lazyfree-lazy-eviction".into(), "yes".into()),
                ("notify-keyspace-events".into(), "Ex".into()),
            ]
        );
    }

    #[test]
    fn owners_name_real_directives_and_leave_tuning_alone() {
        for (m, _) in OWNED {
            let known = match m {
                Exact(d) => redis::is_directive(d),
                Prefix(p) => redis::DIRECTIVES.iter().any(|d| d.starts_with(p)),
            };
            assert!(known, "{m:?} matches no Redis 7.0 directive");
        }
        // Prefixes must not catch tuning that rkv leaves to the spec.
        for free in [
            "repl-diskless-sync-delay",
            "repl-diskless-load",
            "hz",
            "io-threads",
        ] {
            assert!(owner(free).is_none(), "{free}");
        }
        assert!(owner("maxmemory-samples").is_some());
        assert!(owner("tls-port").is_some());
        assert!(owner("cluster-node-timeout").is_some());
    }
}
