"""The live tier's entry point (run by scripts/live inside its own namespaces).

What goes in: the repository (generated/, tests/golden/, profiles/), and optionally the
names of suites to run (`scripts/live cluster-3x2 sentinel-platform-kv`). What comes out:
one line per named check, a summary with the tier's wall time, exit 0 when every check
passed and 1 otherwise. The invariant: a run that made no check fails.
"""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
from harness import Checks, Scope, Tier  # noqa: E402


def both(run, parts: list[str]) -> None:
    """Run `run(part)` for every part side by side; re-raise the first crash."""
    errors: list[BaseException] = []

    def go(part: str) -> None:
        try:
            run(part)
        except BaseException as e:  # noqa: BLE001 - re-raised below, in the suite's thread
            errors.append(e)

    threads = [threading.Thread(target=go, args=(p,)) for p in parts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def cluster_3x2(tier: Tier, checks: Checks, work: Path) -> None:
    from suite_cluster import ClusterSuite

    g = common.ROOT / "generated"
    spec = common.ROOT / "profiles" / "cordum.yaml"
    # rkv's own claim of the pair whose eviction breaks the cluster, asked once.
    pair = common.rkv110_pair(spec, "production", work)
    Scope(checks, "cordum/production").check(
        "cluster.rkv110-names-a-pair", pair is not None,
        "`rkv validate` of the profile with `minAvailable: 4` reports RKV110 naming two pods", "no such finding")
    both(lambda part: ClusterSuite(
        tier, checks, label="cordum/production", tree=g / "cordum" / "overlays" / "production", spec=spec,
        env="production", full=True, sample=None, rkv110_pair=pair, runbook=g / "cordum" / "RUNBOOK.md",
        work=work, part=part).run(), ["disruption", "refusal", "data"])


def suites(tier: Tier, checks: Checks, work: Path) -> dict:
    """Every suite by name, built lazily so `--list` and filters cost nothing."""
    from suite_cluster import ClusterSuite
    from suite_standalone import StandaloneSuite
    from suite_sentinel import SentinelSuite
    from suite_scripts import ScriptsSuite

    g = common.ROOT / "generated"
    golden = common.ROOT / "tests" / "golden"
    return {
        "standalone-cordum": lambda: StandaloneSuite(
            tier, checks, label="cordum/base", tree=g / "cordum" / "base").run(),
        "standalone-tls-backup": lambda: StandaloneSuite(
            tier, checks, label="golden/standalone-tls-exposure-backup",
            tree=golden / "standalone-tls-exposure-backup" / "expected" / "base",
            spec=golden / "standalone-tls-exposure-backup" / "spec.yaml").run(),
        "cluster-3x2": lambda: cluster_3x2(tier, checks, work),
        "cluster-4x3": lambda: ClusterSuite(
            tier, checks, label="golden/cluster-4x3", tree=golden / "cluster-4x3" / "expected" / "base",
            spec=golden / "cluster-4x3" / "spec.yaml", env=None, full=False, sample=4,
            runbook=golden / "cluster-4x3" / "expected" / "RUNBOOK.md", work=work).run(),
        "sentinel-platform-kv": lambda: SentinelSuite.opstree(tier, checks).run(),
        "sentinel-wal-failover": lambda: SentinelSuite.spotahome(tier, checks).run(),
        "sentinel-bitnami": lambda: SentinelSuite.bitnami(tier, checks).run(),
        "scripts": lambda: ScriptsSuite(tier, checks, work).run(),
    }


def main() -> int:
    ap = argparse.ArgumentParser(prog="scripts/live")
    ap.add_argument("only", nargs="*", help="suites to run (default: all)")
    ap.add_argument("--list", action="store_true", help="list the suites and exit")
    ap.add_argument("--keep", action="store_true", help="keep the work directory (logs, data)")
    ap.add_argument("--work", type=Path, help="work directory (scripts/live makes and removes it)")
    args = ap.parse_args()

    started = time.monotonic()
    work = args.work or Path(tempfile.mkdtemp(prefix="rkv-live-"))
    tier = Tier(work)
    checks = Checks()

    def on_signal(signum, _frame):
        raise SystemExit(f"live: interrupted by signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    failed_suites: list[str] = []
    try:
        tier.setup()
        table = suites(tier, checks, work)
        if args.list:
            print("\n".join(table))
            return 0
        unknown = [s for s in args.only if s not in table]
        if unknown:
            print(f"live: unknown suite(s) {unknown}; known: {', '.join(table)}", file=sys.stderr)
            return 2
        chosen = args.only or list(table)

        def run(name: str) -> None:
            t0 = time.monotonic()
            try:
                table[name]()
            except Exception:  # noqa: BLE001 - a crashed suite is a failed check, with its trace
                checks.record(f"{name}.crashed", name, False, traceback.format_exc(limit=6), t0)
                failed_suites.append(name)
            print(f"live: suite {name} done in {time.monotonic() - t0:.1f}s", flush=True)

        # Suites are independent clusters on one bridge; they mostly wait (node timeouts,
        # Sentinel down-after), so they run side by side.
        threads = [threading.Thread(target=run, args=(n,), name=n) for n in chosen]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        tier.stop_all()
    bad = [r for r in checks.results if not r.ok]
    wall = time.monotonic() - started
    print(f"live: {len(checks.results) - len(bad)} passed, {len(bad)} failed, {wall:.0f}s wall")
    for r in bad:
        print(f"live: FAILED {r.name} [{r.where}]: {r.detail}")
    if not checks.results:
        print("live: no check ran", file=sys.stderr)
        return 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
