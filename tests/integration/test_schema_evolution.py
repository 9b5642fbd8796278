"""Adding an optional attribute to a schema file adds the column on the next start, old rows untouched."""

from __future__ import annotations

import json
import shutil

import pytest
from questlog_core.columns import event_columns
from questlog_core.registry import VENDOR, Registry, default_schema_dir
from questlog_stream import session
from questlog_stream.settings import Settings
from questlog_stream.tables import ensure_table

from tests.integration.conftest import query


@pytest.fixture(scope="module")
def spark(hdfs_is_up):
    spark = session.build(Settings(driver_memory="512m"), app_name="questlog-schema-evolution", master="local[1]")
    yield spark
    spark.stop()


def test_new_optional_field_becomes_a_column_without_rewriting(spark, trino_cursor, unique, tmp_path):
    table = f"evolve_{unique}"
    name = f"lake.game.{table}"
    before = Registry.load()
    ensure_table(spark, name, event_columns(before, "join_guild"), "event_ts")
    query(
        trino_cursor,
        f"INSERT INTO {table} (event_id, event_type, user_id, event_ts, received_at, "
        f"schema_version, guild_name) VALUES ('e1', 'join_guild', 'u1', current_timestamp, "
        f"current_timestamp, '1-0-0', 'Iron Wolves')",
    )
    files_before = query(trino_cursor, f'SELECT file_path FROM "{table}$files"')

    root = tmp_path / "schemas"
    shutil.copytree(default_schema_dir(), root)
    doc = json.loads((root / VENDOR / "join_guild" / "1-0-0.json").read_text())
    doc["self"]["version"] = "1-1-0"
    doc["properties"]["motto"] = {"type": "string", "maxLength": 64, "description": "Guild motto."}
    (root / VENDOR / "join_guild" / "1-1-0.json").write_text(json.dumps(doc))
    ensure_table(spark, name, event_columns(Registry.load(root), "join_guild"), "event_ts")

    columns = [r[0] for r in query(trino_cursor, f"DESCRIBE {table}")]
    assert columns[-1] == "motto" and "guild_name" in columns
    assert query(trino_cursor, f"SELECT guild_name, motto FROM {table}") == [["Iron Wolves", None]]
    assert query(trino_cursor, f'SELECT file_path FROM "{table}$files"') == files_before
    query(trino_cursor, f"DROP TABLE {table}")
