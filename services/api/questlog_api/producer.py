"""A durable Kafka producer: produce, then wait until the broker has acknowledged (acks=all)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Producer

log = logging.getLogger(__name__)
# librdkafka's own lines (connection refused, ...) go through logging, so they come out as JSON too.
_LIBRDKAFKA_LOG = logging.getLogger("librdkafka")

Record = tuple[str, bytes | None, bytes]  # topic, key, value


class _Batch:
    """Delivery results of one request's records, filled in by librdkafka's callbacks."""

    def __init__(self, size: int) -> None:
        self.errors: list[str | None] = ["not delivered"] * size
        self._left = size
        self._lock = threading.Lock()
        self.done = threading.Event()
        if size == 0:
            self.done.set()

    def callback(self, index: int) -> Callable[[KafkaError | None, Any], None]:
        def on_delivery(err: KafkaError | None, _msg: Any) -> None:
            self.errors[index] = None if err is None else str(err)
            with self._lock:
                self._left -= 1
                if self._left == 0:
                    self.done.set()

        return on_delivery


class DurableProducer:
    """Wrap one confluent-kafka Producer per process, created lazily (after gunicorn's fork)."""

    def __init__(self, config: dict[str, Any], delivery_timeout_ms: int) -> None:
        self._config = {
            "enable.idempotence": True,
            "acks": "all",
            "message.timeout.ms": delivery_timeout_ms,
            **config,
        }
        self._wait_s = delivery_timeout_ms / 1000 + 1.0
        self._producer: Producer | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._poller: threading.Thread | None = None
        self.on_error: Callable[[str], None] = lambda _reason: None

    def _get(self) -> Producer:
        if self._producer is None:
            with self._lock:
                if self._producer is None:
                    producer = Producer({**self._config, "error_cb": self._error}, logger=_LIBRDKAFKA_LOG)
                    self._poller = threading.Thread(
                        target=self._poll, args=(producer,), name="kafka-poller", daemon=True
                    )
                    self._producer = producer
                    self._poller.start()
        return self._producer

    def _error(self, err: KafkaError) -> None:
        log.warning("kafka client error: %s", err)
        self.on_error(err.name())

    def _poll(self, producer: Producer) -> None:
        # One thread serves every delivery callback so request threads only wait on events.
        while not self._stop.is_set():
            producer.poll(0.05)

    def send(self, records: Sequence[Record]) -> list[str | None]:
        """Produce records and wait for their acks; return None or an error text per record."""
        producer = self._get()
        batch = _Batch(len(records))
        deadline = time.monotonic() + self._wait_s
        for index, (topic, key, value) in enumerate(records):
            callback = batch.callback(index)
            while True:
                try:
                    producer.produce(topic, value, key, on_delivery=callback)
                    break
                except BufferError:
                    # Local queue full: let the poller drain it, bounded by the request deadline.
                    if time.monotonic() > deadline:
                        callback(KafkaError(KafkaError._QUEUE_FULL), None)
                        break
                    time.sleep(0.005)
                except KafkaException as exc:
                    callback(exc.args[0], None)
                    break
        if not batch.done.wait(max(0.0, deadline - time.monotonic())):
            log.error("kafka delivery did not complete within %.1fs", self._wait_s)
        return list(batch.errors)

    def ready(self, timeout_s: float = 2.0) -> bool:
        """Return whether the cluster answers a metadata request."""
        try:
            self._get().list_topics(timeout=timeout_s)
        except KafkaException:
            return False
        return True

    def close(self, timeout_s: float = 30.0) -> int:
        """Flush what is queued and stop the poller; return the records still undelivered."""
        if self._producer is None:
            return 0
        left: int = self._producer.flush(timeout_s)
        self._stop.set()
        if self._poller is not None:
            self._poller.join(timeout=1.0)
        if left:
            log.error("kafka producer closed with %d undelivered records", left)
        return left
