//! The command line as users run it: exit codes, stdout, stderr, files.
//!
//! What a command prints is checked whole, as an insta snapshot of the exit code, stdout
//! and stderr (`tests/snapshots/`; `INSTA_UPDATE=always` rewrites them, review the diff).
//! Commands run in the repository or in a temp directory with relative paths, so no
//! snapshot holds a machine's path.

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use insta::assert_snapshot;

use crate::support::{docs, outcome, rkv, root, shared};

const GOOD: &str = "apiVersion: rkv.dev/v1alpha1\nkind: RedisTopology\nmetadata: {name: kv, namespace: apps}\nspec:\n  use: cache\n  shape: {standalone: {}}\n  redis: {image: \"redis:7.2\"}\n  auth: {passwordSecret: {name: kv, key: password}}\n  clients: [{namespace: apps}]\n";

/// `rkv` in the repository.
fn in_root() -> Command {
    let mut c = rkv();
    c.current_dir(root());
    c
}

/// `rkv` in `dir`.
fn in_dir(dir: &Path) -> Command {
    let mut c = rkv();
    c.current_dir(dir);
    c
}

#[test]
fn validate_profiles_exits_zero() {
    assert_snapshot!(outcome(in_root().args(["validate", "profiles"])));
}

#[test]
fn missing_file_is_an_input_error() {
    assert_snapshot!(outcome(rkv().args(["validate", "no/such/spec.yaml"])));
}

#[test]
fn directory_without_specs_is_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("specs")).unwrap();
    fs::write(dir.path().join("specs/notes.txt"), "x").unwrap();
    assert_snapshot!(outcome(in_dir(dir.path()).args(["validate", "specs"])));
}

#[test]
fn file_over_one_megabyte_is_refused_unread() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("big.yaml"),
        format!("{GOOD}# {}\n", "x".repeat(1024 * 1024)),
    )
    .unwrap();
    assert_snapshot!(outcome(in_dir(dir.path()).args(["validate", "big.yaml"])));
}

#[test]
fn semantic_errors_exit_one_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("lb.yaml"),
        GOOD.replace(
            "  auth: {passwordSecret: {name: kv, key: password}}\n",
            "  exposure: {type: LoadBalancer}\n",
        ),
    )
    .unwrap();
    assert_snapshot!(outcome(
        in_dir(dir.path()).args(["render", "lb.yaml", "-o", "out"])
    ));
    assert!(
        !dir.path().join("out").exists(),
        "nothing written on findings"
    );
}

#[test]
fn json_format_is_machine_readable() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("bad.yaml"),
        GOOD.replace("use: cache", "use: cash"),
    )
    .unwrap();
    let out = in_dir(dir.path())
        .args(["validate", "--format", "json", "bad.yaml"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["code"], "RKV012");
    assert_eq!(v[0]["line"], 5);
    assert_eq!(v[0]["path"], "spec.use");
    assert_snapshot!(outcome(
        in_dir(dir.path()).args(["validate", "--format", "json", "bad.yaml"])
    ));
}

/// A temp directory holding a copy of `profiles/`.
fn with_profiles() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("profiles")).unwrap();
    for e in fs::read_dir(root().join("profiles")).unwrap() {
        let p = e.unwrap().path();
        fs::copy(&p, dir.path().join("profiles").join(p.file_name().unwrap())).unwrap();
    }
    dir
}

#[test]
fn render_check_passes_then_fails_after_an_edit() {
    let dir = with_profiles();
    let run = |args: &[&str]| outcome(in_dir(dir.path()).args(args));
    assert_snapshot!("render_writes", run(&["render", "profiles", "-o", "gen"]));
    assert_snapshot!(
        "render_check_current",
        run(&["render", "profiles", "--check", "-o", "gen"])
    );
    let file = dir.path().join("gen/cordum/base/service-redis.yaml");
    let text = fs::read_to_string(&file).unwrap();
    fs::write(&file, text.replace("port: 6379", "port: 6380")).unwrap();
    assert_snapshot!(
        "render_check_edited",
        run(&["render", "profiles", "--check", "-o", "gen"])
    );
    // Rendering again repairs it, and says what it wrote.
    assert_snapshot!("render_repairs", run(&["render", "profiles", "-o", "gen"]));
    // A stray file is drift too.
    fs::write(dir.path().join("gen/cordum/base/extra.yaml"), "x").unwrap();
    assert_snapshot!(
        "render_check_stray_file",
        run(&["render", "profiles", "--check", "-o", "gen"])
    );
}

