"""The Sentinel shapes, live: OT-CONTAINER-KIT (platform-kv), Spotahome (wal-failover) and
the Bitnami `redis` chart with Sentinel (bitnami-redis).

rkv does not render these pods: an operator or the chart makes them from what rkv renders
(RedisReplication + RedisSentinel, RedisFailover, Helm values). So each builder below writes
the Redis and Sentinel configuration the way that operator or chart writes it, filled with
the values rkv rendered, and does at start what the operator does (make a primary, point
the Sentinels at it). What is derived from where:

- OT-CONTAINER-KIT (redis-operator v0.x, images quay.io/opstree/redis*):
  * redis.conf: the lines OT-CONTAINER-KIT/redis `entrypoint.sh` appends - `protected-mode
    no` without REDIS_PASSWORD; with PERSISTENCE_ENABLED (pkg/k8sutils/statefulset.go sets it
    when storage is set) `save 900 1`, `save 300 10`, `save 60 10000`, `appendonly yes`,
    `appendfilename "appendonly.aof"`, `dir /data`; then `include` of the additional config
    file at /etc/redis/external.conf.d/redis-additional.conf, which is rkv's rendered
    ConfigMap (`spec.redisConfig.additionalRedisConfig`), used unmodified. The image's own
    base redis.conf (bind, pidfile, tcp-keepalive) is not reproduced.
  * replication: the operator makes the first pod the primary and the others `REPLICAOF` it
    (pkg/k8sutils/redis.go).
  * sentinel.conf: OT-CONTAINER-KIT/redis `entrypoint-sentinel.sh` - `protected-mode no`,
    `sentinel monitor $MASTER_GROUP_NAME $IP $PORT $QUORUM`, `down-after-milliseconds`,
    `parallel-syncs`, `failover-timeout`, `resolve-hostnames no`, `announce-hostnames no`,
    `port 26379`, the env vars filled from the rendered RedisSentinel `redisSentinelConfig`
    (pkg/k8sutils/redis-sentinel.go getSentinelEnvVariable; IP is the primary's pod IP).
- Spotahome (spotahome/redis-operator):
  * redis.conf: operator/redisfailover/service/generator.go `redisConfigTemplate` -
    `slaveof 127.0.0.1 <port>`, `port`, `tcp-keepalive 60`, `save 900 1`, `save 300 10`,
    `user pinger -@all +ping on >pingpass`; command `redis-server /redis/redis.conf`.
    The image is docker-library `redis:7.2`, built with protected-mode off by default
    (docker-library/redis patches CONFIG_DEFAULT_PROTECTED_MODE); Debian's binary defaults
    it on, so `--protected-mode no` stands in for that build default.
  * the rendered `spec.redis.customConfig` is applied by `CONFIG SET` after start
    (service/redis/client.go SetCustomRedisConfig); the primary is made with `SLAVEOF NO
    ONE`, the others `SLAVEOF <primary> <port>` (operator/redisfailover/service/heal.go).
  * sentinel.conf: generator.go `sentinelConfigTemplate` (monitor mymaster 127.0.0.1 <port>
    2, down-after 1000, failover-timeout 3000, parallel-syncs 2), copied to a writable dir and
    run with `redis-server /redis/sentinel.conf --sentinel`; the operator then sends
    `SENTINEL REMOVE mymaster`, `SENTINEL MONITOR mymaster <primary> <port> <quorum>` with
    quorum = sentinels/2 + 1 (getQuorum), and `SENTINEL SET mymaster <k> <v>` for each
    rendered `spec.sentinel.customConfig` line (SetCustomSentinelConfig).
- Bitnami `redis` chart 23 (bitnami/charts bitnami/redis/templates):
  * configmap.yaml: redis.conf = `commonConfiguration`, master.conf / replica.conf =
    `dir <persistence.path>`; sentinel.conf = `dir "/tmp"`, `port 26379`, `sentinel monitor
    <masterSet> <fullname>-node-0.<fullname>-headless.<ns>.svc.<clusterDomain> 6379 <quorum>`,
    down-after / failover-timeout / parallel-syncs from `sentinel.*`.
  * scripts-configmap.yaml start-node.sh: the first node (alone in the headless Service) is
    the primary; the others start `--slaveof <primary> 6379`; args `--port 6379
    --requirepass <pw> --masterauth <pw> --include master.conf|replica.conf --include
    redis.conf`; replicas announce `replica-announce-ip <pod>.<headless>`.
  * start-sentinel.sh: appends `sentinel auth-pass`, `requirepass` (auth.sentinel),
    `sentinel myid <sha1(hostname)>`, `known-sentinel` / `known-replica` lines,
    `announce-hostnames yes`, `resolve-hostnames yes`, `announce-port`, `announce-ip`.
  Chart defaults (masterSet, ports, paths, clusterDomain) come from the chart's values.yaml
  in ../shared/helm; rkv's rendered values override them.

What it proves, each a named check (one fresh deployment per scenario, side by side):
- sentinel.boot / sentinel.config: pods start; every Sentinel reports the quorum,
  down-after, failover-timeout and parallel-syncs rkv rendered for the master name rendered;
- sentinel.failover: kill the primary; a replica is promoted within down-after + failover
  timeout;
- sentinel.failover-pdb-allows: with as many Sentinels stopped as the rendered Sentinel PDB
  lets go, a failover still happens within that bound;
- sentinel.no-failover-beyond-pdb: with one more stopped, none happens;
- sentinel.backup-primary (a profile with `backup`: bitnami-redis): after a failover the
  rendered backup CronJob asks Sentinel for the primary and saves the new one.
"""

