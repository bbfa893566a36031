//! Why rkv renders a field differently than the source: one table of rules, each a kind,
//! a field pattern, the kinds of change it explains, and the reason.
//!
//! In: a difference (object kind, field path, added / changed / removed). Out: the reason
//! it is deliberate, or nothing (a source field nothing explains is lost). Invariant: a
//! rule explains only the changes it names; a source value rkv drops is lost unless a
//! rule says where it went or why rkv replaces it.

/// One segment of a field path the rules match: a mapping key or a list item (by its key or index).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Seg {
    Key(String),
    Item(String),
}

/// What happened to a field between the source and the rendered object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Only the rendered object has it.
    Added,
    /// Both have it, with different values.
    Changed,
    /// Only the source has it.
    Removed,
}

/// Why a rule's changes are deliberate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// A reason that holds whatever the spec says.
    Policy(&'static str),
    /// The budget over the pods: a finding's fix (RKV110) or rkv's own arithmetic.
    Budget,
    /// Explained by the fix of this finding code, when import made it.
    Fix(Code),
}

pub struct Rule {
    /// Kinds the rule applies to (empty: every kind).
    pub kinds: &'static [&'static str],
    /// Field pattern: `**` any number of fields, `*` one field, `[*]` one list item;
    /// `*` inside a segment matches any text.
    pub path: &'static [&'static str],
    pub on: &'static [Change],
    pub why: Why,
}

use crate::diag::{Code, codes};
use Change::{Added as A, Changed as C, Removed as R};

const ACR: &[Change] = &[A, C, R];
const AC: &[Change] = &[A, C];

const LABELS: &str = "rkv's `app.kubernetes.io/*` labels: `rkv diff` finds its objects by them";
const SELECT: &str =
    "rkv selects the pods by its own `app.kubernetes.io/{name,instance,component}` labels";
const SECURE: &str = "rkv's security defaults: non-root, no privilege escalation, every capability dropped, RuntimeDefault seccomp, read-only root filesystem";
const PROBES: &str = "rkv's probes (for Redis `redis-cli ping`, authenticated through REDISCLI_AUTH set from the password file, over TLS where Redis serves only TLS)";
const PASSWORD_FILES: &str = "passwords are files from the same Secret, never environment values or arguments: the exporter reads `REDIS_PASSWORD_FILE`, which its init container writes (checkov CKV_K8S_35)";
const JOBS: &str =
    "rkv's own Job (its script is in the rendered scripts ConfigMap; RUNBOOK.md describes it)";
const OPERATOR_SVC: &str = "rkv exposes the primary through its own Service `<name>-external` (selecting `redis-role: master`); the operator's Service selects every pod, so writes would reach read-only replicas. A new Service gets a new address: external-dns moves the name to it";
const KEEP: &str = "neither Flux nor Argo CD deletes it (pruned from the tree, or with its Kustomization or Application): its data outlives any render";
pub const INERT_MASTER: &str = "with Sentinel the chart runs every node from `replica.*`: `master.*` never took effect; rkv keeps it equal to `replica.*`";

