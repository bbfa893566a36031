//! The check stage: semantic findings about a loaded spec and each resolved topology.
//!
//! In: a [`Loaded`] spec and its [`Resolved`] variants, each with the [`Plan`] made from
//! it (planning is total, so it runs first and once). Out: every finding (not just the
//! first), each with a stable code, a severity, the place in the file and a help line.
//! Invariant: an error finding means nothing is emitted or written.

pub mod accept;
pub mod config;
pub mod effects;
pub mod names;
mod operators;
pub mod pods;
pub mod topology;

use operators::{failover_findings, replication_operator};

use crate::diag::Diagnostic;
use crate::diag::codes;
use crate::plan::model::Plan;
use crate::spec::{Loaded, Resolved, ServiceType, Shape};
use crate::target::effects::{Target, renders_on};
use crate::target::spotahome;

/// All findings for a spec, from each variant and the plan made from it.
pub fn check(loaded: &Loaded, variants: &[(Resolved, Plan)]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    spec_level(loaded, &mut out);
    for (r, plan) in variants {
        let from = out.len();
        variant_level(loaded, r, &mut out);
        topology::check(loaded, r, plan, &mut out);
        for d in &mut out[from..] {
            d.variants.push(r.variant.label().to_string());
        }
    }
    let resolved: Vec<&Resolved> = variants.iter().map(|(r, _)| r).collect();
    names::check(loaded, &resolved, &mut out);
    // The same finding from several variants that share a section is reported once, as
    // found in each of them.
    let mut kept: Vec<Diagnostic> = Vec::with_capacity(out.len());
    for d in out {
        match kept.iter_mut().find(|k| {
            (k.code, k.line, k.column, &k.message) == (d.code, d.line, d.column, &d.message)
        }) {
            Some(k) => k.variants.extend(d.variants),
            None => kept.push(d),
        }
    }
    accept::apply(loaded, &resolved, &mut kept);
    kept.sort_by_key(|d| (d.line, d.column, d.code));
    kept
}

fn spec_level(l: &Loaded, out: &mut Vec<Diagnostic>) {
    let spec = &l.topology.spec;
    if !spec.sites.is_empty() && !spec.environments.is_empty() {
        out.push(
            l.diag(codes::RKV100, "/spec/environments", "a topology has either `environments` or `sites`, not both")
                .help("sites are separate clusters with their own trees; put per-site changes under `sites`"),
        );
    }
    for (group, map) in [("environments", &spec.environments), ("sites", &spec.sites)] {
        for name in map.keys() {
            let valid = !name.is_empty()
                && name.len() <= 63
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !name.starts_with('-')
                && !name.ends_with('-');
            if !valid || name == "base" {
                let p = format!("/spec/{group}/{}", crate::spec::tree::escape(name));
                out.push(
                    l.diag(codes::RKV100, &p, format!("`{name}` cannot name a directory of the output"))
                        .help("use lowercase letters, digits and `-` (and not `base`, which is the kustomize base)"),
                );
            }
        }
    }
}

