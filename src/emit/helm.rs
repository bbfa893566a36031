//! The Helm target: Bitnami chart values wrapped in a Flux `HelmRelease` (seeds 002, 003).
//!
//! In: a plan with `outputs.helm`. Out: files under `helm/` (`helm/<variant>/` for an
//! environment or site), each placed with [`Object::at_path`]:
//! - `values.yaml`: the values document ([`values`]), with the PDB and maxmemory
//!   arithmetic as comments;
//! - `ocirepository-<release>.yaml`: the chart as an OCI artifact (source.toolkit v1);
//! - `helmrelease-<release>.yaml`: the release (helm.toolkit v2), `chartRef` to it and
//!   `valuesFrom` the ConfigMap below;
//! - `kustomization.yaml`: the two objects plus a `configMapGenerator` that turns
//!   `values.yaml` into the ConfigMap `<release>-values`, and `kustomizeconfig.yaml`,
//!   which teaches kustomize that `HelmRelease.spec.valuesFrom.name` names a ConfigMap.
//!
//! Why valuesFrom and a hashed ConfigMap rather than inline `spec.values`: values.yaml
//! stays the one copy of the values (a reviewer reads and diffs it as the chart reads
//! it), and every change of it renames the ConfigMap, which changes the HelmRelease spec,
//! so helm-controller upgrades at once instead of at its next interval; Flux prunes the
//! old ConfigMap. Why an OCIRepository: the v2 HelmRelease takes it directly through
//! `chartRef` (a HelmRepository of type `oci` goes through a generated HelmChart and is
//! the older path). Invariant: every object carries rkv's labels; no default-deny
//! NetworkPolicy here, the chart's own `networkPolicy` (enabled, `allowExternal: false`)
//! is the deny-by-default policy of its pods.

pub mod values;

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::backup::{self, ClientTls, Peers, Source};
use super::inventory::{
    Exec, Inventory, Made, Maker, Password, RedisAccess, SentinelAccess, ServiceEntry,
};
use super::{EmitError, Emitted, Object, common, exposure, network};
use crate::bundle::helm_dir;
use crate::plan::model::Plan;
use crate::spec::{HelmOutput, SecretMaker};
use crate::target::flux::{
    ChartRef, HelmRelease, HelmReleaseSpec, Install, LayerSelector, OciRef, OciRepository,
    OciRepositorySpec, Remediation, Upgrade, ValuesReference,
};
use crate::target::helm::{self, ChartVersion, Workload};
use crate::target::kustomize::{
    Configuration, FieldSpec, Generator, GeneratorOptions, Kustomization, NameReference,
};

const COMPONENT: &str = "helm-release";

