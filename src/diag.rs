//! Diagnostics: plain data (code, severity, place, message, help), rendered in one place.
//!
//! In: findings from the loader, the checks and `render --check`. Out: text for a terminal,
//! JSON for tools, GitHub Actions workflow commands (`diag::github`) or a SARIF 2.1.0 log
//! (`diag::sarif`) for code-scanning dashboards. Invariant: every code is listed once in
//! [`CODES`] with its meaning, and described through [`rule`] only; lines and columns are
//! 1-based; the same findings render to the same bytes on every machine; no finding shows
//! the value of a key that looks like a credential ([`mask`]).

mod github;
pub mod mask;
mod sarif;

use std::fmt::Write as _;
use std::path::{Component, Path};

pub use github::render_github;
pub use sarif::render_sarif;

use serde::Serialize;

/// A 1-based line and column in the source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Note,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

/// One finding about one place in one file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagnostic {
    pub code: &'static str,
    pub severity: Severity,
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// Dotted field path (`spec.shape.cluster.shards`); empty for the whole file.
    pub path: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// The source line the finding points at, credential values masked ([`mask`]).
    #[serde(skip)]
    pub snippet: Option<String>,
    /// The column of the finding in `snippet` (masking may shorten what is before it).
    #[serde(skip)]
    snippet_column: usize,
    /// Values masked in `snippet`: never shown in the message or help either.
    #[serde(skip)]
    concealed: Vec<String>,
}

impl Diagnostic {
    pub fn new(
        code: &'static str,
        severity: Severity,
        file: &str,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            code,
            severity,
            file: file.to_string(),
            line: 0,
            column: 0,
            path: String::new(),
            message: message.into(),
            help: None,
            snippet: None,
            snippet_column: 0,
            concealed: Vec::new(),
        }
    }

    /// Place the finding at `pos` in `text`, naming the field `path`. The excerpt is the
    /// line at `pos` with credential values masked; the message drops them too.
    pub fn at(mut self, text: &str, pos: Pos, path: &str) -> Self {
        self.line = pos.line;
        self.column = pos.column;
        self.path = path.to_string();
        match mask::mask_line(text, pos.line, pos.column) {
            Some(m) => {
                self.snippet = Some(m.line);
                self.snippet_column = m.column;
                self.concealed = m.values;
            }
            None => {
                self.snippet = None;
                self.concealed.clear();
            }
        }
        self.concealed()
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self.concealed()
    }

    /// The finding with the masked values dropped from its message and help: applied when
    /// it is built and again by every renderer, so a help line set directly is covered.
    fn concealed(mut self) -> Self {
        if !self.concealed.is_empty() {
            self.message = mask::conceal(&self.message, &self.concealed);
            self.help = self.help.map(|h| mask::conceal(&h, &self.concealed));
        }
        self
    }

    /// What the renderers show: [`Self::concealed`] of a copy.
    fn shown(&self) -> Diagnostic {
        self.clone().concealed()
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Render diagnostics for a terminal, rustc style.
pub fn render_text(diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diags.iter().map(Diagnostic::shown) {
        let _ = writeln!(out, "{}[{}]: {}", d.severity.as_str(), d.code, d.message);
        let pad = " ".repeat(if d.line > 0 {
            d.line.to_string().len()
        } else {
            1
        });
        if d.line > 0 {
            let _ = writeln!(out, "{pad}--> {}:{}:{}", d.file, d.line, d.column);
        } else {
            let _ = writeln!(out, "{pad}--> {}", d.file);
        }
        if let Some(line) = &d.snippet {
            // Tabs are shown as one space so the caret lines up.
            let shown: String = line.replace('\t', " ");
            let _ = writeln!(out, "{pad} |");
            let _ = writeln!(out, "{} | {shown}", d.line);
            let column = if d.snippet_column > 0 {
                d.snippet_column
            } else {
                d.column
            };
            let _ = writeln!(out, "{pad} | {}^", " ".repeat(column.saturating_sub(1)));
        }
        if !d.path.is_empty() {
            let _ = writeln!(out, "{pad} = field: {}", d.path);
        }
        if let Some(h) = &d.help {
            let _ = writeln!(out, "{pad} = help: {h}");
        }
        out.push('\n');
    }
    out
}

/// Render diagnostics as a JSON array (stable field order).
pub fn render_json(diags: &[Diagnostic]) -> String {
    let shown: Vec<Diagnostic> = diags.iter().map(Diagnostic::shown).collect();
    serde_json::to_string_pretty(&shown).unwrap_or_else(|_| "[]".into())
}

/// What one code means, as a report that describes its rules (SARIF) shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub code: &'static str,
    /// One line: what the finding is about.
    pub summary: &'static str,
    /// How to act on a finding of this code.
    pub help: &'static str,
}

/// How to act on a finding, for every code until codes carry their own help: each
/// finding's help line is specific to it, so it travels with the finding.
const GENERIC_HELP: &str = "Each finding's message says what is wrong and its help line what to change; the Diagnostics table of rkv's README lists every code.";

