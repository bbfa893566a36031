//! Findings where reviewers look: `--format github` (Actions workflow commands) and
//! `--format sarif` (a SARIF 2.1.0 log for code scanning), from `rkv validate` and from
//! `rkv render --check`.
//!
//! The exact text of both formats is pinned by insta snapshots, escaping included (a spec
//! whose file name holds `,`, `:` and `%`). Every SARIF log a test produces is validated
//! against the OASIS SARIF 2.1.0 JSON schema, which scripts/install-tools fetches into
//! `.tools/sarif/` (pinned by sha256; never copied into the repository): a missing schema
//! skips that check locally and fails it under CI=true.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use insta::assert_snapshot;
use serde_json::{Value, json};

use crate::support::{outcome, rkv, root};

const GOOD: &str = "apiVersion: rkv.dev/v1alpha1\nkind: RedisTopology\nmetadata: {name: kv, namespace: apps}\nspec:\n  use: cache\n  shape: {standalone: {}}\n  redis: {image: \"redis:7.2\"}\n  auth: {passwordSecret: {name: kv, key: password}}\n  clients: [{namespace: apps}]\n";

fn in_dir(dir: &Path) -> Command {
    let mut c = rkv();
    c.current_dir(dir);
    c
}

/// A temp directory with specs that give an error (in a file whose name needs escaping),
/// a warning, and a file that cannot be read (a finding about the whole file).
fn findings_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("specs")).unwrap();
    fs::write(
        dir.path().join("specs/team,1:kv%.yaml"),
        GOOD.replace("use: cache", "use: cash"),
    )
    .unwrap();
    fs::write(
        dir.path().join("specs/open.yaml"),
        GOOD.replace("  auth: {passwordSecret: {name: kv, key: password}}\n", ""),
    )
    .unwrap();
    dir
}

const FINDINGS: [&str; 3] = [
    "specs/team,1:kv%.yaml",
    "specs/open.yaml",
    "specs/missing.yaml",
];

#[test]
fn validate_as_github_annotations() {
    let dir = findings_dir();
    let run = || {
        in_dir(dir.path())
            .args(["validate", "--format", "github"])
            .args(FINDINGS)
            .output()
            .unwrap()
    };
    let out = run();
    assert_eq!(
        out.status.code(),
        Some(2),
        "a file that does not load is an input error"
    );
    let text = String::from_utf8(out.stdout).unwrap();
    // One command per finding, each on its own line, whatever the messages hold.
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "{text}");
    assert!(
        lines[0]
            .starts_with("::error file=specs/team%2C1%3Akv%25.yaml,line=5,col=8,title=RKV012::")
    );
    assert!(lines[1].starts_with("::warning file=specs/open.yaml,line=7,col=3,title=RKV101::"));
    assert!(lines[2].starts_with("::warning file=specs/open.yaml,line=7,col=3,title=RKV119::"));
    assert!(lines[4].starts_with("::error file=specs/missing.yaml,title=RKV001::"));
    assert_eq!(run().stdout, text.as_bytes(), "deterministic");
    assert_snapshot!(outcome(
        in_dir(dir.path())
            .args(["validate", "--format", "github"])
            .args(FINDINGS)
    ));
}

#[test]
fn validate_as_sarif() {
    let dir = findings_dir();
    let out = in_dir(dir.path())
        .args(["validate", "--format", "sarif"])
        .args(FINDINGS)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let log: Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 5);
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"],
        json!({
            "artifactLocation": {"uri": "specs/team%2C1%3Akv%25.yaml", "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": 5, "startColumn": 8},
        })
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        !text.contains(&dir.path().display().to_string()),
        "no absolute path"
    );
    assert_schema_valid(&log);
    assert_snapshot!(outcome(
        in_dir(dir.path())
            .args(["validate", "--format", "sarif"])
            .args(FINDINGS)
    ));
}