#[rustfmt::skip]
pub const RULES: &[Rule] = &[
    // Labels and selectors.
    Rule { kinds: &[], path: &["metadata", "labels", "app.kubernetes.io/*"], on: AC, why: Why::Policy(LABELS) },
    Rule { kinds: &[], path: &["**", "metadata", "labels", "app.kubernetes.io/*"], on: AC, why: Why::Policy(LABELS) },
    Rule { kinds: &["Deployment", "StatefulSet", "PodDisruptionBudget", "Job"], path: &["spec", "selector", "**"], on: ACR, why: Why::Policy(SELECT) },
    Rule { kinds: &["Service"], path: &["spec", "selector", "redis-role"], on: &[A], why: Why::Policy("the primary only: the operator labels it `redis-role: master` after every failover") },
    Rule { kinds: &["Service"], path: &["spec", "selector", "**"], on: ACR, why: Why::Policy(SELECT) },
    Rule { kinds: &[], path: &["**", "labelSelector", "**"], on: ACR, why: Why::Policy(SELECT) },
    Rule { kinds: &["NetworkPolicy"], path: &["spec", "podSelector", "**"], on: ACR, why: Why::Policy(SELECT) },
    Rule { kinds: &["RedisFailover"], path: &["spec", "labelWhitelist", "**"], on: AC, why: Why::Policy("the CR's labels do not reach the operator's objects, so `rkv diff` never prunes them") },
    // Pod hardening.
    Rule { kinds: &[], path: &["**", "securityContext", "**"], on: AC, why: Why::Policy(SECURE) },
    Rule { kinds: &[], path: &["**", "podSecurityContext", "**"], on: AC, why: Why::Policy(SECURE) },
    Rule { kinds: &[], path: &["**", "containerSecurityContext", "**"], on: AC, why: Why::Policy(SECURE) },
    Rule { kinds: &[], path: &["**", "configCopy", "**"], on: AC, why: Why::Policy(SECURE) },
    Rule { kinds: &[], path: &["**", "automountServiceAccountToken"], on: AC, why: Why::Policy("no service account token: nothing in the pod calls the Kubernetes API") },
    Rule { kinds: &["HelmValues"], path: &["serviceAccount", "automountServiceAccountToken"], on: AC, why: Why::Policy("no service account token: nothing in the pod calls the Kubernetes API") },
    Rule { kinds: &[], path: &["**", "enableServiceLinks"], on: AC, why: Why::Policy("no Service environment variables: they put every Service's address into the pod") },
    // Probes, ports, environment, volumes.
    Rule { kinds: &[], path: &["**", "livenessProbe", "**"], on: ACR, why: Why::Policy(PROBES) },
    Rule { kinds: &[], path: &["**", "readinessProbe", "**"], on: ACR, why: Why::Policy(PROBES) },
    Rule { kinds: &[], path: &["**", "startupProbe", "**"], on: ACR, why: Why::Policy(PROBES) },
    Rule { kinds: &[], path: &["**", "containers", "[*]", "name"], on: AC, why: Why::Policy("rkv names its containers (`redis`, `exporter`)") },
    Rule { kinds: &[], path: &["**", "ports", "[*]", "name"], on: AC, why: Why::Policy("named ports, which Services and probes refer to") },
    Rule { kinds: &["Service"], path: &["spec", "ports", "[*]", "targetPort"], on: AC, why: Why::Policy("the Service targets the container's named port") },
    Rule { kinds: &[], path: &["**", "env", "[REDISCLI_AUTH]", "**"], on: &[A], why: Why::Policy("REDISCLI_AUTH: probes and tools authenticate without the password on the command line") },
    Rule { kinds: &[], path: &["**", "containers", "[exporter]", "env", "[REDIS_PASSWORD]", "**"], on: &[R], why: Why::Policy(PASSWORD_FILES) },
    Rule { kinds: &[], path: &["**", "env", "[*_PASSWORD_FILE]", "**"], on: &[A], why: Why::Policy(PASSWORD_FILES) },
    Rule { kinds: &[], path: &["**", "initContainers", "**"], on: &[A], why: Why::Policy(PASSWORD_FILES) },
    Rule { kinds: &[], path: &["**", "volumeMounts", "[/run/redis-exporter]", "**"], on: &[A], why: Why::Policy(PASSWORD_FILES) },
    Rule { kinds: &[], path: &["**", "containers", "[*]", "resources", "**"], on: &[A], why: Why::Policy("requests and limits of rkv's own containers (exporter, Jobs, applier), sized for their work; Redis' own are the spec's `resources`") },
    Rule { kinds: &[], path: &["**", "env", "[POD_NAME]", "**"], on: &[A], why: Why::Policy("each pod announces its own DNS name (`--cluster-announce-hostname`)") },
    Rule { kinds: &[], path: &["**", "env", "[REDIS_EXPORTER_*]", "**"], on: ACR, why: Why::Policy("the exporter's listen address and client certificate, from the spec") },
    Rule { kinds: &[], path: &["**", "env", "[REDIS_ADDR]", "**"], on: ACR, why: Why::Policy("the exporter reaches Redis over TLS where Redis serves only TLS") },
    Rule { kinds: &[], path: &["**", "volumeMounts", "[*]", "readOnly"], on: AC, why: Why::Policy("configuration and certificates are mounted read-only") },
    Rule { kinds: &[], path: &["**", "volumeMounts", "[*]", "name"], on: AC, why: Why::Policy("rkv names its volumes") },
    Rule { kinds: &[], path: &["**", "volumes", "[*]", "secret", "defaultMode"], on: AC, why: Why::Policy("Secrets are mounted mode 0440: readable by the pod's user and group only") },
    Rule { kinds: &[], path: &["**", "volumes", "[*]", "configMap", "defaultMode"], on: AC, why: Why::Policy("scripts are mounted read and execute only (0555)") },
    Rule { kinds: &[], path: &["**", "volumes", "[configMap:*]", "**"], on: &[A, R], why: Why::Policy("the Redis configuration ConfigMap, under rkv's name; its content is compared as the pod's Redis configuration") },
    Rule { kinds: &[], path: &["**", "volumes", "[persistentVolumeClaim:*]", "**"], on: &[A, R], why: Why::Policy("the claim under rkv's name (`<name>-data`, `<name>-backup`)") },
    Rule { kinds: &[], path: &["**", "volumeMounts", "[/etc/redis/*]", "**"], on: &[A, R], why: Why::Policy("rkv mounts its configuration and certificates under /etc/redis (conf, tls, client-tls)") },
    Rule { kinds: &[], path: &["**", "volumes", "[secret:*]", "**"], on: &[A], why: Why::Policy("Secrets mounted as files: the client certificate (probes, the exporter and Jobs present it) and the password, which nothing reads from the environment") },
    Rule { kinds: &[], path: &["**", "volumes", "[emptyDir:*]", "**"], on: &[A], why: Why::Policy("a writable /tmp beside the read-only root filesystem") },
    Rule { kinds: &[], path: &["**", "volumeMounts", "[/tmp]", "**"], on: &[A], why: Why::Policy("a writable /tmp beside the read-only root filesystem") },
    Rule { kinds: &[], path: &["**", "volumeMounts", "[/scripts]", "**"], on: &[A], why: Why::Policy(JOBS) },
    Rule { kinds: &[], path: &["**", "volumes", "[configMap:*-scripts]", "**"], on: &[A], why: Why::Policy(JOBS) },
    Rule { kinds: &[], path: &["**", "redis-server", "conf-file"], on: ACR, why: Why::Policy("rkv mounts redis.conf at /etc/redis/conf/redis.conf") },
    Rule { kinds: &[], path: &["spec", "template", "metadata", "annotations", "rkv.dev/config-fingerprint"], on: &[A], why: Why::Policy("a fingerprint of redis.conf: the pods restart when it changes") },
    Rule { kinds: &[], path: &["spec", "template", "metadata", "annotations", "kubectl.kubernetes.io/default-container"], on: &[A], why: Why::Policy("`kubectl logs` and `exec` pick the Redis container") },
    Rule { kinds: &[], path: &["**", "affinity", "podAntiAffinity", "**"], on: AC, why: Why::Policy("rkv's anti-affinity term from `placement`, over the labels it selects the pods by") },
    Rule { kinds: &[], path: &["**", "topologySpreadConstraints", "**"], on: AC, why: Why::Policy("rkv's topology spread from `placement`, over the labels it selects the pods by") },
    // Workloads.
    Rule { kinds: &["Deployment"], path: &["spec", "strategy", "**"], on: ACR, why: Why::Policy("`Recreate`: the ReadWriteOnce volume is released before the new pod starts") },
    Rule { kinds: &["StatefulSet"], path: &["spec", "podManagementPolicy"], on: AC, why: Why::Policy("`Parallel`: the cluster's pods start together, so the init Job can join them") },
    Rule { kinds: &["StatefulSet"], path: &["spec", "serviceName"], on: AC, why: Why::Policy("the headless Service rkv names after the topology") },
    // Redis configuration (compared as directives, with Redis's defaults).
    Rule { kinds: &[], path: &["**", "redis.conf", "cluster-preferred-endpoint-type"], on: AC, why: Why::Policy("pods announce their stable DNS name, so a reschedule does not strand clients") },
    Rule { kinds: &[], path: &["**", "redis.conf", "cluster-announce-hostname"], on: AC, why: Why::Policy("pods announce their stable DNS name, so a reschedule does not strand clients") },
    Rule { kinds: &[], path: &["**", "redis.conf", "cluster-config-file"], on: AC, why: Why::Policy("nodes.conf lives on the data volume, so a pod keeps its identity across restarts") },
    Rule { kinds: &[], path: &["**", "redis.conf", "dir"], on: ACR, why: Why::Policy("the data directory is the volume, /data (the Bitnami charts set their persistence path)") },
    Rule { kinds: &[], path: &["**", "redis.conf", "tls-client-*"], on: AC, why: Why::Policy("outgoing bus and replication links present the client certificate") },
    Rule { kinds: &[], path: &["**", "redis.conf", "tls-cluster"], on: AC, why: Why::Policy("the cluster bus runs over TLS too") },
    Rule { kinds: &[], path: &["**", "redis.conf", "tls-replication"], on: AC, why: Why::Policy("replication runs over TLS too") },
    Rule { kinds: &[], path: &["**", "redis.conf", "tls-*-file"], on: AC, why: Why::Policy("rkv mounts the server certificate at /etc/redis/tls") },
    Rule { kinds: &[], path: &["**", "redis.conf", "masterauth"], on: &[A], why: Why::Policy("replicas authenticate to their primary with the same password") },
    Rule { kinds: &[], path: &["**", "redis.conf", "protected-mode"], on: AC, why: Why::Policy("no password: protected mode would refuse every other pod; the NetworkPolicies keep others out") },
    Rule { kinds: &[], path: &["**", "redis.conf", "port"], on: AC, why: Why::Fix(codes::RKV142) },
    Rule { kinds: &[], path: &["**", "redis.conf", "port"], on: AC, why: Why::Fix(codes::RKV107) },
    Rule { kinds: &[], path: &["**", "sentinel.conf", "*"], on: &[A], why: Why::Policy("the spec's Sentinel settings, written out") },
    // Services.
    Rule { kinds: &["Service"], path: &["spec", "publishNotReadyAddresses"], on: AC, why: Why::Policy("cluster peers resolve each other before they are ready") },
    Rule { kinds: &["Service"], path: &["spec", "ports", "[*]", "**"], on: &[A], why: Why::Policy("a port the shape needs (the cluster bus, metrics)") },
    Rule { kinds: &["Service"], path: &["spec", "externalTrafficPolicy"], on: AC, why: Why::Policy("`Local` keeps the client's address for loadBalancerSourceRanges and the NetworkPolicy") },
    // Disruption budgets.
    Rule { kinds: &["PodDisruptionBudget"], path: &["spec", "minAvailable"], on: ACR, why: Why::Budget },
    Rule { kinds: &["PodDisruptionBudget"], path: &["spec", "maxUnavailable"], on: ACR, why: Why::Budget },
    Rule { kinds: &["PodDisruptionBudget"], path: &["spec", "unhealthyPodEvictionPolicy"], on: AC, why: Why::Policy("`AlwaysAllow`: a broken pod never blocks a node drain") },
    Rule { kinds: &["RedisReplication", "HelmValues"], path: &["**", "pdb", "**"], on: ACR, why: Why::Budget },
    Rule { kinds: &["RedisSentinel"], path: &["spec", "pdb", "**"], on: ACR, why: Why::Policy("rkv's Sentinel budget: minAvailable = max(quorum, floor(n/2) + 1) (`rkv explain` shows it)") },
    Rule { kinds: &["RedisFailover"], path: &["spec", "*", "disablePodDisruptionBudget"], on: AC, why: Why::Policy("rkv writes its own PDBs: two PDBs over one pod make every eviction fail") },
    // Jobs.
    Rule { kinds: &["CronJob"], path: &["spec", "jobTemplate", "spec", "template", "spec", "containers", "**"], on: ACR, why: Why::Policy(JOBS) },
    Rule { kinds: &["CronJob"], path: &["spec", "jobTemplate", "spec", "template", "spec", "volumes", "**"], on: ACR, why: Why::Policy(JOBS) },
    Rule { kinds: &["CronJob"], path: &["spec", "jobTemplate", "spec", "template", "spec", "restartPolicy"], on: AC, why: Why::Policy("a failed backup is a failed Job (the BackupFailed alert fires), not a restart loop") },
    Rule { kinds: &["CronJob"], path: &["spec", "jobTemplate", "spec", "backoffLimit"], on: AC, why: Why::Policy("one retry: the next schedule is the next attempt") },
    Rule { kinds: &["CronJob"], path: &["spec", "concurrencyPolicy"], on: AC, why: Why::Policy("`Forbid`: a backup never overlaps the previous one") },
    Rule { kinds: &["CronJob"], path: &["spec", "*JobsHistoryLimit"], on: AC, why: Why::Policy("the last three runs are kept for `kubectl logs`") },
    Rule { kinds: &["CronJob"], path: &["spec", "timeZone"], on: AC, why: Why::Policy("schedules are in UTC, whatever the controller's zone") },
    Rule { kinds: &["Job"], path: &["spec", "template", "spec", "containers", "**"], on: ACR, why: Why::Policy(JOBS) },
    Rule { kinds: &["Job"], path: &["spec", "template", "spec", "volumes", "**"], on: ACR, why: Why::Policy(JOBS) },
    Rule { kinds: &["Job"], path: &["spec", "backoffLimit"], on: AC, why: Why::Policy("three retries while the pods come up") },
    Rule { kinds: &["Job"], path: &["spec", "template", "spec", "restartPolicy"], on: AC, why: Why::Policy("a failed try is a new pod, counted by `backoffLimit`") },
    Rule { kinds: &["Job"], path: &["metadata", "annotations", "kustomize.toolkit.fluxcd.io/force"], on: &[A], why: Why::Policy("Flux recreates the Job when its spec changes (a Job's template is immutable)") },
    // Alerts.
    Rule { kinds: &["PrometheusRule"], path: &["spec", "groups"], on: AC, why: Why::Policy("rkv names the rule group `<name>.rules`") },
    Rule { kinds: &["PrometheusRule"], path: &["spec", "rules", "[*]", "expr"], on: &[C], why: Why::Policy("rkv's expression: series redis_exporter and kube-state-metrics really export, scoped to this topology's namespace and Service (the comment on the rendered PrometheusRule says where the source's match none or mislead)") },
    Rule { kinds: &["PrometheusRule"], path: &["spec", "rules", "[*]", "annotations", "**"], on: ACR, why: Why::Policy("rkv's alert text") },
    // Operator CRs.
    Rule { kinds: &["RedisFailover"], path: &["spec", "redis", "storage", "keepAfterDeletion"], on: AC, why: Why::Policy("the volumes outlive the CR: deleting it must not delete the data") },
    Rule { kinds: &["RedisFailover"], path: &["spec", "redis", "storage", "persistentVolumeClaim", "metadata", "name"], on: &[A], why: Why::Policy("rkv names the claim template `redis-data`") },
    Rule { kinds: &["RedisFailover"], path: &["spec", "sentinel", "image"], on: &[A], why: Why::Policy("Sentinel runs the Redis image of the CR, not the operator's own") },
    Rule { kinds: &["RedisFailover"], path: &["spec", "redis", "command"], on: &[A], why: Why::Policy("the durability settings on Redis's command line, in force from start (customConfig is applied by CONFIG SET only once the pod runs)") },
    Rule { kinds: &["RedisReplication", "RedisSentinel"], path: &["**", "imagePullPolicy"], on: AC, why: Why::Policy("`IfNotPresent`: pinned tags are pulled once") },
    Rule { kinds: &["RedisReplication"], path: &["spec", "kubernetesConfig", "service", "**"], on: &[R], why: Why::Policy(OPERATOR_SVC) },
    Rule { kinds: &["RedisReplication"], path: &["spec", "redisConfig", "additionalRedisConfig"], on: AC, why: Why::Policy("rkv names the ConfigMap `<name>-redis-config`; its content is compared as the Redis configuration") },
    Rule { kinds: &["RedisReplication"], path: &["spec", "redisExporter", "securityContext", "**"], on: AC, why: Why::Policy(SECURE) },
    // Helm values.
    Rule { kinds: &["HelmValues"], path: &["fullnameOverride"], on: AC, why: Why::Policy("rkv pins the full name to the spec's name: object names never depend on the release name") },
    Rule { kinds: &["HelmValues"], path: &["commonLabels", "**"], on: AC, why: Why::Policy(LABELS) },
    Rule { kinds: &["HelmValues"], path: &["networkPolicy", "**"], on: AC, why: Why::Policy("rkv's NetworkPolicy values: deny by default, clients from `clients`, DNS egress, metrics from the monitoring namespace") },
    Rule { kinds: &["HelmValues"], path: &["replica", "replicaCount"], on: &[C], why: Why::Fix(codes::RKV175) },
    Rule { kinds: &["HelmValues"], path: &["replica", "replicaCount"], on: &[C], why: Why::Fix(codes::RKV115) },
    Rule { kinds: &["HelmValues"], path: &["auth", "existingSecret*"], on: AC, why: Why::Policy("rkv names the password Secret: the one the values name (`createdBy: external`), or the chart's own `<fullname>` / `redis-password` when they name none (`createdBy: chart`, so the chart keeps making it and no upgrade deletes it)") },
    Rule { kinds: &["HelmValues"], path: &["auth", "sentinel"], on: AC, why: Why::Policy("Sentinel asks for the password too") },
    Rule { kinds: &["HelmValues"], path: &["sentinel", "image", "**"], on: &[A], why: Why::Policy("Sentinel runs the `redis-sentinel` image of the Redis image's registry and tag") },
    Rule { kinds: &["HelmValues"], path: &["metrics", "prometheusRule", "**"], on: AC, why: Why::Policy("rkv's alerts for the chart (persistence, BGSAVE, AOF, disk)") },
    Rule { kinds: &["HelmValues"], path: &["global", "security", "allowInsecureImages"], on: AC, why: Why::Policy("the chart refuses to install images outside docker.io/bitnami/ (where no versioned tag pulls since 2025) unless this is set") },
    // Data objects: no GitOps controller deletes them.
    Rule { kinds: &["PersistentVolumeClaim", "KafkaTopic", "KafkaUser"], path: &["metadata", "annotations", "argocd.argoproj.io/sync-options"], on: AC, why: Why::Policy(KEEP) },
    Rule { kinds: &["PersistentVolumeClaim", "KafkaTopic", "KafkaUser"], path: &["metadata", "annotations", "kustomize.toolkit.fluxcd.io/prune"], on: AC, why: Why::Policy(KEEP) },
    // Images: a tag that no longer pulls, replaced by the same image where it pulls.
    Rule { kinds: &["HelmValues"], path: &["**", "image", "repository"], on: &[C], why: Why::Fix(codes::RKV177) },
    Rule { kinds: &[], path: &["**", "image"], on: &[C], why: Why::Fix(codes::RKV177) },
];