pub fn emit(plan: &Plan, h: &HelmOutput, workload: Workload<'_>) -> Result<Emitted, EmitError> {
    let chart = workload.chart();
    let dir = helm_dir(&plan.variant);
    let values_cm = format!("{}-values", h.release);
    let (doc, notes) = values::values(plan, workload);
    let mut comment = vec![format!(
        "Values for the Bitnami `{}` chart {} ({}/{}), read by the HelmRelease through the ConfigMap `{values_cm}`.",
        chart.name(),
        h.version,
        h.repository.trim_end_matches('/'),
        chart.name()
    )];
    comment.extend(notes);
    let values = Object {
        value: doc,
        comment,
        path: None,
    }
    .at_path(format!("{dir}/values.yaml"));

    let meta = |name: &str| ObjectMeta {
        name: Some(name.to_string()),
        namespace: Some(h.namespace.clone()),
        labels: Some(common::labels(plan, COMPONENT)),
        ..Default::default()
    };
    let source = OciRepository::new(
        meta(&h.release),
        OciRepositorySpec {
            interval: h.interval.clone(),
            url: format!("{}/{}", h.repository.trim_end_matches('/'), chart.name()),
            reference: oci_ref(&h.version),
            layer_selector: Some(LayerSelector {
                media_type: "application/vnd.cncf.helm.chart.content.v1.tar+gzip".into(),
                operation: "copy",
            }),
        },
    );
    let release = HelmRelease::new(
        meta(&h.release),
        HelmReleaseSpec {
            interval: h.interval.clone(),
            release_name: h.release.clone(),
            target_namespace: (h.namespace != plan.namespace).then(|| plan.namespace.clone()),
            chart_ref: ChartRef {
                kind: "OCIRepository",
                name: h.release.clone(),
                namespace: None,
            },
            install: Some(Install {
                remediation: Remediation {
                    retries: 3,
                    remediate_last_failure: None,
                },
            }),
            upgrade: Some(Upgrade {
                remediation: Remediation {
                    retries: 3,
                    remediate_last_failure: Some(true),
                },
            }),
            values_from: vec![ValuesReference {
                kind: "ConfigMap",
                name: values_cm.clone(),
                values_key: "values.yaml".into(),
            }],
        },
    );
    let source = Object::new("OCIRepository", &source)?;
    let source_file = source.file_name();
    let source = source.at_path(format!("{dir}/{source_file}"));
    let release = Object::new("HelmRelease", &release)?.with_comment(vec![
        format!(
            "`valuesFrom` names `{values_cm}`; kustomize appends the content hash of values.yaml to both (kustomizeconfig.yaml),"
        ),
        "so a values change is a new HelmRelease spec and an immediate upgrade.".into(),
    ]);
    let release_file = release.file_name();
    let release = release.at_path(format!("{dir}/{release_file}"));

    // The backup beside the release, and rkv's default deny over its own pods (the
    // chart's policy covers only the chart's).
    let mut extra = Vec::new();
    if let Some(b) = &plan.spec.backup {
        extra.extend(backup::objects(&backup_job(plan, workload, b))?);
        extra.push(network::default_deny(plan)?);
        extra.push(network::allow_dns(plan)?);
    }
    let extra: Vec<Object> = extra
        .into_iter()
        .map(|o| {
            let file = o.file_name();
            o.at_path(format!("{dir}/{file}"))
        })
        .collect();
    let mut resources = vec![release_file, source_file];
    resources.extend(
        extra
            .iter()
            .filter_map(|o| o.path.as_deref())
            .filter_map(|p| p.rsplit_once('/'))
            .map(|(_, f)| f.to_string()),
    );
    let mut labels = common::labels(plan, "helm-values");
    labels.retain(|_, v| !v.is_empty());
    let kustomization = Kustomization {
        resources,
        config_map_generator: vec![Generator {
            name: values_cm,
            namespace: h.namespace.clone(),
            files: vec!["values.yaml".into()],
        }],
        generator_options: Some(GeneratorOptions {
            labels,
            // The values hold redis.conf text: Flux variable substitution must not touch it.
            annotations: BTreeMap::from([(
                "kustomize.toolkit.fluxcd.io/substitute".to_string(),
                "disabled".to_string(),
            )]),
        }),
        configurations: vec!["kustomizeconfig.yaml".into()],
        ..Kustomization::default()
    };
    let name_ref = Configuration {
        name_reference: vec![NameReference {
            kind: "ConfigMap",
            version: "v1",
            field_specs: vec![FieldSpec {
                path: "spec/valuesFrom/name",
                kind: "HelmRelease",
            }],
        }],
    };
    let mut objects = vec![
        values,
        source,
        release,
        Object::new("Kustomization", &kustomization)?.at_path(format!("{dir}/kustomization.yaml")),
        Object::new("kustomize configuration", &name_ref)?
            .at_path(format!("{dir}/kustomizeconfig.yaml")),
    ];
    objects.extend(extra);
    Ok(Emitted {
        objects,
        inventory: inventory(plan, &h.release, workload),
    })
}

