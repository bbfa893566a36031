//! rkv benchmarks: a plain program (`harness = false`), run by `benches/run.sh` or
//! `cargo bench --bench rkv -- [OPTIONS]`.
//!
//! In: the release `rkv` binary Cargo builds for benchmarks (`CARGO_BIN_EXE_rkv`), the
//! specs in `profiles/`, and specs this program generates. Out: Markdown tables on
//! stdout (paste them into BENCHMARKS.md) and progress on stderr. Invariant: every
//! figure is a median over several runs of a whole process (CPU user+sys and peak RSS
//! from `wait4(2)`'s rusage, wall time around spawn and reap) or, for `rkv diff`, of the
//! library call in process; generated fleets are a pure function of their seed, so two
//! runs measure the same inputs.
//!
//! Every render figure comes with the *process floor* measured in the same run: the
//! `floor` program (`examples/floor.rs`) reads the same specs and writes the same bytes
//! the same way, without compiling anything. The ratio and the distance to it are what
//! compare across machines. `helm template` of the Bitnami chart for the same topology
//! is measured in the same run too, when the chart is at hand (`RKV_HELM_CHART`, or a
//! `helm pull` that works).
//!
//! Options: `--runs N` (default 21, fleets use fewer as N grows), `--fleet 10,100,1000`
//! (sizes; default 10,100,1000,3000,10000), `--only profiles,fleet,helm,diff` (any of them), `--quick`
//! (fewer runs, fleet up to 1,000), `--fs disk|tmpfs` (fleet outputs on one only), `gen N DIR` (only write a fleet of N specs into DIR,
//! for profiling).

// A measuring program, not a library: a failed step should stop it loudly, and it
// writes its generated fleets and scratch outputs itself.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods
)]

#[path = "../tests/support/apiserver.rs"]
mod apiserver;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The binary under test: `RKV_BIN` if set (to compare two builds), else the one Cargo
/// built for this benchmark.
fn rkv_bin() -> String {
    std::env::var("RKV_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_rkv").to_string())
}
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The floor program: `RKV_FLOOR_BIN` if set, else the release example `benches/run.sh`
/// builds (`cargo build --release --example floor`).
fn floor_bin() -> String {
    std::env::var("RKV_FLOOR_BIN")
        .unwrap_or_else(|_| format!("{ROOT}/target/release/examples/floor"))
}
const SEED: u64 = 0x5eed_0008;

/// One measured process run.
#[derive(Debug, Clone, Copy)]
struct Run {
    cpu: Duration,
    /// The kernel's share of `cpu`.
    sys: Duration,
    wall: Duration,
    /// Peak resident set, KiB.
    rss_kib: u64,
}

/// Runs `rkv args...` once to completion; panics (with its stderr) when it fails.
fn run_rkv(args: &[&str], log: &Path) -> Run {
    run_process(&rkv_bin(), args, log)
}

/// Runs `bin args...` once to completion; panics (with its stderr) when it fails.
// std and rustix have no `wait4` with the child's rusage, and `getrusage(RUSAGE_CHILDREN)`
// cannot give one child's peak RSS: the benchmark alone calls libc (a dev-dependency).
#[allow(unsafe_code)]
fn run_process(bin: &str, args: &[&str], log: &Path) -> Run {
    let err = std::fs::File::create(log).expect("create the stderr log");
    let start = Instant::now();
    let child = Command::new(bin)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(err)
        .env("NO_COLOR", "1")
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {bin}: {e}"));
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value of the plain C struct.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our own child, not yet reaped; status and ru are valid for writes.
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
    let wall = start.elapsed();
    // The child is reaped: dropping the handle neither waits nor kills.
    drop(child);
    assert_eq!(rc, pid, "wait4: {}", std::io::Error::last_os_error());
    if !(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0) {
        panic!(
            "`{bin} {}` failed (status {status}):\n{}",
            args.join(" "),
            std::fs::read_to_string(log).unwrap_or_default()
        );
    }
    let tv = |t: libc::timeval| {
        Duration::from_secs(u64::try_from(t.tv_sec).unwrap())
            + Duration::from_micros(u64::try_from(t.tv_usec).unwrap())
    };
    Run {
        cpu: tv(ru.ru_utime) + tv(ru.ru_stime),
        sys: tv(ru.ru_stime),
        wall,
        rss_kib: ru.ru_maxrss as u64,
    }
}

