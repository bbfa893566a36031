//! The import report: what was found, what import changed and why, and the round trip
//! object by object. Plain data, rendered as text in one place.
//!
//! Invariant: no Secret value and no literal password is ever in a report: values on
//! password-like paths are shown as `<redacted>` unless they are references.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::notes::{Note, NoteKind};
use crate::diag::Code;

/// How one difference between a source object and its rendered object is classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Class {
    /// rkv changes it on purpose; `reason` (and `code`, for a finding) says why.
    Deliberate,
    /// The source sets it and rkv cannot express it: adopting rkv loses it.
    Lost,
}

/// One field that differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// Field path inside the object (`spec.template.spec.containers[redis].image`).
    pub path: String,
    /// The source's value (`None`: the source does not set it).
    pub source: Option<String>,
    /// The rendered value (`None`: rkv does not render it).
    pub rendered: Option<String>,
    pub class: Class,
    pub reason: String,
    /// The finding that explains it, when one does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<Code>,
    /// Kubernetes refuses to change this field in place: the object must be recreated.
    pub recreate: bool,
}

/// What became of one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Rendered under the same kind and name.
    Compared,
    /// Rendered under another name (or kind): the old object must be deleted.
    Renamed,
    /// Not rendered; its content lives on in other objects (`reason` says where).
    Replaced,
    /// Not rendered and not expressible: adopting rkv loses it.
    Lost,
    /// Rendered by rkv with no source counterpart.
    Added,
}

/// One object of the round trip.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectReport {
    /// The source object (`Kind/namespace/name` and where it was read).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The rendered object (`Kind/namespace/name`, or the file for Helm values).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rendered: Option<String>,
    pub outcome: Outcome,
    /// Fields equal on both sides.
    pub identical: usize,
    /// Fields only the rendered object has, counted by the reason rkv adds them.
    pub added: BTreeMap<String, usize>,
    /// Fields the source sets that differ or are gone.
    pub differences: Vec<Difference>,
    /// Why the object as a whole is renamed, replaced, lost or added.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<Code>,
}

impl ObjectReport {
    /// Fields (or, for a lost object, the object) adopting rkv would lose.
    pub fn lost(&self) -> usize {
        if self.outcome == Outcome::Lost {
            return 1;
        }
        self.differences
            .iter()
            .filter(|d| d.class == Class::Lost)
            .count()
    }
    fn changed(&self) -> usize {
        self.differences
            .iter()
            .filter(|d| d.class == Class::Deliberate)
            .count()
    }
}

/// A spec value import changed because rkv's checks refuse the source's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fix {
    pub code: Code,
    /// Dotted spec field.
    pub field: String,
    /// The finding's message.
    pub message: String,
    /// What import did (`dropped: rkv's budget applies`).
    pub change: String,
}

/// A finding of rkv's checks on the imported spec (warnings: errors were fixed or stop the import).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub code: Code,
    pub severity: String,
    pub field: String,
    pub message: String,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// What was found (`StatefulSet/cordum/cordum-redis: Redis Cluster, 6 pods ...`).
    pub found: String,
    /// What was read (`12 objects from ...`).
    pub read: String,
    pub fixes: Vec<Fix>,
    pub findings: Vec<Finding>,
    pub notes: Vec<Note>,
    pub objects: Vec<ObjectReport>,
}

impl Report {
    /// Everything adopting rkv would lose: fields, and objects as one each.
    pub fn lost(&self) -> usize {
        self.objects.iter().map(ObjectReport::lost).sum()
    }

    /// The report for a terminal.
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "rkv import: {}", self.found);
        let _ = writeln!(out, "read {}", self.read);
        if !self.fixes.is_empty() {
            let _ = writeln!(
                out,
                "\nChanged on purpose, because rkv's checks refuse the source's value:"
            );
            for f in &self.fixes {
                let _ = writeln!(out, "  {} {}: {}", f.code, f.field, f.message);
                let _ = writeln!(out, "      -> {}", f.change);
            }
        }
        if !self.findings.is_empty() {
            let _ = writeln!(out, "\nrkv's checks on the imported spec:");
            for f in &self.findings {
                let _ = writeln!(
                    out,
                    "  {}[{}] {}: {}",
                    f.severity, f.code, f.field, f.message
                );
            }
        }
        let review: Vec<&Note> = self
            .notes
            .iter()
            .filter(|n| n.kind != NoteKind::Changed)
            .collect();
        if !review.is_empty() {
            let _ = writeln!(out, "\nTo review (each is also a comment in the spec):");
            for n in review {
                let _ = writeln!(
                    out,
                    "  {:<10} {}: {}",
                    n.kind.label(),
                    super::source::dotted(&n.pointer),
                    n.text
                );
            }
        }
        let _ = writeln!(out, "\nRound trip, source -> rendered:");
        for o in &self.objects {
            render_object(&mut out, o);
        }
        let count =
            |f: &dyn Fn(&ObjectReport) -> bool| self.objects.iter().filter(|o| f(o)).count();
        let sources = count(&|o| o.source.is_some());
        let identical = count(&|o| {
            o.source.is_some() && o.outcome == Outcome::Compared && o.differences.is_empty()
        });
        let with_lost = count(&|o| o.lost() > 0);
        let added = count(&|o| o.outcome == Outcome::Added);
        let lost = self.lost();
        let _ = writeln!(
            out,
            "\n{sources} source object(s): {identical} identical in every field they set, {} changed on purpose only, {with_lost} with something rkv cannot express; {added} object(s) added by rkv.",
            sources - identical - with_lost
        );
        if lost == 0 {
            let _ = writeln!(out, "Nothing is lost: every difference is explained above.");
        } else {
            let _ = writeln!(
                out,
                "{lost} field(s) or object(s) rkv cannot express (marked LOST above): adopting rkv drops them; `rkv import --check` fails."
            );
        }
        out
    }
}

