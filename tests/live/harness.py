"""The machinery of the live tier: pods as processes, checks as named results.

What goes in: Kubernetes objects as a cluster would receive them (from `kubectl kustomize`),
Secrets the test makes, and the Debian binaries of Redis, redis-cli, redis_exporter.
What comes out: running "pods" whose containers run the rendered command and args, and a
list of named check results.

How a pod is made, and why (DESIGN.md "The live tier"):
- The whole tier runs in its own mount, network and PID namespaces (scripts/live starts it
  with `unshare`): nothing on the machine outside changes, and when the tier's first process
  exits for any reason the kernel kills every process it started.
- Each pod gets a network namespace of its own (a "pause" process holds it, as in
  Kubernetes), a veth on a private bridge and one address on it. So `127.0.0.1` and
  `localhost` inside a pod are that pod, as the kubelet's probes and a sidecar exporter
  expect, and every cluster-bus connection comes from the pod's own address: no
  `--bind`/`--bind-source-addr` has to be added to the rendered arguments.
- Each container starts in a mount namespace of its own, chrooted into a small root whose
  `/usr`, `/etc` are the machine's, with its volumes bind-mounted at the `mountPath`s the
  manifest gives (ConfigMap data, test-made Secrets, per-claim data directories, emptyDirs),
  its own `/etc/hosts` (the pod and Service DNS names of its "cluster") and, when the manifest
  asks, a read-only root. It runs as the manifest's runAsUser/runAsGroup with fsGroup as a
  supplementary group, from the rendered `command` + `args` with `$(VAR)` expanded from its
  `env` as the kubelet does.
"""

from __future__ import annotations

import itertools
import os
import re
import secrets as pysecrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

ROOTFS_DIRS = ("usr", "etc", "dev", "proc", "sys")
ROOTFS_LINKS = {"bin": "usr/bin", "sbin": "usr/sbin", "lib": "usr/lib", "lib64": "usr/lib64"}
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
BRIDGE = "rkvlive0"
SUBNET = "10.77"


class Abort(Exception):
    """A failed check that leaves nothing to test after it in its suite."""


# --- checks -------------------------------------------------------------------------

@dataclass
class Result:
    name: str
    where: str
    ok: bool
    detail: str
    seconds: float


class Checks:
    """Named results. Every failure says the profile, variant, pod and what was expected."""

    def __init__(self) -> None:
        self.results: list[Result] = []
        self.lock = threading.Lock()

    def record(self, name: str, where: str, ok: bool, detail: str, started: float) -> bool:
        r = Result(name, where, ok, detail, time.monotonic() - started)
        with self.lock:
            self.results.append(r)
            mark = "ok  " if ok else "FAIL"
            print(f"live: {mark} {name} [{where}] {detail} ({r.seconds:.1f}s)", flush=True)
        return ok


class Scope:
    """The place checks are made from: `profile/variant` plus an optional pod."""

    def __init__(self, checks: Checks, where: str):
        self.checks = checks
        self.where = where

    def check(self, name: str, ok: bool, expected: str, got: str = "", *, pod: str | None = None,
              started: float | None = None, fatal: bool = False) -> bool:
        where = f"{self.where} pod {pod}" if pod else self.where
        detail = expected if ok else f"expected {expected}; got {got}"
        self.checks.record(name, where, ok, detail, started or time.monotonic())
        if not ok and fatal:
            raise Abort(f"{name} [{where}]: expected {expected}; got {got}")
        return ok


def poll(what: Callable[[], object], timeout: float, interval: float = 0.2):
    """Call `what` until it returns something truthy or the timeout passes; return the last
    value (falsy on timeout). Exceptions count as "not yet"."""
    deadline = time.monotonic() + timeout
    last: object = None
    while True:
        try:
            last = what()
        except Exception:  # noqa: BLE001 - a pod that is not up yet raises
            last = None
        if last:
            return last
        if time.monotonic() >= deadline:
            return last
        time.sleep(interval)