fn variant_level(l: &Loaded, r: &Resolved, out: &mut Vec<Diagnostic>) {
    moved_images(l, r, out);
    durability_and_helm(l, r, out);
    mutual_tls(l, r, out);
    cluster_level(l, r, out);
    config::check(l, r, out);
    pods::check(l, r, out);
    let s = &r.spec;
    let tls = s.tls.as_ref();
    if s.auth.is_none() {
        out.push(
            l.diag(codes::RKV101, &r.origin("redis"), format!("`{}` runs Redis with no password", r.name))
                .help(if matches!(s.shape, Shape::Failover(_)) {
                    "anyone the NetworkPolicies let in has full access: add `auth.passwordSecret: {name, key: password}`; rkv sets the RedisFailover's `auth.secretPath` to that Secret, and Spotahome reads its key `password`"
                } else {
                    "anyone the NetworkPolicies let in has full access: add `auth.passwordSecret: {name, key}` naming a Secret"
                }),
        );
    }
    // What is rendered, not what is written: a section the target ignores (refused by
    // RKV107 as well) protects nothing.
    let targets = Target::of(&s.shape, s.outputs.as_ref());
    if let Some(e) = s
        .exposure
        .as_ref()
        .filter(|_| renders_on("exposure", &targets))
    {
        let outside = matches!(e.type_, ServiceType::LoadBalancer | ServiceType::NodePort);
        let no_auth = s.auth.is_none() || !renders_on("auth", &targets);
        let no_tls = tls.is_none() || !renders_on("tls", &targets);
        if outside && (no_auth || no_tls) {
            let missing = match (no_auth, no_tls) {
                (true, true) => "no password and no TLS",
                (true, false) => "no password",
                _ => "no TLS",
            };
            // `exposure.acceptInsecure` accepts it (see `accept`): it stays in every
            // report, as an accepted warning that does not stop the render.
            out.push(
                l.diag(
                    codes::RKV103,
                    &r.at("exposure", "/type"),
                    format!(
                        "a {} Service exposes Redis outside the cluster with {missing}",
                        e.type_.as_str()
                    ),
                )
                .help("add `auth` and `tls`, or keep the Service ClusterIP; until then the risk can be accepted with a reason in `exposure.acceptInsecure` (or `spec.accept`)"),
            );
        }
    }
    effects::check(l, r, out);
    unreadable_memory(l, r, out);
    replication_operator(l, r, out);
    no_client(l, r, out);
    no_primary_service(l, r, out);
    if let Shape::Failover(f) = &s.shape {
        failover_findings(l, r, f, out);
        if let Some(m) = f.wal.as_ref().and_then(|w| w.mirror.as_ref()) {
            let sites = &l.topology.spec.sites;
            for (field, site) in [("from", &m.from), ("to", &m.to)] {
                if !sites.contains_key(site) {
                    out.push(
                        l.diag(
                            codes::RKV104,
                            &r.at("shape", &format!("/failover/wal/mirror/{field}")),
                            format!("mirror `{field}` names `{site}`, which is not a site"),
                        )
                        .help(format!(
                            "name one of the sites: {}",
                            sites.keys().cloned().collect::<Vec<_>>().join(", ")
                        )),
                    );
                }
            }
        }
    }
}

/// Images that no longer pull (RKV177): every versioned tag of `docker.io/bitnami` moved
/// to `docker.io/bitnamilegacy`, whatever the target runs it with.
fn moved_images(l: &Loaded, r: &Resolved, out: &mut Vec<Diagnostic>) {
    use crate::target::helm::Image;
    let s = &r.spec;
    let mut images = vec![(r.at("redis", "/image"), s.redis.image.as_str())];
    if let Some(e) = s.monitoring.as_ref().and_then(|m| m.exporter.as_ref()) {
        images.push((r.at("monitoring", "/exporter/image"), e.image.as_str()));
    }
    let (shape, sentinel) = match &s.shape {
        Shape::Failover(f) => ("failover", f.sentinel.image.as_deref()),
        Shape::Replication(rep) => ("replication", rep.sentinel.image.as_deref()),
        Shape::Standalone(_) | Shape::Cluster(_) => ("", None),
    };
    if let Some(i) = sentinel {
        images.push((r.at("shape", &format!("/{shape}/sentinel/image")), i));
    }
    if let Shape::Failover(f) = &s.shape
        && let Some(w) = &f.wal
    {
        images.push((
            r.at("shape", "/failover/wal/applier/image"),
            w.applier.image.as_str(),
        ));
    }
    for (at, image) in images {
        if let Some(legacy) = Image::parse(image).moved_to_legacy() {
            out.push(
                l.diag(codes::RKV177, &at, format!(
                    "`{image}` no longer pulls: Bitnami moved every versioned tag of `docker.io/bitnami` to `docker.io/bitnamilegacy` in August-September 2025"
                ))
                .help(format!(
                    "use `{}` (the same image, frozen: it gets no further updates) or a copy in your own registry; rkv then sets the Bitnami charts' `global.security.allowInsecureImages`, without which they refuse any repository but `bitnami/`",
                    legacy.reference()
                )),
            );
        }
    }
}

