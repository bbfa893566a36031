//! Disruption budgets: how many data or Sentinel pods may be evicted at once.
//!
//! In: the shape of a topology (shards and replicas per shard, Sentinels and
//! quorum, or the size of a primary + replicas set) and, for overrides, a user's
//! PodDisruptionBudget. Out: the PDB numbers rkv emits with the arithmetic
//! behind them, typed issues when no safe PDB exists, and for an unsafe
//! override the smallest eviction it allows that breaks the topology.
//!
//! Invariant: any set of pods the emitted PDB lets the eviction API remove at
//! once, whichever pods currently hold which role, leaves every Redis Cluster
//! shard a copy of its slots and a strict majority of primaries to vote a
//! failover; leaves enough Sentinels to reach quorum and to authorize a
//! failover; and leaves a primary + replicas set a replica to promote. The
//! exhaustive verifier in the tests proves this for every small topology, and
//! that the cluster budget is the tightest one that holds it.

use serde::Serialize;

use super::slots::{SlotError, SlotRange, slot_ranges};

/// How bad an issue is: an error means rkv emits no PDB for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The topology cannot be made safe as written.
    Error,
    /// Safe, but weaker than it looks.
    Warning,
}

// ---------------------------------------------------------------------------
// Redis Cluster
// ---------------------------------------------------------------------------

/// The PodDisruptionBudget of a Redis Cluster: one PDB over all data pods.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterBudget {
    /// Number of shards (primaries when the cluster is healthy), S.
    pub shards: u32,
    /// Replicas per shard, R.
    pub replicas_per_shard: u32,
    /// Data pods, S * (1 + R).
    pub pods: u32,
    /// Pods that may be evicted at once, k = min(R, floor((S-1)/2)).
    pub max_unavailable: u32,
    /// The integer `minAvailable` written into the PDB, pods - k.
    pub min_available: u32,
    /// The arithmetic, one line per step, for `rkv explain`.
    pub reasoning: Vec<String>,
}

/// Why a Redis Cluster cannot get a disruption budget that lets any drain through.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum ClusterBudgetError {
    /// Fewer than 3 shards: losing any primary leaves no majority of primaries to
    /// vote a replica's promotion, so no eviction is ever safe.
    #[error(
        "a cluster of {shards} shard(s) cannot vote a failover: promoting a replica needs a majority of primaries, and losing any of {shards} leaves none (`redis-cli --cluster create` also refuses fewer than 3 primaries)"
    )]
    TooFewShards {
        /// The number of shards asked for.
        shards: u32,
    },
    /// No replicas: every pod holds the only copy of its slots.
    #[error(
        "a cluster with 0 replicas per shard has no replica to promote: evicting any pod takes its slots offline, so a safe PDB would block every drain"
    )]
    NoReplicas,
    /// S * (1 + R) does not fit in 32 bits.
    #[error("{shards} shards x (1 + {replicas}) pods is too many pods to count")]
    TooManyPods {
        /// The number of shards asked for.
        shards: u32,
        /// Replicas per shard asked for.
        replicas: u32,
    },
}

/// The tightest safe PDB for a Redis Cluster of `shards` x (1 + `replicas`) pods.
///
/// Every problem is returned, not only the first, so the check stage can report
/// them all. The error list is never empty.
///
/// ```
/// use rkv::plan::disruption::cluster_budget;
/// let b = cluster_budget(3, 1).unwrap();
/// assert_eq!(b.min_available, 5);
/// ```
pub fn cluster_budget(
    shards: u32,
    replicas: u32,
) -> Result<ClusterBudget, Vec<ClusterBudgetError>> {
    let mut errors = Vec::new();
    if shards < 3 {
        errors.push(ClusterBudgetError::TooFewShards { shards });
    }
    if replicas == 0 {
        errors.push(ClusterBudgetError::NoReplicas);
    }
    let pods = pod_count(shards, replicas);
    if pods.is_none() {
        errors.push(ClusterBudgetError::TooManyPods { shards, replicas });
    }
    let (Some(pods), true) = (pods, errors.is_empty()) else {
        return Err(errors);
    };

    let vote_margin = (shards - 1) / 2;
    let k = replicas.min(vote_margin);
    let min_available = pods - k;
    let survivors = shards - k;
    let reasoning = vec![
        format!(
            "pods = S*(1+R) = {shards}*(1+{replicas}) = {pods}; a PDB cannot tell primaries from replicas (roles move on every failover), so assume every evicted pod is a primary"
        ),
        format!(
            "k <= R = {replicas}: no shard can lose all {} of its pods, so every shard keeps a copy of its slots",
            replicas + 1
        ),
        format!(
            "k <= floor((S-1)/2) = floor(({shards}-1)/2) = {vote_margin}: at least {} of {shards} primaries remain, a majority to vote a replica's promotion",
            shards - vote_margin
        ),
        format!("k = min(R={replicas}, floor((S-1)/2)={vote_margin}) = {k}"),
        format!("minAvailable = {shards}*(1+{replicas}) - {k} = {min_available}"),
        format!(
            "worst case: {k} primaries evicted leaves {survivors} of {shards} primaries (> {shards}/2) and every shard at least {} pod(s)",
            replicas + 1 - k
        ),
    ];
    Ok(ClusterBudget {
        shards,
        replicas_per_shard: replicas,
        pods,
        max_unavailable: k,
        min_available,
        reasoning,
    })
}

fn pod_count(shards: u32, replicas: u32) -> Option<u32> {
    replicas.checked_add(1)?.checked_mul(shards)
}

