//! Zone loss: what a topology survives when one zone (every node in it) goes down.
//!
//! In: the shape's numbers (shards and replicas per shard, or Redis pods, Sentinels and
//! quorum), how many zones the nodes span (`placement.zones`) and whether the pods are
//! spread over them (`placement.zoneSpread`: at most one pod more in any zone than in
//! another, enforced). Out: how many pods of each group one zone can hold, whether the
//! topology survives losing the worst zone, the smallest eviction of that kind that
//! breaks it, the fewest zones it needs, and the arithmetic for `rkv explain`.
//!
//! Invariant: as for disruption budgets, rkv cannot tell which pod is a primary (roles
//! move on every failover) nor which pods the scheduler put together, so it assumes the
//! worst: the lost zone holds as many pods as the spread lets it, and they are the ones
//! whose loss hurts most. With `maxSkew: 1` over Z zones, the zones' counts of a group of
//! P pods differ by at most one, so a zone holds at most ceil(P/Z); without the spread it
//! may hold all P. A Redis Cluster survives losing k pods only if k <= R (no shard loses
//! every copy) and k <= floor((S-1)/2) (a majority of primaries remains to vote the
//! promotions); a primary with replicas under Sentinel survives only if a Redis pod
//! remains and, when the primary was in the lost zone, max(quorum, floor(n/2) + 1)
//! Sentinels remain to agree and authorize the failover. The exhaustive tests enumerate
//! every placement the spread allows, and every assignment of roles, for small
//! topologies and prove the verdicts, the counterexamples and the zone counts.

use serde::Serialize;

use super::disruption::initial_layout;

/// The numbers of a shape that decide what a zone's loss does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Facts {
    /// A Redis Cluster of `shards` x (1 + `replicas`) pods in one StatefulSet.
    Cluster { shards: u32, replicas: u32 },
    /// One primary and replicas (`redis` pods) watched by `sentinels` Sentinels.
    Sentinel {
        redis: u32,
        sentinels: u32,
        quorum: u32,
    },
}

/// Why losing one zone takes the topology down, in the worst case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Break {
    /// Every pod of shard `shard` can be in the zone: its slots go offline.
    ShardLost {
        shard: u32,
        /// Ordinals of the shard's pods (after `--cluster create`: primary first).
        pods: Vec<u32>,
        slots: String,
    },
    /// `lost` of the `primaries` primaries can be in the zone, leaving no majority to
    /// vote their replicas' promotion.
    NoPrimaryMajority {
        lost: u32,
        primaries: u32,
        /// Ordinals of pods that start as those primaries.
        pods: Vec<u32>,
    },
    /// Every Redis pod can be in the zone: no replica is left to promote.
    NoRedisLeft { redis: u32 },
    /// The zone can hold the primary and so many Sentinels that those left cannot
    /// agree the primary is down or authorize the failover.
    SentinelMinority {
        left: u32,
        sentinels: u32,
        /// max(quorum, majority).
        need: u32,
        quorum: u32,
        majority: u32,
    },
}

impl Break {
    /// What goes wrong, in words (pods by ordinal).
    pub fn describe(&self) -> String {
        match self {
            Break::ShardLost { shard, pods, slots } => format!(
                "pods {}, all of shard {shard} (its primary and replicas), can be in it: slots {slots} go offline",
                ordinals(pods)
            ),
            Break::NoPrimaryMajority {
                lost,
                primaries,
                pods,
            } => format!(
                "{lost} of the {primaries} primaries (pods {} after a failover moves roles, or the first ones) can be in it, leaving {} of {primaries}: no majority to vote their replicas' promotion",
                ordinals(pods),
                primaries - lost
            ),
            Break::NoRedisLeft { redis } => {
                format!("all {redis} Redis pods can be in it: no replica is left to promote")
            }
            Break::SentinelMinority {
                left,
                sentinels,
                need,
                quorum,
                majority,
            } => format!(
                "with the primary in it, {left} of {sentinels} Sentinels remain, fewer than the {need} (max(quorum {quorum}, majority {majority})) that must agree and authorize the failover"
            ),
        }
    }
}

