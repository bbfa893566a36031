//! GitOps integrations as their orchestrators run them.
//!
//! - Argo CD: `rkv argocd-generate` in a temp copy of an app path, with the variables
//!   `argocd-cmp-server` sets, checked against `rkv render --stdout`, plus its refusals.
//! - KRM: `rkv krm` over the ResourceList fixtures in `tests/fixtures/krm/<case>/`
//!   (`input.yaml` -> `expected.yaml` and `exit.txt`; `RKV_UPDATE_GOLDEN=1` rewrites them),
//!   and end to end through the orchestrators this machine has: `kubectl kustomize`
//!   (from `.tools/bin`, installed by scripts/install-tools; required under CI=true) and
//!   `kpt fn eval` (used when on PATH).

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command as Process;

use assert_cmd::Command;
use insta::assert_snapshot;
use predicates::prelude::*;
use serde_json::Value;

use crate::support::{docs, outcome, rkv, root, tool};

/// A temp copy of the fixture app path, as argocd-cmp-server unpacks the repository.
fn app_path() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let src = root().join("tests/fixtures/gitops/app");
    for e in fs::read_dir(&src).unwrap() {
        let p = e.unwrap().path();
        fs::copy(&p, dir.path().join(p.file_name().unwrap())).unwrap();
    }
    dir
}

/// `rkv argocd-generate` as Argo CD runs it: in the app path, with the app's variables.
fn argocd(dir: &Path) -> Command {
    let mut c = rkv();
    c.current_dir(dir)
        .arg("argocd-generate")
        .env("ARGOCD_APP_NAME", "redis")
        .env("ARGOCD_APP_NAMESPACE", "apps")
        .env("ARGOCD_APP_REVISION", "0123456789abcdef")
        .env("ARGOCD_ENV_FOO", "unrelated");
    c
}

fn kinds(docs: &[Value]) -> BTreeSet<String> {
    docs.iter()
        .map(|d| d["kind"].as_str().unwrap().to_string())
        .collect()
}

fn namespaces(docs: &[Value]) -> BTreeSet<String> {
    docs.iter()
        .map(|d| d["metadata"]["namespace"].as_str().unwrap().to_string())
        .collect()
}

/// What `rkv render --stdout` prints for the fixture spec: the plugin must print the same.
fn rendered(env: &str) -> Vec<u8> {
    let out = rkv()
        .args(["render", "--stdout", "--env", env])
        .arg(root().join("tests/fixtures/gitops/app/redis.yaml"))
        .output()
        .unwrap();
    assert!(out.status.success());
    out.stdout
}

#[test]
fn argocd_generate_prints_the_base_by_default() {
    let app = app_path();
    let out = argocd(app.path()).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, rendered("base"));
    let d = docs(&out.stdout);
    assert_eq!(d.len(), 6);
    assert_eq!(
        kinds(&d),
        [
            "Deployment",
            "NetworkPolicy",
            "PersistentVolumeClaim",
            "Service"
        ]
        .map(String::from)
        .into()
    );
    assert_eq!(namespaces(&d), ["apps".to_string()].into());
    // The destination namespace matches: nothing to say.
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn argocd_generate_reads_the_env_from_every_place_argo_cd_puts_it() {
    let app = app_path();
    let want = rendered("staging");
    let ways: [(&str, &str); 4] = [
        ("PARAM_ENV", "staging"),
        (
            "ARGOCD_APP_PARAMETERS",
            r#"[{"name":"env","string":"staging"}]"#,
        ),
        ("ARGOCD_ENV_RKV_ENV", "staging"),
        ("PARAM_SITE", "staging"),
    ];
    for (var, value) in ways {
        let out = argocd(app.path()).env(var, value).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{var}");
        assert_eq!(out.stdout, want, "{var}");
        let d = docs(&out.stdout);
        assert_eq!(namespaces(&d), ["shop-staging".to_string()].into(), "{var}");
        // The Application deploys to `apps`, the staging objects go to `shop-staging`:
        // the same notes whichever way the env came.
        assert_snapshot!(
            "argocd_staging_stderr",
            String::from_utf8(out.stderr).unwrap()
        );
    }
    // A parameter beats the Application's plugin env.
    let out = argocd(app.path())
        .env("PARAM_ENV", "bigger")
        .env("ARGOCD_ENV_RKV_ENV", "staging")
        .output()
        .unwrap();
    assert_eq!(out.stdout, rendered("bigger"));
}

