//! The report of a diff, and the report printed as text, a summary or JSON.
//!
//! In: the [`ObjectDiff`]s ([`super::outcome`] makes them), sorted by kind, namespace,
//! name (then group), the preflight findings and notes, and the [`DiffOptions`]. Out:
//! the [`DiffReport`] and its renderings; whether it fails a [`FailOn`]. Invariant:
//! output bytes depend only on the report and the options.

use serde_json::json;

use super::{DiffOptions, Format};
use crate::diag::{self, Diagnostic, Severity};

/// What a rollout does to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Action {
    /// Rendered, not in the cluster.
    Create,
    /// Rendered and live, different.
    Change,
    /// Live with rkv's labels for this topology, no longer rendered.
    Prune,
    /// Rendered and live, but an immutable field changes: the server refuses the
    /// update, and the object must be deleted and created again.
    ReplaceRequired,
    /// The server refuses the object for another reason (a webhook, its schema, a
    /// quota): the sync would fail on it.
    Refused,
    /// Rendered and live, the same after normalization.
    Unchanged,
}

impl Action {
    /// `create`, `change`, `prune`, `replace-required`, `refused` or `unchanged`.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Change => "change",
            Action::Prune => "prune",
            Action::ReplaceRequired => "replace-required",
            Action::Refused => "refused",
            Action::Unchanged => "unchanged",
        }
    }
}

/// A change that loses data or availability if synced as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destructive {
    /// The finding code (`RKV210` to `RKV214`, listed in [`crate::diag::CODES`]).
    pub code: crate::diag::Code,
    /// Why the change is destructive, with the numbers.
    pub why: String,
    /// What to do before (or instead of) the sync.
    pub what_to_do: String,
    /// The runbook section with the procedure: `generated/<profile>/RUNBOOK.md § ...`.
    pub runbook: String,
}

/// The diff of one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectDiff {
    /// What the rollout does.
    pub action: Action,
    /// `apiVersion` (the rendered one, or the live one for a prune).
    pub api_version: String,
    /// Kind.
    pub kind: String,
    /// Namespace, empty for cluster-scoped objects.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// Normalized YAML of the live object (empty for a create).
    pub before: String,
    /// Normalized YAML after the rollout (empty for a prune).
    pub after: String,
    /// Unified diff from `before` to `after` ([`DiffOptions::context_lines`] of
    /// context); empty when unchanged.
    pub diff: String,
    /// For `replace-required`: the immutable fields that change.
    pub immutable: Vec<String>,
    /// For `replace-required` and `refused`: the server's message (or rkv's, when
    /// predicted without a server).
    pub message: Option<String>,
    /// For `replace-required`: what to do.
    pub remedy: Option<String>,
    /// Why this change is destructive, if it is.
    pub destructive: Vec<Destructive>,
    /// What to know about how this object was compared.
    pub notes: Vec<String>,
    /// Its kind is in [`DiffOptions::suppress`]: left out of the listing and the exit code.
    pub suppressed: bool,
}

impl ObjectDiff {
    /// `kind/namespace/name`, or `kind/name` for a cluster-scoped object.
    pub fn id(&self) -> String {
        if self.namespace.is_empty() {
            format!("{}/{}", self.kind, self.name)
        } else {
            format!("{}/{}/{}", self.kind, self.namespace, self.name)
        }
    }
}

/// Counts per action (suppressed objects counted apart).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Summary {
    /// Objects to create.
    pub create: usize,
    /// Objects to change.
    pub change: usize,
    /// Objects to prune.
    pub prune: usize,
    /// Objects that must be deleted and created again.
    pub replace_required: usize,
    /// Objects the server refuses.
    pub refused: usize,
    /// Objects unchanged.
    pub unchanged: usize,
    /// Objects of suppressed kinds, whatever their action.
    pub suppressed: usize,
    /// Objects with a destructive change, suppressed ones included.
    pub destructive: usize,
}

/// When `rkv diff` exits 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FailOn {
    /// Any change, refusal or preflight error (like `kubectl diff`).
    #[default]
    Changes,
    /// Only a destructive change (a CI gate that lets ordinary changes through).
    Destructive,
}

/// What `rkv diff` found, sorted by kind, namespace, name.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DiffReport {
    /// Every rendered or pruned object, unchanged and suppressed ones included.
    pub objects: Vec<ObjectDiff>,
    /// Findings about prerequisites in the live cluster (codes `RKV200` to `RKV207`).
    pub preflight: Vec<Diagnostic>,
    /// What the diff could not see, or decided, and why.
    pub notes: Vec<String>,
}

