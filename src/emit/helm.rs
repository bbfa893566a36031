//! The Helm target: Bitnami chart values wrapped in a Flux `HelmRelease` (seeds 002, 003).
//!
//! In: a plan with `outputs.helm`. Out: files under `helm/` (`helm/<variant>/` for an
//! environment or site), each placed with [`Object::at_path`]:
//! - `values.yaml`: the values document ([`values`]), with the PDB and maxmemory
//!   arithmetic as comments;
//! - `ocirepository-<release>.yaml`: the chart as an OCI artifact (source.toolkit v1);
//! - `helmrelease-<release>.yaml`: the release (helm.toolkit v2), `chartRef` to it and
//!   `valuesFrom` the ConfigMap below;
//! - `kustomization.yaml`: the two objects plus a `configMapGenerator` that turns
//!   `values.yaml` into the ConfigMap `<release>-values`, and `kustomizeconfig.yaml`,
//!   which teaches kustomize that `HelmRelease.spec.valuesFrom.name` names a ConfigMap.
//!
//! Why valuesFrom and a hashed ConfigMap rather than inline `spec.values`: values.yaml
//! stays the one copy of the values (a reviewer reads and diffs it as the chart reads
//! it), and every change of it renames the ConfigMap, which changes the HelmRelease spec,
//! so helm-controller upgrades at once instead of at its next interval; Flux prunes the
//! old ConfigMap. Why an OCIRepository: the v2 HelmRelease takes it directly through
//! `chartRef` (a HelmRepository of type `oci` goes through a generated HelmChart and is
//! the older path). Invariant: every object carries rkv's labels; no default-deny
//! NetworkPolicy here, the chart's own `networkPolicy` (enabled, `allowExternal: false`)
//! is the deny-by-default policy of its pods.

pub mod alerts;
pub mod values;

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;
use serde_json::Value;

use super::cr::flux::{
    ChartRef, HelmRelease, HelmReleaseSpec, Install, LayerSelector, OciRef, OciRepository,
    OciRepositorySpec, Remediation, Upgrade, ValuesReference,
};
use super::{EmitError, Object, common};
use crate::plan::model::Plan;
use crate::spec::Variant;
use values::Chart;

const COMPONENT: &str = "helm-release";

/// Where this variant's Helm files go.
pub fn dir(variant: &Variant) -> String {
    match variant {
        Variant::Base => "helm".into(),
        other => format!("helm/{}", other.label()),
    }
}

pub fn emit(plan: &Plan) -> Result<Vec<Object>, EmitError> {
    let Some(h) = &plan.outputs.helm else {
        return Ok(Vec::new());
    };
    // The failover shape has no chart; the checks refuse it (RKV173) before a plan exists.
    let Some(chart) = Chart::of(&plan.spec.shape) else {
        return Ok(Vec::new());
    };
    let dir = dir(&plan.variant);
    let values_cm = format!("{}-values", h.release);
    let (doc, notes) = values::values(plan, chart);
    let mut comment = vec![format!(
        "Values for the Bitnami `{}` chart {} ({}/{}), read by the HelmRelease through the ConfigMap `{values_cm}`.",
        chart.name(),
        h.version,
        h.repository.trim_end_matches('/'),
        chart.name()
    )];
    comment.extend(notes);
    let values = Object {
        value: doc,
        comment,
        path: None,
    }
    .at_path(format!("{dir}/values.yaml"));

    let meta = |name: &str| ObjectMeta {
        name: Some(name.to_string()),
        namespace: Some(h.namespace.clone()),
        labels: Some(common::labels(plan, COMPONENT)),
        ..Default::default()
    };
    let source = OciRepository::new(
        meta(&h.release),
        OciRepositorySpec {
            interval: h.interval.clone(),
            url: format!("{}/{}", h.repository.trim_end_matches('/'), chart.name()),
            reference: oci_ref(&h.version),
            layer_selector: Some(LayerSelector {
                media_type: "application/vnd.cncf.helm.chart.content.v1.tar+gzip".into(),
                operation: "copy",
            }),
        },
    );
    let release = HelmRelease::new(
        meta(&h.release),
        HelmReleaseSpec {
            interval: h.interval.clone(),
            release_name: h.release.clone(),
            target_namespace: (h.namespace != plan.namespace).then(|| plan.namespace.clone()),
            chart_ref: ChartRef {
                kind: "OCIRepository",
                name: h.release.clone(),
                namespace: None,
            },
            install: Some(Install {
                remediation: Remediation {
                    retries: 3,
                    remediate_last_failure: None,
                },
            }),
            upgrade: Some(Upgrade {
                remediation: Remediation {
                    retries: 3,
                    remediate_last_failure: Some(true),
                },
            }),
            values_from: vec![ValuesReference {
                kind: "ConfigMap",
                name: values_cm.clone(),
                values_key: "values.yaml".into(),
            }],
        },
    );
    let source = Object::new("OCIRepository", &source)?;
    let source_file = source.file_name();
    let source = source.at_path(format!("{dir}/{source_file}"));
    let release = Object::new("HelmRelease", &release)?.with_comment(vec![
        format!(
            "`valuesFrom` names `{values_cm}`; kustomize appends the content hash of values.yaml to both (kustomizeconfig.yaml),"
        ),
        "so a values change is a new HelmRelease spec and an immediate upgrade.".into(),
    ]);
    let release_file = release.file_name();
    let release = release.at_path(format!("{dir}/{release_file}"));

    let mut labels = common::labels(plan, "helm-values");
    labels.retain(|_, v| !v.is_empty());
    let kustomization = Kustomization {
        api_version: "kustomize.config.k8s.io/v1beta1",
        kind: "Kustomization",
        resources: vec![release_file, source_file],
        config_map_generator: vec![Generator {
            name: values_cm,
            namespace: h.namespace.clone(),
            files: vec!["values.yaml".into()],
        }],
        generator_options: GeneratorOptions {
            labels,
            // The values hold redis.conf text: Flux variable substitution must not touch it.
            annotations: BTreeMap::from([(
                "kustomize.toolkit.fluxcd.io/substitute".to_string(),
                "disabled".to_string(),
            )]),
        },
        configurations: vec!["kustomizeconfig.yaml".into()],
    };
    let name_ref = NameReferences {
        name_reference: vec![NameReference {
            kind: "ConfigMap",
            version: "v1",
            field_specs: vec![FieldSpec {
                path: "spec/valuesFrom/name",
                kind: "HelmRelease",
            }],
        }],
    };
    Ok(vec![
        values,
        source,
        release,
        Object::new("Kustomization", &kustomization)?.at_path(format!("{dir}/kustomization.yaml")),
        Object::new("kustomize configuration", &name_ref)?
            .at_path(format!("{dir}/kustomizeconfig.yaml")),
    ])
}

