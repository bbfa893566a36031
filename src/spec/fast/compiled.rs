//! The spec's JSON Schema compiled for the fast check: GENERATED from
//! `schemas/topology.schema.json` by `RKV_UPDATE_GOLDEN=1 cargo test --lib spec::fast`.
//! Do not edit. `SOURCE` is the hash of the schema text it was compiled from; tables
//! that do not match the committed schema are not used (see the parent module).

use super::{Lit, Node, Num, Pattern, Sub};

pub(super) const SOURCE: u64 = 0x8f1fdcf412261d2b;

pub(super) static ROOT: Node = Node { types: Some(64), properties: &[("apiVersion", Sub::Node(&Node { reference: Some(Sub::Node(&DEF_3)), ..Node::EMPTY })), ("kind", Sub::Node(&Node { reference: Some(Sub::Node(&DEF_49)), ..Node::EMPTY })), ("metadata", Sub::Node(&Node { reference: Some(Sub::Node(&DEF_23)), ..Node::EMPTY })), ("spec", Sub::Node(&Node { reference: Some(Sub::Node(&DEF_50)), ..Node::EMPTY }))], additional: Some(Sub::Bool(false)), required: &["apiVersion", "kind", "metadata", "spec"], ..Node::EMPTY };

/// `#/$defs/Acceptance`
static DEF_0: Node = Node { types: Some(64), properties: &[("code", Sub::Node(&Node { types: Some(16), pattern: Some(Pattern::Code), ..Node::EMPTY })), ("field", Sub::Node(&Node { types: Some(17), ..Node::EMPTY })), ("reason", Sub::Node(&Node { types: Some(16), min_length: Some(1), ..Node::EMPTY }))], additional: Some(Sub::Bool(false)), required: &["code", "reason"], ..Node::EMPTY };

/// `#/$defs/AntiAffinity`
static DEF_1: Node = Node { one_of: Some(&[Sub::Node(&Node { types: Some(16), constant: Some(Lit::Str("preferred")), ..Node::EMPTY }), Sub::Node(&Node { types: Some(16), constant: Some(Lit::Str("required")), ..Node::EMPTY })]), ..Node::EMPTY };

/// `#/$defs/Aof`
static DEF_2: Node = Node { types: Some(64), properties: &[("fsync", Sub::Node(&Node { any_of: Some(&[Sub::Node(&Node { reference: Some(Sub::Node(&DEF_18)), ..Node::EMPTY }), Sub::Node(&Node { types: Some(1), ..Node::EMPTY })]), ..Node::EMPTY })), ("rewriteMinSize", Sub::Node(&Node { types: Some(16), pattern: Some(Pattern::RedisBytes), ..Node::EMPTY })), ("rewritePercentage", Sub::Node(&Node { types: Some(4), minimum: Some(Num::Int(0)), maximum: Some(Num::Int(10000)), ..Node::EMPTY }))], additional: Some(Sub::Bool(false)), ..Node::EMPTY };

/// `#/$defs/ApiVersion`
static DEF_3: Node = Node { types: Some(16), enumeration: Some(&[Lit::Str("rkv.dev/v1alpha1")]), ..Node::EMPTY };

/// `#/$defs/Applier`
static DEF_4: Node = Node { types: Some(64), properties: &[("group", Sub::Node(&Node { types: Some(16), ..Node::EMPTY })), ("image", Sub::Node(&Node { types: Some(16), ..Node::EMPTY })), ("port", Sub::Node(&Node { types: Some(4), minimum: Some(Num::Int(1)), maximum: Some(Num::Int(65535)), ..Node::EMPTY })), ("replicas", Sub::Node(&Node { types: Some(4), minimum: Some(Num::Int(1)), maximum: Some(Num::Int(100)), ..Node::EMPTY })), ("resources", Sub::Node(&Node { any_of: Some(&[Sub::Node(&Node { reference: Some(Sub::Node(&DEF_34)), ..Node::EMPTY }), Sub::Node(&Node { types: Some(1), ..Node::EMPTY })]), ..Node::EMPTY })), ("user", Sub::Node(&Node { types: Some(16), ..Node::EMPTY }))], additional: Some(Sub::Bool(false)), required: &["image", "replicas", "user", "group", "port"], ..Node::EMPTY };

/// `#/$defs/ArgoCd`
static DEF_5: Node = Node { types: Some(64), properties: &[("destinationName", Sub::Node(&Node { types: Some(17), ..Node::EMPTY })), ("destinationServer", Sub::Node(&Node { types: Some(17), ..Node::EMPTY })), ("namespace", Sub::Node(&Node { types: Some(16), ..Node::EMPTY })), ("path", Sub::Node(&Node { types: Some(17), ..Node::EMPTY })), ("project", Sub::Node(&Node { types: Some(16), ..Node::EMPTY })), ("repoURL", Sub::Node(&Node { types: Some(16), ..Node::EMPTY })), ("targetRevision", Sub::Node(&Node { types: Some(16), ..Node::EMPTY }))], additional: Some(Sub::Bool(false)), required: &["project", "repoURL"], ..Node::EMPTY };

/// `#/$defs/Auth`
static DEF_6: Node = Node { types: Some(64), properties: &[("createdBy", Sub::Node(&Node { reference: Some(Sub::Node(&DEF_37)), ..Node::EMPTY })), ("passwordSecret", Sub::Node(&Node { reference: Some(Sub::Node(&DEF_36)), ..Node::EMPTY }))], additional: Some(Sub::Bool(false)), required: &["passwordSecret"], ..Node::EMPTY };

