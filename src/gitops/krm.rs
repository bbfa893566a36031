//! The KRM function: `rkv krm`, for kustomize `generators:` and `kpt fn`.
//!
//! In: a `ResourceList` (`config.kubernetes.io/v1`) whose `functionConfig` is an rkv spec;
//! the annotation `rkv.dev/env` on it names the environment or site (the base otherwise).
//! Out: the same list with the variant's objects in `items` and every finding in `results`
//! (severity `error`, `warning` or `info`, the spec field as `field.path`, the spec's file
//! as `file.path` when the orchestrator said where it came from).
//!
//! Invariants: input items pass through untouched, except that an item with the identity
//! (group, kind, namespace, name) of a rendered object is replaced in place, keeping its
//! path and index annotations, so running the function twice changes nothing. New items get
//! the path and index annotations (legacy and `internal.` forms, equal) that orchestrators
//! use to place them in files. Results carry field paths, not line numbers: the spec is
//! re-serialized from the `functionConfig` before loading, so a line would point into text
//! the user never saw. Any error finding means exit 1 with the results and the input items.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::cluster_objects;
use crate::compile::{CompileError, compile};
use crate::diag::{Diagnostic, Severity};
use crate::pick::{PickError, pick_variant};

/// The annotation on the function config that names the environment or site.
pub const ENV_ANNOTATION: &str = "rkv.dev/env";
/// Largest input accepted (a ResourceList carries a whole package).
pub const MAX_INPUT: usize = 64 * 1024 * 1024;

const PATH: &str = "config.kubernetes.io/path";
const INDEX: &str = "config.kubernetes.io/index";
const INTERNAL_PATH: &str = "internal.config.kubernetes.io/path";
const INTERNAL_INDEX: &str = "internal.config.kubernetes.io/index";
const PLACEMENT: [&str; 4] = [PATH, INDEX, INTERNAL_PATH, INTERNAL_INDEX];

/// Input that is not a ResourceList at all: reported on stderr, exit 2, since there is no
/// list to return results in.
#[derive(Debug, thiserror::Error)]
pub enum KrmError {
    #[error("the input is larger than {MAX_INPUT} bytes")]
    TooLarge,
    #[error("the input is not YAML: {0}")]
    NotYaml(String),
    #[error(
        "the input is not a ResourceList (apiVersion config.kubernetes.io/v1, kind ResourceList): {0}"
    )]
    NotResourceList(String),
    #[error("cannot write the output ResourceList")]
    Yaml(#[source] serde_saphyr::SerializeError),
}

/// One entry of `results`, as the KRM functions specification defines it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KrmResult {
    pub message: String,
    pub severity: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_ref: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<Value>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

/// The function's answer: the YAML to print and whether it failed (exit 1).
#[derive(Debug)]
pub struct Outcome {
    pub yaml: String,
    pub failed: bool,
}

/// What the function config says about itself, for results.
struct Origin {
    file: Option<String>,
    resource_ref: Option<Value>,
}

impl Origin {
    fn result(&self, severity: &'static str, message: String, field: &str) -> KrmResult {
        KrmResult {
            message,
            severity,
            resource_ref: self.resource_ref.clone(),
            field: (!field.is_empty()).then(|| json!({ "path": field })),
            file: self.file.as_ref().map(|p| json!({ "path": p })),
            tags: BTreeMap::new(),
        }
    }

    fn of_diag(&self, d: &Diagnostic) -> KrmResult {
        let severity = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "info",
        };
        let mut message = format!("{}: {}", d.code, d.message);
        if let Some(h) = &d.help {
            message.push_str(&format!(" (help: {h})"));
        }
        let mut r = self.result(severity, message, &d.path);
        r.tags.insert("rkv.dev/code".into(), d.code.as_str().into());
        r
    }
}

/// The string annotation `key` of an object.
fn annotation<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.pointer("/metadata/annotations")
        .and_then(|a| a.get(key))
        .and_then(Value::as_str)
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str)
}

