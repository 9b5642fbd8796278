"""Create and evolve the Iceberg lake tables from the schemas (idempotent, at every start)."""

from __future__ import annotations

import logging

from pyspark.sql import SparkSession
from questlog_core.columns import Column
from questlog_core.ddl import add_column, create_table

log = logging.getLogger(__name__)


def ensure_table(spark: SparkSession, table: str, columns: list[Column], partition: str) -> None:
    """Create the table if missing; add columns new schema versions introduced (never drop)."""
    if not spark.catalog.tableExists(table):
        spark.sql(create_table(table, columns, partition))
        log.info("created table %s", table)
        return
    existing = {f.name for f in spark.table(table).schema.fields}
    for c in columns:
        if c.name not in existing:
            spark.sql(add_column(table, c))
            log.info("added column %s.%s (%s)", table, c.name, c.spark_type)


def holds_rows(spark: SparkSession, table: str) -> bool:
    """Whether a table has a current snapshot with rows (metadata only: no data file is read)."""
    got = spark.sql(
        f"SELECT summary['total-records'] FROM {table}.snapshots ORDER BY committed_at DESC LIMIT 1"
    ).first()
    return got is not None and got[0] is not None and int(got[0]) > 0
