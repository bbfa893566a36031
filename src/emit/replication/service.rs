//! The Service that exposes the primary outside the cluster (seed 004: a MetalLB
//! LoadBalancer named by external-dns).
//!
//! In: the plan. Out: nothing for a ClusterIP exposure (the operator's own `<name>`,
//! `<name>-master` and `<name>-sentinel` Services serve the cluster), else a Service
//! `<name>-external` of the spec's type ([`crate::emit::exposure`]). Invariant: it
//! selects only the pod the operator labels `redis-role: master`, so every connection
//! reaches the writable primary.
//!
//! Why not the CRD's `kubernetesConfig.service.serviceType`: that shapes the operator's
//! `<name>-additional` Service, which selects every Redis pod, so two connections in
//! three would land on a read-only replica (`READONLY You can't write against a read
//! only replica`). And `<name>` itself is the operator's ClusterIP Service: an object of
//! the same name from rkv would fight the operator over it.

use std::collections::BTreeMap;

use super::SERVER;
use crate::emit::common::selector_labels;
use crate::emit::inventory::ServiceEntry;
use crate::emit::{EmitError, Object, exposure};
use crate::plan::model::Plan;
use crate::target::opstree::ROLE_LABEL;

/// The labels of the primary: rkv's (the operator copies the CR's labels onto its pods)
/// and the role the operator keeps.
pub fn primary(plan: &Plan) -> BTreeMap<String, String> {
    let mut selector = selector_labels(plan, SERVER);
    selector.insert(ROLE_LABEL.into(), "master".into());
    selector
}

/// The external Service, as the runbook lists it.
pub fn entry(plan: &Plan) -> Option<ServiceEntry> {
    exposure::entry(plan)
}

pub fn external(plan: &Plan) -> Result<Option<Object>, EmitError> {
    let comment = vec![
        format!(
            "The primary only (`{ROLE_LABEL}: master`, kept by the operator after every failover)."
        ),
        format!(
            "`{}` is the operator's own ClusterIP Service over every pod; in the cluster, write to `{}-master`.",
            plan.name, plan.name
        ),
    ];
    exposure::service(plan, SERVER, primary(plan), comment)
}
