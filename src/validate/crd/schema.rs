//! From a CRD's OpenAPI v3 structural schema to a compiled JSON Schema draft 4.
//!
//! In: one version's `openAPIV3Schema`. Out: the translated schema, and its validator.
//! Invariant: the translation below is applied to every node, once per schema.
//!
//! # The translation
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

use std::collections::HashMap;

use jsonschema::{Draft, Validator};
use serde_json::{Map, Value, json};

pub(super) fn compile(schema: &Value) -> Result<Validator, jsonschema::ValidationError<'static>> {
    jsonschema::options()
        .with_draft(Draft::Draft4)
        .should_validate_formats(false)
        .build(schema)
}

/// The translated schema of a whole object: the CRD's schema with loose type and
/// object metadata checks at the top.
pub(super) fn root_schema(schema: &Map<String, Value>, patterns: &mut Patterns) -> Value {
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
pub(super) fn translate(
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
pub(super) struct Patterns {
    seen: HashMap<String, Option<String>>,
}

impl Patterns {
    pub(super) fn ecma(&mut self, pattern: &str) -> Option<String> {
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
pub(super) fn scope_inline_flags(pattern: &str) -> String {
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
