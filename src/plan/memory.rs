//! Memory and disk arithmetic: `maxmemory` from a container limit, fork headroom,
//! and how much volume persistence needs.
//!
//! In: Kubernetes quantities (`1Gi`, `500M`) and Redis memory strings (`896mb`)
//! as the spec holds them, or byte counts. Out: bytes, the `maxmemory` value rkv
//! writes into redis.conf with its arithmetic, and typed issues carrying the
//! numbers for the check stage.
//!
//! Invariant: all arithmetic is exact integer arithmetic on bytes (no floats), so
//! a figure in a finding is the figure in the manifest; a `maxmemory` derived here
//! always passes [`memory_findings`]' headroom check.

use serde::Serialize;

use super::disruption::Severity;

const KI: u64 = 1 << 10;
const MI: u64 = 1 << 20;

/// Why a memory value cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum MemoryError {
    /// Not a Kubernetes quantity.
    #[error(
        "`{value}` is not a Kubernetes memory quantity: expected a number with an optional suffix Ki, Mi, Gi, Ti, Pi, Ei (powers of 1024) or k, M, G, T, P, E (powers of 1000), like `512Mi`, `1.5Gi` or `1G`"
    )]
    InvalidQuantity {
        /// The text given.
        value: String,
    },
    /// A sub-byte suffix, almost always `m` written for `Mi`.
    #[error(
        "`{value}` is a fraction of a byte: in Kubernetes `{suffix}` means {meaning}; for memory write `Mi` (1048576 bytes) or `M` (1000000 bytes)"
    )]
    SubByteSuffix {
        /// The text given.
        value: String,
        /// The suffix, `m`, `u` or `n`.
        suffix: String,
        /// What the suffix means.
        meaning: String,
    },
    /// A negative amount of memory.
    #[error("`{value}` is negative: a memory size must be 0 or more")]
    Negative {
        /// The text given.
        value: String,
    },
    /// Not a Redis memory string.
    #[error(
        "`{value}` is not a Redis memory size: expected a whole number with an optional unit b, k (1000), kb (1024), m (1000000), mb (1048576), g (10^9) or gb (2^30), like `896mb`"
    )]
    InvalidRedisMemory {
        /// The text given.
        value: String,
    },
    /// More bytes than 64 bits hold.
    #[error("`{value}` is more bytes than rkv can count (2^64 - 1)")]
    TooLarge {
        /// The text given.
        value: String,
    },
    /// A limit so small that 7/8 of it rounds down to `maxmemory 0`, which Redis
    /// reads as "no limit".
    #[error(
        "a memory limit of {limit_bytes} bytes leaves under 1 MiB for `maxmemory`, and `maxmemory 0mb` means no limit at all"
    )]
    LimitTooSmall {
        /// The container memory limit.
        limit_bytes: u64,
    },
}

// ---------------------------------------------------------------------------
// Parsing and formatting
// ---------------------------------------------------------------------------

