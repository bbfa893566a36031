//! Acceptances: findings the spec accepts with a written reason (RKV190, RKV191).
//!
//! In: the loaded spec (its `spec.accept` list), its resolved variants (each one's
//! `exposure.acceptInsecure`, the older way to accept RKV103) and every finding of the
//! checks. Out: the same findings, those an acceptance matches marked accepted with its
//! reason; RKV190 for an acceptance that cannot be honoured (a code that is not a spec
//! finding, a reason shorter than a sentence, or an error that means the deployment
//! cannot work); RKV191 for one that matches no finding (stale).
//!
//! Invariants: an acceptance never hides a finding (the finding is still reported, as
//! accepted); only warnings, notes and the policy errors of [`WAIVABLE_ERRORS`] can be
//! accepted (an accepted policy error reads as a warning); acceptances are matched in the
//! order written, `acceptInsecure` first, and a finding takes the first that matches.

use crate::diag::codes::{self, Code};
use crate::diag::{Accepted, Diagnostic, Severity};
use crate::spec::load::dotted;
use crate::spec::{Loaded, Resolved};

/// Errors that are policy, not breakage: the deployment works as written, and the
/// spec may accept the risk with a reason (an exposed Redis without auth or TLS, which
/// `exposure.acceptInsecure` has always accepted).
pub const WAIVABLE_ERRORS: &[Code] = &[codes::RKV103];

/// The fewest words and characters a reason must have: a sentence, not a token.
const MIN_WORDS: usize = 4;
const MIN_CHARS: usize = 20;

/// One acceptance, from `spec.accept` or an `acceptInsecure`.
struct Waiver {
    code: Code,
    /// Only findings at this dotted field or under it.
    field: Option<String>,
    reason: String,
    /// How reports name it: `spec.accept[0]`, `spec.exposure.acceptInsecure`.
    by: String,
    /// Its JSON pointer, where RKV190 and RKV191 point.
    pointer: String,
    line: usize,
    column: usize,
    used: bool,
    refused: bool,
}

impl Waiver {
    fn matches(&self, d: &Diagnostic) -> bool {
        d.code == self.code
            && self.field.as_deref().is_none_or(|f| {
                d.path == f
                    || d.path
                        .strip_prefix(f)
                        .is_some_and(|rest| rest.starts_with(['.', '[']))
            })
    }
}

/// Why `code` cannot be accepted in a spec, when it cannot.
fn not_acceptable(code: Code) -> Option<&'static str> {
    let n: u32 = code.as_str().get(3..).and_then(|n| n.parse().ok())?;
    match n {
        0..=99 => Some("the loader's findings stop before acceptances are read"),
        130..=139 => Some("`validate --crds` reports it about rendered objects, not the spec"),
        190..=199 => Some("a finding about acceptances cannot itself be accepted"),
        200.. => Some("`rkv diff` reports it about the live cluster, not the spec"),
        _ => None,
    }
}

/// Whether `reason` is at least a sentence.
fn is_sentence(reason: &str) -> bool {
    reason.split_whitespace().count() >= MIN_WORDS && reason.trim().chars().count() >= MIN_CHARS
}

