//! What is around a release's nodes: clients (the chart's extra ingress rules), the
//! Service clients reach (exposure), the budget over the nodes (the chart's PDB, or a
//! PDB beside the release that selects its pods), and backup CronJobs beside it.
//!
//! In: the release's values and the objects given beside them. Out: the draft's
//! `clients`, `exposure`, `disruption` and `backup`, and the roles of those objects.

use std::collections::BTreeMap;

use serde_json::Value;

use super::values::Vals;
use super::{ChartName, HelmInput, at};
use crate::import::error::ImportError;
use crate::import::infer::{Draft, Role};
use crate::import::pod;
use crate::import::source::SourceObject;
use crate::spec::{Client, Disruption, Exposure, ServiceType, Shape};

/// Clients: the chart's extra ingress rules.
pub(super) fn clients(vals: &Vals, d: &mut Draft, namespace: &str) {
    for (ri, rule) in vals
        .get("/networkPolicy/extraIngress")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        for peer in rule
            .get("from")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let ns = peer
                .pointer("/namespaceSelector/matchLabels/kubernetes.io~1metadata.name")
                .and_then(Value::as_str)
                .map(str::to_string)
                .or_else(|| {
                    peer.get("namespaceSelector")
                        .is_none()
                        .then(|| namespace.to_string())
                });
            let Some(ns) = ns else {
                d.notes.unmapped(
                    "/spec/clients",
                    format!(
                        "networkPolicy.extraIngress[{ri}]: a peer that is not a namespace by name"
                    ),
                );
                continue;
            };
            let pods: BTreeMap<String, String> = peer
                .pointer("/podSelector/matchLabels")
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                        .collect()
                })
                .unwrap_or_default();
            let c = Client {
                namespace: ns,
                pod_selector: pods,
                sentinel_aware: true,
            };
            if !d.topology.spec.clients.contains(&c) {
                d.topology.spec.clients.push(c);
            }
        }
    }
}

/// Exposure: the Service clients reach.
pub(super) fn exposure(input: &HelmInput, vals: &Vals, d: &mut Draft) -> Result<(), ImportError> {
    let svc = match (&d.topology.spec.shape, input.chart) {
        (Shape::Replication(_), _) => "/sentinel/service/type",
        (_, ChartName::Redis) => "/master/service/type",
        _ => "/service/type",
    };
    match vals.str(svc)?.as_deref() {
        Some("LoadBalancer") => {
            d.topology.spec.exposure = Some(Exposure {
                type_: ServiceType::LoadBalancer,
                hostname: None,
                accept_insecure: None,
                source_ranges: Vec::new(),
            })
        }
        Some("NodePort") => {
            d.topology.spec.exposure = Some(Exposure {
                type_: ServiceType::NodePort,
                hostname: None,
                accept_insecure: None,
                source_ranges: Vec::new(),
            })
        }
        _ => {}
    }
    Ok(())
}

/// The chart's PDB over the nodes.
pub(super) fn budget(
    input: &HelmInput,
    vals: &Vals,
    d: &mut Draft,
    role: &str,
    values_index: usize,
) -> Result<(), ImportError> {
    let pdb = match input.chart {
        ChartName::Redis => at(role, "pdb"),
        ChartName::RedisCluster => "/pdb".into(),
    };
    if vals.bool(&format!("{pdb}/create"))? {
        let min = vals.u32(&format!("{pdb}/minAvailable"))?;
        let max = vals.u32(&format!("{pdb}/maxUnavailable"))?;
        if min.is_some() || max.is_some() {
            d.source_budget = Some((values_index, format!("{}.pdb", role)));
            d.topology.spec.disruption = Some(Disruption {
                min_available: min,
                max_unavailable: max,
            });
        }
    }
    Ok(())
}

/// PDBs beside the release that select its pods.
pub(super) fn pdbs_beside(
    input: &HelmInput,
    objects: &[SourceObject],
    d: &mut Draft,
    namespace: &str,
    release: &str,
) {
    for (i, o) in objects.iter().enumerate() {
        if o.kind() != "PodDisruptionBudget"
            || (!o.namespace().is_empty() && o.namespace() != namespace)
        {
            continue;
        }
        let sel = o
            .value
            .pointer("/spec/selector")
            .cloned()
            .unwrap_or(Value::Null);
        let labels = BTreeMap::from([
            (
                "app.kubernetes.io/name".to_string(),
                input.chart.name().to_string(),
            ),
            (
                "app.kubernetes.io/instance".to_string(),
                release.to_string(),
            ),
        ]);
        if sel.is_null() || !pod::selects(&sel, &labels) {
            continue;
        }
        d.roles.insert(i, Role::DataPdb);
        let min = o
            .value
            .pointer("/spec/minAvailable")
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok());
        let max = o
            .value
            .pointer("/spec/maxUnavailable")
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok());
        if min.is_some() || max.is_some() {
            d.source_budget = Some((
                i,
                match (min, max) {
                    (Some(m), _) => format!("minAvailable: {m}"),
                    (_, Some(m)) => format!("maxUnavailable: {m}"),
                    _ => String::new(),
                },
            ));
            d.topology.spec.disruption = Some(Disruption {
                min_available: min,
                max_unavailable: max,
            });
        }
    }
}

/// A backup CronJob beside the release (seed 002's `redis-backup`): its schedule and
/// retention become `backup`.
pub(super) fn backups_beside(
    objects: &[SourceObject],
    d: &mut Draft,
    namespace: &str,
) -> Result<(), ImportError> {
    for (i, o) in objects.iter().enumerate() {
        if o.kind() != "CronJob" || (!o.namespace().is_empty() && o.namespace() != namespace) {
            continue;
        }
        let text = o
            .value
            .pointer("/spec/jobTemplate")
            .map(Value::to_string)
            .unwrap_or_default();
        if !(text.contains("bgsave") || text.contains("BGSAVE") || text.contains("--rdb")) {
            continue;
        }
        let schedule = o
            .value
            .pointer("/spec/schedule")
            .and_then(Value::as_str)
            .ok_or_else(|| o.invalid("/spec/schedule", "a CronJob without a schedule"))?
            .to_string();
        d.roles.insert(i, Role::Backup);
        let days = text
            .find("-mtime +")
            .map(|p| {
                text[p + 8..]
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect::<String>()
            })
            .and_then(|s| s.parse().ok());
        let size = d
            .topology
            .spec
            .persistence
            .as_ref()
            .map(|p| p.size.clone())
            .unwrap_or_else(|| "10Gi".into());
        d.notes.inferred("/spec/backup/size", format!("the backup PVC of `{}` is not among the sources: the data volume's size is a guess", o.name()));
        if days.is_none() {
            d.notes.inferred(
                "/spec/backup/retentionDays",
                "no retention in the CronJob (`find -mtime +N -delete`): 7 days is a guess",
            );
        }
        d.topology.spec.backup = Some(crate::spec::Backup {
            schedule,
            retention_days: days.unwrap_or(7),
            retention_schedule: "30 3 * * *".into(),
            size,
            storage_class: None,
        });
        d.notes.inferred("/spec/backup/retentionSchedule", "the source deletes old backups inside the backup job: rkv runs retention as its own daily CronJob");
    }
    Ok(())
}
