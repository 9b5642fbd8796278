"""API configuration: one frozen dataclass, read from QUESTLOG_API_* variables at the entry point."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from questlog_core.kafka_config import KafkaConfigError, client_properties, read_files

PREFIX = "QUESTLOG_API_"
# A 2xx promises the event is stored on every in-sync replica exactly once: the producer settings
# behind that promise cannot be weakened through QUESTLOG_API_KAFKA_* (their allowed values).
DURABLE_PRODUCER = {"acks": ("all", "-1"), "request.required.acks": ("all", "-1"), "enable.idempotence": ("true",)}


class SettingsError(ValueError):
    """A configuration variable has a value the API cannot use."""


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(PREFIX + name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise SettingsError(f"{PREFIX}{name} must be an integer, got {raw!r}") from exc
    if value < minimum:
        raise SettingsError(f"{PREFIX}{name} must be >= {minimum}, got {value}")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(PREFIX + name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{PREFIX}{name} must be true or false, got {raw!r}")


def _kafka_properties(env: Mapping[str, str]) -> dict[str, str]:
    """librdkafka properties from QUESTLOG_API_KAFKA_* (questlog_core.kafka_config), files read now."""
    try:
        return read_files(client_properties(env, PREFIX), PREFIX)
    except KafkaConfigError as exc:
        raise SettingsError(str(exc)) from exc


def _keys(env: Mapping[str, str]) -> tuple[str, ...]:
    keys = [k.strip() for k in env.get(PREFIX + "KEYS", "").split(",") if k.strip()]
    path = env.get(PREFIX + "KEYS_FILE")
    if path:
        try:
            with open(path) as f:
                keys += [line.strip() for line in f if line.strip() and not line.startswith("#")]
        except OSError as exc:
            raise SettingsError(f"{PREFIX}KEYS_FILE cannot be read: {exc}") from exc
    return tuple(keys)


@dataclass(frozen=True)
class Settings:
    """Everything the API needs to know; defaults point at the local stack."""

    bootstrap_servers: str = "127.0.0.1:9092"
    topic: str = "events"
    dlq_topic: str = "events.dlq"
    max_events: int = 1000
    max_body_bytes: int = 1024 * 1024
    delivery_timeout_ms: int = 5000
    linger_ms: int = 2
    retry_after_s: int = 5
    max_past: timedelta = timedelta(days=30)
    max_future: timedelta = timedelta(days=1)
    dlq_raw_bytes: int = 8192
    auth_enabled: bool = False
    api_keys: tuple[str, ...] = field(default=(), repr=False)
    access_log: bool = True
    rate_limit: int = 0
    rate_limit_period_s: int = 1
    rate_limit_burst: int = 0
    rate_limit_slots: int = 65536
    rate_limit_file: str | None = None
    proxy_hops: int = 0
    producer_config: Mapping[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.auth_enabled and not self.api_keys:
            raise SettingsError(f"{PREFIX}AUTH_ENABLED is on but no key is set ({PREFIX}KEYS or {PREFIX}KEYS_FILE)")
        if self.rate_limit and self.rate_limit_burst == 0:
            # By default a client may spend a whole period's allowance at once.
            object.__setattr__(self, "rate_limit_burst", self.rate_limit)
        for key, allowed in DURABLE_PRODUCER.items():
            value = self.producer_config.get(key)
            if value is not None and str(value).lower() not in allowed:
                name = f"{PREFIX}KAFKA_{key.upper().replace('.', '_')}"
                raise SettingsError(f"{name} must be {allowed[0]} (the API's durability promise), got {value!r}")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read QUESTLOG_API_* variables; fail naming the variable when one is wrong."""
        env = os.environ if env is None else env
        extra = _kafka_properties(env)
        return cls(
            bootstrap_servers=env.get(PREFIX + "BOOTSTRAP_SERVERS", cls.bootstrap_servers),
            topic=env.get(PREFIX + "TOPIC", cls.topic),
            dlq_topic=env.get(PREFIX + "DLQ_TOPIC", cls.dlq_topic),
            max_events=_int(env, "MAX_EVENTS", cls.max_events, 1),
            max_body_bytes=_int(env, "MAX_BODY_BYTES", cls.max_body_bytes, 1),
            delivery_timeout_ms=_int(env, "DELIVERY_TIMEOUT_MS", cls.delivery_timeout_ms, 100),
            linger_ms=_int(env, "LINGER_MS", cls.linger_ms),
            retry_after_s=_int(env, "RETRY_AFTER_S", cls.retry_after_s, 1),
            max_past=timedelta(hours=_int(env, "MAX_EVENT_AGE_HOURS", 30 * 24, 1)),
            max_future=timedelta(hours=_int(env, "MAX_EVENT_FUTURE_HOURS", 24, 0)),
            dlq_raw_bytes=_int(env, "DLQ_RAW_BYTES", cls.dlq_raw_bytes, 64),
            auth_enabled=_bool(env, "AUTH_ENABLED", cls.auth_enabled),
            api_keys=_keys(env),
            access_log=_bool(env, "ACCESS_LOG", cls.access_log),
            rate_limit=_int(env, "RATE_LIMIT", cls.rate_limit),
            rate_limit_period_s=_int(env, "RATE_LIMIT_PERIOD_S", cls.rate_limit_period_s, 1),
            rate_limit_burst=_int(env, "RATE_LIMIT_BURST", cls.rate_limit_burst),
            rate_limit_slots=_int(env, "RATE_LIMIT_SLOTS", cls.rate_limit_slots, 64),
            rate_limit_file=env.get(PREFIX + "RATE_LIMIT_FILE") or None,
            proxy_hops=_int(env, "PROXY_HOPS", cls.proxy_hops),
            producer_config=extra,
        )
