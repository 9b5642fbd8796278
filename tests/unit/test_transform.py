"""The streaming job's pure transformations, on literal rows in a local SparkSession."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from pyspark.sql import Row, SparkSession
from pyspark.testing import assertDataFrameEqual
from questlog_core.columns import bad_event_columns, event_columns
from questlog_core.registry import default_registry
from questlog_stream.schema import dead_letter_payload, event_payload
from questlog_stream.session import jars
from questlog_stream.transform import dead_letters, decode, rows_of_type, unusable_events, with_problems

REG = default_registry()
REQUIRED = {t: REG.latest(t).required for t in REG.event_types}


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


def event(event_id: str, **extra) -> dict:
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
            timestamp=datetime(2026, 11, 20, tzinfo=UTC),
            value=(v if isinstance(v, str) else json.dumps(v)).encode(),
        )
        for i, v in enumerate(values)
    ]
    return spark.createDataFrame(rows)


def checked(spark, values):
    return with_problems(decode(kafka_rows(spark, values), event_payload(REG)), REQUIRED, REG.event_types)


def test_typed_rows_and_first_copy_wins(spark):
    values = [
        event("a"),
        event("b", damage=7),
        event("a", gold_cost=999),
        {**event("c"), "event_type": "enter_battle", "enemy": "orc", "outcome": "won"},
    ]
    cols = [c for c in event_columns(REG, "purchase_weapon") if c.name != "landed_at"]
    got = rows_of_type(checked(spark, values), "purchase_weapon", cols)
    assert dict(got.dtypes)["event_ts"] == "timestamp" and dict(got.dtypes)["gold_cost"] == "bigint"
    ts, rx = datetime(2026, 11, 20, 10, 0, tzinfo=UTC), datetime(2026, 11, 20, 10, 0, 1, 500000, tzinfo=UTC)
    expected = [
        Row(
            event_id=i,
            event_type="purchase_weapon",
            user_id="u1",
            event_ts=ts.replace(tzinfo=None),
            received_at=rx.replace(tzinfo=None),
            host="h",
            user_agent="ua",
            schema_version="1-0-0",
            weapon_type="sword",
            gold_cost=5,
            damage=d,
            kafka_partition=0,
            kafka_offset=o,
        )
        for i, d, o in (("a", None, 0), ("b", 7, 1))
    ]
    assertDataFrameEqual(got, spark.createDataFrame(expected, got.schema))


def test_unselected_types_are_not_bad(spark):
    values = [{**event("d"), "event_type": "default"}]
    assert checked(spark, values).where("problem is not null").count() == 0


def test_malformed_records_become_bad_events_with_reason(spark):
    values = ["{not json", event("x", gold_cost=None), {**event("y"), "event_type": "dance"}, event(None), "[1, 2]"]
    bad = unusable_events(checked(spark, values), bad_event_columns(REG)).orderBy("kafka_offset")
    got = [(r.reason, r.field, r.raw[:9]) for r in bad.collect()]
    assert got[0] == ("stream: record is not valid JSON", "", "{not json")
    assert got[1][:2] == ("stream: missing or invalid field: gold_cost", "gold_cost")
    assert got[2][0] == "stream: unknown event_type"
    assert got[3][:2] == ("stream: missing or invalid field: event_id", "event_id")
    assert got[4][0] == "stream: record is not a JSON object"
    ids = [r.dlq_id for r in bad.collect()]
    assert len(set(ids)) == 5 and all(len(i) == 36 for i in ids)


def test_dead_letters_keep_api_reason_and_dedupe(spark):
    record = {
        "dlq_id": "5b0f6c1e-0000-4000-8000-000000000001",
        "reason": "gold_cost must be integer",
        "field": "gold_cost",
        "raw": "{}",
        "raw_truncated": False,
        "received_at": "2026-11-20T10:00:01.500000Z",
        "endpoint": "/v1/events",
    }
    df = decode(kafka_rows(spark, [record, record, "garbage"], "events.dlq"), dead_letter_payload(REG))
    rows = dead_letters(df, bad_event_columns(REG)).orderBy("kafka_offset").collect()
    assert [r.reason for r in rows] == ["gold_cost must be integer", "stream: unreadable dead-letter record"]
    assert rows[0].field == "gold_cost" and rows[0].endpoint == "/v1/events"


def test_hour_ranges_merge_overlapping_windows():
    from datetime import timedelta

    from questlog_stream.sink import hour_ranges

    h = datetime(2026, 11, 20, 10)
    got = hour_ranges([h, h + timedelta(hours=1), h - timedelta(days=3)], timedelta(hours=1))
    assert got == [
        (h - timedelta(days=3, hours=1), h - timedelta(days=3) + timedelta(hours=2)),
        (h - timedelta(hours=1), h + timedelta(hours=3)),
    ]


def test_every_column_description_survives_spark_sql_quoting(spark):
    from questlog_core.columns import bad_event_columns, event_columns
    from questlog_stream.tables import quote

    texts = {c.description for t in REG.event_types for c in event_columns(REG, t)}
    texts |= {c.description for c in bad_event_columns(REG)} | {"it's \\ odd"}
    for text in texts:
        assert spark.sql(f"SELECT '{quote(text)}' AS s").first().s == text