/// `#/$defs/Backup`
static DEF_7: Node = Node { types: Some(64), properties: &[("retentionDays", Sub::Node(&Node { types: Some(4), minimum: Some(Num::Int(1)), maximum: Some(Num::Int(3650)), ..Node::EMPTY })), ("retentionSchedule", Sub::Node(&Node { types: Some(16), ..Node::EMPTY })), ("schedule", Sub::Node(&Node { types: Some(16), ..Node::EMPTY })), ("size", Sub::Node(&Node { types: Some(16), pattern: Some(Pattern::Quantity), ..Node::EMPTY })), ("storageClass", Sub::Node(&Node { types: Some(17), ..Node::EMPTY }))], additional: Some(Sub::Bool(false)), required: &["schedule", "retentionDays", "size"], ..Node::EMPTY };

/// `#/$defs/CertManager`
static DEF_8: Node = Node { types: Some(64), properties: &[("issuer", Sub::Node(&Node { types: Some(16), ..Node::EMPTY })), ("issuerKind", Sub::Node(&Node { types: Some(16), ..Node::EMPTY }))], additional: Some(Sub::Bool(false)), required: &["issuer"], ..Node::EMPTY };

/// `#/$defs/Client`
static DEF_9: Node = Node { types: Some(64), properties: &[("namespace", Sub::Node(&Node { types: Some(16), pattern: Some(Pattern::Name), ..Node::EMPTY })), ("podSelector", Sub::Node(&Node { types: Some(64), additional: Some(Sub::Node(&Node { types: Some(16), ..Node::EMPTY })), ..Node::EMPTY })), ("sentinelAware", Sub::Node(&Node { types: Some(2), ..Node::EMPTY }))], additional: Some(Sub::Bool(false)), required: &["namespace"], ..Node::EMPTY };

/// `#/$defs/Cluster`
static DEF_10: Node = Node { types: Some(64), properties: &[("nodeTimeoutMs", Sub::Node(&Node { types: Some(4), minimum: Some(Num::Int(100)), maximum: Some(Num::Int(600000)), ..Node::EMPTY })), ("replicasPerShard", Sub::Node(&Node { types: Some(4), minimum: Some(Num::Int(0)), maximum: Some(Num::Int(10)), ..Node::EMPTY })), ("shards", Sub::Node(&Node { types: Some(4), minimum: Some(Num::Int(1)), maximum: Some(Num::Int(1000)), ..Node::EMPTY }))], additional: Some(Sub::Bool(false)), required: &["shards", "replicasPerShard"], ..Node::EMPTY };

/// `#/$defs/ConfigValue`
static DEF_11: Node = Node { any_of: Some(&[Sub::Node(&Node { types: Some(2), ..Node::EMPTY }), Sub::Node(&Node { types: Some(4), ..Node::EMPTY }), Sub::Node(&Node { types: Some(16), ..Node::EMPTY })]), ..Node::EMPTY };

/// `#/$defs/Disruption`
static DEF_12: Node = Node { types: Some(64), properties: &[("maxUnavailable", Sub::Node(&Node { types: Some(5), minimum: Some(Num::Int(0)), ..Node::EMPTY })), ("minAvailable", Sub::Node(&Node { types: Some(5), minimum: Some(Num::Int(0)), ..Node::EMPTY }))], additional: Some(Sub::Bool(false)), ..Node::EMPTY };

/// `#/$defs/EvictionPolicy`
static DEF_13: Node = Node { types: Some(16), enumeration: Some(&[Lit::Str("noeviction"), Lit::Str("allkeys-lru"), Lit::Str("allkeys-lfu"), Lit::Str("allkeys-random"), Lit::Str("volatile-lru"), Lit::Str("volatile-lfu"), Lit::Str("volatile-random"), Lit::Str("volatile-ttl")]), ..Node::EMPTY };

/// `#/$defs/Exporter`
static DEF_14: Node = Node { types: Some(64), properties: &[("image", Sub::Node(&Node { types: Some(16), ..Node::EMPTY })), ("port", Sub::Node(&Node { types: Some(4), minimum: Some(Num::Int(1)), maximum: Some(Num::Int(65535)), ..Node::EMPTY })), ("resources", Sub::Node(&Node { any_of: Some(&[Sub::Node(&Node { reference: Some(Sub::Node(&DEF_34)), ..Node::EMPTY }), Sub::Node(&Node { types: Some(1), ..Node::EMPTY })]), ..Node::EMPTY }))], additional: Some(Sub::Bool(false)), required: &["image"], ..Node::EMPTY };

/// `#/$defs/Exposure`
static DEF_15: Node = Node { types: Some(64), properties: &[("acceptInsecure", Sub::Node(&Node { types: Some(17), min_length: Some(10), ..Node::EMPTY })), ("hostname", Sub::Node(&Node { types: Some(17), ..Node::EMPTY })), ("sourceRanges", Sub::Node(&Node { types: Some(32), items: Some(Sub::Node(&Node { types: Some(16), ..Node::EMPTY })), ..Node::EMPTY })), ("type", Sub::Node(&Node { reference: Some(Sub::Node(&DEF_42)), ..Node::EMPTY }))], additional: Some(Sub::Bool(false)), required: &["type"], ..Node::EMPTY };

