//! The spec's JSON Schema and the findings its validator reports: a parsed tree in,
//! one located diagnostic per schema error out (with what was expected and a hint).
//! Only a spec the fast path refuses pays for the validator built here.

use std::sync::OnceLock;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{ValidationError, Validator};
use serde_json::Value;

use super::Source;
use crate::diag::Diagnostic;
use crate::diag::codes::{self, Code};
use crate::spec::tree::{self, Pos, Tree};
use crate::spec::types::Topology;

/// The spec's JSON Schema as a value.
pub fn schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        serde_json::to_value(schemars::schema_for!(Topology)).unwrap_or(Value::Null)
    })
}

/// The schema as committed in `schemas/`: pretty JSON with a trailing newline.
pub fn schema_text() -> Result<String, serde_json::Error> {
    let mut s = serde_json::to_string_pretty(schema())?;
    s.push('\n');
    Ok(s)
}

pub(crate) fn validator() -> Option<&'static Validator> {
    static V: OnceLock<Option<Validator>> = OnceLock::new();
    V.get_or_init(|| jsonschema::validator_for(schema()).ok())
        .as_ref()
}

pub(super) fn schema_diags(
    src: &Source,
    tree: &Tree,
    skip: &[String],
    diags: &mut Vec<Diagnostic>,
) {
    let Some(v) = validator() else {
        diags.push(Diagnostic::new(
            codes::RKV011,
            &src.file,
            "internal error: the spec schema does not compile",
        ));
        return;
    };
    let mut report = |pointer: &str, kind: &ValidationErrorKind, schema_path: &str| {
        if skip
            .iter()
            .any(|s| pointer == s || pointer.starts_with(&format!("{s}/")))
        {
            return;
        }
        let d = describe(src, tree, pointer, kind, schema_path);
        if !diags.contains(&d) {
            diags.push(d);
        }
    };
    for e in v.iter_errors(&tree.value) {
        leaf_errors(&e, &mut report);
    }
}

/// Flatten `anyOf`/`oneOf` failures to the errors of the branch the value was meant for.
fn leaf_errors(e: &ValidationError<'_>, out: &mut dyn FnMut(&str, &ValidationErrorKind, &str)) {
    let here = e.instance_path().as_str().to_string();
    match e.kind() {
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context }
            if all_consts(context, &here) =>
        {
            // A documented enum is a `oneOf` of `const`s: report every allowed value at once.
            let options: Vec<Value> = context
                .iter()
                .flatten()
                .filter_map(|b| match b.kind() {
                    ValidationErrorKind::Constant { expected_value } => {
                        Some(expected_value.as_ref().clone())
                    }
                    _ => None,
                })
                .collect();
            let kind = ValidationErrorKind::Enum {
                options: std::sync::Arc::new(Value::Array(options)),
            };
            out(&here, &kind, e.schema_path().as_str());
        }
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            // The branch the value was meant for is the one that failed deepest.
            let best = context
                .iter()
                .filter(|branch| !branch.is_empty())
                .max_by_key(|branch| {
                    let deeper = branch
                        .iter()
                        .all(|b| b.instance_path().as_str().len() > here.len());
                    let not_type = !branch.iter().any(|b| {
                        matches!(b.kind(), ValidationErrorKind::Type { .. })
                            && b.instance_path().as_str() == here
                    });
                    (deeper, not_type)
                });
            match best {
                Some(branch) => branch.iter().for_each(|b| leaf_errors(b, out)),
                None => out(&here, e.kind(), e.schema_path().as_str()),
            }
        }
        kind => out(&here, kind, e.schema_path().as_str()),
    }
}

