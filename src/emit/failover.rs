//! The `failover` shape: a Spotahome `RedisFailover` per site, optionally fed by a Kafka
//! write-ahead log (seed 001, ADR-0018).
//!
//! In: a plan whose shape is `failover`. Out: the RedisFailover, PodDisruptionBudgets
//! over the pods the operator creates, NetworkPolicies, and with `wal` the
//! `redis-applier` Deployment and PDB, the ExternalSecrets that bring its Kafka
//! credentials, the Strimzi KafkaTopic / KafkaUser(s), and on the mirror's target site
//! the KafkaMirrorMaker2; for a site with `argocd`, an Application beside its tree.
//!
//! Invariant: selectors that must match operator-created pods use the operator's own
//! labels ([`operator_selector`]), every rkv-made pod is hardened, no pod is selected by
//! two PodDisruptionBudgets (the operator's own PDBs are disabled), and no Secret value
//! is ever written.

mod applier;
mod kafka;
mod policy;
mod redisfailover;

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::backup::{self, Peers, Source};
use super::inventory::{Exec, Inventory, Made, Maker, Password, RedisAccess, SentinelAccess};
use super::{EmitError, Emitted, Object, alerts, exposure, pdb};
use crate::plan::model::Plan;
use crate::spec::Failover;
use crate::target::spotahome;

pub fn emit(plan: &Plan, f: &Failover) -> Result<Emitted, EmitError> {
    let mut out = vec![redisfailover::redis_failover(plan, f)?];
    out.extend(operator_pdbs(plan)?);
    out.extend(policy::policies(plan, f)?);
    if let Some(wal) = &f.wal {
        out.extend(applier::objects(plan, wal)?);
        out.extend(kafka::objects(plan, wal)?);
    }
    if let Some(b) = &plan.spec.backup {
        out.extend(backup::objects(&backup_job(plan, b))?);
    }
    out.extend(alerts::prometheus_rule(plan, &alert_scope(plan), "redis")?);
    out.extend(exposure::service(
        plan,
        "redis",
        primary(plan),
        vec![format!(
            "The primary only (`{}: master`, kept by the operator after every failover).",
            spotahome::ROLE_LABEL
        )],
    )?);
    out.extend(exposure::policy(
        plan,
        LabelSelector {
            match_labels: Some(primary(plan)),
            ..Default::default()
        },
    )?);
    Ok(Emitted {
        objects: out,
        inventory: inventory(plan, f),
    })
}

/// The operator's Redis pods `rfr-<name>-<i>` and their claims `redis-data-rfr-<name>-<i>`.
fn alert_scope(plan: &Plan) -> alerts::Scope {
    let sts = spotahome::redis_statefulset(&plan.name);
    alerts::Scope {
        pods: format!("{sts}-[0-9]+"),
        claims: format!("{}-{sts}-[0-9]+", redisfailover::DATA_CLAIM),
        cluster: false,
    }
}

/// The operator's labels of the Redis pod that is the primary now.
fn primary(plan: &Plan) -> BTreeMap<String, String> {
    let mut m = operator_selector(plan, Some("redis"));
    m.insert(spotahome::ROLE_LABEL.into(), "master".into());
    m
}

/// The backup asks the operator's Sentinel Service for the primary (Spotahome's Sentinels
/// have no password, and there is no TLS).
fn backup_job<'a>(plan: &'a Plan, b: &'a crate::spec::Backup) -> backup::Job<'a> {
    backup::Job {
        plan,
        backup: b,
        source: Source::Sentinel {
            host: format!(
                "{}.{}.svc",
                spotahome::sentinel_name(&plan.name),
                plan.namespace
            ),
            port: spotahome::SENTINEL_PORT,
            master: spotahome::MASTER_NAME.into(),
            auth: false,
        },
        tls: None,
        peers: Peers {
            redis: operator_pods(plan, "redis"),
            sentinel: Some(operator_pods(plan, "sentinel")),
            admit: true,
        },
        pod_labels: Default::default(),
        image: plan.spec.redis.image.clone(),
    }
}

