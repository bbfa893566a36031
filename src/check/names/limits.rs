//! The rules Kubernetes (and the controllers, operators and tools that derive names)
//! set on a name: its characters ([`Format`]) and its length ([`Limit`]), with the source
//! of each.
//!
//! In: nothing (rules and constants). Out: [`Format::accepts`] and one [`Limit`] per
//! kind of name. Invariant: each limit cites where the refusal comes from.

use crate::target::spotahome;

/// The character rules a name must follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// RFC 1123 label: lowercase letters, digits and `-`, starting and ending with a
    /// letter or digit (`IsDNS1123Label`).
    Dns1123Label,
    /// RFC 1123 subdomain: RFC 1123 labels joined by `.` (`IsDNS1123Subdomain`).
    Dns1123Subdomain,
    /// RFC 1035 label: an RFC 1123 label that starts with a letter (`IsDNS1035Label`).
    Dns1035Label,
    /// A label value: letters, digits, `-`, `_`, `.`, starting and ending with a letter or
    /// digit, or empty (`IsValidLabelValue`).
    LabelValue,
    /// A label key: an optional DNS subdomain prefix and `/`, then a name of letters,
    /// digits, `-`, `_`, `.` starting and ending with a letter or digit (`IsQualifiedName`).
    QualifiedName,
    /// Any characters (a certificate's common name): only the length is limited.
    Any,
}

impl Format {
    /// Whether `s` follows the character rules (the length is the [`Limit`]'s business).
    pub fn accepts(self, s: &str) -> bool {
        match self {
            Format::Dns1123Label => is_label(s, false),
            Format::Dns1123Subdomain => !s.is_empty() && s.split('.').all(|l| is_label(l, false)),
            Format::Dns1035Label => is_label(s, true),
            Format::LabelValue => s.is_empty() || is_label_name(s),
            Format::QualifiedName => match s.split_once('/') {
                Some((prefix, name)) => {
                    prefix.chars().count() <= 253
                        && Format::Dns1123Subdomain.accepts(prefix)
                        && name.chars().count() <= 63
                        && is_label_name(name)
                }
                None => s.chars().count() <= 63 && is_label_name(s),
            },
            Format::Any => true,
        }
    }

    pub(super) fn describe(self) -> &'static str {
        match self {
            Format::Dns1123Label => {
                "an RFC 1123 label (lowercase letters, digits and `-`, starting and ending with a letter or digit)"
            }
            Format::Dns1123Subdomain => {
                "an RFC 1123 subdomain (lowercase letters, digits, `-` and `.`, each part starting and ending with a letter or digit)"
            }
            Format::Dns1035Label => {
                "an RFC 1035 label (lowercase letters, digits and `-`, starting with a letter and ending with a letter or digit)"
            }
            Format::LabelValue => {
                "a label value (letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit)"
            }
            Format::QualifiedName => {
                "a label key (an optional DNS subdomain and `/`, then letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit)"
            }
            Format::Any => "accepted",
        }
    }
}

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, or with `letter_first` `[a-z]([-a-z0-9]*[a-z0-9])?`.
fn is_label(s: &str, letter_first: bool) -> bool {
    let b = s.as_bytes();
    let (Some(first), Some(last)) = (b.first(), b.last()) else {
        return false;
    };
    let inner = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-';
    let end = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    (if letter_first {
        first.is_ascii_lowercase()
    } else {
        end(first)
    }) && end(last)
        && b.iter().all(inner)
}

/// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`.
fn is_label_name(s: &str) -> bool {
    let b = s.as_bytes();
    let (Some(first), Some(last)) = (b.first(), b.last()) else {
        return false;
    };
    first.is_ascii_alphanumeric()
        && last.is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// What one kind of name must be: its characters and its length, and why.
#[derive(Debug, PartialEq, Eq)]
pub struct Limit {
    pub format: Format,
    /// The most characters the name may have.
    pub max: usize,
    /// Who refuses a longer name, and why it is shorter than the format alone allows.
    pub why: &'static str,
}

/// Most object names: `ValidateObjectMeta` with `NameIsDNSSubdomain` (ConfigMaps, Secrets,
/// PVCs, NetworkPolicies, PDBs, and every custom resource: the API server validates a CR's
/// `metadata.name` as a DNS subdomain).
pub const SUBDOMAIN: Limit = Limit {
    format: Format::Dns1123Subdomain,
    max: 253,
    why: "Kubernetes object names are DNS subdomains of at most 253 characters",
};

/// `ValidateNamespaceName = NameIsDNSLabel` (pkg/apis/core/validation).
pub const NAMESPACE: Limit = Limit {
    format: Format::Dns1123Label,
    max: 63,
    why: "a namespace name is an RFC 1123 label of at most 63 characters",
};

/// `ValidateServiceName = NameIsDNS1035Label` (pkg/apis/core/validation): a Service's
/// name is a DNS label of the cluster domain.
pub const SERVICE: Limit = Limit {
    format: Format::Dns1035Label,
    max: 63,
    why: "a Service name is an RFC 1035 label of at most 63 characters (it becomes a DNS name)",
};

/// `ValidateStatefulSetName = NameIsDNSLabel` (pkg/apis/apps/validation), and shorter:
/// the controller labels every pod `controller-revision-hash: <name>-<hash>`
/// (pkg/controller/history `ControllerRevisionName`; the hash is `SafeEncodeString` of a
/// 32-bit FNV hash, up to 10 characters), and a label value has at most 63 characters:
/// a longer name is accepted but its pods are never created (kubernetes#64023).
pub const STATEFULSET: Limit = Limit {
    format: Format::Dns1123Label,
    max: 52,
    why: "the StatefulSet controller labels each pod `controller-revision-hash: <name>-<hash of up to 10 characters>`, and a label value has at most 63 characters: with a longer name no pod is ever created",
};

/// A StatefulSet's pods are named `<name>-<ordinal>` and get that name as hostname and
/// as the `statefulset.kubernetes.io/pod-name` label value: an RFC 1123 label.
pub const POD: Limit = Limit {
    format: Format::Dns1123Label,
    max: 63,
    why: "a StatefulSet pod's name is its hostname and its `statefulset.kubernetes.io/pod-name` label value, at most 63 characters",
};

/// `ValidateCronJob` (pkg/apis/batch/validation): "must be no more than 52 characters";
/// the controller names each Job `<name>-<scheduled time in minutes>`, 11 characters
/// more, and a Job's name must fit a label value
/// (<https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/>).
pub const CRONJOB: Limit = Limit {
    format: Format::Dns1123Subdomain,
    max: 52,
    why: "the CronJob controller appends an 11-character suffix to name each Job, and a Job's name must stay within 63 characters",
};

/// A Job's name becomes its pods' `job-name` and `batch.kubernetes.io/job-name` label
/// values (`ValidateGeneratedSelector`, pkg/apis/batch/validation): at most 63.
pub const JOB: Limit = Limit {
    format: Format::Dns1123Subdomain,
    max: 63,
    why: "the Job controller labels its pods `job-name: <name>`, and a label value has at most 63 characters",
};

/// `ValidateDeploymentName = NameIsDNSSubdomain`; the controller names each ReplicaSet
/// `<name>-<pod-template-hash>` (up to 10 characters), itself a DNS subdomain.
pub const DEPLOYMENT: Limit = Limit {
    format: Format::Dns1123Subdomain,
    max: 242,
    why: "the Deployment controller names each ReplicaSet `<name>-<pod-template-hash of up to 10 characters>`, a DNS subdomain of at most 253 characters",
};

/// `IsValidLabelValue`: at most 63 characters.
pub const LABEL_VALUE: Limit = Limit {
    format: Format::LabelValue,
    max: 63,
    why: "a label value has at most 63 characters",
};

/// `IsQualifiedName`: the name part at most 63, an optional prefix at most 253 (checked by
/// [`Format::accepts`]); 317 bounds the whole.
pub const LABEL_KEY: Limit = Limit {
    format: Format::QualifiedName,
    max: 317,
    why: "a label key is a name of at most 63 characters, optionally after a DNS subdomain prefix and `/`",
};

/// Helm refuses a release name longer than 53 characters (`releaseNameMaxLen`, helm
/// pkg/action), and the Flux HelmRelease CRD caps `spec.releaseName` at 53
/// (`maxLength: 53`); rkv sets `releaseName` to the HelmRelease's name.
pub const HELM_RELEASE: Limit = Limit {
    format: Format::Dns1123Subdomain,
    max: 53,
    why: "Helm refuses a release name longer than 53 characters (the HelmRelease's `releaseName`, maxLength 53 in Flux's CRD)",
};

/// kustomize's ConfigMap generator appends `-<10-character content hash>` to the values
/// ConfigMap's name (rkv's helm kustomization).
pub const HASHED_CONFIGMAP: Limit = Limit {
    format: Format::Dns1123Subdomain,
    max: 242,
    why: "kustomize appends `-<10-character content hash>` to a generated ConfigMap's name, a DNS subdomain of at most 253 characters",
};

/// cert-manager's webhook refuses a Certificate whose `commonName` is longer than 64
/// bytes (internal/apis/certmanager/validation/certificate.go; X.509's ub-common-name).
pub const COMMON_NAME: Limit = Limit {
    format: Format::Any,
    max: 64,
    why: "cert-manager refuses a certificate common name longer than 64 characters (X.509's limit)",
};

/// The Spotahome operator refuses a RedisFailover name longer than
/// [`spotahome::MAX_NAME`] (48, `maxNameLength`, api/redisfailover/v1/validate.go), so its
/// `rfr-<name>` StatefulSet (4 + 48 = 52) always fits [`STATEFULSET`]. RKV152 reports that
/// refusal; the names the operator derives are listed only for names it accepts.
pub const SPOTAHOME_MAX_NAME: usize = spotahome::MAX_NAME;
