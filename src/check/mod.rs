//! The check stage: semantic findings about a loaded spec and each resolved topology.
//!
//! In: a [`Loaded`] spec and its [`Resolved`] variants, each with the [`Plan`] made from
//! it (planning is total, so it runs first and once). Out: every finding (not just the
//! first), each with a stable code, a severity, the place in the file and a help line.
//! Invariant: an error finding means nothing is emitted or written.

pub mod effects;
pub mod names;
pub mod topology;

use crate::diag::codes;
use crate::diag::{Diagnostic, Severity};
use crate::plan::model::Plan;
use crate::spec::{Loaded, Resolved, ServiceType, Shape};
use crate::target::effects::{Target, renders_on};
use crate::target::spotahome;

/// All findings for a spec, from each variant and the plan made from it.
pub fn check(loaded: &Loaded, variants: &[(Resolved, Plan)]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    spec_level(loaded, &mut out);
    for (r, plan) in variants {
        variant_level(loaded, r, &mut out);
        topology::check(loaded, r, plan, &mut out);
    }
    let resolved: Vec<&Resolved> = variants.iter().map(|(r, _)| r).collect();
    names::check(loaded, &resolved, &mut out);
    // The same finding from several variants that share a section is reported once.
    let mut seen = Vec::new();
    out.retain(|d| {
        let key = (d.code, d.line, d.column, d.message.clone());
        if seen.contains(&key) {
            false
        } else {
            seen.push(key);
            true
        }
    });
    out.sort_by_key(|d| (d.line, d.column, d.code));
    out
}

fn spec_level(l: &Loaded, out: &mut Vec<Diagnostic>) {
    let spec = &l.topology.spec;
    if !spec.sites.is_empty() && !spec.environments.is_empty() {
        out.push(
            l.diag(codes::RKV100, "/spec/environments", "a topology has either `environments` or `sites`, not both")
                .help("sites are separate clusters with their own trees; put per-site changes under `sites`"),
        );
    }
    for (group, map) in [("environments", &spec.environments), ("sites", &spec.sites)] {
        for name in map.keys() {
            let valid = !name.is_empty()
                && name.len() <= 63
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !name.starts_with('-')
                && !name.ends_with('-');
            if !valid || name == "base" {
                let p = format!("/spec/{group}/{}", crate::spec::tree::escape(name));
                out.push(
                    l.diag(codes::RKV100, &p, format!("`{name}` cannot name a directory of the output"))
                        .help("use lowercase letters, digits and `-` (and not `base`, which is the kustomize base)"),
                );
            }
        }
    }
}

