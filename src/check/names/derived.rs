//! Every name one variant's objects get, and every name their controllers, operators and
//! charts derive from those ([`derived`]), each with the spec field whose value it holds
//! and its [`Limit`].
//!
//! In: the topology and one resolved variant. Out: [`Derived`] names. Invariant: every
//! object the emitters render is listed (tests/names.rs renders and compares).

use super::limits::*;
use crate::spec::tree::escape;
use crate::spec::{Resolved, ServiceType, Shape, Topology, Variant};
use crate::target::helm::{self as chart, Workload};
use crate::target::{opstree, spotahome};

/// A name a variant's objects get, or one their controllers derive from them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Derived {
    /// The kind of the object named (`StatefulSet`), or what the name is (`label value`).
    pub kind: &'static str,
    /// For a label value, the label's key.
    pub label: &'static str,
    /// Who makes the object or the name: `rkv` for what the emitters render, else the
    /// controller, operator or chart (`StatefulSet controller`, `Spotahome operator`).
    pub by: &'static str,
    pub name: String,
    pub limit: &'static Limit,
    /// The JSON pointer of the spec field whose value is in the name.
    pub pointer: String,
    /// That value, which the name holds once.
    pub value: String,
}

impl Derived {
    /// The longest the source value may be for this name to fit its limit: the limit
    /// less the characters the rest of the name takes.
    pub(super) fn room(&self) -> Option<usize> {
        let fixed = self
            .name
            .chars()
            .count()
            .checked_sub(self.value.chars().count())?;
        self.limit.max.checked_sub(fixed)
    }
}

/// Who makes the objects rkv renders ([`Derived::by`]).
pub const RKV: &str = "rkv";

/// Collects the names of one variant.
struct Names {
    out: Vec<Derived>,
}

impl Names {
    fn add(
        &mut self,
        kind: &'static str,
        by: &'static str,
        limit: &'static Limit,
        src: &Src,
        name: String,
    ) {
        self.out.push(Derived {
            kind,
            label: "",
            by,
            name,
            limit,
            pointer: src.pointer.clone(),
            value: src.value.clone(),
        });
    }

    /// The value `value` of label `key`, made by `by`.
    fn label(&mut self, key: &'static str, by: &'static str, src: &Src, value: String) {
        self.add("label value", by, &LABEL_VALUE, src, value);
        if let Some(d) = self.out.last_mut() {
            d.label = key;
        }
    }

    /// An object rkv renders, named `<value><suffix>`.
    fn object(&mut self, kind: &'static str, limit: &'static Limit, src: &Src, suffix: &str) {
        self.add(kind, RKV, limit, src, format!("{}{suffix}", src.value));
    }
}

/// A spec field and its value.
#[derive(Debug, Clone)]
struct Src {
    pointer: String,
    value: String,
}

impl Src {
    fn new(pointer: impl Into<String>, value: &str) -> Src {
        Src {
            pointer: pointer.into(),
            value: value.to_string(),
        }
    }
}

/// The pointer of a variant's own block (`/spec/sites/dc`), `None` for the base.
fn variant_pointer(v: &Variant) -> Option<String> {
    match v {
        Variant::Base => None,
        Variant::Environment(n) => Some(format!("/spec/environments/{}", escape(n))),
        Variant::Site(n) => Some(format!("/spec/sites/{}", escape(n))),
    }
}

