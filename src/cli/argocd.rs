//! `rkv argocd-generate`: the Argo CD config management plugin's commands (discover,
//! parameters, generate), run in the Application's path with Argo CD's environment.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::PathBuf;

use super::args::ArgocdArgs;
use super::{ExitStatus, Result};
use crate::diag;
use crate::gitops::argocd::{self, ArgoError};

pub(super) fn run(a: ArgocdArgs) -> Result {
    let vars: BTreeMap<String, String> = std::env::vars().collect();
    let dir = PathBuf::from(".");
    let req = argocd::request(a.spec.as_deref(), a.env.as_deref(), &vars);
    if a.discover {
        // Argo CD reads non-empty stdout as "this plugin handles the app": print the spec
        // the app would use, or nothing; never fail discovery.
        if let Ok(p) = req.and_then(|r| argocd::spec_file(&dir, &r))
            && p.is_file()
        {
            println!("{}", p.strip_prefix(&dir).unwrap_or(&p).display());
        }
        return Ok(ExitStatus::Success);
    }
    let req = req?;
    if a.parameters {
        println!("{}", argocd::announcements(&dir, &req));
        return Ok(ExitStatus::Success);
    }
    match argocd::generate(&dir, &req, &vars) {
        Ok(g) => {
            eprint!("{}", diag::render_text(&g.findings));
            for n in &g.notes {
                eprintln!("note: {n}");
            }
            let _ = std::io::stdout().lock().write_all(g.yaml.as_bytes());
            Ok(ExitStatus::Success)
        }
        // Findings are diagnostics, not an error chain; a spec that did not load is an
        // input error, one that loaded and has errors is a finding.
        Err(ArgoError::Findings { diags, loaded, .. }) => {
            eprint!("{}", diag::render_text(&diags));
            Ok(if loaded {
                ExitStatus::Failure
            } else {
                ExitStatus::Error
            })
        }
        Err(e) => Err(e.into()),
    }
}
