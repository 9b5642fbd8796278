"""Validate client events against their schema; every rejection names the field."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import fastjsonschema

from questlog_core.registry import BAD_EVENT, Registry

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$")


def parse_rfc3339(value: str) -> datetime:
    """Parse an RFC 3339 timestamp (offset required) into an aware UTC datetime."""
    if not _RFC3339.match(value):
        raise ValueError(f"not an RFC 3339 time with offset: {value!r}")
    text = value
    frac = re.search(r"\.(\d+)", text)
    if frac and len(frac.group(1)) > 6:  # Python keeps microseconds; drop the rest
        text = text.replace(frac.group(0), "." + frac.group(1)[:6], 1)
    try:
        return datetime.fromisoformat(text.replace("z", "Z")).astimezone(UTC)
    except OverflowError as exc:  # e.g. 9999-12-31T23:59:59-23:59 is past year 9999 in UTC
        raise ValueError(f"time out of range once converted to UTC: {value!r}") from exc


def format_rfc3339(value: datetime) -> str:
    """Render an aware datetime as RFC 3339 UTC with microseconds."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _is_rfc3339(value: str) -> bool:
    try:
        parse_rfc3339(value)
    except ValueError:
        return False
    return True


# Canonical 8-4-4-4-12 hex only (either case; stored lower-case). uuid.UUID() alone also takes braces,
# "urn:uuid:", hyphens anywhere, "+", "_", spaces and non-ASCII digits.
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def _is_uuid(value: str) -> bool:
    return _UUID.fullmatch(value) is not None


FORMATS: dict[str, Callable[[str], bool]] = {"date-time": _is_rfc3339, "uuid": _is_uuid}


def short_repr(value: Any, limit: int = 80) -> str:
    """repr() of a client value cut to `limit` characters; containers by type and size only (a list
    nested 1,000 levels deep would exceed Python's recursion limit)."""
    if isinstance(value, dict | list):
        return f"<{type(value).__name__} of {len(value)}>"
    return repr(value)[:limit]


@dataclass(frozen=True)
class Rejection:
    """Why one event was refused."""

    field: str | None
    reason: str


@dataclass(frozen=True)
class TimeWindow:
    """How far event_ts may lie from the receive time before it is absurd."""

    max_past: timedelta = timedelta(days=30)
    max_future: timedelta = timedelta(days=1)


# Envelope fields a client may not send: set by the API (server) or by the streaming writer (stream).
NOT_CLIENT = frozenset({"server", "stream"})
# Client times checked against the accepted window around the receive time.
WINDOWED = ("event_ts", "sent_at")


def client_schema(registry: Registry, event_type: str) -> dict[str, Any]:
    """Build the JSON Schema a client event of one type must satisfy."""
    envelope, schema = registry.envelope, registry.latest(event_type)
    client_props = {name: spec for name, spec in envelope.properties.items() if spec.get("x-source") not in NOT_CLIENT}
    properties = {**client_props, **schema.properties}
    properties["event_type"] = {**client_props["event_type"], "const": event_type}
    return {
        "type": "object",
        "properties": properties,
        "required": ["event_type", "user_id", *schema.required],
        "additionalProperties": False,
    }


class EventValidator:
    """Check client events of every known type; compiled once, cheap per call."""

    def __init__(self, registry: Registry, window: TimeWindow | None = None) -> None:
        self.registry = registry
        self.window = window or TimeWindow()
        self._checks: dict[str, Callable[[Any], Any]] = {}
        self._allowed: dict[str, frozenset[str]] = {}
        for event_type in registry.event_types:
            schema = client_schema(registry, event_type)
            self._checks[event_type] = fastjsonschema.compile(schema, formats=FORMATS)
            self._allowed[event_type] = frozenset(schema["properties"])
        self._known = ", ".join(registry.event_types)
        # Length limits of the dead-letter record's fields (schema bad_event): what the API cuts to.
        self.dead_letter_limits: dict[str, int] = {
            name: spec["maxLength"]
            for name, spec in registry.latest(BAD_EVENT).properties.items()
            if "maxLength" in spec
        }
        # The schema version stamped on every accepted event, per type.
        self.versions = {t: registry.latest(t).version for t in registry.event_types}

    def check(self, event: Any, now: datetime) -> Rejection | None:
        """Return why the event is invalid, or None when it is valid."""
        if not isinstance(event, Mapping):
            return Rejection(None, f"event must be a JSON object, got {type(event).__name__}")
        event_type = event.get("event_type")
        if not isinstance(event_type, str) or event_type not in self._checks:
            shown = short_repr(event_type)
            return Rejection("event_type", f"unknown event_type {shown}; known: {self._known}")
        try:
            self._checks[event_type](event)
        except fastjsonschema.JsonSchemaValueException as exc:
            return self._explain(event_type, event, exc)
        for name in WINDOWED:
            ts = event.get(name)
            if ts is None:
                continue
            when = parse_rfc3339(ts)
            if when < now - self.window.max_past or when > now + self.window.max_future:
                return Rejection(
                    name,
                    f"{name} {ts} is outside the accepted window "
                    f"({self.window.max_past} before to {self.window.max_future} after receipt)",
                )
        return None

    def _explain(
        self, event_type: str, event: Mapping[str, Any], exc: fastjsonschema.JsonSchemaValueException
    ) -> Rejection:
        if exc.rule == "additionalProperties":
            extra = sorted(str(k) for k in event if k not in self._allowed[event_type])
            shown = ", ".join(extra[:5])
            return Rejection(extra[0] if extra else None, f"unknown field(s) for {event_type}: {shown}")
        if exc.rule == "required":
            missing = [k for k in exc.rule_definition if k not in event]
            return Rejection(missing[0] if missing else None, f"missing required field(s): {', '.join(missing)}")
        path = exc.name or ""
        name = path[len("data.") :] if path.startswith("data.") else None
        message = exc.message.replace("data.", "", 1) if name else exc.message
        return Rejection(name, message)