/// Bytes in a Kubernetes memory quantity (`1Gi`, `512Mi`, `1G`, `500M`, `1.5Gi`,
/// `129e6`, `1024`). Fractions of a byte round up, as the API server does.
pub fn parse_k8s_quantity(text: &str) -> Result<u64, MemoryError> {
    let s = text.trim();
    let invalid = || MemoryError::InvalidQuantity {
        value: text.to_string(),
    };
    let too_large = || MemoryError::TooLarge {
        value: text.to_string(),
    };
    let (negative, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let number_end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (number, suffix) = s.split_at(number_end);
    let (int_part, frac_part) = number.split_once('.').unwrap_or((number, ""));
    if int_part.is_empty() && frac_part.is_empty() {
        return Err(invalid());
    }
    if !(int_part.bytes().all(|b| b.is_ascii_digit())
        && frac_part.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(invalid());
    }
    // value = digits / 10^scale * multiplier / divisor, all exact.
    let digits = format!("{int_part}{frac_part}");
    let mut numerator: u128 = 0;
    for d in digits.bytes() {
        numerator = numerator
            .checked_mul(10)
            .and_then(|n| n.checked_add(u128::from(d - b'0')))
            .ok_or_else(too_large)?;
    }
    let mut divisor: u128 = u32::try_from(frac_part.len())
        .ok()
        .and_then(|digits| 10u128.checked_pow(digits))
        .ok_or_else(too_large)?;
    let multiplier: u128 = match suffix {
        "" => 1,
        "Ki" => 1 << 10,
        "Mi" => 1 << 20,
        "Gi" => 1 << 30,
        "Ti" => 1 << 40,
        "Pi" => 1 << 50,
        "Ei" => 1 << 60,
        "k" => 1_000,
        "M" => 1_000_000,
        "G" => 1_000_000_000,
        "T" => 1_000_000_000_000,
        "P" => 1_000_000_000_000_000,
        "E" => 1_000_000_000_000_000_000,
        "m" | "u" | "n" => {
            let meaning = match suffix {
                "m" => "milli (1/1000)",
                "u" => "micro (1/1000000)",
                _ => "nano (1/1000000000)",
            };
            return Err(MemoryError::SubByteSuffix {
                value: text.to_string(),
                suffix: suffix.to_string(),
                meaning: meaning.to_string(),
            });
        }
        exp if exp.starts_with(['e', 'E']) => {
            let e: i32 = exp[1..].parse().map_err(|_| invalid())?;
            if e.unsigned_abs() > 30 {
                return Err(if e > 0 { too_large() } else { invalid() });
            }
            let p = 10u128.pow(e.unsigned_abs());
            if e < 0 {
                divisor = divisor.checked_mul(p).ok_or_else(too_large)?;
                1
            } else {
                p
            }
        }
        _ => return Err(invalid()),
    };
    let scaled = numerator.checked_mul(multiplier).ok_or_else(too_large)?;
    let bytes = scaled.div_ceil(divisor);
    if negative && bytes > 0 {
        return Err(MemoryError::Negative {
            value: text.to_string(),
        });
    }
    u64::try_from(bytes).map_err(|_| too_large())
}

/// Bytes in a Redis memory string, as redis.conf reads it: `896mb`, `1gb`,
/// `1024kb`, `1k` (1000), `1m` (1000000), `1mb` (1048576), plain bytes; units are
/// case-insensitive.
pub fn parse_redis_memory(text: &str) -> Result<u64, MemoryError> {
    let s = text.trim();
    let invalid = || MemoryError::InvalidRedisMemory {
        value: text.to_string(),
    };
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    if number.is_empty() {
        return Err(invalid());
    }
    let multiplier: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" => 1_000,
        "kb" => KI,
        "m" => 1_000_000,
        "mb" => MI,
        "g" => 1_000_000_000,
        "gb" => 1 << 30,
        _ => return Err(invalid()),
    };
    let n: u64 = number.parse().map_err(|_| MemoryError::TooLarge {
        value: text.to_string(),
    })?;
    n.checked_mul(multiplier)
        .ok_or_else(|| MemoryError::TooLarge {
            value: text.to_string(),
        })
}

/// `bytes` as a Redis `<n>mb` string, rounded down to whole MiB (a `maxmemory`
/// never grows by being written out).
pub fn format_redis_mb(bytes: u64) -> String {
    format!("{}mb", bytes / MI)
}

/// A configured `maxmemory` as written in redis.conf when it is whole MiB, else
/// in bytes, so a finding never rounds the value it complains about.
fn redis_size(bytes: u64) -> String {
    if bytes.is_multiple_of(MI) {
        format_redis_mb(bytes)
    } else {
        format!("{bytes} bytes")
    }
}

/// `bytes` for a human: exact as `Gi`/`Mi`/`Ki` when it divides, else with up to
/// two decimals in the largest binary unit it reaches (`1.17Gi`).
pub fn format_bytes(bytes: u64) -> String {
    const UNITS: [(u32, &str); 6] = [
        (60, "Ei"),
        (50, "Pi"),
        (40, "Ti"),
        (30, "Gi"),
        (20, "Mi"),
        (10, "Ki"),
    ];
    for (shift, unit) in UNITS {
        let size = 1u64 << shift;
        if bytes >= size {
            if bytes.is_multiple_of(size) {
                return format!("{}{unit}", bytes >> shift);
            }
            // Hundredths, rounded half up, in integer arithmetic.
            let hundredths = (u128::from(bytes) * 100 + u128::from(size) / 2) / u128::from(size);
            let (whole, frac) = (hundredths / 100, hundredths % 100);
            return match frac {
                0 => format!("{whole}{unit}"),
                f if f.is_multiple_of(10) => format!("{whole}.{}{unit}", f / 10),
                f => format!("{whole}.{f:02}{unit}"),
            };
        }
    }
    format!("{bytes} bytes")
}

// ---------------------------------------------------------------------------
// maxmemory from the container limit
// ---------------------------------------------------------------------------

