//! From fetched pairs to a [`DiffReport`], and the report printed as text or JSON.
//!
//! In: one [`Pair`] per object, in any order. Out: objects sorted by kind, namespace,
//! name (then group), each with its action and a unified diff of normalized YAML.

use serde_json::{Value, json};
use similar::TextDiff;

use super::normalize::{align, fold_string_data, is_secret, mask_secrets, project, strip};
use super::{DiffError, DiffOptions, Format, ObjKey, Pair};

/// What a rollout does to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Action {
    /// Rendered, not in the cluster.
    Create,
    /// Rendered and live, different.
    Change,
    /// Live with rkv's labels for this topology, no longer rendered.
    Prune,
    /// Rendered and live, the same after normalization.
    Unchanged,
}

impl Action {
    /// `create`, `change`, `prune` or `unchanged`.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Change => "change",
            Action::Prune => "prune",
            Action::Unchanged => "unchanged",
        }
    }
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
    /// Unified diff (3 lines of context) from `before` to `after`; empty when unchanged.
    pub diff: String,
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

/// Counts per action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Summary {
    /// Objects to create.
    pub create: usize,
    /// Objects to change.
    pub change: usize,
    /// Objects to prune.
    pub prune: usize,
    /// Objects unchanged.
    pub unchanged: usize,
}

/// What `rkv diff` found, sorted by kind, namespace, name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DiffReport {
    /// Every rendered or pruned object, unchanged ones included.
    pub objects: Vec<ObjectDiff>,
}

impl DiffReport {
    /// Whether anything would be created, changed or pruned (exit code 1, as `kubectl diff`).
    pub fn has_changes(&self) -> bool {
        self.objects.iter().any(|o| o.action != Action::Unchanged)
    }

    /// Counts per action.
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for o in &self.objects {
            match o.action {
                Action::Create => s.create += 1,
                Action::Change => s.change += 1,
                Action::Prune => s.prune += 1,
                Action::Unchanged => s.unchanged += 1,
            }
        }
        s
    }

    /// The report in `opts.format`, coloured when `opts.color` (text only).
    pub fn render(&self, opts: &DiffOptions) -> String {
        match opts.format {
            Format::Text => self.render_text(opts.color),
            Format::Json => self.render_json(),
        }
    }

    /// Per changed object a header `create|change|prune <id>` and its unified diff, then
    /// the summary line.
    pub fn render_text(&self, color: bool) -> String {
        let paint = |code: &str, text: &str| {
            if color {
                format!("\x1b[{code}m{text}\x1b[0m")
            } else {
                text.to_string()
            }
        };
        let mut out = String::new();
        for o in self
            .objects
            .iter()
            .filter(|o| o.action != Action::Unchanged)
        {
            let header_color = match o.action {
                Action::Create => "1;32",
                Action::Change => "1;33",
                _ => "1;31",
            };
            out.push_str(&paint(
                header_color,
                &format!("{} {}", o.action.as_str(), o.id()),
            ));
            out.push('\n');
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
                    out.push_str(&paint(code, line));
                }
                out.push('\n');
            }
        }
        let s = self.summary();
        out.push_str(&format!(
            "{} to create, {} to change, {} to prune, {} unchanged\n",
            s.create, s.change, s.prune, s.unchanged
        ));
        out
    }

    /// A stable JSON document: `{"objects": [{action, apiVersion, kind, namespace, name,
    /// diff}], "summary": {create, change, prune, unchanged}}`, ending with a newline.
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
            })).collect::<Vec<_>>(),
            "summary": {
                "create": s.create,
                "change": s.change,
                "prune": s.prune,
                "unchanged": s.unchanged,
            },
        });
        let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
        text.push('\n');
        text
    }
}

/// Normalizes every pair, diffs it and sorts the result.
pub(crate) fn build(mut pairs: Vec<Pair>, show_secrets: bool) -> Result<DiffReport, DiffError> {
    pairs.sort_by(|a, b| a.key.cmp(&b.key));
    let objects = pairs
        .into_iter()
        .map(|p| object_diff(p, show_secrets))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(DiffReport { objects })
}

fn object_diff(pair: Pair, show_secrets: bool) -> Result<ObjectDiff, DiffError> {
    let Pair {
        key,
        api_version,
        rendered,
        live,
        merged,
    } = pair;
    let rendered = rendered.map(strip);
    let mut before = live.map(strip);
    let mut after = match merged {
        Some(m) => Some(strip(m)),
        None => {
            // No server-merged object: compare only the fields rkv renders.
            if let (Some(b), Some(r)) = (&before, &rendered) {
                before = Some(project(b, r));
            }
            rendered.clone()
        }
    };
    let secret = [&before, &after].into_iter().flatten().any(is_secret);
    if secret {
        for side in [&mut before, &mut after].into_iter().flatten() {
            fold_string_data(side);
        }
        if !show_secrets {
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
    let action = match (&before, &after) {
        (None, _) => Action::Create,
        (_, None) => Action::Prune,
        _ if before_text == after_text => Action::Unchanged,
        _ => Action::Change,
    };
    let diff = if action == Action::Unchanged {
        String::new()
    } else {
        unified(&before_text, &after_text, &key)
    };
    Ok(ObjectDiff {
        action,
        api_version,
        kind: key.kind,
        namespace: key.namespace,
        name: key.name,
        before: before_text,
        after: after_text,
        diff,
    })
}

fn unified(before: &str, after: &str, key: &ObjKey) -> String {
    let id = key.to_string();
    TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(3)
        .header(&format!("live {id}"), &format!("rendered {id}"))
        .missing_newline_hint(false)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key(kind: &str, name: &str) -> ObjKey {
        ObjKey {
            kind: kind.into(),
            namespace: "redis".into(),
            name: name.into(),
            group: String::new(),
        }
    }

    fn cm(name: &str, value: &str) -> Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": name, "namespace": "redis"},
               "data": {"k": value}})
    }

    #[test]
    fn change_create_prune_unchanged_sorted() {
        let pairs = vec![
            Pair {
                key: key("ConfigMap", "b"),
                api_version: "v1".into(),
                rendered: Some(cm("b", "new")),
                live: Some(cm("b", "old")),
                merged: None,
            },
            Pair {
                key: key("ConfigMap", "a"),
                api_version: "v1".into(),
                rendered: Some(cm("a", "x")),
                live: Some(cm("a", "x")),
                merged: None,
            },
            Pair {
                key: key("ConfigMap", "d"),
                api_version: "v1".into(),
                rendered: None,
                live: Some(cm("d", "x")),
                merged: None,
            },
            Pair {
                key: key("ConfigMap", "c"),
                api_version: "v1".into(),
                rendered: Some(cm("c", "x")),
                live: None,
                merged: None,
            },
        ];
        let report = build(pairs, false).unwrap();
        let actions: Vec<_> = report
            .objects
            .iter()
            .map(|o| (o.name.as_str(), o.action))
            .collect();
        assert_eq!(
            actions,
            [
                ("a", Action::Unchanged),
                ("b", Action::Change),
                ("c", Action::Create),
                ("d", Action::Prune)
            ]
        );
        let text = report.render_text(false);
        assert!(text.contains("change ConfigMap/redis/b\n"), "{text}");
        assert!(text.contains("-  k: old\n+  k: new\n"), "{text}");
        assert!(text.ends_with("1 to create, 1 to change, 1 to prune, 1 unchanged\n"));
        assert!(!text.contains('\x1b'));
        assert!(
            report
                .render_text(true)
                .contains("\x1b[31m-  k: old\x1b[0m")
        );
    }
}
