"""The streaming writer on the real stack: Kafka records land in Trino typed, once, and bad ones aside."""

from __future__ import annotations

import os
import random
import signal
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from confluent_kafka import Producer
from questlog_api.events import RequestContext, enrich
from questlog_stack import health, supervisor
from questlog_stack.paths import Paths
from questlog_stack.services import by_name

from tests.integration.conftest import BOOTSTRAP, query, wait_for

PROGRESS = Paths.from_env().var / "run" / "stream.progress.json"


@pytest.fixture(autouse=True)
def stream_is_up() -> None:
    # A restart by an earlier test may still be warming up: wait a bounded time, then fail naming it.
    deadline = time.monotonic() + 180
    ok, detail = health.stream(PROGRESS)
    while not ok and time.monotonic() < deadline:
        time.sleep(2)
        ok, detail = health.stream(PROGRESS)
    assert ok, f"stream is not healthy ({detail}); start the stack with `make up`"


def record(run: str, i: int, **extra) -> dict:
    ctx = RequestContext(datetime.now(UTC), "tests.example.net", "pytest", "/v1/events", "t")
    event = {
        "event_type": "purchase_weapon",
        "user_id": f"{run}-u{i % 11}",
        "weapon_type": "mace",
        "gold_cost": i,
        "event_id": str(uuid.uuid4()),
        **extra,
    }
    return enrich(event, ctx, "1-0-0")


def produce(values: list[bytes], topic: str = "events") -> None:
    producer = Producer({"bootstrap.servers": BOOTSTRAP, "acks": "all", "enable.idempotence": True, "linger.ms": 5})
    for value in values:
        while True:
            try:
                producer.produce(topic, value)
                break
            except BufferError:
                producer.poll(0.1)
    assert producer.flush(60) == 0


def wait_rows(cursor, sql: str, expected, timeout_s: float = 180.0):
    return wait_for(lambda: query(cursor, sql), expected, timeout_s)


def test_records_land_typed_and_duplicates_once(trino_cursor, unique):
    run = f"stream-{unique}"
    records = [record(run, i) for i in range(200)]
    produce([orjson.dumps(r) for r in records])
    expected = [[200, 200, sum(range(200))]]
    sql = f"SELECT count(*), count(DISTINCT event_id), sum(gold_cost) FROM purchase_weapon WHERE user_id LIKE '{run}-%'"
    assert wait_rows(trino_cursor, sql, expected) == expected
    # The same events again, in a later batch and within one batch: still stored once.
    produce([orjson.dumps(r) for r in records[:50]] * 2)
    marker = record(run, 999)
    produce([orjson.dumps(marker)])
    expected = [[201, 201, sum(range(200)) + 999]]
    assert wait_rows(trino_cursor, sql, expected) == expected
    row = query(
        trino_cursor,
        f"SELECT event_ts, received_at, kafka_offset IS NOT NULL, landed_at >= received_at "
        f"FROM purchase_weapon WHERE event_id = '{marker['event_id']}'",
    )
    assert row[0][2] is True and row[0][3] is True
    assert row[0][0].tzinfo is not None


def test_late_event_lands_in_its_own_day(trino_cursor, unique):
    run = f"late-{unique}"
    old = datetime.now(UTC) - timedelta(days=3, hours=5)
    late = record(run, 1, event_ts=old.strftime("%Y-%m-%dT%H:%M:%SZ"))
    produce([orjson.dumps(late)])
    sql = f"SELECT CAST(date(event_ts) AS varchar) FROM purchase_weapon WHERE user_id LIKE '{run}-%'"
    assert wait_rows(trino_cursor, sql, [[old.date().isoformat()]]) == [[old.date().isoformat()]]
    files = query(
        trino_cursor,
        f'SELECT file_path FROM "purchase_weapon$files" '
        f"WHERE file_path LIKE '%event_ts_day={old.date().isoformat()}%'",
    )
    assert files, "the late event's day has its own partition"


def test_malformed_records_land_in_bad_events(trino_cursor, unique):
    marker = f"malformed-{unique}"
    missing = record(marker, 1)
    del missing["gold_cost"]
    produce([f'{{"broken": "{marker}"'.encode(), orjson.dumps(missing)])
    sql = f"SELECT reason FROM bad_events WHERE raw LIKE '%{marker}%' ORDER BY reason"
    expected = [["stream: missing or invalid field: gold_cost"], ["stream: record is not valid JSON"]]
    assert wait_rows(trino_cursor, sql, expected) == expected


@pytest.mark.disruptive
@pytest.mark.slow
def test_kill_9_mid_stream_keeps_counts_exact(trino_cursor, unique):
    run = f"kill9-{unique}"
    total, rng = 20_000, random.Random(unique)
    records = [orjson.dumps(record(run, i)) for i in range(total)]
    paths = Paths.from_env()
    stream = by_name(paths)["stream"]
    done = threading.Event()

    def feed() -> None:
        for start in range(0, total, 1000):
            produce(records[start : start + 1000])
            time.sleep(0.3)
        done.set()

    feeder = threading.Thread(target=feed)
    feeder.start()
    for _ in range(2):
        time.sleep(rng.uniform(8, 20))
        pid = supervisor.read_pid(paths, "stream")
        assert pid is not None
        os.killpg(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while supervisor.read_pid(paths, "stream") is not None and time.monotonic() < deadline:
            time.sleep(0.2)
        supervisor.start(paths, stream)
    feeder.join(timeout=300)
    assert done.is_set()
    expected = [[total, total, sum(range(total))]]
    sql = f"SELECT count(*), count(DISTINCT event_id), sum(gold_cost) FROM purchase_weapon WHERE user_id LIKE '{run}-%'"
    assert wait_rows(trino_cursor, sql, expected, timeout_s=300) == expected
