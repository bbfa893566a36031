//! Argo CD `Application` (`argoproj.io/v1alpha1`).
//!
//! In: a source (repository, revision, path) and a destination cluster. Out: a CR Argo CD
//! syncs. Invariant: exactly one of destination `server` and `name` is set.

use serde::Serialize;

use super::{Cr, Resource};

pub const API_VERSION: &str = "argoproj.io/v1alpha1";

/// The per-resource sync options annotation; [`KEEP`] as its value makes Argo CD never
/// prune the object (an automated `prune: true` included) nor delete it with its
/// Application.
pub const SYNC_OPTIONS_ANNOTATION: &str = "argocd.argoproj.io/sync-options";
pub const KEEP: &str = "Prune=false,Delete=false";

pub type Application = Cr<ApplicationSpec>;

impl Resource for ApplicationSpec {
    const API_VERSION: &'static str = API_VERSION;
    const KIND: &'static str = "Application";
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationSpec {
    pub project: String,
    pub source: Source,
    pub destination: Destination,
    pub sync_policy: SyncPolicy,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Source {
    #[serde(rename = "repoURL")]
    pub repo_url: String,
    pub target_revision: String,
    pub path: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Destination {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Namespace for objects that name none (every rkv object names its own).
    pub namespace: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncPolicy {
    pub automated: Automated,
    pub sync_options: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Automated {
    pub prune: bool,
    pub self_heal: bool,
}
