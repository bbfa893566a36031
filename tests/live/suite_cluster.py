"""The cluster shape, live: cordum production (3x2) and the 4x3 golden case.

What goes in: the rendered objects of one cluster variant (StatefulSet, redis.conf
ConfigMap, scripts ConfigMap, init Job, backup/retention/restore CronJobs, PDB,
PrometheusRule) and `rkv explain` of its spec. What it proves, each a named check:
- cluster.boot: every pod starts from the rendered command/args with the rendered redis.conf
  and answers PING over TLS to the certificate names rkv documents;
- cluster.init / cluster.init-rerun: the rendered cluster-init.sh forms the cluster; a second
  run is a no-op; cluster.slots: the slot ranges equal `rkv explain`'s;
- cluster.probes: every readiness/liveness probe passes on a healthy pod, fails on a stopped one;
- cluster.pdb.*: every eviction set the rendered PDB allows (all of them for 3x2, a fixed
  sample for larger) keeps cluster_state:ok and every acknowledged key readable after the
  node timeout; the pair RKV110 names for `minAvailable: 4` takes the cluster down;
- cluster.backup.*, cluster.restore.*, cluster.retention: the rendered scripts' results and
  exit status, the RUNBOOK's full-loss procedure run as the commands it lists;
  cluster.restore.password-refused: a password with a space or `%` (which `redis-cli --cluster
  import` cannot pass on) stops the restore at once, naming the cause;
- cluster.new-addresses: every pod restarted at once with a new IP re-forms the cluster;
- monitoring.*: the rendered exporter container scrapes the pod (see suite_monitoring).
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import signal
import time
from pathlib import Path

import common
import k8s
from harness import Abort, Scope, World, find, find_all, poll, run_job
from rcluster import Cluster
from resp import TlsFiles, one_key_per_slot


def value_of(key: bytes) -> bytes:
    return b"v:" + key


class ClusterSuite:
    def __init__(self, tier, checks, *, label: str, tree: Path, spec: Path, env: str | None,
                 full: bool, sample: int | None, rkv110_pair: tuple[str, str] | None = None,
                 runbook: Path | None = None, work: Path | None = None, part: str | None = None):
        self.tier = tier
        self.scope = Scope(checks, label)
        self.label = label
        self.tree = tree
        self.spec = spec
        self.env = env
        self.full = full
        self.sample = sample
        self.rkv110_pair = rkv110_pair
        self.runbook = runbook
        self.work = work
        # "disruption" (slots, probes, exporter, PDB), "refusal" (RKV110's pair) or "data"
        # (backup, retention, new addresses, restore): independent clusters of the same
        # variant, run side by side so the tier stays within its time budget; None runs
        # every check on one.
        self.part = part
        self.objects = common.objects(tree)
        self.report = common.explain(spec, env)
        self.sts = find(self.objects, "StatefulSet")
        self.ns = self.sts["metadata"]["namespace"]
        self.redis = next(c for c in self.sts["spec"]["template"]["spec"]["containers"] if c["name"] == "redis")
        conf_map = next(o for o in find_all(self.objects, "ConfigMap") if "redis.conf" in (o.get("data") or {}))
        self.conf = conf_map["data"]["redis.conf"]
        m = re.search(r"^tls-port (\d+)$", self.conf, re.M) or re.search(r"^port (\d+)$", self.conf, re.M)
        self.port = int(m.group(1))
        self.node_timeout = int(re.search(r"^cluster-node-timeout (\d+)", self.conf, re.M).group(1)) / 1000
        self.tls_on = "tls-port" in self.conf
        self.keys = one_key_per_slot(label.replace("/", "-"))
        self.pdb = find(self.objects, "PodDisruptionBudget")

    # --- boot ------------------------------------------------------------------------------
    def world(self, name: str) -> World:
        w = World(self.tier, name, self.objects)
        roles = k8s.tls_roles_from_conf(self.conf, self.sts["spec"]["template"]["spec"], self.redis)
        names = common.tls_names(self.report) if self.tls_on else []
        if self.tls_on:
            self.scope.check("cluster.tls-names-documented", bool(names),
                             "`rkv explain` lists the DNS names the server certificate must carry",
                             "no `TLS server certificate` section with DNS: names", fatal=True)
        if self.tls_on and self.runbook and not hasattr(self, "runbook_checked"):
            self.runbook_checked = True
            heading = f"Environment `{self.env}`" if self.env else "Base"
            listed = re.findall(r"^- `([^`]+)`: ", self.runbook_connect(heading), re.M)
            self.scope.check("cluster.tls-names-runbook", listed == names,
                             "the RUNBOOK lists the same certificate names as `rkv explain`",
                             f"RUNBOOK {listed[:3]}... ({len(listed)}), explain {names[:3]}... ({len(names)})")
        self.passwords = k8s.make_secrets(w, self.objects, roles, names, awkward=k8s.AWKWARD_CLUSTER)
        self.password = next(iter(self.passwords.values()), None)
        if self.tls_on:
            # What the Jobs and the exporter present: the client certificate, or the server's.
            ca, crt, key = w.ca.files("client" if "client" in roles.values() else "server")
            self.tlsfiles = TlsFiles(ca, crt, key)
        else:
            self.tlsfiles = None
        return w

    def runbook_connect(self, heading: str) -> str:
        """The `### Connect` text of the variant's RUNBOOK section."""
        md = self.runbook.read_text()
        start = md.find(f"\n## {heading}\n")
        end = md.find("\n## ", start + 1)
        body = md[start:end if end > 0 else None]
        m = re.search(r"\n### Connect[^\n]*\n(.*?)(?=\n### )", body, re.S)
        return m.group(1) if m else ""

    def start_pods(self, w: World) -> list:
        pods = k8s.statefulset_pods(w, self.sts)
        for p in pods:
            # As the kubelet: init containers (the exporter's password file) run first.
            if p.spec.get("initContainers"):
                failed = p.run_init_containers()
                self.scope.check("cluster.init-containers", not failed,
                                 "every init container of the pod completes", "; ".join(failed), pod=p.name)
            # The redis image's WORKDIR is /data; the rendered redis.conf sets `dir /data` too.
            p.start("redis", workdir="/data")
        return pods

    def wait_up(self, cluster: Cluster, pods: list, timeout: float = 30) -> list:
        """The pods that did not answer PING within `timeout` (all polled together; a
        container that exited is not waited for)."""
        pending = list(pods)

        def step():
            for p in list(pending):
                try:
                    if cluster.call(p, "PING") == b"PONG":
                        pending.remove(p)
                except Exception:  # noqa: BLE001 - not up yet
                    pass
            return not pending or all(not p.alive("redis") for p in pending)

        poll(step, timeout, 0.2)
        return pending

    def boot(self) -> None:
        t0 = time.monotonic()
        self.w = self.world(self.label.replace("/", "-") + (f"-{self.part}" if self.part else ""))
        self.pods = self.start_pods(self.w)
        self.cluster = Cluster(self.pods, self.port, self.password, self.tlsfiles)
        down = self.wait_up(self.cluster, self.pods)
        self.scope.check("cluster.boot", not down,
                         f"all {len(self.pods)} pods answer PING on port {self.port}"
                         + (" over TLS, certificate verified for each pod's announced name" if self.tls_on else ""),
                         "no answer from " + ", ".join(
                             f"{p.name} (log: {p.log_tail('redis', 3)})" for p in down),
                         started=t0, fatal=True)

    def init_job(self) -> dict:
        return next(j for j in find_all(self.objects, "Job") if j["metadata"]["name"].endswith("-cluster-init"))

    def run_init(self, name: str, timeout: float = 120) -> tuple[int, str]:
        return run_job(self.w, self.init_job()["spec"], name, timeout=timeout)

    # --- the checks ------------------------------------------------------------------------
    def check_init(self) -> None:
        t0 = time.monotonic()
        code, log = self.run_init("init-1")
        shards = len(common.explain_slots(self.report))
        replicas = len(self.pods) // shards - 1
        self.shards, self.replicas = shards, replicas
        self.scope.check("cluster.init", code == 0, "the rendered cluster-init.sh exits 0",
                         f"exit {code}: {log[-600:]}", pod="init-1", started=t0, fatal=True)
        t0 = time.monotonic()
        why = self.until_healthy(60)
        self.scope.check("cluster.formed", why == "",
                         f"every pod reports cluster_state:ok; {shards} primaries with {replicas} linked replica(s) each",
                         why, started=t0, fatal=True)
        before = sorted((n.id, n.host, tuple(n.slots)) for n in self.cluster.nodes(self.pods[0]))
        epoch = self.cluster.cluster_info(self.pods[0]).get("cluster_current_epoch")
        t0 = time.monotonic()
        code, log = self.run_init("init-2")
        after = sorted((n.id, n.host, tuple(n.slots)) for n in self.cluster.nodes(self.pods[0]))
        epoch2 = self.cluster.cluster_info(self.pods[0]).get("cluster_current_epoch")
        self.scope.check("cluster.init-rerun", code == 0 and before == after and epoch == epoch2,
                         "a second run exits 0 and changes nothing (same node ids, slots, epoch)",
                         f"exit {code}, epoch {epoch} -> {epoch2}, nodes changed: {before != after}; {log[-300:]}",
                         pod="init-2", started=t0)

    def check_slots(self) -> None:
        t0 = time.monotonic()
        want = common.explain_slots(self.report)
        nodes = self.cluster.nodes(self.pods[0])
        got = []
        owner_ok = True
        for i, (a, b) in enumerate(want):
            owner = [n for n in nodes if n.is_master and (a, b) in n.slots]
            got.append((a, b) if owner else None)
            # `--cluster create` makes the first S pods the primaries, in order (the Job's comment).
            if not owner or not owner[0].host.startswith(f"{self.sts['metadata']['name']}-{i}."):
                owner_ok = False
        actual = sorted(s for n in nodes if n.is_master for s in n.slots)
        self.scope.check("cluster.slots", actual == want and owner_ok,
                         f"slot ranges {want} (rkv explain), shard i on pod -i",
                         f"{actual} owned by " + ", ".join(
                             f"{n.host.split('.')[0]}:{n.slots}" for n in nodes if n.is_master),
                         started=t0)

    def check_replica_pairs(self) -> None:
        """RKV110 names a primary and 'its own replica' by ordinal: check that claim."""
        if not self.rkv110_pair:
            return
        t0 = time.monotonic()
        a, b = self.rkv110_pair
        nodes = self.cluster.nodes(self.pods[0])
        by_name = {n.host.split(".")[0]: n for n in nodes}
        ok = a in by_name and b in by_name and by_name[b].master_id == by_name[a].id
        self.scope.check("cluster.rkv110-pair-is-a-shard", ok,
                         f"{b} replicates {a}, as RKV110's message says",
                         f"{b} replicates {by_name.get(b).master_id if b in by_name else '?'}; "
                         f"{a} is {by_name.get(a).id if a in by_name else '?'}", started=t0)

    def check_probes(self) -> None:
        c = self.redis
        kinds = [k for k in ("readinessProbe", "livenessProbe") if k in c]
        t0 = time.monotonic()
        bad = []
        for p in self.pods:
            for k in kinds:
                ok, why = p.probe("redis", k)
                if not ok:
                    bad.append(f"{p.name} {k}: {why}")
        self.scope.check("cluster.probes-pass-healthy", not bad,
                         f"{', '.join(kinds)} pass on all {len(self.pods)} healthy pods", "; ".join(bad[:3]),
                         started=t0)
        victim = self.pods[-1]
        t0 = time.monotonic()
        victim.stop("redis")
        wrong = []
        for k in kinds:
            ok, why = victim.probe("redis", k)
            if ok:
                wrong.append(f"{k} passed: {why}")
        self.scope.check("cluster.probes-fail-stopped", not wrong,
                         f"{', '.join(kinds)} fail once redis-server is stopped", "; ".join(wrong),
                         pod=victim.name, started=t0)
        victim.start("redis", workdir="/data")
        self.wait_healthy("cluster.probes-restart", [victim])

    def health(self) -> str:
        try:
            return self.cluster.healthy(self.pods, self.shards, self.replicas)
        except Exception as e:  # noqa: BLE001 - a pod not answering yet
            return f"{type(e).__name__}: {e}"

    def until_healthy(self, timeout: float) -> str:
        """'' once healthy (polled), else the last reason it was not."""
        if poll(lambda: self.health() == "", timeout, 0.5):
            return ""
        return self.health() or "flapping"

    def wait_healthy(self, name: str, restarted: list, timeout: float | None = None) -> bool:
        t0 = time.monotonic()
        why = self.until_healthy(timeout or (self.node_timeout * 4 + 30))
        return self.scope.check(name, why == "",
                                f"{', '.join(p.name for p in restarted)} rejoined: cluster_state:ok everywhere, "
                                f"{self.shards} primaries with {self.replicas} linked replica(s)",
                                why, started=t0, fatal=True)

    def write_keys(self) -> None:
        t0 = time.monotonic()
        acked = self.cluster.write(self.keys, value_of, self.pods[0], self.replicas)
        self.scope.check("cluster.write-all-slots", acked == len(self.keys),
                         f"{len(self.keys)} keys, one per slot, acknowledged and replicated (WAIT {self.replicas})",
                         f"{acked} acknowledged", started=t0, fatal=True)

    def read_all(self, via) -> tuple[int, list[str]]:
        return self.cluster.read(self.keys, value_of, via)

    def eviction_sets(self) -> list[tuple]:
        n = len(self.pods)
        spec = self.pdb["spec"]
        k = n - spec["minAvailable"] if "minAvailable" in spec else spec["maxUnavailable"]
        combos = list(itertools.combinations(self.pods, k))
        if self.sample is None or len(combos) <= self.sample:
            return combos
        # A fixed sample: the sets made only of the first S pods (the primaries at creation,
        # the costliest evictions: each forces a failover), then every n-th of the rest.
        first = [c for c in combos if all(int(p.name.rsplit("-", 1)[1]) < self.shards for p in c)]
        rest = [c for c in combos if c not in first]
        step = max(1, len(rest) // max(1, self.sample - len(first)))
        return (first + rest[::step])[: self.sample]

    def check_pdb(self) -> None:
        spec = self.pdb["spec"]
        budget = ", ".join(f"{k} {spec[k]}" for k in ("minAvailable", "maxUnavailable") if k in spec)
        sets = self.eviction_sets()
        for victims in sets:
            names = "+".join(p.name for p in victims)
            t0 = time.monotonic()
            live = [p for p in self.pods if p not in victims]
            for p in victims:
                p.stop("redis")  # an eviction: SIGTERM, the pod's grace period
            victim_hosts = {p.fqdn for p in victims}

            def settled():
                nodes = self.cluster.nodes(live[0])
                owners = [n for n in nodes if n.is_master and n.slots]
                if any(n.host in victim_hosts for n in owners):
                    return None  # a stopped pod still owns slots: the node timeout has not passed
                if sum(n.slot_count() for n in owners) != 16384:
                    return None
                return all(self.cluster.cluster_info(p).get("cluster_state") == "ok" for p in live)

            ok = poll(settled, self.node_timeout * 4 + 20, 0.5)
            good, problems = self.read_all(live[0]) if ok else (0, ["cluster did not settle"])
            self.scope.check(f"cluster.pdb.evict[{names}]", bool(ok) and good == len(self.keys),
                             f"the PDB ({budget}) lets {names} go: after the node timeout cluster_state:ok and all "
                             f"{len(self.keys)} acknowledged keys readable",
                             f"settled={bool(ok)}, {good} keys readable; {problems[:3]}", started=t0)
            for p in victims:
                p.start("redis", workdir="/data")
            self.wait_healthy(f"cluster.pdb.rejoin[{names}]", list(victims))

    def check_rkv110_refusal(self) -> None:
        if not self.rkv110_pair:
            return
        a, b = self.rkv110_pair
        victims = [p for p in self.pods if p.name in (a, b)]
        live = [p for p in self.pods if p not in victims]
        t0 = time.monotonic()
        for p in victims:
            p.stop("redis")
        failed = poll(lambda: all(self.cluster.cluster_info(p).get("cluster_state") == "fail" for p in live),
                      self.node_timeout * 4 + 20, 0.5)
        # Watch twice the node timeout more: no replica is left to promote, so no node may
        # report ok again (polling for the event that must not happen, not sleeping).
        recovered = failed and poll(
            lambda: any(self.cluster.cluster_info(p).get("cluster_state") == "ok" for p in live),
            self.node_timeout * 2, 0.5)
        still = bool(failed) and not recovered
        good, _ = self.read_all(live[0])
        self.scope.check("cluster.pdb.rkv110-refusal-is-real", bool(still) and good < len(self.keys),
                         f"evicting {a} and {b} together (what minAvailable 4 allows) takes the cluster to "
                         "cluster_state:fail and keys offline",
                         f"cluster_state fail={bool(failed)}, still fail={bool(still)}, {good} keys readable",
                         started=t0)
        for p in victims:
            p.start("redis", workdir="/data")
        self.wait_healthy("cluster.pdb.rkv110-recover", victims)

    # --- backup, retention, restore ---------------------------------------------------------
    def backup_cronjob(self) -> dict:
        return next(c for c in find_all(self.objects, "CronJob")
                    if c["metadata"]["labels"].get("app.kubernetes.io/component") == "backup")

    def backup_dir(self) -> Path:
        cj = self.backup_cronjob()
        vols = cj["spec"]["jobTemplate"]["spec"]["template"]["spec"]["volumes"]
        claim = next(v["persistentVolumeClaim"]["claimName"] for v in vols if "persistentVolumeClaim" in v)
        return self.w.claim(claim, None)

    def run_backup(self, name: str) -> tuple[int, str]:
        return run_job(self.w, self.backup_cronjob()["spec"]["jobTemplate"]["spec"], name, timeout=120)

    def stamps(self) -> dict[str, list[Path]]:
        out: dict[str, list[Path]] = {}
        for f in sorted(self.backup_dir().glob("redis-*-node*.rdb")):
            stamp = f.name.split("-node")[0][len("redis-"):]
            out.setdefault(stamp, []).append(f)
        return out

    @staticmethod
    def recorded_slots(dump: Path) -> int | None:
        """Slots the dump held, from the CLUSTER NODES record saved beside it (its `myself` line)."""
        rec = dump.with_suffix(".nodes")
        if not rec.exists():
            return None
        for line in rec.read_text().splitlines():
            f = line.split()
            if len(f) > 2 and "myself" in f[2]:
                total = 0
                for x in f[8:]:
                    if x.startswith("["):
                        continue  # a migrating/importing marker, not an owned range
                    a, _, b = x.partition("-")
                    total += int(b or a) - int(a) + 1
                return total
        return 0

    def check_backup(self) -> None:
        t0 = time.monotonic()
        before = set(self.stamps())
        code, log = self.run_backup("backup-1")
        new = {k: v for k, v in self.stamps().items() if k not in before}
        primaries = [n for n in self.cluster.nodes(self.pods[0]) if n.is_master and n.slots]
        dumps = next(iter(new.values()), [])
        self.scope.check("cluster.backup.complete", code == 0 and len(new) == 1 and len(dumps) == len(primaries),
                         f"backup.sh exits 0 and writes one dump per primary ({len(primaries)}; after the PDB "
                         "failovers the primaries are not pods 0..S-1)",
                         f"exit {code}, new sets {list(new)}, {len(dumps)} dumps; {log[-400:]}",
                         pod="backup-1", started=t0)
        t0 = time.monotonic()
        slots = [self.recorded_slots(d) for d in dumps]
        self.scope.check("cluster.backup.records-slots", dumps != [] and None not in slots and sum(slots) == 16384,
                         "each dump has its node's CLUSTER NODES beside it, and the recorded slots of the set "
                         "cover all 16384",
                         f"recorded slots per dump {dict(zip((d.name for d in dumps), slots))}", started=t0)
        self.complete_stamp = next(iter(new), None)

    def check_backup_partial(self, down: list) -> None:
        """With both pods of a shard down, a run saves the other primaries and says so."""
        t0 = time.monotonic()
        before = set(self.stamps())
        code, log = self.run_backup("backup-partial")
        new = {k: v for k, v in self.stamps().items() if k not in before}
        dumps = next(iter(new.values()), [])
        self.partial_stamp = next(iter(new), None)
        self.scope.check("cluster.backup.partial", code == 2 and len(dumps) == self.shards - 1,
                         f"with {'+'.join(p.name for p in down)} down, backup.sh keeps the {self.shards - 1} "
                         "other primaries' dumps and exits 2 (partial: the Job fails, so the alert sees it)",
                         f"exit {code}, {len(dumps)} dumps; {log[-300:]}", pod="backup-partial", started=t0)

    def check_backup_total(self) -> None:
        t0 = time.monotonic()
        before = set(self.stamps())
        code, log = self.run_backup("backup-none")
        new = [k for k in self.stamps() if k not in before]
        self.scope.check("cluster.backup.total-failure", code == 1 and not new,
                         "with every pod down, backup.sh saves nothing and exits 1",
                         f"exit {code}, new sets {new}; {log[-300:]}", pod="backup-none", started=t0)

    def check_retention(self) -> None:
        cj = next(c for c in find_all(self.objects, "CronJob")
                  if c["metadata"]["labels"].get("app.kubernetes.io/component") == "backup-retention")
        days = int(re.search(r"MINUTES=(\d+)", self.scripts()["retention.sh"]).group(1)) / 1440
        d = self.backup_dir()
        now = time.time()
        made = {
            # name: (age in days, must be deleted)
            "redis-20000101T000000Z-node0.rdb": (days + 1, True),
            "redis-20000101T000000Z-node0.nodes": (days + 1, True),
            "redis-20000101T000000Z-node1.rdb.partial": (days + 1, True),
            "redis-20000102T000000Z-node2.nodes.partial": (days + 0.5, True),
            "redis-29990101T000000Z-node0.rdb": (days - 1, False),
            "redis-29990101T000000Z-node0.nodes": (days - 1, False),
            "redis-29990101T000000Z-node1.rdb.partial": (0.01, False),
            "notes.txt": (days + 30, False),
        }
        for name, (age, _) in made.items():
            f = d / name
            f.write_text("x")
            os.utime(f, (now - age * 86400, now - age * 86400))
        t0 = time.monotonic()
        code, log = run_job(self.w, cj["spec"]["jobTemplate"]["spec"], "retention-1", timeout=60)
        wrong = [n for n, (_, gone) in made.items() if (d / n).exists() == gone]
        self.scope.check("cluster.retention", code == 0 and not wrong,
                         f"retention.sh exits 0 and deletes exactly the backup files older than {days:g} days "
                         "(dumps, slot records, leftover .partial files), nothing younger, nothing else",
                         f"exit {code}; wrong: {wrong}; {log[-300:]}", pod="retention-1", started=t0)
        for n in made:
            (d / n).unlink(missing_ok=True)
        t0 = time.monotonic()
        # An expired dump the Job's user may not delete: owned by root in a sticky directory
        # (the kubelet's fsGroup handling keeps both the owner and the sticky bit).
        stale = d / "redis-20000101T000000Z-node9.rdb"
        stale.write_text("x")
        os.chown(stale, 0, 0)
        os.utime(stale, (now - (days + 1) * 86400,) * 2)
        os.chmod(d, 0o3775)
        try:
            code, log = run_job(self.w, cj["spec"]["jobTemplate"]["spec"], "retention-2", timeout=60)
        finally:
            os.chmod(d, 0o2775)
            stale.unlink(missing_ok=True)
        self.scope.check("cluster.retention.failure", code != 0,
                         "retention.sh exits non-zero when it cannot delete an expired backup",
                         f"exit {code}; {log[-200:]}", pod="retention-2", started=t0)

    def scripts(self) -> dict[str, str]:
        return next(o for o in find_all(self.objects, "ConfigMap") if "backup.sh" in (o.get("data") or {}))["data"]

    # --- every pod restarted with a new address ---------------------------------------------
    def check_new_addresses(self) -> None:
        t0 = time.monotonic()
        for p in self.pods:
            p.stop("redis")
        self.check_backup_total()
        old = {p.name: p.ip for p in self.pods}
        for p in self.pods:
            p.new_address()
        k8s.publish_pod_records(self.w, self.pods, self.sts["spec"]["serviceName"], self.ns)
        for p in self.pods:
            p.start("redis", workdir="/data")
        why = self.until_healthy(self.node_timeout * 4 + 40)
        good, problems = self.read_all(self.pods[0]) if why == "" else (0, [why])
        self.scope.check("cluster.new-addresses", why == "" and good == len(self.keys),
                         "after every pod restarts at once on a new IP (node-pool replacement) the cluster "
                         f"re-forms and all {len(self.keys)} keys are readable",
                         f"{why or 'healthy'}; {good} keys readable; IPs {old} -> "
                         f"{ {p.name: p.ip for p in self.pods} }; {problems[:2]}", started=t0)

    # --- full loss: the RUNBOOK's procedure, run as written -------------------------------------
    def check_restore(self) -> None:
        import kubectl

        t0 = time.monotonic()
        heading = f"Environment `{self.env}`" if self.env else "Base"
        text = kubectl.section(self.runbook.read_text(), heading, "Full loss")
        cmds = kubectl.commands(text)
        self.scope.check("cluster.restore.runbook-is-commands", bool(cmds),
                         "the RUNBOOK's full-loss section gives the restore as shell commands",
                         f"no ```sh block under {heading} / Full loss: {text[:300]!r}", started=t0, fatal=True)
        # Full loss: every data volume and pod is gone; the backup volume and the Secrets remain.
        backup = self.backup_dir()
        for p in self.pods:
            p.stop("redis", signal.SIGKILL)
        w2 = World(self.tier, self.w.name + "-restore", self.objects)
        w2.secrets = dict(self.w.secrets)
        w2.ca = self.w.ca  # type: ignore[attr-defined]
        shutil.copytree(backup, w2.claim(backup.name, None), dirs_exist_ok=True)
        state: dict = {}

        def boot(objs: list[dict]) -> None:
            sts = find(objs, "StatefulSet")
            pods = k8s.statefulset_pods(w2, sts)
            for p in pods:
                p.start("redis", workdir="/data")
            state["pods"] = pods

        kc = kubectl.MiniKubectl(w2, self.runbook.parent, boot)
        for line in cmds:
            t1 = time.monotonic()
            ok, out = kc.run(line, self.ns)
            self.scope.check("cluster.restore.step", ok, f"`{line}` succeeds", out[-700:], started=t1,
                             fatal=True)
        pods = state.get("pods") or []
        cluster = Cluster(pods, self.port, self.password, self.tlsfiles)
        good, problems = cluster.read(self.keys, value_of, pods[0]) if pods else (0, ["no pods"])
        self.scope.check("cluster.restore.all-keys", good == len(self.keys),
                         f"after the RUNBOOK's full-loss procedure (appendonly yes) all {len(self.keys)} keys "
                         "of the newest complete backup set are back",
                         f"{good} keys back; {problems[:3]}", started=t0)
        # The restore's other exit statuses, from the same CronJob (`kubectl set env
        # cronjob/<name>-restore RESTORE_STAMP=...` in the RUNBOOK's words).
        restore = next(c for c in find_all(self.objects, "CronJob")
                       if c["metadata"]["labels"].get("app.kubernetes.io/component") == "restore")
        spec = restore["spec"]["jobTemplate"]["spec"]
        if getattr(self, "partial_stamp", None):
            t1 = time.monotonic()
            code, log = run_job(w2, spec, "restore-partial", timeout=300,
                                env_extra={"RESTORE_STAMP": self.partial_stamp})
            self.scope.check("cluster.restore.partial", code == 2 and "partial" in log,
                             f"restoring the partial set {self.partial_stamp} imports what it has and exits 2",
                             f"exit {code}: {log[-300:]}", pod="restore-partial", started=t1)
        t1 = time.monotonic()
        code, log = run_job(w2, spec, "restore-none", timeout=120, env_extra={"RESTORE_STAMP": "19990101T000000Z"})
        self.scope.check("cluster.restore.nothing", code == 1,
                         "restoring a set that does not exist restores nothing and exits 1",
                         f"exit {code}: {log[-300:]}", pod="restore-none", started=t1)
        # A password redis-cli --cluster import cannot pass on (a space, a `%`): the Job says so
        # and stops before importing anything, rather than failing every key.
        if self.passwords:
            secret, key = next(iter(self.passwords)).split("/", 1)
            kept = w2.secrets[secret][key]
            w2.secrets[secret] = {**w2.secrets[secret], key: kept + b" 100%"}
            t1 = time.monotonic()
            try:
                code, log = run_job(w2, spec, "restore-space", timeout=120)
            finally:
                w2.secrets[secret] = {**w2.secrets[secret], key: kept}
            self.scope.check("cluster.restore.password-refused", code == 1 and "nothing restored" in log
                             and "imported" not in log,
                             "a password with a space or % is refused at the start (exit 1), nothing imported",
                             f"exit {code}: {log[-300:]}", pod="restore-space", started=t1)
        # And they stay: the restored data survives a restart of every pod (it is in the AOF).
        t1 = time.monotonic()
        for p in pods:
            p.stop("redis")
        for p in pods:
            p.start("redis", workdir="/data")
        self.pods, self.cluster = pods, cluster
        why = self.until_healthy(self.node_timeout * 4 + 40)
        good, problems = cluster.read(self.keys, value_of, pods[0]) if why == "" else (0, [why])
        self.scope.check("cluster.restore.survives-restart", good == len(self.keys),
                         "the restored keys are still there after every pod restarts (written to the AOF)",
                         f"{good} keys; {problems[:3]}", started=t1)

    # --- the exporter sidecar and the alert rules --------------------------------------------
    def check_exporter(self) -> None:
        import suite_rules

        pod = self.pods[0]
        c = pod.container_spec("exporter")
        t0 = time.monotonic()
        env = pod.env_of(c)
        # The image's entrypoint is /redis_exporter; Debian's build of the same program
        # stands in for it, with the rendered args (none) and env.
        args = [suite_rules.expand_env(a, env) for a in (c.get("args") or [])]
        pod.start("exporter", argv=["prometheus-redis-exporter", *args])
        port = next(p["containerPort"] for p in c["ports"] if p["name"] == "metrics")
        text = poll(lambda: (lambda t: t if "redis_up" in t else None)(
            suite_rules.scrape(f"http://{pod.ip}:{port}/metrics")), 20, 0.3) or ""
        up = suite_rules.value(text, "redis_up")
        if self.password is not None:
            common.check_secret_not_exposed(self.scope, pod, self.password, "secrets.cluster-not-in-processes",
                                            "a Redis pod (redis-server, the exporter)")
        self.scope.check("monitoring.exporter-up", up == 1.0,
                         f"redis_exporter with the rendered env ({env.get('REDIS_ADDR')}) reports redis_up 1"
                         + (" over TLS with the documented certificate names" if self.tls_on else ""),
                         f"redis_up {up}; exporter log: {pod.log_tail('exporter', 4)}", pod=pod.name, started=t0)
        kinds = [k for k in ("livenessProbe", "readinessProbe") if k in c]
        for kind in kinds:
            ok, why = pod.probe("exporter", kind)
            self.scope.check(f"monitoring.exporter-{kind}", ok, f"the exporter's {kind} passes", why, pod=pod.name)
        pod.stop("exporter")
        for kind in kinds:
            ok, why = pod.probe("exporter", kind)
            self.scope.check(f"monitoring.exporter-{kind}-fails-stopped", not ok,
                             f"the exporter's {kind} fails once the exporter is stopped", why, pod=pod.name)
        self.scrape_text = text
        rule = find(self.objects, "PrometheusRule")
        backup = next((c["metadata"]["name"] for c in find_all(self.objects, "CronJob")
                       if c["metadata"]["labels"].get("app.kubernetes.io/component") == "backup"), None)
        suite_rules.check_rule_object(self.scope, rule, text, self.ns, self.sts, self.shards, self.replicas,
                                      self.work / f"rules-{self.label.replace('/', '-')}", backup)

    def check_backup_partial_shard_down(self) -> None:
        """Both pods of one shard down (a primary and its replica, as RKV110 names them)."""
        nodes = self.cluster.nodes(self.pods[0])
        master = next(n for n in nodes if n.is_master and n.slots)
        replica = next(n for n in nodes if n.master_id == master.id)
        down = [self.cluster.pod_by_host(master.host), self.cluster.pod_by_host(replica.host)]
        for p in down:
            p.stop("redis")
        self.check_backup_partial(down)
        for p in down:
            p.start("redis", workdir="/data")
        self.wait_healthy("cluster.backup.partial-recover", down)

    def run(self) -> None:
        try:
            self.boot()
            self.check_init()
            self.write_keys()
            if self.part in (None, "disruption"):
                self.check_slots()
                self.check_probes()
                self.check_exporter()
                self.check_pdb()
            if self.part in (None, "refusal"):
                self.check_replica_pairs()
                self.check_rkv110_refusal()
            if self.full and self.part in (None, "data"):
                self.check_backup()
                self.check_backup_partial_shard_down()
                self.check_retention()
                self.check_new_addresses()
                self.check_restore()
        except Abort:
            pass
