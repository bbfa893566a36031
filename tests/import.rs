//! `rkv import`: each seed's deployment (tests/fixtures/import/) imported, its spec
//! compared with the committed profile in every fact the seed states, and the round
//! trip (render the imported spec, compare with the source object by object) checked:
//! every difference identical, deliberate with its reason or finding code, or listed as
//! lost. Then the edges: lost fields, closing ports, secrets, bad input, the command
//! line, and `--live` against the stand-in API server.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use insta::assert_snapshot;
use rkv::diag::{Code, codes};
use rkv::import::report::{Class, Difference, ObjectReport, Outcome};
use rkv::import::{
    self, ChartName, HelmInput, ImportError, Imported, Options, Report, SourceObject, source,
};
use rkv::spec::{self, Topology};
use serde_json::{Value, json};

use crate::support::apiserver::{FakeApiServer, Fault, Resource, builtin_resources};
use crate::support::{outcome, rkv, root, shared, shown, tool};

fn fixture(p: &str) -> PathBuf {
    root().join("tests/fixtures/import").join(p)
}

/// The chart values files the tests read (never copied into the project).
fn chart_values(chart: ChartName) -> PathBuf {
    shared().join("helm").join(match chart {
        ChartName::Redis => "bitnami-redis-23.1.1.values.yaml",
        ChartName::RedisCluster => "bitnami-redis-cluster-13.0.5.values.yaml",
    })
}

/// The repository's kubectl; `None` (a skip) locally when it is not installed, a failure under CI.
fn kubectl() -> Option<PathBuf> {
    tool("kubectl")
}

fn opts(label: &str) -> Options {
    Options {
        label: label.to_string(),
        ..Options::default()
    }
}

fn import_dir(dir: &str) -> Imported {
    let kubectl = kubectl().unwrap_or_else(|| PathBuf::from("kubectl"));
    let objects = import::read_manifests(&[fixture(dir)], &kubectl).expect("fixture reads");
    import::import(objects, None, &opts(dir)).expect("fixture imports")
}

fn values_doc(path: &Path) -> SourceObject {
    let text = source::read_text(path).expect("values file");
    let mut docs =
        source::parse_documents(&path.display().to_string(), &text).expect("values parse");
    assert_eq!(docs.len(), 1);
    docs.remove(0)
}

fn import_helm(values: &Path, chart: ChartName, extra: &[PathBuf]) -> Imported {
    let defaults = values_doc(&chart_values(chart)).value;
    let objects = import::read_manifests(extra, Path::new("kubectl")).expect("extra manifests");
    let helm = HelmInput {
        values: values_doc(values),
        chart,
        version: None,
        defaults: Some(defaults),
        release: Some("redis".into()),
        namespace: Some("redis".into()),
    };
    import::import(objects, Some(helm), &opts("helm")).expect("values import")
}

/// The effective metadata and spec of a topology's variant, as JSON.
fn effective(t: &Topology, variant: &str) -> Value {
    let all = spec::resolve::resolve(t);
    let r = all
        .iter()
        .find(|r| r.variant.label() == variant)
        .unwrap_or_else(|| panic!("no variant {variant}"));
    json!({
        "metadata": {"name": r.name, "namespace": r.namespace, "partOf": r.part_of, "labels": r.labels},
        "spec": serde_json::to_value(&r.spec).expect("spec serializes"),
    })
}

fn profile(file: &str, variant: &str) -> Value {
    let loaded = spec::load_file(&root().join("profiles").join(file)).expect("profile loads");
    effective(&loaded.topology, variant)
}

/// Asserts the imported spec and the profile agree on every pointer in `facts`, and that
/// each is set (a fact the seed states is never absent from both).
fn same_facts(imported: &Imported, profile: &Value, facts: &[&str]) {
    let ours = effective(&imported.topology, "base");
    for f in facts {
        let (a, b) = (ours.pointer(f), profile.pointer(f));
        assert!(
            a.is_some(),
            "the imported spec lacks {f}\n{}",
            imported.yaml
        );
        assert_eq!(a, b, "{f} differs from the profile\n{}", imported.yaml);
    }
}

fn object<'a>(r: &'a Report, id: &str) -> &'a ObjectReport {
    r.objects
        .iter()
        .find(|o| o.source.as_deref().is_some_and(|s| s.starts_with(id)))
        .unwrap_or_else(|| panic!("no source object {id} in the report:\n{}", r.render_text()))
}

fn difference<'a>(o: &'a ObjectReport, path: &str) -> &'a Difference {
    o.differences
        .iter()
        .find(|d| d.path == path)
        .unwrap_or_else(|| panic!("no difference at {path}: {:#?}", o.differences))
}

/// What the report lists as lost: objects by id, fields as `id path`.
fn lost(r: &Report) -> Vec<String> {
    let mut out = Vec::new();
    for o in &r.objects {
        let id = o.source.clone().unwrap_or_default();
        let id = id.split(" (").next().unwrap_or_default().to_string();
        if o.outcome == Outcome::Lost {
            out.push(id.clone());
        }
        for d in o.differences.iter().filter(|d| d.class == Class::Lost) {
            out.push(format!("{id} {}", d.path));
        }
    }
    out
}

