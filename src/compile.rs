//! The pipeline, end to end for one spec: resolve -> plan -> check -> emit -> layout.
//!
//! In: a loaded spec. Out: each variant's plan, objects and inventory, the files of its
//! tree (with the runbook) and its findings. Invariant: no files when any finding is an
//! error; each variant is planned once, and the checks read the same plan the emitters do.

use crate::bundle::{Object, OutFile, default_repo_dir};
use crate::diag::Diagnostic;
use crate::emit::inventory::Inventory;
use crate::emit::{self, EmitError, runbook};
use crate::plan::model::{self, Plan};
use crate::spec::resolve::resolve;
use crate::spec::{Loaded, Resolved};
use crate::write::layout::{self, LayoutError};
use crate::{check, spec};

/// One variant, compiled.
#[derive(Debug, Clone)]
pub struct Variant {
    pub resolved: Resolved,
    pub plan: Plan,
    pub objects: Vec<Object>,
    /// What the objects run, as the emitters tell it (the runbook reads it).
    pub inventory: Inventory,
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
    /// The objects could not be laid out as files.
    #[error(transparent)]
    Layout(#[from] LayoutError),
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

/// Check, plan and emit every variant of a loaded spec, for a tree at
/// [`default_repo_dir`] of the GitOps repository (`generated/<profile>`).
pub fn compile(loaded: &Loaded) -> Result<Compiled, CompileError> {
    let (source_name, _) = names(&loaded.source.file);
    compile_in(loaded, Some(&default_repo_dir(&source_name)))
}

/// [`compile`] for a tree at `repo_dir` of the GitOps repository (`None`: outside it),
/// which the Argo CD Applications of the spec's sites sync from (see
/// [`emit::emit_in`]).
pub fn compile_in(loaded: &Loaded, repo_dir: Option<&str>) -> Result<Compiled, CompileError> {
    let (source_name, profile) = names(&loaded.source.file);
    // Plan every variant once; the checks read the same plans the emitters do.
    let planned: Vec<(Resolved, Plan)> = resolve(&loaded.topology)
        .into_iter()
        .map(|r| {
            let plan = model::plan(&r, &source_name);
            (r, plan)
        })
        .collect();
    let findings = check::check(loaded, &planned);
    if findings.iter().any(Diagnostic::is_error) {
        return Err(CompileError::Findings(findings));
    }
    let mut variants = Vec::new();
    for (r, plan) in planned {
        let emitted = emit::emit_in(&plan, repo_dir)?;
        variants.push(Variant {
            resolved: r,
            plan,
            objects: emitted.objects,
            inventory: emitted.inventory,
        });
    }
    let pairs: Vec<(&spec::Variant, &[Object])> = variants
        .iter()
        .map(|v| (&v.resolved.variant, &v.objects[..]))
        .collect();
    let mut files = layout::layout(&source_name, &pairs)?;
    let sections: Vec<runbook::Section<'_>> = variants
        .iter()
        .map(|v| runbook::Section {
            plan: &v.plan,
            objects: &v.objects,
            inventory: &v.inventory,
        })
        .collect();
    // The runbook sits beside the trees (no variant directory is named RUNBOOK.md).
    files.extend(runbook::runbook(&profile, &source_name, &sections));
    files.sort();
    Ok(Compiled {
        profile,
        variants,
        files,
        findings,
    })
}