/// Whether `path` matches `pattern`.
pub fn matches(pattern: &[&str], path: &[Seg]) -> bool {
    match pattern.split_first() {
        None => path.is_empty(),
        Some((&"**", rest)) => (0..=path.len()).any(|i| matches(rest, &path[i..])),
        Some((p, rest)) => match path.split_first() {
            Some((seg, tail)) => seg_matches(p, seg) && matches(rest, tail),
            None => false,
        },
    }
}

fn seg_matches(p: &str, seg: &Seg) -> bool {
    match (p.strip_prefix('[').and_then(|s| s.strip_suffix(']')), seg) {
        (Some(inner), Seg::Item(k)) => glob(inner, k),
        (None, Seg::Key(k)) => glob(p, k),
        _ => false,
    }
}

/// `*` matches any text (one segment).
pub fn glob(p: &str, s: &str) -> bool {
    match p.split_once('*') {
        None => p == s,
        Some((head, tail)) => {
            let Some(rest) = s.strip_prefix(head) else {
                return false;
            };
            (0..=rest.len())
                .filter(|i| rest.is_char_boundary(*i))
                .any(|i| glob(tail, &rest[i..]))
        }
    }
}

/// Fields Kubernetes refuses to change in place, per kind.
const IMMUTABLE: &[(&str, &[&str])] = &[
    ("Deployment", &["spec", "selector", "**"]),
    ("StatefulSet", &["spec", "selector", "**"]),
    ("StatefulSet", &["spec", "serviceName"]),
    ("StatefulSet", &["spec", "podManagementPolicy"]),
    ("StatefulSet", &["spec", "volumeClaimTemplates", "**"]),
    ("PersistentVolumeClaim", &["spec", "storageClassName"]),
    ("PersistentVolumeClaim", &["spec", "accessModes"]),
    ("Job", &["spec", "template", "**"]),
    ("Job", &["spec", "selector", "**"]),
    ("Service", &["spec", "clusterIP"]),
    ("RedisFailover", &["spec", "redis", "storage", "**"]),
    ("RedisReplication", &["spec", "storage", "**"]),
];

