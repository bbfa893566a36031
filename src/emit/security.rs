//! Hardened security contexts: every pod non-root with the RuntimeDefault seccomp
//! profile, every container without privilege escalation or capabilities.
//!
//! In: the uid a pod runs as (when the image does not set it). Out: k8s-openapi pod and
//! container security contexts. Invariant: every pod and container rkv renders (and
//! every pod an operator or chart renders from rkv's values) takes its hardening from
//! here; where a target needs less (a writable root), the exception is one named
//! function with its reason.

use k8s_openapi::api::core::v1::{
    Capabilities, PodSecurityContext, SeccompProfile, SecurityContext,
};

fn runtime_default() -> SeccompProfile {
    SeccompProfile {
        type_: "RuntimeDefault".into(),
        ..Default::default()
    }
}

/// Pod-level hardening: non-root as `uid` (the image's own user when `None`),
/// RuntimeDefault seccomp, and with `writable_volume` the volumes group-owned by `uid`.
pub fn pod(uid: Option<i64>, writable_volume: bool) -> PodSecurityContext {
    PodSecurityContext {
        run_as_non_root: Some(true),
        run_as_user: uid,
        run_as_group: uid,
        fs_group: uid.filter(|_| writable_volume),
        seccomp_profile: Some(runtime_default()),
        ..Default::default()
    }
}

/// A pod whose data volume must be writable by `uid`.
pub fn data_pod(uid: i64) -> PodSecurityContext {
    pod(Some(uid), true)
}

/// Container-level hardening: no privilege escalation, every capability dropped,
/// read-only root filesystem (Redis writes only to its data volume).
pub fn container() -> SecurityContext {
    SecurityContext {
        allow_privilege_escalation: Some(false),
        read_only_root_filesystem: Some(true),
        run_as_non_root: Some(true),
        capabilities: Some(Capabilities {
            drop: Some(vec!["ALL".into()]),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// [`container`] plus the RuntimeDefault seccomp profile on the container itself, for
/// an operator that may not copy the pod-level one to every container (Spotahome).
pub fn container_with_seccomp() -> SecurityContext {
    SecurityContext {
        seccomp_profile: Some(runtime_default()),
        ..container()
    }
}

/// [`container`] with a writable root filesystem: the OT-CONTAINER-KIT entrypoint writes
/// `/etc/redis/redis.conf` (and the Sentinel image `sentinel.conf`) into the image at
/// start, so a read-only root fails. (Seed 004 says Redis needs it for RDB/AOF, which is
/// not why: those go to the `/data` volume.)
pub fn container_writable_root() -> SecurityContext {
    SecurityContext {
        read_only_root_filesystem: Some(false),
        ..container()
    }
}
