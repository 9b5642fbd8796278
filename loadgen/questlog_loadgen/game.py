"""A game world played over days, with ground truth: sessions, real money, economy, progression.

Deterministic for a seed. Each player has a device (platform, app version, a clock that may run minutes
to hours off), an SDK that either stamps `session_id` and `sent_at` or sends neither, a first day, days
of play with churn and comebacks, and per session: battles, level attempts (with fails and retries), an
in-game economy whose balances add up (quest rewards and IAP gems in, weapon purchases out), and
real-money purchases in several currencies. The output is the events in the order a client sends them,
grouped into deliveries (one HTTP request each: a player's on-time events, then late offline sessions,
then retries of events already sent, with the same event_id or the same transaction_id).

What is true is kept beside what is sent: every event's true time, every session as played. The truth
module (game_truth) turns that into the figures the marts must show.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

PLATFORMS = ("ios", "android", "web")
STORES = {"ios": "app_store", "android": "google_play", "web": "other"}
CURRENCIES = {"USD": (99, 499, 1999), "EUR": (109, 549, 2199), "GBP": (89, 449, 1799)}
ENEMIES = ("goblin", "orc", "dragon", "troll")
WEAPONS = {"sword": 50, "axe": 80, "bow": 65}


def format_ts(value: datetime) -> str:
    """RFC 3339 UTC with microseconds, as the API stores times."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class Player:
    """One player and their device."""

    user_id: str
    platform: str
    app_version: str
    skew: timedelta  # device clock minus true time
    sends_ids: bool  # the SDK stamps session_id and sent_at
    first_day: int
    currency: str
    balances: dict[str, int] = field(default_factory=lambda: {"gold": 100, "gems": 0})
    level: int = 1


@dataclass
class Played:
    """One event as it happened: the body the client sends (without sent_at) and its true time."""

    body: dict[str, Any]
    at: datetime  # true time


@dataclass
class Session:
    """One session as played."""

    player: Player
    session_id: str | None  # None: the SDK sends no ids (the models sessionize by the 30-min gap)
    started: datetime
    events: list[Played] = field(default_factory=list)
    duration_s: int = 0
    late: bool = False  # sent in a later delivery (an offline session flushed on the next launch)
    relogged: list[Played] = field(default_factory=list)  # its purchases re-logged under a new event_id


@dataclass
class Delivery:
    """One request: events sent together, with the player's device offset (for sent_at)."""

    player: Player
    events: list[Played]


@dataclass
class World:
    """Everything played, and how it is delivered."""

    start: date
    days: int
    players: list[Player]
    sessions: list[Session]
    deliveries: list[Delivery]

    def sent_body(self, player: Player, played: Played, sent_true: datetime) -> dict[str, Any]:
        """The body as the client sends it at true time `sent_true` (its clock says sent_at)."""
        body = dict(played.body)
        if player.sends_ids:
            body["sent_at"] = format_ts(sent_true + player.skew)
        return body


class _Ids:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))


def deliver(world: World, deliveries: list[Delivery], api: str, headers: dict[str, str] | None = None) -> int:
    """POST each delivery to /v1/events, stamping sent_at at send time; return the events accepted.

    Raises DeliveryError when a request is not answered 202 with every event accepted.
    """
    import requests

    accepted = 0
    for delivery in deliveries:
        sent = datetime.now(UTC)
        body = {"events": [world.sent_body(delivery.player, e, sent) for e in delivery.events]}
        response = requests.post(f"{api}/v1/events", json=body, headers=headers or {}, timeout=60)
        if response.status_code != 202 or response.json().get("rejected"):
            raise DeliveryError(f"{api}/v1/events answered {response.status_code}: {response.text[:500]}")
        accepted += response.json()["accepted_count"]
    return accepted


class DeliveryError(RuntimeError):
    """The API did not accept a delivery whole."""


def _event(player: Player, ids: _Ids, at: datetime, event_type: str, session_id: str | None, **fields: Any) -> Played:
    body: dict[str, Any] = {
        "event_id": ids.uuid(),
        "event_type": event_type,
        "user_id": player.user_id,
        "event_ts": format_ts(at + player.skew),
        "platform": player.platform,
        "app_version": player.app_version,
        **fields,
    }
    if session_id is not None:
        body["session_id"] = session_id
    return Played(body, at)


def _change(
    player: Player, ids: _Ids, at: datetime, session_id: str | None, currency: str, amount: int, reason: str
) -> Played:
    """Move `amount` of a currency into (> 0) or out of (< 0) the player's balance: its currency_change."""
    player.balances[currency] += amount
    balance = player.balances[currency]
    return _event(
        player,
        ids,
        at,
        "currency_change",
        session_id,
        currency_name=currency,
        amount=amount,
        reason=reason,
        balance=balance,
    )


