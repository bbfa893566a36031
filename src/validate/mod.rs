//! Validation of what rkv writes, against schemas rkv does not own.
//!
//! In: rendered objects and Helm values as [`serde_json::Value`], plus schemas read
//! at run time from files (CustomResourceDefinitions in [`crd`], a chart's
//! `values.schema.json` and `values.yaml` in [`helm`]).
//! Out: `Ok(())` or every [`Violation`] found, each a JSON pointer into the checked
//! value and a plain message.
//!
//! Invariant: every schema is compiled once, when it is loaded; checking a value never
//! panics, reports all violations rather than the first, and reports them in one
//! deterministic order (sorted by path, then message, without duplicates).

pub mod crd;
pub mod helm;
pub mod manifests;

use std::fmt;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::types::JsonType;
use jsonschema::{ValidationError, Validator};
use serde_json::Value;

/// One place where a checked value breaks its schema.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Violation {
    /// JSON pointer (RFC 6901) into the checked value, such as `/spec/redis/replicas`;
    /// empty for the value itself.
    pub path: String,
    /// What is wrong there, such as ``unknown field `foo` ``.
    pub message: String,
}

impl Violation {
    /// A violation at `path` with `message`.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = if self.path.is_empty() {
            "/"
        } else {
            &self.path
        };
        write!(f, "{path}: {}", self.message)
    }
}

/// Runs `validator` over `instance` and turns every error into violations, sorted
/// and without duplicates.
pub(crate) fn check(validator: &Validator, instance: &Value) -> Vec<Violation> {
    let mut out = Vec::new();
    for error in validator.iter_errors(instance) {
        push_violations(&error, &mut out);
    }
    out.sort();
    out.dedup();
    out
}

/// Escapes one JSON pointer reference token (RFC 6901: `~` as `~0`, `/` as `~1`).
pub(crate) fn escape_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

fn push_violations(error: &ValidationError<'_>, out: &mut Vec<Violation>) {
    let path = error.instance_path().as_str().to_owned();
    match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            for field in unexpected {
                out.push(Violation::new(
                    format!("{path}/{}", escape_token(field)),
                    format!("unknown field `{field}`"),
                ));
            }
        }
        ValidationErrorKind::Required { property } => {
            let name = property
                .as_str()
                .map_or_else(|| property.to_string(), str::to_owned);
            out.push(Violation::new(
                path,
                format!("missing required field `{name}`"),
            ));
        }
        ValidationErrorKind::Type { kind } => {
            let expected = match kind {
                TypeKind::Single(ty) => ty.to_string(),
                // `null` last: "string or null" reads as "a string, may be null".
                TypeKind::Multiple(set) => join_or(
                    set.iter()
                        .filter(|ty| *ty != JsonType::Null)
                        .chain(set.iter().filter(|ty| *ty == JsonType::Null))
                        .map(|ty| ty.to_string()),
                ),
            };
            out.push(Violation::new(
                path,
                format!("expected {expected}, found {}", describe(error.instance())),
            ));
        }
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            match branch_types(context) {
                // `anyOf: [{type: integer}, {type: string}]` and the like: one clear line.
                Some(types) => out.push(Violation::new(
                    path,
                    format!(
                        "expected {}, found {}",
                        join_or(types.into_iter()),
                        describe(error.instance())
                    ),
                )),
                None => out.push(Violation::new(
                    path,
                    format!(
                        "{} matches none of the allowed alternatives",
                        describe(error.instance())
                    ),
                )),
            }
        }
        ValidationErrorKind::Enum { options } => out.push(Violation::new(
            path,
            format!(
                "expected one of {}, found {}",
                short(options, 200),
                describe(error.instance())
            ),
        )),
        _ => out.push(Violation::new(path, error.to_string())),
    }
}

/// When every branch of an `anyOf`/`oneOf` failed only on `type` at the branch's own
/// instance, the expected type names, in branch order.
fn branch_types(context: &[Vec<ValidationError<'static>>]) -> Option<Vec<String>> {
    let mut types = Vec::new();
    for branch in context {
        let [only] = branch.as_slice() else {
            return None;
        };
        match only.kind() {
            ValidationErrorKind::Type {
                kind: TypeKind::Single(ty),
            } => types.push(ty.to_string()),
            ValidationErrorKind::Type {
                kind: TypeKind::Multiple(set),
            } => {
                types.extend(set.iter().map(|ty| ty.to_string()));
            }
            _ => return None,
        }
    }
    types.dedup();
    (!types.is_empty()).then_some(types)
}

fn join_or(items: impl Iterator<Item = String>) -> String {
    let items: Vec<String> = items.collect();
    match items.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// `string "3"`, `integer 3`, `null`, `object`, `array`: the JSON type of a value,
/// with the value itself when it is a short scalar.
fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => format!("boolean {b}"),
        Value::Number(n) if n.is_i64() || n.is_u64() => format!("integer {n}"),
        Value::Number(n) => format!("number {n}"),
        Value::String(_) => format!("string {}", short(value, 60)),
        Value::Array(_) => "array".to_owned(),
        Value::Object(_) => "object".to_owned(),
    }
}

/// The JSON text of `value`, cut to about `max` characters.
fn short(value: &Value, max: usize) -> String {
    let text = value.to_string();
    if text.chars().count() <= max {
        text
    } else {
        let cut: String = text.chars().take(max).collect();
        format!("{cut}…")
    }
}

/// API groups served by Kubernetes itself: their objects are checked by the API
/// server's own schemas (and `kubernetes-validate` in rkv's tests), not by CRDs.
pub fn is_built_in(api_version: &str) -> bool {
    let group = api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or("");
    group.is_empty() || !group.contains('.') || group.ends_with(".k8s.io")
}

#[cfg(test)]
pub(crate) mod test_support {
    use std::path::PathBuf;

    /// The shared data directory (`../shared` beside the crate, else `/work/shared`).
    pub(crate) fn shared_dir() -> PathBuf {
        let beside = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared");
        if beside.is_dir() {
            beside
        } else {
            PathBuf::from("/work/shared")
        }
    }
}