from __future__ import annotations

import hashlib
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

import yaml

import common
import k8s
import suite_rules
from harness import Abort, Scope, World, find, find_all, poll, run_job
from resp import Conn


@dataclass
class Node:
    pod: object
    redis: str = "redis"          # container name of redis-server
    sentinel: str | None = None   # container name of the Sentinel, when in this pod


@dataclass
class Deployment:
    world: World
    redis: list[Node]
    sentinels: list[Node]
    password: str | None
    sentinel_password: str | None
    port: int = 6379
    sentinel_port: int = 26379


@dataclass
class Shape:
    label: str
    master: str
    quorum: int
    down_after_ms: int
    failover_timeout_ms: int
    parallel_syncs: int
    # Sentinels the rendered PDB lets go at once.
    stoppable: int
    build: Callable[[World], Deployment]
    objects: list[dict] = field(default_factory=list)
    # Bitnami: evicting a pod takes its Sentinel and its Redis.
    eviction_takes_pod: bool = False
    rules: dict | None = None
    # redis.conf lines rkv rendered that every Redis of the shape must run with.
    redis_conf: str = ""
    expected_master: str | None = None
    # What the spec (profiles/<name>.yaml) asks of every Sentinel, for the values it states.
    expected: dict = field(default_factory=dict)
    # The Service the rendered backup asks for the primary (`<host>.<ns>.svc`), when the
    # profile renders a backup.
    sentinel_service: str | None = None


def profile_sentinel(profile: str) -> tuple[str | None, dict]:
    """(master name, {sentinel setting: value}) as the spec states them: the intent the
    rendered CR or values must carry all the way to the running Sentinels."""
    spec = yaml.safe_load((common.ROOT / "profiles" / profile).read_text())["spec"]["shape"]
    shape = spec.get("replication") or spec.get("failover") or {}
    s = shape.get("sentinel") or {}
    names = {"quorum": "quorum", "downAfterMs": "down-after-milliseconds",
             "failoverTimeoutMs": "failover-timeout", "parallelSyncs": "parallel-syncs"}
    return s.get("masterName"), {v: s[k] for k, v in names.items() if k in s}


UNITS = {"kb": 1000, "k": 1000, "mb": 1000**2, "m": 1000**2, "gb": 1000**3, "g": 1000**3}
UNITS_B = {"kb": 1024, "mb": 1024**2, "gb": 1024**3}


def normal(value: str) -> str:
    """A redis.conf value as CONFIG GET reports it (memory units in bytes, quotes dropped)."""
    v = value.strip().strip('"')
    low = v.lower()
    for suffix, mult in list(UNITS_B.items()) + list(UNITS.items()):
        if low.endswith(suffix) and low[: -len(suffix)].isdigit():
            return str(int(low[: -len(suffix)]) * mult)
    return v


