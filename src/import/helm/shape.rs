//! The shape a release runs: standalone, replication with Sentinel (one Sentinel beside
//! each node), or Redis Cluster; the Sentinel settings with a note on every chart default.
//!
//! In: the release's values. Out: the shape, the values section its nodes run from
//! (`master`, `replica`, or none for redis-cluster) and the line saying what was found.

use super::values::{Vals, image_of, resources_at};
use super::{ChartName, HelmInput};
use crate::import::error::ImportError;
use crate::import::notes::Notes;
use crate::spec::{Cluster, Replication, Sentinel, Shape, Standalone};

/// The shape of the release, the section of the values its Redis nodes run from, and
/// what was found.
pub(super) fn shape(
    input: &HelmInput,
    vals: &Vals,
    release: &str,
    notes: &mut Notes,
) -> Result<(Shape, &'static str, String), ImportError> {
    Ok(match input.chart {
        ChartName::Redis => {
            let arch = vals.str("/architecture")?.unwrap_or_default();
            let sentinel = vals.bool("/sentinel/enabled")?;
            match (arch.as_str(), sentinel) {
                ("standalone", _) => (
                    Shape::Standalone(Standalone {}),
                    "master",
                    format!("Bitnami `redis` release `{release}`: standalone"),
                ),
                ("replication", true) => {
                    let n = vals.u32("/replica/replicaCount")?.unwrap_or(3);
                    let s = Sentinel {
                        replicas: n,
                        quorum: vals.u32("/sentinel/quorum")?.unwrap_or(2),
                        down_after_ms: vals
                            .u32("/sentinel/downAfterMilliseconds")?
                            .unwrap_or(60000),
                        failover_timeout_ms: vals
                            .u32("/sentinel/failoverTimeout")?
                            .unwrap_or(180000),
                        parallel_syncs: vals.u32("/sentinel/parallelSyncs")?.unwrap_or(1),
                        master_name: vals.str("/sentinel/masterSet")?,
                        image: if vals.given("/sentinel/image") {
                            image_of(vals, "/sentinel/image")?
                        } else {
                            None
                        },
                        resources: resources_at(vals, "/sentinel/resources")?,
                    };
                    for (k, field) in [
                        ("/sentinel/quorum", "quorum"),
                        ("/sentinel/downAfterMilliseconds", "downAfterMs"),
                        ("/sentinel/failoverTimeout", "failoverTimeoutMs"),
                        ("/sentinel/parallelSyncs", "parallelSyncs"),
                    ] {
                        if !vals.given(k) {
                            notes.inferred(
                                &format!("/spec/shape/replication/sentinel/{field}"),
                                format!(
                                    "`{}` is not in the values: the chart's default",
                                    crate::import::source::dotted(k)
                                ),
                            );
                        }
                    }
                    notes.inferred(
                        "/spec/shape/replication/sentinel/replicas",
                        "the chart runs one Sentinel beside each of the replica.replicaCount nodes",
                    );
                    (
                        Shape::Replication(Replication {
                            replicas: n,
                            sentinel: s,
                            operator_namespace: None,
                        }),
                        "replica",
                        format!(
                            "Bitnami `redis` release `{release}`: {n} nodes, each Redis + Sentinel"
                        ),
                    )
                }
                ("replication", false) => {
                    return Err(input.values.invalid(
                        "/architecture",
                        "`replication` without Sentinel (a primary and read-only replicas that nothing promotes) has no rkv shape: enable `sentinel`, or import `architecture: standalone`",
                    ));
                }
                (other, _) => {
                    return Err(input.values.invalid(
                        "/architecture",
                        format!("`{other}` is not standalone or replication"),
                    ));
                }
            }
        }
        ChartName::RedisCluster => {
            let nodes = vals.u32("/cluster/nodes")?.unwrap_or(6);
            let r = vals.u32("/cluster/replicas")?.unwrap_or(1);
            if nodes == 0 || nodes % (1 + r) != 0 {
                return Err(input.values.invalid(
                    "/cluster/nodes",
                    format!("{nodes} nodes cannot be shards x (1 + {r})"),
                ));
            }
            (
                Shape::Cluster(Cluster {
                    shards: nodes / (1 + r),
                    replicas_per_shard: r,
                    node_timeout_ms: 15000,
                }),
                "",
                format!(
                    "Bitnami `redis-cluster` release `{release}`: {nodes} nodes ({} shards x (1 + {r}))",
                    nodes / (1 + r)
                ),
            )
        }
    })
}
