"""`make demo`, the README's first command, run as a user runs it (against the running stack): it
simulates players and an Apache Bench run, plays 14 days of the game world, checks itself that the lake
holds exactly what the API acknowledged (it exits non-zero otherwise), builds the marts with
`make models`, and writes the report."""

from __future__ import annotations

import re
import subprocess
import time

import pytest
from questlog_report import render

from tests.conftest import ROOT

pytestmark = pytest.mark.slow


def test_make_demo_lands_what_was_acknowledged_and_writes_the_report():
    started = time.time()
    done = subprocess.run(["make", "demo"], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    run = re.search(r"simulating players \(run (demo\d+)\)", out)
    assert run, out[-2000:]
    assert "lake matches the simulator's acknowledged events" in out
    assert re.search(r"lake holds the run's \d+ game events", out), out[-2000:]
    assert "Completed successfully" in out, "make models did not pass its tests"
    assert re.search(r"lake holds the run's \d+ events sent through the SDK", out), out[-2000:]
    for step in ("1/7", "2/7", "3/7", "4/7", "5/7", "6/7", "7/7"):
        assert step in out, f"step {step} missing:\n{out[-2000:]}"
    for name in ("report.html", "report.md"):
        path = ROOT / "reports" / name
        assert path.exists() and path.stat().st_mtime >= started, f"{path} was not written by this run"
    # The findings the demo printed (scoped to its run) are the ones in the written report.
    markdown = (ROOT / "reports" / "report.md").read_text()
    written = re.findall(r"^\*\*Finding:\*\* (.+)$", markdown, flags=re.M)
    printed = [line for line in out.split("7/7", 1)[1].splitlines() if line.startswith("- ")]
    assert len(written) >= 8 and len(written) == len(printed), (written, printed)
    for finding, line in zip(written, printed, strict=True):
        # report.md carries the finding through render.md_text (Markdown-inert: escaped)
        assert line.startswith("- ") and render.md_text(line).endswith(": " + finding), (finding, line)
    truth = ROOT / "var" / "loadgen" / f"{run.group(1)}-truth.json"
    assert truth.exists(), f"no truth file {truth}"
