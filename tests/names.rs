//! The name check (RKV105, RKV106) and the emitters cannot drift apart.
//!
//! For every profile and every golden case that compiles:
//! - every object rendered is one `check::names::derived` lists, by kind and name;
//! - every name, namespace and label in the rendered tree is within Kubernetes' limits,
//!   derived *here* from the rendered objects, independently of the check: per kind
//!   (Service, StatefulSet, CronJob, Job, Deployment...), the pods, claims and revision
//!   labels a StatefulSet's controller derives, the names the Spotahome and
//!   OT-CONTAINER-KIT operators, Strimzi, Helm and the Bitnami charts derive from a CR or
//!   a values file, certificate common names, label keys and values;
//! - with each name-bearing field (names, namespace, `partOf`, Helm release, WAL topic)
//!   stretched to the longest value the check accepts, the spec renders and all of the
//!   above still holds, some name is exactly at its limit (the check is not stricter
//!   than Kubernetes), and one character more is refused at that field.

use std::fs;
use std::path::PathBuf;

use rkv::bundle::Object;
use rkv::check::names::{RKV, derived};
use rkv::compile::compile;
use rkv::spec::{Loaded, load_bytes, load_str};
use serde_json::Value;

use crate::support::root;

/// Every spec that compiles: the profiles and the golden cases.
fn specs() -> Vec<(String, Loaded)> {
    let mut files: Vec<PathBuf> = fs::read_dir(root().join("profiles"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    for e in fs::read_dir(root().join("tests/golden")).unwrap() {
        files.push(e.unwrap().path().join("spec.yaml"));
    }
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let label = f.strip_prefix(root()).unwrap().display().to_string();
        if let Ok(l) = load_bytes(&label, fs::read(&f).unwrap())
            && compile(&l).is_ok()
        {
            out.push((label, l));
        }
    }
    assert!(out.len() > 20, "too few specs compile: {}", out.len());
    out
}

/// A name checked against a limit, for the report and the tightness check.
struct Measured {
    what: String,
    name: String,
    max: usize,
    ok: bool,
}

fn dns_label(s: &str, letter_first: bool) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && (if letter_first {
            b[0].is_ascii_lowercase()
        } else {
            b[0].is_ascii_lowercase() || b[0].is_ascii_digit()
        })
        && (b[b.len() - 1].is_ascii_lowercase() || b[b.len() - 1].is_ascii_digit())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

fn subdomain(s: &str) -> bool {
    s.split('.').all(|l| dns_label(l, false))
}

fn label_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

#[derive(Clone, Copy)]
enum Rule {
    Label,
    Sub,
    Dns1035,
    LabelValue,
    Any,
}

fn measure(out: &mut Vec<Measured>, what: impl Into<String>, name: &str, rule: Rule, max: usize) {
    let format = match rule {
        Rule::Label => dns_label(name, false),
        Rule::Sub => subdomain(name),
        Rule::Dns1035 => dns_label(name, true),
        Rule::LabelValue => name.is_empty() || label_name(name),
        Rule::Any => true,
    };
    out.push(Measured {
        what: what.into(),
        name: name.to_string(),
        max,
        ok: format && name.chars().count() <= max,
    });
}

/// Kubernetes' limits on everything one rendered object names, derived from the object.
fn limits(o: &Object, out: &mut Vec<Measured>) {
    let kind = o.kind();
    let name = o.name();
    let v = &o.value;
    let s = |p: &str| v.pointer(p).and_then(Value::as_str).unwrap_or("");
    if kind.is_empty() {
        // Helm values: the chart's names from `fullnameOverride`.
        if let Some(f) = v.get("fullnameOverride").and_then(Value::as_str) {
            let sts = match v.get("architecture").and_then(Value::as_str) {
                Some("standalone") => format!("{f}-master"),
                Some(_) => format!("{f}-node"),
                None => f.to_string(),
            };
            measure(out, "chart StatefulSet", &sts, Rule::Label, 52);
            measure(
                out,
                "chart Service",
                &format!("{f}-headless"),
                Rule::Dns1035,
                63,
            );
            measure(out, "chart Service", f, Rule::Dns1035, 63);
        }
        return;
    }
    let (rule, max) = match kind {
        "Service" => (Rule::Dns1035, 63),
        "StatefulSet" => (Rule::Label, 52),
        "CronJob" => (Rule::Sub, 52),
        "Job" => (Rule::Sub, 63),
        "Deployment" => (Rule::Sub, 242),
        _ => (Rule::Sub, 253),
    };
    measure(out, kind, name, rule, max);
    if !o.namespace().is_empty() {
        measure(out, "namespace", o.namespace(), Rule::Label, 63);
    }
    match kind {
        "StatefulSet" => {
            let last = v["spec"]["replicas"]
                .as_u64()
                .unwrap_or(1)
                .saturating_sub(1);
            measure(out, "pod", &format!("{name}-{last}"), Rule::Label, 63);
            for c in v["spec"]["volumeClaimTemplates"]
                .as_array()
                .into_iter()
                .flatten()
            {
                let claim = c["metadata"]["name"].as_str().unwrap_or("");
                measure(
                    out,
                    "claim",
                    &format!("{claim}-{name}-{last}"),
                    Rule::Sub,
                    253,
                );
            }
        }
        "Certificate" => measure(out, "common name", s("/spec/commonName"), Rule::Any, 64),
        "RedisFailover" => {
            measure(out, "RedisFailover (Spotahome)", name, Rule::Sub, 48);
            measure(
                out,
                "Spotahome StatefulSet",
                &format!("rfr-{name}"),
                Rule::Label,
                52,
            );
            for p in ["rfr", "rfs", "rfrm", "rfrs"] {
                measure(
                    out,
                    "Spotahome Service",
                    &format!("{p}-{name}"),
                    Rule::Dns1035,
                    63,
                );
            }
        }
        "RedisReplication" => {
            measure(out, "operator StatefulSet", name, Rule::Label, 52);
            for x in ["", "-headless", "-additional", "-master", "-replica"] {
                measure(
                    out,
                    "operator Service",
                    &format!("{name}{x}"),
                    Rule::Dns1035,
                    63,
                );
            }
        }
        "RedisSentinel" => {
            measure(
                out,
                "operator StatefulSet",
                &format!("{name}-sentinel"),
                Rule::Label,
                52,
            );
            for x in ["", "-headless", "-additional"] {
                let svc = format!("{name}-sentinel{x}");
                measure(out, "operator Service", &svc, Rule::Dns1035, 63);
            }
        }
        "KafkaMirrorMaker2" => {
            for x in ["-mirrormaker2", "-mirrormaker2-api"] {
                measure(
                    out,
                    "Strimzi Service",
                    &format!("{name}{x}"),
                    Rule::Dns1035,
                    63,
                );
            }
            measure(out, "strimzi.io/cluster", name, Rule::LabelValue, 63);
        }
        "HelmRelease" => {
            measure(out, "Helm release", s("/spec/releaseName"), Rule::Sub, 53);
            if !s("/spec/targetNamespace").is_empty() {
                measure(
                    out,
                    "target namespace",
                    s("/spec/targetNamespace"),
                    Rule::Label,
                    63,
                );
            }
            for r in v["spec"]["valuesFrom"].as_array().into_iter().flatten() {
                let cm = format!("{}-0123456789", r["name"].as_str().unwrap_or(""));
                measure(out, "hashed ConfigMap", &cm, Rule::Sub, 253);
            }
        }
        "Application" => {
            measure(
                out,
                "destination namespace",
                s("/spec/destination/namespace"),
                Rule::Label,
                63,
            );
        }
        _ => {}
    }
    labels(v, out);
}

/// Every label map anywhere in an object: keys are qualified names, values label values.
fn labels(v: &Value, out: &mut Vec<Measured>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if matches!(
                    k.as_str(),
                    "labels" | "matchLabels" | "commonLabels" | "podLabels"
                ) && let Value::Object(l) = x
                {
                    for (lk, lv) in l {
                        let (prefix, key) = lk.rsplit_once('/').unwrap_or(("", lk));
                        let ok_key = label_name(key)
                            && key.len() <= 63
                            && (prefix.is_empty() || subdomain(prefix));
                        out.push(Measured {
                            what: "label key".into(),
                            name: lk.clone(),
                            max: 317,
                            ok: ok_key,
                        });
                        measure(
                            out,
                            format!("label `{lk}`"),
                            lv.as_str().unwrap_or(""),
                            Rule::LabelValue,
                            63,
                        );
                    }
                } else {
                    labels(x, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| labels(x, out)),
        _ => {}
    }
}

/// Check one compiled spec; returns every measurement.
fn rendered_within_limits(label: &str, loaded: &Loaded) -> Vec<Measured> {
    let c = compile(loaded).unwrap_or_else(|e| panic!("{label}: {e}"));
    let mut all = Vec::new();
    for v in &c.variants {
        let known = derived(&loaded.topology, &v.resolved);
        for o in &v.objects {
            // A kustomization file is no API object (its generated ConfigMap is measured
            // from the HelmRelease that reads it).
            if o.kind() == "Kustomization" {
                continue;
            }
            if !o.kind().is_empty() {
                assert!(
                    known
                        .iter()
                        .any(|d| d.by == RKV && d.kind == o.kind() && d.name == o.name()),
                    "{label} ({}): the name check does not know the {} `{}` the emitters render; add it to check::names::derived",
                    v.resolved.variant.label(),
                    o.kind(),
                    o.name()
                );
            }
            limits(o, &mut all);
        }
    }
    let bad: Vec<String> = all
        .iter()
        .filter(|m| !m.ok)
        .map(|m| {
            format!(
                "{} `{}` ({} > {}?)",
                m.what,
                m.name,
                m.name.chars().count(),
                m.max
            )
        })
        .collect();
    assert!(
        bad.is_empty(),
        "{label}: names Kubernetes refuses were rendered: {bad:#?}"
    );
    all
}

#[test]
fn every_rendered_name_is_known_to_the_check_and_within_kubernetes_limits() {
    for (label, loaded) in specs() {
        rendered_within_limits(&label, &loaded);
    }
}

/// The fields a name is made of, as JSON pointers, with the longest value the schema allows.
fn stretchable(v: &Value) -> Vec<(String, usize)> {
    let mut out = vec![
        ("/metadata/name".to_string(), 63),
        ("/metadata/namespace".to_string(), 63),
        ("/metadata/partOf".to_string(), 63),
    ];
    for group in ["environments", "sites"] {
        if let Some(Value::Object(m)) = v.pointer(&format!("/spec/{group}")) {
            for (k, o) in m {
                let base = format!("/spec/{group}/{}", k.replace('~', "~0").replace('/', "~1"));
                for f in ["name", "namespace"] {
                    if o.get(f).is_some() {
                        out.push((format!("{base}/{f}"), 63));
                    }
                }
            }
        }
    }
    walk(v, String::new(), &mut out);
    out
}

fn walk(v: &Value, at: String, out: &mut Vec<(String, usize)>) {
    if let Value::Object(m) = v {
        for (k, x) in m {
            let p = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
            if (k == "release" && at.ends_with("/helm")) || (k == "name" && at.ends_with("/topic"))
            {
                out.push((p.clone(), 253));
            }
            walk(x, p, out);
        }
    }
}

/// The spec with the string at `pointer` set to `len` letters.
fn stretched(loaded: &Loaded, pointer: &str, len: usize) -> Option<Loaded> {
    let mut v = loaded.tree.value.clone();
    let (parent, key) = pointer.rsplit_once('/')?;
    v.pointer_mut(parent)?.as_object_mut()?.insert(
        key.replace("~1", "/").replace("~0", "~"),
        Value::from("a".repeat(len)),
    );
    load_str("stretched.yaml", serde_json::to_string(&v).ok()?).ok()
}

fn accepted(loaded: &Loaded, pointer: &str, len: usize) -> bool {
    stretched(loaded, pointer, len).is_some_and(|l| compile(&l).is_ok())
}

#[test]
fn at_the_longest_accepted_names_everything_fits_one_name_is_at_its_limit_and_one_more_is_refused()
{
    let mut stretched_fields = 0;
    for (label, loaded) in specs() {
        for (pointer, cap) in stretchable(&loaded.tree.value) {
            if !accepted(&loaded, &pointer, 1) {
                continue;
            }
            // The longest accepted length (acceptance only shrinks as a name grows).
            let (mut lo, mut hi) = (1, cap);
            while lo < hi {
                let mid = (lo + hi).div_ceil(2);
                if accepted(&loaded, &pointer, mid) {
                    lo = mid;
                } else {
                    hi = mid - 1;
                }
            }
            let at_max = stretched(&loaded, &pointer, lo).unwrap();
            let all = rendered_within_limits(&format!("{label} {pointer}={lo}"), &at_max);
            let value = "a".repeat(lo);
            let tight = all
                .iter()
                .any(|m| m.name.contains(&value) && m.name.chars().count() == m.max);
            // At the schema's own cap the check has not limited the field.
            assert!(
                tight || lo == cap,
                "{label}: with `{pointer}` at {lo} characters, the longest the check accepts, no rendered name is at its limit: the check is stricter than Kubernetes"
            );
            if lo < cap {
                let over = stretched(&loaded, &pointer, lo + 1).unwrap();
                let field = rkv::spec::load::dotted(&pointer);
                match compile(&over) {
                    Err(rkv::compile::CompileError::Findings(d)) => assert!(
                        d.iter().any(|d| d.is_error() && d.path == field),
                        "{label}: `{pointer}` at {} characters is refused, but not at the field: {d:#?}",
                        lo + 1
                    ),
                    other => panic!(
                        "{label}: `{pointer}` at {} characters: {:?}",
                        lo + 1,
                        other.is_ok()
                    ),
                }
            }
            stretched_fields += 1;
        }
    }
    assert!(
        stretched_fields > 60,
        "too few fields stretched: {stretched_fields}"
    );
}
