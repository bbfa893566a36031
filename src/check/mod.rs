//! The check stage: semantic findings about a loaded spec and each resolved topology.
//!
//! In: a [`Loaded`] spec and its [`Resolved`] variants. Out: every finding (not just the
//! first), each with a stable code, a severity, the place in the file and a help line.
//! Invariant: an error finding means no plan is made and nothing is written.

use crate::diag::{Diagnostic, Severity};
use crate::spec::{Loaded, Resolved, ServiceType, Shape};

/// All findings for a spec.
pub fn check(loaded: &Loaded, variants: &[Resolved]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    spec_level(loaded, &mut out);
    for r in variants {
        variant_level(loaded, r, &mut out);
    }
    // The same finding from several variants that share a section is reported once.
    let mut seen = Vec::new();
    out.retain(|d| {
        let key = (d.code, d.line, d.column, d.message.clone());
        if seen.contains(&key) {
            false
        } else {
            seen.push(key);
            true
        }
    });
    out.sort_by(|a, b| (a.line, a.column, a.code).cmp(&(b.line, b.column, b.code)));
    out
}

fn spec_level(l: &Loaded, out: &mut Vec<Diagnostic>) {
    let spec = &l.topology.spec;
    if !spec.sites.is_empty() && !spec.environments.is_empty() {
        out.push(
            l.diag("RKV100", Severity::Error, "/spec/environments", "a topology has either `environments` or `sites`, not both")
                .help("sites are separate clusters with their own trees; put per-site changes under `sites`"),
        );
    }
    for (group, map) in [("environments", &spec.environments), ("sites", &spec.sites)] {
        for name in map.keys() {
            let valid = !name.is_empty()
                && name.len() <= 63
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !name.starts_with('-')
                && !name.ends_with('-');
            if !valid || name == "base" {
                let p = format!("/spec/{group}/{}", crate::spec::tree::escape(name));
                out.push(
                    l.diag("RKV100", Severity::Error, &p, format!("`{name}` cannot name a directory of the output"))
                        .help("use lowercase letters, digits and `-` (and not `base`, which is the kustomize base)"),
                );
            }
        }
    }
}

fn variant_level(l: &Loaded, r: &Resolved, out: &mut Vec<Diagnostic>) {
    let s = &r.spec;
    let tls = s.tls.as_ref();
    if s.auth.is_none() {
        out.push(
            l.diag("RKV101", Severity::Warning, &r.origin("redis"), format!("`{}` runs Redis with no password", r.name))
                .help("anyone the NetworkPolicies let in has full access: add `auth.passwordSecret: {name, key}` naming a Secret"),
        );
    }
    if let Some(t) = tls {
        if t.plaintext_port {
            out.push(
                l.diag(
                    "RKV102",
                    Severity::Warning,
                    &r.at("tls", "/plaintextPort"),
                    "TLS is enabled but the plaintext port stays open",
                )
                .help("set `plaintextPort: false` so clients cannot bypass TLS (`port 0`)"),
            );
        }
    }
    if let Some(e) = &s.exposure {
        let outside = matches!(e.type_, ServiceType::LoadBalancer | ServiceType::NodePort);
        if outside && (s.auth.is_none() || tls.is_none()) {
            let missing = match (s.auth.is_none(), tls.is_none()) {
                (true, true) => "no password and no TLS",
                (true, false) => "no password",
                _ => "no TLS",
            };
            let sev = if e.accept_insecure.is_some() {
                Severity::Warning
            } else {
                Severity::Error
            };
            let mut d = l.diag(
                "RKV103",
                sev,
                &r.at("exposure", "/type"),
                format!(
                    "a {:?} Service exposes Redis outside the cluster with {missing}",
                    e.type_
                ),
            );
            d.help = Some(match &e.accept_insecure {
                Some(reason) => format!("accepted by `exposure.acceptInsecure`: {reason}"),
                None => "add `auth` and `tls`, or keep the Service ClusterIP; to accept the risk, give `exposure.acceptInsecure: <reason>`".into(),
            });
            out.push(d);
        }
    }
    memory_and_policy(l, r, out);
    replication_operator(l, r, out);
    if let Shape::Failover(f) = &s.shape {
        if let Some(m) = f.wal.as_ref().and_then(|w| w.mirror.as_ref()) {
            let sites = &l.topology.spec.sites;
            for (field, site) in [("from", &m.from), ("to", &m.to)] {
                if !sites.contains_key(site) {
                    out.push(
                        l.diag(
                            "RKV104",
                            Severity::Error,
                            &r.at("shape", &format!("/failover/wal/mirror/{field}")),
                            format!("mirror `{field}` names `{site}`, which is not a site"),
                        )
                        .help(format!(
                            "name one of the sites: {}",
                            sites.keys().cloned().collect::<Vec<_>>().join(", ")
                        )),
                    );
                }
            }
        }
    }
}

