//! The RedisFailover's Redis, started the way the Spotahome operator starts it, by the
//! real `redis-server` (Debian's redis-server package; skipped locally without it, a
//! failure under `CI=true`).
//!
//! The operator runs `spec.redis.command` verbatim as the Redis container's command when
//! it is set, else `redis-server /redis/redis.conf`, where `/redis` is its ConfigMap
//! `rfr-<name>` (spotahome/redis-operator operator/redisfailover/service/generator.go:
//! `getRedisCommand`, `getRedisVolumeMounts`, and `redisConfigTemplate` for the file). It
//! applies `spec.redis.customConfig` only once the pod runs, by `CONFIG SET`
//! (service/redis/client.go, `SetCustomRedisConfig`). These tests run both the operator's
//! default and rkv's rendered command against that file and show which one keeps an
//! acknowledged write across a crash.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rkv::compile::compile;
use rkv::spec::Variant;

use crate::support::root;

/// A binary on `PATH`; `None` (a skip) locally, a failure under `CI=true`.
fn on_path(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none_or(|v| v != "true"),
            "{name} is missing under CI=true: apt-get install -y redis-server redis-tools"
        );
        eprintln!("note: {name} is not installed; skipped locally");
    }
    found
}

/// The operator's redis.conf (`redisConfigTemplate`) for a RedisFailover on `port`.
fn operator_conf(port: u16) -> String {
    format!(
        "slaveof 127.0.0.1 {port}\nport {port}\ntcp-keepalive 60\nsave 900 1\nsave 300 10\nuser pinger -@all +ping on >pingpass\n"
    )
}

