//! cert-manager Certificates for the cluster, when `tls.certManager` names an issuer.
//!
//! In: the cluster context. Out: a server Certificate into `tls.serverSecret` and, when
//! `tls.clientSecret` is set, a client Certificate into it. Invariant: the server
//! certificate covers every name a client, a peer or a local tool connects by: each
//! pod's announced FQDN, the headless and client Services, and localhost (the exporter
//! sidecar and the probes connect over loopback and the exporter verifies the name).

use super::{CLIENT, Ctx, SERVER};
use crate::emit::common::meta;
use crate::emit::{EmitError, Object};
use crate::target::cert_manager::{Certificate, CertificateSpec, IssuerRef, PrivateKey};

pub(super) fn emit(ctx: &Ctx) -> Result<Vec<Object>, EmitError> {
    let Some(t) = ctx.tls() else {
        return Ok(Vec::new());
    };
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
    let n = &ctx.names;
    let mut dns = n.fqdns();
    for svc in [&n.name, &n.client_service] {
        dns.push(format!("{svc}.{}.svc.cluster.local", n.namespace));
        dns.push(format!("{svc}.{}.svc", n.namespace));
    }
    // The client addresses handed to applications end in `.svc`.
    dns.extend(
        n.pods
            .iter()
            .map(|p| format!("{p}.{}.{}.svc", n.name, n.namespace)),
    );
    dns.push("localhost".into());
    let server = Certificate {
        metadata: meta(ctx.plan, &t.server_secret, SERVER),
        spec: CertificateSpec {
            secret_name: t.server_secret.clone(),
            issuer_ref: issuer.clone(),
            common_name: Some(format!("{}.{}.svc", n.name, n.namespace)),
            dns_names: dns,
            ip_addresses: vec!["127.0.0.1".into()],
            // Redis also presents it on outgoing bus and replication links without a client cert.
            usages: vec!["server auth".into(), "client auth".into()],
            private_key: key(),
        },
    };
    let mut out = vec![Object::new("Certificate", &server)?];
    if let Some(client) = &t.client_secret {
        let c = Certificate {
            metadata: meta(ctx.plan, client, CLIENT),
            spec: CertificateSpec {
                secret_name: client.clone(),
                issuer_ref: issuer,
                common_name: Some(format!("{}-client", n.name)),
                dns_names: Vec::new(),
                ip_addresses: Vec::new(),
                usages: vec!["client auth".into()],
                private_key: key(),
            },
        };
        out.push(Object::new("Certificate", &c)?);
    }
    Ok(out)
}
