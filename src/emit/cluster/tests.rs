//! The derived numbers, read back from the emitted objects: every value that depends on
//! the shape moves with it (3x2 vs 4x3), and so does every name that depends on the
//! namespace.

use serde_json::Value;

use crate::compile::compile;
use crate::emit::Object;

const SPEC: &str = r#"
apiVersion: rkv.dev/v1alpha1
kind: RedisTopology
metadata: {name: cordum-redis, namespace: cordum, partOf: cordum}
spec:
  use: durable
  shape:
    cluster: {shards: SHARDS, replicasPerShard: REPLICAS, nodeTimeoutMs: 5000}
  redis: {image: "redis:7.2"}
  auth:
    passwordSecret: {name: cordum-redis-secret, key: REDIS_PASSWORD}
  persistence: {size: 20Gi, aof: {}}
  tls: {mutual: true, serverSecret: cordum-redis-server-tls, clientSecret: cordum-client-tls}
  monitoring:
    namespace: monitoring
    exporter: {image: "oliver006/redis_exporter:v1.58.0"}
    alerts: true
    serviceMonitor: true
  backup: {schedule: "0 * * * *", retentionDays: 7, size: 20Gi}
"#;

fn objects(spec: &str) -> Vec<Object> {
    let loaded = crate::spec::load_str("t.yaml", spec.to_string()).expect("spec loads");
    let c = compile(&loaded).expect("spec compiles");
    c.variants.into_iter().flat_map(|v| v.objects).collect()
}

/// Emit without the checks: for shapes a check may refuse, to see what the emitter does.
fn unchecked(spec: &str) -> Vec<Object> {
    let loaded = crate::spec::load_str("t.yaml", spec.to_string()).expect("spec loads");
    crate::spec::resolve::resolve(&loaded.topology)
        .iter()
        .flat_map(|r| {
            crate::emit::emit(&crate::plan::model::plan(r, "t.yaml"))
                .expect("emits")
                .objects
        })
        .collect()
}

fn spec(shards: u32, replicas: u32) -> String {
    SPEC.replace("SHARDS", &shards.to_string())
        .replace("REPLICAS", &replicas.to_string())
}

fn cluster(shards: u32, replicas: u32) -> Vec<Object> {
    objects(
        &SPEC
            .replace("SHARDS", &shards.to_string())
            .replace("REPLICAS", &replicas.to_string()),
    )
}

fn find<'a>(objs: &'a [Object], kind: &str, name: &str) -> &'a Value {
    &objs
        .iter()
        .find(|o| o.kind() == kind && o.name() == name)
        .unwrap_or_else(|| panic!("no {kind} {name}"))
        .value
}

fn alert_expr(objs: &[Object], alert: &str) -> String {
    let rule = find(objs, "PrometheusRule", "cordum-redis");
    rule["spec"]["groups"][0]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["alert"] == alert)
        .unwrap_or_else(|| panic!("no alert {alert}"))["expr"]
        .as_str()
        .unwrap()
        .to_string()
}

struct Derived {
    replicas: i64,
    min_available: i64,
    node_down: String,
    addresses: usize,
    create_args: usize,
    cluster_replicas: String,
    slot_lines: usize,
}

fn derived(objs: &[Object]) -> Derived {
    let sts = find(objs, "StatefulSet", "cordum-redis");
    let pdb = find(objs, "PodDisruptionBudget", "cordum-redis");
    let client = find(objs, "ConfigMap", "cordum-redis-client");
    let scripts = find(objs, "ConfigMap", "cordum-redis-scripts");
    let init = scripts["data"]["cluster-init.sh"].as_str().unwrap();
    let create = init
        .lines()
        .find(|l| l.contains("--cluster create"))
        .unwrap();
    let job = objs
        .iter()
        .find(|o| o.kind() == "Job" && o.name() == "cordum-redis-cluster-init")
        .unwrap();
    Derived {
        replicas: sts["spec"]["replicas"].as_i64().unwrap(),
        min_available: pdb["spec"]["minAvailable"].as_i64().unwrap(),
        node_down: alert_expr(objs, "CordumRedisClusterNodeDown"),
        addresses: client["data"]["REDIS_CLUSTER_ADDRESSES"]
            .as_str()
            .unwrap()
            .split(',')
            .count(),
        create_args: create.matches(".svc.cluster.local:$PORT").count(),
        cluster_replicas: create
            .split("--cluster-replicas ")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .to_string(),
        slot_lines: job
            .comment
            .iter()
            .filter(|l| l.contains(": slots "))
            .count(),
    }
}

