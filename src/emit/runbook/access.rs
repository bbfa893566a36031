//! Who the NetworkPolicies let in: the runbook's answer to "can my pod connect?".
//!
//! In: a variant's objects, plan and inventory. Out: one [`Row`] per peer from outside
//! the topology's own pods, with the ports it may reach and why it is there. Invariant:
//! the peers and ports are read from the NetworkPolicies as written (and from the chart
//! values' `networkPolicy` for the Helm target, plus the rule the chart adds itself), so
//! the list cannot claim an access the policies do not grant; only the WAL applier (a
//! pod of the topology's own namespace) comes from the inventory.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::bundle::Object;
use crate::emit::inventory::{Inventory, Maker};
use crate::plan::model::Plan;
use crate::spec::Shape;
use crate::target::helm;

/// One admitted peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The peer as a sentence names it.
    pub who: String,
    pub ports: BTreeSet<u16>,
    /// The spec field (or component) that lets it in.
    pub why: String,
}

/// `k=v` pairs in backticks.
fn labels_text(m: &serde_json::Map<String, Value>) -> String {
    m.iter()
        .map(|(k, v)| format!("`{k}={}`", v.as_str().unwrap_or_default()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn match_labels(selector: Option<&Value>) -> Option<&serde_json::Map<String, Value>> {
    selector?.get("matchLabels")?.as_object()
}

/// The peer of an ingress rule in words, and the namespace it is in (when it names
/// one); `None` for a peer of the policy's own namespace (the topology's own pods).
fn peer(p: &Value) -> Option<(String, Option<String>)> {
    if let Some(cidr) = p.pointer("/ipBlock/cidr").and_then(Value::as_str) {
        return Some((format!("addresses in `{cidr}`"), None));
    }
    let ns = p.get("namespaceSelector")?;
    let pods = match_labels(p.get("podSelector")).filter(|m| !m.is_empty());
    let ns_labels = match_labels(Some(ns));
    let name = ns_labels
        .and_then(|m| m.get("kubernetes.io/metadata.name"))
        .and_then(Value::as_str)
        .filter(|_| ns_labels.is_some_and(|m| m.len() == 1));
    let place = match (name, ns_labels.filter(|m| !m.is_empty())) {
        (Some(n), _) => format!("namespace `{n}`"),
        (None, Some(m)) => format!("namespaces labelled {}", labels_text(m)),
        (None, None) => "every namespace".to_string(),
    };
    let who = match pods {
        Some(m) => format!("pods labelled {} in {place}", labels_text(m)),
        None => format!("every pod in {place}"),
    };
    Some((who, name.map(str::to_string)))
}

/// The ports of an ingress rule (numbers only: rkv writes no named ports).
fn ports(rule: &Value) -> BTreeSet<u16> {
    rule.get("ports")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| p.get("port").and_then(Value::as_u64))
        .filter_map(|p| u16::try_from(p).ok())
        .collect()
}

/// Why a peer in namespace `ns` (or an address block) is let in.
fn why(plan: &Plan, ns: Option<&str>, cidr: bool) -> String {
    let s = &plan.spec;
    let operator = match &s.shape {
        Shape::Failover(f) => f.operator_namespace.as_deref(),
        Shape::Replication(r) => r.operator_namespace.as_deref(),
        Shape::Standalone(_) | Shape::Cluster(_) => None,
    };
    if cidr {
        return "`exposure` (outside the cluster)".into();
    }
    let mut why = Vec::new();
    if let Some(ns) = ns {
        if s.clients.iter().any(|c| c.namespace == ns) {
            why.push("`clients`".to_string());
        }
        if operator == Some(ns) {
            why.push("the operator (`operatorNamespace`)".to_string());
        }
        if s.monitoring.as_ref().is_some_and(|m| m.namespace == ns) {
            why.push("Prometheus, to the exporter (`monitoring.namespace`)".to_string());
        }
    }
    if why.is_empty() {
        "`clients`".into()
    } else {
        why.join("; ")
    }
}

/// Every ingress rule rkv wrote: the NetworkPolicies' and the Helm values'
/// `networkPolicy.extraIngress`.
fn ingress_rules(objects: &[Object]) -> Vec<&Value> {
    let mut out = Vec::new();
    for o in objects {
        let rules = if o.kind() == "NetworkPolicy" {
            o.value.pointer("/spec/ingress")
        } else if o.kind().is_empty() {
            o.value.pointer("/networkPolicy/extraIngress")
        } else {
            None
        };
        out.extend(rules.and_then(Value::as_array).into_iter().flatten());
    }
    out
}

/// The admitted peers of one variant, sorted by who they are.
pub fn rows(plan: &Plan, objects: &[Object], inv: &Inventory) -> Vec<Row> {
    let mut by_who: BTreeMap<String, Row> = BTreeMap::new();
    let mut add = |who: String, ports: BTreeSet<u16>, why: String| {
        let row = by_who.entry(who.clone()).or_insert(Row {
            who,
            ports: BTreeSet::new(),
            why,
        });
        row.ports.extend(ports);
    };
    for rule in ingress_rules(objects) {
        let ports = ports(rule);
        for p in rule
            .get("from")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some((who, ns)) = peer(p) {
                let cidr = p.get("ipBlock").is_some();
                add(who, ports.clone(), why(plan, ns.as_deref(), cidr));
            }
        }
    }
    let redis = plan.spec.redis.port;
    let sentinel = inv.sentinels.as_ref().map(|s| s.port);
    let both: BTreeSet<u16> = std::iter::once(redis).chain(sentinel).collect();
    if inv.maker == Maker::BitnamiChart {
        // The chart's own rule (`networkPolicy.allowExternal: false`): pods of the
        // release's namespace that carry its client label.
        let (k, v) = helm::client_label(&plan.name);
        add(
            format!("pods labelled `{k}={v}` in namespace `{}`", plan.namespace),
            both.clone(),
            "the chart's own NetworkPolicy rule".into(),
        );
        if let Some(m) = plan
            .spec
            .monitoring
            .as_ref()
            .filter(|m| m.exporter.is_some())
            && let Some(e) = &m.exporter
        {
            add(
                format!("every pod in namespace `{}`", m.namespace),
                BTreeSet::from([e.port]),
                "Prometheus, to the exporter (`monitoring.namespace`)".into(),
            );
        }
    }
    if let Some(a) = &inv.applier {
        add(
            format!("the WAL applier (pods of Deployment `{a}`)"),
            both,
            "writes replayed from the WAL".into(),
        );
    }
    by_who.into_values().collect()
}

/// The Markdown of the access list, for the Connect section.
pub fn section(plan: &Plan, objects: &[Object], inv: &Inventory) -> String {
    let rows = rows(plan, objects, inv);
    let sentinel = inv.sentinels.is_some();
    let add = format!(
        "To admit another client, add it to `spec.clients` and run `rkv render`: `- {{namespace: <its namespace>, podSelector: {{<label>: <value>}}}}` (without `podSelector`, every pod of that namespace); it gets port {}{}.",
        plan.spec.redis.port,
        if sentinel {
            format!(
                " and the Sentinel port {}",
                inv.sentinels.as_ref().map_or(0, |s| s.port)
            )
        } else {
            String::new()
        }
    );
    if rows.is_empty() {
        return format!(
            "Nobody outside this topology's own pods may connect: the NetworkPolicies admit no client (RKV108). {add}\n"
        );
    }
    let mut out = String::from(
        "Who may connect (the NetworkPolicies let in only these; any other pod's connection is dropped):\n\n| Who | Ports | Why |\n|---|---|---|\n",
    );
    for r in &rows {
        let ports: Vec<String> = r.ports.iter().map(u16::to_string).collect();
        out.push_str(&format!(
            "| {} | {} | {} |\n",
            r.who,
            ports.join(", "),
            r.why
        ));
    }
    out.push('\n');
    out.push_str(&add);
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn peers_are_named_by_namespace_and_labels() {
        let p = |v: Value| peer(&v).map(|(w, _)| w);
        assert_eq!(
            p(
                json!({"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "jboss"}},
                     "podSelector": {"matchLabels": {"app": "jboss-client"}}})
            ),
            Some("pods labelled `app=jboss-client` in namespace `jboss`".into())
        );
        assert_eq!(
            p(
                json!({"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "mon"}},
                     "podSelector": {}})
            ),
            Some("every pod in namespace `mon`".into())
        );
        assert_eq!(
            p(json!({"namespaceSelector": {}, "podSelector": {"matchLabels": {"a": "b"}}})),
            Some("pods labelled `a=b` in every namespace".into())
        );
        assert_eq!(
            p(json!({"ipBlock": {"cidr": "10.0.0.0/8"}})),
            Some("addresses in `10.0.0.0/8`".into())
        );
        // A pod of the policy's own namespace is one of the topology's own pods.
        assert_eq!(p(json!({"podSelector": {"matchLabels": {"a": "b"}}})), None);
    }
}
