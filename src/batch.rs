//! Many specs at once: the spec files a command names, loaded and compiled in parallel.
//!
//! In: the paths a user gave (spec files, or directories of specs; `profiles/` when
//! none). Out: a [`Batch`]: the specs that compiled, every diagnostic, and how bad the
//! worst problem was. Invariant: the result and the order of the diagnostics are the
//! order of the files, whatever the number of threads.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::compile::{CompileError, Compiled, compile};
use crate::diag::{Diagnostic, Severity};
use crate::spec::{self, Loaded};

/// The directory a command reads when it is given no path.
pub const DEFAULT_DIR: &str = "profiles";

/// Spec files named by `paths`: files as given, and the `*.yaml`/`*.yml` files directly
/// in each directory, sorted. No path means [`DEFAULT_DIR`].
pub fn spec_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Box<Diagnostic>> {
    let default = [PathBuf::from(DEFAULT_DIR)];
    let paths = if paths.is_empty() {
        &default[..]
    } else {
        paths
    };
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let found = yaml_files_in(p)?;
            if found.is_empty() {
                return Err(Box::new(
                    Diagnostic::new(
                        "RKV008",
                        Severity::Error,
                        &p.display().to_string(),
                        "no spec files (*.yaml, *.yml) in this directory",
                    )
                    .help("give a spec file, or a directory that holds specs such as `profiles/`"),
                ));
            }
            out.extend(found);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// The `*.yaml`/`*.yml` files directly in `dir`, sorted.
fn yaml_files_in(dir: &Path) -> Result<Vec<PathBuf>, Box<Diagnostic>> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        Box::new(Diagnostic::new(
            "RKV001",
            Severity::Error,
            &dir.display().to_string(),
            format!("cannot read the directory: {e}"),
        ))
    })?;
    let mut found: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|f| {
            f.is_file() && matches!(f.extension().and_then(|x| x.to_str()), Some("yaml" | "yml"))
        })
        .collect();
    found.sort();
    Ok(found)
}

/// How bad the worst problem of a batch was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Failure {
    /// A spec has error findings (or warnings, when they are denied).
    Findings,
    /// A spec did not load, two specs render to one folder, or an emitter failed.
    Input,
}

/// Specs loaded and compiled together.
#[derive(Debug)]
pub struct Batch {
    /// The specs that compiled, in the order of the files.
    pub compiled: Vec<(Loaded, Compiled)>,
    /// Every diagnostic, in the order of the files.
    pub diags: Vec<Diagnostic>,
    /// Emitters that failed on a spec that passed its checks (a defect in rkv).
    pub errors: Vec<CompileError>,
    /// The worst problem, if any: then `compiled` must not be used as the output.
    pub failure: Option<Failure>,
}

impl Batch {
    fn fail(&mut self, f: Failure) {
        self.failure = self.failure.max(Some(f));
    }
}

