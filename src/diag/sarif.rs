//! Findings as a SARIF 2.1.0 log, the format code-scanning dashboards import (GitHub code
//! scanning, GitLab, Azure DevOps, IDE viewers).
//!
//! In: diagnostics and the directory their relative paths start from (the working
//! directory). Out: one JSON document: one run of the tool `rkv`, one rule per code that a
//! result uses (its summary, help and default level from the registry, [`super::codes`]),
//! one result per finding with its level, message and place. Invariant: deterministic: rules sorted by code, results in the
//! order given, no time, host or absolute path of the working directory in the log.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};

use super::{Code, Diagnostic, Severity, display_path};

/// The `$schema` of the log: the OASIS standard's schema (2.1.0 with errata 01).
pub const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The base every relative location is resolved against: the directory rkv ran in, which
/// in CI is the repository's root (GitHub resolves `%SRCROOT%` to the checkout).
const SRCROOT: &str = "%SRCROOT%";

/// Render `diags` as a SARIF log; relative paths are taken as relative to `base`.
pub fn render_sarif(diags: &[Diagnostic], base: &Path) -> String {
    let codes: BTreeMap<Code, usize> = diags
        .iter()
        .map(|d| d.code)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .enumerate()
        .map(|(i, c)| (c, i))
        .collect();
    let rules: Vec<Value> = codes.keys().map(|c| rule_object(*c)).collect();
    let results: Vec<Value> = diags
        .iter()
        .map(|d| result(d, codes.get(&d.code).copied().unwrap_or_default(), base))
        .collect();
    let log = json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "rkv",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            // rkv counts columns in characters, as its text output's caret does.
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    let mut out = serde_json::to_string_pretty(&log).unwrap_or_else(|_| "{}".into());
    out.push('\n');
    out
}

/// The rule of a code: what the registry says about it. A finding's own severity may
/// differ from the default level (the registry's reasons), so each result states its level.
fn rule_object(code: Code) -> Value {
    json!({
        "id": code.as_str(),
        "shortDescription": {"text": code.summary()},
        "help": {"text": code.help()},
        "defaultConfiguration": {"level": level(code.severity())},
    })
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

fn result(d: &Diagnostic, rule_index: usize, base: &Path) -> Value {
    let d = &d.shown();
    let mut text = d.message.clone();
    if let Some(h) = &d.help {
        text.push_str("\nhelp: ");
        text.push_str(h);
    }
    let mut physical = json!({"artifactLocation": artifact_location(&d.file, base)});
    if d.line > 0 {
        let mut region = json!({"startLine": d.line});
        if d.column > 0 {
            region["startColumn"] = json!(d.column);
        }
        physical["region"] = region;
    }
    let mut location = json!({"physicalLocation": physical});
    if !d.path.is_empty() {
        location["logicalLocations"] = json!([{"fullyQualifiedName": d.path, "kind": "property"}]);
    }
    json!({
        "ruleId": d.code,
        "ruleIndex": rule_index,
        "level": level(d.severity),
        "message": {"text": text},
        "locations": [location],
    })
}

/// A relative reference from `%SRCROOT%` for a file under the working directory; a
/// `file://` URI (with no base, which would change its meaning) for one outside it.
fn artifact_location(file: &str, base: &Path) -> Value {
    let shown = display_path(file, base);
    match shown.strip_prefix('/') {
        Some(abs) => json!({"uri": format!("file:///{}", encode(abs))}),
        None => json!({"uri": encode(&shown), "uriBaseId": SRCROOT}),
    }
}

/// Percent-encode a `/`-separated path for a URI: every byte but unreserved characters and
/// `/`. A `:` in a first segment would otherwise read as a scheme, a space is not allowed.
fn encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::{Pos, codes};

    fn finding() -> Diagnostic {
        Diagnostic::new(
            codes::RKV110,
            "teams/a b/redis.yaml",
            "budget breaks shard 0",
        )
        .at("a\nb\n", Pos { line: 2, column: 3 }, "spec.disruption")
        .help("remove it")
    }

    #[test]
    fn one_rule_per_code_used_sorted_and_results_point_at_them() {
        let warn = Diagnostic::new(codes::RKV101, "x.yaml", "no password");
        let log: Value = serde_json::from_str(&render_sarif(
            &[finding(), warn.clone(), warn],
            Path::new("/w"),
        ))
        .unwrap();
        let run = &log["runs"][0];
        let ids: Vec<&str> = run["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["RKV101", "RKV110"]);
        let r = &run["results"];
        assert_eq!(r[0]["ruleIndex"], 1);
        assert_eq!(r[1]["ruleIndex"], 0);
        assert_eq!(r[1]["level"], "warning");
        let rule = &run["tool"]["driver"]["rules"][1];
        assert_eq!(rule["shortDescription"]["text"], codes::RKV110.summary());
        assert_eq!(rule["help"]["text"], codes::RKV110.help());
        assert_eq!(rule["defaultConfiguration"]["level"], "error");
        assert_eq!(
            run["tool"]["driver"]["rules"][0]["defaultConfiguration"]["level"],
            "warning"
        );
        let loc = &r[0]["locations"][0];
        assert_eq!(
            loc["physicalLocation"]["artifactLocation"]["uri"],
            "teams/a%20b/redis.yaml"
        );
        assert_eq!(loc["physicalLocation"]["region"]["startLine"], 2);
        assert_eq!(loc["physicalLocation"]["region"]["startColumn"], 3);
        assert_eq!(
            loc["logicalLocations"][0]["fullyQualifiedName"],
            "spec.disruption"
        );
        assert_eq!(
            r[0]["message"]["text"],
            "budget breaks shard 0\nhelp: remove it"
        );
        // A whole-file finding has no region (SARIF lines start at 1).
        assert!(
            r[1]["locations"][0]["physicalLocation"]
                .get("region")
                .is_none()
        );
    }

    #[test]
    fn paths_are_relative_to_the_working_directory_or_file_uris() {
        let base = Path::new("/repo");
        let at = |f: &str| {
            let d = Diagnostic::new(codes::RKV001, f, "x");
            let log: Value = serde_json::from_str(&render_sarif(&[d], base)).unwrap();
            log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
                .clone()
        };
        assert_eq!(
            at("/repo/profiles/cordum.yaml"),
            json!({"uri": "profiles/cordum.yaml", "uriBaseId": "%SRCROOT%"})
        );
        assert_eq!(
            at("./profiles/x:y.yaml"),
            json!({"uri": "profiles/x%3Ay.yaml", "uriBaseId": "%SRCROOT%"})
        );
        assert_eq!(
            at("/elsewhere/a%.yaml"),
            json!({"uri": "file:///elsewhere/a%25.yaml"})
        );
        assert_eq!(
            at("../up/x.yaml"),
            json!({"uri": "../up/x.yaml", "uriBaseId": "%SRCROOT%"})
        );
    }

    #[test]
    fn the_same_findings_give_the_same_bytes() {
        let a = render_sarif(&[finding()], Path::new("/a"));
        assert_eq!(a, render_sarif(&[finding()], Path::new("/b")));
        assert!(a.ends_with("}\n"));
        assert!(
            !a.contains("/a/"),
            "no absolute working directory in the log"
        );
    }
}