def conf_settings(text: str) -> dict[str, str]:
    """The settings a redis.conf text leaves in force (later lines win; `save` lines add
    up after a `save ""`)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or line.startswith("include"):
            continue
        key, _, value = line.partition(" ")
        key = key.lower()
        if key == "save":
            value = value.strip().strip('"')
            prev = out.get("save", "")
            out["save"] = value if not prev or not value else f"{prev} {value}"
            continue
        out[key] = normal(value)
    return out


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def add_configmap(world: World, name: str, data: dict[str, str]) -> None:
    world.objects.append({"kind": "ConfigMap", "metadata": {"name": name}, "data": data})


def security(pod_sc: dict | None, container_sc: dict | None = None) -> tuple[dict, dict]:
    return dict(pod_sc or {}), dict(container_sc or {})


# --- OT-CONTAINER-KIT ------------------------------------------------------------------

def opstree_shape(tier) -> Shape:
    tree = common.ROOT / "generated" / "platform-kv" / "base"
    objs = common.objects(tree)
    rep = find(objs, "RedisReplication")
    sen = find(objs, "RedisSentinel")
    cfg = sen["spec"]["redisSentinelConfig"]
    name = rep["metadata"]["name"]
    ns = rep["metadata"]["namespace"]
    size = rep["spec"]["clusterSize"]
    extra_cm = rep["spec"]["redisConfig"]["additionalRedisConfig"]

    def build(w: World) -> Deployment:
        w.objects.extend(objs)
        entry = ["protected-mode no", "save 900 1", "save 300 10", "save 60 10000", "appendonly yes",
                 'appendfilename "appendonly.aof"', "dir /data",
                 "include /etc/redis/external.conf.d/redis-additional.conf"]
        # The entrypoint's generated file lives in the tier at /opt/ot/redis.conf (the image
        # writes /etc/redis/redis.conf); the include path inside is the image's.
        add_configmap(w, f"{name}-entrypoint-conf", {"redis.conf": "\n".join(entry) + "\n"})
        psc = rep["spec"].get("podSecurityContext")
        csc = rep["spec"].get("securityContext")
        redis_spec = {
            "securityContext": psc,
            "containers": [{
                "name": "redis", "securityContext": {**csc, "readOnlyRootFilesystem": False},
                "command": ["redis-server", "/opt/ot/redis.conf"],
                "ports": [{"name": "redis", "containerPort": 6379}],
                "volumeMounts": [
                    {"name": "conf", "mountPath": "/opt/ot", "readOnly": True},
                    {"name": "external", "mountPath": "/etc/redis/external.conf.d", "readOnly": True},
                    {"name": f"{name}", "mountPath": "/data"},
                ],
            }],
            "volumes": [
                {"name": "conf", "configMap": {"name": f"{name}-entrypoint-conf"}},
                {"name": "external", "configMap": {"name": extra_cm}},
            ],
        }
        redis = []
        for i in range(size):
            pod = w.pod(f"{name}-{i}", redis_spec, namespace=ns)
            pod.claim_template(name, f"{name}-{name}-{i}")
            pod.start("redis")
            redis.append(Node(pod))
        wait_ping(redis, None, 6379)
        master = redis[0].pod
        for n in redis[1:]:
            cli(n.pod, "redis", None, 6379, "REPLICAOF", master.ip, "6379")
        conf = "\n".join([
            "protected-mode no",
            f"sentinel monitor {cfg['masterGroupName']} {master.ip} {cfg['redisPort']} {cfg['quorum']}",
            f"sentinel down-after-milliseconds {cfg['masterGroupName']} {cfg['downAfterMilliseconds']}",
            f"sentinel parallel-syncs {cfg['masterGroupName']} {cfg['parallelSyncs']}",
            f"sentinel failover-timeout {cfg['masterGroupName']} {cfg['failoverTimeout']}",
            "SENTINEL resolve-hostnames no", "SENTINEL announce-hostnames no", "port 26379", "dir /tmp",
        ]) + "\n"
        sentinels = []
        for i in range(sen["spec"]["clusterSize"]):
            pod = sentinel_pod(w, f"{name}-sentinel-{i}", ns, conf, sen["spec"].get("podSecurityContext"),
                               ["redis-server", "/etc/redis/sentinel.conf", "--sentinel"])
            sentinels.append(Node(pod, redis="sentinel", sentinel="sentinel"))
        return Deployment(w, redis, sentinels, None, None)

    pdb = sen["spec"]["pdb"]
    shape = Shape("platform-kv/base", cfg["masterGroupName"], int(cfg["quorum"]), int(cfg["downAfterMilliseconds"]),
                 int(cfg["failoverTimeout"]), int(cfg["parallelSyncs"]),
                 sen["spec"]["clusterSize"] - pdb["minAvailable"], build)
    shape.expected_master, shape.expected = profile_sentinel("platform-kv.yaml")
    shape.redis_conf = next(iter(find(objs, "ConfigMap", extra_cm)["data"].values()))
    return shape


def sentinel_pod(w: World, name: str, ns: str, conf: str, psc: dict | None, argv: list[str],
                 path: str = "/etc/redis"):
    """A Sentinel pod whose config file is copied into a writable dir at start (Sentinel
    rewrites its config), as every one of the three does."""
    add_configmap(w, f"{name}-conf", {"sentinel.conf": conf})
    spec = {
        "securityContext": psc,
        "containers": [{
            "name": "sentinel",
            "command": ["sh", "-c", f'cp /conf/sentinel.conf {path}/sentinel.conf && exec "$@"', "sentinel", *argv],
            "ports": [{"name": "sentinel", "containerPort": 26379}],
            "volumeMounts": [{"name": "conf", "mountPath": "/conf", "readOnly": True},
                             {"name": "writable", "mountPath": path}],
        }],
        "volumes": [{"name": "conf", "configMap": {"name": f"{name}-conf"}},
                    {"name": "writable", "emptyDir": {}}],
    }
    pod = w.pod(name, spec, namespace=ns)
    pod.start("sentinel")
    return pod


# --- Spotahome ---------------------------------------------------------------------------

def spotahome_shape(tier) -> Shape:
    tree = common.ROOT / "generated" / "wal-failover" / "clusters" / "dc" / "apps" / "redis"
    objs = common.objects(tree)
    rf = find(objs, "RedisFailover")
    name = rf["metadata"]["name"]
    ns = rf["metadata"]["namespace"]
    port = rf["spec"]["redis"].get("port", 6379)
    sentinels = rf["spec"]["sentinel"]["replicas"]
    quorum = sentinels // 2 + 1  # getQuorum: the CR has no quorum field
    custom = {l.split(" ", 1)[0]: l.split(" ", 1)[1] for l in rf["spec"]["sentinel"].get("customConfig") or []}
    pdb = find(objs, "PodDisruptionBudget", f"{name}-sentinel")

    def build(w: World) -> Deployment:
        w.objects.extend(objs)
        conf = "\n".join([f"slaveof 127.0.0.1 {port}", f"port {port}", "tcp-keepalive 60", "save 900 1",
                          "save 300 10", "user pinger -@all +ping on >pingpass"]) + "\n"
        add_configmap(w, f"rfr-{name}", {"redis.conf": conf})
        r = rf["spec"]["redis"]
        spec = {
            "securityContext": r.get("securityContext"),
            "containers": [{
                "name": "redis", "securityContext": r.get("containerSecurityContext"),
                "command": ["redis-server", "/redis/redis.conf", "--protected-mode", "no"],
                "ports": [{"name": "redis", "containerPort": port}],
                "volumeMounts": [{"name": "redis-config", "mountPath": "/redis", "readOnly": True},
                                 {"name": "redis-data", "mountPath": "/data"}],
            }],
            "volumes": [{"name": "redis-config", "configMap": {"name": f"rfr-{name}"}}],
        }
        redis = []
        for i in range(r["replicas"]):
            pod = w.pod(f"rfr-{name}-{i}", spec, namespace=ns)
            pod.claim_template("redis-data", f"redis-data-rfr-{name}-{i}")
            pod.start("redis", workdir="/data")
            redis.append(Node(pod))
        wait_ping(redis, None, port)
        master = redis[0].pod
        cli(master, "redis", None, port, "SLAVEOF", "NO", "ONE")
        for n in redis[1:]:
            cli(n.pod, "redis", None, port, "SLAVEOF", master.ip, str(port))
        for n in redis:
            for line in r.get("customConfig") or []:
                k, v = line.split(" ", 1)
                cli(n.pod, "redis", None, port, "CONFIG", "SET", k, v)
        sconf = (f"sentinel monitor mymaster 127.0.0.1 {port} 2\nsentinel down-after-milliseconds mymaster 1000\n"
                 "sentinel failover-timeout mymaster 3000\nsentinel parallel-syncs mymaster 2\n")
        s = rf["spec"]["sentinel"]
        sents = []
        for i in range(sentinels):
            pod = sentinel_pod(w, f"rfs-{name}-{i}", ns, sconf, s.get("securityContext"),
                               ["redis-server", "/redis/sentinel.conf", "--sentinel"], path="/redis")
            sents.append(Node(pod, redis="sentinel", sentinel="sentinel"))
        wait_ping(sents, None, 26379, container="sentinel")
        for n in sents:
            cli(n.pod, "sentinel", None, 26379, "SENTINEL", "REMOVE", "mymaster", check=False)
            cli(n.pod, "sentinel", None, 26379, "SENTINEL", "MONITOR", "mymaster", master.ip, str(port), str(quorum))
            for k, v in custom.items():
                cli(n.pod, "sentinel", None, 26379, "SENTINEL", "SET", "mymaster", k, v)
        return Deployment(w, redis, sents, None, None, port=port)

    shape = Shape("wal-failover/dc", "mymaster", quorum, int(custom["down-after-milliseconds"]),
                  int(custom["failover-timeout"]), int(custom["parallel-syncs"]),
                  sentinels - pdb["spec"]["minAvailable"], build)
    shape.expected_master, shape.expected = profile_sentinel("wal-failover.yaml")
    shape.redis_conf = "\n".join(rf["spec"]["redis"].get("customConfig") or [])
    return shape


# --- Bitnami -----------------------------------------------------------------------------

def merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def bitnami_shape(tier) -> Shape:
    helm = common.ROOT / "generated" / "bitnami-redis" / "helm"
    rendered = yaml.safe_load((helm / "values.yaml").read_text())
    defaults = yaml.safe_load((common.ROOT.parent / "shared" / "helm" / "bitnami-redis-23.1.1.values.yaml").read_text())
    v = merge(defaults, rendered)
    release = yaml.safe_load((helm / "helmrelease-redis.yaml").read_text())
    ns = release["spec"].get("targetNamespace") or release["metadata"]["namespace"]
    full = v.get("fullnameOverride") or release["spec"]["releaseName"]
    s = v["sentinel"]
    master_set = s["masterSet"]
    port = v["replica"]["containerPorts"]["redis"]
    sport = s["containerPorts"]["sentinel"]
    headless = f"{full}-headless.{ns}.svc.{v['clusterDomain']}"
    nodes = v["replica"]["replicaCount"]
    secret = v["auth"].get("existingSecret") or full
    key = v["auth"].get("existingSecretPasswordKey") or "redis-password"

    def fqdn(i: int) -> str:
        return f"{full}-node-{i}.{headless}"

    def build(w: World) -> Deployment:
        pw = k8s.make_secrets(w, [{"kind": "Deployment", "spec": {"template": {"spec": {"containers": [
            {"name": "x", "env": [{"name": "P", "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}]}]}}}}],
            {}, [])
        password = next(iter(pw.values()))
        common_conf = "# User-supplied common configuration:\n" + (v.get("commonConfiguration") or "") + \
            "\n# End of common configuration\n"
        add_configmap(w, f"{full}-configuration", {
            "redis.conf": common_conf,
            "master.conf": f"dir {v['master']['persistence']['path']}\n# User-supplied master configuration:\n"
                           "# End of master configuration\n",
            "replica.conf": f"dir {v['replica']['persistence']['path']}\n# User-supplied replica configuration:\n"
                            "# End of replica configuration\n",
        })
        pods = []
        for i in range(nodes):
            role_conf = "master.conf" if i == 0 else "replica.conf"
            argv = ["redis-server", "--port", str(port)]
            if i > 0:
                argv += ["--slaveof", fqdn(0), str(port)]
            argv += ["--requirepass", password, "--masterauth", password,
                     "--include", f"/opt/bitnami/redis/mounted-etc/{role_conf}",
                     "--include", "/opt/bitnami/redis/mounted-etc/redis.conf"]
            if i > 0:
                argv += ["--replica-announce-port", str(port), "--replica-announce-ip", fqdn(i)]
            conf = "\n".join([
                'dir "/tmp"', f"port {sport}",
                f"sentinel monitor {master_set} {fqdn(0)} {s['service']['ports']['redis']} {s['quorum']}",
                f"sentinel down-after-milliseconds {master_set} {s['downAfterMilliseconds']}",
                f"sentinel failover-timeout {master_set} {s['failoverTimeout']}",
                f"sentinel parallel-syncs {master_set} {s['parallelSyncs']}",
                f"sentinel auth-pass {master_set} {password}",
            ] + ([f"requirepass {password}"] if v["auth"].get("sentinel") else []) + [
                f"sentinel myid {sha1(f'{full}-node-{i}')}",
            ] + [f"sentinel known-sentinel {master_set} {fqdn(j)} {sport} {sha1(f'{full}-node-{j}')}"
                 for j in range(nodes) if j != i] + [
                f"sentinel known-replica {master_set} {fqdn(j)} {port}" for j in range(1, nodes)] + [
                "sentinel announce-hostnames yes", "sentinel resolve-hostnames yes",
                f"sentinel announce-port {sport}", f"sentinel announce-ip {fqdn(i)}",
            ]) + "\n"
            add_configmap(w, f"{full}-node-{i}-sentinel", {"sentinel.conf": conf})
            csc = v["replica"].get("containerSecurityContext") or {}
            psc = {k: x for k, x in (v["replica"].get("podSecurityContext") or {}).items() if k != "enabled"}
            uid = {"runAsUser": csc.get("runAsUser"), "runAsGroup": csc.get("runAsGroup")}
            spec = {
                "securityContext": psc,
                "containers": [
                    {"name": "redis", "securityContext": {**uid, "readOnlyRootFilesystem": csc.get("readOnlyRootFilesystem")},
                     "command": argv, "ports": [{"name": "redis", "containerPort": port}],
                     "volumeMounts": [{"name": "config", "mountPath": "/opt/bitnami/redis/mounted-etc", "readOnly": True},
                                      {"name": "redis-data", "mountPath": v["replica"]["persistence"]["path"]}]},
                    {"name": "sentinel", "securityContext": {**uid},
                     "command": ["sh", "-c", 'cp /opt/bitnami/redis-sentinel/mounted-etc/sentinel.conf '
                                 '/opt/bitnami/redis-sentinel/etc/sentinel.conf && exec "$@"', "sentinel",
                                 "redis-server", "/opt/bitnami/redis-sentinel/etc/sentinel.conf", "--sentinel"],
                     "ports": [{"name": "redis-sentinel", "containerPort": sport}],
                     "volumeMounts": [{"name": "sentinel-config", "mountPath": "/opt/bitnami/redis-sentinel/mounted-etc", "readOnly": True},
                                      {"name": "sentinel-data", "mountPath": "/opt/bitnami/redis-sentinel/etc"}]},
                    {"name": "metrics", "env": [
                        {"name": "REDIS_ALIAS", "value": full},
                        {"name": "REDIS_PASSWORD", "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}},
                        {"name": "REDIS_ADDR", "value": f"redis://localhost:{port}"}],
                     "ports": [{"name": "metrics", "containerPort": 9121}]},
                ],
                "volumes": [{"name": "config", "configMap": {"name": f"{full}-configuration"}},
                            {"name": "sentinel-config", "configMap": {"name": f"{full}-node-{i}-sentinel"}},
                            {"name": "sentinel-data", "emptyDir": {}}],
            }
            pod = w.pod(f"{full}-node-{i}", spec, fqdn=fqdn(i), namespace=ns)
            pod.claim_template("redis-data", f"redis-data-{full}-node-{i}")
            pods.append(pod)
        for p in pods:
            w.set_record(p.fqdn, [p.ip])
        w.set_record(headless, [p.ip for p in pods])
        for p in pods:
            p.start("redis", workdir="/data")
        wait_ping([Node(p) for p in pods], password, port)
        for p in pods:
            p.start("sentinel")
        nodes_ = [Node(p, sentinel="sentinel") for p in pods]
        return Deployment(w, nodes_, nodes_, password, password if v["auth"].get("sentinel") else None, port, sport)

    pdb_max = v["replica"]["pdb"].get("maxUnavailable", 1)
    shape = Shape("bitnami-redis/helm", master_set, s["quorum"], s["downAfterMilliseconds"], s["failoverTimeout"],
                  s["parallelSyncs"], pdb_max, build, eviction_takes_pod=True)
    shape.rules = {"groups": [{"name": f"{full}.rules", "rules": v["metrics"]["prometheusRule"]["rules"]}],
                   "namespace": ns, "full": full, "nodes": nodes, "backup": f"{full}-backup"}
    shape.expected_master, shape.expected = profile_sentinel("bitnami-redis.yaml")
    shape.redis_conf = v.get("commonConfiguration") or ""
    # The backup rkv renders beside the HelmRelease (helm/ as kustomize builds it).
    shape.objects = common.objects(helm)
    shape.sentinel_service = f"{full}.{ns}.svc"
    return shape


# --- helpers -------------------------------------------------------------------------------

def cli(pod, container: str, password: str | None, port: int, *args: str, check: bool = True) -> str:
    """redis-cli inside the pod's container, as `kubectl exec` would run it."""
    env = {"REDISCLI_AUTH": password} if password else {}
    r = pod.exec(container, ["redis-cli", "-p", str(port), *args], env_extra=env, timeout=10)
    out = (r.stdout + r.stderr).strip()
    if check and (r.returncode != 0 or out.startswith("ERR") or out.startswith("(error)")):
        raise RuntimeError(f"{pod.name}: redis-cli {' '.join(args)}: {out}")
    return out


