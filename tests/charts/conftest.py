"""Offline chart rendering for tests/charts: helm from .cache/bin (built on demand), manifests per values set."""

from __future__ import annotations

import functools
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT

CHART = ROOT / "charts" / "questlog"
HELM = ROOT / ".cache" / "bin" / "helm"
RELEASE = "ql"
NAMESPACE = "questlog"
# Every set of values a user is told to use, plus the optional parts switched on.
VARIANTS: dict[str, list[str]] = {
    "default": [],
    "kind": ["-f", str(CHART / "values-kind.yaml")],
    "gke": ["-f", str(CHART / "values-gke.yaml")],
    "optional-on": [
        "--set",
        "loadgen.enabled=true",
        "--set",
        "trino.workers.replicaCount=1",
        "--set",
        "global.apiAuth.existingSecret=my-keys",
        "--set",
        "api.autoscaling.enabled=true",
    ],
}

SPARK_OPERATOR_CHART = ROOT / ".cache" / "spark-operator" / "2.4.0" / "spark-operator-chart"


def spark_operator_crd(name: str) -> Path:
    """Return a CRD file of the pinned spark-operator chart, fetching the chart first
    (`make -f k8s/k8s.mk spark-operator-chart`, from the Go module proxy) when it is missing."""
    path = SPARK_OPERATOR_CHART / "crds" / name
    if not path.exists():
        make = ["make", "-f", "k8s/k8s.mk", "spark-operator-chart"]
        done = subprocess.run(make, cwd=ROOT, capture_output=True, text=True)
        if done.returncode or not path.exists():
            pytest.fail(f"{path} is missing and `{' '.join(make)}` failed:\n{done.stdout}\n{done.stderr}")
    return path


sys.path.insert(0, str(ROOT / "tools"))


def helm_binary() -> Path:
    """Return .cache/bin/helm, building it with `make k8s-tools` first when it is missing."""
    if not HELM.exists():
        done = subprocess.run(["make", "-f", "k8s/k8s.mk", "k8s-tools"], cwd=ROOT, capture_output=True, text=True)
        if done.returncode or not HELM.exists():
            pytest.fail(f"helm is missing and `make -f k8s/k8s.mk k8s-tools` failed:\n{done.stdout}\n{done.stderr}")
    return HELM


def helm(*args: str) -> subprocess.CompletedProcess[str]:
    """Run helm offline (no kubeconfig: it must never reach a cluster) and return the result."""
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": "/nonexistent",
        "KUBECONFIG": "/nonexistent",
        "HELM_CACHE_HOME": "/tmp/questlog-helm/cache",
        "HELM_CONFIG_HOME": "/tmp/questlog-helm/config",
        "HELM_DATA_HOME": "/tmp/questlog-helm/data",
    }
    return subprocess.run([str(helm_binary()), *args], cwd=ROOT, capture_output=True, text=True, env=env)


@functools.cache
def rendered(variant: str) -> tuple[str, tuple[dict[str, Any], ...]]:
    """Return `helm template` output of a variant (hooks and tests included) and its objects."""
    done = helm("template", RELEASE, str(CHART), "--namespace", NAMESPACE, *VARIANTS[variant])
    if done.returncode:
        pytest.fail(f"helm template ({variant}) failed:\n{done.stderr}")
    docs = tuple(d for d in yaml.safe_load_all(done.stdout) if d)
    return done.stdout, docs


@pytest.fixture(params=sorted(VARIANTS))
def variant(request: pytest.FixtureRequest) -> str:
    """Name of a values variant."""
    return str(request.param)


@pytest.fixture
def objects(variant: str) -> tuple[dict[str, Any], ...]:
    """The rendered objects of one variant."""
    return rendered(variant)[1]


def pod_specs(objects: tuple[dict[str, Any], ...]) -> list[tuple[str, dict[str, Any]]]:
    """Return (object name, pod spec) of every workload, hook Job, CronJob and test Pod."""
    out = []
    for obj in objects:
        kind, spec = obj["kind"], obj.get("spec", {})
        name = f"{kind}/{obj['metadata']['name']}"
        if kind in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
            out.append((name, spec["template"]["spec"]))
        elif kind == "CronJob":
            out.append((name, spec["jobTemplate"]["spec"]["template"]["spec"]))
        elif kind == "Pod":
            out.append((name, spec))
    return out


def by_kind(objects: tuple[dict[str, Any], ...], kind: str) -> dict[str, dict[str, Any]]:
    """Return the objects of one kind by name."""
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def load_yaml(path: Path) -> Any:
    """Read one YAML document."""
    return yaml.safe_load(path.read_text())


def properties(text: str) -> dict[str, str]:
    """Parse a Java .properties text (key=value lines; comments and blank lines skipped)."""
    pairs = (line.partition("=") for line in text.splitlines() if line.strip() and not line.startswith("#"))
    return {k.strip(): v.strip() for k, _, v in pairs}


def pod_spec(objects: tuple[dict[str, Any], ...], name: str) -> dict[str, Any]:
    """The pod spec of one workload, hook Job or test Pod, by `Kind/name`."""
    for obj_name, spec in pod_specs(objects):
        if obj_name == name:
            return spec
    raise AssertionError(f"{name} not rendered")