fn variant_level(l: &Loaded, r: &Resolved, out: &mut Vec<Diagnostic>) {
    durability_and_helm(l, r, out);
    mutual_tls(l, r, out);
    cluster_level(l, r, out);
    let s = &r.spec;
    let tls = s.tls.as_ref();
    if s.auth.is_none() {
        out.push(
            l.diag(codes::RKV101, &r.origin("redis"), format!("`{}` runs Redis with no password", r.name))
                .help(if matches!(s.shape, Shape::Failover(_)) {
                    "anyone the NetworkPolicies let in has full access: add `auth.passwordSecret: {name, key: password}`; rkv sets the RedisFailover's `auth.secretPath` to that Secret, and Spotahome reads its key `password`"
                } else {
                    "anyone the NetworkPolicies let in has full access: add `auth.passwordSecret: {name, key}` naming a Secret"
                }),
        );
    }
    // What is rendered, not what is written: a section the target ignores (refused by
    // RKV107 as well) protects nothing.
    let targets = Target::of(&s.shape, s.outputs.as_ref());
    if let Some(e) = s
        .exposure
        .as_ref()
        .filter(|_| renders_on("exposure", &targets))
    {
        let outside = matches!(e.type_, ServiceType::LoadBalancer | ServiceType::NodePort);
        let no_auth = s.auth.is_none() || !renders_on("auth", &targets);
        let no_tls = tls.is_none() || !renders_on("tls", &targets);
        if outside && (no_auth || no_tls) {
            let missing = match (no_auth, no_tls) {
                (true, true) => "no password and no TLS",
                (true, false) => "no password",
                _ => "no TLS",
            };
            let mut d = l.diag(
                codes::RKV103,
                &r.at("exposure", "/type"),
                format!(
                    "a {} Service exposes Redis outside the cluster with {missing}",
                    e.type_.as_str()
                ),
            );
            if e.accept_insecure.is_some() {
                // The spec accepts the risk with a written reason: the finding stays in
                // every report, as a warning that does not stop the render.
                d = d.with_severity(Severity::Warning);
            }
            d.help = Some(match &e.accept_insecure {
                Some(reason) => format!("accepted by `exposure.acceptInsecure`: {reason}"),
                None => "add `auth` and `tls`, or keep the Service ClusterIP; to accept the risk, give `exposure.acceptInsecure: <reason>`".into(),
            });
            out.push(d);
        }
    }
    effects::check(l, r, out);
    unreadable_memory(l, r, out);
    replication_operator(l, r, out);
    if let Shape::Failover(f) = &s.shape {
        failover_findings(l, r, f, out);
        if let Some(m) = f.wal.as_ref().and_then(|w| w.mirror.as_ref()) {
            let sites = &l.topology.spec.sites;
            for (field, site) in [("from", &m.from), ("to", &m.to)] {
                if !sites.contains_key(site) {
                    out.push(
                        l.diag(
                            codes::RKV104,
                            &r.at("shape", &format!("/failover/wal/mirror/{field}")),
                            format!("mirror `{field}` names `{site}`, which is not a site"),
                        )
                        .help(format!(
                            "name one of the sites: {}",
                            sites.keys().cloned().collect::<Vec<_>>().join(", ")
                        )),
                    );
                }
            }
        }
    }
}

