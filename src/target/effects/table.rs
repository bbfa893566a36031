//! The rows of the table of effects: every spec field's effect on each target, with the
//! reasons and help lines of the refusals.
//!
//! In: nothing (constant data). Out: [`TABLE`], read through the functions of the parent
//! module. Kept apart from them so the data can grow without the code around it.

use super::{Effect, Pinned, Row, Why};
use Effect::{Checks as C, Elsewhere as NA, Renders as R};

const fn x(reason: &'static str, help: &'static str) -> Effect {
    Effect::Refused(Why { reason, help })
}

const fn only(value: Pinned, reason: &'static str, help: &'static str) -> Effect {
    Effect::Only(value, Why { reason, help })
}

const fn by(code: &'static str) -> Effect {
    Effect::RefusedBy(code)
}

const SPOTAHOME_TLS: Effect = x(
    "the Spotahome operator has no TLS setting: it starts Redis and Sentinel on plaintext ports and checks them over plaintext",
    "remove `tls`, or use the `replication` shape (OT-CONTAINER-KIT serves TLS)",
);
const OPERATOR_CLIENT_CERT: Effect = x(
    "the operator's probes, exporter and own connections present the server certificate from `tls.serverSecret`; its CRD has no client certificate",
    "remove `tls.clientSecret`; give the server certificate the `client auth` usage when `mutual` is on (rkv's cert-manager Certificate has it)",
);
const CLUSTER_EXPOSURE: Effect = x(
    "a Redis Cluster client must reach every node (it is redirected by MOVED to the node that owns a slot), so one Service address cannot serve it",
    "keep the cluster inside Kubernetes (clients use the headless Service names), or use the `replication` or `standalone` shape for a single endpoint",
);
const CHART_SENTINEL_EXPOSURE: Effect = x(
    "the chart's only Service that follows the primary (`sentinel.masterService`) is experimental and needs a service account allowed to relabel pods; its other Services reach replicas too",
    "expose Sentinel to clients that ask it for the primary, or use the kustomize target (OT-CONTAINER-KIT labels the primary `redis-role: master`)",
);
const PLAINTEXT_CLOSED: Effect = only(
    Pinned::Bool(false),
    "with TLS, Redis serves TLS on `redis.port` and the plaintext port is closed (`port 0`); there is no second port for plaintext",
    "remove `plaintextPort` (or set it to `false`)",
);
const CHART_CLIENT_CERT: Effect = x(
    "the chart presents the server certificate from `tls.serverSecret` wherever it connects; it has no setting for a client certificate",
    "remove `tls.clientSecret`; give the server certificate the `client auth` usage when `mutual` is on",
);
const CHART_CERT_MANAGER: Effect = x(
    "rkv issues cert-manager Certificates only for the objects it names itself",
    "issue the certificate into `tls.serverSecret` yourself, naming the chart's Services",
);
const NO_EXPORTER: Effect = x(
    "the standalone Deployment has no exporter sidecar, ServiceMonitor or alerts",
    "remove `monitoring`",
);
const OPERATOR_SERVICE_MONITOR: Effect = x(
    "the operator makes the exporter's Service itself, and rkv renders no ServiceMonitor for it",
    "remove `serviceMonitor`, and select the operator's exporter Service with a ServiceMonitor of your own (the operator also annotates it for annotation-based scraping)",
);
const CHART_PORT: Effect = only(
    Pinned::Int(6379),
    "rkv does not set the chart's container and Service ports, which stay 6379",
    "remove `redis.port`",
);
const ONE_POD: Effect = x(
    "a standalone Redis is one pod: there is nothing to keep apart",
    "remove `placement`; use the `replication` or `cluster` shape to spread copies over nodes",
);
const ENV_ARGOCD: Effect = x(
    "an environment is a kustomize overlay of the base; rkv renders Argo CD Applications for sites only",
    "point an Application at `overlays/<environment>` yourself, or make the environments `sites`",
);
const HELM_ARGOCD: Effect = x(
    "rkv's Application syncs the site's kustomize tree, which `outputs.kustomize: false` does not render",
    "remove `argocd` and point an Application (or a Flux Kustomization) at `helm/<site>` yourself",
);

