//! `rkv diff` against a stand-in API server, through kube's real client and a
//! kubeconfig file, and against `kubectl get -o yaml` dumps.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::support;
use crate::support::apiserver::{
    FakeApiServer, Fault, Respond, builtin_resources, redisfailover_resource, write_kubeconfig,
};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hyper::Method;
use rkv::diff::{
    Action, Applier, DiffError, DiffOptions, DiffReport, FailOn, Format, LiveSource, Runbook, diff,
    diff_against_dump,
};
use serde_json::{Value, json};

const INSTANCE: &str = "cordum-redis";
const NS: &str = "redis";

fn meta(name: &str, instance: &str) -> Value {
    json!({
        "name": name,
        "namespace": NS,
        "labels": {
            "app.kubernetes.io/name": "redis",
            "app.kubernetes.io/instance": instance,
            "app.kubernetes.io/managed-by": "rkv",
        },
    })
}

fn configmap(name: &str, value: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta(name, INSTANCE),
           "data": {"redis.conf": value}})
}

fn deployment(replicas: u32) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta("redis", INSTANCE),
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "redis"}},
            "template": {
                "metadata": {"labels": {"app": "redis"}},
                "spec": {"containers": [{"name": "redis", "image": "redis:7.2"}]},
            },
        },
    })
}

fn secret(entries: &[(&str, &str)]) -> Value {
    let data: serde_json::Map<String, Value> = entries
        .iter()
        .map(|(k, v)| (k.to_string(), json!(STANDARD.encode(v))))
        .collect();
    json!({"apiVersion": "v1", "kind": "Secret", "metadata": meta("redis-auth", INSTANCE),
           "type": "Opaque", "data": data})
}

fn redisfailover() -> Value {
    json!({"apiVersion": "databases.spotahome.com/v1", "kind": "RedisFailover",
           "metadata": meta("orders", INSTANCE),
           "spec": {"sentinel": {"replicas": 3}, "redis": {"replicas": 3}}})
}

fn opts(kubeconfig: &Path) -> DiffOptions {
    DiffOptions {
        kubeconfig: Some(kubeconfig.to_path_buf()),
        timeout: Duration::from_secs(5),
        concurrency: 4,
        ..DiffOptions::default()
    }
}

/// Runs a diff against `server` with `tweak` applied to the options.
async fn run(
    server: &FakeApiServer,
    rendered: &[Value],
    tweak: impl FnOnce(&mut DiffOptions),
) -> Result<DiffReport, DiffError> {
    let dir = tempfile::tempdir().unwrap();
    let mut o = opts(&server.kubeconfig(dir.path()));
    tweak(&mut o);
    // A guard against a hang, not a speed assertion.
    tokio::time::timeout(
        Duration::from_secs(120),
        diff(rendered, LiveSource::Cluster, &o),
    )
    .await
    .expect("rkv diff must not hang")
}

fn actions(report: &DiffReport) -> Vec<(String, Action)> {
    report.objects.iter().map(|o| (o.id(), o.action)).collect()
}

#[tokio::test]
async fn create_when_nothing_is_live() {
    let server = FakeApiServer::start(builtin_resources()).await;
    let rendered = [deployment(1), configmap("redis-conf", "appendonly yes\n")];
    let report = run(&server, &rendered, |_| {}).await.unwrap();
    assert_eq!(
        actions(&report),
        [
            ("ConfigMap/redis/redis-conf".to_string(), Action::Create),
            ("Deployment/redis/redis".to_string(), Action::Create),
        ]
    );
    assert!(report.has_changes());
    let text = report.render_text(false);
    assert!(
        text.starts_with("create ConfigMap/redis/redis-conf\n"),
        "{text}"
    );
    assert!(text.contains("+kind: Deployment\n"), "{text}");
    assert!(text.contains("+  replicas: 1\n"), "{text}");
    assert!(text.ends_with("2 to create, 0 to change, 0 to prune, 0 unchanged\n"));
    // Discovery used the legacy form; creates are dry-run too (admission and schema
    // refusals of new objects show before the sync).
    let log = server.log();
    assert!(log.iter().any(|l| l == "GET /apis/apps/v1"), "{log:?}");
    for path in [
        "PATCH /api/v1/namespaces/redis/configmaps/redis-conf?",
        "PATCH /apis/apps/v1/namespaces/redis/deployments/redis?",
    ] {
        let patch = log
            .iter()
            .find(|l| l.starts_with(path))
            .unwrap_or_else(|| panic!("no dry run of a create: {log:?}"));
        assert!(patch.contains("dryRun=All"), "{patch}");
    }
}

#[tokio::test]
async fn change_shows_the_changed_field_and_no_server_fields() {
    let server = FakeApiServer::start(builtin_resources()).await;
    server.seed(deployment(1));
    server.seed(configmap("redis-conf", "appendonly yes\n"));
    let rendered = [deployment(3), configmap("redis-conf", "appendonly yes\n")];
    let report = run(&server, &rendered, |_| {}).await.unwrap();
    assert_eq!(
        actions(&report),
        [
            ("ConfigMap/redis/redis-conf".to_string(), Action::Unchanged),
            ("Deployment/redis/redis".to_string(), Action::Change),
        ]
    );
    let text = report.render_text(false);
    assert!(text.contains("change Deployment/redis/redis\n"), "{text}");
    assert!(text.contains("-  replicas: 1\n+  replicas: 3\n"), "{text}");
    assert!(text.contains("@@ "), "{text}");
    for server_field in [
        "uid",
        "resourceVersion",
        "managedFields",
        "creationTimestamp",
        "status",
        "generation",
    ] {
        assert!(!text.contains(server_field), "{server_field} in {text}");
    }
    assert!(text.ends_with("0 to create, 1 to change, 0 to prune, 1 unchanged\n"));
    // The "after" side came from a forced server-side apply dry run by `rkv`.
    let log = server.log();
    let patch = log
        .iter()
        .find(|l| l.starts_with("PATCH /apis/apps/v1/namespaces/redis/deployments/redis?"))
        .expect("a dry-run apply");
    for param in ["dryRun=All", "force=true", "fieldManager=rkv"] {
        assert!(patch.contains(param), "{patch}");
    }
}

#[tokio::test]
async fn prune_lists_only_this_instance() {
    let server = FakeApiServer::start(builtin_resources()).await;
    server.seed(configmap("redis-conf", "a\n"));
    server.seed(configmap("old-scripts", "b\n"));
    let mut other = configmap("other-topology", "c\n");
    other["metadata"]["labels"]["app.kubernetes.io/instance"] = json!("someone-else");
    server.seed(other);
    let mut unmanaged = configmap("hand-made", "d\n");
    unmanaged["metadata"]["labels"] = json!({"app": "x"});
    server.seed(unmanaged);
    let report = run(&server, &[configmap("redis-conf", "a\n")], |_| {})
        .await
        .unwrap();
    assert_eq!(
        actions(&report),
        [
            ("ConfigMap/redis/old-scripts".to_string(), Action::Prune),
            ("ConfigMap/redis/redis-conf".to_string(), Action::Unchanged),
        ]
    );
    let text = report.render_text(false);
    assert!(
        text.contains("prune ConfigMap/redis/old-scripts\n"),
        "{text}"
    );
    assert!(text.contains("-kind: ConfigMap\n"), "{text}");
    assert!(text.contains("-  redis.conf: |\n"), "{text}");
    assert!(text.ends_with("0 to create, 0 to change, 1 to prune, 1 unchanged\n"));
    // One LIST across all namespaces, so objects left in a namespace no variant uses
    // any more are found too.
    let log = server.log();
    let list = log
        .iter()
        .find(|l| l.starts_with("GET /api/v1/configmaps?"))
        .expect("a LIST across all namespaces");
    assert!(list.contains("labelSelector="), "{list}");
}

#[tokio::test]
async fn several_instances_prune_each_with_one_list_per_kind() {
    let server = FakeApiServer::start(builtin_resources()).await;
    let of = |name: &str, instance: &str| {
        let mut c = configmap(name, "x\n");
        c["metadata"]["labels"]["app.kubernetes.io/instance"] = json!(instance);
        c
    };
    server.seed(of("a-stale", "a"));
    server.seed(of("b-stale", "b"));
    server.seed(of("c-other", "c"));
    let report = run(&server, &[of("a-conf", "a"), of("b-conf", "b")], |_| {})
        .await
        .unwrap();
    assert_eq!(
        actions(&report),
        [
            ("ConfigMap/redis/a-conf".to_string(), Action::Create),
            ("ConfigMap/redis/a-stale".to_string(), Action::Prune),
            ("ConfigMap/redis/b-conf".to_string(), Action::Create),
            ("ConfigMap/redis/b-stale".to_string(), Action::Prune),
        ]
    );
    let lists = server
        .log()
        .into_iter()
        .filter(|l| {
            l.starts_with("GET /api/v1/configmaps?")
                || l.starts_with("GET /api/v1/namespaces/redis/configmaps?")
        })
        .count();
    assert_eq!(lists, 1, "one LIST for both instances");
}

#[tokio::test]
async fn no_change_means_no_changes() {
    let server = FakeApiServer::start(builtin_resources()).await;
    let rendered = [
        deployment(2),
        configmap("redis-conf", "x\n"),
        secret(&[("password", "hunter2hunter2")]),
    ];
    for o in &rendered {
        server.seed(o.clone());
    }
    let report = run(&server, &rendered, |_| {}).await.unwrap();
    assert!(!report.has_changes(), "{}", report.render_text(false));
    assert_eq!(
        report.render_text(false),
        "0 to create, 0 to change, 0 to prune, 3 unchanged\n"
    );
}

