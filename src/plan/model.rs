//! The plan of one resolved topology: the spec's facts plus everything derived from them.
//!
//! In: a [`Resolved`] topology that passed the checks. Out: a [`Plan`] the emitters read.
//! Invariant: every number an emitter writes that is not a spec fact (budgets, maxmemory,
//! thresholds, DNS names) is computed here, once.

use std::collections::BTreeMap;

use crate::spec::{Outputs, Resolved, TopologySpec};

/// Everything an emitter needs for one topology.
#[derive(Debug, Clone)]
pub struct Plan {
    pub name: String,
    pub namespace: String,
    pub part_of: String,
    /// Labels every object carries besides the `app.kubernetes.io/*` set.
    pub extra_labels: BTreeMap<String, String>,
    pub shape_name: &'static str,
    pub spec: TopologySpec,
    pub outputs: Outputs,
    /// The uid the Redis image runs as (999 for the official image, 1000 for opstree).
    pub run_as_user: i64,
    /// `maxmemory` as Redis reads it, when set or derivable.
    pub maxmemory: Option<String>,
    /// The name of the spec file, for generated-file headers.
    pub source_name: String,
}

/// Plan one resolved topology.
pub fn plan(r: &Resolved, source_name: &str) -> Plan {
    let spec = r.spec.clone();
    let outputs = spec.outputs.clone().unwrap_or(Outputs {
        kustomize: true,
        helm: None,
    });
    Plan {
        name: r.name.clone(),
        namespace: r.namespace.clone(),
        part_of: r.part_of.clone(),
        extra_labels: r.labels.clone(),
        shape_name: spec.shape.name(),
        run_as_user: run_as_user(&spec.redis.image),
        maxmemory: spec
            .memory
            .as_ref()
            .and_then(|m| (m.maxmemory != "auto").then(|| m.maxmemory.clone())),
        spec,
        outputs,
        source_name: source_name.to_string(),
    }
}

/// The uid an image's Redis user has; the pod runs as it so the data volume is writable.
pub fn run_as_user(image: &str) -> i64 {
    if image.contains("opstree") || image.contains("bitnami") {
        1000
    } else {
        999
    }
}

/// `redis-server` arguments for the spec's settings; the password comes from the
/// environment (`$(REDIS_PASSWORD)` is expanded by the kubelet), never from the spec.
pub fn redis_args(plan: &Plan) -> Vec<String> {
    let s = &plan.spec;
    let mut a: Vec<String> = Vec::new();
    let mut push = |k: &str, v: String| {
        a.push(format!("--{k}"));
        a.push(v);
    };
    push("port", s.redis.port.to_string());
    match s.persistence.as_ref().filter(|p| p.enabled) {
        Some(p) => {
            push(
                "appendonly",
                if p.aof.is_some() { "yes" } else { "no" }.into(),
            );
            if let Some(aof) = &p.aof {
                if let Some(f) = aof.fsync {
                    push("appendfsync", format!("{f:?}").to_lowercase());
                }
                push(
                    "auto-aof-rewrite-percentage",
                    aof.rewrite_percentage.to_string(),
                );
                push("auto-aof-rewrite-min-size", aof.rewrite_min_size.clone());
            }
            if let Some(rules) = &p.rdb_save {
                push(
                    "save",
                    rules
                        .iter()
                        .map(|r| r.0.as_str())
                        .collect::<Vec<_>>()
                        .join(" "),
                );
            }
        }
        None => {
            push("appendonly", "no".into());
            push("save", String::new());
        }
    }
    if let Some(m) = &plan.maxmemory {
        push("maxmemory", m.clone());
    }
    if let Some(m) = &s.memory {
        push("maxmemory-policy", m.policy.as_str().into());
    }
    if let Some(n) = s.redis.maxclients {
        push("maxclients", n.to_string());
    }
    if let Some(d) = s.redis.repl_diskless_sync {
        push("repl-diskless-sync", if d { "yes" } else { "no" }.into());
    }
    if s.auth.is_some() {
        push("requirepass", "$(REDIS_PASSWORD)".into());
    }
    a
}
