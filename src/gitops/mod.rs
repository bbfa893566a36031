//! GitOps integrations that run rkv inside someone else's pipeline.
//!
//! - [`argocd`]: the Argo CD config management plugin (`rkv argocd-generate`): an app
//!   path and Argo CD's environment in, one variant's objects as a YAML stream out.
//! - [`krm`]: the KRM function (`rkv krm`): a `ResourceList` whose `functionConfig` is a
//!   spec in, the same list with the rendered objects and the findings as `results` out.
//!
//! Both pick one variant of a compiled spec with [`crate::pick::pick_variant`], as every
//! command of the CLI does, and print the objects `rkv render --stdout --env` prints
//! ([`stream_objects`], which `rkv diff` compares too; less Argo CD Applications, see
//! [`cluster_objects`]), so the paths cannot drift apart.
//! Invariant: nothing here panics on input; every refusal names what to change.

pub mod argocd;
pub mod krm;

use crate::bundle::{Object, is_helm_path};
use crate::compile::Variant;
use crate::write::helm;
use crate::write::layout::LayoutError;

/// Is this an Argo CD `Application` (or `ApplicationSet`)? rkv emits one per site to deploy
/// the committed tree; when Argo CD renders the spec itself, the user's own Application
/// does that job, and applying the emitted one too would make a second, competing app.
pub fn is_argocd_app(o: &Object) -> bool {
    o.api_version().starts_with("argoproj.io/")
        && matches!(o.kind(), "Application" | "ApplicationSet")
}

/// Every cluster object of a variant, sorted like the render: what `rkv render --stdout`
/// prints. Files rkv places outside the kustomize tree stream as the cluster gets them:
/// the Helm tree as `kubectl kustomize helm/` builds it (the values ConfigMap with
/// kustomize's hashed name, the OCIRepository, the HelmRelease naming that ConfigMap;
/// never its `Kustomization`), Argo CD Applications as they are. The values file itself
/// is not an object and is not an item.
pub fn stream_objects(v: &Variant) -> Result<Vec<Object>, LayoutError> {
    let mut out: Vec<Object> = v
        .objects
        .iter()
        .filter(|o| !o.api_version().is_empty() && !o.path.as_deref().is_some_and(is_helm_path))
        .cloned()
        .collect();
    out.extend(helm::cluster_objects(&v.objects, &v.plan.source_name)?);
    out.sort_by_cached_key(|o| o.key().render_order());
    Ok(out)
}

/// [`stream_objects`] less Argo CD Applications (see [`is_argocd_app`]): what a
/// pipeline that renders the spec itself applies.
pub fn cluster_objects(v: &Variant) -> Result<Vec<Object>, LayoutError> {
    let mut out = stream_objects(v)?;
    out.retain(|o| !is_argocd_app(o));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(api: &str, kind: &str) -> Object {
        Object {
            value: serde_json::json!({"apiVersion": api, "kind": kind, "metadata": {"name": "x"}}),
            comment: Vec::new(),
            path: None,
        }
    }

    #[test]
    fn only_argo_cd_applications_are_left_out() {
        assert!(is_argocd_app(&obj("argoproj.io/v1alpha1", "Application")));
        assert!(is_argocd_app(&obj(
            "argoproj.io/v1alpha1",
            "ApplicationSet"
        )));
        assert!(!is_argocd_app(&obj("argoproj.io/v1alpha1", "AppProject")));
        assert!(!is_argocd_app(&obj("example.com/v1", "Application")));
    }
}
