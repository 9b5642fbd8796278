"""Each service of the local stack is real: Kafka, HDFS, the metastore and Trino do real work."""

from __future__ import annotations

import subprocess
import sys

from confluent_kafka import Producer

from tests.integration.conftest import BOOTSTRAP, consume_all, query, webhdfs


def test_kafka_produce_and_consume(topic):
    producer = Producer({"bootstrap.servers": BOOTSTRAP, "acks": "all", "enable.idempotence": True})
    sent = [f"message-{i}".encode() for i in range(20)]
    for i, value in enumerate(sent):
        producer.produce(topic, value, key=str(i % 4).encode())
    assert producer.flush(30) == 0
    received = consume_all(topic, len(sent))
    assert sorted(m.value() for m in received) == sorted(sent)
    assert {m.partition() for m in received} <= {0, 1, 2}


def test_hdfs_write_and_read(hdfs_is_up, unique):
    path = f"/tmp/questlog-tests/{unique}.txt"
    body = f"hello hdfs {unique}\n".encode() * 1000
    created = webhdfs("PUT", path, "CREATE", data=body, params={"overwrite": "true"})
    assert created.status_code == 201, created.text
    read = webhdfs("GET", path, "OPEN")
    assert read.content == body
    status = webhdfs("GET", path, "GETFILESTATUS").json()["FileStatus"]
    assert status["length"] == len(body) and status["replication"] == 1
    assert webhdfs("DELETE", path, "DELETE").json()["boolean"] is True


def test_trino_table_in_lake_game_lives_on_hdfs(trino_cursor, unique):
    table = f"lake.game.smoke_{unique}"
    query(trino_cursor, f"CREATE TABLE {table} (id bigint, name varchar)")
    try:
        query(trino_cursor, f"INSERT INTO {table} VALUES (1, 'sword'), (2, 'shield'), (3, 'bow')")
        assert query(trino_cursor, f"SELECT count(*), sum(id), max(name) FROM {table}") == [[3, 6, "sword"]]
        paths = query(trino_cursor, f'SELECT DISTINCT "$path" FROM {table}')
        assert paths and all(p[0].startswith("hdfs://127.0.0.1:8020/warehouse/game.db/") for p in paths)
        listing = webhdfs("GET", "/warehouse/game.db", "LISTSTATUS").json()
        names = [s["pathSuffix"] for s in listing["FileStatuses"]["FileStatus"]]
        assert any(n.startswith(f"smoke_{unique}") for n in names)
    finally:
        query(trino_cursor, f"DROP TABLE IF EXISTS {table}")


def test_status_lists_every_service_healthy():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "questlog_stack",
            "status",
            "hdfs-namenode",
            "hdfs-datanode",
            "kafka",
            "metastore",
            "trino",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()[1:]
    lines = [line for line in lines if not line.startswith("total")]
    assert [line.split()[0] for line in lines] == ["hdfs-namenode", "hdfs-datanode", "kafka", "metastore", "trino"]
    assert all(line.split()[3] == "healthy" for line in lines)
