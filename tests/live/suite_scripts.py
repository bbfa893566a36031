"""Every script rkv renders: shellcheck, and the exit status of the failure paths.

What goes in: every ConfigMap script in generated/ and in the golden cases' expected
trees, and the cordum production objects. What it proves, each a named check:
- scripts.shellcheck[<file>:<key>]: `shellcheck -s sh` is clean on the script (the pods run
  them with `sh`, which is dash or busybox, not bash), ConfigMap scripts and every inline
  `sh -c` of a container's command or exec probe;
- scripts.init-unreachable: cluster-init.sh exits 1 with the runbook-G message when a pod
  never answers PING (its 60 x 5 s wait is run with a `sleep` that returns at once: the
  attempts, the message and the exit status are the script's own);
- scripts.init-foreign-cluster: cluster-init.sh exits 1 and creates nothing over nodes that
  already form another cluster;
- rules.promtool-check[<file>]: `promtool check rules` accepts every rule group rkv renders
  (PrometheusRules and Helm rule values, golden cases included).
Success, partial and total failure of backup.sh, retention.sh and restore.sh run against
the live cluster in suite_cluster (cluster.backup.*, cluster.retention*, cluster.restore*).
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import yaml

import common
import k8s
from harness import Abort, Scope, World, find, find_all, poll, run_job
from rcluster import Cluster
from resp import TlsFiles


def rendered_scripts() -> list[tuple[str, str, str]]:
    """(file, key, text) of every `*.sh` key of every ConfigMap rkv rendered."""
    out = []
    roots = [common.ROOT / "generated", common.ROOT / "tests" / "golden"]
    for root in roots:
        for f in sorted(root.rglob("configmap-*.yaml")):
            for doc in yaml.safe_load_all(f.read_text()):
                if not doc or doc.get("kind") != "ConfigMap":
                    continue
                for key, text in sorted((doc.get("data") or {}).items()):
                    if key.endswith(".sh"):
                        out.append((str(f.relative_to(common.ROOT)), key, text))
        # Inline `sh -c` scripts of containers and their exec probes (the start with a
        # password, the exporter's password file, authenticated probes).
        for pattern in ("deployment-*.yaml", "statefulset-*.yaml", "job-*.yaml", "cronjob-*.yaml"):
            for f in sorted(root.rglob(pattern)):
                for doc in yaml.safe_load_all(f.read_text()):
                    for name, argv in inline_commands(doc or {}):
                        if len(argv) >= 3 and argv[0] == "sh" and argv[1] == "-c":
                            out.append((str(f.relative_to(common.ROOT)), name, argv[2]))
    return out


def inline_commands(obj: dict) -> list[tuple[str, list]]:
    """(container.what, argv) of every command and exec probe of a workload's pod template."""
    spec = obj.get("spec") or {}
    if obj.get("kind") == "CronJob":
        spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    pod = ((spec.get("template") or {}).get("spec")) or {}
    out = []
    for c in (pod.get("initContainers") or []) + (pod.get("containers") or []):
        if c.get("command"):
            out.append((f"{c['name']}.command", c["command"]))
        for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
            argv = ((c.get(probe) or {}).get("exec") or {}).get("command")
            if argv:
                out.append((f"{c['name']}.{probe}", argv))
    return out