/// The pods of one shard right after `redis-cli --cluster create`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShardLayout {
    /// Shard index, the order redis-cli prints its `Master[i]` lines in.
    pub shard: u32,
    /// Hash slots the shard owns.
    pub slots: SlotRange,
    /// Ordinal of the pod that starts as the shard's primary.
    pub primary: u32,
    /// Ordinals of the pods that start as its replicas.
    pub replicas: Vec<u32>,
}

impl ShardLayout {
    /// Every pod of the shard, primary first.
    pub fn pods(&self) -> Vec<u32> {
        let mut pods = Vec::with_capacity(self.replicas.len() + 1);
        pods.push(self.primary);
        pods.extend_from_slice(&self.replicas);
        pods
    }
}

/// Why the initial layout of a cluster cannot be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum LayoutError {
    /// The shards cannot split the hash slots.
    #[error("cannot spread the hash slots")]
    Slots(#[source] SlotError),
    /// S * (1 + R) does not fit in 32 bits.
    #[error("{shards} shards x (1 + {replicas}) pods is too many pods to count")]
    TooManyPods {
        /// The number of shards asked for.
        shards: u32,
        /// Replicas per shard asked for.
        replicas: u32,
    },
}

/// Which pod replicates which primary after `redis-cli --cluster create
/// --cluster-replicas R` over pods 0..N-1 (each pod has its own IP).
///
/// Pods 0..S-1 become the primaries. redis-cli 7 (the one in `redis:7.2`; 5.0
/// did not rotate) then rotates the remaining pods left by one before handing
/// each primary R of them in turn, so
/// the replica pool is S+1, S+2, ..., N-1, S: with 3 x 2 pods, pod 4 replicates
/// pod 0, pod 5 pod 1, and pod 3 pod 2. With distinct IPs its anti-affinity pass
/// finds nothing to improve and keeps this layout.
pub fn initial_layout(shards: u32, replicas: u32) -> Result<Vec<ShardLayout>, LayoutError> {
    let ranges = slot_ranges(shards).map_err(LayoutError::Slots)?;
    let pods = pod_count(shards, replicas).ok_or(LayoutError::TooManyPods { shards, replicas })?;
    let pool: Vec<u32> = (shards + 1..pods)
        .chain((shards < pods).then_some(shards))
        .collect();
    let per = replicas as usize;
    Ok(ranges
        .into_iter()
        .zip(0..shards)
        .map(|(slots, shard)| {
            let start = shard as usize * per;
            ShardLayout {
                shard,
                slots,
                primary: shard,
                replicas: pool.get(start..start + per).unwrap_or_default().to_vec(),
            }
        })
        .collect())
}

/// A Kubernetes int-or-string PDB field: an absolute count or a percentage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum IntOrPercent {
    /// An absolute number of pods.
    Int(u32),
    /// A percentage of the pods the PDB selects, 0..=100.
    Percent(u32),
}

impl IntOrPercent {
    /// Parses `"5"` or `"40%"` as Kubernetes writes them.
    pub fn parse(s: &str) -> Result<Self, PdbError> {
        let t = s.trim();
        let bad = || PdbError::Unparsable {
            value: s.to_string(),
        };
        match t.strip_suffix('%') {
            Some(p) => p.parse().map(IntOrPercent::Percent).map_err(|_| bad()),
            None => t.parse().map(IntOrPercent::Int).map_err(|_| bad()),
        }
    }
}

/// A user's PodDisruptionBudget: exactly one of its two forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum PdbBudget {
    /// `minAvailable`.
    MinAvailable(IntOrPercent),
    /// `maxUnavailable`.
    MaxUnavailable(IntOrPercent),
}

/// Why a PDB value cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum PdbError {
    /// A percentage outside 0..=100, which the API server rejects.
    #[error("{percent}% is not a valid PDB percentage: expected 0% to 100%")]
    PercentOutOfRange {
        /// The percentage given.
        percent: u32,
    },
    /// Neither an integer nor an integer followed by `%`.
    #[error(
        "`{value}` is not a PDB value: expected a whole number of pods (`5`) or a percentage (`40%`)"
    )]
    Unparsable {
        /// The text given.
        value: String,
    },
}

/// How many of `pods` healthy pods the eviction API lets go at once under `budget`.
///
/// Mirrors the disruption controller: percentages scale with rounding up for both
/// `minAvailable` and `maxUnavailable`, and the result never goes below zero.
pub fn allowed_disruptions(pods: u32, budget: &PdbBudget) -> Result<u32, PdbError> {
    let scale = |v: &IntOrPercent| -> Result<u32, PdbError> {
        match *v {
            IntOrPercent::Int(n) => Ok(n),
            IntOrPercent::Percent(p) if p > 100 => Err(PdbError::PercentOutOfRange { percent: p }),
            // ceil(pods * p / 100) with pods = 100k + m is k*p + ceil(m*p / 100): exact,
            // and with p <= 100 no step overflows.
            IntOrPercent::Percent(p) => Ok(pods / 100 * p + (pods % 100 * p).div_ceil(100)),
        }
    };
    Ok(match budget {
        PdbBudget::MinAvailable(v) => pods.saturating_sub(scale(v)?),
        PdbBudget::MaxUnavailable(v) => scale(v)?.min(pods),
    })
}

/// What an unsafe eviction breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Violation {
    /// Every pod of one shard is gone: its slots are served by nobody.
    #[serde(rename_all = "camelCase")]
    ShardLost {
        /// The shard.
        shard: u32,
        /// Its hash slots.
        slots: SlotRange,
        /// All of its pods, evicted.
        pods: Vec<u32>,
    },
    /// Too few primaries remain to vote any replica's promotion.
    #[serde(rename_all = "camelCase")]
    NoPrimaryMajority {
        /// Primaries evicted.
        evicted_primaries: u32,
        /// Primaries in the cluster, S.
        primaries: u32,
        /// Votes a promotion needs, floor(S/2) + 1.
        majority: u32,
    },
}

