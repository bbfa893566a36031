//! The objects around the data pods: Services (exposure), PodDisruptionBudgets
//! (`disruption`), NetworkPolicies (`clients`), the backup and retention CronJobs and the
//! backup PVC (`backup`), the cluster-init Job, PrometheusRules and ServiceMonitors
//! (`monitoring`).
//!
//! In: the source objects and the labels of the data pods. Out: the draft's fields and
//! the role of each object that selects those pods; what of a NetworkPolicy the spec
//! cannot express is kept in [`Draft::partial`].

use std::collections::BTreeMap;

use k8s_openapi::api::batch::v1::CronJob;
use k8s_openapi::api::core::v1::{PersistentVolumeClaimSpec, Service};
use serde_json::Value;

use super::shared::persistence_of;
use super::{Draft, Role};
use crate::import::error::ImportError;
use crate::import::pod::{self, Pod, typed};
use crate::import::source::SourceObject;
use crate::spec::{Backup, Client, Disruption, Exposure, Monitoring, ServiceType};
use crate::target::{opstree, spotahome};

/// The objects around the data pods: Services, PDBs, NetworkPolicies, CronJobs and
/// PVCs of backups, Jobs, PrometheusRules, ServiceMonitors.
pub(super) fn related(
    objects: &[SourceObject],
    d: &mut Draft,
    pod_labels: &BTreeMap<String, String>,
    ns: &str,
) -> Result<(), ImportError> {
    let port = d.topology.spec.redis.port;
    let same_ns = |o: &SourceObject| o.namespace().is_empty() || o.namespace() == ns;
    for (i, o) in objects.iter().enumerate() {
        if d.roles.contains_key(&i) || !same_ns(o) {
            continue;
        }
        match o.kind() {
            "Service" => {
                let s: Service = typed(o, "", "Service")?;
                let spec = s.spec.unwrap_or_default();
                let sel =
                    serde_json::json!({"matchLabels": spec.selector.clone().unwrap_or_default()});
                if spec.selector.as_ref().is_none_or(|s| s.is_empty())
                    || !pod::selects(&sel, pod_labels)
                {
                    continue;
                }
                if spec.cluster_ip.as_deref() == Some("None") {
                    d.roles.insert(i, Role::Headless);
                    continue;
                }
                match spec.type_.as_deref().unwrap_or("ClusterIP") {
                    t @ ("LoadBalancer" | "NodePort") => {
                        d.roles.insert(i, Role::ExternalService);
                        let hostname = o
                            .value
                            .pointer(
                                "/metadata/annotations/external-dns.alpha.kubernetes.io~1hostname",
                            )
                            .and_then(Value::as_str)
                            .map(str::to_string);
                        d.topology.spec.exposure = Some(Exposure {
                            type_: if t == "LoadBalancer" {
                                ServiceType::LoadBalancer
                            } else {
                                ServiceType::NodePort
                            },
                            hostname,
                            accept_insecure: None,
                            source_ranges: spec
                                .load_balancer_source_ranges
                                .clone()
                                .unwrap_or_default(),
                        });
                    }
                    _ => {
                        d.roles.insert(i, Role::ClientService);
                    }
                }
            }
            "PodDisruptionBudget" => {
                let sel = o
                    .value
                    .pointer("/spec/selector")
                    .cloned()
                    .unwrap_or(Value::Null);
                if sel.is_null() || !pod::selects(&sel, pod_labels) {
                    continue;
                }
                d.roles.insert(i, Role::DataPdb);
                budget(d, i, o)?;
            }
            "NetworkPolicy" => {
                let sel = o
                    .value
                    .pointer("/spec/podSelector")
                    .cloned()
                    .unwrap_or(Value::Null);
                if !pod::selects(&sel, pod_labels) {
                    continue;
                }
                d.roles.insert(i, Role::NetworkPolicy);
                let lost = clients_from_policy(d, o, port, ns);
                if !lost.is_empty() {
                    d.notes
                        .unmapped("/spec/clients", format!("{}: {}", o.id(), lost.join("; ")));
                    d.partial.insert(i, lost);
                }
            }
            "CronJob" => {
                let cj: CronJob = typed(o, "", "CronJob")?;
                let text = o
                    .value
                    .pointer("/spec/jobTemplate")
                    .map(Value::to_string)
                    .unwrap_or_default();
                let schedule = cj.spec.schedule.clone();
                let retention_days = retention_days(&text);
                let backs_up =
                    text.contains("--rdb") || text.contains("bgsave") || text.contains("BGSAVE");
                if backs_up {
                    d.roles.insert(i, Role::Backup);
                    let b = backup_section(d);
                    b.schedule = schedule;
                    if let Some(days) = retention_days {
                        b.retention_days = days;
                        d.notes.clear_under("/spec/backup/retentionDays");
                    }
                    backup_pvc(objects, d, o)?;
                } else if let Some(days) = retention_days {
                    d.roles.insert(i, Role::Retention);
                    let b = backup_section(d);
                    b.retention_days = days;
                    b.retention_schedule = schedule;
                    d.notes.clear_under("/spec/backup/retentionDays");
                    // rkv names the retention CronJob `<partOf>-backup-retention`.
                    if d.topology.metadata.part_of.is_none()
                        && let Some(p) = o.name().strip_suffix("-backup-retention")
                        && !p.is_empty()
                        && p != d.topology.metadata.name
                    {
                        d.topology.metadata.part_of = Some(p.to_string());
                        d.notes.inferred("/metadata/partOf", format!("from the retention CronJob `{}` (rkv names it `<partOf>-backup-retention`)", o.name()));
                    }
                }
            }
            "Job" if o.value.to_string().contains("--cluster create") => {
                d.roles.insert(i, Role::InitJob);
            }
            "PrometheusRule" => {
                d.roles.insert(i, Role::Alerts);
                monitoring_section(d).alerts = true;
            }
            "ServiceMonitor" => {
                d.roles.insert(i, Role::ServiceMonitor);
                monitoring_section(d).service_monitor = true;
            }
            _ => {}
        }
    }
    if let Some(b) = &d.topology.spec.backup
        && b.schedule.is_empty()
    {
        // Retention without a backup job: nothing to keep.
        d.notes.unmapped("/spec", "a retention CronJob without a backup CronJob: rkv renders both from `backup`, so neither is imported");
        d.topology.spec.backup = None;
    }
    Ok(())
}

