//! The move from a single-node base to an environment that runs a Redis Cluster (seed
//! 000 §5, corrected): stop the writers, switch the tree, copy every key of the old
//! volume into the new cluster, switch the clients, keep the old volume until a backup.
//!
//! In: the base's and the environment's plan and inventory. Out: a Markdown section, or
//! nothing when the pair is not a standalone base and a cluster environment in the same
//! namespace (the helper pod must mount the base's claim). Invariant: every command
//! names objects of the two trees (the base's claim, Deployment and labels; the
//! environment's pods, headless Service, init Job, backup, Secrets) or the pod the
//! procedure creates; no password appears, the pods read it from the Secret.
//!
//! Why not seed 000's `BGSAVE` + `kubectl cp dump.rdb`: the base runs with AOF, so its
//! newest writes are in the AOF; one node's dump holds keys of every hash slot, which no
//! cluster node may load; and a node started with `appendonly yes` ignores a `dump.rdb`
//! anyway. The keys go into the running cluster instead: a temporary Redis loads a copy
//! of the old volume (AOF and all) and `redis-cli --cluster import --cluster-copy` sends
//! each key with MIGRATE ... COPY to the node owning its slot (TTLs kept, the copy
//! untouched), through the cluster's normal write path, so its AOF records them.

use std::fmt::Write as _;

use super::{Section, cli};
use crate::emit::common::selector_labels;
use crate::emit::standalone;
use crate::spec::{Shape, Variant};
use crate::target::{argocd, flux};

