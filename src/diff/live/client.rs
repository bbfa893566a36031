//! The connection to the cluster and what its failures mean: the kubeconfig loaded as
//! kubectl does, every request bounded by the timeout, kube's errors as the
//! [`DiffError`] that says what was refused, fetched objects as JSON.
//!
//! In: [`DiffOptions`] (kubeconfig, context, timeout) and kube's answers. Out: a
//! [`Client`], [`Discovery`], JSON objects and [`DiffError`]s.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use kube::api::DynamicObject;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::discovery::{ApiResource, Discovery};
use kube::{Client, Config};
use serde_json::{Map, Value};

use crate::diff::{DiffError, DiffOptions};

/// What every error message needs to know about the cluster.
pub(super) struct Env {
    pub(super) server: String,
    pub(super) timeout: Duration,
}

/// One request, for error messages: `patch` + `deployments.apps in namespace redis`.
pub(super) struct Req {
    pub(super) verb: &'static str,
    pub(super) resource: String,
    pub(super) object: Option<String>,
}

/// Loads the kubeconfig as kubectl does and bounds every connection and response.
async fn config(opts: &DiffOptions) -> Result<Config, DiffError> {
    let options = KubeConfigOptions {
        context: opts.context.clone(),
        ..Default::default()
    };
    let kubeconfig_error = |source| DiffError::Kubeconfig {
        path: opts.kubeconfig.clone(),
        context: opts.context.clone(),
        source: Box::new(source),
    };
    let mut config = if let Some(path) = &opts.kubeconfig {
        let kubeconfig = Kubeconfig::read_from(path).map_err(kubeconfig_error)?;
        Config::from_custom_kubeconfig(kubeconfig, &options)
            .await
            .map_err(kubeconfig_error)?
    } else if kubeconfig_available() || opts.context.is_some() {
        Config::from_kubeconfig(&options)
            .await
            .map_err(kubeconfig_error)?
    } else {
        Config::incluster().map_err(|source| DiffError::NoConfig {
            source: Box::new(source),
        })?
    };
    config.connect_timeout = Some(opts.timeout);
    config.read_timeout = Some(opts.timeout);
    config.write_timeout = Some(opts.timeout);
    config.reset_reader_on_write = true;
    // A diff is read-only and interactive: report a 503 rather than back off and retry.
    config.default_retry = false;
    Ok(config)
}

/// Whether `KUBECONFIG` names files or `~/.kube/config` exists (kubectl's order).
fn kubeconfig_available() -> bool {
    if std::env::var_os("KUBECONFIG").is_some_and(|v| !v.is_empty()) {
        return true;
    }
    let home = std::env::var_os("HOME").or_else(|| std::env::var_os("USERPROFILE"));
    home.map(|h| PathBuf::from(h).join(".kube").join("config").is_file())
        .unwrap_or(false)
}

/// The client for the kubeconfig's cluster (see [`config`]), what error messages say
/// about it, and the kubeconfig's default namespace.
pub(super) async fn connect(opts: &DiffOptions) -> Result<(Env, Client, String), DiffError> {
    let config = config(opts).await?;
    let env = Env {
        server: config.cluster_url.to_string(),
        timeout: opts.timeout,
    };
    let default_namespace = config.default_namespace.clone();
    let client = Client::try_from(config).map_err(|source| DiffError::Client {
        server: env.server.clone(),
        source: Box::new(source),
    })?;
    Ok((env, client, default_namespace))
}

/// Discovery of `groups`, within one timeout per group and two more (`/api`, `/apis`).
pub(super) async fn discover(
    env: &Env,
    client: &Client,
    groups: &BTreeSet<&str>,
) -> Result<Discovery, DiffError> {
    let filter: Vec<&str> = groups.iter().copied().collect();
    let req = Req {
        verb: "get",
        resource: "API discovery (/api, /apis)".into(),
        object: None,
    };
    let rounds = u32::try_from(groups.len()).map_or(u32::MAX, |g| g.saturating_add(2));
    let limit = env.timeout.saturating_mul(rounds);
    bounded(
        env,
        &req,
        limit,
        Discovery::new(client.clone()).filter(&filter).run(),
    )
    .await?
    .map_err(|e| classify(env, &req, e))
}