/// `#/$defs/Failover`
static DEF_16: Node = Node { types: Some(64), properties: &[("operator", Sub::Node(&Node { reference: Some(Sub::Node(&DEF_17)), ..Node::EMPTY })), ("operatorNamespace", Sub::Node(&Node { types: Some(17), pattern: Some(Pattern::Name), ..Node::EMPTY })), ("replicas", Sub::Node(&Node { types: Some(4), minimum: Some(Num::Int(1)), maximum: Some(Num::Int(15)), ..Node::EMPTY })), ("sentinel", Sub::Node(&Node { reference: Some(Sub::Node(&DEF_41)), ..Node::EMPTY })), ("wal", Sub::Node(&Node { any_of: Some(&[Sub::Node(&Node { reference: Some(Sub::Node(&DEF_52)), ..Node::EMPTY }), Sub::Node(&Node { types: Some(1), ..Node::EMPTY })]), ..Node::EMPTY }))], additional: Some(Sub::Bool(false)), required: &["operator", "replicas", "sentinel"], ..Node::EMPTY };

/// `#/$defs/FailoverOperator`
static DEF_17: Node = Node { types: Some(16), enumeration: Some(&[Lit::Str("spotahome")]), ..Node::EMPTY };

/// `#/$defs/Fsync`
static DEF_18: Node = Node { types: Some(16), enumeration: Some(&[Lit::Str("always"), Lit::Str("everysec"), Lit::Str("no")]), ..Node::EMPTY };

/// `#/$defs/HelmOutput`
static DEF_19: Node = Node { types: Some(64), properties: &[("interval", Sub::Node(&Node { types: Some(16), ..Node::EMPTY })), ("namespace", Sub::Node(&Node { types: Some(16), pattern: Some(Pattern::Name), ..Node::EMPTY })), ("release", Sub::Node(&Node { types: Some(16), ..Node::EMPTY })), ("repository", Sub::Node(&Node { types: Some(16), ..Node::EMPTY })), ("version", Sub::Node(&Node { types: Some(16), ..Node::EMPTY }))], additional: Some(Sub::Bool(false)), required: &["release", "namespace", "version", "repository"], ..Node::EMPTY };

/// `#/$defs/Jobs`
static DEF_20: Node = Node { types: Some(64), properties: &[("resources", Sub::Node(&Node { any_of: Some(&[Sub::Node(&Node { reference: Some(Sub::Node(&DEF_34)), ..Node::EMPTY }), Sub::Node(&Node { types: Some(1), ..Node::EMPTY })]), ..Node::EMPTY }))], additional: Some(Sub::Bool(false)), ..Node::EMPTY };

/// `#/$defs/Kafka`
static DEF_21: Node = Node { types: Some(64), properties: &[("bootstrap", Sub::Node(&Node { types: Some(16), ..Node::EMPTY })), ("cluster", Sub::Node(&Node { types: Some(16), ..Node::EMPTY })), ("namespace", Sub::Node(&Node { types: Some(16), pattern: Some(Pattern::Name), ..Node::EMPTY })), ("port", Sub::Node(&Node { types: Some(4), minimum: Some(Num::Int(1)), maximum: Some(Num::Int(65535)), ..Node::EMPTY }))], additional: Some(Sub::Bool(false)), required: &["namespace", "cluster", "bootstrap", "port"], ..Node::EMPTY };

/// `#/$defs/Memory`
static DEF_22: Node = Node { types: Some(64), properties: &[("datasetEstimate", Sub::Node(&Node { types: Some(17), pattern: Some(Pattern::Quantity), ..Node::EMPTY })), ("maxmemory", Sub::Node(&Node { types: Some(16), pattern: Some(Pattern::AutoOrRedisBytes), ..Node::EMPTY })), ("policy", Sub::Node(&Node { reference: Some(Sub::Node(&DEF_13)), ..Node::EMPTY }))], additional: Some(Sub::Bool(false)), required: &["policy"], ..Node::EMPTY };

/// `#/$defs/Metadata`
static DEF_23: Node = Node { types: Some(64), properties: &[("labels", Sub::Node(&Node { types: Some(64), additional: Some(Sub::Node(&Node { types: Some(16), ..Node::EMPTY })), ..Node::EMPTY })), ("name", Sub::Node(&Node { types: Some(16), min_length: Some(1), max_length: Some(63), pattern: Some(Pattern::Name), ..Node::EMPTY })), ("namespace", Sub::Node(&Node { types: Some(16), min_length: Some(1), max_length: Some(63), pattern: Some(Pattern::Name), ..Node::EMPTY })), ("partOf", Sub::Node(&Node { types: Some(17), ..Node::EMPTY }))], additional: Some(Sub::Bool(false)), required: &["name", "namespace"], ..Node::EMPTY };

/// `#/$defs/Mirror`
static DEF_24: Node = Node { types: Some(64), properties: &[("from", Sub::Node(&Node { types: Some(16), ..Node::EMPTY })), ("sourceBootstrap", Sub::Node(&Node { types: Some(16), ..Node::EMPTY })), ("sourceCaKey", Sub::Node(&Node { types: Some(17), ..Node::EMPTY })), ("sourcePasswordKey", Sub::Node(&Node { types: Some(17), ..Node::EMPTY })), ("to", Sub::Node(&Node { types: Some(16), ..Node::EMPTY }))], additional: Some(Sub::Bool(false)), required: &["from", "to", "sourceBootstrap"], ..Node::EMPTY };