fn ordinals(pods: &[u32]) -> String {
    let words: Vec<String> = pods.iter().map(u32::to_string).collect();
    match words.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The worst a zone's loss does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "verdict")]
pub enum Verdict {
    /// Whatever zone is lost, the topology keeps serving (after a failover).
    Survives,
    /// The worst zone takes it down.
    Breaks(Break),
    /// The spec does not say how many zones there are: see `min_zones`.
    Unknown,
}

/// What losing one zone does to one topology.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ZoneLoss {
    /// Zones the nodes span, when the spec says.
    pub zones: Option<u32>,
    /// Whether the pods are spread over the zones (`maxSkew: 1`, enforced).
    pub spread: bool,
    pub verdict: Verdict,
    /// With the spread: the fewest zones with which it survives; `None` when no number of
    /// zones is enough.
    pub min_zones: Option<u32>,
    /// The arithmetic, one line per step.
    pub reasoning: Vec<String>,
}

impl ZoneLoss {
    /// Whether the worst zone's loss is known to take the topology down.
    pub fn breaks(&self) -> Option<&Break> {
        match &self.verdict {
            Verdict::Breaks(b) => Some(b),
            _ => None,
        }
    }
}

/// The most pods of a group of `pods` one of `zones` zones holds when the group is
/// spread with `maxSkew: 1`: ceil(pods / zones). `zones` 0 is read as 1.
pub fn most_in_one_zone(pods: u32, zones: u32) -> u32 {
    pods.div_ceil(zones.max(1))
}

/// What losing any `lost` pods of a Redis Cluster does, whichever they are and
/// whichever of them are primaries; `None` when it survives.
pub fn cluster_loss(shards: u32, replicas: u32, lost: u32) -> Option<Break> {
    if shards == 0 {
        return None;
    }
    let layout = initial_layout(shards, replicas).ok()?;
    if lost > replicas
        && let Some(first) = layout.first()
    {
        return Some(Break::ShardLost {
            shard: first.shard,
            pods: first.pods(),
            slots: first.slots.to_string(),
        });
    }
    // Each shard has one primary: at most `shards` of the lost pods are primaries.
    let primaries_lost = lost.min(shards);
    if primaries_lost > (shards - 1) / 2 {
        return Some(Break::NoPrimaryMajority {
            lost: primaries_lost,
            primaries: shards,
            pods: layout
                .iter()
                .take(primaries_lost as usize)
                .map(|s| s.primary)
                .collect(),
        });
    }
    None
}

/// What losing `lost_redis` of `redis` Redis pods and `lost_sentinels` of `sentinels`
/// Sentinels at once does, the primary among the lost when any Redis pod is; `None` when
/// it survives.
pub fn sentinel_loss(
    redis: u32,
    sentinels: u32,
    quorum: u32,
    lost_redis: u32,
    lost_sentinels: u32,
) -> Option<Break> {
    if lost_redis == 0 {
        // The primary keeps serving; no failover is needed.
        return None;
    }
    if lost_redis >= redis {
        return Some(Break::NoRedisLeft { redis });
    }
    let majority = sentinels / 2 + 1;
    let need = quorum.max(majority);
    let left = sentinels.saturating_sub(lost_sentinels);
    (left < need).then_some(Break::SentinelMinority {
        left,
        sentinels,
        need,
        quorum,
        majority,
    })
}

/// The worst loss of one zone of `zones` (or of an unknown number, `None`), with or
/// without the spread.
pub fn worst_zone(facts: Facts, zones: Option<u32>, spread: bool) -> Option<Break> {
    let most = |pods: u32| match (spread, zones) {
        (true, Some(z)) => most_in_one_zone(pods, z),
        _ => pods,
    };
    match facts {
        Facts::Cluster { shards, replicas } => {
            cluster_loss(shards, replicas, most(shards.saturating_mul(1 + replicas)))
        }
        Facts::Sentinel {
            redis,
            sentinels,
            quorum,
        } => sentinel_loss(redis, sentinels, quorum, most(redis), most(sentinels)),
    }
}

/// The fewest zones over which the spread pods survive a zone's loss; `None` when no
/// number does (a cluster that cannot lose a single pod, one Redis pod, a Sentinel group
/// that needs every member).
pub fn min_zones(facts: Facts) -> Option<u32> {
    let widest = match facts {
        Facts::Cluster { shards, replicas } => shards.saturating_mul(1 + replicas),
        Facts::Sentinel {
            redis, sentinels, ..
        } => redis.max(sentinels),
    };
    // With as many zones as pods a zone holds one pod of each group: more zones change
    // nothing, so the search ends there.
    (1..=widest.max(1)).find(|z| worst_zone(facts, Some(*z), true).is_none())
}

