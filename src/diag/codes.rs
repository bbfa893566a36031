//! The registry of finding codes: every code rkv reports, declared once with its default
//! severity, a one-line summary and a longer explanation (kcl's `register_errors!` is the
//! model).
//!
//! In: nothing (constants). Out: a typed constant per code ([`RKV110`] and so on), the
//! list of them all ([`CODES`], sorted), and the lookup of a code by name ([`Code::parse`])
//! for `rkv explain --code`. Invariant: a code exists only as one of these constants, so a
//! misspelt code is a compile error; the README's table, the SARIF rules and
//! `rkv explain --code` all read this registry, and tests check that the README table
//! equals it and that every code is produced in a golden case, a snapshot or a named test
//! (`tests/codes.rs`).
//!
//! How to add a code: add one entry to the `codes!` list below, in numeric order: the
//! constant's name is the code (`RKV177`), then its default severity (`Error`, `Warning`
//! or `Note`), its one-line summary (what the README table and SARIF `shortDescription`
//! show) and its explanation (why it matters and what to change; SARIF `help`,
//! `rkv explain --code`). Report it with `Diagnostic::new(codes::RKV177, ...)` or
//! `Loaded::diag(codes::RKV177, ...)`: the finding takes the default severity, and a call
//! site that needs another one says why in a comment beside `.with_severity(..)`. Then
//! add the README row (`cargo test -- readme_table` prints the table to paste), and a
//! golden case under `tests/golden/` that produces it (or, for a code no spec can
//! produce, an entry in `NOT_FROM_A_SPEC` of `tests/codes.rs` naming the snapshot or test
//! that does).

use std::fmt;

use serde::{Serialize, Serializer};

use super::Severity;

/// A finding code and what the registry says about it. Only this module makes one, so
/// every `Code` is a registered one; compare and match codes against the constants.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Code {
    // The name first: codes order by it (`RKV009` < `RKV010`), as the tables list them.
    id: &'static str,
    severity: Severity,
    summary: &'static str,
    help: &'static str,
}

impl Code {
    /// The code as users see it: `RKV110`.
    pub const fn as_str(self) -> &'static str {
        self.id
    }

    /// The severity a finding of this code has unless its call site says otherwise.
    pub const fn severity(self) -> Severity {
        self.severity
    }

    /// One line: what the finding is about (the README table, SARIF `shortDescription`).
    pub const fn summary(self) -> &'static str {
        self.summary
    }

    /// Why it matters and how to act on it (SARIF `help`, `rkv explain --code`).
    pub const fn help(self) -> &'static str {
        self.help
    }

    /// What `rkv explain --code` prints: the code, its default severity, its summary and
    /// its explanation.
    pub fn explanation(self) -> String {
        format!(
            "{}: {}\ndefault severity: {}\n\n{}\n",
            self.id,
            self.summary,
            self.severity.as_str(),
            self.help
        )
    }

    /// The code as a record (`rkv explain --code --format json`).
    pub fn entry(self) -> Entry {
        Entry {
            code: self.id,
            severity: self.severity,
            summary: self.summary,
            help: self.help,
        }
    }

    /// The registered code named `name` (`RKV110`, case-insensitive).
    pub fn parse(name: &str) -> Option<Code> {
        CODES
            .iter()
            .copied()
            .find(|c| c.id.eq_ignore_ascii_case(name.trim()))
    }
}

/// What the registry says about a code, as a record for JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub code: &'static str,
    pub severity: Severity,
    pub summary: &'static str,
    pub help: &'static str,
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id)
    }
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id)
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id)
    }
}

/// The README's Diagnostics table (`| code | severity | meaning |`), one row per code.
pub fn markdown_table() -> String {
    let mut out = String::from("| code | default | meaning |\n|---|---|---|\n");
    for c in CODES {
        // A `|` inside a cell would end it.
        let summary = c.summary.replace('|', "\\|");
        out.push_str(&format!(
            "| {} | {} | {summary} |\n",
            c.id,
            c.severity.as_str()
        ));
    }
    out
}

/// Declares each code as a constant and lists them all in [`CODES`].
macro_rules! codes {
    ($($name:ident $severity:ident $summary:literal $help:literal;)*) => {
        $(
            #[doc = concat!("`", stringify!($name), "` (", stringify!($severity), "): ", $summary, ".")]
            pub const $name: Code = Code {
                id: stringify!($name),
                severity: Severity::$severity,
                summary: $summary,
                help: $help,
            };
        )*

        /// Every code rkv reports, in numeric order.
        pub const CODES: &[Code] = &[$($name),*];
    };
}