/// The runbooks' prevention advice (seeds 002, 003) and what the Helm target can render
/// (RKV170-RKV176).
fn durability_and_helm(l: &Loaded, r: &Resolved, out: &mut Vec<Diagnostic>) {
    use crate::spec::Use;
    use crate::target::helm::{Chart, ChartVersion, Image};
    let s = &r.spec;
    let durable = s.use_ == Use::Durable;
    let persistent = s.persistence.as_ref().filter(|p| p.enabled);
    if durable && persistent.is_none() {
        let at = match &s.persistence {
            Some(_) => r.at("persistence", "/enabled"),
            None => r.origin("use"),
        };
        out.push(
            l.diag(codes::RKV170, &at, format!("`{}` is declared `durable` but has no persistence", r.name))
                .help("a restart loses every key: give `persistence: {size, aof: {fsync: everysec}}`, or declare `use: cache`"),
        );
    }
    if let Some(aof) = persistent.and_then(|p| p.aof.as_ref())
        && aof.fsync.is_none()
    {
        out.push(
            l.diag(codes::RKV171, &r.at("persistence", "/aof"), "AOF is on but `appendfsync` is not set: the server default `everysec` applies")
                .help("choose it in `persistence.aof.fsync`: `always` fsyncs every write (nothing acknowledged is lost, slowest), `everysec` loses up to about 1 s of writes on a crash, `no` leaves flushing to the kernel (about 30 s of writes lost)"),
        );
    }
    let wal = matches!(&s.shape, Shape::Failover(f) if f.wal.is_some());
    if durable && s.backup.is_none() && !wal {
        let targets = Target::of(&s.shape, s.outputs.as_ref());
        // Recommend `backup` only where it renders a backup; elsewhere say what is left.
        let help = match targets.iter().find(|t| !renders_on("backup", &[**t])) {
            None => "RDB and AOF live on the same volume as the data: add `backup: {schedule: \"0 */6 * * *\", retentionDays: 7, size}` (seed 002 backs up every 6 hours and keeps 7 days)".to_string(),
            Some(t) => format!(
                "RDB and AOF live on the same volume as the data, and rkv renders no backup for {}: snapshot the data volumes (VolumeSnapshot) or copy `redis-cli --rdb` dumps off the cluster yourself",
                t.describe()
            ),
        };
        out.push(
            l.diag(
                codes::RKV172,
                &r.origin("use"),
                format!(
                    "`{}` is declared `durable` but has no backup schedule",
                    r.name
                ),
            )
            .help(help),
        );
    }
    let helm_output = s.outputs.as_ref().and_then(|o| o.helm.as_ref());
    password_secret_maker(l, r, helm_output.is_some(), out);
    let Some(helm) = helm_output else {
        return;
    };
    let Some(chart) = Chart::of(&s.shape) else {
        out.push(
            l.diag(codes::RKV173, &r.at("outputs", "/helm"), "the Helm target has no chart for the `failover` shape")
                .help("the Bitnami charts render `standalone`, `replication` (Sentinel) and `cluster`; the failover shape compiles to a RedisFailover CR: drop `outputs.helm`"),
        );
        return;
    };
    let image = Image::parse(&s.redis.image);
    if !image.repository.contains("bitnami") {
        out.push(
            l.diag(codes::RKV174, &r.at("redis", "/image"), format!("the Bitnami `{}` chart cannot run `{}`", chart.name(), s.redis.image))
                .help("the chart's start scripts live in the Bitnami images: use `bitnamilegacy/redis:<tag>` (where Bitnami's versioned tags pull from since September 2025) or your mirror of it; rkv derives `redis-sentinel` and `redis-cluster` from it"),
        );
    }
    if let Shape::Replication(rep) = &s.shape
        && rep.sentinel.replicas != rep.replicas
    {
        out.push(
            l.diag(codes::RKV175, &r.at("shape", "/replication/sentinel/replicas"), format!(
                "the Bitnami chart runs one Sentinel beside each Redis pod: {} Sentinels cannot go with {} Redis pods",
                rep.sentinel.replicas, rep.replicas
            ))
            .help(format!("set `sentinel.replicas: {}` (the chart's `replica.replicaCount` counts every node, primary included)", rep.replicas)),
        );
    }
    if !ChartVersion::parse(&helm.version).pins_major(chart.major()) {
        out.push(
            l.diag(codes::RKV176, &r.at("outputs", "/helm/version"), format!(
                "rkv writes values for the `{}` chart {}.x; version `{}` may read them differently",
                chart.name(), chart.major(), helm.version
            ))
            .help(format!("pin a {}.x version, whose values.yaml and values.schema.json rkv's values are checked against", chart.major())),
        );
    }
}

