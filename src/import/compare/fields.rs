//! One pair of objects compared field by field: both flattened to leaves (list items
//! keyed by name, mount path, volume source, port number or container role), each
//! differing leaf classified by the rule table (deliberate, with its reason or finding
//! code, or lost), immutable fields flagged.
//!
//! In: the normalized source and rendered sides and the round trip's [`Input`]. Out: an
//! [`ObjectReport`] for the pair.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::{Input, Side};
use crate::diag::{Code, codes};
use crate::import::redisconf;
use crate::import::report::{Class, Difference, ObjectReport, Outcome, show};
use crate::import::rules::{self, Change, RULES, Seg, Why};

/// `spec.template.spec.containers[redis].image`.
pub fn display(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Seg::Item(k) => {
                s.push('[');
                s.push_str(k);
                s.push(']');
            }
        }
    }
    s
}

pub(super) fn compare_pair(s: &Side, r: &Side, input: &Input) -> ObjectReport {
    let mut a = BTreeMap::new();
    let mut b = BTreeMap::new();
    flatten(&s.value, &mut Vec::new(), &mut a);
    flatten(&r.value, &mut Vec::new(), &mut b);
    // The name is compared as the pairing (a rename), not as a field.
    for m in [&mut a, &mut b] {
        m.remove(&vec![Seg::Key("metadata".into()), Seg::Key("name".into())]);
    }
    let keys: BTreeSet<&Vec<Seg>> = a.keys().chain(b.keys()).collect();
    let mut report = ObjectReport {
        source: Some(s.id.clone()),
        rendered: Some(r.id.clone()),
        outcome: Outcome::Compared,
        identical: 0,
        added: BTreeMap::new(),
        differences: Vec::new(),
        reason: String::new(),
        code: None,
    };
    let kind = if r.kind.is_empty() {
        s.kind.as_str()
    } else {
        r.kind.as_str()
    };
    if s.kind != r.kind || name(&s.value) != name(&r.value) {
        report.outcome = Outcome::Renamed;
        report.reason = if s.kind == "PersistentVolumeClaim" {
            "rkv's name: a new, empty volume; move what the old one holds, then delete it".into()
        } else if s.kind != r.kind {
            format!(
                "rkv runs it as a {}: a new object; delete the old one after the rollout",
                r.kind
            )
        } else {
            "rkv's name: a new object; delete the old one after the rollout (`rkv diff` does not prune what rkv did not make)".into()
        };
    }
    for k in keys {
        let (x, y) = (
            a.get(k).cloned(),
            b.get(k).cloned().or_else(|| default_for(k)),
        );
        let x = x.or_else(|| {
            if b.contains_key(k) {
                default_for(k)
            } else {
                None
            }
        });
        let change = match (&x, &y) {
            (Some(x), Some(y)) if same(x, y) => {
                report.identical += 1;
                continue;
            }
            (Some(_), Some(_)) => Change::Changed,
            (Some(_), None) => Change::Removed,
            (None, Some(_)) => Change::Added,
            (None, None) => continue,
        };
        let path = display(k);
        let (class, reason, code) = classify(kind, k, change, input);
        if change == Change::Added && class == Class::Deliberate && code.is_none() {
            *report.added.entry(reason).or_default() += 1;
            continue;
        }
        report.differences.push(Difference {
            source: x.as_ref().map(|v| show(&path, v)),
            rendered: y.as_ref().map(|v| show(&path, v)),
            path,
            class,
            reason,
            code,
            recreate: rules::immutable(kind, k),
        });
    }
    report
}

