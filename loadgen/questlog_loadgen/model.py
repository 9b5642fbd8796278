"""The simulated world's records: players and the events planned for them."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from questlog_loadgen.catalog import Network

Kind = Literal["valid", "duplicate", "malformed"]
# An event delivered this long after it happened counts as late (offline-buffered).
LATE_AFTER = timedelta(hours=1)


@dataclass(frozen=True)
class Player:
    """One simulated player and the traits that drive their behaviour."""

    user_id: str
    network: Network
    platform: str
    skill: float  # 0..1, moves win rates
    appetite: float  # purchase appetite, log-normal around 1
    guild_bound: bool  # will join a guild after a few battles
    battles_before_guild: int
    retention: float  # chance to come back on a later day
    clock_skew: timedelta  # device clock minus true time
    installed_at: datetime


@dataclass(frozen=True)
class PlannedEvent:
    """One body the simulator will send, with the truth about it."""

    body: dict[str, Any]
    host: str
    happened_at: datetime  # on a correct clock; body["event_ts"] adds the device's skew
    sent_at: datetime  # simulated delivery time: later than happened_at when buffered offline
    kind: Kind = "valid"
    fault: str = ""  # for malformed events: what is wrong with it

    @property
    def event_id(self) -> str:
        """Return the event id the body carries."""
        return str(self.body.get("event_id", ""))

    @property
    def late(self) -> bool:
        """Tell whether the event was buffered offline for a long time."""
        return self.sent_at - self.happened_at >= LATE_AFTER


def format_ts(value: datetime) -> str:
    """Render a time as RFC 3339 UTC with milliseconds, as a mobile client would."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def new_event_id(rng: random.Random) -> str:
    """Return a random version-4 UUID drawn from rng, so a seed gives the same ids."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))