/// The runbooks' prevention advice (seeds 002, 003) and what the Helm target can render
/// (RKV170-RKV176).
fn durability_and_helm(l: &Loaded, r: &Resolved, out: &mut Vec<Diagnostic>) {
    use crate::spec::Use;
    use crate::target::helm::{Chart, ChartVersion, Image};
    let s = &r.spec;
    let durable = s.use_ == Use::Durable;
    let persistent = s.persistence.as_ref().filter(|p| p.enabled);
    if durable && persistent.is_none() {
        let at = match &s.persistence {
            Some(_) => r.at("persistence", "/enabled"),
            None => r.origin("use"),
        };
        out.push(
            l.diag(codes::RKV170, &at, format!("`{}` is declared `durable` but has no persistence", r.name))
                .help("a restart loses every key: give `persistence: {size, aof: {fsync: everysec}}`, or declare `use: cache`"),
        );
    }
    if let Some(aof) = persistent.and_then(|p| p.aof.as_ref())
        && aof.fsync.is_none()
    {
        out.push(
            l.diag(codes::RKV171, &r.at("persistence", "/aof"), "AOF is on but `appendfsync` is not set: the server default `everysec` applies")
                .help("choose it in `persistence.aof.fsync`: `always` fsyncs every write (nothing acknowledged is lost, slowest), `everysec` loses up to about 1 s of writes on a crash, `no` leaves flushing to the kernel (about 30 s of writes lost)"),
        );
    }
    let wal = matches!(&s.shape, Shape::Failover(f) if f.wal.is_some());
    if durable && s.backup.is_none() && !wal {
        let targets = Target::of(&s.shape, s.outputs.as_ref());
        // Recommend `backup` only where it renders a backup; elsewhere say what is left.
        let help = match targets.iter().find(|t| !renders_on("backup", &[**t])) {
            None => "RDB and AOF live on the same volume as the data: add `backup: {schedule: \"0 */6 * * *\", retentionDays: 7, size}` (seed 002 backs up every 6 hours and keeps 7 days)".to_string(),
            Some(t) => format!(
                "RDB and AOF live on the same volume as the data, and rkv renders no backup for {}: snapshot the data volumes (VolumeSnapshot) or copy `redis-cli --rdb` dumps off the cluster yourself",
                t.describe()
            ),
        };
        out.push(
            l.diag(
                codes::RKV172,
                &r.origin("use"),
                format!(
                    "`{}` is declared `durable` but has no backup schedule",
                    r.name
                ),
            )
            .help(help),
        );
    }
    let Some(helm) = s.outputs.as_ref().and_then(|o| o.helm.as_ref()) else {
        return;
    };
    let Some(chart) = Chart::of(&s.shape) else {
        out.push(
            l.diag(codes::RKV173, &r.at("outputs", "/helm"), "the Helm target has no chart for the `failover` shape")
                .help("the Bitnami charts render `standalone`, `replication` (Sentinel) and `cluster`; the failover shape compiles to a RedisFailover CR: drop `outputs.helm`"),
        );
        return;
    };
    let image = Image::parse(&s.redis.image);
    if !image.repository.contains("bitnami") {
        out.push(
            l.diag(codes::RKV174, &r.at("redis", "/image"), format!("the Bitnami `{}` chart cannot run `{}`", chart.name(), s.redis.image))
                .help("the chart's start scripts live in the Bitnami images: use `bitnami/redis:<tag>` (rkv derives `redis-sentinel` and `redis-cluster` from it)"),
        );
    }
    if let Shape::Replication(rep) = &s.shape
        && rep.sentinel.replicas != rep.replicas
    {
        out.push(
            l.diag(codes::RKV175, &r.at("shape", "/replication/sentinel/replicas"), format!(
                "the Bitnami chart runs one Sentinel beside each Redis pod: {} Sentinels cannot go with {} Redis pods",
                rep.sentinel.replicas, rep.replicas
            ))
            .help(format!("set `sentinel.replicas: {}` (the chart's `replica.replicaCount` counts every node, primary included)", rep.replicas)),
        );
    }
    if !ChartVersion::parse(&helm.version).pins_major(chart.major()) {
        out.push(
            l.diag(codes::RKV176, &r.at("outputs", "/helm/version"), format!(
                "rkv writes values for the `{}` chart {}.x; version `{}` may read them differently",
                chart.name(), chart.major(), helm.version
            ))
            .help(format!("pin a {}.x version, whose values.yaml and values.schema.json rkv's values are checked against", chart.major())),
        );
    }
}

/// RKV140: with mutual TLS the probes and Jobs rkv renders itself (the kustomize
/// Deployment's and StatefulSet's) need a client certificate; the operators and charts
/// present the server's own.
fn mutual_tls(l: &Loaded, r: &Resolved, out: &mut Vec<Diagnostic>) {
    let s = &r.spec;
    let targets = Target::of(&s.shape, s.outputs.as_ref());
    let Some(t) = s.tls.as_ref() else { return };
    if !t.mutual || t.client_secret.is_some() {
        return;
    }
    let help = if targets.contains(&Target::Cluster) {
        "the probes, the exporter, the cluster-init and backup Jobs must present a client certificate: name the Secret in `tls.clientSecret` (or set `mutual: false`)"
    } else if targets.contains(&Target::Standalone) {
        "the readiness probe and the backup Job must present a client certificate: name the Secret in `tls.clientSecret` (or set `mutual: false`)"
    } else {
        return;
    };
    out.push(
        l.diag(
            codes::RKV140,
            &r.at("tls", "/mutual"),
            "mutual TLS is on but `tls.clientSecret` is not set",
        )
        .help(help),
    );
}