/// Whether a change of `path` in a `kind` needs the object recreated.
pub fn immutable(kind: &str, path: &[Seg]) -> bool {
    IMMUTABLE
        .iter()
        .any(|(k, p)| *k == kind && matches(p, path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(s: &[&str]) -> Vec<Seg> {
        s.iter()
            .map(
                |x| match x.strip_prefix('[').and_then(|x| x.strip_suffix(']')) {
                    Some(k) => Seg::Item(k.to_string()),
                    None => Seg::Key(x.to_string()),
                },
            )
            .collect()
    }

    #[test]
    fn patterns() {
        let p = path(&[
            "spec",
            "template",
            "spec",
            "containers",
            "[redis]",
            "securityContext",
            "runAsUser",
        ]);
        assert!(matches(&["**", "securityContext", "**"], &p));
        assert!(matches(&["spec", "**", "[*]", "securityContext", "*"], &p));
        assert!(!matches(&["**", "livenessProbe", "**"], &p));
        assert!(!matches(&["spec", "*"], &p));
        let l = path(&["metadata", "labels", "app.kubernetes.io/name"]);
        assert!(matches(&["metadata", "labels", "app.kubernetes.io/*"], &l));
        assert!(!matches(&["metadata", "labels", "app"], &l));
        assert!(glob("tls-*-file", "tls-cert-file") && !glob("tls-*-file", "tls-port"));
        assert!(glob("*JobsHistoryLimit", "failedJobsHistoryLimit"));
    }

    #[test]
    fn immutables() {
        assert!(immutable(
            "StatefulSet",
            &path(&["spec", "selector", "matchLabels", "app"])
        ));
        assert!(!immutable("StatefulSet", &path(&["spec", "replicas"])));
        assert!(!immutable("Deployment", &path(&["spec", "serviceName"])));
    }
}
