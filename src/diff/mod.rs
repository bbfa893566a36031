//! `rkv diff`: what a rollout of the rendered objects would do to the live cluster.
//!
//! In: every object rkv renders for one environment (JSON values with `apiVersion`,
//! `kind`, `metadata.name` and, for namespaced kinds, `metadata.namespace`, labelled
//! `app.kubernetes.io/managed-by=rkv` and `app.kubernetes.io/instance=<topology>`),
//! [`DiffOptions`] (who applies, which other namespaces the topology uses, output), and a
//! [`LiveSource`]: the cluster of a kubeconfig context, or a `kubectl get -o yaml` dump.
//!
//! Out: a [`DiffReport`]: per object one [`Action`] (`unchanged`, `create`, `change`,
//! `prune`, `replace-required`, `refused`) with a unified diff of the normalized YAML;
//! the [`Destructive`] changes among them with why and what to do; the preflight
//! findings (prerequisites in the cluster the objects depend on but do not create); and
//! notes on what the diff could not see. Rendered as text, a one-line-per-object
//! summary, or JSON.
//!
//! Against a cluster (`diff::live`), every rendered object is sent as a server-side apply
//! dry run (`dryRun=All`, forced) as the field manager of the real applier
//! ([`Applier`]), creates included, so the "after" side is the server's own answer with
//! its defaults, admission and schema pruning, and fields that manager applied before
//! and the render dropped show as removed. A refusal of one object is that object's
//! outcome (`replace-required` for an immutable field, `refused` otherwise); the diff
//! fails as a whole ([`DiffError`]) only when it cannot be made: no cluster, no
//! credentials, a kind the cluster does not serve, a request that may not be made. Prune
//! candidates are the live objects with rkv's labels for the rendered topologies, of
//! every kind rkv can emit ([`inventory`]), in every namespace, owned objects excepted.
//!
//! Invariants:
//! - the report is ordered by kind, namespace, name and does not depend on the order
//!   the requests complete in (so `--concurrency 1` and `16` print the same bytes);
//! - Secret `data`/`stringData` values are never in the report unless
//!   [`DiffOptions::show_secrets`] is set: only their sizes (preflight reads key names only);
//! - every request is bounded by [`DiffOptions::timeout`]: a dead cluster is an error, never a hang.
//!
//! Where the server refuses dry-run apply, and for a `--live` dump, the "after" side is
//! the rendered object and the live object is projected onto the fields rkv renders, so
//! that server defaults do not show as changes; immutable fields are then predicted from
//! rkv's own table (`diff::immutable`). The price of that fallback: a field that is live but
//! no longer rendered does not show.

mod destructive;
mod error;
mod external;
mod file;
mod immutable;
pub mod inventory;
mod live;
mod normalize;
mod outcome;
mod preflight;
mod report;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

pub(crate) use crate::bundle::{ObjKey, group_of};
pub use error::{DiffError, MissingKind};
pub use external::{External, external_diff};
pub use report::{Action, Destructive, DiffReport, FailOn, ObjectDiff, Summary};

/// The label every object rkv renders carries, with value `rkv`.
pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
/// The label naming the topology an object belongs to.
pub const INSTANCE_LABEL: &str = "app.kubernetes.io/instance";
/// The field manager rkv applies with when neither an applier nor a manager is named.
pub const FIELD_MANAGER: &str = "rkv";
/// Flux leaves an object with this annotation (value `disabled`) when it would prune it.
pub const FLUX_PRUNE_ANNOTATION: &str = "kustomize.toolkit.fluxcd.io/prune";
/// Argo CD leaves an object whose sync options here include `Prune=false`.
pub const ARGOCD_SYNC_OPTIONS_ANNOTATION: &str = "argocd.argoproj.io/sync-options";

/// How a [`DiffReport`] is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// Headers, unified diffs, destructive changes, preflight findings, notes and a
    /// summary line, for people.
    #[default]
    Text,
    /// One line per object that is not unchanged, then the same blocks as text.
    Summary,
    /// One stable JSON document, for tools.
    Json,
}