#[test]
fn a_full_render_removes_the_trees_of_specs_that_are_gone() {
    let dir = with_profiles();
    let run = |args: &[&str]| outcome(in_dir(dir.path()).args(args));
    fs::create_dir_all(dir.path().join("generated/gone/base")).unwrap();
    assert_snapshot!("full_render_removes", run(&["render"]));
    assert!(!dir.path().join("generated/gone").exists());
    fs::create_dir(dir.path().join("generated/gone-too")).unwrap();
    assert_snapshot!("full_render_check_stale", run(&["render", "--check"]));
    assert!(
        dir.path().join("generated/gone-too").exists(),
        "--check writes nothing"
    );
    // Rendering named specs owns only their trees.
    assert_snapshot!(
        "named_render_keeps_other_trees",
        run(&["render", "profiles/cordum.yaml"])
    );
    assert!(dir.path().join("generated/gone-too").exists());
}

#[test]
fn committed_generated_tree_is_current() {
    assert_snapshot!(outcome(in_root().args(["render", "--check"])));
}

#[test]
fn stdout_prints_one_stream_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("kv.yaml"), GOOD).unwrap();
    assert_snapshot!(
        "render_stdout",
        outcome(in_dir(dir.path()).args(["render", "kv.yaml", "--stdout"]))
    );
    assert!(!dir.path().join("generated").exists());
    assert_snapshot!(
        "render_stdout_unknown_env",
        outcome(in_dir(dir.path()).args(["render", "kv.yaml", "--stdout", "--env", "prod"]))
    );
}

#[test]
fn schema_is_current_and_check_names_the_fix() {
    assert_snapshot!(
        "schema_check_current",
        outcome(in_root().args(["schema", "--check"]))
    );
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("s.json"), "{}").unwrap();
    assert_snapshot!(
        "schema_check_stale",
        outcome(in_dir(dir.path()).args(["schema", "--check", "-o", "s.json"]))
    );
    // Writing it makes it current, through the one writer: nothing else is left behind.
    assert_snapshot!(
        "schema_write",
        outcome(in_dir(dir.path()).args(["schema", "-o", "s.json"]))
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("s.json")).unwrap(),
        fs::read_to_string(root().join("schemas/topology.schema.json")).unwrap()
    );
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    in_dir(dir.path())
        .args(["schema", "--check", "-o", "s.json"])
        .assert()
        .code(0);
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
    assert_snapshot!("unknown_command", outcome(rkv().arg("frobnicate")));
    assert_snapshot!("help", outcome(rkv().arg("--help")));
    assert_snapshot!(
        "completions_bash",
        outcome(rkv().args(["completions", "bash"]))
    );
}

