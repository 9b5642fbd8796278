"""One-time resources the stack needs once its services are up: topics, the lake schema, its views."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from questlog_core.erasure import TOPIC as ERASURES
from questlog_core.erasure import TOPIC_CONFIG as ERASURES_CONFIG

log = logging.getLogger(__name__)

TOPICS = {"events": 3, "events.dlq": 3, ERASURES: 1}
TOPIC_CONFIGS = {ERASURES: ERASURES_CONFIG}
# Secrets the local stack generates on its first `make up` (mode 0600), read by the API and the stream.
SECRETS = ("admin-key", "privacy-key")


def create_secrets(var: Path) -> list[str]:
    """Write the missing secrets under var/secrets (random, 0600); return the ones created."""
    folder = var / "secrets"
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    created = []
    for name in SECRETS:
        path = folder / name
        if path.exists():
            continue
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32) + "\n")
        created.append(name)
        log.info("created %s", path)
    return created


WAREHOUSE = "hdfs://127.0.0.1:8020/warehouse"
CATALOG, SCHEMA = "lake", "game"
# The schema the game analytics models (models/, `make models`) build their tables in.
MARTS = "marts"


def create_topics(bootstrap: str = "127.0.0.1:9092", topics: dict[str, int] | None = None) -> list[str]:
    """Create missing topics; return the ones created."""
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 0})
    wanted = topics or TOPICS
    existing = set(admin.list_topics(timeout=10).topics)
    missing = [
        NewTopic(t, num_partitions=n, replication_factor=1, config=TOPIC_CONFIGS.get(t, {"min.insync.replicas": "1"}))
        for t, n in wanted.items()
        if t not in existing
    ]
    if not missing:
        return []
    for topic, future in admin.create_topics(missing, request_timeout=15).items():
        future.result()
        log.info("created topic %s", topic)
    return [t.topic for t in missing]


def create_schema(host: str = "127.0.0.1", port: int = 8080) -> None:
    """Create the lake.game and lake.marts schemas on HDFS if they do not exist."""
    import trino

    with trino.dbapi.connect(host=host, port=port, user="questlog", catalog=CATALOG) as conn:
        cur = conn.cursor()
        for schema in (SCHEMA, MARTS):
            cur.execute(f"CREATE SCHEMA IF NOT EXISTS {CATALOG}.{schema} WITH (location = '{WAREHOUSE}/{schema}.db')")
            cur.fetchall()


def create_views(host: str = "127.0.0.1", port: int = 8080) -> None:
    """(Re)create lake.game.all_events over every event table the stream created from the schemas."""
    import trino
    from questlog_core.ddl import all_events_view
    from questlog_core.registry import default_registry

    with trino.dbapi.connect(host=host, port=port, user="questlog", catalog=CATALOG) as conn:
        cur = conn.cursor()
        cur.execute(all_events_view(default_registry(), CATALOG, SCHEMA))
        cur.fetchall()
    log.info("created view %s.%s.all_events", CATALOG, SCHEMA)