#[test]
fn argocd_generate_without_a_spec_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("values.yaml"), "replicas: 1\n").unwrap();
    assert_snapshot!(outcome(&mut argocd(dir.path())));
}

#[test]
fn argocd_generate_with_two_specs_asks_for_the_spec_parameter() {
    let app = app_path();
    fs::copy(app.path().join("redis.yaml"), app.path().join("cache.yml")).unwrap();
    assert_snapshot!(outcome(&mut argocd(app.path())));
    // Naming one resolves it: the copy renders what the original does.
    argocd(app.path())
        .env("PARAM_SPEC", "cache.yml")
        .assert()
        .code(0)
        .stdout(rendered("base"));
}

#[test]
fn argocd_generate_refuses_an_unknown_env_naming_the_ones_there_are() {
    let app = app_path();
    argocd(app.path())
        .env("PARAM_ENV", "prod")
        .assert()
        .code(2)
        .stdout("")
        .stderr(
            "error: `redis.yaml`: the spec has no environment or site `prod`; it has: base, bigger, staging (asked for by PARAM_ENV)\n",
        );
}

#[test]
fn argocd_generate_refuses_a_spec_outside_the_app_path() {
    let app = app_path();
    assert_snapshot!(outcome(argocd(app.path()).env(
        "ARGOCD_APP_PARAMETERS",
        r#"[{"name":"spec","string":"../../etc/redis.yaml"}]"#,
    )));
}

#[test]
fn argocd_generate_reports_spec_findings_with_exit_1() {
    let app = app_path();
    let text = fs::read_to_string(app.path().join("redis.yaml")).unwrap();
    fs::write(
        app.path().join("redis.yaml"),
        text.replace("maxmemory: 200mb", "maxmemory: 900mb"),
    )
    .unwrap();
    assert_snapshot!(outcome(&mut argocd(app.path())));
}

#[test]
fn argocd_discover_prints_the_spec_or_nothing() {
    let app = app_path();
    argocd(app.path())
        .arg("--discover")
        .assert()
        .code(0)
        .stdout("redis.yaml\n");
    let empty = tempfile::tempdir().unwrap();
    argocd(empty.path())
        .arg("--discover")
        .assert()
        .code(0)
        .stdout("");
    // A `spec` parameter naming a file that is not there does not match either.
    argocd(app.path())
        .arg("--discover")
        .env("PARAM_SPEC", "missing.yaml")
        .assert()
        .code(0)
        .stdout("");
}

#[test]
fn argocd_parameters_announce_the_spec_variants() {
    let app = app_path();
    let out = argocd(app.path()).arg("--parameters").output().unwrap();
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["name"], "env");
    assert_eq!(v[0]["tooltip"], "one of: base, bigger, staging");
    assert_eq!(v[0]["string"], "base");
}

/// The plugin config runs this binary's real subcommands, and the ConfigMap that ships it
/// holds it verbatim.
#[test]
fn plugin_yaml_runs_the_commands_this_binary_has() {
    let text = fs::read_to_string(root().join("deploy/argocd/plugin.yaml")).unwrap();
    let p: Value = serde_saphyr::from_str(&text).unwrap();
    assert_eq!(p["apiVersion"], "argoproj.io/v1alpha1");
    assert_eq!(p["kind"], "ConfigManagementPlugin");
    let app = app_path();
    for cmd in [
        "/spec/discover/find/command",
        "/spec/generate/command",
        "/spec/parameters/dynamic/command",
    ] {
        let argv: Vec<&str> = p
            .pointer(cmd)
            .and_then(Value::as_array)
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        assert_eq!(argv[0], "rkv", "{cmd}");
        argocd(app.path())
            .args(&argv[2..])
            .assert()
            .code(0)
            .stdout(predicate::str::is_empty().not());
    }
}