/// `#/$defs/Monitoring`
static DEF_25: Node = Node { types: Some(64), properties: &[("alerts", Sub::Node(&Node { types: Some(2), ..Node::EMPTY })), ("exporter", Sub::Node(&Node { any_of: Some(&[Sub::Node(&Node { reference: Some(Sub::Node(&DEF_14)), ..Node::EMPTY }), Sub::Node(&Node { types: Some(1), ..Node::EMPTY })]), ..Node::EMPTY })), ("namespace", Sub::Node(&Node { types: Some(16), pattern: Some(Pattern::Name), ..Node::EMPTY })), ("serviceMonitor", Sub::Node(&Node { types: Some(2), ..Node::EMPTY }))], additional: Some(Sub::Bool(false)), required: &["namespace"], ..Node::EMPTY };

/// `#/$defs/Outputs`
static DEF_26: Node = Node { types: Some(64), properties: &[("helm", Sub::Node(&Node { any_of: Some(&[Sub::Node(&Node { reference: Some(Sub::Node(&DEF_19)), ..Node::EMPTY }), Sub::Node(&Node { types: Some(1), ..Node::EMPTY })]), ..Node::EMPTY })), ("kustomize", Sub::Node(&Node { types: Some(2), ..Node::EMPTY }))], additional: Some(Sub::Bool(false)), ..Node::EMPTY };

/// `#/$defs/Overrides`
static DEF_27: Node = Node { types: Some(64), properties: &[("argocd", Sub::Node(&Node { any_of: Some(&[Sub::Node(&Node { reference: Some(Sub::Node(&DEF_5)), ..Node::EMPTY }), Sub::Node(&Node { types: Some(1), ..Node::EMPTY })]), ..Node::EMPTY })), ("auth", Sub::Node(&Node { any_of: Some(&[Sub::Node(&Node { reference: Some(Sub::Node(&DEF_6)), ..Node::EMPTY }), Sub::Node(&Node { types: Some(1), ..Node::EMPTY })]), ..Node::EMPTY })), ("backup", Sub::Node(&Node { any_of: Some(&[Sub::Node(&Node { reference: Some(Sub::Node(&DEF_7)), ..Node::EMPTY }), Sub::Node(&Node { types: Some(1), ..Node::EMPTY })]), ..Node::EMPTY })), ("clients", Sub::Node(&Node { types: Some(33), items: Some(Sub::Node(&Node { reference: Some(Sub::Node(&DEF_9)), ..Node::EMPTY })), ..Node::EMPTY })), ("disruption", Sub::Node(&Node { any_of: Some(&[Sub::Node(&Node { reference: Some(Sub::Node(&DEF_12)), ..Node::EMPTY }), Sub::Node(&Node { types: Some(1), ..Node::EMPTY })]), ..Node::EMPTY })), ("exposure", Sub::Node(&Node { any_of: Some(&[Sub::Node(&Node { reference: Some(Sub::Node(&DEF_15)), ..Node::EMPTY }), Sub::Node(&Node { types: Some(1), ..Node::EMPTY })]), ..Node::EMPTY })), ("jobs", Sub::Node(&Node { any_of: Some(&[Sub::Node(&Node { reference: Some(Sub::Node(&DEF_20)), ..Node::EMPTY }), Sub::Node(&Node { types: Some(1), ..Node::EMPTY })]), ..Node::EMPTY })), ("memory", Sub::Node(&Node { any_of: Some(&[Sub::Node(&Node { reference: Some(Sub::Node(&DEF_22)), ..Node::EMPTY }), Sub::Node(&Node { types: Some(1), ..Node::EMPTY })]), ..Node::EMPTY })), ("monitoring", Sub::Node(&Node { any_of: Some(&[Sub::Node(&Node { reference: Some(Sub::Node(&DEF_25)), ..Node::EMPTY }), Sub::Node(&Node { types: Some(1), ..Node::EMPTY })]), ..Node::EMPTY })), ("name", Sub::Node(&Node { types: Some(17), min_length: Some(1), max_length: Some(63), pattern: Some(Pattern::Name), ..Node::EMPTY })), ("namespace", Sub::Node(&Node { types: Some(17), min_length: Some(1), max_length: Some(63), pattern: Some(Pattern::Name), ..Node::EMPTY })), ("outputs", Sub::Node(&Node { any_of: Some(&[Sub::Node(&Node { reference: Some(Sub::Node(&DEF_26)), ..Node::EMPTY }), Sub::Node(&Node { types: Some(1), ..Node::EMPTY })]), ..Node::EMPTY })), ("persistence", Sub::Node(&Node { any_of: Some(&[Sub::Node(&Node { reference: Some(Sub::Node(&DEF_28)), ..Node::EMPTY }), Sub::Node(&Node { types: Some(1), ..Node::EMPTY })]), ..Node::EMPTY })), ("placement", Sub::Node(&Node { any_of: Some(&[Sub::Node(&Node { reference: Some(Sub::Node(&DEF_29)), ..Node::EMPTY }), Sub::Node(&Node { types: Some(1), ..Node::EMPTY })]), ..Node::EMPTY })), ("pods", Sub::Node(&Node { any_of: Some(&[Sub::Node(&Node { reference: Some(Sub::Node(&DEF_30)), ..Node::EMPTY }), Sub::Node(&Node { types: Some(1), ..Node::EMPTY })]), ..Node::EMPTY })), ("redis", Sub::Node(&Node { any_of: Some(&[Sub::Node(&Node { reference: Some(Sub::Node(&DEF_31)), ..Node::EMPTY }), Sub::Node(&Node { types: Some(1), ..Node::EMPTY })]), ..Node::EMPTY })), ("resources", Sub::Node(&Node { any_of: Some(&[Sub::Node(&Node { reference: Some(Sub::Node(&DEF_34)), ..Node::EMPTY }), Sub::Node(&Node { types: Some(1), ..Node::EMPTY })]), ..Node::EMPTY })), ("shape", Sub::Node(&Node { any_of: Some(&[Sub::Node(&Node { reference: Some(Sub::Node(&DEF_43)), ..Node::EMPTY }), Sub::Node(&Node { types: Some(1), ..Node::EMPTY })]), ..Node::EMPTY })), ("tls", Sub::Node(&Node { any_of: Some(&[Sub::Node(&Node { reference: Some(Sub::Node(&DEF_46)), ..Node::EMPTY }), Sub::Node(&Node { types: Some(1), ..Node::EMPTY })]), ..Node::EMPTY })), ("use", Sub::Node(&Node { any_of: Some(&[Sub::Node(&Node { reference: Some(Sub::Node(&DEF_51)), ..Node::EMPTY }), Sub::Node(&Node { types: Some(1), ..Node::EMPTY })]), ..Node::EMPTY }))], additional: Some(Sub::Bool(false)), ..Node::EMPTY };

