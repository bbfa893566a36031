//! Every kind rkv can emit: the kinds `rkv diff` searches for objects to prune.
//!
//! In: nothing (a static table). Out: [`KINDS`], each `(apiVersion, kind)` as the
//! emitters write it. Invariant, proven by the test below over every profile and golden
//! case: every cluster object any emitter writes has its kind here, and every kind here
//! is written by some case. Listing only the kinds rendered now would miss what a spec
//! change removed entirely (drop `backup:` and the backup claim and CronJobs vanish
//! from the render, kind and all, while Flux with `prune: true` still deletes them).
//!
//! A live object is matched by group and kind, at whatever version the cluster serves.

/// `(apiVersion, kind)` of every cluster object rkv can emit, sorted.
pub const KINDS: &[(&str, &str)] = &[
    ("apps/v1", "Deployment"),
    ("apps/v1", "StatefulSet"),
    ("argoproj.io/v1alpha1", "Application"),
    ("batch/v1", "CronJob"),
    ("batch/v1", "Job"),
    ("cert-manager.io/v1", "Certificate"),
    ("databases.spotahome.com/v1", "RedisFailover"),
    ("external-secrets.io/v1", "ExternalSecret"),
    ("helm.toolkit.fluxcd.io/v2", "HelmRelease"),
    ("kafka.strimzi.io/v1", "KafkaMirrorMaker2"),
    ("kafka.strimzi.io/v1", "KafkaTopic"),
    ("kafka.strimzi.io/v1", "KafkaUser"),
    ("monitoring.coreos.com/v1", "PrometheusRule"),
    ("monitoring.coreos.com/v1", "ServiceMonitor"),
    ("networking.k8s.io/v1", "NetworkPolicy"),
    ("policy/v1", "PodDisruptionBudget"),
    ("redis.redis.opstreelabs.in/v1beta2", "RedisReplication"),
    ("redis.redis.opstreelabs.in/v1beta2", "RedisSentinel"),
    ("source.toolkit.fluxcd.io/v1", "OCIRepository"),
    ("v1", "ConfigMap"),
    ("v1", "PersistentVolumeClaim"),
    ("v1", "Service"),
];

/// `(group, kind)` of every entry of [`KINDS`].
pub fn group_kinds() -> impl Iterator<Item = (&'static str, &'static str)> {
    KINDS
        .iter()
        .map(|(api_version, kind)| (super::group_of(api_version), *kind))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::{Path, PathBuf};

    use super::*;

    /// Every profile and golden case spec.
    fn specs() -> Vec<PathBuf> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut out = Vec::new();
        for dir in [root.join("profiles")] {
            for e in std::fs::read_dir(dir).expect("profiles/") {
                let p = e.expect("entry").path();
                if p.extension().is_some_and(|x| x == "yaml") {
                    out.push(p);
                }
            }
        }
        for e in std::fs::read_dir(root.join("tests/golden")).expect("tests/golden") {
            let p = e.expect("entry").path().join("spec.yaml");
            if p.is_file() {
                out.push(p);
            }
        }
        out.sort();
        out
    }

    #[test]
    fn the_inventory_is_exactly_what_the_emitters_write() {
        let mut emitted: BTreeSet<(String, String)> = BTreeSet::new();
        let mut compiled = 0;
        for path in specs() {
            let Ok(loaded) = crate::spec::load_file(&path) else {
                continue;
            };
            let Ok(c) = crate::compile::compile(&loaded) else {
                continue;
            };
            compiled += 1;
            for v in &c.variants {
                for o in &v.objects {
                    let api = o.api_version();
                    // Helm values files and kustomize's own documents are not cluster objects.
                    if api.is_empty() || api.starts_with("kustomize.config.k8s.io/") {
                        continue;
                    }
                    emitted.insert((api.to_string(), o.kind().to_string()));
                }
            }
        }
        assert!(compiled > 20, "only {compiled} specs compiled");
        let inventory: BTreeSet<(String, String)> = KINDS
            .iter()
            .map(|(a, k)| (a.to_string(), k.to_string()))
            .collect();
        let missing: Vec<_> = emitted.difference(&inventory).collect();
        assert!(
            missing.is_empty(),
            "emitted but not in the inventory: {missing:?}"
        );
        let unused: Vec<_> = inventory.difference(&emitted).collect();
        assert!(
            unused.is_empty(),
            "in the inventory but never emitted: {unused:?}"
        );
        let mut sorted = KINDS.to_vec();
        sorted.sort();
        assert_eq!(sorted, KINDS);
    }
}
