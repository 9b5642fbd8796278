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
    # This run's row, not any row of the lake's history, is in a data file of its own day's partition.
    (path,) = query(trino_cursor, f"SELECT \"$path\" FROM purchase_weapon WHERE user_id LIKE '{run}-%'")
    assert f"/event_ts_day={old.date().isoformat()}/" in path[0], path


def test_malformed_records_land_in_bad_events(trino_cursor, unique):
    marker = f"malformed-{unique}"
    missing = record(marker, 1)
    del missing["gold_cost"]
    produce([f'{{"broken": "{marker}"'.encode(), orjson.dumps(missing)])
    sql = f"SELECT reason FROM bad_events WHERE raw LIKE '%{marker}%' ORDER BY reason"
    expected = [["stream: missing or invalid field: gold_cost"], ["stream: record is not valid JSON"]]
    assert wait_rows(trino_cursor, sql, expected) == expected


# Sent when this module starts; its resend at the module's end comes at least 5 minutes later.
EARLY: dict = {}


@pytest.fixture(scope="module", autouse=True)
def early_copy() -> None:
    EARLY["record"] = record(f"apart-{uuid.uuid4().hex[:8]}", 1)
    EARLY["sent"] = time.monotonic()
    produce([orjson.dumps(EARLY["record"])])


def test_poison_records_in_both_topics_never_stop_the_stream(trino_cursor, unique):
    run = f"poison-{unique}"
    good = record(run, 1)
    rx = good["received_at"]
    hostile = [
        b"\x00\xff\xfe garbage",
        b"",
        b"{" * 5000,
        b'{"a": ' + b"[" * 2000 + b"]" * 2000 + b"}",
        orjson.dumps({**record(run, 2), "event_ts": "0001-01-01T03:00:00Z"}),
        orjson.dumps({**record(run, 3), "event_ts": "9999-12-31T23:59:59-23:59"}),
        orjson.dumps({**record(run, 4), "received_at": "0001-01-01T00:00:00Z"}),
        orjson.dumps({**record(run, 5), "gold_cost": -5}),
        orjson.dumps({**record(run, 6), "weapon_type": "w" * 10_000}),
        orjson.dumps({**record(run, 7), "event_id": "not-a-uuid"}),
        orjson.dumps({**record(run, 8), "gold_cost": 0}).replace(b'"gold_cost":0', b'"gold_cost":1' + b"0" * 30),
        orjson.dumps({**record(run, 9), "event_type": {"nested": [1] * 100}}),
        orjson.dumps({**record(run, 10), "extra_field": "x"}),
        orjson.dumps({**record(run, 11), "user_agent": "u" * 5003}),
        b"x" * 900_000,
    ]
    forged = [
        orjson.dumps({"dlq_id": "not-a-uuid", "reason": run, "raw": run, "received_at": rx, "endpoint": "/"}),
        orjson.dumps(
            {
                "dlq_id": str(uuid.uuid4()),
                "reason": run,
                "raw": run,
                "received_at": rx,
                "endpoint": "/",
                "field": "f" * 5000,
            }
        ),
        orjson.dumps({"dlq_id": str(uuid.uuid4()), "raw": run, "received_at": "0001-01-01T00:00:00Z", "endpoint": "/"}),
        f"not json {run}".encode(),
    ]
    produce(hostile)
    produce(forged, topic="events.dlq")
    produce([orjson.dumps(good)])
    sql = f"SELECT count(*) FROM purchase_weapon WHERE event_id = '{good['event_id']}'"
    assert wait_rows(trino_cursor, sql, [[1]]) == [[1]], "a valid event after the poison still lands"
    # Every hostile record with the run's marker is in bad_events with a reason (the markerless ones too,
    # but they cannot be told apart from other runs' here; the unit tests check each reason).
    marked = [h for h in hostile + forged if run.encode() in h]
    sql = f"SELECT count(*), count(reason) FROM bad_events WHERE raw LIKE '%{run}%' OR reason LIKE '%{run}%'"
    got = wait_rows(trino_cursor, sql, [[len(marked), len(marked)]])
    assert got == [[len(marked), len(marked)]]
    rows = query(trino_cursor, f"SELECT count(*) FROM purchase_weapon WHERE user_id LIKE '{run}-%'")
    assert rows == [[1]], "no hostile record landed in a typed table"
    health_ok, detail = health.stream(PROGRESS)
    assert health_ok, detail


TYPES = ("purchase_weapon", "join_guild", "enter_battle")


def typed(run: str, i: int) -> dict:
    attrs = [
        {"weapon_type": "mace", "gold_cost": i},
        {"guild_name": f"g{i % 7}"},
        {"enemy": "orc", "outcome": "won" if i % 2 else "lost"},
    ][i % 3]
    return record(run, i, event_type=TYPES[i % 3], **attrs) if i % 3 else record(run, i)