/// The section for every cluster environment a standalone base moves to.
pub fn sections(out: &mut String, variants: &[Section<'_>]) {
    let Some(base) = variants.iter().find(|v| {
        v.plan.variant == Variant::Base && matches!(v.plan.spec.shape, Shape::Standalone(_))
    }) else {
        return;
    };
    for env in variants.iter().filter(|v| {
        matches!(v.plan.variant, Variant::Environment(_))
            && matches!(v.plan.spec.shape, Shape::Cluster(_))
    }) {
        section(out, base, env);
    }
}

/// `k=v,k2=v2`.
fn selector(labels: impl IntoIterator<Item = (String, String)>) -> String {
    labels
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

fn section(out: &mut String, base: &Section<'_>, env: &Section<'_>) {
    let (bp, ep) = (base.plan, env.plan);
    let (binv, einv) = (base.inventory, env.inventory);
    let label = ep.variant.label();
    let ns = &ep.namespace;
    let _ = writeln!(out, "## Migration: base to `{label}`\n");
    let Some(claim) = binv.claims.first() else {
        let _ = writeln!(
            out,
            "The base keeps no data on a volume (no `persistence`): there is nothing to copy. Apply `{label}` and point the clients at it.\n"
        );
        return;
    };
    if bp.namespace != *ns {
        let _ = writeln!(
            out,
            "The base's claim `{claim}` is in namespace `{}`, the cluster in `{ns}`: a pod mounts only claims of its own namespace, so the copy below does not apply. Copy the data with a client of both, or render both in one namespace.\n",
            bp.namespace
        );
        return;
    }
    let (Some(pod0), Some(headless)) = (
        einv.data_pods.first(),
        einv.services.iter().find(|s| s.type_.is_none()),
    ) else {
        return;
    };
    let port = ep.spec.redis.port;
    let node = format!("{pod0}.{}.{ns}.svc:{port}", headless.name);
    let base_pods = selector(selector_labels(bp, standalone::COMPONENT));
    let clients: Vec<_> = ep
        .spec
        .clients
        .iter()
        .filter(|c| c.namespace == *ns)
        .collect();
    let app_selector = clients
        .first()
        .map(|c| selector(c.pod_selector.clone()))
        .unwrap_or_default();

    let _ = writeln!(
        out,
        "The environment's tree deletes the base's Deployment `{deploy}`, Service `{deploy}` and NetworkPolicies from its build (`$patch: delete`), and the claim `{claim}` too, but the claim carries `{fa}: {fv}` and `{aa}: {av}`: no Flux Kustomization or Argo CD Application deletes it, so the single-node data stays on it until step 9.\n",
        deploy = bp.name,
        fa = flux::PRUNE_ANNOTATION,
        fv = flux::PRUNE_DISABLED,
        aa = argocd::SYNC_OPTIONS_ANNOTATION,
        av = argocd::KEEP,
    );
    let _ = writeln!(
        out,
        "Corrected from seed 000 §5: the base runs a Deployment (its pod is `{deploy}-<hash>`, not `{deploy}-0`); its newest writes are in the AOF, and a one-node dump cannot be copied into a Redis Cluster (it holds keys of every slot, and a node started with `appendonly yes` ignores a `dump.rdb`): the keys are imported into the running cluster instead; the writers stop before the data is read, not after (and not by scaling every Deployment of the namespace, which stops Redis too); they come back with their own replica counts; a rollback finds the base's data still on `{claim}`. This procedure is not yet run by rkv's live tier: rehearse it on a copy first.\n",
        deploy = bp.name,
    );

    let mut s = String::new();
    let _ = writeln!(
        s,
        "1. **Before**: the Secrets the environment reads exist ({}), and the old claim is protected in the cluster too (a tree rendered by an older rkv applied it without the annotations):\n",
        secrets(ep)
    );
    let _ = writeln!(
        s,
        "   ```sh\n   kubectl -n {ns} annotate pvc {claim} {}={} {}={} --overwrite\n   ```\n",
        flux::PRUNE_ANNOTATION,
        flux::PRUNE_DISABLED,
        argocd::SYNC_OPTIONS_ANNOTATION,
        argocd::KEEP
    );
    if app_selector.is_empty() {
        let _ = writeln!(
            s,
            "2. **Stop the writers**: the spec admits no client in `{ns}`, so the helper pod of step 4 cannot reach the cluster: add `clients: [{{namespace: {ns}, podSelector: {{...}}}}]` first. Scale every application that writes to Redis to 0 (and suspend its own GitOps sync, which would scale it back), recording the replica counts.\n"
        );
    } else {
        let apps = format!("{app_selector},app.kubernetes.io/managed-by!=rkv");
        let _ = writeln!(
            s,
            "2. **Stop the writers**: every application Deployment whose pods are Redis clients (labels `{app_selector}`; adjust if the Deployments do not carry their pods' labels), not Redis itself. Suspend their own GitOps sync first, or it scales them back up; record the replica counts:\n"
        );
        let _ = writeln!(
            s,
            "   ```sh\n   kubectl -n {ns} get deploy -l '{apps}' -o jsonpath='{{range .items[*]}}{{.metadata.name}}={{.spec.replicas}}{{\"\\n\"}}{{end}}' > replicas.txt\n   kubectl -n {ns} scale deploy -l '{apps}' --replicas=0\n   ```\n"
        );
    }
    let _ = writeln!(
        s,
        "3. **Switch the tree**: point the Flux Kustomization or Argo CD Application of this namespace at `overlays/{label}` (without a controller: `kubectl apply -k overlays/{label}`, then `kubectl -n {ns} delete deploy/{d} svc/{d}`). The old Redis stops (SIGTERM: it flushes its AOF) and the cluster forms empty. Wait for both, and check the cluster:\n",
        d = bp.name
    );
    let _ = writeln!(
        s,
        "   ```sh\n   kubectl -n {ns} wait --for=delete pod -l {base_pods} --timeout=300s\n{init}   {info}\n   ```\n\n   Expect `cluster_state:ok`, `cluster_slots_ok:16384`, `cluster_known_nodes:{n}`.\n",
        init = einv
            .init_job
            .as_ref()
            .map(|j| format!(
                "   kubectl -n {ns} wait --for=condition=complete job/{j} --timeout=600s\n"
            ))
            .unwrap_or_default(),
        info = cli(ep, einv, "CLUSTER INFO"),
        n = ep.data_pods,
    );
    let _ = writeln!(
        s,
        "4. **Copy the keys in**: a helper pod mounts `{claim}` read-only, copies it, starts a Redis on the copy (it loads what the old Redis wrote last, its AOF when it had one{tls_note}) and imports every key into the cluster (`MIGRATE ... COPY`: TTLs kept, the copy untouched). It carries the clients' labels, so the NetworkPolicies let it in:\n",
        tls_note = if ep.spec.tls.is_some() {
            "; its outgoing MIGRATE connections speak TLS with the client certificate"
        } else {
            ""
        },
    );
    let _ = writeln!(s, "{}", helper_pod(base, env, claim, &app_selector, &node));
    let _ = writeln!(
        s,
        "   The log ends with `[OK] <n> keys in {} masters.`: `<n>` must equal the `DBSIZE` it printed first (less keys that expired meanwhile). Then `kubectl -n {ns} delete pod redis-migrate`.\n",
        ep.data_pods / (1 + cluster_replicas(ep))
    );
    let _ = writeln!(
        s,
        "5. **Switch the clients** to the cluster: a cluster-aware client with the nodes' addresses (`{node}`, ... or the Service `{client}:{port}`){tls}.\n",
        client = einv
            .services
            .iter()
            .find(|s| s.type_.is_some())
            .map_or(headless.name.as_str(), |s| s.name.as_str()),
        tls = match &ep.spec.tls {
            Some(t) if t.mutual => format!(
                ", over TLS with a client certificate (`{}`): the base took plaintext",
                t.client_secret
                    .as_deref()
                    .unwrap_or("the client certificate Secret")
            ),
            Some(_) => ", over TLS: the base took plaintext".into(),
            None => String::new(),
        }
    );
    let _ = writeln!(
        s,
        "6. **Start the writers** with their own counts (and resume their GitOps sync):\n\n   ```sh\n   while IFS== read -r d n; do kubectl -n {ns} scale deploy/\"$d\" --replicas=\"$n\"; done < replicas.txt\n   ```\n"
    );
    let _ = writeln!(
        s,
        "7. **Verify**: submit a test job and check the dashboard; `{}` lists the keys per primary.\n",
        cli(ep, einv, &format!("--cluster info 127.0.0.1:{port}"))
    );
    match &einv.backup {
        Some(b) => {
            let _ = writeln!(
                s,
                "8. **Back up now** rather than at the next schedule: `kubectl -n {ns} create job {c}-first --from=cronjob/{c}`, then `kubectl -n {ns} logs -f job/{c}-first`.\n",
                c = b.cronjob
            );
        }
        None => {
            let _ = writeln!(
                s,
                "8. **Back up**: the environment renders no backup job; keep `{claim}` until you have a copy of the cluster's data.\n"
            );
        }
    }
    let _ = writeln!(
        s,
        "9. **Delete the old claim** once that backup exists (its volume goes with it): `kubectl -n {ns} delete pvc {claim}`.\n"
    );
    out.push_str(&s);
    let _ = writeln!(
        out,
        "**Rollback** (before step 9): stop the writers, point the tree back at the base: the Deployment `{d}` comes back on `{claim}` with the data as it was at step 3. Writes made to the cluster since then are not in it. The cluster's claims ({claims}) stay: the StatefulSet made them and no pruning touches them; delete them if you abandon the cluster.\n",
        d = bp.name,
        claims = einv
            .claims
            .iter()
            .map(|c| format!("`{c}`"))
            .collect::<Vec<_>>()
            .join(", "),
    );
}

/// Replicas per shard of a cluster plan.
fn cluster_replicas(plan: &crate::plan::model::Plan) -> u32 {
    match &plan.spec.shape {
        Shape::Cluster(c) => c.replicas_per_shard,
        _ => 0,
    }
}

/// The Secrets the environment's objects read.
fn secrets(plan: &crate::plan::model::Plan) -> String {
    let mut v = Vec::new();
    if let Some(a) = &plan.spec.auth {
        v.push(format!(
            "`{}` with key `{}`",
            a.password_secret.name, a.password_secret.key
        ));
    }
    if let Some(t) = &plan.spec.tls {
        v.push(format!("`{}`", t.server_secret));
        if let Some(c) = &t.client_secret {
            v.push(format!("`{c}`"));
        }
    }
    if v.is_empty() {
        "none: no password, no TLS".into()
    } else {
        v.join(", ")
    }
}

/// The helper pod of step 4, as a `kubectl apply` of a here-document.
fn helper_pod(
    base: &Section<'_>,
    env: &Section<'_>,
    claim: &str,
    client_labels: &str,
    node: &str,
) -> String {
    let ep = env.plan;
    let ns = &ep.namespace;
    let uid = base.plan.run_as_user;
    // Load what the old Redis wrote last: its AOF when it ran with one, else its dump.
    let aof = if base
        .plan
        .spec
        .persistence
        .as_ref()
        .is_some_and(|p| p.aof.is_some())
    {
        "yes"
    } else {
        "no"
    };
    // The client certificate when there is one (mutual TLS wants it); else the server's
    // Secret, for its CA and a certificate the temporary Redis can load.
    let tls_secret = ep
        .spec
        .tls
        .as_ref()
        .map(|t| t.client_secret.clone().unwrap_or(t.server_secret.clone()));
    let (server_tls, cli_tls) = match &tls_secret {
        Some(_) => (
            " --tls-cluster yes --tls-cert-file /tls/tls.crt --tls-key-file /tls/tls.key --tls-ca-cert-file /tls/ca.crt",
            " --tls --cacert /tls/ca.crt --cert /tls/tls.crt --key /tls/tls.key",
        ),
        None => ("", ""),
    };
    let labels = client_labels
        .split(',')
        .filter(|l| !l.is_empty())
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| format!("{k}: \"{v}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let mut y = String::new();
    let _ = writeln!(y, "   ```sh\n   kubectl -n {ns} apply -f - <<'EOF'");
    let _ = writeln!(
        y,
        "   apiVersion: v1\n   kind: Pod\n   metadata:\n     name: redis-migrate"
    );
    if !labels.is_empty() {
        let _ = writeln!(y, "     labels: {{{labels}}}");
    }
    let _ = writeln!(
        y,
        "   spec:\n     restartPolicy: Never\n     automountServiceAccountToken: false\n     securityContext: {{runAsUser: {uid}, runAsGroup: {uid}, fsGroup: {uid}, runAsNonRoot: true, seccompProfile: {{type: RuntimeDefault}}}}\n     containers:\n     - name: migrate\n       image: {image}\n       securityContext: {{allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {{drop: [ALL]}}}}",
        image = ep.spec.redis.image,
    );
    let _ = writeln!(
        y,
        "       command: [sh, -ec]\n       args:\n       - |\n         cp -a /old/. /work/\n         cd /work\n         # No password: it listens on 127.0.0.1 inside this pod only.\n         redis-server --port 6380 --bind 127.0.0.1 --appendonly {aof} --save '' --daemonize yes --pidfile /work/redis.pid --logfile /work/migrate.log{server_tls}\n         until redis-cli -p 6380 PING 2>/dev/null | grep -q PONG; do sleep 1; done\n         echo \"DBSIZE $(redis-cli -p 6380 DBSIZE)\"\n{auth}         redis-cli{cli_tls} --cluster import {node} --cluster-from 127.0.0.1:6380 --cluster-copy\n         redis-cli{cli_tls} --cluster info {node}",
        // The cluster's password from the mounted Secret file, every byte kept: in no
        // environment and no argument of the pod.
        auth = if ep.spec.auth.is_some() {
            format!(
                "         p=$(cat {}; echo .); REDISCLI_AUTH=${{p%.}}; export REDISCLI_AUTH\n",
                crate::emit::auth::PASSWORD_FILE
            )
        } else {
            String::new()
        },
    );
    let _ = writeln!(
        y,
        "       volumeMounts:\n       - {{name: old, mountPath: /old, readOnly: true}}\n       - {{name: work, mountPath: /work}}"
    );
    if tls_secret.is_some() {
        let _ = writeln!(y, "       - {{name: tls, mountPath: /tls, readOnly: true}}");
    }
    if ep.spec.auth.is_some() {
        let _ = writeln!(
            y,
            "       - {{name: {}, mountPath: {}, readOnly: true}}",
            crate::emit::auth::VOLUME,
            crate::emit::auth::AUTH_DIR
        );
    }
    let _ = writeln!(
        y,
        "     volumes:\n     - name: old\n       persistentVolumeClaim: {{claimName: {claim}, readOnly: true}}\n     - name: work\n       emptyDir: {{}}"
    );
    if let Some(t) = &tls_secret {
        let _ = writeln!(y, "     - name: tls\n       secret: {{secretName: {t}}}");
    }
    if let Some(a) = &ep.spec.auth {
        let _ = writeln!(
            y,
            "     - name: {}\n       secret: {{secretName: {}, items: [{{key: {}, path: password}}]}}",
            crate::emit::auth::VOLUME,
            a.password_secret.name,
            a.password_secret.key
        );
    }
    let _ = write!(
        y,
        "   EOF\n   kubectl -n {ns} wait --for=jsonpath='{{.status.phase}}'=Succeeded pod/redis-migrate --timeout=3600s\n   kubectl -n {ns} logs pod/redis-migrate\n   ```\n"
    );
    y
}
