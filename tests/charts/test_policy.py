"""Policy checks: checkov on the rendered manifests (every failure explained in checkov-skips.yaml)
and hadolint on every Dockerfile. Both run with no network (unshare -n): nothing is downloaded."""

from __future__ import annotations

import fnmatch
import json
import subprocess

import pytest

from tests.charts.conftest import ROOT, VARIANTS, load_yaml, rendered

VENV_BIN = ROOT / ".venv" / "bin"
SKIPS = load_yaml(ROOT / "tests" / "charts" / "checkov-skips.yaml")
DOCKERFILES = sorted((ROOT / "images").glob("*/Dockerfile"))
COMPONENTS = ("api", "spark-stream", "kafka", "hdfs", "hive-metastore", "trino", "models", "loadgen")


def offline(*command: str) -> subprocess.CompletedProcess[str]:
    """Run a tool in a new network namespace, so it cannot reach anything."""
    tool = VENV_BIN / command[0]
    if not tool.exists():
        pytest.fail(f"{tool} is missing: run `uv sync` (it is a dev dependency in pyproject.toml)")
    return subprocess.run(["unshare", "-n", str(tool), *command[1:]], cwd=ROOT, capture_output=True, text=True)


def test_checkov_findings_are_all_explained(tmp_path):
    for variant in VARIANTS:
        (tmp_path / f"{variant}.yaml").write_text(rendered(variant)[0])
    done = offline(
        "checkov",
        "--directory",
        str(tmp_path),
        "--framework",
        "kubernetes",
        "--skip-download",
        "--quiet",
        "--compact",
        "--output",
        "json",
    )
    assert done.returncode in (0, 1), done.stderr
    report = json.loads(done.stdout)
    report = report[0] if isinstance(report, list) else report
    assert report["summary"]["parsing_errors"] == 0 and report["summary"]["passed"] > 500
    failed = [(f["check_id"], f["resource"]) for f in report["results"]["failed_checks"]]
    unexplained = sorted(
        {
            (check, resource)
            for check, resource in failed
            if not any(s["check"] == check and any(fnmatch.fnmatch(resource, p) for p in s["resources"]) for s in SKIPS)
        }
    )
    assert unexplained == [], "new checkov findings: fix them or explain them in checkov-skips.yaml"
    unused = [
        s["check"]
        for s in SKIPS
        if not any(
            check == s["check"] and any(fnmatch.fnmatch(resource, p) for p in s["resources"])
            for check, resource in failed
        )
    ]
    assert unused == [], "checkov-skips.yaml entries that match nothing any more: remove them"
    assert all(s.get("reason", "").strip() for s in SKIPS)


def test_there_is_a_dockerfile_per_component():
    assert sorted(p.parent.name for p in DOCKERFILES) == sorted(COMPONENTS)


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.parent.name)
def test_hadolint(dockerfile):
    done = offline("hadolint", "--config", str(ROOT / "images" / "hadolint.yaml"), str(dockerfile))
    assert done.returncode == 0, done.stdout + done.stderr
