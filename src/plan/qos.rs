//! Container sizing: the requests and limits of rkv's own containers, and the QoS class
//! Kubernetes gives a pod from its containers' resources.
//!
//! In: the spec's `resources` blocks (Redis, the exporter, the applier, `jobs`). Out:
//! the defaults rkv renders for its own containers when the spec sets none (sized for
//! their work below), and [`QosClass::of`] for a pod. Invariant: rkv never invents
//! requests or limits for Redis itself (its memory is the user's data); its own sidecars
//! request exactly their limits, so they never lower a Redis pod's QoS class: the Redis
//! container alone decides it.

use crate::plan::memory::parse_k8s_quantity;
use crate::spec::{ResourceList, Resources};

/// Requests and limits as Kubernetes quantities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sizing {
    pub requests: (&'static str, &'static str),
    pub limits: (&'static str, &'static str),
}

impl Sizing {
    /// As the spec's type: `(cpu, memory)` requests and limits.
    pub fn resources(self) -> Resources {
        let list = |(cpu, memory): (&str, &str)| ResourceList {
            cpu: Some(cpu.into()),
            memory: Some(memory.into()),
        };
        Resources {
            requests: Some(list(self.requests)),
            limits: Some(list(self.limits)),
        }
    }
}

/// redis_exporter: one Go process answering a scrape every 15-60 s with one INFO round
/// trip; tens of MiB resident. The Bitnami chart's `nano` preset allows 150m/192Mi.
/// Requests equal limits so the sidecar keeps a Guaranteed Redis pod Guaranteed.
pub const EXPORTER: Sizing = Sizing {
    requests: ("100m", "128Mi"),
    limits: ("100m", "128Mi"),
};

/// The exporter's init container: a shell, od and printf writing one small file.
pub const EXPORTER_INIT: Sizing = Sizing {
    requests: ("50m", "32Mi"),
    limits: ("50m", "32Mi"),
};

/// rkv's Jobs (cluster init, backup, retention; the restore's CPU): sh, find and
/// redis-cli. The backup streams each primary's RDB through redis-cli (`--rdb`, TLS
/// decryption included) straight to the volume, so it needs CPU more than memory; a
/// burst to half a core keeps a multi-GB dump within minutes. Burstable: a Job needs no
/// guarantee, and a low request leaves room for the pods that serve.
pub const JOB: Sizing = Sizing {
    requests: ("50m", "64Mi"),
    limits: ("500m", "256Mi"),
};

/// The redis-applier: a Kafka consumer applying one Redis command per message. Memory
/// holds the consumer's fetch buffers (a few MiB per partition).
pub const APPLIER: Sizing = Sizing {
    requests: ("100m", "128Mi"),
    limits: ("500m", "256Mi"),
};

/// The QoS class Kubernetes gives a pod (the kubelet evicts BestEffort pods first, then
/// Burstable ones that use more than they request, and Guaranteed pods last).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QosClass {
    BestEffort,
    Burstable,
    Guaranteed,
}

impl QosClass {
    pub fn as_str(self) -> &'static str {
        match self {
            QosClass::BestEffort => "BestEffort",
            QosClass::Burstable => "Burstable",
            QosClass::Guaranteed => "Guaranteed",
        }
    }

    /// The class of a pod with these containers (init containers included), by the rules
    /// of `GetPodQOS`: Guaranteed when every container has CPU and memory limits and
    /// requests equal to them (a request left out defaults to its limit); BestEffort when
    /// no container requests or limits either; Burstable otherwise.
    pub fn of(containers: &[Option<&Resources>]) -> QosClass {
        let mut any = false;
        let mut guaranteed = true;
        for c in containers {
            let (req, lim) = match c {
                Some(r) => (r.requests.as_ref(), r.limits.as_ref()),
                None => (None, None),
            };
            let get = |l: Option<&ResourceList>, cpu: bool| {
                l.and_then(|l| if cpu { l.cpu.clone() } else { l.memory.clone() })
            };
            for cpu in [true, false] {
                let (r, l) = (get(req, cpu), get(lim, cpu));
                any |= r.is_some() || l.is_some();
                let equal = match (&r, &l) {
                    (_, None) => false,
                    (None, Some(_)) => true,
                    (Some(r), Some(l)) => same_quantity(r, l, cpu),
                };
                guaranteed &= equal;
            }
        }
        match (any, guaranteed) {
            (false, _) => QosClass::BestEffort,
            (true, true) if !containers.is_empty() => QosClass::Guaranteed,
            _ => QosClass::Burstable,
        }
    }
}

