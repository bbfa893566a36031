"""checkov's Kubernetes checks over every tree the conformance tier builds.

What goes in: the built trees (`kubectl kustomize` output of each base, overlay and
cluster directory, the Helm directories included), each named by the tree it comes from,
and whether `rkv validate` reports RKV119 (a Redis pod whose Redis container has no CPU or
memory requests/limits in the spec) for that tree's spec. What it checks: checkov 3 (its
own venv, scripts/install-tools) with `--framework kubernetes` over all of them at once.
Every failed check must be on the allow-list below, each entry with its reason; anything
else is a failure. An allow-list entry that no tree fails any more is a failure too, so
the list cannot outlive its reason.

The allow-list is what the Bitnami redis chart's own output fails for the same topology
(image digests, pull policy, uid above 10000: the issue's measurement of the chart,
restated per check below), plus the requests/limits checks on the one container whose
sizing is the user's data (the Redis server, and the restore Job that loads one dump into
memory), and those only where rkv tells the user so (RKV119). rkv's own containers (the
exporter and its init container, the applier, the init/backup/retention Jobs) have
defaults, so a missing request or limit there is a failure.

What comes out: one line per unexpected failure, a summary line per allowed check, and
counts added to the conformance report.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

# Verified against checkov 3.3.30's registry (`checkov --list --framework kubernetes`) and
# its policy index: the IDs and names below are checkov's.
ALLOWED = {
    # Image should use digest. rkv renders the image the spec names; a spec that pins
    # `redis:7.2@sha256:...` passes it through unchanged. The seeds and the Bitnami chart
    # (image.tag, default a tag) name tags, and a digest rkv invented would go stale.
    "CKV_K8S_43": "image references are the spec's (tags, as the Bitnami chart's); a spec may pin a digest",
    # Image Pull Policy should be Always. rkv leaves imagePullPolicy unset (IfNotPresent for
    # a tag), as the Bitnami chart does (image.pullPolicy: IfNotPresent): with Always every
    # restart of a Redis pod, including a failover's, waits on the registry.
    "CKV_K8S_15": "pull policy IfNotPresent, as the Bitnami chart: Always makes every Redis restart depend on the registry",
    # Containers should run as a high UID (> 10000). rkv runs the image's own user (redis:7.2
    # 999, Bitnami 1001, OT 1000; the applier already runs 65532) so data volumes written by
    # the seeds' pods keep their owner; the Bitnami chart runs 1001 too.
    "CKV_K8S_40": "Redis runs as its image's uid (999/1000/1001, Bitnami 1001) so existing data volumes keep their owner",
}

# CPU requests, CPU limits, memory requests, memory limits: checkov's four resource checks.
RESOURCE_CHECKS = {"CKV_K8S_10", "CKV_K8S_11", "CKV_K8S_12", "CKV_K8S_13"}
RESOURCE_FIELD = {
    "CKV_K8S_10": ("requests", "cpu"),
    "CKV_K8S_11": ("limits", "cpu"),
    "CKV_K8S_12": ("requests", "memory"),
    "CKV_K8S_13": ("limits", "memory"),
}
# Containers sized by the user's data: Redis itself, and the restore Job's temporary
# redis-server, which holds one primary's dump in memory. rkv does not invent limits for
# them (a guessed memory limit OOM-kills a data store); RKV119 names the pod's QoS class
# and what to set instead.
DATA_CONTAINERS = {"redis", "restore"}
DATA_REASON = ("the spec sets no resources for Redis: rkv reports RKV119 (the pod's QoS class and "
               "what to set) instead of inventing limits for the user's data")

WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod", "ReplicaSet"}


def pod_spec(obj: dict) -> dict:
    spec = obj.get("spec") or {}
    if obj.get("kind") == "CronJob":
        spec = ((spec.get("jobTemplate") or {}).get("spec") or {})
    if obj.get("kind") == "Pod":
        return spec
    return ((spec.get("template") or {}).get("spec") or {})


def containers_missing(obj: dict, check: str) -> list[str]:
    """Names of the containers (and init containers) of `obj` without the field `check` asks for."""
    section, field = RESOURCE_FIELD[check]
    spec = pod_spec(obj)
    missing = []
    for c in (spec.get("initContainers") or []) + (spec.get("containers") or []):
        res = (c.get("resources") or {}).get(section) or {}
        if not res.get(field):
            missing.append(c.get("name", "?"))
    return missing


def resource_key(obj: dict) -> str:
    """checkov's resource id: `Kind.namespace.name`."""
    m = obj.get("metadata") or {}
    return f"{obj.get('kind')}.{m.get('namespace', 'default')}.{m.get('name')}"


