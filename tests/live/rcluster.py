"""Talking to a running Redis Cluster from the tier: slot map, writes, reads, health.

What goes in: the suite's pods (their addresses), password and TLS files. What comes out:
the cluster's view (CLUSTER NODES parsed), keys written to the shard that owns them and
read back through the slot map, and health predicates the suites poll on. Connections
verify the server certificate against the pod's announced hostname, as a cluster client
following MOVED redirects does.
"""

from __future__ import annotations

from dataclasses import dataclass

from resp import Conn, TlsFiles


@dataclass
class Node:
    id: str
    host: str          # announced hostname (or IP)
    ip: str
    flags: set[str]
    master_id: str
    connected: bool
    slots: list[tuple[int, int]]

    @property
    def is_master(self) -> bool:
        return "master" in self.flags

    @property
    def failed(self) -> bool:
        return "fail" in self.flags or "fail?" in self.flags or "noaddr" in self.flags

    def slot_count(self) -> int:
        return sum(b - a + 1 for a, b in self.slots)


def parse_nodes(text: str) -> list[Node]:
    nodes = []
    for line in text.strip().splitlines():
        f = line.split()
        addr = f[1]
        hostpart = addr.split(",", 1)
        ip = hostpart[0].rsplit(":", 1)[0]
        host = hostpart[1] if len(hostpart) > 1 and hostpart[1] else ip
        slots = []
        for s in f[8:]:
            if s.startswith("["):
                continue  # migrating/importing markers
            a, _, b = s.partition("-")
            slots.append((int(a), int(b or a)))
        nodes.append(Node(f[0], host, ip, set(f[2].split(",")), f[3], f[7] == "connected", slots))
    return nodes


class Cluster:
    def __init__(self, pods: list, port: int, password: str | None, tls: TlsFiles | None):
        self.pods = pods
        self.port = port
        self.password = password
        self.tls = tls

    def pod_by_host(self, host: str):
        for p in self.pods:
            if host in (p.fqdn, p.name, p.ip) or host.startswith(p.name + "."):
                return p
        raise KeyError(f"no pod announces {host}")

    def conn(self, pod, timeout: float = 3.0) -> Conn:
        tls = None
        if self.tls:
            tls = TlsFiles(self.tls.ca, self.tls.cert, self.tls.key, server_name=pod.fqdn)
        return Conn(pod.ip, self.port, password=self.password, tls=tls, timeout=timeout)

    def call(self, pod, *args):
        with self.conn(pod) as c:
            return c.call(*args)

    def info(self, pod, section: str = "") -> dict[str, str]:
        with self.conn(pod) as c:
            return c.info(section)

    def nodes(self, pod) -> list[Node]:
        return parse_nodes(self.call(pod, "CLUSTER", "NODES").decode())

    def cluster_info(self, pod) -> dict[str, str]:
        return _cluster_info(self.call(pod, "CLUSTER", "INFO"))

    # slot map -------------------------------------------------------------------------
    def slot_owners(self, via) -> dict[int, object]:
        """slot -> pod that owns it as a master, per `via`'s view."""
        owners = {}
        for n in self.nodes(via):
            if n.is_master and not n.failed:
                pod = self.pod_by_host(n.host)
                for a, b in n.slots:
                    for s in range(a, b + 1):
                        owners[s] = pod
        return owners

    def write(self, keys: dict[int, bytes], value_of, via, replicas: int) -> int:
        """SET every key on the primary owning its slot, then WAIT for `replicas` copies.
        Returns how many writes were acknowledged by the primary and replicated."""
        owners = self.slot_owners(via)
        by_pod: dict[object, list[bytes]] = {}
        for slot, key in keys.items():
            by_pod.setdefault(owners[slot], []).append(key)
        acked = 0
        for pod, ks in by_pod.items():
            with self.conn(pod, timeout=10) as c:
                replies = c.pipeline([("SET", k, value_of(k)) for k in ks])
                ok = sum(1 for r in replies if r == b"OK")
                waited = c.call("WAIT", replicas, 5000) if replicas else replicas
                if waited >= replicas:
                    acked += ok
        return acked

    def read(self, keys: dict[int, bytes], value_of, via) -> tuple[int, list[str]]:
        """GET every key from the primary now owning its slot; (matches, first problems)."""
        owners = self.slot_owners(via)
        problems: list[str] = []
        good = 0
        by_pod: dict[object, list[bytes]] = {}
        for slot, key in keys.items():
            pod = owners.get(slot)
            if pod is None:
                if len(problems) < 5:
                    problems.append(f"slot {slot} has no live primary")
                continue
            by_pod.setdefault(pod, []).append(key)
        for pod, ks in by_pod.items():
            try:
                with self.conn(pod, timeout=10) as c:
                    replies = c.pipeline([("GET", k) for k in ks])
            except OSError as e:
                problems.append(f"{pod.name}: {e}")
                continue
            for k, r in zip(ks, replies):
                if r == value_of(k):
                    good += 1
                elif len(problems) < 5:
                    problems.append(f"{k.decode()} on {pod.name}: {r!r}")
        return good, problems

    # health -----------------------------------------------------------------------------
    def healthy(self, live: list, shards: int, replicas: int) -> str:
        """'' when every live pod says cluster_state:ok, knows every pod, and every shard
        has a primary with `replicas` replicas whose link is up; else what is missing."""
        for p in live:
            info = self.cluster_info(p)
            if info.get("cluster_state") != "ok":
                return f"{p.name}: cluster_state:{info.get('cluster_state')}"
            if int(info.get("cluster_known_nodes", 0)) != len(self.pods):
                return f"{p.name}: cluster_known_nodes:{info.get('cluster_known_nodes')}"
        nodes = self.nodes(live[0])
        masters = [n for n in nodes if n.is_master and n.slots and not n.failed]
        if len(masters) != shards:
            return f"{len(masters)} primaries own slots, want {shards}"
        for m in masters:
            reps = [n for n in nodes if n.master_id == m.id and not n.failed]
            if len(reps) != replicas:
                return f"primary {m.host} has {len(reps)} replicas, want {replicas}"
            for r in reps:
                info = self.info(self.pod_by_host(r.host), "replication")
                if info.get("master_link_status") != "up":
                    return f"replica {r.host}: master_link_status:{info.get('master_link_status')}"
        return ""


def _cluster_info(raw: bytes) -> dict[str, str]:
    out = {}
    for line in raw.decode().splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            out[k] = v.strip()
    return out
