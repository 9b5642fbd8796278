"""API configuration: one frozen dataclass, read from QUESTLOG_API_* variables at the entry point."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from questlog_core.kafka_config import KafkaConfigError, client_properties, read_files
from questlog_core.settings import SettingsError as CoreSettingsError
from questlog_core.settings import integer, read, setting

PREFIX = "QUESTLOG_API_"
# A 2xx promises the event is stored on every in-sync replica exactly once: the producer settings
# behind that promise cannot be weakened through QUESTLOG_API_KAFKA_* (their allowed values).
DURABLE_PRODUCER = {"acks": ("all", "-1"), "request.required.acks": ("all", "-1"), "enable.idempotence": ("true",)}


class SettingsError(CoreSettingsError):
    """A configuration variable has a value the API cannot use."""


def _kafka_properties(env: Mapping[str, str]) -> dict[str, str]:
    """librdkafka properties from QUESTLOG_API_KAFKA_* (questlog_core.kafka_config), files read now."""
    try:
        return read_files(client_properties(env, PREFIX), PREFIX)
    except KafkaConfigError as exc:
        raise SettingsError(str(exc)) from exc


# Where `make up` writes the local stack's secrets; read when QUESTLOG_API_ADMIN_KEYS_FILE and
# QUESTLOG_API_PRIVACY_KEY_FILE are unset.
LOCAL_ADMIN_KEY_FILE = "var/secrets/admin-key"
LOCAL_PRIVACY_KEY_FILE = "var/secrets/privacy-key"


def _keys(env: Mapping[str, str], name: str = "KEYS", default_file: str | None = None) -> tuple[str, ...]:
    keys = [k.strip() for k in env.get(PREFIX + name, "").split(",") if k.strip()]
    path = env.get(PREFIX + name + "_FILE")
    if not path and default_file and os.path.isfile(default_file):
        path = default_file
    if path:
        try:
            with open(path) as f:
                keys += [line.strip() for line in f if line.strip() and not line.startswith("#")]
        except OSError as exc:
            raise SettingsError(f"{PREFIX}{name}_FILE cannot be read: {exc}") from exc
    return tuple(keys)


@dataclass(frozen=True)
class Settings:
    """Everything the API needs to know; defaults point at the local stack."""

    bootstrap_servers: str = "127.0.0.1:9092"
    topic: str = "events"
    dlq_topic: str = "events.dlq"
    max_events: int = setting(1000, minimum=1)
    max_body_bytes: int = setting(1024 * 1024, minimum=1)
    delivery_timeout_ms: int = setting(5000, minimum=100)
    linger_ms: int = setting(2, minimum=0)
    retry_after_s: int = setting(5, minimum=1)
    # From QUESTLOG_API_MAX_EVENT_AGE_HOURS / QUESTLOG_API_MAX_EVENT_FUTURE_HOURS.
    max_past: timedelta = field(default=timedelta(days=30), metadata={"env": False})
    max_future: timedelta = field(default=timedelta(days=1), metadata={"env": False})
    dlq_raw_bytes: int = setting(8192, minimum=64)
    auth_enabled: bool = False
    # From QUESTLOG_API_KEYS and QUESTLOG_API_KEYS_FILE.
    api_keys: tuple[str, ...] = field(default=(), repr=False, metadata={"env": False})
    # Player erasure: the log of requests (a compacted topic) and the secret key of the user hash.
    erasures_topic: str = "erasures"
    # Empty: erasure is off. from_env() falls back to var/secrets/privacy-key when that exists.
    privacy_key_file: str = ""
    # From QUESTLOG_API_ADMIN_KEYS and QUESTLOG_API_ADMIN_KEYS_FILE (default: var/secrets/admin-key
    # when it exists): the keys of the /v1/admin endpoints, header X-Admin-Key.
    admin_keys: tuple[str, ...] = field(default=(), repr=False, metadata={"env": False})
    access_log: bool = True
    rate_limit: int = setting(0, minimum=0)
    rate_limit_period_s: int = setting(1, minimum=1)
    rate_limit_burst: int = setting(0, minimum=0)
    rate_limit_slots: int = setting(65536, minimum=64)
    rate_limit_file: str | None = None
    proxy_hops: int = setting(0, minimum=0)
    # From QUESTLOG_API_KAFKA_* (questlog_core.kafka_config).
    producer_config: Mapping[str, str] = field(default_factory=dict, repr=False, metadata={"env": False})

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
        values = read(cls, PREFIX, env, SettingsError)
        if not values.get("privacy_key_file") and os.path.isfile(LOCAL_PRIVACY_KEY_FILE):
            values["privacy_key_file"] = LOCAL_PRIVACY_KEY_FILE
        return cls(
            **values,
            max_past=timedelta(hours=integer(env, PREFIX + "MAX_EVENT_AGE_HOURS", 30 * 24, 1, SettingsError)),
            max_future=timedelta(hours=integer(env, PREFIX + "MAX_EVENT_FUTURE_HOURS", 24, 0, SettingsError)),
            api_keys=_keys(env),
            admin_keys=_keys(env, "ADMIN_KEYS", LOCAL_ADMIN_KEY_FILE),
            producer_config=_kafka_properties(env),
        )
