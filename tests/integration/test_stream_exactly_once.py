"""Exactly once across kill -9 at provable points of a batch, replays, dedup horizons and the v1 migration.

Each test runs a private stream job (tests/integration/private.py) so that it can kill it, hold its
batches at a chosen point (fault injection settings, off by default) or shorten its horizons.
"""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from collections import Counter
from datetime import UTC, datetime

import orjson
import pytest
from confluent_kafka import Producer
from questlog_api.events import RequestContext, enrich
from questlog_stack.paths import Paths

from tests.integration.conftest import BOOTSTRAP, query, wait_for
from tests.integration.private import LAKE_TABLES, PrivateStream

pytestmark = [pytest.mark.disruptive, pytest.mark.slow]


def stored(run: str, i: int, event_type: str, **extra) -> dict:
    """An event in the form the API writes to Kafka."""
    ctx = RequestContext(datetime.now(UTC), "tests.example.net", "pytest", "/v1/events", "t")
    attrs = {
        "purchase_weapon": {"weapon_type": "axe", "gold_cost": i},
        "join_guild": {"guild_name": f"g{i % 5}"},
        "enter_battle": {"enemy": "orc", "outcome": "won" if i % 2 else "lost"},
    }[event_type]
    event = {"event_type": event_type, "user_id": f"{run}-u{i % 13}", "event_id": str(uuid.uuid4()), **attrs, **extra}
    return enrich(event, ctx, "1-0-0")


def mixed(run: str, n: int) -> tuple[list[tuple[str, bytes]], Counter]:
    """n records of every kind, in order: the three event types, malformed ones and dead letters."""
    out: list[tuple[str, bytes]] = []
    want: Counter = Counter()
    types = ("purchase_weapon", "join_guild", "enter_battle")
    for i in range(n):
        kind = i % 5
        if kind < 3:
            out.append(("events", orjson.dumps(stored(run, i, types[kind]))))
            want[types[kind]] += 1
        elif kind == 3:
            out.append(("events", f'{{"broken": "{run}-{i}"'.encode()))
            want["bad_events"] += 1
        else:
            letter = {
                "dlq_id": str(uuid.uuid4()),
                "reason": f"test dead letter {run}",
                "raw": f"{run}-{i}",
                "raw_truncated": False,
                "received_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "endpoint": "/v1/events",
            }
            out.append(("dlq", orjson.dumps(letter)))
            want["bad_events"] += 1
    return out, want


def produce(stream: PrivateStream, records: list[tuple[str, bytes]]) -> None:
    producer = Producer({"bootstrap.servers": BOOTSTRAP, "acks": "all", "enable.idempotence": True, "linger.ms": 5})
    for topic, value in records:
        producer.produce(stream.topic if topic == "events" else stream.dlq, value)
        producer.poll(0)
    assert producer.flush(60) == 0


def counts(stream: PrivateStream) -> Counter:
    got: Counter = Counter()
    for table in LAKE_TABLES:
        key = "dlq_id" if table == "bad_events" else "event_id"
        total, distinct = query(stream.cursor, f"SELECT count(*), count(DISTINCT {key}) FROM {stream.table(table)}")[0]
        assert total == distinct, f"{table} holds duplicates: {total} rows, {distinct} distinct"
        if total:
            got[table] = total
    return got


def wait_counts(stream: PrivateStream, want: Counter, timeout_s: float = 240.0) -> Counter:
    return wait_for(lambda: counts(stream), want, timeout_s)


