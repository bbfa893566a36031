//! `rkv import --live`: the objects of one namespace of a cluster, read-only.
//!
//! In: [`LiveOptions`] (kubeconfig, context, namespace, label selector). Out: the
//! namespace's objects of the kinds import reads, as [`SourceObject`]s labelled
//! `live:<namespace>`. Invariant: only GET and LIST requests (discovery and one LIST per
//! kind), through the diff's kube client; Secrets are never listed (their data is never
//! read), objects a controller made (an operator's StatefulSet) are left to their owner.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use super::error::ImportError;
use super::source::SourceObject;
use crate::diff::{DiffOptions, list_namespace};

/// Where and what to read.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    pub namespace: String,
    /// A label selector (`app=redis,tier=cache`).
    pub selector: Option<String>,
    pub timeout: Duration,
}

/// The kinds import reads, in the order they are listed.
pub const KINDS: &[(&str, &str)] = &[
    ("apps", "Deployment"),
    ("apps", "StatefulSet"),
    ("", "Service"),
    ("", "ConfigMap"),
    ("", "PersistentVolumeClaim"),
    ("policy", "PodDisruptionBudget"),
    ("networking.k8s.io", "NetworkPolicy"),
    ("batch", "CronJob"),
    ("batch", "Job"),
    ("databases.spotahome.com", "RedisFailover"),
    ("redis.redis.opstreelabs.in", "RedisReplication"),
    ("redis.redis.opstreelabs.in", "RedisSentinel"),
    ("monitoring.coreos.com", "PrometheusRule"),
    ("monitoring.coreos.com", "ServiceMonitor"),
];

/// Reads the namespace's objects.
pub async fn fetch_live(opts: &LiveOptions) -> Result<Vec<SourceObject>, ImportError> {
    let diff_opts = DiffOptions {
        kubeconfig: opts.kubeconfig.clone(),
        context: opts.context.clone(),
        timeout: opts.timeout,
        ..DiffOptions::default()
    };
    let items = list_namespace(&diff_opts, &opts.namespace, opts.selector.as_deref(), KINDS)
        .await
        .map_err(ImportError::Live)?;
    let label = format!("live:{}", opts.namespace);
    Ok(items
        .into_iter()
        .filter(|v| {
            // Jobs a CronJob made, pods' ReplicaSets and the like follow from their owner.
            v.pointer("/metadata/ownerReferences")
                .and_then(Value::as_array)
                .is_none_or(Vec::is_empty)
        })
        .map(|v| SourceObject::unplaced(v, &label))
        .collect())
}
