//! What each spec field does on each target: the table of effects.
//!
//! In: a field of the spec (a dotted path such as `tls.clientSecret`) and a [`Target`]
//! (a shape rendered through the kustomize tree or a Bitnami chart). Out: its [`Effect`]:
//! it changes the rendered objects, only the checks read it, or it is refused with the
//! reason and what to do instead. Invariant: this table is the one statement of what rkv
//! honours where. The check stage refuses from it (RKV107), the README shows it
//! ([`markdown`], compared by a test), and `tests/effects.rs` changes every field of the
//! JSON schema on every target and proves each row: the objects change, the findings
//! change, or the named code refuses it.

use crate::spec::{Outputs, Shape};

mod table;

pub use table::TABLE;

/// One shape rendered through one target: what a variant's objects come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    /// `standalone` in the kustomize tree: a Deployment.
    Standalone,
    /// `cluster` in the kustomize tree: a StatefulSet rkv forms into a Redis Cluster.
    Cluster,
    /// `failover`: a Spotahome `RedisFailover`.
    Spotahome,
    /// `replication` in the kustomize tree: OT-CONTAINER-KIT `RedisReplication` and
    /// `RedisSentinel`.
    Opstree,
    /// `standalone` through the Bitnami `redis` chart.
    HelmStandalone,
    /// `replication` through the Bitnami `redis` chart with Sentinel.
    HelmSentinel,
    /// `cluster` through the Bitnami `redis-cluster` chart.
    HelmCluster,
}

impl Target {
    /// Every target, in the table's column order.
    pub const ALL: [Target; 7] = [
        Target::Standalone,
        Target::Cluster,
        Target::Spotahome,
        Target::Opstree,
        Target::HelmStandalone,
        Target::HelmSentinel,
        Target::HelmCluster,
    ];

    /// The targets a variant renders to: the kustomize tree's (unless
    /// `outputs.kustomize: false`) and the Helm chart's (with `outputs.helm`; the failover
    /// shape has no chart, which RKV173 refuses).
    pub fn of(shape: &Shape, outputs: Option<&Outputs>) -> Vec<Target> {
        let mut out = Vec::new();
        if outputs.is_none_or(|o| o.kustomize) {
            out.push(match shape {
                Shape::Standalone(_) => Target::Standalone,
                Shape::Cluster(_) => Target::Cluster,
                Shape::Failover(_) => Target::Spotahome,
                Shape::Replication(_) => Target::Opstree,
            });
        }
        if outputs.is_some_and(|o| o.helm.is_some()) {
            match shape {
                Shape::Standalone(_) => out.push(Target::HelmStandalone),
                Shape::Replication(_) => out.push(Target::HelmSentinel),
                Shape::Cluster(_) => out.push(Target::HelmCluster),
                Shape::Failover(_) => {}
            }
        }
        out
    }

    /// The shape, as the spec writes it.
    pub fn shape(self) -> &'static str {
        match self {
            Target::Standalone | Target::HelmStandalone => "standalone",
            Target::Cluster | Target::HelmCluster => "cluster",
            Target::Spotahome => "failover",
            Target::Opstree | Target::HelmSentinel => "replication",
        }
    }

    /// What renders the shape, for messages: `shape `x`` is followed by this.
    pub fn through(self) -> &'static str {
        match self {
            Target::Standalone => "a Deployment",
            Target::Cluster => "a StatefulSet rkv forms into a Redis Cluster",
            Target::Spotahome => "a Spotahome `RedisFailover`",
            Target::Opstree => "OT-CONTAINER-KIT `RedisReplication` and `RedisSentinel`",
            Target::HelmStandalone => "the Bitnami `redis` chart",
            Target::HelmSentinel => "the Bitnami `redis` chart with Sentinel",
            Target::HelmCluster => "the Bitnami `redis-cluster` chart",
        }
    }

    /// `shape `failover` (a Spotahome `RedisFailover`)`: how a finding names the target.
    pub fn describe(self) -> String {
        format!("shape `{}` ({})", self.shape(), self.through())
    }

    /// The README column heading.
    fn column(self) -> &'static str {
        match self {
            Target::Standalone => "standalone",
            Target::Cluster => "cluster",
            Target::Spotahome => "failover (Spotahome)",
            Target::Opstree => "replication (OT-CONTAINER-KIT)",
            Target::HelmStandalone => "Helm standalone",
            Target::HelmSentinel => "Helm replication",
            Target::HelmCluster => "Helm cluster",
        }
    }

    fn index(self) -> usize {
        match self {
            Target::Standalone => 0,
            Target::Cluster => 1,
            Target::Spotahome => 2,
            Target::Opstree => 3,
            Target::HelmStandalone => 4,
            Target::HelmSentinel => 5,
            Target::HelmCluster => 6,
        }
    }
}

/// Why a field is refused on a target, and what to do instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Why {
    /// What the target does instead, or why it cannot: the end of the finding's message.
    pub reason: &'static str,
    /// What to write instead: the finding's help line.
    pub help: &'static str,
}