/// Findings only the cluster shape has (RKV141-RKV149): what its pods, probes,
/// exporter and Jobs need from TLS and ports.
fn cluster_level(l: &Loaded, r: &Resolved, out: &mut Vec<Diagnostic>) {
    let s = &r.spec;
    if !matches!(s.shape, Shape::Cluster(_)) {
        return;
    }
    // A fact of the kustomize StatefulSet; the chart's plaintext port is RKV107's.
    let kustomize = Target::of(&s.shape, s.outputs.as_ref()).contains(&Target::Cluster);
    if kustomize && s.tls.as_ref().is_some_and(|t| t.plaintext_port) {
        out.push(
            l.diag(
                codes::RKV142,
                &r.at("tls", "/plaintextPort"),
                format!(
                    "the cluster shape serves TLS on `redis.port` ({}) and has no second port for plaintext",
                    s.redis.port
                ),
            )
            .help("set `plaintextPort: false`; cluster clients, the bus and replication all use TLS"),
        );
    }
    let bus = u32::from(s.redis.port) + 10000;
    if bus > 65535 {
        out.push(
            l.diag(
                codes::RKV141,
                &r.at("redis", "/port"),
                format!(
                    "the cluster bus listens on `redis.port` + 10000 = {bus}, which is not a TCP port"
                ),
            )
            .help("use a `redis.port` of 55535 or less (the default is 6379, bus 16379)"),
        );
    }
}

/// Operator quirks and WAL findings of the `failover` shape (RKV150-RKV158).
fn failover_findings(
    l: &Loaded,
    r: &Resolved,
    f: &crate::spec::Failover,
    out: &mut Vec<Diagnostic>,
) {
    let s = &r.spec;
    if let Some(a) = s
        .auth
        .as_ref()
        .filter(|a| a.password_secret.key != spotahome::PASSWORD_KEY)
    {
        out.push(
            l.diag(
                codes::RKV150,
                &r.at("auth", "/passwordSecret/key"),
                format!(
                    "the Spotahome operator reads key `password` of Secret `{}`, not `{}`",
                    a.password_secret.name, a.password_secret.key
                ),
            )
            .help("store the password under key `password` (the RedisFailover's `auth.secretPath` names only the Secret)"),
        );
    }
    if let Some(m) = f
        .sentinel
        .master_name
        .as_deref()
        .filter(|m| *m != spotahome::MASTER_NAME)
    {
        out.push(
            l.diag(
                codes::RKV151,
                &r.at("shape", "/failover/sentinel/masterName"),
                format!("the Spotahome operator always names the master group `{}`, not `{m}`", spotahome::MASTER_NAME),
            )
            .help(format!("set `masterName: {}` (or remove it): clients asking Sentinel for `{m}` would get no master", spotahome::MASTER_NAME)),
        );
    }
    if r.name.len() > spotahome::MAX_NAME {
        out.push(
            l.diag(
                codes::RKV152,
                &r.origin("name"),
                format!(
                    "`{}` is {} characters; the Spotahome operator rejects a RedisFailover name longer than {}",
                    r.name,
                    r.name.len(),
                    spotahome::MAX_NAME
                ),
            )
            .help("shorten the name: the operator derives `rfr-<name>`/`rfs-<name>` objects from it"),
        );
    }
    let spotahome_quorum = spotahome::quorum(f.sentinel.replicas);
    if f.sentinel.quorum != spotahome_quorum {
        out.push(
            l.diag(
                codes::RKV157,
                &r.at("shape", "/failover/sentinel/quorum"),
                format!(
                    "the Spotahome operator sets quorum = floor({}/2) + 1 = {spotahome_quorum}, not {}",
                    f.sentinel.replicas, f.sentinel.quorum
                ),
            )
            .help(format!("set `quorum: {spotahome_quorum}`: the budgets are computed from the quorum that will really run")),
        );
    }
    if f.operator_namespace.is_none() {
        out.push(
            l.diag(
                codes::RKV155,
                &r.at("shape", "/failover"),
                "the NetworkPolicies keep the Spotahome operator out of Redis and Sentinel",
            )
            .help("add `operatorNamespace: <namespace the operator runs in>`: it must reach 6379 and 26379 to check and heal the failover"),
        );
    }
    let Some(w) = &f.wal else { return };
    out.push(
        l.diag(
            codes::RKV153,
            &r.at("shape", "/failover/wal"),
            "a relative EXPIRE replayed from the WAL expires later on each site than where it was written",
        )
        .help("an EXPIRE applied at T + lag (applier lag, MM2 lag, a replay after a restore) sets the key to die at T + lag + ttl; produce PEXPIREAT with the absolute time the op was written so every site and every replay agrees"),
    );
    if let Some(window) = w
        .restore_window_hours
        .filter(|window| *window > w.topic.retention_hours)
    {
        out.push(
            l.diag(
                codes::RKV154,
                &r.at("shape", "/failover/wal/topic/retentionHours"),
                format!(
                    "topic `{}` keeps {} h of writes, shorter than the {window} h restore window asked for",
                    w.topic.name, w.topic.retention_hours
                ),
            )
            .help(format!(
                "a rebuild replays the topic from the earliest offset: raise `retentionHours` to at least {window} (retention.ms = {window} x 3600000 = {})",
                u64::from(window) * 3_600_000
            )),
        );
    }
    if let Some(m) = &w.mirror {
        let missing: Vec<&str> = [
            ("sourcePasswordKey", m.source_password_key.is_none()),
            ("sourceCaKey", m.source_ca_key.is_none()),
        ]
        .iter()
        .filter(|(_, absent)| *absent)
        .map(|(n, _)| *n)
        .collect();
        if !missing.is_empty() {
            out.push(
                l.diag(
                    codes::RKV156,
                    &r.at("shape", "/failover/wal/mirror"),
                    format!("the mirror cannot authenticate to `{}`: no {}", m.from, missing.join(" and ")),
                )
                .help("name the secret-store keys of the source's mirror SCRAM password and cluster CA; rkv brings them into the Kafka namespace with ExternalSecrets"),
            );
        }
    }
    if let Some(p) = w.topic.partitions.filter(|p| *p < w.applier.replicas) {
        out.push(
            l.diag(
                codes::RKV158,
                &r.at("shape", "/failover/wal/topic/partitions"),
                format!(
                    "{p} partition(s) for {} appliers: {} applier(s) get no partition and sit idle",
                    w.applier.replicas,
                    w.applier.replicas - p
                ),
            )
            .help("a consumer group assigns each partition to one consumer: use at least as many partitions as appliers"),
        );
    }
}