impl DiffReport {
    /// Whether anything not suppressed would be created, changed, pruned, replaced or
    /// is refused (exit code 1, as `kubectl diff`).
    pub fn has_changes(&self) -> bool {
        self.objects
            .iter()
            .any(|o| !o.suppressed && o.action != Action::Unchanged)
    }

    /// Whether any change, suppressed or not, is destructive.
    pub fn has_destructive(&self) -> bool {
        self.objects.iter().any(|o| !o.destructive.is_empty())
    }

    /// Whether a preflight finding is an error.
    pub fn has_preflight_errors(&self) -> bool {
        self.preflight.iter().any(Diagnostic::is_error)
    }

    /// Whether what `fail_on` names is present: `rkv diff` then exits 1 (and 2 when the
    /// diff could not be made).
    pub fn fails(&self, fail_on: FailOn) -> bool {
        match fail_on {
            FailOn::Changes => self.has_changes() || self.has_preflight_errors(),
            FailOn::Destructive => self.has_destructive(),
        }
    }

    /// Counts per action.
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for o in &self.objects {
            if !o.destructive.is_empty() {
                s.destructive += 1;
            }
            if o.suppressed {
                s.suppressed += 1;
                continue;
            }
            match o.action {
                Action::Create => s.create += 1,
                Action::Change => s.change += 1,
                Action::Prune => s.prune += 1,
                Action::ReplaceRequired => s.replace_required += 1,
                Action::Refused => s.refused += 1,
                Action::Unchanged => s.unchanged += 1,
            }
        }
        s
    }

    /// The report in `opts.format`, coloured when `opts.color` (text and summary only).
    pub fn render(&self, opts: &DiffOptions) -> String {
        match opts.format {
            Format::Text => self.render_text(opts.color),
            Format::Summary => self.render_summary(opts.color),
            Format::Json => self.render_json(),
        }
    }

    /// Per object not unchanged a header `<action> <id>`, the server's message, the
    /// immutable fields and what to do, and its unified diff; then the destructive
    /// changes, the preflight findings, the notes and the summary line.
    pub fn render_text(&self, color: bool) -> String {
        let mut out = String::new();
        for o in self.listed() {
            out.push_str(&paint(color, header_color(o.action), &header(o)));
            out.push('\n');
            push_details(&mut out, o);
            for line in o.diff.lines() {
                let code = if line.starts_with("+++") || line.starts_with("---") {
                    "1"
                } else if line.starts_with('+') {
                    "32"
                } else if line.starts_with('-') {
                    "31"
                } else if line.starts_with("@@") {
                    "36"
                } else {
                    ""
                };
                if code.is_empty() {
                    out.push_str(line);
                } else {
                    out.push_str(&paint(color, code, line));
                }
                out.push('\n');
            }
        }
        self.push_blocks(&mut out, color);
        out
    }

    /// One line per object not unchanged (`<action> <id>` with `+N -M` lines, the
    /// immutable fields or the refusal), then the same blocks and summary as text.
    pub fn render_summary(&self, color: bool) -> String {
        let mut out = String::new();
        let width = self
            .listed()
            .map(|o| o.action.as_str().len())
            .max()
            .unwrap_or(0);
        for o in self.listed() {
            let mut line = format!("{:width$} {}", o.action.as_str(), o.id());
            let (plus, minus) = counts(&o.diff);
            match o.action {
                Action::ReplaceRequired => {
                    line.push_str(&format!(" (immutable: {})", o.immutable.join(", ")))
                }
                Action::Refused => {
                    line.push_str(&format!(": {}", o.message.as_deref().unwrap_or("")))
                }
                _ => line.push_str(&format!(" (+{plus} -{minus})")),
            }
            for d in &o.destructive {
                line.push_str(&format!(" [destructive {}]", d.code));
            }
            out.push_str(&paint(color, header_color(o.action), &line));
            out.push('\n');
        }
        self.push_blocks(&mut out, color);
        out
    }

    /// The destructive changes, preflight findings, notes and the summary line: what
    /// follows the diffs (printed after an external differ's output).
    pub fn render_footer(&self, color: bool) -> String {
        let mut out = String::new();
        self.push_blocks(&mut out, color);
        out
    }

    /// Objects shown: not unchanged, not suppressed.
    fn listed(&self) -> impl Iterator<Item = &ObjectDiff> {
        self.objects
            .iter()
            .filter(|o| !o.suppressed && o.action != Action::Unchanged)
    }

    /// Destructive changes, preflight findings, notes and the summary line.
    fn push_blocks(&self, out: &mut String, color: bool) {
        let destructive: Vec<&ObjectDiff> = self
            .objects
            .iter()
            .filter(|o| !o.destructive.is_empty())
            .collect();
        if !destructive.is_empty() {
            out.push_str(&paint(color, "1;31", "destructive changes:"));
            out.push('\n');
            for o in destructive {
                for d in &o.destructive {
                    out.push_str(&format!(
                        "  [{}] {} {}: {}\n    what to do: {}\n    runbook: {}\n",
                        d.code,
                        o.action.as_str(),
                        o.id(),
                        d.why,
                        d.what_to_do,
                        d.runbook
                    ));
                }
            }
        }
        if !self.preflight.is_empty() {
            let errors = self.preflight.iter().filter(|d| d.is_error()).count();
            let warnings = self
                .preflight
                .iter()
                .filter(|d| d.severity == Severity::Warning)
                .count();
            out.push_str(&paint(
                color,
                "1",
                &format!("preflight: {errors} error(s), {warnings} warning(s)"),
            ));
            out.push('\n');
            out.push_str(&diag::render_text(&self.preflight));
        }
        if !self.notes.is_empty() {
            out.push_str("notes:\n");
            for n in &self.notes {
                out.push_str(&format!("  - {n}\n"));
            }
        }
        let s = self.summary();
        let mut line = format!(
            "{} to create, {} to change, {} to prune, ",
            s.create, s.change, s.prune
        );
        if s.replace_required > 0 {
            line.push_str(&format!("{} to replace, ", s.replace_required));
        }
        if s.refused > 0 {
            line.push_str(&format!("{} refused, ", s.refused));
        }
        line.push_str(&format!("{} unchanged", s.unchanged));
        if s.suppressed > 0 {
            line.push_str(&format!(", {} suppressed", s.suppressed));
        }
        if s.destructive > 0 {
            line.push_str(&format!("; {} destructive", s.destructive));
        }
        out.push_str(&line);
        out.push('\n');
    }

    /// A stable JSON document, ending with a newline:
    /// `{"objects": [{action, apiVersion, kind, namespace, name, diff, immutable,
    /// message, remedy, destructive: [{code, why, whatToDo, runbook}], notes,
    /// suppressed}], "preflight": [diagnostics], "notes": [...], "summary": {create,
    /// change, prune, replaceRequired, refused, unchanged, suppressed, destructive}}`.
    pub fn render_json(&self) -> String {
        let s = self.summary();
        let doc = json!({
            "objects": self.objects.iter().map(|o| json!({
                "action": o.action.as_str(),
                "apiVersion": o.api_version,
                "kind": o.kind,
                "namespace": o.namespace,
                "name": o.name,
                "diff": o.diff,
                "immutable": o.immutable,
                "message": o.message,
                "remedy": o.remedy,
                "destructive": o.destructive.iter().map(|d| json!({
                    "code": d.code,
                    "why": d.why,
                    "whatToDo": d.what_to_do,
                    "runbook": d.runbook,
                })).collect::<Vec<_>>(),
                "notes": o.notes,
                "suppressed": o.suppressed,
            })).collect::<Vec<_>>(),
            "preflight": self.preflight,
            "notes": self.notes,
            "summary": {
                "create": s.create,
                "change": s.change,
                "prune": s.prune,
                "replaceRequired": s.replace_required,
                "refused": s.refused,
                "unchanged": s.unchanged,
                "suppressed": s.suppressed,
                "destructive": s.destructive,
            },
        });
        let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
        text.push('\n');
        text
    }
}