/// The backup of a chart's Redis: the standalone chart's master Service, the primary
/// Sentinel names (the chart's Sentinels share the Redis password), or every node of the
/// redis-cluster chart. The chart presents the server certificate everywhere, and so does
/// the backup; its `networkPolicy` admits pods labelled `<fullname>-client: "true"`.
fn backup_job<'a>(
    plan: &'a Plan,
    workload: Workload<'_>,
    b: &'a crate::spec::Backup,
) -> backup::Job<'a> {
    let ns = &plan.namespace;
    let port = plan.spec.redis.port;
    let [client, headless] = helm::services(workload, &plan.name);
    let source = match workload {
        Workload::Standalone => Source::Direct {
            host: format!("{client}.{ns}.svc"),
            port,
        },
        Workload::Sentinel(r) => Source::Sentinel {
            host: format!("{client}.{ns}.svc"),
            port: helm::SENTINEL_PORT,
            master: r
                .sentinel
                .master_name
                .clone()
                .unwrap_or_else(|| helm::DEFAULT_MASTER_SET.into()),
            auth: plan.spec.auth.is_some(),
        },
        Workload::Cluster(_) => {
            let sts = helm::statefulset(workload, &plan.name);
            Source::Cluster {
                nodes: (0..plan.data_pods)
                    .map(|i| format!("{sts}-{i}.{headless}.{ns}.svc.cluster.local"))
                    .collect(),
                port,
            }
        }
    };
    let chart = workload.chart();
    let sentinel = matches!(workload, Workload::Sentinel(_));
    backup::Job {
        plan,
        backup: b,
        source,
        tls: plan.spec.tls.as_ref().map(|t| ClientTls {
            secret: t.server_secret.clone(),
            only_ca: false,
        }),
        peers: Peers {
            redis: values::chart_pods(plan, chart, None),
            sentinel: sentinel.then(|| values::chart_pods(plan, chart, None)),
            admit: false,
        },
        pod_labels: BTreeMap::from([(format!("{}-client", plan.name), "true".to_string())]),
        image: plan.spec.redis.image.clone(),
    }
}