/// `#/$defs/Persistence`
static DEF_28: Node = Node { types: Some(64), properties: &[("aof", Sub::Node(&Node { any_of: Some(&[Sub::Node(&Node { reference: Some(Sub::Node(&DEF_2)), ..Node::EMPTY }), Sub::Node(&Node { types: Some(1), ..Node::EMPTY })]), ..Node::EMPTY })), ("enabled", Sub::Node(&Node { types: Some(2), ..Node::EMPTY })), ("rdbSave", Sub::Node(&Node { types: Some(33), items: Some(Sub::Node(&Node { reference: Some(Sub::Node(&DEF_35)), ..Node::EMPTY })), ..Node::EMPTY })), ("size", Sub::Node(&Node { types: Some(16), pattern: Some(Pattern::Quantity), ..Node::EMPTY })), ("storageClass", Sub::Node(&Node { types: Some(17), ..Node::EMPTY }))], additional: Some(Sub::Bool(false)), required: &["size"], ..Node::EMPTY };

/// `#/$defs/Placement`
static DEF_29: Node = Node { types: Some(64), properties: &[("antiAffinity", Sub::Node(&Node { any_of: Some(&[Sub::Node(&Node { reference: Some(Sub::Node(&DEF_1)), ..Node::EMPTY }), Sub::Node(&Node { types: Some(1), ..Node::EMPTY })]), ..Node::EMPTY })), ("nodeSelector", Sub::Node(&Node { types: Some(64), additional: Some(Sub::Node(&Node { types: Some(16), ..Node::EMPTY })), ..Node::EMPTY })), ("tolerations", Sub::Node(&Node { types: Some(32), items: Some(Sub::Node(&Node { reference: Some(Sub::Node(&DEF_47)), ..Node::EMPTY })), ..Node::EMPTY })), ("topologySpread", Sub::Node(&Node { types: Some(2), ..Node::EMPTY })), ("zoneSpread", Sub::Node(&Node { types: Some(2), ..Node::EMPTY })), ("zones", Sub::Node(&Node { types: Some(5), minimum: Some(Num::Int(1)), maximum: Some(Num::Int(64)), ..Node::EMPTY }))], additional: Some(Sub::Bool(false)), ..Node::EMPTY };

/// `#/$defs/Pods`
static DEF_30: Node = Node { types: Some(64), properties: &[("annotations", Sub::Node(&Node { types: Some(64), additional: Some(Sub::Node(&Node { types: Some(16), ..Node::EMPTY })), ..Node::EMPTY })), ("imagePullSecrets", Sub::Node(&Node { types: Some(32), items: Some(Sub::Node(&Node { reference: Some(Sub::Node(&DEF_38)), ..Node::EMPTY })), ..Node::EMPTY })), ("priorityClassName", Sub::Node(&Node { types: Some(17), min_length: Some(1), max_length: Some(253), pattern: Some(Pattern::Subdomain), ..Node::EMPTY }))], additional: Some(Sub::Bool(false)), ..Node::EMPTY };

/// `#/$defs/Redis`
static DEF_31: Node = Node { types: Some(64), properties: &[("extraConfig", Sub::Node(&Node { types: Some(64), additional: Some(Sub::Node(&Node { reference: Some(Sub::Node(&DEF_11)), ..Node::EMPTY })), ..Node::EMPTY })), ("image", Sub::Node(&Node { types: Some(16), min_length: Some(1), ..Node::EMPTY })), ("maxclients", Sub::Node(&Node { types: Some(5), minimum: Some(Num::Int(1)), ..Node::EMPTY })), ("port", Sub::Node(&Node { types: Some(4), minimum: Some(Num::Int(1)), maximum: Some(Num::Int(65535)), ..Node::EMPTY })), ("replDisklessSync", Sub::Node(&Node { types: Some(3), ..Node::EMPTY }))], additional: Some(Sub::Bool(false)), required: &["image"], ..Node::EMPTY };

/// `#/$defs/Replication`
static DEF_32: Node = Node { types: Some(64), properties: &[("operatorNamespace", Sub::Node(&Node { types: Some(17), min_length: Some(1), max_length: Some(63), pattern: Some(Pattern::Name), ..Node::EMPTY })), ("replicas", Sub::Node(&Node { types: Some(4), minimum: Some(Num::Int(1)), maximum: Some(Num::Int(15)), ..Node::EMPTY })), ("sentinel", Sub::Node(&Node { reference: Some(Sub::Node(&DEF_41)), ..Node::EMPTY }))], additional: Some(Sub::Bool(false)), required: &["replicas", "sentinel"], ..Node::EMPTY };