/// The description of `code`: the one lookup every report uses, so that codes can move to
/// a richer registry (severity, per-code help) by changing this function alone. `None` for
/// a code that is not in [`CODES`].
pub fn rule(code: &str) -> Option<Rule> {
    CODES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|&(code, summary)| Rule {
            code,
            summary,
            help: GENERIC_HELP,
        })
}

/// `file` as reports for CI name it: relative to `base` (the working directory) when it
/// is under it, `/`-separated, without `./` steps; other paths as given.
pub(crate) fn display_path(file: &str, base: &Path) -> String {
    let p = Path::new(file);
    let p = if p.is_absolute() {
        p.strip_prefix(base).unwrap_or(p)
    } else {
        p
    };
    let mut parts: Vec<String> = Vec::new();
    let mut absolute = false;
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::RootDir => absolute = true,
            Component::Prefix(x) => parts.push(x.as_os_str().to_string_lossy().into_owned()),
            Component::ParentDir => parts.push("..".into()),
            Component::Normal(n) => parts.push(n.to_string_lossy().into_owned()),
        }
    }
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else {
        joined
    }
}

/// Every diagnostic code rkv emits and what it means. The README's table is checked
/// against this list.
pub const CODES: &[(&str, &str)] = &[
    ("RKV001", "the spec file cannot be read"),
    ("RKV002", "the spec file is larger than 1 MB"),
    ("RKV003", "the text is not valid YAML"),
    ("RKV004", "the file is empty"),
    ("RKV005", "a mapping has the same key twice"),
    (
        "RKV006",
        "aliases would expand the document beyond the node limit (alias bomb)",
    ),
    ("RKV007", "more than one YAML document in a spec file"),
    ("RKV008", "no spec files found"),
    ("RKV009", "YAML indentation uses a tab"),
    ("RKV010", "unknown field"),
    ("RKV011", "a value has the wrong type"),
    (
        "RKV012",
        "a value is out of range or not one of the allowed values",
    ),
    ("RKV013", "a required field is missing"),
    (
        "RKV014",
        "a shape must be exactly one of standalone, cluster, failover, replication",
    ),
    ("RKV015", "a value does not match the expected format"),
    (
        "RKV016",
        "two specs render to the same output folder, or one into the other's",
    ),
    (
        "RKV017",
        "a generated file is out of date: missing, stale, or not what the specs render",
    ),
    (
        "RKV100",
        "`environments` and `sites` together, or a name that cannot be an output folder",
    ),
    ("RKV101", "Redis runs with no password"),
    ("RKV102", "TLS is on but the plaintext port stays open"),
    (
        "RKV103",
        "a LoadBalancer or NodePort exposes Redis without auth and TLS (error unless `exposure.acceptInsecure` gives a reason)",
    ),
    ("RKV104", "the WAL mirror names a site that does not exist"),
    (
        "RKV105",
        "a name rkv derives (an object, a controller's or operator's, a namespace) is longer or other than Kubernetes accepts",
    ),
    (
        "RKV106",
        "a label key or value Kubernetes refuses (at most 63 characters, letters, digits, `-`, `_`, `.`)",
    ),
    (
        "RKV110",
        "a disruption budget override that is unsafe (with an eviction set that breaks the topology) or blocks every drain",
    ),
    (
        "RKV111",
        "the topology cannot have a safe disruption budget (fewer than 3 shards, no replica)",
    ),
    (
        "RKV112",
        "Sentinel can never fail over: quorum above the number of Sentinels, zero quorum or no Sentinels",
    ),
    (
        "RKV113",
        "an even number of Sentinels tolerates no more failures than one fewer",
    ),
    (
        "RKV114",
        "quorum below a majority: a minority declares the master down, a majority must still authorize",
    ),
    (
        "RKV115",
        "so few Sentinels that a safe budget blocks every drain",
    ),
    ("RKV116", "`maxmemory` above the container memory limit"),
    (
        "RKV117",
        "`maxmemory` leaves too little headroom for the BGSAVE / AOF-rewrite fork",
    ),
    (
        "RKV118",
        "a durable store whose memory limit is below twice its dataset",
    ),
    (
        "RKV120",
        "no `maxmemory` and no memory limit: the dataset is unbounded",
    ),
    (
        "RKV121",
        "the PVC cannot hold the RDB, the AOF at its peak and a rewrite",
    ),
    (
        "RKV122",
        "a node timeout or Sentinel timeout that flaps or abandons failovers",
    ),
    (
        "RKV123",
        "an eviction policy that does not fit the declared use",
    ),
    (
        "RKV124",
        "soft (preferred) anti-affinity: one node loss can take a shard or a Sentinel majority",
    ),
    (
        "RKV130",
        "a rendered custom resource does not match its CRD's schema (`validate --crds`)",
    ),
    (
        "RKV131",
        "no CRD in the `--crds` directory for a custom resource: it is not checked",
    ),
    (
        "RKV140",
        "a cluster with mutual TLS has no client certificate Secret for its probes, exporter and Jobs",
    ),
    (
        "RKV141",
        "a cluster's bus port (redis.port + 10000) is above 65535",
    ),
    (
        "RKV142",
        "a cluster with TLS cannot also keep a plaintext port",
    ),
    (
        "RKV150",
        "Spotahome reads the Redis password from key `password` of the auth Secret",
    ),
    (
        "RKV151",
        "Spotahome always names the Sentinel master group `mymaster`",
    ),
    (
        "RKV152",
        "a RedisFailover name longer than 48 characters is rejected by Spotahome",
    ),
    (
        "RKV153",
        "a relative EXPIRE replayed from the WAL drifts; use PEXPIREAT",
    ),
    (
        "RKV154",
        "WAL topic retention is shorter than the restore window",
    ),
    (
        "RKV155",
        "no operatorNamespace: the NetworkPolicies keep the operator out",
    ),
    (
        "RKV156",
        "the mirror has no source credentials (sourcePasswordKey, sourceCaKey)",
    ),
    (
        "RKV157",
        "Spotahome sets the Sentinel quorum to floor(n/2) + 1",
    ),
    (
        "RKV158",
        "fewer WAL partitions than appliers leaves appliers idle",
    ),
    (
        "RKV159",
        "Spotahome elects the oldest pod after all Redis pods restart: its AOF cannot keep writes only the old primary had",
    ),
    (
        "RKV167",
        "a label in `metadata.labels` is one the redis operator sets on its pods",
    ),
    (
        "RKV168",
        "the replication shape names no operator namespace for the NetworkPolicies",
    ),
    ("RKV169", "a memory quantity rkv cannot read"),
    ("RKV170", "a store declared `durable` has no persistence"),
    ("RKV171", "AOF is on without an explicit `appendfsync`"),
    (
        "RKV172",
        "a store declared `durable` has no backup schedule",
    ),
    ("RKV173", "the Helm target has no chart for the shape"),
    ("RKV174", "the Bitnami chart cannot run a non-Bitnami image"),
    (
        "RKV175",
        "the Bitnami chart's Sentinel count must equal its Redis pod count",
    ),
    (
        "RKV176",
        "the Helm chart version is not the major version rkv writes values for",
    ),
    (
        "RKV177",
        "an image that no longer pulls: a versioned `docker.io/bitnami` tag (moved to `bitnamilegacy`)",
    ),
    (
        "RKV200",
        "`rkv diff` preflight: a Secret the objects reference does not exist in the cluster and nothing rendered creates it",
    ),
    (
        "RKV201",
        "`rkv diff` preflight: a referenced Secret lacks the key the objects read",
    ),
    (
        "RKV202",
        "`rkv diff` preflight: a StorageClass a claim names does not exist, or a claim names none and the cluster has no default",
    ),
    (
        "RKV203",
        "`rkv diff` preflight: a namespace the objects go into does not exist and is not rendered",
    ),
    (
        "RKV204",
        "`rkv diff` preflight: a custom resource sets fields the cluster's CRD does not declare, which the API server prunes without an error",
    ),
    (
        "RKV205",
        "`rkv diff` preflight: a custom resource does not match the cluster's CRD schema",
    ),
    (
        "RKV206",
        "`rkv diff` preflight: the cluster's CRD marks the version rkv writes as deprecated",
    ),
    (
        "RKV207",
        "`rkv diff` preflight: a prerequisite could not be checked (access denied)",
    ),
    (
        "RKV210",
        "`rkv diff` destructive: a PersistentVolumeClaim is pruned or must be replaced, and its volume with it",
    ),
    (
        "RKV211",
        "`rkv diff` destructive: a Redis Cluster's shard count or replicas per shard change (the init Job never reshards)",
    ),
    (
        "RKV212",
        "`rkv diff` destructive: fewer Sentinels (Sentinels never forget peers)",
    ),
    (
        "RKV213",
        "`rkv diff` destructive: a storage change on an operator custom resource or in Helm values (no controller resizes existing claims)",
    ),
    (
        "RKV214",
        "`rkv diff` destructive: objects move to another namespace (the data does not)",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_sorted() {
        let mut seen: Vec<&str> = CODES.iter().map(|(c, _)| *c).collect();
        let orig = seen.clone();
        seen.sort();
        seen.dedup();
        assert_eq!(seen, orig);
    }

    #[test]
    fn text_points_at_the_column() {
        let d = Diagnostic::new("RKV010", Severity::Error, "a.yaml", "unknown field `x`")
            .at("a: 1\n  x: 2\n", Pos { line: 2, column: 3 }, "a.x")
            .help("remove it");
        let t = render_text(&[d]);
        assert!(t.contains(" --> a.yaml:2:3\n"), "{t}");
        assert!(t.contains("2 |   x: 2\n  |   ^\n"), "{t}");
    }
}