/// The `maxmemory` rkv derives from a container memory limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DerivedMaxmemory {
    /// The container memory limit.
    pub limit_bytes: u64,
    /// `maxmemory` in bytes, a whole number of MiB.
    pub maxmemory_bytes: u64,
    /// The value written into redis.conf, like `896mb`.
    pub maxmemory: String,
    /// What the limit keeps beyond `maxmemory`.
    pub headroom_bytes: u64,
    /// The arithmetic, one line per step.
    pub reasoning: Vec<String>,
}

/// `maxmemory` = 7/8 of the container memory limit, rounded down to whole MiB
/// (`1Gi` -> `896mb`).
///
/// 7/8 rather than a round 90% because the remaining eighth has to hold the
/// copy-on-write pages of a BGSAVE or AOF-rewrite fork, client and replication
/// buffers and allocator overhead; for a 1Gi pod that is 128Mi.
pub fn derive_maxmemory(limit_bytes: u64) -> Result<DerivedMaxmemory, MemoryError> {
    // floor(7L/8) with L = 8q + r is 7q + floor(7r/8): exact, and no step overflows.
    let exact = limit_bytes / 8 * 7 + limit_bytes % 8 * 7 / 8;
    let maxmemory_bytes = exact / MI * MI;
    if maxmemory_bytes == 0 {
        return Err(MemoryError::LimitTooSmall { limit_bytes });
    }
    let maxmemory = format_redis_mb(maxmemory_bytes);
    let headroom_bytes = limit_bytes - maxmemory_bytes;
    let limit = format_bytes(limit_bytes);
    let headroom = format_bytes(headroom_bytes);
    let mut reasoning = Vec::new();
    if exact == maxmemory_bytes && (u128::from(limit_bytes) * 7).is_multiple_of(8) {
        reasoning.push(format!(
            "maxmemory = {limit} * 7/8 = {maxmemory}, leaving {headroom} for the fork, buffers and overhead"
        ));
    } else {
        reasoning.push(format!(
            "maxmemory = {limit} * 7/8 = {exact} bytes, rounded down to whole MiB: {maxmemory}, leaving {headroom} for the fork, buffers and overhead"
        ));
    }
    reasoning.push(format!(
        "headroom {headroom} is {} of the limit (at least 10% is required)",
        percent(headroom_bytes, limit_bytes)
    ));
    Ok(DerivedMaxmemory {
        limit_bytes,
        maxmemory_bytes,
        maxmemory,
        headroom_bytes,
        reasoning,
    })
}

/// `part / whole` as a percentage with one decimal, like `12.5%`.
fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "n/a".into();
    }
    let tenths = (u128::from(part) * 1000 + u128::from(whole) / 2) / u128::from(whole);
    match tenths % 10 {
        0 => format!("{}%", tenths / 10),
        t => format!("{}.{t}%", tenths / 10),
    }
}

// ---------------------------------------------------------------------------
// Memory findings
// ---------------------------------------------------------------------------

/// A problem with a topology's memory settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum MemoryIssue {
    /// Redis may use more than the container may: the kernel OOM-kills it first.
    #[serde(rename_all = "camelCase")]
    MaxmemoryAboveLimit {
        /// `maxmemory`.
        maxmemory_bytes: u64,
        /// Container memory limit.
        limit_bytes: u64,
    },
    /// Less than a tenth of the limit is left beyond `maxmemory`.
    #[serde(rename_all = "camelCase")]
    TooLittleHeadroom {
        /// `maxmemory`.
        maxmemory_bytes: u64,
        /// Container memory limit.
        limit_bytes: u64,
        /// limit - maxmemory.
        headroom_bytes: u64,
        /// The smallest acceptable headroom, a tenth of the limit rounded up.
        needed_bytes: u64,
    },
    /// A durable store whose limit cannot hold a fork that copies every page.
    #[serde(rename_all = "camelCase")]
    ForkMayDoubleMemory {
        /// Container memory limit.
        limit_bytes: u64,
        /// Dataset size used.
        dataset_bytes: u64,
        /// True when the dataset is the user's estimate, false when it is `maxmemory`.
        from_estimate: bool,
    },
    /// A durable store with persistence off: a restart loses every key.
    DurableWithoutPersistence,
    /// Neither `maxmemory` nor a memory limit bounds Redis.
    NoMemoryBound,
}

