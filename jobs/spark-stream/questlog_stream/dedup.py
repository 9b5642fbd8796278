"""Cross-batch deduplication: the JVM operator (jobs/spark-stream/java/questlog/Dedup.java) from Python."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql.classic.dataframe import DataFrame as ClassicDataFrame


def deduplicate(routed: DataFrame, ttl_ms: int) -> DataFrame:
    """Keep the first copy of each dedup_key seen within ttl_ms of processing time (transformWithState).

    A later copy bound for the same table is dropped; one bound for another table comes back with
    `conflict` set to the first copy's table. Needs the RocksDB state store (see session.build).
    """
    spark = routed.sparkSession
    jvm = spark.sparkContext._jvm  # type: ignore[attr-defined]
    jdf = jvm.questlog.Dedup.apply(routed._jdf, "dedup_key", "table", "dedup_order", "conflict", int(ttl_ms))  # type: ignore[attr-defined]
    return ClassicDataFrame(jdf, spark)
