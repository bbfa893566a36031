//! Nothing rkv renders deletes data through GitOps: every PersistentVolumeClaim,
//! KafkaTopic and KafkaUser carries the prune/delete protection of the tool that
//! delivers its tree (the Argo CD Application rkv renders beside a site's tree; Flux or
//! Argo CD for any other kustomize tree), an environment that drops a base claim from
//! its build leaves it to that protection, and the WAL topic states only what the spec
//! states.
//!
//! The annotation names and values are Flux's (`kustomize.toolkit.fluxcd.io/prune:
//! disabled`, kustomize-controller's garbage collection) and Argo CD's
//! (`argocd.argoproj.io/sync-options: Prune=false,Delete=false`, its sync options),
//! written out here rather than read from rkv.

use std::fs;
use std::path::Path;

use rkv::bundle::Object;
use rkv::compile::compile;
use serde_json::{Value, json};

use crate::support::{generated_dir, root};

const FLUX: (&str, &str) = ("kustomize.toolkit.fluxcd.io/prune", "disabled");
const ARGO: (&str, &str) = (
    "argocd.argoproj.io/sync-options",
    "Prune=false,Delete=false",
);
const DATA_KINDS: [&str; 3] = ["PersistentVolumeClaim", "KafkaTopic", "KafkaUser"];

fn annotation<'a>(o: &'a Value, key: &str) -> Option<&'a str> {
    o.get("metadata")?.get("annotations")?.get(key)?.as_str()
}

