"""Pure transformations of the streaming job: DataFrame in, DataFrame out, no I/O.

Both topics are parsed once and turned into one frame of "routed" rows, each with the table it goes to,
its dedup key and order, whether it takes the slow lane, and its table columns (struct `e` for events,
struct `bad` for bad_events rows). The dedup operator and the writer work on that frame alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pyspark.sql import Column as SparkColumn
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import StructType
from questlog_core.columns import BAD_EVENTS_TABLE, Column
from questlog_core.registry import BAD_EVENT, Registry

from questlog_stream.validate import (
    TimeLimits,
    first_problem,
    limit_checks,
    missing_checks,
    schema_problem,
    time_problem,
    unknown_problem,
)

# Our API writes times as RFC 3339 UTC with microseconds; offsets are accepted too.
JSON_OPTIONS = {"timestampFormat": "yyyy-MM-dd'T'HH:mm:ss[.SSSSSS]XXX", "mode": "PERMISSIVE"}
RAW_LIMIT = 65536
PIPELINE = ("kafka_partition", "kafka_offset", "landed_at")


@dataclass(frozen=True)
class Lanes:
    """When a row takes the slow lane (an anti-join against its table) instead of the state alone.

    `lag_s` (L): the row's event time is more than L before its receive time (a resend that kept its
    original event_ts, or a late offline event); `backlog_s` (G): the row was received more than G before
    its batch runs (catch-up after an outage); `bootstrap_until_ms`: batches before this time, right
    after a new checkpoint over tables that already hold rows (the state starts empty).
    """

    lag_s: int
    backlog_s: int
    bootstrap_until_ms: int = 0


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


def event_problem(registry: Registry, limits: TimeLimits) -> SparkColumn:
    """Return why a decoded `events` record is unusable, or null: the same rules as the API's."""
    e, raw = F.col("e"), F.col("raw")
    envelope = registry.envelope
    # Per type, the checks are those of schema_problem over envelope + type: missing fields (envelope's,
    # then the type's), field limits (envelope's, then the type's), unknown fields. The envelope's parts
    # are the same for every type, so they are built once and the per-type choices hold only the type's
    # own parts: the expression stays small, and Spark plans it in every micro-batch.
    missing_own = F.lit(None).cast("string")
    fields_own = F.lit(None).cast("string")
    for event_type in reversed(registry.event_types):
        schema = registry.latest(event_type)
        is_type = e["event_type"] == event_type
        required = [r for r in schema.required if r not in envelope.required]
        missing_own = F.when(is_type, first_problem(missing_checks(e, required))).otherwise(missing_own)
        own = F.coalesce(
            first_problem(limit_checks(e, schema.properties)),
            unknown_problem(raw, {**envelope.properties, **schema.properties}),
        )
        fields_own = F.when(is_type, own).otherwise(fields_own)
    per_type = F.coalesce(
        first_problem(missing_checks(e, envelope.required)),
        missing_own,
        first_problem(limit_checks(e, envelope.properties)),
        fields_own,
    )
    basic = first_problem(
        [
            (F.expr("try_parse_json(raw)").isNull(), "record is not valid JSON"),
            (~F.ltrim(raw).startswith("{"), "record is not a JSON object"),
            (e["event_type"].isNull(), "missing or invalid field: event_type"),
            (~e["event_type"].isin(*registry.event_types), "unknown event_type"),
        ]
    )
    return F.coalesce(basic, per_type, time_problem(e["event_ts"], e["received_at"], F.col("kafka_ts"), limits))


def _uuid_from(*parts: SparkColumn) -> SparkColumn:
    """A deterministic UUID-shaped id, so a replayed record gets the same id."""
    h = F.md5(F.concat_ws("/", *parts))
    return F.concat_ws("-", h.substr(1, 8), h.substr(9, 4), h.substr(13, 4), h.substr(17, 4), h.substr(21, 12))


def _no_conflict() -> SparkColumn:
    """`conflict`, set by the dedup operator on a copy whose event_id landed in another table first."""
    return F.lit(None).cast("string").alias("conflict")


def _record_id() -> SparkColumn:
    return _uuid_from(F.col("topic"), F.col("kafka_partition"), F.col("kafka_offset"))


def _order() -> SparkColumn:
    """First copy wins: the dead-letter topic after the events topic, then partition, then offset."""
    topic_rank = F.when(F.col("topic").endswith(".dlq"), F.lit(1)).otherwise(F.lit(0)).cast("bigint")
    return (
        topic_rank * F.lit(1 << 52) + F.col("kafka_partition").cast("bigint") * F.lit(1 << 42) + F.col("kafka_offset")
    )


def _limit(value: SparkColumn, c: Column, registry: Registry) -> SparkColumn:
    """Cut a string to its bad_event schema limit (bad_events rows must obey the schema too)."""
    spec = registry.latest(BAD_EVENT).properties.get(c.name, {})
    if c.spark_type == "string" and "maxLength" in spec:
        return F.substring(value.cast("string"), 1, spec["maxLength"])
    return value.cast(c.spark_type)