codes! {
    // The loader: one spec file, read and checked against the schema (exit code 2).
    RKV001 Error "the spec file cannot be read"
        "rkv could not read the file or directory it was given: it does not exist, is a \
         directory where a spec file was expected, or cannot be opened. The message gives the \
         reason; check the path and its permissions.";
    RKV002 Error "the spec file is larger than 1 MB"
        "A topology spec is a few kilobytes; rkv refuses a file over 1 MB unread, so a wrong \
         path (a dump, a binary) cannot exhaust memory. Check that the path names the spec.";
    RKV003 Error "the text is not valid YAML"
        "The file is not UTF-8 text, not YAML rkv can parse (bad indentation or quoting, \
         nesting too deep, a key that is not a plain string), or a manifest under \
         `validate --manifests` cannot be parsed. The finding points at the line the parser \
         stopped on.";
    RKV004 Error "the file is empty"
        "The spec file holds no YAML document. Write a `RedisTopology` (`rkv schema` prints \
         the schema; `profiles/` has examples).";
    RKV005 Error "a mapping has the same key twice"
        "YAML parsers disagree on which of two equal keys wins, so rkv refuses them instead \
         of guessing. The help line points at the first occurrence: keep one.";
    RKV006 Error "aliases would expand the document beyond the node limit (alias bomb)"
        "YAML anchors and aliases can make a small file expand to billions of nodes. rkv \
         counts the expanded nodes and stops at its limit; write the values out instead of \
         nesting aliases.";
    RKV007 Error "more than one YAML document in a spec file"
        "A spec file holds one `RedisTopology`; a `---` separator starts a second document, \
         which rkv would otherwise ignore. Put each topology in its own file (the file stem \
         names the output folder).";
    RKV008 Error "no spec files found"
        "A directory given to rkv holds no `*.yaml` or `*.yml` file. Give a spec file, or a \
         directory of specs such as `profiles/`.";
    RKV009 Error "YAML indentation uses a tab"
        "YAML forbids tabs for indentation. Indent with spaces.";
    RKV010 Error "unknown field"
        "The spec names a field the schema does not have, usually a misspelling (the help \
         line suggests the closest field) or a field at the wrong level. Unknown fields are \
         errors so that a typo never silently drops a setting.";
    RKV011 Error "a value has the wrong type"
        "A field holds a value of another type than the schema's: a string where a number \
         or a mapping is expected, or the reverse. The message names the expected type.";
    RKV012 Error "a value is out of range or not one of the allowed values"
        "A number is outside the field's bounds, or a string is not one of the field's \
         allowed values. The message gives the range or lists the values.";
    RKV013 Error "a required field is missing"
        "A field the schema requires is not set. Add it; `rkv schema` prints the schema with \
         every field's description.";
    RKV014 Error "a shape must be exactly one of standalone, cluster, failover, replication"
        "`spec.shape` names the topology: exactly one of `standalone`, `cluster`, \
         `failover` or `replication`, with that shape's settings. Keep one.";
    RKV015 Error "a value does not match the expected format"
        "A string does not have the form the field needs (a Kubernetes name, a memory \
         quantity, an image reference, a cron schedule). The message names the format.";
    RKV016 Error "two specs render to the same output folder, or one into the other's"
        "Each spec renders to `generated/<file stem>/`, and a render replaces that folder \
         whole. Two specs with the same stem in different directories, or a spec whose folder \
         lies inside another's, would overwrite each other: rename or move one.";
    RKV017 Error "a generated file is out of date: missing, stale, or not what the specs render"
        "`rkv render --check` found a file under the output directory that differs from what \
         the specs render now: missing, changed by hand, or left over from a spec that is \
         gone. Run the command in the help line and commit the result; `--check` without \
         `--format` prints the diff.";
    // The checks: findings about the spec's meaning (exit code 1 on an error).
    RKV100 Error "`environments` and `sites` together, or a name that cannot be an output folder"
        "A topology has either `environments` (overlays of one cluster) or `sites` (separate \
         clusters with their own trees), not both. Their names become directories: lowercase \
         letters, digits and `-`, at most 63 characters, and not `base`.";
    RKV101 Warning "Redis runs with no password"
        "Without `auth`, any pod the NetworkPolicies let in has full access to the data and \
         to commands such as FLUSHALL and CONFIG. Add `auth.passwordSecret` naming a Secret \
         (for the failover shape its key must be `password`).";
    RKV103 Error "a LoadBalancer or NodePort exposes Redis without auth and TLS (error unless accepted with a reason: `exposure.acceptInsecure` or `spec.accept`)"
        "A LoadBalancer or NodePort Service makes Redis reachable from outside the cluster; \
         without a password and TLS anyone on that network reads and writes the data. Add \
         `auth` and `tls`, or keep the Service ClusterIP. Giving a reason in \
         `exposure.acceptInsecure` (or accepting RKV103 in `spec.accept`) accepts the risk: \
         the finding is then reported as an accepted warning, with the reason. It is the \
         one error that can be accepted: the deployment works, and the risk is a policy \
         decision.";
    RKV104 Error "the WAL mirror names a site that does not exist"
        "`wal.mirror.from` and `wal.mirror.to` name the sites the write-ahead log is mirrored \
         between; each must be a key of `spec.sites`.";
    RKV105 Error "a name rkv derives (an object, a controller's or operator's, a namespace) is longer or other than Kubernetes accepts"
        "Kubernetes refuses an object whose name is too long or not a DNS name, and \
         controllers derive longer names from the ones rkv writes (a StatefulSet's pods' \
         `controller-revision-hash` label, a CronJob's Jobs, an operator's objects). The \
         finding sits on the spec field the name comes from and says how long it may be.";
    RKV106 Error "a label key or value Kubernetes refuses (at most 63 characters, letters, digits, `-`, `_`, `.`), also in a node selector, an annotation key or a toleration"
        "A label value is at most 63 characters of letters, digits, `-`, `_` and `.`, \
         starting and ending with a letter or digit; a key is the same with an optional DNS \
         `prefix/`. The API server refuses every object carrying a bad label. The same rules \
         hold for `placement.nodeSelector` (node labels), annotation keys in `pods` and taint \
         keys and values in `placement.tolerations`.";
    RKV107 Error "a field has no effect for the shape and target it renders to"
        "Every spec field either changes what rkv renders for the shape and target the \
         topology compiles to, or is refused: the table of effects (README: What each field \
         does where; `src/target/effects.rs`) says which, and why. Remove the field, or use \
         the shape or target the help line names; a field that needs another to take effect \
         (an exporter for alerts, a LoadBalancer for a hostname, a volume for AOF) says so. \
         TLS's plaintext port is refused on every target but the cluster (RKV142): rkv \
         serves TLS on `redis.port` and closes the plaintext port.";
    RKV108 Warning "the NetworkPolicies admit no client (no `clients`, no outside exposure)"
        "Every topology of the kustomize tree gets default-deny NetworkPolicies that let in \
         only the spec's `clients` (and the topology's own pods, its operator and \
         Prometheus). With none listed, no application can connect. A warning, not an \
         error: the store itself runs, and a NetworkPolicy outside the tree may admit \
         clients. List them in `clients: [{namespace, podSelector}]`; the RUNBOOK's Connect \
         section says who is admitted.";
    RKV109 Warning "a client that does not ask Sentinel, where no Service follows the primary"
        "A client marked `sentinelAware: false` connects to one address that must lead to \
         the primary. The Bitnami chart gets `sentinel.masterService` for it and the \
         OT-CONTAINER-KIT operator keeps `<name>-master`, but rkv knows no such Service of \
         the Spotahome operator: the address can lead to a replica, where writes fail with \
         READONLY. Make the client Sentinel-aware.";
    RKV110 Error "a disruption budget override that is unsafe (with an eviction set that breaks the topology) or blocks every drain"
        "rkv computes the PodDisruptionBudget that lets node drains proceed without losing a \
         shard, a primary majority or the last copy of the data. An override in `disruption` \
         that allows an eviction set breaking that is an error (the message names the pods); \
         one that allows no eviction at all is a warning, since every drain would hang. \
         Remove the override; `rkv explain` shows the arithmetic.";
    RKV111 Warning "the topology cannot have a safe disruption budget (fewer than 3 shards, no replica)"
        "With fewer than 3 shards or no replica, any eviction can lose slots or the only \
         copy, so a safe budget would block every drain and rkv writes none. Run at least 3 \
         shards with a replica each (or a replica beside the primary).";
    RKV112 Error "Sentinel can never fail over: quorum above the number of Sentinels, zero quorum or no Sentinels"
        "Sentinel declares a master down when `quorum` Sentinels agree; with no Sentinels, a \
         quorum of 0 or a quorum above their number, no failover ever happens. Set the \
         quorum to a majority of the Sentinels.";
    RKV113 Warning "an even number of Sentinels tolerates no more failures than one fewer"
        "A failover needs a majority of Sentinels; 4 Sentinels tolerate one failure, as 3 \
         do. Run an odd number.";
    RKV114 Warning "quorum below a majority: a minority declares the master down, a majority must still authorize"
        "A quorum below a majority lets a minority (say, behind a network split) mark the \
         master down, while the failover still needs a majority: false alarms without a \
         faster failover. Use a majority as the quorum.";
    RKV115 Error "so few Sentinels that a safe budget blocks every drain"
        "The Sentinels' budget keeps max(quorum, majority) of them running; when that is all \
         of them, no Sentinel pod may ever be evicted and every node drain hangs. Run more \
         Sentinels or lower the quorum to a majority.";
    RKV116 Error "`maxmemory` above the container memory limit"
        "Redis would grow past the container's memory limit and be OOM-killed before \
         `maxmemory` evicts anything. Use `maxmemory: auto` (7/8 of the limit) or a value \
         below the limit.";
    RKV117 Error "`maxmemory` leaves too little headroom for the BGSAVE / AOF-rewrite fork"
        "A BGSAVE or AOF rewrite forks Redis, and copy-on-write pages plus buffers need room \
         above `maxmemory`; too little headroom gets the pod OOM-killed during persistence. \
         Use `maxmemory: auto` or lower it.";
    RKV118 Warning "a durable store whose memory limit is below twice its dataset"
        "In the worst case the fork of a BGSAVE or AOF rewrite copies every page while \
         writes continue, doubling memory. A durable store should have a memory limit of at \
         least twice its dataset.";
    RKV119 Warning "the Redis container has no CPU or memory requests/limits: the finding names the pods' QoS class"
        "rkv sets no requests or limits for Redis itself: its memory is the size of your data, \
         which rkv does not guess. Without them Kubernetes reserves nothing for the pod and \
         gives it a lower QoS class: BestEffort pods are evicted first when a node runs short \
         of memory, Burstable ones before Guaranteed ones. Set `resources.requests` and \
         `resources.limits` for cpu and memory; equal requests and limits make the pods \
         Guaranteed. rkv's own containers (exporter, Jobs, applier) have defaults.";
    RKV120 Warning "no `maxmemory` and no memory limit: the dataset is unbounded"
        "Nothing bounds Redis: it grows until the node runs out of memory, taking other pods \
         with it. Set a container memory limit; rkv derives `maxmemory` as 7/8 of it.";
    RKV121 Error "the PVC cannot hold the RDB, the AOF at its peak and a rewrite"
        "Persistence needs the RDB snapshot, the AOF grown to its rewrite threshold and the \
         rewrite's new file at once; a full volume makes Redis refuse writes. The message \
         gives the arithmetic; raise `persistence.size`.";
    RKV122 Warning "a node timeout or Sentinel timeout that flaps or abandons failovers"
        "A `cluster-node-timeout` under a second fails over on every GC pause; over a minute \
         leaves a dead primary's slots failing writes that long. A Sentinel \
         `failoverTimeoutMs` under twice `downAfterMs` can abandon and retry a failover.";
    RKV123 Warning "an eviction policy that does not fit the declared use"
        "`use` declares what the data is: a cache should evict (`allkeys-lru`), a session \
         store must not evict live sessions silently, and a durable store must not evict \
         data of record (`noeviction`).";
    RKV124 Warning "one node's or one zone's loss can take a shard or a Sentinel majority (soft anti-affinity, pods not spread over enough zones)"
        "Preferred anti-affinity (or none) lets the scheduler put a primary beside its \
         replica, or several Sentinels, on one node; losing that node then loses a shard or \
         the Sentinels' majority. Set `placement.antiAffinity: required` if the cluster has \
         enough nodes. With zones declared (`placement.zones`), the same reasoning runs for \
         a zone: a zone holds at most ceil(pods/zones) pods of a group spread with \
         `placement.zoneSpread` (all of them without), and the finding names what the worst \
         zone's loss breaks and how many zones the topology needs. Redis Cluster survives \
         losing k pods only if k <= min(replicas, floor((shards-1)/2)); a Sentinel group \
         only if max(quorum, majority) Sentinels and a replica remain.";
    RKV127 Error "a placement or pod setting no field of the operator or chart carries, that has no effect on the shape, or that rkv sets itself"
        "rkv renders each `placement` and `pods` setting on every pod it reaches, through \
         the operator's or chart's own field where rkv does not render the pods; where there \
         is no such field (the OT-CONTAINER-KIT operator has no pod annotations), where the \
         setting means nothing (a standalone Redis has one pod to spread over zones), or \
         where rkv sets the same annotation itself, the setting is refused rather than \
         dropped. The help line says what to do instead.";
    RKV128 Error "a toleration Kubernetes refuses (`Exists` with a value, no key without `Exists`, `tolerationSeconds` without `NoExecute`)"
        "The API server validates tolerations: `operator: Exists` matches any value and takes \
         none, a toleration without a key must be `Exists` (it tolerates every taint), and \
         `tolerationSeconds` only means something for `NoExecute` taints. Fix the toleration \
         as the help line says.";
    RKV130 Error "a rendered custom resource does not match its CRD's schema (`validate --crds`)"
        "`rkv validate --crds` checks every custom resource rkv renders (or the files under \
         `--manifests`) against the CustomResourceDefinitions given; the API server would \
         refuse this one. Check the operator version the CRDs come from.";
    RKV131 Warning "no CRD in the `--crds` directory for a custom resource: it is not checked"
        "No CustomResourceDefinition in the `--crds` directory defines this kind and \
         version, so the object was not checked. Add the operator's CRD file to the \
         directory.";
    RKV140 Error "mutual TLS without a client certificate Secret for the probes, exporter and Jobs rkv renders (standalone, cluster)"
        "With `tls.mutual` every client must present a certificate, including the probes, the \
         metrics exporter and the Jobs rkv renders itself (the standalone Deployment's \
         readiness probe and backup Job; the cluster's init and backup Jobs). Name the Secret \
         in `tls.clientSecret`, or set `mutual: false`. The operators and the Bitnami charts \
         present the server certificate instead.";
    RKV141 Error "a cluster's bus port (redis.port + 10000) is above 65535"
        "Redis Cluster's bus listens on the data port + 10000, which must be a TCP port. Use \
         a `redis.port` of 55535 or less.";
    RKV142 Error "a cluster with TLS cannot also keep a plaintext port"
        "The cluster shape serves TLS on `redis.port` and has no second port for plaintext: \
         clients, the bus and replication all use TLS. Set `tls.plaintextPort: false`.";
    RKV150 Error "Spotahome reads the Redis password from key `password` of the auth Secret"
        "The Spotahome operator's RedisFailover names only the Secret (`auth.secretPath`) and \
         always reads its key `password`. Store the password under that key.";
    RKV151 Error "Spotahome always names the Sentinel master group `mymaster`"
        "The Spotahome operator configures Sentinel with the master group `mymaster` \
         whatever the spec says, so clients asking for another name get no master. Remove \
         `masterName` or set it to `mymaster`.";
    RKV152 Error "a RedisFailover name longer than 48 characters is rejected by Spotahome"
        "The Spotahome operator derives `rfr-<name>` and `rfs-<name>` objects and rejects a \
         RedisFailover whose name is longer than 48 characters. Shorten the name.";
    RKV153 Note "a relative EXPIRE replayed from the WAL drifts; use PEXPIREAT"
        "An EXPIRE replayed from the write-ahead log later (applier or mirror lag, a replay \
         after a restore) makes the key live longer on each site. Producers should write \
         PEXPIREAT with the absolute time, so every site and every replay agree.";
    RKV154 Error "WAL topic retention is shorter than the restore window"
        "A rebuild replays the WAL topic from its earliest offset; writes older than the \
         topic's retention are gone, so the restore window asked for cannot be met. Raise \
         `retentionHours` to at least the window.";
    RKV155 Error "no operatorNamespace: the NetworkPolicies keep the operator out, so no primary is elected"
        "rkv's default-deny NetworkPolicies let in only what the spec names; the Spotahome \
         operator starts every Redis pod as a replica of 127.0.0.1 and must reach Redis and \
         Sentinel to elect a primary, then to check and heal the failover. Kept out, it \
         elects none: an error. Set `operatorNamespace` to the namespace it runs in.";
    RKV156 Error "the mirror has no source credentials (sourcePasswordKey, sourceCaKey)"
        "MirrorMaker 2 must authenticate to the source site's Kafka with its SCRAM password \
         and trust its cluster CA. Name both secret-store keys; rkv brings them in with \
         ExternalSecrets.";
    RKV157 Error "Spotahome sets the Sentinel quorum to floor(n/2) + 1"
        "The Spotahome operator ignores any other quorum, so budgets computed from the \
         spec's would not be the ones that run. Set `quorum` to floor(replicas/2) + 1.";
    RKV158 Warning "fewer WAL partitions than appliers leaves appliers idle"
        "A consumer group gives each partition to one consumer, so appliers beyond the \
         partition count get nothing. Use at least as many partitions as appliers.";
    RKV159 Warning "Spotahome elects the oldest pod after all Redis pods restart: its AOF cannot keep writes only the old primary had"
        "After every Redis pod of a RedisFailover restarted at once (a node-pool replacement, \
         a power loss), the operator makes the oldest pod the primary (`SetOldestAsMaster`, \
         by pod age), not the one with the newest data, and the others resync from it. rkv \
         starts Redis with its durability settings on the command line, so each pod reloads \
         its own AOF, but no setting changes the choice. Keep the pods from restarting \
         together (required anti-affinity, nodes in several zones) and keep a way back (the \
         WAL, a backup).";
    RKV160 Error "`redis.extraConfig` sets a directive rkv owns or that breaks its guarantees (the help names the field to use)"
        "`redis.extraConfig` is for directives rkv does not model. A directive a spec field \
         sets (`port`, `maxmemory`, `appendonly`, `save`...) would be written twice, and the \
         checks would judge the spec's value, not the one that runs; directives the \
         operators, charts or rkv's templates set (`dir`, `bind`, `cluster-*`, `tls-*`) or \
         that break a guarantee (a password in `requirepass` or `user`, `rename-command` \
         breaking the probes and Jobs, `loadmodule` of a file replicas may not have) are \
         refused. Use the field the help line names.";
    RKV161 Error "a `redis.extraConfig` name or value that is not one redis.conf line (a line break, quotes, `$(`, `--`...)"
        "Each directive is written as one redis.conf line, one `redis-server` argument, one \
         `CONFIG SET` of the Spotahome operator and one line of Helm values the chart renders \
         as a template. A name is lowercase; a value is printable ASCII without line breaks, \
         quotes, backslashes, `$(` (the kubelet expands it), `{{` (Helm does) or a word \
         starting with `--`, so no value can smuggle in a second directive.";
    RKV162 Warning "a `redis.extraConfig` directive Redis 7.0 does not know"
        "Redis refuses to start on a directive it does not know, so a misspelt name is a \
         crash loop. rkv knows Redis 7.0's directives; a newer server has more: when the \
         image's Redis knows this one, accept the finding with the version in `spec.accept`.";
    RKV163 Error "a `redis.extraConfig` directive the Spotahome operator cannot apply (`CONFIG SET` refuses it)"
        "The Spotahome operator applies the RedisFailover's `customConfig` with `CONFIG SET` \
         on every reconcile; Redis refuses to change startup-only directives (`io-threads`, \
         `databases`, `unixsocket`...) while it runs, so every reconcile would fail. Remove \
         the directive; the shapes that write redis.conf can set it.";
    RKV167 Error "a label in `metadata.labels` is one the redis operator sets on its pods"
        "The OT-CONTAINER-KIT redis operator copies the custom resource's labels over its \
         own pod labels, which breaks its PodDisruptionBudget, Services and master lookup. \
         Remove the label from `metadata.labels`.";
    RKV168 Error "no operatorNamespace for the replication shape: the operator cannot set up replication"
        "rkv's default-deny NetworkPolicy also shuts out the redis operator, which sets up \
         replication by sending REPLICAOF to each pod over 6379, then checks roles, labels \
         the master and repairs replication. Kept out, every pod stays a primary: an error. \
         Set `shape.replication.operatorNamespace`.";
    RKV169 Error "a memory quantity rkv cannot read"
        "The memory checks and `maxmemory: auto` need numbers; a memory limit, `maxmemory` or \
         dataset estimate rkv cannot parse stops them. Write a Kubernetes quantity (`1Gi`) \
         or a Redis size (`896mb`).";
    RKV170 Error "a store declared `durable` has no persistence"
        "A durable store loses every key on a restart without persistence. Give \
         `persistence` (with AOF for the least loss), or declare `use: cache`.";
    RKV171 Warning "AOF is on without an explicit `appendfsync`"
        "How much an AOF loses on a crash depends on `appendfsync`: `always` loses nothing \
         acknowledged, `everysec` (the server default) about a second, `no` about 30 \
         seconds. Choose it in `persistence.aof.fsync`.";
    RKV172 Warning "a store declared `durable` has no backup schedule"
        "RDB and AOF files live on the same volume as the data, so losing the volume loses \
         both. Add a `backup` schedule (or a WAL on the failover shape).";
    RKV173 Error "the Helm target has no chart for the shape"
        "The Bitnami charts render `standalone`, `replication` (Sentinel) and `cluster`; the \
         `failover` shape compiles to a RedisFailover custom resource. Drop `outputs.helm`.";
    RKV174 Error "the Bitnami chart cannot run a non-Bitnami image"
        "The Bitnami charts' start scripts live in the Bitnami images. Use \
         `bitnamilegacy/redis:<tag>` (where Bitnami's versioned tags pull from since \
         September 2025) or a mirror of it; rkv derives `redis-sentinel` and \
         `redis-cluster` from it.";
    RKV175 Error "the Bitnami chart's Sentinel count must equal its Redis pod count"
        "The Bitnami chart runs one Sentinel beside each Redis pod, so the Sentinel count is \
         the pod count. Set `sentinel.replicas` to `replicas`.";
    RKV176 Warning "the Helm chart version is not the major version rkv writes values for"
        "rkv writes values checked against one major version of each chart; another major \
         version (or a range that allows one) may read them differently. Pin a version of \
         that major.";
    RKV177 Error "an image that no longer pulls: a versioned `docker.io/bitnami` tag (moved to `bitnamilegacy`)"
        "Between 28 August and 29 September 2025 Bitnami moved every versioned tag of \
         `docker.io/bitnami` to `docker.io/bitnamilegacy` (the same images, frozen: no \
         further updates), so `bitnami/redis:7.2` no longer pulls and pods stay in \
         ImagePullBackOff. Use the `bitnamilegacy/` reference or a copy in your own \
         registry. For the Bitnami charts rkv then sets \
         `global.security.allowInsecureImages`: their image verification refuses any \
         repository but `bitnami/` without it.";
    RKV178 Warning "the WAL topic states no retention: the broker's default applies, and an existing topic's own is removed"
        "How far back a rebuild from the write-ahead log reaches is the topic's retention. \
         Without `retentionHours` the KafkaTopic states none, so the topic keeps the broker's \
         `log.retention.hours` (168 h unless the cluster sets another) and Strimzi's topic \
         operator removes a retention the existing topic sets itself (it resets every \
         per-topic setting the KafkaTopic does not name). Read the topic's retention \
         (`kafka-configs.sh --describe`) and state it as `retentionHours`.";
    RKV180 Error "`auth.createdBy: chart` without a chart to make the Secret, or naming another Secret than the chart's own"
        "Only the Bitnami chart of the Helm target makes its own password Secret, named \
         `<fullname>` (the topology's name) with key `redis-password`. Without that chart \
         nothing creates the Secret; with another name or key the pods would read a Secret \
         nobody makes. Name the chart's Secret, or set `createdBy: external` and create it \
         before applying.";
    RKV181 Warning "the Helm values name the chart's own password Secret as `existingSecret`: the next upgrade of a chart-made one deletes it"
        "A release installed without `auth.existingSecret` (as seeds 002 and 003 run) has a \
         chart-made Secret `<fullname>`. Naming it in `existingSecret` stops the chart \
         rendering it, so the next upgrade drops it from the release and Helm deletes it, \
         and the password with it. If the chart made it, set `auth.createdBy: chart`; if you \
         made it, give it another name.";
    // `rkv diff --preflight`: prerequisites in the live cluster.
    RKV190 Error "an acceptance in `spec.accept` that cannot be honoured: not a spec finding's code, no sentence of reason, or an error that means the deployment cannot work"
        "`spec.accept` accepts the spec's warnings and notes (and policy errors such as \
         RKV103) with a written reason. It cannot accept a code the spec's checks do not \
         report (load findings, `validate --crds`, `rkv diff`), a reason shorter than a \
         sentence (at least 4 words and 20 characters: it is printed with the finding and \
         kept in the runbook), or an error that means the deployment cannot work as \
         written: fix that finding instead.";
    RKV191 Warning "an acceptance matches no finding (a stale waiver)"
        "An entry of `spec.accept` (or `exposure.acceptInsecure`) accepts a code, at a \
         field when it says one, that no check reports any more. Remove it: a stale waiver \
         would silently accept the next finding of that code.";
    RKV200 Error "`rkv diff` preflight: a Secret the objects reference does not exist in the cluster and nothing rendered creates it"
        "rkv renders references to Secrets, never their values; a Secret that does not exist \
         leaves pods stuck in CreateContainerConfigError. Create it before the rollout (the \
         help line gives the `kubectl create secret` command).";
    RKV201 Error "`rkv diff` preflight: a referenced Secret lacks the key the objects read"
        "The Secret exists but has no key the objects read (only key names are read, never \
         values). Add the key, or point the spec at one of the Secret's keys.";
    RKV202 Error "`rkv diff` preflight: a StorageClass a claim names does not exist, or a claim names none and the cluster has no default"
        "A PersistentVolumeClaim whose StorageClass does not exist, or that names none in a \
         cluster without a default, stays Pending and its pod never starts. Set \
         `persistence.storageClass` to one the cluster has.";
    RKV203 Error "`rkv diff` preflight: a namespace the objects go into does not exist and is not rendered"
        "Objects in a namespace that does not exist are refused. Create the namespace, or \
         have the applier create it.";
    RKV204 Error "`rkv diff` preflight: a custom resource sets fields the cluster's CRD does not declare, which the API server prunes without an error"
        "The API server silently drops fields a structural CRD schema does not declare, so \
         the setting never reaches the operator. Upgrade the operator's CRDs, or remove the \
         setting from the spec.";
    RKV205 Error "`rkv diff` preflight: a custom resource does not match the cluster's CRD schema"
        "The API server refuses a custom resource that violates its CRD's schema. Compare \
         with the operator version the spec targets.";
    RKV206 Warning "`rkv diff` preflight: the cluster's CRD marks the version rkv writes as deprecated"
        "The installed operator deprecates the API version rkv writes; a later operator \
         upgrade may stop serving it. Plan the operator upgrade.";
    RKV207 Warning "`rkv diff` preflight: a prerequisite could not be checked (access denied)"
        "The diff's credentials may not read something a preflight check needs (a \
         namespace, a Secret's keys, StorageClasses, a CRD). Grant `get` on it, or check it \
         by hand.";
    // `rkv diff`: destructive changes. They are listed, not failed, unless
    // `--fail-on destructive`, so their default is a warning.
    RKV210 Warning "`rkv diff` destructive: a PersistentVolumeClaim is pruned or must be replaced, and its volume with it"
        "Pruning or replacing a claim deletes its volume and the data on it. Back up first, \
         or keep the live claim out of the prune (the help line gives the annotation).";
    RKV211 Warning "`rkv diff` destructive: a Redis Cluster's shard count or replicas per shard change (the init Job never reshards)"
        "rkv's cluster-init Job creates the cluster once; it never adds or removes shards or \
         moves slots. Changing the counts needs a manual reshard (the runbook's procedure).";
    RKV212 Warning "`rkv diff` destructive: fewer Sentinels (Sentinels never forget peers)"
        "Sentinels keep counting removed peers towards the majority until each is told to \
         `SENTINEL RESET`; without it failovers can stop. Follow the runbook when scaling \
         down.";
    RKV213 Warning "`rkv diff` destructive: a storage change on an operator custom resource or in Helm values (no controller resizes existing claims)"
        "StatefulSet volume claim templates are immutable and no operator or chart resizes \
         existing claims, so the change applies only to new pods. Resize the claims by hand \
         (the runbook's persistence procedure).";
    RKV214 Warning "`rkv diff` destructive: objects move to another namespace (the data does not)"
        "A namespace change prunes the objects in the old namespace and creates new ones; \
         claims and their data stay behind. Migrate the data first.";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_sorted() {
        let ids: Vec<&str> = CODES.iter().map(|c| c.as_str()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted, ids);
    }

    #[test]
    fn every_code_is_documented() {
        for c in CODES {
            assert!(
                c.as_str().len() == 6 && c.as_str().starts_with("RKV"),
                "{c}"
            );
            assert!(
                !c.summary().is_empty() && !c.summary().ends_with('.'),
                "{c}"
            );
            assert!(c.help().ends_with('.'), "{c}: help is sentences");
            assert!(
                !c.help().contains("  "),
                "{c}: a line continuation left two spaces"
            );
        }
    }

    #[test]
    fn parse_finds_registered_codes_only() {
        assert_eq!(Code::parse("RKV110"), Some(RKV110));
        assert_eq!(Code::parse("rkv017"), Some(RKV017));
        assert_eq!(Code::parse("RKV999"), None);
        assert_eq!(Code::parse("RKV11"), None);
    }

    #[test]
    fn codes_order_by_name() {
        assert!(RKV009 < RKV010 && RKV017 < RKV100);
        assert_eq!(RKV110.to_string(), "RKV110");
        assert_eq!(serde_json::to_string(&RKV110).unwrap(), "\"RKV110\"");
    }

    #[test]
    fn the_table_has_a_row_per_code() {
        let t = markdown_table();
        assert_eq!(t.lines().count(), CODES.len() + 2);
        assert!(t.contains("\n| RKV110 | error | a disruption budget override that is unsafe"));
        assert!(t.contains("\n| RKV153 | note | a relative EXPIRE"));
    }
}
