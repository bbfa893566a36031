//! Loading a spec file: bytes in, a typed [`Topology`] or every finding out.
//!
//! The text is parsed into a spanned tree ([`super::tree`]) and checked against the
//! spec's JSON Schema. A valid spec (the common case) is recognised by the structural
//! check of [`super::fast`] and deserialized at once; only a spec that fails it pays for
//! the `jsonschema` validator, which reports *all* structural findings at once, each with
//! file, line, column and field path, before anything is deserialized. Both paths give
//! the same result for every input (`fast`'s tests hold them to it).
//! Invariant: no input makes this module panic; a refused file yields at least one
//! error diagnostic.

use std::path::Path;
use std::sync::OnceLock;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{ValidationError, Validator};
use serde::Deserialize as _;
use serde_json::Value;

use super::tree::{self, Pos, Tree, TreeError};
use super::types::Topology;
use crate::diag::Diagnostic;
use crate::diag::codes::{self, Code};

/// Largest spec file accepted.
pub const MAX_BYTES: u64 = 1024 * 1024;

/// A spec file as read: its label (the path as the user gave it) and text.
#[derive(Debug, Clone)]
pub struct Source {
    pub file: String,
    pub text: String,
}

/// A spec that passed structural validation.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub source: Source,
    pub tree: Tree,
    pub topology: Topology,
}

impl Loaded {
    /// A diagnostic at the field `pointer` (a JSON pointer into the spec), with the code's
    /// default severity.
    pub fn diag(&self, code: Code, pointer: &str, message: impl Into<String>) -> Diagnostic {
        // A mapping or list is pointed at by its key, a scalar by its value.
        let pos = match self.tree.value.pointer(pointer) {
            Some(Value::Object(_) | Value::Array(_)) => self.tree.key_pos(pointer),
            _ => self.tree.pos(pointer),
        };
        Diagnostic::new(code, &self.source.file, message).at(
            &self.source.text,
            pos,
            &dotted(pointer),
        )
    }
}

/// Read and load one spec file.
pub fn load_file(path: &Path) -> Result<Loaded, Vec<Diagnostic>> {
    let file = path.display().to_string();
    let err = |code, msg: String| vec![Diagnostic::new(code, &file, msg)];
    let meta = std::fs::metadata(path).map_err(|e| {
        err(
            codes::RKV001,
            format!("cannot read `{file}`: {}", io_reason(&e)),
        )
    })?;
    if meta.is_dir() {
        return Err(err(
            codes::RKV001,
            format!("`{file}` is a directory, expected a spec file"),
        ));
    }
    if meta.len() > MAX_BYTES {
        return Err(vec![
            Diagnostic::new(
                codes::RKV002,
                &file,
                format!(
                    "the file is {} bytes; a spec may be at most {MAX_BYTES} bytes (1 MB)",
                    meta.len()
                ),
            )
            .help("a topology spec is a few kilobytes: is this the right file?"),
        ]);
    }
    let bytes = std::fs::read(path).map_err(|e| {
        err(
            codes::RKV001,
            format!("cannot read `{file}`: {}", io_reason(&e)),
        )
    })?;
    load_bytes(&file, bytes)
}

/// Load a spec from the bytes of a file; `file` labels the diagnostics. Text that is not
/// UTF-8 is refused at its first bad byte ([`not_utf8`]).
pub fn load_bytes(file: &str, bytes: Vec<u8>) -> Result<Loaded, Vec<Diagnostic>> {
    match String::from_utf8(bytes) {
        Ok(text) => load_str(file, text),
        Err(e) => Err(vec![not_utf8(file, &e)]),
    }
}

