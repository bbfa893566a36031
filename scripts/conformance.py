"""The conformance tier over every tree rkv wrote under generated/.

Run through scripts/conformance, with the Python of .tools/venv (it has PyYAML and
kubernetes-validate). What goes in: a generated dir (argv[1], else $RKV_GENERATED_DIR,
else <repo>/generated) holding one tree per profile. What it checks:

  (a) `kubectl kustomize DIR` succeeds for every directory holding a kustomization
      (Components are built through the overlays that use them, not alone);
  (b) every built-in Kubernetes object passes kubernetes-validate in strict mode
      against one fixed Kubernetes version ($RKV_K8S_VERSION, default below): both
      the objects in the files as written and the objects each kustomize build emits
      (patches only become whole objects there). Custom resources are skipped here:
      they are checked against the upstream CRDs by `rkv validate` (hook below).
      kubernetes-validate's own CLI only warns when it has no schema for a kind; here a
      built-in apiVersion/kind with no schema is a failure (a typo must not pass).
  (c) `rkv validate --crds ../shared/crds` over the profiles and the files;
  (d) each variant's directory builds to exactly what `rkv render` gives for it;
  (e) checkov's Kubernetes checks over every build, against the commented allow-list in
      scripts/checkov_tier.py (what the Bitnami chart's own output also fails, and the
      Redis containers whose sizing rkv leaves to the spec and reports as RKV119).

What comes out: one line per failure, and the closing line
`conformance: N passed, M failed`; exit 1 on any failure. The invariant: a run that
checked nothing fails (no trees, or no objects at all).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml
import checkov_tier
from kubernetes_validate import utils as kv
from kubernetes_validate.version import __version__ as KV_VERSION

ROOT = Path(__file__).resolve().parent.parent
KUBECTL = ROOT / ".tools" / "bin" / "kubectl"
CHECKOV = ROOT / ".tools" / "bin" / "checkov"
K8S_VERSION = os.environ.get("RKV_K8S_VERSION", "1.37.0")
KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
YAML_SUFFIXES = (".yaml", ".yml")

# API groups served by a plain kube-apiserver. Anything else is a custom resource.
BUILTIN_GROUPS = {
    "",
    "admissionregistration.k8s.io",
    "apiextensions.k8s.io",
    "apiregistration.k8s.io",
    "apps",
    "authentication.k8s.io",
    "authorization.k8s.io",
    "autoscaling",
    "batch",
    "certificates.k8s.io",
    "coordination.k8s.io",
    "discovery.k8s.io",
    "events.k8s.io",
    "flowcontrol.apiserver.k8s.io",
    "internal.apiserver.k8s.io",
    "networking.k8s.io",
    "node.k8s.io",
    "policy",
    "rbac.authorization.k8s.io",
    "resource.k8s.io",
    "scheduling.k8s.io",
    "storage.k8s.io",
    "storagemigration.k8s.io",
}


class StrictLoader(yaml.SafeLoader):
    """PyYAML's SafeLoader (YAML 1.1, like Kubernetes' reader) that rejects duplicate keys,
    as the API server's strict decoding does."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark,
                    f"found duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _construct_value(loader, node):
    # The same handling of the '=' value tag that kubernetes-validate's CLI installs.
    return str(node.value)


StrictLoader.add_constructor("tag:yaml.org,2002:value", _construct_value)


class Report:
    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0
        self.skipped = 0

    def ok(self, what: str, verbose: bool = False) -> None:
        self.passed += 1
        if verbose:
            print(f"ok   {what}")

    def fail(self, what: str, why: str) -> None:
        self.failed += 1
        print(f"FAIL {what}: {why.rstrip()}")


def rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def load_docs(text: str) -> list:
    return [d for d in yaml.load_all(text, Loader=StrictLoader) if d is not None]


def api_group(api_version: str) -> str:
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


def is_object(doc) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("apiVersion"), str) \
        and isinstance(doc.get("kind"), str)