#[tokio::test]
async fn secrets_show_sizes_not_values() {
    let server = FakeApiServer::start(builtin_resources()).await;
    server.seed(secret(&[
        ("password", "twelve-bytes"),
        ("username", "default"),
    ]));
    let rendered = [secret(&[
        ("password", "sixteen-bytes-!!"),
        ("username", "default"),
    ])];
    let report = run(&server, &rendered, |_| {}).await.unwrap();
    assert_eq!(report.objects[0].action, Action::Change);
    let text = report.render_text(false);
    assert!(
        text.contains("+  password: \"<changed: 12 -> 16 bytes>\"\n"),
        "{text}"
    );
    assert!(
        text.contains("-  password: \"<before: 12 bytes>\"\n"),
        "{text}"
    );
    assert!(
        text.contains("username: \"<unchanged: 7 bytes>\""),
        "{text}"
    );
    for secret_text in ["twelve-bytes", "sixteen-bytes-!!", "default"] {
        assert!(!text.contains(&STANDARD.encode(secret_text)), "{text}");
    }
    let json = report.render_json();
    assert!(
        !json.contains(&STANDARD.encode("sixteen-bytes-!!")),
        "{json}"
    );

    let shown = run(&server, &rendered, |o| o.show_secrets = true)
        .await
        .unwrap();
    let text = shown.render_text(false);
    assert!(
        text.contains(&format!(
            "+  password: {}\n",
            STANDARD.encode("sixteen-bytes-!!")
        )),
        "{text}"
    );
}

#[tokio::test]
async fn dry_run_refused_falls_back_to_get() {
    let server = FakeApiServer::start(builtin_resources()).await;
    let mut live = deployment(1);
    // A server default rkv does not render: must not show as a change.
    live["spec"]["revisionHistoryLimit"] = json!(10);
    server.seed(live);
    server.inject(Fault::status(
        Some(Method::PATCH),
        "/deployments/",
        415,
        "UnsupportedMediaType",
        "the body of the request was in an unknown format",
    ));
    let report = run(&server, &[deployment(3)], |_| {}).await.unwrap();
    let text = report.render_text(false);
    assert!(text.contains("-  replicas: 1\n+  replicas: 3\n"), "{text}");
    assert!(!text.contains("revisionHistoryLimit"), "{text}");
    assert!(server.log().iter().any(|l| l.starts_with("PATCH")));
}

