"""Copy the local stack's config files into the charts, so pods run the same configuration.

The charts render these copies (placeholders filled, Kubernetes addresses applied as overrides);
tests/charts fails when a copy drifts from its source. Run: python tools/charts_sync.py [--check]
"""

from __future__ import annotations

import filecmp
import shutil
import sys

from questlog_core.paths import repo_root

ROOT = repo_root()
CHARTS = ROOT / "charts" / "questlog"

# chart copy (relative to charts/questlog) -> source (relative to the repository root)
COPIES: dict[str, str] = {
    **{
        f"charts/kafka/files/{f}": f"stack/conf/kafka/{f}"
        for f in ("server.properties", "log4j2.xml", "tools-log4j2.xml")
    },
    **{
        f"charts/hdfs/files/{f}": f"stack/conf/hadoop/{f}"
        for f in ("core-site.xml", "hdfs-site.xml", "log4j.properties", "hadoop-metrics2.properties")
    },
    **{
        f"charts/hive-metastore/files/{f}": f"stack/conf/metastore/{f}"
        for f in ("metastore-site.xml", "core-site.xml", "metastore-log4j2.properties")
    },
    **{
        f"charts/trino/files/{f}": f"stack/conf/trino/{f}"
        for f in (
            "config.properties",
            "node.properties",
            "jvm.config",
            "log.properties",
            "hdfs-site.xml",
            "catalog/lake.properties",
            "catalog/tpch.properties",
        )
    },
    "files/tests/metastore-ping": "stack/bin/metastore-ping",  # no .py: ruff format must not touch the copy
}


def drifted() -> list[str]:
    """Return the chart copies that differ from (or lack) their source."""
    return [
        copy
        for copy, src in COPIES.items()
        if not (CHARTS / copy).is_file() or not filecmp.cmp(ROOT / src, CHARTS / copy, shallow=False)
    ]


def sync() -> list[str]:
    """Copy every drifted file; return what was copied."""
    changed = drifted()
    for copy in changed:
        (CHARTS / copy).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / COPIES[copy], CHARTS / copy)
    return changed


if __name__ == "__main__":
    if "--check" in sys.argv[1:]:
        stale = drifted()
        for copy in stale:
            print(f"drifted: charts/questlog/{copy} (source {COPIES[copy]}); run make charts-sync")
        sys.exit(1 if stale else 0)
    for copy in sync():
        print(f"updated charts/questlog/{copy}")