/// What the operator makes from the RedisFailover, by its naming rules.
fn inventory(plan: &Plan, f: &Failover) -> Inventory {
    let ns = &plan.namespace;
    let note = format!("operator-made from RedisFailover `{}`", plan.name);
    let sts = spotahome::redis_statefulset(&plan.name);
    let rfs = spotahome::sentinel_name(&plan.name);
    let mut made = vec![
        Made::new("StatefulSet", &sts, ns, &note),
        Made::new("Deployment", &rfs, ns, &note),
        Made::new(
            "Service",
            &rfs,
            ns,
            &format!("{note}; Sentinel port {}", spotahome::SENTINEL_PORT),
        ),
    ];
    let persistent = plan.spec.persistence.as_ref().is_some_and(|p| p.enabled);
    let mut data_pods = Vec::new();
    let mut claims = Vec::new();
    for i in 0..f.replicas {
        let pod = format!("{sts}-{i}");
        made.push(Made::new("Pod", &pod, ns, &note));
        if persistent {
            let claim = format!("{}-{pod}", redisfailover::DATA_CLAIM);
            made.push(Made::new("PersistentVolumeClaim", &claim, ns, &note));
            claims.push(claim);
        }
        data_pods.push(pod);
    }
    Inventory {
        maker: Maker::Spotahome,
        made,
        redis: Some(RedisAccess {
            exec: Exec::new(format!("pod/{sts}-0"), Some("redis")),
            tls_flags: None,
            password: Password::Env,
        }),
        sentinels: Some(SentinelAccess {
            exec: Exec::new(format!("deploy/{rfs}"), Some("sentinel")),
            port: spotahome::SENTINEL_PORT,
            master: f
                .sentinel
                .master_name
                .clone()
                .unwrap_or_else(|| spotahome::MASTER_NAME.into()),
            service: rfs.clone(),
            // The operator's Sentinels ask for no password.
            password: None,
            tls_flags: None,
            primary_service: None,
        }),
        data_set: Some(sts),
        data_pods,
        claims,
        applier: f.wal.as_ref().map(|_| applier::name(plan)),
        services: exposure::entry(plan).into_iter().collect(),
        alerts: match &plan.spec.monitoring {
            Some(m) if m.alerts && m.exporter.is_some() => alerts::rules(plan, &alert_scope(plan)),
            _ => Vec::new(),
        },
        backup: plan.spec.backup.as_ref().map(|_| backup::inventory(plan)),
        ..Inventory::default()
    }
}

/// The labels the Spotahome operator puts on this topology's pods of `component`.
pub fn operator_selector(plan: &Plan, component: Option<&str>) -> BTreeMap<String, String> {
    spotahome::pod_labels(&plan.name, component)
}

/// `rfs-<name>.<namespace>.svc:26379`: the Sentinel Service the operator creates.
pub fn sentinel_address(plan: &Plan) -> String {
    format!(
        "{}.{}.svc:{}",
        spotahome::sentinel_name(&plan.name),
        plan.namespace,
        spotahome::SENTINEL_PORT
    )
}

/// The operator's pods of `component` (`redis`, `sentinel`), as a selector.
fn operator_pods(plan: &Plan, component: &str) -> LabelSelector {
    LabelSelector {
        match_labels: Some(operator_selector(plan, Some(component))),
        ..Default::default()
    }
}