/// The cluster objects the `helm/` files of one variant build to, as `kubectl kustomize`
/// of that directory prints them: the values ConfigMap (generated from the values file
/// the tree holds, so its data starts with the file's header, and named with kustomize's
/// content hash), the OCIRepository, and the HelmRelease with `valuesFrom` naming that
/// ConfigMap. `source` is the spec's file name (the values file's header says it).
///
/// In: a variant's objects (the Helm files among them are found by their path under
/// `helm/`). Out: the three objects, or none when the variant has no Helm target.
/// Invariant: never a `Kustomization` or kustomize configuration document.
pub fn cluster_objects(objects: &[Object], source: &str) -> Result<Vec<Object>, EmitError> {
    let in_helm = |o: &&Object| o.path.as_deref().is_some_and(is_helm_path);
    let helm: Vec<&Object> = objects.iter().filter(in_helm).collect();
    let Some(kustomization) = helm.iter().find(|o| {
        o.kind() == "Kustomization" && o.api_version().starts_with("kustomize.config.k8s.io/")
    }) else {
        return Ok(Vec::new());
    };
    let dir = kustomization
        .path
        .as_deref()
        .and_then(|p| p.rsplit_once('/'))
        .map(|(d, _)| d)
        .unwrap_or("helm");
    let mut renamed: BTreeMap<String, String> = BTreeMap::new();
    let mut out = Vec::new();
    let generators = kustomization
        .value
        .get("configMapGenerator")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for g in generators {
        let name = g.get("name").and_then(Value::as_str).unwrap_or_default();
        let mut data = BTreeMap::new();
        for file in g
            .get("files")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            let path = format!("{dir}/{file}");
            if let Some(o) = helm
                .iter()
                .find(|o| o.path.as_deref() == Some(path.as_str()))
            {
                data.insert(file.to_string(), super::layout::object_file(source, o)?);
            }
        }
        let hashed = format!("{name}-{}", config_map_hash(&data));
        renamed.insert(name.to_string(), hashed.clone());
        let options = kustomization.value.get("generatorOptions");
        let mut meta = serde_json::Map::new();
        for field in ["annotations", "labels"] {
            if let Some(v) = options.and_then(|o| o.get(field)) {
                meta.insert(field.into(), v.clone());
            }
        }
        meta.insert("name".into(), Value::String(hashed));
        if let Some(ns) = g.get("namespace") {
            meta.insert("namespace".into(), ns.clone());
        }
        let cm = serde_json::json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": meta,
            "data": data,
        });
        out.push(Object {
            value: cm,
            comment: Vec::new(),
            path: None,
        });
    }
    for o in helm.iter().filter(|o| {
        !o.api_version().is_empty() && !o.api_version().starts_with("kustomize.config.k8s.io/")
    }) {
        let mut value = o.value.clone();
        if o.kind() == "HelmRelease"
            && let Some(Value::Array(from)) = value.pointer_mut("/spec/valuesFrom")
        {
            for v in from {
                let new = v
                    .get("name")
                    .and_then(Value::as_str)
                    .and_then(|n| renamed.get(n))
                    .cloned();
                if v.get("kind").and_then(Value::as_str) == Some("ConfigMap")
                    && let Some(new) = new
                {
                    v["name"] = Value::String(new);
                }
            }
        }
        out.push(Object {
            value,
            comment: o.comment.clone(),
            path: None,
        });
    }
    Ok(out)
}