#[test]
fn three_by_two_and_four_by_three_derive_every_number() {
    let a = derived(&cluster(3, 1));
    assert_eq!(a.replicas, 6);
    assert_eq!(a.min_available, 5);
    assert_eq!(
        a.node_down,
        r#"(sum(redis_up{namespace="cordum", service="cordum-redis"}) or vector(0)) < 6"#
    );
    assert_eq!(a.addresses, 6);
    assert_eq!(a.create_args, 6);
    assert_eq!(a.cluster_replicas, "1");
    assert_eq!(a.slot_lines, 3);

    let b = derived(&cluster(4, 3));
    assert_eq!(b.replicas, 16);
    assert_eq!(b.min_available, 15);
    assert_eq!(
        b.node_down,
        r#"(sum(redis_up{namespace="cordum", service="cordum-redis"}) or vector(0)) < 16"#
    );
    assert_eq!(b.addresses, 16);
    assert_eq!(b.create_args, 16);
    assert_eq!(b.cluster_replicas, "3");
    assert_eq!(b.slot_lines, 4);
}

#[test]
fn slots_and_backup_regex_are_derived() {
    let objs = cluster(3, 1);
    assert_eq!(
        alert_expr(&objs, "CordumRedisClusterSlotsIncomplete"),
        r#"min(redis_cluster_slots_ok{namespace="cordum", service="cordum-redis"}) < 16384"#
    );
    // The backup alert reads the CronJob's times (kube-state-metrics), scoped to this
    // topology's CronJob, never failed Job objects (they linger after a retry succeeds).
    let backup = alert_expr(&objs, "CordumRedisBackupFailed");
    assert!(
        backup.contains(r#"kube_cronjob_status_last_successful_time{namespace="cordum", cronjob="cordum-redis-backup"}"#),
        "{backup}"
    );
    assert!(!backup.contains("kube_job_status_failed"), "{backup}");
    let job = objs.iter().find(|o| o.kind() == "Job").unwrap();
    assert!(
        job.comment
            .iter()
            .any(|l| l.contains("cordum-redis-1: slots 5461-10922"))
    );
    let retention = find(&objs, "CronJob", "cordum-backup-retention");
    assert_eq!(retention["spec"]["timeZone"], "Etc/UTC");
    assert_eq!(retention["spec"]["schedule"], "30 3 * * *");
}

#[test]
fn no_budget_means_no_pdb() {
    // Two shards cannot vote a failover: the plan has no budget, so no PDB is emitted.
    for (s, r) in [(2, 1), (3, 0)] {
        let objs = unchecked(&spec(s, r));
        assert!(objs.iter().any(|o| o.kind() == "StatefulSet"));
        assert!(
            !objs.iter().any(|o| o.kind() == "PodDisruptionBudget"),
            "{s}x{r}"
        );
    }
}

#[test]
fn namespace_moves_every_dns_name() {
    let moved = SPEC
        .replace("SHARDS", "3")
        .replace("REPLICAS", "1")
        .replace("namespace: cordum,", "namespace: other,");
    let objs = objects(&moved);
    let sts = find(&objs, "StatefulSet", "cordum-redis");
    let args = sts["spec"]["template"]["spec"]["containers"][0]["args"].to_string();
    assert!(
        args.contains("$(POD_NAME).cordum-redis.other.svc.cluster.local"),
        "{args}"
    );
    let client = find(&objs, "ConfigMap", "cordum-redis-client");
    assert!(
        client["data"]["REDIS_CLUSTER_ADDRESSES"]
            .as_str()
            .unwrap()
            .starts_with("cordum-redis-0.cordum-redis.other.svc:6379,")
    );
    for o in &objs {
        assert_eq!(o.namespace(), "other", "{} {}", o.kind(), o.name());
        let text = o.value.to_string();
        assert!(
            !text.contains(".cordum.svc"),
            "{} {} names the old namespace",
            o.kind(),
            o.name()
        );
    }
}

#[test]
fn secrets_are_only_referenced() {
    for o in cluster(3, 1) {
        let text = o.value.to_string();
        assert!(!text.contains("requirepass\\n"), "{}", o.name());
        // Files, never environment variables (checkov CKV_K8S_35) or arguments.
        assert!(!text.contains("secretKeyRef"), "{}", o.name());
        assert!(
            !text.contains("\"name\":\"REDIS_PASSWORD\""),
            "{}",
            o.name()
        );
        if o.kind() == "StatefulSet" {
            assert!(text.contains("\"secretName\":\"cordum-redis-secret\""));
            assert!(!text.contains("--requirepass"));
        }
    }
    let conf = cluster(3, 1)
        .into_iter()
        .find(|o| o.name() == "cordum-redis-config")
        .map(|o| {
            o.value["data"]["start.sh"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .unwrap_or_default();
    assert!(conf.contains("requirepass \"$pw\"") && conf.contains("masterauth \"$pw\""));
}

#[test]
fn without_tls_the_plain_port_serves() {
    let plain = SPEC
        .replace("SHARDS", "3")
        .replace("REPLICAS", "1")
        .replace(
            "  tls: {mutual: true, serverSecret: cordum-redis-server-tls, clientSecret: cordum-client-tls}\n",
            "",
        );
    let objs = objects(&plain);
    let conf = find(&objs, "ConfigMap", "cordum-redis-config")["data"]["redis.conf"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(conf.contains("\nport 6379\n"), "{conf}");
    assert!(!conf.contains("tls-"), "{conf}");
    let sts = find(&objs, "StatefulSet", "cordum-redis").to_string();
    assert!(sts.contains("redis://localhost:6379"));
    assert!(!sts.contains("client-tls"));
}

#[test]
fn the_tls_exporter_dials_the_announced_name_not_localhost() {
    let objs = cluster(3, 1);
    let sts = find(&objs, "StatefulSet", "cordum-redis");
    let exporter = &sts["spec"]["template"]["spec"]["containers"][1];
    let env = exporter["env"].as_array().unwrap();
    let addr = env.iter().find(|e| e["name"] == "REDIS_ADDR").unwrap()["value"]
        .as_str()
        .unwrap();
    assert_eq!(
        addr,
        "rediss://$(POD_NAME).cordum-redis.cordum.svc.cluster.local:6379"
    );
    // The kubelet expands $(POD_NAME) only from a variable defined before it.
    assert_eq!(env[0]["name"], "POD_NAME");
}

#[test]
fn backups_record_slots_and_restore_is_a_suspended_cronjob() {
    let objs = cluster(3, 1);
    let scripts = find(&objs, "ConfigMap", "cordum-redis-scripts");
    let backup = scripts["data"]["backup.sh"].as_str().unwrap();
    assert!(
        backup.contains("cluster nodes >\"$out.nodes.partial\""),
        "{backup}"
    );
    assert!(backup.contains("exit 2"), "{backup}");
    assert!(
        scripts["data"]["restore.sh"]
            .as_str()
            .unwrap()
            .contains("--cluster import")
    );
    let restore = find(&objs, "CronJob", "cordum-redis-restore");
    assert_eq!(restore["spec"]["suspend"], true);
    let sts = find(&objs, "StatefulSet", "cordum-redis");
    assert_eq!(
        sts["spec"]["template"]["spec"]["containers"][0]["command"],
        serde_json::json!(["sh", "/etc/redis/conf/start.sh"])
    );
}

#[test]
fn camel_case_prefix() {
    assert_eq!(super::camel("cordum"), "Cordum");
    assert_eq!(super::camel("my-app"), "MyApp");
}

/// The container `name` of a workload's pod template (init containers too).
fn container<'a>(workload: &'a Value, name: &str) -> &'a Value {
    let spec = if workload["kind"] == "CronJob" {
        &workload["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    } else {
        &workload["spec"]["template"]["spec"]
    };
    spec["initContainers"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(spec["containers"].as_array().into_iter().flatten())
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no container {name}"))
}

#[test]
fn rkvs_own_containers_have_defaults_and_redis_has_the_specs() {
    let objs = cluster(3, 1);
    let sts = find(&objs, "StatefulSet", "cordum-redis");
    // The spec sets no resources: Redis gets none (RKV119), never a guess.
    assert!(container(sts, "redis").get("resources").is_none());
    let exporter = &container(sts, "exporter")["resources"];
    assert_eq!(
        exporter["requests"], exporter["limits"],
        "Guaranteed-shaped"
    );
    assert_eq!(exporter["limits"]["memory"], "128Mi");
    let init = &container(sts, "exporter-auth")["resources"];
    assert_eq!(init["requests"], init["limits"]);
    for (kind, name, c) in [
        ("Job", "cordum-redis-cluster-init", "cluster-init"),
        ("CronJob", "cordum-redis-backup", "backup"),
        ("CronJob", "cordum-backup-retention", "backup-retention"),
    ] {
        let r = &container(find(&objs, kind, name), c)["resources"];
        assert_eq!(r["limits"]["cpu"], "500m", "{name}");
        assert_eq!(r["limits"]["memory"], "256Mi", "{name}");
    }
    // The restore holds a dump in memory: no memory bound of rkv's invention.
    let restore =
        &container(find(&objs, "CronJob", "cordum-redis-restore"), "restore")["resources"];
    assert!(restore["limits"].get("memory").is_none());
    assert_eq!(restore["limits"]["cpu"], "500m");
}

#[test]
fn the_spec_sizes_the_jobs_and_the_restore_follows_redis() {
    let sized = spec(3, 1).replace(
        "  backup:",
        "  resources: {requests: {cpu: 500m, memory: 2Gi}, limits: {cpu: \"1\", memory: 4Gi}}\n  backup:",
    );
    let objs = objects(&sized);
    let restore =
        &container(find(&objs, "CronJob", "cordum-redis-restore"), "restore")["resources"];
    assert_eq!(restore["limits"]["memory"], "4Gi");
    assert_eq!(restore["requests"]["memory"], "2Gi");
    let jobs = format!(
        "{sized}  jobs: {{resources: {{requests: {{cpu: 20m, memory: 48Mi}}, limits: {{cpu: 200m, memory: 96Mi}}}}}}\n"
    );
    let objs = objects(&jobs);
    for (kind, name, c) in [
        ("Job", "cordum-redis-cluster-init", "cluster-init"),
        ("CronJob", "cordum-redis-restore", "restore"),
    ] {
        let r = &container(find(&objs, kind, name), c)["resources"];
        assert_eq!(
            r["limits"]["memory"], "96Mi",
            "{name}: `jobs.resources` replaces the default whole"
        );
        assert_eq!(r["requests"]["cpu"], "20m", "{name}");
    }
}

#[test]
fn the_exporter_is_ready_only_when_it_serves_and_reads_its_password_from_a_file() {
    let objs = cluster(3, 1);
    let sts = find(&objs, "StatefulSet", "cordum-redis");
    let e = container(sts, "exporter");
    assert_eq!(e["readinessProbe"]["httpGet"]["path"], "/health");
    let env = e["env"].as_array().cloned().unwrap_or_default();
    assert!(
        env.iter()
            .all(|v| v.get("valueFrom").is_none() || v["name"] == "POD_NAME")
    );
    assert!(env.iter().any(|v| v["name"] == "REDIS_PASSWORD_FILE"));
    // The init container keys the file by the exporter's own address.
    let init = container(sts, "exporter-auth");
    let addr = |c: &Value| {
        c["env"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|v| v["name"] == "REDIS_ADDR")
            .cloned()
    };
    assert_eq!(addr(init), addr(e));
}
