"""The few `kubectl` commands a RUNBOOK procedure uses, run against a tier World.

What goes in: a RUNBOOK section (Markdown) and a World with the rendered objects. What
comes out: each command's result, so the tier runs the procedure exactly as written rather
than a paraphrase of it. A command this module does not know is a failure: the RUNBOOK
must not ask the user for something the tier cannot prove.

Known commands (namespaced with `-n NS`, which must be the objects' namespace):
  kubectl apply -k DIR                       the pods of DIR's StatefulSet start, its Jobs run
  kubectl wait --for=condition=complete job/NAME [--timeout=D]
  kubectl create job NAME --from=cronjob/CRONJOB
  kubectl logs job/NAME
"""

from __future__ import annotations

import re
import shlex
import threading
from pathlib import Path
from typing import Callable

from harness import find, find_all, run_job


def section(markdown: str, variant_heading: str, title: str) -> str:
    """The text of `#### title` inside the `## variant_heading` section."""
    start = markdown.find(f"\n## {variant_heading}\n")
    if start < 0:
        return ""
    end = markdown.find("\n## ", start + 1)
    body = markdown[start:end if end > 0 else None]
    m = re.search(rf"\n#### {re.escape(title)}\n(.*?)(?=\n####? |\Z)", body, re.S)
    return m.group(1) if m else ""


def commands(text: str) -> list[str]:
    """The shell commands of every ```sh block, comments dropped, continuations joined."""
    out: list[str] = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        cur = ""
        for line in block.splitlines():
            s = line.strip()
            if not s or s.startswith("#"):
                continue
            if s.endswith("\\"):
                cur += s[:-1] + " "
                continue
            out.append(cur + s)
            cur = ""
    return out


def duration(text: str) -> float:
    m = re.fullmatch(r"(\d+)([smh]?)", text)
    if not m:
        raise ValueError(f"bad duration {text}")
    return int(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[m.group(2)]


class Job:
    def __init__(self, name: str):
        self.name = name
        self.code: int | None = None
        self.log = ""
        self.done = threading.Event()


class MiniKubectl:
    def __init__(self, world, base: Path, boot: Callable[[list[dict]], None]):
        """`base` is the directory RUNBOOK paths are relative to (the profile's tree);
        `boot(objects)` starts the data pods of an applied tree."""
        self.world = world
        self.base = base
        self.boot = boot
        self.jobs: dict[str, Job] = {}
        self.applied: list[dict] = []

    def _job(self, name: str, spec: dict) -> None:
        """Run a Job as the Job controller does: a new pod per attempt, up to backoffLimit
        retries after the first failure."""
        job = Job(name)
        self.jobs[name] = job

        def work():
            attempts = spec.get("backoffLimit", 6) + 1
            for i in range(attempts):
                code, log = run_job(self.world, spec, f"{name}-{i}", timeout=900)
                job.log += log
                job.code = code
                if code == 0:
                    break
            job.done.set()

        threading.Thread(target=work, name=f"job-{name}", daemon=True).start()

    def run(self, line: str, namespace: str) -> tuple[bool, str]:
        argv = shlex.split(line)
        if not argv or argv[0] != "kubectl":
            return False, f"not a kubectl command: {line}"
        args = argv[1:]
        if len(args) >= 2 and args[0] == "-n":
            if args[1] != namespace:
                return False, f"namespace {args[1]}, the objects are in {namespace}"
            args = args[2:]
        opts = {a.split("=", 1)[0]: (a.split("=", 1)[1] if "=" in a else "") for a in args if a.startswith("--")}
        words = [a for a in args if not a.startswith("--")]
        if words[:2] == ["apply", "-k"] and len(words) == 3:
            from common import objects
            objs = objects(self.base / words[2])
            self.applied = objs
            self.boot(objs)
            for j in find_all(objs, "Job"):
                self._job(j["metadata"]["name"], j["spec"])
            return True, f"applied {len(objs)} objects"
        if words[:1] == ["wait"] and len(words) == 2 and words[1].startswith("job/"):
            if opts.get("--for") != "condition=complete":
                return False, f"unsupported wait {line}"
            job = self.jobs.get(words[1][4:])
            if job is None:
                return False, f"no job {words[1][4:]} was created"
            timeout = duration(opts.get("--timeout", "30s"))
            if not job.done.wait(min(timeout, 900)):
                return False, f"job {job.name} did not complete within {timeout}s"
            return job.code == 0, f"job {job.name} exit {job.code}: {job.log[-800:]}"
        if words[:2] == ["create", "job"] and len(words) == 3 and opts.get("--from", "").startswith("cronjob/"):
            cj = find(self.applied, "CronJob", opts["--from"][len("cronjob/"):])
            self._job(words[2], cj["spec"]["jobTemplate"]["spec"])
            return True, f"job {words[2]} created from {cj['metadata']['name']}"
        if words[:1] == ["logs"] and len(words) == 2 and words[1].startswith("job/"):
            job = self.jobs.get(words[1][4:])
            return job is not None, (job.log if job else f"no job {words[1][4:]}")
        return False, f"the tier cannot run `{line}`"
