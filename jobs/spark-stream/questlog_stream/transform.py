"""Pure transformations of the streaming job: DataFrame in, DataFrame out, no I/O."""

from __future__ import annotations

from pyspark.sql import Column as SparkColumn
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import StructType
from pyspark.sql.window import Window
from questlog_core.columns import Column

# Our API writes times as RFC 3339 UTC with microseconds; offsets are accepted too.
JSON_OPTIONS = {"timestampFormat": "yyyy-MM-dd'T'HH:mm:ss[.SSSSSS]XXX", "mode": "PERMISSIVE"}
RAW_LIMIT = 65536


def decode(kafka: DataFrame, payload: StructType) -> DataFrame:
    """Parse Kafka records (value as JSON) into `e`, keeping the raw text and its source offset."""
    raw = F.col("value").cast("string")
    return kafka.select(
        F.col("topic"),
        F.col("partition").alias("kafka_partition"),
        F.col("offset").alias("kafka_offset"),
        F.col("timestamp").alias("kafka_ts"),
        raw.alias("raw"),
        F.from_json(raw, payload, JSON_OPTIONS).alias("e"),
    )


def _problem(required: dict[str, tuple[str, ...]], known: tuple[str, ...]) -> SparkColumn:
    """Return why a decoded event is unusable, or null when it is fine."""
    e = F.col("e")
    checks: list[tuple[SparkColumn, str]] = [
        (F.expr("try_parse_json(raw)").isNull(), "record is not valid JSON"),
        (~F.ltrim(F.col("raw")).startswith("{"), "record is not a JSON object"),
        (e["event_type"].isNull(), "missing or invalid field: event_type"),
        (~e["event_type"].isin(*known), "unknown event_type"),
        (e["event_id"].isNull(), "missing or invalid field: event_id"),
        (e["user_id"].isNull(), "missing or invalid field: user_id"),
        (e["event_ts"].isNull(), "missing or invalid field: event_ts"),
        (e["received_at"].isNull(), "missing or invalid field: received_at"),
    ]
    for event_type, fields in required.items():
        for name in fields:
            checks.append(((e["event_type"] == event_type) & e[name].isNull(), f"missing or invalid field: {name}"))
    reason = F.lit(None).cast("string")
    for condition, text in reversed(checks):
        reason = F.when(condition, F.lit(text)).otherwise(reason)
    return reason


def with_problems(decoded: DataFrame, required: dict[str, tuple[str, ...]], known: tuple[str, ...]) -> DataFrame:
    """Add a `problem` column: null for usable events, else the reason."""
    return decoded.withColumn("problem", _problem(required, known))


def rows_of_type(checked: DataFrame, event_type: str, columns: list[Column]) -> DataFrame:
    """Return the usable events of one type as table rows, one row per event_id."""
    picked = checked.where(F.col("problem").isNull() & (F.col("e.event_type") == event_type))
    # Keep the first copy Kafka holds of each event; retries and replays carry the same event_id.
    order = Window.partitionBy("e.event_id").orderBy("kafka_partition", "kafka_offset")
    first = picked.withColumn("_n", F.row_number().over(order)).where("_n = 1")
    return first.select(*[_column(c) for c in columns])


def _column(c: Column) -> SparkColumn:
    if c.name in ("kafka_partition", "kafka_offset"):
        return F.col(c.name)
    if c.name == "landed_at":
        return F.current_timestamp().alias("landed_at")
    return F.col(f"e.{c.name}").alias(c.name)


def _uuid_from(*parts: SparkColumn) -> SparkColumn:
    """A deterministic UUID-shaped id, so a replayed record gets the same id."""
    h = F.md5(F.concat_ws("/", *parts))
    return F.concat_ws("-", h.substr(1, 8), h.substr(9, 4), h.substr(13, 4), h.substr(17, 4), h.substr(21, 12))


def unusable_events(checked: DataFrame, columns: list[Column]) -> DataFrame:
    """Turn unusable `events` records into bad_events rows, with the reason."""
    bad = checked.where(F.col("problem").isNotNull())
    values = {
        "dlq_id": _uuid_from(F.col("topic"), F.col("kafka_partition"), F.col("kafka_offset")),
        "reason": F.concat(F.lit("stream: "), F.col("problem")),
        "field": F.regexp_extract("problem", "field: (.*)$", 1),
        "event_type": F.col("e.event_type"),
        "event_id": F.col("e.event_id"),
        "user_id": F.col("e.user_id"),
        "raw": F.substring(F.coalesce(F.col("raw"), F.lit("")), 1, RAW_LIMIT),
        "raw_truncated": F.length(F.col("raw")) > RAW_LIMIT,
        "received_at": F.coalesce(F.col("e.received_at"), F.col("kafka_ts")),
        "host": F.col("e.host"),
        "user_agent": F.col("e.user_agent"),
        "endpoint": F.lit(None).cast("string"),
    }
    return bad.select(*[_bad_column(c, values) for c in columns])


def dead_letters(decoded_dlq: DataFrame, columns: list[Column]) -> DataFrame:
    """Turn `events.dlq` records (written by the API) into bad_events rows."""
    e = F.col("e")
    readable = e.isNotNull() & e["dlq_id"].isNotNull() & e["reason"].isNotNull()
    values = {
        "dlq_id": F.when(readable, e["dlq_id"]).otherwise(
            _uuid_from(F.col("topic"), F.col("kafka_partition"), F.col("kafka_offset"))
        ),
        "reason": F.when(readable, e["reason"]).otherwise(F.lit("stream: unreadable dead-letter record")),
        "raw": F.when(readable, e["raw"]).otherwise(F.substring(F.col("raw"), 1, RAW_LIMIT)),
        "received_at": F.coalesce(e["received_at"], F.col("kafka_ts")),
    }
    rows = decoded_dlq.select(*[_bad_column(c, values, e) for c in columns])
    return rows.dropDuplicates(["dlq_id"])


def _bad_column(c: Column, values: dict[str, SparkColumn], e: SparkColumn | None = None) -> SparkColumn:
    if c.name in values:
        return values[c.name].cast(_cast(c)).alias(c.name)
    if c.name in ("kafka_partition", "kafka_offset", "landed_at"):
        return _column(c)
    if e is not None:
        return e[c.name].alias(c.name)
    return F.lit(None).cast(_cast(c)).alias(c.name)


def _cast(c: Column) -> str:
    return {
        "bigint": "bigint",
        "int": "int",
        "timestamp": "timestamp",
        "boolean": "boolean",
        "double": "double",
    }.get(c.spark_type, "string")
