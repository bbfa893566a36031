//! Custom resources checked against their CRDs, as findings: `rkv validate --crds`.
//!
//! In: a [`CrdSet`] and objects (rendered by rkv, or read from YAML files on disk with
//! [`check_files`]). Out: one diagnostic per violation (RKV130), a warning for a kind no
//! CRD in the set defines (RKV131), and RKV003 for a file that is not YAML; built-in
//! kinds, kustomizations and patches are skipped. Invariant: files are read in sorted
//! order, so the findings come in the same order on every machine.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::crd::{CrdSet, Rejection};
use crate::diag::Diagnostic;
use crate::diag::codes;

/// Why the files could not be checked (their content is reported as findings instead).
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// A path given on the command line does not exist.
    #[error("`{}` does not exist", .0.display())]
    Missing(PathBuf),
    /// A directory or file could not be read.
    #[error("cannot read `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn read_error(path: &Path) -> impl FnOnce(std::io::Error) -> ManifestError {
    let path = path.to_path_buf();
    move |source| ManifestError::Read { path, source }
}

/// The findings about `obj` (called `what` in messages) from `file`.
pub fn crd_findings(set: &CrdSet, obj: &Value, file: &str, what: &str) -> Vec<Diagnostic> {
    match set.validate(obj) {
        Ok(()) => Vec::new(),
        Err(Rejection::NoCrd(gvk)) => vec![
            Diagnostic::new(
                codes::RKV131,
                file,
                format!("{what}: no CRD for `{gvk}` in the --crds directory, so it is not checked"),
            )
            .help("install the operator that provides it, or add its CRD file to the directory"),
        ],
        Err(Rejection::Invalid(violations)) => violations
            .into_iter()
            .map(|v| {
                let at = if v.path.is_empty() {
                    String::new()
                } else {
                    format!(" at `{}`", v.path)
                };
                Diagnostic::new(codes::RKV130, file, format!("{what}{at}: {}", v.message))
            })
            .collect(),
    }
}

/// Every `*.yaml`/`*.yml` file under `paths` (recursively), sorted.
pub fn yaml_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, ManifestError> {
    let mut out = Vec::new();
    let mut stack: Vec<PathBuf> = paths.to_vec();
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            for e in std::fs::read_dir(&p).map_err(read_error(&p))? {
                stack.push(e.map_err(read_error(&p))?.path());
            }
        } else if matches!(p.extension().and_then(|x| x.to_str()), Some("yaml" | "yml")) {
            out.push(p);
        } else if !p.exists() {
            return Err(ManifestError::Missing(p));
        }
    }
    out.sort();
    Ok(out)
}

/// What [`check_files`] found.
#[derive(Debug, Default)]
pub struct Checked {
    /// Every finding, in the order of the files.
    pub diags: Vec<Diagnostic>,
    /// How many YAML files were read.
    pub files: usize,
    /// How many custom resources were checked.
    pub objects: usize,
}

/// Check every custom resource in the YAML files under `paths`.
pub fn check_files(set: &CrdSet, paths: &[PathBuf]) -> Result<Checked, ManifestError> {
    let files = yaml_files(paths)?;
    let mut out = Checked {
        files: files.len(),
        ..Checked::default()
    };
    for f in &files {
        let file = f.display().to_string();
        let text = std::fs::read_to_string(f).map_err(read_error(f))?;
        let docs: Vec<Value> = match serde_saphyr::from_str_multiple(&text) {
            Ok(d) => d,
            Err(e) => {
                out.diags.push(Diagnostic::new(
                    codes::RKV003,
                    &file,
                    format!("not valid YAML: {}", e.without_snippet()),
                ));
                continue;
            }
        };
        for doc in docs {
            let api = doc
                .get("apiVersion")
                .and_then(|v| v.as_str())
                .unwrap_or_default();
            let kind = doc.get("kind").and_then(|v| v.as_str()).unwrap_or_default();
            // Kustomizations, patches and Helm values are not objects of their own.
            if api.is_empty()
                || kind.is_empty()
                || doc.get("$patch").is_some()
                || api.starts_with("kustomize.config.k8s.io/")
                || super::is_built_in(api)
            {
                continue;
            }
            out.objects += 1;
            let name = doc
                .pointer("/metadata/name")
                .and_then(|v| v.as_str())
                .unwrap_or_default();
            out.diags
                .extend(crd_findings(set, &doc, &file, &format!("{kind}/{name}")));
        }
    }
    Ok(out)
}
