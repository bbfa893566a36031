//! Prometheus Operator resources (`monitoring.coreos.com/v1`): `PrometheusRule` and
//! `ServiceMonitor`.
//!
//! In: nothing (types only). Out: the subset of both CRDs rkv writes. Invariant: every
//! field name is the CRD's (camelCase), and absent options are not serialized, so the
//! objects validate against the upstream schema.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use serde::Serialize;

use super::{Cr, Resource};

pub const API_VERSION: &str = "monitoring.coreos.com/v1";

/// A set of alerting rules Prometheus loads.
pub type PrometheusRule = Cr<PrometheusRuleSpec>;

impl Resource for PrometheusRuleSpec {
    const API_VERSION: &'static str = API_VERSION;
    const KIND: &'static str = "PrometheusRule";
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PrometheusRuleSpec {
    pub groups: Vec<RuleGroup>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleGroup {
    pub name: String,
    pub rules: Vec<Rule>,
}

/// One alerting rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    pub alert: String,
    pub expr: String,
    /// How long the condition must hold before the alert fires (`1m`, `1h`).
    #[serde(rename = "for", skip_serializing_if = "Option::is_none")]
    pub for_: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

impl Rule {
    /// An alert with a `severity` label and a `summary` annotation.
    pub fn alert(
        alert: &str,
        expr: String,
        for_: Option<&str>,
        severity: &str,
        summary: &str,
    ) -> Rule {
        Rule {
            alert: alert.into(),
            expr,
            for_: for_.map(str::to_string),
            labels: BTreeMap::from([("severity".to_string(), severity.to_string())]),
            annotations: BTreeMap::from([("summary".to_string(), summary.to_string())]),
        }
    }
}

/// Tells Prometheus to scrape the endpoints of the Services it selects.
pub type ServiceMonitor = Cr<ServiceMonitorSpec>;

impl Resource for ServiceMonitorSpec {
    const API_VERSION: &'static str = API_VERSION;
    const KIND: &'static str = "ServiceMonitor";
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceMonitorSpec {
    pub selector: LabelSelector,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace_selector: Option<NamespaceSelector>,
    pub endpoints: Vec<Endpoint>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NamespaceSelector {
    pub match_names: Vec<String>,
}

/// One scraped port of the selected Services.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoint {
    /// The Service port's name.
    pub port: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scrape_timeout: Option<String>,
}
