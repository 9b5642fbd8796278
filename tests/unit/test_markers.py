"""Each tier's conftest marks its own tests only, so `-m integration` and `-m e2e` select one tier each."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT

TIERS = ("tests/unit", "tests/integration", "tests/e2e")


def collected(marker: str) -> list[str]:
    """Return the test ids `pytest -m marker` selects from the unit, integration and e2e tiers."""
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "-m", marker, *TIERS],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode in (0, 5), out.stdout[-3000:] + out.stderr[-3000:]
    return [line for line in out.stdout.splitlines() if "::" in line]


@pytest.mark.parametrize("tier", ["integration", "e2e"])
def test_a_tier_marker_selects_that_tier_only(tier):
    ids = collected(tier)
    assert ids, f"-m {tier} selected nothing"
    assert {i.split("/")[1] for i in ids} == {tier}
