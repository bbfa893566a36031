//! The command line: arguments in, an exit status out. A thin layer over the library.
//!
//! In: the process arguments (parsed in [`args`]) and, for some commands, stdin and the
//! environment. Out: what each command prints, and an [`ExitStatus`]. Each command is
//! one file that calls the library and prints; an error that stops a command is
//! returned as an [`Error`] and printed once, by [`main`], with a `Cause:` line per
//! link of its chain.
//!
//! Exit statuses: 0 success or no changes; 1 findings, drift or changes; 2 usage, input
//! or I/O error.

mod argocd;
pub mod args;
mod completions;
mod diff;
mod explain;
mod import;
mod krm;
mod render;
mod schema;
mod validate;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser as _;

pub use args::{CheckFormat, Cli, Command, FindingsFormat, Format};

use crate::batch::{self, Failure};
use crate::compile::{Compiled, Variant};
use crate::diag::{self, Diagnostic};
use crate::spec::Loaded;

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// It did what was asked and found nothing to report (exit 0).
    Success,
    /// It ran, and found findings, drift or changes (exit 1).
    Failure,
    /// A usage, input or I/O error stopped it (exit 2).
    Error,
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        match status {
            ExitStatus::Success => ExitCode::SUCCESS,
            ExitStatus::Failure => ExitCode::from(1),
            ExitStatus::Error => ExitCode::from(2),
        }
    }
}

impl From<Failure> for ExitStatus {
    fn from(f: Failure) -> Self {
        match f {
            Failure::Findings => ExitStatus::Failure,
            Failure::Input => ExitStatus::Error,
        }
    }
}

