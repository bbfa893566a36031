//! The Helm target's "done when": every values file rkv writes (golden cases and
//! profiles) passes the Bitnami redis chart's values schema, every key it sets exists in
//! the chart's `values.yaml` (redis 23.1.1 or redis-cluster 13.0.5), every HelmRelease
//! validates against the Flux CRD, and the helm/ kustomization builds with
//! `kubectl kustomize` when that tool is installed.
//!
//! The chart data and the CRD are read from `../shared/` (never copied into the project).

use std::fs;
use std::path::PathBuf;

use rkv::bundle::Object;
use rkv::compile::compile;
use rkv::validate::crd::{CrdSet, Rejection};
use rkv::validate::helm::{ChartValues, ValuesSchema};
use serde_json::Value;

use crate::support::{root, shared};

fn redis_schema() -> ValuesSchema {
    ValuesSchema::load(&shared_file("helm/bitnami-redis-23.1.1.values.schema.json")).unwrap()
}

fn crds() -> CrdSet {
    CrdSet::load_dir(&shared().join("crds")).unwrap()
}

fn crd_violations(set: &CrdSet, obj: &Value) -> Vec<String> {
    match set.validate(obj) {
        Ok(()) => Vec::new(),
        Err(Rejection::Invalid(v)) => v.iter().map(ToString::to_string).collect(),
        Err(e) => vec![e.to_string()],
    }
}

fn shared_file(rel: &str) -> PathBuf {
    shared().join(rel)
}

/// Every spec with a Helm output: the golden cases and the profiles.
fn specs() -> Vec<PathBuf> {
    let root = root();
    let mut v: Vec<PathBuf> = fs::read_dir(root.join("tests/golden"))
        .unwrap()
        .map(|e| e.unwrap().path().join("spec.yaml"))
        .chain(
            fs::read_dir(root.join("profiles"))
                .unwrap()
                .map(|e| e.unwrap().path()),
        )
        .filter(|p| p.exists())
        .collect();
    v.sort();
    v
}

/// (spec, chart name, values, HelmRelease objects) for every variant that renders Helm.
struct Rendered {
    spec: PathBuf,
    values: Vec<(String, Value)>,
    releases: Vec<Object>,
    dirs: Vec<String>,
}

fn rendered() -> Vec<Rendered> {
    let mut out = Vec::new();
    for spec in specs() {
        let Ok(loaded) = rkv::spec::load_file(&spec) else {
            continue;
        };
        let Ok(c) = compile(&loaded) else { continue };
        let mut r = Rendered {
            spec: spec.clone(),
            values: Vec::new(),
            releases: Vec::new(),
            dirs: Vec::new(),
        };
        for v in &c.variants {
            for o in &v.objects {
                let Some(path) = &o.path else { continue };
                if path.ends_with("/values.yaml") {
                    let chart = match v.plan.spec.shape {
                        rkv::spec::Shape::Cluster(_) => "redis-cluster",
                        _ => "redis",
                    };
                    r.values.push((chart.to_string(), o.value.clone()));
                    r.dirs
                        .push(path.trim_end_matches("/values.yaml").to_string());
                }
                if o.kind() == "HelmRelease" {
                    r.releases.push(o.clone());
                }
            }
        }
        if !r.values.is_empty() {
            out.push(r);
        }
    }
    out
}

#[test]
fn every_helm_shape_is_covered() {
    let all = rendered();
    let charts: Vec<&str> = all
        .iter()
        .flat_map(|r| r.values.iter().map(|(c, _)| c.as_str()))
        .collect();
    assert!(charts.contains(&"redis") && charts.contains(&"redis-cluster"));
    assert!(all.len() >= 4, "golden cases and the bitnami-redis profile");
}

