//! Custom resources checked against the CustomResourceDefinitions that define them.
//!
//! In: a directory of `*.yaml` / `*.yml` files (read in sorted order, each possibly
//! holding several documents); every `apiextensions.k8s.io/v1`
//! `CustomResourceDefinition` among them is kept, other documents are skipped.
//! Out: a [`CrdSet`] holding one compiled validator per served
//! (group, version, kind); [`CrdSet::validate`] checks one rendered object and returns
//! every [`Violation`], or [`Rejection::NoCrd`] when no CRD in the set defines the
//! object's `apiVersion` and `kind`.
//!
//! Invariant: each schema is translated and compiled once, in [`CrdSet::load_dir`];
//! an object accepted here is accepted by the CRD's structural schema as the API
//! server reads it, with the limits below.
//!
//! # From OpenAPI v3 structural schema to JSON Schema draft 4
//!
//! `spec.versions[].schema.openAPIV3Schema` is OpenAPI v3.0, whose schema keywords
//! are those of JSON Schema draft 4 (`exclusiveMinimum` is a boolean there) plus
//! Kubernetes extensions. Each node is rewritten before compiling:
//!
//! - `nullable: true` adds `"null"` to the node's `type` (to an `enum` too, and a
//!   `{"type": "null"}` branch to an `anyOf`);
//! - `x-kubernetes-int-or-string: true` becomes `anyOf: [{type: integer}, {type:
//!   string}]` unless the node already has an `anyOf` or a `type` (controller-gen
//!   writes that `anyOf` itself);
//! - `x-kubernetes-preserve-unknown-fields: true` leaves unknown fields allowed at
//!   that node (not below it);
//! - every other object node with `properties` and no `additionalProperties` gets
//!   `additionalProperties: false`: the API server prunes or, with field validation,
//!   refuses unknown fields, so an unknown field is a mistake in what rkv wrote.
//!   Nodes inside `allOf`/`anyOf`/`oneOf`/`not` are left open, since in a structural
//!   schema they only restate fields declared outside them;
//! - the other `x-kubernetes-*` keywords, `format` (int32, int64, byte, date-time…),
//!   `description`, `default` and `example` are dropped, and formats are not asserted.
//!
//! At the top of an object, `apiVersion` and `kind` must be strings and `metadata`
//! an object with a string `name`; the rest of `metadata` is not checked (the API
//! server, not the CRD, owns it). Everything else follows the CRD's schema.
//!
//! Not checked: CEL rules (`x-kubernetes-validations`), list-type and map-type
//! uniqueness (`x-kubernetes-list-type`), embedded resources beyond their schema.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use jsonschema::{Draft, Validator};
use serde_json::{Map, Value, json};

use super::{Violation, check};

/// A resource type: API group (empty for the core group), version and kind.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Gvk {
    /// API group, such as `databases.spotahome.com`; empty for the core group.
    pub group: String,
    /// API version within the group, such as `v1`.
    pub version: String,
    /// Kind, such as `RedisFailover`.
    pub kind: String,
}

impl Gvk {
    /// The type named by an object's `apiVersion` (`group/version`, or `version` for
    /// the core group) and `kind`.
    pub fn from_api_version(api_version: &str, kind: &str) -> Self {
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        Self {
            group: group.to_owned(),
            version: version.to_owned(),
            kind: kind.to_owned(),
        }
    }

    /// The `apiVersion` string of this type.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
}

impl fmt::Display for Gvk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.api_version(), self.kind)
    }
}

/// Failure to load a directory of CRDs.
#[derive(Debug, thiserror::Error)]
pub enum CrdError {
    /// The directory could not be listed.
    #[error("cannot list the CRD directory `{}`", dir.display())]
    ReadDir {
        /// The directory.
        dir: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A file could not be read (or is not UTF-8).
    #[error("cannot read `{}`", path.display())]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A file is not valid YAML.
    #[error("cannot parse `{}` as YAML", path.display())]
    Yaml {
        /// The file.
        path: PathBuf,
        /// The parser's error, with line and column.
        #[source]
        source: Box<serde_saphyr::Error>,
    },
    /// A CustomResourceDefinition lacks a field rkv needs, or has it with the wrong type.
    #[error("`{}` document {document}: {what}", path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// 1-based index of the YAML document within the file.
        document: usize,
        /// What is missing or wrong, naming the field.
        what: String,
    },
    /// A version's schema could not be compiled.
    #[error("`{}`: cannot compile the schema of `{gvk}`", path.display())]
    Compile {
        /// The file.
        path: PathBuf,
        /// The type whose schema failed.
        gvk: Gvk,
        /// The compiler's error.
        #[source]
        source: jsonschema::ValidationError<'static>,
    },
    /// Two CRDs define the same served type.
    #[error("`{gvk}` is defined both in `{}` and in `{}`", first.display(), second.display())]
    Duplicate {
        /// The type.
        gvk: Gvk,
        /// The file read first.
        first: PathBuf,
        /// The file read second.
        second: PathBuf,
    },
}