/// The table. A field's effect is its own row's, or its nearest ancestor's when it has
/// no row (rows are only written where fields inside a section differ from it).
pub const TABLE: &[Row] = &[
    Row {
        field: "metadata",
        effects: [R, R, R, R, R, R, R],
    },
    Row {
        field: "use",
        effects: [C, C, C, C, C, C, C],
    },
    Row {
        field: "shape",
        effects: [R, R, R, R, R, R, R],
    },
    Row {
        field: "shape.standalone",
        effects: [R, NA, NA, NA, R, NA, NA],
    },
    Row {
        field: "shape.cluster",
        effects: [NA, R, NA, NA, NA, NA, R],
    },
    Row {
        field: "shape.failover",
        effects: [NA, NA, R, NA, NA, NA, NA],
    },
    Row {
        field: "shape.failover.sentinel.quorum",
        effects: [NA, NA, by("RKV157"), NA, NA, NA, NA],
    },
    Row {
        field: "shape.failover.sentinel.masterName",
        effects: [NA, NA, by("RKV151"), NA, NA, NA, NA],
    },
    Row {
        field: "shape.failover.wal.restoreWindowHours",
        effects: [NA, NA, C, NA, NA, NA, NA],
    },
    Row {
        field: "shape.replication",
        effects: [NA, NA, NA, R, NA, R, NA],
    },
    Row {
        field: "shape.replication.sentinel.replicas",
        effects: [NA, NA, NA, R, NA, by("RKV175"), NA],
    },
    Row {
        field: "shape.replication.operatorNamespace",
        effects: [
            NA,
            NA,
            NA,
            R,
            NA,
            x(
                "the Bitnami chart runs no operator: its Sentinels move the primary themselves",
                "remove `operatorNamespace`",
            ),
            NA,
        ],
    },
    Row {
        field: "redis",
        effects: [R, R, R, R, R, R, R],
    },
    Row {
        field: "redis.port",
        effects: [
            R,
            R,
            R,
            only(
                Pinned::Int(6379),
                "the operator's Services, probes and Sentinel configuration use port 6379",
                "remove `redis.port`",
            ),
            CHART_PORT,
            CHART_PORT,
            CHART_PORT,
        ],
    },
    Row {
        field: "redis.image",
        effects: [R, R, R, R, by("RKV174"), by("RKV174"), by("RKV174")],
    },
    Row {
        field: "auth",
        effects: [R, R, R, R, R, R, R],
    },
    Row {
        field: "auth.passwordSecret.key",
        effects: [R, R, by("RKV150"), R, R, R, R],
    },
    Row {
        field: "persistence",
        effects: [R, R, R, R, R, R, R],
    },
    Row {
        field: "resources",
        effects: [R, R, R, R, R, R, R],
    },
    // rkv's own Jobs (cluster init, backup, retention, restore) on every target that has
    // them; the applier has its own `resources`.
    Row {
        field: "jobs.resources",
        effects: [R, R, R, R, R, R, R],
    },
    Row {
        field: "memory",
        effects: [R, R, R, R, R, R, R],
    },
    Row {
        field: "memory.datasetEstimate",
        effects: [C, C, C, C, C, C, C],
    },
    Row {
        field: "tls",
        effects: [R, R, SPOTAHOME_TLS, R, R, R, R],
    },
    Row {
        field: "tls.plaintextPort",
        effects: [
            PLAINTEXT_CLOSED,
            by("RKV142"),
            SPOTAHOME_TLS,
            PLAINTEXT_CLOSED,
            PLAINTEXT_CLOSED,
            PLAINTEXT_CLOSED,
            PLAINTEXT_CLOSED,
        ],
    },
    Row {
        field: "tls.clientSecret",
        effects: [
            R,
            R,
            SPOTAHOME_TLS,
            OPERATOR_CLIENT_CERT,
            CHART_CLIENT_CERT,
            CHART_CLIENT_CERT,
            CHART_CLIENT_CERT,
        ],
    },
    Row {
        field: "tls.certManager",
        effects: [
            R,
            R,
            SPOTAHOME_TLS,
            R,
            CHART_CERT_MANAGER,
            CHART_CERT_MANAGER,
            CHART_CERT_MANAGER,
        ],
    },
    Row {
        field: "clients",
        effects: [R, R, R, R, R, R, R],
    },
    Row {
        field: "exposure",
        effects: [
            R,
            CLUSTER_EXPOSURE,
            R,
            R,
            R,
            CHART_SENTINEL_EXPOSURE,
            CLUSTER_EXPOSURE,
        ],
    },
    Row {
        field: "exposure.acceptInsecure",
        effects: [
            C,
            CLUSTER_EXPOSURE,
            C,
            C,
            C,
            CHART_SENTINEL_EXPOSURE,
            CLUSTER_EXPOSURE,
        ],
    },
    Row {
        field: "monitoring",
        effects: [NO_EXPORTER, R, R, R, R, R, R],
    },
    Row {
        field: "monitoring.alerts",
        effects: [NO_EXPORTER, R, R, R, R, R, R],
    },
    Row {
        field: "monitoring.serviceMonitor",
        effects: [
            NO_EXPORTER,
            R,
            OPERATOR_SERVICE_MONITOR,
            OPERATOR_SERVICE_MONITOR,
            R,
            R,
            R,
        ],
    },
    Row {
        field: "backup",
        effects: [R, R, R, R, R, R, R],
    },
    Row {
        field: "disruption",
        effects: [
            by("RKV110"),
            by("RKV110"),
            by("RKV110"),
            by("RKV110"),
            by("RKV110"),
            by("RKV110"),
            by("RKV110"),
        ],
    },
    Row {
        field: "placement",
        effects: [R, R, R, R, R, R, R],
    },
    Row {
        field: "placement.antiAffinity",
        effects: [ONE_POD, R, R, R, ONE_POD, R, R],
    },
    Row {
        field: "placement.topologySpread",
        effects: [ONE_POD, R, R, R, ONE_POD, R, R],
    },
    Row {
        field: "placement.zoneSpread",
        effects: [by("RKV127"), R, R, R, by("RKV127"), R, R],
    },
    Row {
        field: "placement.zones",
        effects: [by("RKV127"), R, R, R, by("RKV127"), R, R],
    },
    Row {
        field: "pods",
        effects: [R, R, R, R, R, R, R],
    },
    Row {
        field: "pods.annotations",
        effects: [R, R, R, by("RKV127"), R, R, R],
    },
    Row {
        field: "outputs",
        effects: [R, R, R, R, R, R, R],
    },
    Row {
        field: "accept",
        effects: [C, C, C, C, C, C, C],
    },
    Row {
        field: "placement.tolerations",
        effects: [
            by("RKV128"),
            by("RKV128"),
            by("RKV128"),
            by("RKV128"),
            by("RKV128"),
            by("RKV128"),
            by("RKV128"),
        ],
    },
    Row {
        field: "outputs.helm",
        effects: [R, R, by("RKV173"), R, R, R, R],
    },
    Row {
        field: "environments.*.argocd",
        effects: [
            ENV_ARGOCD, ENV_ARGOCD, ENV_ARGOCD, ENV_ARGOCD, ENV_ARGOCD, ENV_ARGOCD, ENV_ARGOCD,
        ],
    },
    Row {
        field: "sites.*.argocd",
        effects: [R, R, R, R, HELM_ARGOCD, HELM_ARGOCD, HELM_ARGOCD],
    },
];
