//! The DNS names a topology's TLS server certificate must carry, and who dials each.
//!
//! In: a plan. Out: the names, in a fixed order, each with the reason it is needed; empty
//! when the topology has no TLS rkv serves itself (no TLS, not a cluster, or a cluster
//! only the Bitnami chart runs: its pods and Services have the chart's names). Invariant: the list is every name a
//! client, peer or sidecar of the rendered objects connects by and verifies (announced pod
//! hostnames, the client addresses handed to applications, the client Service), and no
//! other: a certificate with exactly these names works with everything rkv renders, which
//! the live tier proves. The cert-manager Certificate, `rkv explain` and the RUNBOOK all
//! print this one list.

use super::model::Plan;
use crate::spec::Shape;

/// One required name and why it is required.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertName {
    pub name: String,
    pub why: &'static str,
}

const CLUSTER_DOMAIN: &str = "cluster.local";

/// The names, for a TLS cluster rkv renders itself (the kustomize tree); empty for
/// every other topology.
pub fn server_names(plan: &Plan) -> Vec<CertName> {
    if plan.spec.tls.is_none()
        || !matches!(plan.spec.shape, Shape::Cluster(_))
        || !plan.outputs.kustomize
    {
        return Vec::new();
    }
    let (name, ns) = (&plan.name, &plan.namespace);
    let pods: Vec<String> = (0..plan.data_pods).map(|i| format!("{name}-{i}")).collect();
    let mut out: Vec<CertName> = pods
        .iter()
        .map(|p| CertName {
            name: format!("{p}.{name}.{ns}.svc.{CLUSTER_DOMAIN}"),
            why: "the hostname the pod announces: cluster clients follow redirects to it and the exporter sidecar dials it",
        })
        .collect();
    out.extend(pods.iter().map(|p| CertName {
        name: format!("{p}.{name}.{ns}.svc"),
        why: "the address `REDIS_CLUSTER_ADDRESSES` hands to applications",
    }));
    for host in [
        format!("{name}-client.{ns}.svc"),
        format!("{name}-client.{ns}.svc.{CLUSTER_DOMAIN}"),
    ] {
        out.push(CertName {
            name: host,
            why: "the client Service applications bootstrap from",
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::model::plan;

    fn planned(yaml: &str) -> Plan {
        let loaded = crate::spec::load_str("t.yaml", yaml.to_string()).expect("spec loads");
        let variants = crate::spec::resolve::resolve(&loaded.topology);
        plan(&variants[0], "t.yaml")
    }

    const CLUSTER: &str = "apiVersion: rkv.dev/v1alpha1\nkind: RedisTopology\nmetadata: {name: kv, namespace: apps}\nspec:\n  use: cache\n  shape: {cluster: {shards: 3, replicasPerShard: 1}}\n  redis: {image: redis:7.2}\n  tls: {serverSecret: s, clientSecret: c}\n";

    #[test]
    fn a_tls_cluster_needs_every_announced_name_the_client_addresses_and_the_client_service() {
        let names: Vec<String> = server_names(&planned(CLUSTER))
            .into_iter()
            .map(|n| n.name)
            .collect();
        assert_eq!(names.len(), 6 + 6 + 2);
        assert_eq!(names[0], "kv-0.kv.apps.svc.cluster.local");
        assert_eq!(names[6], "kv-0.kv.apps.svc");
        assert_eq!(names[12], "kv-client.apps.svc");
        assert_eq!(names[13], "kv-client.apps.svc.cluster.local");
        // Nothing only a local tool would dial: the exporter uses the announced name.
        assert!(!names.iter().any(|n| n == "localhost"));
    }

    #[test]
    fn a_cluster_only_the_chart_runs_has_no_names_of_rkvs() {
        let chart = format!(
            "{CLUSTER}  outputs: {{kustomize: false, helm: {{release: kv, namespace: kv, version: 13.0.5, repository: oci://registry-1.docker.io/bitnamicharts}}}}\n"
        );
        assert!(server_names(&planned(&chart)).is_empty());
    }

    #[test]
    fn no_tls_no_names() {
        let plain = CLUSTER.replace("  tls: {serverSecret: s, clientSecret: c}\n", "");
        assert!(server_names(&planned(&plain)).is_empty());
    }
}
