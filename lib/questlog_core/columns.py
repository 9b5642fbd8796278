"""Derive table columns (Spark and Trino types) from the schemas."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from questlog_core.errors import SchemaError
from questlog_core.registry import BAD_EVENT, BAD_EVENTS_TABLE, Registry

# Columns the streaming writer adds: where the row came from and when it landed.
PIPELINE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("kafka_partition", "int", "Kafka partition the record was read from."),
    ("kafka_offset", "bigint", "Kafka offset of the record."),
    ("landed_at", "timestamp", "Time the streaming writer committed the row (UTC)."),
)

_TRINO = {
    "string": "varchar",
    "bigint": "bigint",
    "int": "integer",
    "double": "double",
    "boolean": "boolean",
    "timestamp": "timestamp(6) with time zone",
}


@dataclass(frozen=True)
class Column:
    """One table column: name, Spark SQL type, description."""

    name: str
    spark_type: str
    description: str

    @property
    def trino_type(self) -> str:
        """Return the type Trino shows for this column in an Iceberg table."""
        return _TRINO[self.spark_type]


def spark_type(spec: dict[str, Any]) -> str:
    """Map one JSON Schema property to a Spark SQL type."""
    kinds = spec.get("type")
    kinds = [k for k in (kinds if isinstance(kinds, list) else [kinds]) if k != "null"]
    if len(kinds) != 1:
        raise SchemaError(f"property type must be one JSON type (plus null), got {spec.get('type')}")
    kind = kinds[0]
    if kind == "string":
        return "timestamp" if spec.get("format") == "date-time" else "string"
    mapped = {"integer": "bigint", "number": "double", "boolean": "boolean"}.get(kind)
    if mapped is None:
        raise SchemaError(f"JSON type {kind!r} has no column type")
    return mapped


def _from_properties(properties: dict[str, dict[str, Any]]) -> list[Column]:
    return [Column(n, spark_type(s), s["description"]) for n, s in properties.items()]


def _pipeline() -> list[Column]:
    return [Column(*c) for c in PIPELINE_COLUMNS]


def event_columns(registry: Registry, event_type: str) -> list[Column]:
    """Return the columns of an event type's table: envelope, attributes, pipeline."""
    envelope = _from_properties(registry.envelope.properties)
    attributes = _from_properties(registry.latest(event_type).properties)
    return envelope + attributes + _pipeline()


def schema_columns(registry: Registry, name: str) -> list[Column]:
    """Return the columns of the latest version of one schema, in file order."""
    return _from_properties(registry.latest(name).properties)


def table_columns(registry: Registry) -> dict[str, list[Column]]:
    """Return the columns of every lake table the stream fills: the event tables, then bad_events."""
    tables = {table: event_columns(registry, t) for table, t in registry.event_tables.items()}
    tables[BAD_EVENTS_TABLE] = bad_event_columns(registry)
    return tables


def envelope_columns(registry: Registry) -> list[Column]:
    """Return the envelope's columns and the pipeline's: what every event table has in common."""
    return _from_properties(registry.envelope.properties) + _pipeline()


def bad_event_columns(registry: Registry) -> list[Column]:
    """Return the columns of the bad_events table."""
    return schema_columns(registry, BAD_EVENT) + _pipeline()


def payload_fields(registry: Registry) -> list[Column]:
    """Return every field an `events` record may carry (union over all event types)."""
    seen: dict[str, Column] = {}
    for column in _from_properties(registry.envelope.properties):
        seen[column.name] = column
    for event_type in registry.event_types:
        for column in _from_properties(registry.latest(event_type).properties):
            if column.name in seen and seen[column.name].spark_type != column.spark_type:
                raise SchemaError(f"field {column.name!r} has two types across event types")
            seen.setdefault(column.name, column)
    return list(seen.values())
