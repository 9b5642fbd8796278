"""What the lake holds, asked through Trino: counts, rows of a run, and Iceberg commit times."""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import trino


class Lake:
    """A Trino connection to catalog `lake` (one schema) with the few queries the benchmark needs."""

    def __init__(self, host: str, port: int, schema: str = "game") -> None:
        self.schema = schema
        self._conn = trino.dbapi.connect(
            host=host, port=port, user="questlog-bench", catalog="lake", schema=schema, request_timeout=120
        )

    def query(self, sql: str) -> list[list[Any]]:
        """Run one statement and return every row."""
        cur = self._conn.cursor()
        cur.execute(sql)
        rows: list[list[Any]] = cur.fetchall()
        return rows

    def _union(self, tables: Iterable[str], columns: str, where: str) -> str:
        return " UNION ALL ".join(f"SELECT {columns} FROM {self.schema}.{t} WHERE {where}" for t in tables)

    def count(self, tables: Iterable[str], where: str) -> int:
        """Return how many rows of the tables match a condition."""
        sql = f"SELECT count(*) FROM ({self._union(tables, 'event_id', where)})"
        return int(self.query(sql)[0][0])

    def duplicates(self, tables: Iterable[str], where: str) -> int:
        """Return how many rows beyond one per event id the tables hold for a condition."""
        sql = f"SELECT count(*) - count(DISTINCT event_id) FROM ({self._union(tables, 'event_id', where)})"
        return int(self.query(sql)[0][0])

    def seen(self, tables: Iterable[str], where: str, event_ids: list[str]) -> set[str]:
        """Return which of the given event ids the tables hold now."""
        if not event_ids:
            return set()
        ids = ", ".join(f"'{e}'" for e in event_ids)
        sql = self._union(tables, "event_id", f"{where} AND event_id IN ({ids})")
        return {row[0] for row in self.query(sql)}

    def landed(self, tables: Iterable[str], where: str) -> dict[str, tuple[str, datetime]]:
        """Return event_id -> (table, landed_at) of the matching rows."""
        out: dict[str, tuple[str, datetime]] = {}
        for table in tables:
            for event_id, landed_at in self.query(f"SELECT event_id, landed_at FROM {table} WHERE {where}"):
                out[event_id] = (table, landed_at)
        return out

    def commits(self, table: str, since: datetime) -> list[datetime]:
        """Return the commit times of a table's snapshots since a time, in order."""
        sql = (
            f'SELECT committed_at FROM "{table}$snapshots" '
            f"WHERE committed_at >= TIMESTAMP '{since:%Y-%m-%d %H:%M:%S.%f} UTC' ORDER BY committed_at"
        )
        return [row[0] for row in self.query(sql)]

    def drop_tables(self, tables: Iterable[str]) -> None:
        """Drop tables of this schema if they exist (data files included)."""
        for table in tables:
            self.query(f"DROP TABLE IF EXISTS {self.schema}.{table}")


def visible_at(landed_at: datetime, commits: list[datetime]) -> datetime | None:
    """Return when a row became visible: the first commit of its table at or after its landed_at."""
    i = bisect.bisect_left(commits, landed_at)
    return commits[i] if i < len(commits) else None