/// Every name the objects of `r`, a variant of `t`, get, and the names their controllers
/// derive.
pub fn derived(t: &Topology, r: &Resolved) -> Vec<Derived> {
    let mut n = Names { out: Vec::new() };
    let s = &r.spec;
    let name = Src::new(r.origin("name"), &r.name);
    let ns = Src::new(r.origin("namespace"), &r.namespace);
    // `partOf` defaults to the spec's own name (not an environment's).
    let part_of = match &t.metadata.part_of {
        Some(p) => Src::new("/metadata/partOf", p),
        None => Src::new("/metadata/name", &t.metadata.name),
    };
    let outputs = s.outputs.as_ref();
    let kustomize = outputs.is_none_or(|o| o.kustomize);

    n.object(NAMESPACE_KIND, &NAMESPACE, &ns, "");
    // Every object's `app.kubernetes.io/instance` and `part-of` labels.
    n.label("app.kubernetes.io/instance", RKV, &name, r.name.clone());
    n.label(
        "app.kubernetes.io/part-of",
        RKV,
        &part_of,
        r.part_of.clone(),
    );

    if kustomize {
        match &s.shape {
            Shape::Standalone(_) => standalone(&mut n, r, &name, &ns),
            Shape::Cluster(_) => cluster(&mut n, r, &name, &ns, &part_of),
            Shape::Failover(_) => failover(&mut n, r, &name),
            Shape::Replication(_) => replication(&mut n, r, &name, &ns),
        }
        if !matches!(s.shape, Shape::Cluster(_)) {
            backup(&mut n, r, &name, &part_of);
        }
        if let (Some(_), Variant::Site(site)) = (&r.argocd, &r.variant) {
            n.object("Application", &SUBDOMAIN, &name, &format!("-{site}"));
        }
    }
    if let Some(h) = outputs.and_then(|o| o.helm.as_ref()) {
        helm(&mut n, r, &name, h);
        if Workload::of(&s.shape).is_some() {
            backup(&mut n, r, &name, &part_of);
            if s.backup.is_some() {
                policies(&mut n, &name, &["default-deny", "allow-dns"]);
                // The chart's NetworkPolicy admits the backup pods by the label key
                // `<fullname>-client`: a label key's name has the limits of a label value.
                let key = format!("{}-client", r.name);
                n.add("label key", RKV, &LABEL_VALUE, &name, key);
            }
        }
    }
    for (i, c) in s.clients.iter().enumerate() {
        let at = r.at("clients", &format!("/{i}/namespace"));
        n.object(NAMESPACE_KIND, &NAMESPACE, &Src::new(at, &c.namespace), "");
    }
    if let Some(m) = &s.monitoring {
        let at = r.at("monitoring", "/namespace");
        n.object(NAMESPACE_KIND, &NAMESPACE, &Src::new(at, &m.namespace), "");
    }
    if let (Some(a), Some(p)) = (&r.argocd, variant_pointer(&r.variant)) {
        let at = format!("{p}/argocd/namespace");
        n.object(NAMESPACE_KIND, &NAMESPACE, &Src::new(at, &a.namespace), "");
    }
    n.out
}

/// `kind` of a cert-manager Certificate's common name.
pub(super) const COMMON_NAME_KIND: &str = "certificate common name";

/// `kind` of a namespace name (not an object rkv renders).
pub(super) const NAMESPACE_KIND: &str = "Namespace";

fn policies(n: &mut Names, name: &Src, suffixes: &[&str]) {
    for s in suffixes {
        n.object("NetworkPolicy", &SUBDOMAIN, name, &format!("-{s}"));
    }
}

/// The common NetworkPolicies (`emit::common`): default deny and DNS, the clients' and
/// Prometheus' allows when there are clients and an exporter.
fn common_policies(n: &mut Names, r: &Resolved, name: &Src) {
    policies(n, name, &["default-deny", "allow-dns"]);
    if !r.spec.clients.is_empty() {
        policies(n, name, &["allow-clients"]);
    }
    if r.spec
        .monitoring
        .as_ref()
        .is_some_and(|m| m.exporter.is_some())
    {
        policies(n, name, &["allow-metrics"]);
    }
}

