"""The erasure processor (in stream-maintenance): delete erased players from the whole lake, provably.

For the requests the streaming writer has acknowledged (questlog_stream.suppress), all at once:
1. count, per request and table, the rows to delete, and record them with status `running` (so a
   crash and a rerun report the same counts: the rerun deletes nothing more);
2. delete them (copy-on-write: the data files that hold them are rewritten without them) from every
   table of lake.game (event tables by user_id; bad_events by user_id and by raw bodies that contain
   the id) and every table of lake.marts with a user_id column;
3. on every such table, rewrite the data files that still carry deleted rows (the marts' position
   deletes), rewrite the manifests (a manifest keeps the column bounds of the files it lists as
   deleted), expire every snapshot but the current one, and remove files no snapshot references: no
   data file, manifest or old snapshot holds the player any more;
4. record `done` with the counts. The raw id stays in the log until `keep_id_until` (the raw topics'
   retention), then the processor rewrites the record without it.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from pyspark.sql import SparkSession
from questlog_core.columns import BAD_EVENTS_TABLE
from questlog_core.ddl import spark_literal
from questlog_core.erasure import Erasure, ErasureLog, LogState, now_iso, stream_id

from questlog_stream.settings import Settings

log = logging.getLogger("questlog_stream.erasure")

RETRIES = 5


def _quote(value: str) -> str:
    return f"'{spark_literal(value)}'"


def _ts(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def _parse(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


class ErasureProcessor:
    """One pass of `run_once()` handles every acknowledged request of the log."""

    def __init__(self, spark: SparkSession, settings: Settings, log_: ErasureLog | None = None) -> None:
        self.spark, self.settings = spark, settings
        self.log = log_ or ErasureLog(settings.librdkafka_config(), settings.erasures_topic)
        # The stream whose acknowledgement counts: the one writing to this checkpoint.
        self.stream = stream_id(settings.checkpoint)
        self.retry_after = 0.0
        self.waiting = 0

    def tables(self) -> list[tuple[str, str]]:
        """(qualified name, kind) of every table of the catalog that can hold a player (a `user_id`
        column): `events` and `bad` in the stream's namespace, `marts` in any other (lake.marts, and
        whatever else dbt or people built there)."""
        c = self.settings.catalog
        out: list[tuple[str, str]] = []
        for namespace in sorted(r[0] for r in self.spark.sql(f"SHOW NAMESPACES IN {c}").collect()):
            for row in self.spark.sql(f"SHOW TABLES IN {c}.{namespace}").collect():
                name = f"{c}.{namespace}.{row['tableName']}"
                try:
                    columns = set(self.spark.table(name).columns)
                except Exception as exc:  # noqa: BLE001 - a view or a table of another format: not ours
                    log.debug("%s skipped: %s", name, str(exc)[:200])
                    continue
                if "user_id" not in columns:
                    continue
                if namespace != self.settings.namespace:
                    out.append((name, "marts"))
                else:
                    out.append((name, "bad" if row["tableName"] == BAD_EVENTS_TABLE else "events"))
        return out

    def run_once(self) -> dict[str, Any] | None:
        """Process what is due; return a summary for the progress file (None: nothing to do)."""
        state = self.log.refresh()
        self._forget_ids(state)
        pending = [e for e in state.erasures.values() if e.status in ("accepted", "running", "failed")]
        if not pending or time.monotonic() < self.retry_after:
            return None
        acknowledged = state.acknowledged(self.stream)
        ready = [e for e in pending if e.offset <= acknowledged and e.user_id]
        if not ready:
            log.info(
                "%d erasure(s) wait for the stream to apply them (it acknowledged offset %d)",
                len(pending),
                acknowledged,
            )
            return {"waiting": len(pending)}
        started = time.monotonic()
        try:
            result = self.erase(ready)
        except Exception as exc:
            self.retry_after = time.monotonic() + 60
            for e in ready:
                e.status, e.error = "failed", f"{type(exc).__name__}: {str(exc)[:300]} (retried in 60 s)"
                self.log.put(e)
            log.exception("erasure of %d player(s) failed; retried in 60 s", len(ready))
            return {"failed": len(ready)}
        result["seconds"] = round(time.monotonic() - started, 1)
        log.info("erased %d player(s) in %.1f s", len(ready), result["seconds"])
        return result

    def erase(self, erasures: list[Erasure]) -> dict[str, Any]:
        """Count, delete, clean up, mark done: the whole of one batch of requests."""
        tables = self.tables()
        fresh = [e for e in erasures if not e.counted]
        counts = self._count(tables, fresh) if fresh else {}
        for e in erasures:
            if e.user_hash in counts:
                e.rows_deleted, e.counted = {t: n for t, n in counts[e.user_hash].items() if n}, True
            e.status, e.error = "running", None
            self.log.put(e)
        ids = [e.user_id for e in erasures if e.user_id]
        oldest = min(_parse(e.requested_at) for e in erasures)
        holding = {t for e in erasures for t, n in e.rows_deleted.items() if n}
        # Tables that held none of the players in their current snapshot held none before either
        # (the stream only appends; compaction keeps rows), except the marts, which dbt replaces.
        touched = [(name, kind) for name, kind in tables if name.split(".", 1)[1] in holding or kind == "marts"]
        for name, kind in touched:
            if name.split(".", 1)[1] in holding:
                self._delete(name, kind, ids)
        for name, kind in touched:
            self._purge(name, kind, oldest)
        keep_s = self.settings.erasure_keep_id_hours * 3600
        for e in erasures:
            e.status, e.completed_at, e.error = "done", now_iso(), None
            e.keep_id_until = _parse(e.requested_at).timestamp() + keep_s
            self.log.put(e)
            log.info("erasure %s done for user %s: %s", e.erasure_id, e.user_hash[:16], e.rows_deleted)
        return {"erased": len(erasures), "tables_purged": len(touched)}

    def _predicate(self, kind: str, ids: list[str]) -> str:
        listed = ", ".join(_quote(i) for i in ids)
        condition = f"user_id IN ({listed})"
        if kind == "bad":
            condition += "".join(f" OR contains(raw, {_quote(i)})" for i in ids)
        return condition

    def _count(self, tables: list[tuple[str, str]], erasures: list[Erasure]) -> dict[str, dict[str, int]]:
        """Rows per request and table, each table in one scan."""
        out: dict[str, dict[str, int]] = {e.user_hash: {} for e in erasures}
        ids = [e.user_id for e in erasures if e.user_id]
        for name, kind in tables:
            columns = ", ".join(
                f"count_if({self._predicate(kind, [e.user_id or ''])}) AS c{i}" for i, e in enumerate(erasures)
            )
            row = self.spark.sql(f"SELECT {columns} FROM {name} WHERE {self._predicate(kind, ids)}").first()
            short = name.split(".", 1)[1]
            for i, e in enumerate(erasures):
                out[e.user_hash][short] = int(row[f"c{i}"] or 0) if row is not None else 0
        return out

    def _delete(self, name: str, kind: str, ids: list[str]) -> None:
        """Delete the players' rows; the stream only appends rows of other players meanwhile (it
        acknowledged the requests), so snapshot isolation is safe and spares retries on its appends."""
        self._set_property(name, "delete.isolation-level", "snapshot")
        self._set_property(name, "write.delete.mode", "copy-on-write")
        for attempt in range(1, RETRIES + 1):
            try:
                self.spark.sql(f"DELETE FROM {name} WHERE {self._predicate(kind, ids)}")
                return
            except Exception as exc:
                if attempt == RETRIES:
                    raise
                log.warning("delete from %s (attempt %d): %s; retrying", name, attempt, str(exc)[:200])
                time.sleep(2 * attempt)

    def _purge(self, name: str, kind: str, oldest: datetime) -> None:
        """Leave no file under the table that holds a deleted row: rewrite, then expire, then orphans."""
        c, s = self.settings.catalog, self.settings
        table = name.split(".", 1)[1]
        if kind == "marts":
            # Trino's deletes (dbt's delete+insert) only mark rows deleted: rewrite every file that has
            # delete files, so the player's old rows are not kept in them.
            self.spark.sql(
                f"CALL {c}.system.rewrite_data_files(table => '{table}', "
                f"options => map('delete-file-threshold', '1', 'min-input-files', '1'))"
            ).collect()
        self.spark.sql(f"CALL {c}.system.rewrite_manifests(table => '{table}')").collect()
        now = datetime.now(UTC) + timedelta(seconds=1)
        self.spark.sql(
            f"CALL {c}.system.expire_snapshots(table => '{table}', older_than => TIMESTAMP '{_ts(now)}', "
            f"retain_last => 1)"
        ).collect()
        # Files older than the request that no snapshot references belong to writers that died (the
        # stream's all committed before it acknowledged); younger ones may belong to a running writer.
        # The remove_orphan_files procedure refuses ages under 24 h; its action (the same code) does not.
        age = timedelta(minutes=s.erasure_orphan_age_minutes)
        cutoff = min(oldest, datetime.now(UTC) - age) if kind == "marts" else oldest
        jvm, session = self.spark._jvm, self.spark._jsparkSession  # type: ignore[attr-defined]
        iceberg = jvm.org.apache.iceberg.spark.Spark3Util.loadIcebergTable(session, name)
        removed = (
            jvm.org.apache.iceberg.spark.actions.SparkActions.get(session)
            .deleteOrphanFiles(iceberg)
            .olderThan(int(cutoff.timestamp() * 1000))
            .execute()
            .orphanFileLocations()
        )
        count = jvm.org.apache.iceberg.relocated.com.google.common.collect.Iterables.size(removed)
        log.info("%s purged (orphan files removed: %d)", name, count)

    def _set_property(self, name: str, key: str, value: str) -> None:
        current = {r["key"]: r["value"] for r in self.spark.sql(f"SHOW TBLPROPERTIES {name}").collect()}
        if current.get(key) != value:
            self.spark.sql(f"ALTER TABLE {name} SET TBLPROPERTIES ('{key}' = '{value}')")

    def _forget_ids(self, state: LogState) -> None:
        """Drop the raw id of done erasures past keep_id_until (the hash keeps suppressing)."""
        now = time.time()
        for e in state.erasures.values():
            if e.status == "done" and e.user_id and e.keep_id_until and now > e.keep_id_until:
                e.user_id = None
                self.log.put(e)
                log.info("erasure %s: raw id dropped (kept until %s)", e.erasure_id, e.keep_id_until)
