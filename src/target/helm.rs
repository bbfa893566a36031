//! Facts about the Helm charts rkv writes values for: which Bitnami chart runs a shape,
//! the major version rkv's values are written for, how the charts take an image, and
//! how a chart version reads.
//!
//! In: the spec's shape, image and `outputs.helm.version`. Out: [`Chart`], [`Image`] and
//! a [`ChartVersion`]: an exact version
//! (an OCI tag) or a semver range (what Flux's OCIRepository `ref.semver` takes), and the
//! major versions it can select. Invariant: one parser serves the check (RKV176: does
//! the version stay on the major rkv's values are written for?) and the emitter (tag or
//! range?), so the two cannot disagree about what a version means.
//!
//! Version ranges follow the Masterminds semver constraints Flux evaluates: `||` between
//! alternatives, commas or spaces between the comparators of one alternative,
//! `=`, `!=`, `>`, `>=`, `<`, `<=`, `~`, `~>`, `^`, hyphen ranges (`1.2 - 1.4.5`), and
//! `x`/`X`/`*` wildcards. Only the major versions matter here.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::spec::{Cluster, Replication, Shape};

/// The Sentinel port of the `redis` chart's replication architecture.
pub const SENTINEL_PORT: u16 = 26379;

/// The Sentinel master set of the `redis` chart when the values name none.
pub const DEFAULT_MASTER_SET: &str = "mymaster";

/// Where both charts mount the TLS Secret, and the file names rkv's values give it.
pub const CERTS_DIR: &str = "/opt/bitnami/redis/certs";
pub const CERT_FILE: &str = "tls.crt";
pub const KEY_FILE: &str = "tls.key";
pub const CA_FILE: &str = "ca.crt";

/// Where both charts mount the password (their default `usePasswordFiles: true`): the
/// containers get `REDIS_PASSWORD_FILE`, not `REDIS_PASSWORD`.
pub const PASSWORD_FILE: &str = "/opt/bitnami/redis/secrets/redis-password";

/// The key under which both charts keep their own password Secret, `<fullname>`.
pub const PASSWORD_KEY: &str = "redis-password";

/// The annotation by which Helm leaves an object in place when the chart stops
/// rendering it or the release is uninstalled.
pub const RESOURCE_POLICY: &str = "helm.sh/resource-policy";
pub const RESOURCE_POLICY_KEEP: &str = "keep";

/// The redis chart's Service that follows the primary under Sentinel
/// (`sentinel.masterService`): `<fullname>-master`, selecting the pod its `kubectl-shared`
/// sidecar labels `isMaster: "true"`.
pub fn master_service(fullname: &str) -> String {
    format!("{fullname}-master")
}

/// The tag of the kubectl image chart 23.1.1 runs the `kubectl-shared` sidecar from
/// (its `kubectl.image.tag`).
pub const KUBECTL_TAG: &str = "1.33.4-debian-12-r0";

/// The ports the `kubectl-shared` sidecar reaches the Kubernetes API server on: the
/// `kubernetes` Service's 443, and 6443, where most control planes listen behind it (a
/// NetworkPolicy sees the endpoint's port, not the Service's).
pub const API_SERVER_PORTS: [u16; 2] = [443, 6443];

/// The label that lets a pod of the release's namespace through both charts'
/// NetworkPolicy when `networkPolicy.allowExternal` is false: `<fullname>-client: "true"`.
pub fn client_label(fullname: &str) -> (String, &'static str) {
    (format!("{fullname}-client"), "true")
}

/// The StatefulSet that runs the Redis pods of release `fullname`: `<fullname>-master`
/// (standalone), `<fullname>-node` (Redis and Sentinel side by side in each pod), or
/// `<fullname>` (the redis-cluster chart).
pub fn statefulset(workload: Workload<'_>, fullname: &str) -> String {
    match workload {
        Workload::Standalone => format!("{fullname}-master"),
        Workload::Sentinel(_) => format!("{fullname}-node"),
        Workload::Cluster(_) => fullname.to_string(),
    }
}

/// The Services of release `fullname`: the one clients use, and the headless one.
pub fn services(workload: Workload<'_>, fullname: &str) -> [String; 2] {
    let client = match workload {
        Workload::Standalone => format!("{fullname}-master"),
        Workload::Sentinel(_) | Workload::Cluster(_) => fullname.to_string(),
    };
    [client, format!("{fullname}-headless")]
}

