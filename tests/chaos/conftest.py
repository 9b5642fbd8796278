"""Fixtures for fault injection: a healthy stack before and after each scenario, a restart-on-exit
watcher for the API and the stream, and the results table."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from questlog_stack import supervisor, watch
from questlog_stack.services import services

from tests.chaos.results import Results
from tests.chaos.scenario import PATHS
from tests.conftest import mark_tier
from tests.integration.conftest import hdfs_is_up, trino_cursor  # noqa: F401 - fixtures

# The soak's length when QUESTLOG_SOAK_SECONDS is unset: the 15 minutes when it runs by itself,
# 2 minutes when it runs as part of `make chaos`.
SOAK_ALONE_S, SOAK_IN_CHAOS_S = 900, 120
soak_default = pytest.StashKey[int]()


def pytest_collection_modifyitems(config, items):
    mark_tier(items, __file__, pytest.mark.chaos)
    alone = all("test_soak" in item.nodeid for item in items)
    config.stash[soak_default] = SOAK_ALONE_S if alone else SOAK_IN_CHAOS_S


@pytest.fixture(scope="session")
def soak_seconds(request) -> int:
    """Return the soak's duration: QUESTLOG_SOAK_SECONDS, else 900 alone or 120 inside `make chaos`."""
    return int(os.environ.get("QUESTLOG_SOAK_SECONDS") or request.config.stash[soak_default])


def restore_stack(timeout_s: float = 600.0) -> None:
    """Start whatever is down, in order, and wait until every service is healthy again."""
    deadline = time.monotonic() + timeout_s
    for service in services(PATHS):
        while True:
            try:
                supervisor.start(PATHS, service)
                break
            except supervisor.StackError:
                # The watcher may be restarting the same service; look again, bounded.
                if time.monotonic() > deadline:
                    raise
                time.sleep(2)


@pytest.fixture(scope="session", autouse=True)
def watcher() -> Iterator[None]:
    """Run `python -m questlog_stack watch api stream` for the session (unless one already runs)."""
    restore_stack()
    if supervisor.read_pid(PATHS, watch.WATCHER) is not None:
        yield
        return
    log = PATHS.log(watch.WATCHER)
    with open(log, "ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "questlog_stack", "watch", "api", "stream"],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 30
    while supervisor.read_pid(PATHS, watch.WATCHER) is None and time.monotonic() < deadline:
        assert process.poll() is None, f"the watcher exited; see {log}"
        time.sleep(0.2)
    yield
    watch.stop_watcher(PATHS)
    process.wait(timeout=30)


@pytest.fixture(autouse=True)
def healthy_stack(watcher) -> Iterator[None]:
    """Each scenario starts and ends with the whole stack healthy, so scenarios are independent."""
    restore_stack()
    yield
    restore_stack()


@pytest.fixture(scope="session")
def results() -> Results:
    return Results()