/// Load and compile `files` on `threads` threads. With `deny_warnings`, a warning is a
/// [`Failure::Findings`] too.
pub fn compile_files(files: &[PathBuf], deny_warnings: bool, threads: usize) -> Batch {
    // Specs are independent: load and compile them in parallel, then report in the
    // order of the files, so output and diagnostics do not depend on the thread count.
    let results = crate::par::map_with(threads, files, |f| {
        spec::load_file(f).map(|loaded| {
            let compiled = compile(&loaded);
            (loaded, compiled)
        })
    });
    let mut batch = Batch {
        compiled: Vec::new(),
        diags: Vec::new(),
        errors: Vec::new(),
        failure: None,
    };
    for r in results {
        match r {
            Err(d) => {
                batch.diags.extend(d);
                batch.fail(Failure::Input);
            }
            Ok((loaded, Ok(c))) => {
                batch.diags.extend(c.findings.iter().cloned());
                batch.compiled.push((loaded, c));
            }
            Ok((_, Err(CompileError::Findings(d)))) => {
                batch.diags.extend(d);
                batch.fail(Failure::Findings);
            }
            Ok((_, Err(e))) => {
                batch.errors.push(e);
                batch.fail(Failure::Input);
            }
        }
    }
    let mut seen = BTreeMap::new();
    let mut clashes = Vec::new();
    for (l, c) in &batch.compiled {
        if let Some(first) = seen.insert(c.profile.clone(), l.source.file.clone()) {
            clashes.push(
                Diagnostic::new(
                    "RKV016",
                    Severity::Error,
                    &l.source.file,
                    format!(
                        "`{}` and `{first}` both render to `{}/`",
                        l.source.file, c.profile
                    ),
                )
                .help("rename one of the files: the file stem names the output folder"),
            );
        }
    }
    if !clashes.is_empty() {
        batch.diags.extend(clashes);
        batch.fail(Failure::Input);
    }
    if deny_warnings && batch.diags.iter().any(|d| d.severity == Severity::Warning) {
        batch.fail(Failure::Findings);
    }
    batch
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every profile and every golden case's spec (failing ones included), sorted.
    fn all_specs() -> Vec<PathBuf> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = spec_files(&[root.join("profiles")]).expect("profiles/");
        for e in std::fs::read_dir(root.join("tests/golden")).expect("tests/golden") {
            let spec = e.expect("a golden case").path().join("spec.yaml");
            if spec.is_file() {
                files.push(spec);
            }
        }
        files.sort();
        files
    }

    /// Each profile with its files (path, content), or the failure.
    type Outcome = Result<Vec<(String, Vec<(String, String)>)>, Failure>;

    fn outcome(b: &Batch) -> Outcome {
        if let Some(f) = b.failure {
            return Err(f);
        }
        Ok(b.compiled
            .iter()
            .map(|(_, c)| {
                let files = c
                    .files
                    .iter()
                    .map(|f| (f.path.clone(), f.content.clone()))
                    .collect();
                (c.profile.clone(), files)
            })
            .collect())
    }

    #[test]
    fn parallel_compile_gives_the_same_files_and_diagnostics_as_sequential() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let profiles = spec_files(&[root.join("profiles")]).expect("profiles/");
        let everything = all_specs();
        assert!(everything.len() > profiles.len());
        for files in [&profiles, &everything] {
            let seq = compile_files(files, false, 1);
            for threads in [2, 3, 8] {
                let par = compile_files(files, false, threads);
                assert_eq!(outcome(&par), outcome(&seq), "{threads} threads");
                assert_eq!(par.diags, seq.diags, "{threads} threads");
                assert_eq!(
                    crate::diag::render_text(&par.diags),
                    crate::diag::render_text(&seq.diags)
                );
            }
        }
        // The failing golden cases are in: the diagnostics are not trivially empty.
        assert!(!compile_files(&everything, false, 2).diags.is_empty());
    }

    #[test]
    fn the_worst_problem_decides_the_failure() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let good = root.join("profiles/cordum.yaml");
        let findings = root.join("tests/golden/check-rkv102-plaintext-port-open-fails/spec.yaml");
        let warnings = root.join("tests/golden/check-rkv101-no-password-fails/spec.yaml");
        let unloadable = root.join("tests/golden/load-not-yaml/spec.yaml");
        assert_eq!(
            compile_files(std::slice::from_ref(&good), false, 1).failure,
            None
        );
        assert_eq!(
            compile_files(std::slice::from_ref(&warnings), false, 1).failure,
            None
        );
        assert_eq!(
            compile_files(&[warnings], true, 1).failure,
            Some(Failure::Findings),
            "warnings denied"
        );
        assert_eq!(
            compile_files(&[good.clone(), findings.clone()], false, 1).failure,
            Some(Failure::Findings)
        );
        assert_eq!(
            compile_files(&[findings, unloadable, good.clone()], false, 1).failure,
            Some(Failure::Input)
        );
        // The same file twice renders twice into one folder.
        let twice = compile_files(&[good.clone(), good], false, 1);
        assert_eq!(twice.failure, Some(Failure::Input));
        assert_eq!(twice.diags.last().map(|d| d.code), Some("RKV016"));
    }
}