/// `#/$defs/ResourceList`
static DEF_33: Node = Node { types: Some(64), properties: &[("cpu", Sub::Node(&Node { types: Some(17), pattern: Some(Pattern::Quantity), ..Node::EMPTY })), ("memory", Sub::Node(&Node { types: Some(17), pattern: Some(Pattern::Quantity), ..Node::EMPTY }))], additional: Some(Sub::Bool(false)), ..Node::EMPTY };

/// `#/$defs/Resources`
static DEF_34: Node = Node { types: Some(64), properties: &[("limits", Sub::Node(&Node { any_of: Some(&[Sub::Node(&Node { reference: Some(Sub::Node(&DEF_33)), ..Node::EMPTY }), Sub::Node(&Node { types: Some(1), ..Node::EMPTY })]), ..Node::EMPTY })), ("requests", Sub::Node(&Node { any_of: Some(&[Sub::Node(&Node { reference: Some(Sub::Node(&DEF_33)), ..Node::EMPTY }), Sub::Node(&Node { types: Some(1), ..Node::EMPTY })]), ..Node::EMPTY }))], additional: Some(Sub::Bool(false)), ..Node::EMPTY };

/// `#/$defs/SaveRule`
static DEF_35: Node = Node { types: Some(16), pattern: Some(Pattern::SaveRule), ..Node::EMPTY };

/// `#/$defs/SecretKeyRef`
static DEF_36: Node = Node { types: Some(64), properties: &[("key", Sub::Node(&Node { types: Some(16), min_length: Some(1), ..Node::EMPTY })), ("name", Sub::Node(&Node { types: Some(16), min_length: Some(1), max_length: Some(253), ..Node::EMPTY }))], additional: Some(Sub::Bool(false)), required: &["name", "key"], ..Node::EMPTY };

/// `#/$defs/SecretMaker`
static DEF_37: Node = Node { one_of: Some(&[Sub::Node(&Node { types: Some(16), constant: Some(Lit::Str("external")), ..Node::EMPTY }), Sub::Node(&Node { types: Some(16), constant: Some(Lit::Str("chart")), ..Node::EMPTY })]), ..Node::EMPTY };

/// `#/$defs/SecretName`
static DEF_38: Node = Node { types: Some(16), min_length: Some(1), max_length: Some(253), pattern: Some(Pattern::Subdomain), ..Node::EMPTY };

/// `#/$defs/SecretStoreKind`
static DEF_39: Node = Node { types: Some(16), enumeration: Some(&[Lit::Str("SecretStore"), Lit::Str("ClusterSecretStore")]), ..Node::EMPTY };

/// `#/$defs/SecretStoreRef`
static DEF_40: Node = Node { types: Some(64), properties: &[("kafkaCaKey", Sub::Node(&Node { types: Some(16), ..Node::EMPTY })), ("kind", Sub::Node(&Node { reference: Some(Sub::Node(&DEF_39)), ..Node::EMPTY })), ("name", Sub::Node(&Node { types: Some(16), ..Node::EMPTY })), ("scramPasswordKey", Sub::Node(&Node { types: Some(16), ..Node::EMPTY }))], additional: Some(Sub::Bool(false)), required: &["name", "kind", "scramPasswordKey", "kafkaCaKey"], ..Node::EMPTY };

/// `#/$defs/Sentinel`
static DEF_41: Node = Node { types: Some(64), properties: &[("downAfterMs", Sub::Node(&Node { types: Some(4), minimum: Some(Num::Int(100)), maximum: Some(Num::Int(600000)), ..Node::EMPTY })), ("failoverTimeoutMs", Sub::Node(&Node { types: Some(4), minimum: Some(Num::Int(100)), maximum: Some(Num::Int(3600000)), ..Node::EMPTY })), ("image", Sub::Node(&Node { types: Some(17), ..Node::EMPTY })), ("masterName", Sub::Node(&Node { types: Some(17), ..Node::EMPTY })), ("parallelSyncs", Sub::Node(&Node { types: Some(4), minimum: Some(Num::Int(1)), maximum: Some(Num::Int(100)), ..Node::EMPTY })), ("quorum", Sub::Node(&Node { types: Some(4), minimum: Some(Num::Int(1)), maximum: Some(Num::Int(15)), ..Node::EMPTY })), ("replicas", Sub::Node(&Node { types: Some(4), minimum: Some(Num::Int(1)), maximum: Some(Num::Int(15)), ..Node::EMPTY })), ("resources", Sub::Node(&Node { any_of: Some(&[Sub::Node(&Node { reference: Some(Sub::Node(&DEF_34)), ..Node::EMPTY }), Sub::Node(&Node { types: Some(1), ..Node::EMPTY })]), ..Node::EMPTY }))], additional: Some(Sub::Bool(false)), required: &["replicas", "quorum"], ..Node::EMPTY };

/// `#/$defs/ServiceType`
static DEF_42: Node = Node { types: Some(16), enumeration: Some(&[Lit::Str("ClusterIP"), Lit::Str("LoadBalancer"), Lit::Str("NodePort")]), ..Node::EMPTY };