# --- Kubernetes objects -------------------------------------------------------------

def kustomize(kubectl: Path, directory: Path) -> list[dict]:
    """Objects of one overlay exactly as `kubectl apply -k` would send them."""
    import yaml

    out = subprocess.run([str(kubectl), "kustomize", str(directory)], check=True,
                         capture_output=True, text=True).stdout
    return [d for d in yaml.safe_load_all(out) if d]


def find(objects: list[dict], kind: str, name: str | None = None) -> dict:
    for o in objects:
        if o.get("kind") == kind and (name is None or o["metadata"]["name"] == name):
            return o
    raise KeyError(f"no {kind} {name or ''} in the rendered objects")


def find_all(objects: list[dict], kind: str) -> list[dict]:
    return [o for o in objects if o.get("kind") == kind]


_VAR = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


def expand(text: str, env: dict[str, str]) -> str:
    """The kubelet's `$(VAR)` expansion: defined names are replaced, `$$` is a literal `$`,
    undefined references stay as written."""

    def sub(m: re.Match) -> str:
        if m.group(0) == "$$":
            return "$"
        return env.get(m.group(1), m.group(0))

    return _VAR.sub(sub, text)


# --- the tier: network, root filesystem, processes -----------------------------------

def sh(*args: str, check: bool = True, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), check=check, capture_output=True, text=True, **kw)


class Tier:
    """Everything shared by the suites: the bridge, the chroot root, the process registry."""

    def __init__(self, work: Path):
        self.work = work
        self.root = work / "rootfs"
        self.ips = itertools.count(10)
        self.veths = itertools.count(1)
        self.procs: list[subprocess.Popen] = []
        self.lock = threading.Lock()

    def setup(self) -> None:
        sh("ip", "link", "set", "lo", "up")
        sh("ip", "link", "add", BRIDGE, "type", "bridge")
        sh("ip", "addr", "add", f"{SUBNET}.0.1/16", "dev", BRIDGE)
        sh("ip", "link", "set", BRIDGE, "up")
        # The chroot every container starts in: a tmpfs (so mount points can be made
        # without touching the machine) with the machine's programs bound in read-only.
        self.root.mkdir(parents=True)
        sh("mount", "-t", "tmpfs", "rkv-live-root", str(self.root))
        for d in ROOTFS_DIRS:
            (self.root / d).mkdir()
        for d in ("usr", "dev", "sys"):
            sh("mount", "--rbind", f"/{d}", str(self.root / d))
        # A copy, not a bind: mount points under /etc (/etc/redis/conf, ...) are made in
        # the tmpfs, never in the machine's /etc.
        (self.root / "etc").rmdir()
        sh("cp", "-a", "/etc", str(self.root / "etc"))
        # The machine's Redis package config is not part of any container image, and its
        # mode (redis:redis 2750) would hide the manifests' /etc/redis/* mount points.
        shutil.rmtree(self.root / "etc" / "redis", ignore_errors=True)
        # Cluster DNS stand-in: every name the tier knows is in each pod's /etc/hosts; any
        # other lookup (an AAAA query, a typo) must fail at once as NXDOMAIN would, not wait
        # for a resolver the pods cannot reach.
        resolv = self.root / "etc" / "resolv.conf"
        if resolv.is_symlink() or resolv.exists():
            resolv.unlink()
        resolv.write_text("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
        sh("mount", "-t", "proc", "proc", str(self.root / "proc"))
        for link, target in ROOTFS_LINKS.items():
            (self.root / link).symlink_to(target)
        (self.root / "tmp").mkdir(mode=0o1777)
        os.chmod(self.root / "tmp", 0o1777)

    def next_ip(self) -> str:
        with self.lock:
            n = next(self.ips)
        return f"{SUBNET}.{n // 250 + 1}.{n % 250 + 1}"

    def mountpoint(self, path: str) -> Path:
        """Make `path` exist inside the chroot root (the tmpfs, not the machine)."""
        p = self.root / path.lstrip("/")
        top = path.strip("/").split("/")[0]
        if top in ("usr", "dev", "proc", "sys", "bin", "sbin", "lib", "lib64"):
            raise ValueError(f"mount point {path} would be made on the machine, not the tier")
        with self.lock:
            # The kubelet's mount points are plain 0755 directories.
            for parent in reversed([p, *p.parents]):
                if parent == self.root or self.root not in parent.parents:
                    continue
                if not parent.exists():
                    parent.mkdir(mode=0o755)
                    os.chmod(parent, 0o755)
        return p

    def spawn(self, argv: list[str], log: Path, **kw) -> subprocess.Popen:
        out = open(log, "ab")
        p = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                             start_new_session=True, **kw)
        out.close()
        with self.lock:
            self.procs.append(p)
        return p

    def stop_all(self) -> None:
        """Stop every process the tier started (the PID namespace is the backstop)."""
        with self.lock:
            procs = list(self.procs)
        for p in procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        for p in procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass


