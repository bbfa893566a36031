//! The `replication` shape: seed 004's platform-kv, one Redis primary with replicas and
//! Sentinels, run by the OT-CONTAINER-KIT operator.
//!
//! In: a plan whose shape is replication. Out: a `RedisReplication` `<name>`, a
//! `RedisSentinel` `<name>` (the operator names its StatefulSet and Service
//! `<name>-sentinel`, the address clients ask Sentinel at), the ConfigMap with the Redis
//! settings the CR points at, the external Service when the spec exposes Redis outside
//! the cluster, and the NetworkPolicies.
//!
//! Invariant: rkv never renders an object the operator creates itself (StatefulSets,
//! the `<name>`, `-headless`, `-additional`, `-master`, `-replica`, `-metrics` and
//! `-sentinel*` Services, the PodDisruptionBudgets); it shapes them through the CR
//! fields, and the PDB numbers in those fields come from the plan's math module.

mod config;
mod network;
mod service;

use k8s_openapi::api::core::v1::{
    Affinity, EnvVarSource, Probe, SecretKeySelector, TopologySpreadConstraint,
};

use super::backup::{self, ClientTls, Peers, Source};
use super::common::{self, meta};
use super::inventory::{Exec, Inventory, Made, Maker, Password, RedisAccess, SentinelAccess};
use super::{EmitError, Emitted, Object, pdb};
use crate::emit::{alerts, placement, security, tls};
use crate::plan::model::{Budget, Plan};
use crate::spec::Replication;
use crate::target::opstree;
use crate::target::opstree::{
    DEFAULT_SENTINEL_IMAGE, KubernetesConfig, Pdb, RedisConfig, RedisExporter, RedisReplication,
    RedisReplicationSpec, RedisSecret, RedisSentinel, RedisSentinelConfig, RedisSentinelSpec,
    Storage, TLS_DIR, TlsConfig, TlsSecret, VolumeClaimTemplate,
};

/// Component label of the Redis pods (primary and replicas).
pub const SERVER: &str = "server";
/// Component label of the Sentinel pods.
pub const SENTINEL: &str = "sentinel";
/// Tags are pinned in the spec, so a node's cached image is the right one.
const PULL_POLICY: &str = "IfNotPresent";

pub fn emit(plan: &Plan, shape: &Replication) -> Result<Emitted, EmitError> {
    let mut out = vec![
        config::config_map(plan)?,
        replication(plan, shape)?,
        sentinel(plan, shape)?,
    ];
    if let Some(t) = &plan.spec.tls {
        out.push(config::sentinel_config_map(plan, t)?);
        let dns_names: Vec<String> = crate::plan::tls::server_names(plan)
            .into_iter()
            .map(|n| n.name)
            .collect();
        let who = tls::Subjects {
            server: SERVER,
            client: SERVER,
            common_name: dns_names.first().cloned(),
            dns_names,
        };
        out.extend(tls::certificates(plan, t, who)?);
    }
    out.extend(service::external(plan)?);
    out.extend(network::policies(plan, shape)?);
    if let Some(b) = &plan.spec.backup {
        out.extend(backup::objects(&backup_job(plan, shape, b))?);
    }
    out.extend(alerts::prometheus_rule(plan, &alert_scope(plan), SERVER)?);
    Ok(Emitted {
        objects: out,
        inventory: inventory(plan, shape),
    })
}

/// The operator's Redis pods `<name>-<i>` and their claims, named after the StatefulSet
/// (`<name>-<name>-<i>`).
fn alert_scope(plan: &Plan) -> alerts::Scope {
    alerts::Scope {
        pods: format!("{}-[0-9]+", plan.name),
        claims: format!("{0}-{0}-[0-9]+", plan.name),
        cluster: false,
    }
}

/// `spec.TLS` of both CRs: the server Secret, whose files the operator's Redis, Sentinel,
/// exporter, probes and own client all use.
fn tls_config(plan: &Plan) -> Option<TlsConfig> {
    plan.spec.tls.as_ref().map(|t| TlsConfig {
        ca: "ca.crt".into(),
        cert: "tls.crt".into(),
        key: "tls.key".into(),
        secret: TlsSecret {
            secret_name: t.server_secret.clone(),
        },
    })
}