impl MemoryIssue {
    /// Error or warning.
    pub fn severity(&self) -> Severity {
        match self {
            MemoryIssue::MaxmemoryAboveLimit { .. }
            | MemoryIssue::TooLittleHeadroom { .. }
            | MemoryIssue::DurableWithoutPersistence => Severity::Error,
            MemoryIssue::ForkMayDoubleMemory { .. } | MemoryIssue::NoMemoryBound => {
                Severity::Warning
            }
        }
    }

    /// What is wrong, with the numbers.
    pub fn message(&self) -> String {
        match *self {
            MemoryIssue::MaxmemoryAboveLimit {
                maxmemory_bytes,
                limit_bytes,
            } => format!(
                "`maxmemory` {} is above the container memory limit {}: the kernel OOM-kills Redis before eviction starts",
                redis_size(maxmemory_bytes),
                format_bytes(limit_bytes)
            ),
            MemoryIssue::TooLittleHeadroom {
                maxmemory_bytes,
                limit_bytes,
                headroom_bytes,
                needed_bytes,
            } => format!(
                "`maxmemory` {} leaves {} ({}) of the {} limit for the BGSAVE / AOF-rewrite fork's copy-on-write pages, buffers and overhead; at least {} (10%) is needed",
                redis_size(maxmemory_bytes),
                format_bytes(headroom_bytes),
                percent(headroom_bytes, limit_bytes),
                format_bytes(limit_bytes),
                format_bytes(needed_bytes)
            ),
            MemoryIssue::ForkMayDoubleMemory {
                limit_bytes,
                dataset_bytes,
                from_estimate,
            } => format!(
                "the memory limit {} is below twice the dataset ({} {}): a fork during a write-heavy burst can copy every page and double memory, and the pod is OOM-killed mid-save",
                format_bytes(limit_bytes),
                if from_estimate { "estimated at" } else { "up to maxmemory" },
                format_bytes(dataset_bytes)
            ),
            MemoryIssue::DurableWithoutPersistence => {
                "a durable store has persistence off: a restart loses every key".into()
            }
            MemoryIssue::NoMemoryBound => {
                "neither `maxmemory` nor a container memory limit bounds Redis: it grows until the node runs out of memory".into()
            }
        }
    }

    /// How to fix it.
    pub fn help(&self) -> String {
        match *self {
            MemoryIssue::MaxmemoryAboveLimit { limit_bytes, .. }
            | MemoryIssue::TooLittleHeadroom { limit_bytes, .. } => {
                match derive_maxmemory(limit_bytes) {
                    Ok(d) => format!(
                        "set `maxmemory` to {} (7/8 of {}), or leave it out and rkv derives it",
                        d.maxmemory,
                        format_bytes(limit_bytes)
                    ),
                    Err(_) => "raise the container memory limit".into(),
                }
            }
            MemoryIssue::ForkMayDoubleMemory { dataset_bytes, .. } => format!(
                "raise the memory limit to at least {} (2x the dataset), or lower `maxmemory`",
                format_bytes(dataset_bytes.saturating_mul(2))
            ),
            MemoryIssue::DurableWithoutPersistence => {
                "turn on AOF (`appendonly yes`, `appendfsync everysec`) or RDB snapshots".into()
            }
            MemoryIssue::NoMemoryBound => {
                "set a container memory limit; rkv then derives `maxmemory` as 7/8 of it".into()
            }
        }
    }
}

/// Memory findings for one Redis container.
///
/// `limit` is the container memory limit, `maxmemory` the configured value
/// (`Some(0)` is Redis' "no limit" and counts as absent), `durable` whether the
/// data must survive a restart, `persistence_on` whether RDB or AOF is on, and
/// `dataset_estimate` the user's estimate of the data size. The doubling check
/// runs only when a durable store persists, because only then does losing the
/// pod to an OOM kill mid-fork cost data rather than a cache refill.
pub fn memory_findings(
    limit: Option<u64>,
    maxmemory: Option<u64>,
    durable: bool,
    persistence_on: bool,
    dataset_estimate: Option<u64>,
) -> Vec<MemoryIssue> {
    let maxmemory = maxmemory.filter(|&m| m > 0);
    let mut issues = Vec::new();
    match (limit, maxmemory) {
        (None, None) => issues.push(MemoryIssue::NoMemoryBound),
        (Some(limit_bytes), Some(maxmemory_bytes)) if maxmemory_bytes > limit_bytes => {
            issues.push(MemoryIssue::MaxmemoryAboveLimit {
                maxmemory_bytes,
                limit_bytes,
            })
        }
        (Some(limit_bytes), Some(maxmemory_bytes)) => {
            let headroom_bytes = limit_bytes - maxmemory_bytes;
            let needed_bytes = limit_bytes.div_ceil(10);
            if headroom_bytes < needed_bytes {
                issues.push(MemoryIssue::TooLittleHeadroom {
                    maxmemory_bytes,
                    limit_bytes,
                    headroom_bytes,
                    needed_bytes,
                });
            }
        }
        _ => {}
    }
    if durable && !persistence_on {
        issues.push(MemoryIssue::DurableWithoutPersistence);
    }
    if durable && persistence_on {
        let dataset = dataset_estimate
            .map(|d| (d, true))
            .or(maxmemory.map(|m| (m, false)));
        if let (Some(limit_bytes), Some((dataset_bytes, from_estimate))) = (limit, dataset)
            && u128::from(limit_bytes) < 2 * u128::from(dataset_bytes)
        {
            issues.push(MemoryIssue::ForkMayDoubleMemory {
                limit_bytes,
                dataset_bytes,
                from_estimate,
            });
        }
    }
    issues.sort_by_key(MemoryIssue::severity);
    issues
}

