"""Hold every Kafka record to the schemas' own limits, as Spark expressions (pure: no I/O).

Records normally come from the API, which validated them, but any producer can write to the topics. The
stream therefore checks what the schemas say (required fields, types, lengths, ranges, enums, patterns,
UUID form, no unknown fields) and the time sanity the API enforces, so a record that bypassed the API
lands in its table only if the API would have accepted it, and in bad_events with the reason otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pyspark.sql import Column as SparkColumn
from pyspark.sql import functions as F

# The stored form of every id: canonical 8-4-4-4-12 hex (the API writes it lower-case).
UUID_PATTERN = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


@dataclass(frozen=True)
class TimeLimits:
    """How far event_ts may lie from received_at, and received_at from the Kafka record time."""

    max_age_hours: float = 720.0
    max_future_hours: float = 24.0
    max_receive_skew_hours: float = 24.0


def _kinds(spec: dict[str, Any]) -> set[str]:
    kinds = spec.get("type")
    return set(kinds if isinstance(kinds, list) else [kinds]) - {"null"}


def field_checks(e: SparkColumn, name: str, spec: dict[str, Any]) -> list[tuple[SparkColumn, str]]:
    """Return (violated, reason) pairs for one schema property of a parsed record `e`."""
    value = e[name]
    kinds = _kinds(spec)
    checks: list[tuple[SparkColumn, str]] = []
    if "string" in kinds and spec.get("format") != "date-time":
        if "maxLength" in spec:
            checks.append((F.length(value) > spec["maxLength"], f"field too long: {name} (max {spec['maxLength']})"))
        if "minLength" in spec:
            checks.append((F.length(value) < spec["minLength"], f"field too short: {name} (min {spec['minLength']})"))
        if spec.get("format") == "uuid":
            checks.append((~value.rlike(UUID_PATTERN), f"field is not a canonical UUID: {name}"))
        if "pattern" in spec:
            checks.append((~value.rlike(spec["pattern"]), f"field does not match its pattern: {name}"))
    if "enum" in spec:
        checks.append((~value.isin(*spec["enum"]), f"field is not one of its allowed values: {name}"))
    if "not" in spec:
        if set(spec["not"]) != {"const"}:
            raise ValueError(f"{name}: only 'not': {{'const': ...}} is supported, got {spec['not']}")
        checks.append((value == F.lit(spec["not"]["const"]), f"field may not be {spec['not']['const']}: {name}"))
    if kinds & {"integer", "number"}:
        if "minimum" in spec:
            checks.append((value < spec["minimum"], f"field below its minimum: {name} (min {spec['minimum']})"))
        if "maximum" in spec:
            checks.append((value > spec["maximum"], f"field above its maximum: {name} (max {spec['maximum']})"))
    # A null value reads as "not violated" in every comparison above: missing fields are checked apart.
    return [(F.coalesce(c, F.lit(False)), reason) for c, reason in checks]


def first_problem(checks: Iterable[tuple[SparkColumn, str]]) -> SparkColumn:
    """Fold (violated, reason) pairs into the first reason that applies, else null."""
    reason = F.lit(None).cast("string")
    for condition, text in reversed(list(checks)):
        reason = F.when(condition, F.lit(text)).otherwise(reason)
    return reason


def unknown_field(raw: SparkColumn, allowed: Iterable[str]) -> SparkColumn:
    """Return the first top-level key of a JSON object not in `allowed`, else null."""
    keys = F.json_object_keys(raw)
    extra = F.array_except(keys, F.array(*[F.lit(a) for a in sorted(allowed)]))
    return F.when(F.size(extra) > 0, F.element_at(F.array_sort(extra), 1))


def schema_problem(
    e: SparkColumn,
    raw: SparkColumn,
    properties: dict[str, dict[str, Any]],
    required: Iterable[str],
) -> SparkColumn:
    """Return why a parsed record breaks one schema (required, limits, unknown fields), or null."""
    return F.coalesce(
        first_problem(missing_checks(e, required)),
        first_problem(limit_checks(e, properties)),
        unknown_problem(raw, properties),
    )


def limit_checks(e: SparkColumn, properties: dict[str, dict[str, Any]]) -> list[tuple[SparkColumn, str]]:
    """Return (violated, reason) pairs for every property's limits, in the schema's order."""
    return [c for name, spec in properties.items() for c in field_checks(e, name, spec)]


def missing_checks(e: SparkColumn, required: Iterable[str]) -> list[tuple[SparkColumn, str]]:
    """Return (violated, reason) pairs for required fields that are absent or did not parse as their type."""
    return [(e[n].isNull(), f"missing or invalid field: {n}") for n in required]


def unknown_problem(raw: SparkColumn, allowed: Iterable[str]) -> SparkColumn:
    """Return 'unknown field: <name>' for the first top-level key of `raw` not in `allowed`, else null."""
    return F.concat(F.lit("unknown field: "), unknown_field(raw, allowed))


def time_problem(
    event_ts: SparkColumn, received_at: SparkColumn, kafka_ts: SparkColumn, limits: TimeLimits
) -> SparkColumn:
    """Return why a record's times are absurd (the API's window; received_at near the Kafka time), or null."""
    age = F.expr(f"INTERVAL {int(limits.max_age_hours * 3600)} SECONDS")
    future = F.expr(f"INTERVAL {int(limits.max_future_hours * 3600)} SECONDS")
    skew = F.expr(f"INTERVAL {int(limits.max_receive_skew_hours * 3600)} SECONDS")
    return first_problem(
        [
            (
                (received_at < kafka_ts - skew) | (received_at > kafka_ts + skew),
                f"received_at is more than {limits.max_receive_skew_hours:g} h from the Kafka record time",
            ),
            (event_ts < received_at - age, f"event_ts is more than {limits.max_age_hours:g} h before received_at"),
            (event_ts > received_at + future, f"event_ts is more than {limits.max_future_hours:g} h after received_at"),
        ]
    )
