//! `rkv diff` against a stand-in API server, through kube's real client and a
//! kubeconfig file, and against `kubectl get -o yaml` dumps.

use std::path::Path;
use std::time::Duration;

use crate::support::apiserver::{
    FakeApiServer, Fault, Respond, builtin_resources, redisfailover_resource, write_kubeconfig,
};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hyper::Method;
use rkv::diff::{
    Action, DiffError, DiffOptions, DiffReport, Format, LiveSource, diff, diff_against_dump,
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
    // Discovery used the legacy form; nothing was patched since nothing exists.
    let log = server.log();
    assert!(log.iter().any(|l| l == "GET /apis/apps/v1"), "{log:?}");
    assert!(!log.iter().any(|l| l.starts_with("PATCH")), "{log:?}");
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
    let log = server.log();
    let list = log
        .iter()
        .find(|l| l.starts_with("GET /api/v1/namespaces/redis/configmaps?"))
        .expect("a LIST");
    assert!(list.contains("labelSelector="), "{list}");
}

#[tokio::test]
async fn several_instances_prune_each_with_one_list_per_kind_and_namespace() {
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
        .filter(|l| l.starts_with("GET /api/v1/namespaces/redis/configmaps?"))
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
        json!({"create": 1, "change": 1, "prune": 0, "unchanged": 0})
    );
    assert_eq!(
        doc["objects"][0],
        json!({"action": "create", "apiVersion": "v1", "kind": "ConfigMap",
               "namespace": "redis", "name": "c",
               "diff": report.objects[0].diff})
    );
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
