//! Findings as GitHub Actions workflow commands: each line becomes an annotation on the
//! file and line in the run's summary and, for files the pull request changes, in its diff.
//!
//! In: diagnostics and the directory their relative paths start from. Out: one line per
//! finding, `::error file=F,line=L,col=C,title=RKVnnn::message` (`warning` for warnings,
//! `notice` for notes). Invariant: every line is one command whatever the text holds:
//! values are escaped as the Actions runner unescapes them (`ActionCommand.cs`): in the
//! message `%`, CR and LF; in properties also `:` and `,`, which end a property.

use std::fmt::Write as _;
use std::path::Path;

use super::{Diagnostic, Severity, display_path};

/// Render `diags` as workflow commands; relative paths are taken as relative to `base`.
pub fn render_github(diags: &[Diagnostic], base: &Path) -> String {
    let mut out = String::new();
    for d in diags.iter().map(Diagnostic::shown) {
        let command = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        let mut props = vec![format!("file={}", property(&display_path(&d.file, base)))];
        if d.line > 0 {
            props.push(format!("line={}", d.line));
            if d.column > 0 {
                props.push(format!("col={}", d.column));
            }
        }
        props.push(format!("title={}", property(d.code.as_str())));
        let mut message = d.message.clone();
        if !d.path.is_empty() {
            let _ = write!(message, "\nfield: {}", d.path);
        }
        if let Some(h) = &d.help {
            let _ = write!(message, "\nhelp: {h}");
        }
        let _ = writeln!(out, "::{command} {}::{}", props.join(","), data(&message));
    }
    out
}

/// The message of a command: `%` first, so that an escape the text already holds survives.
fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A property value: also `:` (`::` ends the properties) and `,` (which separates them).
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Pos;
    use crate::diag::codes;

    #[test]
    fn one_line_per_finding_with_place_title_field_and_help() {
        let e = Diagnostic::new(codes::RKV110, "/w/profiles/cordum.yaml", "unsafe")
            .at(
                "a\n",
                Pos {
                    line: 14,
                    column: 30,
                },
                "spec.disruption.minAvailable",
            )
            .help("remove the override");
        let w = Diagnostic::new(codes::RKV101, "x.yaml", "no password");
        let n = Diagnostic::new(codes::RKV153, "x.yaml", "n");
        assert_eq!(
            render_github(&[e, w, n], Path::new("/w")),
            "::error file=profiles/cordum.yaml,line=14,col=30,title=RKV110::unsafe%0Afield: spec.disruption.minAvailable%0Ahelp: remove the override\n\
             ::warning file=x.yaml,title=RKV101::no password\n\
             ::notice file=x.yaml,title=RKV153::n\n"
        );
    }

    #[test]
    fn escaping_follows_the_runner() {
        let d = Diagnostic::new(
            codes::RKV003,
            "dir,1/a:b%2C.yaml",
            "50% of 1:2, then\r\nnext::x %0A",
        );
        assert_eq!(
            render_github(&[d], Path::new("/w")),
            "::error file=dir%2C1/a%3Ab%252C.yaml,title=RKV003::50%25 of 1:2, then%0D%0Anext::x %250A\n"
        );
    }

    /// The runner's reading of a property (ActionCommand.UnescapeProperty): replacements
    /// in its order, `%25` last.
    fn unescape_property(s: &str) -> String {
        s.replace("%0D", "\r")
            .replace("%0A", "\n")
            .replace("%3A", ":")
            .replace("%2C", ",")
            .replace("%25", "%")
    }

    #[test]
    fn the_runner_reads_back_what_was_escaped() {
        for s in ["a%0Ab", "%", "%%3A", "x:,\r\n%25y", "plain"] {
            assert_eq!(unescape_property(&property(s)), s, "{s:?}");
            assert!(!property(s).contains([':', ',', '\n', '\r']));
        }
    }
}
