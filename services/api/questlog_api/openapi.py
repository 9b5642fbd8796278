"""The API's OpenAPI document: a hand-kept base (openapi_base.json: routes that carry no event, the
ingest result and error shapes) plus everything the event schemas say, generated from the registry.

The API serves the document of its own registry; `make generate` writes the one of schemas/ to
services/api/openapi.json, and a test fails when that file drifts.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from questlog_core.registry import Registry
from questlog_core.validation import client_schema

BASE = Path(__file__).with_name("openapi_base.json")
OUTPUT = Path(__file__).resolve().parent.parent / "openapi.json"
GENERATED = (
    "generated from schemas/ and services/api/questlog_api/openapi_base.json by `make generate` "
    "(tools/generate.py); do not edit"
)
USER_HEADER = {"name": "X-User-Id", "in": "header", "required": False, "schema": {"type": "string"}}


def schema_object(spec: dict[str, Any]) -> dict[str, Any]:
    """Translate one JSON Schema (draft 7) property to an OpenAPI 3.0 schema object, limits kept."""
    out = {k: v for k, v in spec.items() if k not in ("type", "const", "x-source")}
    kinds = spec.get("type")
    if isinstance(kinds, list):
        others = [k for k in kinds if k != "null"]
        if len(others) != 1:
            raise ValueError(f"OpenAPI 3.0 cannot say type {kinds}")
        out["type"] = others[0]
        if "null" in kinds:
            out["nullable"] = True
    elif kinds is not None:
        out["type"] = kinds
    if "const" in spec:
        out["enum"] = [spec["const"]]
    if "items" in spec:
        out["items"] = schema_object(spec["items"])
    return dict(sorted(out.items(), key=lambda kv: kv[0] != "type"))


def component_name(event_type: str) -> str:
    """Return the components.schemas name of an event type's request schema: PurchaseWeaponEvent."""
    return "".join(part.capitalize() for part in event_type.split("_")) + "Event"


def event_schema(registry: Registry, event_type: str) -> dict[str, Any]:
    """Return what a client event of one type must be: envelope fields a client may send, attributes."""
    schema = client_schema(registry, event_type)
    return {
        "type": "object",
        "description": registry.latest(event_type).description,
        "properties": {name: schema_object(spec) for name, spec in schema["properties"].items()},
        "required": schema["required"],
        "additionalProperties": False,
    }


def seed_body(registry: Registry, event_type: str) -> dict[str, Any]:
    """Return the body of a seed-style route: the event without the need to say its type or user."""
    body = event_schema(registry, event_type)
    body["description"] = (
        f"The attributes of {event_type} as a JSON object; event_type may be left out. The user is "
        "`user_id` in the body, else the X-User-Id header, else the Host header."
    )
    body["required"] = [r for r in body["required"] if r not in ("event_type", "user_id")]
    return body


def document(registry: Registry) -> dict[str, Any]:
    """Return the whole OpenAPI document for a registry."""
    base = json.loads(BASE.read_text())
    base.pop("x-questlog", None)
    doc = {"x-generated": GENERATED, **base}
    schemas = doc["components"]["schemas"]
    refs = {}
    for event_type in registry.event_types:
        schemas[component_name(event_type)] = event_schema(registry, event_type)
        refs[event_type] = f"#/components/schemas/{component_name(event_type)}"
    schemas["Event"] = {
        "description": "One event: the envelope fields a client sends plus the attributes of its event_type.",
        "oneOf": [{"$ref": ref} for ref in refs.values()],
        "discriminator": {"propertyName": "event_type", "mapping": refs},
    }
    ingest = doc["paths"]["/v1/events"]["post"]
    seed = {
        route: {
            "post": {
                "summary": route.strip("/").replace("_", " ").capitalize(),
                "operationId": route.strip("/"),
                "description": f"Seed-style game action: logs one {event_type} event. "
                + registry.latest(event_type).description,
                "parameters": [USER_HEADER],
                "requestBody": {
                    "required": False,
                    "content": {"application/json": {"schema": seed_body(registry, event_type)}},
                },
                "responses": copy.deepcopy(ingest["responses"]),
            }
        }
        for route, event_type in registry.seed_routes.items()
    }
    paths = dict(doc["paths"])
    doc["paths"] = {"/v1/events": paths.pop("/v1/events"), **seed, **paths}
    return doc


def render(registry: Registry) -> str:
    """Return the document as the text of services/api/openapi.json."""
    return json.dumps(document(registry), indent=2, ensure_ascii=False) + "\n"
