"""The streaming job's pure transformations, on literal rows in a local SparkSession."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from pyspark.sql import Row, SparkSession
from pyspark.testing import assertDataFrameEqual
from questlog_core.columns import bad_event_columns, event_columns
from questlog_core.registry import default_registry
from questlog_stream.dedup import deduplicate
from questlog_stream.schema import dead_letter_payload, event_payload
from questlog_stream.session import jars
from questlog_stream.transform import (
    Lanes,
    decode,
    lake_rows,
    route_dead_letters,
    route_events,
    table_rows,
    with_lanes,
)
from questlog_stream.validate import TimeLimits

REG = default_registry()
LAKE = ("purchase_weapon", "join_guild", "enter_battle")
PAYLOAD = event_payload(REG)
BAD = bad_event_columns(REG)
LIMITS = TimeLimits()


@pytest.fixture(scope="module")
def spark():
    session = (
        SparkSession.builder.master("local[1]")
        .appName("questlog-unit")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "1")
        # pyspark keeps one JVM per Python process, and its class path is fixed when the first session
        # starts: later sessions of the same test run (the Iceberg catalog of the integration tests) need
        # the connector jars on it.
        .config("spark.jars", ",".join(jars()))
        .getOrCreate()
    )
    yield session
    session.stop()


def uid(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


def event(event_id: str | None, **extra) -> dict:
    base = {
        "event_id": event_id,
        "event_type": "purchase_weapon",
        "user_id": "u1",
        "event_ts": "2026-11-20T10:00:00.000000Z",
        "received_at": "2026-11-20T10:00:01.500000Z",
        "host": "h",
        "user_agent": "ua",
        "schema_version": "1-0-0",
        "weapon_type": "sword",
        "gold_cost": 5,
    }
    return {**base, **extra}


def kafka_rows(spark, values, topic="events"):
    rows = [
        Row(
            topic=topic,
            partition=0,
            offset=i,
            timestamp=datetime(2026, 11, 20, 10, 0, 2, tzinfo=UTC),
            value=(v if isinstance(v, str) else json.dumps(v)).encode(),
        )
        for i, v in enumerate(values)
    ]
    return spark.createDataFrame(rows)


def routed(spark, values, topic="events"):
    decoded = decode(kafka_rows(spark, values, topic), PAYLOAD if topic == "events" else dead_letter_payload(REG))
    if topic == "events":
        return route_events(decoded, REG, BAD, PAYLOAD, LIMITS)
    return route_dead_letters(decoded, REG, BAD, PAYLOAD, LIMITS)


LANES = Lanes(35 * 60, 20 * 60)


def laned(spark, values, lanes=LANES):
    return with_lanes(routed(spark, values), lanes)


def reasons(spark, values) -> list[str | None]:
    rows = routed(spark, values).orderBy("kafka_offset").collect()
    return [r.bad.reason if r.bad else None for r in rows]


def test_derived_ts_corrects_the_device_clock_with_sent_at(spark):
    # The device clock runs 3 h behind: it says the event happened at 21:30 on Nov 19 and was sent at
    # 21:40; the API received it at 00:40:01.5 on Nov 20. derived_ts puts it at 00:30:01.5, Nov 20.
    skewed = event(uid(1), event_ts="2026-11-19T21:30:00.000000Z", sent_at="2026-11-19T21:40:00.000000Z")
    skewed["received_at"] = "2026-11-20T00:40:01.500000Z"
    plain = event(uid(2))
    cols = [c for c in event_columns(REG, "purchase_weapon") if c.name != "landed_at"]
    got = table_rows(deduplicate(laned(spark, [skewed, plain]), 3_600_000), "purchase_weapon", cols)
    rows = {r.event_id: r for r in got.collect()}
    assert rows[uid(1)].derived_ts == datetime(2026, 11, 20, 0, 30, 1, 500000)
    assert rows[uid(1)].event_ts.date() != rows[uid(1)].derived_ts.date()
    assert rows[uid(2)].derived_ts == rows[uid(2)].event_ts == datetime(2026, 11, 20, 10, 0)


def test_a_zero_amount_is_refused_by_the_stream(spark):
    change = {
        **{k: v for k, v in event(uid(4)).items() if k not in ("weapon_type", "gold_cost")},
        "event_type": "currency_change",
        "currency_name": "gold",
        "reason": "quest_reward",
    }
    assert reasons(spark, [{**change, "amount": 0}, {**change, "amount": -5}]) == [
        "stream: field may not be 0: amount",
        None,
    ]


def test_typed_rows_and_first_copy_wins(spark):
    values = [
        event(uid(1)),
        event(uid(2), damage=7),
        event(uid(1), gold_cost=999),
        {**event(uid(3)), "event_type": "enter_battle", "enemy": "orc", "outcome": "won"},
    ]
    cols = [c for c in event_columns(REG, "purchase_weapon") if c.name != "landed_at"]
    got = table_rows(deduplicate(laned(spark, values), 3_600_000), "purchase_weapon", cols)
    assert dict(got.dtypes)["event_ts"] == "timestamp" and dict(got.dtypes)["gold_cost"] == "bigint"
    ts, rx = datetime(2026, 11, 20, 10, 0), datetime(2026, 11, 20, 10, 0, 1, 500000)
    expected = [
        Row(
            event_id=i,
            event_type="purchase_weapon",
            user_id="u1",
            event_ts=ts,
            received_at=rx,
            host="h",
            user_agent="ua",
            schema_version="1-0-0",
            session_id=None,
            sent_at=None,
            platform=None,
            app_version=None,
            derived_ts=ts,
            weapon_type="sword",
            gold_cost=5,
            damage=d,
            kafka_partition=0,
            kafka_offset=o,
        )
        for i, d, o in ((uid(1), None, 0), (uid(2), 7, 1))
    ]
    assertDataFrameEqual(got, spark.createDataFrame(expected, got.schema))


def test_one_event_id_in_two_tables_dead_letters_the_later_copy(spark):
    values = [
        event(uid(5)),
        {
            **{k: v for k, v in event(uid(5)).items() if k not in ("weapon_type", "gold_cost")},
            "event_type": "join_guild",
            "guild_name": "g",
        },
        event(uid(5)),
    ]
    rows = deduplicate(laned(spark, values), 3_600_000)
    landed = table_rows(
        rows, "purchase_weapon", [c for c in event_columns(REG, "purchase_weapon") if c.name != "landed_at"]
    )
    assert [r.kafka_offset for r in landed.collect()] == [0]
    bad = table_rows(rows, "bad_events", [c for c in BAD if c.name != "landed_at"]).collect()
    assert [(r.kafka_offset, r.reason, r.field) for r in bad] == [
        (1, "stream: event_id already landed in table purchase_weapon", "event_id")
    ]
    assert bad[0].event_type == "join_guild" and '"guild_name":"g"' in bad[0].raw


def test_unselected_types_are_not_bad(spark):
    plain = {k: v for k, v in event(uid(4)).items() if k not in ("weapon_type", "gold_cost")}
    values = [{**plain, "event_type": "default"}]
    rows = routed(spark, values)
    assert [(r.table, r.bad) for r in rows.collect()] == [("default", None)]
    kept = lake_rows(deduplicate(laned(spark, values), 3_600_000), [*LAKE, "bad_events"])
    assert kept.count() == 0


def test_malformed_records_become_bad_events_with_reason(spark):
    values = [
        "{not json",
        event(uid(1), gold_cost=None),
        {**event(uid(2)), "event_type": "dance"},
        event(None),
        "[1, 2]",
    ]
    rows = routed(spark, values).orderBy("kafka_offset").collect()
    got = [(r.table, r.bad.reason, r.bad.field, r.bad.raw[:9]) for r in rows]
    assert got[0] == ("bad_events", "stream: record is not valid JSON", None, "{not json")
    assert got[1][:3] == ("bad_events", "stream: missing or invalid field: gold_cost", "gold_cost")
    assert got[2][1] == "stream: unknown event_type"
    assert got[3][1:3] == ("stream: missing or invalid field: event_id", "event_id")
    assert got[4][1] == "stream: record is not a JSON object"
    ids = [r.bad.dlq_id for r in rows]
    assert len(set(ids)) == 5 and all(len(i) == 36 for i in ids)


def test_records_that_bypassed_the_api_are_held_to_the_schema_limits(spark):
    values = [
        event(uid(1), gold_cost=-5),
        event(uid(2), weapon_type="x" * 10_000),
        event("not-a-uuid"),
        event(uid(3), evil="yes"),
        event(uid(4), event_ts="0001-01-01T03:00:00Z"),
        event(uid(5), event_ts="9999-12-31T23:59:59-23:59"),
        event(uid(6), received_at="2001-01-01T00:00:00Z"),
        event(uid(7), schema_version="one"),
        event(uid(8), host="h" * 300),
        event(uid(9)),
    ]
    assert reasons(spark, values) == [
        "stream: field below its minimum: gold_cost (min 0)",
        "stream: field too long: weapon_type (max 256)",
        "stream: field is not a canonical UUID: event_id",
        "stream: unknown field: evil",
        "stream: event_ts is more than 720 h before received_at",
        # Its UTC time is past year 9999: Spark cannot read it as a timestamp.
        "stream: missing or invalid field: event_ts",
        "stream: received_at is more than 24 h from the Kafka record time",
        "stream: field does not match its pattern: schema_version",
        "stream: field too long: host (max 256)",
        None,
    ]
    bad = routed(spark, values).where("bad is not null").collect()
    # bad_events rows obey their own schema: a 10,000-character field is cut to its limit there.
    assert max(len(r.bad.raw) for r in bad) <= 65536 and all(r.bad.received_at is not None for r in bad)


def test_dead_letters_keep_api_reason_and_forged_ones_are_unreadable(spark):
    record = {
        "dlq_id": "5b0f6c1e-0000-4000-8000-000000000001",
        "reason": "gold_cost must be integer",
        "field": "gold_cost",
        "raw": "{}",
        "raw_truncated": False,
        "received_at": "2026-11-20T10:00:01.500000Z",
        "endpoint": "/v1/events",
    }
    forged = [
        {**record, "dlq_id": "x"},
        {**record, "field": "f" * 5000},
        {k: v for k, v in record.items() if k != "reason"},
    ]
    rows = routed(spark, [record, record, "garbage", *forged], "events.dlq").orderBy("kafka_offset").collect()
    got = [r.bad.reason for r in rows]
    assert got == [
        "gold_cost must be integer",
        "gold_cost must be integer",
        "stream: unreadable dead-letter record: record is not valid JSON",
        "stream: unreadable dead-letter record: field is not a canonical UUID: dlq_id",
        "stream: unreadable dead-letter record: field too long: field (max 256)",
        "stream: unreadable dead-letter record: missing or invalid field: reason",
    ]
    assert rows[0].bad.field == "gold_cost" and rows[0].bad.endpoint == "/v1/events"
    assert rows[0].dedup_key == rows[1].dedup_key != rows[3].dedup_key


def test_slow_lane_takes_old_event_times_backlog_and_bootstrap(spark):
    now = datetime.now(UTC)
    fmt = "%Y-%m-%dT%H:%M:%S.%fZ"
    fresh = event(uid(1), event_ts=now.strftime(fmt), received_at=now.strftime(fmt))
    resend = event(uid(2), event_ts=(now - timedelta(hours=3)).strftime(fmt), received_at=now.strftime(fmt))
    values = [fresh, resend]
    rows = spark.createDataFrame(
        [
            Row(topic="events", partition=0, offset=i, timestamp=now, value=json.dumps(v).encode())
            for i, v in enumerate(values)
        ]
    )
    routed_rows = route_events(decode(rows, PAYLOAD), REG, BAD, PAYLOAD, LIMITS)
    assert [r.slow for r in with_lanes(routed_rows, Lanes(35 * 60, 20 * 60)).orderBy("kafka_offset").collect()] == [
        False,
        True,
    ]
    # Received 30 minutes before the batch runs: catch-up after an outage.
    old = event(
        uid(3),
        event_ts=(now - timedelta(minutes=31)).strftime(fmt),
        received_at=(now - timedelta(minutes=30)).strftime(fmt),
    )
    backlog = spark.createDataFrame(
        [Row(topic="events", partition=0, offset=9, timestamp=now, value=json.dumps(old).encode())]
    )
    backlog_rows = route_events(decode(backlog, PAYLOAD), REG, BAD, PAYLOAD, LIMITS)
    assert [r.slow for r in with_lanes(backlog_rows, Lanes(35 * 60, 20 * 60)).collect()] == [True]
    assert [r.slow for r in with_lanes(backlog_rows, Lanes(35 * 60, 40 * 60)).collect()] == [False]
    until = int((now + timedelta(hours=1)).timestamp() * 1000)
    assert all(r.slow for r in with_lanes(routed_rows, Lanes(35 * 60, 20 * 60, until)).collect())


def test_hour_ranges_merge_overlapping_windows():
    from questlog_stream.sink import hour_ranges

    h = 1_790_000_000 // 3600 * 3600
    got = hour_ranges([h, h + 3600, h - 3 * 86400], 3600)
    assert got == [(h - 3 * 86400 - 3600, h - 3 * 86400 + 7200), (h - 3600, h + 3 * 3600)]


def test_every_column_description_survives_spark_sql_quoting(spark):
    from questlog_core.columns import bad_event_columns, event_columns
    from questlog_core.ddl import spark_literal as quote

    texts = {c.description for t in REG.event_types for c in event_columns(REG, t)}
    texts |= {c.description for c in bad_event_columns(REG)} | {"it's \\ odd"}
    for text in texts:
        assert spark.sql(f"SELECT '{quote(text)}' AS s").first().s == text


def test_every_field_the_envelope_requires_is_checked(spark):
    values = [{k: v for k, v in event(uid(9)).items() if k != "schema_version"}]
    (row,) = routed(spark, values).collect()
    assert (row.table, row.bad.reason, row.bad.field) == (
        "bad_events",
        "stream: missing or invalid field: schema_version",
        "schema_version",
    )


def test_writer_releases_the_checkpointed_batch(spark: SparkSession) -> None:
    """The writer's local checkpoint of a batch is held in the block manager and gone after release()."""
    from questlog_stream.sink import release

    def cached_blocks() -> int:
        return sum(info.numCachedPartitions() for info in spark.sparkContext._jsc.sc().getRDDStorageInfo())

    before = cached_blocks()
    batch = spark.range(1000).repartition(3).localCheckpoint(eager=True)
    assert cached_blocks() >= before + 3
    assert batch.count() == 1000
    release(batch)
    assert cached_blocks() == before


