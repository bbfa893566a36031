//! The imported spec as YAML, with a comment above every value import inferred, could
//! not map or changed.
//!
//! In: the spec (as a typed [`Topology`]) and its [`Notes`]. Out: block-style YAML text.
//! Invariants: the same input gives the same bytes; a string is written plain only when
//! every YAML 1.1 and 1.2 reader reads it back as that string (no `yes`, `on`, `0755`,
//! `1_000`, `12:30`, `.5`, `~`), else double-quoted; every note's text is a comment line
//! and never breaks the document (newlines in it are folded).

use std::fmt::Write as _;

use serde_json::Value;

use super::notes::Notes;
use super::source::escape;
use crate::spec::Topology;

/// The spec as YAML: `header` lines as comments first, then the document.
pub fn emit(
    topology: &Topology,
    notes: &Notes,
    header: &[String],
) -> Result<String, serde_json::Error> {
    let value = serde_json::to_value(topology)?;
    let mut out = String::new();
    for h in header {
        let _ = writeln!(out, "# {}", one_line(h));
    }
    let placed = place(&value, notes);
    if let Value::Object(m) = &value {
        write_map(&mut out, m, 0, "", &placed);
    }
    Ok(out)
}

/// Each note moved to the nearest node that exists (a note on `/spec/backup/size` when
/// the spec has no `backup` lands on `/spec`).
fn place(value: &Value, notes: &Notes) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for n in &notes.0 {
        let mut p = n.pointer.clone();
        while !p.is_empty() && value.pointer(&p).is_none() {
            match p.rfind('/') {
                Some(i) => p.truncate(i),
                None => p.clear(),
            }
        }
        if p.is_empty() {
            p = "/spec".into();
        }
        let text = if n.pointer == p || n.text.is_empty() {
            format!("{}: {}", n.kind.label(), n.text)
        } else {
            format!(
                "{} ({}): {}",
                n.kind.label(),
                super::source::dotted(&n.pointer),
                n.text
            )
        };
        out.push((p, text));
    }
    out
}

fn one_line(s: &str) -> String {
    s.split(['\n', '\r'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn comments(out: &mut String, indent: usize, pointer: &str, placed: &[(String, String)]) {
    for (p, text) in placed {
        if p == pointer {
            let _ = writeln!(out, "{}# {}", " ".repeat(indent), one_line(text));
        }
    }
}

fn write_map(
    out: &mut String,
    m: &serde_json::Map<String, Value>,
    indent: usize,
    pointer: &str,
    placed: &[(String, String)],
) {
    let pad = " ".repeat(indent);
    for (k, v) in m {
        let p = format!("{pointer}/{}", escape(k));
        comments(out, indent, &p, placed);
        let key = scalar_str(k);
        match v {
            Value::Object(inner) if !inner.is_empty() => {
                let _ = writeln!(out, "{pad}{key}:");
                write_map(out, inner, indent + 2, &p, placed);
            }
            Value::Array(items) if !items.is_empty() => {
                let _ = writeln!(out, "{pad}{key}:");
                write_seq(out, items, indent + 2, &p, placed);
            }
            other => {
                let _ = writeln!(out, "{pad}{key}: {}", scalar(other));
            }
        }
    }
}

fn write_seq(
    out: &mut String,
    items: &[Value],
    indent: usize,
    pointer: &str,
    placed: &[(String, String)],
) {
    let pad = " ".repeat(indent);
    for (i, item) in items.iter().enumerate() {
        let p = format!("{pointer}/{i}");
        comments(out, indent, &p, placed);
        match item {
            Value::Object(m) if !m.is_empty() => {
                // The first entry shares the `- ` line; the rest align under it.
                let mut first = String::new();
                write_map(&mut first, m, indent + 2, &p, placed);
                let body = first
                    .strip_prefix(&" ".repeat(indent + 2))
                    .unwrap_or(&first);
                let _ = write!(out, "{pad}- {body}");
            }
            Value::Array(inner) if !inner.is_empty() => {
                let _ = writeln!(out, "{pad}-");
                write_seq(out, inner, indent + 2, &p, placed);
            }
            other => {
                let _ = writeln!(out, "{pad}- {}", scalar(other));
            }
        }
    }
}

/// A scalar (or an empty collection) in flow form.
fn scalar(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => scalar_str(s),
        Value::Array(_) => "[]".into(),
        Value::Object(_) => "{}".into(),
    }
}

/// A string, plain when that is unambiguous to every YAML reader, else double-quoted.
pub fn scalar_str(s: &str) -> String {
    if plain_ok(s) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            // Line breaks YAML folds (NEL, LS, PS), the BOM and every control character.
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}') => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Whether `s` may be written as a plain scalar.
pub fn plain_ok(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if !(first.is_ascii_alphanumeric() || matches!(first, '/' | '$' | '(' | '_')) {
        return false;
    }
    if s.ends_with([' ', ':']) || s.contains(": ") || s.contains(" #") || s.contains("  ") {
        return false;
    }
    let allowed = |c: char| {
        c.is_ascii_alphanumeric()
            || matches!(
                c,
                ' ' | '-' | '_' | '.' | '/' | ':' | '@' | '+' | '=' | '(' | ')' | '$'
            )
    };
    if !s.chars().all(allowed) {
        return false;
    }
    !(special_word(s) || number_like(s) || timestamp_like(s))
}

/// Booleans and nulls of YAML 1.1 (any case) and 1.2.
fn special_word(s: &str) -> bool {
    matches!(
        s.to_ascii_lowercase().as_str(),
        "y" | "n" | "yes" | "no" | "true" | "false" | "on" | "off" | "null" | "~"
    )
}

/// Anything a YAML 1.1 or 1.2 reader may take for a number: decimal, octal, hex and
/// binary integers (with `_`), floats, exponents, sexagesimal `1:30`, `.inf`, `.nan`.
fn number_like(s: &str) -> bool {
    let t = s.trim_start_matches(['+', '-']);
    let lower = t.to_ascii_lowercase();
    if matches!(lower.as_str(), ".inf" | ".nan") {
        return true;
    }
    if lower.starts_with("0x") || lower.starts_with("0o") || lower.starts_with("0b") {
        return true;
    }
    let mut chars = t.chars();
    let starts_numeric = match chars.next() {
        Some(c) if c.is_ascii_digit() => true,
        Some('.') => chars.next().is_some_and(|c| c.is_ascii_digit()),
        _ => false,
    };
    starts_numeric
        && t.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '_' | '.' | ':' | 'e' | 'E' | '+' | '-'))
}

