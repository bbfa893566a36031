//! The command line: arguments in, exit code out. A thin layer over the library.
//!
//! Exit codes: 0 success; 1 findings, drift or changes; 2 usage, input or I/O error.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

use crate::compile::{CompileError, Compiled, compile};
use crate::diag::{self, Diagnostic, Severity};
use crate::spec::{self, Loaded};
use crate::write::fs::{self as wfs, Drift};

/// rkv compiles a Redis topology spec into everything a GitOps repository needs:
/// kustomize trees, operator custom resources, Helm values, PodDisruptionBudgets whose
/// numbers are proven, NetworkPolicies and secret wiring that never holds a secret.
#[derive(Debug, Parser)]
#[command(name = "rkv", version, about, long_about = None, propagate_version = true)]
#[command(
    after_help = "Start with `rkv validate profiles/` and `rkv render`.\nExit codes: 0 ok, 1 findings/drift/changes, 2 usage, input or I/O error."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render specs into `generated/<spec name>/` (every spec in `profiles/` by default).
    Render(RenderArgs),
    /// Check specs and report every finding, without writing anything.
    Validate(ValidateArgs),
    /// Show what a topology survives: disruption budgets, Sentinel majority, slots,
    /// memory and disk headroom, the WAL restore window, each with its arithmetic.
    Explain(ExplainArgs),
    /// Show what a rollout would change in the live cluster (like `kubectl diff --server-side`).
    Diff(DiffArgs),
    /// Write the spec's JSON Schema (for editors and CI).
    Schema(SchemaArgs),
    /// Print shell completions.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Argo CD config management plugin: print one variant of the spec in the current
    /// directory (the Application's path) as a YAML stream. See docs/gitops.md.
    #[command(name = "argocd-generate")]
    ArgocdGenerate(ArgocdArgs),
    /// KRM function (kustomize generators, kpt): read a ResourceList whose functionConfig
    /// is a spec on stdin, write it back with the rendered objects and the findings.
    /// The binary named (or linked as) `rkv-krm` runs this without arguments.
    Krm,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Without flags, reads Argo CD's environment: ARGOCD_APP_PARAMETERS, PARAM_SPEC/PARAM_ENV/PARAM_SITE, ARGOCD_ENV_RKV_SPEC/ARGOCD_ENV_RKV_ENV/ARGOCD_ENV_RKV_SITE (in that order)."
)]
pub struct ArgocdArgs {
    /// The spec file, relative to the current directory [default: the only `kind:
    /// RedisTopology` file in it].
    #[arg(long, value_name = "FILE")]
    pub spec: Option<String>,
    /// The environment or site to print [default: base].
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,
    /// Discovery: print the spec file name when the directory holds an rkv spec, nothing
    /// otherwise (Argo CD's `discover.find.command`); always exit 0.
    #[arg(long, conflicts_with = "parameters")]
    pub discover: bool,
    /// Print the parameter announcements for the Argo CD UI as JSON
    /// (`parameters.dynamic.command`).
    #[arg(long)]
    pub parameters: bool,
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// Spec files or directories of specs [default: profiles/].
    pub paths: Vec<PathBuf>,
    /// Output directory; each spec renders into `<DIR>/<spec file stem>/`.
    #[arg(short, long, default_value = "generated", value_name = "DIR")]
    pub output: PathBuf,
    /// Write nothing; exit 1 with a diff when the output directory is out of date.
    #[arg(long, conflicts_with = "stdout")]
    pub check: bool,
    /// Print the objects as one multi-document YAML stream instead of writing files.
    #[arg(long)]
    pub stdout: bool,
    /// With --stdout: the environment or site to print (`base` is the default).
    #[arg(long, value_name = "NAME", requires = "stdout")]
    pub env: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Spec files or directories of specs [default: profiles/].
    pub paths: Vec<PathBuf>,
    /// Output format of the findings.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Exit 1 on warnings too.
    #[arg(long)]
    pub deny_warnings: bool,
    /// Also validate every custom resource against the CRDs in this directory.
    #[arg(long, value_name = "DIR")]
    pub crds: Option<PathBuf>,
    /// With --crds: validate the YAML manifests under these files or directories
    /// instead of rendering specs (for example `generated/` or a GitOps repository).
    #[arg(long, value_name = "PATH", requires = "crds", num_args = 1..)]
    pub manifests: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The spec file.
    pub spec: PathBuf,
    /// Only this environment or site (every one by default).
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The spec file.
    pub spec: PathBuf,
    /// The environment to diff (`base` by default).
    #[arg(long, value_name = "NAME", conflicts_with = "site")]
    pub env: Option<String>,
    /// The site to diff, for topologies that span sites.
    #[arg(long, value_name = "NAME")]
    pub site: Option<String>,
    /// Kubeconfig file [default: $KUBECONFIG, ~/.kube/config, in-cluster].
    #[arg(long, value_name = "PATH")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context to use instead of the current one.
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
    /// Print Secret values instead of their sizes.
    #[arg(long)]
    pub show_secrets: bool,
    /// Diff against a `kubectl get -o yaml` dump instead of a cluster.
    #[arg(long, value_name = "FILE")]
    pub live: Option<PathBuf>,
    /// Seconds to wait for the cluster before giving up.
    #[arg(long, default_value_t = 10, value_name = "SECONDS")]
    pub timeout: u64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Where to write the schema.
    #[arg(
        short,
        long,
        default_value = "schemas/topology.schema.json",
        value_name = "FILE"
    )]
    pub output: PathBuf,
    /// Print the schema instead of writing it.
    #[arg(long, conflicts_with = "check")]
    pub stdout: bool,
    /// Exit 1 when the file differs from the schema this rkv generates.
    #[arg(long)]
    pub check: bool,
}

