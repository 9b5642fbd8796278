"""Realistic events for the benchmark, built from the load generator's payload corpus."""

from __future__ import annotations

import json
import random
import uuid
from datetime import UTC, datetime
from pathlib import Path

from questlog_core.registry import default_registry

from questlog_bench.settings import ROOT

CORPUS = ROOT / "loadgen" / "payloads"
# Folder of the load generator's seed corpus -> the event type its payloads are (the corpus's index;
# endpoints and tables come from the schemas).
CORPUS_TYPES = {"weapon": "purchase_weapon", "guild": "join_guild", "battle": "enter_battle"}
TABLES = tuple(default_registry().event_tables)


def corpus() -> list[tuple[str, str, dict[str, object]]]:
    """Return (event type, endpoint, attributes) for every payload file."""
    items = []
    routes = {event_type: route for route, event_type in default_registry().seed_routes.items()}
    for folder, event_type in CORPUS_TYPES.items():
        endpoint = routes[event_type]
        for path in sorted((CORPUS / folder).glob("*.json")):
            items.append((event_type, endpoint, json.loads(path.read_text())))
    return items


def client_event(rng: random.Random, items: list, user_prefix: str, with_id: bool = True) -> dict[str, object]:
    """Return one client event of a random type (as a game would POST it to /v1/events)."""
    event_type, _endpoint, attributes = rng.choice(items)
    event: dict[str, object] = {**attributes, "event_type": event_type, "user_id": f"{user_prefix}{rng.randrange(500)}"}
    if with_id:
        event["event_id"] = str(uuid.uuid4())
    return event


def write_batch_file(path: Path, size: int, user_prefix: str, seed: int = 7) -> Path:
    """Write a {"events": [...]} body of `size` events without ids (the API assigns them)."""
    rng, items = random.Random(seed), corpus()
    events = [client_event(rng, items, user_prefix, with_id=False) for _ in range(size)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"events": events}))
    return path


def write_single_file(path: Path) -> Path:
    """Write the body of one seed-style purchase (the user comes from the X-User-Id header)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"weapon_type": "sword", "gold_cost": 120, "damage": 35}))
    return path


class RecordFactory:
    """Build stored-form event records (what the API writes to Kafka) quickly, each with a new event_id."""

    def __init__(self, user_prefix: str, versions: dict[str, str], seed: int = 11) -> None:
        rng = random.Random(seed)
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        self.templates: list[tuple[bytes, bytes, bytes]] = []
        for event_type, _endpoint, attributes in corpus():
            record = {
                **attributes,
                "event_type": event_type,
                "user_id": "@USER@",
                "event_id": "@ID@",
                "event_ts": now,
                "received_at": now,
                "host": "bench.example",
                "user_agent": "questlog-bench/1",
                "schema_version": versions[event_type],
            }
            text = json.dumps(record, separators=(",", ":"))
            head, rest = text.split("@USER@")
            middle, tail = rest.split("@ID@")
            self.templates.append((head.encode(), middle.encode(), tail.encode()))
        rng.shuffle(self.templates)
        self.users = [f"{user_prefix}{i}".encode() for i in range(4999)]
        # Unique ids without a uuid4() per record: a random run prefix and a counter (still valid UUIDs).
        self.id_prefix = str(uuid.UUID(int=rng.getrandbits(128)))[:24]
        self.count = 0

    def make(self) -> tuple[bytes, bytes]:
        """Return (key, value) of one record."""
        n = self.count
        self.count += 1
        head, middle, tail = self.templates[n % len(self.templates)]
        user = self.users[n % len(self.users)]
        return user, b"".join((head, user, middle, f"{self.id_prefix}{n:012x}".encode(), tail))
