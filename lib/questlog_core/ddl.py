"""The one rendering of the lake's DDL: the Spark SQL the stream runs and the Trino view over it.

The stream executes `create_table` and `add_column` at every start (tables.py); `make generate` writes
the same statements to schemas/generated/lake_tables.sql, so what a reader sees is what the lake holds.
"""

from __future__ import annotations

from questlog_core.columns import Column, envelope_columns, table_columns
from questlog_core.errors import SchemaError
from questlog_core.registry import ALL_EVENTS_VIEW, Registry

TABLE_PROPERTIES = {
    "format-version": "2",
    "write.format.default": "parquet",
    "write.parquet.compression-codec": "zstd",
    "write.metadata.delete-after-commit.enabled": "true",
    "write.metadata.previous-versions-max": "50",
    # Small, frequent commits: let the writer retry commit conflicts with compaction.
    "commit.retry.num-retries": "10",
}


def spark_literal(text: str) -> str:
    """Escape text for a single-quoted Spark SQL string literal (backslash escapes, not doubling)."""
    return text.replace("\\", "\\\\").replace("'", "\\'")


def trino_literal(text: str) -> str:
    """Escape text for a single-quoted Trino string literal (quotes doubled)."""
    return text.replace("'", "''")


def create_table(qualified: str, columns: list[Column], partition: str) -> str:
    """Return the Spark SQL that creates one Iceberg table (if missing), partitioned by day."""
    cols = ",\n  ".join(f"{c.name} {c.spark_type} COMMENT '{spark_literal(c.description)}'" for c in columns)
    props = ", ".join(f"'{k}'='{v}'" for k, v in TABLE_PROPERTIES.items())
    return (
        f"CREATE TABLE IF NOT EXISTS {qualified} (\n  {cols}\n) USING iceberg\n"
        f"PARTITIONED BY (days({partition}))\nTBLPROPERTIES ({props})"
    )


def add_column(qualified: str, column: Column) -> str:
    """Return the Spark SQL that adds a column a newer schema version introduced."""
    comment = spark_literal(column.description)
    return f"ALTER TABLE {qualified} ADD COLUMN {column.name} {column.spark_type} COMMENT '{comment}'"


def all_events_view(registry: Registry, catalog: str = "lake", namespace: str = "game") -> str:
    """Return the Trino statement that (re)creates `all_events`: every event table's shared columns."""
    columns = ", ".join(c.name for c in envelope_columns(registry))
    parts = [
        f"SELECT '{trino_literal(table)}' AS table_name, {columns} FROM {catalog}.{namespace}.{table}"
        for table in registry.event_tables
    ]
    if not parts:
        raise SchemaError(f"no event type lands in the lake: {ALL_EVENTS_VIEW} would have no table to read")
    union = "\nUNION ALL\n".join(parts)
    return f"CREATE OR REPLACE VIEW {catalog}.{namespace}.{ALL_EVENTS_VIEW}\nSECURITY INVOKER AS\n{union}"


def lake_ddl(registry: Registry, catalog: str = "lake", namespace: str = "game") -> list[str]:
    """Return every table's create statement, in the order the stream runs them."""
    return [
        create_table(f"{catalog}.{namespace}.{table}", columns, registry.partition_column(table))
        for table, columns in table_columns(registry).items()
    ]