def wait_until(check, timeout_s: float, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def private(trino_cursor, unique):
    streams: list[PrivateStream] = []

    def make(**settings: str) -> PrivateStream:
        s = PrivateStream(f"{len(streams)}{unique}"[:20].lower(), trino_cursor, **settings)
        streams.append(s)
        return s

    yield make
    for s in streams:
        s.close()


def test_kill_9_after_some_tables_of_a_batch_committed(private):
    stream = private()
    stream.start(QUESTLOG_STREAM_FAULT_HOLD_TABLE="join_guild", QUESTLOG_STREAM_FAULT_HOLD_SECONDS="600")
    records, want = mixed("partial", 500)
    produce(stream, records)
    # Provably mid-batch: the other tables hold this batch's marker, join_guild does not.
    batch = wait_until(
        lambda: set(stream.batch_ids("purchase_weapon"))
        & set(stream.batch_ids("enter_battle")) - set(stream.batch_ids("join_guild")),
        240,
        "a batch committed to purchase_weapon and enter_battle but not join_guild",
    )
    assert stream.log_has("holds its join_guild append")
    stream.kill9()
    stream.start()
    assert wait_counts(stream, want) == want
    n = max(batch)
    for table in LAKE_TABLES:
        ids = stream.batch_ids(table)
        assert ids.count(n) <= 1, f"{table} got batch {n} twice: {ids}"
    assert n in stream.batch_ids("join_guild"), "the replay appended the table that had not committed"


def test_replayed_batch_leaves_every_table_unchanged(private):
    stream = private()
    stream.start(QUESTLOG_STREAM_FAULT_HOLD_AFTER_APPENDS_SECONDS="600")
    records, want = mixed("replay", 400)
    produce(stream, records)
    wait_until(lambda: stream.log_has("holds after its appends"), 240, "a batch held after its appends")
    # Every table has committed the batch; Spark has not written its commit log entry yet.
    assert wait_counts(stream, want, 60) == want
    before = {t: stream.batch_ids(t) for t in LAKE_TABLES}
    stream.kill9()
    stream.start()
    # The replayed batch runs, finds every marker and appends nothing; a later batch proves it ran.
    extra, more = mixed("replay-after", 5)
    produce(stream, extra)
    assert wait_counts(stream, want + more) == want + more
    for table in LAKE_TABLES:
        after = stream.batch_ids(table)
        assert after[: len(before[table])] == before[table]
        assert len(after) == len(set(after)), f"{table}: a batch appended twice: {after}"
    assert stream.log_has("already holds it (replay), skipped")


def test_resend_past_the_state_horizon_with_its_event_ts_is_caught_by_the_slow_lane(private):
    # Horizons scaled down so the test takes minutes: the state forgets after 2 min of processing time.
    stream = private(
        QUESTLOG_STREAM_STATE_TTL_MINUTES="2",
        QUESTLOG_STREAM_SLOW_LAG_MINUTES="1",
        QUESTLOG_STREAM_BACKLOG_MINUTES="1",
    )
    stream.start()
    original = stored("horizon", 1, "purchase_weapon")
    within = stored("horizon", 2, "purchase_weapon")
    produce(stream, [("events", orjson.dumps(original)), ("events", orjson.dumps(within))])
    want = Counter({"purchase_weapon": 2})
    assert wait_counts(stream, want) == want
    # Within the horizon, whatever its times: the state drops it.
    produce(stream, [("events", orjson.dumps({**within, "received_at": datetime.now(UTC).isoformat()}))])
    time.sleep(150)
    # Past the horizon, the resend keeps its original event_ts (older than the slow lag): anti-joined.
    resend = {**original, "received_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")}
    marker = stored("horizon", 3, "purchase_weapon")
    produce(stream, [("events", orjson.dumps(resend)), ("events", orjson.dumps(marker))])
    want = Counter({"purchase_weapon": 3})
    assert wait_counts(stream, want) == want
    ids = {r[0] for r in query(stream.cursor, f"SELECT event_id FROM {stream.table('purchase_weapon')}")}
    assert ids == {original["event_id"], within["event_id"], marker["event_id"]}


