"""Load the versioned event schemas under schemas/ (the single source of truth).

Besides JSON Schema, each file carries an `x-questlog` object: how the pipeline routes the data the
schema describes (not part of what is validated). Event types say `table` (their lake table, or null:
not stored, e.g. `default`) and optionally `route` (a seed-style endpoint that logs them); the
envelope and `bad_event` say `partition` (the timestamp column whose UTC day partitions their
tables). Every component asks this module, never a list.
"""

from __future__ import annotations

import itertools
import json
import os
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from questlog_core.errors import SchemaError

VENDOR = "com.gameco.questlog"
ENVELOPE = "envelope"
BAD_EVENT = "bad_event"
# Not event types: the envelope every event shares and the dead-letter record.
_RESERVED = {ENVELOPE, BAD_EVENT}
ROUTING = "x-questlog"
# The dead-letter table (rows of the bad_event schema) and the Trino view over every event table's
# envelope columns: public names of the pipeline, which no event type's table may take.
BAD_EVENTS_TABLE = "bad_events"
ALL_EVENTS_VIEW = "all_events"
_TABLE_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")
_ROUTE = re.compile(r"/[a-z][a-z0-9_]{0,62}")
_ROUTING_KEYS = {"table", "route", "partition"}


def default_schema_dir() -> Path:
    """Return the schemas/ folder of this checkout (or QUESTLOG_SCHEMA_DIR)."""
    env = os.environ.get("QUESTLOG_SCHEMA_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "schemas"


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("-"))


@dataclass(frozen=True)
class Schema:
    """One published version of one schema file."""

    name: str
    version: str
    description: str
    properties: dict[str, dict[str, Any]]
    required: tuple[str, ...]
    raw: dict[str, Any] = field(repr=False, compare=False)
    # From x-questlog: the lake table (None: not stored), the seed route, the partition column.
    table: str | None = None
    route: str | None = None
    partition: str | None = None

    @classmethod
    def load(cls, path: Path) -> Schema:
        """Parse and check one schema file."""
        try:
            doc = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise SchemaError(f"cannot read schema {path}: {exc}") from exc
        me = doc.get("self") or {}
        name, version = me.get("name"), me.get("version")
        if me.get("vendor") != VENDOR or not name or not version:
            raise SchemaError(f"{path}: 'self' must name vendor {VENDOR}, a name and a version")
        if path.parent.name != name or path.stem != version:
            raise SchemaError(f"{path}: file must live at <name>/<version>.json ({name}/{version})")
        if doc.get("additionalProperties") is not False:
            raise SchemaError(f"{path}: additionalProperties must be false")
        props = doc.get("properties", {})
        for prop, spec in props.items():
            if not spec.get("description"):
                raise SchemaError(f"{path}: property {prop!r} needs a description")
        routing = doc.get(ROUTING, {})
        if not isinstance(routing, dict) or set(routing) - _ROUTING_KEYS:
            raise SchemaError(f"{path}: {ROUTING} must be an object with keys among {sorted(_ROUTING_KEYS)}")
        table, route, partition = (routing.get(k) for k in ("table", "route", "partition"))
        if name not in _RESERVED and "table" not in routing:
            raise SchemaError(f"{path}: {ROUTING}.table must name the event type's lake table, or be null")
        if table is not None and (not isinstance(table, str) or not _TABLE_NAME.fullmatch(table)):
            raise SchemaError(f"{path}: {ROUTING}.table {table!r} must match {_TABLE_NAME.pattern}")
        if table in (BAD_EVENTS_TABLE, ALL_EVENTS_VIEW) or (table is not None and name in _RESERVED):
            raise SchemaError(f"{path}: {ROUTING}.table {table!r} is reserved by the pipeline")
        if route is not None and (not isinstance(route, str) or not _ROUTE.fullmatch(route)):
            raise SchemaError(f"{path}: {ROUTING}.route {route!r} must match {_ROUTE.pattern}")
        if partition is not None and name not in _RESERVED:
            raise SchemaError(f"{path}: {ROUTING}.partition is for the envelope and {BAD_EVENT} only")
        if partition is not None:
            spec = props.get(partition, {})
            if spec.get("format") != "date-time" or partition not in doc.get("required", []):
                raise SchemaError(f"{path}: {ROUTING}.partition {partition!r} must be a required date-time property")
        return cls(
            name,
            version,
            doc.get("description", ""),
            props,
            tuple(doc.get("required", [])),
            doc,
            table,
            route,
            partition,
        )


