//! cert-manager Certificates for the cluster, when `tls.certManager` names an issuer.
//!
//! In: the cluster context. Out: a server Certificate into `tls.serverSecret` and, when
//! `tls.clientSecret` is set, a client Certificate into it. Invariant: the server
//! certificate carries exactly the names `plan::tls::server_names` lists, the same list
//! `rkv explain` and the RUNBOOK print (the exporter dials the pod's announced name; the
//! probes' redis-cli does not verify names, so neither `localhost` nor an IP is needed).

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
    // The one documented list (`rkv explain`, the RUNBOOK): the live tier proves a
    // certificate with exactly these names serves everything rkv renders.
    let dns = crate::plan::tls::server_names(ctx.plan)
        .into_iter()
        .map(|c| c.name)
        .collect();
    let server = Certificate {
        metadata: meta(ctx.plan, &t.server_secret, SERVER),
        spec: CertificateSpec {
            secret_name: t.server_secret.clone(),
            issuer_ref: issuer.clone(),
            // One of the documented names (a CN outside the SANs is ignored by clients anyway).
            common_name: Some(format!("{}.{}.svc", n.client_service, n.namespace)),
            dns_names: dns,
            ip_addresses: Vec::new(),
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