// ---------------------------------------------------------------------------
// Disk
// ---------------------------------------------------------------------------

/// How much volume persistence needs at its peak.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiskNeed {
    /// Dataset size the need is computed for.
    pub dataset_bytes: u64,
    /// The RDB snapshot, 1x dataset when RDB is on.
    pub rdb_bytes: u64,
    /// The AOF at its largest, (1 + p/100)x dataset, just before auto-rewrite.
    pub aof_peak_bytes: u64,
    /// The rewrite's new file, 1x dataset, written while the old AOF still exists.
    pub rewrite_bytes: u64,
    /// The sum: the smallest volume that holds all of it.
    pub total_bytes: u64,
    /// The arithmetic, one line per step.
    pub reasoning: Vec<String>,
}

/// Why the disk need cannot be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum DiskError {
    /// `auto-aof-rewrite-percentage 0` turns automatic rewrites off.
    #[error(
        "`auto-aof-rewrite-percentage 0` turns off automatic AOF rewrites: the AOF grows without bound, so no volume is large enough"
    )]
    AofRewriteDisabled,
    /// More bytes than 64 bits hold.
    #[error("the disk need of a {dataset_bytes}-byte dataset is more bytes than rkv can count")]
    TooLarge {
        /// Dataset size.
        dataset_bytes: u64,
    },
}

/// Volume persistence needs for `dataset` bytes: an RDB snapshot (1x) + the AOF
/// grown to (1 + p/100)x before auto-rewrite + the rewrite's new file (1x).
///
/// The model assumes the AOF base is the size of the dataset after each rewrite
/// (`auto-aof-rewrite-percentage p` triggers at (1 + p/100)x that base).
pub fn disk_need(
    dataset: u64,
    aof_on: bool,
    rdb_on: bool,
    aof_rewrite_percentage: u32,
) -> Result<DiskNeed, DiskError> {
    if aof_on && aof_rewrite_percentage == 0 {
        return Err(DiskError::AofRewriteDisabled);
    }
    let too_large = || DiskError::TooLarge {
        dataset_bytes: dataset,
    };
    let d = u128::from(dataset);
    let rdb = if rdb_on { d } else { 0 };
    let aof_peak = if aof_on {
        (d * (100 + u128::from(aof_rewrite_percentage))).div_ceil(100)
    } else {
        0
    };
    let rewrite = if aof_on { d } else { 0 };
    let to_u64 = |v: u128| u64::try_from(v).map_err(|_| too_large());
    let (rdb_bytes, aof_peak_bytes, rewrite_bytes) =
        (to_u64(rdb)?, to_u64(aof_peak)?, to_u64(rewrite)?);
    let total_bytes = to_u64(rdb + aof_peak + rewrite)?;

    let ds = format_bytes(dataset);
    let mut reasoning = vec![format!("dataset = {ds}")];
    if rdb_on {
        reasoning.push(format!(
            "RDB snapshot = 1x dataset = {}",
            format_bytes(rdb_bytes)
        ));
    }
    if aof_on {
        reasoning.push(format!(
            "AOF before auto-rewrite = (1 + {aof_rewrite_percentage}/100)x dataset = {}",
            format_bytes(aof_peak_bytes)
        ));
        reasoning.push(format!(
            "AOF rewrite's new file = 1x dataset = {}",
            format_bytes(rewrite_bytes)
        ));
    }
    if !rdb_on && !aof_on {
        reasoning.push("persistence off: nothing is written to the volume".into());
    }
    let parts: Vec<String> = [
        (rdb_on, rdb_bytes),
        (aof_on, aof_peak_bytes),
        (aof_on, rewrite_bytes),
    ]
    .iter()
    .filter(|(on, _)| *on)
    .map(|(_, b)| format_bytes(*b))
    .collect();
    if !parts.is_empty() {
        reasoning.push(format!(
            "total = {} = {}",
            parts.join(" + "),
            format_bytes(total_bytes)
        ));
    }
    Ok(DiskNeed {
        dataset_bytes: dataset,
        rdb_bytes,
        aof_peak_bytes,
        rewrite_bytes,
        total_bytes,
        reasoning,
    })
}

