//! Effective topologies: the base spec with each environment's or site's sections applied.
//!
//! In: a [`Topology`]. Out: one [`Resolved`] per thing to render — the base and each
//! environment, or each site when the topology spans sites. Invariant: a section set in
//! an override replaces the base section whole; [`Resolved::origin`] says which file
//! location a section's value came from, so findings point at the line that set it.

use std::collections::BTreeMap;

use super::tree::escape;
use super::types::{ArgoCd, Overrides, Topology, TopologySpec};

/// Which part of the spec a resolved topology comes from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Variant {
    /// The spec without overrides: the kustomize `base/`.
    Base,
    /// `spec.environments.<name>`: `overlays/<name>/`.
    Environment(String),
    /// `spec.sites.<name>`: `clusters/<name>/apps/redis/`.
    Site(String),
}

impl Variant {
    /// `base`, `production`, `dc`: what `--env` and `--site` match.
    pub fn label(&self) -> &str {
        match self {
            Variant::Base => "base",
            Variant::Environment(n) | Variant::Site(n) => n,
        }
    }

    fn pointer(&self) -> Option<String> {
        match self {
            Variant::Base => None,
            Variant::Environment(n) => Some(format!("/spec/environments/{}", escape(n))),
            Variant::Site(n) => Some(format!("/spec/sites/{}", escape(n))),
        }
    }
}

/// One complete topology to check, plan and emit.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub variant: Variant,
    pub name: String,
    pub namespace: String,
    pub part_of: String,
    pub labels: BTreeMap<String, String>,
    /// The effective spec; `environments` and `sites` are empty.
    pub spec: TopologySpec,
    pub argocd: Option<ArgoCd>,
    overridden: Vec<&'static str>,
}

impl Resolved {
    /// The JSON pointer of the spec field that set `section` (`shape`, `tls`, `namespace`...).
    pub fn origin(&self, section: &str) -> String {
        match self.variant.pointer() {
            Some(p) if self.overridden.contains(&section) => format!("{p}/{section}"),
            _ if section == "name" || section == "namespace" => format!("/metadata/{section}"),
            _ => format!("/spec/{section}"),
        }
    }

    /// `origin(section)` followed by a path inside it.
    pub fn at(&self, section: &str, rest: &str) -> String {
        format!("{}{rest}", self.origin(section))
    }
}

/// Every topology the spec renders: its sites if it has any, else the base and its environments.
pub fn resolve(t: &Topology) -> Vec<Resolved> {
    let mut base = Resolved {
        variant: Variant::Base,
        name: t.metadata.name.clone(),
        namespace: t.metadata.namespace.clone(),
        part_of: t
            .metadata
            .part_of
            .clone()
            .unwrap_or_else(|| t.metadata.name.clone()),
        labels: t.metadata.labels.clone(),
        spec: t.spec.clone(),
        argocd: None,
        overridden: Vec::new(),
    };
    base.spec.environments.clear();
    base.spec.sites.clear();
    if !t.spec.sites.is_empty() {
        return t
            .spec
            .sites
            .iter()
            .map(|(n, o)| apply(&base, Variant::Site(n.clone()), o))
            .collect();
    }
    let mut out = vec![base.clone()];
    out.extend(
        t.spec
            .environments
            .iter()
            .map(|(n, o)| apply(&base, Variant::Environment(n.clone()), o)),
    );
    out
}

fn apply(base: &Resolved, variant: Variant, o: &Overrides) -> Resolved {
    let mut r = base.clone();
    r.variant = variant;
    r.argocd = o.argocd.clone();
    let mut set = |name: &'static str, present: bool| {
        if present {
            r.overridden.push(name);
        }
    };
    set("name", o.name.is_some());
    set("namespace", o.namespace.is_some());
    set("use", o.use_.is_some());
    set("shape", o.shape.is_some());
    set("redis", o.redis.is_some());
    set("auth", o.auth.is_some());
    set("persistence", o.persistence.is_some());
    set("resources", o.resources.is_some());
    set("memory", o.memory.is_some());
    set("tls", o.tls.is_some());
    set("clients", o.clients.is_some());
    set("exposure", o.exposure.is_some());
    set("monitoring", o.monitoring.is_some());
    set("backup", o.backup.is_some());
    set("jobs", o.jobs.is_some());
    set("disruption", o.disruption.is_some());
    set("placement", o.placement.is_some());
    set("pods", o.pods.is_some());
    set("outputs", o.outputs.is_some());
    set("argocd", o.argocd.is_some());
    let s = &mut r.spec;
    if let Some(v) = &o.name {
        r.name = v.clone();
    }
    if let Some(v) = &o.namespace {
        r.namespace = v.clone();
    }
    if let Some(v) = o.use_ {
        s.use_ = v;
    }
    if let Some(v) = &o.shape {
        s.shape = v.clone();
    }
    if let Some(v) = &o.redis {
        s.redis = v.clone();
    }
    macro_rules! replace {
        ($($f:ident),*) => {$( if o.$f.is_some() { s.$f = o.$f.clone(); } )*};
    }
    replace!(
        auth,
        persistence,
        resources,
        memory,
        tls,
        exposure,
        monitoring,
        backup,
        jobs,
        disruption,
        placement,
        pods,
        outputs
    );
    if let Some(v) = &o.clients {
        s.clients = v.clone();
    }
    r
}