/// The spec text: the modeline first, a comment for every inferred, unmapped or changed
/// note, and it loads (schema and checks) to the same topology.
fn check_yaml(i: &Imported) {
    assert!(
        i.yaml
            .starts_with("# yaml-language-server: $schema=../schemas/topology.schema.json\n"),
        "{}",
        i.yaml
    );
    for n in &i.report.notes {
        let line = format!("# {}", n.kind.label());
        let text: String = n.text.chars().take(40).collect();
        assert!(
            i.yaml
                .lines()
                .any(|l| l.trim_start().starts_with(&line) && l.contains(&text)),
            "no comment for the note {n:?} in\n{}",
            i.yaml
        );
    }
    let loaded = spec::load_str("imported.yaml", i.yaml.clone()).expect("the imported spec loads");
    assert_eq!(loaded.topology, i.topology);
    rkv::compile::compile(&loaded).expect("the imported spec compiles");
    // Every difference says why; every object is accounted for.
    for o in &i.report.objects {
        for d in &o.differences {
            assert!(!d.reason.is_empty(), "{d:?}");
        }
        if o.outcome != Outcome::Compared {
            assert!(!o.reason.is_empty(), "{o:?}");
        }
    }
}

#[test]
fn seed_000_base_standalone() {
    let i = import_dir("000-base");
    check_yaml(&i);
    same_facts(
        &i,
        &profile("cordum.yaml", "base"),
        &[
            "/metadata/name",
            "/metadata/namespace",
            "/metadata/labels/app",
            "/spec/shape",
            "/spec/redis/port",
            "/spec/auth",
            "/spec/persistence/aof",
        ],
    );
    // The seed runs AOF with no volume: rkv keeps the files on a PVC (RKV170).
    let fix = i
        .report
        .fixes
        .iter()
        .find(|f| f.code == codes::RKV170)
        .expect("RKV170 fix");
    assert!(fix.change.contains("appendonly yes"), "{fix:?}");
    assert!(
        lost(&i.report).is_empty(),
        "{:?}\n{}",
        lost(&i.report),
        i.report.render_text()
    );
    // The Redis configuration is compared as Redis reads it: `sh -c ... $REDIS_PASSWORD`
    // and rkv's `--requirepass $(REDIS_PASSWORD)` are the same password.
    let dep = object(&i.report, "Deployment/cordum/redis");
    assert!(
        dep.differences
            .iter()
            .all(|d| !d.path.contains("requirepass")),
        "{dep:?}"
    );
    assert!(!difference(dep, "spec.strategy.type").recreate);
    assert!(difference(dep, "spec.selector.matchLabels.app").recreate);
}

#[test]
fn seed_000_production_cluster_from_a_kustomize_tree() {
    if kubectl().is_none() {
        return;
    }
    let i = import_dir("000-production");
    check_yaml(&i);
    // The kustomization file stands for its tree.
    let k = kubectl().unwrap_or_default();
    let via_file =
        import::read_manifests(&[fixture("000-production/kustomization.yaml")], &k).unwrap();
    let via_file = import::import(via_file, None, &opts("000-production")).unwrap();
    assert_eq!(via_file.topology, i.topology);
    same_facts(
        &i,
        &profile("cordum.yaml", "production"),
        &[
            "/metadata/name",
            "/metadata/namespace",
            "/metadata/partOf",
            "/metadata/labels/app",
            "/spec/shape/cluster/shards",
            "/spec/shape/cluster/replicasPerShard",
            "/spec/shape/cluster/nodeTimeoutMs",
            "/spec/tls/mutual",
            "/spec/tls/plaintextPort",
            "/spec/tls/serverSecret",
            "/spec/tls/clientSecret",
            "/spec/auth",
            "/spec/persistence/size",
            "/spec/persistence/aof",
            "/spec/monitoring/exporter/image",
            "/spec/monitoring/exporter/port",
            "/spec/monitoring/alerts",
            "/spec/backup/schedule",
            "/spec/backup/retentionDays",
            "/spec/backup/retentionSchedule",
            "/spec/backup/size",
            "/spec/placement/antiAffinity",
        ],
    );
    // Where the profile differs on purpose, the report names the finding: the seed's
    // minAvailable 4 lets a shard go (RKV110), rkv renders 5.
    let ours = effective(&i.topology, "base");
    assert!(ours.pointer("/spec/disruption").is_none());
    assert!(
        profile("cordum.yaml", "production")
            .pointer("/spec/disruption")
            .is_none()
    );
    let pdb = object(&i.report, "PodDisruptionBudget/cordum/cordum-redis-pdb");
    assert_eq!(pdb.outcome, Outcome::Renamed);
    let d = difference(pdb, "spec.minAvailable");
    assert_eq!(
        (d.source.as_deref(), d.rendered.as_deref()),
        (Some("4"), Some("5"))
    );
    assert_eq!(
        (d.class, d.code.map(Code::as_str)),
        (Class::Deliberate, Some("RKV110"))
    );
    // The six alerts of the seed are all rendered, each with rkv's expression: scoped
    // to this topology's series, over series the exporter and kube-state-metrics export.
    let rule = object(&i.report, "PrometheusRule/cordum/cordum-redis");
    let exprs: Vec<&str> = rule
        .differences
        .iter()
        .filter(|d| d.path.ends_with(".expr"))
        .map(|d| d.path.as_str())
        .collect();
    assert_eq!(
        exprs,
        [
            "spec.rules[CordumRedisBackupFailed].expr",
            "spec.rules[CordumRedisClusterDegraded].expr",
            "spec.rules[CordumRedisClusterNodeDown].expr",
            "spec.rules[CordumRedisClusterSlotsIncomplete].expr",
            "spec.rules[CordumRedisMemoryHigh].expr",
            "spec.rules[CordumRedisReplicationBroken].expr"
        ]
    );
    assert!(
        rule.differences
            .iter()
            .filter(|d| d.path.ends_with(".expr"))
            .all(|d| d.class == Class::Deliberate),
        "{rule:?}"
    );
    // redis.conf in a ConfigMap and arguments compare as one configuration: the seed's
    // TLS directives are identical, not lost.
    let sts = object(&i.report, "StatefulSet/cordum/cordum-redis");
    assert!(sts.differences.iter().all(|d| !d.path.contains("redis.conf.tls-port") && !d.path.contains("redis.conf.port")));
    assert!(
        lost(&i.report).is_empty(),
        "{:?}\n{}",
        lost(&i.report),
        i.report.render_text()
    );
}

