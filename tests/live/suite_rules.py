"""Alert rules, proven with promtool against series shaped like a real scrape.

What goes in: a rendered PrometheusRule (or the Bitnami chart's rule values), the text of a
live redis_exporter scrape of the same topology, and its names (namespace, Service, pods).
What it proves, each a named check:
- rules.promtool-check: `promtool check rules` accepts every group;
- rules.metrics-exist: every metric an expression reads is in the live scrape, or is one of
  the named series of Prometheus, kube-state-metrics or the kubelet (listed below, with who
  exports it);
- rules.<alert>.fires / rules.<alert>.silent: `promtool test rules` shows each alert firing
  on series that should trigger it and silent on healthy ones, and on another topology's
  broken series. Healthy series take their labels and values from the live scrape, with the
  target labels the Prometheus Operator adds (namespace, service, pod, instance, job).
Every alert the rules hold must have at least one firing and one silent case here: a new
alert without cases fails.
"""

from __future__ import annotations

import re
import subprocess
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from harness import Scope, expand

# Series the rules may read that redis_exporter does not export, and who does.
EXTERNAL = {
    "up": "Prometheus (scrape health of each target)",
    "kube_cronjob_status_last_schedule_time": "kube-state-metrics",
    "kube_cronjob_status_last_successful_time": "kube-state-metrics",
    "kube_cronjob_next_schedule_time": "kube-state-metrics",
    "kube_job_status_failed": "kube-state-metrics",
    "kubelet_volume_stats_available_bytes": "kubelet",
    "kubelet_volume_stats_capacity_bytes": "kubelet",
}

FUNCTIONS = {
    "abs", "absent", "absent_over_time", "avg", "avg_over_time", "bottomk", "ceil", "changes", "clamp",
    "clamp_max", "clamp_min", "count", "count_over_time", "count_values", "day_of_month", "delta", "deriv",
    "exp", "floor", "group", "histogram_quantile", "holt_winters", "idelta", "increase", "irate",
    "label_join", "label_replace", "last_over_time", "ln", "log10", "log2", "max", "max_over_time", "min",
    "min_over_time", "predict_linear", "quantile", "quantile_over_time", "rate", "resets", "round",
    "scalar", "sgn", "sort", "sort_desc", "sqrt", "stddev", "stdvar", "sum", "sum_over_time", "time",
    "timestamp", "topk", "vector", "year", "month", "hour", "minute", "present_over_time",
}
KEYWORDS = {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "bool",
            "offset", "inf", "nan"}


def expand_env(text: str, env: dict[str, str]) -> str:
    return expand(text, env)


def scrape(url: str, timeout: float = 5) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode()


def samples(text: str, name: str) -> list[tuple[dict, float]]:
    out = []
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            m = re.match(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{(.*)\})?\s+(\S+)', line)
            if m:
                labels = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
                out.append((labels, float(m.group(3))))
    return out


def value(text: str, name: str) -> float | None:
    s = samples(text, name)
    return s[0][1] if s else None


def metric_names(expr: str) -> set[str]:
    """Metric names an expression reads: identifiers that are not functions, keywords,
    label names (inside braces or grouping clauses) or durations."""
    no_strings = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    no_labels = re.sub(r"\{[^}]*\}", "", no_strings)
    no_groups = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", no_labels)
    no_ranges = re.sub(r"\[[^\]]*\]", "", no_groups)
    names = set()
    for m in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", no_ranges):
        word = m.group(0)
        rest = no_ranges[m.end():].lstrip()
        if word.lower() in KEYWORDS or (word in FUNCTIONS and rest.startswith("(")):
            continue
        if re.fullmatch(r"\d+[smhdwy]", word):
            continue
        names.add(word)
    return names


@dataclass
class Case:
    alert: str           # full alert name
    what: str            # what the case shows
    series: list[tuple[str, str]]  # (series selector text, promtool values)
    eval_time: str
    firing: bool


@dataclass
class RuleSet:
    groups: list[dict]
    alerts: dict[str, dict] = field(default_factory=dict)

    def __post_init__(self):
        for g in self.groups:
            for r in g["rules"]:
                if "alert" in r:
                    self.alerts[r["alert"]] = r

    def by_suffix(self, suffix: str) -> str | None:
        for name in self.alerts:
            if name.endswith(suffix):
                return name
        return None


def promtool_check(scope: Scope, rules: RuleSet, d: Path, name: str) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    f = d / f"{name}.rules.yaml"
    f.write_text(yaml.safe_dump({"groups": rules.groups}, sort_keys=False))
    r = subprocess.run(["promtool", "check", "rules", str(f)], capture_output=True, text=True)
    scope.check("rules.promtool-check", r.returncode == 0,
                f"`promtool check rules` accepts the {len(rules.alerts)} alerts of {name}",
                (r.stdout + r.stderr)[-500:])
    return f