/// The labels the chart gives the Redis pods of release `release`, by which a topology
/// spread constraint in the values selects them: `app.kubernetes.io/name` (the chart's
/// name: rkv sets no `nameOverride`) and `app.kubernetes.io/instance` (the release), the
/// chart's `common.labels.matchLabels`; the redis chart adds `app.kubernetes.io/component`
/// (`master` standalone, `node` under Sentinel), the redis-cluster chart no component.
pub fn pod_labels(workload: Workload<'_>, release: &str) -> BTreeMap<String, String> {
    let mut m = BTreeMap::from([
        (
            "app.kubernetes.io/name".to_string(),
            workload.chart().name().to_string(),
        ),
        (
            "app.kubernetes.io/instance".to_string(),
            release.to_string(),
        ),
    ]);
    let component = match workload {
        Workload::Standalone => Some("master"),
        Workload::Sentinel(_) => Some("node"),
        Workload::Cluster(_) => None,
    };
    if let Some(c) = component {
        m.insert("app.kubernetes.io/component".into(), c.into());
    }
    m
}

/// What a chart runs for a shape: the chart and its architecture.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Workload<'a> {
    /// The `redis` chart, `architecture: standalone`.
    Standalone,
    /// The `redis` chart, `architecture: replication` with Sentinel.
    Sentinel(&'a Replication),
    /// The `redis-cluster` chart.
    Cluster(&'a Cluster),
}

impl<'a> Workload<'a> {
    /// The workload for a shape; `None` for the failover shape (an operator CR, no chart).
    pub fn of(shape: &'a Shape) -> Option<Workload<'a>> {
        match shape {
            Shape::Standalone(_) => Some(Workload::Standalone),
            Shape::Replication(r) => Some(Workload::Sentinel(r)),
            Shape::Cluster(c) => Some(Workload::Cluster(c)),
            Shape::Failover(_) => None,
        }
    }

    pub fn chart(self) -> Chart {
        match self {
            Workload::Standalone | Workload::Sentinel(_) => Chart::Redis,
            Workload::Cluster(_) => Chart::RedisCluster,
        }
    }
}

/// Which Bitnami chart renders the topology.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chart {
    /// `redis`: `architecture: standalone`, or `replication` with Sentinel.
    Redis,
    /// `redis-cluster`: S shards x (1 + R) nodes.
    RedisCluster,
}

impl Chart {
    /// The chart for a shape; `None` for the failover shape (an operator CR, no chart).
    pub fn of(shape: &Shape) -> Option<Chart> {
        Workload::of(shape).map(Workload::chart)
    }

    /// The chart's name in its repository.
    pub fn name(self) -> &'static str {
        match self {
            Chart::Redis => "redis",
            Chart::RedisCluster => "redis-cluster",
        }
    }

    /// The major version whose values rkv writes.
    pub fn major(self) -> u64 {
        match self {
            Chart::Redis => 23,
            Chart::RedisCluster => 13,
        }
    }

    /// The chart version whose values rkv writes and reads (`rkv import` without
    /// `--chart-version`); its templates and values.yaml are the ones rkv is checked
    /// against.
    pub fn version(self) -> &'static str {
        match self {
            Chart::Redis => "23.1.1",
            Chart::RedisCluster => "13.0.5",
        }
    }
}

/// The Docker Hub organisation of the images the charts are built, annotated and
/// verified with (`docker.io/bitnami/redis`, ...).
pub const BITNAMI_ORG: &str = "bitnami";

/// Where Bitnami moved every versioned tag of `docker.io/bitnami` between 28 August and
/// 29 September 2025: the same images, frozen (they get no further updates). Since then
/// `bitnami/redis:7.2` no longer pulls; `bitnamilegacy/redis:7.2` does.
pub const LEGACY_ORG: &str = "bitnamilegacy";

/// A container image as the Bitnami charts take it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Image {
    pub registry: String,
    pub repository: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub tag: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub digest: String,
}

