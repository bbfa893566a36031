//! kustomize's own files: a `Kustomization` (`kustomize.config.k8s.io/v1beta1`) and a
//! transformer configuration (`configurations:`).
//!
//! In: nothing (types only). Out: serde structs in kustomize's field names. Invariant:
//! one `Kustomization` type serves every kustomization.yaml rkv writes (a variant's
//! tree and the Helm target's), and an empty list is never written.

use std::collections::BTreeMap;

use serde::Serialize;

/// A `kustomization.yaml`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Kustomization {
    /// `kustomize.config.k8s.io/v1beta1`, as [`Default`] sets it.
    pub api_version: &'static str,
    /// `Kustomization`, as [`Default`] sets it.
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub patches: Vec<Patch>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub config_map_generator: Vec<Generator>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generator_options: Option<GeneratorOptions>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub configurations: Vec<String>,
}

impl Default for Kustomization {
    fn default() -> Self {
        Kustomization {
            api_version: "kustomize.config.k8s.io/v1beta1",
            kind: "Kustomization",
            resources: Vec::new(),
            patches: Vec::new(),
            config_map_generator: Vec::new(),
            generator_options: None,
            configurations: Vec::new(),
        }
    }
}

/// A patch file, with the object it applies to unless the patch names it itself.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Patch {
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<Target>,
}

/// The object a patch applies to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Target {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
}

/// A ConfigMap generated from files.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Generator {
    pub name: String,
    pub namespace: String,
    pub files: Vec<String>,
}

/// Labels and annotations of every generated object.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GeneratorOptions {
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
}

/// A transformer configuration file: where else an object's name is referenced, so a
/// generated name (with its content hash) is written there too.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Configuration {
    pub name_reference: Vec<NameReference>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NameReference {
    pub kind: &'static str,
    pub version: &'static str,
    pub field_specs: Vec<FieldSpec>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldSpec {
    pub path: &'static str,
    pub kind: &'static str,
}
