"""The schema registry, the columns derived from it, and the generated files."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime

import pytest
from questlog_core import codegen
from questlog_core.columns import event_columns, payload_fields
from questlog_core.errors import SchemaError
from questlog_core.registry import VENDOR, Registry, default_registry, default_schema_dir
from questlog_core.validation import EventValidator, parse_rfc3339


def test_contract_event_types_and_attributes():
    reg = default_registry()
    assert reg.event_types == (
        "currency_change",
        "default",
        "enter_battle",
        "iap_purchase",
        "join_guild",
        "level_progress",
        "purchase_weapon",
        "session_end",
        "session_start",
    )
    names = {t: [c.name for c in event_columns(reg, t)] for t in reg.event_types}
    assert names["purchase_weapon"][13:16] == ["weapon_type", "gold_cost", "damage"]
    assert names["join_guild"][13:15] == ["guild_name", "special_power"]
    assert names["enter_battle"][13:15] == ["enemy", "outcome"]
    assert names["iap_purchase"][13:18] == ["product_id", "price_cents", "currency", "transaction_id", "store"]
    assert names["currency_change"][13:17] == ["currency_name", "amount", "reason", "balance"]
    assert names["level_progress"][13:17] == ["level", "status", "duration_s", "score"]
    assert names["session_end"][13:14] == ["duration_s"]
    common = ["event_id", "event_type", "user_id", "event_ts", "received_at", "host", "user_agent", "schema_version"]
    common += ["session_id", "sent_at", "platform", "app_version", "derived_ts"]
    assert all(n[:13] == common for n in names.values())
    assert default_registry().latest("session_start").required == ("session_id",)
    types = {c.name: c.spark_type for c in payload_fields(reg)}
    assert types["event_ts"] == "timestamp" and types["gold_cost"] == "bigint"


def test_generated_files_are_in_step_with_schemas():
    for path, text in codegen.outputs(default_registry()).items():
        assert path.read_text() == text, f"{path} is stale: run `make generate`"


def _copy_schemas(tmp_path):
    dst = tmp_path / "schemas"
    shutil.copytree(default_schema_dir(), dst)
    return dst


def test_adding_an_optional_field_is_a_new_version_file(tmp_path):
    root = _copy_schemas(tmp_path)
    old = root / VENDOR / "join_guild" / "1-0-0.json"
    doc = json.loads(old.read_text())
    doc["self"]["version"] = "1-1-0"
    doc["properties"]["motto"] = {"type": "string", "maxLength": 64, "description": "Guild motto."}
    (old.parent / "1-1-0.json").write_text(json.dumps(doc))
    reg = Registry.load(root)
    assert reg.latest("join_guild").version == "1-1-0"
    assert "motto" in [c.name for c in event_columns(reg, "join_guild")]
    event = {"event_type": "join_guild", "user_id": "u", "guild_name": "g", "motto": "hi"}
    assert EventValidator(reg).check(event, datetime.now(UTC)) is None


def test_breaking_change_is_refused(tmp_path):
    root = _copy_schemas(tmp_path)
    old = root / VENDOR / "join_guild" / "1-0-0.json"
    doc = json.loads(old.read_text())
    doc["self"]["version"] = "1-1-0"
    doc["required"].append("special_power")
    (old.parent / "1-1-0.json").write_text(json.dumps(doc))
    with pytest.raises(SchemaError, match="required"):
        Registry.load(root)


def test_property_without_description_is_refused(tmp_path):
    root = _copy_schemas(tmp_path)
    path = root / VENDOR / "enter_battle" / "1-0-0.json"
    doc = json.loads(path.read_text())
    del doc["properties"]["enemy"]["description"]
    path.write_text(json.dumps(doc))
    with pytest.raises(SchemaError, match="description"):
        Registry.load(root)


def test_event_type_redefining_an_envelope_field_is_refused(tmp_path):
    root = _copy_schemas(tmp_path)
    path = root / VENDOR / "enter_battle" / "1-0-0.json"
    doc = json.loads(path.read_text())
    doc["properties"]["user_id"] = {"type": "string", "maxLength": 8, "description": "A narrower user id."}
    path.write_text(json.dumps(doc))
    with pytest.raises(SchemaError, match="enter_battle 1-0-0 redefines envelope fields: user_id"):
        Registry.load(root)


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2026-01-02T03:04:05Z", "2026-01-02T03:04:05+00:00"),
        ("2026-01-02T05:04:05.123456789+02:00", "2026-01-02T03:04:05.123456+00:00"),
    ],
)
def test_rfc3339_parsing(text, iso):
    assert parse_rfc3339(text).isoformat() == iso


@pytest.mark.parametrize("text", ["2026-01-02", "2026-01-02T03:04:05", "yesterday", "2026-13-02T00:00:00Z"])
def test_rfc3339_refuses(text):
    with pytest.raises(ValueError):
        parse_rfc3339(text)


def test_string_limits_come_from_schema():
    v = EventValidator(default_registry())
    event = {"event_type": "join_guild", "user_id": "u", "guild_name": "g" * 257}
    rejection = v.check(event, datetime.now(UTC))
    assert rejection is not None and rejection.field == "guild_name"
