"""One schema file is the whole change: a new event type, and a new optional field, with no code edit.

A scratch copy of schemas/ gets a new event type (`open_chest`, two attributes, its own table) and a
1-1-0 version of join_guild with an optional `motto`. A private API and a private stream (own topic, own
namespace) read only that copy: the API accepts and documents the new shapes, the stream lands them in
their tables, the all_events view shows them, and the generated docs describe them.
"""

from __future__ import annotations

import json
import shutil
import time
import uuid
from datetime import UTC, datetime

import pytest
import requests
from questlog_core import codegen
from questlog_core.ddl import all_events_view
from questlog_core.registry import VENDOR, Registry, default_schema_dir

from tests.integration.conftest import query
from tests.integration.private import PrivateStream
from tests.security.conftest import start_api  # noqa: F401 - fixture

pytestmark = pytest.mark.slow


def scratch_schemas(root):
    shutil.copytree(default_schema_dir(), root, ignore=shutil.ignore_patterns("generated"))
    chest = json.loads((root / VENDOR / "join_guild" / "1-0-0.json").read_text())
    chest["self"]["name"] = "open_chest"
    chest["description"] = "A player opens a treasure chest."
    chest["x-questlog"] = {"table": "chest_opened"}
    chest["properties"] = {
        "chest": {"type": "string", "minLength": 1, "maxLength": 32, "description": "Which chest was opened."},
        "keys_spent": {"type": "integer", "minimum": 1, "maximum": 9, "description": "Keys the chest took."},
    }
    chest["required"] = ["chest"]
    (root / VENDOR / "open_chest").mkdir()
    (root / VENDOR / "open_chest" / "1-0-0.json").write_text(json.dumps(chest, indent=2))
    guild = json.loads((root / VENDOR / "join_guild" / "1-0-0.json").read_text())
    guild["self"]["version"] = "1-1-0"
    guild["properties"]["motto"] = {"type": "string", "maxLength": 64, "description": "The guild's motto."}
    (root / VENDOR / "join_guild" / "1-1-0.json").write_text(json.dumps(guild, indent=2))
    return Registry.load(root)


def test_a_new_event_type_and_field_flow_through_with_no_code_change(tmp_path, start_api, trino_cursor, unique):  # noqa: F811
    root = tmp_path / "schemas"
    registry = scratch_schemas(root)
    stream = PrivateStream(f"c{unique}", trino_cursor, QUESTLOG_SCHEMA_DIR=str(root))
    try:
        api = start_api(
            QUESTLOG_SCHEMA_DIR=str(root), QUESTLOG_API_TOPIC=stream.topic, QUESTLOG_API_DLQ_TOPIC=stream.dlq
        )
        # The API documents and checks the new shapes.
        spec = requests.get(f"{api.url}/openapi.json", timeout=10).json()
        assert spec["components"]["schemas"]["OpenChestEvent"]["properties"]["keys_spent"]["maximum"] == 9
        assert "motto" in spec["components"]["schemas"]["JoinGuildEvent"]["properties"]
        user = f"scratch-{unique}"
        now = datetime.now(UTC).isoformat()
        chest_id, guild_id = str(uuid.uuid4()), str(uuid.uuid4())
        events = [
            {
                "event_id": chest_id,
                "event_type": "open_chest",
                "user_id": user,
                "event_ts": now,
                "chest": "gold",
                "keys_spent": 2,
            },
            {
                "event_id": guild_id,
                "event_type": "join_guild",
                "user_id": user,
                "event_ts": now,
                "guild_name": "Owls",
                "motto": "Hoot",
            },
        ]
        accepted = requests.post(f"{api.url}/v1/events", json={"events": events}, timeout=30)
        assert accepted.status_code == 202, accepted.text
        too_many = {**events[0], "event_id": str(uuid.uuid4()), "keys_spent": 10}
        refused = requests.post(f"{api.url}/v1/events", json=too_many, timeout=30)
        assert refused.status_code == 400 and "keys_spent" in refused.text

        # The stream lands them in their tables, with the new column.
        stream.start()
        chest_sql = (
            f"SELECT chest, keys_spent, schema_version FROM {stream.table('chest_opened')} WHERE user_id = '{user}'"
        )
        guild_sql = (
            f"SELECT guild_name, motto, schema_version FROM {stream.table('join_guild')} WHERE user_id = '{user}'"
        )
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            with_rows = [query(trino_cursor, sql) for sql in (chest_sql, guild_sql)]
            if all(with_rows):
                break
            time.sleep(2)
        assert with_rows == [[["gold", 2, "1-0-0"]], [["Owls", "Hoot", "1-1-0"]]], stream.tail()

        # all_events (rendered from the scratch schemas for this namespace) shows both.
        query(trino_cursor, all_events_view(registry, "lake", stream.namespace))
        got = query(
            trino_cursor,
            f"SELECT table_name, event_type, event_id FROM lake.{stream.namespace}.all_events "
            f"WHERE user_id = '{user}' ORDER BY table_name",
        )
        assert got == [["chest_opened", "open_chest", chest_id], ["join_guild", "join_guild", guild_id]]
    finally:
        stream.close()

    # The generated table reference describes them too.
    docs = codegen.reference(registry)
    assert "chest_opened" in docs and "A player opens a treasure chest." in docs
    assert "The guild's motto." in docs