/// Run the function over the text of a ResourceList.
pub fn run(input: &str) -> Result<Outcome, KrmError> {
    if input.len() > MAX_INPUT {
        return Err(KrmError::TooLarge);
    }
    let list: Value = serde_saphyr::from_str(input)
        .map_err(|e| KrmError::NotYaml(e.without_snippet().to_string()))?;
    let api_version = str_at(&list, "/apiVersion").unwrap_or_default().to_string();
    let kind = str_at(&list, "/kind").unwrap_or_default();
    if kind != "ResourceList" || !api_version.starts_with("config.kubernetes.io/") {
        return Err(KrmError::NotResourceList(format!(
            "found apiVersion `{api_version}`, kind `{kind}`"
        )));
    }
    let items: Vec<Value> = match list.get("items") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a.clone(),
        Some(_) => {
            return Err(KrmError::NotResourceList("`items` is not a list".into()));
        }
    };
    let config = list.get("functionConfig").cloned().unwrap_or(Value::Null);
    let (items, results) = generate(items, &config);
    let failed = results.iter().any(|r| r.severity == "error");
    let mut out = Map::new();
    out.insert("apiVersion".into(), Value::String(api_version));
    out.insert("kind".into(), Value::String("ResourceList".into()));
    out.insert("items".into(), Value::Array(items));
    if !config.is_null() {
        out.insert("functionConfig".into(), config);
    }
    if !results.is_empty() {
        let results = serde_json::to_value(&results).unwrap_or(Value::Array(Vec::new()));
        out.insert("results".into(), results);
    }
    let yaml = crate::write::to_yaml(&Value::Object(out)).map_err(KrmError::Yaml)?;
    Ok(Outcome { yaml, failed })
}

/// The output items and results for `items` and the function config.
fn generate(items: Vec<Value>, config: &Value) -> (Vec<Value>, Vec<KrmResult>) {
    let origin = Origin {
        file: annotation(config, INTERNAL_PATH)
            .or_else(|| annotation(config, PATH))
            .map(str::to_string),
        resource_ref: config.get("kind").map(|_| {
            let mut r = Map::new();
            for (k, p) in [
                ("apiVersion", "/apiVersion"),
                ("kind", "/kind"),
                ("name", "/metadata/name"),
                ("namespace", "/metadata/namespace"),
            ] {
                if let Some(s) = str_at(config, p) {
                    r.insert(k.into(), Value::String(s.into()));
                }
            }
            Value::Object(r)
        }),
    };
    if str_at(config, "/kind") != Some("RedisTopology") {
        let found = match str_at(config, "/kind") {
            Some(k) => format!("kind `{k}`"),
            None if config.is_null() => "no functionConfig".into(),
            None => "a functionConfig without a kind".into(),
        };
        let r = origin.result(
            "error",
            format!(
                "the functionConfig must be an rkv spec (apiVersion rkv.dev/v1alpha1, kind RedisTopology); found {found}"
            ),
            "",
        );
        return (items, vec![r]);
    }
    let env = annotation(config, ENV_ANNOTATION)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    // The spec has no annotations field: the orchestrator's (function, path, index, local
    // config) and ours are instructions to the pipeline, not part of the topology.
    let mut spec = config.clone();
    if let Some(meta) = spec.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("annotations");
    }
    let label = origin
        .file
        .clone()
        .unwrap_or_else(|| "functionConfig".into());
    let text = match crate::write::to_yaml(&spec) {
        Ok(t) => t,
        Err(e) => {
            let r = origin.result("error", format!("cannot read the functionConfig: {e}"), "");
            return (items, vec![r]);
        }
    };
    let loaded = match crate::spec::load_str(&label, text) {
        Ok(l) => l,
        Err(diags) => return (items, diags.iter().map(|d| origin.of_diag(d)).collect()),
    };
    let compiled = match compile(&loaded) {
        Ok(c) => c,
        Err(CompileError::Findings(diags)) => {
            return (items, diags.iter().map(|d| origin.of_diag(d)).collect());
        }
        Err(e) => {
            let r = origin.result("error", format!("rkv could not render the spec: {e}"), "");
            return (items, vec![r]);
        }
    };
    let mut results: Vec<KrmResult> = compiled
        .findings
        .iter()
        .map(|d| origin.of_diag(d))
        .collect();
    let v = match pick_variant(&compiled, env.as_deref()) {
        Ok(v) => v,
        Err(e) => {
            let help = match e {
                PickError::Unknown { .. } => "fix the annotation, or remove it for the base",
                PickError::NeedSite { .. } => "add the annotation naming a site",
            };
            results.push(origin.result(
                "error",
                format!("{e} (help: {help})"),
                &format!("metadata.annotations.{ENV_ANNOTATION}"),
            ));
            return (items, results);
        }
    };
    let dir = format!(
        "{}/{}",
        loaded.topology.metadata.name,
        v.resolved.variant.label()
    );
    let objects = match cluster_objects(v) {
        Ok(o) => o,
        Err(e) => {
            results.push(origin.result("error", format!("rkv could not render the spec: {e}"), ""));
            return (items, results);
        }
    };
    let mut items = items;
    let mut added = 0;
    for o in &objects {
        let same = |item: &Value| {
            let group = str_at(item, "/apiVersion")
                .and_then(|a| a.rsplit_once('/'))
                .map(|(g, _)| g)
                .unwrap_or("");
            (
                group,
                str_at(item, "/kind").unwrap_or(""),
                str_at(item, "/metadata/namespace").unwrap_or(""),
                str_at(item, "/metadata/name").unwrap_or(""),
            ) == (o.group(), o.kind(), o.namespace(), o.name())
        };
        let mut value = o.value.clone();
        match items.iter_mut().find(|i| same(i)) {
            Some(existing) => {
                let keep: Vec<(String, Value)> = PLACEMENT
                    .iter()
                    .filter_map(|k| {
                        annotation(existing, k).map(|v| (k.to_string(), Value::String(v.into())))
                    })
                    .collect();
                annotate(&mut value, keep);
                *existing = value;
            }
            None => {
                let path = format!("{dir}/{}", o.file_name());
                let placement = [(PATH, &path), (INTERNAL_PATH, &path)]
                    .into_iter()
                    .map(|(k, p)| (k.to_string(), Value::String(p.clone())))
                    .chain(
                        [INDEX, INTERNAL_INDEX]
                            .into_iter()
                            .map(|k| (k.to_string(), Value::String("0".into()))),
                    )
                    .collect();
                annotate(&mut value, placement);
                items.push(value);
                added += 1;
            }
        }
    }
    results.push(origin.result(
        "info",
        format!(
            "rendered `{}` ({}): {} object(s), {added} new",
            loaded.topology.metadata.name,
            v.resolved.variant.label(),
            objects.len()
        ),
        "",
    ));
    (items, results)
}