/// redis-cli flags inside the operator's pods: the certificate it mounts at `/tls`.
fn cli_flags() -> String {
    format!("--tls --cacert {TLS_DIR}/ca.crt --cert {TLS_DIR}/tls.crt --key {TLS_DIR}/tls.key")
}

/// The backup asks the operator's Sentinel Service for the primary. The operator's own
/// probes and connections present the server certificate (it has no client one), so the
/// backup does too.
fn backup_job<'a>(
    plan: &'a Plan,
    shape: &Replication,
    b: &'a crate::spec::Backup,
) -> backup::Job<'a> {
    backup::Job {
        plan,
        backup: b,
        source: Source::Sentinel {
            host: format!(
                "{}.{}.svc",
                opstree::sentinel_statefulset(&plan.name),
                plan.namespace
            ),
            port: opstree::SENTINEL_PORT,
            master: master_group(plan, shape),
            // rkv's RedisSentinel names no password Secret: its Sentinels have none.
            auth: false,
        },
        tls: plan.spec.tls.as_ref().map(|t| ClientTls {
            secret: t.server_secret.clone(),
            only_ca: false,
        }),
        peers: Peers {
            redis: common::selector(plan, SERVER),
            sentinel: Some(common::selector(plan, SENTINEL)),
            admit: true,
        },
        pod_labels: Default::default(),
        image: plan.spec.redis.image.clone(),
    }
}

/// What the operator makes from the two CRs, by its naming rules.
fn inventory(plan: &Plan, shape: &Replication) -> Inventory {
    let (name, ns) = (&plan.name, &plan.namespace);
    let note = format!("operator-made from RedisReplication `{name}`");
    let mut made = vec![
        Made::new("StatefulSet", name, ns, &note),
        Made::new("Service", name, ns, &note),
        Made::new("Service", &opstree::headless_service(name), ns, &note),
        Made::new(
            "Service",
            &opstree::master_service(name),
            ns,
            &format!(
                "{note}; follows the primary (`{}: master`)",
                opstree::ROLE_LABEL
            ),
        ),
    ];
    let data_pods: Vec<String> = (0..shape.replicas).map(|i| format!("{name}-{i}")).collect();
    made.extend(data_pods.iter().map(|p| Made::new("Pod", p, ns, &note)));
    let note = format!("operator-made from RedisSentinel `{name}`");
    let sts = opstree::sentinel_statefulset(name);
    made.push(Made::new("StatefulSet", &sts, ns, &note));
    made.push(Made::new(
        "Service",
        &sts,
        ns,
        &format!("{note}; port {}", opstree::SENTINEL_PORT),
    ));
    let sentinel_pods: Vec<String> = (0..shape.sentinel.replicas)
        .map(|i| format!("{sts}-{i}"))
        .collect();
    made.extend(sentinel_pods.iter().map(|p| Made::new("Pod", p, ns, &note)));
    Inventory {
        maker: Maker::Opstree,
        made,
        redis: Some(RedisAccess {
            exec: Exec::new(format!("pod/{name}-0"), None),
            tls_flags: plan.spec.tls.as_ref().map(|_| cli_flags()),
            password: Password::Env,
        }),
        sentinels: Some(SentinelAccess {
            exec: Exec::new(format!("pod/{sts}-0"), None),
            port: opstree::SENTINEL_PORT,
            master: master_group(plan, shape),
            service: sts.clone(),
            // The operator's Sentinels ask for no password.
            password: None,
            tls_flags: None,
            primary_service: Some(opstree::master_service(name)),
        }),
        data_set: Some(name.clone()),
        data_pods,
        sentinel_pods,
        services: service::entry(plan).into_iter().collect(),
        backup: plan.spec.backup.as_ref().map(|_| backup::inventory(plan)),
        alerts: alert_rules(plan),
        ..Inventory::default()
    }
}