#[test]
fn validate_with_no_findings_is_an_empty_log_and_one_json_array() {
    let dir = tempfile::tempdir().unwrap();
    let clean = format!(
        "{GOOD}  resources: {{requests: {{cpu: 100m, memory: 1Gi}}, limits: {{cpu: 500m, memory: 1Gi}}}}\n"
    );
    fs::write(dir.path().join("kv.yaml"), clean).unwrap();
    let out = in_dir(dir.path())
        .args(["validate", "--format", "sarif", "kv.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let log: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(log["runs"][0]["results"], json!([]));
    assert_eq!(log["runs"][0]["tool"]["driver"]["rules"], json!([]));
    assert_schema_valid(&log);
    // JSON is one document too (it used to be one array per stage: `[]` twice).
    let out = in_dir(dir.path())
        .args(["validate", "--format", "json", "kv.yaml"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "[]\n");
}

/// The profiles' findings (warnings and a note) in a log that the schema accepts.
#[test]
fn sarif_of_the_profiles_matches_the_schema() {
    let out = rkv()
        .current_dir(root())
        .args(["validate", "--format", "sarif"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let log: Value = serde_json::from_slice(&out.stdout).unwrap();
    let levels: Vec<&str> = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["level"].as_str().unwrap())
        .collect();
    assert!(
        levels.contains(&"warning") && levels.contains(&"note"),
        "{levels:?}"
    );
    // Every rule is described by the code table.
    for r in log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
    {
        let id = r["id"].as_str().unwrap();
        let code = rkv::diag::Code::parse(id).unwrap();
        assert_eq!(r["shortDescription"]["text"], code.summary());
        assert_eq!(r["help"]["text"], code.help());
        assert_eq!(r["defaultConfiguration"]["level"], code.severity().as_str());
    }
    assert_schema_valid(&log);
}

/// A directory with the golden specs whose findings are accepted (`accepted.yaml`) and
/// whose acceptances are stale (`stale.yaml`).
fn accepted_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (from, to) in [
        ("accept-waivers", "accepted.yaml"),
        ("accept-stale", "stale.yaml"),
    ] {
        fs::copy(
            root().join("tests/golden").join(from).join("spec.yaml"),
            dir.path().join(to),
        )
        .unwrap();
    }
    dir
}

/// Accepted findings are printed as accepted, with the reason, in every format: text,
/// JSON (`accepted`), GitHub (a notice titled `(accepted)`) and SARIF (a `suppressions`
/// entry the schema accepts).
#[test]
fn accepted_findings_in_every_format() {
    let dir = accepted_dir();
    let run = |format: &str| {
        in_dir(dir.path())
            .args(["validate", "--format", format, "accepted.yaml"])
            .output()
            .unwrap()
    };
    let json_out = run("json");
    assert_eq!(json_out.status.code(), Some(0));
    let findings: Value = serde_json::from_slice(&json_out.stdout).unwrap();
    let findings = findings.as_array().unwrap();
    assert_eq!(findings.len(), 3);
    for f in findings {
        assert_eq!(f["severity"], "warning");
        assert!(f["accepted"]["reason"].as_str().unwrap().len() >= 20, "{f}");
        assert!(
            f["accepted"]["by"]
                .as_str()
                .unwrap()
                .starts_with("spec.accept[")
        );
    }
    let github = String::from_utf8(run("github").stdout).unwrap();
    assert_eq!(github.lines().count(), 3, "{github}");
    for line in github.lines() {
        assert!(line.starts_with("::notice file=accepted.yaml,"), "{line}");
        assert!(line.contains("(accepted)::"), "{line}");
        assert!(line.contains("%0Aaccepted: "), "{line}");
    }
    let log: Value = serde_json::from_slice(&run("sarif").stdout).unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    for r in results {
        let s = &r["suppressions"][0];
        assert_eq!(s["kind"], "inSource");
        assert_eq!(s["status"], "accepted");
        assert!(
            s["justification"]
                .as_str()
                .unwrap()
                .contains("(spec.accept[")
        );
        assert!(
            s["location"]["physicalLocation"]["region"]["startLine"]
                .as_u64()
                .unwrap()
                > 18
        );
    }
    assert_schema_valid(&log);
    assert_snapshot!(
        "accepted_as_sarif",
        outcome(in_dir(dir.path()).args(["validate", "--format", "sarif", "accepted.yaml"]))
    );
    assert_snapshot!(
        "accepted_as_github_annotations",
        outcome(in_dir(dir.path()).args(["validate", "--format", "github", "accepted.yaml"]))
    );
    assert_snapshot!(
        "accepted_as_text",
        outcome(in_dir(dir.path()).args(["validate", "accepted.yaml"]))
    );
}

/// `--deny-warnings` does not count accepted findings, but a stale acceptance is a
/// warning like any other.
#[test]
fn deny_warnings_ignores_accepted_findings_not_stale_acceptances() {
    let dir = accepted_dir();
    let status = |spec: &str| {
        in_dir(dir.path())
            .args(["validate", "--deny-warnings", spec])
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(status("accepted.yaml"), Some(0));
    assert_eq!(status("stale.yaml"), Some(1));
    let stale = in_dir(dir.path())
        .args(["validate", "stale.yaml"])
        .output()
        .unwrap();
    assert_eq!(stale.status.code(), Some(0), "a warning alone passes");
}

/// `rkv explain` lists the variant's accepted findings with their reasons.
#[test]
fn explain_lists_accepted_findings() {
    let dir = accepted_dir();
    let out = in_dir(dir.path())
        .args(["explain", "accepted.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let section = text
        .split("\n  Accepted findings\n")
        .nth(1)
        .expect("an Accepted findings section");
    assert_eq!(
        section.matches("accepted by spec.accept[").count(),
        3,
        "{section}"
    );
    assert!(
        section.contains("RKV124 (warning) at spec.placement.zones, line 19"),
        "{section}"
    );
}

/// A copy of `profiles/` rendered into `generated/`, then drifted every way there is:
/// a changed file, a missing one, a stray one, and the tree of a spec that is gone.
fn drifted() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("profiles")).unwrap();
    for e in fs::read_dir(root().join("profiles")).unwrap() {
        let p = e.unwrap().path();
        fs::copy(&p, dir.path().join("profiles").join(p.file_name().unwrap())).unwrap();
    }
    let out = in_dir(dir.path()).arg("render").output().unwrap();
    assert!(out.status.success());
    let g = dir.path().join("generated");
    let svc = g.join("cordum/base/service-redis.yaml");
    let text = fs::read_to_string(&svc).unwrap();
    fs::write(&svc, text.replace("port: 6379", "port: 6380")).unwrap();
    fs::remove_file(g.join("platform-kv/RUNBOOK.md")).unwrap();
    fs::write(g.join("cordum/base/extra.yaml"), "x: 1\n").unwrap();
    // The tree of a deleted spec, as rkv wrote it.
    fs::create_dir_all(g.join("gone/base")).unwrap();
    fs::write(
        g.join("gone/base/service-redis.yaml"),
        "# Generated by rkv from gone.yaml. Do not edit: change the spec and run `rkv render`.\nx: 1\n",
    )
    .unwrap();
    fs::write(
        g.join("gone/RUNBOOK.md"),
        "<!-- Generated by rkv from gone.yaml. Do not edit: change the spec and run `rkv render`. -->\n",
    )
    .unwrap();
    dir
}

#[test]
fn render_check_as_github_annotations() {
    let dir = drifted();
    let out = in_dir(dir.path())
        .args(["render", "--check", "--format", "github"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let drift: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("title=RKV017"))
        .collect();
    // The changed file at its first changed line; the stale tree file by file.
    let line = fs::read_to_string(dir.path().join("generated/cordum/base/service-redis.yaml"))
        .unwrap()
        .lines()
        .position(|l| l.contains("6380"))
        .unwrap()
        + 1;
    assert!(
        drift.iter().any(|l| l.starts_with(&format!(
            "::error file=generated/cordum/base/service-redis.yaml,line={line},title=RKV017::"
        ))),
        "{text}"
    );
    for f in [
        "generated/cordum/base/extra.yaml",
        "generated/platform-kv/RUNBOOK.md",
        "generated/gone/RUNBOOK.md",
        "generated/gone/base/service-redis.yaml",
    ] {
        assert!(
            drift
                .iter()
                .any(|l| l.starts_with(&format!("::error file={f},title=RKV017::"))),
            "{f} in {text}"
        );
    }
    assert_eq!(drift.len(), 5, "{text}");
    assert!(!text.contains("@@"), "no diff in the annotations");
    assert_snapshot!(outcome(
        in_dir(dir.path()).args(["render", "--check", "--format", "github"])
    ));
    assert!(
        dir.path().join("generated/gone").exists(),
        "--check writes nothing"
    );
}

#[test]
fn render_check_as_sarif() {
    let dir = drifted();
    let out = in_dir(dir.path())
        .args(["render", "--check", "--format", "sarif"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let log: Value = serde_json::from_slice(&out.stdout).unwrap();
    let drift: Vec<&Value> = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["ruleId"] == "RKV017")
        .collect();
    assert_eq!(drift.len(), 5);
    assert!(drift.iter().all(|r| r["level"] == "error"));
    assert_schema_valid(&log);
    assert_snapshot!(outcome(
        in_dir(dir.path()).args(["render", "--check", "--format", "sarif"])
    ));
    // Current again: only the specs' own findings, exit 0.
    let out = in_dir(dir.path()).arg("render").output().unwrap();
    assert!(out.status.success());
    let out = in_dir(dir.path())
        .args(["render", "--check", "--format", "sarif"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let log: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        log["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["ruleId"] != "RKV017")
    );
}

#[test]
fn format_needs_check_on_render() {
    let out = rkv()
        .args(["render", "--format", "sarif"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--check"));
}

/// The OASIS SARIF 2.1.0 schema installed by scripts/install-tools, compiled.
fn sarif_schema() -> Option<jsonschema::Validator> {
    let p: PathBuf = root().join(".tools/sarif/sarif-schema-2.1.0.json");
    if !p.is_file() {
        assert!(
            std::env::var_os("CI").is_none_or(|v| v != "true"),
            "{} is missing under CI=true: run scripts/install-tools",
            p.display()
        );
        eprintln!(
            "note: {} is missing (run scripts/install-tools); schema check skipped",
            p.display()
        );
        return None;
    }
    let schema: Value = serde_json::from_str(&fs::read_to_string(&p).unwrap()).unwrap();
    assert_eq!(
        schema["id"],
        "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
    );
    Some(
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft4)
            .should_validate_formats(true)
            .build(&schema)
            .unwrap(),
    )
}

fn assert_schema_valid(log: &Value) {
    let Some(v) = sarif_schema() else { return };
    let errors: Vec<String> = v
        .iter_errors(log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "not SARIF 2.1.0: {errors:#?}");
}

/// The schema check can fail: logs that break SARIF's rules are refused.
#[test]
fn the_schema_refuses_what_sarif_does_not_allow() {
    let Some(v) = sarif_schema() else { return };
    let dir = findings_dir();
    let out = in_dir(dir.path())
        .args(["validate", "--format", "sarif"])
        .args(FINDINGS)
        .output()
        .unwrap();
    let good: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v.is_valid(&good));
    let mut bad = good.clone();
    bad["runs"][0]["results"][0]["level"] = json!("fatal");
    assert!(!v.is_valid(&bad), "an unknown level");
    let mut bad = good.clone();
    bad["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        json!(0);
    assert!(!v.is_valid(&bad), "lines start at 1");
    let mut bad = good;
    bad["runs"][0]["tool"]["driver"]["rulez"] = json!([]);
    assert!(!v.is_valid(&bad), "an unknown property");
}

/// The CI examples of docs/gitops.md are YAML, and every `rkv` command in them is one
/// that rkv's own argument parser accepts, so the documentation cannot drift from the CLI.
#[test]
fn the_documented_ci_steps_are_commands_rkv_accepts() {
    use clap::Parser as _;
    let doc = fs::read_to_string(root().join("docs/gitops.md")).unwrap();
    let start = doc
        .find("### Findings where reviewers look")
        .expect("the section");
    let section = &doc[start..];
    let section = &section[..section[4..].find("\n### ").map_or(section.len(), |e| e + 4)];
    let mut commands = Vec::new();
    for block in section.split("```yaml\n").skip(1) {
        let yaml = &block[..block.find("```").unwrap()];
        let v: Value = serde_saphyr::from_str(yaml).unwrap();
        collect_runs(&v, &mut commands);
    }
    let rkv_commands: Vec<&String> = commands.iter().filter(|c| c.starts_with("rkv ")).collect();
    assert!(rkv_commands.len() >= 3, "{commands:?}");
    for c in rkv_commands {
        // The shell's redirection is not rkv's.
        let argv: Vec<&str> = c.split('>').next().unwrap().split_whitespace().collect();
        if let Err(e) = rkv::cli::Cli::try_parse_from(&argv) {
            panic!("docs/gitops.md: `{c}` is not a valid rkv command: {e}");
        }
    }
}

fn collect_runs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                match (k.as_str(), v) {
                    ("run", Value::String(s)) => out.push(s.trim().to_string()),
                    _ => collect_runs(v, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|v| collect_runs(v, out)),
        _ => {}
    }
}