/// The finding for bytes that are not UTF-8, placed at the first bad byte like every other
/// load error: its line, and its column counted in characters of the valid text before
/// it on that line, as the YAML parser counts columns. The excerpt shows the line with
/// each bad sequence as U+FFFD, so the caret lands on the first one.
pub fn not_utf8(file: &str, e: &std::string::FromUtf8Error) -> Diagnostic {
    let bytes = e.as_bytes();
    let at = e.utf8_error().valid_up_to();
    // Everything before `valid_up_to` is UTF-8 by definition.
    let before = std::str::from_utf8(&bytes[..at]).unwrap_or_default();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let pos = Pos {
        line: before.matches('\n').count() + 1,
        column: before[line_start..].chars().count() + 1,
    };
    let byte = bytes.get(at).copied().unwrap_or_default();
    Diagnostic::new(
        codes::RKV003,
        file,
        format!("the file is not UTF-8 text: byte 0x{byte:02X} (offset {at}) is not part of a UTF-8 character"),
    )
    .at(&String::from_utf8_lossy(bytes), pos, "")
    .help("save the file as UTF-8: a spec is YAML text, and YAML is Unicode")
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// Load a spec from text; `file` labels the diagnostics.
pub fn load_str(file: &str, text: String) -> Result<Loaded, Vec<Diagnostic>> {
    load(file, text, true)
}

/// [`load_str`] without the fast path: the schema validator decides every spec.
#[cfg(test)]
pub(crate) fn load_str_full(file: &str, text: String) -> Result<Loaded, Vec<Diagnostic>> {
    load(file, text, false)
}

fn load(file: &str, text: String, fast: bool) -> Result<Loaded, Vec<Diagnostic>> {
    let source = Source {
        file: file.to_string(),
        text,
    };
    if source.text.len() as u64 > MAX_BYTES {
        return Err(vec![Diagnostic::new(
            codes::RKV002,
            file,
            format!(
                "the input is {} bytes; a spec may be at most {MAX_BYTES} bytes (1 MB)",
                source.text.len()
            ),
        )]);
    }
    let tree = match tree::parse(&source.text) {
        Ok(t) => t,
        Err(e) => return Err(vec![tree_diag(&source, &e)]),
    };
    // A spec the schema accepts has no findings to report: skip building the validator.
    // Anything else (including a value serde refuses after all) takes the full path
    // below, so the findings are the same as if there were no fast path.
    if fast
        && super::fast::accepts(&tree.value)
        && let Ok(topology) = Topology::deserialize(&tree.value)
    {
        return Ok(Loaded {
            source,
            tree,
            topology,
        });
    }
    let mut diags = Vec::new();
    let skip = check_shapes(&source, &tree, &mut diags);
    schema_diags(&source, &tree, &skip, &mut diags);
    if !diags.is_empty() {
        diags.sort_by_key(|d| (d.line, d.column));
        return Err(diags);
    }
    match serde_json::from_value::<Topology>(tree.value.clone()) {
        Ok(topology) => Ok(Loaded {
            source,
            tree,
            topology,
        }),
        // The schema is generated from the same types, so this is a gap in the schema.
        Err(e) => Err(vec![
            Diagnostic::new(
                codes::RKV011,
                file,
                format!("the spec does not fit its type: {e}"),
            )
            .at(&source.text, Pos { line: 1, column: 1 }, ""),
        ]),
    }
}

fn tree_diag(src: &Source, e: &TreeError) -> Diagnostic {
    let d = |code, msg: String| Diagnostic::new(code, &src.file, msg).at(&src.text, e.pos(), "");
    match e {
        TreeError::Syntax { pos, message } => {
            if let Some(tab) = tab_indent(&src.text, pos.line) {
                return Diagnostic::new(codes::RKV009, &src.file, "a tab is used for indentation")
                    .at(&src.text, tab, "")
                    .help("YAML indents with spaces only: replace the tab with spaces");
            }
            d(codes::RKV003, format!("not valid YAML: {message}")).help("check the indentation and quoting on this line")
        }
        TreeError::Empty => Diagnostic::new(codes::RKV004, &src.file, "the file is empty")
            .at(&src.text, Pos { line: 1, column: 1 }, "")
            .help("a spec starts with `apiVersion: rkv.dev/v1alpha1` and `kind: RedisTopology`; `rkv schema` prints the full schema"),
        TreeError::MultipleDocuments { .. } => d(codes::RKV007, "the file holds more than one YAML document".into())
            .help("put each topology in a file of its own"),
        TreeError::DuplicateKey { key, first, .. } => d(codes::RKV005, format!("duplicate key `{key}`"))
            .help(format!("`{key}` is already set at line {}, column {}; keep one", first.line, first.column)),
        TreeError::AliasExpansion { .. } => d(codes::RKV006, e.to_string())
            .help("the document uses aliases that multiply its size (an alias bomb); write the values out"),
        TreeError::TooDeep { .. } => d(codes::RKV003, e.to_string()),
        TreeError::ComplexKey { .. } => d(codes::RKV003, e.to_string()).help("write keys as plain strings"),
    }
}

/// The position of a tab in the indentation of any line up to `line`, if there is one.
fn tab_indent(text: &str, line: usize) -> Option<Pos> {
    for (i, l) in text.lines().enumerate().take(line.max(1)) {
        let indent: String = l.chars().take_while(|c| *c == ' ' || *c == '\t').collect();
        if let Some(col) = indent.find('\t') {
            return Some(Pos {
                line: i + 1,
                column: col + 1,
            });
        }
    }
    None
}

/// The JSON pointers of every `shape` field of the spec and of its environments and sites.
fn shape_pointers(value: &Value) -> Vec<String> {
    let mut out = vec!["/spec/shape".to_string()];
    for group in ["environments", "sites"] {
        if let Some(Value::Object(m)) = value.pointer(&format!("/spec/{group}")) {
            for (k, v) in m {
                if v.get("shape").is_some() {
                    out.push(format!("/spec/{group}/{}/shape", tree::escape(k)));
                }
            }
        }
    }
    out
}

/// Report shapes that are not exactly one; returns the pointers to leave out of schema findings.
fn check_shapes(src: &Source, tree: &Tree, diags: &mut Vec<Diagnostic>) -> Vec<String> {
    const SHAPES: [&str; 4] = ["standalone", "cluster", "failover", "replication"];
    let mut skip = Vec::new();
    for p in shape_pointers(&tree.value) {
        let Some(Value::Object(m)) = tree.value.pointer(&p) else {
            continue;
        };
        let known: Vec<&String> = m.keys().filter(|k| SHAPES.contains(&k.as_str())).collect();
        let msg = match known.len() {
            0 if m.is_empty() => "no shape given".to_string(),
            0 => continue, // an unknown key: the schema reports it with a suggestion
            1 => continue,
            _ => format!(
                "{} shapes at once: {}",
                known.len(),
                known
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(" and ")
            ),
        };
        diags.push(
            Diagnostic::new(codes::RKV014, &src.file, msg)
                .at(&src.text, tree.key_pos(&p), &dotted(&p))
                .help("set exactly one of `standalone`, `cluster`, `failover`, `replication`"),
        );
        skip.push(p);
    }
    skip
}

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

fn schema_diags(src: &Source, tree: &Tree, skip: &[String], diags: &mut Vec<Diagnostic>) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_byte_is_placed_by_line_and_character() {
        // Line 2 holds a two-byte `é` before the bad byte: the column counts it once.
        let bytes = b"apiVersion: rkv.dev/v1alpha1\nkind: \xc3\xa9x\xffy\n".to_vec();
        let d = load_bytes("s.yaml", bytes).unwrap_err();
        assert_eq!(d.len(), 1);
        assert_eq!((d[0].code, d[0].line, d[0].column), (codes::RKV003, 2, 9));
        assert!(
            d[0].message.contains("byte 0xFF (offset 38)"),
            "{}",
            d[0].message
        );
        assert_eq!(d[0].snippet.as_deref(), Some("kind: éx\u{fffd}y"));
    }

    #[test]
    fn a_bad_first_byte_is_line_1_column_1() {
        let d = load_bytes("s.yaml", vec![0xfe, b'a']).unwrap_err();
        assert_eq!((d[0].line, d[0].column), (1, 1));
    }
}