/// Run the command line; returns the exit code.
pub fn main() -> i32 {
    // Installed (or linked) as `rkv-krm`, the binary is the KRM function itself:
    // kustomize's `exec` function spec runs a path and cannot pass arguments.
    if std::env::args_os()
        .next()
        .and_then(|a| {
            Path::new(&a)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
        })
        .is_some_and(|name| name == "rkv-krm")
    {
        return krm();
    }
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    match cli.command {
        Command::Render(a) => render(a),
        Command::Validate(a) => validate(a),
        Command::Diff(a) => diff(a),
        Command::Explain(a) => explain(a),
        Command::Schema(a) => schema(a),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "rkv", &mut std::io::stdout());
            0
        }
        Command::ArgocdGenerate(a) => argocd_generate(a),
        Command::Krm => krm(),
    }
}

fn eprint_chain(err: &dyn std::error::Error) {
    eprintln!("error: {err}");
    let mut source = err.source();
    while let Some(s) = source {
        eprintln!("Cause: {s}");
        source = s.source();
    }
}

/// Spec files named by `paths` (files, or the YAML files of directories), sorted.
fn spec_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Box<Diagnostic>> {
    let default = [PathBuf::from("profiles")];
    let paths = if paths.is_empty() {
        &default[..]
    } else {
        paths
    };
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| {
                    Box::new(Diagnostic::new(
                        "RKV001",
                        Severity::Error,
                        &p.display().to_string(),
                        format!("cannot read the directory: {e}"),
                    ))
                })?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| {
                    f.is_file()
                        && matches!(f.extension().and_then(|x| x.to_str()), Some("yaml" | "yml"))
                })
                .collect();
            found.sort();
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

/// Load and compile every spec; diagnostics are printed. Returns the exit code on failure.
fn compile_all(
    paths: &[PathBuf],
    deny_warnings: bool,
    format: Format,
) -> Result<Vec<(Loaded, Compiled)>, i32> {
    let files = match spec_files(paths) {
        Ok(f) => f,
        Err(d) => {
            print_diags(&[*d], format);
            return Err(2);
        }
    };
    let (result, diags) =
        compile_files(&files, deny_warnings, crate::par::threads_for(files.len()));
    print_diags(&diags, format);
    result
}

/// The compiled specs, or the exit code when any failed.
type CompiledSpecs = Result<Vec<(Loaded, Compiled)>, i32>;