/// Memory and eviction findings (RKV160-RKV166, RKV169), for every shape: the eviction
/// policy against what the store holds (`use`), and `maxmemory` against the container
/// limit with the arithmetic of [`crate::plan::memory::memory_findings`].
pub fn memory_and_policy(l: &Loaded, r: &Resolved, out: &mut Vec<Diagnostic>) {
    use crate::plan::memory::{self, MemoryIssue};
    use crate::spec::{EvictionPolicy as P, Use};

    let s = &r.spec;
    if let Some(m) = &s.memory {
        let policy = m.policy.as_str();
        let at = r.at("memory", "/policy");
        let allkeys = matches!(m.policy, P::AllkeysLru | P::AllkeysLfu | P::AllkeysRandom);
        match s.use_ {
            Use::Session if allkeys => out.push(
                l.diag(
                    "RKV160",
                    Severity::Warning,
                    &at,
                    format!(
                        "`maxmemory-policy {policy}` on session storage evicts live sessions when memory is full: users are logged out, and nothing reports an error"
                    ),
                )
                .help("use `noeviction` (writes fail loudly when full), or a `volatile-*` policy with a TTL on every session key so only expiring keys are evicted"),
            ),
            Use::Durable if m.policy != P::Noeviction => out.push(
                l.diag(
                    "RKV160",
                    Severity::Warning,
                    &at,
                    format!(
                        "`maxmemory-policy {policy}` on a durable store deletes records when memory is full, and nothing reports an error"
                    ),
                )
                .help("use `noeviction`: writes fail with an OOM error instead, and the alert on memory fires before data is lost"),
            ),
            Use::Cache if m.policy == P::Noeviction => out.push(
                l.diag(
                    "RKV161",
                    Severity::Warning,
                    &at,
                    "a cache with `maxmemory-policy noeviction` rejects every write with an OOM error once full instead of evicting",
                )
                .help("use `allkeys-lru` or `allkeys-lfu` so the cache makes room for new keys"),
            ),
            _ => {}
        }
    }

    // Parse what the spec says; a value that cannot be read is a finding, not a guess.
    let limit_at = r.at("resources", "/limits/memory");
    let limit_text = s
        .resources
        .as_ref()
        .and_then(|x| x.limits.as_ref())
        .and_then(|x| x.memory.as_deref());
    let unusable = |at: &str, e: memory::MemoryError, out: &mut Vec<Diagnostic>| {
        out.push(
            l.diag("RKV169", Severity::Error, at, e.to_string())
                .help("memory checks and `maxmemory` need a value rkv can read"),
        );
    };
    let limit = match limit_text.map(memory::parse_k8s_quantity) {
        None => None,
        Some(Ok(b)) => Some(b),
        Some(Err(e)) => {
            unusable(&limit_at, e, out);
            return;
        }
    };
    let max_at = r.at("memory", "/maxmemory");
    let maxmemory = match s.memory.as_ref().map(|m| m.maxmemory.as_str()) {
        None => None,
        Some("auto") => match limit.map(memory::derive_maxmemory) {
            None => None,
            Some(Ok(d)) => Some(d.maxmemory_bytes),
            Some(Err(e)) => {
                unusable(&limit_at, e, out);
                return;
            }
        },
        Some(text) => match memory::parse_redis_memory(text) {
            Ok(b) => Some(b),
            Err(e) => {
                unusable(&max_at, e, out);
                return;
            }
        },
    };
    let estimate_at = r.at("memory", "/datasetEstimate");
    let estimate = match s
        .memory
        .as_ref()
        .and_then(|m| m.dataset_estimate.as_deref())
        .map(memory::parse_k8s_quantity)
    {
        None => None,
        Some(Ok(b)) => Some(b),
        Some(Err(e)) => {
            unusable(&estimate_at, e, out);
            return;
        }
    };
    let persistence_on = s.persistence.as_ref().is_some_and(|p| {
        p.enabled && (p.aof.is_some() || p.rdb_save.as_ref().is_none_or(|r| !r.is_empty()))
    });
    let durable = s.use_ == Use::Durable;
    for issue in memory::memory_findings(limit, maxmemory, durable, persistence_on, estimate) {
        let (code, at) = match &issue {
            MemoryIssue::MaxmemoryAboveLimit { .. } => ("RKV162", max_at.clone()),
            MemoryIssue::TooLittleHeadroom { .. } => ("RKV163", max_at.clone()),
            MemoryIssue::ForkMayDoubleMemory { from_estimate, .. } => (
                "RKV164",
                if *from_estimate {
                    estimate_at.clone()
                } else {
                    limit_at.clone()
                },
            ),
            MemoryIssue::DurableWithoutPersistence => (
                "RKV165",
                if s.persistence.is_some() {
                    r.origin("persistence")
                } else {
                    r.origin("use")
                },
            ),
            MemoryIssue::NoMemoryBound => ("RKV166", r.origin("redis")),
        };
        let sev = match issue.severity() {
            crate::plan::disruption::Severity::Error => Severity::Error,
            crate::plan::disruption::Severity::Warning => Severity::Warning,
        };
        out.push(l.diag(code, sev, &at, issue.message()).help(issue.help()));
    }
}

