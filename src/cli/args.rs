//! The command line's arguments: every flag of every command, with its help text.
//!
//! In: `std::env::args`, parsed by clap. Out: a [`Cli`] value for `cli::run`.
//! Nothing here reads a file or decides anything beyond what clap checks.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

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
    /// Read a Redis that already runs (manifests, Bitnami Helm values or a live
    /// namespace) and print its spec, with an import report of every difference.
    Import(ImportArgs),
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
    /// Output directory; each spec renders into `<DIR>/<spec file stem>/`, below its
    /// folder (relative to the specs' common folder) when the specs come from several.
    #[arg(short, long, default_value = "generated", value_name = "DIR")]
    pub output: PathBuf,
    /// The root of the GitOps repository the output directory is committed to: a site's
    /// Argo CD Application syncs its tree by the tree's path from there
    /// (`generated/<spec>/clusters/<site>/apps/redis` by default) [default: the working
    /// directory].
    #[arg(long, default_value = ".", value_name = "DIR")]
    pub repo_root: PathBuf,
    /// Write nothing; exit 1 with a diff when the output directory is out of date.
    #[arg(long, conflicts_with = "stdout")]
    pub check: bool,
    /// With --check: how to report drift and findings: a unified diff (text), GitHub
    /// Actions annotations (github) or a SARIF 2.1.0 log (sarif) on stdout.
    #[arg(long, value_enum, default_value_t = CheckFormat::Text, requires = "check")]
    pub format: CheckFormat,
    /// The paths given are every spec the output directory holds: remove the trees no spec
    /// renders to (with --check: report them). Implied when no path is given.
    #[arg(long, conflicts_with = "stdout")]
    pub prune: bool,
    /// Print the objects as one multi-document YAML stream instead of writing files.
    #[arg(long)]
    pub stdout: bool,
    /// With --stdout: the environment or site to print [default: base; a spec that
    /// spans sites has none, so name a site].
    #[arg(long, value_name = "NAME", requires = "stdout")]
    pub env: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

/// How `rkv validate` prints findings.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum FindingsFormat {
    /// For a terminal, on stderr.
    Text,
    /// One JSON array on stdout.
    Json,
    /// GitHub Actions workflow commands (annotations) on stdout.
    Github,
    /// One SARIF 2.1.0 log on stdout, for code-scanning dashboards.
    Sarif,
}

/// How `rkv render --check` reports drift.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum CheckFormat {
    /// A unified diff per file on stdout, findings on stderr.
    Text,
    /// GitHub Actions workflow commands (annotations) on stdout.
    Github,
    /// One SARIF 2.1.0 log on stdout, for code-scanning dashboards.
    Sarif,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Spec files or directories of specs [default: profiles/].
    pub paths: Vec<PathBuf>,
    /// Output format of the findings.
    #[arg(long, value_enum, default_value_t = FindingsFormat::Text)]
    pub format: FindingsFormat,
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
    #[arg(required_unless_present = "code")]
    pub spec: Option<PathBuf>,
    /// Only this environment or site (every one by default).
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,
    /// Explain a finding code instead (`--code RKV110`): its default severity, what it
    /// means and what to do.
    #[arg(long, value_name = "RKVnnn", conflicts_with_all = ["spec", "env"])]
    pub code: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Exit codes: 0 nothing to do; 1 changes, refusals or preflight errors (with --fail-on destructive: only a destructive change); 2 the diff could not be made.\nRKV_EXTERNAL_DIFF=\"<program> [args]\" runs that differ over LIVE and MERGED directories of YAML files, like KUBECTL_EXTERNAL_DIFF."
)]
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
    /// Kubeconfig context to use instead of the current one (as kubectl's `--context`).
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
    /// Output: unified diffs, one line per object, or JSON (`--format` is an alias).
    #[arg(short = 'o', long = "output", alias = "format", value_enum, default_value_t = DiffOutput::Text)]
    pub output: DiffOutput,
    /// The tool that applies the objects: the dry run takes its field manager's view,
    /// so fields it applied before and the render dropped show as removed.
    #[arg(long, value_enum, value_name = "TOOL")]
    pub applier: Option<ApplierArg>,
    /// The dry run's field manager [default: the applier's, else `rkv`].
    #[arg(long, value_name = "NAME")]
    pub field_manager: Option<String>,
    /// Lines of context around each change.
    #[arg(
        short = 'U',
        long = "context-lines",
        default_value_t = 3,
        value_name = "N"
    )]
    pub context_lines: usize,
    /// Leave objects of this kind out of the output and the exit code (repeatable;
    /// destructive changes are still reported).
    #[arg(long, value_name = "KIND")]
    pub suppress: Vec<String>,
    /// What exits 1: any change (like kubectl diff), or only a destructive one (a CI gate).
    #[arg(long, value_enum, default_value_t = FailOnArg::Changes, value_name = "WHAT")]
    pub fail_on: FailOnArg,
}

