"""Write the files derived from schemas/: the lake's DDL, the all_events view, the table reference.

Written by `make generate` (tools/generate.py, which also writes the API's OpenAPI document).
"""

from __future__ import annotations

import json
from pathlib import Path

from questlog_core.columns import Column, envelope_columns, table_columns
from questlog_core.ddl import all_events_view, lake_ddl
from questlog_core.paths import repo_root
from questlog_core.registry import ALL_EVENTS_VIEW, Registry

ROOT = repo_root()
HEADER = "generated from schemas/ by `make generate` (tools/generate.py); do not edit"


def spark_ddl(registry: Registry) -> str:
    """Render the Spark SQL the streaming job runs at every start to create the tables."""
    out = [
        f"-- {HEADER}",
        "-- The Spark SQL the streaming job runs (questlog_stream.tables) for catalog lake, namespace game;",
        "-- columns a newer schema version adds are added with ALTER TABLE ... ADD COLUMN.",
        "",
    ]
    out += [f"{statement};\n" for statement in lake_ddl(registry)]
    return "\n".join(out)


def view_sql(registry: Registry) -> str:
    """Render the Trino statement that creates lake.game.all_events (run by `make up` and the report)."""
    return f"-- {HEADER}\n{all_events_view(registry)};\n"


def _columns(columns: list[Column]) -> list[str]:
    return ["| column | Trino type | description |", "|---|---|---|"] + [
        f"| `{c.name}` | {c.trino_type} | {c.description} |" for c in columns
    ]


def reference(registry: Registry) -> str:
    """Render the Markdown table reference."""
    out = [f"<!-- {HEADER} -->", "# Lake tables (`lake.game`)", ""]
    for table, columns in table_columns(registry).items():
        owner = registry.event_tables.get(table)
        what = f"Event type `{owner}`: {registry.latest(owner).description}" if owner else "Dead letters."
        out += [f"## `{table}`", "", what, "", f"Partitioned by `day({registry.partition_column(table)})` (UTC).", ""]
        out += _columns(columns)
        out.append("")
    tables = ", ".join(f"`{t}`" for t in registry.event_tables)
    out += [
        f"## `{ALL_EVENTS_VIEW}` (view)",
        "",
        f"Every event table's shared columns, one row per event, over {tables}; `table_name` says which.",
        "",
    ]
    out += _columns([Column("table_name", "string", "The event table the row is in."), *envelope_columns(registry)])
    out.append("")
    return "\n".join(out)


def dbt_sources(registry: Registry) -> str:
    """Render the dbt sources of the models: every lake.game table the stream fills, with its columns.

    JSON strings are YAML strings, so every name and description is written with json.dumps. Event
    tables carry config.meta.event_type (stg_events unions exactly those).
    """
    out = [
        f"# {HEADER}",
        "version: 2",
        "sources:",
        "  - name: game",
        "    database: lake",
        "    schema: game",
        '    description: "What the streaming writer lands: one table per event type, and the dead letters."',
        "    tables:",
    ]
    for table, columns in table_columns(registry).items():
        owner = registry.event_tables.get(table)
        what = registry.latest(owner).description if owner else "Dead letters: every rejected input, with the reason."
        out += [f"      - name: {table}", f"        description: {json.dumps(what)}"]
        if owner:
            out += ["        config:", "          meta:", f"            event_type: {owner}"]
        out.append("        columns:")
        for c in columns:
            out += [f"          - name: {c.name}", f"            description: {json.dumps(c.description)}"]
    return "\n".join(out) + "\n"


def outputs(registry: Registry) -> dict[Path, str]:
    """Return every generated file and its content."""
    return {
        ROOT / "schemas" / "generated" / "lake_tables.sql": spark_ddl(registry),
        ROOT / "schemas" / "generated" / "all_events.sql": view_sql(registry),
        ROOT / "docs" / "tables.md": reference(registry),
        ROOT / "models" / "models" / "staging" / "sources.yml": dbt_sources(registry),
    }