/// The one value a field may have on a target that cannot honour any other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pinned {
    Bool(bool),
    Int(u64),
}

impl Pinned {
    /// Whether a spec value (as JSON) is the pinned one.
    pub fn matches(self, v: &serde_json::Value) -> bool {
        match self {
            Pinned::Bool(b) => v.as_bool() == Some(b),
            Pinned::Int(i) => v.as_u64() == Some(i),
        }
    }

    fn text(self) -> String {
        match self {
            Pinned::Bool(b) => b.to_string(),
            Pinned::Int(i) => i.to_string(),
        }
    }
}

/// What a field does on one target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// It changes the rendered objects.
    Renders,
    /// A declaration: the checks read it (findings change), the objects do not.
    Checks,
    /// The target has nothing it could change: refused (RKV107) whenever it is set.
    Refused(Why),
    /// Only this value is what the target does; any other is refused (RKV107).
    Only(Pinned, Why),
    /// Another check refuses the values the target cannot honour (its code).
    RefusedBy(&'static str),
    /// The field belongs to another shape: it cannot appear with this target.
    Elsewhere,
}

/// Fields about what runs beside the kustomize tree (the operator it needs): refused on
/// a chart target only when the chart is all the spec renders, since with the kustomize
/// tree beside it they take effect there (and RKV168 requires `operatorNamespace`).
pub const KUSTOMIZE_ONLY: &[&str] = &["shape.replication.operatorNamespace"];

/// One row of the table: a field (a section or a field inside one) and its effect on
/// each target, in [`Target::ALL`]'s order.
#[derive(Debug, Clone, Copy)]
pub struct Row {
    /// The dotted path under `spec` (`tls.clientSecret`); `metadata` is the top-level
    /// metadata; `environments.*.argocd` and `sites.*.argocd` are override-only fields.
    pub field: &'static str,
    pub effects: [Effect; 7],
}

impl Row {
    pub fn effect(&self, t: Target) -> Effect {
        self.effects[t.index()]
    }
}

/// Fields that take effect only together with another value: set without it they would
/// change nothing, so they are refused (RKV107) with the condition.
#[derive(Debug, Clone, Copy)]
pub struct Requires {
    /// The dotted field.
    pub field: &'static str,
    /// What must hold, in short, for the README.
    pub when: &'static str,
    /// What must hold and why, for the message (`has no effect without ...`).
    pub needs: &'static str,
    /// Whether it holds, given the spec (as JSON, the `spec` object).
    pub holds: fn(&serde_json::Value) -> bool,
    pub help: &'static str,
}

fn at<'a>(spec: &'a serde_json::Value, pointer: &str) -> Option<&'a serde_json::Value> {
    spec.pointer(pointer).filter(|v| !v.is_null())
}

fn exporter(spec: &serde_json::Value) -> bool {
    at(spec, "/monitoring/exporter").is_some()
}

fn outside(spec: &serde_json::Value) -> bool {
    at(spec, "/exposure/type").and_then(|v| v.as_str()) != Some("ClusterIP")
}

fn load_balancer(spec: &serde_json::Value) -> bool {
    at(spec, "/exposure/type").and_then(|v| v.as_str()) == Some("LoadBalancer")
}

fn persistent(spec: &serde_json::Value) -> bool {
    at(spec, "/persistence/enabled").and_then(|v| v.as_bool()) != Some(false)
}

/// The conditional fields.
pub const REQUIRES: &[Requires] = &[
    Requires {
        field: "monitoring.namespace",
        when: "`monitoring.exporter`",
        needs: "`monitoring.exporter`: it names where Prometheus scrapes the exporter from",
        holds: exporter,
        help: "add `monitoring.exporter`, or remove `monitoring`",
    },
    Requires {
        field: "monitoring.alerts",
        when: "`monitoring.exporter`",
        needs: "`monitoring.exporter`: every alert reads the exporter's series",
        holds: exporter,
        help: "add `monitoring.exporter`, or remove `alerts`",
    },
    Requires {
        field: "monitoring.serviceMonitor",
        when: "`monitoring.exporter`",
        needs: "`monitoring.exporter`: there is nothing to scrape without it",
        holds: exporter,
        help: "add `monitoring.exporter`, or remove `serviceMonitor`",
    },
    Requires {
        field: "exposure.hostname",
        when: "`exposure.type: LoadBalancer`",
        needs: "`type: LoadBalancer`: external-dns names only a load balancer's address",
        holds: load_balancer,
        help: "remove `hostname`, or use `type: LoadBalancer`",
    },
    Requires {
        field: "exposure.sourceRanges",
        when: "a `LoadBalancer` or `NodePort` type",
        needs: "a `LoadBalancer` or `NodePort` Service: a ClusterIP Service is not reachable from outside",
        holds: outside,
        help: "remove `sourceRanges`",
    },
    Requires {
        field: "persistence.aof",
        when: "`persistence.enabled`",
        needs: "`persistence.enabled`: without a volume Redis runs with `appendonly no`",
        holds: persistent,
        help: "remove `aof`, or enable persistence",
    },
    Requires {
        field: "persistence.rdbSave",
        when: "`persistence.enabled`",
        needs: "`persistence.enabled`: without a volume rkv turns snapshots off (`save \"\"`)",
        holds: persistent,
        help: "remove `rdbSave`, or enable persistence",
    },
    Requires {
        field: "persistence.storageClass",
        when: "`persistence.enabled`",
        needs: "`persistence.enabled`: no claim is made without it",
        holds: persistent,
        help: "remove `storageClass`, or enable persistence",
    },
];

