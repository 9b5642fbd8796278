"""`make down` stops everything and `make up` brings it back with every byte still there."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest
from confluent_kafka import Producer
from questlog_stack import health
from questlog_stack.paths import Paths
from questlog_stack.services import services

from tests.integration.conftest import BOOTSTRAP, consume_all, query, webhdfs

pytestmark = [pytest.mark.disruptive, pytest.mark.slow]


def stack(command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "questlog_stack", command], capture_output=True, text=True, timeout=900
    )


def test_restart_keeps_kafka_hdfs_and_metastore_data(admin, trino_cursor, unique):
    topic = f"test-restart-{unique}"
    from confluent_kafka.admin import NewTopic

    admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])[topic].result(30)
    producer = Producer({"bootstrap.servers": BOOTSTRAP, "acks": "all"})
    marker = uuid.uuid4().hex.encode()
    producer.produce(topic, marker)
    assert producer.flush(30) == 0
    path = f"/tmp/questlog-tests/restart-{unique}.txt"
    assert webhdfs("PUT", path, "CREATE", data=marker, params={"overwrite": "true"}).status_code == 201
    table = f"lake.game.restart_{unique}"
    query(trino_cursor, f"CREATE TABLE {table} AS SELECT 42 AS answer")

    was_running = [s.name for s in services(Paths.from_env()) if os.path.exists(Paths.from_env().pid(s.name))]
    down = stack("down")
    assert down.returncode == 0, down.stderr
    for service in services(Paths.from_env()):
        assert not Paths.from_env().pid(service.name).exists(), f"{service.name} left a pid file"
    for port in (9092, 8020, 9870, 9083, 8080, 5000):
        assert not health.tcp(port)[0], f"port {port} still open after down"

    up = subprocess.run(
        [sys.executable, "-m", "questlog_stack", "up", *was_running], capture_output=True, text=True, timeout=900
    )
    assert up.returncode == 0, up.stdout + up.stderr

    assert [m.value() for m in consume_all(topic, 1)] == [marker]
    assert webhdfs("GET", path, "OPEN").content == marker
    assert query(trino_cursor, f"SELECT answer FROM {table}") == [[42]]
    query(trino_cursor, f"DROP TABLE {table}")
    admin.delete_topics([topic])