/// The rules of the PrometheusRule rkv renders, for the runbook.
fn alert_rules(plan: &Plan) -> Vec<crate::target::monitoring::Rule> {
    match &plan.spec.monitoring {
        Some(m) if m.alerts && m.exporter.is_some() => alerts::rules(plan, &alert_scope(plan)),
        _ => Vec::new(),
    }
}

/// The Sentinel master group: the spec's, else `<name>-master`.
fn master_group(plan: &Plan, shape: &Replication) -> String {
    shape
        .sentinel
        .master_name
        .clone()
        .unwrap_or_else(|| format!("{}-master", plan.name))
}

/// The ConfigMap the RedisReplication's `redisConfig.additionalRedisConfig` names.
pub fn config_name(plan: &Plan) -> String {
    format!("{}-redis-config", plan.name)
}

/// The operator's PDB settings: the plan's numbers, as the CRD's int32s.
fn operator_pdb(budget: Option<&Budget>) -> Option<Pdb> {
    let b = budget?;
    Some(Pdb {
        enabled: true,
        min_available: b.min_available.map(pdb::int32),
        max_unavailable: b.max_unavailable.map(pdb::int32),
    })
}

/// Anti-affinity for one component's pods. Seed 004's term has no `labelSelector`, and
/// a term without one matches no pod, so it spread nothing; this one selects the
/// component's own pods.
fn affinity(plan: &Plan, component: &str) -> Option<Affinity> {
    placement::anti_affinity(
        plan.spec.placement.as_ref(),
        common::selector(plan, component),
    )
}

fn spread(plan: &Plan, component: &str) -> Option<Vec<TopologySpreadConstraint>> {
    placement::spread(
        plan.spec.placement.as_ref(),
        common::selector(plan, component),
    )
}

/// Probe timings only: the operator fills in the handler (`redis-cli -h $(hostname)
/// -p ${REDIS_PORT} ping`, with the password and TLS flags when they are set).
fn probe(initial_delay: i32) -> Probe {
    Probe {
        initial_delay_seconds: Some(initial_delay),
        period_seconds: Some(10),
        // A PING can wait behind a fork on a busy primary: one second is too tight.
        timeout_seconds: Some(5),
        failure_threshold: Some(3),
        ..Default::default()
    }
}

fn replication(plan: &Plan, shape: &Replication) -> Result<Object, EmitError> {
    let s = &plan.spec;
    let storage = s
        .persistence
        .as_ref()
        .filter(|p| p.enabled)
        .map(|p| Storage {
            volume_claim_template: VolumeClaimTemplate {
                spec: crate::emit::common::rwo_claim(&p.size, p.storage_class.clone()),
            },
        });
    let exporter = s
        .monitoring
        .as_ref()
        .and_then(|m| m.exporter.as_ref())
        .map(|e| RedisExporter {
            enabled: true,
            image: e.image.clone(),
            image_pull_policy: Some(PULL_POLICY.into()),
            port: Some(e.port.into()),
            resources: common::resources(e.resources.as_ref()),
            security_context: Some(security::container()),
        });
    let cr = RedisReplication {
        metadata: meta(plan, &plan.name, SERVER),
        spec: RedisReplicationSpec {
            cluster_size: i32::try_from(shape.replicas).unwrap_or(i32::MAX),
            kubernetes_config: KubernetesConfig {
                image: s.redis.image.clone(),
                image_pull_policy: Some(PULL_POLICY.into()),
                resources: common::resources(s.resources.as_ref()),
                redis_secret: s.auth.as_ref().map(|a| RedisSecret {
                    name: a.password_secret.name.clone(),
                    key: a.password_secret.key.clone(),
                }),
                image_pull_secrets: placement::image_pull_secrets(s.pods.as_ref()),
            },
            redis_config: Some(RedisConfig {
                additional_redis_config: config_name(plan),
            }),
            storage,
            redis_exporter: exporter,
            liveness_probe: Some(probe(30)),
            readiness_probe: Some(probe(10)),
            pod_security_context: Some(security::data_pod(plan.run_as_user)),
            security_context: Some(security::container_writable_root()),
            affinity: affinity(plan, SERVER),
            topology_spread_constraints: spread(plan, SERVER),
            node_selector: placement::node_selector(plan.spec.placement.as_ref()),
            tolerations: placement::tolerations(plan.spec.placement.as_ref()),
            priority_class_name: placement::priority_class(plan.spec.pods.as_ref()),
            pdb: operator_pdb(plan.data_budget.as_ref()),
            tls: tls_config(plan),
        },
    };
    let mut comment = vec![
        format!(
            "The operator creates the PodDisruptionBudget `{}-replication` from `pdb`:",
            plan.name
        ),
        "rkv renders no PDB of its own over these pods (two PDBs over one pod make every eviction fail).".into(),
    ];
    match &plan.data_budget {
        Some(b) => comment.extend(b.reasoning.iter().cloned()),
        None => comment
            .push("no budget: the disruption math refused this topology (see the findings)".into()),
    }
    Ok(Object::new("RedisReplication", &cr)?.with_comment(comment))
}