/// PDBs over the Redis and Sentinel pods the operator creates (its own are disabled in
/// the CR, so each pod has exactly one budget).
fn operator_pdbs(plan: &Plan) -> Result<Vec<Object>, EmitError> {
    let mut out = Vec::new();
    if let Some(b) = &plan.data_budget {
        out.push(pdb::budget(
            plan,
            &format!("{}-redis", plan.name),
            "redis",
            operator_pods(plan, "redis"),
            b,
        )?);
    }
    if let Some(b) = &plan.sentinel_budget {
        out.push(pdb::budget(
            plan,
            &format!("{}-sentinel", plan.name),
            "sentinel",
            operator_pods(plan, "sentinel"),
            b,
        )?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::compile::compile;
    use crate::spec::{Variant, load_str};

    fn site_objects(site: &str) -> Vec<super::Object> {
        let text = include_str!("../../profiles/wal-failover.yaml").to_string();
        let loaded = load_str("wal-failover.yaml", text).expect("profile loads");
        let c = compile(&loaded).expect("profile compiles");
        c.variants
            .into_iter()
            .find(|v| v.resolved.variant == Variant::Site(site.into()))
            .expect("site")
            .objects
    }

    #[test]
    fn pdbs_select_the_operators_pods_and_the_operators_own_are_off() {
        let objs = site_objects("dc");
        let rf = objs.iter().find(|o| o.kind() == "RedisFailover").unwrap();
        for part in ["redis", "sentinel"] {
            assert_eq!(
                rf.value["spec"][part]["disablePodDisruptionBudget"],
                json!(true)
            );
            let pdb = objs
                .iter()
                .find(|o| o.kind() == "PodDisruptionBudget" && o.name() == format!("redis-{part}"))
                .unwrap();
            assert_eq!(
                pdb.value["spec"]["selector"]["matchLabels"],
                json!({"app.kubernetes.io/component": part, "app.kubernetes.io/name": "redis",
                       "app.kubernetes.io/part-of": "redis-failover"})
            );
        }
        // rkv's labels must not reach the operator's objects (rkv diff would prune them).
        assert_eq!(
            rf.value["spec"]["labelWhitelist"],
            json!(["^app\\.kubernetes\\.io/part-of$"])
        );
    }

    /// The Redis container's command as the Spotahome operator builds it:
    /// spotahome/redis-operator operator/redisfailover/service/generator.go,
    /// `getRedisCommand`, returns `rf.Spec.Redis.Command` verbatim when it is set, else
    /// `redis-server /redis/redis.conf` (the operator's ConfigMap `rfr-<name>`, mounted at
    /// `/redis` by `getRedisVolumeMounts`); `spec.redis.customConfig` reaches Redis only
    /// later, by `CONFIG SET` (service/redis/client.go, `SetCustomRedisConfig`). So what
    /// holds from process start is the command: the operator's file, then rkv's arguments.
    fn startup_command(objs: &[super::Object]) -> Vec<String> {
        let rf = objs.iter().find(|o| o.kind() == "RedisFailover").unwrap();
        serde_json::from_value(rf.value["spec"]["redis"]["command"].clone()).unwrap()
    }

    #[test]
    fn durability_settings_hold_from_process_start() {
        for site in ["dc", "dr"] {
            let cmd = startup_command(&site_objects(site));
            assert_eq!(
                cmd,
                [
                    "redis-server",
                    "/redis/redis.conf",
                    "--appendonly",
                    "yes",
                    "--auto-aof-rewrite-percentage",
                    "100",
                    "--auto-aof-rewrite-min-size",
                    "64mb"
                ],
                "{site}"
            );
        }
        // Every persistence setting the spec states; `save` rules replace the operator's
        // `save 900 1` / `save 300 10` (rules in a file and arguments add up in Redis).
        let text = "apiVersion: rkv.dev/v1alpha1\nkind: RedisTopology\nmetadata: {name: kv, namespace: kv}\n\
                    spec:\n  use: cache\n  redis: {image: \"redis:7.2\"}\n\
                    \x20 shape: {failover: {operator: spotahome, replicas: 3, operatorNamespace: ops, sentinel: {replicas: 3, quorum: 2}}}\n\
                    \x20 persistence: {size: 1Gi, aof: {fsync: always}, rdbSave: [\"3600 1\", \"60 100\"]}\n";
        let loaded = load_str("kv.yaml", text.to_string()).expect("loads");
        let c = compile(&loaded).expect("compiles");
        let cmd = startup_command(&c.variants[0].objects);
        assert_eq!(
            cmd[2..],
            [
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--auto-aof-rewrite-percentage",
                "100",
                "--auto-aof-rewrite-min-size",
                "64mb",
                "--save",
                "",
                "--save",
                "3600 1 60 100"
            ]
        );
    }

    #[test]
    fn mirror_only_on_the_target_site_and_no_secret_values() {
        let dc = site_objects("dc");
        let dr = site_objects("dr");
        assert!(!dc.iter().any(|o| o.kind() == "KafkaMirrorMaker2"));
        assert!(dr.iter().any(|o| o.kind() == "KafkaMirrorMaker2"));
        for o in dc.iter().chain(&dr) {
            assert_ne!(o.kind(), "Secret");
        }
        let d = dr.iter().find(|o| o.kind() == "Deployment").unwrap();
        let env = d.value["spec"]["template"]["spec"]["containers"][0]["env"]
            .as_array()
            .unwrap();
        // The SCRAM password is a file from the Secret, never an environment value.
        assert!(env.iter().all(|e| e.get("valueFrom").is_none()));
        let pw = env
            .iter()
            .find(|e| e["name"] == "KAFKA_SASL_PASSWORD_FILE")
            .unwrap();
        assert_eq!(pw["value"], json!("/etc/kafka-scram/password"));
        let volumes = d.value["spec"]["template"]["spec"]["volumes"]
            .as_array()
            .unwrap();
        assert!(
            volumes
                .iter()
                .any(|v| v["secret"]["secretName"] == json!("redis-applier-kafka-scram"))
        );
        let app = dr.iter().find(|o| o.kind() == "Application").unwrap();
        assert_eq!(
            app.path.as_deref(),
            Some("clusters/dr/apps/redis-application.yaml")
        );
    }
}
