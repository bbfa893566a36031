//! The Spotahome `RedisFailover` CR of one site.
//!
//! In: the plan and its `failover` shape. Out: one RedisFailover named after the
//! topology. Invariant: the CR's own labels do not reach the operator's objects (a
//! label whitelist), so `rkv diff` never mistakes the operator's StatefulSet for an
//! rkv object to prune.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Affinity, TopologySpreadConstraint};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::super::common::{self, meta};
use super::super::{EmitError, Object};
use super::operator_selector;
use crate::emit::{placement, security};
use crate::plan::model::Plan;
use crate::plan::settings;
use crate::spec::Failover;
use crate::target::spotahome::{
    self, AuthSettings, ConfigCopy, EmbeddedMeta, EmbeddedPvc, Exporter, RedisFailover,
    RedisFailoverSpec, RedisSettings, RedisStorage, SentinelSettings,
};

/// The claim template of the Redis pods: the claims are `redis-data-<pod>`.
pub const DATA_CLAIM: &str = "redis-data";

pub fn redis_failover(plan: &Plan, f: &Failover) -> Result<Object, EmitError> {
    let s = &plan.spec;
    let storage = s
        .persistence
        .as_ref()
        .filter(|p| p.enabled)
        .map(|p| RedisStorage {
            // The data is the read path of record: deleting the CR must not delete it.
            keep_after_deletion: Some(true),
            persistent_volume_claim: Some(EmbeddedPvc {
                metadata: EmbeddedMeta {
                    name: DATA_CLAIM.into(),
                    labels: BTreeMap::new(),
                },
                spec: crate::emit::common::rwo_claim(&p.size, p.storage_class.clone()),
            }),
        });
    let exporter = s
        .monitoring
        .as_ref()
        .and_then(|m| m.exporter.as_ref())
        .map(|e| Exporter {
            enabled: true,
            image: Some(e.image.clone()),
            resources: common::resources(e.resources.as_ref()),
            container_security_context: Some(security::container_with_seccomp()),
        });
    let sentinel = &f.sentinel;
    let (placement, pods) = (s.placement.as_ref(), s.pods.as_ref());
    let rf = RedisFailover {
        metadata: meta(plan, &plan.name, "failover"),
        spec: RedisFailoverSpec {
            redis: RedisSettings {
                image: s.redis.image.clone(),
                replicas: f.replicas as i32,
                port: Some(s.redis.port.into()),
                resources: common::resources(s.resources.as_ref()),
                custom_config: redis_custom_config(plan),
                // customConfig reaches Redis by CONFIG SET after the pod starts, so a
                // restart would boot with the operator's redis.conf (AOF off) and load a
                // stale RDB; on the command line the durability settings hold from start.
                command: spotahome::redis_command(settings::durability_args(plan)),
                storage,
                exporter,
                affinity: affinity(plan, "redis"),
                topology_spread_constraints: spread(plan, "redis"),
                node_selector: placement::node_selector(placement).unwrap_or_default(),
                tolerations: placement::tolerations(placement).unwrap_or_default(),
                priority_class_name: placement::priority_class(pods),
                image_pull_secrets: placement::image_pull_secrets(pods).unwrap_or_default(),
                pod_annotations: placement::annotations(pods),
                security_context: Some(security::data_pod(plan.run_as_user)),
                container_security_context: Some(security::container_with_seccomp()),
                // rkv writes its own PDB from the plan; two PDBs over one pod make the
                // eviction API refuse every eviction of it.
                disable_pod_disruption_budget: Some(true),
            },
            sentinel: SentinelSettings {
                // The operator's default Sentinel image is its own pinned Redis, not the
                // Redis image of the CR: name one so both run the same server.
                image: Some(
                    sentinel
                        .image
                        .clone()
                        .unwrap_or_else(|| s.redis.image.clone()),
                ),
                replicas: sentinel.replicas as i32,
                resources: common::resources(sentinel.resources.as_ref()),
                // Applied by the operator as `SENTINEL SET mymaster <key> <value>`.
                custom_config: vec![
                    format!("down-after-milliseconds {}", sentinel.down_after_ms),
                    format!("failover-timeout {}", sentinel.failover_timeout_ms),
                    format!("parallel-syncs {}", sentinel.parallel_syncs),
                ],
                affinity: affinity(plan, "sentinel"),
                topology_spread_constraints: spread(plan, "sentinel"),
                node_selector: placement::node_selector(placement).unwrap_or_default(),
                tolerations: placement::tolerations(placement).unwrap_or_default(),
                priority_class_name: placement::priority_class(pods),
                image_pull_secrets: placement::image_pull_secrets(pods).unwrap_or_default(),
                pod_annotations: placement::annotations(pods),
                security_context: Some(security::data_pod(plan.run_as_user)),
                container_security_context: Some(security::container_with_seccomp()),
                config_copy: Some(ConfigCopy {
                    container_security_context: Some(security::container_with_seccomp()),
                }),
                disable_pod_disruption_budget: Some(true),
            },
            auth: s.auth.as_ref().map(|a| AuthSettings {
                secret_path: a.password_secret.name.clone(),
            }),
            label_whitelist: label_whitelist(plan),
        },
    };
    Ok(Object::new("RedisFailover", &rf)?)
}

/// The operator copies every label of the CR onto what it creates unless a whitelist
/// is given. rkv's `managed-by`/`instance` labels there would make `rkv diff` prune the
/// operator's StatefulSet, so only the spec's extra labels (for example `app: redis`)
/// pass; `part-of` is always listed so the whitelist is never empty (the operator
/// overwrites that label with `redis-failover` anyway).
fn label_whitelist(plan: &Plan) -> Vec<String> {
    let mut w: Vec<String> = plan
        .extra_labels
        .keys()
        .map(|k| format!("^{}$", regex_escape(k)))
        .collect();
    w.push("^app\\.kubernetes\\.io/part-of$".into());
    w.sort();
    w.dedup();
    w
}

fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if !c.is_ascii_alphanumeric() && c != '-' && c != '_' && c != '/' {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The spec's Redis settings as `"<key> <value>"` lines the operator applies with
/// `CONFIG SET`. The port is a CR field and the password comes from `auth.secretPath`,
/// so neither is among them.
fn redis_custom_config(plan: &Plan) -> Vec<String> {
    settings::settings(plan)
        .iter()
        .map(|s| format!("{} {}", s.key, s.value()))
        .collect()
}

/// The operator's pods of `component`, by the operator's labels.
fn component_pods(plan: &Plan, component: &str) -> LabelSelector {
    LabelSelector {
        match_labels: Some(operator_selector(plan, Some(component))),
        ..Default::default()
    }
}

fn affinity(plan: &Plan, component: &str) -> Option<Affinity> {
    placement::anti_affinity(
        plan.spec.placement.as_ref(),
        component_pods(plan, component),
    )
}

fn spread(plan: &Plan, component: &str) -> Vec<TopologySpreadConstraint> {
    placement::spread(
        plan.spec.placement.as_ref(),
        component_pods(plan, component),
    )
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::regex_escape;

    #[test]
    fn escapes_dots() {
        assert_eq!(
            regex_escape("app.kubernetes.io/x"),
            "app\\.kubernetes\\.io/x"
        );
        assert_eq!(regex_escape("app"), "app");
    }
}