/// Who makes the password Secret (RKV180, RKV181): the chart can make only its own
/// Secret, and only when it is the one installing Redis; a Secret named as the chart's
/// own but declared external is the running release's chart-made Secret that the next
/// upgrade would delete (seeds 002/003).
fn password_secret_maker(l: &Loaded, r: &Resolved, helm: bool, out: &mut Vec<Diagnostic>) {
    use crate::spec::SecretMaker;
    use crate::target::helm::PASSWORD_KEY;
    let Some(a) = &r.spec.auth else { return };
    let s = &a.password_secret;
    match (a.created_by, helm) {
        (SecretMaker::Chart, false) => out.push(
            l.diag(
                codes::RKV180,
                &r.at("auth", "/createdBy"),
                format!("nothing creates Secret `{}`: only the Bitnami chart of the Helm target makes its own password Secret, and this topology renders no chart", s.name),
            )
            .help("set `createdBy: external` and create the Secret before applying (the RUNBOOK lists it under \"Before you apply\"), or render the Helm target (`outputs.helm`)"),
        ),
        (SecretMaker::Chart, true) if s.name != r.name || s.key != PASSWORD_KEY => out.push(
            l.diag(
                codes::RKV180,
                &r.at("auth", "/passwordSecret"),
                format!(
                    "the chart names its own password Secret `{}` with key `{PASSWORD_KEY}`, not `{}` with key `{}`",
                    r.name, s.name, s.key
                ),
            )
            .help(format!("set `passwordSecret: {{name: {}, key: {PASSWORD_KEY}}}` (rkv sets the chart's full name to the topology's name), or `createdBy: external` for a Secret of your own", r.name)),
        ),
        (SecretMaker::External, true) if s.name == r.name => out.push(
            l.diag(
                codes::RKV181,
                &r.at("auth", "/passwordSecret/name"),
                format!(
                    "`{}` is the chart's own password Secret: on a release installed without `auth.existingSecret`, the chart made it, and naming it in `existingSecret` makes the next upgrade drop it from the release, so Helm deletes it and the password with it",
                    s.name
                ),
            )
            .help("if the chart made it (seeds 002/003's release), set `auth.createdBy: chart`: the chart keeps it and its password; if you made it, give it another name so the two cannot be confused"),
        ),
        _ => {}
    }
}

/// RKV140: with mutual TLS the probes and Jobs rkv renders itself (the kustomize
/// Deployment's and StatefulSet's) need a client certificate; the operators and charts
/// present the server's own.
fn mutual_tls(l: &Loaded, r: &Resolved, out: &mut Vec<Diagnostic>) {
    let s = &r.spec;
    let targets = Target::of(&s.shape, s.outputs.as_ref());
    let Some(t) = s.tls.as_ref() else { return };
    if !t.mutual || t.client_secret.is_some() {
        return;
    }
    let help = if targets.contains(&Target::Cluster) {
        "the probes, the exporter, the cluster-init and backup Jobs must present a client certificate: name the Secret in `tls.clientSecret` (or set `mutual: false`)"
    } else if targets.contains(&Target::Standalone) {
        "the readiness probe and the backup Job must present a client certificate: name the Secret in `tls.clientSecret` (or set `mutual: false`)"
    } else {
        return;
    };
    out.push(
        l.diag(
            codes::RKV140,
            &r.at("tls", "/mutual"),
            "mutual TLS is on but `tls.clientSecret` is not set",
        )
        .help(help),
    );
}

/// Findings only the cluster shape has (RKV141-RKV149): what its pods, probes,
/// exporter and Jobs need from TLS and ports.
fn cluster_level(l: &Loaded, r: &Resolved, out: &mut Vec<Diagnostic>) {
    let s = &r.spec;
    if !matches!(s.shape, Shape::Cluster(_)) {
        return;
    }
    // A fact of the kustomize StatefulSet; the chart's plaintext port is RKV107's.
    let kustomize = Target::of(&s.shape, s.outputs.as_ref()).contains(&Target::Cluster);
    if kustomize && s.tls.as_ref().is_some_and(|t| t.plaintext_port) {
        out.push(
            l.diag(
                codes::RKV142,
                &r.at("tls", "/plaintextPort"),
                format!(
                    "the cluster shape serves TLS on `redis.port` ({}) and has no second port for plaintext",
                    s.redis.port
                ),
            )
            .help("set `plaintextPort: false`; cluster clients, the bus and replication all use TLS"),
        );
    }
    let bus = u32::from(s.redis.port) + 10000;
    if bus > 65535 {
        out.push(
            l.diag(
                codes::RKV141,
                &r.at("redis", "/port"),
                format!(
                    "the cluster bus listens on `redis.port` + 10000 = {bus}, which is not a TCP port"
                ),
            )
            .help("use a `redis.port` of 55535 or less (the default is 6379, bus 16379)"),
        );
    }
}