/// Mark the findings `out` holds that the spec accepts, and add what is wrong with the
/// acceptances themselves.
pub fn apply(l: &Loaded, variants: &[&Resolved], out: &mut Vec<Diagnostic>) {
    let mut waivers = Vec::new();
    let mut problems = Vec::new();
    for r in variants {
        let Some(reason) = r
            .spec
            .exposure
            .as_ref()
            .and_then(|e| e.accept_insecure.as_ref())
        else {
            continue;
        };
        let pointer = r.at("exposure", "/acceptInsecure");
        if waivers.iter().any(|w: &Waiver| w.pointer == pointer) {
            continue;
        }
        let pos = l.tree.pos(&pointer);
        waivers.push(Waiver {
            code: codes::RKV103,
            field: Some(dotted(&r.origin("exposure"))),
            reason: reason.clone(),
            by: dotted(&pointer),
            pointer,
            line: pos.line,
            column: pos.column,
            used: false,
            refused: false,
        });
    }
    for (i, a) in l.topology.spec.accept.iter().enumerate() {
        let pointer = format!("/spec/accept/{i}");
        let Some(code) = Code::parse(&a.code).filter(|c| c.as_str() == a.code) else {
            problems.push(
                l.diag(codes::RKV190, &format!("{pointer}/code"), format!("`{}` is not a finding code rkv reports", a.code))
                    .help("name a code as findings print it (`RKV124`); `rkv explain --code RKVnnn` describes one"),
            );
            continue;
        };
        if let Some(why) = not_acceptable(code) {
            problems.push(
                l.diag(codes::RKV190, &format!("{pointer}/code"), format!("`{code}` cannot be accepted in a spec: {why}"))
                    .help("accept only the findings of the spec's checks (RKV100-RKV199, except RKV13x and RKV19x)"),
            );
            continue;
        }
        if !is_sentence(&a.reason) {
            problems.push(
                l.diag(codes::RKV190, &format!("{pointer}/reason"), format!("the reason for accepting `{code}` is not a sentence"))
                    .help(format!("say why the risk is acceptable here, in at least {MIN_WORDS} words and {MIN_CHARS} characters: it is printed with the finding and kept in the runbook")),
            );
            continue;
        }
        let pos = l.tree.pos(&format!("{pointer}/code"));
        waivers.push(Waiver {
            code,
            field: a.field.clone(),
            reason: a.reason.trim().to_string(),
            by: format!("spec.accept[{i}]"),
            pointer,
            line: pos.line,
            column: pos.column,
            used: false,
            refused: false,
        });
    }
    for d in out.iter_mut() {
        let Some(w) = waivers.iter_mut().find(|w| w.matches(d)) else {
            continue;
        };
        w.used = true;
        if d.is_error() && !WAIVABLE_ERRORS.contains(&d.code) {
            if !w.refused {
                w.refused = true;
                problems.push(
                    l.diag(codes::RKV190, &w.pointer, format!("`{}` cannot be accepted here: the finding it matches (line {}, `{}`) is an error, so the deployment cannot work as written", d.code, d.line, d.path))
                        .help(format!("fix the finding at `{}` instead; only warnings, notes and policy errors ({}) can be accepted", d.path, WAIVABLE_ERRORS.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", "))),
                );
            }
            continue;
        }
        if d.is_error() {
            // A policy error the spec accepts no longer stops the render.
            d.severity = Severity::Warning;
        }
        d.accepted = Some(Accepted {
            reason: w.reason.clone(),
            by: w.by.clone(),
            line: w.line,
            column: w.column,
        });
    }
    for w in waivers.iter().filter(|w| !w.used) {
        let scope = match &w.field {
            Some(f) => format!(" at `{f}`"),
            None => String::new(),
        };
        problems.push(
            l.diag(codes::RKV191, &w.pointer, format!("`{}` accepts `{}`{scope}, but no such finding is reported", w.by, w.code))
                .help("remove the acceptance: what it accepted is gone (or its `field` names no finding's field), and a stale waiver would silently accept the next finding of that code"),
        );
    }
    out.extend(problems);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_is_a_sentence() {
        assert!(is_sentence("nodes in the lab share one rack anyway"));
        assert!(!is_sentence("ok"));
        assert!(!is_sentence("accepted by team"));
        assert!(!is_sentence("ok ok ok ok"));
        assert!(!is_sentence("a b c d"));
    }

    #[test]
    fn only_the_spec_checks_codes_are_acceptable() {
        assert_eq!(not_acceptable(codes::RKV124), None);
        assert_eq!(not_acceptable(codes::RKV103), None);
        assert!(not_acceptable(codes::RKV010).is_some());
        assert!(not_acceptable(codes::RKV130).is_some());
        assert!(not_acceptable(codes::RKV201).is_some());
    }

    #[test]
    fn a_field_matches_itself_and_what_is_under_it() {
        let w = Waiver {
            code: codes::RKV124,
            field: Some("spec.placement".into()),
            reason: String::new(),
            by: String::new(),
            pointer: String::new(),
            line: 0,
            column: 0,
            used: false,
            refused: false,
        };
        let at = |path: &str| {
            let mut d = Diagnostic::new(codes::RKV124, "f", "m");
            d.path = path.into();
            d
        };
        assert!(w.matches(&at("spec.placement")));
        assert!(w.matches(&at("spec.placement.zones")));
        assert!(w.matches(&at("spec.placement[0]")));
        assert!(!w.matches(&at("spec.placementx")));
        assert!(!w.matches(&at("spec.shape")));
        let mut other = at("spec.placement");
        other.code = codes::RKV123;
        assert!(!w.matches(&other));
    }
}