#[test]
fn seed_001_redisfailover() {
    let i = import_dir("001");
    check_yaml(&i);
    same_facts(
        &i,
        &profile("wal-failover.yaml", "dc"),
        &[
            "/metadata/name",
            "/metadata/namespace",
            "/spec/shape/failover/operator",
            "/spec/shape/failover/replicas",
            "/spec/shape/failover/sentinel/replicas",
            "/spec/shape/failover/sentinel/quorum",
            "/spec/shape/failover/sentinel/masterName",
            "/spec/shape/failover/sentinel/downAfterMs",
            "/spec/shape/failover/sentinel/failoverTimeoutMs",
            "/spec/shape/failover/sentinel/parallelSyncs",
            "/spec/persistence/storageClass",
            "/spec/persistence/aof",
        ],
    );
    // No password, as the seed runs it and the profile keeps it: a warning, RKV101.
    assert!(
        effective(&i.topology, "base")
            .pointer("/spec/auth")
            .is_none()
    );
    assert!(i.report.findings.iter().any(|f| f.code == codes::RKV101));
    // The WAL: what the applier Deployment says about the log, as the profile has it.
    same_facts(
        &i,
        &profile("wal-failover.yaml", "dc"),
        &[
            "/spec/shape/failover/wal/kafka/namespace",
            "/spec/shape/failover/wal/kafka/cluster",
            "/spec/shape/failover/wal/kafka/bootstrap",
            "/spec/shape/failover/wal/kafka/port",
            "/spec/shape/failover/wal/topic/name",
            "/spec/shape/failover/wal/applier/replicas",
            "/spec/shape/failover/wal/applier/user",
            "/spec/shape/failover/wal/applier/group",
        ],
    );
    // The secret store is not in the sources (the seed copies the Secrets by hand): a
    // placeholder, with a comment to fill it in.
    assert!(
        i.yaml.contains(
            "# inferred: not in the sources (`redis-applier` reads its Kafka credentials"
        ),
        "{}",
        i.yaml
    );
    // Lost: the applier's own environment contract and hand-copied Secret wiring (rkv
    // renders its own), and the claim template's name (rkv's is `redis-data`: new, empty
    // volumes). Listed, never dropped.
    let l = lost(&i.report);
    assert!(
        l.contains(
            &"RedisFailover/redis/redis spec.redis.storage.persistentVolumeClaim.metadata.name"
                .to_string()
        ),
        "{l:#?}"
    );
    assert!(
        l.iter()
            .all(|x| x.starts_with("Deployment/redis/redis-applier ")
                || x.starts_with("RedisFailover/redis/redis spec.redis.storage")),
        "{l:#?}"
    );
    assert!(l.iter().any(|x| x.contains("env[KAFKA_USER]")), "{l:#?}");
    let rf = object(&i.report, "RedisFailover/redis/redis");
    assert!(difference(rf, "spec.redis.storage.persistentVolumeClaim.metadata.name").recreate);
}

#[test]
fn seed_002_bitnami_values_and_backup_job() {
    let i = import_helm(
        &fixture("002/values.yaml"),
        ChartName::Redis,
        &[fixture("002/backup-cronjob.yaml")],
    );
    check_yaml(&i);
    same_facts(
        &i,
        &profile("bitnami-redis.yaml", "base"),
        &[
            "/metadata/name",
            "/metadata/namespace",
            "/spec/persistence/size",
            "/spec/persistence/storageClass",
            "/spec/persistence/aof",
            "/spec/persistence/rdbSave",
            "/spec/resources/limits/memory",
            "/spec/resources/requests/memory",
            "/spec/backup/schedule",
            "/spec/backup/retentionDays",
            "/spec/outputs/helm/release",
            "/spec/outputs/helm/namespace",
            // The values name no `existingSecret`: the chart made Secret `redis`, and the
            // spec keeps it the chart's (`createdBy: chart`), as the profile does.
            "/spec/auth",
        ],
    );
    // The seed's `save 900 1      # ...` lines: Redis refuses them; the report says so.
    let trailing = i
        .report
        .notes
        .iter()
        .filter(|n| n.text.contains("not a comment"))
        .count();
    assert_eq!(trailing, 4);
    // The Helm target renders the backup CronJob beside the release: nothing is lost.
    assert_eq!(lost(&i.report), Vec::<String>::new());
}