#[test]
fn redis_values_pass_the_chart_schema() {
    let schema = redis_schema();
    let mut failures = Vec::new();
    for r in rendered() {
        for (chart, values) in &r.values {
            if chart != "redis" {
                continue; // no schema ships with redis-cluster 13.0.5; its keys are checked below
            }
            for v in schema.validate(values).err().unwrap_or_default() {
                failures.push(format!("{}: {v}", r.spec.display()));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_key_exists_in_the_charts_values_yaml() {
    let redis = ChartValues::load(&shared_file("helm/bitnami-redis-23.1.1.values.yaml")).unwrap();
    let cluster = ChartValues::load(&shared_file(
        "helm/bitnami-redis-cluster-13.0.5.values.yaml",
    ))
    .unwrap();
    let mut failures = Vec::new();
    for r in rendered() {
        for (chart, values) in &r.values {
            let defaults = if chart == "redis" { &redis } else { &cluster };
            for k in defaults.unknown_keys(values) {
                failures.push(format!("{} ({chart}): unknown key `{k}`", r.spec.display()));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_key_check_catches_a_misspelling() {
    let redis = ChartValues::load(&shared_file("helm/bitnami-redis-23.1.1.values.yaml")).unwrap();
    let values = serde_json::json!({"replica": {"replicaCont": 3, "podLabels": {"free": "form"}}});
    assert_eq!(redis.unknown_keys(&values), vec!["replica.replicaCont"]);
}

#[test]
fn helm_releases_validate_against_the_flux_crd() {
    let set = crds();
    let mut failures = Vec::new();
    let mut seen = 0;
    for r in rendered() {
        for hr in &r.releases {
            seen += 1;
            assert_eq!(hr.api_version(), "helm.toolkit.fluxcd.io/v2");
            for v in crd_violations(&set, &hr.value) {
                failures.push(format!("{}: {v}", r.spec.display()));
            }
            // The CRD's CEL rule: exactly one of chart and chartRef.
            let spec = &hr.value["spec"];
            assert!(
                spec.get("chart").is_none() != spec.get("chartRef").is_none(),
                "{}: either chart or chartRef must be set",
                r.spec.display()
            );
            let labels = &hr.value["metadata"]["labels"];
            assert_eq!(labels["app.kubernetes.io/managed-by"], "rkv");
        }
    }
    assert!(seen > 0);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn seed_facts_and_fixes_in_the_profile() {
    let r = rendered()
        .into_iter()
        .find(|r| r.spec.ends_with("profiles/bitnami-redis.yaml"))
        .expect("profiles/bitnami-redis.yaml renders Helm values");
    let (_, v) = &r.values[0];
    assert_eq!(v["architecture"], "replication");
    assert_eq!(v["sentinel"]["enabled"], true);
    // 1 primary + 2 replicas under Sentinel is replicaCount 3 (seed 003 writes 2).
    assert_eq!(v["replica"]["replicaCount"], 3);
    assert_eq!(v["replica"]["pdb"]["maxUnavailable"], 1);
    assert_eq!(v["master"]["pdb"]["create"], false);
    assert_eq!(v["replica"]["persistence"]["size"], "16Gi");
    assert_eq!(v["replica"]["persistence"]["storageClass"], "standard");
    // Bitnami's images run as 1001 (the chart's defaults too), not 1000.
    assert_eq!(v["replica"]["podSecurityContext"]["fsGroup"], 1001);
    assert_eq!(v["replica"]["containerSecurityContext"]["runAsUser"], 1001);
    // The seeds' bitnami/ tags no longer pull; the legacy repository needs the switch.
    assert_eq!(v["image"]["repository"], "bitnamilegacy/redis");
    assert_eq!(
        v["sentinel"]["image"]["repository"],
        "bitnamilegacy/redis-sentinel"
    );
    assert_eq!(
        v["metrics"]["image"]["repository"],
        "bitnamilegacy/redis-exporter"
    );
    assert_eq!(v["global"]["security"]["allowInsecureImages"], true);
    assert_eq!(v["networkPolicy"]["allowExternal"], false);
    assert_eq!(v["fullnameOverride"], "redis");
    let conf = v["commonConfiguration"].as_str().unwrap();
    for line in [
        "appendonly yes",
        "appendfsync everysec",
        "save 900 1 300 10 60 10000",
        "auto-aof-rewrite-min-size 64mb",
    ] {
        assert!(conf.lines().any(|l| l == line), "{line} in {conf}");
    }
    let rules = v["metrics"]["prometheusRule"]["rules"].as_array().unwrap();
    let names: Vec<&str> = rules.iter().filter_map(|r| r["alert"].as_str()).collect();
    assert!(names.contains(&"RedisPersistenceFailure") && names.contains(&"RedisAOFFailure"));
    // No `{{ }}` for Helm's `tpl` to choke on.
    assert!(!serde_json::to_string(rules).unwrap().contains("{{"));
}

/// The chart's own default for a key path (`master.containerSecurityContext.runAsUser`).
fn chart_default(file: &str, path: &[&str]) -> Value {
    let text = fs::read_to_string(shared_file(file)).unwrap();
    let doc: Value = serde_saphyr::from_str(&text).unwrap();
    path.iter().fold(doc, |v, k| v[*k].clone())
}

/// The pods run as the user the Bitnami images are built for: the uid and fsGroup the
/// charts default to (a data volume owned by another uid is not writable).
#[test]
fn chart_pods_run_as_the_images_user() {
    let redis = "helm/bitnami-redis-23.1.1.values.yaml";
    let cluster = "helm/bitnami-redis-cluster-13.0.5.values.yaml";
    let redis_uid = chart_default(redis, &["master", "containerSecurityContext", "runAsUser"]);
    let redis_fs = chart_default(redis, &["master", "podSecurityContext", "fsGroup"]);
    let cluster_uid = chart_default(cluster, &["containerSecurityContext", "runAsUser"]);
    let cluster_fs = chart_default(cluster, &["podSecurityContext", "fsGroup"]);
    assert!(
        redis_uid.is_u64() && cluster_fs.is_u64(),
        "{redis_uid} {cluster_fs}"
    );
    let mut seen = 0;
    for r in rendered() {
        for (chart, v) in &r.values {
            seen += 1;
            let (uid, fs_group) = match chart.as_str() {
                "redis" => (
                    &v["master"]["containerSecurityContext"]["runAsUser"],
                    &v["master"]["podSecurityContext"]["fsGroup"],
                ),
                _ => (
                    &v["containerSecurityContext"]["runAsUser"],
                    &v["podSecurityContext"]["fsGroup"],
                ),
            };
            let (want_uid, want_fs) = match chart.as_str() {
                "redis" => (&redis_uid, &redis_fs),
                _ => (&cluster_uid, &cluster_fs),
            };
            assert_eq!(uid, want_uid, "{}: runAsUser", r.spec.display());
            assert_eq!(fs_group, want_fs, "{}: fsGroup", r.spec.display());
        }
    }
    assert!(seen >= 4);
}

/// The charts' NOTES.txt (`common.errors.insecureImages`) fails an install whose images
/// are not the chart's own `docker.io/bitnami/*` unless `global.security.allowInsecureImages`
/// is set: rkv sets it exactly when an image is elsewhere (the legacy repository, a mirror).
#[test]
fn images_outside_docker_io_bitnami_come_with_the_charts_switch() {
    let mut switched = 0;
    for r in rendered() {
        for (chart, v) in &r.values {
            let images: Vec<&Value> =
                [&v["image"], &v["sentinel"]["image"], &v["metrics"]["image"]]
                    .into_iter()
                    .filter(|i| i.is_object())
                    .collect();
            assert!(!images.is_empty(), "{}", r.spec.display());
            let refused = images.iter().any(|i| {
                i["registry"] != "docker.io"
                    || !i["repository"]
                        .as_str()
                        .unwrap_or("")
                        .starts_with("bitnami/")
            });
            let switch = &v["global"]["security"]["allowInsecureImages"];
            if refused {
                switched += 1;
                assert_eq!(switch, true, "{} ({chart})", r.spec.display());
            } else {
                assert!(switch.is_null(), "{} ({chart}): {switch}", r.spec.display());
            }
        }
    }
    assert!(switched > 0);
}

/// `kubectl kustomize` builds every helm/ directory (skipped when the tool is absent).
#[test]
fn helm_dirs_build_with_kubectl_kustomize() {
    let kubectl = root().join(".tools/bin/kubectl");
    if !kubectl.exists() {
        // scripts/test installs it; under CI a missing tool is a failure, not a skip.
        assert!(
            std::env::var_os("CI").is_none(),
            "{} is missing: run scripts/install-tools",
            kubectl.display()
        );
        eprintln!(
            "skipped: {} not installed (run scripts/install-tools)",
            kubectl.display()
        );
        return;
    }
    for r in rendered() {
        let loaded = rkv::spec::load_file(&r.spec).unwrap();
        let c = compile(&loaded).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        rkv::write::fs::write_tree(&tmp.path().join("out"), &c.files).unwrap();
        for d in &r.dirs {
            let out = std::process::Command::new(&kubectl)
                .arg("kustomize")
                .arg(tmp.path().join("out").join(d))
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{} {d}: {}",
                r.spec.display(),
                String::from_utf8_lossy(&out.stderr)
            );
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(text.contains("kind: ConfigMap") && text.contains("kind: HelmRelease"));
            // kustomize renamed the ConfigMap and the HelmRelease's reference together.
            let docs: Vec<Value> = text
                .split("\n---\n")
                .map(|d| serde_saphyr::from_str(d).unwrap())
                .collect();
            let hr = docs.iter().find(|d| d["kind"] == "HelmRelease").unwrap();
            let values = format!("{}-values-", hr["metadata"]["name"].as_str().unwrap());
            // The values ConfigMap (a backup brings a scripts ConfigMap beside it).
            let cm = docs
                .iter()
                .find(|d| {
                    d["kind"] == "ConfigMap"
                        && d["metadata"]["name"]
                            .as_str()
                            .is_some_and(|n| n.starts_with(&values))
                })
                .unwrap();
            assert_eq!(cm["metadata"]["name"], hr["spec"]["valuesFrom"][0]["name"]);
            assert_eq!(
                cm["metadata"]["labels"]["app.kubernetes.io/managed-by"],
                "rkv"
            );
        }
    }
}

/// The validators are not vacuous: a wrong type and a wrong enum value are caught.
#[test]
fn the_validators_reject_bad_documents() {
    let bad = serde_json::json!({"replica": {"replicaCount": "3"}, "sentinel": {"enabled": "yes"}});
    assert_eq!(
        redis_schema()
            .validate(&bad)
            .err()
            .unwrap_or_default()
            .len(),
        2
    );
    let set = crds();
    let mut hr = rendered()
        .into_iter()
        .flat_map(|r| r.releases)
        .next()
        .unwrap()
        .value;
    hr["spec"]["chartRef"]["kind"] = serde_json::json!("HelmRepository");
    hr["spec"]["valuesFrom"][0]["kind"] = serde_json::json!("Secrets");
    assert_eq!(crd_violations(&set, &hr).len(), 2);
}