#[tokio::test]
async fn unauthorized_names_the_server() {
    let server = FakeApiServer::start(builtin_resources()).await;
    server.inject(Fault::status(
        None,
        "/api",
        401,
        "Unauthorized",
        "Unauthorized",
    ));
    let err = run(&server, &[deployment(1)], |_| {}).await.unwrap_err();
    assert!(matches!(err, DiffError::Unauthorized { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.starts_with(&format!(
            "unauthorized: the cluster at {}/ rejected the credentials",
            server.url()
        )),
        "{msg}"
    );
}

#[tokio::test]
async fn forbidden_says_which_verb_on_which_resource() {
    let mut resources = builtin_resources();
    resources.push(redisfailover_resource());
    let server = FakeApiServer::start(resources).await;
    server.seed(redisfailover());
    server.inject(Fault::status(
        Some(Method::PATCH),
        "/redisfailovers/orders",
        403,
        "Forbidden",
        "redisfailovers.databases.spotahome.com \"orders\" is forbidden: User \"dev\" cannot patch resource",
    ));
    let err = run(&server, &[redisfailover()], |_| {}).await.unwrap_err();
    assert!(matches!(err, DiffError::Forbidden { .. }), "{err:?}");
    assert!(
        err.to_string().starts_with(
            "forbidden: patch redisfailovers.databases.spotahome.com in namespace redis: "
        ),
        "{err}"
    );
}

#[tokio::test]
async fn forbidden_list_for_prune() {
    let server = FakeApiServer::start(builtin_resources()).await;
    server.inject(Fault::status(
        Some(Method::GET),
        "/configmaps?",
        403,
        "Forbidden",
        "cannot list",
    ));
    let err = run(&server, &[configmap("a", "b")], |_| {})
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "forbidden: list configmaps in namespace redis: cannot list"
    );
}

#[tokio::test]
async fn conflict_names_the_object() {
    let server = FakeApiServer::start(builtin_resources()).await;
    server.seed(deployment(1));
    server.inject(Fault::status(
        Some(Method::PATCH),
        "/deployments/redis",
        409,
        "Conflict",
        "Operation cannot be fulfilled on deployments.apps \"redis\": the object has been modified",
    ));
    let err = run(&server, &[deployment(2)], |_| {}).await.unwrap_err();
    assert!(matches!(err, DiffError::Conflict { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with("conflict on Deployment/redis/redis: Operation cannot be fulfilled"),
        "{err}"
    );
}

#[tokio::test]
async fn server_error_is_reported_with_its_code() {
    let server = FakeApiServer::start(builtin_resources()).await;
    server.inject(Fault::status(
        Some(Method::GET),
        "/deployments/redis",
        500,
        "InternalError",
        "etcdserver: request timed out",
    ));
    let err = run(&server, &[deployment(1)], |_| {}).await.unwrap_err();
    assert!(
        matches!(err, DiffError::Server { code: 500, .. }),
        "{err:?}"
    );
    assert!(
        err.to_string().ends_with(
            "failed get deployments.apps in namespace redis with 500: etcdserver: request timed out"
        ),
        "{err}"
    );
}

#[tokio::test]
async fn a_hanging_server_times_out() {
    let server = FakeApiServer::start(builtin_resources()).await;
    server.inject(Fault {
        method: Some(Method::GET),
        path_contains: "/deployments/redis".into(),
        respond: Respond::Hang,
    });
    let err = run(&server, &[deployment(1)], |o| {
        o.timeout = Duration::from_millis(300)
    })
    .await
    .unwrap_err();
    assert!(matches!(err, DiffError::Timeout { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("did not answer get deployments.apps in namespace redis within 0.3s"),
        "{err}"
    );
}

#[tokio::test]
async fn an_unreachable_cluster_is_an_error_not_a_hang() {
    // A port nothing listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = write_kubeconfig(dir.path(), &format!("http://127.0.0.1:{port}"), "fake");
    let o = DiffOptions {
        timeout: Duration::from_secs(2),
        ..opts(&kubeconfig)
    };
    let err = tokio::time::timeout(
        Duration::from_secs(120),
        diff(&[deployment(1)], LiveSource::Cluster, &o),
    )
    .await
    .expect("no hang")
    .unwrap_err();
    assert!(
        matches!(
            err,
            DiffError::Unreachable { .. } | DiffError::Timeout { .. }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().starts_with(&format!(
            "cannot reach the cluster at http://127.0.0.1:{port}/"
        )),
        "{err}"
    );
}

#[tokio::test]
async fn a_missing_crd_names_its_operator() {
    let server = FakeApiServer::start(builtin_resources()).await;
    let rendered = [
        deployment(1),
        redisfailover(),
        json!({"apiVersion": "kafka.strimzi.io/v1beta2", "kind": "KafkaTopic",
               "metadata": meta("redis-writes", INSTANCE), "spec": {"partitions": 12}}),
    ];
    let err = run(&server, &rendered, |_| {}).await.unwrap_err();
    let DiffError::KindsNotInstalled { kinds } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(kinds.len(), 2);
    assert_eq!(
        err.to_string(),
        "kind `RedisFailover` (`databases.spotahome.com/v1`) is not served by the cluster: \
         install the Spotahome redis-operator CRDs; \
         kind `KafkaTopic` (`kafka.strimzi.io/v1beta2`) is not served by the cluster: \
         install the Strimzi CRDs"
    );
}

#[tokio::test]
async fn context_overrides_current_context() {
    let server = FakeApiServer::start(builtin_resources()).await;
    let dir = tempfile::tempdir().unwrap();
    // current-context points at a dead cluster; --context picks the live one.
    let kubeconfig = write_kubeconfig(dir.path(), &server.url(), "dead");
    let o = DiffOptions {
        context: Some("fake".into()),
        ..opts(&kubeconfig)
    };
    let report = diff(&[deployment(1)], LiveSource::Cluster, &o)
        .await
        .unwrap();
    assert_eq!(report.objects[0].action, Action::Create);

    let o = DiffOptions {
        context: Some("nope".into()),
        ..opts(&kubeconfig)
    };
    let err = diff(&[deployment(1)], LiveSource::Cluster, &o)
        .await
        .unwrap_err();
    assert!(matches!(err, DiffError::Kubeconfig { .. }), "{err:?}");
    assert!(err.to_string().contains("with context `nope`"), "{err}");
}

fn many_objects() -> (Vec<Value>, Vec<Value>) {
    let mut rendered = Vec::new();
    let mut live = Vec::new();
    for i in 0..24 {
        let name = format!("cm-{i:02}");
        rendered.push(configmap(&name, &format!("v{i}\n")));
        match i % 3 {
            0 => live.push(configmap(&name, &format!("v{i}\n"))),
            1 => live.push(configmap(&name, "old\n")),
            _ => {}
        }
    }
    for i in 0..5 {
        live.push(configmap(&format!("stale-{i}"), "x\n"));
    }
    rendered.push(deployment(3));
    live.push(deployment(1));
    rendered.push(secret(&[("password", "abc")]));
    (rendered, live)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrency_does_not_change_the_output() {
    let server = FakeApiServer::start(builtin_resources()).await;
    let (mut rendered, live) = many_objects();
    for o in live {
        server.seed(o);
    }
    rendered.reverse(); // input order does not matter either
    let one = run(&server, &rendered, |o| o.concurrency = 1)
        .await
        .unwrap();
    let sixteen = run(&server, &rendered, |o| o.concurrency = 16)
        .await
        .unwrap();
    assert_eq!(one, sixteen);
    assert_eq!(one.render_text(false), sixteen.render_text(false));
    assert_eq!(one.render_json(), sixteen.render_json());
    let s = one.summary();
    assert_eq!((s.create, s.change, s.prune, s.unchanged), (9, 9, 5, 8));
    // Sorted by kind, namespace, name.
    let ids: Vec<String> = one.objects.iter().map(|o| o.id()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);
}

#[tokio::test]
async fn json_format_is_a_stable_document() {
    let server = FakeApiServer::start(builtin_resources()).await;
    server.seed(deployment(1));
    let report = run(&server, &[deployment(2), configmap("c", "x")], |_| {})
        .await
        .unwrap();
    let o = DiffOptions {
        format: Format::Json,
        ..DiffOptions::default()
    };
    let doc: Value = serde_json::from_str(&report.render(&o)).unwrap();
    assert_eq!(
        doc["summary"],
        json!({"create": 1, "change": 1, "prune": 0, "replaceRequired": 0, "refused": 0,
               "unchanged": 0, "suppressed": 0, "destructive": 0})
    );
    assert_eq!(
        doc["objects"][0],
        json!({"action": "create", "apiVersion": "v1", "kind": "ConfigMap",
               "namespace": "redis", "name": "c",
               "diff": report.objects[0].diff, "immutable": [], "message": null,
               "remedy": null, "destructive": [], "notes": [], "suppressed": false})
    );
    assert_eq!(doc["preflight"], json!([]));
    assert_eq!(doc["notes"], json!([]));
    assert_eq!(doc["objects"][1]["action"], "change");
    assert!(
        doc["objects"][1]["diff"]
            .as_str()
            .unwrap()
            .contains("+  replicas: 2\n")
    );
}

/// A `kubectl get -o yaml` view of `obj`: server fields and defaults added.
fn as_dumped(mut obj: Value) -> Value {
    obj["metadata"]["uid"] = json!("d2c4");
    obj["metadata"]["resourceVersion"] = json!("991");
    obj["metadata"]["creationTimestamp"] = json!("2024-05-01T10:00:00Z");
    obj["metadata"]["annotations"] = json!({
        "kubectl.kubernetes.io/last-applied-configuration": "{\"big\": true}"
    });
    if obj["kind"] == "Deployment" {
        obj["spec"]["revisionHistoryLimit"] = json!(10);
        obj["status"] = json!({"replicas": 1});
    }
    obj
}

fn dump_objects() -> (Vec<Value>, Vec<Value>) {
    let rendered = vec![
        deployment(3),
        configmap("redis-conf", "x\n"),
        configmap("new", "y\n"),
        secret(&[("password", "sixteen-bytes-!!")]),
    ];
    let mut foreign = configmap("foreign", "z\n");
    foreign["metadata"]["labels"]["app.kubernetes.io/instance"] = json!("other");
    let live = vec![
        as_dumped(deployment(1)),
        as_dumped(configmap("redis-conf", "x\n")),
        as_dumped(configmap("stale", "z\n")),
        as_dumped(foreign),
        as_dumped(secret(&[("password", "twelve-bytes")])),
    ];
    (rendered, live)
}

#[tokio::test]
async fn live_file_list_and_multi_doc_dumps() {
    let (rendered, live) = dump_objects();
    let dir = tempfile::tempdir().unwrap();
    let list_path = dir.path().join("list.yaml");
    let list = json!({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""},
                      "items": live});
    std::fs::write(&list_path, rkv::write::to_yaml(&list).unwrap()).unwrap();
    let docs_path = dir.path().join("docs.yaml");
    std::fs::write(&docs_path, rkv::write::to_yaml_stream(&live).unwrap()).unwrap();

    let o = DiffOptions::default();
    let from_list = diff(&rendered, LiveSource::File(list_path), &o)
        .await
        .unwrap();
    let from_docs = diff(&rendered, LiveSource::File(docs_path), &o)
        .await
        .unwrap();
    assert_eq!(from_list, from_docs);
    assert_eq!(
        actions(&from_list),
        [
            ("ConfigMap/redis/new".to_string(), Action::Create),
            ("ConfigMap/redis/redis-conf".to_string(), Action::Unchanged),
            ("ConfigMap/redis/stale".to_string(), Action::Prune),
            ("Deployment/redis/redis".to_string(), Action::Change),
            ("Secret/redis/redis-auth".to_string(), Action::Change),
        ]
    );
    let text = from_list.render_text(false);
    assert!(text.contains("-  replicas: 1\n+  replicas: 3\n"), "{text}");
    assert!(text.contains("<changed: 12 -> 16 bytes>"), "{text}");
    for noise in ["revisionHistoryLimit", "last-applied", "uid", "status"] {
        assert!(!text.contains(noise), "{noise} in {text}");
    }

    let in_memory = diff_against_dump(
        &rendered,
        &rkv::write::to_yaml_stream(&dump_objects().1).unwrap(),
        &o,
    )
    .unwrap();
    assert_eq!(in_memory, from_list);
}

#[tokio::test]
async fn a_missing_dump_is_an_io_error() {
    let err = diff(
        &[deployment(1)],
        LiveSource::File("/nonexistent/dump.yaml".into()),
        &DiffOptions::default(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, DiffError::ReadDump { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "cannot read the live dump `/nonexistent/dump.yaml`"
    );
}

#[tokio::test]
async fn cluster_scoped_objects_have_no_namespace() {
    let server = FakeApiServer::start(builtin_resources()).await;
    let namespace = |name: &str| {
        let mut m = meta(name, INSTANCE);
        m.as_object_mut().unwrap().remove("namespace");
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": m})
    };
    server.seed(namespace("redis-old"));
    let report = run(&server, &[namespace("redis")], |_| {}).await.unwrap();
    assert_eq!(
        actions(&report),
        [
            ("Namespace/redis".to_string(), Action::Create),
            ("Namespace/redis-old".to_string(), Action::Prune),
        ]
    );
    assert!(
        server
            .log()
            .iter()
            .any(|l| l.starts_with("GET /api/v1/namespaces?") && l.contains("labelSelector=")),
        "{:?}",
        server.log()
    );
}

#[tokio::test]
async fn an_object_rendered_twice_is_refused() {
    let err = diff_against_dump(&[deployment(1), deployment(2)], "", &DiffOptions::default())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "rendered object #1 cannot be diffed: `Deployment/redis/redis` is rendered twice"
    );
}

// ---------------------------------------------------------------------------
// Issue 17: prunes, appliers, creates, outcomes, destructive changes, preflight,
// ergonomics. Every test runs kube's client against the stand-in server.
// ---------------------------------------------------------------------------

fn in_ns(mut obj: Value, ns: &str) -> Value {
    obj["metadata"]["namespace"] = json!(ns);
    obj
}

fn obj(api_version: &str, kind: &str, name: &str, spec: Value) -> Value {
    json!({"apiVersion": api_version, "kind": kind, "metadata": meta(name, INSTANCE), "spec": spec})
}

fn pvc(name: &str, size: &str) -> Value {
    obj(
        "v1",
        "PersistentVolumeClaim",
        name,
        json!({"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}}),
    )
}

fn cronjob(name: &str) -> Value {
    obj(
        "batch/v1",
        "CronJob",
        name,
        json!({"schedule": "0 * * * *", "jobTemplate": {"spec": {"template": {"spec": {
            "restartPolicy": "Never", "containers": [{"name": "backup", "image": "redis:7.2"}]}}}}}),
    )
}

/// A CRD from `../shared/crds/` (read there, never copied).
fn shared_crd(file: &str) -> Value {
    let path = support::shared().join("crds").join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_saphyr::from_str(&text).unwrap()
}

fn namespace_object(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
}

fn codes(report: &DiffReport) -> Vec<&'static str> {
    report.preflight.iter().map(|d| d.code.as_str()).collect()
}

fn destructive_codes(report: &DiffReport) -> Vec<(String, &'static str)> {
    report
        .objects
        .iter()
        .flat_map(|o| o.destructive.iter().map(move |d| (o.id(), d.code.as_str())))
        .collect()
}

#[tokio::test]
async fn prunes_cover_kinds_no_longer_rendered_in_every_namespace() {
    // The issue's case: `backup:` removed, so the claim and CronJobs vanish from the
    // render kind and all, and a ConfigMap left behind in a namespace no longer used.
    let server = FakeApiServer::start(builtin_resources()).await;
    server.seed(configmap("redis-conf", "a\n"));
    server.seed(pvc("redis-backup", "20Gi"));
    server.seed(cronjob("redis-backup"));
    server.seed(in_ns(configmap("left-behind", "x\n"), "old-namespace"));
    let report = run(&server, &[configmap("redis-conf", "a\n")], |_| {})
        .await
        .unwrap();
    assert_eq!(
        actions(&report),
        [
            (
                "ConfigMap/old-namespace/left-behind".to_string(),
                Action::Prune
            ),
            ("ConfigMap/redis/redis-conf".to_string(), Action::Unchanged),
            ("CronJob/redis/redis-backup".to_string(), Action::Prune),
            (
                "PersistentVolumeClaim/redis/redis-backup".to_string(),
                Action::Prune
            ),
        ]
    );
    // Kinds rkv can emit but did not render were listed (across all namespaces).
    let log = server.log();
    for list in [
        "GET /apis/batch/v1/cronjobs?",
        "GET /api/v1/persistentvolumeclaims?",
    ] {
        assert!(log.iter().any(|l| l.starts_with(list)), "{list}: {log:?}");
    }
    // Kinds the cluster does not serve are not listed (no 404s to trip over).
    assert!(
        !log.iter().any(|l| l.contains("redisfailovers?")),
        "{log:?}"
    );
}

#[tokio::test]
async fn owned_and_prune_disabled_objects_are_not_pruned() {
    let server = FakeApiServer::start(builtin_resources()).await;
    // An operator-made Service that copies rkv's labels from its custom resource.
    let mut owned = obj(
        "v1",
        "Service",
        "rfs-orders",
        json!({"ports": [{"port": 26379}]}),
    );
    owned["metadata"]["ownerReferences"] = json!([{"apiVersion": "databases.spotahome.com/v1",
        "kind": "RedisFailover", "name": "orders", "uid": "1", "controller": true}]);
    server.seed(owned);
    let mut kept = configmap("kept", "x\n");
    kept["metadata"]["annotations"] = json!({"kustomize.toolkit.fluxcd.io/prune": "disabled"});
    server.seed(kept);
    server.seed(configmap("stale", "x\n"));
    let report = run(&server, &[configmap("a", "x\n")], |_| {})
        .await
        .unwrap();
    assert_eq!(
        actions(&report),
        [
            ("ConfigMap/redis/a".to_string(), Action::Create),
            ("ConfigMap/redis/stale".to_string(), Action::Prune),
        ]
    );
    let notes = report.notes.join("\n");
    assert!(
        notes
            .contains("owned by another object (its owner deletes it): `Service/redis/rfs-orders`"),
        "{notes}"
    );
    assert!(notes.contains("pruning disabled by annotation"), "{notes}");
    assert!(notes.contains("`ConfigMap/redis/kept`"), "{notes}");
    assert!(report.render_text(false).contains("notes:\n  - "));
}

#[tokio::test]
async fn namespace_scoped_credentials_list_where_the_topology_lives() {
    let server = FakeApiServer::start(builtin_resources()).await;
    // Listing across all namespaces is forbidden; per namespace it is allowed.
    server.inject(Fault::status(
        Some(Method::GET),
        "/api/v1/configmaps?",
        403,
        "Forbidden",
        "configmaps is forbidden: cannot list resource at the cluster scope",
    ));
    server.seed(configmap("stale-here", "x\n"));
    server.seed(in_ns(configmap("stale-other-variant", "x\n"), "other"));
    server.seed(in_ns(configmap("stale-unknown", "x\n"), "elsewhere"));
    let report = run(&server, &[configmap("a", "x\n")], |o| {
        o.namespaces = ["other".to_string()].into();
    })
    .await
    .unwrap();
    assert_eq!(
        actions(&report),
        [
            (
                "ConfigMap/other/stale-other-variant".to_string(),
                Action::Prune
            ),
            ("ConfigMap/redis/a".to_string(), Action::Create),
            ("ConfigMap/redis/stale-here".to_string(), Action::Prune),
        ]
    );
    let notes = report.notes.join("\n");
    assert!(
        notes.contains("listing configmaps across all namespaces was forbidden: objects to prune were searched only in `other`, `redis`"),
        "{notes}"
    );
}

#[tokio::test]
async fn the_appliers_field_manager_shows_the_fields_the_sync_removes() {
    for (applier, manager) in [
        (Applier::Flux, "kustomize-controller"),
        (Applier::ArgoCd, "argocd-controller"),
        (Applier::Kubectl, "kubectl"),
    ] {
        let server = FakeApiServer::start(builtin_resources()).await;
        // The applier applied `minReadySeconds` before; the render no longer has it.
        let mut live = deployment(2);
        live["spec"]["minReadySeconds"] = json!(10);
        server.seed_applied(live, manager);

        let as_rkv = run(&server, &[deployment(2)], |_| {}).await.unwrap();
        assert_eq!(as_rkv.objects[0].action, Action::Unchanged, "{manager}");
        let note = as_rkv.notes.join("\n");
        assert!(
            note.contains(&format!(
                "applied by `{manager}` (1 object(s); pass `--applier {}`), not by `rkv`",
                applier.flag()
            )),
            "{note}"
        );

        let real = run(&server, &[deployment(2)], |o| {
            o.applier = Some(applier);
            o.field_manager = applier.field_manager().to_string();
        })
        .await
        .unwrap();
        assert_eq!(real.objects[0].action, Action::Change, "{manager}");
        assert!(
            real.objects[0].diff.contains("-  minReadySeconds: 10\n"),
            "{}",
            real.objects[0].diff
        );
        assert!(real.notes.is_empty(), "{:?}", real.notes);
        let log = server.log();
        assert!(
            log.iter()
                .any(|l| l.starts_with("PATCH") && l.contains(&format!("fieldManager={manager}"))),
            "{log:?}"
        );
    }
}

#[tokio::test]
async fn creates_are_dry_run_and_one_refusal_hides_nothing() {
    let server = FakeApiServer::start(builtin_resources()).await;
    server.seed(deployment(1));
    server.inject(Fault::status(
        Some(Method::PATCH),
        "/configmaps/guarded",
        400,
        "BadRequest",
        "admission webhook \"policy.example.com\" denied the request: configmaps need a team label",
    ));
    let rendered = [
        configmap("guarded", "x\n"),
        configmap("fine", "y\n"),
        deployment(2),
    ];
    let report = run(&server, &rendered, |_| {}).await.unwrap();
    assert_eq!(
        actions(&report),
        [
            ("ConfigMap/redis/fine".to_string(), Action::Create),
            ("ConfigMap/redis/guarded".to_string(), Action::Refused),
            ("Deployment/redis/redis".to_string(), Action::Change),
        ]
    );
    let text = report.render_text(false);
    assert!(
        text.contains("refused ConfigMap/redis/guarded\n  server: 400: admission webhook \"policy.example.com\" denied the request"),
        "{text}"
    );
    assert!(text.contains("+  redis.conf: |\n"), "{text}");
    assert!(
        text.ends_with("1 to create, 1 to change, 0 to prune, 1 refused, 0 unchanged\n"),
        "{text}"
    );
    assert!(report.fails(FailOn::Changes));
    assert!(!report.fails(FailOn::Destructive));
}

#[tokio::test]
async fn a_create_into_a_missing_namespace_is_reported_not_failed() {
    let server = FakeApiServer::start(builtin_resources()).await;
    server.require_namespaces();
    let report = run(&server, &[in_ns(configmap("a", "x\n"), "new-team")], |_| {})
        .await
        .unwrap();
    assert_eq!(report.objects[0].action, Action::Create);
    assert_eq!(
        report.objects[0].notes,
        ["no dry run: namespaces \"new-team\" not found"]
    );
    assert_eq!(codes(&report), ["RKV203"]);
    let text = report.render_text(false);
    assert!(
        text.contains("error[RKV203]: namespace `new-team` does not exist and is not rendered; 1 object(s) go into it"),
        "{text}"
    );
    let argo = run(&server, &[in_ns(configmap("a", "x\n"), "new-team")], |o| {
        o.applier = Some(Applier::ArgoCd)
    })
    .await
    .unwrap();
    assert!(
        argo.preflight[0]
            .help
            .as_deref()
            .unwrap_or("")
            .contains("CreateNamespace=true")
    );
    assert!(report.fails(FailOn::Changes));
}

#[tokio::test]
async fn a_new_custom_resource_the_schema_refuses_is_refused() {
    let server = FakeApiServer::start(builtin_resources()).await;
    server.add_crd(shared_crd("databases.spotahome.com_redisfailovers.yaml"));
    server.seed(namespace_object(NS));
    let mut bad = redisfailover();
    bad["spec"]["sentinel"]["replicas"] = json!("three");
    let report = run(&server, &[bad], |_| {}).await.unwrap();
    let o = &report.objects[0];
    assert_eq!(o.action, Action::Refused);
    let message = o.message.as_deref().unwrap_or("");
    assert!(
        message.starts_with("422: RedisFailover.databases.spotahome.com \"orders\" is invalid: spec.sentinel.replicas"),
        "{message}"
    );
    // Preflight found the same against the cluster's own CRD, before the dry run.
    assert_eq!(codes(&report), ["RKV205"], "{}", diag_text(&report));
    assert!(
        report.preflight[0]
            .message
            .starts_with("does not match the cluster's CRD `redisfailovers.databases.spotahome.com` (v1) at `/spec/sentinel/replicas`"),
        "{}",
        diag_text(&report)
    );
}

fn statefulset(replicas: u32, size: &str) -> Value {
    obj(
        "apps/v1",
        "StatefulSet",
        "kv",
        json!({
            "replicas": replicas,
            "serviceName": "kv",
            "selector": {"matchLabels": {"app": "kv"}},
            "template": {"metadata": {"labels": {"app": "kv"}},
                         "spec": {"containers": [{"name": "redis", "image": "redis:7.2"}]}},
            "volumeClaimTemplates": [{"metadata": {"name": "data"},
                "spec": {"accessModes": ["ReadWriteOnce"],
                         "resources": {"requests": {"storage": size}}}}],
        }),
    )
}

#[tokio::test]
async fn an_immutable_field_is_replace_required_with_what_to_do() {
    let server = FakeApiServer::start(builtin_resources()).await;
    server.seed(statefulset(2, "20Gi"));
    server.seed(configmap("conf", "old\n"));
    let mut job = obj(
        "batch/v1",
        "Job",
        "kv-cluster-init",
        json!({"template": {"spec": {"restartPolicy": "Never",
            "containers": [{"name": "init", "image": "redis:7.0"}]}}}),
    );
    server.seed(job.clone());
    job["metadata"]["annotations"] = json!({"kustomize.toolkit.fluxcd.io/force": "enabled"});
    job["spec"]["template"]["spec"]["containers"][0]["image"] = json!("redis:7.2");
    let rendered = [statefulset(2, "40Gi"), configmap("conf", "new\n"), job];
    let report = run(&server, &rendered, |o| o.applier = Some(Applier::Flux))
        .await
        .unwrap();
    assert_eq!(
        actions(&report),
        [
            ("ConfigMap/redis/conf".to_string(), Action::Change),
            (
                "Job/redis/kv-cluster-init".to_string(),
                Action::ReplaceRequired
            ),
            ("StatefulSet/redis/kv".to_string(), Action::ReplaceRequired),
        ]
    );
    let sts = &report.objects[2];
    assert_eq!(
        sts.immutable,
        ["spec.volumeClaimTemplates[0].spec.resources.requests.storage"]
    );
    assert!(
        sts.message
            .as_deref()
            .unwrap_or("")
            .contains("spec: Forbidden: updates to statefulset spec for fields other than"),
        "{:?}",
        sts.message
    );
    let todo = sts.remedy.as_deref().unwrap_or("");
    assert!(todo.contains("`data-kv-0`, `data-kv-1`"), "{todo}");
    assert!(
        todo.contains("kubectl -n redis delete statefulset kv --cascade=orphan"),
        "{todo}"
    );
    assert!(
        sts.diff.contains("+          storage: 40Gi"),
        "{}",
        sts.diff
    );
    let job = &report.objects[1];
    assert_eq!(
        job.immutable,
        ["spec.template.spec.containers[0].image"],
        "{job:?}"
    );
    assert!(
        job.remedy
            .as_deref()
            .unwrap_or("")
            .starts_with("nothing by hand under Flux"),
        "{:?}",
        job.remedy
    );
    let text = report.render_text(false);
    assert!(
        text.contains(
            "replace-required StatefulSet/redis/kv\n  server: StatefulSet.apps \"kv\" is invalid"
        ),
        "{text}"
    );
    assert!(
        text.ends_with("0 to create, 1 to change, 0 to prune, 2 to replace, 0 unchanged\n"),
        "{text}"
    );
    // Not destructive: the claims stay.
    assert!(!report.has_destructive());
}

#[tokio::test]
async fn destructive_changes_are_named_with_why_and_the_runbook() {
    let mut resources = builtin_resources();
    resources.push(redisfailover_resource());
    let server = FakeApiServer::start(resources).await;
    // A Redis Cluster of 3 shards x (1 + 1) and its init script.
    let script = |pods: u32, replicas: u32| {
        let hosts: Vec<String> = (0..pods)
            .map(|i| format!("kv-{i}.kv.redis.svc:6379"))
            .collect();
        configmap(
            "kv-scripts",
            &format!(
                "cli --cluster create {} --cluster-replicas {replicas} --cluster-yes\n",
                hosts.join(" ")
            ),
        )
    };
    server.seed(statefulset(6, "20Gi"));
    server.seed(script(6, 1));
    let failover = |sentinels: u32, size: &str| {
        let mut f = redisfailover();
        f["spec"]["sentinel"]["replicas"] = json!(sentinels);
        f["spec"]["redis"]["storage"] = json!({"persistentVolumeClaim": {"spec": {
            "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}}}});
        f
    };
    server.seed(failover(5, "8Gi"));
    server.seed(pvc("kv-backup", "20Gi"));
    let rendered = [statefulset(8, "20Gi"), script(8, 1), failover(3, "16Gi")];
    let report = run(&server, &rendered, |o| {
        o.runbook = Some(Runbook {
            path: "generated/kv/RUNBOOK.md".into(),
            variant: "production".into(),
        });
        o.suppress = vec!["persistentvolumeclaim".into()];
    })
    .await
    .unwrap();
    assert_eq!(
        destructive_codes(&report),
        [
            (
                "PersistentVolumeClaim/redis/kv-backup".to_string(),
                "RKV210"
            ),
            ("RedisFailover/redis/orders".to_string(), "RKV212"),
            ("RedisFailover/redis/orders".to_string(), "RKV213"),
            ("StatefulSet/redis/kv".to_string(), "RKV211"),
        ]
    );
    let text = report.render_text(false);
    // The claim's kind is suppressed: not listed, but its destructive prune still is.
    assert!(!text.contains("\nprune PersistentVolumeClaim"), "{text}");
    assert!(
        text.contains("  [RKV210] prune PersistentVolumeClaim/redis/kv-backup: pruning claim `kv-backup` deletes its volume"),
        "{text}"
    );
    assert!(
        text.contains(
            "    runbook: generated/kv/RUNBOOK.md § Disaster recovery (production) › Full loss\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("from 3 shard(s) x (1 + 1) to 4 shard(s) x (1 + 1)"),
        "{text}"
    );
    assert!(text.contains("Sentinels go from 5 to 3"), "{text}");
    assert!(text.contains("SENTINEL RESET *"), "{text}");
    assert!(
        text.ends_with(
            "0 to create, 3 to change, 0 to prune, 0 unchanged, 1 suppressed; 3 destructive\n"
        ),
        "{text}"
    );
    assert!(report.fails(FailOn::Destructive));
    let doc: Value = serde_json::from_str(&report.render_json()).unwrap();
    assert_eq!(doc["summary"]["destructive"], 3);
    let rf = doc["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["kind"] == "RedisFailover")
        .unwrap();
    assert_eq!(rf["destructive"][0]["code"], "RKV212");
    assert!(
        rf["destructive"][1]["runbook"]
            .as_str()
            .unwrap()
            .ends_with("› Persistence failures")
    );
    // A change that destroys nothing passes the destructive gate.
    let calm = run(
        &server,
        &[
            statefulset(6, "20Gi"),
            script(6, 1),
            failover(5, "8Gi"),
            pvc("kv-backup", "20Gi"),
            configmap("x", "y\n"),
        ],
        |_| {},
    )
    .await
    .unwrap();
    assert!(calm.has_changes());
    assert!(
        !calm.fails(FailOn::Destructive),
        "{}",
        calm.render_text(false)
    );
}

#[tokio::test]
async fn a_namespace_move_is_destructive() {
    let server = FakeApiServer::start(builtin_resources()).await;
    server.seed(in_ns(pvc("data", "10Gi"), "old"));
    server.seed(in_ns(configmap("conf", "x\n"), "old"));
    let report = run(
        &server,
        &[pvc("data", "10Gi"), configmap("conf", "x\n")],
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!(
        destructive_codes(&report),
        [
            ("ConfigMap/old/conf".to_string(), "RKV214"),
            ("PersistentVolumeClaim/old/data".to_string(), "RKV210"),
            ("PersistentVolumeClaim/old/data".to_string(), "RKV214"),
        ]
    );
    let text = report.render_text(false);
    assert!(
        text.contains("`PersistentVolumeClaim/old/data` moves from namespace `old` to `redis`"),
        "{text}"
    );
}

#[tokio::test]
async fn preflight_checks_secrets_keys_storage_classes_and_namespaces() {
    let server = FakeApiServer::start(builtin_resources()).await;
    server.seed(json!({"apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "auth", "namespace": NS}, "type": "Opaque",
        "data": {"password": STANDARD.encode("hunter2-secret-value")}}));
    server.seed(
        json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
        "metadata": {"name": "standard"}, "provisioner": "x"}),
    );
    server.inject(Fault::status(
        Some(Method::GET),
        "/secrets/locked",
        403,
        "Forbidden",
        "secrets \"locked\" is forbidden",
    ));
    let mut dep = deployment(1);
    dep["spec"]["template"]["spec"]["containers"][0]["env"] = json!([
        {"name": "REDIS_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "auth", "key": "REDIS_PASSWORD"}}},
        {"name": "OPTIONAL", "valueFrom": {"secretKeyRef": {"name": "absent-but-optional", "key": "k", "optional": true}}},
        {"name": "LOCKED", "valueFrom": {"secretKeyRef": {"name": "locked", "key": "k"}}},
        {"name": "MADE", "valueFrom": {"secretKeyRef": {"name": "rendered-secret", "key": "k"}}},
    ]);
    dep["spec"]["template"]["spec"]["volumes"] = json!([
        {"name": "tls", "secret": {"secretName": "tls", "items": [{"key": "tls.crt", "path": "c"}]}}]);
    let mut fast = pvc("fast-claim", "1Gi");
    fast["spec"]["storageClassName"] = json!("fast");
    let rendered_secret = json!({"apiVersion": "v1", "kind": "Secret",
        "metadata": meta("rendered-secret", INSTANCE), "stringData": {"k": "v"}});
    let rendered = [dep, fast, pvc("default-claim", "1Gi"), rendered_secret];
    let report = run(&server, &rendered, |_| {}).await.unwrap();
    assert_eq!(
        codes(&report),
        ["RKV201", "RKV207", "RKV200", "RKV202", "RKV202"],
        "{}",
        diag_text(&report)
    );
    let text = diag_text(&report);
    for expected in [
        "Secret `auth` in namespace `redis` has no key `REDIS_PASSWORD`",
        "its keys are `password`",
        "cannot check Secret `locked` in namespace `redis`: secrets \"locked\" is forbidden",
        "Secret `tls` does not exist in namespace `redis` and nothing rendered creates it; used by Deployment/redis/redis",
        "kubectl -n redis create secret generic tls --from-literal=tls.crt=...",
        "StorageClass `fast` does not exist: the claim stays Pending",
        "the cluster has `standard`",
        "the claim names no StorageClass and the cluster has no default one",
        "field: spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef",
    ] {
        assert!(text.contains(expected), "{expected} not in {text}");
    }
    // Only key names were read: no value reaches the report.
    let json = report.render_json();
    for secret in [
        "hunter2-secret-value",
        &STANDARD.encode("hunter2-secret-value"),
    ] {
        assert!(!json.contains(secret) && !report.render_text(false).contains(secret));
    }
    assert!(json.contains("\"code\": \"RKV200\""), "{json}");
    // A preflight error fails the default gate even with nothing else to do.
    assert!(report.fails(FailOn::Changes));
}

fn diag_text(report: &DiffReport) -> String {
    rkv::diag::render_text(&report.preflight)
}

#[tokio::test]
async fn preflight_validates_against_the_live_crd_so_pruned_fields_are_named() {
    let server = FakeApiServer::start(builtin_resources()).await;
    // An older operator: its CRD has no `keepAfterDeletion`, and v1 is deprecated.
    let mut crd = shared_crd("databases.spotahome.com_redisfailovers.yaml");
    let storage = crd
        .pointer_mut("/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties/redis/properties/storage/properties")
        .and_then(Value::as_object_mut)
        .expect("the storage schema");
    assert!(storage.shift_remove("keepAfterDeletion").is_some());
    crd["spec"]["versions"][0]["deprecated"] = json!(true);
    crd["spec"]["versions"][0]["deprecationWarning"] = json!("use v2");
    server.add_crd(crd);
    let mut rf = redisfailover();
    rf["spec"]["redis"]["storage"] = json!({"keepAfterDeletion": true});
    let mut live = redisfailover();
    live["spec"]["redis"]["storage"] = json!({});
    server.seed(live);
    let report = run(&server, &[rf], |_| {}).await.unwrap();
    // The dry run hides it: the server prunes the field, so nothing changes...
    assert_eq!(
        report.objects[0].action,
        Action::Unchanged,
        "{}",
        report.render_text(false)
    );
    // ...and preflight says so before it silently disappears.
    assert_eq!(
        codes(&report),
        ["RKV206", "RKV204"],
        "{}",
        diag_text(&report)
    );
    let text = diag_text(&report);
    assert!(
        text.contains("the cluster's CRD `redisfailovers.databases.spotahome.com` (v1) does not declare `spec.redis.storage.keepAfterDeletion`: the API server drops it without an error"),
        "{text}"
    );
    assert!(
        text.contains(
            "is deprecated in the cluster's CRD `redisfailovers.databases.spotahome.com`: use v2"
        ),
        "{text}"
    );
    assert!(
        server
            .log()
            .iter()
            .any(|l| l == "GET /apis/apiextensions.k8s.io/v1/customresourcedefinitions/redisfailovers.databases.spotahome.com"),
        "{:?}",
        server.log()
    );
}

fn long_configmap(changed_line: usize) -> Value {
    let text: String = (0..12)
        .map(|i| {
            if i == changed_line {
                "changed\n".to_string()
            } else {
                format!("line {i}\n")
            }
        })
        .collect();
    configmap("long", &text)
}

#[tokio::test]
async fn context_lines_suppress_and_the_summary_output() {
    let server = FakeApiServer::start(builtin_resources()).await;
    server.seed(long_configmap(99));
    server.seed(deployment(1));
    let rendered = [long_configmap(6), deployment(2), configmap("new", "x\n")];
    let zero = run(&server, &rendered, |o| o.context_lines = 0)
        .await
        .unwrap();
    let cm = &zero.objects[0];
    assert_eq!(cm.name, "long");
    let body: Vec<&str> = cm.diff.lines().skip(3).collect();
    assert_eq!(body, ["-    line 6", "+    changed"], "{}", cm.diff);
    let one = run(&server, &rendered, |o| o.context_lines = 1)
        .await
        .unwrap();
    let body: Vec<&str> = one.objects[0].diff.lines().skip(3).collect();
    assert_eq!(
        body,
        ["     line 5", "-    line 6", "+    changed", "     line 7"],
        "{}",
        one.objects[0].diff
    );

    let suppressed = run(&server, &rendered, |o| {
        o.suppress = vec!["Deployment".into(), "configmap".into()]
    })
    .await
    .unwrap();
    assert!(!suppressed.has_changes());
    assert!(!suppressed.fails(FailOn::Changes));
    assert_eq!(
        suppressed.render_text(false),
        "0 to create, 0 to change, 0 to prune, 0 unchanged, 3 suppressed\n"
    );

    let o = DiffOptions {
        format: Format::Summary,
        ..DiffOptions::default()
    };
    let summary = one.render(&o);
    assert_eq!(
        summary,
        "change ConfigMap/redis/long (+1 -1)\n\
         create ConfigMap/redis/new (+12 -0)\n\
         change Deployment/redis/redis (+1 -1)\n\
         1 to create, 2 to change, 0 to prune, 0 unchanged\n"
    );
}

#[tokio::test]
async fn an_external_differ_gets_live_and_merged_directories() {
    let server = FakeApiServer::start(builtin_resources()).await;
    server.seed(deployment(1));
    server.seed(secret(&[("password", "twelve-bytes")]));
    let report = run(
        &server,
        &[
            deployment(3),
            configmap("new", "x\n"),
            secret(&[("password", "sixteen-bytes-!!")]),
        ],
        |_| {},
    )
    .await
    .unwrap();
    let out = rkv::diff::external_diff(&report, "diff -u -r -N").unwrap();
    assert_eq!(out.status, 1);
    assert!(
        out.stdout.contains("/LIVE/apps.v1.Deployment.redis.redis"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("-  replicas: 1\n+  replicas: 3\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("/MERGED/v1.ConfigMap.redis.new"),
        "{}",
        out.stdout
    );
    // Secrets stay masked for the external differ too.
    assert!(
        out.stdout.contains("<changed: 12 -> 16 bytes>"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains(&STANDARD.encode("sixteen-bytes-!!")));
    // The directories are gone afterwards.
    let dir = out
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("--- "))
        .and_then(|l| l.split("/LIVE/").next())
        .unwrap()
        .to_string();
    assert!(dir.contains("rkv-diff-"), "{dir}");
    assert!(!Path::new(&dir).exists(), "{dir} left behind");
    // A differ that fails (exit 2) is an error; an unsafe argument is refused.
    let err = rkv::diff::external_diff(&report, "diff --no-such-flag").unwrap_err();
    assert!(
        matches!(err, DiffError::ExternalDiffFailed { status: 2, .. }),
        "{err:?}"
    );
    let err = rkv::diff::external_diff(&report, "sh -c rm;x").unwrap_err();
    assert!(
        matches!(err, DiffError::ExternalDiffCommand { .. }),
        "{err:?}"
    );
}

/// Unchanged lines shown inside the hunks of a text report.
fn context_lines(text: &str) -> usize {
    let mut in_hunk = false;
    let mut n = 0;
    for line in text.lines() {
        if line.starts_with("@@") {
            in_hunk = true;
        } else if in_hunk && line.starts_with(' ') {
            n += 1;
        } else if !(line.starts_with('+') || line.starts_with('-')) {
            in_hunk = false;
        }
    }
    n
}

/// The command line end to end against the stand-in: the issue's case, cordum's
/// production Redis Cluster applied by Flux, then `backup:` removed from the spec.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_flags_map_onto_the_diff_for_the_issues_case() {
    let root = support::root().to_path_buf();
    let stream = rkv_cmd()
        .current_dir(&root)
        .args([
            "render",
            "profiles/cordum.yaml",
            "--stdout",
            "--env",
            "production",
        ])
        .output()
        .unwrap();
    assert!(stream.status.success());
    let objects: Vec<Value> =
        serde_saphyr::from_multiple(&String::from_utf8(stream.stdout).unwrap()).unwrap();
    assert!(objects.len() > 15);

    let server = FakeApiServer::start(builtin_resources()).await;
    server.add_crd(shared_crd("monitoring.coreos.com_prometheusrules.yaml"));
    server.add_crd(shared_crd("monitoring.coreos.com_servicemonitors.yaml"));
    server.seed(
        json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
        "metadata": {"name": "standard", "annotations": {
            "storageclass.kubernetes.io/is-default-class": "true"}}, "provisioner": "x"}),
    );
    let keys =
        json!({"REDIS_PASSWORD": "eA==", "tls.crt": "eA==", "tls.key": "eA==", "ca.crt": "eA=="});
    for name in [
        "cordum-redis-secret",
        "cordum-redis-server-tls",
        "cordum-client-tls",
    ] {
        server.seed(json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": name, "namespace": "cordum"}, "data": keys}));
    }
    for o in &objects {
        server.seed_applied(o.clone(), "kustomize-controller");
    }
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = server.kubeconfig(dir.path());
    let spec = root.join("profiles/cordum.yaml");
    let text = std::fs::read_to_string(&spec).unwrap();
    let without_backup: String = text
        .lines()
        .filter(|l| {
            ![
                "backup:",
                "schedule: \"0 * * * *\"",
                "retentionDays:",
                "retentionSchedule:",
                "size: 20Gi\n",
            ]
            .iter()
            .any(|p| l.trim_start().starts_with(p.trim_end()))
                || l.trim_start().starts_with("size: 20Gi") && !l.starts_with("      ")
        })
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(!without_backup.contains("backup:") && without_backup.contains("persistence:"));
    let edited = dir.path().join("cordum.yaml");
    std::fs::write(&edited, &without_backup).unwrap();

    let diff = move |spec: PathBuf, args: &'static [&'static str], env: Option<&'static str>| {
        let kubeconfig = kubeconfig.clone();
        let root = root.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                let mut cmd = rkv_cmd();
                cmd.current_dir(&root)
                    .arg("diff")
                    .arg(&spec)
                    .args(["--env", "production", "--kubeconfig"])
                    .arg(&kubeconfig)
                    .args(args);
                if let Some(e) = env {
                    cmd.env("RKV_EXTERNAL_DIFF", e);
                }
                let out = cmd.output().unwrap();
                (
                    out.status.code().unwrap_or(-1),
                    String::from_utf8_lossy(&out.stdout).into_owned(),
                    String::from_utf8_lossy(&out.stderr).into_owned(),
                )
            })
            .await
            .unwrap()
        }
    };

    // Nothing to do: exit 0, every object unchanged as Flux sees it.
    let (code, out, err) = diff(spec.clone(), &["--applier", "flux"], None).await;
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        out,
        format!(
            "0 to create, 0 to change, 0 to prune, {} unchanged\n",
            objects.len()
        )
    );

    // `backup:` removed while the live claim carries the keep annotations rkv renders:
    // the three CronJobs (backup, retention, restore) are pruned, the claim (every dump
    // on it) is not, and the gate passes.
    let (code, out, err) = diff(
        edited.clone(),
        &["--applier", "flux", "--fail-on", "destructive"],
        None,
    )
    .await;
    assert_eq!(code, 0, "{out}{err}");
    for cronjob in [
        "cordum-redis-backup",
        "cordum-backup-retention",
        "cordum-redis-restore",
    ] {
        assert!(
            out.contains(&format!("\nprune CronJob/cordum/{cronjob}\n")),
            "{out}"
        );
    }
    assert!(!out.contains("prune PersistentVolumeClaim"), "{out}");
    assert!(
        out.contains("not pruned, pruning disabled by annotation")
            && out.contains("`PersistentVolumeClaim/cordum/cordum-redis-backup`"),
        "{out}"
    );

    // The same claim as an rkv without the annotations applied it: from here on it is
    // pruned with the three CronJobs, although their kinds are no longer rendered; the
    // claim's prune is destructive and fails the gate.
    let mut bare = objects
        .iter()
        .find(|o| {
            o["kind"] == "PersistentVolumeClaim" && o["metadata"]["name"] == "cordum-redis-backup"
        })
        .expect("the backup claim")
        .clone();
    if let Some(m) = bare["metadata"].as_object_mut() {
        m.remove("annotations");
    }
    server.seed_applied(bare, "kustomize-controller");
    let (code, out, err) = diff(
        edited.clone(),
        &["--applier", "flux", "--fail-on", "destructive"],
        None,
    )
    .await;
    assert_eq!(code, 1, "{out}{err}");
    for expected in [
        "\nprune PersistentVolumeClaim/cordum/cordum-redis-backup\n",
        "\nprune CronJob/cordum/cordum-redis-backup\n",
        "\nprune CronJob/cordum/cordum-backup-retention\n",
        "\nprune CronJob/cordum/cordum-redis-restore\n",
        "  [RKV210] prune PersistentVolumeClaim/cordum/cordum-redis-backup: ",
        "    runbook: generated/cordum/RUNBOOK.md § Disaster recovery (production) › Full loss\n",
    ] {
        assert!(out.contains(expected), "{expected:?} not in {out}");
    }
    assert!(out.ends_with("; 1 destructive\n"), "{out}");

    // One line per object, a kind suppressed, JSON.
    let (code, out, _) = diff(
        edited.clone(),
        &[
            "--applier",
            "flux",
            "-o",
            "summary",
            "--suppress",
            "CronJob",
        ],
        None,
    )
    .await;
    assert_eq!(code, 1);
    assert!(
        out.contains("prune  PersistentVolumeClaim/cordum/cordum-redis-backup (+0 -")
            || out.contains("prune PersistentVolumeClaim/cordum/cordum-redis-backup (+0 -"),
        "{out}"
    );
    assert!(out.contains("[destructive RKV210]"), "{out}");
    assert!(!out.contains("CronJob/"), "{out}");
    assert!(out.contains(", 3 suppressed; 1 destructive\n"), "{out}");
    let (_, out, _) = diff(
        edited.clone(),
        &["--format", "json", "--applier", "flux"],
        None,
    )
    .await;
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["summary"]["prune"], 4);

    // No context at all, then an external differ instead of the built-in one.
    let (_, out, _) = diff(edited.clone(), &["--applier", "flux", "-U", "0"], None).await;
    assert_eq!(context_lines(&out), 0, "{out}");
    let (_, out, _) = diff(edited.clone(), &["--applier", "flux"], None).await;
    assert!(context_lines(&out) > 0, "{out}");
    let (code, out, err) = diff(edited, &["--applier", "flux"], Some("diff -u -r -N")).await;
    assert_eq!(code, 1, "{err}");
    assert!(
        out.contains("/LIVE/v1.PersistentVolumeClaim.cordum.cordum-redis-backup"),
        "{out}"
    );
    assert!(out.contains("destructive changes:\n"), "{out}");

    // The gate lets an unchanged spec through.
    let (code, _, _) = diff(
        spec,
        &["--applier", "flux", "--fail-on", "destructive"],
        None,
    )
    .await;
    assert_eq!(code, 0);
}

#[tokio::test]
async fn a_dump_predicts_immutable_fields_and_keeps_owned_objects() {
    let mut owned = as_dumped(configmap("operator-made", "x\n"));
    owned["metadata"]["ownerReferences"] = json!([{"kind": "RedisFailover", "name": "orders"}]);
    let dump = rkv::write::to_yaml_stream(&[
        as_dumped(statefulset(2, "20Gi")),
        owned,
        as_dumped(pvc("old-claim", "1Gi")),
    ])
    .unwrap();
    let report =
        diff_against_dump(&[statefulset(2, "40Gi")], &dump, &DiffOptions::default()).unwrap();
    assert_eq!(
        actions(&report),
        [
            (
                "PersistentVolumeClaim/redis/old-claim".to_string(),
                Action::Prune
            ),
            ("StatefulSet/redis/kv".to_string(), Action::ReplaceRequired),
        ]
    );
    let sts = &report.objects[1];
    assert_eq!(
        sts.message.as_deref(),
        Some(
            "predicted without a server dry run: `spec.volumeClaimTemplates[0].spec.resources.requests.storage` cannot change after creation"
        )
    );
    assert_eq!(
        destructive_codes(&report),
        [(
            "PersistentVolumeClaim/redis/old-claim".to_string(),
            "RKV210"
        )]
    );
    let notes = report.notes.join("\n");
    assert!(
        notes.contains("compared with a dump, not a cluster"),
        "{notes}"
    );
    assert!(notes.contains("`ConfigMap/redis/operator-made`"), "{notes}");
}

/// `kubectl` from the repository's `.tools` (scripts/install-tools); required under CI.
fn kubectl() -> Option<PathBuf> {
    let p = support::root().join(".tools/bin/kubectl");
    if p.is_file() {
        return Some(p);
    }
    assert!(
        std::env::var_os("CI").is_none_or(|v| v != "true"),
        "{} is missing under CI=true: run scripts/install-tools",
        p.display()
    );
    eprintln!("note: {} is missing; skipped locally", p.display());
    None
}

/// Objects by (kind, namespace, name), for comparing streams whatever their order.
fn by_id(docs: Vec<Value>) -> std::collections::BTreeMap<(String, String, String), Value> {
    docs.into_iter()
        .map(|d| {
            let s = |p: &str| {
                d.pointer(p)
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string()
            };
            (
                (s("/kind"), s("/metadata/namespace"), s("/metadata/name")),
                d,
            )
        })
        .collect()
}

/// The `rkv` binary as users run it, without an external differ the environment set.
fn rkv_cmd() -> assert_cmd::Command {
    let mut c = support::rkv();
    c.env_remove("RKV_EXTERNAL_DIFF");
    c
}

/// The Helm target in every stream mode: `render --stdout`, `argocd-generate`, `krm`
/// and `diff` all give exactly what `kubectl kustomize` builds from the committed
/// `helm/` tree: the values ConfigMap under its hashed name, the OCIRepository and the
/// HelmRelease naming that ConfigMap; never a `Kustomization` object.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_helm_target_streams_what_kustomize_builds_in_every_mode() {
    let Some(kubectl) = kubectl() else { return };
    let root = support::root().to_path_buf();
    let built = std::process::Command::new(&kubectl)
        .arg("kustomize")
        .arg(root.join("generated/bitnami-redis/helm"))
        .output()
        .unwrap();
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let expected = by_id(support::docs(&built.stdout));
    // The values ConfigMap's hash suffix is kustomize's (compared object by object below).
    assert_eq!(
        expected
            .keys()
            .map(|(k, _, n)| match n.strip_prefix("redis-values-") {
                Some(hash) if hash.len() == 10 => format!("{k}/redis-values-<hash>"),
                _ => format!("{k}/{n}"),
            })
            .collect::<Vec<_>>(),
        [
            "ConfigMap/redis-backup-scripts",
            "ConfigMap/redis-values-<hash>",
            "CronJob/platform-backup-retention",
            "CronJob/redis-backup",
            "HelmRelease/redis",
            "NetworkPolicy/redis-allow-dns",
            "NetworkPolicy/redis-backup-egress",
            "NetworkPolicy/redis-default-deny",
            "OCIRepository/redis",
            "PersistentVolumeClaim/redis-backup"
        ],
        "the committed tree builds to a hashed values ConfigMap and the backup beside the release"
    );
    let spec_text = std::fs::read_to_string(root.join("profiles/bitnami-redis.yaml")).unwrap();

    // rkv render --stdout
    let out = rkv_cmd()
        .current_dir(&root)
        .args(["render", "profiles/bitnami-redis.yaml", "--stdout"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        by_id(support::docs(&out.stdout)),
        expected,
        "render --stdout"
    );

    // Every golden case's helm/ tree too (base and environments): render --stdout is
    // what kustomize builds from the expected files.
    let mut trees = 0;
    for case in std::fs::read_dir(root.join("tests/golden")).unwrap() {
        let case = case.unwrap().path();
        let helm = case.join("expected/helm");
        if !helm.join("kustomization.yaml").is_file() {
            continue;
        }
        let mut dirs = vec![("base".to_string(), helm.clone())];
        for e in std::fs::read_dir(&helm).unwrap() {
            let p = e.unwrap().path();
            if p.join("kustomization.yaml").is_file() {
                dirs.push((p.file_name().unwrap().to_string_lossy().into_owned(), p));
            }
        }
        for (variant, dir) in dirs {
            let built = std::process::Command::new(&kubectl)
                .arg("kustomize")
                .arg(&dir)
                .output()
                .unwrap();
            assert!(built.status.success(), "{}", dir.display());
            let out = rkv_cmd()
                .current_dir(&case)
                .args(["render", "spec.yaml", "--stdout", "--env", &variant])
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", case.display());
            let built = by_id(support::docs(&built.stdout));
            // A spec with kustomize output too streams its tree's objects as well: every
            // object the helm/ tree builds must be among the streamed ones, unchanged.
            let streamed: Vec<Value> = support::docs(&out.stdout)
                .into_iter()
                .filter(|d| by_id(vec![d.clone()]).keys().all(|k| built.contains_key(k)))
                .collect();
            assert_eq!(by_id(streamed), built, "{} ({variant})", case.display());
            trees += 1;
        }
    }
    assert!(trees >= 5, "{trees} golden helm trees");

    // rkv argocd-generate, in an app path holding the spec
    let app = tempfile::tempdir().unwrap();
    std::fs::write(app.path().join("bitnami-redis.yaml"), &spec_text).unwrap();
    let out = rkv_cmd()
        .current_dir(app.path())
        .arg("argocd-generate")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        by_id(support::docs(&out.stdout)),
        expected,
        "argocd-generate"
    );

    // rkv krm, the spec as the functionConfig of a file of that name
    let mut config: Value = serde_saphyr::from_str(&spec_text).unwrap();
    config["metadata"]["annotations"] = json!({"config.kubernetes.io/path": "bitnami-redis.yaml"});
    let list = json!({"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList",
                      "items": [], "functionConfig": config});
    let out = rkv_cmd()
        .arg("krm")
        .write_stdin(rkv::write::to_yaml(&list).unwrap())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let returned: Value =
        serde_saphyr::from_str(std::str::from_utf8(&out.stdout).unwrap()).unwrap();
    let items: Vec<Value> = returned["items"]
        .as_array()
        .unwrap()
        .iter()
        .cloned()
        .map(|mut i| {
            // The orchestrator's placement annotations are KRM's, not the objects'.
            let meta = i["metadata"].as_object_mut().unwrap();
            if let Some(Value::Object(a)) = meta.get_mut("annotations") {
                a.retain(|k, _| !k.contains("config.kubernetes.io/"));
                if a.is_empty() {
                    meta.shift_remove("annotations");
                }
            }
            i
        })
        .collect();
    assert_eq!(by_id(items), expected, "krm");

    // rkv diff: the kustomize build, applied by Flux, is exactly what rkv would apply.
    let flux_cluster = |objects: Vec<Value>| async move {
        let s = FakeApiServer::start(builtin_resources()).await;
        s.add_crd(shared_crd("helm.toolkit.fluxcd.io_helmreleases.yaml"));
        // ../shared/crds has no OCIRepository CRD: a minimal one that keeps any spec.
        s.add_crd(json!({"apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": "ocirepositories.source.toolkit.fluxcd.io"},
            "spec": {"group": "source.toolkit.fluxcd.io", "scope": "Namespaced",
                "names": {"kind": "OCIRepository", "plural": "ocirepositories"},
                "versions": [{"name": "v1", "served": true, "storage": true,
                    "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                        "spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}}}]}}));
        // The cluster's default class: the backup claim names none.
        s.seed(
            json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
            "metadata": {"name": "standard", "annotations": {
                "storageclass.kubernetes.io/is-default-class": "true"}},
            "provisioner": "x"}),
        );
        for o in objects {
            s.seed_applied(o, "kustomize-controller");
        }
        s
    };
    let server = flux_cluster(expected.values().cloned().collect()).await;
    let dir = tempfile::tempdir().unwrap();
    let run_diff = |spec: PathBuf, server: &FakeApiServer| {
        let kubeconfig = server.kubeconfig(dir.path());
        let root = root.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                let out = rkv_cmd()
                    .current_dir(&root)
                    .arg("diff")
                    .arg(&spec)
                    .args(["--applier", "flux", "--kubeconfig"])
                    .arg(&kubeconfig)
                    .output()
                    .unwrap();
                (
                    out.status.code().unwrap_or(-1),
                    String::from_utf8_lossy(&out.stdout).into_owned(),
                )
            })
            .await
            .unwrap()
        }
    };
    let three = root.join("profiles/bitnami-redis.yaml");
    // Named as an existing Secret (`createdBy: external`), the password Secret must be
    // there first: preflight reads the values.
    let external = dir.path().join("external.yaml");
    std::fs::write(&external, spec_text.replace("    createdBy: chart\n", "")).unwrap();
    let (code, out) = run_diff(external, &server).await;
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("error[RKV200]: Secret `redis` does not exist in namespace `redis`"),
        "{out}"
    );
    // The values and the backup CronJob beside them read it.
    assert!(
        out.contains("used by CronJob/redis/redis-backup, HelmRelease/redis/redis"),
        "{out}"
    );
    // The profile's chart makes its own (`createdBy: chart`): nothing to look up first,
    // the backup CronJob that reads it included.
    let (code, out) = run_diff(three.clone(), &server).await;
    assert_eq!(code, 0, "{out}");
    assert_eq!(out, "0 to create, 0 to change, 0 to prune, 10 unchanged\n");

    // Five Redis pods with a Sentinel each: the HelmRelease names a new ConfigMap and the
    // old one is pruned; more Sentinels destroy nothing, fewer do.
    let five = dir.path().join("bitnami-redis.yaml");
    std::fs::write(
        &five,
        spec_text
            .replace(
                "replicas: 3                  #",
                "replicas: 5                  #",
            )
            .replace(
                "        replicas: 3\n        quorum: 2",
                "        replicas: 5\n        quorum: 3",
            ),
    )
    .unwrap();
    let (code, out) = run_diff(five.clone(), &server).await;
    assert_eq!(code, 1, "{out}");
    let values_cm = expected
        .keys()
        .map(|(_, _, n)| n)
        .find(|n| n.starts_with("redis-values-"))
        .unwrap();
    assert!(
        out.contains(&format!("prune ConfigMap/redis/{values_cm}\n")),
        "{out}"
    );
    assert!(
        out.contains("create ConfigMap/redis/redis-values-"),
        "{out}"
    );
    assert!(out.contains("change HelmRelease/redis/redis\n"), "{out}");
    assert!(!out.contains("destructive changes:"), "{out}");

    let rendered_five = rkv_cmd()
        .arg("render")
        .arg(&five)
        .arg("--stdout")
        .output()
        .unwrap();
    let server = flux_cluster(support::docs(&rendered_five.stdout)).await;
    let (code, out) = run_diff(three, &server).await;
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("  [RKV212] change HelmRelease/redis/redis: Sentinels go from 5 to 3"),
        "{out}"
    );
    assert!(
        out.contains("runbook: generated/bitnami-redis/RUNBOOK.md § Find the primary (base)"),
        "{out}"
    );
}

#[tokio::test]
async fn objects_another_variant_renders_are_not_pruned() {
    // Two variants of one spec with the same topology labels, side by side in one
    // cluster: diffing one must not offer to prune the other.
    let server = FakeApiServer::start(builtin_resources()).await;
    let theirs = in_ns(configmap("conf", "staging\n"), "staging");
    server.seed(theirs.clone());
    server.seed(configmap("stale", "x\n"));
    let report = run(&server, &[configmap("conf", "prod\n")], |o| {
        o.other_variants = vec![("staging".into(), vec![theirs])];
    })
    .await
    .unwrap();
    assert_eq!(
        actions(&report),
        [
            ("ConfigMap/redis/conf".to_string(), Action::Create),
            ("ConfigMap/redis/stale".to_string(), Action::Prune),
        ]
    );
    assert!(
        destructive_codes(&report).is_empty(),
        "no namespace move either"
    );
    assert!(
        report.notes.iter().any(|n| n
            == "not pruned, another variant of the spec renders it: `ConfigMap/staging/conf` (`staging`)"),
        "{:?}",
        report.notes
    );
}
