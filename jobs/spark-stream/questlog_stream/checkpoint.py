"""The stream's checkpoint layout: which generation it is, where a new one starts, migration from v1.

A v2 checkpoint holds `questlog-v2.json` beside Spark's own files: the starting offsets of its first
batch and until when its batches take the slow lane (the dedup state starts empty, so while it fills,
rows are also anti-joined against the tables). A v1 checkpoint (stateless, MERGE-based writer) is moved
aside to `<checkpoint>-v1-<time>` and the v2 query starts at the end offsets of v1's last committed
batch. Rows of v1's last, possibly half-merged, batch come again and the slow lane finds them.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass
from typing import Any

from pyspark.sql import SparkSession

log = logging.getLogger(__name__)

LAYOUT_FILE = "questlog-v2.json"


@dataclass(frozen=True)
class Layout:
    """What a v2 checkpoint records about itself."""

    starting_offsets: str
    bootstrap_until_ms: int
    created_ms: int
    migrated_from: str | None = None


class Checkpoints:
    """Read and write small files of a checkpoint through Hadoop's FileSystem (HDFS or local)."""

    def __init__(self, spark: SparkSession, location: str) -> None:
        jvm = spark.sparkContext._jvm  # type: ignore[attr-defined]
        self.jvm = jvm
        self.root = jvm.org.apache.hadoop.fs.Path(location)
        conf = spark.sparkContext._jsc.hadoopConfiguration()  # type: ignore[attr-defined]
        self.fs = self.root.getFileSystem(conf)
        self.location = location

    def path(self, *parts: str) -> Any:
        """Return a Hadoop Path under the checkpoint."""
        return self.jvm.org.apache.hadoop.fs.Path(self.location.rstrip("/") + "/" + "/".join(parts))

    def exists(self, *parts: str) -> bool:
        """Whether a file or folder exists under the checkpoint."""
        return bool(self.fs.exists(self.path(*parts) if parts else self.root))

    def read(self, *parts: str) -> str:
        """Return a small file's text."""
        stream = self.fs.open(self.path(*parts))
        try:
            reader = self.jvm.java.io.BufferedReader(self.jvm.java.io.InputStreamReader(stream, "UTF-8"))
            lines = []
            line = reader.readLine()
            while line is not None:
                lines.append(line)
                line = reader.readLine()
            return "\n".join(lines)
        finally:
            stream.close()

    def write(self, text: str, *parts: str) -> None:
        """Write a small file atomically (a temporary file, then a rename)."""
        final, tmp = self.path(*parts), self.path(*parts[:-1], f".{parts[-1]}.tmp")
        out = self.fs.create(tmp, True)
        try:
            out.write(bytearray(text.encode()))
        finally:
            out.close()
        self.fs.delete(final, False)
        if not self.fs.rename(tmp, final):
            raise OSError(f"could not rename {tmp} to {final}")

    def batches(self, folder: str) -> list[int]:
        """Return the batch ids in offsets/ or commits/ (Spark names the files by batch id)."""
        if not self.exists(folder):
            return []
        names = [s.getPath().getName() for s in self.fs.listStatus(self.path(folder))]
        return sorted(int(n) for n in names if n.isdigit())

    def move_aside(self, suffix: str) -> str:
        """Rename the whole checkpoint to <location><suffix>; return the new location."""
        target = self.location.rstrip("/") + suffix
        if not self.fs.rename(self.root, self.jvm.org.apache.hadoop.fs.Path(target)):
            raise OSError(f"could not move checkpoint {self.location} to {target}")
        return target


def committed_end_offsets(cp: Checkpoints) -> str | None:
    """Return the Kafka end offsets (JSON) of a checkpoint's last committed batch, or None."""
    done = cp.batches("commits")
    if not done:
        return None
    lines = cp.read("offsets", str(done[-1])).splitlines()
    # offsets/N: a version line, the batch metadata, then one line of offsets per source (we have one).
    if len(lines) < 3 or not lines[2].startswith("{"):
        raise ValueError(f"offsets/{done[-1]} of {cp.location} has no Kafka offsets line")
    return lines[2]


def prepare(
    spark: SparkSession, location: str, default_start: str, bootstrap_ms: int, tables_hold_rows: bool
) -> Layout:
    """Return the v2 layout at `location`, creating it (and migrating a v1 checkpoint) when missing."""
    cp = Checkpoints(spark, location)
    if cp.exists(LAYOUT_FILE):
        return Layout(**json.loads(cp.read(LAYOUT_FILE)))
    now = int(time.time() * 1000)
    migrated_from = None
    start = default_start
    if cp.exists("metadata"):
        start = committed_end_offsets(cp) or default_start
        migrated_from = cp.move_aside(time.strftime("-v1-%Y%m%dT%H%M%S", time.gmtime()))
        log.info("migrating the v1 checkpoint: moved to %s; v2 starts at %s", migrated_from, start)
        cp = Checkpoints(spark, location)
        tables_hold_rows = True
    layout = Layout(start, now + bootstrap_ms if tables_hold_rows else 0, now, migrated_from)
    cp.fs.mkdirs(cp.root)
    cp.write(json.dumps(asdict(layout)), LAYOUT_FILE)
    log.info("new checkpoint %s: %s", location, layout)
    return layout