/// Findings about the OT-CONTAINER-KIT operator the replication shape runs on in the
/// kustomize tree (RKV167, RKV168).
pub fn replication_operator(l: &Loaded, r: &Resolved, out: &mut Vec<Diagnostic>) {
    use crate::emit::cr::opstree::OPERATOR_LABELS;

    let Shape::Replication(rep) = &r.spec.shape else {
        return;
    };
    // The shape compiles to the operator's CRs only in the kustomize tree; the Helm
    // target (the Bitnami chart) runs no operator.
    if r.spec.outputs.as_ref().is_some_and(|o| !o.kustomize) {
        return;
    }
    for key in r
        .labels
        .keys()
        .filter(|k| OPERATOR_LABELS.contains(&k.as_str()))
    {
        let at = format!("/metadata/labels/{}", crate::spec::tree::escape(key));
        out.push(
            l.diag(
                "RKV167",
                Severity::Error,
                &at,
                format!(
                    "label `{key}` is one the redis operator sets on its pods: it copies the CR's labels over its own, which breaks its PodDisruptionBudget, Services and master lookup"
                ),
            )
            .help(format!(
                "remove `{key}` from `metadata.labels`; the operator already labels the pods `app: {}`",
                r.name
            )),
        );
    }
    if rep.operator_namespace.is_none() {
        out.push(
            l.diag(
                "RKV168",
                Severity::Warning,
                &r.at("shape", "/replication"),
                "the default-deny NetworkPolicy also shuts out the redis operator: it cannot check roles, label the master or repair replication",
            )
            .help("set `shape.replication.operatorNamespace` to the namespace the operator runs in (seed 004: `redis-operator`)"),
        );
    }
}