def kustomization_refs(kfile: Path, doc: dict) -> set[Path]:
    """Files a kustomization uses as something other than a whole object: patches,
    generator inputs, replacements, configurations, openapi, helm values."""
    base = kfile.parent
    refs: list[str] = []

    def paths_of(entries, key="path"):
        for e in entries or []:
            if isinstance(e, dict) and isinstance(e.get(key), str):
                refs.append(e[key])

    paths_of(doc.get("patches"))
    paths_of(doc.get("patchesJson6902"))
    paths_of(doc.get("replacements"))
    for e in doc.get("patchesStrategicMerge") or []:
        if isinstance(e, str) and "\n" not in e:  # a path, not an inline patch
            refs.append(e)
    for gen in ("configMapGenerator", "secretGenerator"):
        for e in doc.get(gen) or []:
            if not isinstance(e, dict):
                continue
            for f in (e.get("files") or []) + (e.get("envs") or []) + [e.get("env")]:
                if isinstance(f, str):
                    refs.append(f.split("=", 1)[-1])
    for key in ("configurations", "crds"):
        refs.extend(x for x in doc.get(key) or [] if isinstance(x, str))
    if isinstance(doc.get("openapi"), dict) and isinstance(doc["openapi"].get("path"), str):
        refs.append(doc["openapi"]["path"])
    for chart in doc.get("helmCharts") or []:
        if isinstance(chart, dict) and isinstance(chart.get("valuesFile"), str):
            refs.append(chart["valuesFile"])
    return {(base / r).resolve() for r in refs}


def validate_object(report: Report, where: str, obj: dict, custom: list) -> bool:
    """Validates one object if built-in; returns True when it was checked."""
    kind = obj["kind"]
    name = (obj.get("metadata") or {}).get("name", "?")
    what = f"{where} {kind}/{name}"
    if api_group(obj["apiVersion"]) not in BUILTIN_GROUPS:
        report.skipped += 1
        custom.append(what)
        return False
    try:
        kv.validate(obj, K8S_VERSION, strict=True)
        report.ok(f"validate {what}")
    except kv.ValidationError as e:
        path = ".".join(str(p) for p in e.path)
        report.fail(f"validate {what}", f"{path}: {e.message}")
    except kv.SchemaNotFoundError:
        report.fail(f"validate {what}",
                    f"no schema for built-in {obj['apiVersion']} {kind} in Kubernetes {K8S_VERSION}")
    except Exception as e:  # noqa: BLE001 - any other error is a failure, shown whole
        report.fail(f"validate {what}", f"{type(e).__name__}: {e}")
    return True


def rkv_validate_hook(report: Report, gen: Path) -> None:
    """HOOK (c): every custom resource against the upstream CRD schemas, twice: the
    objects rkv renders from profiles/ (every environment and site, in memory) and the
    manifests on disk under the generated dir (`rkv validate --crds DIR --manifests`)."""
    rkv = next((p for p in (ROOT / "target/debug/rkv", ROOT / "target/release/rkv")
                if p.is_file()), None)
    crds = ROOT.parent / "shared" / "crds"
    if rkv is None:
        report.fail("rkv validate", "no rkv binary in target/; build it first")
        return
    runs = [
        ("rkv validate --crds (profiles)", [str(rkv), "validate", "--crds", str(crds), str(ROOT / "profiles")]),
        ("rkv validate --crds --manifests", [str(rkv), "validate", "--crds", str(crds), "--manifests", str(gen)]),
    ]
    for name, cmd in runs:
        r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        if r.returncode == 0:
            report.ok(f"{name}: {r.stderr.strip().splitlines()[-1] if r.stderr.strip() else ''}", verbose=True)
        else:
            report.fail(name, r.stdout + r.stderr)