/// A StatefulSet of `pods` pods named `<sts>`, and what its controller derives: pods
/// `<sts>-<ordinal>` and, for each volume claim template, PVCs `<claim>-<sts>-<ordinal>`.
fn statefulset(
    n: &mut Names,
    by: &'static str,
    src: &Src,
    sts: String,
    pods: u32,
    claims: &[&str],
) {
    let last = pods.saturating_sub(1);
    n.add(
        "Pod",
        "StatefulSet controller",
        &POD,
        src,
        format!("{sts}-{last}"),
    );
    for c in claims {
        n.add(
            "PersistentVolumeClaim",
            "StatefulSet controller",
            &SUBDOMAIN,
            src,
            format!("{c}-{sts}-{last}"),
        );
    }
    n.add("StatefulSet", by, &STATEFULSET, src, sts);
}

/// The backup of every shape but the kustomize cluster's (`emit::backup`).
fn backup(n: &mut Names, r: &Resolved, name: &Src, part_of: &Src) {
    if r.spec.backup.is_none() {
        return;
    }
    n.object("PersistentVolumeClaim", &SUBDOMAIN, name, "-backup");
    n.object("ConfigMap", &SUBDOMAIN, name, "-backup-scripts");
    n.object("CronJob", &CRONJOB, name, "-backup");
    n.object("CronJob", &CRONJOB, part_of, "-backup-retention");
    policies(
        n,
        name,
        &["backup-egress", "allow-backup", "allow-backup-sentinel"],
    );
}

/// cert-manager Certificates into the TLS Secrets (`emit::tls`, the cluster's own): the
/// server certificate's common name is `cn`, the client's `<name>-client`.
fn certificates(n: &mut Names, r: &Resolved, name: &Src, ns: &Src, cn: String) {
    let Some(t) = r.spec.tls.as_ref().filter(|t| t.cert_manager.is_some()) else {
        return;
    };
    let server = Src::new(r.at("tls", "/serverSecret"), &t.server_secret);
    n.object("Certificate", &SUBDOMAIN, &server, "");
    n.add(
        COMMON_NAME_KIND,
        "cert-manager",
        &COMMON_NAME,
        name,
        cn.clone(),
    );
    n.add(COMMON_NAME_KIND, "cert-manager", &COMMON_NAME, ns, cn);
    if let Some(client) = &t.client_secret {
        let client = Src::new(r.at("tls", "/clientSecret"), client);
        n.object("Certificate", &SUBDOMAIN, &client, "");
        let cn = format!("{}-client", r.name);
        n.add(COMMON_NAME_KIND, "cert-manager", &COMMON_NAME, name, cn);
    }
}

/// The PrometheusRule of an operator's shape (`emit::alerts`).
fn alerts(n: &mut Names, r: &Resolved, name: &Src) {
    if r.spec
        .monitoring
        .as_ref()
        .is_some_and(|m| m.alerts && m.exporter.is_some())
    {
        n.object("PrometheusRule", &SUBDOMAIN, name, "");
    }
}

/// `exposure` outside the cluster: the `<name>-external` Service and its policy.
fn external(n: &mut Names, r: &Resolved, name: &Src) {
    if r.spec
        .exposure
        .as_ref()
        .is_some_and(|e| e.type_ != ServiceType::ClusterIP)
    {
        n.object("Service", &SERVICE, name, "-external");
        policies(n, name, &["allow-external"]);
    }
}

fn standalone(n: &mut Names, r: &Resolved, name: &Src, ns: &Src) {
    external(n, r, name);
    certificates(n, r, name, ns, format!("{}.{}.svc", r.name, r.namespace));
    n.object("Deployment", &DEPLOYMENT, name, "");
    n.object("Service", &SERVICE, name, "");
    if r.spec.persistence.as_ref().is_some_and(|p| p.enabled) {
        n.object("PersistentVolumeClaim", &SUBDOMAIN, name, "-data");
    }
    common_policies(n, r, name);
}

