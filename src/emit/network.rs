//! NetworkPolicies: ports, peers, rules and the policies every topology gets.
//!
//! In: a plan and the selectors an emitter picks. Out: k8s-openapi rule values and
//! policy [`Object`]s. Invariant: every NetworkPolicy rkv writes is built here: its
//! `policyTypes` follow from its rules (a type is listed when it has rules, both for a
//! deny-all), each peer comes from one builder, and the default deny and DNS allow are
//! the same for every shape.

use std::collections::BTreeMap;

use k8s_openapi::api::networking::v1::{
    IPBlock, NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer,
    NetworkPolicyPort, NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::common::{instance_selector, meta};
use super::{EmitError, Object};
use crate::plan::model::Plan;

/// The component label of every NetworkPolicy.
const COMPONENT: &str = "network-policy";

fn port(protocol: &str, port: u16) -> NetworkPolicyPort {
    NetworkPolicyPort {
        protocol: Some(protocol.into()),
        port: Some(IntOrString::Int(port.into())),
        ..Default::default()
    }
}

pub fn tcp(p: u16) -> NetworkPolicyPort {
    port("TCP", p)
}

pub fn udp(p: u16) -> NetworkPolicyPort {
    port("UDP", p)
}

fn labels_selector(labels: BTreeMap<String, String>) -> LabelSelector {
    LabelSelector {
        match_labels: (!labels.is_empty()).then_some(labels),
        ..Default::default()
    }
}

/// Pods of the policy's own namespace that `selector` picks.
pub fn here(selector: LabelSelector) -> NetworkPolicyPeer {
    NetworkPolicyPeer {
        pod_selector: Some(selector),
        ..Default::default()
    }
}

/// Pods of the policy's own namespace with `labels`.
pub fn here_labelled(labels: BTreeMap<String, String>) -> NetworkPolicyPeer {
    here(LabelSelector {
        match_labels: Some(labels),
        ..Default::default()
    })
}

fn namespace_selector(namespace: &str) -> LabelSelector {
    labels_selector(BTreeMap::from([(
        "kubernetes.io/metadata.name".to_string(),
        namespace.to_string(),
    )]))
}

/// Every pod of `namespace`, by the namespace alone.
pub fn namespace(namespace: &str) -> NetworkPolicyPeer {
    NetworkPolicyPeer {
        namespace_selector: Some(namespace_selector(namespace)),
        ..Default::default()
    }
}

/// Pods with `labels` in `namespace`; with no labels every pod of it, written as an
/// empty `podSelector`.
pub fn in_namespace(namespace: &str, labels: &BTreeMap<String, String>) -> NetworkPolicyPeer {
    NetworkPolicyPeer {
        namespace_selector: Some(namespace_selector(namespace)),
        pod_selector: Some(labels_selector(labels.clone())),
        ..Default::default()
    }
}

/// Pods with `labels` in every namespace.
pub fn anywhere(labels: BTreeMap<String, String>) -> NetworkPolicyPeer {
    NetworkPolicyPeer {
        namespace_selector: Some(LabelSelector::default()),
        pod_selector: Some(labels_selector(labels)),
        ..Default::default()
    }
}

/// Addresses in `cidr` (outside the cluster).
pub fn cidr(cidr: String) -> NetworkPolicyPeer {
    NetworkPolicyPeer {
        ip_block: Some(IPBlock { cidr, except: None }),
        ..Default::default()
    }
}

pub fn ingress(
    from: Vec<NetworkPolicyPeer>,
    ports: Vec<NetworkPolicyPort>,
) -> NetworkPolicyIngressRule {
    NetworkPolicyIngressRule {
        from: Some(from),
        ports: Some(ports),
    }
}

/// Out to `to`; to any address when `to` is `None`.
pub fn egress(
    to: Option<Vec<NetworkPolicyPeer>>,
    ports: Vec<NetworkPolicyPort>,
) -> NetworkPolicyEgressRule {
    NetworkPolicyEgressRule {
        to,
        ports: Some(ports),
    }
}

/// DNS lookups to the cluster DNS in kube-system, UDP and TCP.
pub fn dns() -> NetworkPolicyEgressRule {
    let kube_dns = BTreeMap::from([("k8s-app".to_string(), "kube-dns".to_string())]);
    egress(
        Some(vec![in_namespace("kube-system", &kube_dns)]),
        vec![udp(53), tcp(53)],
    )
}

/// The spec's clients to `ports`; `None` when the spec names no clients.
pub fn clients(plan: &Plan, ports: &[u16]) -> Option<NetworkPolicyIngressRule> {
    if plan.spec.clients.is_empty() {
        return None;
    }
    let from = plan
        .spec
        .clients
        .iter()
        .map(|c| in_namespace(&c.namespace, &c.pod_selector))
        .collect();
    Some(ingress(from, ports.iter().map(|p| tcp(*p)).collect()))
}

/// The pods `selector` picks may only make the connections `ingress` and `egress` allow;
/// a direction is restricted when it has rules.
pub fn rules(
    selector: LabelSelector,
    ingress: Vec<NetworkPolicyIngressRule>,
    egress: Vec<NetworkPolicyEgressRule>,
) -> NetworkPolicySpec {
    let mut types = Vec::new();
    if !ingress.is_empty() {
        types.push("Ingress".to_string());
    }
    if !egress.is_empty() {
        types.push("Egress".to_string());
    }
    NetworkPolicySpec {
        pod_selector: Some(selector),
        policy_types: Some(types),
        ingress: (!ingress.is_empty()).then_some(ingress),
        egress: (!egress.is_empty()).then_some(egress),
    }
}

/// No connection in or out of the pods `selector` picks; other policies add allows.
pub fn deny_all(selector: LabelSelector) -> NetworkPolicySpec {
    NetworkPolicySpec {
        pod_selector: Some(selector),
        policy_types: Some(vec!["Ingress".into(), "Egress".into()]),
        ..Default::default()
    }
}

/// The metadata of this topology's policy `<name>-<suffix>`.
pub fn named(plan: &Plan, suffix: &str) -> ObjectMeta {
    meta(plan, &format!("{}-{suffix}", plan.name), COMPONENT)
}

/// A NetworkPolicy object.
pub fn policy(metadata: ObjectMeta, spec: NetworkPolicySpec) -> Result<Object, EmitError> {
    let np = NetworkPolicy {
        metadata,
        spec: Some(spec),
    };
    Ok(Object::new("NetworkPolicy", &np)?)
}

/// Deny all traffic to and from this topology's pods; the other policies add exact allows.
/// Scoped to the topology's pods so a shared namespace's other workloads are untouched.
pub fn default_deny(plan: &Plan) -> Result<Object, EmitError> {
    policy(
        named(plan, "default-deny"),
        deny_all(instance_selector(plan)),
    )
}

/// DNS for this topology's pods.
pub fn allow_dns(plan: &Plan) -> Result<Object, EmitError> {
    allow_dns_for(plan, "allow-dns", instance_selector(plan))
}

/// DNS for the pods `selector` picks, as policy `<name>-<suffix>`.
pub fn allow_dns_for(
    plan: &Plan,
    suffix: &str,
    selector: LabelSelector,
) -> Result<Object, EmitError> {
    policy(named(plan, suffix), rules(selector, vec![], vec![dns()]))
}

/// The spec's clients to the pods `selector` picks on `ports`, as policy
/// `<name>-<suffix>`; none when the spec names no clients.
pub fn allow_clients(
    plan: &Plan,
    suffix: &str,
    selector: LabelSelector,
    ports: &[u16],
) -> Result<Option<Object>, EmitError> {
    let Some(rule) = clients(plan, ports) else {
        return Ok(None);
    };
    policy(named(plan, suffix), rules(selector, vec![rule], vec![])).map(Some)
}

/// Prometheus, in the monitoring namespace (as `prometheus` makes it a peer), to the
/// exporter port of the pods `selector` picks; none without an exporter.
pub fn allow_metrics(
    plan: &Plan,
    selector: LabelSelector,
    prometheus: fn(&str) -> NetworkPolicyPeer,
) -> Result<Option<Object>, EmitError> {
    let Some(mon) = &plan.spec.monitoring else {
        return Ok(None);
    };
    let Some(exporter) = &mon.exporter else {
        return Ok(None);
    };
    let rule = ingress(vec![prometheus(&mon.namespace)], vec![tcp(exporter.port)]);
    policy(
        named(plan, "allow-metrics"),
        rules(selector, vec![rule], vec![]),
    )
    .map(Some)
}

/// Every pod of `namespace`, as an empty `podSelector` in it (see [`in_namespace`]).
pub fn every_pod_of(namespace: &str) -> NetworkPolicyPeer {
    in_namespace(namespace, &BTreeMap::new())
}