/// Whether a placed file belongs to a `helm/` tree.
pub fn is_helm_path(path: &str) -> bool {
    path == "helm" || path.starts_with("helm/")
}

/// The suffix kustomize appends to a generated ConfigMap's name: SHA-256 of the JSON
/// `{"data":{...},"kind":"ConfigMap","name":""}` as Go's `encoding/json` writes it (keys
/// sorted; kustomize v5 looks the name up with a path it does not find, so it is empty),
/// first ten hex digits with `0 1 3 a e` mapped to `g h k m t`.
fn config_map_hash(data: &BTreeMap<String, String>) -> String {
    let mut json = String::from("{\"data\":{");
    for (i, (k, v)) in data.iter().enumerate() {
        if i > 0 {
            json.push(',');
        }
        go_json_string(&mut json, k);
        json.push(':');
        go_json_string(&mut json, v);
    }
    json.push_str("},\"kind\":\"ConfigMap\",\"name\":\"\"}");
    let digest = ring::digest::digest(&ring::digest::SHA256, json.as_bytes());
    digest
        .as_ref()
        .iter()
        .flat_map(|b| [b >> 4, b & 0xf])
        .take(10)
        .map(|n| match n {
            0 => 'g',
            1 => 'h',
            3 => 'k',
            10 => 'm',
            14 => 't',
            n => char::from_digit(u32::from(n), 16).unwrap_or('0'),
        })
        .collect()
}

/// `s` as a JSON string the way Go's `encoding/json` escapes it (HTML-safe).
fn go_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)))
            }
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// An exact version (`23.1.1`, `23.1.1-rc.1`) is a tag; anything else (`23.x`,
/// `>=23.0.0 <24.0.0`) a semver range.
fn oci_ref(version: &str) -> OciRef {
    let core = version.split(['-', '+']).next().unwrap_or("");
    let parts: Vec<&str> = core.split('.').collect();
    let exact = parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.parse::<u64>().is_ok());
    if exact {
        OciRef {
            tag: Some(version.to_string()),
            semver: None,
        }
    } else {
        OciRef {
            tag: None,
            semver: Some(version.to_string()),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Kustomization {
    api_version: &'static str,
    kind: &'static str,
    resources: Vec<String>,
    config_map_generator: Vec<Generator>,
    generator_options: GeneratorOptions,
    configurations: Vec<String>,
}

#[derive(Serialize)]
struct Generator {
    name: String,
    namespace: String,
    files: Vec<String>,
}

#[derive(Serialize)]
struct GeneratorOptions {
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
}

/// kustomize's `configurations` file: where else a ConfigMap's name is referenced.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NameReferences {
    name_reference: Vec<NameReference>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NameReference {
    kind: &'static str,
    version: &'static str,
    field_specs: Vec<FieldSpec>,
}

#[derive(Serialize)]
struct FieldSpec {
    path: &'static str,
    kind: &'static str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_map_hashes_are_kustomizes() {
        // `kubectl kustomize` (kustomize v5.6) of a generator with literal `a=b`
        // names it `x-4h2mbtbbt6`.
        let data = BTreeMap::from([("a".to_string(), "b".to_string())]);
        assert_eq!(config_map_hash(&data), "4h2mbtbbt6");
        let mut s = String::new();
        go_json_string(&mut s, "<a & \"b\">\n\t\u{1}\u{2028}é");
        assert_eq!(s, r#""\u003ca \u0026 \"b\"\u003e\n\t\u0001\u2028é""#);
    }

    #[test]
    fn exact_versions_are_tags_ranges_are_semver() {
        assert_eq!(oci_ref("23.1.1").tag.as_deref(), Some("23.1.1"));
        assert_eq!(
            oci_ref(">=23.0.0 <24.0.0").semver.as_deref(),
            Some(">=23.0.0 <24.0.0")
        );
        assert_eq!(oci_ref("23.x").semver.as_deref(), Some("23.x"));
        assert_eq!(oci_ref("23.1.1-rc.1").tag.as_deref(), Some("23.1.1-rc.1"));
    }

    #[test]
    fn images_split_like_the_charts_take_them() {
        let i = values::Image::parse("bitnami/redis:7.2");
        assert_eq!(
            (i.registry.as_str(), i.repository.as_str(), i.tag.as_str()),
            ("docker.io", "bitnami/redis", "7.2")
        );
        let i =
            values::Image::parse("registry.example.com:5000/mirror/bitnami/redis:7.2.4@sha256:ab");
        assert_eq!(i.registry, "registry.example.com:5000");
        assert_eq!(i.repository, "mirror/bitnami/redis");
        assert_eq!(i.tag, "7.2.4");
        assert_eq!(i.digest, "sha256:ab");
        assert_eq!(
            i.sibling("redis-sentinel").repository,
            "mirror/bitnami/redis-sentinel"
        );
    }
}