/// `rkv diff --output`.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum DiffOutput {
    Text,
    Summary,
    Json,
}

/// `rkv diff --applier`.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ApplierArg {
    /// Flux (field manager `kustomize-controller`).
    Flux,
    /// Argo CD with `ServerSideApply=true` (field manager `argocd-controller`).
    Argocd,
    /// `kubectl apply --server-side` (field manager `kubectl`).
    Kubectl,
}

/// `rkv diff --fail-on`.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum FailOnArg {
    Changes,
    Destructive,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("source").required(true).multiple(true).args(["manifests", "helm_values", "live"]))]
#[command(
    after_help = "The spec goes to stdout (or -o FILE), the import report to stderr.\nExit codes: 0 imported; 1 with --check when a field would be lost; 2 input, I/O or cluster error."
)]
pub struct ImportArgs {
    /// Manifest files or folders (a folder with kustomization.yaml is built with `kubectl kustomize`).
    #[arg(long, value_name = "PATH", num_args = 1..)]
    pub manifests: Vec<PathBuf>,
    /// Values of a Bitnami chart release (with --chart); --manifests may add objects beside it.
    #[arg(long, value_name = "FILE", requires = "chart")]
    pub helm_values: Option<PathBuf>,
    /// The chart the values are for.
    #[arg(long, value_parser = ["redis", "redis-cluster"], requires = "helm_values")]
    pub chart: Option<String>,
    /// The chart version the release runs [default: the version rkv writes values for].
    #[arg(long, value_name = "V", requires = "helm_values")]
    pub chart_version: Option<String>,
    /// The chart's own values.yaml (`helm show values`), so the round trip knows its defaults.
    #[arg(long, value_name = "FILE", requires = "helm_values")]
    pub chart_defaults: Option<PathBuf>,
    /// The release name [default: the chart's name].
    #[arg(long, value_name = "NAME", requires = "helm_values")]
    pub release: Option<String>,
    /// Read the objects of --namespace from the cluster (read-only).
    #[arg(long, requires = "namespace", conflicts_with_all = ["manifests", "helm_values"])]
    pub live: bool,
    /// The namespace to read (--live), or of sources that name none.
    #[arg(long, short = 'n', value_name = "NS")]
    pub namespace: Option<String>,
    /// With --live: only objects with these labels (`app=redis`).
    #[arg(long, short = 'l', value_name = "LABELS", requires = "live")]
    pub selector: Option<String>,
    /// Kubeconfig file [default: $KUBECONFIG, ~/.kube/config, in-cluster].
    #[arg(long, value_name = "PATH", requires = "live")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context to use instead of the current one.
    #[arg(long, value_name = "NAME", requires = "live")]
    pub context: Option<String>,
    /// Seconds to wait for the cluster before giving up.
    #[arg(long, default_value_t = 10, value_name = "SECONDS")]
    pub timeout: u64,
    /// Write the spec to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Write nothing; exit 1 when a source field would be lost (the report says which).
    #[arg(long)]
    pub check: bool,
    /// The kubectl that builds kustomize trees.
    #[arg(
        long,
        value_name = "PATH",
        env = "RKV_KUBECTL",
        default_value = "kubectl"
    )]
    pub kubectl: PathBuf,
    /// Format of the import report on stderr.
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
