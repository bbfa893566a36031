"""The standalone shape, live: cordum's base (one Deployment pod, AOF, requirepass), and a
TLS-only standalone with a backup (golden standalone-tls-exposure-backup).

What goes in: the rendered base tree (Deployment, PVC, Service; with TLS and backup also the
scripts ConfigMap and the backup CronJob) and, for TLS, the spec (`rkv explain` names the
DNS names the server certificate must carry: the test's certificate carries only those).
What it proves, each a named check:
- standalone.start: the pod starts from the rendered command/args (the start script reads the
  password from the mounted Secret and hands it to redis-server on stdin) and answers with
  that password, one with quotes, a backslash, shell syntax and a trailing newline
  (k8s.AWKWARD);
- secrets.standalone-not-in-processes: no process of the pod has the password in its
  arguments or environment (/proc/<pid>/cmdline and environ);
- standalone.auth: without the password every command is refused (NOAUTH);
- standalone.probes-*: the readiness (exec) and liveness (TCP) probes pass on the running
  pod and fail once redis-server is stopped;
- standalone.durable: every acknowledged write survives SIGKILL and a restart with the
  rendered persistence settings, once the window `appendfsync everysec` allows has passed.
  With everysec Redis may reply before it writes the AOF buffer: while the previous
  second's fsync is still running it postpones the write for up to 2 s ("Asynchronous AOF
  fsync is taking too long"), and a crash in that window loses those writes. So the check
  polls INFO persistence until the AOF buffer is empty (it must be within that 2 s bound,
  plus scheduling slack) and only then kills the process: a lost write after that is a
  real defect of the rendered settings.

With TLS (the Deployment's args carry `--tls-port`), every connection of the test is TLS
with the client certificate, and also:
- standalone.tls-plaintext-closed: a plaintext client gets no answer on the Redis port;
- standalone.tls-client-cert-required: a TLS client without a certificate is refused
  (`--tls-auth-clients yes`);
With a backup CronJob (component `backup`):
- standalone.backup: the rendered Job dials the Service by name over TLS with the client
  certificate, checks `role:master` and writes one dump that redis-check-rdb loads, holding
  every key written;
- standalone.backup-refuses-replica: when the Redis behind the Service is a replica, the
  Job saves nothing and exits non-zero.
"""

from __future__ import annotations

import re
import signal
import subprocess
import time
from pathlib import Path

import common
import k8s
from harness import Abort, Scope, World, find, find_all, poll, run_job
from resp import Conn, RedisError, TlsFiles


