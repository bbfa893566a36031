//! CRD loading and validation against the upstream CRDs in `../shared/crds/`.

use super::schema::{scope_inline_flags, translate};
use super::*;
use crate::validate::test_support::shared_dir;
use serde_json::json;
use std::sync::OnceLock;

fn crds() -> &'static CrdSet {
    static SET: OnceLock<CrdSet> = OnceLock::new();
    SET.get_or_init(|| CrdSet::load_dir(&shared_dir().join("crds")).unwrap())
}

fn violations(object: &Value) -> Vec<Violation> {
    match crds().validate(object) {
        Err(Rejection::Invalid(v)) => v,
        other => panic!("expected violations, got {other:?}"),
    }
}

fn assert_valid(object: &Value) {
    if let Err(rejection) = crds().validate(object) {
        panic!("{} rejected:\n{rejection}", object["kind"]);
    }
}

fn redis_failover() -> Value {
    json!({
        "apiVersion": "databases.spotahome.com/v1",
        "kind": "RedisFailover",
        "metadata": {"name": "kv", "namespace": "data", "labels": {"app": "kv"}},
        "spec": {
            "sentinel": {"replicas": 3, "customConfig": ["down-after-milliseconds 5000"]},
            "redis": {
                "replicas": 3,
                "resources": {"limits": {"memory": "1Gi"}, "requests": {"cpu": "100m"}},
                "storage": {"keepAfterDeletion": true},
            },
            "auth": {"secretPath": "kv-auth"},
        }
    })
}

fn redis_sentinel() -> Value {
    json!({
        "apiVersion": "redis.redis.opstreelabs.in/v1beta2",
        "kind": "RedisSentinel",
        "metadata": {"name": "kv-sentinel"},
        "spec": {
            "clusterSize": 3,
            "kubernetesConfig": {"image": "quay.io/opstree/redis-sentinel:v7.0.15"},
            "redisSentinelConfig": {
                "redisReplicationName": "kv",
                "masterGroupName": "mymaster",
                "quorum": "2",
                "downAfterMilliseconds": "5000",
            },
        }
    })
}

fn prometheus_rule(expr: Value) -> Value {
    json!({
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": "kv"},
        "spec": {"groups": [{"name": "kv", "rules": [
            {"alert": "RedisDown", "expr": expr, "for": "5m",
             "labels": {"severity": "page"}, "annotations": {"summary": "down"}}
        ]}]}
    })
}

#[test]
fn every_crd_file_loads() {
    let dir = shared_dir().join("crds");
    let start = std::time::Instant::now();
    let set = CrdSet::load_dir(&dir).unwrap();
    eprintln!(
        "loaded {} kinds in {:?}",
        set.kinds().count(),
        start.elapsed()
    );
    let files = fs::read_dir(&dir)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "yaml")
        })
        .count();
    assert_eq!(files, 14);
    let kinds: Vec<String> = set.kinds().map(ToString::to_string).collect();
    for expected in [
        "argoproj.io/v1alpha1 Application",
        "cert-manager.io/v1 Certificate",
        "databases.spotahome.com/v1 RedisFailover",
        "external-secrets.io/v1 ExternalSecret",
        "helm.toolkit.fluxcd.io/v2 HelmRelease",
        "kafka.strimzi.io/v1 KafkaMirrorMaker2",
        "kafka.strimzi.io/v1 KafkaTopic",
        "kafka.strimzi.io/v1 KafkaUser",
        "monitoring.coreos.com/v1 PrometheusRule",
        "monitoring.coreos.com/v1 ServiceMonitor",
        "redis.redis.opstreelabs.in/v1beta2 Redis",
        "redis.redis.opstreelabs.in/v1beta2 RedisCluster",
        "redis.redis.opstreelabs.in/v1beta2 RedisReplication",
        "redis.redis.opstreelabs.in/v1beta2 RedisSentinel",
    ] {
        assert!(
            kinds.iter().any(|k| k == expected),
            "{expected} missing from {kinds:?}"
        );
    }
    // `v1beta1` of ExternalSecret is `served: false`.
    assert_eq!(kinds.len(), 14, "{kinds:?}");
    let sorted = {
        let mut k = kinds.clone();
        k.sort();
        k
    };
    assert_eq!(kinds, sorted);
}