fn cluster(n: &mut Names, r: &Resolved, name: &Src, ns: &Src, part_of: &Src) {
    let s = &r.spec;
    let Shape::Cluster(c) = &s.shape else { return };
    let pods = c.shards.saturating_mul(1 + c.replicas_per_shard);
    statefulset(n, RKV, name, r.name.clone(), pods, &["data"]);
    n.object("Service", &SERVICE, name, "");
    n.object("Service", &SERVICE, name, "-client");
    n.object("ConfigMap", &SUBDOMAIN, name, "-config");
    n.object("ConfigMap", &SUBDOMAIN, name, "-client");
    n.object("ConfigMap", &SUBDOMAIN, name, "-scripts");
    n.object("PodDisruptionBudget", &SUBDOMAIN, name, "");
    n.object("Job", &JOB, name, "-cluster-init");
    if s.backup.is_some() {
        n.object("PersistentVolumeClaim", &SUBDOMAIN, name, "-backup");
        n.object("CronJob", &CRONJOB, name, "-backup");
        n.object("CronJob", &CRONJOB, part_of, "-backup-retention");
        // The suspended restore CronJob is rendered unless a TLS cluster has no client
        // certificate; the RUNBOOK's full-loss procedure makes Job `<name>-restore-1` from it.
        if s.tls.as_ref().is_none_or(|t| t.client_secret.is_some()) {
            n.object("CronJob", &CRONJOB, name, "-restore");
            n.add(
                "Job",
                "RUNBOOK",
                &JOB,
                name,
                format!("{}-restore-1", r.name),
            );
        }
    }
    if let Some(m) = &s.monitoring {
        if m.alerts {
            n.object("PrometheusRule", &SUBDOMAIN, name, "");
        }
        if m.service_monitor {
            n.object("ServiceMonitor", &SUBDOMAIN, name, "");
        }
    }
    common_policies(n, r, name);
    policies(n, name, &["allow-peers", "allow-jobs", "jobs-egress"]);
    // The server certificate's common name is the client Service's name,
    // `<name>-client.<namespace>.svc` (one of `plan::tls::server_names`).
    let cn = format!("{}-client.{}.svc", r.name, r.namespace);
    certificates(n, r, name, ns, cn);
}

