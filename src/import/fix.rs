//! What import does when rkv's checks refuse the spec it read: each error finding it
//! knows how to resolve is resolved the way the finding's help says, and recorded with
//! its code, so the report explains every value that differs from the source.
//!
//! In: an error [`Diagnostic`] of the imported spec and the [`Draft`]. Out: the change
//! made (the draft is updated), or `None` when import cannot resolve it (the import
//! then stops with the finding). Invariant: a fix moves toward what rkv's checks accept
//! and never invents a fact it can avoid: the values it must guess carry a note.

use super::infer::{Draft, inferred_size};
use super::redisconf::Conf;
use super::settings::{self, Target};
use crate::diag::Diagnostic;
use crate::diag::codes;
use crate::spec::{Persistence, Sentinel, Shape, Use};
use crate::target::helm::Image;

/// The operator namespace import writes when the source does not name one (seed 004's).
const GUESSED_OPERATOR_NAMESPACE: &str = "redis-operator";

fn sentinel_of(shape: &mut Shape) -> Option<&mut Sentinel> {
    match shape {
        Shape::Failover(f) => Some(&mut f.sentinel),
        Shape::Replication(r) => Some(&mut r.sentinel),
        _ => None,
    }
}

fn sentinel_pointer(shape: &Shape) -> &'static str {
    match shape {
        Shape::Failover(_) => "/spec/shape/failover/sentinel",
        _ => "/spec/shape/replication/sentinel",
    }
}

/// The image field a finding points at (by its dotted path), and its JSON pointer.
fn image_slot<'a>(
    spec: &'a mut crate::spec::TopologySpec,
    path: &str,
) -> Option<(&'a mut String, &'static str)> {
    Some(match path {
        "spec.redis.image" => (&mut spec.redis.image, "/spec/redis/image"),
        "spec.monitoring.exporter.image" => (
            &mut spec.monitoring.as_mut()?.exporter.as_mut()?.image,
            "/spec/monitoring/exporter/image",
        ),
        "spec.shape.replication.sentinel.image" | "spec.shape.failover.sentinel.image" => {
            let at = match spec.shape {
                Shape::Failover(_) => "/spec/shape/failover/sentinel/image",
                _ => "/spec/shape/replication/sentinel/image",
            };
            (sentinel_of(&mut spec.shape)?.image.as_mut()?, at)
        }
        "spec.shape.failover.wal.applier.image" => match &mut spec.shape {
            Shape::Failover(f) => (
                &mut f.wal.as_mut()?.applier.image,
                "/spec/shape/failover/wal/applier/image",
            ),
            _ => return None,
        },
        _ => return None,
    })
}

/// RKV107: the field changes nothing on the target the spec renders to, so import leaves
/// it out (its default is what the target does).
fn drop_field(d: &Diagnostic, draft: &mut Draft) -> Option<String> {
    let rest = d.path.strip_prefix("spec.")?;
    let mut spec = serde_json::to_value(&draft.topology.spec).ok()?;
    let (parent, last) = match rest.rsplit_once('.') {
        Some((p, l)) => (format!("/{}", p.replace('.', "/")), l),
        None => (String::new(), rest),
    };
    spec.pointer_mut(&parent)?.as_object_mut()?.remove(last)?;
    draft.topology.spec = serde_json::from_value(spec).ok()?;
    let pointer = format!("/spec/{}", rest.replace('.', "/"));
    draft.notes.clear_under(&pointer);
    draft
        .notes
        .changed(&pointer, format!("RKV107: {}; left out", d.message));
    Some(format!("`{rest}` left out: it has no effect there"))
}

