//! The one error type of `rkv diff`.
//!
//! Every fault a user can meet has its own variant with a message that says what was
//! refused and by whom; the underlying error, if any, is the `#[source]` and is not
//! repeated in the message (the CLI prints one `Cause:` line per link).

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// Why `rkv diff` could not compare.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DiffError {
    /// A rendered object lacks its identity or is rendered twice (a bug in the caller).
    #[error("rendered object #{index} cannot be diffed: {reason}")]
    InvalidRendered {
        /// Position in the rendered slice.
        index: usize,
        /// What is wrong with it.
        reason: String,
    },

    /// Neither a kubeconfig (`--kubeconfig`, `KUBECONFIG`, `~/.kube/config`) nor an
    /// in-cluster service account was found.
    #[error(
        "no cluster configured: pass `--kubeconfig`, set `KUBECONFIG`, create `~/.kube/config`, or run in a pod"
    )]
    NoConfig {
        /// Why the in-cluster configuration did not load.
        #[source]
        source: Box<kube::config::InClusterError>,
    },

    /// The kubeconfig could not be read, or names a context, cluster or user it lacks.
    #[error("cannot use the kubeconfig{}{}", path_suffix(.path), context_suffix(.context))]
    Kubeconfig {
        /// The file given with `--kubeconfig`, if any.
        path: Option<PathBuf>,
        /// The context given with `--context`, if any.
        context: Option<String>,
        /// What kube reported.
        #[source]
        source: Box<kube::config::KubeconfigError>,
    },

    /// The client could not be built from the configuration (TLS, proxy, auth plugin).
    #[error("cannot build a client for the cluster at {server}")]
    Client {
        /// The cluster URL.
        server: String,
        /// What kube reported.
        #[source]
        source: Box<kube::Error>,
    },

    /// The cluster did not accept a connection or broke it.
    #[error("cannot reach the cluster at {server} ({verb} {resource})")]
    Unreachable {
        /// The cluster URL.
        server: String,
        /// The request that failed, e.g. `get`.
        verb: String,
        /// What it was for, e.g. `deployments.apps in namespace redis`.
        resource: String,
        /// The transport error.
        #[source]
        source: Box<kube::Error>,
    },

    /// A request got no answer within [`DiffOptions::timeout`](super::DiffOptions::timeout).
    #[error("the cluster at {server} did not answer {verb} {resource} within {:.1}s", .after.as_secs_f64())]
    Timeout {
        /// The cluster URL.
        server: String,
        /// The request, e.g. `patch`.
        verb: String,
        /// What it was for.
        resource: String,
        /// The bound that elapsed.
        after: Duration,
    },

    /// 401: the cluster did not accept the credentials of the kubeconfig user.
    #[error(
        "unauthorized: the cluster at {server} rejected the credentials ({verb} {resource}): {message}"
    )]
    Unauthorized {
        /// The cluster URL.
        server: String,
        /// The request refused.
        verb: String,
        /// What it was for.
        resource: String,
        /// The server's message.
        message: String,
    },

    /// 403: the user may not do what a diff needs (get, list, or a dry-run patch).
    #[error("forbidden: {verb} {resource}: {message}")]
    Forbidden {
        /// The verb refused: `get`, `list` or `patch`.
        verb: String,
        /// `plural.group`, and `in namespace NS` for namespaced kinds.
        resource: String,
        /// The server's message.
        message: String,
    },

    /// Kinds rendered that the cluster does not serve: their CRDs are not installed.
    #[error("{}", MissingKinds(.kinds))]
    KindsNotInstalled {
        /// Each missing kind, sorted.
        kinds: Vec<MissingKind>,
    },

    /// 409: the server reports a conflict on an object (for instance another field
    /// manager's change the forced apply would fight with, or a concurrent update).
    #[error("conflict on {object}: {message}")]
    Conflict {
        /// `kind/namespace/name`.
        object: String,
        /// The server's message.
        message: String,
    },

    /// 5xx: the server failed.
    #[error("the cluster at {server} failed {verb} {resource} with {code}: {message}")]
    Server {
        /// The cluster URL.
        server: String,
        /// HTTP status code.
        code: u16,
        /// The request.
        verb: String,
        /// What it was for.
        resource: String,
        /// The server's message.
        message: String,
    },

    /// Any other error status (4xx) from the server.
    #[error("the cluster refused {verb} {resource} with {code} {reason}: {message}")]
    Refused {
        /// HTTP status code.
        code: u16,
        /// The Status `reason`, e.g. `Invalid`.
        reason: String,
        /// The request.
        verb: String,
        /// What it was for.
        resource: String,
        /// The server's message.
        message: String,
    },

    /// A client-side failure while talking to the cluster (a response that is not
    /// JSON, discovery data that does not parse).
    #[error("unexpected answer from the cluster at {server} to {verb} {resource}")]
    Protocol {
        /// The cluster URL.
        server: String,
        /// The request.
        verb: String,
        /// What it was for.
        resource: String,
        /// What kube reported.
        #[source]
        source: Box<kube::Error>,
    },

    /// The `--live` file could not be read.
    #[error("cannot read the live dump `{}`", .path.display())]
    ReadDump {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },

    /// The `--live` file is not YAML.
    #[error("the live dump `{path}` is not valid YAML")]
    ParseDump {
        /// The file.
        path: String,
        /// The parser's error, with line and column.
        #[source]
        source: Box<serde_saphyr::Error>,
    },

    /// `RKV_EXTERNAL_DIFF` names a command kubectl's rules do not allow: arguments after
    /// the program may hold only letters, digits, `-` and `=`.
    #[error("`RKV_EXTERNAL_DIFF` cannot run `{command}`: {reason}")]
    ExternalDiffCommand {
        /// The variable's value.
        command: String,
        /// What is wrong with it.
        reason: String,
    },

    /// The files for the external differ could not be written.
    #[error("cannot write the files for the external diff `{command}`")]
    ExternalDiffFiles {
        /// The variable's value.
        command: String,
        /// What failed.
        #[source]
        source: crate::write::fs::WriteError,
    },

    /// The external differ could not be started.
    #[error("cannot run the external diff `{command}`")]
    ExternalDiffIo {
        /// The variable's value.
        command: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },

    /// The external differ exited with a status above 1 (0 and 1 mean no differences
    /// and differences, as for `diff`).
    #[error("the external diff `{command}` failed with exit status {status}")]
    ExternalDiffFailed {
        /// The variable's value.
        command: String,
        /// Its exit status (-1 when killed by a signal).
        status: i32,
    },

    /// An object could not be printed as YAML.
    #[error("cannot print {object} as YAML")]
    Print {
        /// `kind/namespace/name`.
        object: String,
        /// The writer's error.
        #[source]
        source: Box<serde_saphyr::SerializeError>,
    },
}

