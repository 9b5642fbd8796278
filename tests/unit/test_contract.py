"""The schemas are the one contract: routing, limits and the files generated from them."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from questlog_api import openapi
from questlog_api.events import RequestContext, dead_letter
from questlog_core.ddl import all_events_view
from questlog_core.errors import SchemaError
from questlog_core.registry import VENDOR, Registry, default_registry, default_schema_dir
from questlog_core.validation import EventValidator

from tests.conftest import ROOT


def _scratch(tmp_path: Path) -> Path:
    root = tmp_path / "schemas"
    shutil.copytree(default_schema_dir(), root, ignore=shutil.ignore_patterns("generated"))
    return root


def _edit(root: Path, name: str, change) -> None:
    path = root / VENDOR / name / "1-0-0.json"
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))


def test_routing_comes_from_the_schemas():
    reg = default_registry()
    assert reg.event_tables == {
        "currency_change": "currency_change",
        "enter_battle": "enter_battle",
        "iap_purchase": "iap_purchase",
        "join_guild": "join_guild",
        "level_progress": "level_progress",
        "purchase_weapon": "purchase_weapon",
        "session_end": "session_end",
        "session_start": "session_start",
    }
    assert "default" in reg.event_types and reg.table_of("default") is None
    assert reg.lake_tables[-1] == "bad_events"
    assert reg.seed_routes == {
        "/enter_a_battle": "enter_battle",
        "/join_a_guild": "join_guild",
        "/purchase_a_weapon": "purchase_weapon",
    }
    assert reg.partition_column("purchase_weapon") == "event_ts"
    assert reg.partition_column("bad_events") == "received_at"


@pytest.mark.parametrize(
    ("name", "change", "message"),
    [
        ("join_guild", lambda d: d.pop("x-questlog"), "x-questlog"),
        ("join_guild", lambda d: d["x-questlog"].update(table="purchase_weapon"), "purchase_weapon"),
        ("join_guild", lambda d: d["x-questlog"].update(table="Bad-Name"), "Bad-Name"),
        ("join_guild", lambda d: d["x-questlog"].update(table="bad_events"), "bad_events"),
        ("join_guild", lambda d: d["x-questlog"].update(route="/purchase_a_weapon"), "/purchase_a_weapon"),
        ("envelope", lambda d: d["x-questlog"].update(partition="host"), "host"),
    ],
)
def test_routing_mistakes_are_refused_naming_them(tmp_path, name, change, message):
    root = _scratch(tmp_path)
    _edit(root, name, change)
    with pytest.raises(SchemaError, match=message):
        Registry.load(root)


def test_openapi_is_generated_with_every_limit():
    doc = json.loads((ROOT / "services" / "api" / "openapi.json").read_text())
    assert doc["x-generated"].startswith("generated")
    weapon = doc["components"]["schemas"]["PurchaseWeaponEvent"]
    assert (
        weapon["properties"]["gold_cost"]["maximum"]
        == default_registry().latest("purchase_weapon").properties["gold_cost"]["maximum"]
    )
    assert weapon["properties"]["damage"]["maximum"] > 0
    for event_type in default_registry().event_types:
        spec = default_registry().latest(event_type)
        body = doc["components"]["schemas"][openapi.component_name(event_type)]["properties"]
        for field, rule in spec.properties.items():
            for limit in ("maxLength", "minLength", "maximum", "minimum", "pattern", "enum"):
                if limit in rule and field in body:
                    assert body[field].get(limit) == rule[limit], f"{event_type}.{field}: {limit}"
    assert set(default_registry().seed_routes) <= set(doc["paths"])


def test_openapi_follows_a_new_event_type(tmp_path):
    root = _scratch(tmp_path)
    doc = json.loads((root / VENDOR / "join_guild" / "1-0-0.json").read_text())
    doc["self"]["name"] = "open_chest"
    doc["x-questlog"] = {"table": "chest_opened"}
    doc["description"] = "A player opens a chest."
    doc["properties"] = {
        "chest": {"type": "string", "maxLength": 32, "description": "Which chest."},
        "keys": {"type": "integer", "minimum": 1, "maximum": 9, "description": "Keys spent."},
    }
    doc["required"] = ["chest"]
    (root / VENDOR / "open_chest").mkdir()
    (root / VENDOR / "open_chest" / "1-0-0.json").write_text(json.dumps(doc))
    reg = Registry.load(root)
    assert reg.event_tables["chest_opened"] == "open_chest"
    rendered = json.loads(openapi.render(reg))
    assert rendered["components"]["schemas"]["OpenChestEvent"]["properties"]["keys"]["maximum"] == 9
    assert "FROM lake.game.chest_opened" in all_events_view(reg)


def test_dead_letters_are_cut_to_the_bad_event_limits():
    validator = EventValidator(default_registry())
    limits = validator.dead_letter_limits
    assert limits["event_type"] == limits["event_id"] == 64
    ctx = RequestContext(datetime.now(UTC), "h", "ua", "/v1/events", "r1")
    record = dead_letter(ctx, "x" * 5000, "{}", 1024, limits, event={"event_type": "t" * 300, "event_id": "i" * 300})
    assert len(record["event_type"]) <= 64 and len(record["event_id"]) <= 64
    assert len(record["reason"]) == limits["reason"]


def test_openapi_json_is_in_step_with_the_schemas():
    assert openapi.OUTPUT.read_text() == openapi.render(default_registry()), "openapi.json is stale: make generate"