/// `#/$defs/Shape`
static DEF_43: Node = Node { one_of: Some(&[Sub::Node(&Node { types: Some(64), properties: &[("standalone", Sub::Node(&Node { reference: Some(Sub::Node(&DEF_44)), ..Node::EMPTY }))], additional: Some(Sub::Bool(false)), required: &["standalone"], ..Node::EMPTY }), Sub::Node(&Node { types: Some(64), properties: &[("cluster", Sub::Node(&Node { reference: Some(Sub::Node(&DEF_10)), ..Node::EMPTY }))], additional: Some(Sub::Bool(false)), required: &["cluster"], ..Node::EMPTY }), Sub::Node(&Node { types: Some(64), properties: &[("failover", Sub::Node(&Node { reference: Some(Sub::Node(&DEF_16)), ..Node::EMPTY }))], additional: Some(Sub::Bool(false)), required: &["failover"], ..Node::EMPTY }), Sub::Node(&Node { types: Some(64), properties: &[("replication", Sub::Node(&Node { reference: Some(Sub::Node(&DEF_32)), ..Node::EMPTY }))], additional: Some(Sub::Bool(false)), required: &["replication"], ..Node::EMPTY })]), ..Node::EMPTY };

/// `#/$defs/Standalone`
static DEF_44: Node = Node { types: Some(64), additional: Some(Sub::Bool(false)), ..Node::EMPTY };

/// `#/$defs/TaintEffect`
static DEF_45: Node = Node { types: Some(16), enumeration: Some(&[Lit::Str("NoSchedule"), Lit::Str("PreferNoSchedule"), Lit::Str("NoExecute")]), ..Node::EMPTY };

/// `#/$defs/Tls`
static DEF_46: Node = Node { types: Some(64), properties: &[("certManager", Sub::Node(&Node { any_of: Some(&[Sub::Node(&Node { reference: Some(Sub::Node(&DEF_8)), ..Node::EMPTY }), Sub::Node(&Node { types: Some(1), ..Node::EMPTY })]), ..Node::EMPTY })), ("clientSecret", Sub::Node(&Node { types: Some(17), ..Node::EMPTY })), ("mutual", Sub::Node(&Node { types: Some(2), ..Node::EMPTY })), ("plaintextPort", Sub::Node(&Node { types: Some(2), ..Node::EMPTY })), ("serverSecret", Sub::Node(&Node { types: Some(16), ..Node::EMPTY }))], additional: Some(Sub::Bool(false)), required: &["serverSecret"], ..Node::EMPTY };

/// `#/$defs/Toleration`
static DEF_47: Node = Node { types: Some(64), properties: &[("effect", Sub::Node(&Node { any_of: Some(&[Sub::Node(&Node { reference: Some(Sub::Node(&DEF_45)), ..Node::EMPTY }), Sub::Node(&Node { types: Some(1), ..Node::EMPTY })]), ..Node::EMPTY })), ("key", Sub::Node(&Node { types: Some(17), ..Node::EMPTY })), ("operator", Sub::Node(&Node { any_of: Some(&[Sub::Node(&Node { reference: Some(Sub::Node(&DEF_48)), ..Node::EMPTY }), Sub::Node(&Node { types: Some(1), ..Node::EMPTY })]), ..Node::EMPTY })), ("tolerationSeconds", Sub::Node(&Node { types: Some(5), ..Node::EMPTY })), ("value", Sub::Node(&Node { types: Some(17), ..Node::EMPTY }))], additional: Some(Sub::Bool(false)), ..Node::EMPTY };

/// `#/$defs/TolerationOperator`
static DEF_48: Node = Node { types: Some(16), enumeration: Some(&[Lit::Str("Equal"), Lit::Str("Exists")]), ..Node::EMPTY };

/// `#/$defs/TopologyKind`
static DEF_49: Node = Node { types: Some(16), enumeration: Some(&[Lit::Str("RedisTopology")]), ..Node::EMPTY };

