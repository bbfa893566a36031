//! Findings about the operators a shape runs on: the Spotahome `failover` shape and its
//! Kafka WAL (RKV150-RKV159, RKV178), the OT-CONTAINER-KIT `replication` shape (RKV167, RKV168).
//!
//! In: a loaded spec and one resolved variant. Out: findings appended to `out`.

use crate::diag::Diagnostic;
use crate::diag::codes;
use crate::spec::{Loaded, Resolved, Shape};
use crate::target::spotahome;

/// Operator quirks and WAL findings of the `failover` shape (RKV150-RKV159, RKV178).
pub(super) fn failover_findings(
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
    if s.use_ == crate::spec::Use::Durable && s.persistence.as_ref().is_some_and(|p| p.enabled) {
        out.push(
            l.diag(
                codes::RKV159,
                &r.at("shape", "/failover/operator"),
                "after every Redis pod restarted at once, Spotahome makes the oldest pod the primary, not the one with the newest data: writes only the old primary had are lost when the others resync from it",
            )
            .help("rkv starts Redis with the durability settings on its command line, so each pod reloads its own AOF; which pod leads is the operator's choice (`SetOldestAsMaster`, by pod age) and no setting changes it: keep the pods from restarting together (`placement.antiAffinity: required`, nodes in several zones) and keep a way back (the WAL, a backup)"),
        );
    }
    if f.operator_namespace.is_none() {
        out.push(
            l.diag(
                codes::RKV155,
                &r.at("shape", "/failover"),
                "the NetworkPolicies keep the Spotahome operator out of Redis and Sentinel: it starts every Redis pod as a replica of 127.0.0.1 and must reach them to elect a primary, so none is ever elected",
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
    match w.topic.retention_hours {
        None => out.push(
            l.diag(
                codes::RKV178,
                &r.at("shape", "/failover/wal/topic"),
                format!(
                    "topic `{}` states no retention: it keeps the broker's default, and Strimzi removes a retention the existing topic sets",
                    w.topic.name
                ),
            )
            .help(format!(
                "how far back a rebuild reaches is the topic's retention: read it (`kafka-configs.sh --describe --entity-type topics --entity-name {}`) and state it as `retentionHours`, or accept the broker's `log.retention.hours` ({} h unless the cluster sets another)",
                w.topic.name,
                crate::target::strimzi::BROKER_DEFAULT_RETENTION_HOURS
            )),
        ),
        Some(h) => {
            if let Some(window) = w.restore_window_hours.filter(|window| *window > h) {
                out.push(
                    l.diag(
                        codes::RKV154,
                        &r.at("shape", "/failover/wal/topic/retentionHours"),
                        format!(
                            "topic `{}` keeps {h} h of writes, shorter than the {window} h restore window asked for",
                            w.topic.name
                        ),
                    )
                    .help(format!(
                        "a rebuild replays the topic from the earliest offset: raise `retentionHours` to at least {window} (retention.ms = {window} x 3600000 = {})",
                        u64::from(window) * 3_600_000
                    )),
                );
            }
        }
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
                "the default-deny NetworkPolicy also shuts out the redis operator: it sets up replication by sending REPLICAOF to each pod over 6379, so every pod stays a primary and Sentinel has no master to watch",
            )
            .help("set `shape.replication.operatorNamespace` to the namespace the operator runs in (seed 004: `redis-operator`)"),
        );
    }
}
