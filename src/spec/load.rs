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

use serde::Deserialize as _;
use serde_json::Value;
use std::path::Path;

mod schema;

use schema::schema_diags;
#[cfg(test)]
pub(crate) use schema::validator;
pub use schema::{dotted, schema, schema_text};

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