/// The tool that applies the rendered objects, and so the field manager whose view
/// the dry run takes: fields that manager applied before and the render no longer has
/// are removed by the real sync, and show as removed only when the dry run uses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applier {
    /// Flux's kustomize-controller (server-side apply as `kustomize-controller`).
    Flux,
    /// Argo CD with `ServerSideApply=true` (as `argocd-controller`).
    ArgoCd,
    /// `kubectl apply --server-side` (as `kubectl`, kubectl's default manager).
    Kubectl,
}

impl Applier {
    /// The field manager the tool applies with.
    pub fn field_manager(self) -> &'static str {
        match self {
            Applier::Flux => "kustomize-controller",
            Applier::ArgoCd => "argocd-controller",
            Applier::Kubectl => "kubectl",
        }
    }

    /// The value of `--applier` that picks it.
    pub fn flag(self) -> &'static str {
        match self {
            Applier::Flux => "flux",
            Applier::ArgoCd => "argocd",
            Applier::Kubectl => "kubectl",
        }
    }

    /// The applier whose field manager is `manager`.
    pub fn of_manager(manager: &str) -> Option<Applier> {
        [Applier::Flux, Applier::ArgoCd, Applier::Kubectl]
            .into_iter()
            .find(|a| a.field_manager() == manager)
    }
}

/// Where destructive changes point for their procedure: the profile's `RUNBOOK.md` and
/// the label of the variant's sections in it (`base`, `production`, `dc`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Runbook {
    /// Path of the runbook as the user finds it, e.g. `generated/cordum/RUNBOOK.md`.
    pub path: String,
    /// The variant label its headings carry, e.g. `production`.
    pub variant: String,
}

/// Where the live objects come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveSource {
    /// The cluster of the kubeconfig context in [`DiffOptions`].
    Cluster,
    /// A `kubectl get -o yaml` dump: a `v1 List` with `items`, or multi-document YAML.
    File(PathBuf),
}

/// Options of `rkv diff`.
#[derive(Debug, Clone)]
pub struct DiffOptions {
    /// `--kubeconfig`: else `KUBECONFIG`, else `~/.kube/config`, else the in-cluster config.
    pub kubeconfig: Option<PathBuf>,
    /// `--context`: overrides the kubeconfig's `current-context`.
    pub context: Option<String>,
    /// How many requests may be in flight at once (at least 1).
    pub concurrency: usize,
    /// Print Secret values instead of their sizes.
    pub show_secrets: bool,
    /// Bound on connecting to the cluster and on each request.
    pub timeout: Duration,
    /// Text, summary or JSON.
    pub format: Format,
    /// ANSI colours in text output (the CLI decides from the TTY and `NO_COLOR`).
    pub color: bool,
    /// A `requests done/total` line on stderr while requests run (the CLI sets it when
    /// stderr is a terminal).
    pub progress: bool,
    /// The field manager of the dry run ([`FIELD_MANAGER`] unless an applier or
    /// `--field-manager` names another).
    pub field_manager: String,
    /// The applier, when known: its help is given for prunes it would skip, namespaces
    /// it would create and objects it would re-create.
    pub applier: Option<Applier>,
    /// Lines of context around each change in the unified diffs.
    pub context_lines: usize,
    /// Kinds left out of the listing and the exit code (matched without case);
    /// destructive changes of these kinds are still reported.
    pub suppress: Vec<String>,
    /// Namespaces to search for objects to prune besides the rendered ones, when the
    /// cluster refuses a list across all namespaces (the CLI passes every namespace any
    /// variant of the spec uses).
    pub namespaces: BTreeSet<String>,
    /// Where destructive changes point for their procedure.
    pub runbook: Option<Runbook>,
    /// The objects each other variant of the spec renders, by variant label: a live
    /// object one of them renders belongs to that variant (deployed beside this one with
    /// the same topology labels), not to this variant's prunes.
    pub other_variants: Vec<(String, Vec<Value>)>,
}

