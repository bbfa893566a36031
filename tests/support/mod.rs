//! Helpers shared by the test modules: where things are, the binary as users run it,
//! and everything a run shows for a snapshot.

pub mod apiserver;

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

/// The crate's root directory.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The shared data beside the repository (CRDs, charts, seeds); never copied into it.
pub fn shared() -> PathBuf {
    root().join("../shared")
}

/// The tree rkv rendered: `$RKV_GENERATED_DIR` when set (the conformance tier points it
/// at a fresh render), else `generated/`.
pub fn generated_dir() -> PathBuf {
    match std::env::var_os("RKV_GENERATED_DIR") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => root().join("generated"),
    }
}

/// A tool `scripts/install-tools` puts in `.tools/bin`; `None` (a skip) locally when it
/// is not installed, a failure under `CI=true`.
pub fn tool(name: &str) -> Option<PathBuf> {
    let p = root().join(".tools/bin").join(name);
    if p.is_file() {
        return Some(p);
    }
    assert!(
        std::env::var_os("CI").is_none_or(|v| v != "true"),
        "{} is missing under CI=true: run scripts/install-tools",
        p.display()
    );
    eprintln!(
        "note: {} is missing (run scripts/install-tools); skipped locally",
        p.display()
    );
    None
}

/// The `rkv` binary without colour, with help wrapped at a fixed width, and without the
/// Argo CD variables the test process may have inherited.
pub fn rkv() -> Command {
    let mut c = Command::cargo_bin("rkv").unwrap();
    c.env("NO_COLOR", "1").env("COLUMNS", "100");
    for (k, _) in std::env::vars() {
        if k.starts_with("ARGOCD_") || k.starts_with("PARAM_") {
            c.env_remove(k);
        }
    }
    c
}

/// Everything a run shows the user, for a snapshot: the exit code, stdout and stderr.
pub fn outcome(cmd: &mut Command) -> String {
    shown(&cmd.output().unwrap())
}

/// What [`outcome`] shows, for a run the test also inspects.
pub fn shown(out: &Output) -> String {
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        out.status.code().map_or("signal".into(), |c| c.to_string()),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The documents of a multi-document YAML stream.
pub fn docs(stream: &[u8]) -> Vec<Value> {
    let text = std::str::from_utf8(stream).unwrap();
    serde_saphyr::from_str_multiple::<Value, Vec<Value>>(text).unwrap()
}