/// The smallest eviction a user's PDB allows that breaks a Redis Cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Counterexample {
    /// Pod ordinals evicted at once, ascending.
    pub evicted: Vec<u32>,
    /// Pods the PDB lets go at once.
    pub allowed_disruptions: u32,
    /// What breaks.
    pub breaks: Violation,
    /// One sentence for a finding, with the numbers.
    pub message: String,
}

/// The smallest set of pods a `minAvailable: min_available` PDB lets the eviction
/// API remove at once that takes slots offline or leaves no majority of primaries,
/// named by pod ordinal in the [`initial_layout`]; `None` when the PDB is safe.
///
/// `None` also when the topology has no layout at all (0 shards, more shards than
/// slots): [`cluster_budget`] reports that.
///
/// ```
/// use rkv::plan::disruption::cluster_pdb_counterexample;
/// let c = cluster_pdb_counterexample(3, 1, 4).unwrap();
/// assert_eq!(c.evicted, vec![0, 4]); // primary 0 and its own replica
/// assert!(cluster_pdb_counterexample(3, 1, 5).is_none());
/// ```
pub fn cluster_pdb_counterexample(
    shards: u32,
    replicas: u32,
    min_available: u32,
) -> Option<Counterexample> {
    let layout = initial_layout(shards, replicas).ok()?;
    let pods = pod_count(shards, replicas)?;
    let allowed = pods.saturating_sub(min_available);
    let budget = format!("minAvailable {min_available} of {pods} allows {allowed}");
    counterexample_in(&layout, shards, allowed, &budget)
}

/// [`cluster_pdb_counterexample`] for a PDB in either form (`minAvailable` or
/// `maxUnavailable`, integer or percentage).
pub fn cluster_pdb_counterexample_for(
    shards: u32,
    replicas: u32,
    budget: &PdbBudget,
) -> Result<Option<Counterexample>, PdbError> {
    let Ok(layout) = initial_layout(shards, replicas) else {
        return Ok(None);
    };
    let Some(pods) = pod_count(shards, replicas) else {
        return Ok(None);
    };
    let allowed = allowed_disruptions(pods, budget)?;
    let form = match budget {
        PdbBudget::MinAvailable(v) => format!("minAvailable {}", show(v)),
        PdbBudget::MaxUnavailable(v) => format!("maxUnavailable {}", show(v)),
    };
    let text = format!("{form} of {pods} allows {allowed}");
    Ok(counterexample_in(&layout, shards, allowed, &text))
}

fn show(v: &IntOrPercent) -> String {
    match v {
        IntOrPercent::Int(n) => n.to_string(),
        IntOrPercent::Percent(p) => format!("{p}%"),
    }
}

fn counterexample_in(
    layout: &[ShardLayout],
    shards: u32,
    allowed: u32,
    budget: &str,
) -> Option<Counterexample> {
    let first = layout.first()?;
    // More pods than a u32 counts can never all be evicted within `allowed`.
    let shard_loss = u32::try_from(first.replicas.len()).map_or(u32::MAX, |r| r.saturating_add(1));
    // Primaries may be evicted until at most floor(S/2) remain: ceil(S/2) of them.
    let majority = shards / 2 + 1;
    let no_majority = shards - shards / 2;

    // On a tie, losing a shard outright is the clearer story for a reviewer.
    let lose_shard = shard_loss <= allowed && shard_loss <= no_majority;
    let lose_majority = !lose_shard && no_majority <= allowed;

    if lose_shard {
        let evicted = sorted(first.pods());
        let message = format!(
            "{} can be evicted at once ({budget}): shard {} (slots {}) loses {}: its slots go offline, cluster_state:fail",
            pod_list(&evicted),
            first.shard,
            first.slots,
            pod_list(&evicted)
        );
        Some(Counterexample {
            breaks: Violation::ShardLost {
                shard: first.shard,
                slots: first.slots,
                pods: evicted.clone(),
            },
            evicted,
            allowed_disruptions: allowed,
            message,
        })
    } else if lose_majority {
        let evicted: Vec<u32> = layout
            .iter()
            .take(no_majority as usize)
            .map(|s| s.primary)
            .collect();
        let message = format!(
            "{} can be evicted at once ({budget}): {no_majority} of {shards} primaries evicted: no majority left to vote a failover (a promotion needs {majority} of {shards} primaries)",
            pod_list(&evicted)
        );
        Some(Counterexample {
            evicted,
            allowed_disruptions: allowed,
            breaks: Violation::NoPrimaryMajority {
                evicted_primaries: no_majority,
                primaries: shards,
                majority,
            },
            message,
        })
    } else {
        None
    }
}

fn sorted(mut v: Vec<u32>) -> Vec<u32> {
    v.sort_unstable();
    v
}

fn pod_list(pods: &[u32]) -> String {
    let names: Vec<String> = pods.iter().map(u32::to_string).collect();
    match names.as_slice() {
        [] => "no pods".to_string(),
        [one] => format!("pod {one}"),
        [init @ .., last] => format!("pods {} and {last}", init.join(", ")),
    }
}

// ---------------------------------------------------------------------------
// Sentinel
// ---------------------------------------------------------------------------

/// The PodDisruptionBudget of a Sentinel group, with what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SentinelBudget {
    /// Sentinels, n.
    pub sentinels: u32,
    /// Sentinels that must agree a master is down.
    pub quorum: u32,
    /// Sentinels that must authorize a failover, floor(n/2) + 1.
    pub majority: u32,
    /// The integer `minAvailable` written into the PDB, max(quorum, majority).
    pub min_available: u32,
    /// Sentinels that may be evicted at once, n - minAvailable (0 if negative).
    pub allowed_disruptions: u32,
    /// The arithmetic, one line per step.
    pub reasoning: Vec<String>,
    /// Problems, errors first; with any error rkv emits no PDB.
    pub issues: Vec<SentinelIssue>,
}

