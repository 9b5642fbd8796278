"""kill -9 of Kafka, the NameNode and the metastore under load, in `make test`: every event the API
acknowledged lands exactly once, nothing unsent appears, and what the API refused, resent with its
event_id, lands once too.

The short form of the chaos suite's scenarios (tests/chaos, `make chaos`: those stop the services with
SIGTERM for 30 s; these kill the whole process group with SIGKILL, mid-write, and restart it at once).
The project's watcher restarts the API and the stream if a fault takes them down, as in production.
"""

from __future__ import annotations

import os
import signal
import time

import psutil
import pytest
from questlog_stack import supervisor

from tests.chaos.conftest import restore_stack, watcher  # noqa: F401 - fixture: the watcher, for this module
from tests.chaos.results import OUT, Results
from tests.chaos.scenario import PATHS, SERVICES, Scenario, assert_exact

pytestmark = [pytest.mark.disruptive, pytest.mark.slow, pytest.mark.timeout(1200)]

# Events per second during a scenario: enough that writes are in flight when the process dies.
RATE = 40.0


@pytest.fixture(scope="module")
def results() -> Results:
    return Results(OUT.parent / "kill-9")  # test-artifacts/kill-9/results.md


@pytest.mark.parametrize("service", ["kafka", "hdfs-namenode", "metastore"])
def test_kill_9_under_load_loses_and_doubles_nothing(trino_cursor, results, watcher, service):  # noqa: F811
    restore_stack()
    with Scenario(f"{service}-kill-9", trino_cursor, max_seconds=240, rate=RATE) as scenario:
        pid = supervisor.read_pid(PATHS, service)
        assert pid is not None, f"{service} is not running"
        acked_before = len(scenario.driver.outcomes.acked)
        assert acked_before > 0, "no load was acknowledged before the fault"
        os.killpg(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
            assert time.monotonic() < deadline, f"{service} (pid {pid}) survived SIGKILL for 30 s"
            time.sleep(0.2)
        killed_at = time.monotonic()
        time.sleep(3)  # load keeps coming while it is down
        supervisor.start(PATHS, SERVICES[service])
        restore_stack()  # and anything the fault took down with it
        scenario.extra["down_s"] = round(time.monotonic() - killed_at, 1)
        scenario.recovered(since=killed_at)
        row = scenario.finish(results)
    assert row["acknowledged"] > acked_before, row  # load went on past the fault
    assert_exact(row)