# --- a "cluster": DNS, Secrets, volumes, pods -----------------------------------------

@dataclass
class Container:
    name: str
    spec: dict
    proc: subprocess.Popen | None = None
    log: Path | None = None


class World:
    """One Kubernetes cluster for one suite: its objects, Secrets, DNS records and pods."""

    def __init__(self, tier: Tier, name: str, objects: list[dict]):
        self.tier = tier
        self.name = name
        self.objects = objects
        self.dir = tier.work / name
        self.dir.mkdir(parents=True)
        self.secrets: dict[str, dict[str, bytes]] = {}
        self.records: dict[str, list[str]] = {}
        self.pods: dict[str, Pod] = {}
        self.claims: dict[str, Path] = {}
        self.lock = threading.Lock()

    # DNS -----------------------------------------------------------------------------
    def set_record(self, name: str, ips: list[str]) -> None:
        with self.lock:
            self.records[name] = ips
        self.write_hosts()

    def write_hosts(self) -> None:
        """Rewrite every pod's /etc/hosts in place (bind mounts keep the same inode)."""
        with self.lock:
            pods = list(self.pods.values())
            records = dict(self.records)
        for pod in pods:
            lines = ["127.0.0.1\tlocalhost", f"{pod.ip}\t{pod.fqdn or pod.name} {pod.name}"]
            for name, ips in sorted(records.items()):
                lines.extend(f"{ip}\t{name}" for ip in ips)
            text = "\n".join(lines) + "\n"
            with open(pod.hosts, "w") as f:
                f.write(text)

    # Secrets and claims -----------------------------------------------------------------
    def add_secret(self, name: str, data: dict[str, bytes | str]) -> None:
        self.secrets[name] = {k: v if isinstance(v, bytes) else v.encode() for k, v in data.items()}

    def claim(self, name: str, fs_group: int | None) -> Path:
        """A PersistentVolumeClaim's directory, kept across pod restarts."""
        with self.lock:
            if name not in self.claims:
                d = self.dir / "pvc" / name
                d.mkdir(parents=True)
                os.chmod(d, 0o755)
                self.claims[name] = d
            d = self.claims[name]
            # On every mount the kubelet makes the volume group-owned by the pod's fsGroup
            # and group-writable (fsGroupChangePolicy: Always, the default).
            if fs_group is not None:
                for p in [d, *d.rglob("*")]:
                    os.chown(p, os.lstat(p).st_uid, fs_group, follow_symlinks=False)
                    if not p.is_symlink():
                        mode = os.lstat(p).st_mode & 0o7777
                        os.chmod(p, mode | 0o060 | (0o2000 if p.is_dir() else 0) | (0o010 if p.is_dir() else 0))
            return d

    def lookup_config(self, name: str) -> dict:
        return find(self.objects, "ConfigMap", name)

    # Pods -----------------------------------------------------------------------------
    def pod(self, name: str, spec: dict, *, fqdn: str | None = None, namespace: str = "default",
            labels: dict | None = None) -> "Pod":
        p = Pod(self, name, spec, fqdn=fqdn, namespace=namespace, labels=labels or {})
        with self.lock:
            self.pods[name] = p
        p.create_sandbox()
        self.write_hosts()
        return p

    def remove_pod(self, name: str) -> None:
        with self.lock:
            p = self.pods.pop(name, None)
        if p:
            p.delete()


