"""Player erasure requests: the keyed hash that stands for a player, and their durable log.

The log is a compacted Kafka topic (`erasures`), one partition, written with acks=all:
- key `u/<user hash>`: the newest state of that player's erasure (JSON of `Erasure`). The API writes
  it `accepted`; the erasure processor (questlog_stream.erasure) writes `running` (with the row counts
  it is about to delete) and `done`. The raw user_id rides along only while suppression needs it (the
  raw topics may still hold the player's records: their retention); after that the record is rewritten
  without it, and compaction drops the older versions.
- key `stream-ack/<stream id>`: the offset up to which that streaming writer applies the requests (it
  lands no row of a player whose request is at or below that offset). The stream id is a hash of its
  checkpoint: the processor waits for the stream of its own settings' checkpoint, so a second job (a
  benchmark's or a test's private stream) never acknowledges for the real one.

Everything else (logs, metrics, the audit trail) names a player by `user_hash`: SHA-256 over a secret
key and the id. Spark has no HMAC, and the hash must be computable in a Spark column as well as here.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from questlog_core.errors import QuestlogError

TOPIC = "erasures"
STREAM_ACK = "stream-ack/"
USER_PREFIX = "u/"
STATUSES = ("accepted", "running", "done", "failed")
# The topic's settings (created by `make up` and the chart's topics job): compacted, so the newest
# record per key stays and the versions that held a raw id go; small segments so compaction can.
TOPIC_CONFIG = {
    "cleanup.policy": "compact",
    "segment.ms": str(3600 * 1000),
    "min.cleanable.dirty.ratio": "0.01",
    "max.compaction.lag.ms": str(3600 * 1000),
    "min.insync.replicas": "1",
}
_NAMESPACE = uuid.UUID("6f1d6c8e-2d4b-4c59-9a53-9b0e1b7d2e11")


class ErasureError(QuestlogError):
    """The erasure log cannot be read or written, or its key is missing."""


def read_key(path: str | Path) -> bytes:
    """Read the secret key of the user hash (a file of at least 32 characters)."""
    try:
        key = Path(path).read_bytes().strip()
    except OSError as exc:
        raise ErasureError(f"the privacy key {path} cannot be read: {exc}") from exc
    if len(key) < 32:
        raise ErasureError(f"the privacy key {path} is shorter than 32 characters")
    return key


def user_hash(key: bytes, user_id: str) -> str:
    """The keyed hash that names a player wherever the id must not appear: hex SHA-256(key ':' id)."""
    return hashlib.sha256(key + b":" + user_id.encode("utf-8", "surrogateescape")).hexdigest()


def stream_id(checkpoint: str) -> str:
    """Which stream an acknowledgement is from: a short hash of its checkpoint location."""
    return hashlib.sha256(checkpoint.encode()).hexdigest()[:16]


def erasure_id(hashed: str) -> str:
    """One erasure per player: the same user twice gets the same erasure_id."""
    return str(uuid.uuid5(_NAMESPACE, hashed))


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Erasure:
    """One player's erasure, as its newest record in the log says."""

    erasure_id: str
    user_hash: str
    status: str = "accepted"
    requested_at: str = field(default_factory=now_iso)
    completed_at: str | None = None
    rows_deleted: dict[str, int] = field(default_factory=dict)
    # Whether rows_deleted was counted before deleting (a rerun after a crash or failure keeps it).
    counted: bool = False
    # The raw id, kept until `keep_id_until` (epoch seconds): what the stream needs to recognise the
    # player's records still in the raw topics, and the processor to find rejected raw bodies.
    user_id: str | None = None
    keep_id_until: float = 0.0
    error: str | None = None
    # Offset of the first record of this erasure (set when read from the log, not stored).
    offset: int = field(default=-1, compare=False)

    def public(self) -> dict[str, Any]:
        """What the API answers: never the id, nor the hash."""
        out = {
            "erasure_id": self.erasure_id,
            "status": self.status,
            "requested_at": self.requested_at,
            "completed_at": self.completed_at,
            "rows_deleted": dict(sorted(self.rows_deleted.items())),
        }
        if self.error:
            out["error"] = self.error
        return out

    def encode(self) -> bytes:
        record = asdict(self)
        record.pop("offset")
        return orjson.dumps(record)

    @classmethod
    def decode(cls, value: bytes, offset: int) -> Erasure:
        doc = orjson.loads(value)
        known = {k: v for k, v in doc.items() if k in cls.__dataclass_fields__ and k != "offset"}
        return cls(**known, offset=offset)