fn monitoring_section(d: &mut Draft) -> &mut Monitoring {
    if d.topology.spec.monitoring.is_none() {
        d.notes.inferred(
            "/spec/monitoring/namespace",
            "the namespace Prometheus scrapes from is not in the sources: `monitoring` is a guess",
        );
    }
    d.topology
        .spec
        .monitoring
        .get_or_insert_with(|| Monitoring {
            namespace: "monitoring".into(),
            exporter: None,
            alerts: false,
            service_monitor: false,
        })
}

fn backup_section(d: &mut Draft) -> &mut Backup {
    if d.topology.spec.backup.is_none() {
        d.notes.inferred(
            "/spec/backup/size",
            "no backup PVC among the sources: the size of a data volume is a guess",
        );
        d.notes.inferred(
            "/spec/backup/retentionDays",
            "no retention among the sources (`find -mtime +N`): 7 days is a guess",
        );
    }
    let size = d
        .topology
        .spec
        .persistence
        .as_ref()
        .map(|p| p.size.clone())
        .unwrap_or_else(|| "10Gi".into());
    d.topology.spec.backup.get_or_insert_with(|| Backup {
        schedule: String::new(),
        retention_days: 7,
        retention_schedule: "30 3 * * *".into(),
        size,
        storage_class: None,
    })
}

/// `find ... -mtime +N ... -delete` in a script: backups older than N days go.
fn retention_days(text: &str) -> Option<u32> {
    let pos = text.find("-mtime +")?;
    let digits: String = text[pos + "-mtime +".len()..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let days: u32 = digits.parse().ok()?;
    (text.contains("-delete") && days > 0).then_some(days)
}

/// The backup PVC: the claim a backup CronJob mounts at `/backup`.
fn backup_pvc(
    objects: &[SourceObject],
    d: &mut Draft,
    cron: &SourceObject,
) -> Result<(), ImportError> {
    let pod = Pod::at(cron, "/spec/jobTemplate/spec/template")?;
    let claim = pod
        .spec
        .containers
        .iter()
        .find_map(|c| pod.volume_at(c, "/backup"))
        .and_then(|(v, _)| {
            v.persistent_volume_claim
                .as_ref()
                .map(|p| p.claim_name.clone())
        });
    let Some(claim) = claim else { return Ok(()) };
    let Some((pi, pvc)) = objects
        .iter()
        .enumerate()
        .find(|(_, x)| x.kind() == "PersistentVolumeClaim" && x.name() == claim)
    else {
        return Ok(());
    };
    let spec: PersistentVolumeClaimSpec = typed(pvc, "/spec", "PersistentVolumeClaim spec")?;
    let p = persistence_of(pvc, "/spec", &spec)?;
    d.roles.insert(pi, Role::BackupPvc);
    d.notes.clear_under("/spec/backup/size");
    let b = backup_section(d);
    b.size = p.size;
    b.storage_class = p.storage_class;
    d.notes.clear_under("/spec/backup/size");
    Ok(())
}

/// The budget over the data pods: kept as `disruption` (rkv's checks judge it; the
/// import drops it where rkv computes the same numbers).
fn budget(d: &mut Draft, i: usize, o: &SourceObject) -> Result<(), ImportError> {
    let read = |key: &str| -> Result<Option<u32>, ImportError> {
        match o.value.pointer(&format!("/spec/{key}")) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| o.invalid(&format!("/spec/{key}"), "not a count of pods")),
            // A percentage: the spec takes counts; rkv's own budget replaces it.
            Some(Value::String(_)) => Ok(None),
            Some(_) => Err(o.invalid(&format!("/spec/{key}"), "not a count of pods")),
        }
    };
    let min = read("minAvailable")?;
    let max = read("maxUnavailable")?;
    for key in ["minAvailable", "maxUnavailable"] {
        if let Some(pct) = o
            .value
            .pointer(&format!("/spec/{key}"))
            .and_then(Value::as_str)
        {
            d.notes.unmapped(
                "/spec",
                format!("{} `{key}: {pct}`: the spec takes a count of pods, so rkv's own budget replaces it", o.id()),
            );
        }
    }
    let text = match (min, max) {
        (Some(m), _) => format!("minAvailable: {m}"),
        (_, Some(m)) => format!("maxUnavailable: {m}"),
        _ => return Ok(()),
    };
    d.source_budget = Some((i, text));
    d.topology.spec.disruption = Some(Disruption {
        min_available: min,
        max_unavailable: max,
    });
    Ok(())
}

