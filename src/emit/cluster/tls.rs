//! cert-manager Certificates for the cluster, when `tls.certManager` names an issuer.
//!
//! In: the cluster context. Out: a server Certificate into `tls.serverSecret` and, when
//! `tls.clientSecret` is set, a client Certificate into it. Invariant: the server
//! certificate carries exactly the names `plan::tls::server_names` lists, the same list
//! `rkv explain` and the RUNBOOK print (the exporter dials the pod's announced name; the
//! probes' redis-cli does not verify names, so neither `localhost` nor an IP is needed).

use super::{CLIENT, Ctx, SERVER};
use crate::emit::{EmitError, Object, tls};

pub(super) fn emit(ctx: &Ctx) -> Result<Vec<Object>, EmitError> {
    let Some(t) = ctx.tls() else {
        return Ok(Vec::new());
    };
    let n = &ctx.names;
    // The one documented list (`rkv explain`, the RUNBOOK): the live tier proves a
    // certificate with exactly these names serves everything rkv renders.
    let dns_names = crate::plan::tls::server_names(ctx.plan)
        .into_iter()
        .map(|c| c.name)
        .collect();
    // Redis also presents the server certificate on outgoing bus and replication links
    // without a client certificate: `tls::certificates` gives it client auth too.
    let who = tls::Subjects {
        server: SERVER,
        client: CLIENT,
        common_name: Some(format!("{}.{}.svc", n.client_service, n.namespace)),
        dns_names,
    };
    tls::certificates(ctx.plan, t, who)
}
