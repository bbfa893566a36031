//! What can stop an import. Every variant is an input, I/O or cluster problem (exit 2);
//! a field rkv cannot express is not an error but a line of the report.

use std::fmt;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// A file or folder cannot be read.
    #[error("cannot read `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A file is larger than any manifest or values file should be.
    #[error("`{}` is {bytes} bytes; rkv import reads files of at most 16 MB", path.display())]
    TooLarge { path: PathBuf, bytes: u64 },
    /// A file is not UTF-8 text.
    #[error("`{}` is not UTF-8 text (invalid byte at offset {offset})", path.display())]
    NotUtf8 { path: PathBuf, offset: usize },
    /// The text is not valid YAML.
    #[error("{place}: not valid YAML: {message}")]
    Yaml { place: Place, message: String },
    /// A value that cannot be what the object says it is.
    #[error("{place}: {object}{}: {message}", if field.is_empty() { String::new() } else { format!(" `{field}`") })]
    Invalid {
        place: Place,
        /// `Kind/namespace/name`.
        object: String,
        /// Dotted field path inside the object.
        field: String,
        message: String,
    },
    /// `kubectl` could not be started.
    #[error("cannot run `{} kustomize` (set --kubectl or RKV_KUBECTL)", kubectl.display())]
    Kubectl {
        kubectl: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// `kubectl kustomize` refused the tree.
    #[error("`kubectl kustomize {}` failed: {stderr}", dir.display())]
    Kustomize { dir: PathBuf, stderr: String },
    /// Nothing that runs Redis was found.
    #[error("no Redis found in {what}: {help}")]
    NoRedis { what: String, help: String },
    /// More than one Redis topology was found; import reads one at a time.
    #[error("{what} holds more than one Redis topology: {}; import them one at a time (a folder or --selector each)", candidates.join(", "))]
    Ambiguous {
        what: String,
        candidates: Vec<String>,
    },
    /// The imported spec has errors that import cannot resolve by itself.
    #[error("the imported spec has errors rkv import cannot resolve:\n{0}")]
    Unresolved(String),
    /// The spec import built does not load (a bug in import, reported with the text).
    #[error("the imported spec does not load (a bug in rkv import):\n{0}")]
    Internal(String),
    /// Reading the cluster failed.
    #[error("cannot read the cluster")]
    Live(#[source] crate::diff::DiffError),
}

/// Where a value was read: a file (or a `kubectl kustomize` build, or `live`), and the
/// 1-based line and column of its node (0 when unknown, as for a live object).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Place {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.file)
        } else {
            write!(f, "{}:{}:{}", self.file, self.line, self.column)
        }
    }
}