class Pod:
    def __init__(self, world: World, name: str, spec: dict, *, fqdn: str | None, namespace: str,
                 labels: dict):
        self.world = world
        self.tier = world.tier
        self.name = name
        self.spec = spec
        self.fqdn = fqdn
        self.namespace = namespace
        self.labels = labels
        self.dir = world.dir / "pods" / f"{name}-{pysecrets.token_hex(3)}"
        self.dir.mkdir(parents=True)
        self.hosts = self.dir / "hosts"
        self.hosts.write_text("")
        self.ip = ""
        self.sandbox: subprocess.Popen | None = None
        self.containers: dict[str, Container] = {}
        self.volumes: dict[str, Path] = {}
        sc = spec.get("securityContext") or {}
        self.fs_group = sc.get("fsGroup")
        self.materialize_volumes()

    # sandbox ---------------------------------------------------------------------------
    def create_sandbox(self, ip: str | None = None) -> None:
        """The pod's network (and UTS) namespace, held by a pause process, on the bridge."""
        self.ip = ip or self.tier.next_ip()
        hostname = self.name
        self.sandbox = self.tier.spawn(
            ["unshare", "--net", "--uts", "sh", "-c", f"hostname {hostname} && exec sleep 2147483647"],
            self.dir / "sandbox.log")
        pid = self.sandbox.pid
        poll(lambda: Path(f"/proc/{pid}/ns/net").exists()
             and os.readlink(f"/proc/{pid}/ns/net") != os.readlink("/proc/self/ns/net"), 5, 0.01)
        veth = f"rkvv{next(self.tier.veths)}"
        sh("ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", str(pid))
        sh("ip", "link", "set", veth, "master", BRIDGE, "up")
        self.veth = veth
        script = (f"ip link set lo up && ip addr add {self.ip}/16 dev eth0 && ip link set eth0 up"
                  f" && ip route add default via {SUBNET}.0.1")
        sh("nsenter", "-t", str(pid), "-n", "sh", "-c", script)

    def new_address(self) -> None:
        """A rescheduled pod: a fresh sandbox with a new IP (containers must be restarted)."""
        self.stop_all()
        self.delete_sandbox()
        self.create_sandbox()
        self.world.write_hosts()

    def delete_sandbox(self) -> None:
        if self.sandbox and self.sandbox.poll() is None:
            os.killpg(self.sandbox.pid, signal.SIGKILL)
            self.sandbox.wait()
        sh("ip", "link", "del", getattr(self, "veth", "none"), check=False)

    def delete(self) -> None:
        self.stop_all()
        self.delete_sandbox()

    # volumes ---------------------------------------------------------------------------
    def materialize_volumes(self) -> None:
        for v in self.spec.get("volumes") or []:
            name = v["name"]
            d = self.dir / "vol" / name
            if "configMap" in v:
                cm = self.world.lookup_config(v["configMap"]["name"])
                self.write_items(d, cm.get("data") or {}, v["configMap"], owner_group=None)
            elif "secret" in v:
                data = self.world.secrets.get(v["secret"]["secretName"])
                if data is None:
                    raise KeyError(f"pod {self.name} mounts Secret {v['secret']['secretName']}, "
                                   "which the test did not create")
                self.write_items(d, data, v["secret"], owner_group=self.fs_group)
            elif "emptyDir" in v:
                d.mkdir(parents=True)
                os.chmod(d, 0o777)
            elif "persistentVolumeClaim" in v:
                d = self.world.claim(v["persistentVolumeClaim"]["claimName"], self.fs_group)
            else:
                raise KeyError(f"pod {self.name}: volume {name} has a source the tier cannot make")
            self.volumes[name] = d

    def write_items(self, d: Path, data: dict, source: dict, owner_group: int | None) -> None:
        d.mkdir(parents=True)
        mode = source.get("defaultMode", 0o644)
        items = source.get("items") or [{"key": k, "path": k} for k in data]
        for it in items:
            value = data[it["key"]]
            f = d / it["path"]
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_bytes(value if isinstance(value, bytes) else value.encode())
            os.chmod(f, it.get("mode", mode))
            if owner_group is not None:
                os.chown(f, 0, owner_group)
        os.chmod(d, 0o755)

    def claim_template(self, template_name: str, claim: str) -> None:
        """A StatefulSet volumeClaimTemplate: volume `template_name` is claim `<t>-<pod>`."""
        self.volumes[template_name] = self.world.claim(claim, self.fs_group)

    # containers ------------------------------------------------------------------------
    def container_spec(self, name: str) -> dict:
        for c in self.spec.get("containers", []) + self.spec.get("initContainers", []):
            if c["name"] == name:
                return c
        raise KeyError(f"pod {self.name} has no container {name}")

    def env_of(self, c: dict, extra: dict[str, str] | None = None) -> dict[str, str]:
        """The container's environment as the kubelet resolves it, in order."""
        env: dict[str, str] = {"PATH": PATH, "HOSTNAME": self.name}
        if "HOME" not in env:
            env["HOME"] = "/"
        for e in c.get("env") or []:
            if "value" in e:
                env[e["name"]] = expand(str(e["value"]), env)
            elif "valueFrom" in e:
                vf = e["valueFrom"]
                if "secretKeyRef" in vf:
                    ref = vf["secretKeyRef"]
                    env[e["name"]] = self.world.secrets[ref["name"]][ref["key"]].decode()
                elif "fieldRef" in vf:
                    path = vf["fieldRef"]["fieldPath"]
                    env[e["name"]] = {"metadata.name": self.name,
                                      "metadata.namespace": self.namespace,
                                      "status.podIP": self.ip}[path]
                elif "configMapKeyRef" in vf:
                    ref = vf["configMapKeyRef"]
                    env[e["name"]] = self.world.lookup_config(ref["name"])["data"][ref["key"]]
                else:
                    raise KeyError(f"env {e['name']}: unsupported valueFrom {vf}")
            else:
                env[e["name"]] = ""
        env.update(extra or {})
        return env

    def user_of(self, c: dict) -> tuple[int, int]:
        psc = self.spec.get("securityContext") or {}
        csc = c.get("securityContext") or {}
        uid = csc.get("runAsUser", psc.get("runAsUser", 0))
        gid = csc.get("runAsGroup", psc.get("runAsGroup", uid))
        return uid, gid

    def wrap(self, c: dict, argv: list[str], env: dict[str, str], workdir: str = "/",
             read_only_root: bool | None = None) -> list[str]:
        """The command line that runs `argv` as container `c` of this pod."""
        mounts = []
        for m in c.get("volumeMounts") or []:
            src = self.volumes[m["name"]]
            dst = self.tier.mountpoint(m["mountPath"])
            mounts.append(f"mount --bind {src} {dst}")
            if m.get("readOnly"):
                mounts.append(f"mount -o remount,bind,ro {dst}")
        hosts = self.tier.root / "etc" / "hosts"
        if read_only_root is None:
            read_only_root = bool((c.get("securityContext") or {}).get("readOnlyRootFilesystem"))
        pre = [f"mount --bind {self.hosts} {hosts}"] + mounts
        if read_only_root:
            pre.append(f"mount -o remount,bind,ro {self.tier.root}")
        uid, gid = self.user_of(c)
        groups = [gid] + ([self.fs_group] if self.fs_group is not None else [])
        script = " && ".join(pre) + ' && exec "$@"'
        envargs = [f"{k}={v}" for k, v in env.items()]
        return ["nsenter", "-t", str(self.sandbox.pid), "-n", "-u", "--",
                "unshare", "--mount", "--propagation", "private", "--",
                "sh", "-c", script, "container",
                "chroot", f"--userspec={uid}:{gid}", "--groups=" + ",".join(map(str, groups)),
                str(self.tier.root),
                "sh", "-c", 'cd "$0" && exec "$@"', workdir,
                "env", "-i", *envargs, *argv]

    def start(self, name: str, argv: list[str] | None = None, *, workdir: str = "/",
              env_extra: dict[str, str] | None = None) -> Container:
        """Start container `name` from its rendered command + args (or `argv`)."""
        c = self.container_spec(name)
        env = self.env_of(c, env_extra)
        if argv is None:
            argv = [expand(a, env) for a in (c.get("command") or []) + (c.get("args") or [])]
        log = self.dir / f"{name}.log"
        proc = self.tier.spawn(self.wrap(c, argv, env, workdir), log)
        ct = Container(name, c, proc, log)
        self.containers[name] = ct
        return ct

    def exec(self, name: str, argv: list[str], *, timeout: float = 30,
             env_extra: dict[str, str] | None = None, stdin: str | None = None,
             c: dict | None = None) -> subprocess.CompletedProcess:
        """`kubectl exec`: run argv in container `name`'s context and wait for it."""
        c = c or self.container_spec(name)
        env = self.env_of(c, env_extra)
        return subprocess.run(self.wrap(c, argv, env), capture_output=True, text=True,
                              timeout=timeout, input=stdin)

    def run_init_containers(self, timeout: float = 30) -> list[str]:
        """Run every init container to completion, in order, as the kubelet does before a
        pod's containers start; returns the failures (name, exit code, log tail)."""
        failed = []
        for c in self.spec.get("initContainers") or []:
            ct = self.start(c["name"])
            try:
                code = ct.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.stop(c["name"], signal.SIGKILL)
                code = -1
            if code != 0:
                failed.append(f"{c['name']} exit {code}: {self.log_tail(c['name'], 3)}")
        return failed

    def processes(self) -> list[int]:
        """Every live process of the pod's running containers (each container's main
        process and its descendants)."""
        children: dict[int, list[int]] = {}
        for d in Path("/proc").iterdir():
            if not d.name.isdigit():
                continue
            try:
                ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(d.name))
        todo = [ct.proc.pid for ct in self.containers.values() if ct.proc and ct.proc.poll() is None]
        seen: list[int] = []
        while todo:
            pid = todo.pop()
            if pid not in seen:
                seen.append(pid)
                todo.extend(children.get(pid, []))
        return sorted(seen)

    def secret_exposure(self, secret: str) -> list[str]:
        """Where the pod's processes carry `secret` in their arguments or environment."""
        return secret_exposure(self.processes(), secret)

    def alive(self, name: str) -> bool:
        ct = self.containers.get(name)
        return bool(ct and ct.proc and ct.proc.poll() is None)

    def stop(self, name: str, sig: int = signal.SIGTERM, timeout: float = 30) -> int | None:
        ct = self.containers.get(name)
        if not ct or not ct.proc or ct.proc.poll() is not None:
            return ct.proc.returncode if ct and ct.proc else None
        try:
            os.killpg(ct.proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            return ct.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(ct.proc.pid, signal.SIGKILL)
            return ct.proc.wait()

    def stop_all(self, sig: int = signal.SIGTERM) -> None:
        for name in list(self.containers):
            self.stop(name, sig)

    def log_tail(self, name: str, lines: int = 15) -> str:
        ct = self.containers.get(name)
        if not ct or not ct.log or not ct.log.exists():
            return ""
        return "\n".join(ct.log.read_text(errors="replace").splitlines()[-lines:])

    # probes ----------------------------------------------------------------------------
    def probe(self, container: str, kind: str) -> tuple[bool, str]:
        """Run the container's readiness/liveness probe once, as the kubelet would."""
        c = self.container_spec(container)
        p = c.get(kind)
        if not p:
            raise KeyError(f"container {container} has no {kind}")
        timeout = p.get("timeoutSeconds", 1)
        if "exec" in p:
            try:
                r = self.exec(container, p["exec"]["command"], timeout=timeout + 2)
            except subprocess.TimeoutExpired:
                return False, f"exec probe timed out after {timeout}s"
            return r.returncode == 0, f"exit {r.returncode} {r.stdout.strip()} {r.stderr.strip()}"[:300]
        if "tcpSocket" in p:
            port = resolve_port(c, p["tcpSocket"]["port"])
            try:
                with socket.create_connection((self.ip, port), timeout=timeout):
                    return True, f"TCP connect to {self.ip}:{port} succeeded"
            except OSError as e:
                return False, f"TCP connect to {self.ip}:{port}: {e}"
        if "httpGet" in p:
            port = resolve_port(c, p["httpGet"]["port"])
            url = f"http://{self.ip}:{port}{p['httpGet'].get('path', '/')}"
            try:
                with urllib.request.urlopen(url, timeout=timeout) as resp:
                    return 200 <= resp.status < 400, f"GET {url}: {resp.status}"
            except Exception as e:  # noqa: BLE001
                return False, f"GET {url}: {e}"
        raise KeyError(f"{kind} of {container}: unsupported handler {p}")


def secret_exposure(pids: list[int], secret: str) -> list[str]:
    """Where these processes carry `secret` (or its first line) in their arguments
    (`/proc/<pid>/cmdline`, what `ps` shows every user) or environment
    (`/proc/<pid>/environ`): one line per process and place."""
    needles = {secret.encode(), secret.splitlines()[0].encode()} - {b""}
    found = []
    for pid in pids:
        for what in ("cmdline", "environ"):
            try:
                data = Path(f"/proc/{pid}/{what}").read_bytes()
            except OSError:
                continue
            if any(n in data for n in needles):
                try:
                    cmd = Path(f"/proc/{pid}/comm").read_text().strip()
                except OSError:
                    cmd = "?"
                found.append(f"pid {pid} ({cmd}) {what}")
    return found


def exposure_control(secret: str) -> bool:
    """The detector finds a secret where it is: a process holding it in its arguments and
    environment (so a clean result of `secret_exposure` means something)."""
    # Python, not `sleep 30 SECRET`: sleep refuses the extra argument and exits at once.
    p = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)", secret],
                         env={"PATH": PATH, "LEAK": secret},
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        poll(lambda: secret.encode() in Path(f"/proc/{p.pid}/cmdline").read_bytes(), 5, 0.01)
        found = secret_exposure([p.pid], secret)
        return len(found) == 2
    finally:
        p.kill()
        p.wait()


def resolve_port(c: dict, port) -> int:
    if isinstance(port, int):
        return port
    for p in c.get("ports") or []:
        if p.get("name") == port:
            return p["containerPort"]
    raise KeyError(f"container {c['name']} has no port named {port}")


def run_job(world: World, job_spec: dict, name: str, *, timeout: float,
            env_extra: dict[str, str] | None = None, path_prepend: Path | None = None
            ) -> tuple[int, str]:
    """Run a Job's pod template once to completion: (exit code, log)."""
    tmpl = job_spec["template"]
    pod = world.pod(name, tmpl["spec"], labels=(tmpl.get("metadata") or {}).get("labels"))
    try:
        c = pod.spec["containers"][0]
        extra = dict(env_extra or {})
        if path_prepend is not None:
            extra["PATH"] = f"{path_prepend}:{PATH}"
        ct = pod.start(c["name"], env_extra=extra)
        try:
            code = ct.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pod.stop(c["name"], signal.SIGKILL)
            code = -1
        log = ct.log.read_text(errors="replace") if ct.log else ""
        return code, log
    finally:
        world.remove_pod(name)