impl Default for DiffOptions {
    fn default() -> Self {
        Self {
            kubeconfig: None,
            context: None,
            concurrency: 8,
            show_secrets: false,
            timeout: Duration::from_secs(10),
            format: Format::Text,
            color: false,
            progress: false,
            field_manager: FIELD_MANAGER.to_string(),
            applier: None,
            context_lines: 3,
            suppress: Vec::new(),
            namespaces: BTreeSet::new(),
            runbook: None,
            other_variants: Vec::new(),
        }
    }
}

/// Why the server would not apply an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// An immutable field changes: the object must be deleted and created again.
    ReplaceRequired {
        /// The fields the server named (`spec`, `spec.selector`).
        fields: Vec<String>,
        /// The server's message, or rkv's own when predicted without a server.
        message: String,
    },
    /// Any other refusal: a webhook, a schema, a quota; the server's message.
    Refused { code: u16, message: String },
}

/// One object before normalization: the live state, the state after the rollout, and
/// whether "after" is the server's merged answer or just the rendered object.
#[derive(Debug, Clone)]
pub(crate) struct Pair {
    pub key: ObjKey,
    pub api_version: String,
    /// The object as rendered (`None` for a prune).
    pub rendered: Option<Value>,
    /// The live object (`None` for a create).
    pub live: Option<Value>,
    /// The server's dry-run result, when it gave one.
    pub merged: Option<Value>,
    /// The server's refusal of the dry run, if it refused.
    pub refusal: Option<Refusal>,
    /// What to know about this object's diff (no dry run, and why).
    pub notes: Vec<String>,
}

impl Pair {
    pub(crate) fn new(key: ObjKey, api_version: String) -> Self {
        Pair {
            key,
            api_version,
            rendered: None,
            live: None,
            merged: None,
            refusal: None,
            notes: Vec::new(),
        }
    }
}

/// Everything fetched for a report: the pairs, the preflight findings and the notes on
/// what the diff could not see.
#[derive(Debug, Default)]
pub(crate) struct Fetched {
    pub pairs: Vec<Pair>,
    pub preflight: Vec<crate::diag::Diagnostic>,
    pub notes: Vec<String>,
}

/// The value of label `key` of `obj`.
pub(crate) fn label<'a>(obj: &'a Value, key: &str) -> Option<&'a str> {
    obj.get("metadata")?.get("labels")?.get(key)?.as_str()
}

/// The value of annotation `key` of `obj`.
pub(crate) fn annotation<'a>(obj: &'a Value, key: &str) -> Option<&'a str> {
    obj.get("metadata")?.get("annotations")?.get(key)?.as_str()
}

/// Why a live object with rkv's labels for a rendered topology is not a prune.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Kept {
    /// Another object owns it (`ownerReferences`): its owner deletes it, not the applier.
    Owned,
    /// It carries Flux's or Argo CD's do-not-prune annotation.
    PruneDisabled,
    /// Another variant of the spec renders it (named here).
    OtherVariant(String),
}

/// The objects other variants render, by key, with the variant's label.
pub(crate) fn other_variant_keys(opts: &DiffOptions) -> BTreeMap<ObjKey, String> {
    let mut out = BTreeMap::new();
    for (label, objects) in &opts.other_variants {
        for o in objects {
            if let Some(k) = ObjKey::of(o) {
                out.entry(k).or_insert_with(|| label.clone());
            }
        }
    }
    out
}

/// Whether the applier would prune `obj`, a live object not rendered any more.
pub(crate) fn kept(obj: &Value, others: &BTreeMap<ObjKey, String>) -> Option<Kept> {
    let owned = obj
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .is_some_and(|refs| !refs.is_empty());
    if owned {
        return Some(Kept::Owned);
    }
    let flux = annotation(obj, FLUX_PRUNE_ANNOTATION) == Some("disabled");
    let argo = annotation(obj, ARGOCD_SYNC_OPTIONS_ANNOTATION)
        .is_some_and(|o| o.split(',').any(|o| o.trim() == "Prune=false"));
    if flux || argo {
        return Some(Kept::PruneDisabled);
    }
    let key = ObjKey::of(obj)?;
    others.get(&key).map(|v| Kept::OtherVariant(v.clone()))
}