#[test]
fn seed_003_sentinel_values_with_the_seeds_mistakes_fixed() {
    let i = import_helm(
        &fixture("003/values.yaml"),
        ChartName::Redis,
        &[fixture("003/pdb.yaml"), fixture("003/resourcequota.yaml")],
    );
    check_yaml(&i);
    let p = profile("bitnami-redis.yaml", "base");
    same_facts(
        &i,
        &p,
        &[
            "/metadata/name",
            "/metadata/namespace",
            "/spec/shape/replication/replicas",
            "/spec/shape/replication/sentinel/replicas",
            "/spec/shape/replication/sentinel/quorum",
        ],
    );
    // replica.replicaCount 2 with `sentinel.replicas: 3` (not a chart value) runs 2 nodes,
    // each Redis + Sentinel: a safe budget would block every drain (RKV115); the profile's
    // 3 nodes are what rkv renders, the report naming both findings.
    let codes: Vec<&str> = i.report.fixes.iter().map(|f| f.code.as_str()).collect();
    assert!(
        codes.contains(&"RKV115") && codes.contains(&"RKV175") && codes.contains(&"RKV110"),
        "{codes:?}"
    );
    let values = object(&i.report, "values ");
    let count = difference(values, "replica.replicaCount");
    assert_eq!(
        (count.source.as_deref(), count.rendered.as_deref()),
        (Some("2"), Some("3"))
    );
    assert_eq!(count.class, Class::Deliberate);
    assert!(count.code.is_some());
    assert_eq!(
        difference(values, "sentinel.replicas").class,
        Class::Deliberate
    );
    // master.* never takes effect under Sentinel: noted, not imported.
    assert!(
        i.report
            .notes
            .iter()
            .any(|n| n.text.contains("`master.resources`"))
    );
    // The seed's own PDB is replaced by the chart's (RKV110), its ResourceQuota is lost.
    let pdb = object(&i.report, "PodDisruptionBudget/redis/redis-pdb");
    assert_eq!(
        (pdb.outcome, pdb.code.map(Code::as_str)),
        (Outcome::Replaced, Some("RKV110"))
    );
    assert_eq!(lost(&i.report), ["ResourceQuota/redis/redis-quota"]);
}

#[test]
fn seed_004_redisreplication_and_sentinel() {
    let i = import_dir("004");
    check_yaml(&i);
    same_facts(
        &i,
        &profile("platform-kv.yaml", "base"),
        &[
            "/metadata/name",
            "/metadata/namespace",
            "/spec/use",
            "/spec/shape/replication/replicas",
            "/spec/shape/replication/sentinel/replicas",
            "/spec/shape/replication/sentinel/quorum",
            "/spec/shape/replication/sentinel/downAfterMs",
            "/spec/shape/replication/sentinel/failoverTimeoutMs",
            "/spec/shape/replication/sentinel/parallelSyncs",
            "/spec/shape/replication/sentinel/masterName",
            "/spec/shape/replication/sentinel/resources",
            "/spec/redis/image",
            "/spec/redis/maxclients",
            "/spec/redis/replDisklessSync",
            "/spec/resources",
            "/spec/memory/maxmemory",
            "/spec/memory/policy",
            "/spec/persistence/size",
            "/spec/persistence/storageClass",
            "/spec/persistence/aof/fsync",
            "/spec/persistence/rdbSave",
            "/spec/exposure/type",
            "/spec/exposure/hostname",
            "/spec/monitoring/exporter/port",
            "/spec/placement/antiAffinity",
        ],
    );
    // Exposed without auth and TLS: kept as it runs, the acceptance written for review (RKV103).
    assert!(i.report.fixes.iter().any(|f| f.code == codes::RKV103));
    assert!(i.yaml.contains("# changed: RKV103"));
    assert!(
        i.report.findings.iter().any(|f| f.code == codes::RKV123),
        "allkeys-lru on a session store"
    );
    assert!(lost(&i.report).is_empty(), "{:?}", lost(&i.report));
    assert_eq!(i.report.lost(), 0);
}

#[test]
fn the_same_input_gives_the_same_bytes() {
    let a = import_dir("004");
    let b = import_dir("004");
    assert_eq!(a.yaml, b.yaml);
    assert_eq!(a.report.render_text(), b.report.render_text());
}

/// A workload from text, imported.
fn import_text(text: &str) -> Result<Imported, ImportError> {
    let objects = import::parse_manifests("test.yaml", text)?;
    import::import(objects, None, &opts("test.yaml"))
}

const STANDALONE: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: kv, namespace: apps}
spec:
  selector: {matchLabels: {app: kv}}
  template:
    metadata: {labels: {app: kv}}
    spec:
      nodeSelector: {disk: ssd}
      tolerations: [{key: dedicated, operator: Exists}]
      containers:
        - name: redis
          image: redis:7.2
          args: ["--maxmemory-policy", "allkeys-lfu", "--maxmemory", "100mb", "--tcp-keepalive", "60"]
          resources: {limits: {memory: 1Gi, ephemeral-storage: 1Gi}}
        - name: sidecar
          image: busybox
"#;

#[test]
fn fields_rkv_cannot_express_are_listed_and_fail_the_check() {
    let i = import_text(STANDALONE).expect("imports");
    let l = lost(&i.report);
    for want in [
        "Deployment/apps/kv spec.template.spec.nodeSelector.disk",
        "Deployment/apps/kv spec.template.spec.tolerations[0].key",
        "Deployment/apps/kv spec.template.spec.containers[main].image",
        "Deployment/apps/kv spec.template.spec.containers[redis].redis.conf.tcp-keepalive",
        "Deployment/apps/kv spec.template.spec.containers[redis].resources.limits.ephemeral-storage",
    ] {
        assert!(l.iter().any(|x| x == want), "{want} not in {l:#?}");
    }
    // The mapped settings are not: they render the same.
    assert!(!l.iter().any(|x| x.contains("maxmemory")), "{l:#?}");
    // And each is a comment in the spec.
    assert!(
        i.yaml.contains("# not mapped: `tcp-keepalive 60`"),
        "{}",
        i.yaml
    );
    assert!(i.yaml.contains("ephemeral-storage"), "{}", i.yaml);
}