/// The row that decides `field`: its own, or its nearest ancestor's.
pub fn row(field: &str) -> Option<&'static Row> {
    TABLE
        .iter()
        // `r.field` itself or a field inside it, without building `"<field>."` per row.
        .filter(|r| {
            field
                .strip_prefix(r.field)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
        })
        .max_by_key(|r| r.field.len())
}

/// The effect of `field` on `target` (`Renders` for a field no row covers: the test over
/// the schema fails for any such field, so none is left out by accident).
pub fn effect(field: &str, target: Target) -> Effect {
    row(field).map_or(Effect::Renders, |r| r.effect(target))
}

/// Whether a section set in the spec changes what every one of `targets` renders: what
/// the checks that judge the rendered output (RKV103, RKV172) ask.
pub fn renders_on(field: &str, targets: &[Target]) -> bool {
    targets
        .iter()
        .all(|t| matches!(effect(field, *t), Effect::Renders))
}

/// The README's table: one line per row, one column per target.
pub fn markdown() -> String {
    let mut s = String::from("| field |");
    for t in Target::ALL {
        s.push_str(&format!(" {} |", t.column()));
    }
    s.push_str("\n|---|");
    for _ in Target::ALL {
        s.push_str("---|");
    }
    s.push('\n');
    let mut notes: Vec<(&'static str, Why)> = Vec::new();
    let mut note = |w: Why| -> usize {
        match notes.iter().position(|(r, _)| *r == w.reason) {
            Some(i) => i + 1,
            None => {
                notes.push((w.reason, w));
                notes.len()
            }
        }
    };
    for r in TABLE {
        s.push_str(&format!("| `{}` |", r.field));
        for t in Target::ALL {
            let cell = match r.effect(t) {
                Effect::Renders => "yes".to_string(),
                Effect::Checks => "checks".to_string(),
                Effect::Elsewhere => String::new(),
                Effect::Refused(w) => format!("refused [{}]", note(w)),
                Effect::Only(v, w) => format!("only `{}` [{}]", v.text(), note(w)),
                Effect::RefusedBy(code) => code.to_string(),
            };
            s.push_str(&format!(" {cell} |"));
        }
        s.push('\n');
    }
    for r in REQUIRES {
        s.push_str(&format!("\n`{}` is refused without {}.", r.field, r.when));
    }
    s.push_str("\n\n");
    for (i, (_, w)) in notes.iter().enumerate() {
        s.push_str(&format!("{}. {}; {}.\n", i + 1, w.reason, w.help));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_unique_and_every_parent_comes_first() {
        for (i, r) in TABLE.iter().enumerate() {
            assert!(
                TABLE[..i].iter().all(|o| o.field != r.field),
                "`{}` twice",
                r.field
            );
            if let Some((parent, _)) = r.field.rsplit_once('.')
                && let Some(p) = row(parent)
            {
                let pos = TABLE.iter().position(|o| o.field == p.field);
                assert!(pos < Some(i), "`{}` before its parent", r.field);
            }
        }
    }

    #[test]
    fn a_field_inside_a_refused_section_is_refused_too() {
        // The check reports the section once; a row that said a field inside it
        // renders would be a lie the README shows.
        for r in TABLE {
            let Some((parent, _)) = r.field.rsplit_once('.') else {
                continue;
            };
            let Some(p) = row(parent) else { continue };
            for t in Target::ALL {
                if matches!(p.effect(t), Effect::Refused(_)) {
                    assert!(
                        matches!(r.effect(t), Effect::Refused(_)),
                        "`{}` on {t:?}: its section is refused",
                        r.field
                    );
                }
                if p.effect(t) == Effect::Elsewhere {
                    assert_eq!(r.effect(t), Effect::Elsewhere, "`{}` on {t:?}", r.field);
                }
            }
        }
    }

    #[test]
    fn the_nearest_row_decides() {
        assert_eq!(effect("tls.mutual", Target::Cluster), Effect::Renders);
        assert_eq!(
            effect("tls.plaintextPort", Target::Cluster),
            Effect::RefusedBy("RKV142")
        );
        assert_eq!(
            effect("shape.cluster.shards", Target::Cluster),
            Effect::Renders
        );
        assert!(matches!(
            effect("tls.mutual", Target::Spotahome),
            Effect::Refused(_)
        ));
    }
}