def _bad_struct(values: dict[str, SparkColumn], columns: list[Column], registry: Registry) -> SparkColumn:
    fields = [
        _limit(values[c.name], c, registry).alias(c.name)
        if c.name in values
        else F.lit(None).cast(c.spark_type).alias(c.name)
        for c in columns
        if c.name not in PIPELINE
    ]
    return F.struct(*fields)


def _received(claimed: SparkColumn, limits: TimeLimits) -> SparkColumn:
    """A receive time that is safe to partition and window on: the claimed one if sane, else Kafka's."""
    skew = F.expr(f"INTERVAL {int(limits.max_receive_skew_hours * 3600)} SECONDS")
    sane = claimed.isNotNull() & claimed.between(F.col("kafka_ts") - skew, F.col("kafka_ts") + skew)
    return F.when(sane, claimed).otherwise(F.col("kafka_ts"))


def derived_ts(e: SparkColumn) -> SparkColumn:
    """event_ts corrected for the device clock's skew: event_ts + (received_at - sent_at) when the client
    said when it sent the event, else event_ts (Snowplow's derived_tstamp)."""
    skew = F.unix_micros(e["received_at"]) - F.unix_micros(e["sent_at"])
    return F.when(e["sent_at"].isNull(), e["event_ts"]).otherwise(
        F.timestamp_micros(F.unix_micros(e["event_ts"]) + skew)
    )


def table_of(event_type: SparkColumn, registry: Registry) -> SparkColumn:
    """The lake table of each record's event type, as its schema names it; a type that is not stored
    keeps its own name (no table has it: the registry checks), which `lake_rows` drops."""
    out = event_type
    for table, name in registry.event_tables.items():
        if table != name:
            out = F.when(event_type == name, F.lit(table)).otherwise(out)
    return out


def route_events(
    decoded: DataFrame,
    registry: Registry,
    bad_columns: list[Column],
    payload: StructType,
    limits: TimeLimits,
) -> DataFrame:
    """Route decoded `events` records: usable ones to their table, the rest to bad_events with a reason.

    Valid records of known types that do not land in the lake (e.g. `default`) keep their type as
    `table`; `lake_rows` drops them after the dedup. No filter here: a filter on `problem` would be
    pushed below the projections by the optimizer, which inlines `from_json(raw).field` for every
    field the checks read (169 JSON parses per record, measured: 40 s per 51k records instead of 2 s).
    """
    e = F.col("e")
    wanted = decoded.withColumn("problem", event_problem(registry, limits))
    usable = F.col("problem").isNull()
    received = _received(e["received_at"], limits)
    bad = _bad_struct(
        {
            "dlq_id": _record_id(),
            "reason": F.concat(F.lit("stream: "), F.col("problem")),
            "field": F.nullif(F.regexp_extract("problem", r"field[^:]*: (\S+)", 1), F.lit("")),
            "event_type": e["event_type"],
            "event_id": e["event_id"],
            "user_id": e["user_id"],
            "raw": F.substring(F.coalesce(F.col("raw"), F.lit("")), 1, RAW_LIMIT),
            "raw_truncated": F.length(F.col("raw")) > RAW_LIMIT,
            "received_at": received,
            "host": e["host"],
            "user_agent": e["user_agent"],
        },
        bad_columns,
        registry,
    )
    return wanted.select(
        "topic",
        "kafka_partition",
        "kafka_offset",
        F.when(usable, table_of(e["event_type"], registry)).otherwise(F.lit(BAD_EVENTS_TABLE)).alias("table"),
        F.when(usable, F.concat(F.lit("e/"), F.lower(e["event_id"])))
        .otherwise(F.concat(F.lit("b/"), _record_id()))
        .alias("dedup_key"),
        _order().alias("dedup_order"),
        F.when(usable, e["event_ts"]).otherwise(received).alias("ts"),
        received.alias("received"),
        F.when(usable, e["event_ts"]).alias("event_ts"),
        F.when(usable, e.withField("event_id", F.lower(e["event_id"])).withField("derived_ts", derived_ts(e)))
        .otherwise(F.lit(None).cast(payload))
        .alias("e"),
        F.when(~usable, bad).alias("bad"),
        _no_conflict(),
    )