/// Load and compile `files` on `threads` threads: the compiled specs (or the exit code)
/// and every diagnostic, in the order of the files whatever the thread count.
fn compile_files(
    files: &[PathBuf],
    deny_warnings: bool,
    threads: usize,
) -> (CompiledSpecs, Vec<Diagnostic>) {
    // Specs are independent: load and compile them in parallel, then report in the
    // order of the files, so output and diagnostics do not depend on the thread count.
    let results = crate::par::map_with(threads, files, |f| {
        spec::load_file(f).map(|loaded| {
            let compiled = compile(&loaded);
            (loaded, compiled)
        })
    });
    let mut all = Vec::new();
    let mut diags = Vec::new();
    let mut code = 0;
    for r in results {
        match r {
            Err(d) => {
                diags.extend(d);
                code = 2;
            }
            Ok((loaded, compiled)) => match compiled {
                Ok(c) => {
                    diags.extend(c.findings.iter().cloned());
                    all.push((loaded, c));
                }
                Err(CompileError::Findings(d)) => {
                    diags.extend(d);
                    code = code.max(1);
                }
                Err(e) => {
                    eprint_chain(&e);
                    code = 2;
                }
            },
        }
    }
    let mut seen = std::collections::BTreeMap::new();
    for (l, c) in &all {
        if let Some(first) = seen.insert(c.profile.clone(), l.source.file.clone()) {
            diags.push(
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
            code = 2;
        }
    }
    if deny_warnings && diags.iter().any(|d| d.severity == Severity::Warning) {
        code = code.max(1);
    }
    (if code != 0 { Err(code) } else { Ok(all) }, diags)
}

fn print_diags(diags: &[Diagnostic], format: Format) {
    match format {
        Format::Text => eprint!("{}", diag::render_text(diags)),
        Format::Json => println!("{}", diag::render_json(diags)),
    }
}

fn render(a: RenderArgs) -> i32 {
    if a.stdout {
        return match compile_all(&a.paths, false, Format::Text) {
            Ok(compiled) => render_stdout(&compiled, a.env.as_deref()),
            Err(code) => code,
        };
    }
    let files = match spec_files(&a.paths) {
        Ok(f) => f,
        Err(d) => {
            print_diags(&[*d], Format::Text);
            return 2;
        }
    };
    // Each spec is compiled, staged or compared, and dropped in turn (crate::render).
    let mode = if a.check {
        crate::render::Mode::Check
    } else {
        crate::render::Mode::Write
    };
    let threads = crate::par::threads_for(files.len());
    let rendered = match crate::render::render(&files, &a.output, mode, threads, |r| match r {
        crate::render::Report::Findings(d) => print_diags(d, Format::Text),
        crate::render::Report::Error(e) => eprint_chain(e),
    }) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let regen = if a.paths.is_empty() {
        "rkv render".to_string()
    } else {
        format!(
            "rkv render {}{}",
            a.paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(" "),
            if a.output == Path::new("generated") {
                String::new()
            } else {
                format!(" -o {}", a.output.display())
            }
        )
    };
    let mut drift = Vec::new();
    if a.check {
        match rendered.drift {
            Ok(d) => drift.extend(d),
            Err(e) => {
                eprint_chain(&e);
                return 2;
            }
        }
    } else {
        for (t, result) in rendered.trees.iter().zip(rendered.written) {
            match result {
                Ok(true) => eprintln!("wrote {} ({} files)", t.dir.display(), t.files),
                Ok(false) => {}
                Err(e) => {
                    eprint_chain(&e);
                    return 2;
                }
            }
        }
    }
    // A full render owns the output directory: trees of specs that are gone are stale.
    if a.paths.is_empty() {
        let keep: Vec<&str> = rendered.profiles.iter().map(String::as_str).collect();
        if let Ok(entries) = std::fs::read_dir(&a.output) {
            let mut stale: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.is_dir()
                        && p.file_name()
                            .is_some_and(|n| !keep.contains(&n.to_string_lossy().as_ref()))
                })
                .collect();
            stale.sort();
            for p in stale {
                if a.check {
                    drift.push(Drift::Stale(p.display().to_string()));
                } else if let Err(e) = wfs::remove_tree(&p) {
                    eprint_chain(&e);
                    return 2;
                } else {
                    eprintln!("removed {} (no spec renders to it)", p.display());
                }
            }
        }
    }
    if a.check {
        if drift.is_empty() {
            eprintln!("{} is up to date", a.output.display());
            return 0;
        }
        let mut out = std::io::stdout().lock();
        for d in &drift {
            let _ = out.write_all(d.describe().as_bytes());
        }
        eprintln!(
            "{} is out of date ({} file(s) differ): run `{regen}` and commit the result",
            a.output.display(),
            drift.len()
        );
        return 1;
    }
    0
}