/// Whether two quantities are equal (`1Gi` = `1024Mi`, `0.5` = `500m`); unreadable ones
/// compare as text.
fn same_quantity(a: &str, b: &str, cpu: bool) -> bool {
    let parse = |q: &str| {
        if cpu {
            cpu_millis(q)
        } else {
            parse_k8s_quantity(q).ok()
        }
    };
    match (parse(a), parse(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// A CPU quantity in millicores: `500m`, `1`, `0.25`.
fn cpu_millis(q: &str) -> Option<u64> {
    let q = q.trim();
    if let Some(m) = q.strip_suffix('m') {
        return m.parse().ok();
    }
    let (int, frac) = q.split_once('.').unwrap_or((q, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let int: u64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let frac: u64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<3}").parse().ok()?
    };
    int.checked_mul(1000)?.checked_add(frac)
}

/// The fields (`requests.cpu` ...) a container's resources leave unset.
pub fn missing(r: Option<&Resources>) -> Vec<&'static str> {
    let req = r.and_then(|r| r.requests.as_ref());
    let lim = r.and_then(|r| r.limits.as_ref());
    let mut out = Vec::new();
    if req.and_then(|l| l.cpu.as_ref()).is_none() {
        out.push("requests.cpu");
    }
    if req.and_then(|l| l.memory.as_ref()).is_none() {
        out.push("requests.memory");
    }
    if lim.and_then(|l| l.cpu.as_ref()).is_none() {
        out.push("limits.cpu");
    }
    if lim.and_then(|l| l.memory.as_ref()).is_none() {
        out.push("limits.memory");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(req: (Option<&str>, Option<&str>), lim: (Option<&str>, Option<&str>)) -> Resources {
        let l = |(c, m): (Option<&str>, Option<&str>)| {
            Some(ResourceList {
                cpu: c.map(str::to_string),
                memory: m.map(str::to_string),
            })
        };
        Resources {
            requests: l(req),
            limits: l(lim),
        }
    }

    #[test]
    fn classes_follow_the_kubelet_rules() {
        assert_eq!(QosClass::of(&[None]), QosClass::BestEffort);
        assert_eq!(QosClass::of(&[None, None]), QosClass::BestEffort);
        let g = EXPORTER.resources();
        assert_eq!(QosClass::of(&[Some(&g)]), QosClass::Guaranteed);
        // One container without resources beside a Guaranteed one: Burstable.
        assert_eq!(QosClass::of(&[None, Some(&g)]), QosClass::Burstable);
        // Limits only: requests default to them.
        let lim = res((None, None), (Some("1"), Some("1Gi")));
        assert_eq!(QosClass::of(&[Some(&lim)]), QosClass::Guaranteed);
        // Equal in value, spelt differently.
        let eq = res((Some("1000m"), Some("1024Mi")), (Some("1"), Some("1Gi")));
        assert_eq!(QosClass::of(&[Some(&eq), Some(&g)]), QosClass::Guaranteed);
        let burst = res((Some("100m"), Some("1Gi")), (Some("500m"), Some("2Gi")));
        assert_eq!(QosClass::of(&[Some(&burst)]), QosClass::Burstable);
        // A memory limit without a CPU limit is not Guaranteed.
        let no_cpu = res((None, None), (None, Some("1Gi")));
        assert_eq!(QosClass::of(&[Some(&no_cpu)]), QosClass::Burstable);
    }

    #[test]
    fn rkvs_sidecars_never_lower_the_class() {
        for s in [EXPORTER, EXPORTER_INIT] {
            assert_eq!(QosClass::of(&[Some(&s.resources())]), QosClass::Guaranteed);
        }
    }

    #[test]
    fn cpu_quantities() {
        assert_eq!(cpu_millis("500m"), Some(500));
        assert_eq!(cpu_millis("0.5"), Some(500));
        assert_eq!(cpu_millis("2"), Some(2000));
        assert_eq!(cpu_millis(".25"), Some(250));
        assert_eq!(cpu_millis("x"), None);
        assert_eq!(cpu_millis("0.0001"), None);
    }

    #[test]
    fn missing_fields_are_named() {
        assert_eq!(missing(None).len(), 4);
        let lim = res((None, None), (Some("1"), Some("1Gi")));
        assert_eq!(missing(Some(&lim)), vec!["requests.cpu", "requests.memory"]);
    }
}
