//! The Service that exposes the primary outside the cluster (seed 004: a MetalLB
//! LoadBalancer named by external-dns).
//!
//! In: the plan. Out: nothing for a ClusterIP exposure (the operator's own `<name>`,
//! `<name>-master` and `<name>-sentinel` Services serve the cluster), else a Service
//! `<name>-external` of the spec's type. Invariant: it selects only the pod the operator
//! labels `redis-role: master`, so every connection reaches the writable primary.
//!
//! Why not the CRD's `kubernetesConfig.service.serviceType`: that shapes the operator's
//! `<name>-additional` Service, which selects every Redis pod, so two connections in
//! three would land on a read-only replica (`READONLY You can't write against a read
//! only replica`). And `<name>` itself is the operator's ClusterIP Service: an object of
//! the same name from rkv would fight the operator over it.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Service, ServicePort, ServiceSpec};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::SERVER;
use crate::emit::common::{meta, selector_labels};
use crate::emit::inventory::ServiceEntry;
use crate::emit::{EmitError, Object};
use crate::plan::model::Plan;
use crate::spec::ServiceType;
use crate::target::opstree::ROLE_LABEL;

/// The external Service's name.
pub fn external_name(plan: &Plan) -> String {
    format!("{}-external", plan.name)
}

/// The external Service's type, when the spec exposes Redis outside the cluster.
fn exposed_type(plan: &Plan) -> Option<&'static str> {
    match plan.spec.exposure.as_ref()?.type_ {
        ServiceType::ClusterIP => None,
        outside => Some(outside.as_str()),
    }
}

/// The external Service, as the runbook lists it.
pub fn entry(plan: &Plan) -> Option<ServiceEntry> {
    let type_ = exposed_type(plan)?;
    Some(ServiceEntry {
        name: external_name(plan),
        namespace: plan.namespace.clone(),
        ports: vec![plan.spec.redis.port],
        type_: Some(type_),
        hostname: plan.spec.exposure.as_ref()?.hostname.clone(),
        external: true,
    })
}

pub fn external(plan: &Plan) -> Result<Option<Object>, EmitError> {
    let (Some(e), Some(type_)) = (&plan.spec.exposure, exposed_type(plan)) else {
        return Ok(None);
    };
    let port = plan.spec.redis.port;
    let mut metadata = meta(plan, &external_name(plan), SERVER);
    if let Some(h) = &e.hostname {
        metadata.annotations = Some(BTreeMap::from([(
            "external-dns.alpha.kubernetes.io/hostname".to_string(),
            h.clone(),
        )]));
    }
    let mut selector = selector_labels(plan, SERVER);
    selector.insert(ROLE_LABEL.into(), "master".into());
    let svc = Service {
        metadata,
        spec: Some(ServiceSpec {
            type_: Some(type_.into()),
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
                && matches!(e.type_, ServiceType::LoadBalancer))
            .then(|| e.source_ranges.clone()),
            ..Default::default()
        }),
        ..Default::default()
    };
    let mut comment = vec![
        format!(
            "The primary only (`{ROLE_LABEL}: master`, kept by the operator after every failover)."
        ),
        format!(
            "`{}` is the operator's own ClusterIP Service over every pod; in the cluster, write to `{}-master`.",
            plan.name, plan.name
        ),
    ];
    let insecure = plan.spec.auth.is_none() || plan.spec.tls.is_none();
    if let Some(reason) = e.accept_insecure.as_ref().filter(|_| insecure) {
        comment.push(format!("Exposed without auth or TLS, accepted: {reason}"));
    }
    Ok(Some(Object::new("Service", &svc)?.with_comment(comment)))
}
