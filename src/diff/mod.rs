//! `rkv diff`: what a rollout of the rendered objects would change in the live cluster.
//!
//! In: every object rkv renders for one environment (JSON values with `apiVersion`,
//! `kind`, `metadata.name` and, for namespaced kinds, `metadata.namespace`, labelled
//! `app.kubernetes.io/managed-by=rkv` and `app.kubernetes.io/instance=<topology>`), and a
//! [`LiveSource`]: the cluster of a kubeconfig context, or a `kubectl get -o yaml` dump.
//!
//! Out: a [`DiffReport`] listing, per object, `create`, `change`, `prune` or `unchanged`
//! with a unified diff of the normalized YAML, rendered as text or JSON.
//!
//! Invariants:
//! - the report is ordered by kind, namespace, name and does not depend on the order
//!   the requests complete in (so `--concurrency 1` and `16` print the same bytes);
//! - Secret `data`/`stringData` values are never in the report unless
//!   [`DiffOptions::show_secrets`] is set: only their sizes;
//! - every request is bounded by [`DiffOptions::timeout`]: a dead cluster is an error, never a hang.
//!
//! Against a cluster the "after" side is the server's own answer to a server-side apply
//! dry run (field manager `rkv`, forced), compared with the live object, as `kubectl diff`
//! does. Where the server refuses dry-run apply, and for a `--live` dump, the "after" side
//! is the rendered object and the live object is projected onto the fields rkv renders,
//! so that server defaults do not show as changes. The price of that fallback: a field
//! that is live but no longer rendered (or was added by hand) does not show either.

mod error;
mod file;
mod live;
mod normalize;
mod report;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

pub use error::{DiffError, MissingKind};
pub use report::{Action, DiffReport, ObjectDiff, Summary};

/// The label every object rkv renders carries, with value `rkv`.
pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
/// The label naming the topology an object belongs to.
pub const INSTANCE_LABEL: &str = "app.kubernetes.io/instance";
/// The field manager rkv applies with.
pub const FIELD_MANAGER: &str = "rkv";

/// How a [`DiffReport`] is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// Headers, unified diffs and a summary line, for people.
    #[default]
    Text,
    /// One stable JSON document, for tools.
    Json,
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
    /// Text or JSON.
    pub format: Format,
    /// ANSI colours in text output (the CLI decides from the TTY and `NO_COLOR`).
    pub color: bool,
    /// A `requests done/total` line on stderr while requests run (the CLI sets it when
    /// stderr is a terminal).
    pub progress: bool,
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
        }
    }
}

/// Identity of an object: the API group (not the version: a live object may be served
/// at another version), kind, namespace (empty for cluster-scoped objects) and name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct ObjKey {
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub group: String,
}

impl ObjKey {
    /// The key of `obj`, or `None` when it lacks `apiVersion`, `kind` or `metadata.name`.
    pub(crate) fn of(obj: &Value) -> Option<ObjKey> {
        let api_version = obj.get("apiVersion")?.as_str()?;
        let kind = obj.get("kind")?.as_str()?;
        let meta = obj.get("metadata")?;
        let name = meta.get("name")?.as_str()?;
        let namespace = meta.get("namespace").and_then(Value::as_str).unwrap_or("");
        Some(ObjKey {
            kind: kind.to_string(),
            namespace: namespace.to_string(),
            name: name.to_string(),
            group: group_of(api_version).to_string(),
        })
    }
}

/// The group of an `apiVersion` (`apps/v1` -> `apps`, `v1` -> ``).
pub(crate) fn group_of(api_version: &str) -> &str {
    match api_version.rsplit_once('/') {
        Some((group, _)) => group,
        None => "",
    }
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
}

/// The value of label `key` of `obj`.
pub(crate) fn label<'a>(obj: &'a Value, key: &str) -> Option<&'a str> {
    obj.get("metadata")?.get("labels")?.get(key)?.as_str()
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
                reason: format!("`{}` is rendered twice", display_key(&key)),
            });
        }
        if let Some(instance) = label(obj, INSTANCE_LABEL) {
            out.insert(instance.to_string());
        }
    }
    Ok(out)
}

/// `kind/namespace/name`, or `kind/name` for a cluster-scoped object.
pub(crate) fn display_key(key: &ObjKey) -> String {
    if key.namespace.is_empty() {
        format!("{}/{}", key.kind, key.name)
    } else {
        format!("{}/{}/{}", key.kind, key.namespace, key.name)
    }
}

/// Compares `rendered` with the live objects of `live` and reports what would change.
///
/// ```no_run
/// # async fn run(objects: Vec<serde_json::Value>) -> Result<(), rkv::diff::DiffError> {
/// use rkv::diff::{diff, DiffOptions, LiveSource};
/// let opts = DiffOptions::default();
/// let report = diff(&objects, LiveSource::Cluster, &opts).await?;
/// print!("{}", report.render(&opts));
/// std::process::exit(if report.has_changes() { 1 } else { 0 });
/// # }
/// ```
pub async fn diff(
    rendered: &[Value],
    live: LiveSource,
    opts: &DiffOptions,
) -> Result<DiffReport, DiffError> {
    let instances = instances(rendered)?;
    let pairs = match live {
        LiveSource::Cluster => live::fetch(rendered, &instances, opts).await?,
        LiveSource::File(path) => file::pairs(rendered, &instances, &path)?,
    };
    report::build(pairs, opts.show_secrets)
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
    report::build(file::pair_up(rendered, &instances, live), opts.show_secrets)
}
