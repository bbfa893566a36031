//! The password values of the charts: `existingSecret` for a Secret of the user's, or
//! none so the chart keeps making its own (`auth.createdBy: chart`), with
//! `helm.sh/resource-policy: keep` where the chart can annotate it.
//!
//! In: a plan. Out: the auth keys placed in the values document.

use serde_json::{Map, Value, json};

use crate::plan::model::Plan;
use crate::spec::SecretMaker;
use crate::target::helm::{RESOURCE_POLICY, RESOURCE_POLICY_KEEP};

/// `auth` (and `secretAnnotations`) of the redis chart.
pub(super) fn redis_chart(plan: &Plan, v: &mut Map<String, Value>) {
    match plan.spec.auth.as_ref() {
        // The chart's own Secret: no `existingSecret`, so the chart keeps rendering it (and
        // reads its password back on every upgrade); `helm.sh/resource-policy: keep` lets it
        // outlive an uninstall, or a later switch to `createdBy: external` under its name.
        Some(a) if a.created_by == SecretMaker::Chart => {
            v.insert("auth".into(), json!({"enabled": true, "sentinel": true}));
            v.insert(
                "secretAnnotations".into(),
                json!({RESOURCE_POLICY: RESOURCE_POLICY_KEEP}),
            );
        }
        Some(a) => {
            let s = &a.password_secret;
            v.insert(
                "auth".into(),
                json!({"enabled": true, "sentinel": true, "existingSecret": s.name, "existingSecretPasswordKey": s.key}),
            );
        }
        None => {
            v.insert("auth".into(), json!({"enabled": false, "sentinel": false}));
        }
    }
}

/// `usePassword` and `existingSecret` of the redis-cluster chart (it has no
/// `secretAnnotations`).
pub(super) fn cluster_chart(plan: &Plan, v: &mut Map<String, Value>) {
    match plan.spec.auth.as_ref() {
        // The chart's own Secret `<fullname>`, kept by the chart across upgrades.
        Some(a) if a.created_by == SecretMaker::Chart => {
            v.insert("usePassword".into(), json!(true));
        }
        Some(a) => {
            let s = &a.password_secret;
            v.insert("usePassword".into(), json!(true));
            v.insert("existingSecret".into(), json!(s.name));
            v.insert("existingSecretPasswordKey".into(), json!(s.key));
        }
        None => {
            v.insert("usePassword".into(), json!(false));
        }
    }
}