def test_v1_checkpoint_is_migrated_without_loss_or_duplicates(private, trino_cursor):
    stream = private()
    stream.start()  # creates the tables; then this checkpoint is replaced by a v1 one
    stream.stop()
    records = [stored("migrate", i, "purchase_weapon") for i in range(90)]
    produce(stream, [("events", orjson.dumps(r)) for r in records])
    # A v1 job on this checkpoint committed batch 0 (the first 20 records of each partition) and had
    # merged batch 1 (5 more each) into the table when it was stopped, before writing commits/1.
    offsets = _offsets_by_partition(stream)
    committed = {p: min(len(v), 20) for p, v in offsets.items()}
    half = {p: min(len(v), 25) for p, v in offsets.items()}
    _write_v1_checkpoint(stream, committed, half)
    landed = [offsets[p][i] for p in offsets for i in range(half[p])]
    values = ", ".join(
        f"('{e['event_id']}', '{e['user_id']}', from_iso8601_timestamp('{e['event_ts']}'), {e['gold_cost']})"
        for e in landed
    )
    query(
        trino_cursor,
        f"INSERT INTO {stream.table('purchase_weapon')} (event_id, event_type, user_id, event_ts, received_at, "
        f"schema_version, weapon_type, gold_cost) SELECT id, 'purchase_weapon', u, ts, ts, '1-0-0', 'axe', g "
        f"FROM (VALUES {values}) AS t (id, u, ts, g)",
    )
    stream.start()
    assert stream.log_has("migrating the v1 checkpoint")
    want = Counter({"purchase_weapon": 90})
    assert wait_counts(stream, want) == want
    got = {r[0] for r in query(trino_cursor, f"SELECT event_id FROM {stream.table('purchase_weapon')}")}
    assert got == {r["event_id"] for r in records}


def _offsets_by_partition(stream: PrivateStream) -> dict[int, list[dict]]:
    from confluent_kafka import Consumer

    consumer = Consumer(
        {"bootstrap.servers": BOOTSTRAP, "group.id": f"migrate-{uuid.uuid4()}", "auto.offset.reset": "earliest"}
    )
    consumer.subscribe([stream.topic])
    out: dict[int, list[dict]] = {0: [], 1: [], 2: []}
    deadline = time.monotonic() + 60
    while sum(len(v) for v in out.values()) < 90 and time.monotonic() < deadline:
        msg = consumer.poll(1)
        if msg is not None and not msg.error():
            out[msg.partition()].append(json.loads(msg.value()))
    consumer.close()
    assert sum(len(v) for v in out.values()) == 90
    return out


def _write_v1_checkpoint(stream: PrivateStream, committed: dict[int, int], half: dict[int, int]) -> None:
    """Write the files a v1 (stateless foreachBatch) query leaves: metadata, offsets/0-1, commits/0."""
    hdfs = str(Paths.from_env().script("hdfs"))
    root = stream.checkpoint.replace("hdfs://127.0.0.1:8020", "")
    meta = json.dumps({"batchWatermarkMs": 0, "batchTimestampMs": int(time.time() * 1000), "conf": {}})
    files = {
        "metadata": json.dumps({"id": str(uuid.uuid4())}),
        "offsets/0": "v1\n"
        + meta
        + "\n"
        + json.dumps({stream.dlq: {"0": 0, "1": 0, "2": 0}, stream.topic: {str(p): n for p, n in committed.items()}}),
        "offsets/1": "v1\n"
        + meta
        + "\n"
        + json.dumps({stream.dlq: {"0": 0, "1": 0, "2": 0}, stream.topic: {str(p): n for p, n in half.items()}}),
        "commits/0": "v1\n" + json.dumps({"nextBatchWatermarkMs": 0}),
    }
    subprocess.run(
        [hdfs, "dfs", "-rm", "-r", "-f", "-skipTrash", root, root + "-v1-*"], check=False, capture_output=True
    )
    for name, text in files.items():
        path = f"{root}/{name}"
        subprocess.run([hdfs, "dfs", "-mkdir", "-p", path.rsplit("/", 1)[0]], check=True, capture_output=True)
        subprocess.run([hdfs, "dfs", "-put", "-f", "-", path], input=text.encode(), check=True, capture_output=True)