#[test]
fn minimal_valid_objects_pass() {
    assert_valid(&redis_failover());
    assert_valid(&redis_sentinel());
    assert_valid(&json!({
        "apiVersion": "redis.redis.opstreelabs.in/v1beta2",
        "kind": "RedisReplication",
        "metadata": {"name": "kv"},
        "spec": {
            "clusterSize": 3,
            "kubernetesConfig": {
                "image": "quay.io/opstree/redis:v7.0.15",
                "redisSecret": {"name": "kv-auth", "key": "password"},
            },
            "storage": {"volumeClaimTemplate": {"spec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "8Gi"}},
            }}},
        }
    }));
    assert_valid(&json!({
        "apiVersion": "kafka.strimzi.io/v1",
        "kind": "KafkaTopic",
        "metadata": {"name": "kv-events", "labels": {"strimzi.io/cluster": "events"}},
        "spec": {"partitions": 3, "replicas": 3, "config": {"retention.ms": 604800000}},
    }));
    assert_valid(&json!({
        "apiVersion": "kafka.strimzi.io/v1",
        "kind": "KafkaUser",
        "metadata": {"name": "kv-writer", "labels": {"strimzi.io/cluster": "events"}},
        "spec": {"authentication": {"type": "tls"}},
    }));
    assert_valid(&json!({
        "apiVersion": "kafka.strimzi.io/v1",
        "kind": "KafkaMirrorMaker2",
        "metadata": {"name": "kv-mirror"},
        "spec": {
            "replicas": 1,
            "target": {
                "alias": "dr",
                "bootstrapServers": "dr-kafka-bootstrap:9093",
                "groupId": "kv-mirror",
                "configStorageTopic": "kv-mirror-config",
                "statusStorageTopic": "kv-mirror-status",
                "offsetStorageTopic": "kv-mirror-offsets",
            },
            "mirrors": [{
                "source": {"alias": "main", "bootstrapServers": "events-kafka-bootstrap:9093"},
                "topicsPattern": "kv-.*",
            }],
        }
    }));
    assert_valid(&json!({
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": {"name": "kv-auth"},
        "spec": {
            "refreshInterval": "1h",
            "secretStoreRef": {"kind": "ClusterSecretStore", "name": "vault"},
            "target": {"name": "kv-auth", "creationPolicy": "Owner"},
            "data": [{"secretKey": "password", "remoteRef": {"key": "kv/auth", "property": "password"}}],
        }
    }));
    assert_valid(&prometheus_rule(json!("redis_up == 0")));
    assert_valid(&json!({
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": {"name": "kv"},
        "spec": {
            "selector": {"matchLabels": {"app": "kv"}},
            "endpoints": [{"port": "metrics", "interval": "30s"}],
        }
    }));
    assert_valid(&json!({
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "metadata": {"name": "kv"},
        "spec": {
            "interval": "10m",
            "chart": {"spec": {
                "chart": "redis",
                "version": "23.1.1",
                "sourceRef": {"kind": "HelmRepository", "name": "bitnami"},
            }},
            "values": {"architecture": "replication", "anything": {"goes": [1, 2]}},
        }
    }));
    assert_valid(&json!({
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": {"name": "kv-tls"},
        "spec": {
            "secretName": "kv-tls",
            "dnsNames": ["kv.data.svc"],
            "duration": "2160h",
            "issuerRef": {"name": "internal-ca", "kind": "ClusterIssuer"},
        }
    }));
    assert_valid(&json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": "kv", "namespace": "argocd"},
        "spec": {
            "project": "default",
            "source": {"repoURL": "https://git.example.com/infra.git", "path": "generated/kv", "targetRevision": "main"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": "data"},
            "syncPolicy": {"automated": {"prune": true, "selfHeal": true}},
        }
    }));
}

#[test]
fn unknown_field_is_refused() {
    let mut object = redis_failover();
    object["spec"]["redis"]["replica"] = json!(3);
    object["spec"]["foo"] = json!({"bar": 1});
    assert_eq!(
        violations(&object),
        vec![
            Violation::new("/spec/foo", "unknown field `foo`"),
            Violation::new("/spec/redis/replica", "unknown field `replica`"),
        ]
    );
}

#[test]
fn unknown_top_level_field_is_refused() {
    let mut object = redis_failover();
    object["data"] = json!({});
    assert_eq!(
        violations(&object),
        vec![Violation::new("/data", "unknown field `data`")]
    );
}

#[test]
fn preserve_unknown_fields_keeps_them() {
    // KafkaTopic `spec.config` has `x-kubernetes-preserve-unknown-fields`.
    let object = json!({
        "apiVersion": "kafka.strimzi.io/v1",
        "kind": "KafkaTopic",
        "metadata": {"name": "t"},
        "spec": {"config": {"whatever.you.like": "x", "nested": {"a": 1}}},
    });
    assert_valid(&object);
}