fn all_consts(context: &[Vec<ValidationError<'static>>], here: &str) -> bool {
    !context.is_empty()
        && context.iter().flatten().all(|b| {
            b.instance_path().as_str() == here
                && matches!(b.kind(), ValidationErrorKind::Constant { .. })
        })
}

fn describe(
    src: &Source,
    tree: &Tree,
    pointer: &str,
    kind: &ValidationErrorKind,
    schema_path: &str,
) -> Diagnostic {
    let at = |code: Code, p: &str, pos: Pos, msg: String| {
        Diagnostic::new(code, &src.file, msg).at(&src.text, pos, &dotted(p))
    };
    let found = tree.value.pointer(pointer).unwrap_or(&Value::Null);
    match kind {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let field = unexpected.first().cloned().unwrap_or_default();
            let child = format!("{pointer}/{}", tree::escape(&field));
            let known = known_fields(schema_path);
            let mut d = at(
                codes::RKV010,
                &child,
                tree.key_pos(&child),
                format!("unknown field `{field}`"),
            );
            d.help = Some(match closest(&field, &known) {
                Some(k) => format!("did you mean `{k}`?"),
                None if known.is_empty() => "remove it".to_string(),
                None => format!("expected one of {}", list(&known)),
            });
            d
        }
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            at(
                codes::RKV013,
                pointer,
                tree.key_pos(pointer),
                format!("missing field `{name}`"),
            )
            .help(format!("add `{name}` here; `rkv schema` lists every field"))
        }
        ValidationErrorKind::Type { kind } => {
            let expected = match kind {
                TypeKind::Single(t) => t.to_string(),
                TypeKind::Multiple(ts) => ts
                    .iter()
                    .map(|t| t.to_string())
                    .collect::<Vec<_>>()
                    .join(" or "),
            };
            let mut d = at(
                codes::RKV011,
                pointer,
                tree.pos(pointer),
                format!("expected {expected}, found {}", describe_value(found)),
            );
            if let Value::String(s) = found {
                if s.parse::<f64>().is_ok() && expected.contains("integer") {
                    d.help = Some(format!("write the number without quotes: {s}"));
                } else if ["yes", "no", "on", "off", "y", "n"].contains(&s.to_lowercase().as_str())
                {
                    d.help = Some("rkv reads YAML 1.2: write `true` or `false`".into());
                }
            }
            d
        }
        ValidationErrorKind::Minimum { limit }
        | ValidationErrorKind::ExclusiveMinimum { limit } => at(
            codes::RKV012,
            pointer,
            tree.pos(pointer),
            format!("{} is below the minimum {limit}", describe_value(found)),
        ),
        ValidationErrorKind::Maximum { limit }
        | ValidationErrorKind::ExclusiveMaximum { limit } => at(
            codes::RKV012,
            pointer,
            tree.pos(pointer),
            format!("{} is above the maximum {limit}", describe_value(found)),
        ),
        ValidationErrorKind::Enum { options }
        | ValidationErrorKind::Constant {
            expected_value: options,
        } => {
            let opts: Vec<String> = match options.as_ref() {
                Value::Array(a) => a
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect(),
                Value::String(s) => vec![s.clone()],
                _ => vec![],
            };
            let mut d = at(
                codes::RKV012,
                pointer,
                tree.pos(pointer),
                format!("{} is not one of {}", describe_value(found), list(&opts)),
            );
            if let Some(s) = found.as_str()
                && let Some(c) = closest(s, &opts)
            {
                d.help = Some(format!("did you mean `{c}`?"));
            }
            d
        }
        ValidationErrorKind::Pattern { pattern } => at(
            codes::RKV015,
            pointer,
            tree.pos(pointer),
            format!(
                "{} does not match the expected format",
                describe_value(found)
            ),
        )
        .help(pattern_help(pattern)),
        ValidationErrorKind::MinLength { limit } => at(
            codes::RKV015,
            pointer,
            tree.pos(pointer),
            format!(
                "{} is shorter than {limit} characters",
                describe_value(found)
            ),
        ),
        ValidationErrorKind::MaxLength { limit } => at(
            codes::RKV015,
            pointer,
            tree.pos(pointer),
            format!(
                "{} is longer than {limit} characters",
                describe_value(found)
            ),
        ),
        ValidationErrorKind::OneOfMultipleValid { .. }
        | ValidationErrorKind::OneOfNotValid { .. } => at(
            codes::RKV014,
            pointer,
            tree.key_pos(pointer),
            "exactly one variant must be given".into(),
        ),
        other => at(
            codes::RKV012,
            pointer,
            tree.pos(pointer),
            format!("invalid value: {other:?}"),
        ),
    }
}

fn pattern_help(pattern: &str) -> String {
    if pattern.contains("Ki|Mi|Gi") {
        "write a Kubernetes quantity such as `512Mi`, `20Gi` or `500m`".into()
    } else if pattern.contains("[-a-z0-9]") {
        "use lowercase letters, digits and `-`, starting and ending with a letter or digit (DNS-1123)".into()
    } else if pattern.contains("auto") {
        "write `auto` or a Redis size such as `896mb`".into()
    } else if pattern.contains("kKmMgG") {
        "write a Redis size such as `64mb` or `1gb`".into()
    } else if pattern.contains("[0-9]+ [0-9]+") {
        "write `<seconds> <changes>`, for example `900 1`".into()
    } else {
        format!("expected a value matching `{pattern}`")
    }
}

/// The properties allowed where an `additionalProperties` keyword failed.
fn known_fields(schema_path: &str) -> Vec<String> {
    let parent = schema_path
        .strip_suffix("/additionalProperties")
        .unwrap_or(schema_path);
    match schema().pointer(&format!("{parent}/properties")) {
        Some(Value::Object(m)) => m.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

fn closest<'a>(word: &str, options: &'a [String]) -> Option<&'a String> {
    options
        .iter()
        .map(|o| {
            (
                strsim::jaro_winkler(&word.to_lowercase(), &o.to_lowercase()),
                o,
            )
        })
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, o)| o)
}

fn list(items: &[String]) -> String {
    items
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn describe_value(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("boolean `{b}`"),
        Value::Number(n) => format!("number `{n}`"),
        Value::String(s) => format!("string \"{s}\""),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a mapping".into(),
    }
}

/// `/spec/clients/0/namespace` -> `spec.clients[0].namespace`.
pub fn dotted(pointer: &str) -> String {
    let mut out = String::new();
    for seg in pointer.split('/').skip(1) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        if !seg.is_empty() && seg.chars().all(|c| c.is_ascii_digit()) {
            out.push_str(&format!("[{seg}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&seg);
        }
    }
    out
}