/// What stopped a command before it could report (exit 2). Findings are not errors:
/// they are printed as diagnostics, and the command returns [`ExitStatus::Failure`].
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A tree or file could not be written, or the output directory read.
    #[error(transparent)]
    Write(#[from] crate::write::fs::WriteError),
    /// The `--crds` directory could not be read or holds a broken CRD.
    #[error(transparent)]
    Crds(#[from] crate::validate::crd::CrdError),
    /// The `--manifests` files could not be read.
    #[error(transparent)]
    Manifests(#[from] crate::validate::manifests::ManifestError),
    /// The live side of `rkv diff` failed.
    #[error(transparent)]
    Diff(#[from] crate::diff::DiffError),
    /// `rkv import` could not read or import its sources.
    #[error(transparent)]
    Import(#[from] crate::import::ImportError),
    /// The Argo CD plugin refused the request.
    #[error(transparent)]
    Argo(#[from] crate::gitops::argocd::ArgoError),
    /// The KRM function's input is not a ResourceList it can answer.
    #[error(transparent)]
    Krm(#[from] crate::gitops::krm::KrmError),
    /// An emitter failed on a spec that passed its checks.
    #[error(transparent)]
    Compile(#[from] crate::compile::CompileError),
    /// The spec has no variant by the name given (or needs one named).
    #[error("`{file}`: {why}")]
    Pick {
        file: String,
        why: crate::pick::PickError,
    },
    /// `explain --code` names no registered code.
    #[error("no finding code `{0}`: README.md's table lists every code")]
    UnknownCode(String),
    /// Objects could not be written as YAML.
    #[error("cannot write the YAML stream")]
    Yaml(#[source] serde_saphyr::SerializeError),
    /// A report could not be written as JSON.
    #[error("cannot write the JSON output")]
    Json(#[source] serde_json::Error),
    /// Standard input could not be read.
    #[error("cannot read the ResourceList on stdin")]
    Stdin(#[source] std::io::Error),
    /// The async runtime for `rkv diff` or `rkv import --live` could not start.
    #[error("cannot start the runtime for the cluster requests")]
    Runtime(#[source] std::io::Error),
}

impl From<crate::write::layout::LayoutError> for Error {
    /// Laying out a variant's files outside `compile` (the stream of a variant, whose
    /// Helm values are built from their file) fails as it would in `compile`.
    fn from(e: crate::write::layout::LayoutError) -> Self {
        Error::Compile(e.into())
    }
}

/// The result of a command.
type Result<T = ExitStatus> = std::result::Result<T, Error>;

/// Run the command line: parse the arguments, run the command, print an error once.
pub fn main() -> ExitCode {
    let status = match run() {
        Ok(status) => status,
        Err(e) => {
            report(&e);
            ExitStatus::Error
        }
    };
    status.into()
}

/// Is this process the KRM function itself? Installed (or linked) as `rkv-krm`:
/// kustomize's `exec` function spec runs a path and cannot pass arguments.
fn called_as_krm() -> bool {
    std::env::args_os()
        .next()
        .and_then(|a| {
            Path::new(&a)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
        })
        .is_some_and(|name| name == "rkv-krm")
}

fn run() -> Result {
    if called_as_krm() {
        return krm::run();
    }
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            // `--help` and `--version` come here too, printed to stdout: not errors.
            let _ = e.print();
            return Ok(if e.use_stderr() {
                ExitStatus::Error
            } else {
                ExitStatus::Success
            });
        }
    };
    match cli.command {
        Command::Render(a) => render::run(a),
        Command::Validate(a) => validate::run(a),
        Command::Diff(a) => diff::run(a),
        Command::Explain(a) => explain::run(a),
        Command::Schema(a) => schema::run(a),
        Command::Import(a) => import::run(a),
        Command::Completions { shell } => completions::run(shell),
        Command::ArgocdGenerate(a) => argocd::run(a),
        Command::Krm => krm::run(),
    }
}

/// Print `err` and every cause under it, one line each.
fn report(err: &dyn std::error::Error) {
    eprintln!("error: {err}");
    let mut source = err.source();
    while let Some(s) = source {
        eprintln!("Cause: {s}");
        source = s.source();
    }
}

fn print_diags(diags: &[Diagnostic], format: Format) {
    match format {
        Format::Text => eprint!("{}", diag::render_text(diags)),
        Format::Json => println!("{}", diag::render_json(diags)),
    }
}

/// Print every finding of a command once, in one document for the machine formats: JSON,
/// SARIF and GitHub's workflow commands on stdout (where CI reads them), text on stderr.
fn print_findings(diags: &[Diagnostic], format: FindingsFormat) {
    // Reports for CI name files relative to where rkv ran: the repository's root there.
    let base = || std::env::current_dir().unwrap_or_default();
    let out = match format {
        FindingsFormat::Text => {
            eprint!("{}", diag::render_text(diags));
            return;
        }
        FindingsFormat::Json => format!("{}\n", diag::render_json(diags)),
        FindingsFormat::Github => diag::render_github(diags, &base()),
        FindingsFormat::Sarif => diag::render_sarif(diags, &base()),
    };
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
}

/// Specs loaded and compiled, with every diagnostic, none of them printed yet.
struct Compilation {
    /// The specs that compiled, in the order of the files.
    compiled: Vec<(Loaded, Compiled)>,
    diags: Vec<Diagnostic>,
    /// The status to exit with when a spec failed: then `compiled` is not the output.
    failed: Option<ExitStatus>,
}

/// Load and compile the specs under `paths`, for trees under an output directory at
/// `repo_output` of the GitOps repository (see [`batch::compile_files`]). Defects of rkv
/// (an emitter that failed) and trees the repository cannot point at are reported on
/// stderr at once; findings are returned, for the command to print once.
fn compile_quiet(paths: &[PathBuf], deny_warnings: bool, repo_output: Option<&str>) -> Compilation {
    let files = match batch::spec_files(paths) {
        Ok(f) => f,
        Err(d) => {
            return Compilation {
                compiled: Vec::new(),
                diags: vec![*d],
                failed: Some(ExitStatus::Error),
            };
        }
    };
    let b = batch::compile_files(
        &files,
        deny_warnings,
        crate::par::threads_for(files.len()),
        repo_output,
    );
    for e in &b.errors {
        report(e);
    }
    Compilation {
        compiled: b.compiled,
        diags: b.diags,
        failed: b.failure.map(ExitStatus::from),
    }
}

/// Load and compile the specs under `paths` and print every diagnostic; the compiled
/// specs, or the status to exit with when any failed.
fn compile_all(
    paths: &[PathBuf],
    deny_warnings: bool,
    format: Format,
) -> std::result::Result<Vec<(Loaded, Compiled)>, ExitStatus> {
    // Commands that write no tree read the objects as `rkv render` writes them from the
    // repository's root into `generated/`.
    let c = compile_quiet(paths, deny_warnings, Some(crate::bundle::DEFAULT_OUTPUT));
    print_diags(&c.diags, format);
    match c.failed {
        Some(status) => Err(status),
        None => Ok(c.compiled),
    }
}

/// The variant of the spec `file` called `name`, as every command picks it.
fn pick<'a>(file: &str, c: &'a Compiled, name: Option<&str>) -> Result<&'a Variant> {
    crate::pick::pick_variant(c, name).map_err(|why| Error::Pick {
        file: file.to_string(),
        why,
    })
}