/// `2001-12-14...`: YAML 1.1 timestamps.
fn timestamp_like(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 8 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-'
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ambiguous_strings_are_quoted() {
        for s in [
            "yes",
            "No",
            "ON",
            "off",
            "y",
            "~",
            "null",
            "true",
            "",
            "0755",
            "1_000",
            "12:30",
            ".5",
            "1e3",
            "0x1F",
            "7.2",
            "1",
            "-1",
            "2001-12-14",
            "- x",
            "a: b",
            "a #b",
            "#x",
            "*x",
            "&a",
            "!t",
            "|",
            ">",
            "'",
            "\"",
            "%x",
            "@x",
            "`x",
            "[a]",
            "{a}",
            "a,b",
            "x ",
            " x",
            "a\nb",
            "tab\tx",
            ".inf",
            "-.inf",
            "0 * * * *",
        ] {
            assert!(!plain_ok(s), "{s:?} must be quoted");
        }
        for s in [
            "redis:7.2",
            "20Gi",
            "500m",
            "cordum-redis",
            "/data",
            "oci://registry-1.docker.io/bitnamicharts",
            "platform-kv.pnats.cloud",
            "app.kubernetes.io/part-of",
            "$(REDIS_PASSWORD)",
            "a b",
        ] {
            assert!(plain_ok(s), "{s:?} may be plain");
        }
    }

    proptest! {
        /// Every string survives a trip through the writer and serde-saphyr's reader.
        #[test]
        fn strings_round_trip(s in "\\PC{0,24}|[0-9.:_eE+-]{1,8}|[a-zA-Z]{1,5}|[\\x00-\\x1f\\u{85}\\u{2028}\\u{feff} a\\\\\"]{1,6}") {
            let doc = format!("k: {}\n", scalar_str(&s));
            let back: std::collections::BTreeMap<String, String> = serde_saphyr::from_str(&doc).expect("parses");
            prop_assert_eq!(back.get("k"), Some(&s));
            if plain_ok(&s) {
                // YAML 1.1 readers agree: no bool, null, number or timestamp form.
                prop_assert!(!special_word(&s) && !number_like(&s) && !timestamp_like(&s));
            }
        }
    }
}