fn paint(color: bool, code: &str, text: &str) -> String {
    if color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

fn header_color(action: Action) -> &'static str {
    match action {
        Action::Create => "1;32",
        Action::Change => "1;33",
        Action::ReplaceRequired => "1;35",
        _ => "1;31",
    }
}

fn header(o: &ObjectDiff) -> String {
    format!("{} {}", o.action.as_str(), o.id())
}

/// The lines under a header: the server's message, immutable fields, what to do.
fn push_details(out: &mut String, o: &ObjectDiff) {
    if let Some(m) = &o.message {
        out.push_str(&format!("  server: {m}\n"));
    }
    if !o.immutable.is_empty() {
        out.push_str(&format!("  immutable: {}\n", o.immutable.join(", ")));
    }
    if let Some(r) = &o.remedy {
        out.push_str(&format!("  to do: {r}\n"));
    }
    for n in &o.notes {
        out.push_str(&format!("  note: {n}\n"));
    }
}

/// Lines added and removed in a unified diff.
fn counts(diff: &str) -> (usize, usize) {
    let mut plus = 0;
    let mut minus = 0;
    for line in diff.lines() {
        if line.starts_with("+++") || line.starts_with("---") {
            continue;
        }
        if line.starts_with('+') {
            plus += 1;
        } else if line.starts_with('-') {
            minus += 1;
        }
    }
    (plus, minus)
}