/// Median figures of several runs.
#[derive(Debug, Clone, Copy)]
struct Stats {
    cpu: Duration,
    sys: Duration,
    wall: Duration,
    rss_kib: u64,
    min_wall: Duration,
    runs: usize,
}

fn median<T: Ord + Copy>(mut v: Vec<T>) -> T {
    v.sort();
    v[v.len() / 2]
}

fn stats(runs: &[Run]) -> Stats {
    Stats {
        cpu: median(runs.iter().map(|r| r.cpu).collect()),
        sys: median(runs.iter().map(|r| r.sys).collect()),
        wall: median(runs.iter().map(|r| r.wall).collect()),
        rss_kib: median(runs.iter().map(|r| r.rss_kib).collect()),
        min_wall: runs.iter().map(|r| r.wall).min().unwrap_or_default(),
        runs: runs.len(),
    }
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1e3;
    if ms >= 100.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{ms:.1} ms")
    }
}

fn us(d: Duration) -> String {
    format!("{:.0} µs", d.as_secs_f64() * 1e6)
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// Files under `dir`, recursively.
fn count_files(dir: &Path) -> usize {
    let mut n = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push(e.path()),
                Ok(_) => n += 1,
                Err(_) => {}
            }
        }
    }
    n
}

/// rkv and its floor on the same inputs.
struct Pair {
    rkv_fresh: Stats,
    rkv_again: Stats,
    /// `None` when the floor program is not built.
    floor: Option<(Stats, Stats)>,
    files: usize,
}

/// Renders `inputs` `runs` times into a fresh output directory each time (every file is
/// written), then `runs` times over an up-to-date output (nothing is written); the floor
/// does the same, each of its runs right after rkv's, so both see the same machine load.
/// A first, untimed render gives the bytes the floor writes. Outputs are removed at the
/// end, not between runs: on ext4, creating inodes right after deleting as many costs
/// the kernel far more than either alone (`recently_deleted`), which would measure the
/// benchmark's own churn.
fn bench_render(tmp: &Path, inputs: &[&str], runs: usize, with_floor: bool) -> Pair {
    let log = tmp.join("stderr.log");
    let args = |pre: &[&str], out: &Path| -> Vec<String> {
        let mut a: Vec<String> = pre.iter().map(|s| s.to_string()).collect();
        a.extend(inputs.iter().map(|s| s.to_string()));
        a.extend(["-o".to_string(), out.display().to_string()]);
        // The temporary directory stands for rkv's GitOps repository: the Argo CD
        // Applications name their tree's path in it (the floor writes bytes only).
        if pre == ["render"] {
            a.extend(["--repo-root".to_string(), tmp.display().to_string()]);
        }
        a
    };
    let first = tmp.join("out-first");
    run_rkv(&refs(&args(&["render"], &first)), &log);
    let files = count_files(&first);
    let bundle = tmp.join("bundle");
    let floor_bin = floor_bin();
    let floor = with_floor && Path::new(&floor_bin).is_file() && write_bundle(&first, &bundle);
    let b = bundle.display().to_string();
    let (mut fresh, mut again, mut ffresh, mut fagain) = (vec![], vec![], vec![], vec![]);
    for i in 0..runs {
        fresh.push(run_rkv(
            &refs(&args(&["render"], &tmp.join(format!("out-{i}")))),
            &log,
        ));
        if floor {
            let out = tmp.join(format!("floor-{i}"));
            ffresh.push(run_process(&floor_bin, &refs(&args(&[&b], &out)), &log));
            if i == 0 {
                assert!(same_tree(&first, &out), "the floor writes what rkv writes");
            }
        }
    }
    let last = tmp.join(format!("out-{}", runs - 1));
    let flast = tmp.join(format!("floor-{}", runs - 1));
    for _ in 0..runs {
        again.push(run_rkv(&refs(&args(&["render"], &last)), &log));
        if floor {
            fagain.push(run_process(&floor_bin, &refs(&args(&[&b], &flast)), &log));
        }
    }
    for i in 0..runs {
        let _ = std::fs::remove_dir_all(tmp.join(format!("out-{i}")));
        let _ = std::fs::remove_dir_all(tmp.join(format!("floor-{i}")));
    }
    let _ = std::fs::remove_dir_all(&first);
    let _ = std::fs::remove_file(&bundle);
    Pair {
        rkv_fresh: stats(&fresh),
        rkv_again: stats(&again),
        floor: floor.then(|| (stats(&ffresh), stats(&fagain))),
        files,
    }
}