class StandaloneSuite:
    def __init__(self, tier, checks, *, label: str, tree: Path, spec: Path | None = None):
        self.tier = tier
        self.scope = Scope(checks, label)
        self.label = label
        self.spec = spec
        self.objects = common.objects(tree)
        self.dep = find(self.objects, "Deployment")
        self.tlsfiles: TlsFiles | None = None

    def conn(self, password: str | None = None, tls: TlsFiles | None = None) -> Conn:
        return Conn(self.pod.ip, self.port, password=password, tls=tls or self.tlsfiles, timeout=3)

    def server_args(self, c: dict) -> dict[str, str]:
        """The container's `--flag value` pairs (redis-server's command-line config)."""
        args = c.get("args") or []
        return {a[2:]: args[i + 1] for i, a in enumerate(args[:-1]) if a.startswith("--")}

    def tls_roles(self, spec: dict, c: dict) -> dict[str, str]:
        """The server certificate's Secret is the one mounted where `--tls-cert-file` points;
        every other certificate Secret a rendered pod reads is a client one (probe, backup)."""
        flags = self.server_args(c)
        conf = "\n".join(f"{k} {v}" for k, v in flags.items() if k == "tls-cert-file")
        roles = k8s.tls_roles_from_conf(conf, spec, c)
        for name, keys in k8s.referenced_secrets(self.objects).items():
            if "tls.crt" in keys and name not in roles:
                roles[name] = "client"
        return roles

    def up(self) -> bool:
        with self.conn(self.password) as c:
            return c.call("PING") == b"PONG"

    def aof_flushed(self) -> bool:
        """True once every acknowledged write is in the kernel (the AOF buffer is empty)."""
        with self.conn(self.password) as c:
            info = c.call("INFO", "persistence").decode()
        fields = dict(l.split(":", 1) for l in info.splitlines() if ":" in l)
        return fields.get("aof_enabled") == "1" and fields.get("aof_buffer_length") == "0"

    def start(self) -> None:
        self.pod.start("redis", workdir="/data")

    def run(self) -> None:
        try:
            self._run()
        except Abort:
            pass

    def _run(self) -> None:
        w = World(self.tier, self.label.replace("/", "-"), self.objects)
        spec = self.dep["spec"]["template"]["spec"]
        c = spec["containers"][0]
        self.tls_on = "tls-port" in self.server_args(c)
        roles: dict[str, str] = {}
        names: list[str] = []
        if self.tls_on:
            names = common.tls_names(common.explain(self.spec)) if self.spec else []
            self.scope.check("standalone.tls-names-documented", bool(names),
                             "`rkv explain` lists the DNS names the server certificate must carry",
                             "no `TLS server certificate` section with DNS: names", fatal=True)
            roles = self.tls_roles(spec, c)
        passwords = k8s.make_secrets(w, self.objects, roles, names, awkward=k8s.AWKWARD)
        self.password = next(iter(passwords.values()))
        if self.tls_on:
            ca, crt, key = w.ca.files("client" if "client" in roles.values() else "server")
            self.tlsfiles = TlsFiles(ca, crt, key)
        name = f"{self.dep['metadata']['name']}-0"
        ns = self.dep["metadata"]["namespace"]
        self.pod = w.pod(name, spec, namespace=ns)
        self.w = w
        self.port = next(p["containerPort"] for p in c["ports"] if p["name"] == "redis")
        # The Service resolves to the one pod (the tier has no kube-proxy).
        k8s.service_records(w, self.objects, lambda sel: [self.pod])
        t0 = time.monotonic()
        self.start()
        ok = poll(self.up, 20)
        self.scope.check("standalone.start", bool(ok),
                         f"the pod starts from `{' '.join(c['command'] + c['args'][:6])} ...` and answers "
                         "PING with the Secret's password", self.pod.log_tail("redis", 5), pod=name,
                         started=t0, fatal=True)
        common.check_secret_not_exposed(self.scope, self.pod, self.password,
                                        "secrets.standalone-not-in-processes", "the Redis pod")
        t0 = time.monotonic()
        try:
            with self.conn() as cn:
                cn.call("GET", "x")
            refused = ""
        except RedisError as e:
            refused = str(e)
        self.scope.check("standalone.auth", refused.startswith("NOAUTH"),
                         "a client without the password is refused (NOAUTH)", refused or "GET answered",
                         pod=name, started=t0)
        if self.tls_on:
            self.check_tls(name, w)

        kinds = [k for k in ("readinessProbe", "livenessProbe") if k in c]
        t0 = time.monotonic()
        bad = [f"{k}: {why}" for k in kinds for ok, why in [self.pod.probe("redis", k)] if not ok]
        self.scope.check("standalone.probes-pass-healthy", not bad, f"{', '.join(kinds)} pass", "; ".join(bad),
                         pod=name, started=t0)

        t0 = time.monotonic()
        keys = {f"standalone:{i}".encode(): f"value-{i}".encode() for i in range(2000)}
        with self.conn(self.password) as cn:
            replies = cn.pipeline([("SET", k, v) for k, v in keys.items()])
        acked = [k for k, r in zip(keys, replies) if r == b"OK"]
        flushed = poll(self.aof_flushed, 5)
        self.scope.check("standalone.aof-flushed", bool(flushed),
                         "the AOF buffer is written within everysec's 2 s window after the last reply",
                         "aof_buffer_length still > 0 after 5 s", pod=name, started=t0)
        self.pod.stop("redis", signal.SIGKILL)
        wrong = [f"{k}: {why}" for k in kinds for ok, why in [self.pod.probe("redis", k)] if ok]
        self.scope.check("standalone.probes-fail-stopped", not wrong, f"{', '.join(kinds)} fail once Redis is down",
                         "; ".join(wrong), pod=name)
        self.start()
        poll(self.up, 30)
        with self.conn(self.password) as cn:
            got = cn.pipeline([("GET", k) for k in acked])
        lost = [k.decode() for k, g in zip(acked, got) if g != keys[k]]
        self.scope.check("standalone.durable", len(acked) == len(keys) and not lost,
                         f"all {len(keys)} acknowledged writes are back after SIGKILL and restart "
                         "(rendered AOF settings)",
                         f"{len(acked)} acknowledged, {len(lost)} lost: {lost[:3]}", pod=name, started=t0)
        if self.backup_cronjob():
            self.check_backup(len(keys))
        self.pod.stop("redis")

    def check_tls(self, name: str, w: World) -> None:
        t0 = time.monotonic()
        try:
            with Conn(self.pod.ip, self.port, password=self.password, timeout=3) as cn:
                got = repr(cn.call("PING"))
        except (OSError, RedisError, ValueError) as e:
            got = ""
            why = f"{type(e).__name__}: {e}"
        self.scope.check("standalone.tls-plaintext-closed", got == "",
                         f"a plaintext client gets no answer on port {self.port} (`--port 0`, TLS only)",
                         f"answered {got}" if got else why, pod=name, started=t0)
        t0 = time.monotonic()
        try:
            with self.conn(self.password, TlsFiles(w.ca.files("client")[0])) as cn:
                got = repr(cn.call("PING"))
        except (OSError, RedisError, ValueError) as e:
            got = ""
            why = f"{type(e).__name__}: {e}"
        self.scope.check("standalone.tls-client-cert-required", got == "",
                         "a TLS client without a certificate is refused (`--tls-auth-clients yes`)",
                         f"answered {got}" if got else why, pod=name, started=t0)

    def backup_cronjob(self) -> dict | None:
        return next((cj for cj in find_all(self.objects, "CronJob")
                     if cj["metadata"]["labels"].get("app.kubernetes.io/component") == "backup"), None)

    def check_backup(self, written: int) -> None:
        cj = self.backup_cronjob()
        job = cj["spec"]["jobTemplate"]["spec"]
        vols = job["template"]["spec"]["volumes"]
        claim = next(v["persistentVolumeClaim"]["claimName"] for v in vols if "persistentVolumeClaim" in v)
        t0 = time.monotonic()
        code, log = run_job(self.w, job, "backup-1", timeout=90)
        d = self.w.claim(claim, None)
        dumps = sorted(d.glob("redis-*.rdb"))
        keys = None
        if len(dumps) == 1:
            out = subprocess.run(["redis-check-rdb", str(dumps[0])], capture_output=True, text=True)
            m = re.search(r"(\d+) keys read", out.stdout)
            keys = int(m.group(1)) if out.returncode == 0 and m else None
        self.scope.check("standalone.backup", code == 0 and len(dumps) == 1 and keys == written,
                         f"backup.sh dials the Service{' over TLS' if self.tls_on else ''}, finds a primary and "
                         f"writes one dump that redis-check-rdb loads with the {written} keys written",
                         f"exit {code}, dumps {[f.name for f in dumps]}, keys {keys}; {log[-300:]}",
                         pod="backup-1", started=t0)

        # A replica behind the Service (a stale endpoint, a pod mid-failover): nothing saved.
        t0 = time.monotonic()
        with self.conn(self.password) as cn:
            # An address nobody answers on: the pod stays a replica that never syncs.
            cn.call("REPLICAOF", "192.0.2.1", "6379")
        try:
            code, log = run_job(self.w, job, "backup-2", timeout=90)
        finally:
            with self.conn(self.password) as cn:
                cn.call("REPLICAOF", "NO", "ONE")
        after = sorted(d.glob("redis-*"))
        self.scope.check("standalone.backup-refuses-replica", code != 0 and after == dumps,
                         "with a replica behind the Service, backup.sh saves nothing and exits non-zero",
                         f"exit {code}, files {[f.name for f in after]}; {log[-300:]}", pod="backup-2", started=t0)
