"""The stream's side of player erasure: never land a row of a player whose erasure was requested.

Each batch reads the erasure log (questlog_core.erasure) up to its end before it writes, drops the rows
of erased players (by raw id while the log still holds it, else by keyed hash; rejected raw bodies by
the id they contain), and after its appends acknowledges the newest request it applied. The erasure
processor deletes a player's rows only after that acknowledgement: every batch that may still have
landed the player's rows has committed by then, and every later batch drops them. When no batch runs,
`idle()` acknowledges too (the next batch reads the log anew), so an idle stream never holds up an
erasure.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from pyspark.sql import Column as SparkColumn
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from questlog_core.erasure import ErasureError, ErasureLog, LogState, read_key, stream_id

from questlog_stream.settings import Settings

log = logging.getLogger(__name__)


def erased(ids: list[str], hashes: list[str], key: bytes | None) -> SparkColumn | None:
    """True for a routed row of an erased player (struct `e` for events, `bad` for bad_events rows).

    Built so that an event row costs one set lookup per held id list: the checks of bad_events rows
    (their user_id, and every id searched in their raw body) sit behind `bad IS NOT NULL`, which is
    false for events and short-circuits the rest.
    """
    checks: list[SparkColumn] = []
    if ids:
        in_raw = F.col("bad.raw").contains(ids[0])
        for i in ids[1:]:
            in_raw = in_raw | F.col("bad.raw").contains(i)
        checks.append(F.col("e.user_id").isin(*ids))
        # A rejected body holds the id as text: any body that contains it goes.
        checks.append(F.col("bad").isNotNull() & (F.col("bad.user_id").isin(*ids) | in_raw))
    if hashes and key is not None:
        prefix = F.lit(key.decode("ascii") + ":")
        checks += [F.sha2(F.concat(prefix, F.col(u)), 256).isin(*hashes) for u in ("e.user_id", "bad.user_id")]
    if not checks:
        return None
    any_check = checks[0]
    for check in checks[1:]:
        any_check = any_check | check
    return F.coalesce(any_check, F.lit(False))


class Suppressor:
    """Reads the erasure log for each batch, filters the batch, acknowledges what it applied."""

    def __init__(self, settings: Settings) -> None:
        self.key: bytes | None = None
        try:
            self.key = read_key(settings.privacy_key_file)
        except ErasureError as exc:
            # Without the key the stream still drops erased players by raw id (held for the raw topics'
            # retention); events sent straight to Kafka after that would not be recognised.
            log.warning("no privacy key (%s): erased players are recognised by raw id only", exc)
        self.log = ErasureLog(settings.librdkafka_config(), settings.erasures_topic)
        self.stream = stream_id(settings.checkpoint)
        self.applied = -1
        self.lock = threading.Lock()

    @contextmanager
    def batch(self) -> Iterator[LogState]:
        """Hold the log's state for one batch; acknowledge it once the batch's appends are done."""
        with self.lock:
            state = self.log.refresh()
            yield state
            self._acknowledge(state)

    def keep(self, rows: DataFrame, state: LogState) -> DataFrame:
        """The rows of players not erased."""
        # A player whose raw id is held is found by it (a set lookup); hashing every row of every batch
        # is needed only for players whose id was dropped.
        condition = erased(state.ids(), state.hashes_without_id(), self.key)
        return rows if condition is None else rows.where(~condition)

    def idle(self) -> None:
        """Acknowledge the log's newest request when no batch is writing (called by the main loop)."""
        if not self.lock.acquire(blocking=False):
            return
        try:
            self._acknowledge(self.log.refresh())
        except ErasureError as exc:
            log.warning("erasure log: %s", exc)
        finally:
            self.lock.release()

    def _acknowledge(self, state: LogState) -> None:
        if state.last_request > max(self.applied, state.acknowledged(self.stream)):
            self.log.acknowledge(self.stream, state.last_request)
            log.info("erasure requests up to offset %d applied (%d player(s))", state.last_request, len(state.erasures))
        self.applied = max(self.applied, state.last_request)