fn render_stdout(compiled: &[(Loaded, Compiled)], env: Option<&str>) -> i32 {
    let mut docs = Vec::new();
    for (l, c) in compiled {
        let pick = match env {
            Some(e) => c.variants.iter().find(|v| v.resolved.variant.label() == e),
            None => c.variants.first(),
        };
        let Some(v) = pick else {
            unknown_variant(&l.source.file, c, env.unwrap_or_default());
            return 2;
        };
        // Documents that are not Kubernetes objects (Helm values) are files, not stream items.
        docs.extend(
            v.objects
                .iter()
                .filter(|o| !o.api_version().is_empty())
                .map(|o| o.value.clone()),
        );
    }
    match crate::write::to_yaml_stream(&docs) {
        Ok(s) => {
            let _ = std::io::stdout().lock().write_all(s.as_bytes());
            0
        }
        Err(e) => {
            eprint_chain(&e);
            2
        }
    }
}

fn validate(a: ValidateArgs) -> i32 {
    let crds = match &a.crds {
        None => None,
        Some(dir) => match crate::validate::crd::CrdSet::load_dir(dir) {
            Ok(set) => Some(set),
            Err(e) => {
                eprint_chain(&e);
                return 2;
            }
        },
    };
    if let Some(set) = &crds
        && !a.manifests.is_empty()
    {
        return validate_manifests(set, &a.manifests, a.format);
    }
    let compiled = match compile_all(&a.paths, a.deny_warnings, a.format) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let mut diags = Vec::new();
    let mut checked = 0;
    if let Some(set) = &crds {
        for (l, c) in &compiled {
            for v in &c.variants {
                for o in v.objects.iter().filter(|o| {
                    !o.api_version().is_empty() && !crate::validate::is_built_in(o.api_version())
                }) {
                    checked += 1;
                    let what =
                        format!("{}/{} ({})", o.kind(), o.name(), v.resolved.variant.label());
                    diags.extend(crd_diags(set, &o.value, &l.source.file, &what));
                }
            }
        }
    }
    print_diags(&diags, a.format);
    if diags
        .iter()
        .any(|d| d.is_error() || (a.deny_warnings && d.severity == Severity::Warning))
    {
        return 1;
    }
    if a.format == Format::Text {
        match crds {
            Some(_) => eprintln!(
                "{} spec(s) valid; {checked} custom resource(s) match their CRDs",
                compiled.len()
            ),
            None => eprintln!("{} spec(s) valid", compiled.len()),
        }
    }
    0
}

fn crd_diags(
    set: &crate::validate::crd::CrdSet,
    obj: &serde_json::Value,
    file: &str,
    what: &str,
) -> Vec<Diagnostic> {
    use crate::validate::crd::Rejection;
    match set.validate(obj) {
        Ok(()) => Vec::new(),
        Err(Rejection::NoCrd(gvk)) => vec![
            Diagnostic::new(
                "RKV131",
                Severity::Warning,
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
                Diagnostic::new(
                    "RKV130",
                    Severity::Error,
                    file,
                    format!("{what}{at}: {}", v.message),
                )
            })
            .collect(),
    }
}

/// Every `*.yaml`/`*.yml` file under `paths`, sorted.
fn yaml_files(paths: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack: Vec<PathBuf> = paths.to_vec();
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            for e in std::fs::read_dir(&p)? {
                stack.push(e?.path());
            }
        } else if matches!(p.extension().and_then(|x| x.to_str()), Some("yaml" | "yml")) {
            out.push(p);
        } else if !p.exists() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("`{}` does not exist", p.display()),
            ));
        }
    }
    out.sort();
    Ok(out)
}