/// A rendered kind the cluster does not serve.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct MissingKind {
    /// `group/version` or `v1`.
    pub api_version: String,
    /// The kind, e.g. `RedisFailover`.
    pub kind: String,
    /// The operator whose CRDs provide it, when rkv knows it.
    pub operator: Option<&'static str>,
    /// Whether the cluster serves the group at another version.
    pub group_served: bool,
}

impl fmt::Display for MissingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "kind `{}` (`{}`) is not served by the cluster",
            self.kind, self.api_version
        )?;
        if self.group_served {
            write!(f, " at this version")?;
        }
        match self.operator {
            Some(op) => write!(f, ": install the {op} CRDs"),
            None => write!(f, ": install the CRD that provides it"),
        }
    }
}

struct MissingKinds<'a>(&'a [MissingKind]);

impl fmt::Display for MissingKinds<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, k) in self.0.iter().enumerate() {
            if i > 0 {
                write!(f, "; ")?;
            }
            write!(f, "{k}")?;
        }
        Ok(())
    }
}

fn path_suffix(path: &Option<PathBuf>) -> String {
    match path {
        Some(p) => format!(" `{}`", p.display()),
        None => String::new(),
    }
}

fn context_suffix(context: &Option<String>) -> String {
    match context {
        Some(c) => format!(" with context `{c}`"),
        None => String::new(),
    }
}

/// The operator whose CRDs serve API group `group`.
pub(crate) fn operator_for(group: &str) -> Option<&'static str> {
    const TABLE: &[(&str, &str)] = &[
        ("databases.spotahome.com", "Spotahome redis-operator"),
        (
            "redis.redis.opstreelabs.in",
            "OT-CONTAINER-KIT redis-operator",
        ),
        ("kafka.strimzi.io", "Strimzi"),
        ("monitoring.coreos.com", "prometheus-operator"),
        ("external-secrets.io", "External Secrets Operator"),
        ("argoproj.io", "Argo CD"),
        ("helm.toolkit.fluxcd.io", "Flux"),
        ("source.toolkit.fluxcd.io", "Flux"),
        ("cert-manager.io", "cert-manager"),
    ];
    TABLE.iter().find(|(g, _)| *g == group).map(|(_, op)| *op)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_kind_names_the_operator() {
        let k = MissingKind {
            api_version: "databases.spotahome.com/v1".into(),
            kind: "RedisFailover".into(),
            operator: operator_for("databases.spotahome.com"),
            group_served: false,
        };
        assert_eq!(
            k.to_string(),
            "kind `RedisFailover` (`databases.spotahome.com/v1`) is not served by the cluster: install the Spotahome redis-operator CRDs"
        );
    }

    #[test]
    fn operator_table_covers_flux_sources() {
        assert_eq!(operator_for("source.toolkit.fluxcd.io"), Some("Flux"));
        assert_eq!(operator_for("apps"), None);
    }
}
