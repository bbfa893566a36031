"""The standalone shape, live: cordum's base (one Deployment pod, AOF, requirepass).

What goes in: the rendered base tree (Deployment, PVC, Service). What it proves, each a
named check:
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
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import common
import k8s
from harness import Abort, Scope, World, find, poll
from resp import Conn, RedisError


class StandaloneSuite:
    def __init__(self, tier, checks, *, label: str, tree: Path):
        self.tier = tier
        self.scope = Scope(checks, label)
        self.label = label
        self.objects = common.objects(tree)
        self.dep = find(self.objects, "Deployment")

    def conn(self, password: str | None = None) -> Conn:
        return Conn(self.pod.ip, self.port, password=password, timeout=3)

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
        passwords = k8s.make_secrets(w, self.objects, {}, [], awkward=k8s.AWKWARD)
        self.password = next(iter(passwords.values()))
        spec = self.dep["spec"]["template"]["spec"]
        name = f"{self.dep['metadata']['name']}-0"
        self.pod = w.pod(name, spec, namespace=self.dep["metadata"]["namespace"])
        c = spec["containers"][0]
        self.port = next(p["containerPort"] for p in c["ports"] if p["name"] == "redis")
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
        self.pod.stop("redis")