/// Clients from a NetworkPolicy's ingress rules on the Redis port: each peer with a
/// namespace (by `kubernetes.io/metadata.name`) and pod labels, or pod labels alone (the
/// policy's namespace). Returns what of the policy the spec cannot express (rkv's own
/// policies cover the cluster bus, Sentinel, metrics from the monitoring namespace, DNS).
fn clients_from_policy(d: &mut Draft, o: &SourceObject, port: u16, ns: &str) -> Vec<String> {
    let mut lost = Vec::new();
    let covered = [
        port,
        port.saturating_add(10000),
        spotahome::SENTINEL_PORT,
        opstree::SENTINEL_PORT,
        9121,
    ];
    for rule in o
        .value
        .pointer("/spec/ingress")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let ports: Vec<u64> = rule
            .get("ports")
            .and_then(Value::as_array)
            .map(|ps| ps.iter().filter_map(|p| p.get("port")?.as_u64()).collect())
            .unwrap_or_default();
        let other: Vec<String> = ports
            .iter()
            .filter(|p| !covered.iter().any(|c| u64::from(*c) == **p))
            .map(u64::to_string)
            .collect();
        if !other.is_empty() {
            lost.push(format!("ingress on port(s) {}", other.join(", ")));
        }
        if !ports.is_empty() && !ports.contains(&u64::from(port)) {
            continue;
        }
        for peer in rule
            .get("from")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let labels = |p: &str| -> Option<BTreeMap<String, String>> {
                peer.pointer(p).and_then(Value::as_object).map(|m| {
                    m.iter()
                        .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                        .collect()
                })
            };
            if let Some(cidr) = peer.pointer("/ipBlock/cidr").and_then(Value::as_str) {
                lost.push(format!("ingress from ipBlock {cidr}"));
                continue;
            }
            if peer.pointer("/podSelector/matchExpressions").is_some()
                || peer
                    .pointer("/namespaceSelector/matchExpressions")
                    .is_some()
            {
                lost.push("a peer selected by matchExpressions".into());
                continue;
            }
            let namespace = match peer.get("namespaceSelector") {
                None => Some(ns.to_string()),
                Some(_) => {
                    let m = labels("/namespaceSelector/matchLabels").unwrap_or_default();
                    if m.len() > 1 {
                        lost.push("a namespace selected by more than its name".into());
                    }
                    m.get("kubernetes.io/metadata.name").cloned()
                }
            };
            let Some(namespace) = namespace else {
                lost.push("a peer whose namespace is not selected by name (`kubernetes.io/metadata.name`)".into());
                continue;
            };
            let client = Client {
                namespace,
                pod_selector: labels("/podSelector/matchLabels").unwrap_or_default(),
                sentinel_aware: true,
            };
            if !d.topology.spec.clients.contains(&client) {
                d.topology.spec.clients.push(client);
            }
        }
    }
    for rule in o
        .value
        .pointer("/spec/egress")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let dns = rule
            .get("ports")
            .and_then(Value::as_array)
            .is_some_and(|ps| {
                !ps.is_empty()
                    && ps
                        .iter()
                        .all(|p| p.get("port").and_then(Value::as_u64) == Some(53))
            });
        if !dns {
            lost.push("an egress rule other than DNS".into());
        }
    }
    lost.dedup();
    lost
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_from_find() {
        assert_eq!(
            retention_days("find /backup -name 'x' -mtime +7 -delete"),
            Some(7)
        );
        assert_eq!(retention_days("find /backup -mtime +30"), None);
        assert_eq!(retention_days("-mtime +x -delete"), None);
    }
}
