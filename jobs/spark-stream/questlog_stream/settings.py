"""Streaming job configuration: one frozen dataclass, read from QUESTLOG_STREAM_* at the entry point."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from questlog_core.kafka_config import KafkaConfigError, client_properties, read_files
from questlog_core.settings import SettingsError as CoreSettingsError
from questlog_core.settings import read, setting

PREFIX = "QUESTLOG_STREAM_"


class SettingsError(CoreSettingsError):
    """A configuration variable has a value the job cannot use."""


def _umask(value: str) -> str:
    """QUESTLOG_STREAM_HDFS_UMASK: three or four octal digits, or empty."""
    value = value.strip()
    if value and not re.fullmatch(r"[0-7]{3,4}", value):
        raise SettingsError(f"{PREFIX}HDFS_UMASK must be an octal umask such as 007, got {value!r}")
    return value


@dataclass(frozen=True)
class Settings:
    """Everything the job needs; defaults point at the local stack."""

    bootstrap_servers: str = "127.0.0.1:9092"
    topic: str = "events"
    dlq_topic: str = "events.dlq"
    # Event types written to the lake (a subset of those whose schema names a table); empty: all of them.
    event_types: tuple[str, ...] = ()
    catalog: str = "lake"
    namespace: str = "game"
    metastore_uri: str = "thrift://127.0.0.1:9083"
    warehouse: str = "hdfs://127.0.0.1:8020/warehouse"
    checkpoint: str = "hdfs://127.0.0.1:8020/questlog/checkpoints/stream"
    trigger_seconds: float = 1.0
    max_offsets_per_trigger: int = 200_000
    # Dedup state: an event_id is remembered for this long after its first copy (processing time).
    state_ttl_minutes: float = 65.0
    # Slow lane: rows whose event_ts is more than this before received_at (resends keeping their
    # original event_ts, late offline events) are also anti-joined against their table...
    slow_lag_minutes: float = 35.0
    # ... and rows received more than this before their batch runs (catch-up after an outage).
    backlog_minutes: float = 20.0
    # Window around a slow row's event time in which the anti-join looks for an earlier copy.
    dedup_window_hours: float = 6.0
    state_memory_mb: int = 256
    # The API's time window, applied again to records written straight to Kafka.
    max_event_age_hours: float = 720.0
    max_event_future_hours: float = 24.0
    # Table maintenance (the stream-maintenance service, not the stream).
    compact_every_seconds: float = 300.0
    snapshot_retain_minutes: float = 15.0
    snapshot_retain_last: int = 100
    manifests_every_seconds: float = 3600.0
    orphans_every_seconds: float = 86400.0
    orphan_age_hours: float = 72.0
    maintenance_progress_file: str = "var/run/stream-maintenance.progress.json"
    maintenance_driver_memory: str = "768m"
    # Fault injection for the exactly-once tests only (off by default): hold one table's append of every
    # batch back for this long, or hold every batch after its appends, before Spark's commit log entry.
    fault_hold_table: str = ""
    fault_hold_seconds: float = setting(0.0, minimum=0)
    fault_hold_after_appends_seconds: float = setting(0.0, minimum=0)
    progress_file: str = "var/run/stream.progress.json"
    # Player erasure: the log of requests (a compacted topic) and the secret key of the user hash.
    erasures_topic: str = "erasures"
    privacy_key_file: str = "var/secrets/privacy-key"
    # The erasure processor (in stream-maintenance): how long a done erasure keeps the raw id (the raw
    # topics' retention, so the stream can still recognise the player's records in them), and the age
    # past which files no snapshot references are deleted during an erasure (a writer still running
    # may own younger ones; the stream's own are covered by its acknowledgement).
    erasure_keep_id_hours: float = 170.0
    erasure_orphan_age_minutes: float = 60.0
    # local[N] on one machine; "submit" leaves the master to spark-submit (e.g. under spark-operator).
    master: str = "local[2]"
    driver_memory: str = "1g"
    shuffle_partitions: int = 2
    starting_offsets: str = "earliest"
    # Octal umask of the files and directories the job creates on HDFS (fs.permissions.umask-mode);
    # empty: Hadoop's default (022). The chart sets 007 when HDFS checks permissions.
    hdfs_umask: str = ""
    # Extra Kafka client properties, from QUESTLOG_STREAM_KAFKA_* (as the API's QUESTLOG_API_KAFKA_*:
    # QUESTLOG_STREAM_KAFKA_SASL_MECHANISM -> sasl.mechanism; a name ending in _FILE is read from that
    # file when the job starts: QUESTLOG_STREAM_KAFKA_SASL_PASSWORD_FILE); see kafka_options().
    kafka: Mapping[str, str] = field(default_factory=dict, repr=False, metadata={"env": False})

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read QUESTLOG_STREAM_* variables; fail naming the variable when one is wrong."""
        env = os.environ if env is None else env
        values = read(cls, PREFIX, env, SettingsError, positive=True)
        values["hdfs_umask"] = _umask(values.get("hdfs_umask", ""))
        return cls(**values, kafka=client_properties(env, PREFIX, skip_empty=True))

    def check(self) -> None:
        """Fail naming the variables when the dedup horizons contradict each other."""
        if self.slow_lag_minutes + self.backlog_minutes > self.state_ttl_minutes:
            raise SettingsError(
                f"{PREFIX}SLOW_LAG_MINUTES + {PREFIX}BACKLOG_MINUTES must not exceed {PREFIX}STATE_TTL_MINUTES "
                "(a resend that is neither slow nor in the state would escape dedup)"
            )

    def librdkafka_config(self) -> dict[str, str]:
        """Properties of a confluent-kafka (librdkafka) client of the same cluster (the erasure log)."""
        try:
            return {"bootstrap.servers": self.bootstrap_servers, **read_files(self.kafka, PREFIX)}
        except KafkaConfigError as exc:
            raise SettingsError(str(exc)) from exc

    def kafka_options(self) -> dict[str, str]:
        """Options of Spark's Kafka source (`kafka.`-prefixed Java client properties). librdkafka's
        `sasl.username`/`sasl.password` (the names the API and the chart use) become the Java
        client's `sasl.jaas.config` for the SCRAM or PLAIN mechanism."""
        try:
            props = read_files(self.kafka, PREFIX)
        except KafkaConfigError as exc:
            raise SettingsError(str(exc)) from exc
        user, password = props.pop("sasl.username", None), props.pop("sasl.password", None)
        if (user is None) != (password is None):
            raise SettingsError(f"{PREFIX}KAFKA_SASL_USERNAME and {PREFIX}KAFKA_SASL_PASSWORD go together")
        if user is not None and password is not None:
            mechanism = props.get("sasl.mechanism", "")
            modules = {
                "SCRAM-SHA-256": "org.apache.kafka.common.security.scram.ScramLoginModule",
                "SCRAM-SHA-512": "org.apache.kafka.common.security.scram.ScramLoginModule",
                "PLAIN": "org.apache.kafka.common.security.plain.PlainLoginModule",
            }
            if mechanism not in modules:
                raise SettingsError(
                    f"{PREFIX}KAFKA_SASL_MECHANISM must be one of {', '.join(modules)} with a user name, "
                    f"got {mechanism!r}"
                )
            quote = lambda value: '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'  # noqa: E731
            props["sasl.jaas.config"] = (
                f"{modules[mechanism]} required username={quote(user)} password={quote(password)};"
            )
        return {f"kafka.{k}": v for k, v in props.items()}

    def table(self, name: str) -> str:
        """Return the fully qualified Spark name of a lake table."""
        return f"{self.catalog}.{self.namespace}.{name}"