fn refs(a: &[String]) -> Vec<&str> {
    a.iter().map(String::as_str).collect()
}

/// Every file under `dir`, sorted, as paths relative to it. Only paths: the harness
/// never holds a tree's contents, see [`own_peak_rss_kib`].
fn tree_paths(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap_or(&p).to_path_buf());
            }
        }
    }
    out.sort();
    out
}

/// Whether two trees hold the same files with the same bytes (read one file at a time).
fn same_tree(a: &Path, b: &Path) -> bool {
    let paths = tree_paths(a);
    paths == tree_paths(b)
        && paths
            .iter()
            .all(|p| std::fs::read(a.join(p)).ok() == std::fs::read(b.join(p)).ok())
}

/// Writes the trees under `out` (one folder per spec) as the floor's bundle, one file
/// at a time.
fn write_bundle(out: &Path, bundle: &Path) -> bool {
    use std::io::Write as _;
    let Ok(file) = std::fs::File::create(bundle) else {
        return false;
    };
    let mut w = std::io::BufWriter::new(file);
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(out)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for d in dirs {
        let name = d
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        if writeln!(w, "T {name}").is_err() {
            return false;
        }
        for rel in tree_paths(&d) {
            let Ok(bytes) = std::fs::read(d.join(&rel)) else {
                return false;
            };
            if writeln!(w, "F {} {}", rel.display(), bytes.len()).is_err()
                || w.write_all(&bytes).is_err()
            {
                return false;
            }
        }
    }
    w.flush().is_ok()
}

/// This harness's own peak RSS, KiB. Linux carries a process's peak into the children
/// it spawns (`ru_maxrss` of a child is at least its parent's high-water mark when it
/// was spawned), so a child's peak below this figure cannot be measured: the harness
/// keeps itself small (it never holds a rendered tree) and prints it.
// std and rustix have no getrusage: libc, as in `run_process`.
#[allow(unsafe_code)]
fn own_peak_rss_kib() -> u64 {
    // SAFETY: an all-zero rusage is a valid value of the plain C struct.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `ru` is valid for writes for the duration of the call.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) } == 0 {
        u64::try_from(ru.ru_maxrss).unwrap_or(0)
    } else {
        0
    }
}

/// `a / b` as `12.3x`.
fn ratio(a: Duration, b: Duration) -> String {
    if b.is_zero() {
        return "—".into();
    }
    format!("{:.1}x", a.as_secs_f64() / b.as_secs_f64())
}

/// The figures of one render row: rkv and its floor, fresh and up to date.
fn render_row(r: &Pair) -> String {
    let (f, a) = (r.rkv_fresh, r.rkv_again);
    match &r.floor {
        Some((ff, fa)) => format!(
            "{} | {} | {} | {} | {} | {} | {} | {} | {}",
            ms(f.cpu),
            ms(ff.cpu),
            ratio(f.cpu, ff.cpu),
            ms(f.wall),
            mib(f.rss_kib.max(a.rss_kib)),
            mib(ff.rss_kib.max(fa.rss_kib)),
            ms(a.cpu),
            ms(fa.cpu),
            ratio(a.cpu, fa.cpu)
        ),
        None => format!(
            "{} | — | — | {} | {} | — | {} | — | —",
            ms(f.cpu),
            ms(f.wall),
            mib(f.rss_kib.max(a.rss_kib)),
            ms(a.cpu)
        ),
    }
}