/// Why an object was not accepted by [`CrdSet::validate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// No CRD in the set defines the object's type (a built-in kind, a typo in
    /// `apiVersion`, or a CRD missing from the directory).
    NoCrd(Gvk),
    /// The object breaks its CRD's schema (or lacks `apiVersion`/`kind`): every
    /// violation, sorted.
    Invalid(Vec<Violation>),
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::NoCrd(gvk) => write!(f, "no CRD for `{}` `{}`", gvk.api_version(), gvk.kind),
            Rejection::Invalid(violations) => {
                for (i, violation) in violations.iter().enumerate() {
                    if i > 0 {
                        f.write_str("\n")?;
                    }
                    write!(f, "{violation}")?;
                }
                Ok(())
            }
        }
    }
}

struct Entry {
    source: PathBuf,
    validator: Validator,
}

/// Compiled validators for every served version of a set of CRDs.
pub struct CrdSet {
    entries: BTreeMap<Gvk, Entry>,
}

impl fmt::Debug for CrdSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(
                self.entries
                    .iter()
                    .map(|(gvk, e)| (gvk.to_string(), &e.source)),
            )
            .finish()
    }
}

impl CrdSet {
    /// Reads every `*.yaml` / `*.yml` file directly in `dir`, in sorted order, and
    /// compiles a validator for each served version of each CRD found.
    pub fn load_dir(dir: &Path) -> Result<CrdSet, CrdError> {
        let read_dir = |source| CrdError::ReadDir {
            dir: dir.to_owned(),
            source,
        };
        let mut files = Vec::new();
        for entry in fs::read_dir(dir).map_err(read_dir)? {
            let path = entry.map_err(read_dir)?.path();
            let yaml = path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| e == "yaml" || e == "yml");
            if yaml && path.is_file() {
                files.push(path);
            }
        }
        files.sort();

        let mut entries = BTreeMap::new();
        let mut patterns = Patterns::default();
        for path in files {
            let text = fs::read_to_string(&path).map_err(|source| CrdError::ReadFile {
                path: path.clone(),
                source,
            })?;
            let documents: Vec<Value> =
                serde_saphyr::from_str_multiple(&text).map_err(|source| CrdError::Yaml {
                    path: path.clone(),
                    source: Box::new(source),
                })?;
            for (index, document) in documents.iter().enumerate() {
                for (gvk, schema) in crd_versions(&path, index + 1, document, &mut patterns)? {
                    let validator = compile(&schema).map_err(|source| CrdError::Compile {
                        path: path.clone(),
                        gvk: gvk.clone(),
                        source,
                    })?;
                    if let Some(first) = entries.get(&gvk).map(|e: &Entry| e.source.clone()) {
                        return Err(CrdError::Duplicate {
                            gvk,
                            first,
                            second: path,
                        });
                    }
                    entries.insert(
                        gvk,
                        Entry {
                            source: path.clone(),
                            validator,
                        },
                    );
                }
            }
        }
        Ok(CrdSet { entries })
    }

    /// Every type this set can check, sorted.
    pub fn kinds(&self) -> impl Iterator<Item = &Gvk> {
        self.entries.keys()
    }

    /// Whether a CRD in the set defines `gvk`.
    pub fn contains(&self, gvk: &Gvk) -> bool {
        self.entries.contains_key(gvk)
    }

    /// The file the CRD defining `gvk` was read from.
    pub fn source(&self, gvk: &Gvk) -> Option<&Path> {
        self.entries.get(gvk).map(|e| e.source.as_path())
    }

    /// Checks one rendered object against the CRD of its `apiVersion` and `kind`.
    pub fn validate(&self, object: &Value) -> Result<(), Rejection> {
        let Some(fields) = object.as_object() else {
            return Err(Rejection::Invalid(vec![Violation::new(
                "",
                format!("expected object, found {}", super::describe(object)),
            )]));
        };
        let mut missing = Vec::new();
        let mut text = |name: &str| match fields.get(name) {
            Some(Value::String(s)) => Some(s.as_str()),
            Some(other) => {
                missing.push(Violation::new(
                    format!("/{name}"),
                    format!("expected string, found {}", super::describe(other)),
                ));
                None
            }
            None => {
                missing.push(Violation::new(
                    "",
                    format!("missing required field `{name}`"),
                ));
                None
            }
        };
        let (api_version, kind) = (text("apiVersion"), text("kind"));
        let (Some(api_version), Some(kind)) = (api_version, kind) else {
            return Err(Rejection::Invalid(missing));
        };
        let gvk = Gvk::from_api_version(api_version, kind);
        let Some(entry) = self.entries.get(&gvk) else {
            return Err(Rejection::NoCrd(gvk));
        };
        let violations = check(&entry.validator, object);
        if violations.is_empty() {
            Ok(())
        } else {
            Err(Rejection::Invalid(violations))
        }
    }
}