impl SentinelBudget {
    /// True when no issue is an error, so the PDB can be emitted.
    pub fn is_valid(&self) -> bool {
        self.issues.iter().all(|i| i.severity() != Severity::Error)
    }
}

/// Something wrong with a Sentinel group's size or quorum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum SentinelIssue {
    /// No Sentinels: nothing watches the master.
    NoSentinels,
    /// Quorum 0: Sentinel rejects it.
    ZeroQuorum,
    /// Quorum larger than the group: a master is never declared down.
    #[serde(rename_all = "camelCase")]
    QuorumAboveSentinels {
        /// Quorum.
        quorum: u32,
        /// Sentinels.
        sentinels: u32,
    },
    /// The safe PDB would refuse every eviction of a Sentinel pod.
    #[serde(rename_all = "camelCase")]
    BlocksEveryDrain {
        /// Sentinels.
        sentinels: u32,
        /// Quorum.
        quorum: u32,
        /// The `minAvailable` safety needs.
        min_available: u32,
    },
    /// An even group tolerates no more failures than one Sentinel fewer.
    #[serde(rename_all = "camelCase")]
    EvenSentinels {
        /// Sentinels.
        sentinels: u32,
    },
    /// A minority can declare the master down, but not fail it over.
    #[serde(rename_all = "camelCase")]
    QuorumBelowMajority {
        /// Quorum.
        quorum: u32,
        /// Sentinels needed to authorize a failover.
        majority: u32,
        /// Sentinels.
        sentinels: u32,
    },
}

impl SentinelIssue {
    /// Error or warning.
    pub fn severity(&self) -> Severity {
        match self {
            SentinelIssue::NoSentinels
            | SentinelIssue::ZeroQuorum
            | SentinelIssue::QuorumAboveSentinels { .. }
            | SentinelIssue::BlocksEveryDrain { .. } => Severity::Error,
            SentinelIssue::EvenSentinels { .. } | SentinelIssue::QuorumBelowMajority { .. } => {
                Severity::Warning
            }
        }
    }

    /// What is wrong, with the numbers.
    pub fn message(&self) -> String {
        match *self {
            SentinelIssue::NoSentinels => {
                "0 Sentinels: nothing detects a failed master, so failover never happens".into()
            }
            SentinelIssue::ZeroQuorum => {
                "quorum 0: Sentinel rejects `sentinel monitor` with a quorum below 1".into()
            }
            SentinelIssue::QuorumAboveSentinels { quorum, sentinels } => format!(
                "quorum {quorum} is above the {sentinels} Sentinels: a master is never agreed down, so failover never happens"
            ),
            SentinelIssue::BlocksEveryDrain {
                sentinels,
                min_available,
                ..
            } => format!(
                "{sentinels} Sentinel(s) need all {min_available} up to detect and authorize a failover: a safe PDB would block every drain of a Sentinel pod"
            ),
            SentinelIssue::EvenSentinels { sentinels } => format!(
                "{sentinels} Sentinels (even) tolerate no more failures than {}, and a {}-{} network split leaves neither side a majority to elect a leader",
                sentinels - 1,
                sentinels / 2,
                sentinels / 2
            ),
            SentinelIssue::QuorumBelowMajority {
                quorum,
                majority,
                sentinels,
            } => format!(
                "quorum {quorum} lets a minority declare the master down, but a failover still needs {majority} of {sentinels} Sentinels to authorize it"
            ),
        }
    }

    /// How to fix it.
    pub fn help(&self) -> String {
        match *self {
            SentinelIssue::NoSentinels => "run at least 3 Sentinels".into(),
            SentinelIssue::ZeroQuorum => {
                "set quorum to a majority of the Sentinels (2 of 3)".into()
            }
            SentinelIssue::QuorumAboveSentinels { sentinels, .. } => format!(
                "set quorum to at most {sentinels}; a majority, {}, is the usual choice",
                sentinels / 2 + 1
            ),
            SentinelIssue::BlocksEveryDrain {
                sentinels, quorum, ..
            } => {
                let majority = sentinels / 2 + 1;
                if sentinels >= 3 && quorum > majority {
                    format!("lower quorum to {majority}, a majority of the {sentinels} Sentinels")
                } else {
                    "run at least 3 Sentinels (an odd number) with quorum a majority of them (2 of 3)".into()
                }
            }
            SentinelIssue::EvenSentinels { sentinels } => {
                format!("run {} or {} Sentinels", sentinels - 1, sentinels + 1)
            }
            SentinelIssue::QuorumBelowMajority { majority, .. } => {
                format!("set quorum to {majority} so detection and authorization agree")
            }
        }
    }
}

