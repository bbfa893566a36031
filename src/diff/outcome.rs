//! What a rollout does to one object: a fetched [`Pair`] normalized, its [`Action`], and
//! its unified diff.
//!
//! In: one [`Pair`] (live, rendered, the server's merged answer or refusal) and the
//! [`DiffOptions`]. Out: a [`Norm`] ([`normalize`]: both sides stripped of server
//! fields, the action, immutable fields and the server's message), which
//! [`super::destructive`] reads and annotates, then an [`ObjectDiff`] ([`object_diff`]:
//! a unified diff of the normalized YAML). Invariant: Secret values appear only as sizes
//! unless `show_secrets`.

use serde_json::Value;
use similar::TextDiff;

use super::normalize::{align, fold_string_data, is_secret, mask_secrets, project, strip};
use super::report::{Action, Destructive, ObjectDiff};
use super::{DiffError, DiffOptions, ObjKey, Pair, Refusal, immutable};

/// One object normalized, before it is printed: what [`super::destructive`] reads.
#[derive(Debug, Clone)]
pub(crate) struct Norm {
    pub key: ObjKey,
    pub api_version: String,
    pub action: Action,
    /// The live object, stripped (projected onto the rendered one without a server view).
    pub before: Option<Value>,
    /// The object after the rollout, stripped.
    pub after: Option<Value>,
    /// The rendered object, stripped.
    pub rendered: Option<Value>,
    pub immutable: Vec<String>,
    pub message: Option<String>,
    pub remedy: Option<String>,
    pub destructive: Vec<Destructive>,
    pub notes: Vec<String>,
}

/// The action and both sides of one pair.
pub(super) fn normalize(pair: Pair, opts: &DiffOptions) -> Norm {
    let Pair {
        key,
        api_version,
        rendered,
        live,
        merged,
        refusal,
        mut notes,
    } = pair;
    let rendered = rendered.map(strip);
    let live = live.map(strip);
    // Without the server's merged object, compare only the fields rkv renders.
    let projected = |live: &Option<Value>| match (live, &rendered) {
        (Some(l), Some(r)) => Some(project(l, r)),
        (l, _) => l.clone(),
    };
    let mut immutable = Vec::new();
    let mut message = None;
    let mut remedy = None;
    // Without a server answer (a dump, or a server that refuses dry runs), refusals an
    // immutable field would meet are predicted from rkv's table.
    let predict = refusal.is_none() && merged.is_none();
    let (mut before, mut after, mut action) = match (refusal, merged) {
        (Some(Refusal::ReplaceRequired { fields, message: m }), _) => {
            immutable = match (&live, &rendered) {
                (Some(l), Some(r)) => immutable::changed(&key, l, r),
                _ => Vec::new(),
            };
            if immutable.is_empty() {
                immutable = fields;
            }
            message = Some(m);
            remedy = Some(immutable::remedy(
                &key,
                rendered.as_ref(),
                &immutable,
                opts.applier,
            ));
            (projected(&live), rendered.clone(), Action::ReplaceRequired)
        }
        (Some(Refusal::Refused { code, message: m }), _) => {
            message = Some(format!("{code}: {m}"));
            (projected(&live), rendered.clone(), Action::Refused)
        }
        (None, Some(m)) => (live.clone(), Some(strip(m)), Action::Unchanged),
        (None, None) => (projected(&live), rendered.clone(), Action::Unchanged),
    };
    if action == Action::Unchanged {
        let secret = [&before, &after].into_iter().flatten().any(is_secret);
        if secret {
            for side in [&mut before, &mut after].into_iter().flatten() {
                fold_string_data(side);
            }
        }
        action = match (&before, &after) {
            (None, _) => Action::Create,
            (_, None) => Action::Prune,
            (Some(b), Some(a)) if b == a => Action::Unchanged,
            _ => Action::Change,
        };
        if action == Action::Change
            && predict
            && let (Some(l), Some(r)) = (&live, &rendered)
        {
            let fields = immutable::changed(&key, l, r);
            if !fields.is_empty() {
                message = Some(format!(
                    "predicted without a server dry run: {} cannot change after creation",
                    fields
                        .iter()
                        .map(|f| format!("`{f}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
                remedy = Some(immutable::remedy(
                    &key,
                    rendered.as_ref(),
                    &fields,
                    opts.applier,
                ));
                immutable = fields;
                action = Action::ReplaceRequired;
            }
        }
    }
    notes.sort();
    notes.dedup();
    Norm {
        key,
        api_version,
        action,
        before,
        after,
        rendered,
        immutable,
        message,
        remedy,
        destructive: Vec::new(),
        notes,
    }
}

pub(super) fn object_diff(n: Norm, opts: &DiffOptions) -> Result<ObjectDiff, DiffError> {
    let Norm {
        key,
        api_version,
        action,
        mut before,
        mut after,
        rendered,
        immutable,
        message,
        remedy,
        destructive,
        notes,
    } = n;
    let secret = [&before, &after].into_iter().flatten().any(is_secret);
    if secret {
        for side in [&mut before, &mut after].into_iter().flatten() {
            fold_string_data(side);
        }
        if !opts.show_secrets {
            mask_secrets(before.as_mut(), after.as_mut());
        }
    }
    if let Some(r) = &rendered {
        before = before.map(|b| align(&b, r));
        after = after.map(|a| align(&a, r));
    }
    let yaml = |v: &Option<Value>| -> Result<String, DiffError> {
        match v {
            Some(v) => crate::write::to_yaml(v).map_err(|source| DiffError::Print {
                object: key.to_string(),
                source: Box::new(source),
            }),
            None => Ok(String::new()),
        }
    };
    let before_text = yaml(&before)?;
    let after_text = yaml(&after)?;
    let diff = if action == Action::Unchanged || before_text == after_text {
        String::new()
    } else {
        unified(&before_text, &after_text, &key, opts.context_lines)
    };
    let suppressed = opts
        .suppress
        .iter()
        .any(|k| k.eq_ignore_ascii_case(&key.kind));
    Ok(ObjectDiff {
        action,
        api_version,
        kind: key.kind,
        namespace: key.namespace,
        name: key.name,
        before: before_text,
        after: after_text,
        diff,
        immutable,
        message,
        remedy,
        destructive,
        notes,
        suppressed,
    })
}

fn unified(before: &str, after: &str, key: &ObjKey, context: usize) -> String {
    let id = key.to_string();
    TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(context)
        .header(&format!("live {id}"), &format!("rendered {id}"))
        .missing_newline_hint(false)
        .to_string()
}