def run(report, checkov: Path, built: list[tuple[str, str, list[dict], bool]]) -> None:
    """`built`: (tree, directory label, objects, RKV119 reported for the tree's spec)."""
    if not checkov.exists():
        report.fail("checkov", f"{checkov} missing; run scripts/install-tools")
        return
    with tempfile.TemporaryDirectory(prefix="rkv-checkov-") as tmp:
        files: dict[str, tuple[str, dict[str, dict], bool]] = {}
        for i, (tree, label, objects, rkv119) in enumerate(built):
            name = f"{i:03d}.yaml"
            text = "\n---\n".join(json.dumps(o) for o in objects)
            Path(tmp, name).write_text(text)
            files["/" + name] = (label, {resource_key(o): o for o in objects}, rkv119)
        env = dict(os.environ, BC_SKIP_MAPPING="TRUE")
        r = subprocess.run(
            [str(checkov), "-d", tmp, "--framework", "kubernetes", "-o", "json",
             "--compact", "--skip-download", "--soft-fail"],
            capture_output=True, text=True, env=env, timeout=900)
        try:
            out = json.loads(r.stdout)
        except json.JSONDecodeError:
            report.fail("checkov", f"no JSON report (exit {r.returncode}): {r.stderr[-2000:]}")
            return
    results = out if isinstance(out, list) else [out]
    passed = failed = resources = 0
    allowed_seen: dict[str, int] = {}
    for res in results:
        summary = res.get("summary") or {}
        resources += summary.get("resource_count", 0)
        passed += summary.get("passed", 0)
        for f in (res.get("results") or {}).get("failed_checks") or []:
            cid = f["check_id"]
            label, objects, rkv119 = files.get(f["file_path"], ("?", {}, False))
            what = f"checkov {cid} {label} {f['resource']}"
            if cid in ALLOWED:
                allowed_seen[cid] = allowed_seen.get(cid, 0) + 1
                continue
            if cid in RESOURCE_CHECKS:
                obj = objects.get(f["resource"])
                missing = containers_missing(obj, cid) if obj else []
                if missing and set(missing) <= DATA_CONTAINERS and rkv119:
                    allowed_seen[cid] = allowed_seen.get(cid, 0) + 1
                    continue
                if missing and set(missing) <= DATA_CONTAINERS:
                    report.fail(what, f"{f['check_name']}: container(s) {missing} and rkv reports no RKV119 for this spec")
                    failed += 1
                    continue
                report.fail(what, f"{f['check_name']}: rkv's own container(s) {missing or '?'} have no default")
                failed += 1
                continue
            report.fail(what, f['check_name'])
            failed += 1
    if resources == 0:
        report.fail("checkov", "checked no resource: a hardening check that checks nothing must not pass")
        return
    for cid in sorted(ALLOWED):
        n = allowed_seen.get(cid, 0)
        if n == 0:
            report.fail(f"checkov allow-list {cid}",
                        "no tree fails it any more: remove it from ALLOWED in scripts/checkov_tier.py")
        else:
            print(f"checkov: allowed {cid} x{n}: {ALLOWED[cid]}")
    for cid in sorted(RESOURCE_CHECKS):
        if allowed_seen.get(cid):
            print(f"checkov: allowed {cid} x{allowed_seen[cid]} on Redis data containers: {DATA_REASON}")
    if failed == 0:
        report.ok(f"checkov: {len(built)} built trees, {resources} resources, {passed} checks passed, "
                  f"{sum(allowed_seen.values())} allowed failures", verbose=True)
    print(f"checkov: {passed} passed, {failed} failed outside the allow-list, "
          f"{sum(allowed_seen.values())} allowed ({resources} resources)")
