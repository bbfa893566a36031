//! The DNS names a topology's TLS server certificate must carry, and who dials each.
//!
//! In: a plan. Out: the names, in a fixed order, each with the reason it is needed; empty
//! when the topology has no TLS rkv names the objects of (no TLS, Spotahome, or only the
//! Bitnami chart: its pods and Services have the chart's names). Invariant: the list is every name a
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

/// The names, for TLS rkv renders in the kustomize tree (the cluster, the standalone
/// Deployment, the OT-CONTAINER-KIT resources); empty for every other topology.
pub fn server_names(plan: &Plan) -> Vec<CertName> {
    if plan.spec.tls.is_none() || !plan.outputs.kustomize {
        return Vec::new();
    }
    match &plan.spec.shape {
        Shape::Cluster(_) => cluster_names(plan),
        Shape::Standalone(_) => standalone_names(plan),
        Shape::Replication(r) => replication_names(plan, r),
        // Spotahome has no TLS (RKV107).
        Shape::Failover(_) => Vec::new(),
    }
}

/// The LoadBalancer's external-dns hostname: outside clients dial it.
fn external_hostname(plan: &Plan) -> Option<CertName> {
    let e = plan.spec.exposure.as_ref()?;
    if e.type_ != crate::spec::ServiceType::LoadBalancer {
        return None;
    }
    Some(CertName {
        name: e.hostname.clone()?,
        why: "the LoadBalancer's hostname clients outside the cluster dial",
    })
}

fn service_names(out: &mut Vec<CertName>, svc: &str, ns: &str, why: &'static str) {
    for name in [
        format!("{svc}.{ns}.svc"),
        format!("{svc}.{ns}.svc.{CLUSTER_DOMAIN}"),
    ] {
        out.push(CertName { name, why });
    }
}

/// The standalone Deployment: its Service (clients, the backup Job) and the hostname.
fn standalone_names(plan: &Plan) -> Vec<CertName> {
    let mut out = Vec::new();
    service_names(
        &mut out,
        &plan.name,
        &plan.namespace,
        "the Service clients and the backup Job dial",
    );
    out.extend(external_hostname(plan));
    out
}

/// The OT-CONTAINER-KIT resources: the operator's Services, every Redis and Sentinel pod by
/// its headless name (replicas and Sentinels reach the primary by it when Sentinel
/// resolves hostnames), the external Service and its hostname.
fn replication_names(plan: &Plan, r: &crate::spec::Replication) -> Vec<CertName> {
    let (n, ns) = (&plan.name, &plan.namespace);
    let sentinel = crate::target::opstree::sentinel_statefulset(n);
    let headless = crate::target::opstree::headless_service(n);
    let mut out = Vec::new();
    for svc in [
        n.clone(),
        format!("{n}-master"),
        format!("{n}-replica"),
        format!("{n}-additional"),
        headless.clone(),
    ] {
        service_names(
            &mut out,
            &svc,
            ns,
            "a Service the operator makes over the Redis pods",
        );
    }
    for svc in [
        sentinel.clone(),
        format!("{sentinel}-headless"),
        format!("{sentinel}-additional"),
    ] {
        service_names(
            &mut out,
            &svc,
            ns,
            "a Service the operator makes over the Sentinels (the backup Job asks it for the primary)",
        );
    }
    out.extend((0..r.replicas).map(|i| CertName {
        name: format!("{n}-{i}.{headless}.{ns}.svc"),
        why: "a Redis pod by its headless name",
    }));
    out.extend((0..r.sentinel.replicas).map(|i| CertName {
        name: format!("{sentinel}-{i}.{sentinel}-headless.{ns}.svc"),
        why: "a Sentinel pod by its headless name",
    }));
    if plan
        .spec
        .exposure
        .as_ref()
        .is_some_and(|e| e.type_ != crate::spec::ServiceType::ClusterIP)
    {
        service_names(
            &mut out,
            &format!("{n}-external"),
            ns,
            "the Service outside clients reach the primary through",
        );
    }
    out.extend(external_hostname(plan));
    out
}

/// The cluster's names.
fn cluster_names(plan: &Plan) -> Vec<CertName> {
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
