//! Kubernetes' own limits on every name rkv derives, checked at the spec (RKV105, RKV106).
//!
//! In: a loaded spec and its resolved variants. Out: a finding at the spec field whose
//! value makes a name, a namespace or a label that the API server (or the controller or
//! operator that derives names from it) refuses, naming the longest offending name and
//! its limit. [`derived`] lists, for one variant, every name its objects get and the
//! names their controllers, operators and charts derive from those; [`check`] measures
//! each against its [`Limit`].
//!
//! Invariant: [`derived`] knows every object the emitters render: `tests/names.rs`
//! renders every profile and golden case, with each name stretched to the longest this
//! check accepts, and finds every rendered name in [`derived`] and within the limits
//! Kubernetes sets for its kind (derived there independently, from the rendered objects);
//! one character more is refused here.
//!
//! Where the limits come from (the sources are cited at each [`Limit`]):
//! apimachinery's `IsDNS1123Label`, `IsDNS1123Subdomain`, `IsDNS1035Label`,
//! `IsValidLabelValue` and `IsQualifiedName` (k8s.io/apimachinery/pkg/util/validation,
//! and <https://kubernetes.io/docs/concepts/overview/working-with-objects/names/>), the
//! per-kind name validators of pkg/apis/{core,apps,batch}/validation, the names the
//! StatefulSet, CronJob, Job and Deployment controllers derive, and the names the
//! Spotahome and OT-CONTAINER-KIT operators, Strimzi, cert-manager, Helm and the Bitnami
//! charts derive.

mod derived;
mod limits;

use std::collections::BTreeMap;

use derived::{COMMON_NAME_KIND, NAMESPACE_KIND};
pub use derived::{Derived, RKV, derived};
pub use limits::*;

use crate::diag::{Code, Diagnostic, codes};
use crate::spec::tree::escape;
use crate::spec::{Loaded, Resolved, Variant};

/// One name over its limit or against its format, found in a variant.
struct Violation<'a> {
    d: &'a Derived,
    variant: &'a Variant,
}

/// What one spec field does to the names it is part of, over every variant.
#[derive(Default)]
struct Field<'a> {
    /// The name furthest over its limit.
    long: Option<Violation<'a>>,
    /// The first name against its format.
    bad: Option<Violation<'a>>,
    /// The longest the field may be for every name to fit.
    room: Option<usize>,
}

/// Every finding about names, namespaces and labels, for all variants of the spec.
pub fn check(l: &Loaded, variants: &[&Resolved], out: &mut Vec<Diagnostic>) {
    let all: Vec<(Variant, Vec<Derived>)> = variants
        .iter()
        .map(|r| (r.variant.clone(), derived(&l.topology, r)))
        .collect();
    // Per spec field: the worst length violation, the first format violation, and the
    // room the field has under every name it is part of.
    let mut by_field: BTreeMap<&str, Field> = BTreeMap::new();
    for (variant, names) in &all {
        for d in names {
            let e = by_field.entry(d.pointer.as_str()).or_default();
            let room = d.room().unwrap_or(0);
            e.room = Some(e.room.map_or(room, |r| r.min(room)));
            let len = d.name.chars().count();
            if len > d.limit.max {
                let worse = match &e.long {
                    None => true,
                    Some(v) => {
                        let (vl, dl) =
                            (v.d.name.chars().count() - v.d.limit.max, len - d.limit.max);
                        dl > vl || (dl == vl && d.limit.max < v.d.limit.max)
                    }
                };
                if worse {
                    e.long = Some(Violation { d, variant });
                }
            }
            if e.bad.is_none() && !d.limit.format.accepts(&d.name) {
                e.bad = Some(Violation { d, variant });
            }
        }
    }
    for (pointer, f) in by_field {
        let field = crate::spec::load::dotted(pointer);
        if let Some(v) = f.long {
            let d = v.d;
            let help = match f.room {
                Some(k) if k >= 1 => format!(
                    "shorten `{field}` to at most {k} characters (it has {})",
                    d.value.chars().count()
                ),
                _ => format!(
                    "the rest of {} already takes more than {} characters: shorten the other fields it is made of",
                    describe(d),
                    d.limit.max
                ),
            };
            out.push(
                l.diag(
                    code(d),
                    pointer,
                    format!(
                        "{} would be `{}`{}, {} characters, more than the {} allowed: {}",
                        describe(d),
                        d.name,
                        of_variant(v.variant),
                        d.name.chars().count(),
                        d.limit.max,
                        d.limit.why
                    ),
                )
                .help(help),
            );
        }
        if let Some(v) = f.bad {
            let d = v.d;
            out.push(
                l.diag(
                    code(d),
                    pointer,
                    format!(
                        "{} would be `{}`{}, which is not {}",
                        describe(d),
                        d.name,
                        of_variant(v.variant),
                        d.limit.format.describe()
                    ),
                )
                .help(format!(
                    "change `{field}` so that {} is {}",
                    describe(d),
                    short(d.limit.format)
                )),
            );
        }
    }
    labels(l, variants, out);
}

/// RKV106 for label values, RKV105 for names.
fn code(d: &Derived) -> Code {
    if d.kind == "label value" {
        codes::RKV106
    } else {
        codes::RKV105
    }
}