fn name(v: &Value) -> &str {
    v.pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// Redis's default for a directive leaf (`...redis.conf.appendfsync`), so an absent
/// directive compares as the value Redis runs with.
fn default_for(path: &[Seg]) -> Option<Value> {
    let [.., Seg::Key(file), Seg::Key(directive)] = path else {
        return None;
    };
    match file.as_str() {
        "redis.conf" => {
            redisconf::default_of(directive).map(|d| json!(redisconf::canonical(directive, d)))
        }
        "sentinel.conf" => redisconf::SENTINEL_DEFAULTS
            .iter()
            .find(|(k, _)| k == directive)
            .map(|(_, v)| json!(v)),
        _ => None,
    }
}

fn classify(
    kind: &str,
    path: &[Seg],
    change: Change,
    input: &Input,
) -> (Class, String, Option<Code>) {
    if kind == "HelmValues"
        && input.sentinel_nodes
        && matches!(path.first(), Some(Seg::Key(k)) if k == "master")
    {
        return (Class::Deliberate, rules::INERT_MASTER.into(), None);
    }
    if kind == "HelmValues"
        && change == Change::Removed
        && let Some(known) = &input.chart_values
        && !has_key(known, path)
    {
        return (
            Class::Deliberate,
            "not a value of the chart (its values.yaml has no such key): it never took effect"
                .into(),
            None,
        );
    }
    for rule in RULES {
        if !(rule.kinds.is_empty() || rule.kinds.contains(&kind))
            || !rule.on.contains(&change)
            || !rules::matches(rule.path, path)
        {
            continue;
        }
        match rule.why {
            Why::Policy(p) => return (Class::Deliberate, p.to_string(), None),
            Why::Budget => {
                return match input.fixes.iter().find(|f| f.code == codes::RKV110) {
                    Some(f) => (
                        Class::Deliberate,
                        format!("{} ({})", f.message, f.change),
                        Some(f.code),
                    ),
                    None => (
                        Class::Deliberate,
                        format!(
                            "rkv's budget over these pods: {} (`rkv explain` shows the arithmetic)",
                            input.budget
                        ),
                        None,
                    ),
                };
            }
            Why::Fix(code) => {
                if let Some(f) = input.fixes.iter().find(|f| f.code == code) {
                    return (
                        Class::Deliberate,
                        format!("{} ({})", f.message, f.change),
                        Some(f.code),
                    );
                }
            }
        }
    }
    match change {
        Change::Added => (
            Class::Deliberate,
            "rkv's rendering of the shape".into(),
            None,
        ),
        Change::Changed => (
            Class::Lost,
            "the spec cannot express the source's value: rkv renders its own".into(),
            None,
        ),
        Change::Removed => (Class::Lost, "the spec cannot express it".into(), None),
    }
}

/// Whether the mapping keys of `path` exist in `v` (list items match any item).
fn has_key(v: &Value, path: &[Seg]) -> bool {
    match path.split_first() {
        None => true,
        Some((Seg::Key(k), rest)) => match v.get(k) {
            // An empty mapping in values.yaml takes any keys (`resources: {}`).
            Some(Value::Object(m)) if m.is_empty() => true,
            Some(inner) => has_key(inner, rest) || !inner.is_object(),
            None => false,
        },
        Some((Seg::Item(_), _)) => true,
    }
}

/// Equal in meaning: the same JSON, a number and its text, or two equal quantities.
fn same(a: &Value, b: &Value) -> bool {
    if a == b {
        return true;
    }
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    match (text(a), text(b)) {
        (Some(x), Some(y)) => x == y || quantity(&x).is_some_and(|q| quantity(&y) == Some(q)),
        _ => false,
    }
}

/// A Kubernetes quantity in thousandths (`1` = 1000, `500m` = 500, `1Gi` = 2^30 * 1000).
fn quantity(s: &str) -> Option<u128> {
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let (int, frac) = num.split_once('.').unwrap_or((num, ""));
    if int.is_empty() || frac.len() > 3 {
        return None;
    }
    let base: u128 = format!("{int}{frac:0<3}").parse().ok()?;
    let mult: u128 = match unit {
        "m" => return Some(base / 1000),
        "" => 1,
        "k" => 1000,
        "M" => 1_000_000,
        "G" => 1_000_000_000,
        "Ki" => 1 << 10,
        "Mi" => 1 << 20,
        "Gi" => 1 << 30,
        "Ti" => 1 << 40,
        _ => return None,
    };
    base.checked_mul(mult)
}

/// Every leaf of `v` under `path`: scalars, and lists of scalars as one value.
fn flatten(v: &Value, path: &mut Vec<Seg>, out: &mut BTreeMap<Vec<Seg>, Value>) {
    match v {
        Value::Object(m) => {
            for (k, inner) in m {
                path.push(Seg::Key(k.clone()));
                flatten(inner, path, out);
                path.pop();
            }
        }
        Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_object) => {
            let parent = match path.last() {
                Some(Seg::Key(k)) => k.clone(),
                _ => String::new(),
            };
            let keys: Vec<String> = items
                .iter()
                .enumerate()
                .map(|(i, item)| item_key(&parent, item).unwrap_or_else(|| i.to_string()))
                .collect();
            let mut keys = keys;
            if parent == "containers" {
                // One container besides Redis and the exporter is the workload's own,
                // whatever either side names it.
                let others: Vec<usize> = (0..keys.len())
                    .filter(|i| keys[*i] != "redis" && keys[*i] != "exporter")
                    .collect();
                if let [only] = others[..] {
                    keys[only] = "main".into();
                }
            }
            let unique: BTreeSet<&String> = keys.iter().collect();
            for (i, item) in items.iter().enumerate() {
                let key = if unique.len() == keys.len() {
                    keys[i].clone()
                } else {
                    i.to_string()
                };
                path.push(Seg::Item(key));
                let mut item = item.clone();
                if parent == "volumes"
                    && let Some(m) = item.as_object_mut()
                {
                    // Volumes are matched by what they mount; their names by the mounts.
                    m.shift_remove("name");
                }
                flatten(&item, path, out);
                path.pop();
            }
        }
        Value::Array(items) if items.is_empty() => {}
        Value::Null => {}
        leaf => {
            out.insert(path.clone(), leaf.clone());
        }
    }
}