@dataclass
class LogState:
    """The log folded: newest erasure per user hash, and each stream's acknowledged offset."""

    erasures: dict[str, Erasure] = field(default_factory=dict)
    stream_acks: dict[str, int] = field(default_factory=dict)
    # Highest offset of any erasure record seen (what the stream acknowledges once it applies them).
    last_request: int = -1
    end: int = 0

    def apply(self, key: bytes | None, value: bytes | None, offset: int) -> None:
        self.end = max(self.end, offset + 1)
        if key is None or value is None:
            return
        name = key.decode()
        if name.startswith(STREAM_ACK):
            stream = name[len(STREAM_ACK) :]
            self.stream_acks[stream] = max(self.stream_acks.get(stream, -1), int(orjson.loads(value)["applied"]))
        elif name.startswith(USER_PREFIX):
            record = Erasure.decode(value, offset)
            old = self.erasures.get(record.user_hash)
            record.offset = old.offset if old is not None else offset
            self.erasures[record.user_hash] = record
            self.last_request = max(self.last_request, offset)

    def acknowledged(self, stream: str) -> int:
        """The newest request offset that stream applies (-1: none yet)."""
        return self.stream_acks.get(stream, -1)

    def ids(self) -> list[str]:
        """Raw ids still held (players whose records may remain in the raw topics)."""
        return sorted(e.user_id for e in self.erasures.values() if e.user_id)

    def hashes(self) -> list[str]:
        return sorted(self.erasures)

    def hashes_without_id(self) -> list[str]:
        """Hashes of players whose raw id is no longer held (past keep_id_until)."""
        return sorted(h for h, e in self.erasures.items() if not e.user_id)

    def by_id(self, erasure: str) -> Erasure | None:
        return next((e for e in self.erasures.values() if e.erasure_id == erasure), None)


class ErasureLog:
    """A reader that follows the log (one consumer, assigned, no group) and a durable writer."""

    def __init__(self, config: Mapping[str, str], topic: str = TOPIC) -> None:
        self.config = {k: v for k, v in config.items() if not k.startswith("enable.idempotence")}
        self.topic = topic
        self.state = LogState()
        self._consumer: Any = None
        self._producer: Any = None

    def _reader(self) -> Any:
        if self._consumer is None:
            from confluent_kafka import Consumer, TopicPartition

            consumer = Consumer(
                {
                    **self.config,
                    "group.id": "questlog-erasures-reader",
                    "enable.auto.commit": False,
                    "auto.offset.reset": "earliest",
                    "isolation.level": "read_committed",
                    "log_level": 0,
                }
            )
            consumer.assign([TopicPartition(self.topic, 0, 0)])
            self._consumer = consumer
        return self._consumer

    def refresh(self, timeout_s: float = 10.0) -> LogState:
        """Read every record up to the log's current end (bounded by `timeout_s`) and return the state."""
        from confluent_kafka import KafkaError, KafkaException, TopicPartition

        consumer = self._reader()
        deadline = time.monotonic() + timeout_s
        try:
            _, high = consumer.get_watermark_offsets(TopicPartition(self.topic, 0), timeout=timeout_s)
        except KafkaException as exc:
            code = getattr(exc.args[0], "code", lambda: None)() if exc.args else None
            if code in (KafkaError.UNKNOWN_TOPIC_OR_PART, KafkaError._UNKNOWN_PARTITION, KafkaError._UNKNOWN_TOPIC):
                return self.state  # no topic: no erasure was ever requested here
            raise ErasureError(f"cannot read the end of topic {self.topic}: {exc}") from exc
        while self.state.end < high:
            if time.monotonic() > deadline:
                raise ErasureError(f"topic {self.topic}: read up to offset {self.state.end} of {high} in time")
            message = consumer.poll(0.5)
            if message is None:
                continue
            if message.error():
                if message.error().code() == -191:  # _PARTITION_EOF
                    continue
                raise ErasureError(f"topic {self.topic}: {message.error()}")
            self.state.apply(message.key(), message.value(), message.offset())
            # Compaction leaves gaps; the end is the next offset after the last one read.
        return self.state

    def append(self, key: str, value: bytes, timeout_s: float = 15.0) -> None:
        """Write one record and wait until every in-sync replica holds it."""
        from confluent_kafka import KafkaException, Producer

        if self._producer is None:
            self._producer = Producer({**self.config, "acks": "all", "enable.idempotence": True, "log_level": 0})
        errors: list[Any] = []
        try:
            self._producer.produce(
                self.topic, value, key.encode(), partition=0, on_delivery=lambda e, _m: errors.append(e)
            )
        except (BufferError, KafkaException) as exc:
            raise ErasureError(f"cannot write to topic {self.topic}: {exc}") from exc
        if self._producer.flush(timeout_s) > 0 or not errors:
            raise ErasureError(f"topic {self.topic}: the record was not acknowledged within {timeout_s:.0f} s")
        if errors[0] is not None:
            raise ErasureError(f"topic {self.topic}: {errors[0]}")

    def put(self, erasure: Erasure) -> None:
        """Write an erasure's new state (and fold it into this reader's state at once)."""
        self.append(USER_PREFIX + erasure.user_hash, erasure.encode())

    def acknowledge(self, stream: str, applied: int) -> None:
        """Say (as stream `stream`) that requests up to `applied` are applied to every batch from now on."""
        self.append(STREAM_ACK + stream, orjson.dumps({"applied": applied, "at": now_iso()}))

    def close(self) -> None:
        if self._consumer is not None:
            self._consumer.close()
            self._consumer = None
        if self._producer is not None:
            self._producer.flush(5)
            self._producer = None