/// The PDB of a group of `sentinels` Sentinels monitoring with `quorum`.
///
/// ```
/// use rkv::plan::disruption::sentinel_budget;
/// let b = sentinel_budget(3, 2);
/// assert_eq!((b.min_available, b.allowed_disruptions), (2, 1));
/// assert!(b.issues.is_empty());
/// ```
pub fn sentinel_budget(sentinels: u32, quorum: u32) -> SentinelBudget {
    let majority = sentinels / 2 + 1;
    let min_available = quorum.max(majority);
    let allowed = sentinels.saturating_sub(min_available);
    let reasoning = vec![
        format!(
            "majority = floor(n/2) + 1 = floor({sentinels}/2) + 1 = {majority}: Sentinels that must authorize a failover"
        ),
        format!("quorum = {quorum}: Sentinels that must agree the master is down"),
        format!("minAvailable = max(quorum={quorum}, majority={majority}) = {min_available}"),
        if sentinels >= min_available {
            format!("allowed disruptions = {sentinels} - {min_available} = {allowed}")
        } else {
            format!(
                "allowed disruptions = {sentinels} - {min_available} < 0, so 0: every eviction is refused"
            )
        },
    ];

    let mut issues = Vec::new();
    if sentinels == 0 {
        issues.push(SentinelIssue::NoSentinels);
    }
    if quorum == 0 {
        issues.push(SentinelIssue::ZeroQuorum);
    }
    if quorum > sentinels && sentinels > 0 {
        issues.push(SentinelIssue::QuorumAboveSentinels { quorum, sentinels });
    }
    if sentinels > 0 && quorum <= sentinels && quorum > 0 && allowed == 0 {
        issues.push(SentinelIssue::BlocksEveryDrain {
            sentinels,
            quorum,
            min_available,
        });
    }
    if sentinels > 0 && sentinels.is_multiple_of(2) {
        issues.push(SentinelIssue::EvenSentinels { sentinels });
    }
    if quorum > 0 && quorum < majority && sentinels > 0 {
        issues.push(SentinelIssue::QuorumBelowMajority {
            quorum,
            majority,
            sentinels,
        });
    }
    issues.sort_by_key(SentinelIssue::severity);

    SentinelBudget {
        sentinels,
        quorum,
        majority,
        min_available,
        allowed_disruptions: allowed,
        reasoning,
        issues,
    }
}

// ---------------------------------------------------------------------------
// Primary + replicas (failover, replication)
// ---------------------------------------------------------------------------

/// The PDB over the data pods of one primary and its replicas.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplicatedBudget {
    /// Data pods, primary included.
    pub pods: u32,
    /// The integer `maxUnavailable` written into the PDB: always 1.
    pub max_unavailable: u32,
    /// Why, one line per step.
    pub reasoning: Vec<String>,
}

/// Why a primary + replicas set cannot get a PDB that lets a drain through.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum ReplicatedBudgetError {
    /// One pod (or none) holds the only copy of the data.
    #[error(
        "{pods} data pod(s) leave no replica to promote: evicting the primary loses the data until it restarts"
    )]
    TooFewPods {
        /// Data pods.
        pods: u32,
    },
}

/// The PDB of `pods` data pods (one primary, the rest replicas) under Sentinel.
pub fn replicated_budget(pods: u32) -> Result<ReplicatedBudget, ReplicatedBudgetError> {
    if pods < 2 {
        return Err(ReplicatedBudgetError::TooFewPods { pods });
    }
    Ok(ReplicatedBudget {
        pods,
        max_unavailable: 1,
        reasoning: vec![
            format!("pods = 1 primary + {} replica(s) = {pods}", pods - 1),
            "the PDB cannot tell which pod is the primary, so assume the evicted pod is".into(),
            format!(
                "maxUnavailable = 1: keep a replica to promote ({} of {pods} pods stay up)",
                pods - 1
            ),
        ],
    })
}