/// Memory quantities rkv cannot read (RKV169): the memory checks of
/// [`topology`] and `maxmemory: auto` need numbers, so an unreadable one is a finding.
pub fn unreadable_memory(l: &Loaded, r: &Resolved, out: &mut Vec<Diagnostic>) {
    use crate::plan::memory;
    let s = &r.spec;
    // Parse what the spec says; a value that cannot be read is a finding, not a guess.
    let limit_at = r.at("resources", "/limits/memory");
    let limit_text = s
        .resources
        .as_ref()
        .and_then(|x| x.limits.as_ref())
        .and_then(|x| x.memory.as_deref());
    let unusable = |at: &str, e: memory::MemoryError, out: &mut Vec<Diagnostic>| {
        out.push(
            l.diag(codes::RKV169, at, e.to_string())
                .help("memory checks and `maxmemory` need a value rkv can read"),
        );
    };
    let limit = match limit_text.map(memory::parse_k8s_quantity) {
        None => None,
        Some(Ok(b)) => Some(b),
        Some(Err(e)) => {
            unusable(&limit_at, e, out);
            return;
        }
    };
    let max_at = r.at("memory", "/maxmemory");
    let maxmemory = match s.memory.as_ref().map(|m| m.maxmemory.as_str()) {
        None => None,
        Some("auto") => match limit.map(memory::derive_maxmemory) {
            None => None,
            Some(Ok(d)) => Some(d.maxmemory_bytes),
            Some(Err(e)) => {
                unusable(&limit_at, e, out);
                return;
            }
        },
        Some(text) => match memory::parse_redis_memory(text) {
            Ok(b) => Some(b),
            Err(e) => {
                unusable(&max_at, e, out);
                return;
            }
        },
    };
    let estimate_at = r.at("memory", "/datasetEstimate");
    let estimate = match s
        .memory
        .as_ref()
        .and_then(|m| m.dataset_estimate.as_deref())
        .map(memory::parse_k8s_quantity)
    {
        None => None,
        Some(Ok(b)) => Some(b),
        Some(Err(e)) => {
            unusable(&estimate_at, e, out);
            return;
        }
    };
    let _ = (maxmemory, estimate);
}

