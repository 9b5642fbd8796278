"""Fixtures for tests against the real local stack (`make up`); they fail fast when it is down."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
import trino
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from questlog_stack import health

from tests.conftest import mark_tier

BOOTSTRAP = "127.0.0.1:9092"
WEBHDFS = "http://127.0.0.1:9870/webhdfs/v1"


def pytest_collection_modifyitems(items):
    mark_tier(items, __file__, pytest.mark.integration)


def require(name: str, probe: Any) -> None:
    """Fail at once, naming the service, when part of the stack is down."""
    ok, detail = probe()
    assert ok, f"{name} is not healthy ({detail}); start the stack with `make up`"


@pytest.fixture(scope="session", autouse=True)
def kafka_is_up() -> None:
    require("kafka", health.kafka)


@pytest.fixture(scope="session")
def hdfs_is_up() -> None:
    require("hdfs-namenode", health.namenode)
    require("hdfs-datanode", health.datanode)


@pytest.fixture
def admin() -> AdminClient:
    return AdminClient({"bootstrap.servers": BOOTSTRAP})


@pytest.fixture
def topic(admin: AdminClient) -> Iterator[str]:
    """Create a unique 3-partition topic for one test and delete it afterwards."""
    name = f"test-{uuid.uuid4().hex[:10]}"
    admin.create_topics([NewTopic(name, num_partitions=3, replication_factor=1)])[name].result(30)
    yield name
    admin.delete_topics([name])[name].result(30)


def end_offsets(consumer: Consumer, topic: str) -> dict[int, tuple[int, int]]:
    """Return (low, high) watermarks of every partition of a topic, asked of the broker now."""
    partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
    assert partitions, f"topic {topic} has no partitions (does it exist?)"
    return {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10, cached=False) for p in partitions}


def consume_all(topic: str, expected: int, timeout_s: float = 30.0) -> list[Any]:
    """Read a topic from the start until `expected` messages arrived and every partition is read to
    its end offset (asked of the broker on the call, so after the request under test, and again once
    `expected` is reached): a message stored beyond `expected`, a duplicate, is then always seen.

    With `expected=0` this proves nothing was stored: it fails when the end cannot be reached in time
    rather than returning an empty list it did not check.
    """
    consumer = Consumer(
        {
            "bootstrap.servers": BOOTSTRAP,
            "group.id": f"t-{uuid.uuid4().hex}",
            "enable.auto.commit": False,
        }
    )
    messages: list[Any] = []
    deadline = time.monotonic() + timeout_s
    try:
        ends = end_offsets(consumer, topic)
        # Assigned by hand from the first offset: no group join to wait for, the assignment is complete.
        consumer.assign([TopicPartition(topic, p, low) for p, (low, _high) in ends.items()])
        next_offset = {p: low for p, (low, _high) in ends.items()}
        refreshed = False
        while time.monotonic() < deadline:
            at_end = all(next_offset[p] >= high for p, (_low, high) in ends.items())
            if at_end and len(messages) >= expected:
                if refreshed:
                    return messages
                ends, refreshed = end_offsets(consumer, topic), True
                continue
            msg = consumer.poll(0.2)
            if msg is not None and msg.error() is None:
                messages.append(msg)
                next_offset[msg.partition()] = msg.offset() + 1
        if len(messages) < expected:
            return messages  # the caller's count assertion names what is missing
        behind = {p: (next_offset[p], high) for p, (_low, high) in ends.items() if next_offset[p] < high}
        raise AssertionError(f"{topic}: not read to its end offsets within {timeout_s}s: (at, end) {behind}")
    finally:
        consumer.close()


@pytest.fixture(scope="session")
def trino_cursor(hdfs_is_up):
    require("trino", health.trino)
    conn = trino.dbapi.connect(**trino_login(), catalog="lake", schema="game")
    yield conn.cursor()
    conn.close()


def trino_https(port: int, user: str, password: str | None, ca: str) -> dict[str, Any]:
    """Connection settings for a locked Trino: HTTPS on loopback, a password login (none: no
    Authorization header), trusting only the given CA (requests would otherwise take
    REQUESTS_CA_BUNDLE over the session's setting)."""
    session = requests.Session()
    session.trust_env = False
    session.verify = ca
    auth = trino.auth.BasicAuthentication(user, password) if password is not None else None
    return {
        "host": "127.0.0.1",
        "port": port,
        "user": user,
        "http_scheme": "https",
        "auth": auth,
        "http_session": session,
    }


def trino_login() -> dict[str, Any]:
    """Connection settings of the Trino the tests query: the local stack's (open, any user) unless
    QUESTLOG_E2E_TRINO_USER is set (the chart's locked Trino in the container smoke test): then HTTPS
    on QUESTLOG_E2E_TRINO_PORT with QUESTLOG_E2E_TRINO_PASSWORD, trusting QUESTLOG_E2E_TRINO_CA_FILE."""
    env = os.environ
    if not env.get("QUESTLOG_E2E_TRINO_USER"):
        return {"host": "127.0.0.1", "port": 8080, "user": "questlog-tests"}
    return trino_https(
        int(env["QUESTLOG_E2E_TRINO_PORT"]),
        env["QUESTLOG_E2E_TRINO_USER"],
        env["QUESTLOG_E2E_TRINO_PASSWORD"],
        env["QUESTLOG_E2E_TRINO_CA_FILE"],
    )


def query(cursor, sql: str) -> list[list[Any]]:
    cursor.execute(sql)
    return cursor.fetchall()


def wait_for(check: Callable[[], Any], expected: Any, timeout_s: float = 240.0) -> Any:
    """Poll until check() == expected or the time is up; return the last value seen."""
    deadline = time.monotonic() + timeout_s
    value = check()
    while value != expected and time.monotonic() < deadline:
        time.sleep(2.0)
        value = check()
    return value


def webhdfs(method: str, path: str, op: str, **kwargs: Any) -> requests.Response:
    """Call WebHDFS on the NameNode, following the redirect to the DataNode."""
    params = {"op": op, "user.name": "questlog", **kwargs.pop("params", {})}
    return requests.request(method, f"{WEBHDFS}{path}", params=params, timeout=30, **kwargs)