fn compile(schema: &Value) -> Result<Validator, jsonschema::ValidationError<'static>> {
    jsonschema::options()
        .with_draft(Draft::Draft4)
        .should_validate_formats(false)
        .build(schema)
}

/// The served (type, translated schema) pairs of one YAML document; none when the
/// document is not an `apiextensions.k8s.io/v1` CustomResourceDefinition.
fn crd_versions(
    path: &Path,
    document: usize,
    doc: &Value,
    patterns: &mut Patterns,
) -> Result<Vec<(Gvk, Value)>, CrdError> {
    if doc.get("kind").and_then(Value::as_str) != Some("CustomResourceDefinition") {
        return Ok(Vec::new());
    }
    let malformed = |what: String| CrdError::Malformed {
        path: path.to_owned(),
        document,
        what,
    };
    let api_version = doc.get("apiVersion").and_then(Value::as_str);
    if api_version != Some("apiextensions.k8s.io/v1") {
        return Err(malformed(format!(
            "CustomResourceDefinition has `apiVersion` {}, only `apiextensions.k8s.io/v1` is supported",
            api_version.map_or_else(|| "missing".to_owned(), |v| format!("`{v}`"))
        )));
    }
    let text = |pointer: &str| {
        doc.pointer(pointer)
            .and_then(Value::as_str)
            .ok_or_else(|| malformed(format!("no string at `{pointer}`")))
    };
    let group = text("/spec/group")?;
    let kind = text("/spec/names/kind")?;
    let versions = doc
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .ok_or_else(|| malformed("no list at `/spec/versions`".to_owned()))?;

    let mut out = Vec::new();
    for (i, version) in versions.iter().enumerate() {
        let name = version
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| malformed(format!("no string at `/spec/versions/{i}/name`")))?;
        if version.get("served").and_then(Value::as_bool) == Some(false) {
            continue;
        }
        let schema = version
            .pointer("/schema/openAPIV3Schema")
            .and_then(Value::as_object)
            .ok_or_else(|| {
                malformed(format!(
                    "no object at `/spec/versions/{i}/schema/openAPIV3Schema`"
                ))
            })?;
        let gvk = Gvk {
            group: group.to_owned(),
            version: name.to_owned(),
            kind: kind.to_owned(),
        };
        out.push((gvk, root_schema(schema, patterns)));
    }
    Ok(out)
}

/// The translated schema of a whole object: the CRD's schema with loose type and
/// object metadata checks at the top.
fn root_schema(schema: &Map<String, Value>, patterns: &mut Patterns) -> Value {
    let mut root = translate(schema, true, patterns);
    root.insert("type".to_owned(), json!("object"));
    let properties = root
        .entry("properties")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(properties) = properties {
        properties.insert("apiVersion".to_owned(), json!({"type": "string"}));
        properties.insert("kind".to_owned(), json!({"type": "string"}));
        properties.insert(
            "metadata".to_owned(),
            json!({
                "type": "object",
                "required": ["name"],
                "properties": {"name": {"type": "string"}}
            }),
        );
    }
    let mut required: Vec<Value> = root
        .get("required")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for name in ["apiVersion", "kind", "metadata"] {
        if !required.iter().any(|r| r == name) {
            required.push(json!(name));
        }
    }
    root.insert("required".to_owned(), Value::Array(required));
    if schema.get("x-kubernetes-preserve-unknown-fields") != Some(&Value::Bool(true)) {
        root.insert("additionalProperties".to_owned(), json!(false));
    }
    Value::Object(root)
}

