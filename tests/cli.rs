//! The command line as users run it: exit codes, stdout, stderr, files.

// A test binary: a failed unwrap or panic is a failed test (see clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

fn rkv() -> Command {
    let mut c = Command::cargo_bin("rkv").unwrap();
    c.env("NO_COLOR", "1");
    c
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

const GOOD: &str = "apiVersion: rkv.dev/v1alpha1\nkind: RedisTopology\nmetadata: {name: kv, namespace: apps}\nspec:\n  use: cache\n  shape: {standalone: {}}\n  redis: {image: \"redis:7.2\"}\n  auth: {passwordSecret: {name: kv, key: password}}\n";

#[test]
fn validate_profiles_exits_zero() {
    rkv()
        .current_dir(root())
        .args(["validate", "profiles"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("4 spec(s) valid"));
}

#[test]
fn missing_file_is_an_input_error() {
    rkv()
        .args(["validate", "no/such/spec.yaml"])
        .assert()
        .code(2)
        .stderr("error[RKV001]: cannot read `no/such/spec.yaml`: no such file\n --> no/such/spec.yaml\n\n");
}

#[test]
fn directory_without_specs_is_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("notes.txt"), "x").unwrap();
    rkv()
        .arg("validate")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "error[RKV008]: no spec files (*.yaml, *.yml) in this directory",
        ))
        .stderr(predicate::str::contains(
            "help: give a spec file, or a directory that holds specs such as `profiles/`",
        ));
}

#[test]
fn file_over_one_megabyte_is_refused_unread() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("big.yaml");
    fs::write(&p, format!("{GOOD}# {}\n", "x".repeat(1024 * 1024))).unwrap();
    rkv()
        .arg("validate")
        .arg(&p)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "error[RKV002]: the file is 1048793 bytes; a spec may be at most 1048576 bytes (1 MB)",
        ));
}

#[test]
fn semantic_errors_exit_one_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("lb.yaml");
    fs::write(
        &spec,
        GOOD.replace(
            "  auth: {passwordSecret: {name: kv, key: password}}\n",
            "  exposure: {type: LoadBalancer}\n",
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    rkv()
        .arg("render")
        .arg(&spec)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("error[RKV103]"));
    assert!(!out.exists(), "nothing written on findings");
}

#[test]
fn json_format_is_machine_readable() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("bad.yaml");
    fs::write(&spec, GOOD.replace("use: cache", "use: cash")).unwrap();
    let out = rkv()
        .arg("validate")
        .arg("--format")
        .arg("json")
        .arg(&spec)
        .assert()
        .code(2)
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v[0]["code"], "RKV012");
    assert_eq!(v[0]["line"], 5);
    assert_eq!(v[0]["path"], "spec.use");
}

#[test]
fn render_check_passes_then_fails_after_an_edit() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("gen");
    rkv()
        .current_dir(root())
        .args(["render", "profiles", "-o"])
        .arg(&out)
        .assert()
        .code(0);
    rkv()
        .current_dir(root())
        .args(["render", "profiles", "--check", "-o"])
        .arg(&out)
        .assert()
        .code(0);
    let file = out.join("cordum/base/service-redis.yaml");
    let text = fs::read_to_string(&file).unwrap();
    fs::write(&file, text.replace("port: 6379", "port: 6380")).unwrap();
    rkv()
        .current_dir(root())
        .args(["render", "profiles", "--check", "-o"])
        .arg(&out)
        .assert()
        .code(1)
        .stdout(
            predicate::str::contains("-    port: 6380\n+    port: 6379")
                .and(predicate::str::contains("service-redis.yaml (on disk)")),
        )
        .stderr(predicate::str::contains(
            "is out of date (1 file(s) differ): run `rkv render profiles -o",
        ));
    // A stray file is drift too.
    rkv()
        .current_dir(root())
        .args(["render", "profiles", "-o"])
        .arg(&out)
        .assert()
        .code(0);
    fs::write(out.join("cordum/base/extra.yaml"), "x").unwrap();
    rkv()
        .current_dir(root())
        .args(["render", "profiles", "--check", "-o"])
        .arg(&out)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("stale (no longer rendered)"));
}

#[test]
fn committed_generated_tree_is_current() {
    rkv()
        .current_dir(root())
        .args(["render", "--check"])
        .assert()
        .code(0);
}

#[test]
fn stdout_prints_one_stream_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("kv.yaml");
    fs::write(&spec, GOOD).unwrap();
    let out = rkv()
        .current_dir(dir.path())
        .args(["render", "kv.yaml", "--stdout"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with("---\napiVersion: "));
    assert!(text.contains("kind: Deployment"));
    assert!(!dir.path().join("generated").exists());
    rkv()
        .current_dir(dir.path())
        .args(["render", "kv.yaml", "--stdout", "--env", "prod"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "has no environment or site `prod`; it has: base",
        ));
}