/// A problem with a persistence volume.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum DiskIssue {
    /// The PVC cannot hold persistence at its peak.
    #[serde(rename_all = "camelCase")]
    PvcTooSmall {
        /// PVC request.
        pvc_bytes: u64,
        /// What persistence needs at its peak.
        need_bytes: u64,
    },
}

impl DiskIssue {
    /// Error or warning.
    pub fn severity(&self) -> Severity {
        match self {
            DiskIssue::PvcTooSmall { .. } => Severity::Error,
        }
    }

    /// What is wrong, with the numbers.
    pub fn message(&self) -> String {
        match *self {
            DiskIssue::PvcTooSmall {
                pvc_bytes,
                need_bytes,
            } => format!(
                "the {} volume is smaller than the {} persistence needs at its peak (RDB + AOF before rewrite + the rewrite's new file): writes fail with ENOSPC and Redis stops accepting them",
                format_bytes(pvc_bytes),
                format_bytes(need_bytes)
            ),
        }
    }

    /// How to fix it.
    pub fn help(&self) -> String {
        match *self {
            DiskIssue::PvcTooSmall { need_bytes, .. } => format!(
                "set the persistence size to at least {}, or lower `auto-aof-rewrite-percentage`",
                format_bytes(need_bytes.div_ceil(1 << 30) << 30)
            ),
        }
    }
}