/// RKV108: the kustomize tree's default-deny NetworkPolicies with nobody admitted. A
/// warning, not an error: the store itself runs (it elects a primary, replicates, fails
/// over), and NetworkPolicies are additive, so a policy outside the tree can still let
/// clients in; rkv only knows its own policies admit nobody.
fn no_client(l: &Loaded, r: &Resolved, out: &mut Vec<Diagnostic>) {
    let s = &r.spec;
    // The Helm target's chart admits its own `<fullname>-client: "true"` pods; only the
    // kustomize tree is closed to everyone but the listed clients.
    let kustomize = s.outputs.as_ref().is_none_or(|o| o.kustomize);
    let outside = s
        .exposure
        .as_ref()
        .is_some_and(|e| matches!(e.type_, ServiceType::LoadBalancer | ServiceType::NodePort));
    if !kustomize || !s.clients.is_empty() || outside {
        return;
    }
    let who = match &s.shape {
        Shape::Failover(f) if f.wal.is_some() => {
            "only the WAL applier reaches Redis and Sentinel, so no application can read"
        }
        _ => "only the topology's own pods reach Redis, so no application can connect",
    };
    out.push(
        l.diag(
            codes::RKV108,
            &r.origin("clients"),
            format!("the NetworkPolicies admit no client: {who}"),
        )
        .help("list the pods that connect in `clients: [{namespace, podSelector}]` (each gets the Redis and Sentinel ports); the RUNBOOK's Connect section says who is admitted"),
    );
}

/// RKV109: a client that does not ask Sentinel needs a Service that follows the primary;
/// the Bitnami chart renders one (`sentinel.masterService`), the OT-CONTAINER-KIT
/// operator keeps `<name>-master`, but rkv knows of none for the Spotahome operator.
fn no_primary_service(l: &Loaded, r: &Resolved, out: &mut Vec<Diagnostic>) {
    let s = &r.spec;
    if !matches!(s.shape, Shape::Failover(_)) {
        return;
    }
    for (i, c) in s.clients.iter().enumerate() {
        if c.sentinel_aware {
            continue;
        }
        out.push(
            l.diag(
                codes::RKV109,
                &r.at("clients", &format!("/{i}/sentinelAware")),
                format!(
                    "clients in `{}` do not ask Sentinel, and no Service follows the Spotahome primary: the one address they use can lead to a replica, where writes fail with READONLY",
                    c.namespace
                ),
            )
            .help(format!(
                "make the client Sentinel-aware (Sentinel `{}:26379`, master `mymaster`)",
                spotahome::sentinel_name(&r.name)
            )),
        );
    }
}

