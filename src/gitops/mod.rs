//! GitOps integrations that run rkv inside someone else's pipeline.
//!
//! - [`argocd`]: the Argo CD config management plugin (`rkv argocd-generate`): an app
//!   path and Argo CD's environment in, one variant's objects as a YAML stream out.
//! - [`krm`]: the KRM function (`rkv krm`): a `ResourceList` whose `functionConfig` is a
//!   spec in, the same list with the rendered objects and the findings as `results` out.
//!
//! Both pick one variant of a compiled spec with [`crate::pick::pick_variant`], as every command of
//! the CLI does, and print the objects `rkv render --stdout --env` prints (less Argo CD
//! Applications, see [`cluster_objects`]).
//! Invariant: nothing here panics on input; every refusal names what to change.

pub mod argocd;
pub mod krm;

use crate::compile::Variant;

/// Is this an Argo CD `Application` (or `ApplicationSet`)? rkv emits one per site to deploy
/// the committed tree; when Argo CD renders the spec itself, the user's own Application
/// does that job, and applying the emitted one too would make a second, competing app.
pub fn is_argocd_app(o: &crate::emit::Object) -> bool {
    o.api_version().starts_with("argoproj.io/")
        && matches!(o.kind(), "Application" | "ApplicationSet")
}

/// The cluster objects of a variant, in render order: what `rkv render --stdout` prints,
/// less Argo CD Applications (see [`is_argocd_app`]). Documents that are not Kubernetes
/// objects (Helm values files) have no `apiVersion` and are files, not stream items.
pub fn cluster_objects(v: &Variant) -> impl Iterator<Item = &crate::emit::Object> {
    v.objects
        .iter()
        .filter(|o| !o.api_version().is_empty() && !is_argocd_app(o))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::Object;

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
