"""The image sources: pinned versions, non-root users, health checks, no downloads while building, and
a dry run of images/build.sh whose assembled contexts import the applications (no Docker needed)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.charts.conftest import ROOT

IMAGES = ROOT / "images"
DOCKERFILES = sorted(IMAGES.glob("*/Dockerfile"))
VERSIONS = dict(
    line.split("=", 1)
    for line in (ROOT / "stack" / "versions.env").read_text().splitlines()
    if re.match(r"^[A-Z0-9_]+=", line)
)
DOWNLOADS = re.compile(r"\b(curl|wget|pip3? install|uv pip|apt-get|apk add|mvn|git clone)\b|^ADD\s+https?://", re.M)


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.parent.name)
def test_dockerfile_conventions(dockerfile):
    text = dockerfile.read_text()
    instructions = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    assert re.search(r"^ARG BASE_IMAGE=[^\s:]+:[^\s]+$", text, re.M), "BASE_IMAGE build arg with a pinned default"
    assert ":latest" not in text
    assert re.search(r"^USER 10001:10001$", text, re.M), "runs as the non-root uid 10001"
    assert re.search(r"^HEALTHCHECK ", text, re.M), "HEALTHCHECK (or HEALTHCHECK NONE with the probe documented)"
    assert not DOWNLOADS.search(instructions), "nothing is downloaded while building"
    for name, default in re.findall(r"^ARG ([A-Z0-9_]+_VERSION)=(\S+)$", text, re.M):
        if name in VERSIONS:
            assert default == VERSIONS[name], f"{name} default {default} != stack/versions.env {VERSIONS[name]}"


@pytest.mark.parametrize(
    "script",
    sorted(
        p for p in IMAGES.rglob("*") if (p.is_file() and p.read_bytes()[:11] == b"#!/bin/bash") or p.suffix == ".sh"
    ),
    ids=lambda p: str(p.relative_to(IMAGES)),
)
def test_shell_scripts_parse(script):
    done = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    ("component", "imports"),
    [
        ("api", "import questlog_api.app, questlog_api.wsgi, gunicorn, confluent_kafka"),
        ("spark-stream", "import pyspark, questlog_stream.main"),
        ("loadgen", "import questlog_loadgen"),
        ("models", "import dbt.cli.main, dbt.adapters.trino"),
    ],
)
def test_dry_run_assembles_contexts_that_import(component, imports):
    done = subprocess.run(["images/build.sh", "--dry-run", component], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "docker build" in done.stdout and f"-t questlog/{component}:" in done.stdout
    ctx = ROOT / ".cache" / "images" / "ctx" / component
    dockerfile = (ctx / "Dockerfile").read_text()
    pythonpath = re.search(r"PYTHONPATH=(\S+)", dockerfile).group(1)
    # The image's PYTHONPATH, mapped onto the context; -S: nothing from this machine's site-packages.
    mapped = ":".join(str(ctx / p.removeprefix("/opt/questlog/")) for p in pythonpath.split(":"))
    env = {"PYTHONPATH": mapped, "PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"}
    check = subprocess.run([sys.executable, "-S", "-c", imports], capture_output=True, text=True, env=env)
    assert check.returncode == 0, check.stderr
    if component == "api":
        assert not (ctx / "site-packages" / "pyspark").exists()
    if component == "models":  # the models group only, and the dbt project
        assert not (ctx / "site-packages" / "pyspark").exists()
        assert (ctx / "app" / "models" / "dbt_project.yml").exists()