#[test]
fn schema_is_current_and_check_names_the_fix() {
    rkv()
        .current_dir(root())
        .args(["schema", "--check"])
        .assert()
        .code(0);
    let dir = tempfile::tempdir().unwrap();
    let stale = dir.path().join("s.json");
    fs::write(&stale, "{}").unwrap();
    rkv()
        .args(["schema", "--check", "-o"])
        .arg(&stale)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "is out of date: run `rkv schema -o",
        ));
}

#[test]
fn every_profile_declares_the_schema() {
    for e in fs::read_dir(root().join("profiles")).unwrap() {
        let p = e.unwrap().path();
        let first = fs::read_to_string(&p)
            .unwrap()
            .lines()
            .next()
            .unwrap_or_default()
            .to_string();
        assert_eq!(
            first,
            "# yaml-language-server: $schema=../schemas/topology.schema.json",
            "{}",
            p.display()
        );
    }
}

#[test]
fn usage_errors_exit_two_and_help_exits_zero() {
    rkv().arg("frobnicate").assert().code(2);
    rkv()
        .arg("--help")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("render"));
    rkv()
        .args(["completions", "bash"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("rkv"));
}

#[test]
fn diff_against_a_dump_exits_like_kubectl_diff() {
    let dir = tempfile::tempdir().unwrap();
    let dump = dir.path().join("live.yaml");
    let stream = rkv()
        .current_dir(root())
        .args(["render", "profiles/cordum.yaml", "--stdout"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    fs::write(&dump, &stream).unwrap();
    rkv()
        .current_dir(root())
        .args(["diff", "profiles/cordum.yaml", "--live"])
        .arg(&dump)
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "0 to create, 0 to change, 0 to prune",
        ));
    fs::write(
        &dump,
        String::from_utf8(stream)
            .unwrap()
            .replace("replicas: 1", "replicas: 2"),
    )
    .unwrap();
    rkv()
        .current_dir(root())
        .args(["diff", "profiles/cordum.yaml", "--live"])
        .arg(&dump)
        .assert()
        .code(1)
        .stdout(
            predicate::str::contains("change Deployment/cordum/redis")
                .and(predicate::str::contains("-  replicas: 2\n+  replicas: 1")),
        );
    rkv()
        .current_dir(root())
        .args([
            "diff",
            "profiles/cordum.yaml",
            "--live",
            "/no/such/dump.yaml",
        ])
        .assert()
        .code(2);
    rkv()
        .current_dir(root())
        .args(["diff", "profiles/cordum.yaml", "--env", "nope", "--live"])
        .arg(&dump)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "has no environment or site `nope`",
        ));
}