fn validate_manifests(
    set: &crate::validate::crd::CrdSet,
    paths: &[PathBuf],
    format: Format,
) -> i32 {
    let files = match yaml_files(paths) {
        Ok(f) => f,
        Err(e) => {
            eprint_chain(&e);
            return 2;
        }
    };
    let mut diags = Vec::new();
    let mut checked = 0;
    for f in &files {
        let file = f.display().to_string();
        let text = match std::fs::read_to_string(f) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error: cannot read `{file}`");
                eprintln!("Cause: {e}");
                return 2;
            }
        };
        let docs: Vec<serde_json::Value> = match serde_saphyr::from_str_multiple(&text) {
            Ok(d) => d,
            Err(e) => {
                diags.push(Diagnostic::new(
                    "RKV003",
                    Severity::Error,
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
                || crate::validate::is_built_in(api)
            {
                continue;
            }
            checked += 1;
            let name = doc
                .pointer("/metadata/name")
                .and_then(|v| v.as_str())
                .unwrap_or_default();
            diags.extend(crd_diags(set, &doc, &file, &format!("{kind}/{name}")));
        }
    }
    print_diags(&diags, format);
    if diags.iter().any(Diagnostic::is_error) {
        return 1;
    }
    if format == Format::Text {
        eprintln!(
            "{checked} custom resource(s) in {} file(s) match their CRDs",
            files.len()
        );
    }
    0
}

/// The schema as committed: pretty JSON with a trailing newline.
pub fn schema_text() -> String {
    let mut s = serde_json::to_string_pretty(spec::load::schema()).unwrap_or_default();
    s.push('\n');
    s
}

fn schema(a: SchemaArgs) -> i32 {
    let text = schema_text();
    if a.stdout {
        print!("{text}");
        return 0;
    }
    if a.check {
        return match std::fs::read_to_string(&a.output) {
            Ok(old) if old == text => 0,
            _ => {
                eprintln!(
                    "{} is out of date: run `rkv schema -o {}` and commit it",
                    a.output.display(),
                    a.output.display()
                );
                1
            }
        };
    }
    let dir = a.output.parent().unwrap_or(Path::new("."));
    let name = a
        .output
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.rkv-new"));
    let res = std::fs::create_dir_all(dir)
        .and_then(|_| std::fs::write(&tmp, &text))
        .and_then(|_| std::fs::rename(&tmp, &a.output));
    match res {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: cannot write `{}`", a.output.display());
            eprintln!("Cause: {e}");
            2
        }
    }
}

/// Colour only on a terminal, and never with `NO_COLOR` set.
pub fn use_color() -> bool {
    use std::io::IsTerminal as _;
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
}

fn diff(a: DiffArgs) -> i32 {
    use crate::diff::{self as d, DiffOptions, LiveSource};
    let compiled = match compile_all(std::slice::from_ref(&a.spec), false, Format::Text) {
        Ok(c) => c,
        Err(code) => return code.max(2),
    };
    let Some((l, c)) = compiled.first() else {
        return 2;
    };
    let want = a.site.as_deref().or(a.env.as_deref());
    let variant = match want {
        Some(name) => c
            .variants
            .iter()
            .find(|v| v.resolved.variant.label() == name),
        None if c.variants.len() == 1
            || c.variants[0].resolved.variant == crate::spec::Variant::Base =>
        {
            c.variants.first()
        }
        None => None,
    };
    let Some(v) = variant else {
        let names: Vec<&str> = c
            .variants
            .iter()
            .map(|v| v.resolved.variant.label())
            .collect();
        eprintln!(
            "error: `{}` {}; choose one of: {}",
            l.source.file,
            match want {
                Some(n) => format!("has no environment or site `{n}`"),
                None => "spans several sites: name one with --site".to_string(),
            },
            names.join(", ")
        );
        return 2;
    };
    // Files placed outside the tree (Helm values) are not cluster objects.
    let rendered: Vec<serde_json::Value> = v
        .objects
        .iter()
        .filter(|o| o.path.is_none() || !o.api_version().is_empty())
        .map(|o| o.value.clone())
        .collect();
    let opts = DiffOptions {
        kubeconfig: a.kubeconfig,
        context: a.context,
        concurrency: usize::from(a.concurrency),
        show_secrets: a.show_secrets,
        timeout: std::time::Duration::from_secs(a.timeout.max(1)),
        format: match a.format {
            Format::Text => d::Format::Text,
            Format::Json => d::Format::Json,
        },
        color: use_color(),
        progress: {
            use std::io::IsTerminal as _;
            std::io::stderr().is_terminal()
        },
    };
    let live = match a.live {
        Some(f) => LiveSource::File(f),
        None => LiveSource::Cluster,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprint_chain(&e);
            return 2;
        }
    };
    match runtime.block_on(d::diff(&rendered, live, &opts)) {
        Ok(report) => {
            print!("{}", report.render(&opts));
            i32::from(report.has_changes())
        }
        Err(e) => {
            eprint_chain(&e);
            2
        }
    }
}

