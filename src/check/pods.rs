//! `placement` and `pods`: what Kubernetes accepts in them, and what the shape and
//! target can carry (RKV106, RKV127, RKV128).
//!
//! In: one resolved topology. Out: a finding for each node-selector label, annotation
//! key and toleration Kubernetes would refuse (RKV106 for the label rules, RKV128 for a
//! toleration's shape), and for each setting no field of the operator or chart carries,
//! or that rkv sets itself (RKV127), each with what to do instead. Invariant: a setting
//! that passes is rendered on every pod the README says it reaches.

use crate::check::names::{Format, LABEL_KEY, LABEL_VALUE};
use crate::diag::{Diagnostic, codes};
use crate::spec::load::dotted;
use crate::spec::tree::escape;
use crate::spec::{Loaded, Resolved, Shape, TaintEffect, TolerationOperator};

/// Pod annotations rkv writes on its own pods (or that the charts write on theirs): a
/// spec annotation with the same key would be overwritten, or override rkv's.
const OWN_ANNOTATIONS: &[&str] = &["kubectl.kubernetes.io/default-container"];
/// Prefixes of the same: rkv's own (`rkv.dev/config-fingerprint`) and the Bitnami
/// charts' checksums (`checksum/config`), which restart pods when their config changes.
const OWN_PREFIXES: &[&str] = &["rkv.dev/", "checksum/"];

pub fn check(l: &Loaded, r: &Resolved, out: &mut Vec<Diagnostic>) {
    let key_diag = |code, pointer: &str, message: String| {
        Diagnostic::new(code, &l.source.file, message).at(
            &l.source.text,
            l.tree.key_pos(pointer),
            &dotted(pointer),
        )
    };
    if let Some(p) = &r.spec.placement {
        for (k, v) in &p.node_selector {
            let at = r.at("placement", &format!("/nodeSelector/{}", escape(k)));
            if !LABEL_KEY.format.accepts(k) {
                out.push(
                    key_diag(codes::RKV106, &at, format!("`{k}` is not {}", Format::QualifiedName.describe()))
                        .help("a node selector names node labels: `kubernetes.io/arch`, `node.kubernetes.io/instance-type`, `pool`"),
                );
            }
            if v.chars().count() > LABEL_VALUE.max || !LABEL_VALUE.format.accepts(v) {
                out.push(
                    l.diag(
                        codes::RKV106,
                        &at,
                        format!(
                            "`{v}` is not a node label value: at most 63 characters, {}",
                            Format::LabelValue.describe()
                        ),
                    )
                    .help(
                        "a node selector matches node labels, whose values follow the label rules",
                    ),
                );
            }
        }
        for (i, t) in p.tolerations.iter().enumerate() {
            let at = |field: &str| r.at("placement", &format!("/tolerations/{i}{field}"));
            if let Some(k) = t.key.as_deref().filter(|k| !LABEL_KEY.format.accepts(k)) {
                out.push(
                    l.diag(codes::RKV106, &at("/key"), format!("taint key `{k}` is not {}", Format::QualifiedName.describe()))
                        .help("a taint key follows the label key rules: `dedicated`, `node.kubernetes.io/not-ready`"),
                );
            }
            let exists = t.operator == Some(TolerationOperator::Exists);
            if let Some(v) = t.value.as_deref() {
                if exists {
                    out.push(
                        l.diag(codes::RKV128, &r.at("placement", &format!("/tolerations/{i}")), "a toleration with `operator: Exists` takes no `value`: it matches the key with any value")
                            .help("remove `value`, or use `operator: Equal` to match this value only"),
                    );
                } else if v.chars().count() > LABEL_VALUE.max || !LABEL_VALUE.format.accepts(v) {
                    out.push(
                        l.diag(
                            codes::RKV106,
                            &at("/value"),
                            format!(
                                "taint value `{v}` is not a label value: at most 63 characters, {}",
                                Format::LabelValue.describe()
                            ),
                        )
                        .help("a taint value follows the label value rules"),
                    );
                }
            }
            if t.key.is_none() && !exists {
                out.push(
                    l.diag(codes::RKV128, &r.at("placement", &format!("/tolerations/{i}")), "a toleration without a `key` must be `operator: Exists`: it then tolerates every taint")
                        .help("name the taint's `key`, or say `operator: Exists` to tolerate every taint (of `effect`, when given)"),
                );
            }
            if t.toleration_seconds.is_some() && t.effect != Some(TaintEffect::NoExecute) {
                out.push(
                    l.diag(codes::RKV128, &r.at("placement", &format!("/tolerations/{i}")), "`tolerationSeconds` only applies with `effect: NoExecute`: the API server refuses it otherwise")
                        .help("set `effect: NoExecute` (how long a pod stays on a node once the taint appears), or remove `tolerationSeconds`"),
                );
            }
        }
        if matches!(r.spec.shape, Shape::Standalone(_)) {
            for (field, set) in [
                ("/zoneSpread", p.zone_spread),
                ("/zones", p.zones.is_some()),
            ] {
                if set {
                    out.push(
                        l.diag(codes::RKV127, &r.at("placement", field), "a standalone Redis is one pod: there is nothing to spread over zones, and a zone's loss always stops it")
                            .help(format!("remove `placement.{}`; the `replication` and `cluster` shapes survive a zone's loss when spread over enough zones (`rkv explain` shows how many)", field.trim_start_matches('/'))),
                    );
                }
            }
        }
    }
    let Some(pods) = &r.spec.pods else { return };
    for k in pods.annotations.keys() {
        let at = r.at("pods", &format!("/annotations/{}", escape(k)));
        if !LABEL_KEY.format.accepts(k) {
            out.push(
                key_diag(codes::RKV106, &at, format!("annotation key `{k}` is not {}", Format::QualifiedName.describe()))
                    .help("an annotation key follows the label key rules: `sidecar.istio.io/inject`, `vault.hashicorp.com/agent-inject`"),
            );
        } else if OWN_ANNOTATIONS.contains(&k.as_str())
            || OWN_PREFIXES.iter().any(|p| k.starts_with(p))
        {
            out.push(
                key_diag(codes::RKV127, &at, format!("`{k}` is an annotation rkv or the chart sets on the pods itself"))
                    .help("remove it: rkv's own value (which restarts pods when their config changes, or names the default container) must stay"),
            );
        }
    }
    let opstree = matches!(r.spec.shape, Shape::Replication(_))
        && r.spec.outputs.as_ref().is_none_or(|o| o.kustomize);
    if opstree && !pods.annotations.is_empty() {
        out.push(
            l.diag(codes::RKV127, &r.at("pods", "/annotations"), "the OT-CONTAINER-KIT operator has no field for pod annotations: it copies the RedisReplication's and RedisSentinel's own annotations onto their StatefulSets, pods and every Service it makes, the LoadBalancer included")
                .help("remove `pods.annotations`; annotate the namespace for a mesh's injection, or render the shape with the Bitnami chart (`outputs: {kustomize: false, helm: ...}`), whose `podAnnotations` reach the pods only"),
        );
    }
}