/// `kubectl kustomize deploy/argocd` builds the ConfigMap the sidecar mounts, holding
/// plugin.yaml byte for byte.
#[test]
fn plugin_config_map_holds_plugin_yaml() {
    let Some(kubectl) = tool("kubectl") else {
        return;
    };
    let out = Process::new(&kubectl)
        .arg("kustomize")
        .arg(root().join("deploy/argocd"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let d = docs(&out.stdout);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0]["kind"], "ConfigMap");
    assert_eq!(d[0]["metadata"]["name"], "rkv-cmp-plugin");
    assert_eq!(d[0]["metadata"]["namespace"], "argocd");
    let plugin = fs::read_to_string(root().join("deploy/argocd/plugin.yaml")).unwrap();
    assert_eq!(d[0]["data"]["plugin.yaml"], plugin.as_str());
}

// ---------------------------------------------------------------------------------------
// KRM function

fn krm_cases() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(root().join("tests/fixtures/krm"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    v
}

#[test]
fn krm_golden_resource_lists() {
    let update = std::env::var_os("RKV_UPDATE_GOLDEN").is_some();
    let cases = krm_cases();
    assert!(cases.len() >= 3, "KRM fixtures missing");
    let mut failures = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        for e in fs::read_dir(case).unwrap() {
            let f = e.unwrap().file_name().to_string_lossy().to_string();
            if !["input.yaml", "expected.yaml", "exit.txt"].contains(&f.as_str()) {
                failures.push(format!("{name}: unreferenced fixture file `{f}`"));
            }
        }
        let input = fs::read_to_string(case.join("input.yaml")).unwrap();
        let out = rkv().arg("krm").write_stdin(input).output().unwrap();
        let stdout = String::from_utf8(out.stdout).unwrap();
        let code = format!("{}\n", out.status.code().unwrap_or(-1));
        // The exit code and the results agree: 1 exactly when a result is an error.
        let list: Value = serde_saphyr::from_str(&stdout).unwrap();
        let has_error = list["results"]
            .as_array()
            .is_some_and(|r| r.iter().any(|r| r["severity"] == "error"));
        if (code == "1\n") != has_error {
            failures.push(format!(
                "{name}: exit {code} but error results: {has_error}"
            ));
        }
        if update {
            fs::write(case.join("expected.yaml"), &stdout).unwrap();
            fs::write(case.join("exit.txt"), &code).unwrap();
            continue;
        }
        for (file, got) in [("expected.yaml", &stdout), ("exit.txt", &code)] {
            match fs::read_to_string(case.join(file)) {
                Ok(want) if &want == got => {}
                Ok(want) => failures.push(format!(
                    "{name}/{file} differs (RKV_UPDATE_GOLDEN=1 rewrites it)\n{}",
                    similar::TextDiff::from_lines(&want, got)
                        .unified_diff()
                        .header("expected", "actual")
                )),
                Err(_) => failures.push(format!("{name}: missing {file}")),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn krm_input_that_is_not_a_resource_list_is_an_input_error() {
    assert_snapshot!(outcome(
        rkv()
            .arg("krm")
            .write_stdin("apiVersion: v1\nkind: List\nitems: []\n")
    ));
}

/// A kustomization whose generator is the fixture spec run as an exec KRM function:
/// kustomize's exec spec takes a path and no arguments, so it runs `rkv-krm`, a link
/// to the binary (`rkv` runs `krm` when called by that name).
fn kustomize_dir(spec_annotations: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("rkv-krm");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_rkv"), &link).unwrap();
    let spec = fs::read_to_string(root().join("tests/fixtures/gitops/app/redis.yaml")).unwrap();
    let spec = spec.replace(
        "metadata: {name: redis, namespace: apps, partOf: shop}",
        &format!(
            "metadata:\n  name: redis\n  namespace: apps\n  partOf: shop\n  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: {}\n{spec_annotations}",
            link.display()
        ),
    );
    assert!(spec.contains("config.kubernetes.io/function"));
    fs::write(dir.path().join("redis.yaml"), spec).unwrap();
    fs::write(
        dir.path().join("kustomization.yaml"),
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\ngenerators:\n  - redis.yaml\n",
    )
    .unwrap();
    dir
}

/// kubectl's built-in kustomize (v5.6 in kubectl 1.33) has no `--enable-exec` flag, and
/// without it an exec generator is silently dropped: the build succeeds and holds none
/// of the objects. This test pins that behaviour, which docs/gitops.md warns about, and
/// runs the real end-to-end check as soon as a kubectl with `--enable-exec` is installed.
#[test]
fn krm_through_kubectl_kustomize() {
    let Some(kubectl) = tool("kubectl") else {
        return;
    };
    let help = Process::new(&kubectl)
        .args(["kustomize", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    let dir = kustomize_dir("    rkv.dev/env: staging\n");
    if help.contains("--enable-exec") {
        let out = Process::new(&kubectl)
            .args(["kustomize", "--enable-alpha-plugins", "--enable-exec"])
            .arg(dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let d = docs(&out.stdout);
        assert_eq!(d.len(), 6);
        assert_eq!(namespaces(&d), ["shop-staging".to_string()].into());
        return;
    }
    let out = Process::new(&kubectl)
        .args(["kustomize", "--enable-alpha-plugins"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("kind: Deployment"),
        "kubectl kustomize now runs exec functions without --enable-exec: update docs/gitops.md"
    );
    eprintln!(
        "note: {} kustomize cannot run exec KRM functions (no --enable-exec); the kpt test covers the function end to end",
        kubectl.display()
    );
}

/// `kpt fn eval --exec` (kpt 1.x): the objects land in files at the path annotations, a
/// second run changes nothing, and a spec with errors fails with its results. kpt is not
/// installed by scripts/install-tools (no registry ships it), so it runs only where present.
#[test]
fn krm_through_kpt_fn_eval() {
    let kpt = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("kpt"))
            .find(|p| p.is_file())
    });
    let Some(kpt) = kpt else {
        eprintln!("note: kpt is not on PATH; skipped");
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let pkg = work.path().join("pkg");
    fs::create_dir(&pkg).unwrap();
    fs::write(
        pkg.join("other.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: other, namespace: apps}\ndata: {a: b}\n",
    )
    .unwrap();
    let fn_config = root().join("tests/fixtures/gitops/app/redis.yaml");
    let exec = format!("{} krm", env!("CARGO_BIN_EXE_rkv"));
    let eval = |config: &Path| {
        Process::new(&kpt)
            .args(["fn", "eval"])
            .arg(&pkg)
            .args(["--exec", &exec, "--fn-config"])
            .arg(config)
            .output()
            .unwrap()
    };
    let files = || -> Vec<(String, String)> {
        let mut v = Vec::new();
        let mut stack = vec![pkg.clone()];
        while let Some(d) = stack.pop() {
            for e in fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    let rel = p.strip_prefix(&pkg).unwrap().display().to_string();
                    v.push((rel, fs::read_to_string(&p).unwrap()));
                }
            }
        }
        v.sort();
        v
    };
    let out = eval(&fn_config);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let first = files();
    let names: Vec<&str> = first.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "other.yaml",
            "redis/base/deployment-redis.yaml",
            "redis/base/networkpolicy-redis-allow-clients.yaml",
            "redis/base/networkpolicy-redis-allow-dns.yaml",
            "redis/base/networkpolicy-redis-default-deny.yaml",
            "redis/base/persistentvolumeclaim-redis-data.yaml",
            "redis/base/service-redis.yaml",
        ]
    );
    // kpt strips the placement annotations when it writes the files.
    assert!(
        first
            .iter()
            .all(|(_, t)| !t.contains("config.kubernetes.io"))
    );
    let again = eval(&fn_config);
    assert!(again.status.success());
    assert_eq!(files(), first, "a second run must change nothing");

    let bad = work.path().join("bad.yaml");
    let text = fs::read_to_string(&fn_config).unwrap();
    fs::write(&bad, text.replace("maxmemory: 200mb", "maxmemory: 900mb")).unwrap();
    let out = eval(&bad);
    assert_eq!(out.status.code(), Some(1));
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(all.contains("[error]"), "{all}");
    assert!(all.contains("spec.memory.maxmemory: RKV116"), "{all}");
    assert_eq!(files(), first, "a failing run must write nothing");
}

// ---------------------------------------------------------------------------------------
// Robustness: the function gets its input from a pipeline, never trusted.

mod no_panic {
    use proptest::prelude::*;

    fn inputs() -> Vec<String> {
        let mut v: Vec<String> = super::krm_cases()
            .iter()
            .map(|c| std::fs::read_to_string(c.join("input.yaml")).unwrap())
            .collect();
        v.sort();
        v
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

        /// Mutated ResourceLists give an outcome or an input error, never a panic, and a
        /// failed outcome always carries an error result.
        #[test]
        fn mutated_resource_lists(which in 0usize..5, edits in proptest::collection::vec((any::<prop::sample::Index>(), 0u8..4, "[ -~\\t\\n]{0,3}"), 1..6)) {
            let all = inputs();
            let mut text: Vec<char> = all[which % all.len()].chars().collect();
            for (at, op, s) in edits {
                let i = at.index(text.len().max(1)).min(text.len());
                match op {
                    0 => { text.splice(i..i, s.chars()); }
                    1 => { let end = (i + s.len()).min(text.len()); text.drain(i..end); }
                    2 => { let end = (i + 1).min(text.len()); text.splice(i..end, s.chars()); }
                    _ => { text.truncate(i); }
                }
            }
            let text: String = text.into_iter().collect();
            if let Ok(o) = rkv::gitops::krm::run(&text)
                && o.failed
            {
                prop_assert!(o.yaml.contains("severity: error"));
            }
        }
    }
}

/// A temp app path holding profiles/wal-failover.yaml, a spec that spans the sites `dc`
/// and `dr` (so it has no base).
fn multi_site_app_path() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::copy(
        root().join("profiles/wal-failover.yaml"),
        dir.path().join("redis.yaml"),
    )
    .unwrap();
    dir
}

#[test]
fn argocd_generate_of_a_multi_site_spec_needs_a_site() {
    let app = multi_site_app_path();
    argocd(app.path())
        .assert()
        .code(2)
        .stdout("")
        .stderr("error: `redis.yaml`: the spec spans sites, so name one; it has: dc, dr\n");
    argocd(app.path())
        .env("PARAM_SITE", "nope")
        .assert()
        .code(2)
        .stdout("")
        .stderr("error: `redis.yaml`: the spec has no environment or site `nope`; it has: dc, dr (asked for by PARAM_SITE)\n");
    for site in ["dc", "dr"] {
        let out = argocd(app.path()).env("PARAM_SITE", site).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{site}");
        // What `render --stdout` prints for the site, less the Argo CD Application.
        let want = rkv()
            .args(["render", "--stdout", "--env", site])
            .arg(app.path().join("redis.yaml"))
            .output()
            .unwrap();
        assert_eq!(want.status.code(), Some(0), "{site}");
        let mut want = docs(&want.stdout);
        let apps = want.len();
        want.retain(|d| d["kind"] != "Application");
        assert_eq!(apps - want.len(), 1, "{site}: one Application left out");
        assert_eq!(docs(&out.stdout), want, "{site}");
    }
}

#[test]
fn argocd_generate_refuses_an_env_and_a_site_that_disagree() {
    let app = app_path();
    argocd(app.path())
        .env("PARAM_ENV", "staging")
        .env("PARAM_SITE", "dr")
        .assert()
        .code(2)
        .stdout("")
        .stderr("error: both an environment (`staging`, PARAM_ENV) and a site (`dr`, PARAM_SITE) are set\n  help: set only one: `env` names an environment or `base`, `site` names a site\n");
}
