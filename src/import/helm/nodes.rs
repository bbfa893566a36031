//! What the release's Redis nodes run: the password Secret, volume and resources, the
//! Redis configuration (the chart's common configuration, then the role's; the
//! redis-cluster chart's configmap and AOF switch) through the settings table, and the
//! exporter.
//!
//! In: the release's values and the draft. Out: the draft's `auth`, `persistence`,
//! `resources`, the Redis settings (with a note on every directive the spec cannot
//! carry) and `monitoring`.

use super::values::{Vals, image_of, resources_at};
use super::{ChartName, HelmInput, at};
use crate::import::error::ImportError;
use crate::import::infer::Draft;
use crate::import::pod;
use crate::import::redisconf::{self, Conf};
use crate::import::settings::{self, Target};
use crate::spec::{Auth, Exporter, Monitoring, Persistence, SecretKeyRef, SecretMaker, Shape};

/// The password: the chart's `existingSecret`, else the Secret the chart makes itself.
pub(super) fn auth(
    input: &HelmInput,
    vals: &Vals,
    d: &mut Draft,
    name: &str,
) -> Result<(), ImportError> {
    let (auth_on, secret, key, password) = match input.chart {
        ChartName::Redis => (
            vals.bool("/auth/enabled")?,
            vals.str("/auth/existingSecret")?,
            vals.str("/auth/existingSecretPasswordKey")?,
            vals.given("/auth/password"),
        ),
        ChartName::RedisCluster => (
            vals.bool("/usePassword")?,
            vals.str("/existingSecret")?,
            vals.str("/existingSecretPasswordKey")?,
            vals.given("/password"),
        ),
    };
    if auth_on {
        // No `existingSecret`: the chart made Secret `<fullname>` itself. `createdBy: chart`
        // keeps it the chart's, so the next upgrade neither deletes it nor its password.
        let created_by = if secret.is_none() {
            d.notes.inferred("/spec/auth/createdBy", format!("the chart's own Secret `{name}` (key `redis-password`){}: `createdBy: chart` keeps the chart making it, so upgrades keep it and its password", if password { ", made from the password written in the values" } else { ", with a password it generated" }));
            SecretMaker::Chart
        } else {
            SecretMaker::External
        };
        d.topology.spec.auth = Some(Auth {
            password_secret: SecretKeyRef {
                name: secret.unwrap_or_else(|| name.to_string()),
                key: key.unwrap_or_else(|| "redis-password".into()),
            },
            created_by,
        });
    }
    Ok(())
}

/// The nodes' volume and resources.
pub(super) fn storage(
    input: &HelmInput,
    vals: &Vals,
    d: &mut Draft,
    role: &str,
) -> Result<(), ImportError> {
    if vals.bool(&at(role, "persistence/enabled"))? {
        let size = vals
            .str(&at(role, "persistence/size"))?
            .unwrap_or_else(|| "8Gi".into());
        if !pod::is_quantity(&size) {
            return Err(input.values.invalid(
                &at(role, "persistence/size"),
                format!("`{size}` is not a storage quantity"),
            ));
        }
        d.topology.spec.persistence = Some(Persistence {
            enabled: true,
            size,
            storage_class: vals.str(&at(role, "persistence/storageClass"))?,
            aof: None,
            rdb_save: None,
        });
    }
    d.topology.spec.resources = match input.chart {
        ChartName::Redis => resources_at(vals, &at(role, "resources"))?,
        ChartName::RedisCluster => resources_at(vals, "/redis/resources")?,
    };
    Ok(())
}

/// The Redis configuration: the chart's common configuration, then the role's.
pub(super) fn config(
    input: &HelmInput,
    vals: &Vals,
    d: &mut Draft,
    role: &str,
) -> Result<(), ImportError> {
    let mut conf = Conf::default();
    let mut origin = Vec::new();
    let sources: Vec<String> = match input.chart {
        ChartName::Redis => vec!["/commonConfiguration".into(), at(role, "configuration")],
        ChartName::RedisCluster => vec!["/redis/configmap".into()],
    };
    for p in &sources {
        if let Some(text) = vals.str(p)? {
            let label = format!("values {}", crate::import::source::dotted(p));
            conf.extend(&redisconf::parse_conf(&text, &label));
            origin.push(label);
        }
    }
    if input.chart == ChartName::RedisCluster {
        let aof = vals
            .str("/redis/useAOFPersistence")?
            .unwrap_or_else(|| "yes".into());
        conf.set("appendonly", &[aof]);
        if let Some(t) = conf
            .get("cluster-node-timeout")
            .and_then(|t| t.parse().ok())
            && let Shape::Cluster(c) = &mut d.topology.spec.shape
        {
            c.node_timeout_ms = t;
        }
    }
    for n in &conf.notes {
        d.notes.unmapped("/spec/redis", n.clone());
    }
    let mut target = Target {
        spec: &mut d.topology.spec,
        without_volume: Vec::new(),
    };
    settings::apply(&conf, &mut target, &mut d.notes, &origin.join(" + "));
    d.without_volume = target.without_volume;
    d.conf = conf;
    Ok(())
}

/// The exporter, the ServiceMonitor and the alerts.
pub(super) fn metrics(vals: &Vals, d: &mut Draft) -> Result<(), ImportError> {
    if vals.bool("/metrics/enabled")? {
        let image =
            image_of(vals, "/metrics/image")?.unwrap_or_else(|| "bitnami/redis-exporter".into());
        if !vals.given("/metrics/image") {
            d.notes.inferred(
                "/spec/monitoring/exporter/image",
                "the values name no exporter image: the chart's default",
            );
        }
        d.topology.spec.monitoring = Some(Monitoring {
            namespace: "monitoring".into(),
            exporter: Some(Exporter {
                image,
                port: 9121,
                resources: resources_at(vals, "/metrics/resources")?,
            }),
            alerts: vals.bool("/metrics/prometheusRule/enabled")?,
            service_monitor: vals.bool("/metrics/serviceMonitor/enabled")?,
        });
        d.notes.inferred(
            "/spec/monitoring/namespace",
            "the namespace Prometheus scrapes from is not in the values: `monitoring` is a guess",
        );
    }
    Ok(())
}