/// How the items of a list are matched across the two sides.
fn item_key(parent: &str, item: &Value) -> Option<String> {
    let s = |p: &str| item.pointer(p).and_then(Value::as_str).map(str::to_string);
    match parent {
        "volumes" => {
            if let Some(n) = s("/secret/secretName") {
                return Some(format!("secret:{n}"));
            }
            if let Some(n) = s("/configMap/name") {
                return Some(format!("configMap:{n}"));
            }
            if let Some(n) = s("/persistentVolumeClaim/claimName") {
                return Some(format!("persistentVolumeClaim:{n}"));
            }
            if item.get("emptyDir").is_some() {
                return s("/name").map(|n| format!("emptyDir:{n}"));
            }
            s("/name")
        }
        "volumeMounts" => s("/mountPath"),
        "volumeClaimTemplates" => s("/metadata/name"),
        // Ports by number: a port named differently is the same port.
        "ports" => item
            .get("containerPort")
            .or_else(|| item.get("port"))
            .map(|p| p.to_string())
            .or_else(|| s("/name")),
        // The Redis container and the exporter by what they run, whatever their names.
        "containers" => {
            let c: k8s_openapi::api::core::v1::Container =
                serde_json::from_value(item.clone()).ok()?;
            if crate::import::pod::is_exporter(&c) {
                Some("exporter".into())
            } else if crate::import::pod::redis_invocation(&c, &|_| None)
                .is_some_and(|i| !i.sentinel)
                // A container normalized from its invocation (a start script's too).
                || item.get("redis.conf").is_some()
            {
                Some("redis".into())
            } else {
                s("/name")
            }
        }
        _ => s("/name"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_compare_by_value() {
        assert!(same(&json!("1000m"), &json!("1")));
        assert!(same(&json!("1Gi"), &json!("1024Mi")));
        assert!(same(&json!(2), &json!("2")));
        assert!(!same(&json!("1Gi"), &json!("1G")));
        assert!(!same(&json!("500m"), &json!("5")));
    }

    #[test]
    fn lists_match_by_name_and_mount() {
        let v = json!({"containers": [{"name": "b", "image": "x"}, {"name": "a", "image": "y"}],
                       "volumes": [{"name": "v1", "secret": {"secretName": "s"}}]});
        let mut out = BTreeMap::new();
        flatten(&v, &mut Vec::new(), &mut out);
        let paths: Vec<String> = out.keys().map(|k| display(k)).collect();
        assert_eq!(
            paths,
            [
                "containers[a].image",
                "containers[a].name",
                "containers[b].image",
                "containers[b].name",
                "volumes[secret:s].secret.secretName"
            ]
        );
    }
}