/// The Bitnami redis chart this compares with: `RKV_HELM_CHART` (a chart directory or
/// `.tgz`), else one pulled earlier into `target/bench-cache/`, else a `helm pull` now.
fn helm_chart(helm: &str) -> Result<String, String> {
    if let Ok(c) = std::env::var("RKV_HELM_CHART") {
        return if Path::new(&c).exists() {
            Ok(c)
        } else {
            Err(format!("`RKV_HELM_CHART={c}` does not exist"))
        };
    }
    let cache = Path::new(ROOT).join("target/bench-cache");
    let tgz = cache.join("redis-23.1.1.tgz");
    if !tgz.is_file() {
        let _ = std::fs::create_dir_all(&cache);
        let out = Command::new(helm)
            .args([
                "pull",
                "oci://registry-1.docker.io/bitnamicharts/redis",
                "--version",
                "23.1.1",
                "-d",
            ])
            .arg(&cache)
            .output()
            .map_err(|e| format!("cannot run `{helm}`: {e}"))?;
        if !out.status.success() || !tgz.is_file() {
            return Err(format!(
                "the Bitnami redis chart 23.1.1 is not available offline and `helm pull` failed ({}); set `RKV_HELM_CHART` to a copy of the chart",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
    }
    Ok(tgz.display().to_string())
}

/// `helm template` of the Bitnami chart with the values rkv renders for
/// `profiles/bitnami-redis.yaml`: its median figures and the chart used.
fn bench_helm(tmp: &Path, runs: usize) -> Result<(Stats, String), String> {
    let local = format!("{ROOT}/.tools/bin/helm");
    let helm = if Path::new(&local).is_file() {
        local
    } else {
        "helm".to_string()
    };
    let chart = helm_chart(&helm)?;
    let out = tmp.join("helm-values");
    let spec = format!("{ROOT}/profiles/bitnami-redis.yaml");
    run_rkv(
        &[
            "render",
            &spec,
            "-o",
            &out.display().to_string(),
            "--repo-root",
            &tmp.display().to_string(),
        ],
        &tmp.join("stderr.log"),
    );
    let values = out
        .join("bitnami-redis/helm/values.yaml")
        .display()
        .to_string();
    let args = [
        "template",
        "redis",
        &chart,
        "-f",
        &values,
        "--namespace",
        "redis",
    ];
    let log = tmp.join("helm.log");
    let times: Vec<Run> = (0..runs).map(|_| run_process(&helm, &args, &log)).collect();
    let _ = std::fs::remove_dir_all(&out);
    Ok((stats(&times), chart))
}

// ---------------------------------------------------------------------------------------
// The fleet generator.

/// splitmix64: small, seeded, the same numbers on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[usize::try_from(self.next() % xs.len() as u64).unwrap()]
    }
}

const WORDS: &[&str] = &[
    "orders",
    "cart",
    "session",
    "rate",
    "feed",
    "search",
    "auth",
    "billing",
    "geo",
    "queue",
    "inventory",
    "profile",
    "ledger",
    "notify",
    "media",
    "stats",
];

/// The shape of spec `i`: standalone, cluster (3..6 shards x 1..2 replicas),
/// replication with 3 or 5 Sentinels, failover (Spotahome), in turn.
fn shape(i: usize, rng: &mut Rng) -> Value {
    let sentinels = *rng.pick(&[3u64, 5]);
    let sentinel = json!({"replicas": sentinels, "quorum": sentinels / 2 + 1});
    match i % 4 {
        0 => json!({"standalone": {}}),
        1 => json!({"cluster": {
            "shards": rng.range(3, 6),
            "replicasPerShard": rng.range(1, 2),
        }}),
        // The operators must reach their pods through rkv's NetworkPolicies (RKV155, RKV168).
        2 => json!({"replication": {
            "replicas": 3,
            "sentinel": sentinel,
            "operatorNamespace": "redis-operator",
        }}),
        _ => json!({"failover": {
            "operator": "spotahome",
            "replicas": 3,
            "sentinel": sentinel,
            "operatorNamespace": "redis-operator",
        }}),
    }
}

/// Spec `i` of a fleet: varied shape, name, namespace, clients, monitoring and, for one
/// spec in three, a `staging`/`production` pair of environments.
fn fleet_spec(i: usize, rng: &mut Rng) -> (String, Value) {
    let word = *rng.pick(WORDS);
    let name = format!("{word}-{i}");
    // Namespaces are shared by a few topologies, as in a real fleet.
    let namespace = format!("team-{}", rng.range(0, (i as u64 / 4).max(1)));
    let use_ = *rng.pick(&["cache", "session", "durable"]);
    let limit_mib = *rng.pick(&[256u64, 512, 1024, 2048]);
    let mut spec = json!({
        "use": use_,
        "shape": shape(i, rng),
        "redis": {"image": "redis:7.2"},
        "auth": {"passwordSecret": {"name": format!("{name}-auth"), "key": "password"}},
        "resources": {
            "requests": {"cpu": "100m", "memory": format!("{}Mi", limit_mib / 2)},
            "limits": {"cpu": "1000m", "memory": format!("{limit_mib}Mi")},
        },
        "memory": {
            // Half the limit leaves room for the fork of a save (no RKV118 warning).
            "maxmemory": format!("{}mb", limit_mib / 2),
            "policy": if use_ == "cache" { "allkeys-lru" } else { "noeviction" },
        },
        "persistence": {"size": format!("{}Gi", limit_mib / 256 * 4), "aof": {}},
        "clients": [{"namespace": format!("app-{}", rng.range(0, 9)),
                     "podSelector": {"app.kubernetes.io/name": word}}],
        // Mostly hard anti-affinity; one in four soft (RKV124 warns for those).
        "placement": {
            "antiAffinity": if rng.range(0, 3) == 0 { "preferred" } else { "required" },
            "topologySpread": true,
        },
    });
    if use_ == "durable" {
        spec["backup"] = json!({
            "schedule": format!("{} */6 * * *", rng.range(0, 59)),
            "retentionDays": 7,
            "size": format!("{}Gi", limit_mib / 256 * 4),
        });
    }
    // A standalone Deployment has one pod and no exporter: placement and monitoring are
    // refused there (RKV107).
    let standalone = i.is_multiple_of(4);
    if standalone {
        spec.as_object_mut().map(|m| m.remove("placement"));
    }
    if rng.range(0, 1) == 1 && !standalone {
        spec["monitoring"] = json!({
            "namespace": "monitoring",
            "exporter": {"image": "oliver006/redis_exporter:v1.58.0"},
            "alerts": true,
        });
    }
    if i % 3 == 2 {
        spec["environments"] = json!({
            "staging": {"namespace": format!("{namespace}-staging")},
            "production": {"name": format!("{name}-prod"), "shape": shape(i, rng)},
        });
    }
    let topology = json!({
        "apiVersion": "rkv.dev/v1alpha1",
        "kind": "RedisTopology",
        "metadata": {"name": name, "namespace": namespace, "partOf": word},
        "spec": spec,
    });
    (format!("{i:05}-{name}"), topology)
}

/// Writes a fleet of `n` specs (seeded, deterministic) into `dir`.
fn write_fleet(n: usize, dir: &Path) {
    std::fs::create_dir_all(dir).expect("create the fleet directory");
    let mut rng = Rng(SEED);
    for i in 0..n {
        let (stem, spec) = fleet_spec(i, &mut rng);
        let text = rkv::write::to_yaml(&spec).expect("serialize a generated spec");
        std::fs::write(dir.join(format!("{stem}.yaml")), text).expect("write a generated spec");
    }
}

// ---------------------------------------------------------------------------------------
// rkv diff against the stand-in API server.

/// The first `n` distinct cluster objects of the base variant of generated specs.
fn diff_objects(n: usize) -> Vec<Value> {
    let mut rng = Rng(SEED ^ 0xd1ff);
    let mut out = Vec::new();
    let mut i = 0;
    while out.len() < n && i < 10 * n {
        let (stem, spec) = fleet_spec(i, &mut rng);
        i += 1;
        let text = rkv::write::to_yaml(&spec).expect("serialize a generated spec");
        let loaded = rkv::spec::load::load_str(&format!("{stem}.yaml"), text)
            .unwrap_or_else(|d| panic!("generated spec {stem} does not load: {d:?}"));
        let compiled = rkv::compile::compile(&loaded)
            .unwrap_or_else(|e| panic!("generated spec {stem} does not compile: {e}"));
        if let Some(v) = compiled.variants.first() {
            out.extend(
                v.objects
                    .iter()
                    .filter(|o| !o.api_version().is_empty() && o.path.is_none())
                    .map(|o| o.value.clone()),
            );
        }
    }
    out.truncate(n);
    out
}

/// A kind the stand-in server should serve for `obj` (plural guessed as English does).
fn resource_for(obj: &Value) -> apiserver::Resource {
    let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
    let api = obj["apiVersion"].as_str().unwrap_or("v1");
    let kind = obj["kind"].as_str().unwrap_or("Unknown");
    let (group, version) = api.rsplit_once('/').unwrap_or(("", api));
    let lower = kind.to_lowercase();
    let plural = if let Some(stem) = lower.strip_suffix('y') {
        format!("{stem}ies")
    } else if lower.ends_with('s') {
        format!("{lower}es")
    } else {
        format!("{lower}s")
    };
    apiserver::Resource::new(
        leak(group.to_string()),
        leak(version.to_string()),
        leak(kind.to_string()),
        leak(plural),
        !matches!(kind, "Namespace" | "ClusterRole" | "ClusterRoleBinding"),
    )
}

/// Runs `rkv::diff::diff` over `objects` `runs` times at `concurrency`; returns the
/// median wall time, the requests of one run and the report summary.
fn bench_diff(objects: &[Value], concurrency: usize, runs: usize) -> (Stats, usize, String) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async {
        let mut resources = apiserver::builtin_resources();
        for o in objects {
            let r = resource_for(o);
            if !resources
                .iter()
                .any(|x| x.group == r.group && x.kind == r.kind)
            {
                resources.push(r);
            }
        }
        let server = apiserver::FakeApiServer::start(resources).await;
        // Half the objects are live already (one in four with a changed label), so the
        // run does GETs that find nothing, GETs that find, and dry-run PATCHes.
        for (i, o) in objects.iter().enumerate() {
            if i % 2 == 0 {
                let mut live = o.clone();
                if i % 4 == 0 {
                    live["metadata"]["labels"]["app.kubernetes.io/part-of"] = json!("old");
                }
                server.seed(live);
            }
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let opts = rkv::diff::DiffOptions {
            kubeconfig: Some(server.kubeconfig(dir.path())),
            concurrency,
            timeout: Duration::from_secs(30),
            ..rkv::diff::DiffOptions::default()
        };
        let mut times = Vec::new();
        let mut requests = 0;
        let mut summary = String::new();
        for _ in 0..runs {
            let before = server.log().len();
            let start = Instant::now();
            let report = rkv::diff::diff(objects, rkv::diff::LiveSource::Cluster, &opts)
                .await
                .expect("rkv diff against the stand-in server");
            let wall = start.elapsed();
            requests = server.log().len() - before;
            let text = report.render_text(false);
            summary = text.lines().last().unwrap_or_default().to_string();
            times.push(Run {
                cpu: Duration::ZERO,
                sys: Duration::ZERO,
                wall,
                rss_kib: 0,
            });
        }
        (stats(&times), requests, summary)
    })
}