#[test]
fn explain_prints_the_arithmetic() {
    rkv()
        .current_dir(root())
        .args(["explain", "profiles/cordum.yaml", "--env", "production"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("minAvailable 5 of 6"))
        .stdout(predicate::str::contains(
            "k = min(R=1, floor((S-1)/2)=1) = 1",
        ))
        .stdout(predicate::str::contains(
            "shard 1: slots 5461-10922 (5462 slots)",
        ));
    rkv()
        .current_dir(root())
        .args(["explain", "profiles/platform-kv.yaml"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("maxmemory = 1Gi * 7/8 = 896mb"));
    let out = rkv()
        .current_dir(root())
        .args(["explain", "profiles/wal-failover.yaml", "--format", "json"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v.as_array().map(Vec::len), Some(2), "one report per site");
    assert!(v.to_string().contains("retention 168 h"));
}

#[test]
fn validate_crds_checks_custom_resources_on_disk() {
    let crds = root().join("../shared/crds");
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("rf.yaml"),
        "apiVersion: databases.spotahome.com/v1\nkind: RedisFailover\nmetadata: {name: rf, namespace: redis}\nspec:\n  redis: {replicas: \"three\", colour: blue}\n  sentinel: {replicas: 3}\n---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("kustomization.yaml"),
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [rf.yaml]\n",
    )
    .unwrap();
    rkv()
        .args(["validate", "--crds"])
        .arg(&crds)
        .arg("--manifests")
        .arg(dir.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "error[RKV130]: RedisFailover/rf at `/spec/redis/colour`: unknown field `colour`",
        ))
        .stderr(predicate::str::contains(
            "error[RKV130]: RedisFailover/rf at `/spec/redis/replicas`",
        ))
        .stderr(predicate::str::contains(
            "warning[RKV131]: Widget/w: no CRD for `example.com/v1 Widget`",
        ));
    rkv()
        .current_dir(root())
        .args(["validate", "--crds"])
        .arg(&crds)
        .assert()
        .code(0)
        .stderr(predicate::str::contains(
            "custom resource(s) match their CRDs",
        ));
    rkv()
        .args(["validate", "--crds", "/no/such/crds"])
        .assert()
        .code(2);
}

#[test]
fn readme_documents_every_diagnostic_code_and_the_two_commands() {
    let readme = fs::read_to_string(root().join("README.md")).unwrap();
    for (code, _) in rkv::diag::CODES {
        assert!(
            readme.contains(&format!("| {code} |")),
            "README.md does not document {code}"
        );
    }
    assert!(readme.contains("cargo run --release -- render"));
    assert!(readme.contains("scripts/test"));
    let ci = fs::read_to_string(root().join(".ci/run")).unwrap();
    assert!(
        ci.contains("scripts/test"),
        ".ci/run must call the README's test command"
    );
}

/// Everything a run shows the user, for a snapshot: the exit code, stdout and stderr.
fn outcome(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        out.status.code().map_or("signal".into(), |c| c.to_string()),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The files of a stream's objects, `<kind>-<name>.yaml` in lowercase.
fn file_names(stream: &[u8]) -> Vec<String> {
    let docs: Vec<serde_json::Value> =
        serde_saphyr::from_str_multiple(std::str::from_utf8(stream).unwrap()).unwrap();
    let mut names: Vec<String> = docs
        .iter()
        .map(|d| {
            format!(
                "{}-{}.yaml",
                d["kind"].as_str().unwrap(),
                d["metadata"]["name"].as_str().unwrap()
            )
            .to_lowercase()
        })
        .collect();
    names.sort();
    names
}

/// The object files of `generated/wal-failover/clusters/<site>/`: the tree's objects and
/// the Argo CD Application that deploys them (`apps/redis-application.yaml`).
fn site_files(site: &str) -> Vec<String> {
    let dir = root().join("generated/wal-failover/clusters").join(site);
    let mut names = vec![format!("application-redis-{site}.yaml")];
    assert!(dir.join("apps/redis-application.yaml").is_file());
    for e in fs::read_dir(dir.join("apps/redis")).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        if name != "kustomization.yaml" {
            names.push(name);
        }
    }
    names.sort();
    names
}

// One variant picker for every command: profiles/wal-failover.yaml spans the sites `dc`
// and `dr`, so it has no base; a command that shows one variant needs one named, and an
// unknown name is refused with the names the spec has.

#[test]
fn render_stdout_of_a_multi_site_spec_needs_a_site() {
    let run = |args: &[&str]| {
        let mut c = rkv();
        c.current_dir(root())
            .args(["render", "profiles/wal-failover.yaml", "--stdout"])
            .args(args);
        c
    };
    insta::assert_snapshot!("render_stdout_no_site", outcome(&mut run(&[])));
    insta::assert_snapshot!(
        "render_stdout_unknown_site",
        outcome(&mut run(&["--env", "nope"]))
    );
    for site in ["dc", "dr"] {
        let out = run(&["--env", site]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{site}");
        assert_eq!(file_names(&out.stdout), site_files(site), "{site}");
    }
}

#[test]
fn diff_of_a_multi_site_spec_needs_a_site() {
    let dir = tempfile::tempdir().unwrap();
    let dump = dir.path().join("live.yaml");
    let stream = rkv()
        .current_dir(root())
        .args([
            "render",
            "profiles/wal-failover.yaml",
            "--stdout",
            "--env",
            "dr",
        ])
        .output()
        .unwrap()
        .stdout;
    fs::write(&dump, stream).unwrap();
    let run = |args: &[&str]| {
        let mut c = rkv();
        c.current_dir(root())
            .args(["diff", "profiles/wal-failover.yaml", "--live"])
            .arg(&dump)
            .args(args);
        c
    };
    insta::assert_snapshot!("diff_no_site", outcome(&mut run(&[])));
    insta::assert_snapshot!("diff_unknown_site", outcome(&mut run(&["--site", "nope"])));
    insta::assert_snapshot!("diff_unknown_env", outcome(&mut run(&["--env", "base"])));
    // The dump is the `dr` site: nothing to change there; `dc` has no mirror, so its
    // objects are to prune.
    run(&["--site", "dr"])
        .assert()
        .code(0)
        .stdout("0 to create, 0 to change, 0 to prune, 24 unchanged\n");
    run(&["--site", "dc"]).assert().code(1).stdout(
        predicate::str::contains("\nprune KafkaMirrorMaker2/kafka/redis-writes-mirror\n").and(
            predicate::str::ends_with("\n1 to create, 1 to change, 6 to prune, 17 unchanged\n"),
        ),
    );
}

#[test]
fn explain_of_a_multi_site_spec_shows_every_site_or_the_one_named() {
    let run = |args: &[&str]| {
        let mut c = rkv();
        c.current_dir(root())
            .args(["explain", "profiles/wal-failover.yaml"])
            .args(args);
        c
    };
    insta::assert_snapshot!(
        "explain_unknown_site",
        outcome(&mut run(&["--env", "nope"]))
    );
    let all = run(&[]).output().unwrap();
    let dc = run(&["--env", "dc"]).output().unwrap();
    let dr = run(&["--env", "dr"]).output().unwrap();
    for out in [&all, &dc, &dr] {
        assert_eq!(out.status.code(), Some(0));
    }
    let text = |o: &std::process::Output| String::from_utf8(o.stdout.clone()).unwrap();
    assert!(text(&dc).starts_with("redis in redis (dc, failover)\n"));
    assert!(text(&dr).starts_with("redis in redis (dr, failover)\n"));
    assert!(text(&all).contains(&text(&dc)) && text(&all).contains(&text(&dr)));
}