def check_metrics_exist(scope: Scope, rules: RuleSet, scrape_text: str, name: str) -> None:
    scraped = {m.group(1) for m in re.finditer(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)", scrape_text, re.M)}
    missing = []
    for alert, r in rules.alerts.items():
        for m in sorted(metric_names(r["expr"])):
            if m not in scraped and m not in EXTERNAL:
                missing.append(f"{alert}: {m}")
    scope.check("rules.metrics-exist", not missing,
                f"every metric the {name} rules read is in the live redis_exporter scrape or is a named "
                "Prometheus / kube-state-metrics / kubelet series",
                "; ".join(missing))


def promtool_test(scope: Scope, rules: RuleSet, rules_file: Path, cases: list[Case]) -> None:
    for alert in rules.alerts:
        kinds = {c.firing for c in cases if c.alert == alert}
        scope.check(f"rules.{alert}.has-cases", kinds == {True, False},
                    f"{alert} has a firing and a silent test case", f"cases: {sorted(kinds)}")
    for i, c in enumerate(cases):
        test = {
            "rule_files": [rules_file.name],
            "evaluation_interval": "1m",
            "tests": [{
                "interval": "1m",
                "input_series": [{"series": s, "values": v} for s, v in c.series],
                "promql_expr_test": [{
                    "expr": f'max(ALERTS{{alertname="{c.alert}", alertstate="firing"}})',
                    "eval_time": c.eval_time,
                    "exp_samples": [{"labels": "{}", "value": 1}] if c.firing else [],
                }],
            }],
        }
        f = rules_file.parent / f"test-{i}.yaml"
        f.write_text(yaml.safe_dump(test, sort_keys=False))
        r = subprocess.run(["promtool", "test", "rules", str(f)], capture_output=True, text=True,
                           cwd=rules_file.parent)
        verdict = "fires" if c.firing else "silent"
        scope.check(f"rules.{c.alert}.{verdict}", r.returncode == 0,
                    f"{c.alert} is {'firing' if c.firing else 'silent'} at {c.eval_time} when {c.what}",
                    (r.stdout + r.stderr).strip().replace("\n", " ")[-400:])


def sel(labels: dict) -> str:
    return "{" + ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"


# --- the cluster's rules -------------------------------------------------------------------

def cluster_cases(rules: RuleSet, scrape_text: str, ns: str, service: str, sts_name: str, shards: int,
                  replicas: int, backup_cronjob: str | None) -> list[Case]:
    pods = shards * (1 + replicas)
    used = value(scrape_text, "redis_memory_used_bytes") or 1_000_000.0
    system = value(scrape_text, "redis_total_system_memory_bytes") or 8e9
    info = samples(scrape_text, "redis_instance_info")
    info_labels = dict(info[0][0]) if info else {}
    info_labels.pop("role", None)
    n = 120  # samples: two hours at 1m

    def target(i: int, namespace: str = ns, svc: str = service, sts: str = sts_name) -> dict:
        return {"namespace": namespace, "service": svc, "pod": f"{sts}-{i}", "job": svc,
                "endpoint": "metrics", "container": "exporter", "instance": f"10.0.{i // 250}.{i % 250}:9121"}

    def healthy(namespace: str = ns, svc: str = service, sts: str = sts_name, *, maxmem: float = 0.0,
                change: dict | None = None) -> list[tuple[str, str]]:
        """Series of a healthy topology; `change` maps (metric, pod index) to values."""
        change = change or {}
        out = []
        for i in range(pods):
            t = target(i, namespace, svc, sts)
            master = i < shards
            base = {
                "up": 1, "redis_up": 1, "redis_cluster_state": 1, "redis_cluster_slots_ok": 16384,
                "redis_memory_used_bytes": used, "redis_memory_max_bytes": maxmem,
                "redis_total_system_memory_bytes": system,
                "redis_connected_slaves": replicas if master else 0,
            }
            for metric, v in base.items():
                vals = change.get((metric, i), f"{v:g}x{n}")
                if vals is not None:
                    out.append((metric + sel(t), vals))
            role = "master" if master else "slave"
            out.append(("redis_instance_info" + sel({**t, **info_labels, "role": role}), f"1x{n}"))
        return out

    def everywhere(metric: str, vals: str | None) -> dict:
        return {(metric, i): vals for i in range(pods)}

    cases: list[Case] = []
    other = healthy("other-ns", "other-redis", "other-redis",
                    change={("redis_cluster_state", 0): f"0x{n}", ("redis_cluster_slots_ok", 0): f"100x{n}",
                            ("redis_connected_slaves", 0): f"0x{n}", ("redis_up", 1): f"0x{n}",
                            ("redis_memory_used_bytes", 0): f"{system * 0.95:g}x{n}"})
    a = rules.by_suffix("ClusterDegraded")
    if a:
        cases += [
            Case(a, "a node reports cluster_state 0", healthy(change={("redis_cluster_state", 0): f"0x{n}"}), "10m", True),
            Case(a, "every node reports cluster_state ok", healthy(), "10m", False),
            Case(a, "only another topology's node reports cluster_state 0", healthy() + other, "10m", False),
        ]
    a = rules.by_suffix("ClusterNodeDown")
    if a:
        cases += [
            Case(a, "one node's Redis is down (redis_up 0)", healthy(change={("redis_up", 1): f"0x{n}"}), "10m", True),
            Case(a, "one pod is gone (its series stop)", healthy(change={("redis_up", 1): "1x5", ("up", 1): "1x5"}),
                 "20m", True),
            Case(a, "every pod is gone (no series at all)",
                 healthy(change={**everywhere("redis_up", "1x5"), **everywhere("up", "1x5")}), "20m", True),
            Case(a, f"all {pods} nodes are up", healthy(), "10m", False),
            Case(a, "only another topology's node is down", healthy() + other, "10m", False),
        ]
    a = rules.by_suffix("ClusterSlotsIncomplete")
    if a:
        cases += [
            Case(a, "a node sees fewer than 16384 slots served",
                 healthy(change={("redis_cluster_slots_ok", 2): f"10000x{n}"}), "10m", True),
            Case(a, "every slot is served", healthy(), "10m", False),
            Case(a, "only another topology misses slots", healthy() + other, "10m", False),
        ]
    a = rules.by_suffix("MemoryHigh")
    if a:
        cases += [
            Case(a, "no maxmemory is set and a node uses 90% of the memory Redis sees",
                 healthy(change={("redis_memory_used_bytes", 0): f"{system * 0.9:g}x{n}"}), "30m", True),
            Case(a, "maxmemory is set and a node uses 90% of it",
                 healthy(maxmem=used * 10, change={("redis_memory_used_bytes", 0): f"{used * 9:g}x{n}"}), "30m", True),
            Case(a, "nodes use what the live scrape shows", healthy(), "30m", False),
            Case(a, "only another topology's node is near its memory", healthy() + other, "30m", False),
        ]
    a = rules.by_suffix("ReplicationBroken")
    if a:
        cases += [
            Case(a, "a primary has no connected replica", healthy(change={("redis_connected_slaves", 0): f"0x{n}"}),
                 "10m", True),
            Case(a, "every primary has its replicas", healthy(), "10m", False),
            Case(a, "only another topology's primary lost its replica", healthy() + other, "10m", False),
        ]
    a = rules.by_suffix("BackupFailed")
    if a and backup_cronjob:
        cases += backup_cases(a, ns, backup_cronjob, n)
    return cases


def backup_cases(a: str, ns: str, backup_cronjob: str, n: int) -> list[Case]:
    """The backup alert (every shape reads the same kube-state-metrics CronJob times)."""
    def cron(namespace: str, cj: str, schedule: str, success: str | None, nxt: str) -> list[tuple[str, str]]:
        t = {"namespace": namespace, "cronjob": cj, "job": "kube-state-metrics",
             "instance": "10.1.0.1:8080", "service": "kube-state-metrics"}
        out = [("kube_cronjob_status_last_schedule_time" + sel(t), schedule),
               ("kube_cronjob_next_schedule_time" + sel(t), nxt)]
        if success is not None:
            out.append(("kube_cronjob_status_last_successful_time" + sel(t), success))
        return out

    hourly_ok = cron(ns, backup_cronjob, "0x59 3600x59 7200x2", "60x59 3660x59 7260x2", "3600x59 7200x59 10800x2")
    failed_job = (f'kube_job_status_failed{{namespace="{ns}", job_name="{backup_cronjob}-29000000", '
                  'job="kube-state-metrics"}', f"1x{n}")
    return [
        Case(a, "the newest scheduled run did not succeed (failed or partial) for over an hour",
             cron(ns, backup_cronjob, "0x59 3600x61", f"60x{n}", "3600x59 7200x61"), "121m", True),
        Case(a, "the CronJob stopped running: the last success is older than two schedule intervals",
             cron(ns, backup_cronjob, "0x240", "60x240", "3600x240"), "200m", True),
        Case(a, "no run ever succeeded", cron(ns, backup_cronjob, f"0x{n}", None, f"3600x{n}"), "90m", True),
        Case(a, "every hourly run succeeded", hourly_ok, "119m", False),
        Case(a, "a failed Job lingers after the retry succeeded", hourly_ok + [failed_job], "119m", False),
        Case(a, "only another topology's backup fails",
             hourly_ok + cron("other-ns", "other-backup", "0x59 3600x61", f"60x{n}", "3600x59 7200x61"),
             "119m", False),
    ]


# --- the Bitnami chart's rule values ---------------------------------------------------------

def bitnami_cases(rules: RuleSet, scrape_text: str, ns: str, full: str, nodes: int,
                  backup_cronjob: str | None = None) -> list[Case]:
    n = 120

    def target(i: int, namespace: str = ns, name: str = full) -> dict:
        return {"namespace": namespace, "pod": f"{name}-node-{i}", "service": f"{name}-metrics", "job": f"{name}-metrics",
                "container": "metrics", "endpoint": "http-metrics", "instance": f"10.0.1.{i}:9121"}

    def healthy(namespace: str = ns, name: str = full, change: dict | None = None) -> list[tuple[str, str]]:
        change = change or {}
        out = []
        for i in range(nodes):
            t = target(i, namespace, name)
            base = {"redis_up": f"1x{n}", "redis_rdb_last_save_timestamp_seconds": f"0+60x{n}",
                    "redis_rdb_changes_since_last_save": f"0x{n}", "redis_rdb_last_bgsave_status": f"1x{n}",
                    "redis_aof_last_bgrewrite_status": f"1x{n}", "redis_aof_last_write_status": f"1x{n}"}
            for metric, vals in base.items():
                out.append((metric + sel(t), change.get((metric, i), vals)))
            pvc = {"namespace": namespace, "persistentvolumeclaim": f"redis-data-{name}-node-{i}",
                   "job": "kubelet", "instance": f"node-{i}"}
            out.append(("kubelet_volume_stats_available_bytes" + sel(pvc),
                        change.get(("avail", i), f"{8e9:g}x{n}")))
            out.append(("kubelet_volume_stats_capacity_bytes" + sel(pvc), f"{16e9:g}x{n}"))
        return out

    broken = {("redis_up", 0): f"0x{n}", ("redis_rdb_last_save_timestamp_seconds", 0): f"0x{n}",
              ("redis_rdb_changes_since_last_save", 0): f"10x{n}", ("redis_rdb_last_bgsave_status", 0): f"0x{n}",
              ("redis_aof_last_write_status", 0): f"0x{n}", ("avail", 0): f"{1e9:g}x{n}"}
    other = healthy("other-ns", full, broken)
    table = {
        "RedisDown": ("a node's exporter reports redis_up 0", {("redis_up", 1): f"0x{n}"}, "10m"),
        "RedisPersistenceFailure": ("a node has unsaved changes and no save for over an hour",
                                    {("redis_rdb_last_save_timestamp_seconds", 0): f"0x{n}",
                                     ("redis_rdb_changes_since_last_save", 0): f"10x{n}"}, "90m"),
        "RedisBGSaveFailure": ("a node's last BGSAVE failed", {("redis_rdb_last_bgsave_status", 2): f"0x{n}"}, "10m"),
        "RedisAOFFailure": ("a node's last AOF write failed", {("redis_aof_last_write_status", 1): f"0x{n}"}, "10m"),
        "RedisDiskFull": ("a data volume has under 15% free", {("avail", 1): f"{1e9:g}x{n}"}, "30m"),
    }
    cases = []
    for alert in rules.alerts:
        what, change, at = table.get(alert, ("", {}, "10m"))
        if not what:
            continue
        cases += [Case(alert, what, healthy(change=change), at, True),
                  Case(alert, "every node is healthy", healthy(), at, False),
                  Case(alert, "only another namespace's release is broken", healthy() + other, at, False)]
    if "RedisBackupFailed" in rules.alerts and backup_cronjob:
        cases += backup_cases("RedisBackupFailed", ns, backup_cronjob, n)
    return cases


def check_rule_object(scope: Scope, rule: dict, scrape_text: str, ns: str, sts: dict, shards: int,
                      replicas: int, d: Path, backup_cronjob: str | None = None) -> None:
    rules = RuleSet(rule["spec"]["groups"])
    name = rule["metadata"]["name"]
    f = promtool_check(scope, rules, d, name)
    check_metrics_exist(scope, rules, scrape_text, name)
    cases = cluster_cases(rules, scrape_text, ns, sts["spec"]["serviceName"], sts["metadata"]["name"],
                          shards, replicas, backup_cronjob)
    promtool_test(scope, rules, f, cases)
