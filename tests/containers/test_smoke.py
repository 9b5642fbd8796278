"""The container smoke test: build every image with no registry, run the chart's pods as containers, and
pass the chart's helm tests, the ab load Job, the local stack's end-to-end pipeline test and a run of the
models CronJob against them.

It starts Debian's Docker engine when none answers (stack/bin/docker-engine; `make down` stops it again).
The build and the run are logged to test-artifacts/containers/ (each container's own log is kept in
var/log/ql-smoke/).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.charts.conftest import ROOT, helm_binary

pytestmark = pytest.mark.containers
LOGS = ROOT / "test-artifacts" / "containers"


def run_logged(name: str, command: list[str], env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run a command with its output in LOGS/<name>.log; return the exit code and the output."""
    LOGS.mkdir(parents=True, exist_ok=True)
    log = LOGS / f"{name}.log"
    with log.open("w") as out:
        done = subprocess.run(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env, check=False)
    return done.returncode, log.read_text()


def tail(text: str, lines: int = 60) -> str:
    return "\n".join(text.splitlines()[-lines:])


@pytest.mark.timeout(3600)
def test_images_build_offline_and_run_the_pipeline_as_containers():
    code, output = run_logged("docker-engine", ["stack/bin/docker-engine", "start"])
    assert code == 0, f"no Docker engine:\n{tail(output)}"
    helm_binary()  # the smoke test renders the chart with it
    # --no-pull: never wait on a registry (none is reachable here); bases are bootstrapped from Debian's packages
    build_args = os.environ.get("IMAGE_BUILD_ARGS", "--no-pull").split()
    code, output = run_logged("build", ["images/build.sh", *build_args])
    assert code == 0, f"images/build.sh failed (test-artifacts/containers/build.log):\n{tail(output)}"
    assert "images: questlog/api:" in output

    code, output = run_logged("smoke", [sys.executable, "tests/containers/smoke.py"])
    assert code == 0, f"tests/containers/smoke.py failed (test-artifacts/containers/smoke.log):\n{tail(output)}"
    # every helm test pod and the load Job passed, then the local stack's own end-to-end test
    assert " passed, 0 failed" in output, tail(output)
    assert "helm test ql-test-pipeline: PASSED" in output, tail(output)
    assert "end-to-end test: PASSED" in output, tail(output)
    assert "models CronJob (dbt build): PASSED" in output, tail(output)
    assert "marts after the models run: PASSED" in output, tail(output)
