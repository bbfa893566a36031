//! What the cluster lacks that the rendered objects need: a namespace that is neither
//! there nor rendered (RKV203), a Secret (RKV200) or a key of one (RKV201), a
//! StorageClass a claim names or a default one (RKV202); RKV207 where the diff's
//! credentials may not look.
//!
//! In: the [`Refs`] and the [`Facts`] fetched about them. Out: findings, one per missing
//! thing (a Secret used by several objects is reported once, naming them all).

use std::collections::BTreeSet;

use super::{Facts, Lookup, Refs, denied};
use crate::diag::{Diagnostic, codes};
use crate::diff::Applier;

/// RKV203: namespaces objects go into that do not exist.
pub(super) fn namespaces(
    refs: &Refs,
    facts: &Facts,
    applier: Option<Applier>,
    out: &mut Vec<Diagnostic>,
) {
    for (ns, users) in &refs.namespaces {
        let from = format!("Namespace/{ns}");
        match facts.namespaces.get(ns) {
            Some(Lookup::Missing) => {
                let help = match applier {
                    Some(Applier::ArgoCd) => {
                        "create it, or set the Application's sync option `CreateNamespace=true`"
                            .to_string()
                    }
                    _ => format!(
                        "create it before the rollout (`kubectl create namespace {ns}`), or have the applier create it"
                    ),
                };
                out.push(
                    Diagnostic::new(
                        codes::RKV203,
                        &from,
                        format!(
                            "namespace `{ns}` does not exist and is not rendered; {} object(s) go into it",
                            users.len()
                        ),
                    )
                    .help(help),
                );
            }
            Some(Lookup::Denied(m)) => out.push(denied(format!("namespace `{ns}`"), &from, m)),
            _ => {}
        }
    }
}

/// RKV200 and RKV201: Secrets that do not exist, keys they do not have.
pub(super) fn secrets(refs: &Refs, facts: &Facts, out: &mut Vec<Diagnostic>) {
    let mut reported: BTreeSet<(String, String)> = BTreeSet::new();
    for r in &refs.secrets {
        let id = (r.namespace.clone(), r.name.clone());
        match facts.secrets.get(&id) {
            Some(Lookup::Missing) if reported.insert(id.clone()) => {
                let users: BTreeSet<&str> = refs
                    .secrets
                    .iter()
                    .filter(|s| s.namespace == r.namespace && s.name == r.name)
                    .map(|s| s.from.as_str())
                    .collect();
                let keys: BTreeSet<&str> = refs
                    .secrets
                    .iter()
                    .filter(|s| s.namespace == r.namespace && s.name == r.name)
                    .filter_map(|s| s.key.as_deref())
                    .collect();
                let literal: Vec<String> = keys
                    .iter()
                    .map(|k| format!("--from-literal={k}=..."))
                    .collect();
                let mut d = Diagnostic::new(
                    codes::RKV200,
                    &r.from,
                    format!(
                        "Secret `{}` does not exist in namespace `{}` and nothing rendered creates it; used by {}",
                        r.name,
                        r.namespace,
                        users.into_iter().collect::<Vec<_>>().join(", ")
                    ),
                )
                .help(format!(
                    "create it before the rollout (rkv renders references, never secret values): `kubectl -n {} create secret generic {} {}`",
                    r.namespace,
                    r.name,
                    literal.join(" ")
                ));
                d.path = r.path.clone();
                out.push(d);
            }
            Some(Lookup::Found(keys)) => {
                if let Some(k) = &r.key
                    && !keys.contains(k)
                    && reported.insert((r.namespace.clone(), format!("{}\0{k}", r.name)))
                {
                    let mut d = Diagnostic::new(
                        codes::RKV201,
                        &r.from,
                        format!(
                            "Secret `{}` in namespace `{}` has no key `{k}`",
                            r.name, r.namespace
                        ),
                    )
                    .help(if keys.is_empty() {
                        "it has no keys at all: add the key to the Secret".to_string()
                    } else {
                        format!(
                            "its keys are {}: add `{k}` to it, or point the spec at one of them",
                            keys.iter()
                                .map(|k| format!("`{k}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    });
                    d.path = r.path.clone();
                    out.push(d);
                }
            }
            Some(Lookup::Denied(m)) if reported.insert(id.clone()) => out.push(denied(
                format!("Secret `{}` in namespace `{}`", r.name, r.namespace),
                &r.from,
                m,
            )),
            _ => {}
        }
    }
}

/// RKV202: StorageClasses that do not exist, and claims without a class where no
/// StorageClass is the default.
pub(super) fn storage_classes(refs: &Refs, facts: &Facts, out: &mut Vec<Diagnostic>) {
    match &facts.storage_classes {
        Some(Lookup::Found((names, defaults))) => {
            let mut seen = BTreeSet::new();
            for c in &refs.claims {
                match &c.class {
                    Some(class)
                        if !class.is_empty()
                            && !names.contains(class)
                            && seen.insert(class.clone()) =>
                    {
                        let mut d = Diagnostic::new(
                            codes::RKV202,
                            &c.from,
                            format!(
                                "StorageClass `{class}` does not exist: the claim stays Pending"
                            ),
                        )
                        .help(if names.is_empty() {
                            "the cluster has no StorageClass at all".to_string()
                        } else {
                            format!(
                                "the cluster has {}: set `persistence.storageClass` to one of them",
                                names
                                    .iter()
                                    .map(|n| format!("`{n}`"))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )
                        });
                        d.path = c.path.clone();
                        out.push(d);
                    }
                    None if defaults.is_empty() && seen.insert(String::new()) => {
                        let mut d = Diagnostic::new(
                            codes::RKV202,
                            &c.from,
                            "the claim names no StorageClass and the cluster has no default one: it stays Pending",
                        )
                        .help("set `persistence.storageClass`, or mark a StorageClass `storageclass.kubernetes.io/is-default-class: \"true\"`");
                        d.path = c.path.clone();
                        out.push(d);
                    }
                    _ => {}
                }
            }
        }
        Some(Lookup::Denied(m)) if !refs.claims.is_empty() => {
            out.push(denied("StorageClasses".into(), &refs.claims[0].from, m))
        }
        _ => {}
    }
}