/// One schema node rewritten as described in the module documentation. `structural`
/// is false inside `allOf`/`anyOf`/`oneOf`/`not`, where unknown fields stay allowed.
fn translate(
    node: &Map<String, Value>,
    structural: bool,
    patterns: &mut Patterns,
) -> Map<String, Value> {
    let flag = |name: &str| node.get(name) == Some(&Value::Bool(true));
    let mut out = Map::new();
    for (key, value) in node {
        let value = match key.as_str() {
            k if k.starts_with("x-kubernetes-") => continue,
            "nullable" | "format" | "description" | "default" | "example" | "externalDocs" => {
                continue;
            }
            "properties" | "patternProperties" | "definitions" => match value {
                Value::Object(children) => Value::Object(
                    children
                        .iter()
                        .map(|(name, child)| {
                            (name.clone(), translate_value(child, structural, patterns))
                        })
                        .collect(),
                ),
                other => other.clone(),
            },
            "items" | "additionalProperties" | "additionalItems" => {
                translate_value(value, structural, patterns)
            }
            "pattern" => match value {
                Value::String(pattern) => match patterns.ecma(pattern) {
                    Some(pattern) => Value::String(pattern),
                    None => continue,
                },
                other => other.clone(),
            },
            "allOf" | "anyOf" | "oneOf" => match value {
                Value::Array(branches) => Value::Array(
                    branches
                        .iter()
                        .map(|branch| translate_value(branch, false, patterns))
                        .collect(),
                ),
                other => other.clone(),
            },
            "not" => translate_value(value, false, patterns),
            _ => value.clone(),
        };
        out.insert(key.clone(), value);
    }

    if flag("x-kubernetes-int-or-string") && !out.contains_key("anyOf") && !out.contains_key("type")
    {
        out.insert(
            "anyOf".to_owned(),
            json!([{"type": "integer"}, {"type": "string"}]),
        );
    }
    if flag("nullable") {
        allow_null(&mut out);
    }
    if structural
        && !flag("x-kubernetes-preserve-unknown-fields")
        && out.contains_key("properties")
        && !out.contains_key("additionalProperties")
    {
        out.insert("additionalProperties".to_owned(), json!(false));
    }
    out
}

fn translate_value(value: &Value, structural: bool, patterns: &mut Patterns) -> Value {
    match value {
        Value::Object(node) => Value::Object(translate(node, structural, patterns)),
        Value::Array(nodes) => Value::Array(
            nodes
                .iter()
                .map(|n| translate_value(n, structural, patterns))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// `pattern`s as the validator can compile them, each worked out once per load.
///
/// Kubernetes reads `pattern` as a Go (RE2) regular expression, the validator as an
/// ECMA-262 one. The two agree on the syntax CRDs use, except inline flags: a
/// top-level `(?i)` is rewritten to the scoped group `(?i:…)` over the rest of the
/// pattern. A pattern still not valid ECMA-262 after that is dropped, not checked.
#[derive(Default)]
struct Patterns {
    seen: HashMap<String, Option<String>>,
}

impl Patterns {
    fn ecma(&mut self, pattern: &str) -> Option<String> {
        if let Some(known) = self.seen.get(pattern) {
            return known.clone();
        }
        let rewritten = scope_inline_flags(pattern);
        let usable = jsonschema::draft4::meta::is_valid(&json!({ "pattern": rewritten }))
            .then_some(rewritten);
        self.seen.insert(pattern.to_owned(), usable.clone());
        usable
    }
}

/// Rewrites each top-level Go inline flag group `(?flags)` to `(?flags:…)` scoping
/// the rest of the pattern; anything else is left as it is.
fn scope_inline_flags(pattern: &str) -> String {
    let bytes = pattern.as_bytes();
    let (mut depth, mut in_class, mut i) = (0usize, false, 0usize);
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b'[' if !in_class => in_class = true,
            b']' if in_class => in_class = false,
            b'(' if !in_class => {
                if depth == 0 && bytes.get(i + 1) == Some(&b'?') {
                    let flags_end = bytes[i + 2..]
                        .iter()
                        .position(|b| !matches!(b, b'i' | b'm' | b's' | b'U' | b'-'))
                        .map(|n| i + 2 + n);
                    if let Some(end) = flags_end
                        && end > i + 2
                        && bytes[end] == b')'
                    {
                        let rest = scope_inline_flags(&pattern[end + 1..]);
                        return format!("{}(?{}:{rest})", &pattern[..i], &pattern[i + 2..end]);
                    }
                }
                depth += 1;
            }
            b')' if !in_class => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    pattern.to_owned()
}

/// Lets `null` through a node marked `nullable: true`.
fn allow_null(out: &mut Map<String, Value>) {
    match out.get_mut("type") {
        Some(Value::String(ty)) => {
            let ty = std::mem::take(ty);
            out.insert("type".to_owned(), json!([ty, "null"]));
        }
        Some(Value::Array(types)) if !types.iter().any(|t| t == "null") => {
            types.push(json!("null"))
        }
        _ => {}
    }
    if let Some(Value::Array(options)) = out.get_mut("enum")
        && !options.contains(&Value::Null)
    {
        options.push(Value::Null);
    }
    if let Some(Value::Array(branches)) = out.get_mut("anyOf") {
        branches.push(json!({"type": "null"}));
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_methods, reason = "tests write their fixtures")]
mod tests {
    use super::*;
    use crate::validate::test_support::shared_dir;
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
        fs::write(&path, "kind: CustomResourceDefinition\napiVersion: apiextensions.k8s.io/v1\nspec: {group: g}\n").unwrap();
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
}