// ---------------------------------------------------------------------------------------

struct Options {
    runs: usize,
    fleet: Vec<usize>,
    only: Option<String>,
    /// Fleet outputs: `disk`, `tmpfs`, or both (`None`).
    fs: Option<String>,
}

fn parse_args() -> Result<Options, String> {
    let mut o = Options {
        runs: 21,
        fleet: vec![10, 100, 1000, 3000, 10000],
        only: None,
        fs: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            // `cargo bench` passes `--bench` to every benchmark program.
            "--bench" => {}
            "--runs" => {
                o.runs = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .filter(|n| *n > 0)
                    .ok_or("--runs takes a positive number")?
            }
            "--fleet" => {
                o.fleet = args
                    .next()
                    .ok_or("--fleet takes sizes such as 10,100,1000")?
                    .split(',')
                    .map(|s| {
                        s.trim()
                            .parse()
                            .map_err(|_| format!("bad fleet size `{s}`"))
                    })
                    .collect::<Result<_, _>>()?
            }
            "--only" => o.only = Some(args.next().ok_or("--only takes profiles|fleet|helm|diff")?),
            "--fs" => o.fs = Some(args.next().ok_or("--fs takes disk or tmpfs")?),
            "--quick" => {
                o.runs = 5;
                o.fleet = vec![10, 100, 1000];
            }
            "gen" => {
                let n: usize = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .ok_or("gen N DIR")?;
                let dir = args.next().ok_or("gen N DIR")?;
                write_fleet(n, Path::new(&dir));
                eprintln!("wrote {n} specs into {dir}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(o)
}

fn shell(cmd: &str, args: &[&str]) -> String {
    Command::new(cmd)
        .args(args)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

fn machine() -> String {
    let model = shell("lscpu", &[])
        .lines()
        .find(|l| l.starts_with("Model name:"))
        .map(|l| l["Model name:".len()..].trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    format!(
        "- machine: {} CPU(s) (`nproc`), {model}; {}\n- rustc: {}\n- binary: `{}` (release profile)\n- rkv commit: {}\n",
        shell("nproc", &[]),
        shell("uname", &["-sr"]),
        shell("rustc", &["--version"]),
        {
            let bin = rkv_bin();
            Path::new(&bin)
                .strip_prefix(ROOT)
                .unwrap_or(Path::new(&bin))
                .display()
                .to_string()
        },
        shell("git", &["-C", ROOT, "rev-parse", "--short", "HEAD"]),
    )
}

fn main() {
    let o = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let want = |s: &str| {
        o.only
            .as_deref()
            .is_none_or(|x| x.split(',').any(|x| x == s))
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    println!("## Results\n\n{}", machine());

    // One-profile CPU figures, kept for the Helm comparison below.
    let mut profile_cpu: Vec<(String, Duration)> = Vec::new();
    if want("profiles") {
        let mut profiles: Vec<PathBuf> = std::fs::read_dir(Path::new(ROOT).join("profiles"))
            .expect("read profiles/")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
            .collect();
        profiles.sort();
        println!("### One profile per process (`rkv render profiles/<p>.yaml -o <tmp>`)\n");
        println!(
            "{} runs each, medians. *Fresh*: empty output directory, every file written (and synced). *Up to date*: output already current, nothing written. *Floor*: `examples/floor.rs` reading the same spec and writing the same bytes the same way, without compiling; *x floor* is rkv's CPU over the floor's, the distance that compares across machines.\n",
            o.runs
        );
        println!(
            "| profile | files | CPU fresh | floor CPU | x floor | wall fresh | peak RSS | floor RSS | CPU up to date | floor CPU | x floor |"
        );
        println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for p in &profiles {
            let name = p.file_stem().unwrap_or_default().to_string_lossy();
            eprintln!("profile {name}...");
            let input = p.display().to_string();
            let r = bench_render(tmp.path(), &[&input], o.runs, true);
            profile_cpu.push((name.to_string(), r.rkv_fresh.cpu));
            println!("| {name} | {} | {} |", r.files, render_row(&r));
        }
        eprintln!("all profiles...");
        let dir = Path::new(ROOT).join("profiles").display().to_string();
        let r = bench_render(tmp.path(), &[&dir], o.runs, true);
        println!("\n### All profiles in one process (`rkv render profiles -o <tmp>`)\n");
        println!(
            "| files | CPU fresh | floor CPU | x floor | wall fresh | peak RSS | floor RSS | CPU up to date | floor CPU | x floor |"
        );
        println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        println!("| {} | {} |\n", r.files, render_row(&r));
    }

    if want("helm") {
        eprintln!("helm template...");
        println!("### `helm template` of the Bitnami redis chart, same topology, same run\n");
        match bench_helm(tmp.path(), o.runs) {
            Err(why) => println!("Not measured: {why}.\n"),
            Ok((helm, chart)) => {
                let rkv = match profile_cpu.iter().find(|(n, _)| n == "bitnami-redis") {
                    Some((_, cpu)) => *cpu,
                    None => {
                        let p = format!("{ROOT}/profiles/bitnami-redis.yaml");
                        bench_render(tmp.path(), &[&p], o.runs, false).rkv_fresh.cpu
                    }
                };
                println!(
                    "`helm template redis {chart} -f generated/bitnami-redis/helm/values.yaml` (the values rkv renders for `profiles/bitnami-redis.yaml`) against `rkv render profiles/bitnami-redis.yaml`, {} runs each, medians.\n",
                    o.runs
                );
                println!("| helm CPU | helm wall | helm peak RSS | rkv CPU | helm CPU / rkv CPU |");
                println!("|---:|---:|---:|---:|---:|");
                println!(
                    "| {} | {} | {} | {} | {} |\n",
                    ms(helm.cpu),
                    ms(helm.wall),
                    mib(helm.rss_kib),
                    ms(rkv),
                    ratio(helm.cpu, rkv)
                );
            }
        }
    }

    if want("fleet") {
        println!("### Fleet (`rkv render <dir of N generated specs> -o <tmp>`)\n");
        println!(
            "Specs generated with seed {SEED:#x}: shapes standalone / cluster (3..6 x 1..2) / replication (Sentinel 3 or 5) / failover in turn, one in three with two environments. Fresh output directory each run; medians. The floor runs up to 1,000 specs (its input, rkv's output, is some 40 MB there).\n"
        );
        println!(
            "Output on disk (the system temp directory) and, where `/dev/shm` exists, on tmpfs: the difference is the filesystem's cost of creating the files (kernel time, *sys*), the tmpfs figures are rkv's own.\n"
        );
        println!(
            "| N specs | output | runs | files | CPU | of which sys | floor CPU | x floor | wall | floor wall | peak RSS | CPU / spec | wall / spec | up-to-date wall |"
        );
        println!("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        let shm = tempfile::tempdir_in("/dev/shm").ok();
        let mut outs = vec![("disk", tmp.path().to_path_buf())];
        if let Some(d) = &shm {
            outs.push(("tmpfs", d.path().to_path_buf()));
        }
        outs.retain(|(name, _)| o.fs.as_deref().is_none_or(|f| f == *name));
        let mut curve = Vec::new();
        for &n in &o.fleet {
            let dir = tmp.path().join(format!("fleet-{n}"));
            write_fleet(n, &dir);
            let runs = match n {
                0..=100 => o.runs,
                101..=1000 => o.runs.min(7),
                _ => o.runs.min(3),
            };
            for (fs_name, base) in &outs {
                eprintln!("fleet {n} on {fs_name} ({runs} runs)...");
                let input = dir.display().to_string();
                let r = bench_render(base, &[&input], runs, n <= 1000);
                let f = r.rkv_fresh;
                let (fl_cpu, fl_x, fl_wall) = match &r.floor {
                    Some((ff, _)) => (ms(ff.cpu), ratio(f.cpu, ff.cpu), ms(ff.wall)),
                    None => ("—".into(), "—".into(), "—".into()),
                };
                println!(
                    "| {n} | {fs_name} | {runs} | {} | {} | {} | {fl_cpu} | {fl_x} | {} | {fl_wall} | {} | {} | {} | {} |",
                    r.files,
                    ms(f.cpu),
                    ms(f.sys),
                    ms(f.wall),
                    mib(f.rss_kib),
                    us(f.cpu / u32::try_from(n).unwrap()),
                    us(f.wall / u32::try_from(n).unwrap()),
                    ms(r.rkv_again.wall)
                );
                curve.push((n, *fs_name, f.rss_kib, r.rkv_again.rss_kib));
            }
            let _ = std::fs::remove_dir_all(&dir);
        }
        println!("\n#### Peak memory against the number of specs\n");
        println!(
            "The harness's own peak RSS was {} at the end: a child's peak below it cannot be told apart (Linux accounts a child's `ru_maxrss` from its parent's high-water mark).\n",
            mib(own_peak_rss_kib())
        );
        println!(
            "| N specs | output | peak RSS fresh | peak RSS up to date |\n|---:|---|---:|---:|"
        );
        for (n, fs_name, fresh, again) in curve {
            println!("| {n} | {fs_name} | {} | {} |", mib(fresh), mib(again));
        }
        println!();
    }

    if want("diff") {
        let objects = diff_objects(200);
        println!(
            "### `rkv diff` of {} objects against the stand-in API server (in process)\n",
            objects.len()
        );
        println!(
            "`rkv::diff::diff(&objects, LiveSource::Cluster, &opts)` over loopback HTTP; half the objects live (a quarter changed). {} runs, median wall.\n",
            o.runs.min(11)
        );
        println!(
            "| concurrency | requests | wall (median) | wall (min) | report |\n|---:|---:|---:|---:|---|"
        );
        for c in [1, 16] {
            eprintln!("diff at concurrency {c}...");
            let (s, requests, summary) = bench_diff(&objects, c, o.runs.min(11));
            println!(
                "| {c} | {requests} | {} | {} | {summary} |",
                ms(s.wall),
                ms(s.min_wall)
            );
            let _ = s.runs;
        }
        println!();
    }
}