/// The notes saying which live objects with rkv's labels were left out of the prunes.
pub(crate) fn kept_notes(kept: &[(ObjKey, Kept)]) -> Vec<String> {
    let names = |f: &dyn Fn(&Kept) -> bool| -> Vec<String> {
        kept.iter()
            .filter(|(_, why)| f(why))
            .map(|(key, why)| match why {
                Kept::OtherVariant(v) => format!("`{key}` (`{v}`)"),
                _ => format!("`{key}`"),
            })
            .collect()
    };
    let mut out = Vec::new();
    let owned = names(&|k| *k == Kept::Owned);
    if !owned.is_empty() {
        out.push(format!(
            "not pruned, owned by another object (its owner deletes it): {}",
            owned.join(", ")
        ));
    }
    let disabled = names(&|k| *k == Kept::PruneDisabled);
    if !disabled.is_empty() {
        out.push(format!(
            "not pruned, pruning disabled by annotation (`{FLUX_PRUNE_ANNOTATION}: disabled` or `{ARGOCD_SYNC_OPTIONS_ANNOTATION}: Prune=false`): {}",
            disabled.join(", ")
        ));
    }
    let other = names(&|k| matches!(k, Kept::OtherVariant(_)));
    if !other.is_empty() {
        out.push(format!(
            "not pruned, another variant of the spec renders it: {}",
            other.join(", ")
        ));
    }
    out
}

/// Checks the rendered objects and returns the distinct topology instances they belong to.
fn instances(rendered: &[Value]) -> Result<BTreeSet<String>, DiffError> {
    let mut out = BTreeSet::new();
    let mut seen = BTreeSet::new();
    for (index, obj) in rendered.iter().enumerate() {
        let key = ObjKey::of(obj).ok_or(DiffError::InvalidRendered {
            index,
            reason: "it lacks `apiVersion`, `kind` or `metadata.name`".into(),
        })?;
        if !seen.insert(key.clone()) {
            return Err(DiffError::InvalidRendered {
                index,
                reason: format!("`{key}` is rendered twice"),
            });
        }
        if let Some(instance) = label(obj, INSTANCE_LABEL) {
            out.insert(instance.to_string());
        }
    }
    Ok(out)
}

/// Every namespace `objects` go into or deploy into: their own, and a HelmRelease's
/// `spec.targetNamespace`. The CLI passes those of every variant as
/// [`DiffOptions::namespaces`].
pub fn namespaces_of(objects: &[Value]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for o in objects {
        for pointer in ["/metadata/namespace", "/spec/targetNamespace"] {
            if let Some(ns) = o.pointer(pointer).and_then(Value::as_str)
                && !ns.is_empty()
            {
                out.insert(ns.to_string());
            }
        }
    }
    out
}

/// Compares `rendered` with the live objects of `live` and reports what would change.
///
/// ```no_run
/// # async fn run(objects: Vec<serde_json::Value>) -> Result<(), rkv::diff::DiffError> {
/// use rkv::diff::{diff, Applier, DiffOptions, FailOn, LiveSource};
/// let opts = DiffOptions {
///     applier: Some(Applier::Flux),
///     field_manager: Applier::Flux.field_manager().to_string(),
///     ..DiffOptions::default()
/// };
/// let report = diff(&objects, LiveSource::Cluster, &opts).await?;
/// print!("{}", report.render(&opts));
/// std::process::exit(i32::from(report.fails(FailOn::Changes)));
/// # }
/// ```
pub async fn diff(
    rendered: &[Value],
    live: LiveSource,
    opts: &DiffOptions,
) -> Result<DiffReport, DiffError> {
    let instances = instances(rendered)?;
    let fetched = match live {
        LiveSource::Cluster => live::fetch(rendered, &instances, opts).await?,
        LiveSource::File(path) => file::fetched(rendered, &instances, &path, opts)?,
    };
    build(fetched, opts)
}