/// The PDB of `pods` interchangeable stateless workers (consumers of one group, such
/// as `redis-applier`): keep all but one serving, so a drain costs at most one
/// consumer-group rebalance at a time and never stops the replay.
pub fn serving_budget(pods: u32) -> Result<ReplicatedBudget, ReplicatedBudgetError> {
    if pods < 2 {
        return Err(ReplicatedBudgetError::TooFewPods { pods });
    }
    Ok(ReplicatedBudget {
        pods,
        max_unavailable: 1,
        reasoning: vec![
            format!("pods = {pods} interchangeable consumers of one group"),
            format!(
                "maxUnavailable = 1: {} of {pods} keep consuming; each eviction costs one rebalance",
                pods - 1
            ),
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // -- examples ----------------------------------------------------------

    #[test]
    fn cluster_budget_examples() {
        let b = cluster_budget(3, 1).unwrap();
        assert_eq!((b.pods, b.max_unavailable, b.min_available), (6, 1, 5));
        assert!(
            b.reasoning
                .contains(&"k = min(R=1, floor((S-1)/2)=1) = 1".to_string())
        );
        assert!(
            b.reasoning
                .contains(&"minAvailable = 3*(1+1) - 1 = 5".to_string())
        );
        let b = cluster_budget(4, 3).unwrap();
        assert_eq!((b.pods, b.max_unavailable, b.min_available), (16, 1, 15));
        let b = cluster_budget(5, 2).unwrap();
        assert_eq!((b.pods, b.max_unavailable, b.min_available), (15, 2, 13));
        let b = cluster_budget(7, 1).unwrap();
        assert_eq!((b.max_unavailable, b.min_available), (1, 13));
    }

    #[test]
    fn cluster_budget_errors_are_all_reported() {
        assert_eq!(
            cluster_budget(2, 1),
            Err(vec![ClusterBudgetError::TooFewShards { shards: 2 }])
        );
        assert_eq!(
            cluster_budget(3, 0),
            Err(vec![ClusterBudgetError::NoReplicas])
        );
        assert_eq!(
            cluster_budget(1, 0),
            Err(vec![
                ClusterBudgetError::TooFewShards { shards: 1 },
                ClusterBudgetError::NoReplicas
            ])
        );
        assert_eq!(
            cluster_budget(u32::MAX, 1),
            Err(vec![ClusterBudgetError::TooManyPods {
                shards: u32::MAX,
                replicas: 1
            }])
        );
        assert!(matches!(cluster_budget(3, u32::MAX), Err(e) if e.len() == 1));
    }

    #[test]
    fn initial_layout_follows_redis_cli() {
        let l = initial_layout(3, 1).unwrap();
        let pairs: Vec<(u32, Vec<u32>)> =
            l.iter().map(|s| (s.primary, s.replicas.clone())).collect();
        assert_eq!(pairs, vec![(0, vec![4]), (1, vec![5]), (2, vec![3])]);
        assert_eq!(
            l[0].slots,
            SlotRange {
                start: 0,
                end: 5460
            }
        );
        let l = initial_layout(3, 2).unwrap();
        let pairs: Vec<Vec<u32>> = l.iter().map(ShardLayout::pods).collect();
        assert_eq!(pairs, vec![vec![0, 4, 5], vec![1, 6, 7], vec![2, 8, 3]]);
        let l = initial_layout(3, 0).unwrap();
        assert!(l.iter().all(|s| s.replicas.is_empty()));
        assert!(initial_layout(0, 1).is_err());
        assert!(initial_layout(u32::MAX, 1).is_err());
    }

    #[test]
    fn seed_000_overrides() {
        // minAvailable 4 (and 2) of 6: a primary and its own replica may go together.
        for min in [4, 2] {
            let c = cluster_pdb_counterexample(3, 1, min).unwrap();
            assert_eq!(c.evicted, vec![0, 4]);
            assert_eq!(
                c.breaks,
                Violation::ShardLost {
                    shard: 0,
                    slots: SlotRange {
                        start: 0,
                        end: 5460
                    },
                    pods: vec![0, 4]
                }
            );
            assert!(
                c.message
                    .contains("shard 0 (slots 0-5460) loses pods 0 and 4"),
                "{}",
                c.message
            );
            assert!(c.message.contains("cluster_state:fail"));
        }
        assert_eq!(cluster_pdb_counterexample(3, 1, 5), None);
        assert_eq!(cluster_pdb_counterexample(3, 1, 6), None);
        assert_eq!(cluster_pdb_counterexample(3, 1, 60), None);
    }

    #[test]
    fn majority_counterexample() {
        // 5 shards x 4 pods: losing 3 primaries comes before losing a whole shard.
        let c = cluster_pdb_counterexample(5, 3, 17).unwrap();
        assert_eq!(c.evicted, vec![0, 1, 2]);
        assert!(
            c.message
                .contains("3 of 5 primaries evicted: no majority left to vote a failover"),
            "{}",
            c.message
        );
        assert_eq!(
            c.breaks,
            Violation::NoPrimaryMajority {
                evicted_primaries: 3,
                primaries: 5,
                majority: 3
            }
        );
    }

    #[test]
    fn max_unavailable_and_percent_overrides() {
        let pods = 6;
        let max1 = PdbBudget::MaxUnavailable(IntOrPercent::Int(1));
        assert_eq!(allowed_disruptions(pods, &max1), Ok(1));
        assert_eq!(cluster_pdb_counterexample_for(3, 1, &max1), Ok(None));
        let max2 = PdbBudget::MaxUnavailable(IntOrPercent::Int(2));
        assert!(
            cluster_pdb_counterexample_for(3, 1, &max2)
                .unwrap()
                .is_some()
        );
        // 50% of 6 rounds up to 3 unavailable; minAvailable 50% to 3 available.
        let pct = PdbBudget::MaxUnavailable(IntOrPercent::Percent(50));
        assert_eq!(allowed_disruptions(pods, &pct), Ok(3));
        let pct = PdbBudget::MinAvailable(IntOrPercent::Percent(80));
        assert_eq!(allowed_disruptions(pods, &pct), Ok(1)); // ceil(4.8) = 5 available
        let c = cluster_pdb_counterexample_for(
            3,
            1,
            &PdbBudget::MinAvailable(IntOrPercent::Percent(50)),
        )
        .unwrap()
        .unwrap();
        assert!(
            c.message.contains("minAvailable 50% of 6 allows 3"),
            "{}",
            c.message
        );
        assert_eq!(
            allowed_disruptions(pods, &PdbBudget::MinAvailable(IntOrPercent::Percent(101))),
            Err(PdbError::PercentOutOfRange { percent: 101 })
        );
        assert_eq!(
            allowed_disruptions(pods, &PdbBudget::MaxUnavailable(IntOrPercent::Int(9))),
            Ok(6)
        );
        assert_eq!(IntOrPercent::parse("40%"), Ok(IntOrPercent::Percent(40)));
        assert_eq!(IntOrPercent::parse(" 5 "), Ok(IntOrPercent::Int(5)));
        assert!(matches!(
            IntOrPercent::parse("five"),
            Err(PdbError::Unparsable { .. })
        ));
        assert!(matches!(
            IntOrPercent::parse("-1"),
            Err(PdbError::Unparsable { .. })
        ));
    }

    #[test]
    fn sentinel_examples() {
        let b = sentinel_budget(3, 2);
        assert_eq!(
            (b.majority, b.min_available, b.allowed_disruptions),
            (2, 2, 1)
        );
        assert!(b.issues.is_empty() && b.is_valid());
        assert!(
            b.reasoning
                .contains(&"minAvailable = max(quorum=2, majority=2) = 2".to_string())
        );

        let b = sentinel_budget(5, 2);
        assert_eq!((b.min_available, b.allowed_disruptions), (3, 2));
        assert_eq!(
            b.issues,
            vec![SentinelIssue::QuorumBelowMajority {
                quorum: 2,
                majority: 3,
                sentinels: 5
            }]
        );
        assert!(b.issues[0].message().contains("needs 3 of 5 Sentinels"));
        assert!(b.is_valid());

        let b = sentinel_budget(4, 3);
        assert_eq!(
            b.issues,
            vec![SentinelIssue::EvenSentinels { sentinels: 4 }]
        );
        assert!(b.issues[0].message().contains("2-2"));

        let b = sentinel_budget(3, 4);
        assert_eq!(
            b.issues[0],
            SentinelIssue::QuorumAboveSentinels {
                quorum: 4,
                sentinels: 3
            }
        );
        assert!(!b.is_valid());
        assert_eq!(b.allowed_disruptions, 0);
        assert!(
            b.reasoning
                .iter()
                .any(|l| l.contains("every eviction is refused"))
        );

        assert!(
            sentinel_budget(0, 0)
                .issues
                .contains(&SentinelIssue::NoSentinels)
        );
        assert!(
            sentinel_budget(0, 0)
                .issues
                .contains(&SentinelIssue::ZeroQuorum)
        );
        assert!(
            sentinel_budget(3, 0)
                .issues
                .contains(&SentinelIssue::ZeroQuorum)
        );
        let b = sentinel_budget(3, 3);
        assert!(!b.is_valid());
        assert!(b.issues[0].help().contains("lower quorum to 2"));
        for (n, q) in [(1, 1), (2, 1), (2, 2)] {
            assert!(!sentinel_budget(n, q).is_valid(), "{n}/{q}");
        }
        // Errors sort before warnings.
        let b = sentinel_budget(2, 1);
        assert_eq!(b.issues[0].severity(), Severity::Error);
        assert!(
            b.issues
                .iter()
                .all(|i| !i.message().is_empty() && !i.help().is_empty())
        );
    }

    #[test]
    fn replicated_examples() {
        let b = replicated_budget(3).unwrap();
        assert_eq!(b.max_unavailable, 1);
        assert!(
            b.reasoning
                .iter()
                .any(|l| l.contains("keep a replica to promote"))
        );
        assert_eq!(
            replicated_budget(1),
            Err(ReplicatedBudgetError::TooFewPods { pods: 1 })
        );
        assert_eq!(
            replicated_budget(0),
            Err(ReplicatedBudgetError::TooFewPods { pods: 0 })
        );
    }

    // -- the exhaustive verifier --------------------------------------------
    //
    // Pods are bits of a u32 (the topologies checked have at most 24 pods). The
    // checks below depend only on which pods share a shard, never on the budget
    // formula, so they prove the formula rather than restate it.

    /// Calls `f` with every subset of `0..n` of exactly `size` pods; stops early
    /// when `f` returns true, and returns whether it did.
    fn any_subset(n: u32, size: u32, f: &mut impl FnMut(u32) -> bool) -> bool {
        fn go(start: u32, n: u32, left: u32, acc: u32, f: &mut impl FnMut(u32) -> bool) -> bool {
            if left == 0 {
                return f(acc);
            }
            (start..n).any(|p| n - p >= left && go(p + 1, n, left - 1, acc | 1 << p, f))
        }
        go(0, n, size, 0, f)
    }

    fn shard_masks(shards: u32, replicas: u32) -> Vec<Vec<u32>> {
        initial_layout(shards, replicas)
            .unwrap()
            .iter()
            .map(|s| s.pods().iter().map(|p| 1u32 << p).collect())
            .collect()
    }

    /// Whether evicting `evicted` breaks the cluster for some choice of which pod
    /// of each shard is primary right now (all (1+R)^S of them).
    fn breaks_for_some_roles(shards: &[Vec<u32>], evicted: u32) -> bool {
        let s = shards.len();
        // Losing a whole shard breaks it whatever the roles.
        if shards
            .iter()
            .any(|pods| pods.iter().all(|p| evicted & p != 0))
        {
            return true;
        }
        let width = shards[0].len();
        let mut choice = vec![0usize; s];
        loop {
            let evicted_primaries = (0..s)
                .filter(|&i| evicted & shards[i][choice[i]] != 0)
                .count();
            // Surviving primaries must be a strict majority of S to vote.
            if 2 * (s - evicted_primaries) <= s {
                return true;
            }
            // Next assignment, mixed radix.
            let mut i = 0;
            loop {
                if i == s {
                    return false;
                }
                choice[i] += 1;
                if choice[i] < width {
                    break;
                }
                choice[i] = 0;
                i += 1;
            }
        }
    }

    /// The smallest eviction that breaks the cluster under some roles, by search.
    fn smallest_breaking(shards: &[Vec<u32>], pods: u32) -> u32 {
        (1..=pods)
            .find(|&size| any_subset(pods, size, &mut |ev| breaks_for_some_roles(shards, ev)))
            .unwrap_or(u32::MAX)
    }

    #[test]
    fn exhaustive_cluster_budget_is_safe_and_tightest() {
        let mut proven = 0;
        for s in 1..=6u32 {
            for r in 0..=3u32 {
                let Ok(b) = cluster_budget(s, r) else {
                    assert!(s < 3 || r == 0, "{s}x{r} refused");
                    continue;
                };
                let shards = shard_masks(s, r);
                let allowed = b.pods - b.min_available;
                // Safe: no allowed eviction breaks anything, under any roles.
                for size in 0..=allowed {
                    let bad =
                        any_subset(b.pods, size, &mut |ev| breaks_for_some_roles(&shards, ev));
                    assert!(
                        !bad,
                        "{s}x(1+{r}) minAvailable {}: a set of {size} breaks it",
                        b.min_available
                    );
                }
                // Tightest: one more allowed disruption has a breaking set.
                let bad = any_subset(b.pods, allowed + 1, &mut |ev| {
                    breaks_for_some_roles(&shards, ev)
                });
                assert!(
                    bad,
                    "{s}x(1+{r}): minAvailable {} is not the tightest",
                    b.min_available
                );
                let c = cluster_pdb_counterexample(s, r, b.min_available - 1)
                    .unwrap_or_else(|| panic!("{s}x(1+{r}): no counterexample one below"));
                assert!(u32::try_from(c.evicted.len()).unwrap() <= allowed + 1);
                proven += 1;
            }
        }
        assert_eq!(proven, 4 * 3);
    }

    #[test]
    fn exhaustive_counterexamples_are_real_and_smallest() {
        for s in 1..=6u32 {
            for r in 0..=3u32 {
                let shards = shard_masks(s, r);
                let pods = s * (1 + r);
                let smallest = smallest_breaking(&shards, pods);
                for min_available in 0..=pods + 1 {
                    let allowed = pods.saturating_sub(min_available);
                    let got = cluster_pdb_counterexample(s, r, min_available);
                    match got {
                        None => assert!(
                            smallest > allowed,
                            "{s}x(1+{r}) minAvailable {min_available}: missed a breaking set of {smallest}"
                        ),
                        Some(c) => {
                            assert_eq!(
                                u32::try_from(c.evicted.len()).unwrap(),
                                smallest,
                                "{s}x(1+{r}): not the smallest"
                            );
                            assert!(u32::try_from(c.evicted.len()).unwrap() <= allowed);
                            let mask = c.evicted.iter().fold(0u32, |m, p| m | 1 << p);
                            // Real under the initial roles, not just some roles.
                            let initial: Vec<Vec<u32>> =
                                shards.iter().map(|sh| sh[..1].to_vec()).collect();
                            let lost = shards.iter().any(|sh| sh.iter().all(|p| mask & p != 0));
                            assert!(
                                lost || breaks_for_some_roles(&initial, mask),
                                "{}",
                                c.message
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn exhaustive_sentinel_budget_is_safe() {
        let mut proven = 0;
        for n in 1..=7u32 {
            for q in 1..=n {
                let b = sentinel_budget(n, q);
                if !b.is_valid() {
                    continue;
                }
                let majority = n / 2 + 1;
                for size in 0..=b.allowed_disruptions {
                    any_subset(n, size, &mut |ev| {
                        let up = n - ev.count_ones();
                        assert!(
                            up >= q,
                            "{n} Sentinels quorum {q}: {up} up after evicting {ev:b}"
                        );
                        assert!(up >= majority, "{n} Sentinels: {up} up cannot authorize");
                        false
                    });
                }
                // A valid budget lets at least one Sentinel be drained.
                assert!(b.allowed_disruptions >= 1);
                proven += 1;
            }
        }
        assert!(proven >= 10, "only {proven} Sentinel shapes proven");
    }

    #[test]
    fn exhaustive_replicated_budget_keeps_a_replica() {
        for n in 2..=7u32 {
            let b = replicated_budget(n).unwrap();
            for size in 0..=b.max_unavailable {
                any_subset(n, size, &mut |ev| {
                    for primary in 0..n {
                        let up = (0..n).filter(|p| ev & 1 << p == 0);
                        let primary_up = ev & 1 << primary == 0;
                        let replicas_up = up.filter(|&p| p != primary).count();
                        assert!(
                            primary_up || replicas_up >= 1,
                            "{n} pods, primary {primary}, evicted {ev:b}: nothing to promote"
                        );
                    }
                    false
                });
            }
        }
    }

    // -- properties ----------------------------------------------------------

    proptest! {
        #[test]
        fn cluster_budget_properties(s in 1u32..=64, r in 0u32..=5) {
            match cluster_budget(s, r) {
                Err(errors) => {
                    prop_assert!(s < 3 || r == 0);
                    prop_assert!(!errors.is_empty());
                }
                Ok(b) => {
                    let k = b.max_unavailable;
                    prop_assert!(k >= 1);
                    prop_assert!(k <= r);
                    prop_assert!(2 * (s - k) > s);
                    prop_assert_eq!(b.min_available, s * (1 + r) - k);
                    // Tightest on the vote side or the copy side.
                    prop_assert!(k == r || 2 * (s - k - 1) <= s);
                    // Monotonic: more shards or more replicas never shrink k.
                    for (s2, r2) in [(s + 1, r), (s, r + 1)] {
                        let b2 = cluster_budget(s2, r2).unwrap();
                        prop_assert!(b2.max_unavailable >= k);
                        prop_assert!(b2.min_available >= b.min_available);
                    }
                    prop_assert_eq!(cluster_pdb_counterexample(s, r, b.min_available), None);
                    prop_assert!(cluster_pdb_counterexample(s, r, b.min_available - 1).is_some());
                }
            }
        }

        #[test]
        fn layout_is_a_partition(s in 1u32..=64, r in 0u32..=5) {
            let layout = initial_layout(s, r).unwrap();
            let mut seen: Vec<u32> = layout.iter().flat_map(ShardLayout::pods).collect();
            prop_assert!(layout.iter().all(|l| l.replicas.len() == r as usize));
            seen.sort_unstable();
            prop_assert_eq!(seen, (0..s * (1 + r)).collect::<Vec<_>>());
        }

        #[test]
        fn sentinel_budget_properties(n in 0u32..=100, q in 0u32..=100) {
            let b = sentinel_budget(n, q);
            prop_assert!(b.min_available >= q && b.min_available > n / 2);
            if b.is_valid() {
                prop_assert!(b.allowed_disruptions >= 1);
                prop_assert!(n - b.allowed_disruptions >= q);
                prop_assert!(2 * (n - b.allowed_disruptions) > n);
            }
            prop_assert_eq!(!b.is_valid(), n == 0 || q == 0 || q > n || b.allowed_disruptions == 0);
        }
    }

    #[test]
    fn serving_budget_keeps_all_but_one() {
        let b = serving_budget(3).unwrap();
        assert_eq!(b.max_unavailable, 1);
        assert!(b.reasoning.iter().any(|l| l.contains("2 of 3")));
        assert!(serving_budget(1).is_err());
    }
}