fn failover(n: &mut Names, r: &Resolved, name: &Src) {
    let s = &r.spec;
    let Shape::Failover(f) = &s.shape else { return };
    // A longer name is refused by RKV152 with the operator's own words.
    if r.name.chars().count() <= SPOTAHOME_MAX_NAME {
        n.object("RedisFailover", &SUBDOMAIN, name, "");
        // api/redisfailover names.go and constants.go: `rf` + `r`/`s`/`rm`/`rs`/... + `-<name>`.
        const OP: &str = "Spotahome operator";
        let redis = spotahome::redis_statefulset(&r.name);
        statefulset(n, OP, name, redis, f.replicas, &[]);
        let sentinel = spotahome::sentinel_name(&r.name);
        n.add("Deployment", OP, &DEPLOYMENT, name, sentinel);
        for p in ["rfr", "rfs", "rfrm", "rfrs"] {
            n.add("Service", OP, &SERVICE, name, format!("{p}-{}", r.name));
        }
        for p in ["rfr", "rfs", "rfr-s", "rfr-readiness"] {
            n.add("ConfigMap", OP, &SUBDOMAIN, name, format!("{p}-{}", r.name));
        }
    }
    external(n, r, name);
    alerts(n, r, name);
    n.object("PodDisruptionBudget", &SUBDOMAIN, name, "-redis");
    n.object("PodDisruptionBudget", &SUBDOMAIN, name, "-sentinel");
    policies(
        n,
        name,
        &[
            "failover-default-deny",
            "failover-allow-dns",
            "redis",
            "sentinel",
        ],
    );
    if !s.clients.is_empty() {
        policies(n, name, &["allow-clients"]);
    }
    if let Some(ns) = &f.operator_namespace {
        policies(n, name, &["allow-operator"]);
        let at = r.at("shape", "/failover/operatorNamespace");
        n.object(NAMESPACE_KIND, &NAMESPACE, &Src::new(at, ns), "");
    }
    if s.monitoring.as_ref().is_some_and(|m| m.exporter.is_some()) {
        policies(n, name, &["allow-metrics"]);
    }
    if f.wal.is_some() || s.backup.is_some() {
        policies(n, name, &["default-deny", "allow-dns"]);
    }
    let Some(w) = &f.wal else { return };
    policies(n, name, &["applier"]);
    n.object("Deployment", &DEPLOYMENT, name, "-applier");
    n.object("PodDisruptionBudget", &SUBDOMAIN, name, "-applier");
    // External Secrets Operator writes a Secret of the ExternalSecret's name.
    n.object("ExternalSecret", &SUBDOMAIN, name, "-applier-kafka-scram");
    n.object("ExternalSecret", &SUBDOMAIN, name, "-applier-kafka-ca");
    let wal = r.at("shape", "/failover/wal");
    let kns = Src::new(format!("{wal}/kafka/namespace"), &w.kafka.namespace);
    n.object(NAMESPACE_KIND, &NAMESPACE, &kns, "");
    // Strimzi's `strimzi.io/cluster` label on the topic and users.
    let cluster = Src::new(format!("{wal}/kafka/cluster"), &w.kafka.cluster);
    n.label("strimzi.io/cluster", RKV, &cluster, w.kafka.cluster.clone());
    let topic = Src::new(format!("{wal}/topic/name"), &w.topic.name);
    n.object("KafkaTopic", &SUBDOMAIN, &topic, "");
    let user = Src::new(format!("{wal}/applier/user"), &w.applier.user);
    n.object("KafkaUser", &SUBDOMAIN, &user, "");
    let (Some(m), Variant::Site(site)) = (&w.mirror, &r.variant) else {
        return;
    };
    if *site == m.from || *site == m.to {
        n.object("KafkaUser", &SUBDOMAIN, &topic, "-mirror");
    }
    if *site != m.to {
        return;
    }
    if m.source_password_key.is_some() {
        n.object("ExternalSecret", &SUBDOMAIN, &topic, "-mirror-source");
    }
    if m.source_ca_key.is_some() {
        n.object("ExternalSecret", &SUBDOMAIN, &topic, "-mirror-source-ca");
    }
    n.object("KafkaMirrorMaker2", &SUBDOMAIN, &topic, "-mirror");
    n.object("NetworkPolicy", &SUBDOMAIN, &topic, "-mirror-default-deny");
    n.object("NetworkPolicy", &SUBDOMAIN, &topic, "-mirror-allow");
    // rkv's NetworkPolicies select the mirror's pods by `strimzi.io/cluster: <mm2>`;
    // Strimzi names them and their Services `<mm2>-mirrormaker2` and the REST API's
    // Service `<mm2>-mirrormaker2-api` (KafkaMirrorMaker2Resources).
    let mm2 = format!("{}-mirror", w.topic.name);
    n.label("strimzi.io/cluster", RKV, &topic, mm2.clone());
    const OP: &str = "Strimzi cluster operator";
    n.add(
        "Service",
        OP,
        &SERVICE,
        &topic,
        format!("{mm2}-mirrormaker2"),
    );
    n.add(
        "Service",
        OP,
        &SERVICE,
        &topic,
        format!("{mm2}-mirrormaker2-api"),
    );
    n.add(
        "ConfigMap",
        OP,
        &SUBDOMAIN,
        &topic,
        format!("{mm2}-mirrormaker2-config"),
    );
}

