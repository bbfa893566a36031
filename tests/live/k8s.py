"""Turning rendered workloads into running pods: StatefulSets, Deployments, Services, Secrets.

What goes in: a World (one suite's cluster) and its rendered objects. What comes out: pods
named and addressed as Kubernetes would (StatefulSet ordinals, `<pod>.<service>.<ns>.svc`
names, volumeClaimTemplates as per-pod claims), DNS records for Services, and the Secrets
every pod references, made by the test (random passwords, TLS material from tlsmat).
"""

from __future__ import annotations

import secrets as pysecrets
from pathlib import Path

from harness import World, find_all
from tlsmat import Authority

CLUSTER_DOMAIN = "cluster.local"


def referenced_secrets(objects: list[dict]) -> dict[str, set[str]]:
    """Every Secret (name -> keys) a rendered pod template reads through env or volumes."""
    out: dict[str, set[str]] = {}

    def visit_pod(spec: dict) -> None:
        for c in spec.get("containers", []) + spec.get("initContainers", []):
            for e in c.get("env") or []:
                ref = (e.get("valueFrom") or {}).get("secretKeyRef")
                if ref:
                    out.setdefault(ref["name"], set()).add(ref["key"])
        for v in spec.get("volumes") or []:
            if "secret" in v:
                keys = {i["key"] for i in v["secret"].get("items") or []} or {"tls.crt", "tls.key", "ca.crt"}
                out.setdefault(v["secret"]["secretName"], set()).update(keys)

    for o in objects:
        spec = o.get("spec") or {}
        if o["kind"] in ("StatefulSet", "Deployment", "Job"):
            visit_pod(spec["template"]["spec"])
        elif o["kind"] == "CronJob":
            visit_pod(spec["jobTemplate"]["spec"]["template"]["spec"])
    return out


# What a password of pods rkv renders itself may hold, and does in the tier: a space, both
# quotes, a backslash, `$(...)` and a backtick (shell and kubelet syntax), a non-ASCII letter
# and a trailing newline (`kubectl create secret --from-file` of a file written by `echo`).
# The start script, the exporter's password file and every script must pass it on exactly.
AWKWARD = " \"q\\ $(x) `y` 'z' \u00e9\n"
# The same without a space or `%`, for the Redis Cluster: `redis-cli --cluster import` (the
# restore Job) cannot pass those on, and the Job refuses them (cluster.restore.password-refused).
AWKWARD_CLUSTER = "\"q\\$(x)`y`'z'\u00e9\n"


def make_secrets(world: World, objects: list[dict], tls_roles: dict[str, str],
                 server_names: list[str], awkward: str = "") -> dict[str, str]:
    """Create every referenced Secret; return the passwords by `name/key`.

    `tls_roles` maps a TLS Secret's name to "server" or "client" (read from where the
    rendered redis.conf points). Every other key is a password: random hex followed by
    `awkward` (AWKWARD, AWKWARD_CLUSTER or nothing).
    """
    ca = Authority(world.dir / "ca")
    passwords: dict[str, str] = {}
    for name, keys in sorted(referenced_secrets(objects).items()):
        role = tls_roles.get(name)
        if role == "server":
            world.add_secret(name, ca.server(server_names))
        elif role == "client":
            world.add_secret(name, ca.client())
        else:
            data = {}
            for k in sorted(keys):
                pw = pysecrets.token_hex(16) + awkward
                passwords[f"{name}/{k}"] = pw
                data[k] = pw
            world.add_secret(name, data)
    world.ca = ca  # type: ignore[attr-defined]
    return passwords


def statefulset_pods(world: World, sts: dict) -> list:
    """Create (not start) the pods of a StatefulSet, with their claims and DNS names."""
    meta, spec = sts["metadata"], sts["spec"]
    ns = meta.get("namespace", "default")
    svc = spec["serviceName"]
    pods = []
    for i in range(spec["replicas"]):
        name = f"{meta['name']}-{i}"
        fqdn = f"{name}.{svc}.{ns}.svc.{CLUSTER_DOMAIN}"
        pod = world.pod(name, spec["template"]["spec"], fqdn=fqdn, namespace=ns,
                        labels=spec["template"]["metadata"].get("labels"))
        for t in spec.get("volumeClaimTemplates") or []:
            pod.claim_template(t["metadata"]["name"], f"{t['metadata']['name']}-{name}")
        pods.append(pod)
    publish_pod_records(world, pods, svc, ns)
    return pods


def publish_pod_records(world: World, pods: list, svc: str, ns: str) -> None:
    """The headless Service's records: each pod by name (both the FQDN and the `.svc` form a
    pod's search path resolves), and the Service name to every pod (publishNotReadyAddresses)."""
    for p in pods:
        world.set_record(f"{p.name}.{svc}.{ns}.svc.{CLUSTER_DOMAIN}", [p.ip])
        world.set_record(f"{p.name}.{svc}.{ns}.svc", [p.ip])
    ips = [p.ip for p in pods]
    world.set_record(f"{svc}.{ns}.svc.{CLUSTER_DOMAIN}", ips)
    world.set_record(f"{svc}.{ns}.svc", ips)


def service_records(world: World, objects: list[dict], pods_by_label) -> None:
    """ClusterIP Services resolve to one backing pod: the tier has no kube-proxy, and one
    endpoint is what a single connection through a Service reaches."""
    for s in find_all(objects, "Service"):
        spec = s["spec"]
        if spec.get("clusterIP") == "None":
            continue
        ns = s["metadata"].get("namespace", "default")
        backends = pods_by_label(spec.get("selector") or {})
        if backends:
            name = s["metadata"]["name"]
            world.set_record(f"{name}.{ns}.svc.{CLUSTER_DOMAIN}", [backends[0].ip])
            world.set_record(f"{name}.{ns}.svc", [backends[0].ip])


def tls_roles_from_conf(conf: str, pod_spec: dict, container: dict) -> dict[str, str]:
    """Which Secret holds the server certificate and which the client one, read from the
    paths the rendered redis.conf names and the volumes mounted there."""
    paths = {}
    for line in conf.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] in ("tls-cert-file", "tls-client-cert-file"):
            paths[parts[0]] = str(Path(parts[1]).parent)
    by_mount = {m["mountPath"]: m["name"] for m in container.get("volumeMounts") or []}
    secret_of = {v["name"]: v["secret"]["secretName"] for v in pod_spec.get("volumes") or [] if "secret" in v}
    roles = {}
    if "tls-cert-file" in paths:
        roles[secret_of[by_mount[paths["tls-cert-file"]]]] = "server"
    if "tls-client-cert-file" in paths:
        roles[secret_of[by_mount[paths["tls-client-cert-file"]]]] = "client"
    return roles
