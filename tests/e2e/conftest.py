"""End-to-end fixtures: the whole stack including the `api` and `stream` services."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from questlog_stack import health
from questlog_stack.paths import Paths

from tests.integration.conftest import query, require, trino_cursor  # noqa: F401 - fixtures

API = "http://127.0.0.1:5000"


def pytest_collection_modifyitems(items):
    for item in items:
        item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session", autouse=True)
def pipeline_is_up(hdfs_is_up) -> None:
    require("kafka", health.kafka)
    require("api", health.api)
    require("stream", lambda: health.stream(Paths.from_env().var / "run" / "stream.progress.json"))


@pytest.fixture(scope="session")
def hdfs_is_up() -> None:
    require("hdfs-namenode", health.namenode)
    require("hdfs-datanode", health.datanode)


def wait_for(check: Callable[[], Any], expected: Any, timeout_s: float = 240.0) -> Any:
    """Poll until check() == expected or the time is up; return the last value seen."""
    deadline = time.monotonic() + timeout_s
    value = check()
    while value != expected and time.monotonic() < deadline:
        time.sleep(2.0)
        value = check()
    return value