/// Disk findings for a PVC of `pvc_bytes` holding persistence that needs `need`.
pub fn disk_findings(pvc_bytes: u64, need: &DiskNeed) -> Vec<DiskIssue> {
    if pvc_bytes < need.total_bytes {
        vec![DiskIssue::PvcTooSmall {
            pvc_bytes,
            need_bytes: need.total_bytes,
        }]
    } else {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const GI: u64 = 1 << 30;

    #[test]
    fn k8s_quantities() {
        for (text, bytes) in [
            ("1Gi", GI),
            ("512Mi", 512 * MI),
            ("20Gi", 20 * GI),
            ("1G", 1_000_000_000),
            ("500M", 500_000_000),
            ("1048576", MI),
            ("1.5Gi", 3 * GI / 2),
            ("0.5Ki", 512),
            ("129e6", 129_000_000),
            ("1E", 1_000_000_000_000_000_000),
            ("1Ti", 1 << 40),
            ("0", 0),
            (" 2Mi ", 2 * MI),
            ("1.0000001", 2),
            (".5Mi", MI / 2),
        ] {
            assert_eq!(parse_k8s_quantity(text), Ok(bytes), "{text}");
        }
    }

    #[test]
    fn k8s_garbage_is_rejected_with_what_was_expected() {
        for text in [
            "", "Gi", "1 Gi", "1gb", "1GB", "1.2.3Mi", "abc", "1Gi2", "1e", "1ex",
        ] {
            let err = parse_k8s_quantity(text).unwrap_err();
            assert!(
                matches!(err, MemoryError::InvalidQuantity { .. }),
                "{text}: {err:?}"
            );
            assert!(err.to_string().contains("Ki, Mi, Gi"));
        }
        let err = parse_k8s_quantity("500m").unwrap_err();
        assert!(matches!(err, MemoryError::SubByteSuffix { .. }));
        assert!(err.to_string().contains("milli"), "{err}");
        assert!(matches!(
            parse_k8s_quantity("-1Gi"),
            Err(MemoryError::Negative { .. })
        ));
        assert!(matches!(
            parse_k8s_quantity("16Ei"),
            Err(MemoryError::TooLarge { .. })
        ));
        assert!(matches!(
            parse_k8s_quantity("99999999999999999999999999999999999999999"),
            Err(MemoryError::TooLarge { .. })
        ));
    }

    #[test]
    fn redis_memory_strings() {
        for (text, bytes) in [
            ("896mb", 896 * MI),
            ("1gb", GI),
            ("100mb", 100 * MI),
            ("1024kb", MI),
            ("1k", 1000),
            ("1m", 1_000_000),
            ("1mb", MI),
            ("1g", 1_000_000_000),
            ("1GB", GI),
            ("896MB", 896 * MI),
            ("12345", 12345),
            ("7b", 7),
            ("0", 0),
        ] {
            assert_eq!(parse_redis_memory(text), Ok(bytes), "{text}");
        }
        for text in ["", "mb", "1.5gb", "1Gi", "1 mb", "-1mb", "1tb"] {
            let err = parse_redis_memory(text).unwrap_err();
            assert!(
                matches!(err, MemoryError::InvalidRedisMemory { .. }),
                "{text}: {err:?}"
            );
        }
        assert!(matches!(
            parse_redis_memory("99999999999gb"),
            Err(MemoryError::TooLarge { .. })
        ));
        assert_eq!(format_redis_mb(896 * MI), "896mb");
        assert_eq!(format_redis_mb(MI + 5), "1mb");
    }

    #[test]
    fn byte_formatting() {
        assert_eq!(format_bytes(GI), "1Gi");
        assert_eq!(format_bytes(896 * MI), "896Mi");
        assert_eq!(format_bytes(3 * GI / 2), "1.5Gi");
        assert_eq!(format_bytes(1_000_000_000), "953.67Mi");
        assert_eq!(format_bytes(512), "512 bytes");
    }

    #[test]
    fn maxmemory_of_1gi_is_896mb() {
        let d = derive_maxmemory(GI).unwrap();
        assert_eq!(d.maxmemory, "896mb");
        assert_eq!(d.headroom_bytes, 128 * MI);
        assert_eq!(
            d.reasoning[0],
            "maxmemory = 1Gi * 7/8 = 896mb, leaving 128Mi for the fork, buffers and overhead"
        );
        assert!(d.reasoning[1].contains("12.5%"));
        let d = derive_maxmemory(1_000_000_000).unwrap();
        assert_eq!(d.maxmemory, "834mb");
        assert!(
            d.reasoning[0].contains("875000000 bytes, rounded down"),
            "{}",
            d.reasoning[0]
        );
        assert_eq!(derive_maxmemory(20 * GI).unwrap().maxmemory, "17920mb");
        assert_eq!(
            derive_maxmemory(MI),
            Err(MemoryError::LimitTooSmall { limit_bytes: MI })
        );
        assert_eq!(
            derive_maxmemory(0),
            Err(MemoryError::LimitTooSmall { limit_bytes: 0 })
        );
        assert!(derive_maxmemory(u64::MAX).is_ok());
    }

    #[test]
    fn memory_findings_cases() {
        // Seed 004: 896mb of 1Gi passes the headroom check...
        assert_eq!(
            memory_findings(Some(GI), Some(896 * MI), false, true, None),
            vec![]
        );
        // ...but a durable store of that size could double on a fork.
        let issues = memory_findings(Some(GI), Some(896 * MI), true, true, None);
        assert_eq!(
            issues,
            vec![MemoryIssue::ForkMayDoubleMemory {
                limit_bytes: GI,
                dataset_bytes: 896 * MI,
                from_estimate: false
            }]
        );
        assert!(issues[0].message().contains("1Gi") && issues[0].message().contains("896Mi"));
        assert!(issues[0].help().contains("1.75Gi"), "{}", issues[0].help());
        // A small estimated dataset is fine.
        assert_eq!(
            memory_findings(Some(GI), Some(896 * MI), true, true, Some(100 * MI)),
            vec![]
        );

        let issues = memory_findings(Some(GI), Some(2 * GI), false, false, None);
        assert_eq!(
            issues,
            vec![MemoryIssue::MaxmemoryAboveLimit {
                maxmemory_bytes: 2 * GI,
                limit_bytes: GI
            }]
        );
        assert!(issues[0].help().contains("896mb"));

        // 95% of the limit: under a tenth of headroom.
        let issues = memory_findings(Some(1000 * MI), Some(950 * MI), false, true, None);
        assert!(
            matches!(issues[..], [MemoryIssue::TooLittleHeadroom { needed_bytes, .. }] if needed_bytes == 100 * MI)
        );
        assert!(
            issues[0].message().contains("5%"),
            "{}",
            issues[0].message()
        );
        // Exactly a tenth passes.
        assert_eq!(
            memory_findings(Some(1000 * MI), Some(900 * MI), false, true, None),
            vec![]
        );

        assert_eq!(
            memory_findings(None, None, false, false, None),
            vec![MemoryIssue::NoMemoryBound]
        );
        assert_eq!(
            memory_findings(None, Some(0), false, false, None),
            vec![MemoryIssue::NoMemoryBound]
        );
        assert_eq!(memory_findings(None, Some(GI), false, false, None), vec![]);
        assert_eq!(
            memory_findings(Some(GI), None, true, false, None),
            vec![MemoryIssue::DurableWithoutPersistence]
        );
        // Errors sort first.
        let issues = memory_findings(Some(GI), Some(2 * GI), true, true, None);
        assert_eq!(issues[0].severity(), Severity::Error);
        assert_eq!(
            issues.last().map(MemoryIssue::severity),
            Some(Severity::Warning)
        );
    }

    #[test]
    fn disk_need_cases() {
        let n = disk_need(10 * GI, true, true, 100).unwrap();
        assert_eq!(
            (n.rdb_bytes, n.aof_peak_bytes, n.rewrite_bytes),
            (10 * GI, 20 * GI, 10 * GI)
        );
        assert_eq!(n.total_bytes, 40 * GI);
        assert_eq!(
            n.reasoning.last().unwrap(),
            "total = 10Gi + 20Gi + 10Gi = 40Gi"
        );
        let n = disk_need(GI, false, true, 100).unwrap();
        assert_eq!(n.total_bytes, GI);
        let n = disk_need(GI, true, false, 50).unwrap();
        assert_eq!(n.total_bytes, GI * 3 / 2 + GI);
        assert_eq!(disk_need(GI, false, false, 0).unwrap().total_bytes, 0);
        assert_eq!(
            disk_need(GI, true, true, 0),
            Err(DiskError::AofRewriteDisabled)
        );
        assert!(matches!(
            disk_need(u64::MAX, true, true, 100),
            Err(DiskError::TooLarge { .. })
        ));

        let need = disk_need(5 * GI, true, true, 100).unwrap();
        let issues = disk_findings(10 * GI, &need);
        assert_eq!(
            issues,
            vec![DiskIssue::PvcTooSmall {
                pvc_bytes: 10 * GI,
                need_bytes: 20 * GI
            }]
        );
        assert!(issues[0].message().contains("10Gi") && issues[0].message().contains("20Gi"));
        assert!(issues[0].help().contains("20Gi"));
        assert_eq!(disk_findings(20 * GI, &need), vec![]);
    }

    proptest! {
        #[test]
        fn derived_maxmemory_always_passes(limit in 0u64..=(1 << 50)) {
            match derive_maxmemory(limit) {
                Ok(d) => {
                    prop_assert!(d.maxmemory_bytes > 0 && d.maxmemory_bytes % MI == 0);
                    prop_assert!(d.maxmemory_bytes <= limit / 8 * 7 + 7);
                    prop_assert_eq!(parse_redis_memory(&d.maxmemory), Ok(d.maxmemory_bytes));
                    prop_assert_eq!(memory_findings(Some(limit), Some(d.maxmemory_bytes), false, true, None), vec![]);
                }
                Err(e) => prop_assert_eq!(e, MemoryError::LimitTooSmall { limit_bytes: limit }),
            }
        }

        #[test]
        fn binary_quantities_round_trip(n in 0u64..=1_000_000, unit in 0usize..4) {
            let (suffix, size) = [("Ki", KI), ("Mi", MI), ("Gi", GI), ("", 1)][unit];
            prop_assert_eq!(parse_k8s_quantity(&format!("{n}{suffix}")), Ok(n * size));
        }

        #[test]
        fn parsers_never_panic(s in "\\PC{0,24}") {
            let _ = parse_k8s_quantity(&s);
            let _ = parse_redis_memory(&s);
        }

        #[test]
        fn disk_need_is_the_sum(d in 0u64..=(1 << 50), p in 1u32..=1000, aof: bool, rdb: bool) {
            let n = disk_need(d, aof, rdb, p).unwrap();
            prop_assert_eq!(n.total_bytes, n.rdb_bytes + n.aof_peak_bytes + n.rewrite_bytes);
            prop_assert!(disk_findings(n.total_bytes, &n).is_empty());
        }
    }
}
