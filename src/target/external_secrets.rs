//! external-secrets.io `ExternalSecret` (`external-secrets.io/v1`).
//!
//! In: a store reference and the keys to fetch. Out: a CR that makes a Secret in its
//! namespace from the store. Invariant: only references are written, never a value.

use serde::Serialize;

use super::{Cr, Resource};

pub const API_VERSION: &str = "external-secrets.io/v1";

pub type ExternalSecret = Cr<ExternalSecretSpec>;

impl Resource for ExternalSecretSpec {
    const API_VERSION: &'static str = API_VERSION;
    const KIND: &'static str = "ExternalSecret";
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalSecretSpec {
    pub refresh_interval: String,
    pub secret_store_ref: SecretStoreRef,
    pub target: Target,
    pub data: Vec<Data>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretStoreRef {
    pub name: String,
    /// `SecretStore` or `ClusterSecretStore`.
    pub kind: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Target {
    /// The Secret the controller writes.
    pub name: String,
    /// `Owner`: the Secret is deleted with the ExternalSecret.
    pub creation_policy: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Data {
    /// Key in the Secret the controller writes.
    pub secret_key: String,
    pub remote_ref: RemoteRef,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteRef {
    pub key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub property: Option<String>,
}