/// Why the worst zone's loss is survived, with the numbers left.
fn survival(facts: Facts, zones: Option<u32>, spread: bool) -> String {
    let most = |pods: u32| match (spread, zones) {
        (true, Some(z)) => most_in_one_zone(pods, z),
        _ => pods,
    };
    match facts {
        Facts::Cluster { shards, replicas } => {
            let m = most(shards.saturating_mul(1 + replicas));
            format!(
                "the worst zone holds {m} pod(s): every shard keeps a copy and {} of {shards} primaries remain, a majority: it survives",
                shards - m.min(shards)
            )
        }
        Facts::Sentinel {
            redis,
            sentinels,
            quorum,
        } => {
            let (mr, ms) = (most(redis), most(sentinels));
            format!(
                "the worst zone holds {mr} of {redis} Redis pods and {ms} of {sentinels} Sentinels: {} Redis pod(s) remain to promote and {} Sentinels, at least the {} needed: it survives",
                redis - mr,
                sentinels - ms,
                quorum.max(sentinels / 2 + 1)
            )
        }
    }
}

/// What losing one zone does, with the arithmetic; `None` when the spec neither counts
/// zones nor spreads over them.
pub fn zone_loss(facts: Facts, zones: Option<u32>, spread: bool) -> Option<ZoneLoss> {
    if zones.is_none() && !spread {
        return None;
    }
    let min = min_zones(facts);
    let mut reasoning = Vec::new();
    let groups: Vec<(&str, u32)> = match facts {
        Facts::Cluster { shards, replicas } => {
            vec![("pods", shards.saturating_mul(1 + replicas))]
        }
        Facts::Sentinel {
            redis, sentinels, ..
        } => vec![("Redis pods", redis), ("Sentinels", sentinels)],
    };
    match (spread, zones) {
        (false, Some(z)) => reasoning.push(format!(
            "nothing spreads the pods over the {z} zones (`placement.zoneSpread` is off): the scheduler may put every one of them in one zone"
        )),
        (true, Some(z)) => {
            reasoning.push(format!(
                "each group is spread over `topology.kubernetes.io/zone` with maxSkew 1, DoNotSchedule and minDomains {z}: its zones' counts differ by at most one"
            ));
            for (what, pods) in &groups {
                reasoning.push(format!(
                    "{what}: a zone holds at most ceil({pods}/{z}) = {} of {pods}",
                    most_in_one_zone(*pods, z)
                ));
            }
        }
        (true, None) => reasoning.push(
            "each group is spread over `topology.kubernetes.io/zone` with maxSkew 1 and DoNotSchedule over as many zones as the nodes span (`placement.zones` does not say how many)".into(),
        ),
        (false, None) => {}
    }
    match facts {
        Facts::Cluster { shards, replicas } => {
            let k = replicas.min(shards.saturating_sub(1) / 2);
            reasoning.push(format!(
                "roles move on every failover, so assume the lost pods are the worst ones; losing k pods is survived only if k <= min(R={replicas}, floor((S-1)/2)={}) = {k}",
                shards.saturating_sub(1) / 2
            ));
        }
        Facts::Sentinel {
            sentinels, quorum, ..
        } => reasoning.push(format!(
            "assume the primary is in the lost zone: a Redis pod must remain to be promoted, and max(quorum {quorum}, majority {}) = {} Sentinels to agree and authorize the failover",
            sentinels / 2 + 1,
            quorum.max(sentinels / 2 + 1)
        )),
    }
    let verdict = match (spread, zones) {
        (_, Some(_)) | (false, None) => match worst_zone(facts, zones, spread) {
            Some(b) => {
                reasoning.push(format!("the worst zone's loss breaks it: {}", b.describe()));
                Verdict::Breaks(b)
            }
            None => {
                reasoning.push(survival(facts, zones, spread));
                Verdict::Survives
            }
        },
        (true, None) => Verdict::Unknown,
    };
    match (spread, min) {
        (_, Some(m)) => reasoning.push(format!(
            "spread over at least {m} zone(s), it survives the loss of any one{}",
            if spread { "" } else { " (with `placement.zoneSpread: true`)" }
        )),
        (_, None) => reasoning.push(
            "no number of zones lets it survive the loss of one: it cannot lose a single pod of the group that breaks it".into(),
        ),
    }
    if spread {
        reasoning.push(
            "the scheduler keeps the spread when it places a pod; pods moved during an outage stay where they went until they are rescheduled".into(),
        );
    }
    Some(ZoneLoss {
        zones,
        spread,
        verdict,
        min_zones: min,
        reasoning,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A count as the math takes it (the test sizes are tiny).
    fn to_u32(x: usize) -> u32 {
        u32::try_from(x).unwrap()
    }

    // -- examples ----------------------------------------------------------

    #[test]
    fn a_3x1_cluster_over_3_zones_can_lose_a_shard() {
        let f = Facts::Cluster {
            shards: 3,
            replicas: 1,
        };
        let z = zone_loss(f, Some(3), true).unwrap();
        // 6 pods over 3 zones: 2 per zone, and k = min(1, 1) = 1.
        assert_eq!(
            z.breaks(),
            Some(&Break::ShardLost {
                shard: 0,
                pods: vec![0, 4],
                slots: "0-5460".into()
            })
        );
        assert_eq!(z.min_zones, Some(6));
        assert!(zone_loss(f, Some(6), true).unwrap().breaks().is_none());
    }

    #[test]
    fn sentinels_need_three_zones() {
        let f = Facts::Sentinel {
            redis: 3,
            sentinels: 3,
            quorum: 2,
        };
        assert_eq!(
            worst_zone(f, Some(2), true),
            Some(Break::SentinelMinority {
                left: 1,
                sentinels: 3,
                need: 2,
                quorum: 2,
                majority: 2
            })
        );
        assert_eq!(worst_zone(f, Some(3), true), None);
        assert_eq!(min_zones(f), Some(3));
        // Without the spread every pod may share the zone.
        assert_eq!(
            worst_zone(f, Some(3), false),
            Some(Break::NoRedisLeft { redis: 3 })
        );
    }

    #[test]
    fn no_zone_count_and_no_spread_means_no_reasoning() {
        let f = Facts::Cluster {
            shards: 3,
            replicas: 1,
        };
        assert_eq!(zone_loss(f, None, false), None);
        let z = zone_loss(f, None, true).unwrap();
        assert_eq!(z.verdict, Verdict::Unknown);
        assert_eq!(z.min_zones, Some(6));
    }

    #[test]
    fn what_cannot_survive_any_zone_count() {
        assert_eq!(
            min_zones(Facts::Cluster {
                shards: 3,
                replicas: 0
            }),
            None
        );
        assert_eq!(
            min_zones(Facts::Cluster {
                shards: 2,
                replicas: 2
            }),
            None
        );
        assert_eq!(
            min_zones(Facts::Sentinel {
                redis: 1,
                sentinels: 3,
                quorum: 2
            }),
            None
        );
        // Quorum 3 of 3: losing any Sentinel with the primary stops the failover.
        assert_eq!(
            min_zones(Facts::Sentinel {
                redis: 3,
                sentinels: 3,
                quorum: 3
            }),
            None
        );
    }

    #[test]
    fn reasoning_shows_the_arithmetic() {
        let z = zone_loss(
            Facts::Cluster {
                shards: 3,
                replicas: 1,
            },
            Some(3),
            true,
        )
        .unwrap();
        let text = z.reasoning.join("\n");
        assert!(text.contains("ceil(6/3) = 2 of 6"), "{text}");
        assert!(text.contains("min(R=1, floor((S-1)/2)=1) = 1"), "{text}");
        assert!(text.contains("at least 6 zone(s)"), "{text}");
    }

    // -- exhaustive --------------------------------------------------------
    //
    // The brute force below knows only the scheduling rule (a spread group's zone counts
    // differ by at most one; without the spread anything goes) and what breaks Redis
    // (a shard with no pod left, no majority of primaries under some assignment of roles;
    // no Redis pod left, or with the primary lost too few Sentinels), never the formulas
    // above, so it proves them.

    /// Calls `f` with every assignment of `pods` pods to `zones` zones (a zone per pod)
    /// whose counts obey the spread; stops when `f` returns true, and returns whether it did.
    fn any_placement(
        pods: u32,
        zones: u32,
        spread: bool,
        f: &mut impl FnMut(&[u32]) -> bool,
    ) -> bool {
        fn go(
            at: &mut Vec<u32>,
            counts: &mut Vec<u32>,
            pods: u32,
            spread: bool,
            f: &mut impl FnMut(&[u32]) -> bool,
        ) -> bool {
            if at.len() == pods as usize {
                let (lo, hi) = (counts.iter().min(), counts.iter().max());
                let even = matches!((lo, hi), (Some(lo), Some(hi)) if hi - lo <= 1);
                return (!spread || even) && f(at);
            }
            for z in 0..counts.len() {
                counts[z] += 1;
                at.push(to_u32(z));
                // Prune: a spread group can never put more than ceil in one zone.
                let bound = pods.div_ceil(to_u32(counts.len()));
                if (!spread || counts[z] <= bound) && go(at, counts, pods, spread, f) {
                    return true;
                }
                at.pop();
                counts[z] -= 1;
            }
            false
        }
        go(
            &mut Vec::new(),
            &mut vec![0; zones as usize],
            pods,
            spread,
            f,
        )
    }

    /// Whether losing the pods in `lost` (a bit per pod) breaks a cluster whose shards
    /// are `shards` (pod ordinals), for some choice of which pod of each shard is primary.
    fn cluster_breaks(shards: &[Vec<u32>], lost: u64) -> bool {
        let gone = |p: &u32| lost & (1 << p) != 0;
        if shards.iter().any(|s| s.iter().all(gone)) {
            return true;
        }
        // The adversary makes a lost pod the primary of every shard it can.
        let lost_primaries = shards.iter().filter(|s| s.iter().any(gone)).count();
        2 * (shards.len() - lost_primaries) <= shards.len()
    }

    fn cluster_brute(s: u32, r: u32, zones: u32, spread: bool) -> bool {
        let shards: Vec<Vec<u32>> = initial_layout(s, r)
            .unwrap()
            .iter()
            .map(|l| l.pods())
            .collect();
        any_placement(s * (1 + r), zones, spread, &mut |at| {
            (0..zones).any(|z| {
                let lost = at
                    .iter()
                    .enumerate()
                    .filter(|(_, pz)| **pz == z)
                    .fold(0u64, |m, (p, _)| m | 1 << p);
                cluster_breaks(&shards, lost)
            })
        })
    }

    #[test]
    fn exhaustive_cluster_zone_loss() {
        let mut checked = 0;
        for s in 1..=5u32 {
            for r in 0..=2u32 {
                let pods = s * (1 + r);
                if pods > 10 {
                    continue;
                }
                let f = Facts::Cluster {
                    shards: s,
                    replicas: r,
                };
                let mut first_safe = None;
                // Up to one zone per pod where the enumeration stays small.
                let most_zones = if pods <= 8 { pods } else { 6 };
                for zones in 1..=most_zones {
                    for spread in [true, false] {
                        if !spread && zones > 3 {
                            continue;
                        }
                        let brute = cluster_brute(s, r, zones, spread);
                        let got = worst_zone(f, Some(zones), spread);
                        assert_eq!(
                            got.is_some(),
                            brute,
                            "{s}x(1+{r}) over {zones} zones, spread {spread}: {got:?}"
                        );
                        if let Some(Break::ShardLost { pods: shard, .. }) = &got {
                            // A real shard, and a zone can hold all of it.
                            assert_eq!(to_u32(shard.len()), r + 1);
                            let most = if spread {
                                most_in_one_zone(pods, zones)
                            } else {
                                pods
                            };
                            assert!(to_u32(shard.len()) <= most);
                        }
                        if spread && !brute && first_safe.is_none() {
                            first_safe = Some(zones);
                        }
                    }
                    checked += 1;
                }
                if most_zones == pods {
                    // Every zone count up to the pod count was tried (beyond it a zone
                    // holds one pod whatever the count): the first safe one is the minimum.
                    assert_eq!(min_zones(f), first_safe, "{s}x(1+{r})");
                } else if let Some(z) = first_safe {
                    assert_eq!(min_zones(f), Some(z), "{s}x(1+{r})");
                }
            }
        }
        assert!(checked >= 40, "only {checked} cases");
    }

    #[test]
    fn exhaustive_sentinel_zone_loss() {
        let mut checked = 0;
        for n in 1..=4u32 {
            for sentinels in 1..=5u32 {
                for quorum in 1..=sentinels {
                    let f = Facts::Sentinel {
                        redis: n,
                        sentinels,
                        quorum,
                    };
                    let majority = sentinels / 2 + 1;
                    let mut first_safe = None;
                    for zones in 1..=5u32 {
                        for spread in [true, false] {
                            // The Redis pods and the Sentinels are spread independently
                            // (two workloads); any zone can be the one lost.
                            let brute = any_placement(n, zones, spread, &mut |rz| {
                                any_placement(sentinels, zones, spread, &mut |sz| {
                                    (0..zones).any(|z| {
                                        let lost_r = to_u32(rz.iter().filter(|x| **x == z).count());
                                        let lost_s = to_u32(sz.iter().filter(|x| **x == z).count());
                                        let left_s = sentinels - lost_s;
                                        lost_r > 0
                                            && (lost_r == n || left_s < quorum || left_s < majority)
                                    })
                                })
                            });
                            let got = worst_zone(f, Some(zones), spread);
                            assert_eq!(
                                got.is_some(),
                                brute,
                                "{n} Redis, {sentinels} Sentinels quorum {quorum}, {zones} zones, spread {spread}: {got:?}"
                            );
                            if spread && !brute && first_safe.is_none() {
                                first_safe = Some(zones);
                            }
                            checked += 1;
                        }
                    }
                    if let Some(z) = first_safe {
                        assert_eq!(min_zones(f), Some(z));
                    } else {
                        // Five zones were not enough; with at most five pods a group then
                        // has one pod per zone, so more zones change nothing.
                        assert_eq!(min_zones(f), None, "{n} {sentinels} {quorum}");
                    }
                }
            }
        }
        assert!(checked >= 500, "only {checked} cases");
    }

    #[test]
    fn a_chart_pod_running_redis_and_sentinel_together_is_no_safer() {
        // The Bitnami chart runs a Sentinel in every Redis pod: one placement for both.
        for n in 2..=5u32 {
            for quorum in 1..=n {
                for zones in 1..=4u32 {
                    let brute = any_placement(n, zones, true, &mut |at| {
                        (0..zones).any(|z| {
                            let lost = to_u32(at.iter().filter(|x| **x == z).count());
                            let left = n - lost;
                            lost > 0 && (lost == n || left < quorum || left < n / 2 + 1)
                        })
                    });
                    let got = worst_zone(
                        Facts::Sentinel {
                            redis: n,
                            sentinels: n,
                            quorum,
                        },
                        Some(zones),
                        true,
                    );
                    assert_eq!(
                        got.is_some(),
                        brute,
                        "{n} pods quorum {quorum} {zones} zones"
                    );
                }
            }
        }
    }

    #[test]
    fn counterexamples_break_what_they_say() {
        for s in 1..=6u32 {
            for r in 0..=3u32 {
                if s * (1 + r) > 12 {
                    continue;
                }
                let shards: Vec<Vec<u32>> = initial_layout(s, r)
                    .unwrap()
                    .iter()
                    .map(|l| l.pods())
                    .collect();
                for lost in 0..=s * (1 + r) {
                    match cluster_loss(s, r, lost) {
                        Some(Break::ShardLost { pods, .. })
                        | Some(Break::NoPrimaryMajority { pods, .. }) => {
                            assert!(to_u32(pods.len()) <= lost);
                            let mask = pods.iter().fold(0u64, |m, p| m | 1 << p);
                            assert!(cluster_breaks(&shards, mask), "{s}x{r} lost {lost}");
                        }
                        Some(other) => panic!("{other:?}"),
                        None => {
                            // No set of `lost` pods breaks it: check every one.
                            let n = s * (1 + r);
                            for mask in 0u64..(1 << n) {
                                if mask.count_ones() == lost {
                                    assert!(!cluster_breaks(&shards, mask), "{s}x{r} {mask:b}");
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
