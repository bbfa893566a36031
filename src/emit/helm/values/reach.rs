//! What reaches the charts' pods: the NetworkPolicy values (clients, the exposed Service's
//! outside ranges, the exporter's scrapers, DNS) and the standalone chart's exposed master
//! Service.
//!
//! In: a plan and the chart. Out: the typed `networkPolicy` and `master.service` values
//! that the parent module places in the values document. Invariant: nothing outside the listed
//! clients, ranges and monitoring namespace is allowed in.

use std::collections::BTreeMap;

use k8s_openapi::api::networking::v1::{NetworkPolicyEgressRule, NetworkPolicyIngressRule};
use serde::Serialize;

use crate::emit::{exposure, network};
use crate::plan::model::Plan;
use crate::spec::ServiceType;
use crate::target::helm::{API_SERVER_PORTS, Chart, Workload};

/// `master.service`: the chart's `<fullname>-master` Service, as `exposure` asks for it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RoleService {
    #[serde(rename = "type")]
    type_: &'static str,
    /// `Local` keeps the client's address for the source ranges and the NetworkPolicy.
    external_traffic_policy: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    load_balancer_source_ranges: Vec<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    annotations: BTreeMap<String, String>,
}

/// The master Service of the standalone chart, when the spec exposes it outside.
pub(super) fn exposed_service(plan: &Plan) -> Option<RoleService> {
    let e = plan.spec.exposure.as_ref()?;
    let type_ = exposure::outside(plan)?;
    Some(RoleService {
        type_: type_.as_str(),
        external_traffic_policy: "Local",
        load_balancer_source_ranges: if type_ == ServiceType::LoadBalancer {
            e.source_ranges.clone()
        } else {
            Vec::new()
        },
        annotations: e
            .hostname
            .iter()
            .map(|h| {
                (
                    "external-dns.alpha.kubernetes.io/hostname".to_string(),
                    h.clone(),
                )
            })
            .collect(),
    })
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct NetworkPolicy {
    enabled: bool,
    /// `false`: only this release's pods (and `<fullname>-client: "true"` pods) plus the
    /// exact allows below may connect.
    allow_external: bool,
    allow_external_egress: bool,
    extra_ingress: Vec<NetworkPolicyIngressRule>,
    extra_egress: Vec<NetworkPolicyEgressRule>,
    /// Only the redis chart has a separate metrics section.
    #[serde(skip_serializing_if = "Option::is_none")]
    metrics: Option<MetricsPolicy>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct MetricsPolicy {
    allow_external: bool,
    #[serde(rename = "ingressNSMatchLabels")]
    ingress_ns_match_labels: BTreeMap<String, String>,
}

fn ns_labels(ns: &str) -> BTreeMap<String, String> {
    BTreeMap::from([("kubernetes.io/metadata.name".to_string(), ns.to_string())])
}

pub(super) fn network_policy(plan: &Plan, workload: Workload<'_>, ports: &[u16]) -> NetworkPolicy {
    let chart = workload.chart();
    let mut ingress: Vec<NetworkPolicyIngressRule> =
        network::clients(plan, ports).into_iter().collect();
    // Outside addresses to the exposed master Service (the standalone chart only: the
    // other charts refuse `exposure`, RKV107).
    if chart == Chart::Redis && exposure::outside(plan).is_some() {
        ingress.push(network::ingress(
            exposure::ranges(plan)
                .into_iter()
                .map(network::cidr)
                .collect(),
            vec![network::tcp(plan.spec.redis.port)],
        ));
    }
    let exporter = super::exporter(plan);
    let mut metrics = None;
    if let (Some(mon), Some(e)) = (&plan.spec.monitoring, exporter) {
        match chart {
            Chart::Redis => {
                metrics = Some(MetricsPolicy {
                    allow_external: false,
                    ingress_ns_match_labels: ns_labels(&mon.namespace),
                })
            }
            // The redis-cluster chart has no metrics section: an exact extra rule.
            Chart::RedisCluster => ingress.push(network::ingress(
                vec![network::every_pod_of(&mon.namespace)],
                vec![network::tcp(e.port)],
            )),
        }
    }
    NetworkPolicy {
        enabled: true,
        allow_external: false,
        allow_external_egress: false,
        extra_ingress: ingress,
        // DNS to the cluster DNS only; the charts add the pod-to-pod rules themselves.
        // With a master Service, the `kubectl-shared` sidecar labels the primary through
        // the API server, whose address the cluster alone knows: its ports, anywhere.
        extra_egress: std::iter::once(network::dns())
            .chain(super::master_service(plan, workload).then(|| {
                network::egress(
                    None,
                    API_SERVER_PORTS.iter().map(|p| network::tcp(*p)).collect(),
                )
            }))
            .collect(),
        metrics,
    }
}