const TLS_CLUSTER: &str = r#"apiVersion: apps/v1
kind: StatefulSet
metadata: {name: kv, namespace: apps}
spec:
  replicas: 6
  serviceName: kv
  selector: {matchLabels: {app: kv}}
  template:
    metadata: {labels: {app: kv}}
    spec:
      containers:
        - name: redis
          image: redis:7.2
          args: ["/conf/redis.conf", "--requirepass", "$(PW)"]
          env: [{name: PW, valueFrom: {secretKeyRef: {name: kv-auth, key: pw}}}]
          volumeMounts:
            - {name: conf, mountPath: /conf}
            - {name: tls, mountPath: /tls}
            - {name: data, mountPath: /data}
      volumes:
        - {name: conf, configMap: {name: kv-conf}}
        - {name: tls, secret: {secretName: kv-tls}}
  volumeClaimTemplates:
    - metadata: {name: data}
      spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 5Gi}}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: kv-conf, namespace: apps}
data:
  redis.conf: |
    cluster-enabled yes
    port 6379
    tls-port 6380
    tls-cert-file /tls/tls.crt
    tls-key-file /tls/tls.key
    tls-ca-cert-file /tls/ca.crt
    tls-auth-clients no
---
apiVersion: v1
kind: Secret
metadata: {name: kv-auth, namespace: apps}
stringData: {pw: "s3cr3t-value-never-shown"}
"#;

#[test]
fn an_open_plaintext_port_closes_with_its_finding() {
    let i = import_text(TLS_CLUSTER).expect("imports");
    let fix = i
        .report
        .fixes
        .iter()
        .find(|f| f.code == codes::RKV142)
        .expect("RKV142 fix");
    assert!(fix.change.contains("plaintext port closes"), "{fix:?}");
    let t = i.topology.spec.tls.as_ref().expect("tls");
    assert!(!t.plaintext_port && !t.mutual);
    let sts = object(&i.report, "StatefulSet/apps/kv");
    let port = difference(sts, "spec.template.spec.containers[redis].redis.conf.port");
    assert_eq!(
        (port.source.as_deref(), port.rendered.as_deref()),
        (Some("6379"), Some("0"))
    );
    assert_eq!(
        (port.class, port.code.map(Code::as_str)),
        (Class::Deliberate, Some("RKV142"))
    );
    // The Secret is listed, never read: its value is nowhere.
    let secret = object(&i.report, "Secret/apps/kv-auth");
    assert_eq!(secret.outcome, Outcome::Lost);
    assert!(!i.report.render_text().contains("s3cr3t-value-never-shown"));
    assert!(!i.yaml.contains("s3cr3t-value-never-shown"));
}

#[test]
fn a_literal_password_is_never_printed() {
    let text = STANDALONE.replace(
        "\"--tcp-keepalive\", \"60\"",
        "\"--requirepass\", \"hunter2-literal\", \"--user\", \"app\", \"on\", \">acl-pw-literal\", \"~*\", \"+@all\"",
    );
    let i = import_text(&text).expect("imports");
    assert!(i.topology.spec.auth.is_none());
    assert!(i.report.notes.iter().any(|n| n.text.contains("clear text")));
    let all = format!("{}{}", i.yaml, i.report.render_text());
    assert!(
        !all.contains("hunter2-literal") && !all.contains("acl-pw-literal"),
        "{all}"
    );
    let dep = object(&i.report, "Deployment/apps/kv");
    let d = difference(
        dep,
        "spec.template.spec.containers[redis].redis.conf.requirepass",
    );
    assert_eq!(
        (d.source.as_deref(), d.class),
        (Some("<redacted>"), Class::Lost)
    );
}

#[test]
fn bad_input_is_a_located_error() {
    let e =
        import_text("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: kv\n").unwrap_err();
    assert!(e.to_string().starts_with("test.yaml:3:"), "{e}");
    let e = import_text(&STANDALONE.replace("containers:\n", "containers: 3\n        x:\n"))
        .unwrap_err();
    assert!(e.to_string().starts_with("test.yaml:"), "{e}");
    let e = import_text(&STANDALONE.replace(
        "namespace: apps}",
        "namespace: apps}\nspec: {replicas: x}\n---\nkind: X\napiVersion: v1\nmetadata: {name: y}",
    ))
    .unwrap_err();
    assert!(e.to_string().contains("test.yaml:"), "{e}");
    let e = import_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n").unwrap_err();
    assert!(matches!(e, ImportError::NoRedis { .. }), "{e}");
    let two = format!(
        "{STANDALONE}---\n{}",
        STANDALONE.replace("name: kv,", "name: kv2,")
    );
    let e = import_text(&two).unwrap_err();
    assert!(matches!(e, ImportError::Ambiguous { .. }), "{e}");
    // A Deployment without a namespace and no --namespace.
    let e = import_text(&STANDALONE.replace(", namespace: apps", "")).unwrap_err();
    assert!(e.to_string().contains("--namespace"), "{e}");
    let ok = import::import(
        import::parse_manifests("t.yaml", &STANDALONE.replace(", namespace: apps", "")).unwrap(),
        None,
        &Options {
            namespace: Some("given".into()),
            ..Options::default()
        },
    )
    .expect("the given namespace is used");
    assert_eq!(ok.topology.metadata.namespace, "given");
}