def variant_equivalence(report: Report, gen: Path) -> None:
    """`kubectl kustomize` of base/, overlays/<env>/ and clusters/<site>/apps/redis/
    must yield exactly `rkv render <spec> --stdout --env <variant>`: proves that the
    overlays' JSON patches and delete patches reproduce each environment."""
    rkv = next((p for p in (ROOT / "target/debug/rkv", ROOT / "target/release/rkv")
                if p.is_file()), None)
    if rkv is None or gen.resolve() != (ROOT / "generated").resolve():
        print("conformance: variant equivalence: only for the repository's generated/")
        return
    def key(o: dict) -> tuple:
        m = o.get("metadata") or {}
        return (o.get("apiVersion", ""), o.get("kind", ""), m.get("namespace", ""), m.get("name", ""))
    for tree in sorted(p for p in gen.iterdir() if p.is_dir()):
        spec = ROOT / "profiles" / f"{tree.name}.yaml"
        dirs = []
        if (tree / "base").is_dir():
            dirs.append(("base", tree / "base"))
        for group, sub in (("overlays", None), ("clusters", "apps/redis")):
            if (tree / group).is_dir():
                for d in sorted((tree / group).iterdir()):
                    path = d / sub if sub else d
                    if (path / "kustomization.yaml").is_file():
                        dirs.append((d.name, path))
        for variant, path in dirs:
            name = f"variant {rel(path)} == rkv render --env {variant}"
            built = subprocess.run([str(KUBECTL), "kustomize", str(path)], capture_output=True, text=True)
            rendered = subprocess.run([str(rkv), "render", str(spec), "--stdout", "--env", variant],
                                      capture_output=True, text=True, cwd=ROOT)
            if built.returncode != 0 or rendered.returncode != 0:
                report.fail(name, built.stderr + rendered.stderr)
                continue
            a = sorted((o for o in load_docs(built.stdout) if isinstance(o, dict)), key=key)
            b = sorted((o for o in load_docs(rendered.stdout) if isinstance(o, dict)), key=key)
            # Objects rkv places beside the tree (Applications, Helm files) are not in it.
            in_tree = {key(o) for o in a}
            beside = ("Application", "HelmRelease", "OCIRepository", "HelmRepository")
            helm_values = lambda o: o.get("kind") == "ConfigMap" and \
                ((o.get("metadata") or {}).get("labels") or {}).get("app.kubernetes.io/component") == "helm-values"
            b = [o for o in b if key(o) in in_tree or (o.get("kind") not in beside and not helm_values(o))]
            if a == b:
                report.ok(name, verbose=True)
            else:
                missing = sorted(set(map(key, b)) - set(map(key, a)))
                extra = sorted(set(map(key, a)) - set(map(key, b)))
                changed = [key(x) for x, y in zip(a, b) if key(x) == key(y) and x != y]
                report.fail(name, f"missing {missing}, extra {extra}, different {changed}")


def rkv119_trees(gen: Path, trees: list[Path]) -> set[str]:
    """The trees whose spec (profiles/<tree>.yaml) gets RKV119 from `rkv validate`: a Redis
    pod whose Redis container the spec leaves without requests or limits."""
    rkv = next((p for p in (ROOT / "target/debug/rkv", ROOT / "target/release/rkv")
                if p.is_file()), None)
    found = set()
    for t in trees:
        spec = ROOT / "profiles" / f"{t.name}.yaml"
        if rkv is None or not spec.is_file():
            continue
        r = subprocess.run([str(rkv), "validate", "--format", "json", str(spec)],
                           capture_output=True, text=True, cwd=ROOT)
        try:
            findings = json.loads(r.stdout or "[]")
        except json.JSONDecodeError:
            findings = []
        if any(f.get("code") == "RKV119" for f in findings):
            found.add(t.name)
    return found