#[test]
fn integer_quorum_is_a_wrong_type() {
    let mut object = redis_sentinel();
    object["spec"]["redisSentinelConfig"]["quorum"] = json!(2);
    object["spec"]["clusterSize"] = json!("3");
    assert_eq!(
        violations(&object),
        vec![
            Violation::new("/spec/clusterSize", "expected integer, found string \"3\""),
            Violation::new(
                "/spec/redisSentinelConfig/quorum",
                "expected string, found integer 2"
            ),
        ]
    );
}

#[test]
fn missing_required_field_is_reported() {
    let mut object = redis_sentinel();
    object["spec"]["redisSentinelConfig"]
        .as_object_mut()
        .unwrap()
        .remove("redisReplicationName");
    object["spec"]
        .as_object_mut()
        .unwrap()
        .remove("kubernetesConfig");
    assert_eq!(
        violations(&object),
        vec![
            Violation::new("/spec", "missing required field `kubernetesConfig`"),
            Violation::new(
                "/spec/redisSentinelConfig",
                "missing required field `redisReplicationName`"
            ),
        ]
    );
}

#[test]
fn int_or_string_takes_both_and_nothing_else() {
    assert_valid(&prometheus_rule(json!("up == 0")));
    assert_valid(&prometheus_rule(json!(1)));
    assert_eq!(
        violations(&prometheus_rule(json!(true))),
        vec![Violation::new(
            "/spec/groups/0/rules/0/expr",
            "expected integer or string, found boolean true"
        )]
    );

    let mut object = redis_failover();
    object["spec"]["redis"]["resources"]["limits"]["memory"] = json!(1_073_741_824);
    object["spec"]["redis"]["customLivenessProbe"] =
        json!({"tcpSocket": {"port": "redis"}, "periodSeconds": 10});
    object["spec"]["redis"]["customReadinessProbe"] = json!({"tcpSocket": {"port": 6379}});
    assert_valid(&object);
    object["spec"]["redis"]["customReadinessProbe"] = json!({"tcpSocket": {"port": 63.79}});
    assert_eq!(
        violations(&object),
        vec![Violation::new(
            "/spec/redis/customReadinessProbe/tcpSocket/port",
            "expected integer or string, found number 63.79"
        )]
    );
}

#[test]
fn nullable_field_takes_null() {
    let external_secret = |refresh_time: Value| {
        json!({
            "apiVersion": "external-secrets.io/v1",
            "kind": "ExternalSecret",
            "metadata": {"name": "s"},
            "spec": {},
            "status": {"refreshTime": refresh_time},
        })
    };
    assert_valid(&external_secret(Value::Null));
    assert_valid(&external_secret(json!("2026-01-01T00:00:00Z")));
    assert_eq!(
        violations(&external_secret(json!(5))),
        vec![Violation::new(
            "/status/refreshTime",
            "expected string or null, found integer 5"
        )]
    );
    // Not nullable: null is a wrong type.
    let mut object = redis_failover();
    object["spec"]["redis"]["replicas"] = Value::Null;
    assert_eq!(
        violations(&object),
        vec![Violation::new(
            "/spec/redis/replicas",
            "expected integer, found null"
        )]
    );
}

#[test]
fn enum_violation_lists_the_options() {
    let object = json!({
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": {"name": "s"},
        "spec": {"target": {"creationPolicy": "Sometimes"}},
    });
    assert_eq!(
        violations(&object),
        vec![Violation::new(
            "/spec/target/creationPolicy",
            "expected one of [\"Owner\",\"Orphan\",\"Merge\",\"None\",\"CreateOrMerge\"], found string \"Sometimes\""
        )]
    );
}

#[test]
fn metadata_needs_a_name() {
    let mut object = redis_failover();
    object["metadata"] = json!({"namespace": "data"});
    assert_eq!(
        violations(&object),
        vec![Violation::new("/metadata", "missing required field `name`")]
    );
    object.as_object_mut().unwrap().remove("metadata");
    assert_eq!(
        violations(&object),
        vec![Violation::new("", "missing required field `metadata`")]
    );
}

