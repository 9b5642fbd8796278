"""Create and evolve the Iceberg lake tables from the schemas (idempotent, at every start)."""

from __future__ import annotations

import logging

from pyspark.sql import SparkSession
from questlog_core.columns import Column, partition_column

log = logging.getLogger(__name__)

TABLE_PROPERTIES = {
    "format-version": "2",
    "write.format.default": "parquet",
    "write.parquet.compression-codec": "zstd",
    "write.metadata.delete-after-commit.enabled": "true",
    "write.metadata.previous-versions-max": "50",
    # Small, frequent commits: let the writer retry commit conflicts with compaction.
    "commit.retry.num-retries": "10",
}


def quote(text: str) -> str:
    """Escape text for a single-quoted Spark SQL string literal (backslash escapes, not doubling)."""
    return text.replace("\\", "\\\\").replace("'", "\\'")


def ensure_table(spark: SparkSession, name: str, table: str, columns: list[Column]) -> None:
    """Create the table if missing; add columns new schema versions introduced (never drop)."""
    if not spark.catalog.tableExists(table):
        cols = ",\n  ".join(f"{c.name} {c.spark_type} COMMENT '{quote(c.description)}'" for c in columns)
        props = ", ".join(f"'{k}'='{v}'" for k, v in TABLE_PROPERTIES.items())
        spark.sql(
            f"CREATE TABLE IF NOT EXISTS {table} (\n  {cols}\n) USING iceberg "
            f"PARTITIONED BY (days({partition_column(name)})) TBLPROPERTIES ({props})"
        )
        log.info("created table %s", table)
        return
    existing = {f.name for f in spark.table(table).schema.fields}
    for c in columns:
        if c.name not in existing:
            spark.sql(f"ALTER TABLE {table} ADD COLUMN {c.name} {c.spark_type} COMMENT '{quote(c.description)}'")
            log.info("added column %s.%s (%s)", table, c.name, c.spark_type)


def holds_rows(spark: SparkSession, table: str) -> bool:
    """Whether a table has a current snapshot with rows (metadata only: no data file is read)."""
    got = spark.sql(
        f"SELECT summary['total-records'] FROM {table}.snapshots ORDER BY committed_at DESC LIMIT 1"
    ).first()
    return got is not None and got[0] is not None and int(got[0]) > 0
