//! The Argo CD Application of one site, written beside (not inside) the tree it syncs.
//!
//! In: a site's plan with `argocd` settings, and where the spec's tree sits in the GitOps
//! repository. Out: an Application at `clusters/<site>/apps/<dir>-application.yaml`.
//! Invariant: the path it syncs is the site's tree as the repository holds it
//! (`<repo_dir>/clusters/<site>/apps/redis`, unless `argocd.path` says otherwise), so it
//! exists once the tree is committed, and the Application never deploys itself.

use super::common::labels;
use super::{EmitError, Object};
use crate::bundle::tree_dir;
use crate::plan::model::Plan;
use crate::spec::Variant;
use crate::target::argocd::{
    Application, ApplicationSpec, Automated, Destination, Source, SyncPolicy,
};

pub fn application(plan: &Plan, repo_dir: Option<&str>) -> Result<Option<Object>, EmitError> {
    let (Some(a), Variant::Site(site)) = (&plan.argocd, &plan.variant) else {
        return Ok(None);
    };
    let tree = tree_dir(&plan.variant);
    let path = match (&a.path, repo_dir) {
        (Some(p), _) => p.clone(),
        (None, Some(dir)) => in_repo(dir, &tree),
        (None, None) => return Err(EmitError::NoRepoPath(site.clone())),
    };
    let app = Application {
        metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
            name: Some(format!("{}-{site}", plan.name)),
            namespace: Some(a.namespace.clone()),
            labels: Some(labels(plan, "gitops")),
            ..Default::default()
        },
        spec: ApplicationSpec {
            project: a.project.clone(),
            source: Source {
                repo_url: a.repo_url.clone(),
                target_revision: a.target_revision.clone(),
                path,
            },
            destination: Destination {
                server: a.destination_server.clone(),
                name: a.destination_name.clone(),
                namespace: plan.namespace.clone(),
            },
            sync_policy: SyncPolicy {
                automated: Automated {
                    prune: true,
                    self_heal: true,
                },
                // Server-side apply: the CRs are large (RedisFailover embeds pod specs),
                // beyond the client-side last-applied annotation's limit.
                sync_options: vec!["ServerSideApply=true".into()],
            },
        },
    };
    let file = match tree.rsplit_once('/') {
        Some((parent, dir)) => format!("{parent}/{dir}-application.yaml"),
        None => format!("{tree}-application.yaml"),
    };
    Ok(Some(Object::new("Application", &app)?.at_path(file)))
}

/// `tree` (a site's directory in the spec's tree) as a path from the repository's root.
fn in_repo(repo_dir: &str, tree: &str) -> String {
    let dir = repo_dir.trim_matches('/');
    if dir.is_empty() || dir == "." {
        tree.to_string()
    } else {
        format!("{dir}/{tree}")
    }
}