/// `plural.group`, with ` in namespace NS` for a namespaced request.
pub(super) fn resource_name(ar: &ApiResource, namespace: Option<&str>) -> String {
    let mut s = if ar.group.is_empty() {
        ar.plural.clone()
    } else {
        format!("{}.{}", ar.plural, ar.group)
    };
    if let Some(ns) = namespace {
        s.push_str(" in namespace ");
        s.push_str(ns);
    }
    s
}

/// Runs `fut` within the timeout; the inner result is kube's, for the caller to inspect.
pub(super) async fn bounded<T>(
    env: &Env,
    req: &Req,
    limit: Duration,
    fut: impl Future<Output = Result<T, kube::Error>>,
) -> Result<Result<T, kube::Error>, DiffError> {
    tokio::time::timeout(limit, fut)
        .await
        .map_err(|_| DiffError::Timeout {
            server: env.server.clone(),
            verb: req.verb.to_string(),
            resource: req.resource.clone(),
            after: limit,
        })
}

/// Whether a transport error is a timeout somewhere in its chain.
fn is_timeout(err: &kube::Error) -> bool {
    let mut cur: Option<&dyn std::error::Error> = Some(err);
    while let Some(e) = cur {
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::TimedOut
        {
            return true;
        }
        let text = e.to_string().to_ascii_lowercase();
        if text.contains("timed out") || text.contains("deadline has elapsed") {
            return true;
        }
        cur = e.source();
    }
    false
}

/// kube's error as the [`DiffError`] that says what was refused.
pub(super) fn classify(env: &Env, req: &Req, err: kube::Error) -> DiffError {
    let verb = req.verb.to_string();
    let resource = req.resource.clone();
    match err {
        kube::Error::Api(status) => {
            let message = status.message.clone();
            match status.code {
                401 => DiffError::Unauthorized {
                    server: env.server.clone(),
                    verb,
                    resource,
                    message,
                },
                403 => DiffError::Forbidden {
                    verb,
                    resource,
                    message,
                },
                409 => DiffError::Conflict {
                    object: req.object.clone().unwrap_or(resource),
                    message,
                },
                code @ 500..=599 => DiffError::Server {
                    server: env.server.clone(),
                    code,
                    verb,
                    resource,
                    message,
                },
                code => DiffError::Refused {
                    code,
                    reason: status.reason.clone(),
                    verb,
                    resource,
                    message,
                },
            }
        }
        err @ (kube::Error::HyperError(_) | kube::Error::Service(_)) => {
            if is_timeout(&err) {
                DiffError::Timeout {
                    server: env.server.clone(),
                    verb,
                    resource,
                    after: env.timeout,
                }
            } else {
                DiffError::Unreachable {
                    server: env.server.clone(),
                    verb,
                    resource,
                    source: Box::new(err),
                }
            }
        }
        source => DiffError::Protocol {
            server: env.server.clone(),
            verb,
            resource,
            source: Box::new(source),
        },
    }
}

/// A fetched object as JSON, with `apiVersion` and `kind` first (LIST items lack them).
pub(super) fn to_value(obj: DynamicObject, ar: &ApiResource) -> Value {
    let mut out = Map::new();
    out.insert("apiVersion".into(), Value::String(ar.api_version.clone()));
    out.insert("kind".into(), Value::String(ar.kind.clone()));
    if let Ok(Value::Object(map)) = serde_json::to_value(&obj) {
        for (k, v) in map {
            if k != "apiVersion" && k != "kind" {
                out.insert(k, v);
            }
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_names_say_group_and_namespace() {
        let ar = ApiResource {
            group: "databases.spotahome.com".into(),
            version: "v1".into(),
            api_version: "databases.spotahome.com/v1".into(),
            kind: "RedisFailover".into(),
            plural: "redisfailovers".into(),
        };
        assert_eq!(
            resource_name(&ar, Some("redis")),
            "redisfailovers.databases.spotahome.com in namespace redis"
        );
    }
}