fn render_object(out: &mut String, o: &ObjectReport) {
    let src = o.source.as_deref().unwrap_or("");
    let dst = o.rendered.as_deref().unwrap_or("");
    match o.outcome {
        Outcome::Added => {
            let _ = writeln!(out, "  + {dst}: added by rkv: {}", o.reason);
            return;
        }
        Outcome::Lost => {
            let _ = writeln!(out, "  - {src}: LOST: {}", o.reason);
            return;
        }
        Outcome::Replaced => {
            let code = o.code.map(|c| format!("{c}: ")).unwrap_or_default();
            let _ = writeln!(
                out,
                "  ~ {src}: not rendered, on purpose: {code}{}",
                o.reason
            );
            return;
        }
        Outcome::Compared | Outcome::Renamed => {}
    }
    let mark = if o.lost() > 0 {
        "!"
    } else if o.differences.is_empty() && o.outcome == Outcome::Compared {
        "="
    } else {
        "~"
    };
    let added: usize = o.added.values().sum();
    let head = if o.outcome == Outcome::Renamed {
        format!("{src} -> {dst} ({})", o.reason)
    } else {
        src.to_string()
    };
    let _ = writeln!(
        out,
        "  {mark} {head}: {} identical, {} changed on purpose, {} lost, {added} added by rkv",
        o.identical,
        o.changed(),
        o.lost()
    );
    let mut diffs: Vec<&super::report::Difference> = o.differences.iter().collect();
    diffs.sort_by(|a, b| (b.class, &a.path).cmp(&(a.class, &b.path)));
    for d in diffs {
        let what = match (&d.source, &d.rendered) {
            (Some(s), Some(r)) => format!("{s} -> {r}"),
            (Some(s), None) => format!("{s} -> (not rendered)"),
            (None, Some(r)) => format!("(unset) -> {r}"),
            (None, None) => String::new(),
        };
        let code = d.code.map(|c| format!("{c}: ")).unwrap_or_default();
        let tag = match d.class {
            Class::Lost => "LOST",
            Class::Deliberate => "changed",
        };
        let recreate = if d.recreate {
            " [immutable: delete the object (kubectl delete --cascade=orphan for a workload) before applying]"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "      {tag} {}: {what}: {code}{}{recreate}",
            d.path, d.reason
        );
    }
    for (reason, n) in &o.added {
        let _ = writeln!(out, "      added {n} field(s): {reason}");
    }
}

/// Whether a field path holds a credential (its literal value is never shown). Names of
/// Secrets and keys are references, and shown.
pub fn sensitive(path: &str) -> bool {
    let segs: Vec<String> = path
        .split(['.', '[', ']', '#', '='])
        .filter(|s| !s.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    let credential = |s: &str| {
        ["pass", "token", "masterauth", "credential", "secret"]
            .iter()
            .any(|w| s.contains(w))
    };
    let reference = |s: &str| {
        s.starts_with("existing")
            || ["name", "key", "ref", "path"]
                .iter()
                .any(|w| s.ends_with(w))
    };
    match segs.as_slice() {
        [.., prev, last] if last == "value" => credential(prev),
        // An ACL `user` line carries its password (`>secret`).
        [.., last] if last == "user" => true,
        [.., last] => credential(last) && !reference(last),
        [] => false,
    }
}

/// A value for the report: compact JSON for collections, the text for strings, and
/// `<redacted>` for a literal on a credential path (references like `$(VAR)` are shown).
pub fn show(path: &str, v: &serde_json::Value) -> String {
    let text = match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if sensitive(path)
        && super::redisconf::env_reference(&text).is_none()
        && !text.is_empty()
        && !v.is_object()
        && !v.is_array()
    {
        return "<redacted>".into();
    }
    let one: String = text
        .chars()
        .map(|c| if c == '\n' { ' ' } else { c })
        .collect();
    if one.chars().count() > 160 {
        let cut: String = one.chars().take(157).collect();
        format!("{cut}...")
    } else {
        one
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_redacted_references_shown() {
        let v = serde_json::Value::String("hunter2".into());
        assert_eq!(show("data.redis.conf#requirepass", &v), "<redacted>");
        assert_eq!(
            show("spec.containers[redis].env[REDIS_PASSWORD].value", &v),
            "<redacted>"
        );
        assert_eq!(show("auth.password", &v), "<redacted>");
        assert_eq!(
            show("spec.containers[redis].redis.conf.user", &v),
            "<redacted>"
        );
        assert_eq!(
            show("spec.containers[redis].redis.conf.masterauth", &v),
            "<redacted>"
        );
        // Secret names and keys are references, and shown.
        assert_eq!(show("spec.auth.secretPath", &v), "hunter2");
        assert_eq!(show("auth.existingSecret", &v), "hunter2");
        assert_eq!(show("env[P].valueFrom.secretKeyRef.name", &v), "hunter2");
        let r = serde_json::Value::String("$(REDIS_PASSWORD)".into());
        assert_eq!(show("redis.conf#requirepass", &r), "$(REDIS_PASSWORD)");
        assert_eq!(show("spec.replicas", &serde_json::json!(3)), "3");
    }
}