/// What the chart makes from the release (`fullnameOverride` is the topology's name),
/// in the namespace it releases into.
fn inventory(plan: &Plan, release: &str, workload: Workload<'_>) -> Inventory {
    let ns = &plan.namespace;
    let full = &plan.name;
    let port = plan.spec.redis.port;
    let mut made = Vec::new();
    // The Secrets the values name (`existingSecret`s): the chart reads them, rkv does not
    // make them; or the chart's own password Secret.
    let note = "referenced by the Helm values";
    match &plan.spec.auth {
        Some(a) if a.created_by == SecretMaker::Chart => {
            let kept = match workload.chart() {
                helm::Chart::Redis => "; kept on uninstall (`helm.sh/resource-policy: keep`)",
                helm::Chart::RedisCluster => "",
            };
            made.push(Made::new(
                "Secret",
                &a.password_secret.name,
                ns,
                &format!(
                    "chart-made from HelmRelease `{release}`, key `{}`{kept}",
                    helm::PASSWORD_KEY
                ),
            ));
        }
        Some(a) => made.push(Made::new("Secret", &a.password_secret.name, ns, note)),
        None => {}
    }
    if let Some(t) = &plan.spec.tls {
        made.push(Made::new("Secret", &t.server_secret, ns, note));
    }
    let note = format!("chart-made from HelmRelease `{release}`");
    let sts = helm::statefulset(workload, full);
    made.push(Made::new("StatefulSet", &sts, ns, &note));
    let [client, headless] = helm::services(workload, full);
    let client_note = match workload {
        Workload::Sentinel(_) => format!("{note}; ports {port} and {}", helm::SENTINEL_PORT),
        Workload::Standalone | Workload::Cluster(_) => note.clone(),
    };
    made.push(Made::new("Service", &client, ns, &client_note));
    made.push(Made::new("Service", &headless, ns, &note));
    let follow = values::master_service(plan, workload);
    if follow {
        made.push(Made::new(
            "Service",
            &helm::master_service(full),
            ns,
            &format!("{note}; port {port}, follows the primary (`sentinel.masterService`)"),
        ));
    }
    let pods: Vec<String> = (0..plan.data_pods).map(|i| format!("{sts}-{i}")).collect();
    made.extend(pods.iter().map(|p| Made::new("Pod", p, ns, &note)));
    let first = format!("pod/{sts}-0");
    let tls_flags = plan.spec.tls.as_ref().map(|_| {
        let d = helm::CERTS_DIR;
        format!(
            "--tls --cacert {d}/{} --cert {d}/{} --key {d}/{}",
            helm::CA_FILE,
            helm::CERT_FILE,
            helm::KEY_FILE
        )
    });
    let chart = workload.chart();
    let alerts = match &plan.spec.monitoring {
        Some(m) if m.alerts && m.exporter.is_some() => values::alert_rules(plan, chart),
        _ => Vec::new(),
    };
    Inventory {
        maker: Maker::BitnamiChart,
        made,
        redis: Some(RedisAccess {
            // The redis chart names its container `redis`; the redis-cluster chart's
            // Redis container is the pod's first, which kubectl picks by default.
            exec: Exec::new(
                first.clone(),
                (chart == helm::Chart::Redis).then_some("redis"),
            ),
            tls_flags: tls_flags.clone(),
            password: Password::File(helm::PASSWORD_FILE),
        }),
        sentinels: match workload {
            Workload::Sentinel(r) => Some(SentinelAccess {
                exec: Exec::new(first, Some("sentinel")),
                port: helm::SENTINEL_PORT,
                master: r
                    .sentinel
                    .master_name
                    .clone()
                    .unwrap_or_else(|| helm::DEFAULT_MASTER_SET.into()),
                service: client.clone(),
                // `auth.sentinel: true`: Sentinel asks for the same password, mounted in
                // the sentinel container at the same path; it serves TLS when Redis does.
                password: plan
                    .spec
                    .auth
                    .as_ref()
                    .map(|_| Password::File(helm::PASSWORD_FILE)),
                tls_flags,
                primary_service: follow.then(|| helm::master_service(full)),
            }),
            Workload::Standalone | Workload::Cluster(_) => None,
        },
        data_set: Some(sts),
        sentinel_pods: match workload {
            Workload::Sentinel(_) => pods.clone(),
            Workload::Standalone | Workload::Cluster(_) => Vec::new(),
        },
        data_pods: pods,
        alerts,
        services: match (workload, exposure::entry(plan)) {
            // `exposure` turns the standalone chart's master Service outside.
            (Workload::Standalone, Some(e)) => vec![ServiceEntry { name: client, ..e }],
            _ => Vec::new(),
        },
        backup: plan.spec.backup.as_ref().map(|_| backup::inventory(plan)),
        ..Inventory::default()
    }
}

/// An exact version is pulled by tag, a range by semver (see [`ChartVersion`]).
fn oci_ref(version: &str) -> OciRef {
    match ChartVersion::parse(version) {
        ChartVersion::Exact(v) => OciRef {
            tag: Some(v.to_string()),
            semver: None,
        },
        ChartVersion::Range(v) => OciRef {
            tag: None,
            semver: Some(v.to_string()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_versions_are_tags_ranges_are_semver() {
        assert_eq!(oci_ref("23.1.1").tag.as_deref(), Some("23.1.1"));
        assert_eq!(
            oci_ref(">=23.0.0 <24.0.0").semver.as_deref(),
            Some(">=23.0.0 <24.0.0")
        );
        assert_eq!(oci_ref("23.x").semver.as_deref(), Some("23.x"));
        assert_eq!(oci_ref("23.1.1-rc.1").tag.as_deref(), Some("23.1.1-rc.1"));
    }
}