fn short(f: Format) -> &'static str {
    match f {
        Format::Dns1123Label => "an RFC 1123 label",
        Format::Dns1123Subdomain => "an RFC 1123 subdomain",
        Format::Dns1035Label => "an RFC 1035 label (it must start with a letter)",
        Format::LabelValue => "a valid label value",
        Format::QualifiedName => "a valid label key",
        Format::Any => "accepted",
    }
}

/// `the StatefulSet`, `the Spotahome operator's StatefulSet`, `the namespace`.
fn describe(d: &Derived) -> String {
    match (d.kind, d.by) {
        (NAMESPACE_KIND, _) => "the namespace".to_string(),
        ("label value", _) => format!("the value of label `{}`", d.label),
        (COMMON_NAME_KIND, _) => format!("the {COMMON_NAME_KIND}"),
        (k, RKV) => format!("the {k}"),
        (k, by) => format!("the {by}'s {k}"),
    }
}

fn of_variant(v: &Variant) -> String {
    match v {
        Variant::Base => String::new(),
        Variant::Environment(e) => format!(" in environment `{e}`"),
        Variant::Site(s) => format!(" on site `{s}`"),
    }
}

/// The labels the spec writes itself: `metadata.labels` on every object and each client's
/// `podSelector` in the NetworkPolicies (RKV106).
fn labels(l: &Loaded, variants: &[&Resolved], out: &mut Vec<Diagnostic>) {
    let mut maps: Vec<(String, &BTreeMap<String, String>)> = Vec::new();
    if let Some(r) = variants.first() {
        maps.push(("/metadata/labels".to_string(), &r.labels));
    }
    for r in variants {
        for (i, c) in r.spec.clients.iter().enumerate() {
            maps.push((
                r.at("clients", &format!("/{i}/podSelector")),
                &c.pod_selector,
            ));
        }
    }
    let mut seen = Vec::new();
    for (at, map) in maps {
        for (k, v) in map {
            let p = format!("{at}/{}", escape(k));
            if seen.contains(&p) {
                continue;
            }
            seen.push(p.clone());
            let field = crate::spec::load::dotted(&p);
            if !LABEL_KEY.format.accepts(k) {
                let pos = l.tree.key_pos(&p);
                out.push(
                    Diagnostic::new(
                        codes::RKV106,
                        &l.source.file,
                        format!("`{k}` is not {}", Format::QualifiedName.describe()),
                    )
                    .at(&l.source.text, pos, &field)
                    .help("a label key is at most 63 characters (after an optional `prefix/`): `app`, `app.kubernetes.io/name`"),
                );
            }
            let len = v.chars().count();
            if len > LABEL_VALUE.max {
                out.push(
                    l.diag(
                        codes::RKV106,
                        &p,
                        format!("the value of label `{k}` is {len} characters, more than the 63 allowed: {}", LABEL_VALUE.why),
                    )
                    .help(format!("shorten `{field}` to at most 63 characters")),
                );
            } else if !LABEL_VALUE.format.accepts(v) {
                out.push(
                    l.diag(
                        codes::RKV106,
                        &p,
                        format!(
                            "the value `{v}` of label `{k}` is not {}",
                            Format::LabelValue.describe()
                        ),
                    )
                    .help(format!("change `{field}` to a valid label value")),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_follow_apimachinery() {
        use Format::*;
        for (f, ok, bad) in [
            (
                Dns1123Label,
                &["a", "0a", "a-0", "redis"][..],
                &["", "-a", "a-", "A", "a.b", "a_b"][..],
            ),
            (
                Dns1123Subdomain,
                &["a", "a.b", "0.a-1"],
                &["", ".a", "a.", "a..b", "A"],
            ),
            (Dns1035Label, &["a", "a-0", "redis"], &["0a", "", "a-", "A"]),
            (
                LabelValue,
                &["", "a", "A_b.c-9", "0"],
                &["-a", "a-", "a b", "a/b"],
            ),
            (
                QualifiedName,
                &["app", "app.kubernetes.io/name", "A_b"],
                &["", "/a", "a/", "a/b/c", "Ex.com/a"],
            ),
        ] {
            for s in ok {
                assert!(f.accepts(s), "{f:?} refuses {s:?}");
            }
            for s in bad {
                assert!(!f.accepts(s), "{f:?} accepts {s:?}");
            }
        }
        assert!(Format::QualifiedName.accepts(&"a".repeat(63)));
        assert!(!Format::QualifiedName.accepts(&"a".repeat(64)));
    }

    #[test]
    fn room_is_what_the_value_may_grow_to() {
        let d = Derived {
            kind: "StatefulSet",
            label: "",
            by: RKV,
            name: "kv-node".into(),
            limit: &STATEFULSET,
            pointer: "/metadata/name".into(),
            value: "kv".into(),
        };
        assert_eq!(d.room(), Some(47));
        let cn = Derived {
            name: "kv.kv.svc".into(),
            limit: &COMMON_NAME,
            ..d.clone()
        };
        assert_eq!(
            cn.room(),
            Some(57),
            "the namespace `kv` is not the name `kv`"
        );
        let full = Derived {
            name: format!("{}-x", "n".repeat(60)),
            value: "n".repeat(60),
            limit: &JOB,
            ..d
        };
        assert_eq!(full.room(), Some(61));
    }
}