impl Image {
    /// Split `[registry/]repository[:tag][@digest]`; the registry defaults to Docker Hub.
    pub fn parse(image: &str) -> Image {
        let (rest, digest) = match image.split_once('@') {
            Some((r, d)) => (r, d.to_string()),
            None => (image, String::new()),
        };
        let (path, tag) = match rest.rsplit_once(':') {
            Some((p, t)) if !t.contains('/') => (p, t.to_string()),
            _ => (rest, String::new()),
        };
        let (registry, repository) = match path.split_once('/') {
            Some((first, repo))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (first.to_string(), repo.to_string())
            }
            _ => ("docker.io".to_string(), path.to_string()),
        };
        Image {
            registry,
            repository,
            tag,
            digest,
        }
    }

    /// The Docker Hub organisation of a `docker.io` image (`bitnami` of `bitnami/redis`).
    fn hub_org(&self) -> Option<&str> {
        if self.registry != "docker.io" {
            return None;
        }
        self.repository.split_once('/').map(|(org, _)| org)
    }

    /// Whether the charts' image verification accepts the image without
    /// `global.security.allowInsecureImages`: since chart 23 (redis) and 13 (redis-cluster)
    /// the Bitnami common library's `common.errors.insecureImages`, called from NOTES.txt,
    /// fails the render for any repository not among the chart's annotated
    /// `docker.io/bitnami/*` images (the legacy repository and every mirror included).
    pub fn verified_by_chart(&self) -> bool {
        self.hub_org() == Some(BITNAMI_ORG)
    }

    /// The same image where it pulls from today, when this reference no longer does: a
    /// `docker.io/bitnami` image with a versioned tag (moved to [`LEGACY_ORG`]). `latest`
    /// and untagged references are not moved.
    pub fn moved_to_legacy(&self) -> Option<Image> {
        let versioned = !self.tag.is_empty() && self.tag != "latest";
        if self.hub_org() != Some(BITNAMI_ORG) || !versioned {
            return None;
        }
        let (_, name) = self.repository.split_once('/')?;
        Some(Image {
            repository: format!("{LEGACY_ORG}/{name}"),
            ..self.clone()
        })
    }

    /// The reference as a spec writes it (Docker Hub's registry left out).
    pub fn reference(&self) -> String {
        let mut s = match self.registry.as_str() {
            "docker.io" => self.repository.clone(),
            r => format!("{r}/{}", self.repository),
        };
        if !self.tag.is_empty() {
            s.push(':');
            s.push_str(&self.tag);
        }
        if !self.digest.is_empty() {
            s.push('@');
            s.push_str(&self.digest);
        }
        s
    }

    /// The sibling image of the same release (`bitnami/redis` -> `bitnami/redis-sentinel`).
    pub fn sibling(&self, name: &str) -> Image {
        let repository = match self.repository.rsplit_once('/') {
            Some((org, _)) => format!("{org}/{name}"),
            None => name.to_string(),
        };
        Image {
            repository,
            ..self.clone()
        }
    }
}

