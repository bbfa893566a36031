//! Golden cases: `tests/golden/<case>/spec.yaml` with its expected output.
//!
//! A case holds `spec.yaml`, `diagnostics.txt` (every finding, exactly as `rkv` prints
//! it, plus the exit code) and, when the spec compiles, `expected/` (the whole tree).
//! `RKV_UPDATE_GOLDEN=1 cargo test --test golden` rewrites them. Any other file in a
//! case directory is an error, so nothing stale survives.

// A test binary: a failed unwrap or panic is a failed test (see clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::path::{Path, PathBuf};

use rkv::compile::{CompileError, compile};
use rkv::diag::render_text;
use rkv::write::fs::{check_tree, write_tree};

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut v: Vec<PathBuf> = fs::read_dir(&root)
        .expect("tests/golden")
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    v
}

/// What `rkv` says about the spec, and with which exit code.
fn outcome(case: &Path) -> (String, Option<Vec<rkv::emit::layout::OutFile>>) {
    let spec = case.join("spec.yaml");
    let text = fs::read_to_string(&spec).expect("spec.yaml");
    match rkv::spec::load_str("spec.yaml", text) {
        Err(d) => (format!("{}exit: 2\n", render_text(&d)), None),
        Ok(loaded) => match compile(&loaded) {
            Err(CompileError::Findings(d)) => (format!("{}exit: 1\n", render_text(&d)), None),
            Err(e) => panic!("{}: {e}", case.display()),
            Ok(c) => (
                format!("{}exit: 0\n", render_text(&c.findings)),
                Some(c.files),
            ),
        },
    }
}

#[test]
fn golden_cases() {
    let update = std::env::var_os("RKV_UPDATE_GOLDEN").is_some();
    let mut failures = Vec::new();
    let cases = cases();
    assert!(!cases.is_empty(), "no golden cases");
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        for entry in fs::read_dir(case).unwrap() {
            let f = entry.unwrap().file_name().to_string_lossy().to_string();
            if !["spec.yaml", "diagnostics.txt", "expected"].contains(&f.as_str()) {
                failures.push(format!("{name}: unreferenced golden file `{f}`"));
            }
        }
        let (diags, files) = outcome(case);
        let diag_path = case.join("diagnostics.txt");
        let expected_dir = case.join("expected");
        if update {
            fs::write(&diag_path, &diags).unwrap();
            match &files {
                Some(f) => {
                    write_tree(&expected_dir, f).unwrap();
                }
                None if expected_dir.exists() => fs::remove_dir_all(&expected_dir).unwrap(),
                None => {}
            }
            continue;
        }
        match fs::read_to_string(&diag_path) {
            Ok(want) if want == diags => {}
            Ok(want) => failures.push(format!(
                "{name}: diagnostics differ\n--- expected\n{want}\n--- actual\n{diags}"
            )),
            Err(_) => failures.push(format!("{name}: missing diagnostics.txt")),
        }
        match (&files, expected_dir.exists()) {
            (Some(f), _) => {
                let drift = check_tree(&expected_dir, f).unwrap();
                for d in drift {
                    failures.push(format!("{name}: {}", d.describe()));
                }
            }
            (None, true) => failures.push(format!(
                "{name}: expected/ exists but the spec does not compile"
            )),
            (None, false) => {}
        }
    }
    assert!(
        failures.is_empty(),
        "{}\n\nrun `RKV_UPDATE_GOLDEN=1 cargo test --test golden` if the change is intended",
        failures.join("\n")
    );
}
