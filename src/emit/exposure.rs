//! The Service that exposes one Redis outside the cluster, and the NetworkPolicy that
//! lets outside addresses reach it.
//!
//! In: the plan's `exposure` and the pods that may serve it: the standalone pod, or the
//! pod an operator labels as the primary (OT-CONTAINER-KIT `redis-role: master`,
//! Spotahome `redisfailovers-role: master`, kept current after every failover). Out:
//! nothing for a ClusterIP exposure (the shape's own Services serve the cluster), else a
//! Service `<name>-external` of the spec's type and the `allow-external` policy.
//! Invariant: a single address always reaches the one writable primary; a Redis Cluster,
//! whose clients need every node, is never exposed this way (RKV107 refuses it).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Service, ServicePort, ServiceSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::common::meta;
use super::inventory::ServiceEntry;
use super::network::{self, cidr, ingress, named, rules, tcp};
use super::{EmitError, Object};
use crate::plan::model::Plan;
use crate::spec::ServiceType;

/// The external Service's name.
pub fn name(plan: &Plan) -> String {
    format!("{}-external", plan.name)
}

/// The external Service's type, when the spec exposes Redis outside the cluster.
pub fn outside(plan: &Plan) -> Option<ServiceType> {
    match plan.spec.exposure.as_ref()?.type_ {
        ServiceType::ClusterIP => None,
        outside => Some(outside),
    }
}

/// The source ranges allowed in: the spec's, or anywhere when it names none (RKV103 has
/// judged that, and `acceptInsecure` carries the reason).
pub fn ranges(plan: &Plan) -> Vec<String> {
    match plan.spec.exposure.as_ref() {
        Some(e) if !e.source_ranges.is_empty() => e.source_ranges.clone(),
        _ => vec!["0.0.0.0/0".into(), "::/0".into()],
    }
}

/// The external Service, as the runbook lists it.
pub fn entry(plan: &Plan) -> Option<ServiceEntry> {
    let type_ = outside(plan)?;
    Some(ServiceEntry {
        name: name(plan),
        namespace: plan.namespace.clone(),
        ports: vec![plan.spec.redis.port],
        type_: Some(type_.as_str()),
        hostname: plan.spec.exposure.as_ref()?.hostname.clone(),
        external: true,
    })
}

/// The Service over the pods `selector` picks, with `comment` above it.
pub fn service(
    plan: &Plan,
    component: &str,
    selector: BTreeMap<String, String>,
    mut comment: Vec<String>,
) -> Result<Option<Object>, EmitError> {
    let (Some(e), Some(type_)) = (&plan.spec.exposure, outside(plan)) else {
        return Ok(None);
    };
    let port = plan.spec.redis.port;
    let mut metadata = meta(plan, &name(plan), component);
    if let Some(h) = &e.hostname {
        metadata.annotations = Some(BTreeMap::from([(
            "external-dns.alpha.kubernetes.io/hostname".to_string(),
            h.clone(),
        )]));
    }
    let svc = Service {
        metadata,
        spec: Some(ServiceSpec {
            type_: Some(type_.as_str().into()),
            selector: Some(selector),
            ports: Some(vec![ServicePort {
                name: Some("redis".into()),
                port: port.into(),
                target_port: Some(IntOrString::Int(port.into())),
                protocol: Some("TCP".into()),
                ..Default::default()
            }]),
            // Local keeps the client's address, so `loadBalancerSourceRanges` and the
            // NetworkPolicy's ipBlocks see who is really connecting (Cluster SNATs it
            // to a node address), and the address is announced from the primary's node.
            external_traffic_policy: Some("Local".into()),
            load_balancer_source_ranges: (!e.source_ranges.is_empty()
                && type_ == ServiceType::LoadBalancer)
                .then(|| e.source_ranges.clone()),
            ..Default::default()
        }),
        ..Default::default()
    };
    let insecure = plan.spec.auth.is_none() || plan.spec.tls.is_none();
    if let Some(reason) = e.accept_insecure.as_ref().filter(|_| insecure) {
        comment.push(format!("Exposed without auth or TLS, accepted: {reason}"));
    }
    Ok(Some(Object::new("Service", &svc)?.with_comment(comment)))
}

/// Connections from outside the cluster to the pods `selector` picks, on the Redis port.
pub fn policy(plan: &Plan, selector: LabelSelector) -> Result<Option<Object>, EmitError> {
    if outside(plan).is_none() {
        return Ok(None);
    }
    network::policy(
        named(plan, "allow-external"),
        rules(
            selector,
            vec![ingress(
                ranges(plan).into_iter().map(cidr).collect(),
                vec![tcp(plan.spec.redis.port)],
            )],
            vec![],
        ),
    )
    .map(Some)
}