def main(argv: list[str]) -> int:
    arg = argv[1] if len(argv) > 1 else os.environ.get("RKV_GENERATED_DIR") or str(ROOT / "generated")
    gen = Path(arg)
    report = Report()
    custom: list[str] = []
    print(f"conformance: generated dir {rel(gen)}, Kubernetes {K8S_VERSION}, "
          f"kubernetes-validate {KV_VERSION} --strict")

    trees = sorted(t for t in gen.iterdir() if t.is_dir() and not t.name.startswith(".")) \
        if gen.is_dir() else []
    if not trees:
        report.fail(rel(gen), "no generated trees: a conformance tier that checks nothing must not pass")
        print(f"conformance: {report.passed} passed, {report.failed} failed")
        return 1

    files = sorted(p for t in trees for p in t.rglob("*") if p.is_file())
    kfiles = [p for p in files if p.name in KUSTOMIZATION_NAMES]

    # Which files are not whole objects (patches, generator inputs...), per kustomization.
    not_objects: set[Path] = set()
    components: set[Path] = set()
    for kfile in kfiles:
        try:
            docs = load_docs(kfile.read_text())
        except yaml.YAMLError as e:
            report.fail(rel(kfile), f"not valid YAML: {e}")
            continue
        doc = docs[0] if docs and isinstance(docs[0], dict) else {}
        if doc.get("kind") == "Component":
            components.add(kfile.parent)
        not_objects |= kustomization_refs(kfile, doc)

    checked_objects = 0
    built_trees: list[tuple[str, str, list[dict], bool]] = []
    rkv119 = rkv119_trees(gen, trees)

    # (a) kubectl kustomize every kustomization dir; (b) validate what each build emits.
    for kdir in sorted({k.parent for k in kfiles}):
        if kdir in components:
            print(f"conformance: skip kustomize {rel(kdir)} (a Component is built by its users)")
            continue
        r = subprocess.run([str(KUBECTL), "kustomize", str(kdir)],
                           capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            report.fail(f"kubectl kustomize {rel(kdir)}", r.stderr or r.stdout)
            continue
        try:
            built = load_docs(r.stdout)
        except yaml.YAMLError as e:
            report.fail(f"kubectl kustomize {rel(kdir)}", f"output is not valid YAML: {e}")
            continue
        if not built:
            report.fail(f"kubectl kustomize {rel(kdir)}", "built no objects")
            continue
        report.ok(f"kubectl kustomize {rel(kdir)}", verbose=True)
        tree = kdir.resolve().relative_to(gen.resolve()).parts[0]
        built_trees.append((tree, rel(kdir), [o for o in built if is_object(o)], tree in rkv119))
        for obj in built:
            if not is_object(obj):
                report.fail(f"kubectl kustomize {rel(kdir)}", f"emitted a non-object: {obj!r:.200}")
            elif validate_object(report, f"build:{rel(kdir)}", obj, custom):
                checked_objects += 1

    # (b) validate every object in the files as written.
    for path in files:
        if path.suffix not in YAML_SUFFIXES or path.name in KUSTOMIZATION_NAMES:
            continue
        if path.resolve() in not_objects:
            continue
        in_helm = "helm" in path.relative_to(gen).parts
        try:
            docs = load_docs(path.read_text())
        except yaml.YAMLError as e:
            report.fail(rel(path), f"not valid YAML: {e}")
            continue
        for i, doc in enumerate(docs):
            if not is_object(doc):
                if in_helm:  # Helm values files: checked against the chart schema, not here
                    continue
                report.fail(f"{rel(path)}#{i}",
                            "not a Kubernetes object (no apiVersion/kind) and not used as a "
                            "patch or generator input by any kustomization")
                continue
            if validate_object(report, rel(path), doc, custom):
                checked_objects += 1

    # (c) custom resources against the upstream CRDs.
    rkv_validate_hook(report, gen)

    # (d) each variant's directory builds to exactly the objects rkv renders for it.
    variant_equivalence(report, gen)

    # (e) checkov over every build.
    checkov_tier.run(report, CHECKOV, built_trees)

    if checked_objects == 0:
        report.fail(rel(gen), "no built-in Kubernetes object was found to validate")
    if custom:
        print(f"conformance: {len(custom)} custom-resource objects left to the CRD check")
    print(f"conformance: {report.passed} passed, {report.failed} failed")
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
