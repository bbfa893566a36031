//! Every finding code in the registry (`src/diag/codes.rs`) is produced where a test pins
//! rkv's exact output: a golden case (`tests/golden/<case>/diagnostics.txt`) for every
//! code a spec can trigger, and for the codes no spec can (reading files, the batch, the
//! drift check, `validate --crds`, `rkv diff` against a cluster) the committed snapshot or
//! the named test listed in [`NOT_FROM_A_SPEC`]. A code nothing produces is a promise the
//! code does not keep: delete it or add the case.

use std::collections::BTreeMap;
use std::fs;

use rkv::diag::codes::{self as registry, CODES, Code};

use crate::support::root;

/// Where a code that no spec can produce is produced instead.
#[derive(Debug, Clone, Copy)]
enum Evidence {
    /// An insta snapshot, `tests/snapshots/integration__<name>.snap`, that prints it.
    Snapshot(&'static str),
    /// A test, `<module>::<function>` in `tests/<module>.rs`, that asserts it.
    Test(&'static str),
}

use Evidence::{Snapshot, Test};

/// The codes no spec can produce, with why and the evidence that rkv produces them.
const NOT_FROM_A_SPEC: &[(Code, &str, Evidence)] = &[
    (
        registry::RKV001,
        "I/O: a path that cannot be read",
        Snapshot("cli__missing_file_is_an_input_error"),
    ),
    (
        registry::RKV002,
        "I/O: refused before reading (a golden spec over 1 MB would be a 1 MB fixture)",
        Snapshot("cli__file_over_one_megabyte_is_refused_unread"),
    ),
    (
        registry::RKV008,
        "the batch: a directory without specs",
        Snapshot("cli__directory_without_specs_is_an_input_error"),
    ),
    (
        registry::RKV016,
        "the batch: two spec files, one output folder",
        Snapshot("monorepo__monorepo_collision"),
    ),
    (
        registry::RKV017,
        "`render --check`: drift of the written tree",
        Snapshot("ci_reports__render_check_as_github_annotations"),
    ),
    (
        registry::RKV130,
        "`validate --crds`: manifests against CRD files",
        Snapshot("cli__validate_manifests"),
    ),
    (
        registry::RKV131,
        "`validate --crds`: a kind no CRD file defines",
        Snapshot("cli__validate_rendered_crds"),
    ),
    (
        registry::RKV200,
        "`rkv diff` preflight, against a cluster",
        Test("diff_cluster::preflight_checks_secrets_keys_storage_classes_and_namespaces"),
    ),
    (
        registry::RKV201,
        "`rkv diff` preflight, against a cluster",
        Test("diff_cluster::preflight_checks_secrets_keys_storage_classes_and_namespaces"),
    ),
    (
        registry::RKV202,
        "`rkv diff` preflight, against a cluster",
        Test("diff_cluster::preflight_checks_secrets_keys_storage_classes_and_namespaces"),
    ),
    (
        registry::RKV203,
        "`rkv diff` preflight, against a cluster",
        Test("diff_cluster::a_create_into_a_missing_namespace_is_reported_not_failed"),
    ),
    (
        registry::RKV204,
        "`rkv diff` preflight, against a cluster's CRD",
        Test("diff_cluster::preflight_validates_against_the_live_crd_so_pruned_fields_are_named"),
    ),
    (
        registry::RKV205,
        "`rkv diff` preflight, against a cluster's CRD",
        Test("diff_cluster::a_new_custom_resource_the_schema_refuses_is_refused"),
    ),
    (
        registry::RKV206,
        "`rkv diff` preflight, against a cluster's CRD",
        Test("diff_cluster::preflight_validates_against_the_live_crd_so_pruned_fields_are_named"),
    ),
    (
        registry::RKV207,
        "`rkv diff` preflight, with credentials that may not read",
        Test("diff_cluster::preflight_checks_secrets_keys_storage_classes_and_namespaces"),
    ),
    (
        registry::RKV210,
        "`rkv diff` destructive: a change between two renders",
        Test("diff_cluster::destructive_changes_are_named_with_why_and_the_runbook"),
    ),
    (
        registry::RKV211,
        "`rkv diff` destructive: a change between two renders",
        Test("diff_cluster::destructive_changes_are_named_with_why_and_the_runbook"),
    ),
    (
        registry::RKV212,
        "`rkv diff` destructive: a change between two renders",
        Test("diff_cluster::destructive_changes_are_named_with_why_and_the_runbook"),
    ),
    (
        registry::RKV213,
        "`rkv diff` destructive: a change between two renders",
        Test("diff_cluster::destructive_changes_are_named_with_why_and_the_runbook"),
    ),
    (
        registry::RKV214,
        "`rkv diff` destructive: a change between two renders",
        Test("diff_cluster::a_namespace_move_is_destructive"),
    ),
];

/// For each code, the golden cases whose expected findings have it (sorted by case).
fn golden_cases() -> BTreeMap<Code, Vec<String>> {
    let mut cases: Vec<_> = fs::read_dir(root().join("tests/golden"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    cases.sort();
    let mut out: BTreeMap<Code, Vec<String>> = BTreeMap::new();
    for case in cases {
        let Ok(text) = fs::read_to_string(case.join("diagnostics.txt")) else {
            continue;
        };
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        for code in CODES {
            // As `render_text` prints a finding: `error[RKV110]: ...`.
            if text.contains(&format!("[{code}]: ")) {
                out.entry(*code).or_default().push(name.clone());
            }
        }
    }
    out
}

/// Whether a snapshot prints a finding of `code`: text (`[RKV001]`), JSON (`"code":`),
/// SARIF (`"ruleId":`) or GitHub annotations (`title=RKV001::`).
fn snapshot_has(name: &str, code: Code) -> Result<(), String> {
    let path = root().join(format!("tests/snapshots/integration__{name}.snap"));
    let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let forms = [
        format!("[{code}]"),
        format!("\"code\": \"{code}\""),
        format!("\"ruleId\": \"{code}\""),
        format!("title={code}::"),
    ];
    if forms.iter().any(|f| text.contains(f)) {
        Ok(())
    } else {
        Err(format!("snapshot `{name}` prints no finding {code}"))
    }
}

/// Whether the test `module::function` exists, is not ignored, and names `code` in its body.
fn test_has(name: &str, code: Code) -> Result<(), String> {
    let (module, function) = name
        .split_once("::")
        .ok_or(format!("`{name}`: no module"))?;
    let path = root().join(format!("tests/{module}.rs"));
    let source = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let start = [
        format!("\nfn {function}("),
        format!("\nasync fn {function}("),
    ]
    .iter()
    .find_map(|s| source.find(s.as_str()))
    .ok_or(format!("no function `{function}` in tests/{module}.rs"))?;
    let attributes: Vec<&str> = source[..start]
        .lines()
        .rev()
        .take_while(|l| l.trim_start().starts_with("#["))
        .collect();
    if !attributes.iter().any(|a| a.contains("test]"))
        || attributes.iter().any(|a| a.contains("ignore"))
    {
        return Err(format!("`{name}` is not a test that runs: {attributes:?}"));
    }
    let body = &source[start..];
    let body = &body[..body.find("\n}\n").unwrap_or(body.len())];
    let forms = [
        format!("\"{code}\""),
        format!("[{code}]"),
        format!("codes::{code}"),
    ];
    if forms.iter().any(|f| body.contains(f)) {
        Ok(())
    } else {
        Err(format!("test `{name}` does not name {code}"))
    }
}

#[test]
fn every_code_appears_in_a_golden_case_or_named_evidence() {
    let golden = golden_cases();
    let exempt: BTreeMap<Code, (&str, Evidence)> = NOT_FROM_A_SPEC
        .iter()
        .map(|&(c, why, e)| (c, (why, e)))
        .collect();
    assert_eq!(exempt.len(), NOT_FROM_A_SPEC.len(), "a code listed twice");
    let mut listing = String::new();
    let mut failures = Vec::new();
    for &code in CODES {
        let line = match (golden.get(&code), exempt.get(&code)) {
            (Some(cases), None) => format!("golden    {}", cases.join(", ")),
            (Some(cases), Some(_)) => {
                failures.push(format!(
                    "{code} is in golden case {}: remove it from NOT_FROM_A_SPEC",
                    cases[0]
                ));
                continue;
            }
            (None, Some((why, evidence))) => {
                let (kind, name, found) = match *evidence {
                    Snapshot(n) => ("snapshot", n, snapshot_has(n, code)),
                    Test(n) => ("test", n, test_has(n, code)),
                };
                if let Err(e) = found {
                    failures.push(format!("{code}: {e}"));
                }
                format!("{kind:<9} {name} ({why})")
            }
            (None, None) => {
                failures.push(format!(
                    "no golden case produces {code}: add one under tests/golden/ (a spec and `RKV_UPDATE_GOLDEN=1 cargo test -- golden::<case>`), or delete the code if nothing can produce it"
                ));
                continue;
            }
        };
        listing.push_str(&format!("{code} {line}\n"));
    }
    println!("{listing}");
    assert!(
        failures.is_empty(),
        "{}\n\nevidence found:\n{listing}",
        failures.join("\n")
    );
}

/// The evidence test reads rkv's output formats; this keeps its readers honest: a code
/// a snapshot does not print, or a test that does not name it, is not evidence.
#[test]
fn evidence_readers_refuse_what_is_not_evidence() {
    assert!(snapshot_has("cli__missing_file_is_an_input_error", registry::RKV001).is_ok());
    assert!(snapshot_has("cli__missing_file_is_an_input_error", registry::RKV110).is_err());
    assert!(snapshot_has("cli__no_such_snapshot", registry::RKV001).is_err());
    let t = "diff_cluster::a_namespace_move_is_destructive";
    assert!(test_has(t, registry::RKV214).is_ok());
    assert!(test_has(t, registry::RKV200).is_err());
    assert!(test_has("diff_cluster::no_such_test", registry::RKV214).is_err());
    // A helper that names codes is not a test.
    assert!(test_has("diff_cluster::codes", registry::RKV200).is_err());
}
