"""Write the files derived from schemas/: Trino DDL and the table reference. Run: make generate."""

from __future__ import annotations

import sys
from pathlib import Path

from questlog_core.columns import (
    BAD_EVENTS_TABLE,
    Column,
    bad_event_columns,
    event_columns,
    partition_column,
)
from questlog_core.registry import Registry, default_registry

ROOT = Path(__file__).resolve().parents[2]
HEADER = "generated from schemas/ by `make generate` (python -m questlog_core.codegen); do not edit"
CATALOG_SCHEMA = "lake.game"


def lake_tables(registry: Registry, selected: tuple[str, ...]) -> dict[str, list[Column]]:
    """Return the columns of every lake table: the selected event types and bad_events."""
    tables = {t: event_columns(registry, t) for t in selected}
    tables[BAD_EVENTS_TABLE] = bad_event_columns(registry)
    return tables


def trino_ddl(tables: dict[str, list[Column]]) -> str:
    """Render Trino CREATE TABLE statements equivalent to what the streaming job creates."""
    out = [f"-- {HEADER}", ""]
    for table, columns in tables.items():
        cols = ",\n".join(
            f"  {c.name} {c.trino_type} COMMENT '{c.description.replace(chr(39), chr(39) * 2)}'" for c in columns
        )
        out.append(
            f"CREATE TABLE IF NOT EXISTS {CATALOG_SCHEMA}.{table} (\n{cols}\n)\n"
            f"WITH (format = 'PARQUET', format_version = 2, "
            f"partitioning = ARRAY['day({partition_column(table)})']);\n"
        )
    return "\n".join(out)


def reference(tables: dict[str, list[Column]]) -> str:
    """Render the Markdown table reference."""
    out = [f"<!-- {HEADER} -->", "# Lake tables (`lake.game`)", ""]
    for table, columns in tables.items():
        out += [
            f"## `{table}`",
            "",
            f"Partitioned by `day({partition_column(table)})` (UTC).",
            "",
            "| column | Trino type | description |",
            "|---|---|---|",
        ]
        out += [f"| `{c.name}` | {c.trino_type} | {c.description} |" for c in columns]
        out.append("")
    return "\n".join(out)


def outputs(registry: Registry) -> dict[Path, str]:
    """Return every generated file and its content."""
    selected = tuple(t for t in registry.event_types if t != "default")
    tables = lake_tables(registry, selected)
    return {
        ROOT / "schemas" / "generated" / "lake_tables.sql": trino_ddl(tables),
        ROOT / "docs" / "tables.md": reference(tables),
    }


def main() -> int:
    """Write the generated files."""
    for path, text in outputs(default_registry()).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        print(f"wrote {path.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
