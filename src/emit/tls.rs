//! TLS pieces the standalone shape shares with the cluster's layout: where the server
//! and client certificates are mounted, the redis-cli flags for them, the volumes, the
//! server's TLS arguments, and cert-manager Certificates.
//!
//! In: the spec's `tls` (and, for the certificates, the names clients connect by). Out:
//! volumes, mounts, flags and Certificate objects. Invariant: the paths and file names
//! are the cluster shape's (`/etc/redis/tls` for the server's Secret, `/etc/redis/client-tls`
//! for what probes and Jobs present, `tls.crt`/`tls.key`/`ca.crt`), so one set of Secrets
//! and one procedure (RUNBOOK, live tier) serves both; the plaintext port is closed.

use k8s_openapi::api::core::v1::{KeyToPath, SecretVolumeSource, Volume, VolumeMount};

use super::common::meta;
use super::{EmitError, Object};
use crate::plan::model::Plan;
use crate::spec::Tls;
use crate::target::cert_manager::{Certificate, CertificateSpec, IssuerRef, PrivateKey};

/// Where the server certificate Secret is mounted.
pub const SERVER_DIR: &str = "/etc/redis/tls";
/// Where the client certificate Secret (or only the CA) is mounted for probes and tools.
pub const CLIENT_DIR: &str = "/etc/redis/client-tls";
/// Read-only for the owner and the pod's fsGroup.
const SECRET_MODE: i32 = 0o440;

/// redis-cli flags for the files under [`CLIENT_DIR`]: the client certificate when there
/// is one, else only the CA to verify the server.
pub fn cli_flags(t: &Tls) -> Vec<String> {
    let mut f = vec![
        "--tls".to_string(),
        "--cacert".into(),
        format!("{CLIENT_DIR}/ca.crt"),
    ];
    if t.client_secret.is_some() {
        f.extend([
            "--cert".to_string(),
            format!("{CLIENT_DIR}/tls.crt"),
            "--key".into(),
            format!("{CLIENT_DIR}/tls.key"),
        ]);
    }
    f
}

/// `redis-server` arguments: TLS on `port`, the plaintext port closed.
pub fn server_args(t: &Tls, port: u16) -> Vec<String> {
    let mut a = vec![
        "--port".to_string(),
        "0".into(),
        "--tls-port".into(),
        port.to_string(),
        "--tls-cert-file".into(),
        format!("{SERVER_DIR}/tls.crt"),
        "--tls-key-file".into(),
        format!("{SERVER_DIR}/tls.key"),
        "--tls-ca-cert-file".into(),
        format!("{SERVER_DIR}/ca.crt"),
    ];
    a.extend([
        "--tls-auth-clients".to_string(),
        if t.mutual { "yes" } else { "no" }.into(),
    ]);
    a
}

/// The server Secret's volume (`tls`) and the client one's (`client-tls`: the client
/// Secret, or only the CA from the server Secret).
pub fn volumes(t: &Tls) -> Vec<Volume> {
    let secret = |name: &str, only_ca: bool| SecretVolumeSource {
        secret_name: Some(name.to_string()),
        default_mode: Some(SECRET_MODE),
        items: only_ca.then(|| {
            vec![KeyToPath {
                key: "ca.crt".into(),
                path: "ca.crt".into(),
                ..Default::default()
            }]
        }),
        ..Default::default()
    };
    let client = match &t.client_secret {
        Some(c) => secret(c, false),
        None => secret(&t.server_secret, true),
    };
    vec![
        Volume {
            name: "tls".into(),
            secret: Some(secret(&t.server_secret, false)),
            ..Default::default()
        },
        Volume {
            name: "client-tls".into(),
            secret: Some(client),
            ..Default::default()
        },
    ]
}

/// The mounts of [`volumes`].
pub fn mounts() -> Vec<VolumeMount> {
    [("tls", SERVER_DIR), ("client-tls", CLIENT_DIR)]
        .into_iter()
        .map(|(name, path)| VolumeMount {
            name: name.into(),
            mount_path: path.into(),
            read_only: Some(true),
            ..Default::default()
        })
        .collect()
}

/// Who the Certificates are for: the component labels of the server and client
/// Certificates, the server's common name and every name it must carry.
pub struct Subjects<'a> {
    pub server: &'a str,
    pub client: &'a str,
    /// One of `dns_names` (a CN outside the SANs is ignored by clients anyway).
    pub common_name: Option<String>,
    pub dns_names: Vec<String>,
}

/// cert-manager Certificates into `tls.serverSecret` (valid for the subjects' names) and,
/// when set, `tls.clientSecret`; none without `certManager`. Every shape's Certificates
/// come from here.
pub fn certificates(plan: &Plan, t: &Tls, who: Subjects<'_>) -> Result<Vec<Object>, EmitError> {
    let Some(cm) = &t.cert_manager else {
        return Ok(Vec::new());
    };
    let issuer = IssuerRef {
        name: cm.issuer.clone(),
        kind: cm.issuer_kind.clone(),
        group: "cert-manager.io".into(),
    };
    let key = || {
        Some(PrivateKey {
            rotation_policy: "Always".into(),
            algorithm: "RSA".into(),
            size: 2048,
        })
    };
    let server = Certificate::new(
        meta(plan, &t.server_secret, who.server),
        CertificateSpec {
            secret_name: t.server_secret.clone(),
            issuer_ref: issuer.clone(),
            common_name: who.common_name,
            dns_names: who.dns_names,
            ip_addresses: Vec::new(),
            // Tools that present the server's own certificate (a backup Job of a target
            // without a client one) authenticate with it too.
            usages: vec!["server auth".into(), "client auth".into()],
            private_key: key(),
        },
    );
    let mut out = vec![Object::new("Certificate", &server)?];
    if let Some(client) = &t.client_secret {
        let c = Certificate::new(
            meta(plan, client, who.client),
            CertificateSpec {
                secret_name: client.clone(),
                issuer_ref: issuer,
                common_name: Some(format!("{}-client", plan.name)),
                dns_names: Vec::new(),
                ip_addresses: Vec::new(),
                usages: vec!["client auth".into()],
                private_key: key(),
            },
        );
        out.push(Object::new("Certificate", &c)?);
    }
    Ok(out)
}
