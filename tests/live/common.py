"""What every suite shares: where the repository is, the rkv binary, rendered trees.

What goes in: the repository root. What comes out: the objects of one rendered variant (as
`kubectl kustomize` builds them), `rkv explain` reports, `rkv validate` findings. The
invariant: the tier reads `generated/` and golden expected trees exactly as committed.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from harness import kustomize

ROOT = Path(__file__).resolve().parents[2]
KUBECTL = ROOT / ".tools" / "bin" / "kubectl"
RKV = ROOT / "target" / "debug" / "rkv"


def objects(tree: Path) -> list[dict]:
    return kustomize(KUBECTL, tree)


def explain(spec: Path, env: str | None = None) -> dict:
    args = [str(RKV), "explain", str(spec), "--format", "json"]
    if env:
        args += ["--env", env]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    reports = json.loads(out)
    return reports[0]


def section(report: dict, title: str) -> list[str]:
    for s in report["sections"]:
        if s["title"] == title:
            return s["lines"]
    return []


def tls_names(report: dict) -> list[str]:
    """The DNS names rkv documents as required on the server certificate."""
    names = []
    for line in section(report, "TLS server certificate"):
        m = re.search(r"DNS:(\S+)", line)
        if m:
            names.append(m.group(1))
    return names


def explain_slots(report: dict) -> list[tuple[int, int]]:
    out = []
    for line in section(report, "Hash slots"):
        m = re.match(r"shard (\d+): slots (\d+)-(\d+)", line)
        if m:
            out.append((int(m.group(2)), int(m.group(3))))
    return out


def validate(spec_text: str, work: Path, name: str) -> list[dict]:
    """`rkv validate --format json` of a spec text: the findings."""
    p = work / f"{name}.yaml"
    p.write_text(spec_text)
    r = subprocess.run([str(RKV), "validate", str(p), "--format", "json"], capture_output=True, text=True)
    return json.loads(r.stdout)


def rkv110_pair(spec: Path, env: str | None, work: Path) -> tuple[str, str] | None:
    """The two pods RKV110 names when this spec asks for `minAvailable: 4`: rkv's own claim
    of which eviction pair breaks the cluster, for the live tier to test."""
    import yaml

    doc = yaml.safe_load(spec.read_text())
    target = doc["spec"]["environments"][env] if env else doc["spec"]
    target["disruption"] = {"minAvailable": 4}
    for f in validate(yaml.safe_dump(doc), work, f"{spec.stem}-min-available-4"):
        if f["code"] == "RKV110":
            m = re.search(r"evicting `([^`]+)` and `([^`]+)` together", f["message"])
            if m:
                return m.group(1), m.group(2)
    return None


def check_secret_not_exposed(scope, pod, secret: str, name: str, what: str) -> None:
    """No process of the pod has the password in its arguments (what `ps` shows every user
    of the pod) or its environment, read from /proc/<pid>/cmdline and environ; a planted
    copy proves the detector finds one where it is."""
    from harness import exposure_control

    control = exposure_control(secret)
    found = pod.secret_exposure(secret)
    pids = pod.processes()
    scope.check(name, control and not found and bool(pids),
                f"no process of {what} ({len(pids)} processes) has the password in its arguments "
                "or environment; the detector finds a planted copy",
                "; ".join(found) if found else ("the detector missed a planted copy" if not control
                                                else "no process found"),
                pod=pod.name)