/// `#/$defs/TopologySpec`
static DEF_50: Node = Node { types: Some(64), properties: &[("accept", Sub::Node(&Node { types: Some(32), items: Some(Sub::Node(&Node { reference: Some(Sub::Node(&DEF_0)), ..Node::EMPTY })), ..Node::EMPTY })), ("auth", Sub::Node(&Node { any_of: Some(&[Sub::Node(&Node { reference: Some(Sub::Node(&DEF_6)), ..Node::EMPTY }), Sub::Node(&Node { types: Some(1), ..Node::EMPTY })]), ..Node::EMPTY })), ("backup", Sub::Node(&Node { any_of: Some(&[Sub::Node(&Node { reference: Some(Sub::Node(&DEF_7)), ..Node::EMPTY }), Sub::Node(&Node { types: Some(1), ..Node::EMPTY })]), ..Node::EMPTY })), ("clients", Sub::Node(&Node { types: Some(32), items: Some(Sub::Node(&Node { reference: Some(Sub::Node(&DEF_9)), ..Node::EMPTY })), ..Node::EMPTY })), ("disruption", Sub::Node(&Node { any_of: Some(&[Sub::Node(&Node { reference: Some(Sub::Node(&DEF_12)), ..Node::EMPTY }), Sub::Node(&Node { types: Some(1), ..Node::EMPTY })]), ..Node::EMPTY })), ("environments", Sub::Node(&Node { types: Some(64), additional: Some(Sub::Node(&Node { reference: Some(Sub::Node(&DEF_27)), ..Node::EMPTY })), ..Node::EMPTY })), ("exposure", Sub::Node(&Node { any_of: Some(&[Sub::Node(&Node { reference: Some(Sub::Node(&DEF_15)), ..Node::EMPTY }), Sub::Node(&Node { types: Some(1), ..Node::EMPTY })]), ..Node::EMPTY })), ("jobs", Sub::Node(&Node { any_of: Some(&[Sub::Node(&Node { reference: Some(Sub::Node(&DEF_20)), ..Node::EMPTY }), Sub::Node(&Node { types: Some(1), ..Node::EMPTY })]), ..Node::EMPTY })), ("memory", Sub::Node(&Node { any_of: Some(&[Sub::Node(&Node { reference: Some(Sub::Node(&DEF_22)), ..Node::EMPTY }), Sub::Node(&Node { types: Some(1), ..Node::EMPTY })]), ..Node::EMPTY })), ("monitoring", Sub::Node(&Node { any_of: Some(&[Sub::Node(&Node { reference: Some(Sub::Node(&DEF_25)), ..Node::EMPTY }), Sub::Node(&Node { types: Some(1), ..Node::EMPTY })]), ..Node::EMPTY })), ("outputs", Sub::Node(&Node { any_of: Some(&[Sub::Node(&Node { reference: Some(Sub::Node(&DEF_26)), ..Node::EMPTY }), Sub::Node(&Node { types: Some(1), ..Node::EMPTY })]), ..Node::EMPTY })), ("persistence", Sub::Node(&Node { any_of: Some(&[Sub::Node(&Node { reference: Some(Sub::Node(&DEF_28)), ..Node::EMPTY }), Sub::Node(&Node { types: Some(1), ..Node::EMPTY })]), ..Node::EMPTY })), ("placement", Sub::Node(&Node { any_of: Some(&[Sub::Node(&Node { reference: Some(Sub::Node(&DEF_29)), ..Node::EMPTY }), Sub::Node(&Node { types: Some(1), ..Node::EMPTY })]), ..Node::EMPTY })), ("pods", Sub::Node(&Node { any_of: Some(&[Sub::Node(&Node { reference: Some(Sub::Node(&DEF_30)), ..Node::EMPTY }), Sub::Node(&Node { types: Some(1), ..Node::EMPTY })]), ..Node::EMPTY })), ("redis", Sub::Node(&Node { reference: Some(Sub::Node(&DEF_31)), ..Node::EMPTY })), ("resources", Sub::Node(&Node { any_of: Some(&[Sub::Node(&Node { reference: Some(Sub::Node(&DEF_34)), ..Node::EMPTY }), Sub::Node(&Node { types: Some(1), ..Node::EMPTY })]), ..Node::EMPTY })), ("shape", Sub::Node(&Node { reference: Some(Sub::Node(&DEF_43)), ..Node::EMPTY })), ("sites", Sub::Node(&Node { types: Some(64), additional: Some(Sub::Node(&Node { reference: Some(Sub::Node(&DEF_27)), ..Node::EMPTY })), ..Node::EMPTY })), ("tls", Sub::Node(&Node { any_of: Some(&[Sub::Node(&Node { reference: Some(Sub::Node(&DEF_46)), ..Node::EMPTY }), Sub::Node(&Node { types: Some(1), ..Node::EMPTY })]), ..Node::EMPTY })), ("use", Sub::Node(&Node { reference: Some(Sub::Node(&DEF_51)), ..Node::EMPTY }))], additional: Some(Sub::Bool(false)), required: &["use", "shape", "redis"], ..Node::EMPTY };

/// `#/$defs/Use`
static DEF_51: Node = Node { one_of: Some(&[Sub::Node(&Node { types: Some(16), constant: Some(Lit::Str("cache")), ..Node::EMPTY }), Sub::Node(&Node { types: Some(16), constant: Some(Lit::Str("session")), ..Node::EMPTY }), Sub::Node(&Node { types: Some(16), constant: Some(Lit::Str("durable")), ..Node::EMPTY })]), ..Node::EMPTY };

/// `#/$defs/Wal`
static DEF_52: Node = Node { types: Some(64), properties: &[("applier", Sub::Node(&Node { reference: Some(Sub::Node(&DEF_4)), ..Node::EMPTY })), ("kafka", Sub::Node(&Node { reference: Some(Sub::Node(&DEF_21)), ..Node::EMPTY })), ("mirror", Sub::Node(&Node { any_of: Some(&[Sub::Node(&Node { reference: Some(Sub::Node(&DEF_24)), ..Node::EMPTY }), Sub::Node(&Node { types: Some(1), ..Node::EMPTY })]), ..Node::EMPTY })), ("restoreWindowHours", Sub::Node(&Node { types: Some(5), minimum: Some(Num::Int(1)), ..Node::EMPTY })), ("secretStore", Sub::Node(&Node { reference: Some(Sub::Node(&DEF_40)), ..Node::EMPTY })), ("topic", Sub::Node(&Node { reference: Some(Sub::Node(&DEF_53)), ..Node::EMPTY }))], additional: Some(Sub::Bool(false)), required: &["kafka", "topic", "applier", "secretStore"], ..Node::EMPTY };

/// `#/$defs/WalTopic`
static DEF_53: Node = Node { types: Some(64), properties: &[("name", Sub::Node(&Node { types: Some(16), ..Node::EMPTY })), ("partitions", Sub::Node(&Node { types: Some(5), minimum: Some(Num::Int(1)), maximum: Some(Num::Int(10000)), ..Node::EMPTY })), ("replicas", Sub::Node(&Node { types: Some(5), minimum: Some(Num::Int(1)), maximum: Some(Num::Int(10)), ..Node::EMPTY })), ("retentionHours", Sub::Node(&Node { types: Some(5), minimum: Some(Num::Int(1)), ..Node::EMPTY }))], additional: Some(Sub::Bool(false)), required: &["name"], ..Node::EMPTY };