def wait_ping(nodes: list[Node], password: str | None, port: int, container: str = "redis") -> None:
    for n in nodes:
        ok = poll(lambda n=n: Conn(n.pod.ip, port, password=password, timeout=2).call("PING") == b"PONG", 20)
        if not ok:
            raise RuntimeError(f"{n.pod.name} did not answer PING on {port}: {n.pod.log_tail(container, 5)}")


class SentinelSuite:
    def __init__(self, tier, checks, shape_of: Callable):
        self.tier = tier
        self.checks = checks
        self.shape = shape_of(tier)
        self.scope = Scope(checks, self.shape.label)

    @classmethod
    def opstree(cls, tier, checks):
        return cls(tier, checks, opstree_shape)

    @classmethod
    def spotahome(cls, tier, checks):
        return cls(tier, checks, spotahome_shape)

    @classmethod
    def bitnami(cls, tier, checks):
        return cls(tier, checks, bitnami_shape)

    # --- talking to Sentinels ---------------------------------------------------------------
    def sconn(self, d: Deployment, n: Node) -> Conn:
        return Conn(n.pod.ip, d.sentinel_port, password=d.sentinel_password, timeout=2)

    def master_of(self, d: Deployment, n: Node) -> dict[str, str]:
        with self.sconn(d, n) as c:
            r = c.call("SENTINEL", "MASTER", self.shape.master)
        return {r[i].decode(): r[i + 1].decode() for i in range(0, len(r), 2)}

    def address(self, d: Deployment, n: Node) -> str:
        with self.sconn(d, n) as c:
            r = c.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", self.shape.master)
        return r[0].decode() if r else ""

    def ip_of(self, d: Deployment, host: str) -> str:
        for n in d.redis:
            if host in (n.pod.ip, n.pod.fqdn, n.pod.name):
                return n.pod.ip
        return host

    def role(self, d: Deployment, n: Node) -> str:
        with Conn(n.pod.ip, d.port, password=d.password, timeout=2) as c:
            return c.info("replication").get("role", "")

    def discovered(self, d: Deployment, live: list[Node], replicas: int) -> str:
        for n in live:
            m = self.master_of(d, n)
            if int(m.get("num-other-sentinels", -1)) != len(d.sentinels) - 1:
                return f"{n.pod.name}: num-other-sentinels {m.get('num-other-sentinels')}"
            if int(m.get("num-slaves", -1)) < replicas:
                return f"{n.pod.name}: num-slaves {m.get('num-slaves')}"
        return ""

    def deploy(self, scenario: str) -> Deployment:
        # The rendered objects rkv places beside the pods (the backup's scripts ConfigMap).
        w = World(self.tier, f"{self.shape.label.replace('/', '-')}-{scenario}", list(self.shape.objects))
        d = self.shape.build(w)
        why = poll(lambda: self.discovered(d, d.sentinels, len(d.redis) - 1) == "", 40, 0.5)
        if not why:
            raise Abort(f"Sentinels never saw each other and the replicas: {self.discovered(d, d.sentinels, len(d.redis) - 1)}")
        return d

    def primary(self, d: Deployment, via: Node | None = None) -> Node:
        ip = self.ip_of(d, self.address(d, via or d.sentinels[0]))
        return next(n for n in d.redis if n.pod.ip == ip)

    # --- scenarios -----------------------------------------------------------------------------
    def bound(self) -> float:
        return (self.shape.down_after_ms + self.shape.failover_timeout_ms) / 1000

    def kill_and_watch(self, d: Deployment, live: list[Node], timeout: float) -> tuple[float | None, str]:
        """SIGKILL the primary's Redis; seconds until every live Sentinel names a replica as
        the master and it answers ROLE master (None if not within timeout)."""
        old = self.primary(d, live[0])
        t0 = time.monotonic()
        old.pod.stop(old.redis, signal.SIGKILL)

        def promoted():
            ips = {self.ip_of(d, self.address(d, n)) for n in live}
            if len(ips) != 1 or old.pod.ip in ips:
                return None
            new = next((n for n in d.redis if n.pod.ip in ips), None)
            return new is not None and self.role(d, new) == "master"

        ok = poll(promoted, timeout, 0.25)
        took = time.monotonic() - t0
        return (took if ok else None), old.pod.name

    def scenario_failover(self) -> None:
        d = self.deploy("failover")
        t0 = time.monotonic()
        want = self.shape.expected
        bad = []
        for n in d.sentinels:
            m = self.master_of(d, n)
            got = {k: int(m.get(k, -1)) for k in want}
            if got != want or (self.shape.expected_master and m.get("name") != self.shape.expected_master):
                bad.append(f"{n.pod.name}: {m.get('name')} {got}")
        self.scope.check("sentinel.config", not bad and bool(want),
                         f"every Sentinel watches `{self.shape.expected_master or self.shape.master}` with what the "
                         f"spec states, {want}", "; ".join(bad) or "the spec states nothing", started=t0)
        t1 = time.monotonic()
        want_conf = conf_settings(self.shape.redis_conf)
        wrong = []
        for n in d.redis:
            with Conn(n.pod.ip, d.port, password=d.password, timeout=2) as c:
                for k, v in want_conf.items():
                    got = c.call("CONFIG", "GET", k)
                    got_v = got[1].decode() if got else "<unknown>"
                    if got_v != v:
                        wrong.append(f"{n.pod.name} {k}={got_v!r} (want {v!r})")
        self.scope.check("sentinel.redis-config", bool(want_conf) and not wrong,
                         f"every Redis runs with the settings rkv rendered ({len(want_conf)}: "
                         f"{', '.join(sorted(want_conf))})", "; ".join(wrong[:4]) or "nothing rendered", started=t1)
        took, victim = self.kill_and_watch(d, d.sentinels, self.bound() + 5)
        self.scope.check("sentinel.failover", took is not None and took <= self.bound() + 2,
                         f"after the primary ({victim}) is killed a replica is promoted within down-after + "
                         f"failover-timeout = {self.bound():g}s", f"promoted after {took}s" if took else "no promotion",
                         started=t0)

    def scenario_backup(self) -> None:
        """sentinel.backup-primary: after a failover, the rendered backup CronJob asks Sentinel
        for the primary and saves that one (a loadable RDB), not the pod that was primary."""
        cj = next((c for c in find_all(self.shape.objects, "CronJob")
                   if c["metadata"]["labels"].get("app.kubernetes.io/component") == "backup"), None)
        if cj is None or self.shape.sentinel_service is None:
            return
        d = self.deploy("backup")
        t0 = time.monotonic()
        took, victim = self.kill_and_watch(d, d.sentinels, self.bound() + 5)
        if took is None:
            raise Abort("no failover before the backup")
        new = self.primary(d, d.sentinels[-1])
        # The Sentinel Service: the tier has no kube-proxy; any Sentinel answers for it.
        live = next(n for n in d.sentinels if n.pod is not new.pod)
        d.world.set_record(self.shape.sentinel_service, [live.pod.ip])
        code, log = run_job(d.world, cj["spec"]["jobTemplate"]["spec"], "backup-1", timeout=90)
        vols = cj["spec"]["jobTemplate"]["spec"]["template"]["spec"]["volumes"]
        claim = next(v["persistentVolumeClaim"]["claimName"] for v in vols if "persistentVolumeClaim" in v)
        dumps = sorted(d.world.claim(claim, None).glob("redis-*.rdb"))
        loads = bool(dumps) and subprocess.run(["redis-check-rdb", str(dumps[0])], capture_output=True).returncode == 0
        saved = f"saved the primary {new.pod.fqdn}" in log
        self.scope.check("sentinel.backup-primary", code == 0 and len(dumps) == 1 and loads and saved,
                         f"after {victim} fails over, backup.sh asks Sentinel and saves the new primary "
                         f"({new.pod.name}): exit 0, one dump that redis-check-rdb loads",
                         f"exit {code}, dumps {[f.name for f in dumps]}, loads {loads}; {log[-400:]}",
                         started=t0)

    def stop_sentinels(self, d: Deployment, count: int) -> list[Node]:
        """Stop `count` Sentinels, never the primary's pod (its Redis is killed next)."""
        primary = self.primary(d)
        victims = [n for n in d.sentinels if n.pod is not primary.pod][:count]
        for n in victims:
            if self.shape.eviction_takes_pod and count <= self.shape.stoppable:
                n.pod.stop_all()  # an eviction: the pod's Redis and Sentinel go together
            else:
                n.pod.stop(n.sentinel or "sentinel")
        return victims

    def scenario_pdb_allows(self) -> None:
        d = self.deploy("pdb")
        t0 = time.monotonic()
        k = self.shape.stoppable
        victims = self.stop_sentinels(d, k)
        live = [n for n in d.sentinels if n not in victims]
        took, victim = self.kill_and_watch(d, live, self.bound() + 5)
        self.scope.check("sentinel.failover-pdb-allows", took is not None and took <= self.bound() + 2,
                         f"with {k} Sentinel(s) stopped ({', '.join(n.pod.name for n in victims)}, what the PDB "
                         f"allows) killing the primary ({victim}) still promotes a replica within {self.bound():g}s",
                         f"promoted after {took}s" if took else "no promotion", started=t0)

    def scenario_beyond_pdb(self) -> None:
        d = self.deploy("beyond")
        t0 = time.monotonic()
        k = self.shape.stoppable + 1
        victims = self.stop_sentinels(d, k)
        live = [n for n in d.sentinels if n not in victims]
        old = self.primary(d, live[0])
        # Watch past the point where a failover would have happened with a majority: down-after
        # plus the election (a few seconds); Sentinels cannot reach quorum, so none starts.
        watch = self.shape.down_after_ms / 1000 + 12
        took, victim = self.kill_and_watch(d, live, watch)
        still = all(self.ip_of(d, self.address(d, n)) == old.pod.ip for n in live)
        self.scope.check("sentinel.no-failover-beyond-pdb", took is None and still,
                         f"with {k} Sentinels stopped (one more than the PDB allows) killing the primary "
                         f"({victim}) promotes nothing for {watch:g}s (down-after + 12s)",
                         f"promoted after {took}s" if took else "Sentinels moved the master", started=t0)

    def scenario_rules(self) -> None:
        """Bitnami: the chart's exporter against a node, then promtool on the rule values."""
        if not self.shape.rules:
            return
        d = self.deploy("metrics")
        node = d.redis[0].pod
        t0 = time.monotonic()
        node.start("metrics", argv=["prometheus-redis-exporter"])
        text = poll(lambda: (lambda t: t if "redis_up" in t else None)(
            suite_rules.scrape(f"http://{node.ip}:9121/metrics")), 20, 0.3) or ""
        self.scope.check("monitoring.exporter-up", suite_rules.value(text, "redis_up") == 1.0,
                         "redis_exporter with the chart's metrics env reports redis_up 1", text[:200],
                         pod=node.name, started=t0)
        r = self.shape.rules
        rules = suite_rules.RuleSet(r["groups"])
        d_ = self.tier.work / f"rules-{self.shape.label.replace('/', '-')}"
        f = suite_rules.promtool_check(self.scope, rules, d_, r["full"])
        suite_rules.check_metrics_exist(self.scope, rules, text, r["full"])
        suite_rules.promtool_test(self.scope, rules, f, suite_rules.bitnami_cases(rules, text, r["namespace"],
                                                                                  r["full"], r["nodes"],
                                                                                  r.get("backup")))

    def run(self) -> None:
        errors: list[str] = []

        def guard(fn):
            def go():
                try:
                    fn()
                except Abort as e:
                    errors.append(str(e))
                except Exception as e:  # noqa: BLE001 - reported as a failed check below
                    errors.append(f"{fn.__name__}: {type(e).__name__}: {e}")
            return go

        threads = [threading.Thread(target=guard(f)) for f in
                   (self.scenario_failover, self.scenario_pdb_allows, self.scenario_beyond_pdb, self.scenario_rules,
                    self.scenario_backup)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for e in errors:
            self.scope.check("sentinel.scenario", False, "the scenario runs to its checks", e)