def _session(rng: random.Random, ids: _Ids, player: Player, started: datetime, n: int) -> Session:
    sid = f"{player.user_id}-s{n}" if player.sends_ids else None
    session = Session(player, sid, started)
    at = started
    add = session.events.append
    if sid:
        add(_event(player, ids, at, "session_start", sid))
    for _ in range(rng.randint(1, 4)):
        at += timedelta(seconds=rng.randint(20, 400))
        level = player.level
        add(_event(player, ids, at, "level_progress", sid, level=level, status="start"))
        took = rng.randint(30, 600)
        at += timedelta(seconds=took)
        won = rng.random() < 0.6
        outcome = "complete" if won else "fail"
        add(
            _event(player, ids, at, "level_progress", sid, level=level, status=outcome, duration_s=took, score=took * 7)
        )
        enemy = rng.choice(ENEMIES)
        add(_event(player, ids, at, "enter_battle", sid, enemy=enemy, outcome="won" if won else "lost"))
        if won:
            player.level += 1
            reward = 10 * level
            add(_change(player, ids, at, sid, "gold", reward, "quest_reward"))
        weapon, cost = rng.choice(list(WEAPONS.items()))
        if player.balances["gold"] >= cost and rng.random() < 0.4:
            at += timedelta(seconds=rng.randint(5, 60))
            add(_event(player, ids, at, "purchase_weapon", sid, weapon_type=weapon, gold_cost=cost))
            add(_change(player, ids, at, sid, "gold", -cost, "weapon_purchase"))
    if rng.random() < 0.12:
        at += timedelta(seconds=rng.randint(10, 120))
        price = rng.choice(CURRENCIES[player.currency])
        gems = price // 10
        add(
            _event(
                player,
                ids,
                at,
                "iap_purchase",
                sid,
                product_id=f"gems_{gems}",
                price_cents=price,
                currency=player.currency,
                transaction_id=f"tx-{ids.uuid()}",
                store=STORES[player.platform],
            )
        )
        add(_change(player, ids, at, sid, "gems", gems, "iap"))
    at += timedelta(seconds=rng.randint(10, 200))
    session.duration_s = int((at - started).total_seconds())
    if sid:
        add(_event(player, ids, at, "session_end", sid, duration_s=session.duration_s))
    return session


def play(prefix: str, players: int, days: int, start: date, seed: int = 14) -> World:
    """Play `players` players over `days` days from `start` (UTC); user ids start with `prefix`."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible world, not a secret
    # Ids depend on the prefix too: two runs of one world never share an event_id or a transaction_id.
    ids = _Ids(random.Random(f"{seed}/{prefix}"))  # noqa: S311 - reproducible ids, not secrets
    cast: list[Player] = []
    for i in range(players):
        sends_ids = rng.random() < 0.75
        # Clocks: most within minutes, some hours off either way; a client without sent_at keeps a
        # small skew (the models cannot correct it: its event_ts is taken as it is).
        hours = rng.choice([0, 0, 0, 1, 3, -3, -2]) if sends_ids else 0
        skew = timedelta(hours=hours, minutes=rng.randint(-9, 9), seconds=rng.randint(-59, 59))
        cast.append(
            Player(
                user_id=f"{prefix}p{i:03d}",
                platform=rng.choice(PLATFORMS),
                app_version=rng.choice(["1.8.0", "1.9.2", "2.0.0"]),
                skew=skew,
                sends_ids=sends_ids,
                first_day=rng.randrange(days),
                currency=rng.choice(list(CURRENCIES)),
            )
        )
    sessions: list[Session] = []
    for player in cast:
        active = True
        n = 0
        for day in range(player.first_day, days):
            if day > player.first_day:
                # Churn and comebacks: an active player stays with p=0.7, a lapsed one returns with p=0.25.
                active = rng.random() < (0.7 if active else 0.25)
            if not active and day != player.first_day:
                continue
            midnight = datetime.combine(start + timedelta(days=day), datetime.min.time(), UTC)
            # Sessions start 01:00-19:00 true time and last under 2 h, at least 2 h apart: far from
            # midnight on either clock of a player without sent_at, and never within 30 min of each other.
            slot = midnight + timedelta(hours=1, minutes=rng.randint(0, 120))
            for _ in range(rng.randint(1, 3)):
                n += 1
                session = _session(rng, ids, player, slot, n)
                sessions.append(session)
                slot = (
                    session.started
                    + timedelta(seconds=session.duration_s)
                    + timedelta(hours=2, minutes=rng.randint(0, 90))
                )
    # Some sessions were played offline and arrive in a later delivery.
    for session in sessions:
        session.late = rng.random() < 0.08
    deliveries: list[Delivery] = []
    for player in cast:
        mine = [s for s in sessions if s.player is player]
        on_time = [e for s in mine if not s.late for e in s.events]
        if on_time:
            deliveries.append(Delivery(player, on_time))
        deliveries.extend(Delivery(player, s.events) for s in mine if s.late)
    # Retries: the same events again (a lost response), and purchases re-logged under a new event_id.
    everything = [e for s in sessions for e in s.events]
    retries = rng.sample(everything, k=max(1, len(everything) // 50))
    relogged = []
    for session in sessions:
        for e in session.events:
            if e.body["event_type"] == "iap_purchase" and rng.random() < 0.5:
                session.relogged.append(Played({**e.body, "event_id": ids.uuid()}, e.at))
                relogged.append(session.relogged[-1])
    by_player: dict[str, list[Played]] = {}
    for e in retries + relogged:
        by_player.setdefault(e.body["user_id"], []).append(e)
    for player in cast:
        if player.user_id in by_player:
            deliveries.append(Delivery(player, by_player[player.user_id]))
    return World(start, days, cast, sessions, deliveries)