/// Resolves one error finding; the text says what changed.
pub fn fix(d: &Diagnostic, draft: &mut Draft) -> Option<String> {
    let spec = &mut draft.topology.spec;
    match d.code {
        codes::RKV110 if spec.disruption.is_some() => {
            spec.disruption = None;
            let from = draft
                .source_budget
                .as_ref()
                .map(|(_, b)| format!(" `{b}`"))
                .unwrap_or_default();
            draft.notes.changed(
                "/spec",
                format!(
                    "{}: the source's budget{from} is not kept: rkv's own budget applies",
                    d.code
                ),
            );
            Some(format!(
                "the source's budget{from} dropped: rkv's own budget over the pods applies"
            ))
        }
        codes::RKV107 => drop_field(d, draft),
        codes::RKV142 => {
            let tls = spec.tls.as_mut()?;
            if !tls.plaintext_port {
                return None;
            }
            tls.plaintext_port = false;
            draft.notes.clear_under("/spec/tls/plaintextPort");
            draft.notes.changed("/spec/tls/plaintextPort", format!("{}: the source keeps a plaintext port open beside TLS; rkv closes it (`port 0`)", d.code));
            Some(
                "`tls.plaintextPort: false`: the plaintext port closes, Redis serves TLS only"
                    .into(),
            )
        }
        codes::RKV103 => {
            let e = spec.exposure.as_mut()?;
            if e.accept_insecure.is_some() {
                return None;
            }
            e.accept_insecure = Some(
                "imported as it runs: rkv import cannot know why it is exposed without auth and TLS; write the reason here, or add auth and tls".into(),
            );
            draft.notes.changed(
                "/spec/exposure/acceptInsecure",
                format!("{}: written by rkv import so the spec renders what runs today; review it: give the real reason, or add `auth` and `tls`", d.code),
            );
            Some("kept as it runs, with an `exposure.acceptInsecure` for you to review".into())
        }
        codes::RKV112 | codes::RKV115 => {
            let at = sentinel_pointer(&spec.shape);
            let s = sentinel_of(&mut spec.shape)?;
            let before = (s.replicas, s.quorum);
            if s.replicas == 0 {
                s.replicas = 3;
            }
            if s.quorum == 0 || s.quorum > s.replicas {
                s.quorum = s.replicas / 2 + 1;
            }
            // The fewest Sentinels whose budget still lets one be evicted.
            while s.quorum.max(s.replicas / 2 + 1) >= s.replicas {
                s.replicas += 1;
            }
            if (s.replicas, s.quorum) == before {
                return None;
            }
            let text = format!(
                "{} Sentinel(s) with quorum {} -> {} with quorum {}",
                before.0, before.1, s.replicas, s.quorum
            );
            draft
                .notes
                .changed(&format!("{at}/replicas"), format!("{}: {text}", d.code));
            Some(text)
        }
        codes::RKV175 => {
            let Shape::Replication(r) = &mut spec.shape else {
                return None;
            };
            let n = r.replicas.max(r.sentinel.replicas);
            if r.replicas == n && r.sentinel.replicas == n {
                return None;
            }
            let text = format!(
                "{} Redis pods and {} Sentinels -> {n} nodes, each Redis + Sentinel (the chart's `replica.replicaCount: {n}`)",
                r.replicas, r.sentinel.replicas
            );
            r.replicas = n;
            r.sentinel.replicas = n;
            draft.notes.changed(
                "/spec/shape/replication/replicas",
                format!("{}: {text}", d.code),
            );
            Some(text)
        }
        codes::RKV170 if spec.persistence.is_none() => {
            if draft.without_volume.is_empty() {
                spec.use_ = Use::Cache;
                draft.notes.changed(
                    "/spec/use",
                    format!(
                        "{}: nothing is persisted, so the store cannot be `durable`",
                        d.code
                    ),
                );
                return Some("`use: cache`: nothing is persisted".into());
            }
            let size = inferred_size(spec);
            spec.persistence = Some(Persistence {
                enabled: true,
                size,
                storage_class: None,
                aof: None,
                rdb_save: None,
            });
            let mut conf = Conf::default();
            for (k, v) in &draft.without_volume {
                conf.set(k, std::slice::from_ref(v));
            }
            let keys: Vec<String> = draft
                .without_volume
                .iter()
                .map(|(k, _)| format!("`{k} "))
                .collect();
            draft.notes.0.retain(|n| {
                !(n.pointer == "/spec/redis" && keys.iter().any(|k| n.text.starts_with(k)))
            });
            let mut target = Target {
                spec,
                without_volume: Vec::new(),
            };
            let mut notes = super::notes::Notes::default();
            settings::apply(&conf, &mut target, &mut notes, "the source");
            draft.notes.0.extend(notes.0);
            let pending: Vec<String> = draft
                .without_volume
                .iter()
                .map(|(k, v)| format!("`{k} {v}`"))
                .collect();
            draft.notes.inferred(
                "/spec/persistence/size",
                "the source has no volume for its data: size it for the RDB, the AOF and a rewrite (memory limit x 4, else 10Gi, is a guess)",
            );
            draft.notes.changed(
                "/spec/persistence",
                format!("{}: the source runs {} without a volume, so the files die with the pod; rkv keeps them on a PersistentVolumeClaim", d.code, pending.join(", ")),
            );
            Some(format!(
                "a PersistentVolumeClaim for {}: without one the files die with the pod",
                pending.join(", ")
            ))
        }
        codes::RKV155 | codes::RKV168 => {
            let (slot, at, who) = match &mut spec.shape {
                Shape::Failover(f) => (
                    &mut f.operator_namespace,
                    "/spec/shape/failover/operatorNamespace",
                    "the Spotahome operator",
                ),
                Shape::Replication(r) => (
                    &mut r.operator_namespace,
                    "/spec/shape/replication/operatorNamespace",
                    "the redis operator",
                ),
                _ => return None,
            };
            if slot.is_some() {
                return None;
            }
            // The source says where the pods run, not where the operator runs: a guess
            // is the only way to a spec whose NetworkPolicies let the operator in.
            *slot = Some(GUESSED_OPERATOR_NAMESPACE.into());
            draft.notes.changed(
                at,
                format!(
                    "{}: the source does not say where {who} runs, and rkv's NetworkPolicies must admit it or it cannot manage the pods: `{GUESSED_OPERATOR_NAMESPACE}` is a guess, set the namespace it runs in",
                    d.code
                ),
            );
            Some(format!(
                "`operatorNamespace: {GUESSED_OPERATOR_NAMESPACE}`, a guess: set the namespace {who} runs in"
            ))
        }
        codes::RKV116 | codes::RKV117 => {
            let has_limit = spec
                .resources
                .as_ref()
                .and_then(|r| r.limits.as_ref())
                .and_then(|l| l.memory.as_ref())
                .is_some();
            let m = spec.memory.as_mut()?;
            if !has_limit || m.maxmemory == "auto" {
                return None;
            }
            let before = std::mem::replace(&mut m.maxmemory, "auto".into());
            draft.notes.changed(
                "/spec/memory/maxmemory",
                format!(
                    "{}: `maxmemory {before}` -> 7/8 of the memory limit",
                    d.code
                ),
            );
            Some(format!(
                "`maxmemory {before}` -> `auto` (7/8 of the memory limit)"
            ))
        }
        codes::RKV177 => {
            let (slot, pointer) = image_slot(spec, &d.path)?;
            let legacy = Image::parse(slot).moved_to_legacy()?.reference();
            let before = std::mem::replace(slot, legacy.clone());
            draft.notes.changed(
                pointer,
                format!("RKV177: `{before}` no longer pulls (Bitnami moved its versioned tags to `bitnamilegacy` in 2025): the same image from there"),
            );
            Some(format!(
                "`{before}` -> `{legacy}`: the same image, where it pulls from today"
            ))
        }
        _ => None,
    }
}