#[test]
fn chart_defaults_are_the_charts_own() {
    for chart in [ChartName::Redis, ChartName::RedisCluster] {
        let file = values_doc(&chart_values(chart)).value;
        let ours = import::chart_defaults(chart);
        let mut leaves = Vec::new();
        fn walk(v: &Value, p: String, out: &mut Vec<(String, Value)>) {
            match v {
                Value::Object(m) if !m.is_empty() => {
                    for (k, x) in m {
                        walk(x, format!("{p}/{k}"), out);
                    }
                }
                other => out.push((p, other.clone())),
            }
        }
        walk(&ours, String::new(), &mut leaves);
        assert!(leaves.len() > 10);
        for (p, v) in leaves {
            assert_eq!(file.pointer(&p), Some(&v), "{} {p}", chart.name());
        }
    }
}

#[test]
fn redis_cluster_chart_values() {
    let dir = tempfile::tempdir().unwrap();
    let values = dir.path().join("values.yaml");
    std::fs::write(
        &values,
        "cluster: {nodes: 9, replicas: 2}\nexistingSecret: kv-auth\nexistingSecretPasswordKey: pw\npersistence: {size: 20Gi}\nredis:\n  configmap: |\n    cluster-node-timeout 5000\n  resources: {limits: {memory: 2Gi}}\n",
    )
    .unwrap();
    let i = import_helm(&values, ChartName::RedisCluster, &[]);
    check_yaml(&i);
    let s = effective(&i.topology, "base");
    assert_eq!(
        s.pointer("/spec/shape/cluster"),
        Some(&json!({"shards": 3, "replicasPerShard": 2, "nodeTimeoutMs": 5000}))
    );
    assert_eq!(
        s.pointer("/spec/resources/limits/memory"),
        Some(&json!("2Gi"))
    );
    assert_eq!(
        s.pointer("/spec/auth/passwordSecret"),
        Some(&json!({"name": "kv-auth", "key": "pw"}))
    );
    assert_eq!(i.report.lost(), 0, "{}", i.report.render_text());
}

/// `rkv` in `dir`, with the repository's kubectl for kustomize trees when installed.
fn import_in(dir: &Path) -> Command {
    let mut c = rkv();
    c.current_dir(dir);
    if let Some(k) = kubectl() {
        c.env("RKV_KUBECTL", k);
    }
    c
}

/// `rkv import ARGS` in the repository.
fn import_cmd(args: &[&str]) -> Command {
    let mut c = import_in(root());
    c.arg("import").args(args);
    c
}

#[test]
fn cli_prints_the_spec_and_the_report() {
    let out = import_cmd(&["--manifests", "tests/fixtures/import/004"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout.clone()).unwrap();
    spec::load_str("stdout", stdout).expect("stdout is a spec");
    assert_snapshot!("import_manifests", shown(&out));
}

#[test]
fn cli_check_exits_one_when_a_field_would_be_lost() {
    // Nothing on stdout either way: exit 0 when nothing is lost, 1 when something is.
    assert_snapshot!(
        "import_check_nothing_lost",
        outcome(&mut import_cmd(&[
            "--check",
            "--manifests",
            "tests/fixtures/import/004"
        ]))
    );
    assert_snapshot!(
        "import_check_lost",
        outcome(&mut import_cmd(&[
            "--check",
            "--manifests",
            "tests/fixtures/import/001"
        ]))
    );
}

#[test]
fn cli_report_as_json() {
    let out = import_cmd(&[
        "--check",
        "--format",
        "json",
        "--manifests",
        "tests/fixtures/import/001",
    ])
    .output()
    .unwrap();
    let doc: Value = serde_json::from_slice(&out.stderr).expect("a JSON report");
    assert!(
        doc["objects"]
            .as_array()
            .is_some_and(|o| o.iter().any(|o| o["outcome"] == "compared"))
    );
    assert_snapshot!("import_check_json", shown(&out));
}

#[test]
fn cli_writes_the_spec_with_a_modeline_relative_to_it() {
    // A working directory with `schemas/` in it, as a GitOps repository has.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("schemas")).unwrap();
    std::fs::copy(
        root().join("schemas/topology.schema.json"),
        dir.path().join("schemas/topology.schema.json"),
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("004")).unwrap();
    for e in std::fs::read_dir(fixture("004")).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, dir.path().join("004").join(p.file_name().unwrap())).unwrap();
    }
    let run = |out: &str| {
        outcome(import_in(dir.path()).args(["import", "--manifests", "004", "-o", out]))
    };
    // The folder is created; the report still goes to stderr, nothing to stdout.
    assert_snapshot!("import_output_file", run("specs/kv/kv.yaml"));
    let file = dir.path().join("specs/kv/kv.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    let printed = import_in(dir.path())
        .args(["import", "--manifests", "004"])
        .output()
        .unwrap()
        .stdout;
    assert_eq!(
        text,
        String::from_utf8(printed).unwrap().replacen(
            "$schema=../schemas/topology.schema.json",
            "$schema=../../schemas/topology.schema.json",
            1
        ),
        "-o writes what stdout shows, its modeline relative to the file"
    );
    spec::load_file(&file).expect("the written spec loads");
    // The same spec again: the file is left as it is, and the run says so.
    assert_snapshot!("import_output_file_unchanged", run("specs/kv/kv.yaml"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
    // A path through `..` cannot be counted back to `schemas/`: the schema's `$id`.
    std::fs::create_dir(dir.path().join("specs/up")).unwrap();
    import_in(dir.path())
        .args(["import", "--manifests", "004", "-o", "specs/up/../kv2.yaml"])
        .assert()
        .code(0);
    let up = std::fs::read_to_string(dir.path().join("specs/kv2.yaml")).unwrap();
    assert!(
        up.starts_with(
            "# yaml-language-server: $schema=https://rkv.dev/schemas/topology.schema.json\n"
        ),
        "{up}"
    );
}

#[test]
fn cli_help() {
    assert_snapshot!(
        "import_help",
        outcome(rkv().env_remove("RKV_KUBECTL").args(["import", "--help"]))
    );
}

#[test]
fn cli_input_errors_exit_two() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.yaml"),
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: [x\n",
    )
    .unwrap();
    // Located at the file, line and column.
    assert_snapshot!(
        "import_bad_yaml",
        outcome(import_in(dir.path()).args(["import", "--manifests", "bad.yaml"]))
    );
    assert_snapshot!(
        "import_no_redis",
        outcome(&mut import_cmd(&[
            "--manifests",
            "tests/fixtures/import/002/backup-cronjob.yaml"
        ]))
    );
    // No source at all is a usage error. (Without RKV_KUBECTL: clap's usage line names
    // the arguments it was given, an environment variable included.)
    assert_snapshot!(
        "import_without_a_source",
        outcome(rkv().env_remove("RKV_KUBECTL").arg("import"))
    );
    assert_snapshot!(
        "import_missing_path",
        outcome(&mut import_cmd(&["--manifests", "no/such/dir"]))
    );
}

fn opstree(kind: &'static str, plural: &'static str) -> Resource {
    Resource::new("redis.redis.opstreelabs.in", "v1beta2", kind, plural, true)
}

/// The stand-in cluster holding seed 004 as the operator runs it: its CRs and ConfigMap,
/// plus what a live namespace also holds (the operator's StatefulSet, a Secret).
async fn seed_004_cluster() -> FakeApiServer {
    let mut kinds = builtin_resources();
    kinds.push(opstree("RedisReplication", "redisreplications"));
    kinds.push(opstree("RedisSentinel", "redissentinels"));
    let server = FakeApiServer::start(kinds).await;
    let objects = import::read_manifests(&[fixture("004")], Path::new("kubectl")).unwrap();
    for o in objects {
        server.seed(o.value);
    }
    server.seed(json!({"apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": {"name": "platform-kv", "namespace": "platform-kv-redis-cluster",
                     "ownerReferences": [{"apiVersion": "redis.redis.opstreelabs.in/v1beta2", "kind": "RedisReplication", "name": "platform-kv", "uid": "u"}]},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "platform-kv"}},
                 "template": {"metadata": {"labels": {"app": "platform-kv"}},
                              "spec": {"containers": [{"name": "redis", "image": "quay.io/opstree/redis:7.0.15"}]}}}}));
    server.seed(json!({"apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "platform-kv-secret", "namespace": "platform-kv-redis-cluster"},
        "data": {"password": "bm90LXJlYWQ="}}));
    server
}

