//! Hash-slot ranges that `redis-cli --cluster create` assigns to the primaries.
//!
//! In: the number of primaries. Out: one inclusive [`SlotRange`] per primary, in
//! the order redis-cli gives them (primary 0 first).
//! Invariant: the ranges are contiguous, disjoint, cover `0..=16383` exactly, and
//! their sizes differ by at most one slot.
//!
//! The arithmetic mirrors redis-cli's `clusterManagerCommandCreate` bit for bit,
//! including its single-precision `float` cursor: from about 78 primaries on, a
//! double-precision cursor puts some boundaries one slot away from what
//! redis-cli really does, and runbooks print these ranges next to `CLUSTER SLOTS`.

use serde::Serialize;

/// Number of hash slots in a Redis Cluster.
pub const CLUSTER_SLOTS: u32 = 16384;

/// An inclusive range of hash slots owned by one primary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SlotRange {
    /// First slot, inclusive.
    pub start: u32,
    /// Last slot, inclusive.
    pub end: u32,
}

impl SlotRange {
    /// How many slots the range holds.
    pub fn len(&self) -> u32 {
        self.end - self.start + 1
    }

    /// Always false: a range holds at least its first slot.
    pub fn is_empty(&self) -> bool {
        false
    }
}

impl std::fmt::Display for SlotRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.start, self.end)
    }
}

/// Why slots cannot be spread over the requested primaries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
pub enum SlotError {
    /// Zero primaries own no slots; the cluster would never be `ok`.
    #[error("a cluster needs at least 1 primary to own the 16384 hash slots, got 0")]
    NoPrimaries,
    /// More primaries than slots would leave some primary without a slot.
    #[error(
        "{primaries} primaries is more than the 16384 hash slots; at most 16384 primaries can each own a slot"
    )]
    TooManyPrimaries {
        /// The requested number of primaries.
        primaries: u32,
    },
}

/// The slot range of each primary, as `redis-cli --cluster create` assigns them.
///
/// ```
/// use rkv::plan::slots::{slot_ranges, SlotRange};
/// let r = slot_ranges(3).unwrap();
/// assert_eq!(r[1], SlotRange { start: 5461, end: 10922 });
/// ```
pub fn slot_ranges(primaries: u32) -> Result<Vec<SlotRange>, SlotError> {
    if primaries == 0 {
        return Err(SlotError::NoPrimaries);
    }
    if primaries > CLUSTER_SLOTS {
        return Err(SlotError::TooManyPrimaries { primaries });
    }
    // redis-cli: `float slots_per_node = CLUSTER_MANAGER_SLOTS / (float) masters_count;`
    // with a `float` cursor; f32 here reproduces its rounding exactly.
    let per_node = CLUSTER_SLOTS as f32 / primaries as f32;
    let mut cursor = 0.0f32;
    let mut first: i64 = 0;
    let mut out = Vec::with_capacity(primaries as usize);
    for i in 0..primaries {
        // `lround` rounds half away from zero, as `f32::round` does.
        #[expect(
            clippy::cast_possible_truncation,
            reason = "at most 2 * 16384, so exact in i64: redis-cli's float-to-long `lround`"
        )]
        let mut last = (cursor + per_node - 1.0).round() as i64;
        if last > i64::from(CLUSTER_SLOTS) || i == primaries - 1 {
            last = i64::from(CLUSTER_SLOTS) - 1;
        }
        if last < first {
            last = first;
        }
        // Both bounds lie in 0..=16383 by the clamps above, so the casts are exact.
        #[expect(
            clippy::cast_possible_truncation,
            reason = "both bounds lie in 0..=16383 by the clamps above"
        )]
        let (start, end) = (first as u32, last as u32);
        out.push(SlotRange { start, end });
        first = last + 1;
        cursor += per_node;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_primaries_match_redis_cli() {
        let r = slot_ranges(3).unwrap();
        assert_eq!(
            r,
            vec![
                SlotRange {
                    start: 0,
                    end: 5460
                },
                SlotRange {
                    start: 5461,
                    end: 10922
                },
                SlotRange {
                    start: 10923,
                    end: 16383
                },
            ]
        );
        assert_eq!(
            r.iter().map(SlotRange::len).collect::<Vec<_>>(),
            vec![5461, 5462, 5461]
        );
        assert_eq!(r[0].to_string(), "0-5460");
    }

    #[test]
    fn known_layouts() {
        // Printed by redis-cli for 4, 5 and 6 masters.
        let four: Vec<String> = slot_ranges(4)
            .unwrap()
            .iter()
            .map(|r| r.to_string())
            .collect();
        assert_eq!(four, ["0-4095", "4096-8191", "8192-12287", "12288-16383"]);
        let five: Vec<String> = slot_ranges(5)
            .unwrap()
            .iter()
            .map(|r| r.to_string())
            .collect();
        assert_eq!(
            five,
            [
                "0-3276",
                "3277-6553",
                "6554-9829",
                "9830-13106",
                "13107-16383"
            ]
        );
        let six: Vec<String> = slot_ranges(6)
            .unwrap()
            .iter()
            .map(|r| r.to_string())
            .collect();
        assert_eq!(
            six,
            [
                "0-2730",
                "2731-5460",
                "5461-8191",
                "8192-10922",
                "10923-13652",
                "13653-16383"
            ]
        );
        assert_eq!(
            slot_ranges(1).unwrap(),
            vec![SlotRange {
                start: 0,
                end: 16383
            }]
        );
    }

    #[test]
    fn rejects_zero_and_too_many() {
        assert_eq!(slot_ranges(0), Err(SlotError::NoPrimaries));
        assert_eq!(
            slot_ranges(16385),
            Err(SlotError::TooManyPrimaries { primaries: 16385 })
        );
        assert!(slot_ranges(16384).is_ok());
    }

    fn assert_partition(primaries: u32) {
        let r = slot_ranges(primaries).unwrap();
        assert_eq!(r.len(), primaries as usize);
        let mut next = 0;
        for range in &r {
            assert_eq!(
                range.start, next,
                "{primaries} primaries: gap or overlap at {range}"
            );
            assert!(range.end >= range.start);
            next = range.end + 1;
        }
        assert_eq!(
            next, CLUSTER_SLOTS,
            "{primaries} primaries: slots not all covered"
        );
        let min = r.iter().map(SlotRange::len).min().unwrap();
        let max = r.iter().map(SlotRange::len).max().unwrap();
        assert!(max - min <= 1, "{primaries} primaries: sizes {min}..{max}");
    }

    #[test]
    fn ranges_partition_the_slots_for_1_to_1000_primaries() {
        for p in 1..=1000 {
            assert_partition(p);
        }
    }

    #[test]
    fn ranges_partition_the_slots_at_the_extremes() {
        for p in [4096, 8191, 8192, 16383, 16384] {
            assert_partition(p);
        }
    }
}