/// Findings about the OT-CONTAINER-KIT operator the replication shape runs on in the
/// kustomize tree (RKV167, RKV168).
pub fn replication_operator(l: &Loaded, r: &Resolved, out: &mut Vec<Diagnostic>) {
    use crate::target::opstree::OPERATOR_LABELS;

    let Shape::Replication(rep) = &r.spec.shape else {
        return;
    };
    // The shape compiles to the operator's CRs only in the kustomize tree; the Helm
    // target (the Bitnami chart) runs no operator.
    if r.spec.outputs.as_ref().is_some_and(|o| !o.kustomize) {
        return;
    }
    for key in r
        .labels
        .keys()
        .filter(|k| OPERATOR_LABELS.contains(&k.as_str()))
    {
        let at = format!("/metadata/labels/{}", crate::spec::tree::escape(key));
        out.push(
            l.diag(
                codes::RKV167,
                &at,
                format!(
                    "label `{key}` is one the redis operator sets on its pods: it copies the CR's labels over its own, which breaks its PodDisruptionBudget, Services and master lookup"
                ),
            )
            .help(format!(
                "remove `{key}` from `metadata.labels`; the operator already labels the pods `app: {}`",
                r.name
            )),
        );
    }
    if rep.operator_namespace.is_none() {
        out.push(
            l.diag(
                codes::RKV168,
                &r.at("shape", "/replication"),
                "the default-deny NetworkPolicy also shuts out the redis operator: it cannot check roles, label the master or repair replication",
            )
            .help("set `shape.replication.operatorNamespace` to the namespace the operator runs in (seed 004: `redis-operator`)"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Code;

    fn found(spec: &str) -> Vec<Code> {
        let loaded = crate::spec::load_str("t.yaml", spec.to_string()).expect("spec loads");
        let planned: Vec<_> = crate::spec::resolve::resolve(&loaded.topology)
            .into_iter()
            .map(|r| {
                let plan = crate::plan::model::plan(&r, "t.yaml");
                (r, plan)
            })
            .collect();
        check(&loaded, &planned).iter().map(|d| d.code).collect()
    }

    fn helm_spec(version: &str) -> String {
        format!(
            "apiVersion: rkv.dev/v1alpha1\nkind: RedisTopology\nmetadata: {{name: kv, namespace: kv}}\nspec:\n  use: cache\n  shape: {{standalone: {{}}}}\n  redis: {{image: bitnami/redis:7.2}}\n  auth: {{passwordSecret: {{name: kv, key: password}}}}\n  outputs:\n    kustomize: false\n    helm: {{release: kv, namespace: kv, version: \"{version}\", repository: oci://registry-1.docker.io/bitnamicharts}}\n"
        )
    }

    #[test]
    fn a_range_the_helm_emitter_supports_is_no_rkv176() {
        // The emitter writes this as the OCIRepository's `ref.semver`; it stays on 23.x.
        assert!(!found(&helm_spec(">=23.0.0 <24.0.0")).contains(&codes::RKV176));
        assert!(!found(&helm_spec("23.1.1")).contains(&codes::RKV176));
        assert!(found(&helm_spec(">=23.0.0")).contains(&codes::RKV176));
        assert!(found(&helm_spec("13.0.5")).contains(&codes::RKV176));
    }
}