/// A chart version as the spec gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartVersion<'a> {
    /// `23.1.1`, `23.1.1-rc.1`: one version, pulled by tag.
    Exact(&'a str),
    /// Anything else (`23.x`, `^23.1`, `>=23.0.0 <24.0.0`): a semver range.
    Range(&'a str),
}

impl<'a> ChartVersion<'a> {
    /// An exact version is `MAJOR.MINOR.PATCH` with an optional pre-release or build
    /// suffix; everything else is a range.
    pub fn parse(text: &'a str) -> ChartVersion<'a> {
        let core = text.split(['-', '+']).next().unwrap_or("");
        let parts: Vec<&str> = core.split('.').collect();
        let exact = parts.len() == 3
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.parse::<u64>().is_ok());
        if exact {
            ChartVersion::Exact(text)
        } else {
            ChartVersion::Range(text)
        }
    }

    /// Can this version only ever select a chart of major version `major`? `false` when
    /// the range reaches another major, selects nothing, or cannot be read.
    pub fn pins_major(self, major: u64) -> bool {
        let text = match self {
            ChartVersion::Exact(t) | ChartVersion::Range(t) => t,
        };
        let Some(groups) = majors(text) else {
            return false;
        };
        let mut any = false;
        for (lo, hi) in groups.into_iter().flatten() {
            if lo != major || hi != Some(major) {
                return false;
            }
            any = true;
        }
        any
    }
}

/// The majors one alternative allows: `lo..=hi` (`hi` `None`: no upper bound), `None`
/// when the alternative is empty (its comparators contradict each other).
type Interval = Option<(u64, Option<u64>)>;

/// The major-version interval of each `||` alternative, or `None` if any part of the
/// constraint cannot be read.
fn majors(text: &str) -> Option<Vec<Interval>> {
    let mut out = Vec::new();
    for alternative in text.split("||") {
        let mut tokens = tokens(alternative);
        if tokens.is_empty() {
            return None;
        }
        let mut interval: Interval = Some((0, None));
        while !tokens.is_empty() {
            let (lo, hi) = if tokens.len() >= 3 && tokens[1] == "-" {
                // A hyphen range: inclusive at both ends.
                let from = version(&tokens[0])?;
                let to = version(&tokens[2])?;
                tokens.drain(..3);
                (from.major.unwrap_or(0), to.major)
            } else {
                let c = tokens.remove(0);
                comparator(&c)?
            };
            interval = interval.and_then(|(a, b)| {
                let lo = a.max(lo);
                let hi = match (b, hi) {
                    (Some(x), Some(y)) => Some(x.min(y)),
                    (x, None) => x,
                    (None, y) => y,
                };
                (hi.is_none_or(|h| lo <= h)).then_some((lo, hi))
            });
        }
        out.push(interval);
    }
    Some(out)
}

/// The comparators of one alternative: split at commas and spaces, an operator written
/// apart from its version (`>= 23.0.0`) joined back to it.
fn tokens(alternative: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut pending_op = String::new();
    for t in alternative
        .split([',', ' ', '\t'])
        .filter(|t| !t.is_empty())
    {
        if t.chars().all(|c| "=!<>~^".contains(c)) {
            pending_op.push_str(t);
        } else {
            out.push(format!("{pending_op}{t}"));
            pending_op.clear();
        }
    }
    if !pending_op.is_empty() {
        out.push(pending_op);
    }
    out
}

/// A version in a constraint; a wildcard or absent part is `None`.
struct Partial {
    major: Option<u64>,
    minor: Option<u64>,
    patch: Option<u64>,
    prerelease: bool,
}

fn version(text: &str) -> Option<Partial> {
    let text = text.strip_prefix(['v', 'V']).unwrap_or(text);
    let (core, prerelease) = match text.split_once(['-', '+']) {
        Some((c, _)) => (c, true),
        None => (text, false),
    };
    let mut parts = core.split('.');
    let mut next = || -> Option<Option<u64>> {
        match parts.next() {
            None | Some("x" | "X" | "*") => Some(None),
            Some(p) => p.parse().ok().map(Some),
        }
    };
    let major = next()?;
    let minor = next()?;
    let patch = next()?;
    if parts.next().is_some() {
        return None;
    }
    Some(Partial {
        major,
        minor,
        patch,
        prerelease,
    })
}

/// The majors one comparator allows.
fn comparator(c: &str) -> Option<(u64, Option<u64>)> {
    let op_len = c.find(|ch: char| !"=!<>~^".contains(ch)).unwrap_or(c.len());
    let (op, rest) = c.split_at(op_len);
    let v = version(rest)?;
    let any = (0, None);
    let Some(m) = v.major else {
        // `*`, `x`: every version.
        return Some(any);
    };
    let partial = v.minor.is_none();
    Some(match op {
        "" | "=" | "~" | "~>" | "^" => (m, Some(m)),
        "!=" => any,
        // `>23` (no minor) means 24.0.0 and up; `>23.1.0` stays on 23.
        ">" if partial => (m + 1, None),
        ">" | ">=" | "=>" => (m, None),
        "<" => {
            let at_zero = v.minor.unwrap_or(0) == 0 && v.patch.unwrap_or(0) == 0;
            if at_zero && !v.prerelease {
                // `<24.0.0`: 23.x at most; `<0.0.0` selects nothing.
                match m.checked_sub(1) {
                    Some(below) => (0, Some(below)),
                    None => return Some((1, Some(0))),
                }
            } else {
                (0, Some(m))
            }
        }
        "<=" | "=<" => (0, Some(m)),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_rkv_writes_is_on_the_major_it_checks() {
        for chart in [Chart::Redis, Chart::RedisCluster] {
            let v = ChartVersion::parse(chart.version());
            assert!(matches!(v, ChartVersion::Exact(_)), "{}", chart.version());
            assert!(v.pins_major(chart.major()), "{}", chart.version());
        }
    }

    #[test]
    fn images_split_like_the_charts_take_them() {
        let i = Image::parse("bitnami/redis:7.2");
        assert_eq!(
            (i.registry.as_str(), i.repository.as_str(), i.tag.as_str()),
            ("docker.io", "bitnami/redis", "7.2")
        );
        let i = Image::parse("registry.example.com:5000/mirror/bitnami/redis:7.2.4@sha256:ab");
        assert_eq!(i.registry, "registry.example.com:5000");
        assert_eq!(i.repository, "mirror/bitnami/redis");
        assert_eq!(i.tag, "7.2.4");
        assert_eq!(i.digest, "sha256:ab");
        assert_eq!(
            i.sibling("redis-sentinel").repository,
            "mirror/bitnami/redis-sentinel"
        );
    }

    #[test]
    fn versioned_bitnami_tags_moved_to_the_legacy_repository() {
        let moved = |r: &str| Image::parse(r).moved_to_legacy().map(|i| i.reference());
        assert_eq!(
            moved("bitnami/redis:7.2").as_deref(),
            Some("bitnamilegacy/redis:7.2")
        );
        assert_eq!(
            moved("docker.io/bitnami/redis-exporter:1.58.0").as_deref(),
            Some("bitnamilegacy/redis-exporter:1.58.0")
        );
        assert_eq!(
            moved("bitnami/redis:7.2.5-debian-12-r0@sha256:ab").as_deref(),
            Some("bitnamilegacy/redis:7.2.5-debian-12-r0@sha256:ab")
        );
        for stays in [
            "bitnamilegacy/redis:7.2",
            "bitnami/redis:latest",
            "bitnami/redis",
            "redis:7.2",
            "registry.example.com/bitnami/redis:7.2",
            "quay.io/opstree/redis:v7.0.15",
        ] {
            assert_eq!(moved(stays), None, "{stays}");
        }
    }

    #[test]
    fn only_docker_hub_bitnami_images_pass_the_charts_verification() {
        assert!(Image::parse("bitnami/redis:7.2").verified_by_chart());
        assert!(Image::parse("docker.io/bitnami/redis-sentinel:7.2").verified_by_chart());
        for refused in [
            "bitnamilegacy/redis:7.2",
            "registry.example.com/bitnami/redis:7.2",
            "mirror/bitnami/redis:7.2",
            "redis:7.2",
        ] {
            assert!(!Image::parse(refused).verified_by_chart(), "{refused}");
        }
    }

    #[test]
    fn references_read_back_as_written() {
        for r in [
            "bitnami/redis:7.2",
            "redis",
            "registry.example.com:5000/mirror/redis:7.2.4@sha256:ab",
        ] {
            assert_eq!(Image::parse(r).reference(), r);
        }
    }

    #[test]
    fn exact_versions_are_tags_everything_else_a_range() {
        assert_eq!(ChartVersion::parse("23.1.1"), ChartVersion::Exact("23.1.1"));
        assert_eq!(
            ChartVersion::parse("23.1.1-rc.1"),
            ChartVersion::Exact("23.1.1-rc.1")
        );
        for r in ["23.x", ">=23.0.0 <24.0.0", "^23.1", "v23.1.1", "23.1"] {
            assert_eq!(ChartVersion::parse(r), ChartVersion::Range(r), "{r}");
        }
    }

    #[test]
    fn ranges_that_stay_on_one_major_pin_it() {
        for v in [
            "23.1.1",
            "v23.1.1",
            "=23.1.1",
            "23",
            "23.x",
            "23.1.x",
            "23.*",
            "~23.1.0",
            "~>23.1",
            "^23.1",
            ">=23.0.0 <24.0.0",
            ">=23.0.0, <24.0.0",
            ">= 23.0.0 < 24",
            ">23.1.0 <24.0.0",
            ">=23.1.0 <=23.9.9",
            "23.0.0 - 23.4.5",
            "^23.1 || ~23.4",
        ] {
            assert!(ChartVersion::parse(v).pins_major(23), "{v} pins 23");
        }
    }

    #[test]
    fn ranges_that_reach_another_major_or_nothing_do_not() {
        for v in [
            "24.0.0",
            ">=23.0.0",
            ">=23.0.0 <=24.0.0",
            ">=23.0.0 <24.0.1",
            "<24.0.0",
            ">22.9.0 <24.0.0",
            "*",
            "x",
            "!=23.1.1",
            "23.0.0 - 24.1.0",
            "^23.1 || ^24",
            ">23 <24",
            ">=24.0.0 <23.0.0",
            "",
            "latest",
            "23.foo",
            ">=",
        ] {
            assert!(
                !ChartVersion::parse(v).pins_major(23),
                "{v} does not pin 23"
            );
        }
    }
}
