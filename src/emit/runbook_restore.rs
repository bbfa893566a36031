//! The RUNBOOK's restore procedures, as commands: what a user types after losing every
//! data volume, and the TLS certificate names a user must put on the server certificate.
//!
//! In: the names of the rendered objects (namespace, CronJobs, PVC, init Job) and the
//! manifests' directory. Out: Markdown. Invariant: the full-loss procedure is a ```sh block
//! of `kubectl` commands only, each one the live tier (tests/live/kubectl.py) runs as
//! written against the rendered objects, so the RUNBOOK cannot drift from what works.

use std::fmt::Write as _;

use crate::plan::model::Plan;

/// The names the full-loss procedure refers to.
pub struct FullLoss<'a> {
    pub namespace: &'a str,
    /// The manifests' directory, relative to the rendered tree (`overlays/production`).
    pub dir: &'a str,
    pub backup_cronjob: &'a str,
    pub backup_pvc: &'a str,
    pub restore_cronjob: Option<&'a str>,
    pub init_job: Option<&'a str>,
}

/// Full loss of a cluster with backups.
pub fn cluster_full_loss(f: &FullLoss) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "The CronJob `{b}` saves every primary's dump to PVC `{pvc}` as `redis-<time>-node<N>.rdb`, with the `CLUSTER NODES` its primary saw beside it (`redis-<time>-node<N>.nodes`: the slots the dump holds, since after a failover a pod's ordinal no longer names a shard). ",
        b = f.backup_cronjob,
        pvc = f.backup_pvc,
    );
    let Some(restore) = f.restore_cronjob else {
        out.push_str("This topology renders no restore Job: on a TLS cluster its temporary server needs a client certificate to send keys to the primaries; set `tls.clientSecret`.");
        return out;
    };
    let ns = f.namespace;
    let job = format!("{restore}-1");
    let _ = write!(
        out,
        "If every data volume is lost, recreate the cluster empty and import the newest backup set that covers every slot into it:\n\n```sh\n# 1. Recreate the pods (GitOps does this apply){init}\nkubectl apply -k {dir}\n",
        dir = f.dir,
        init = if f.init_job.is_some() {
            "; the init Job forms the cluster, empty"
        } else {
            ""
        },
    );
    if let Some(init) = f.init_job {
        let _ = writeln!(
            out,
            "kubectl -n {ns} wait --for=condition=complete job/{init} --timeout=15m"
        );
    }
    let _ = write!(
        out,
        "# 2. Import the backup (for an older set first: kubectl -n {ns} set env cronjob/{restore} RESTORE_STAMP=<time>)\nkubectl -n {ns} create job {job} --from=cronjob/{restore}\nkubectl -n {ns} wait --for=condition=complete job/{job} --timeout=2h\nkubectl -n {ns} logs job/{job}\n```\n\nThe restore Job sends each key to the primary that owns its slot now, through the normal write path: it works with `appendonly yes` (Redis ignores a `dump.rdb` copied into `/data` when AOF is on, and starts empty) and whatever the slot layout. A key from the backup replaces a live key of the same name. The Job fails (exit 2) when the set misses slots, and its log says how many.",
    );
    out
}

/// The DNS names the server certificate must carry (empty when rkv serves no TLS).
pub fn certificate_names(plan: &Plan) -> String {
    let names = crate::plan::tls::server_names(plan);
    let Some(t) = plan.spec.tls.as_ref().filter(|_| !names.is_empty()) else {
        return String::new();
    };
    let mut out = format!(
        "The server certificate in Secret `{}` must carry exactly these DNS names (clients that check the name they dial reject it otherwise; `localhost` and IPs are not needed):\n\n",
        t.server_secret
    );
    for n in &names {
        let _ = writeln!(out, "- `{}`: {}", n.name, n.why);
    }
    out.push('\n');
    out
}