def route_dead_letters(
    decoded: DataFrame, registry: Registry, bad_columns: list[Column], payload: StructType, limits: TimeLimits
) -> DataFrame:
    """Route `events.dlq` records to bad_events; one that breaks the bad_event schema is kept as unreadable."""
    e = F.col("e")
    schema = registry.latest(BAD_EVENT)
    problem = first_problem(
        [
            (F.expr("try_parse_json(raw)").isNull(), "record is not valid JSON"),
            (~F.ltrim(F.col("raw")).startswith("{"), "record is not a JSON object"),
        ]
    )
    problem = F.coalesce(problem, schema_problem(e, F.col("raw"), schema.properties, schema.required))
    checked = decoded.withColumn("problem", problem)
    readable = F.col("problem").isNull()
    received = _received(e["received_at"], limits)
    values = {c.name: e[c.name] for c in bad_columns if c.name not in PIPELINE}
    values.update(
        {
            "dlq_id": F.when(readable, F.lower(e["dlq_id"])).otherwise(_record_id()),
            "reason": F.when(readable, e["reason"]).otherwise(
                F.concat(F.lit("stream: unreadable dead-letter record: "), F.col("problem"))
            ),
            "raw": F.when(readable, e["raw"]).otherwise(F.substring(F.col("raw"), 1, RAW_LIMIT)),
            "raw_truncated": F.when(readable, e["raw_truncated"]).otherwise(F.length(F.col("raw")) > RAW_LIMIT),
            "received_at": received,
        }
    )
    for name in ("field", "event_type", "event_id", "user_id", "host", "user_agent", "endpoint"):
        values[name] = F.when(readable, e[name])
    bad = _bad_struct(values, bad_columns, registry)
    return checked.select(
        "topic",
        "kafka_partition",
        "kafka_offset",
        F.lit(BAD_EVENTS_TABLE).alias("table"),
        F.concat(F.lit("b/"), bad["dlq_id"]).alias("dedup_key"),
        _order().alias("dedup_order"),
        received.alias("ts"),
        received.alias("received"),
        F.lit(None).cast("timestamp").alias("event_ts"),
        F.lit(None).cast(payload).alias("e"),
        bad.alias("bad"),
        _no_conflict(),
    )


def lake_rows(deduped: DataFrame, tables: Iterable[str]) -> DataFrame:
    """Rows bound for a lake table (or flagged as cross-table conflicts, which go to bad_events).
    Applied after the dedup operator, which the optimizer cannot push a filter through."""
    return deduped.where(F.col("table").isin(*tables) | F.col("conflict").isNotNull())


def with_lanes(routed: DataFrame, lanes: Lanes) -> DataFrame:
    """Add `slow` (replay-identical: current_timestamp() is the batch time of the offset log).

    Applied after the dedup operator (which does not read `slow`): the batch time is a literal in the
    generated code, and before the operator it would sit in the stage that parses and validates, whose
    large generated class would then be compiled anew for every batch instead of once.
    """
    now = F.current_timestamp()
    lagging = F.col("event_ts").isNotNull() & (
        F.col("event_ts") < F.col("received") - F.expr(f"INTERVAL {lanes.lag_s} SECONDS")
    )
    backlog = F.col("received") < now - F.expr(f"INTERVAL {lanes.backlog_s} SECONDS")
    bootstrap = now < F.timestamp_millis(F.lit(lanes.bootstrap_until_ms))
    return routed.withColumn("slow", F.coalesce(lagging | backlog | bootstrap, F.lit(True)))


def table_rows(rows: DataFrame, table: str, columns: list[Column]) -> DataFrame:
    """Return one table's rows as its columns (conflicting event ids are not an event table's rows)."""
    if table == BAD_EVENTS_TABLE:
        own = rows.where((F.col("table") == table) & F.col("conflict").isNull())
        mine = own.select(
            *[_pipeline(c) if c.name in PIPELINE else F.col(f"bad.{c.name}").alias(c.name) for c in columns]
        )
        return mine.unionByName(conflicts(rows, columns))
    picked = rows.where((F.col("table") == table) & F.col("conflict").isNull())
    return picked.select(*[_pipeline(c) if c.name in PIPELINE else F.col(f"e.{c.name}").alias(c.name) for c in columns])


def conflicts(rows: DataFrame, columns: list[Column]) -> DataFrame:
    """Turn events whose event_id already landed in another table into bad_events rows."""
    e = F.col("e")
    values = {
        "dlq_id": _record_id(),
        "reason": F.concat(F.lit("stream: event_id already landed in table "), F.col("conflict")),
        "field": F.lit("event_id"),
        "event_type": e["event_type"],
        "event_id": e["event_id"],
        "user_id": e["user_id"],
        "raw": F.to_json(e),
        "raw_truncated": F.lit(False),
        "received_at": F.col("received"),
        "host": e["host"],
        "user_agent": e["user_agent"],
    }
    picked = rows.where(F.col("conflict").isNotNull())
    return picked.select(
        *[
            _pipeline(c) if c.name in PIPELINE else values.get(c.name, F.lit(None)).cast(c.spark_type).alias(c.name)
            for c in columns
        ]
    )


def _pipeline(c: Column) -> SparkColumn:
    if c.name == "landed_at":
        return F.current_timestamp().alias("landed_at")
    return F.col(c.name).alias(c.name)