/// Every variant of every spec that compiles: the profiles and the golden cases.
fn variants() -> Vec<(String, Vec<Object>)> {
    let mut specs: Vec<_> = fs::read_dir(root().join("profiles"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .chain(
            fs::read_dir(root().join("tests/golden"))
                .unwrap()
                .map(|e| e.unwrap().path().join("spec.yaml")),
        )
        .filter(|p| p.is_file())
        .collect();
    specs.sort();
    let mut out = Vec::new();
    for spec in specs {
        let Ok(loaded) = rkv::spec::load_file(&spec) else {
            continue;
        };
        let Ok(c) = compile(&loaded) else { continue };
        for v in c.variants {
            out.push((
                format!("{} ({})", spec.display(), v.resolved.variant.label()),
                v.objects,
            ));
        }
    }
    out
}

#[test]
fn every_data_object_carries_the_protection_of_the_tool_that_delivers_it() {
    let mut seen = 0;
    let mut by_argo = 0;
    let mut failures = Vec::new();
    for (what, objects) in variants() {
        let argo_app = objects.iter().any(|o| o.kind() == "Application");
        for o in objects.iter().filter(|o| DATA_KINDS.contains(&o.kind())) {
            seen += 1;
            let flux = annotation(&o.value, FLUX.0);
            let argo = annotation(&o.value, ARGO.0);
            if argo != Some(ARGO.1) {
                failures.push(format!(
                    "{what}: {} has no `{}: {}`",
                    o.key(),
                    ARGO.0,
                    ARGO.1
                ));
            }
            if argo_app {
                by_argo += 1;
            } else if flux != Some(FLUX.1) {
                failures.push(format!(
                    "{what}: {} has no `{}: {}`",
                    o.key(),
                    FLUX.0,
                    FLUX.1
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        seen > 0 && by_argo > 0,
        "{seen} data objects, {by_argo} under Argo CD"
    );
}

/// The Applications prune what leaves the tree, except data: Argo CD's per-resource
/// `Prune=false` overrides the Application's automated `prune: true`.
#[test]
fn argo_cd_applications_prune_no_data_object() {
    // Applications that sync at least one data object (a site without volumes, such
    // as golden sites-argocd-standalone, has none to keep).
    let mut apps = 0;
    for (what, objects) in variants() {
        for app in objects.iter().filter(|o| o.kind() == "Application") {
            let prunes = app.value["spec"]["syncPolicy"]["automated"]["prune"] == json!(true);
            let data: Vec<&Object> = objects
                .iter()
                .filter(|o| DATA_KINDS.contains(&o.kind()))
                .collect();
            if !data.is_empty() {
                apps += 1;
            }
            for o in data {
                let opts = annotation(&o.value, ARGO.0).unwrap_or("");
                let no_prune = opts.split(',').any(|x| x.trim() == "Prune=false");
                let no_delete = opts.split(',').any(|x| x.trim() == "Delete=false");
                assert!(
                    no_delete && (no_prune || !prunes),
                    "{what}: Application `{}` would delete {}",
                    app.name(),
                    o.key()
                );
            }
        }
    }
    assert!(apps > 0, "no Application syncs a data object");
}

/// An environment that drops a base claim (`$patch: delete`) leaves a pruning
/// controller a claim it must not delete: the base's claim carries both annotations.
#[test]
fn an_overlay_that_deletes_a_base_claim_leaves_the_data_to_its_protection() {
    let cordum = generated_dir().join("cordum");
    let mut found = 0;
    for env in fs::read_dir(cordum.join("overlays")).unwrap() {
        let env = env.unwrap().path();
        for f in fs::read_dir(&env).unwrap() {
            let f = f.unwrap().path();
            let name = f.file_name().unwrap().to_string_lossy().to_string();
            let Some(base_file) = name.strip_prefix("delete-") else {
                continue;
            };
            let patch: Value = serde_saphyr::from_str(&fs::read_to_string(&f).unwrap()).unwrap();
            if patch["kind"] != "PersistentVolumeClaim" {
                continue;
            }
            found += 1;
            let base = cordum.join("base").join(base_file);
            let claim: Value = serde_saphyr::from_str(&fs::read_to_string(&base).unwrap()).unwrap();
            assert_eq!(claim["metadata"]["name"], patch["metadata"]["name"]);
            assert_eq!(
                annotation(&claim, FLUX.0),
                Some(FLUX.1),
                "{}",
                base.display()
            );
            assert_eq!(
                annotation(&claim, ARGO.0),
                Some(ARGO.1),
                "{}",
                base.display()
            );
        }
    }
    assert_eq!(
        found, 1,
        "the production overlay drops the base's data claim"
    );
}

fn topic_config(spec_text: &str) -> Value {
    let loaded = rkv::spec::load_str("t.yaml", spec_text.to_string()).unwrap();
    let c = compile(&loaded).unwrap();
    let topic = c.variants[0]
        .objects
        .iter()
        .find(|o| o.kind() == "KafkaTopic")
        .unwrap();
    topic.value["spec"]
        .get("config")
        .cloned()
        .unwrap_or(json!({}))
}

/// Strimzi's topic operator sets every `spec.config` key on the topic and resets the
/// topic's own settings that `spec.config` does not name: a retention the spec never
/// gave must not be there (seed 001 gives none).
#[test]
fn the_wal_topic_states_only_what_the_spec_states() {
    let loaded =
        rkv::spec::load_file(Path::new(&root().join("profiles/wal-failover.yaml"))).unwrap();
    let rkv::spec::Shape::Failover(f) = &loaded.topology.spec.shape else {
        panic!("the wal-failover profile is a failover");
    };
    let wal = f.wal.as_ref().unwrap();
    assert_eq!(
        wal.topic.retention_hours, None,
        "seed 001 states no retention"
    );
    let c = compile(&loaded).unwrap();
    for v in &c.variants {
        for t in v.objects.iter().filter(|o| o.kind() == "KafkaTopic") {
            assert_eq!(t.value["spec"].get("config"), None, "{}", t.key());
        }
    }
    let spec = |retention: &str| {
        format!(
            "apiVersion: rkv.dev/v1alpha1\nkind: RedisTopology\nmetadata: {{name: kv, namespace: kv}}\n\
             spec:\n  use: cache\n  redis: {{image: \"redis:7.2\"}}\n\
             \x20 shape:\n    failover:\n      operator: spotahome\n      replicas: 3\n      operatorNamespace: ops\n      sentinel: {{replicas: 3, quorum: 2}}\n\
             \x20     wal:\n        kafka: {{namespace: kafka, cluster: kafka, bootstrap: kafka-kafka-bootstrap.kafka.svc, port: 9095}}\n\
             \x20       topic: {{name: redis-writes{retention}}}\n\
             \x20       applier: {{image: \"applier:1\", replicas: 3, user: applier, group: applier, port: 8080}}\n\
             \x20       secretStore: {{name: vault, kind: ClusterSecretStore, scramPasswordKey: a, kafkaCaKey: b}}\n"
        )
    };
    assert_eq!(topic_config(&spec("")), json!({}));
    assert_eq!(
        topic_config(&spec(", retentionHours: 72")),
        json!({"retention.ms": 259_200_000_u64})
    );
}