fn replication(n: &mut Names, r: &Resolved, name: &Src, ns: &Src) {
    let s = &r.spec;
    let Shape::Replication(rep) = &s.shape else {
        return;
    };
    n.object("RedisReplication", &SUBDOMAIN, name, "");
    n.object("RedisSentinel", &SUBDOMAIN, name, "");
    n.object("ConfigMap", &SUBDOMAIN, name, "-redis-config");
    external(n, r, name);
    alerts(n, r, name);
    if s.tls.is_some() {
        n.object("ConfigMap", &SUBDOMAIN, name, "-sentinel-config");
        certificates(n, r, name, ns, format!("{}.{}.svc", r.name, r.namespace));
    }
    common_policies(n, r, name);
    policies(n, name, &["allow-redis-peers", "allow-sentinel-peers"]);
    if !s.clients.is_empty() {
        policies(n, name, &["allow-sentinel-clients"]);
    }
    if let Some(ns) = &rep.operator_namespace {
        let at = r.at("shape", "/replication/operatorNamespace");
        n.object(NAMESPACE_KIND, &NAMESPACE, &Src::new(at, ns), "");
    }
    // What the OT-CONTAINER-KIT operator derives (internal/k8sutils redis-replication.go,
    // redis-sentinel.go, v0.26): the replication's StatefulSet `<n>` and Services `<n>`,
    // `<n>-headless`, `<n>-additional`, `<n>-master`, `<n>-replica`; the Sentinel's
    // StatefulSet and Services `<n>-sentinel`, `-headless`, `-additional`; pods labelled
    // `app: <StatefulSet name>`.
    const OP: &str = "OT-CONTAINER-KIT operator";
    let sentinel = opstree::sentinel_statefulset(&r.name);
    statefulset(n, OP, name, r.name.clone(), rep.replicas, &[]);
    statefulset(n, OP, name, sentinel.clone(), rep.sentinel.replicas, &[]);
    for suffix in ["", "-headless", "-additional", "-master", "-replica"] {
        n.add("Service", OP, &SERVICE, name, format!("{}{suffix}", r.name));
    }
    for suffix in ["", "-headless", "-additional"] {
        n.add("Service", OP, &SERVICE, name, format!("{sentinel}{suffix}"));
    }
    n.add(
        "PodDisruptionBudget",
        OP,
        &SUBDOMAIN,
        name,
        format!("{}-replication", r.name),
    );
    n.add(
        "PodDisruptionBudget",
        OP,
        &SUBDOMAIN,
        name,
        sentinel.clone(),
    );
    n.label("app", OP, name, sentinel);
}

fn helm(n: &mut Names, r: &Resolved, name: &Src, h: &crate::spec::HelmOutput) {
    // The failover shape has no chart (RKV173).
    let Some(workload) = Workload::of(&r.spec.shape) else {
        return;
    };
    // The StatefulSet and Services come from `target::helm` (bitnami/redis standalone:
    // templates/master/application.yaml, master/service.yaml, headless-svc.yaml; with
    // Sentinel: sentinel/statefulset.yaml `<f>-node`, sentinel/service.yaml `<f>`,
    // headless-svc.yaml; bitnami/redis-cluster: redis-statefulset.yaml `<f>`,
    // redis-svc.yaml, headless-svc.yaml). Beside them, each chart's ConfigMaps:
    let configmaps: &[&str] = match workload {
        Workload::Standalone | Workload::Sentinel(_) => &["-configuration", "-health", "-scripts"],
        Workload::Cluster(_) => &["-default", "-scripts"],
    };
    let release = Src::new(r.at("outputs", "/helm/release"), &h.release);
    n.object("HelmRelease", &HELM_RELEASE, &release, "");
    n.object("OCIRepository", &SUBDOMAIN, &release, "");
    n.object("ConfigMap", &HASHED_CONFIGMAP, &release, "-values");
    let hns = Src::new(r.at("outputs", "/helm/namespace"), &h.namespace);
    n.object(NAMESPACE_KIND, &NAMESPACE, &hns, "");
    // rkv sets `fullnameOverride` to the name: the chart's `common.names.fullname`.
    const BY: &str = "Bitnami chart";
    let sts = chart::statefulset(workload, &r.name);
    n.add("StatefulSet", BY, &STATEFULSET, name, sts);
    for service in chart::services(workload, &r.name) {
        n.add("Service", BY, &SERVICE, name, service);
    }
    for suffix in configmaps {
        n.add(
            "ConfigMap",
            BY,
            &SUBDOMAIN,
            name,
            format!("{}{suffix}", r.name),
        );
    }
}