class ScriptsSuite:
    def __init__(self, tier, checks, work: Path):
        self.tier = tier
        self.checks = checks
        self.work = work
        self.scope = Scope(checks, "scripts")

    def shellcheck(self) -> None:
        scripts = rendered_scripts()
        self.scope.check("scripts.found", len(scripts) >= 4, "rendered scripts to check", f"{len(scripts)}")
        d = self.work / "shellcheck"
        d.mkdir(exist_ok=True)
        # One shellcheck run per distinct text (golden cases repeat them), named by file:key.
        by_text: dict[str, list[str]] = {}
        for f, key, text in scripts:
            by_text.setdefault(text, []).append(f"{f}:{key}")
        for i, (text, names) in enumerate(sorted(by_text.items(), key=lambda x: x[1][0])):
            p = d / f"{i}.sh"
            p.write_text(text)
            r = subprocess.run(["shellcheck", "-s", "sh", str(p)], capture_output=True, text=True)
            self.scope.check(f"scripts.shellcheck[{names[0]}]", r.returncode == 0,
                             f"`shellcheck -s sh` is clean ({len(names)} rendered copies)",
                             r.stdout[-600:])

    def rules(self) -> None:
        """`promtool check rules` on every rule group rkv rendered anywhere (PrometheusRules
        and Helm `metrics.prometheusRule.rules` values), golden cases included."""
        d = self.work / "promtool-all"
        d.mkdir(exist_ok=True)
        found = []
        files = sorted((common.ROOT / "generated").rglob("*.yaml")) + \
            sorted((common.ROOT / "tests" / "golden").glob("*/expected/**/*.yaml"))
        for f in files:
            for doc in yaml.safe_load_all(f.read_text()):
                if not isinstance(doc, dict):
                    continue
                if doc.get("kind") == "PrometheusRule" and "spec" in doc:
                    found.append((f, doc["spec"]["groups"]))
                rules = ((doc.get("metrics") or {}).get("prometheusRule") or {}).get("rules")
                if f.name == "values.yaml" and rules:
                    found.append((f, [{"name": "helm-values", "rules": rules}]))
        self.scope.check("scripts.rule-files-found", len(found) >= 3, "rendered rule groups to check", str(len(found)))
        for i, (f, groups) in enumerate(found):
            p = d / f"{i}.yaml"
            p.write_text(yaml.safe_dump({"groups": groups}, sort_keys=False))
            r = subprocess.run(["promtool", "check", "rules", str(p)], capture_output=True, text=True)
            self.scope.check(f"rules.promtool-check[{f.relative_to(common.ROOT)}]", r.returncode == 0,
                             "`promtool check rules` accepts it", (r.stdout + r.stderr)[-400:])

    def init_failures(self) -> None:
        tree = common.ROOT / "generated" / "cordum" / "overlays" / "production"
        objects = common.objects(tree)
        scope = Scope(self.checks, "cordum/production")
        sts = find(objects, "StatefulSet")
        job = next(j for j in find_all(objects, "Job") if j["metadata"]["name"].endswith("-cluster-init"))
        conf = next(o for o in find_all(objects, "ConfigMap") if "redis.conf" in (o.get("data") or {}))
        redis = sts["spec"]["template"]["spec"]["containers"][0]
        roles = k8s.tls_roles_from_conf(conf["data"]["redis.conf"], sts["spec"]["template"]["spec"], redis)
        names = common.tls_names(common.explain(common.ROOT / "profiles" / "cordum.yaml", "production"))

        # 1. Pods that exist (DNS) but never answer.
        w = World(self.tier, "scripts-unreachable", objects)
        k8s.make_secrets(w, objects, roles, names)
        k8s.statefulset_pods(w, sts)
        shim = self.tier.mountpoint("/opt/live-shim")
        (shim / "sleep").write_text("#!/bin/sh\nexit 0\n")
        (shim / "sleep").chmod(0o755)
        t0 = time.monotonic()
        code, log = run_job(w, job["spec"], "init-unreachable", timeout=120, path_prepend=Path("/opt/live-shim"))
        scope.check("scripts.init-unreachable", code == 1 and "did not answer PING after" in log,
                    "cluster-init.sh gives up with exit 1 and names the pod when one never answers",
                    f"exit {code}: {log[-300:]}", pod="init-unreachable", started=t0)

        # 2. Nodes already in another cluster: pods 0-2 form a 3-primary cluster by hand.
        w = World(self.tier, "scripts-foreign", objects)
        passwords = k8s.make_secrets(w, objects, roles, names)
        pods = k8s.statefulset_pods(w, sts)
        for p in pods:
            p.start("redis", workdir="/data")
        ca, crt, key = w.ca.files("client")
        cluster = Cluster(pods, 6379, next(iter(passwords.values())), TlsFiles(ca, crt, key))
        poll(lambda: all(cluster.call(p, "PING") == b"PONG" for p in pods), 30)
        flags = ["--tls", "--cacert", "/etc/redis/client-tls/ca.crt", "--cert", "/etc/redis/client-tls/tls.crt",
                 "--key", "/etc/redis/client-tls/tls.key"]
        # The container has no password in its environment (it reads the mounted file):
        # authenticate as `kubectl exec ... -- env REDISCLI_AUTH=...` would.
        r = pods[0].exec("redis", ["redis-cli", *flags, "--cluster", "create",
                                   *[f"{p.fqdn}:6379" for p in pods[:3]], "--cluster-yes"], timeout=60,
                         env_extra={"REDISCLI_AUTH": next(iter(passwords.values()))})
        if r.returncode != 0:
            raise Abort(f"could not form the foreign cluster: {r.stdout[-300:]} {r.stderr[-300:]}")
        poll(lambda: cluster.cluster_info(pods[0]).get("cluster_state") == "ok", 30)
        before = cluster.call(pods[0], "CLUSTER", "NODES")
        t0 = time.monotonic()
        code, log = run_job(w, job["spec"], "init-foreign", timeout=120)
        after = cluster.call(pods[0], "CLUSTER", "NODES")
        same = sorted(line.split()[0] for line in before.decode().splitlines()) == \
            sorted(line.split()[0] for line in after.decode().splitlines())
        scope.check("scripts.init-foreign-cluster", code == 1 and same and "not creating over an existing cluster" in log,
                    "cluster-init.sh refuses (exit 1) to create over nodes that form another cluster, and changes nothing",
                    f"exit {code}, nodes unchanged {same}: {log[-300:]}", pod="init-foreign", started=t0)

    def run(self) -> None:
        self.shellcheck()
        self.rules()
        try:
            self.init_failures()
        except Abort as e:
            self.scope.check("scripts.init-failures", False, "the failure scenarios run", str(e))