def test_erased_rows_are_found_by_id_by_keyed_hash_and_in_raw_bodies(spark):
    from questlog_core.erasure import user_hash
    from questlog_stream.suppress import erased

    key = b"0123456789abcdef" * 4
    rows = spark.createDataFrame(
        [
            ("by-id", {"user_id": "gone-1"}, None),
            ("by-hash", {"user_id": "gone-2"}, None),
            ("bad-by-id", None, {"user_id": "gone-1", "raw": "x"}),
            ("bad-by-raw", None, {"user_id": None, "raw": '{"user_id": "gone-1", "x": 1}'}),
            ("kept", {"user_id": "gone-10"}, None),
            ("kept-bad", None, {"user_id": "other", "raw": '{"user_id": "gone-"}'}),
            ("kept-null", {"user_id": None}, None),
        ],
        "name string, e struct<user_id: string>, bad struct<user_id: string, raw: string>",
    )
    # The Python hash (API, processor) and the Spark column (stream) are the same function.
    condition = erased(["gone-1"], [user_hash(key, "gone-2")], key)
    assert condition is not None
    kept = sorted(r["name"] for r in rows.where(~condition).collect())
    assert kept == ["kept", "kept-bad", "kept-null"]
    assert erased([], [], key) is None
    # Without the key only raw ids count (a hash alone finds nothing).
    by_hash_only = erased([], [user_hash(key, "gone-2")], None)
    assert by_hash_only is None