@dataclass(frozen=True)
class Registry:
    """All schemas, every version, with the latest version of each at hand."""

    versions: dict[str, tuple[Schema, ...]]

    @classmethod
    def load(cls, root: Path | None = None) -> Registry:
        """Read every <vendor>/<name>/<version>.json under root."""
        base = (root or default_schema_dir()) / VENDOR
        if not base.is_dir():
            raise SchemaError(f"schema folder {base} does not exist")
        versions: dict[str, list[Schema]] = {}
        for path in sorted(base.glob("*/*.json")):
            schema = Schema.load(path)
            versions.setdefault(schema.name, []).append(schema)
        if ENVELOPE not in versions:
            raise SchemaError(f"no {ENVELOPE} schema under {base}")
        ordered = {
            name: tuple(sorted(found, key=lambda s: _version_key(s.version))) for name, found in versions.items()
        }
        registry = cls(ordered)
        registry._check_evolution()
        registry._check_routing()
        registry._check_envelope_fields()
        return registry

    def _check_envelope_fields(self) -> None:
        # An event's columns are the envelope's plus its type's: a type may not take an envelope field,
        # whose meaning and limits every consumer (API, stream, lake, models) shares.
        shared_with = set(self.envelope.properties)
        for name in self.event_types:
            for version in self.versions[name]:
                shared = ", ".join(sorted(shared_with & set(version.properties)))
                if shared:
                    raise SchemaError(f"{name} {version.version} redefines envelope fields: {shared}")

    def _check_routing(self) -> None:
        # A table or route names one event type for good: data already landed must stay where it is.
        for name, history in self.versions.items():
            for old, new in itertools.pairwise(history):
                if (old.table, old.route, old.partition) != (new.table, new.route, new.partition):
                    raise SchemaError(f"{name} {new.version} changes its {ROUTING} routing")
        for what in ("table", "route"):
            seen: dict[str, str] = {}
            for name in self.versions:
                value = getattr(self.latest(name), what)
                if value is not None and seen.setdefault(value, name) != name:
                    raise SchemaError(f"{what} {value!r} is claimed by both {seen[value]} and {name}")
        for name in self.event_types:
            table = self.latest(name).table
            if table is not None and table != name and table in self.versions:
                raise SchemaError(f"{name}'s table {table!r} is the name of another schema")
        for name in (ENVELOPE, BAD_EVENT):
            if name in self.versions and self.latest(name).partition is None:
                raise SchemaError(f"{name} must say its {ROUTING}.partition column")

    def _check_evolution(self) -> None:
        # Later versions may only add optional properties: old data must stay readable.
        for name, history in self.versions.items():
            for old, new in itertools.pairwise(history):
                for prop, spec in old.properties.items():
                    if new.properties.get(prop, {}).get("type") != spec.get("type"):
                        raise SchemaError(f"{name} {new.version} changes or drops {prop!r}")
                added = set(new.required) - set(old.required)
                if added:
                    raise SchemaError(f"{name} {new.version} makes {sorted(added)} required")

    def latest(self, name: str) -> Schema:
        """Return the newest version of a schema."""
        try:
            return self.versions[name][-1]
        except KeyError as exc:
            raise SchemaError(f"unknown schema {name!r}") from exc

    @property
    def envelope(self) -> Schema:
        """Return the latest envelope schema."""
        return self.latest(ENVELOPE)

    @property
    def event_types(self) -> tuple[str, ...]:
        """Return every event type (stored in the lake or not), sorted."""
        return tuple(sorted(n for n in self.versions if n not in _RESERVED))

    @property
    def lake_event_types(self) -> tuple[str, ...]:
        """Return the event types that land in a lake table, sorted."""
        return tuple(t for t in self.event_types if self.latest(t).table is not None)

    def table_of(self, event_type: str) -> str | None:
        """Return the lake table of an event type, or None when it is not stored."""
        return self.latest(event_type).table

    @property
    def event_tables(self) -> dict[str, str]:
        """Return {table: event type} for every event type stored in the lake, sorted by event type."""
        return {str(self.table_of(t)): t for t in self.lake_event_types}

    @property
    def lake_tables(self) -> tuple[str, ...]:
        """Return every table the stream fills: the event tables, then the dead-letter table."""
        return (*self.event_tables, BAD_EVENTS_TABLE)

    @property
    def seed_routes(self) -> dict[str, str]:
        """Return {route: event type} for the seed-style endpoints, in event type order."""
        return {str(s.route): t for t in self.event_types if (s := self.latest(t)).route is not None}

    def partition_column(self, table: str) -> str:
        """Return the timestamp column whose UTC day partitions a lake table."""
        owner = BAD_EVENT if table == BAD_EVENTS_TABLE else ENVELOPE
        return str(self.latest(owner).partition)


@cache
def default_registry() -> Registry:
    """Return the registry of this checkout, loaded once per process."""
    return Registry.load()
