//! The placement and pod knobs reach every pod rkv renders itself.
//!
//! In: every golden case whose spec sets `placement.nodeSelector`, `placement.tolerations`
//! or `pods.imagePullSecrets` (and no environment or site, whose overrides would change
//! them), and the objects its expected tree holds. Out: one failure listing each pod
//! template (Deployment, StatefulSet, Job, CronJob) that misses one. The invariant
//! (README, "Placement and pod settings"): every pod rkv renders takes the node selector,
//! tolerations and pull Secrets; the long-running ones (Deployment, StatefulSet) also the
//! priority class and the annotations, and the batch ones neither. A new Job added to
//! some shape without the knobs fails here; so does a run that checks no pod at all.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::support::root;

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else if p.extension().is_some_and(|x| x == "yaml") {
            out.push(p);
        }
    }
}

fn yaml_docs(path: &Path) -> Vec<Value> {
    let text = fs::read_to_string(path).unwrap();
    serde_saphyr::from_str_multiple::<Value, Vec<Value>>(&text).unwrap_or_default()
}

/// The pod template of a workload rkv renders, and whether it is long-running.
fn pod_template(obj: &Value) -> Option<(&Value, bool)> {
    let api = obj.pointer("/apiVersion").and_then(Value::as_str)?;
    let kind = obj.pointer("/kind").and_then(Value::as_str)?;
    match (api, kind) {
        ("apps/v1", "Deployment" | "StatefulSet") => Some((obj.pointer("/spec/template")?, true)),
        ("batch/v1", "Job") => Some((obj.pointer("/spec/template")?, false)),
        ("batch/v1", "CronJob") => Some((obj.pointer("/spec/jobTemplate/spec/template")?, false)),
        _ => None,
    }
}

#[test]
fn every_rendered_pod_takes_the_knobs() {
    let mut problems = Vec::new();
    let mut checked = 0;
    let mut dirs: Vec<PathBuf> = fs::read_dir(root().join("tests/golden"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    dirs.sort();
    for dir in dirs {
        let Ok(text) = fs::read_to_string(dir.join("spec.yaml")) else {
            continue;
        };
        let Ok(spec) = serde_saphyr::from_str::<Value>(&text) else {
            continue;
        };
        let s = &spec["spec"];
        if s.get("environments").is_some() || s.get("sites").is_some() {
            continue;
        }
        let placement = &s["placement"];
        let pods = &s["pods"];
        let node_selector = placement.get("nodeSelector");
        let tolerations = placement.get("tolerations");
        let pull: Option<Value> = pods.get("imagePullSecrets").map(|l| {
            l.as_array()
                .unwrap()
                .iter()
                .map(|n| json!({"name": n}))
                .collect()
        });
        if node_selector.is_none() && tolerations.is_none() && pull.is_none() {
            continue;
        }
        let priority = pods.get("priorityClassName");
        let annotations = pods.get("annotations").and_then(Value::as_object);
        let mut files = Vec::new();
        walk(&dir.join("expected"), &mut files);
        files.sort();
        for f in files {
            for obj in yaml_docs(&f) {
                let Some((t, serving)) = pod_template(&obj) else {
                    continue;
                };
                checked += 1;
                let at = format!(
                    "{} {}",
                    f.strip_prefix(root()).unwrap_or(&f).display(),
                    obj.pointer("/metadata/name").unwrap_or(&Value::Null)
                );
                let want = |field: &str, want: Option<&Value>, problems: &mut Vec<String>| {
                    let have = t.pointer(&format!("/spec/{field}"));
                    if have != want {
                        problems.push(format!("{at}: {field} is {have:?}, want {want:?}"));
                    }
                };
                want("nodeSelector", node_selector, &mut problems);
                want("tolerations", tolerations, &mut problems);
                want("imagePullSecrets", pull.as_ref(), &mut problems);
                want(
                    "priorityClassName",
                    priority.filter(|_| serving),
                    &mut problems,
                );
                let have = t
                    .pointer("/metadata/annotations")
                    .and_then(Value::as_object);
                for (k, v) in annotations.into_iter().flatten() {
                    let present = have.and_then(|h| h.get(k)) == Some(v);
                    if present != serving {
                        problems.push(format!(
                            "{at}: annotation `{k}` {}",
                            if serving { "missing" } else { "on a batch pod" }
                        ));
                    }
                }
            }
        }
    }
    assert!(checked > 5, "only {checked} pod templates checked");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