/// Memory quantities rkv cannot read (RKV169): the memory checks of
/// [`topology`] and `maxmemory: auto` need numbers, so an unreadable one is a finding.
pub fn unreadable_memory(l: &Loaded, r: &Resolved, out: &mut Vec<Diagnostic>) {
    use crate::plan::memory;
    let s = &r.spec;
    // Parse what the spec says; a value that cannot be read is a finding, not a guess.
    let limit_at = r.at("resources", "/limits/memory");
    let limit_text = s
        .resources
        .as_ref()
        .and_then(|x| x.limits.as_ref())
        .and_then(|x| x.memory.as_deref());
    let unusable = |at: &str, e: memory::MemoryError, out: &mut Vec<Diagnostic>| {
        out.push(
            l.diag(codes::RKV169, at, e.to_string())
                .help("memory checks and `maxmemory` need a value rkv can read"),
        );
    };
    let limit = match limit_text.map(memory::parse_k8s_quantity) {
        None => None,
        Some(Ok(b)) => Some(b),
        Some(Err(e)) => {
            unusable(&limit_at, e, out);
            return;
        }
    };
    let max_at = r.at("memory", "/maxmemory");
    let maxmemory = match s.memory.as_ref().map(|m| m.maxmemory.as_str()) {
        None => None,
        Some("auto") => match limit.map(memory::derive_maxmemory) {
            None => None,
            Some(Ok(d)) => Some(d.maxmemory_bytes),
            Some(Err(e)) => {
                unusable(&limit_at, e, out);
                return;
            }
        },
        Some(text) => match memory::parse_redis_memory(text) {
            Ok(b) => Some(b),
            Err(e) => {
                unusable(&max_at, e, out);
                return;
            }
        },
    };
    let estimate_at = r.at("memory", "/datasetEstimate");
    let estimate = match s
        .memory
        .as_ref()
        .and_then(|m| m.dataset_estimate.as_deref())
        .map(memory::parse_k8s_quantity)
    {
        None => None,
        Some(Ok(b)) => Some(b),
        Some(Err(e)) => {
            unusable(&estimate_at, e, out);
            return;
        }
    };
    let _ = (maxmemory, estimate);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Code;

    fn found(spec: &str) -> Vec<Code> {
        let loaded = crate::spec::load_str("t.yaml", spec.to_string()).expect("spec loads");
        let planned: Vec<_> = crate::spec::resolve::resolve(&loaded.topology)
            .into_iter()
            .map(|r| {
                let plan = crate::plan::model::plan(&r, "t.yaml");
                (r, plan)
            })
            .collect();
        check(&loaded, &planned).iter().map(|d| d.code).collect()
    }

    fn helm_spec(version: &str) -> String {
        format!(
            "apiVersion: rkv.dev/v1alpha1\nkind: RedisTopology\nmetadata: {{name: kv, namespace: kv}}\nspec:\n  use: cache\n  shape: {{standalone: {{}}}}\n  redis: {{image: bitnami/redis:7.2}}\n  auth: {{passwordSecret: {{name: kv, key: password}}}}\n  outputs:\n    kustomize: false\n    helm: {{release: kv, namespace: kv, version: \"{version}\", repository: oci://registry-1.docker.io/bitnamicharts}}\n"
        )
    }

    #[test]
    fn a_range_the_helm_emitter_supports_is_no_rkv176() {
        // The emitter writes this as the OCIRepository's `ref.semver`; it stays on 23.x.
        assert!(!found(&helm_spec(">=23.0.0 <24.0.0")).contains(&codes::RKV176));
        assert!(!found(&helm_spec("23.1.1")).contains(&codes::RKV176));
        assert!(found(&helm_spec(">=23.0.0")).contains(&codes::RKV176));
        assert!(found(&helm_spec("13.0.5")).contains(&codes::RKV176));
    }

    fn standalone(extra: &str) -> String {
        format!(
            "apiVersion: rkv.dev/v1alpha1\nkind: RedisTopology\nmetadata: {{name: kv, namespace: kv}}\nspec:\n  use: cache\n  shape: {{standalone: {{}}}}\n  redis: {{image: redis:7.2}}\n  auth: {{passwordSecret: {{name: kv, key: password}}}}\n{extra}"
        )
    }

    #[test]
    fn a_tree_that_admits_no_client_is_rkv108() {
        assert!(found(&standalone("")).contains(&codes::RKV108));
        let listed = "  clients: [{namespace: apps}]\n";
        assert!(!found(&standalone(listed)).contains(&codes::RKV108));
        // Exposed outside the cluster: the exposure's policy lets clients in.
        let exposed =
            "  exposure: {type: LoadBalancer, acceptInsecure: \"a reason long enough\"}\n";
        assert!(!found(&standalone(exposed)).contains(&codes::RKV108));
        // The Helm target's chart admits its own `<fullname>-client` pods.
        assert!(!found(&helm_spec("23.1.1")).contains(&codes::RKV108));
        // The WAL applier is no reader: the profile without its clients is RKV108.
        let profile = include_str!("../../profiles/wal-failover.yaml");
        assert!(!found(profile).contains(&codes::RKV108));
        let start = profile
            .find("\n  clients:")
            .expect("the profile lists clients");
        let end = profile[start + 1..]
            .find("\n  monitoring:")
            .map(|i| start + 1 + i)
            .expect("monitoring follows");
        let without = format!("{}{}", &profile[..start], &profile[end..]);
        assert!(found(&without).contains(&codes::RKV108));
    }

    #[test]
    fn a_client_without_sentinel_on_spotahome_is_rkv109() {
        let profile = include_str!("../../profiles/wal-failover.yaml");
        assert!(!found(profile).contains(&codes::RKV109));
        let single = profile.replace(
            "podSelector: {app: jboss-client}\n",
            "podSelector: {app: jboss-client}\n      sentinelAware: false\n",
        );
        assert_ne!(single, profile);
        assert!(found(&single).contains(&codes::RKV109));
        // The Bitnami chart renders `sentinel.masterService` for such clients instead.
        let bitnami = include_str!("../../profiles/bitnami-redis.yaml");
        assert!(bitnami.contains("sentinelAware: false"));
        assert!(!found(bitnami).contains(&codes::RKV109));
    }
}
