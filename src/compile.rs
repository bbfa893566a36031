//! The pipeline, end to end for one spec: load -> check -> plan -> emit -> layout.
//!
//! In: a loaded spec. Out: the files of its tree and its findings. Invariant: no files
//! when any finding is an error.

use crate::diag::Diagnostic;
use crate::emit::layout::{self, OutFile};
use crate::emit::{self, EmitError, Object};
use crate::plan::model::{self, Plan};
use crate::spec::resolve::resolve;
use crate::spec::{Loaded, Resolved};
use crate::{check, spec};

/// One variant, compiled.
#[derive(Debug, Clone)]
pub struct Variant {
    pub resolved: Resolved,
    pub plan: Plan,
    pub objects: Vec<Object>,
}

/// A compiled spec.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// The file stem: output goes to `generated/<profile>/`.
    pub profile: String,
    pub variants: Vec<Variant>,
    pub files: Vec<OutFile>,
    /// Warnings and notes (errors stop compilation).
    pub findings: Vec<Diagnostic>,
}

#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    /// The spec has error findings.
    #[error("the spec has {} error(s)", .0.iter().filter(|d| d.is_error()).count())]
    Findings(Vec<Diagnostic>),
    /// An emitter failed.
    #[error(transparent)]
    Emit(#[from] EmitError),
}

/// The file name shown in generated headers and the profile folder name.
pub fn names(file: &str) -> (String, String) {
    let p = std::path::Path::new(file);
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| file.to_string());
    let stem = p
        .file_stem()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| file.to_string());
    (name, stem)
}

/// Check, plan and emit every variant of a loaded spec.
pub fn compile(loaded: &Loaded) -> Result<Compiled, CompileError> {
    let (source_name, profile) = names(&loaded.source.file);
    let resolved = resolve(&loaded.topology);
    let findings = check::check(loaded, &resolved);
    if findings.iter().any(Diagnostic::is_error) {
        return Err(CompileError::Findings(findings));
    }
    let mut variants = Vec::new();
    for r in resolved {
        let plan = model::plan(&r, &source_name);
        let objects = emit::emit(&plan)?;
        variants.push(Variant {
            resolved: r,
            plan,
            objects,
        });
    }
    let pairs: Vec<(&spec::Variant, &[Object])> = variants
        .iter()
        .map(|v| (&v.resolved.variant, &v.objects[..]))
        .collect();
    let mut files = layout::layout(&source_name, &pairs)?;
    // The runbook sits beside the trees (no variant directory is named RUNBOOK.md).
    files.extend(emit::runbook::runbook(&profile, &source_name, &variants));
    files.sort();
    Ok(Compiled {
        profile,
        variants,
        files,
        findings,
    })
}
