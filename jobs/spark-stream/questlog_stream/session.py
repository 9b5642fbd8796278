"""Build the SparkSession: local mode, Iceberg catalog on the Hive metastore, jars from the cache."""

from __future__ import annotations

import glob
import os

from pyspark.sql import SparkSession

from questlog_stream.settings import Settings

HDFS_CLIENT = "spark.hadoop.dfs.client"
ROCKSDB = "org.apache.spark.sql.execution.streaming.state.RocksDBStateStoreProvider"


def jars(cache: str | None = None) -> list[str]:
    """Return the connector jars `make setup` fetched (nothing is downloaded at run time)."""
    root = (
        cache or os.environ.get("QUESTLOG_CACHE") or os.path.join(os.path.dirname(__file__), "..", "..", "..", ".cache")
    )
    found = sorted(glob.glob(os.path.join(root, "spark", "jars", "*.jar")))
    if not found:
        raise RuntimeError(f"no Spark connector jars under {root}/spark/jars: run `make setup`")
    return found


def build(
    settings: Settings,
    app_name: str = "questlog-stream",
    master: str | None = None,
    driver_memory: str | None = None,
    streaming: bool = True,
) -> SparkSession:
    """Create (or return) the session configured for the lake (and, streaming, for the dedup state)."""
    cat = f"spark.sql.catalog.{settings.catalog}"
    master = master or settings.master
    builder = SparkSession.builder.appName(app_name)
    if master != "submit":
        builder = builder.master(master)
    if master.startswith("local"):
        # One machine: keep the driver on loopback.
        builder = builder.config("spark.driver.bindAddress", "127.0.0.1").config("spark.driver.host", "127.0.0.1")
    builder = (
        builder.config("spark.jars", ",".join(jars()))
        .config("spark.driver.memory", driver_memory or settings.driver_memory)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", str(settings.shuffle_partitions))
        .config("spark.sql.extensions", "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions")
        .config(cat, "org.apache.iceberg.spark.SparkCatalog")
        .config(f"{cat}.type", "hive")
        .config(f"{cat}.uri", settings.metastore_uri)
        .config(f"{cat}.warehouse", settings.warehouse)
        # foreachBatch commits from the streaming session; an Iceberg table cache would hide them.
        .config(f"{cat}.cache-enabled", "false")
        # No metastore lock per commit: a kill -9 mid-commit left the table's lock held until the
        # metastore timed it out (minutes of stalled batches after a restart). Commits stay atomic
        # without it: Hive 4's alter_table only applies when metadata_location is still the expected one.
        .config("spark.hadoop.iceberg.engine.hive.lock-enabled", "false")
        .config("spark.hadoop.fs.defaultFS", settings.warehouse.split("/warehouse")[0])
        .config("spark.sql.streaming.stopGracefullyOnShutdown", "true")
        # Closing an HDFS file waits until the NameNode has heard from the DataNode; the client polls
        # from 400 ms up, and every small file (offset and commit log, state changelog, Parquet file,
        # manifest, metadata.json) paid those 400 ms. Poll from 20 ms, with more retries so the total
        # wait before giving up (20 s) stays above Hadoop's default (12.4 s).
        .config(f"{HDFS_CLIENT}.block.write.locateFollowingBlock.initial.delay.ms", "20")
        .config(f"{HDFS_CLIENT}.block.write.locateFollowingBlock.retries", "10")
    )
    if settings.hdfs_umask:  # files and directories for the lake group only (HDFS permissions on)
        builder = builder.config("spark.hadoop.fs.permissions.umask-mode", settings.hdfs_umask)
    if streaming:
        # transformWithState needs RocksDB; changelog checkpointing uploads only each batch's changed keys,
        # and the bounded memory keeps RocksDB's native memory under the setting (it is not in the heap).
        state = "spark.sql.streaming.stateStore"
        builder = (
            builder.config(f"{state}.providerClass", ROCKSDB)
            .config(f"{state}.rocksdb.changelogCheckpointing.enabled", "true")
            .config(f"{state}.rocksdb.boundedMemoryUsage", "true")
            .config(f"{state}.rocksdb.maxMemoryUsageMB", str(settings.state_memory_mb))
            .config("spark.sql.streaming.minBatchesToRetain", "20")
            # Processing-time state would otherwise run an empty batch every trigger while idle (TTL
            # eviction can wait for the next data).
            .config("spark.sql.streaming.noDataMicroBatches.enabled", "false")
        )
    return builder.getOrCreate()