fn live_opts(server: &FakeApiServer, dir: &Path) -> import::LiveOptions {
    import::LiveOptions {
        kubeconfig: Some(server.kubeconfig(dir)),
        context: None,
        namespace: "platform-kv-redis-cluster".into(),
        selector: None,
        timeout: std::time::Duration::from_secs(5),
    }
}

#[tokio::test]
async fn live_import_reads_what_the_manifests_hold() {
    let server = seed_004_cluster().await;
    let dir = tempfile::tempdir().unwrap();
    let objects = import::fetch_live(&live_opts(&server, dir.path()))
        .await
        .expect("live read");
    // The operator's StatefulSet follows from its owner; Secrets are never listed.
    assert!(
        objects
            .iter()
            .all(|o| o.kind() != "StatefulSet" && o.kind() != "Secret")
    );
    let live = import::import(objects, None, &opts("live")).expect("live import");
    let files = import_dir("004");
    assert_eq!(live.topology, files.topology);
    assert_eq!(live.report.lost(), 0, "{}", live.report.render_text());
    // Read-only: discovery and LISTs, nothing else, and no Secret requested.
    let log = server.log();
    assert!(log.iter().all(|l| l.starts_with("GET ")), "{log:#?}");
    assert!(!log.iter().any(|l| l.contains("secrets")), "{log:#?}");
    assert!(log.iter().any(|l| l.contains("/redisreplications")));
}

#[tokio::test]
async fn live_errors_say_what_was_refused() {
    let server = seed_004_cluster().await;
    server.inject(Fault::status(
        None,
        "/configmaps",
        403,
        "Forbidden",
        "configmaps is forbidden: User \"tester\" cannot list",
    ));
    let dir = tempfile::tempdir().unwrap();
    let e = import::fetch_live(&live_opts(&server, dir.path()))
        .await
        .unwrap_err();
    let chain = {
        let mut s = e.to_string();
        let mut src = std::error::Error::source(&e);
        while let Some(x) = src {
            s.push_str(&format!("\nCause: {x}"));
            src = x.source();
        }
        s
    };
    assert!(
        chain.contains("list") && chain.contains("configmaps"),
        "{chain}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_live_with_a_selector() {
    let server = seed_004_cluster().await;
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = server.kubeconfig(dir.path());
    // The command blocks on the server this runtime serves: run it beside it.
    let run = |args: &'static [&'static str]| {
        let kubeconfig = kubeconfig.clone();
        tokio::task::spawn_blocking(move || {
            rkv()
                .arg("import")
                .args(args)
                .arg("--kubeconfig")
                .arg(&kubeconfig)
                .output()
                .unwrap()
        })
    };
    let out = run(&["--live", "--namespace", "platform-kv-redis-cluster"])
        .await
        .unwrap();
    let spec_text = String::from_utf8(out.stdout.clone()).unwrap();
    assert!(
        spec_text.contains("masterName: platform-kv-master"),
        "{spec_text}"
    );
    assert_snapshot!("import_live", shown(&out));
    // A selector nothing matches: no Redis found, exit 2.
    let none = run(&[
        "--live",
        "-n",
        "platform-kv-redis-cluster",
        "-l",
        "app=nothing",
    ])
    .await
    .unwrap();
    assert_snapshot!("import_live_selector_matches_nothing", shown(&none));
    assert!(
        server
            .log()
            .iter()
            .any(|l| l.contains("labelSelector=app%3Dnothing")),
        "{:#?}",
        server.log()
    );
}