fn sentinel(plan: &Plan, shape: &Replication) -> Result<Object, EmitError> {
    let s = &shape.sentinel;
    let master = master_group(plan, shape);
    let cr = RedisSentinel {
        // Named like the replication: the operator appends `-sentinel` to the
        // StatefulSet, Service and PDB names, so clients reach `<name>-sentinel:26379`.
        metadata: meta(plan, &plan.name, SENTINEL),
        spec: RedisSentinelSpec {
            cluster_size: i32::try_from(s.replicas).unwrap_or(i32::MAX),
            kubernetes_config: KubernetesConfig {
                image: s
                    .image
                    .clone()
                    .unwrap_or_else(|| DEFAULT_SENTINEL_IMAGE.into()),
                image_pull_policy: Some(PULL_POLICY.into()),
                resources: common::resources(s.resources.as_ref()),
                redis_secret: None,
                image_pull_secrets: placement::image_pull_secrets(plan.spec.pods.as_ref()),
            },
            redis_sentinel_config: RedisSentinelConfig {
                redis_replication_name: plan.name.clone(),
                master_group_name: master,
                redis_port: plan.spec.redis.port.to_string(),
                quorum: s.quorum.to_string(),
                parallel_syncs: s.parallel_syncs.to_string(),
                failover_timeout: s.failover_timeout_ms.to_string(),
                down_after_milliseconds: s.down_after_ms.to_string(),
                redis_replication_password: plan.spec.auth.as_ref().map(|a| EnvVarSource {
                    secret_key_ref: Some(SecretKeySelector {
                        name: a.password_secret.name.clone(),
                        key: a.password_secret.key.clone(),
                        optional: Some(false),
                    }),
                    ..Default::default()
                }),
                additional_sentinel_config: plan
                    .spec
                    .tls
                    .as_ref()
                    .map(|_| config::sentinel_config_name(plan)),
            },
            pod_security_context: Some(security::data_pod(plan.run_as_user)),
            security_context: Some(security::container_writable_root()),
            affinity: affinity(plan, SENTINEL),
            topology_spread_constraints: spread(plan, SENTINEL),
            node_selector: placement::node_selector(plan.spec.placement.as_ref()),
            tolerations: placement::tolerations(plan.spec.placement.as_ref()),
            priority_class_name: placement::priority_class(plan.spec.pods.as_ref()),
            pdb: operator_pdb(plan.sentinel_budget.as_ref()),
            tls: tls_config(plan),
        },
    };
    let mut comment = vec![format!(
        "The operator creates the PodDisruptionBudget `{}-sentinel` from `pdb`:",
        plan.name
    )];
    match &plan.sentinel_budget {
        Some(b) => comment.extend(b.reasoning.iter().cloned()),
        None => comment
            .push("no budget: the Sentinel math refused this topology (see the findings)".into()),
    }
    Ok(Object::new("RedisSentinel", &cr)?.with_comment(comment))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::model::plan;
    use crate::spec::{load_str, resolve::resolve};
    use crate::target::opstree::ROLE_LABEL;

    fn platform_kv() -> Plan {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/profiles/platform-kv.yaml"
        ))
        .expect("profile");
        let loaded = load_str("platform-kv.yaml", text).expect("loads");
        let r = resolve(&loaded.topology);
        plan(&r[0], "platform-kv.yaml")
    }

    fn find<'a>(objs: &'a [Object], kind: &str) -> &'a Object {
        objs.iter().find(|o| o.kind() == kind).expect(kind)
    }

    #[test]
    fn sentinel_numbers_are_strings_and_budgets_integers() {
        let p = platform_kv();
        let objs = crate::emit::emit(&p).expect("emits").objects;
        let s = &find(&objs, "RedisSentinel").value["spec"];
        let c = &s["redisSentinelConfig"];
        assert_eq!(c["quorum"], "2");
        assert_eq!(c["downAfterMilliseconds"], "5000");
        assert_eq!(c["failoverTimeout"], "10000");
        assert_eq!(c["parallelSyncs"], "1");
        assert_eq!(c["masterGroupName"], "platform-kv-master");
        assert_eq!(c["redisReplicationName"], "platform-kv");
        assert_eq!(s["pdb"]["minAvailable"], 2);
        let r = &find(&objs, "RedisReplication").value["spec"];
        assert_eq!(r["clusterSize"], 3);
        assert_eq!(r["pdb"]["maxUnavailable"], 1);
        assert!(
            r["kubernetesConfig"].get("redisSecret").is_none(),
            "no auth in the profile"
        );
    }

    #[test]
    fn nothing_the_operator_creates_is_rendered_twice() {
        let p = platform_kv();
        let objs = crate::emit::emit(&p).expect("emits").objects;
        assert!(objs.iter().all(|o| o.kind() != "PodDisruptionBudget"));
        assert!(objs.iter().all(|o| o.kind() != "StatefulSet"));
        let n = &p.name;
        let operator_services = [
            n.clone(),
            format!("{n}-headless"),
            format!("{n}-additional"),
            format!("{n}-master"),
            format!("{n}-replica"),
            format!("{n}-metrics"),
            format!("{n}-sentinel"),
            format!("{n}-sentinel-headless"),
            format!("{n}-sentinel-additional"),
        ];
        for o in objs.iter().filter(|o| o.kind() == "Service") {
            assert!(
                !operator_services.contains(&o.name().to_string()),
                "{}",
                o.name()
            );
            assert_eq!(o.value["spec"]["selector"][ROLE_LABEL], "master");
        }
    }

    #[test]
    fn redis_conf_carries_the_seed_settings() {
        let conf = config::redis_conf(&platform_kv()).expect("renders");
        for line in [
            "maxmemory 896mb",
            "maxmemory-policy allkeys-lru",
            "save \"\"\nsave 900 1",
            "appendonly yes",
            "appendfsync everysec",
            "repl-diskless-sync yes",
            "maxclients 200",
        ] {
            assert!(conf.contains(line), "missing `{line}` in\n{conf}");
        }
        assert!(conf.ends_with('\n'));
    }

    #[test]
    fn cluster_ip_exposure_adds_no_service() {
        let mut p = platform_kv();
        if let Some(e) = p.spec.exposure.as_mut() {
            e.type_ = crate::spec::ServiceType::ClusterIP;
        }
        let objs = crate::emit::emit(&p).expect("emits").objects;
        assert!(objs.iter().all(|o| o.kind() != "Service"));
        assert!(objs.iter().all(|o| !o.name().ends_with("allow-external")));
    }

    #[test]
    fn every_policy_selects_this_topology() {
        let objs = crate::emit::emit(&platform_kv()).expect("emits").objects;
        for o in objs.iter().filter(|o| o.kind() == "NetworkPolicy") {
            let sel = &o.value["spec"]["podSelector"]["matchLabels"];
            assert_eq!(
                sel["app.kubernetes.io/instance"],
                "platform-kv",
                "{}",
                o.name()
            );
        }
    }
}