@pytest.mark.disruptive
@pytest.mark.slow
def test_kill_9_mid_stream_keeps_counts_exact(trino_cursor, unique):
    run = f"kill9-{unique}"
    total, rng = 12_000, random.Random(unique)
    values, want = [], {t: 0 for t in (*TYPES, "bad_events")}
    for i in range(total):
        if i % 10 == 9:
            values.append(f'{{"broken": "{run}-{i}"'.encode())
            want["bad_events"] += 1
        else:
            e = typed(run, i)
            if e["event_type"] != "purchase_weapon":
                e.pop("weapon_type", None)
                e.pop("gold_cost", None)
            values.append(orjson.dumps(e))
            want[e["event_type"]] += 1
    paths = Paths.from_env()
    stream = by_name(paths)["stream"]
    done = threading.Event()

    def feed() -> None:
        for start in range(0, total, 600):
            produce(values[start : start + 600])
            time.sleep(0.3)
        done.set()

    feeder = threading.Thread(target=feed)
    feeder.start()
    log = paths.log("stream")
    for _ in range(2):
        # Kill while a batch is provably running: after a batch with rows has started landing, mid-way.
        seen = log.read_text(errors="replace").count(" landed ")
        deadline = time.monotonic() + 120
        while log.read_text(errors="replace").count(" landed ") == seen and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(rng.uniform(0.1, 1.5))
        pid = supervisor.read_pid(paths, "stream")
        assert pid is not None
        os.killpg(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while supervisor.read_pid(paths, "stream") is not None and time.monotonic() < deadline:
            time.sleep(0.2)
        supervisor.start(paths, stream)
    feeder.join(timeout=300)
    assert done.is_set()
    for table in TYPES:
        sql = f"SELECT count(*), count(DISTINCT event_id) FROM {table} WHERE user_id LIKE '{run}-%'"
        expected = [[want[table], want[table]]]
        assert wait_rows(trino_cursor, sql, expected, timeout_s=300) == expected, table
    sql = f"SELECT count(*), count(DISTINCT dlq_id) FROM bad_events WHERE raw LIKE '%{run}-%'"
    expected = [[want["bad_events"], want["bad_events"]]]
    assert wait_rows(trino_cursor, sql, expected, timeout_s=300) == expected


@pytest.mark.disruptive
def test_maintenance_killed_mid_compaction_loses_nothing(trino_cursor, unique):
    run = f"compact-{unique}"
    # Many small files in a closed hour: late events, one batch each.
    hour_ago = (datetime.now(UTC) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S.000000Z")
    for i in range(8):
        produce([orjson.dumps(record(run, i * 10 + j, event_ts=hour_ago)) for j in range(10)])
        time.sleep(2.5)
    sql = f"SELECT count(*), sum(gold_cost) FROM purchase_weapon WHERE user_id LIKE '{run}-%'"
    expected = [[80, sum(range(80))]]
    assert wait_rows(trino_cursor, sql, expected) == expected
    paths = Paths.from_env()
    service = by_name(paths)["stream-maintenance"]
    supervisor.stop(paths, service)
    log = paths.log("stream-maintenance")
    text = log.read_text(errors="replace")
    seen = text.count("compact purchase_weapon: started")
    # Completed compactions so far (fewer than started ones once a pass was killed: this log survives runs).
    done = text.count("compact purchase_weapon: {")
    supervisor.start(paths, service)
    deadline = time.monotonic() + 240
    while log.read_text(errors="replace").count("compact purchase_weapon: started") == seen:
        assert time.monotonic() < deadline, "maintenance never started compacting"
        time.sleep(0.2)
    time.sleep(random.uniform(0.5, 3))
    pid = supervisor.read_pid(paths, "stream-maintenance")
    assert pid is not None
    os.killpg(pid, signal.SIGKILL)
    assert query(trino_cursor, sql) == expected
    supervisor.start(paths, service)
    # The next pass compacts for real; the rows are the same before and after.
    deadline = time.monotonic() + 300
    while log.read_text(errors="replace").count("compact purchase_weapon: {") <= done:
        assert time.monotonic() < deadline, "maintenance never finished a compaction after the kill"
        time.sleep(1)
    assert query(trino_cursor, sql) == expected


def test_resend_5_minutes_later_lands_once(trino_cursor):
    first = EARLY["record"]
    time.sleep(max(0.0, 300 - (time.monotonic() - EARLY["sent"])))
    resend = {**first, "received_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")}
    marker = record(first["user_id"].rsplit("-", 1)[0], 2)
    produce([orjson.dumps(resend), orjson.dumps(marker)])
    sql = f"SELECT count(*) FROM purchase_weapon WHERE event_id = '{marker['event_id']}'"
    assert wait_rows(trino_cursor, sql, [[1]]) == [[1]]
    sql = f"SELECT count(*) FROM purchase_weapon WHERE event_id = '{first['event_id']}'"
    assert query(trino_cursor, sql) == [[1]]
