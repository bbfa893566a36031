//! The runbook's restore procedure as commands, and the names the TLS server certificate
//! must carry.
//!
//! In: the plan and the cluster's backup from the [`Inventory`] (backup and restore
//! CronJobs, the backup claim, the init Job), and the variant's manifests directory.
//! Out: Markdown. Invariant: the full-loss procedure is a ```sh block of `kubectl`
//! commands only, each one the live tier (tests/live/kubectl.py) runs as written against
//! the rendered objects, so the RUNBOOK cannot drift from what works; the certificate
//! names are `plan::tls::server_names`, the list the cert-manager Certificate and
//! `rkv explain` use.

use std::fmt::Write as _;

use crate::bundle::tree_dir;
use crate::emit::inventory::{Backup, Inventory};
use crate::plan::model::Plan;
use crate::spec::Shape;

/// Full loss of a cluster with backups: recreate it empty, then import the newest set.
pub(super) fn cluster_full_loss(plan: &Plan, inv: &Inventory, b: &Backup) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "The CronJob `{}` saves every primary's dump to PVC `{}` as `redis-<time>-node<N>.rdb`, with the `CLUSTER NODES` its primary saw beside it (`redis-<time>-node<N>.nodes`: the slots the dump holds, since after a failover a pod's ordinal no longer names a shard). ",
        b.cronjob, b.claim,
    );
    let Some(restore) = &b.restore else {
        out.push_str("This topology renders no restore Job: on a TLS cluster its temporary server needs a client certificate to send keys to the primaries; set `tls.clientSecret`.");
        return out;
    };
    let ns = &plan.namespace;
    let job = format!("{restore}-1");
    let _ = write!(
        out,
        "If every data volume is lost, recreate the cluster empty and import the newest backup set that covers every slot into it:\n\n```sh\n# 1. Recreate the pods (GitOps does this apply){init}\nkubectl apply -k {dir}\n",
        dir = tree_dir(&plan.variant),
        init = if inv.init_job.is_some() {
            "; the init Job forms the cluster, empty"
        } else {
            ""
        },
    );
    if let Some(init) = &inv.init_job {
        let _ = writeln!(
            out,
            "kubectl -n {ns} wait --for=condition=complete job/{init} --timeout=15m"
        );
    }
    let _ = write!(
        out,
        "# 2. Import the backup (for an older set first: kubectl -n {ns} set env cronjob/{restore} RESTORE_STAMP=<time>)\nkubectl -n {ns} create job {job} --from=cronjob/{restore}\nkubectl -n {ns} wait --for=condition=complete job/{job} --timeout=2h\nkubectl -n {ns} logs job/{job}\n```\n\nThe restore Job sends each key to the primary that owns its slot now, through the normal write path: it works with `appendonly yes` (Redis ignores a `dump.rdb` copied into `/data` when AOF is on, and starts empty) and whatever the slot layout. A key from the backup replaces a live key of the same name. The Job fails (exit 2) when the set misses slots, and its log says how many.",
    );
    if plan.spec.auth.is_some() {
        out.push_str(" `redis-cli --cluster import` writes the password into the MIGRATE command it formats, so a password with a space or `%` cannot reach the primaries: the Job refuses it before importing anything (exit 1); give the cluster a password without them (the Secret, then `CONFIG SET requirepass` and `masterauth` on every node) before restoring.");
    }
    out
}

/// Full loss of a topology whose backup saves its primary (or, for the Bitnami
/// redis-cluster chart, each primary): no restore Job; the procedure that works with AOF.
pub(super) fn primary_full_loss(plan: &Plan, b: &Backup) -> String {
    let what = match plan.spec.shape {
        Shape::Cluster(_) => {
            "every primary's dump as `redis-<time>-node<N>.rdb`, with the `CLUSTER NODES` it saw beside it (`.nodes`: the slots the dump holds)"
        }
        Shape::Standalone(_) => "the dump of the one Redis as `redis-<time>.rdb`",
        _ => "the dump of the primary Sentinel names at the time of each run as `redis-<time>.rdb`",
    };
    format!(
        "The CronJob `{}` saves {what} to PVC `{}`. No restore Job is rendered for this shape. To load a dump after every data volume is lost: start one Redis from it with AOF off (the dump copied to its data directory as `dump.rdb`, `--appendonly no`), then `CONFIG SET appendonly yes` so Redis writes a fresh AOF from memory, and let the other pods sync from it. With `appendonly yes` Redis ignores a copied `dump.rdb` when no AOF exists and starts empty.",
        b.cronjob, b.claim,
    )
}

/// The DNS names the server certificate must carry (empty when rkv serves no TLS).
pub(super) fn certificate_names(plan: &Plan) -> String {
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
