//! Kubernetes' own limits on every name rkv derives, checked at the spec (RKV105, RKV106).
//!
//! In: a loaded spec and its resolved variants. Out: a finding at the spec field whose
//! value makes a name, a namespace or a label that the API server (or the controller or
//! operator that derives names from it) refuses, naming the longest offending name and
//! its limit. [`derived`] lists, for one variant, every name its objects get and the
//! names their controllers, operators and charts derive from those; [`check`] measures
//! each against its [`Limit`].
//!
//! Invariant: [`derived`] knows every object the emitters render: `tests/names.rs`
//! renders every profile and golden case, with each name stretched to the longest this
//! check accepts, and finds every rendered name in [`derived`] and within the limits
//! Kubernetes sets for its kind (derived there independently, from the rendered objects);
//! one character more is refused here.
//!
//! Where the limits come from (the sources are cited at each [`Limit`]):
//! apimachinery's `IsDNS1123Label`, `IsDNS1123Subdomain`, `IsDNS1035Label`,
//! `IsValidLabelValue` and `IsQualifiedName` (k8s.io/apimachinery/pkg/util/validation,
//! and <https://kubernetes.io/docs/concepts/overview/working-with-objects/names/>), the
//! per-kind name validators of pkg/apis/{core,apps,batch}/validation, the names the
//! StatefulSet, CronJob, Job and Deployment controllers derive, and the names the
//! Spotahome and OT-CONTAINER-KIT operators, Strimzi, cert-manager, Helm and the Bitnami
//! charts derive.

use std::collections::BTreeMap;

use crate::diag::{Diagnostic, Severity};
use crate::spec::tree::escape;
use crate::spec::{Loaded, Resolved, ServiceType, Shape, Topology, Variant};

/// The character rules a name must follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// RFC 1123 label: lowercase letters, digits and `-`, starting and ending with a
    /// letter or digit (`IsDNS1123Label`).
    Dns1123Label,
    /// RFC 1123 subdomain: RFC 1123 labels joined by `.` (`IsDNS1123Subdomain`).
    Dns1123Subdomain,
    /// RFC 1035 label: an RFC 1123 label that starts with a letter (`IsDNS1035Label`).
    Dns1035Label,
    /// A label value: letters, digits, `-`, `_`, `.`, starting and ending with a letter or
    /// digit, or empty (`IsValidLabelValue`).
    LabelValue,
    /// A label key: an optional DNS subdomain prefix and `/`, then a name of letters,
    /// digits, `-`, `_`, `.` starting and ending with a letter or digit (`IsQualifiedName`).
    QualifiedName,
    /// Any characters (a certificate's common name): only the length is limited.
    Any,
}

impl Format {
    /// Whether `s` follows the character rules (the length is the [`Limit`]'s business).
    pub fn accepts(self, s: &str) -> bool {
        match self {
            Format::Dns1123Label => is_label(s, false),
            Format::Dns1123Subdomain => !s.is_empty() && s.split('.').all(|l| is_label(l, false)),
            Format::Dns1035Label => is_label(s, true),
            Format::LabelValue => s.is_empty() || is_label_name(s),
            Format::QualifiedName => match s.split_once('/') {
                Some((prefix, name)) => {
                    prefix.chars().count() <= 253
                        && Format::Dns1123Subdomain.accepts(prefix)
                        && name.chars().count() <= 63
                        && is_label_name(name)
                }
                None => s.chars().count() <= 63 && is_label_name(s),
            },
            Format::Any => true,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Format::Dns1123Label => {
                "an RFC 1123 label (lowercase letters, digits and `-`, starting and ending with a letter or digit)"
            }
            Format::Dns1123Subdomain => {
                "an RFC 1123 subdomain (lowercase letters, digits, `-` and `.`, each part starting and ending with a letter or digit)"
            }
            Format::Dns1035Label => {
                "an RFC 1035 label (lowercase letters, digits and `-`, starting with a letter and ending with a letter or digit)"
            }
            Format::LabelValue => {
                "a label value (letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit)"
            }
            Format::QualifiedName => {
                "a label key (an optional DNS subdomain and `/`, then letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit)"
            }
            Format::Any => "accepted",
        }
    }
}

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, or with `letter_first` `[a-z]([-a-z0-9]*[a-z0-9])?`.
fn is_label(s: &str, letter_first: bool) -> bool {
    let b = s.as_bytes();
    let (Some(first), Some(last)) = (b.first(), b.last()) else {
        return false;
    };
    let inner = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-';
    let end = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    (if letter_first {
        first.is_ascii_lowercase()
    } else {
        end(first)
    }) && end(last)
        && b.iter().all(inner)
}

/// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`.
fn is_label_name(s: &str) -> bool {
    let b = s.as_bytes();
    let (Some(first), Some(last)) = (b.first(), b.last()) else {
        return false;
    };
    first.is_ascii_alphanumeric()
        && last.is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// What one kind of name must be: its characters and its length, and why.
#[derive(Debug, PartialEq, Eq)]
pub struct Limit {
    pub format: Format,
    /// The most characters the name may have.
    pub max: usize,
    /// Who refuses a longer name, and why it is shorter than the format alone allows.
    pub why: &'static str,
}

/// Most object names: `ValidateObjectMeta` with `NameIsDNSSubdomain` (ConfigMaps, Secrets,
/// PVCs, NetworkPolicies, PDBs, and every custom resource: the API server validates a CR's
/// `metadata.name` as a DNS subdomain).
pub const SUBDOMAIN: Limit = Limit {
    format: Format::Dns1123Subdomain,
    max: 253,
    why: "Kubernetes object names are DNS subdomains of at most 253 characters",
};

/// `ValidateNamespaceName = NameIsDNSLabel` (pkg/apis/core/validation).
pub const NAMESPACE: Limit = Limit {
    format: Format::Dns1123Label,
    max: 63,
    why: "a namespace name is an RFC 1123 label of at most 63 characters",
};

/// `ValidateServiceName = NameIsDNS1035Label` (pkg/apis/core/validation): a Service's
/// name is a DNS label of the cluster domain.
pub const SERVICE: Limit = Limit {
    format: Format::Dns1035Label,
    max: 63,
    why: "a Service name is an RFC 1035 label of at most 63 characters (it becomes a DNS name)",
};

/// `ValidateStatefulSetName = NameIsDNSLabel` (pkg/apis/apps/validation), and shorter:
/// the controller labels every pod `controller-revision-hash: <name>-<hash>`
/// (pkg/controller/history `ControllerRevisionName`; the hash is `SafeEncodeString` of a
/// 32-bit FNV hash, up to 10 characters), and a label value has at most 63 characters:
/// a longer name is accepted but its pods are never created (kubernetes#64023).
pub const STATEFULSET: Limit = Limit {
    format: Format::Dns1123Label,
    max: 52,
    why: "the StatefulSet controller labels each pod `controller-revision-hash: <name>-<hash of up to 10 characters>`, and a label value has at most 63 characters: with a longer name no pod is ever created",
};

/// A StatefulSet's pods are named `<name>-<ordinal>` and get that name as hostname and
/// as the `statefulset.kubernetes.io/pod-name` label value: an RFC 1123 label.
pub const POD: Limit = Limit {
    format: Format::Dns1123Label,
    max: 63,
    why: "a StatefulSet pod's name is its hostname and its `statefulset.kubernetes.io/pod-name` label value, at most 63 characters",
};

/// `ValidateCronJob` (pkg/apis/batch/validation): "must be no more than 52 characters";
/// the controller names each Job `<name>-<scheduled time in minutes>`, 11 characters
/// more, and a Job's name must fit a label value
/// (<https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/>).
pub const CRONJOB: Limit = Limit {
    format: Format::Dns1123Subdomain,
    max: 52,
    why: "the CronJob controller appends an 11-character suffix to name each Job, and a Job's name must stay within 63 characters",
};

/// A Job's name becomes its pods' `job-name` and `batch.kubernetes.io/job-name` label
/// values (`ValidateGeneratedSelector`, pkg/apis/batch/validation): at most 63.
pub const JOB: Limit = Limit {
    format: Format::Dns1123Subdomain,
    max: 63,
    why: "the Job controller labels its pods `job-name: <name>`, and a label value has at most 63 characters",
};

/// `ValidateDeploymentName = NameIsDNSSubdomain`; the controller names each ReplicaSet
/// `<name>-<pod-template-hash>` (up to 10 characters), itself a DNS subdomain.
pub const DEPLOYMENT: Limit = Limit {
    format: Format::Dns1123Subdomain,
    max: 242,
    why: "the Deployment controller names each ReplicaSet `<name>-<pod-template-hash of up to 10 characters>`, a DNS subdomain of at most 253 characters",
};

/// `IsValidLabelValue`: at most 63 characters.
pub const LABEL_VALUE: Limit = Limit {
    format: Format::LabelValue,
    max: 63,
    why: "a label value has at most 63 characters",
};

/// `IsQualifiedName`: the name part at most 63, an optional prefix at most 253 (checked by
/// [`Format::accepts`]); 317 bounds the whole.
pub const LABEL_KEY: Limit = Limit {
    format: Format::QualifiedName,
    max: 317,
    why: "a label key is a name of at most 63 characters, optionally after a DNS subdomain prefix and `/`",
};

/// Helm refuses a release name longer than 53 characters (`releaseNameMaxLen`, helm
/// pkg/action), and the Flux HelmRelease CRD caps `spec.releaseName` at 53
/// (`maxLength: 53`); rkv sets `releaseName` to the HelmRelease's name.
pub const HELM_RELEASE: Limit = Limit {
    format: Format::Dns1123Subdomain,
    max: 53,
    why: "Helm refuses a release name longer than 53 characters (the HelmRelease's `releaseName`, maxLength 53 in Flux's CRD)",
};

/// kustomize's ConfigMap generator appends `-<10-character content hash>` to the values
/// ConfigMap's name (rkv's helm kustomization).
pub const HASHED_CONFIGMAP: Limit = Limit {
    format: Format::Dns1123Subdomain,
    max: 242,
    why: "kustomize appends `-<10-character content hash>` to a generated ConfigMap's name, a DNS subdomain of at most 253 characters",
};

/// cert-manager's webhook refuses a Certificate whose `commonName` is longer than 64
/// bytes (internal/apis/certmanager/validation/certificate.go; X.509's ub-common-name).
pub const COMMON_NAME: Limit = Limit {
    format: Format::Any,
    max: 64,
    why: "cert-manager refuses a certificate common name longer than 64 characters (X.509's limit)",
};

/// The Spotahome operator refuses a RedisFailover name longer than 48 characters
/// (`maxNameLength`, api/redisfailover/v1/validate.go), so its `rfr-<name>` StatefulSet
/// (4 + 48 = 52) always fits [`STATEFULSET`]. RKV152 reports that refusal; the names the
/// operator derives are listed only for names it accepts.
pub const SPOTAHOME_MAX_NAME: usize = 48;

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
    fn room(&self) -> Option<usize> {
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
            Shape::Standalone(_) => standalone(&mut n, r, &name),
            Shape::Cluster(_) => cluster(&mut n, r, &name, &ns, &part_of),
            Shape::Failover(_) => failover(&mut n, r, &name),
            Shape::Replication(_) => replication(&mut n, r, &name),
        }
    }
    if let Some(h) = outputs.and_then(|o| o.helm.as_ref()) {
        helm(&mut n, r, &name, h);
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
const COMMON_NAME_KIND: &str = "certificate common name";

/// `kind` of a namespace name (not an object rkv renders).
const NAMESPACE_KIND: &str = "Namespace";

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

fn standalone(n: &mut Names, r: &Resolved, name: &Src) {
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
    if let Some(t) = &s.tls
        && t.cert_manager.is_some()
    {
        let server = Src::new(r.at("tls", "/serverSecret"), &t.server_secret);
        n.object("Certificate", &SUBDOMAIN, &server, "");
        // The server certificate's common name is `<name>.<namespace>.svc`.
        let cn = format!("{}.{}.svc", r.name, r.namespace);
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
}

fn failover(n: &mut Names, r: &Resolved, name: &Src) {
    let s = &r.spec;
    let Shape::Failover(f) = &s.shape else { return };
    // A longer name is refused by RKV152 with the operator's own words.
    if r.name.chars().count() <= SPOTAHOME_MAX_NAME {
        n.object("RedisFailover", &SUBDOMAIN, name, "");
        // api/redisfailover names.go and constants.go: `rf` + `r`/`s`/`rm`/`rs`/... + `-<name>`.
        const OP: &str = "Spotahome operator";
        statefulset(n, OP, name, format!("rfr-{}", r.name), f.replicas, &[]);
        n.add(
            "Deployment",
            OP,
            &DEPLOYMENT,
            name,
            format!("rfs-{}", r.name),
        );
        for p in ["rfr", "rfs", "rfrm", "rfrs"] {
            n.add("Service", OP, &SERVICE, name, format!("{p}-{}", r.name));
        }
        for p in ["rfr", "rfs", "rfr-s", "rfr-readiness"] {
            n.add("ConfigMap", OP, &SUBDOMAIN, name, format!("{p}-{}", r.name));
        }
    }
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
    if let (Some(_), Variant::Site(site)) = (&r.argocd, &r.variant) {
        n.object("Application", &SUBDOMAIN, name, &format!("-{site}"));
    }
    let Some(w) = &f.wal else { return };
    policies(n, name, &["default-deny", "allow-dns", "applier"]);
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

fn replication(n: &mut Names, r: &Resolved, name: &Src) {
    let s = &r.spec;
    let Shape::Replication(rep) = &s.shape else {
        return;
    };
    n.object("RedisReplication", &SUBDOMAIN, name, "");
    n.object("RedisSentinel", &SUBDOMAIN, name, "");
    n.object("ConfigMap", &SUBDOMAIN, name, "-redis-config");
    if s.exposure
        .as_ref()
        .is_some_and(|e| e.type_ != ServiceType::ClusterIP)
    {
        n.object("Service", &SERVICE, name, "-external");
        policies(n, name, &["allow-external"]);
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
    let sentinel = format!("{}-sentinel", r.name);
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
    let chart_names: &[(&str, &'static Limit, &str)] = match &r.spec.shape {
        Shape::Failover(_) => return,
        // bitnami/redis, architecture standalone: templates/master/application.yaml,
        // master/service.yaml, headless-svc.yaml.
        Shape::Standalone(_) => &[
            ("StatefulSet", &STATEFULSET, "-master"),
            ("Service", &SERVICE, "-master"),
            ("Service", &SERVICE, "-headless"),
            ("ConfigMap", &SUBDOMAIN, "-configuration"),
            ("ConfigMap", &SUBDOMAIN, "-health"),
            ("ConfigMap", &SUBDOMAIN, "-scripts"),
        ],
        // bitnami/redis with Sentinel: templates/sentinel/statefulset.yaml (`<f>-node`),
        // sentinel/service.yaml (`<f>`), headless-svc.yaml.
        Shape::Replication(_) => &[
            ("StatefulSet", &STATEFULSET, "-node"),
            ("Service", &SERVICE, ""),
            ("Service", &SERVICE, "-headless"),
            ("ConfigMap", &SUBDOMAIN, "-configuration"),
            ("ConfigMap", &SUBDOMAIN, "-health"),
            ("ConfigMap", &SUBDOMAIN, "-scripts"),
        ],
        // bitnami/redis-cluster: templates/redis-statefulset.yaml (`<f>`), redis-svc.yaml,
        // headless-svc.yaml.
        Shape::Cluster(_) => &[
            ("StatefulSet", &STATEFULSET, ""),
            ("Service", &SERVICE, ""),
            ("Service", &SERVICE, "-headless"),
            ("ConfigMap", &SUBDOMAIN, "-default"),
            ("ConfigMap", &SUBDOMAIN, "-scripts"),
        ],
    };
    let release = Src::new(r.at("outputs", "/helm/release"), &h.release);
    n.object("HelmRelease", &HELM_RELEASE, &release, "");
    n.object("OCIRepository", &SUBDOMAIN, &release, "");
    n.object("ConfigMap", &HASHED_CONFIGMAP, &release, "-values");
    let hns = Src::new(r.at("outputs", "/helm/namespace"), &h.namespace);
    n.object(NAMESPACE_KIND, &NAMESPACE, &hns, "");
    // rkv sets `fullnameOverride` to the name: the chart's `common.names.fullname`.
    const BY: &str = "Bitnami chart";
    for (kind, limit, suffix) in chart_names {
        n.add(kind, BY, limit, name, format!("{}{suffix}", r.name));
    }
}

/// One name over its limit or against its format, found in a variant.
struct Violation<'a> {
    d: &'a Derived,
    variant: &'a Variant,
}

/// What one spec field does to the names it is part of, over every variant.
#[derive(Default)]
struct Field<'a> {
    /// The name furthest over its limit.
    long: Option<Violation<'a>>,
    /// The first name against its format.
    bad: Option<Violation<'a>>,
    /// The longest the field may be for every name to fit.
    room: Option<usize>,
}

/// Every finding about names, namespaces and labels, for all variants of the spec.
pub fn check(l: &Loaded, variants: &[Resolved], out: &mut Vec<Diagnostic>) {
    let all: Vec<(Variant, Vec<Derived>)> = variants
        .iter()
        .map(|r| (r.variant.clone(), derived(&l.topology, r)))
        .collect();
    // Per spec field: the worst length violation, the first format violation, and the
    // room the field has under every name it is part of.
    let mut by_field: BTreeMap<&str, Field> = BTreeMap::new();
    for (variant, names) in &all {
        for d in names {
            let e = by_field.entry(d.pointer.as_str()).or_default();
            let room = d.room().unwrap_or(0);
            e.room = Some(e.room.map_or(room, |r| r.min(room)));
            let len = d.name.chars().count();
            if len > d.limit.max {
                let worse = match &e.long {
                    None => true,
                    Some(v) => {
                        let (vl, dl) =
                            (v.d.name.chars().count() - v.d.limit.max, len - d.limit.max);
                        dl > vl || (dl == vl && d.limit.max < v.d.limit.max)
                    }
                };
                if worse {
                    e.long = Some(Violation { d, variant });
                }
            }
            if e.bad.is_none() && !d.limit.format.accepts(&d.name) {
                e.bad = Some(Violation { d, variant });
            }
        }
    }
    for (pointer, f) in by_field {
        let field = crate::spec::load::dotted(pointer);
        if let Some(v) = f.long {
            let d = v.d;
            let help = match f.room {
                Some(k) if k >= 1 => format!(
                    "shorten `{field}` to at most {k} characters (it has {})",
                    d.value.chars().count()
                ),
                _ => format!(
                    "the rest of {} already takes more than {} characters: shorten the other fields it is made of",
                    describe(d),
                    d.limit.max
                ),
            };
            out.push(
                l.diag(
                    code(d),
                    Severity::Error,
                    pointer,
                    format!(
                        "{} would be `{}`{}, {} characters, more than the {} allowed: {}",
                        describe(d),
                        d.name,
                        of_variant(v.variant),
                        d.name.chars().count(),
                        d.limit.max,
                        d.limit.why
                    ),
                )
                .help(help),
            );
        }
        if let Some(v) = f.bad {
            let d = v.d;
            out.push(
                l.diag(
                    code(d),
                    Severity::Error,
                    pointer,
                    format!(
                        "{} would be `{}`{}, which is not {}",
                        describe(d),
                        d.name,
                        of_variant(v.variant),
                        d.limit.format.describe()
                    ),
                )
                .help(format!(
                    "change `{field}` so that {} is {}",
                    describe(d),
                    short(d.limit.format)
                )),
            );
        }
    }
    labels(l, variants, out);
}

/// RKV106 for label values, RKV105 for names.
fn code(d: &Derived) -> &'static str {
    if d.kind == "label value" {
        "RKV106"
    } else {
        "RKV105"
    }
}

fn short(f: Format) -> &'static str {
    match f {
        Format::Dns1123Label => "an RFC 1123 label",
        Format::Dns1123Subdomain => "an RFC 1123 subdomain",
        Format::Dns1035Label => "an RFC 1035 label (it must start with a letter)",
        Format::LabelValue => "a valid label value",
        Format::QualifiedName => "a valid label key",
        Format::Any => "accepted",
    }
}

/// `the StatefulSet`, `the Spotahome operator's StatefulSet`, `the namespace`.
fn describe(d: &Derived) -> String {
    match (d.kind, d.by) {
        (NAMESPACE_KIND, _) => "the namespace".to_string(),
        ("label value", _) => format!("the value of label `{}`", d.label),
        (COMMON_NAME_KIND, _) => format!("the {COMMON_NAME_KIND}"),
        (k, RKV) => format!("the {k}"),
        (k, by) => format!("the {by}'s {k}"),
    }
}

fn of_variant(v: &Variant) -> String {
    match v {
        Variant::Base => String::new(),
        Variant::Environment(e) => format!(" in environment `{e}`"),
        Variant::Site(s) => format!(" on site `{s}`"),
    }
}

/// The labels the spec writes itself: `metadata.labels` on every object and each client's
/// `podSelector` in the NetworkPolicies (RKV106).
fn labels(l: &Loaded, variants: &[Resolved], out: &mut Vec<Diagnostic>) {
    let mut maps: Vec<(String, &BTreeMap<String, String>)> = Vec::new();
    if let Some(r) = variants.first() {
        maps.push(("/metadata/labels".to_string(), &r.labels));
    }
    for r in variants {
        for (i, c) in r.spec.clients.iter().enumerate() {
            maps.push((
                r.at("clients", &format!("/{i}/podSelector")),
                &c.pod_selector,
            ));
        }
    }
    let mut seen = Vec::new();
    for (at, map) in maps {
        for (k, v) in map {
            let p = format!("{at}/{}", escape(k));
            if seen.contains(&p) {
                continue;
            }
            seen.push(p.clone());
            let field = crate::spec::load::dotted(&p);
            if !LABEL_KEY.format.accepts(k) {
                let pos = l.tree.key_pos(&p);
                out.push(
                    Diagnostic::new(
                        "RKV106",
                        Severity::Error,
                        &l.source.file,
                        format!("`{k}` is not {}", Format::QualifiedName.describe()),
                    )
                    .at(&l.source.text, pos, &field)
                    .help("a label key is at most 63 characters (after an optional `prefix/`): `app`, `app.kubernetes.io/name`"),
                );
            }
            let len = v.chars().count();
            if len > LABEL_VALUE.max {
                out.push(
                    l.diag(
                        "RKV106",
                        Severity::Error,
                        &p,
                        format!("the value of label `{k}` is {len} characters, more than the 63 allowed: {}", LABEL_VALUE.why),
                    )
                    .help(format!("shorten `{field}` to at most 63 characters")),
                );
            } else if !LABEL_VALUE.format.accepts(v) {
                out.push(
                    l.diag(
                        "RKV106",
                        Severity::Error,
                        &p,
                        format!(
                            "the value `{v}` of label `{k}` is not {}",
                            Format::LabelValue.describe()
                        ),
                    )
                    .help(format!("change `{field}` to a valid label value")),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_follow_apimachinery() {
        use Format::*;
        for (f, ok, bad) in [
            (
                Dns1123Label,
                &["a", "0a", "a-0", "redis"][..],
                &["", "-a", "a-", "A", "a.b", "a_b"][..],
            ),
            (
                Dns1123Subdomain,
                &["a", "a.b", "0.a-1"],
                &["", ".a", "a.", "a..b", "A"],
            ),
            (Dns1035Label, &["a", "a-0", "redis"], &["0a", "", "a-", "A"]),
            (
                LabelValue,
                &["", "a", "A_b.c-9", "0"],
                &["-a", "a-", "a b", "a/b"],
            ),
            (
                QualifiedName,
                &["app", "app.kubernetes.io/name", "A_b"],
                &["", "/a", "a/", "a/b/c", "Ex.com/a"],
            ),
        ] {
            for s in ok {
                assert!(f.accepts(s), "{f:?} refuses {s:?}");
            }
            for s in bad {
                assert!(!f.accepts(s), "{f:?} accepts {s:?}");
            }
        }
        assert!(Format::QualifiedName.accepts(&"a".repeat(63)));
        assert!(!Format::QualifiedName.accepts(&"a".repeat(64)));
    }

    #[test]
    fn room_is_what_the_value_may_grow_to() {
        let d = Derived {
            kind: "StatefulSet",
            label: "",
            by: RKV,
            name: "kv-node".into(),
            limit: &STATEFULSET,
            pointer: "/metadata/name".into(),
            value: "kv".into(),
        };
        assert_eq!(d.room(), Some(47));
        let cn = Derived {
            name: "kv.kv.svc".into(),
            limit: &COMMON_NAME,
            ..d.clone()
        };
        assert_eq!(
            cn.room(),
            Some(57),
            "the namespace `kv` is not the name `kv`"
        );
        let full = Derived {
            name: format!("{}-x", "n".repeat(60)),
            value: "n".repeat(60),
            limit: &JOB,
            ..d
        };
        assert_eq!(full.room(), Some(61));
    }
}