#[test]
fn diff_against_a_dump_exits_like_kubectl_diff() {
    let dir = tempfile::tempdir().unwrap();
    let dump = dir.path().join("live.yaml");
    let stream = in_root()
        .args(["render", "profiles/cordum.yaml", "--stdout"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    fs::write(&dump, &stream).unwrap();
    let diff = |args: &[&str]| {
        let mut c = in_root();
        c.args(["diff", "profiles/cordum.yaml", "--live"])
            .arg(&dump)
            .args(args);
        outcome(&mut c)
    };
    assert_snapshot!("diff_no_changes", diff(&[]));
    fs::write(
        &dump,
        String::from_utf8(stream)
            .unwrap()
            .replace("replicas: 1", "replicas: 2"),
    )
    .unwrap();
    assert_snapshot!("diff_changes", diff(&[]));
    assert_snapshot!("diff_cordum_unknown_env", diff(&["--env", "nope"]));
    assert_snapshot!(
        "diff_no_dump",
        outcome(in_root().args([
            "diff",
            "profiles/cordum.yaml",
            "--live",
            "/no/such/dump.yaml",
        ]))
    );
}

/// `rkv explain --code` prints what the registry says, for any case of the name; a code
/// that is not registered is an input error.
#[test]
fn explain_code_prints_the_registry() {
    assert_snapshot!(
        "explain_code_rkv110",
        outcome(rkv().args(["explain", "--code", "rkv110"]))
    );
    assert_snapshot!(
        "explain_code_json",
        outcome(rkv().args(["explain", "--code", "RKV153", "--format", "json"]))
    );
    assert_snapshot!(
        "explain_code_unknown",
        outcome(rkv().args(["explain", "--code", "RKV999"]))
    );
    assert_snapshot!(
        "explain_code_and_spec",
        outcome(rkv().args(["explain", "profiles/cordum.yaml", "--code", "RKV110"]))
    );
    for code in rkv::diag::CODES {
        let out = rkv()
            .args(["explain", "--code", code.as_str()])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{code}");
        assert_eq!(String::from_utf8(out.stdout).unwrap(), code.explanation());
    }
}

#[test]
fn explain_prints_the_arithmetic() {
    assert_snapshot!(
        "explain_cordum_production",
        outcome(in_root().args(["explain", "profiles/cordum.yaml", "--env", "production"]))
    );
    assert_snapshot!(
        "explain_platform_kv",
        outcome(in_root().args(["explain", "profiles/platform-kv.yaml"]))
    );
    let out = in_root()
        .args(["explain", "profiles/wal-failover.yaml", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v.as_array().map(Vec::len), Some(2), "one report per site");
    // Seed 001 gives no retention: explain says so rather than a number.
    assert!(v.to_string().contains("retention not stated"));
    assert_snapshot!(
        "explain_wal_failover_json",
        String::from_utf8(out.stdout).unwrap()
    );
}

/// With zones declared, `rkv explain` reasons about losing a zone as about losing a node:
/// how many pods one zone holds, what the worst zone's loss breaks (a 3x1 cluster over 3
/// zones can lose a shard) or that it survives (3 Sentinels over 3 zones), and how many
/// zones it needs.
#[test]
fn explain_reasons_about_zone_loss() {
    assert_snapshot!(
        "explain_zone_loss_cluster",
        outcome(in_root().args(["explain", "tests/golden/knobs-cluster/spec.yaml"]))
    );
    assert_snapshot!(
        "explain_zone_loss_sentinel",
        outcome(in_root().args(["explain", "tests/golden/knobs-replication/spec.yaml"]))
    );
}

#[test]
fn validate_crds_checks_custom_resources_on_disk() {
    let crds = shared().join("crds");
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("manifests")).unwrap();
    fs::write(
        dir.path().join("manifests/rf.yaml"),
        "apiVersion: databases.spotahome.com/v1\nkind: RedisFailover\nmetadata: {name: rf, namespace: redis}\nspec:\n  redis: {replicas: \"three\", colour: blue}\n  sentinel: {replicas: 3}\n---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("manifests/kustomization.yaml"),
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [rf.yaml]\n",
    )
    .unwrap();
    assert_snapshot!(
        "validate_manifests",
        outcome(
            in_dir(dir.path())
                .args(["validate", "--crds"])
                .arg(&crds)
                .args(["--manifests", "manifests"])
        )
    );
    assert_snapshot!(
        "validate_rendered_crds",
        outcome(in_root().args(["validate", "--crds"]).arg(&crds))
    );
    assert_snapshot!(
        "validate_no_crds_dir",
        outcome(rkv().args(["validate", "--crds", "/no/such/crds"]))
    );
    assert_snapshot!(
        "validate_no_manifests",
        outcome(
            rkv()
                .args(["validate", "--crds"])
                .arg(&crds)
                .args(["--manifests", "/no/such"])
        )
    );
}

/// The README's table of codes is the registry's, row for row: a code added, removed or
/// reworded in `src/diag/codes.rs` fails here until the README says the same.
#[test]
fn readme_table_of_codes_is_the_registry() {
    let readme = fs::read_to_string(root().join("README.md")).unwrap();
    let table: String = readme
        .lines()
        .skip_while(|l| !l.starts_with("| code |"))
        .take_while(|l| l.starts_with('|'))
        .map(|l| format!("{l}\n"))
        .collect();
    let want = rkv::diag::codes::markdown_table();
    assert!(
        table == want,
        "README.md's table of codes differs from src/diag/codes.rs; replace it with:\n\n{want}"
    );
}

#[test]
fn readme_documents_the_two_commands() {
    let readme = fs::read_to_string(root().join("README.md")).unwrap();
    assert!(readme.contains("cargo run --release -- render"));
    assert!(readme.contains("scripts/test"));
    let ci = fs::read_to_string(root().join(".ci/run")).unwrap();
    assert!(
        ci.contains("scripts/test"),
        ".ci/run must call the README's test command"
    );
}

/// The files of a stream's objects, `<kind>-<name>.yaml` in lowercase.
fn file_names(stream: &[u8]) -> Vec<String> {
    let mut names: Vec<String> = docs(stream)
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
    assert_snapshot!("sites_render_stdout_no_site", outcome(&mut run(&[])));
    assert_snapshot!(
        "sites_render_stdout_unknown_site",
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
    assert_snapshot!("sites_diff_no_site", outcome(&mut run(&[])));
    assert_snapshot!(
        "sites_diff_unknown_site",
        outcome(&mut run(&["--site", "nope"]))
    );
    assert_snapshot!(
        "sites_diff_unknown_env",
        outcome(&mut run(&["--env", "base"]))
    );
    // The dump is the `dr` site: nothing to change there. `dc` has no mirror, but the
    // mirror's objects are `dr`'s, so they are kept with a note rather than pruned.
    assert_snapshot!(
        "sites_diff_dr_against_dr",
        outcome(&mut run(&["--site", "dr"]))
    );
    assert_snapshot!(
        "sites_diff_dc_against_dr",
        outcome(&mut run(&["--site", "dc"]))
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
    assert_snapshot!(
        "sites_explain_unknown_site",
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
