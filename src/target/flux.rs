//! Flux custom resources: `HelmRelease` (helm.toolkit.fluxcd.io/v2) and `OCIRepository`
//! (source.toolkit.fluxcd.io/v1).
//!
//! In: nothing (types only). Out: the typed objects the Helm target writes. Invariant:
//! only fields of the v2 HelmRelease CRD are modelled (`chartRef`, not the older
//! `chart.spec`, because the chart comes from an OCIRepository), and exactly one of
//! `chart`/`chartRef` is ever set (the CRD's CEL rule).

use serde::Serialize;

use super::{Cr, Resource};

/// The annotation that keeps kustomize-controller from deleting an object it applied
/// (its garbage collection, with `spec.prune: true`, and when the Kustomization is
/// deleted), with [`PRUNE_DISABLED`] as its value.
pub const PRUNE_ANNOTATION: &str = "kustomize.toolkit.fluxcd.io/prune";
pub const PRUNE_DISABLED: &str = "disabled";

/// A Helm release Flux's helm-controller installs and upgrades.
pub type HelmRelease = Cr<HelmReleaseSpec>;

impl Resource for HelmReleaseSpec {
    const API_VERSION: &'static str = "helm.toolkit.fluxcd.io/v2";
    const KIND: &'static str = "HelmRelease";
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HelmReleaseSpec {
    pub interval: String,
    /// Helm's release name; object names come from the values' `fullnameOverride`.
    pub release_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_namespace: Option<String>,
    pub chart_ref: ChartRef,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub install: Option<Install>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upgrade: Option<Upgrade>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub values_from: Vec<ValuesReference>,
}

/// The source object holding the chart artifact.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChartRef {
    pub kind: &'static str,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Install {
    pub remediation: Remediation,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Upgrade {
    pub remediation: Remediation,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Remediation {
    pub retries: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remediate_last_failure: Option<bool>,
}

/// Values read from a ConfigMap or Secret key and merged at the root.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ValuesReference {
    pub kind: &'static str,
    pub name: String,
    pub values_key: String,
}

/// An OCI artifact source: here the chart, pulled as a Helm chart layer.
pub type OciRepository = Cr<OciRepositorySpec>;

impl Resource for OciRepositorySpec {
    const API_VERSION: &'static str = "source.toolkit.fluxcd.io/v1";
    const KIND: &'static str = "OCIRepository";
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OciRepositorySpec {
    pub interval: String,
    /// `oci://registry/path/chart`.
    pub url: String,
    #[serde(rename = "ref")]
    pub reference: OciRef,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer_selector: Option<LayerSelector>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OciRef {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub semver: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LayerSelector {
    pub media_type: String,
    pub operation: &'static str,
}