/// Lists, read-only, the objects of `kinds` (API group, kind) in `namespace` matching the
/// label `selector` through the diff's client (kubeconfig, context, timeout and error
/// messages from `opts`); kinds the server does not serve are skipped (`rkv import --live`).
pub async fn list_namespace(
    opts: &DiffOptions,
    namespace: &str,
    selector: Option<&str>,
    kinds: &[(&str, &str)],
) -> Result<Vec<Value>, DiffError> {
    live::list_namespace(opts, namespace, selector, kinds).await
}

/// [`diff`] against a `kubectl get -o yaml` dump held in memory (no I/O, no cluster).
pub fn diff_against_dump(
    rendered: &[Value],
    dump: &str,
    opts: &DiffOptions,
) -> Result<DiffReport, DiffError> {
    let instances = instances(rendered)?;
    let live = file::parse_dump(dump, "<dump>")?;
    build(file::pair_up(rendered, &instances, live, opts), opts)
}

/// Normalizes every pair ([`outcome`]), finds the destructive changes among them
/// ([`destructive`]), diffs and sorts the result.
fn build(fetched: Fetched, opts: &DiffOptions) -> Result<DiffReport, DiffError> {
    let Fetched {
        mut pairs,
        preflight,
        notes,
    } = fetched;
    pairs.sort_by(|a, b| a.key.cmp(&b.key));
    let mut norms: Vec<outcome::Norm> = pairs
        .into_iter()
        .map(|p| outcome::normalize(p, opts))
        .collect();
    destructive::analyze(&mut norms, opts);
    let objects = norms
        .into_iter()
        .map(|n| outcome::object_diff(n, opts))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(DiffReport {
        objects,
        preflight,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn appliers_use_their_tools_field_managers() {
        assert_eq!(Applier::Flux.field_manager(), "kustomize-controller");
        assert_eq!(Applier::ArgoCd.field_manager(), "argocd-controller");
        assert_eq!(Applier::Kubectl.field_manager(), "kubectl");
        assert_eq!(
            Applier::of_manager("argocd-controller"),
            Some(Applier::ArgoCd)
        );
        assert_eq!(Applier::of_manager("rkv"), None);
    }

    #[test]
    fn owned_and_prune_disabled_objects_are_kept() {
        let none = BTreeMap::new();
        let owned = json!({"metadata": {"ownerReferences": [{"kind": "RedisFailover"}]}});
        assert_eq!(kept(&owned, &none), Some(Kept::Owned));
        let flux = json!({"metadata": {"annotations": {FLUX_PRUNE_ANNOTATION: "disabled"}}});
        assert_eq!(kept(&flux, &none), Some(Kept::PruneDisabled));
        let argo = json!({"metadata": {"annotations": {
            ARGOCD_SYNC_OPTIONS_ANNOTATION: "Replace=true, Prune=false"}}});
        assert_eq!(kept(&argo, &none), Some(Kept::PruneDisabled));
        let plain = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "c", "namespace": "a", "ownerReferences": [],
            "annotations": {FLUX_PRUNE_ANNOTATION: "enabled"}}});
        assert_eq!(kept(&plain, &none), None);
        let opts = DiffOptions {
            other_variants: vec![("staging".into(), vec![plain.clone()])],
            ..DiffOptions::default()
        };
        assert_eq!(
            kept(&plain, &other_variant_keys(&opts)),
            Some(Kept::OtherVariant("staging".into()))
        );
    }

    #[test]
    fn namespaces_include_helm_target_namespaces() {
        let objects = [
            json!({"metadata": {"namespace": "flux-system"}, "spec": {"targetNamespace": "redis"}}),
            json!({"metadata": {"name": "cluster-scoped"}}),
            json!({"metadata": {"namespace": "redis"}}),
        ];
        assert_eq!(
            namespaces_of(&objects).into_iter().collect::<Vec<_>>(),
            ["flux-system", "redis"]
        );
    }
}