#[test]
fn unknown_kind_is_its_own_result() {
    let mut object = redis_failover();
    object["apiVersion"] = json!("databases.spotahome.com/v2");
    let rejection = crds().validate(&object).unwrap_err();
    assert_eq!(
        rejection,
        Rejection::NoCrd(Gvk::from_api_version(
            "databases.spotahome.com/v2",
            "RedisFailover"
        ))
    );
    assert_eq!(
        rejection.to_string(),
        "no CRD for `databases.spotahome.com/v2` `RedisFailover`"
    );

    let service = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "kv"}});
    assert_eq!(
        crds().validate(&service),
        Err(Rejection::NoCrd(Gvk {
            group: String::new(),
            version: "v1".to_owned(),
            kind: "Service".to_owned()
        }))
    );
}

#[test]
fn missing_type_meta_is_a_violation() {
    assert_eq!(
        violations(&json!({"kind": 3})),
        vec![
            Violation::new("", "missing required field `apiVersion`"),
            Violation::new("/kind", "expected string, found integer 3"),
        ]
    );
    assert_eq!(
        violations(&json!([])),
        vec![Violation::new("", "expected object, found array")]
    );
}

#[test]
fn translation_rewrites_structural_keywords() {
    let schema = json!({
        "type": "object",
        "properties": {
            "a": {"type": "string", "nullable": true, "format": "date-time", "description": "d"},
            "b": {"x-kubernetes-int-or-string": true},
            "c": {"type": "object", "x-kubernetes-preserve-unknown-fields": true,
                  "properties": {"d": {"type": "integer", "format": "int32"}}},
            "e": {"type": "object", "additionalProperties": {"type": "string"}},
            "f": {"type": "string", "enum": ["x"], "nullable": true},
        },
        "anyOf": [{"properties": {"a": {"type": "string"}}}],
    });
    let translated = Value::Object(translate(
        schema.as_object().unwrap(),
        true,
        &mut Patterns::default(),
    ));
    assert_eq!(
        translated,
        json!({
            "type": "object",
            "properties": {
                "a": {"type": ["string", "null"]},
                "b": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
                "c": {"type": "object", "properties": {"d": {"type": "integer"}}},
                "e": {"type": "object", "additionalProperties": {"type": "string"}},
                "f": {"type": ["string", "null"], "enum": ["x", null]},
            },
            "anyOf": [{"properties": {"a": {"type": "string"}}}],
            "additionalProperties": false,
        })
    );
}

#[test]
fn go_inline_flags_are_scoped() {
    assert_eq!(
        scope_inline_flags("^(?i)(abort|warn)?$"),
        "^(?i:(abort|warn)?$)"
    );
    assert_eq!(scope_inline_flags("(?is)a(?m)b"), "(?is:a(?m:b))");
    assert_eq!(scope_inline_flags("(a(?i)b)"), "(a(?i)b)");
    assert_eq!(scope_inline_flags("[(?i)]x"), "[(?i)]x");
    assert_eq!(scope_inline_flags("\\(?i)"), "\\(?i)");
    assert_eq!(scope_inline_flags("(?:x)"), "(?:x)");
    let mut patterns = Patterns::default();
    assert_eq!(
        patterns.ecma("^(?i)(abort|warn)?$").as_deref(),
        Some("^(?i:(abort|warn)?$)")
    );
    assert_eq!(patterns.ecma("(a(?U)b)"), None);
    // The rewritten pattern keeps its meaning.
    let mut object = prometheus_rule(json!("up == 0"));
    object["spec"]["groups"][0]["partial_response_strategy"] = json!("WARN");
    assert_valid(&object);
    object["spec"]["groups"][0]["partial_response_strategy"] = json!("ignore");
    let found = violations(&object);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].path, "/spec/groups/0/partial_response_strategy");
}

#[test]
fn load_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.yaml");
    fs::write(
        &path,
        "kind: CustomResourceDefinition\napiVersion: apiextensions.k8s.io/v1\nspec: {group: g}\n",
    )
    .unwrap();
    fs::write(dir.path().join("ignored.txt"), "not: [yaml").unwrap();
    let err = CrdSet::load_dir(dir.path()).unwrap_err();
    assert!(
        matches!(err, CrdError::Malformed { document: 1, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("bad.yaml"), "{err}");
    assert!(err.to_string().contains("/spec/names/kind"), "{err}");

    fs::write(&path, "a: [1\n").unwrap();
    assert!(matches!(
        CrdSet::load_dir(dir.path()),
        Err(CrdError::Yaml { .. })
    ));

    fs::write(&path, "apiVersion: v1\nkind: ConfigMap\n---\n").unwrap();
    assert_eq!(CrdSet::load_dir(dir.path()).unwrap().kinds().count(), 0);

    assert!(matches!(
        CrdSet::load_dir(&dir.path().join("absent")),
        Err(CrdError::ReadDir { .. })
    ));
}
