//! Diagnostics: plain data (code, severity, place, message, help), rendered in one place.
//!
//! In: findings from the loader, the checks and `render --check`. Out: text for a terminal,
//! JSON for tools, GitHub Actions workflow commands (`diag::github`) or a SARIF 2.1.0 log
//! (`diag::sarif`) for code-scanning dashboards. Invariant: every code is a constant of the
//! registry [`codes`] (severity, summary, help), and every report describes codes from it
//! only; lines and columns are 1-based; the same findings render to the same bytes on every machine; no finding shows
//! the value of a key that looks like a credential ([`mask`]).

pub mod codes;
mod github;
pub mod mask;
mod sarif;

use std::fmt::Write as _;
use std::path::{Component, Path};

pub use codes::{CODES, Code};
pub use github::render_github;
pub use sarif::render_sarif;

use serde::Serialize;

/// A 1-based line and column in the source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Note,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

/// One finding about one place in one file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// Dotted field path (`spec.shape.cluster.shards`); empty for the whole file.
    pub path: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// The source line the finding points at, credential values masked ([`mask`]).
    #[serde(skip)]
    pub snippet: Option<String>,
    /// The column of the finding in `snippet` (masking may shorten what is before it).
    #[serde(skip)]
    snippet_column: usize,
    /// Values masked in `snippet`: never shown in the message or help either.
    #[serde(skip)]
    concealed: Vec<String>,
}

impl Diagnostic {
    /// A finding of `code` about `file`, with the code's default severity.
    pub fn new(code: Code, file: &str, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: code.severity(),
            file: file.to_string(),
            line: 0,
            column: 0,
            path: String::new(),
            message: message.into(),
            help: None,
            snippet: None,
            snippet_column: 0,
            concealed: Vec::new(),
        }
    }

    /// Place the finding at `pos` in `text`, naming the field `path`. The excerpt is the
    /// line at `pos` with credential values masked; the message drops them too.
    pub fn at(mut self, text: &str, pos: Pos, path: &str) -> Self {
        self.line = pos.line;
        self.column = pos.column;
        self.path = path.to_string();
        match mask::mask_line(text, pos.line, pos.column) {
            Some(m) => {
                self.snippet = Some(m.line);
                self.snippet_column = m.column;
                self.concealed = m.values;
            }
            None => {
                self.snippet = None;
                self.concealed.clear();
            }
        }
        self.concealed()
    }

    /// The finding with another severity than its code's default. Every call site says
    /// why in a comment: the registry's severity is the rule.
    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self.concealed()
    }

    /// The finding with the masked values dropped from its message and help: applied when
    /// it is built and again by every renderer, so a help line set directly is covered.
    fn concealed(mut self) -> Self {
        if !self.concealed.is_empty() {
            self.message = mask::conceal(&self.message, &self.concealed);
            self.help = self.help.map(|h| mask::conceal(&h, &self.concealed));
        }
        self
    }

    /// What the renderers show: [`Self::concealed`] of a copy.
    fn shown(&self) -> Diagnostic {
        self.clone().concealed()
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Render diagnostics for a terminal, rustc style.
pub fn render_text(diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diags.iter().map(Diagnostic::shown) {
        let _ = writeln!(out, "{}[{}]: {}", d.severity.as_str(), d.code, d.message);
        let pad = " ".repeat(if d.line > 0 {
            d.line.to_string().len()
        } else {
            1
        });
        if d.line > 0 {
            let _ = writeln!(out, "{pad}--> {}:{}:{}", d.file, d.line, d.column);
        } else {
            let _ = writeln!(out, "{pad}--> {}", d.file);
        }
        if let Some(line) = &d.snippet {
            // Tabs are shown as one space so the caret lines up.
            let shown: String = line.replace('\t', " ");
            let _ = writeln!(out, "{pad} |");
            let _ = writeln!(out, "{} | {shown}", d.line);
            let column = if d.snippet_column > 0 {
                d.snippet_column
            } else {
                d.column
            };
            let _ = writeln!(out, "{pad} | {}^", " ".repeat(column.saturating_sub(1)));
        }
        if !d.path.is_empty() {
            let _ = writeln!(out, "{pad} = field: {}", d.path);
        }
        if let Some(h) = &d.help {
            let _ = writeln!(out, "{pad} = help: {h}");
        }
        out.push('\n');
    }
    out
}

/// Render diagnostics as a JSON array (stable field order).
pub fn render_json(diags: &[Diagnostic]) -> String {
    let shown: Vec<Diagnostic> = diags.iter().map(Diagnostic::shown).collect();
    serde_json::to_string_pretty(&shown).unwrap_or_else(|_| "[]".into())
}

/// `file` as reports for CI name it: relative to `base` (the working directory) when it
/// is under it, `/`-separated, without `./` steps; other paths as given.
pub(crate) fn display_path(file: &str, base: &Path) -> String {
    let p = Path::new(file);
    let p = if p.is_absolute() {
        p.strip_prefix(base).unwrap_or(p)
    } else {
        p
    };
    let mut parts: Vec<String> = Vec::new();
    let mut absolute = false;
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::RootDir => absolute = true,
            Component::Prefix(x) => parts.push(x.as_os_str().to_string_lossy().into_owned()),
            Component::ParentDir => parts.push("..".into()),
            Component::Normal(n) => parts.push(n.to_string_lossy().into_owned()),
        }
    }
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else {
        joined
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_points_at_the_column() {
        let d = Diagnostic::new(codes::RKV010, "a.yaml", "unknown field `x`")
            .at("a: 1\n  x: 2\n", Pos { line: 2, column: 3 }, "a.x")
            .help("remove it");
        let t = render_text(&[d]);
        assert!(t.contains(" --> a.yaml:2:3\n"), "{t}");
        assert!(t.contains("2 |   x: 2\n  |   ^\n"), "{t}");
    }
}