/// Add annotations to an object's metadata.
fn annotate(value: &mut Value, pairs: Vec<(String, Value)>) {
    if pairs.is_empty() {
        return;
    }
    let Some(meta) = value.get_mut("metadata").and_then(Value::as_object_mut) else {
        return;
    };
    let ann = meta
        .entry("annotations")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Some(ann) = ann.as_object_mut() {
        for (k, v) in pairs {
            ann.insert(k, v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = "apiVersion: rkv.dev/v1alpha1\nkind: RedisTopology\nmetadata:\n  name: kv\n  namespace: apps\nspec:\n  use: cache\n  shape: {standalone: {}}\n  redis: {image: \"redis:7.2\"}\n  auth: {passwordSecret: {name: kv, key: password}}\n";

    fn list(config: &str, items: &str) -> String {
        let indented: String = config.lines().map(|l| format!("  {l}\n")).collect();
        format!(
            "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: {items}\nfunctionConfig:\n{indented}"
        )
    }

    fn parse(o: &Outcome) -> Value {
        serde_saphyr::from_str(&o.yaml).unwrap()
    }

    #[test]
    fn renders_into_items_and_is_idempotent() {
        let first = run(&list(SPEC, "[]")).unwrap();
        assert!(!first.failed, "{}", first.yaml);
        let v = parse(&first);
        let items = v["items"].as_array().unwrap();
        assert!(!items.is_empty());
        for i in items {
            let a = &i["metadata"]["annotations"];
            assert_eq!(a[PATH], a[INTERNAL_PATH]);
            assert!(a[PATH].as_str().unwrap().starts_with("kv/base/"));
        }
        // Feed the output back in: same items, same annotations.
        let again = run(&first.yaml).unwrap();
        assert_eq!(parse(&again)["items"], v["items"]);
    }

    #[test]
    fn not_a_resource_list_is_an_input_error() {
        assert!(matches!(
            run("kind: List\napiVersion: v1\nitems: []\n"),
            Err(KrmError::NotResourceList(_))
        ));
        assert!(matches!(run("[: nope"), Err(KrmError::NotYaml(_))));
    }

    #[test]
    fn wrong_function_config_fails_with_a_result() {
        let o = run(&list(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}",
            "[]",
        ))
        .unwrap();
        assert!(o.failed);
        let v = parse(&o);
        assert_eq!(v["results"][0]["severity"], "error");
        assert!(
            v["results"][0]["message"]
                .as_str()
                .unwrap()
                .contains("found kind `ConfigMap`")
        );
    }

    #[test]
    fn unknown_env_annotation_fails_naming_the_field() {
        let spec = SPEC.replace(
            "  namespace: apps\n",
            "  namespace: apps\n  annotations: {rkv.dev/env: nope}\n",
        );
        let o = run(&list(&spec, "[]")).unwrap();
        assert!(o.failed);
        let v = parse(&o);
        let results = v["results"].as_array().unwrap();
        let r = results.iter().find(|r| r["severity"] == "error").unwrap();
        assert_eq!(r["field"]["path"], "metadata.annotations.rkv.dev/env");
        assert!(r["message"].as_str().unwrap().contains("it has: base"));
    }
}
