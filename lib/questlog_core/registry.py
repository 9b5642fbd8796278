"""Load the versioned event schemas under schemas/ (the single source of truth)."""

from __future__ import annotations

import itertools
import json
import os
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
        return cls(name, version, doc.get("description", ""), props, tuple(doc.get("required", [])), doc)


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
        return registry

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
        """Return every event type, sorted."""
        return tuple(sorted(n for n in self.versions if n not in _RESERVED))


@cache
def default_registry() -> Registry:
    """Return the registry of this checkout, loaded once per process."""
    return Registry.load()