fn explain(a: ExplainArgs) -> i32 {
    let compiled = match compile_all(std::slice::from_ref(&a.spec), false, Format::Text) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let Some((l, c)) = compiled.first() else {
        return 2;
    };
    let reports: Vec<crate::explain::Report> = c
        .variants
        .iter()
        .filter(|v| {
            a.env
                .as_deref()
                .is_none_or(|e| v.resolved.variant.label() == e)
        })
        .map(|v| crate::explain::explain(&v.plan))
        .collect();
    if reports.is_empty() {
        unknown_variant(&l.source.file, c, a.env.as_deref().unwrap_or_default());
        return 2;
    }
    match a.format {
        Format::Text => print!("{}", crate::explain::render_text(&reports)),
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&reports).unwrap_or_default()
        ),
    }
    0
}

fn argocd_generate(a: ArgocdArgs) -> i32 {
    use crate::gitops::argocd;
    let vars: std::collections::BTreeMap<String, String> = std::env::vars().collect();
    let dir = PathBuf::from(".");
    let req = argocd::request(a.spec.as_deref(), a.env.as_deref(), &vars);
    if a.discover {
        // Argo CD reads non-empty stdout as "this plugin handles the app": print the spec
        // the app would use, or nothing; never fail discovery.
        if let Ok(p) = req.and_then(|r| argocd::spec_file(&dir, &r))
            && p.is_file()
        {
            println!("{}", p.strip_prefix(&dir).unwrap_or(&p).display());
        }
        return 0;
    }
    let req = match req {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return e.exit_code();
        }
    };
    if a.parameters {
        println!("{}", argocd::announcements(&dir, &req));
        return 0;
    }
    match argocd::generate(&dir, &req, &vars) {
        Ok(g) => {
            eprint!("{}", diag::render_text(&g.findings));
            for n in &g.notes {
                eprintln!("note: {n}");
            }
            let _ = std::io::stdout().lock().write_all(g.yaml.as_bytes());
            0
        }
        Err(argocd::ArgoError::Findings { diags, loaded, .. }) => {
            eprint!("{}", diag::render_text(&diags));
            if loaded { 1 } else { 2 }
        }
        Err(e) => {
            eprint_chain(&e);
            e.exit_code()
        }
    }
}

fn krm() -> i32 {
    use std::io::Read as _;
    let mut input = String::new();
    let limit = crate::gitops::krm::MAX_INPUT as u64 + 1;
    if let Err(e) = std::io::stdin().take(limit).read_to_string(&mut input) {
        eprintln!("error: cannot read the ResourceList on stdin");
        eprintln!("Cause: {e}");
        return 2;
    }
    match crate::gitops::krm::run(&input) {
        Ok(o) => {
            let _ = std::io::stdout().lock().write_all(o.yaml.as_bytes());
            if o.failed {
                eprintln!("error: the spec has errors; see `results` in the output");
                1
            } else {
                0
            }
        }
        Err(e) => {
            eprint_chain(&e);
            2
        }
    }
}

/// Say that `file` has no environment or site `name`, listing the ones it has.
fn unknown_variant(file: &str, c: &Compiled, name: &str) {
    let names: Vec<&str> = c
        .variants
        .iter()
        .map(|v| v.resolved.variant.label())
        .collect();
    eprintln!(
        "error: `{file}` has no environment or site `{name}`; it has: {}",
        names.join(", ")
    );
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

    /// Each profile with its files (path, content), or the exit code.
    type Outcome = Result<Vec<(String, Vec<(String, String)>)>, i32>;

    fn outcome(r: &CompiledSpecs) -> Outcome {
        r.as_ref().map_err(|c| *c).map(|all| {
            all.iter()
                .map(|(_, c)| {
                    let files = c
                        .files
                        .iter()
                        .map(|f| (f.path.clone(), f.content.clone()))
                        .collect();
                    (c.profile.clone(), files)
                })
                .collect()
        })
    }

    #[test]
    fn parallel_compile_gives_the_same_files_and_diagnostics_as_sequential() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let profiles = spec_files(&[root.join("profiles")]).expect("profiles/");
        let everything = all_specs();
        assert!(everything.len() > profiles.len());
        for files in [&profiles, &everything] {
            let (seq, seq_diags) = compile_files(files, false, 1);
            for threads in [2, 3, 8] {
                let (par, par_diags) = compile_files(files, false, threads);
                assert_eq!(outcome(&par), outcome(&seq), "{threads} threads");
                assert_eq!(par_diags, seq_diags, "{threads} threads");
                assert_eq!(diag::render_text(&par_diags), diag::render_text(&seq_diags));
            }
        }
        // The failing golden cases are in: the diagnostics are not trivially empty.
        assert!(!compile_files(&everything, false, 2).1.is_empty());
    }
}