/// The fixture texts the mutation test starts from: manifests, and values documents.
fn fuzz_inputs() -> Vec<(bool, String)> {
    let read = |p: &str| std::fs::read_to_string(fixture(p)).unwrap();
    let mut production = String::new();
    for f in [
        "statefulset.yaml",
        "redis-config.yaml",
        "ha.yaml",
        "backup.yaml",
    ] {
        production.push_str(&read(&format!("000-production/{f}")));
        production.push_str("---\n");
    }
    vec![
        (false, read("000-base/base.yaml")),
        (
            false,
            production.replace(
                "metadata:\n  name:",
                "metadata:\n  namespace: cordum\n  name:",
            ),
        ),
        (false, read("001/redisfailover.yaml")),
        (
            false,
            format!(
                "{}---\n{}",
                read("004/platform-kv-replication.yaml"),
                read("004/platform-kv-sentinel.yaml")
            ),
        ),
        (true, read("002/values.yaml")),
        (true, read("003/values.yaml")),
    ]
}

/// Imports mutated input: an error or a spec that loads, never a panic. True when imported.
fn import_any(values: bool, text: &str) -> bool {
    let result = if values {
        source::parse_documents("fuzz.yaml", text).and_then(|mut docs| {
            let doc = if docs.is_empty() {
                SourceObject::unplaced(json!({}), "fuzz.yaml")
            } else {
                docs.remove(0)
            };
            let helm = HelmInput {
                values: doc,
                chart: ChartName::Redis,
                version: None,
                defaults: None,
                release: None,
                namespace: Some("redis".into()),
            };
            import::import(Vec::new(), Some(helm), &opts("fuzz"))
        })
    } else {
        import::parse_manifests("fuzz.yaml", text)
            .and_then(|objs| import::import(objs, None, &opts("fuzz")))
    };
    match result {
        Ok(i) => {
            let loaded = spec::load_str("fuzz-out.yaml", i.yaml.clone())
                .expect("an imported spec always loads");
            assert_eq!(loaded.topology, i.topology);
            true
        }
        Err(_) => false,
    }
}

#[test]
fn the_mutation_inputs_import_as_they_are() {
    for (values, text) in fuzz_inputs() {
        assert!(import_any(values, &text), "{text}");
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 96, ..proptest::prelude::ProptestConfig::default() })]

    #[test]
    fn mutated_sources_never_panic(
        which in 0usize..6,
        edits in proptest::collection::vec((proptest::prelude::any::<proptest::sample::Index>(), 0u8..4, "[ -~\\t\\n]{0,3}"), 1..5),
    ) {
        let all = fuzz_inputs();
        let (values, text) = &all[which % all.len()];
        let mut text: Vec<char> = text.chars().collect();
        for (at, op, s) in edits {
            if text.is_empty() { break; }
            let i = at.index(text.len());
            match op {
                0 => { text.remove(i); }
                1 => { for (k, c) in s.chars().enumerate() { text.insert(i + k, c); } }
                2 => { text[i] = s.chars().next().unwrap_or(' '); }
                _ => { let end = (i + 20).min(text.len()); text.drain(i..end); }
            }
        }
        let _ = import_any(*values, &text.into_iter().collect::<String>());
    }
}

#[test]
fn network_policies_become_clients_and_what_they_cannot_say_is_lost() {
    let text = format!(
        "{STANDALONE}---\n{}---\n{}---\n{}",
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: kv-clients, namespace: apps}\nspec:\n  podSelector: {matchLabels: {app: kv}}\n  ingress:\n    - ports: [{port: 6379}]\n      from:\n        - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: web}}\n          podSelector: {matchLabels: {app: web}}\n        - podSelector: {matchLabels: {app: worker}}\n",
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: kv-office, namespace: apps}\nspec:\n  podSelector: {}\n  ingress:\n    - from: [{ipBlock: {cidr: 10.0.0.0/8}}]\n",
        "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: kv, namespace: apps}\nspec:\n  maxUnavailable: 50%\n  selector: {matchLabels: {app: kv}}\n",
    );
    let i = import_text(&text).expect("imports");
    let clients: Vec<(String, Value)> = i
        .topology
        .spec
        .clients
        .iter()
        .map(|c| (c.namespace.clone(), json!(c.pod_selector)))
        .collect();
    assert_eq!(
        clients,
        [
            ("web".to_string(), json!({"app": "web"})),
            ("apps".to_string(), json!({"app": "worker"}))
        ]
    );
    assert_eq!(
        object(&i.report, "NetworkPolicy/apps/kv-clients").outcome,
        Outcome::Replaced
    );
    let office = object(&i.report, "NetworkPolicy/apps/kv-office");
    assert_eq!(office.outcome, Outcome::Lost);
    assert!(office.reason.contains("ipBlock 10.0.0.0/8"), "{office:?}");
    // A percentage budget is not an input error: noted, and rkv's own budget replaces it.
    assert!(
        i.report
            .notes
            .iter()
            .any(|n| n.text.contains("maxUnavailable: 50%"))
    );
    assert_eq!(
        object(&i.report, "PodDisruptionBudget/apps/kv").outcome,
        Outcome::Replaced
    );
}
