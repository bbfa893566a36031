//! Fields that would change nothing are refused (RKV107): the table of effects
//! ([`crate::target::effects`]) applied to one resolved topology.
//!
//! In: a resolved topology and the targets it renders to. Out: one error per field the
//! table refuses for one of those targets (a section once, not each field inside it),
//! per field whose value the target cannot honour, and per field set without the value
//! it needs to take effect. Invariant: a spec that passes renders every field it sets;
//! nothing is accepted and silently dropped.

use serde_json::Value;

use crate::diag::Diagnostic;
use crate::diag::codes::{self, Code};
use crate::spec::{Loaded, Resolved, Variant};
use crate::target::effects::{self, Effect, KUSTOMIZE_ONLY, REQUIRES, TABLE, Target, Why};

/// The code of every refusal made here.
pub const CODE: Code = codes::RKV107;

/// Whether a value is set: `null`, `false` and an empty list or map are what leaving the
/// field out means.
fn is_set(v: &Value) -> bool {
    match v {
        Value::Null | Value::Bool(false) => false,
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        _ => true,
    }
}

/// `tls.clientSecret` -> (`tls`, `/clientSecret`): the section the override rules work on,
/// and the pointer inside it.
fn split(field: &str) -> (&str, String) {
    match field.split_once('.') {
        Some((section, rest)) => (section, format!("/{}", rest.replace('.', "/"))),
        None => (field, String::new()),
    }
}

fn refusal(l: &Loaded, pointer: &str, field: &str, t: Target, w: Why) -> Diagnostic {
    l.diag(
        CODE,
        pointer,
        format!("`{field}` has no effect for {}: {}", t.describe(), w.reason),
    )
    .help(w.help)
}

/// Every RKV107 finding of one variant.
pub fn check(l: &Loaded, r: &Resolved, out: &mut Vec<Diagnostic>) {
    let targets = Target::of(&r.spec.shape, r.spec.outputs.as_ref());
    let Ok(spec) = serde_json::to_value(&r.spec) else {
        return;
    };
    let mut refused: Vec<&str> = Vec::new();
    for row in TABLE {
        if row.field == "metadata" || row.field.contains('*') {
            continue;
        }
        if refused.iter().any(|f| {
            row.field
                .strip_prefix(f)
                .is_some_and(|rest| rest.starts_with('.'))
        }) {
            continue;
        }
        let (section, rest) = split(row.field);
        let Some(value) = spec.pointer(&format!("/{section}{rest}")) else {
            continue;
        };
        let pointer = r.at(section, &rest);
        for t in &targets {
            if KUSTOMIZE_ONLY.contains(&row.field) && targets.len() > 1 {
                continue;
            }
            let finding = match row.effect(*t) {
                Effect::Refused(w) if is_set(value) => Some(w),
                Effect::Only(pinned, w) if !value.is_null() && !pinned.matches(value) => Some(w),
                _ => None,
            };
            if let Some(w) = finding {
                out.push(refusal(l, &pointer, row.field, *t, w));
                refused.push(row.field);
                break;
            }
        }
    }
    argocd(l, r, &targets, out);
    for req in REQUIRES {
        let (section, rest) = split(req.field);
        let set = spec
            .pointer(&format!("/{section}{rest}"))
            .is_some_and(is_set);
        let live = targets.iter().all(|t| {
            matches!(
                effects::effect(req.field, *t),
                Effect::Renders | Effect::Checks
            )
        });
        if set && live && !(req.holds)(&spec) {
            out.push(
                l.diag(
                    CODE,
                    &r.at(section, &rest),
                    format!("`{}` has no effect without {}", req.field, req.needs),
                )
                .help(req.help),
            );
        }
    }
}

/// An environment's or site's `argocd`: its row is the variant's kind.
fn argocd(l: &Loaded, r: &Resolved, targets: &[Target], out: &mut Vec<Diagnostic>) {
    if r.argocd.is_none() {
        return;
    }
    let field = match r.variant {
        Variant::Base => return,
        Variant::Environment(_) => "environments.*.argocd",
        Variant::Site(_) => "sites.*.argocd",
    };
    // One Application per variant, beside the kustomize tree: refused only when no
    // target of the variant renders it.
    let refusals: Vec<(Target, Why)> = targets
        .iter()
        .filter_map(|t| match effects::effect(field, *t) {
            Effect::Refused(w) => Some((*t, w)),
            _ => None,
        })
        .collect();
    if let Some((t, w)) = refusals.first().filter(|_| refusals.len() == targets.len()) {
        out.push(refusal(l, &r.origin("argocd"), "argocd", *t, *w));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_means_left_out() {
        assert!(!is_set(&Value::Null));
        assert!(!is_set(&Value::Bool(false)));
        assert!(!is_set(&serde_json::json!([])));
        assert!(is_set(&serde_json::json!({"a": 1})));
        assert!(is_set(&Value::Bool(true)));
    }

    #[test]
    fn fields_split_into_section_and_pointer() {
        assert_eq!(split("tls"), ("tls", String::new()));
        assert_eq!(
            split("shape.replication.operatorNamespace"),
            ("shape", "/replication/operatorNamespace".to_string())
        );
    }
}
