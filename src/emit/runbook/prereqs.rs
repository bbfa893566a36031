//! The runbook's "Before you apply": the Secrets the objects need and do not create
//! (one list with `rkv diff` and `rkv explain`: [`crate::bundle::secrets`]), who makes the
//! password Secret, and the keys the ExternalSecrets read from the secret store.
//!
//! In: one variant's plan, objects and inventory. Out: Markdown appended to the runbook.

use std::fmt::Write as _;

use super::code;
use crate::bundle::Object;
use crate::emit::inventory::Inventory;
use crate::plan::model::Plan;
use crate::spec::{SecretMaker, Shape};
use crate::target::strimzi;

/// The Secrets that must exist first, and who makes the password Secret.
pub(super) fn before_apply(out: &mut String, plan: &Plan, objects: &[Object], inv: &Inventory) {
    let _ = writeln!(out, "### Before you apply ({})\n", plan.variant.label());
    let s = &plan.spec;
    let strimzi_ca = match &s.shape {
        Shape::Failover(f) => f.wal.as_ref().map(|w| {
            (
                w.kafka.namespace.clone(),
                strimzi::cluster_ca_secret(&w.kafka.cluster),
                w.kafka.cluster.clone(),
            )
        }),
        _ => None,
    };
    if inv.prerequisites.is_empty() {
        let _ = writeln!(
            out,
            "No Secret needs to exist first: every Secret the objects read is created by this tree (ExternalSecrets, cert-manager Certificates, KafkaUsers) or by the chart.\n"
        );
    } else {
        let _ = writeln!(
            out,
            "These Secrets must exist before the objects are applied: rkv writes only references to them, and nothing in this tree creates them (`rkv diff` checks that they and their keys exist: RKV200, RKV201).\n\n| Secret | Namespace | Keys | Used by | Made by |\n|---|---|---|---|---|"
        );
        for p in &inv.prerequisites {
            let keys = if p.keys.is_empty() {
                "every key (mounted whole)".to_string()
            } else {
                p.keys
                    .iter()
                    .map(|k| code(k))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let maker = match &strimzi_ca {
                Some((ns, name, cluster)) if *ns == p.namespace && *name == p.name => {
                    format!("the Strimzi Cluster Operator, for Kafka `{cluster}`")
                }
                _ => "you (or your secret manager)".to_string(),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {keys} | {} | {maker} |",
                code(&p.name),
                code(&p.namespace),
                p.used_by.join(", ")
            );
        }
        let _ = writeln!(
            out,
            "\nCreate a Secret without the value in your shell history, for example `kubectl -n <namespace> create secret generic <name> --from-file=<key>=<file>`, or with your secret manager.\n"
        );
    }
    store_keys(out, objects);
    if let Some(a) = s
        .auth
        .as_ref()
        .filter(|a| a.created_by == SecretMaker::Chart)
    {
        let kept = if matches!(s.shape, Shape::Cluster(_)) {
            ""
        } else {
            "\nThe values give it `helm.sh/resource-policy: keep`: an uninstall leaves it, and so does a later switch to `createdBy: external` under the same name.\n"
        };
        let _ = writeln!(
            out,
            "The password Secret `{name}` (key `{key}`) is the chart's own (`auth.createdBy: chart`), so neither case needs it first:\n\n- a fresh install: the chart creates it with a random password;\n- a release that already runs without `auth.existingSecret` (seeds 002 and 003): the chart reads the password back from it on every upgrade and renders it unchanged, so the upgrade keeps the Secret and the password.\n{kept}",
            name = a.password_secret.name,
            key = a.password_secret.key,
        );
    }
}

/// What the ExternalSecrets copy: the store each reads and the keys it must hold there.
fn store_keys(out: &mut String, objects: &[Object]) {
    let text = |o: &Object, at: &str| {
        o.value
            .pointer(at)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    };
    let mut rows = Vec::new();
    for o in objects.iter().filter(|o| o.kind() == "ExternalSecret") {
        let store = format!(
            "{} `{}`",
            text(o, "/spec/secretStoreRef/kind"),
            text(o, "/spec/secretStoreRef/name")
        );
        let target = match text(o, "/spec/target/name") {
            t if t.is_empty() => o.name().to_string(),
            t => t,
        };
        for d in o
            .value
            .pointer("/spec/data")
            .and_then(|v| v.as_array())
            .into_iter()
            .flatten()
        {
            let Some(key) = d.pointer("/remoteRef/key").and_then(|v| v.as_str()) else {
                continue;
            };
            let property = d
                .pointer("/remoteRef/property")
                .and_then(|v| v.as_str())
                .map(|p| format!(" (property `{p}`)"))
                .unwrap_or_default();
            rows.push(format!(
                "| {store} | `{key}`{property} | Secret `{target}` in `{}` |",
                o.namespace()
            ));
        }
    }
    if rows.is_empty() {
        return;
    }
    rows.sort();
    rows.dedup();
    let _ = writeln!(
        out,
        "The ExternalSecrets make their Secrets from a secret store, which must exist and hold these keys before the objects are applied:\n\n| Store | Key | Becomes |\n|---|---|---|\n{}\n",
        rows.join("\n")
    );
}
