"""End-to-end fixtures: the whole stack including the `api` and `stream` services.

By default the target is the local stack (`make up`). The container smoke test (tests/containers/smoke.py) runs
the pipeline test against the chart's containers instead, from inside their network namespace, with
QUESTLOG_E2E_EXTERNAL=1 (the stream's readiness is then the chart's probe, not the supervisor's
progress file), QUESTLOG_E2E_API_KEY (the release's generated key), QUESTLOG_E2E_KAFKA_* (client
settings for the chart's locked Kafka, e.g. QUESTLOG_E2E_KAFKA_SASL_USERNAME -> sasl.username) and
QUESTLOG_E2E_TRINO_USER/_PASSWORD/_PORT/_CA_FILE (the chart's locked Trino, over HTTPS; see
tests.integration.conftest.trino_login).
"""

from __future__ import annotations

import os

import pytest
from questlog_core.kafka_config import client_properties
from questlog_stack import health
from questlog_stack.paths import Paths

from tests.conftest import mark_tier
from tests.integration.conftest import hdfs_is_up, query, require, trino_cursor, wait_for  # noqa: F401 - fixtures

API = "http://127.0.0.1:5000"
EXTERNAL = os.environ.get("QUESTLOG_E2E_EXTERNAL") == "1"
# Headers of every ingest request: the API key when the target requires one.
HEADERS = {"X-Api-Key": os.environ["QUESTLOG_E2E_API_KEY"]} if os.environ.get("QUESTLOG_E2E_API_KEY") else {}
KAFKA_CONFIG = client_properties(os.environ, "QUESTLOG_E2E_")


def pytest_collection_modifyitems(items):
    mark_tier(items, __file__, pytest.mark.e2e)


@pytest.fixture(scope="session", autouse=True)
def pipeline_is_up(request: pytest.FixtureRequest) -> None:
    request.getfixturevalue("hdfs_is_up")
    require("kafka", lambda: health.kafka(config=KAFKA_CONFIG))
    require("api", health.api)
    if not EXTERNAL:
        require("stream", lambda: health.stream(Paths.from_env().var / "run" / "stream.progress.json"))