/// One Redis process, stopped (SIGKILL, as a node crash) when dropped.
struct Redis {
    child: Child,
    port: u16,
    cli: PathBuf,
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Redis {
    /// Runs `command` as the container would: `redis-server` and the operator's file
    /// replaced by their paths here, the arguments verbatim, in the data directory (the
    /// image's working directory, `/data`); waits for PING.
    fn start(server: &Path, cli: &Path, command: &[String], data: &Path, port: u16) -> Redis {
        assert_eq!(command[..2], ["redis-server", "/redis/redis.conf"]);
        let conf = data.join("operator-redis.conf");
        std::fs::write(&conf, operator_conf(port)).unwrap();
        let child = Command::new(server)
            .arg(&conf)
            .args(&command[2..])
            .args(["--bind", "127.0.0.1", "--logfile", "redis.log"])
            .current_dir(data)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let r = Redis {
            child,
            port,
            cli: cli.to_path_buf(),
        };
        r.wait_for("PING", "PONG");
        r
    }

    fn cmd(&self, args: &[&str]) -> String {
        let out = Command::new(&self.cli)
            .args(["-p", &self.port.to_string()])
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// `CONFIG GET key`'s value.
    fn config(&self, key: &str) -> String {
        let out = self.cmd(&["CONFIG", "GET", key]);
        out.lines().nth(1).unwrap_or("").to_string()
    }

    /// Polls until `args` answers with a line equal to `want` (10 s at most).
    fn wait_for(&self, args: &str, want: &str) {
        let args: Vec<&str> = args.split(' ').collect();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if self.cmd(&args).lines().any(|l| l.trim() == want) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "`{}` never answered `{want}`",
                args.join(" ")
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The operator's role change: the pod it elects stops following `slaveof 127.0.0.1`.
    fn promote(&self) {
        assert_eq!(self.cmd(&["REPLICAOF", "NO", "ONE"]), "OK");
        self.wait_for("ROLE", "master");
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The Redis command of a site's RedisFailover in a profile.
fn rendered_command(profile: &str, site: &str) -> Vec<String> {
    let loaded = rkv::spec::load_file(&root().join("profiles").join(profile)).unwrap();
    let c = compile(&loaded).unwrap();
    let v = c
        .variants
        .iter()
        .find(|v| v.resolved.variant == Variant::Site(site.into()))
        .unwrap();
    let rf = v
        .objects
        .iter()
        .find(|o| o.kind() == "RedisFailover")
        .unwrap();
    serde_json::from_value(rf.value["spec"]["redis"]["command"].clone()).unwrap()
}

/// rkv's command: AOF is on from the first instruction Redis runs, so an acknowledged
/// write survives a crash and the restart loads it; with the operator's default command
/// (AOF only by a later `CONFIG SET`) the same restart comes back without it.
#[test]
fn the_rendered_command_keeps_a_write_across_a_crash_the_default_loses_it() {
    let (Some(server), Some(cli)) = (on_path("redis-server"), on_path("redis-cli")) else {
        return;
    };
    let rendered = rendered_command("wal-failover.yaml", "dc");
    let default = vec!["redis-server".to_string(), "/redis/redis.conf".to_string()];

    // rkv's command: AOF at start; the operator's save rules stand (the spec sets none).
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let r = Redis::start(&server, &cli, &rendered, data.path(), port);
    assert_eq!(r.config("appendonly"), "yes");
    assert_eq!(r.config("save"), "900 1 300 10");
    assert_eq!(r.config("auto-aof-rewrite-min-size"), "67108864");
    r.promote();
    assert_eq!(r.cmd(&["SET", "job:1", "acknowledged"]), "OK");
    drop(r); // SIGKILL: no shutdown save
    let r = Redis::start(&server, &cli, &rendered, data.path(), port);
    assert_eq!(r.cmd(&["GET", "job:1"]), "acknowledged");
    drop(r);

    // The operator's default with customConfig: AOF turned on after start, as the
    // operator does; the write reached the AOF, but the restart boots with AOF off.
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let r = Redis::start(&server, &cli, &default, data.path(), port);
    assert_eq!(r.config("appendonly"), "no");
    r.promote();
    assert_eq!(r.cmd(&["CONFIG", "SET", "appendonly", "yes"]), "OK");
    r.wait_for("INFO persistence", "aof_rewrite_in_progress:0");
    r.wait_for("INFO persistence", "aof_enabled:1");
    assert_eq!(r.cmd(&["SET", "job:1", "acknowledged"]), "OK");
    drop(r);
    let r = Redis::start(&server, &cli, &default, data.path(), port);
    assert_eq!(
        r.cmd(&["GET", "job:1"]),
        "",
        "the default start ignores the AOF"
    );
}

/// Every persistence setting a spec states holds at start, `save` included: rules in the
/// operator's file and on the command line add up in Redis, so rkv clears the file's
/// first (`--save ""`).
#[test]
fn the_spec_s_persistence_settings_replace_the_operator_s_at_start() {
    let (Some(server), Some(cli)) = (on_path("redis-server"), on_path("redis-cli")) else {
        return;
    };
    let text = "apiVersion: rkv.dev/v1alpha1\nkind: RedisTopology\nmetadata: {name: kv, namespace: kv}\n\
                spec:\n  use: cache\n  redis: {image: \"redis:7.2\"}\n\
                \x20 shape: {failover: {operator: spotahome, replicas: 3, operatorNamespace: ops, sentinel: {replicas: 3, quorum: 2}}}\n\
                \x20 persistence: {size: 1Gi, aof: {fsync: always, rewriteMinSize: 128mb}, rdbSave: [\"3600 1\", \"60 100\"]}\n";
    let loaded = rkv::spec::load_str("kv.yaml", text.to_string()).unwrap();
    let c = compile(&loaded).unwrap();
    let rf = c.variants[0]
        .objects
        .iter()
        .find(|o| o.kind() == "RedisFailover")
        .unwrap();
    let command: Vec<String> =
        serde_json::from_value(rf.value["spec"]["redis"]["command"].clone()).unwrap();
    let data = tempfile::tempdir().unwrap();
    let r = Redis::start(&server, &cli, &command, data.path(), free_port());
    assert_eq!(r.config("appendonly"), "yes");
    assert_eq!(r.config("appendfsync"), "always");
    assert_eq!(r.config("auto-aof-rewrite-min-size"), "134217728");
    assert_eq!(r.config("save"), "3600 1 60 100");
}
