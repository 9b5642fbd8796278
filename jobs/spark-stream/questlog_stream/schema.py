"""Spark schemas of the Kafka payloads and lake tables, derived from schemas/ (never hand-written)."""

from __future__ import annotations

from pyspark.sql.types import (
    BooleanType,
    DataType,
    DoubleType,
    IntegerType,
    LongType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)
from questlog_core.columns import Column, payload_fields, schema_columns
from questlog_core.registry import BAD_EVENT, Registry

_TYPES: dict[str, DataType] = {
    "string": StringType(),
    "bigint": LongType(),
    "int": IntegerType(),
    "double": DoubleType(),
    "boolean": BooleanType(),
    "timestamp": TimestampType(),
}


def struct(columns: list[Column]) -> StructType:
    """Build a StructType (all nullable: validity is checked explicitly, with reasons)."""
    return StructType([StructField(c.name, _TYPES[c.spark_type], True) for c in columns])


def event_payload(registry: Registry) -> StructType:
    """Return the schema of an `events` record: every field any event type may carry."""
    return struct(payload_fields(registry))


def dead_letter_payload(registry: Registry) -> StructType:
    """Return the schema of an `events.dlq` record."""
    return struct(schema_columns(registry, BAD_EVENT))
