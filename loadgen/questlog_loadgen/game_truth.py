"""What the marts must show for a played World, computed from what was played, not from the lake.

Times: an event's true time is known; what the lake holds is derived_ts = true time + (receive time -
true send time) for clients that send sent_at (milliseconds of network and queueing, not known here),
and event_ts (true time + the device's skew) for those that do not. `expected_ts` returns the second,
and the first as the true time: callers compare instants with a small tolerance, days exactly (the
simulator keeps every event hours away from midnight on every clock that matters).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from questlog_loadgen.game import Played, Player, World

OFFSETS = (1, 7, 30)


def expected_ts(player: Player, played: Played) -> datetime:
    """The derived_ts the lake should hold for an event (up to the delivery latency)."""
    return played.at if player.sends_ids else played.at + player.skew


def landed(world: World) -> list[tuple[Player, Played]]:
    """Every event the lake holds: one per event_id (a retry with the same id adds nothing)."""
    seen: dict[str, tuple[Player, Played]] = {}
    for delivery in world.deliveries:
        for e in delivery.events:
            seen.setdefault(e.body["event_id"], (delivery.player, e))
    return list(seen.values())


def _day(player: Player, e: Played) -> date:
    return expected_ts(player, e).date()


def sessions(world: World) -> dict[tuple[str, str], dict[str, Any]]:
    """{(user_id, session_id): row} as the sessions mart must hold it (without the exact instants'
    latency): started_at, ended_at, duration_s, events, platform."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for player in world.players:
        mine = [s for s in world.sessions if s.player is player]
        auto = sorted((s for s in mine if s.session_id is None), key=lambda s: s.started)
        names = {id(s): f"auto-{n}" for n, s in enumerate(auto, 1)}
        for session in mine:
            # Every event is delivered at least once, so all land; re-logged purchases (a new event_id,
            # same session, same time) are events of the session too.
            members = session.events + session.relogged
            times = [expected_ts(player, e) for e in members]
            started, ended = min(times), max(times)
            duration = session.duration_s
            out[(player.user_id, session.session_id or names[id(session)])] = {
                "started_at": started,
                "ended_at": ended,
                "duration_s": duration if session.session_id else int((ended - started).total_seconds()),
                "events": len(members),
                "platform": player.platform,
            }
    return out


def purchases(world: World) -> list[tuple[Player, Played]]:
    """Real-money purchases, one per transaction_id."""
    seen: dict[str, tuple[Player, Played]] = {}
    for player, e in landed(world):
        if e.body["event_type"] == "iap_purchase":
            seen.setdefault(e.body["transaction_id"], (player, e))
    return list(seen.values())


def player_daily(world: World, session_rows: dict[tuple[str, str], dict[str, Any]]) -> dict[tuple[date, str], dict]:
    """{(day, user_id): row} of player_daily."""
    rows: dict[tuple[date, str], dict[str, Any]] = {}

    def row(day: date, user: str) -> dict[str, Any]:
        return rows.setdefault(
            (day, user),
            {
                "events": 0,
                "sessions": 0,
                "session_s": 0,
                "battles": 0,
                "battles_won": 0,
                "gold_spent": 0,
                "iap_purchases": 0,
                "iap_cents_by_currency": {},
                "levels_completed": 0,
            },
        )

    for player, e in landed(world):
        r, b = row(_day(player, e), player.user_id), e.body
        r["events"] += 1
        kind = b["event_type"]
        if kind == "enter_battle":
            r["battles"] += 1
            r["battles_won"] += b["outcome"] == "won"
        elif kind == "purchase_weapon":
            r["gold_spent"] += b["gold_cost"]
        elif kind == "level_progress" and b["status"] == "complete":
            r["levels_completed"] += 1
    for player, e in purchases(world):
        r, b = row(_day(player, e), player.user_id), e.body
        r["iap_purchases"] += 1
        r["iap_cents_by_currency"][b["currency"]] = r["iap_cents_by_currency"].get(b["currency"], 0) + b["price_cents"]
    for (user, _sid), s in session_rows.items():
        r = row(s["started_at"].date(), user)
        r["sessions"] += 1
        r["session_s"] += s["duration_s"]
    return rows


def first_seen(daily: dict[tuple[date, str], dict]) -> dict[str, date]:
    """{user_id: first day}."""
    first: dict[str, date] = {}
    for day, user in daily:
        first[user] = min(first.get(user, day), day)
    return first


def kpi_daily(daily: dict[tuple[date, str], dict]) -> dict[date, dict[str, Any]]:
    """{day: row} of kpi_daily."""
    first = first_seen(daily)
    out: dict[date, dict[str, Any]] = {}
    for (day, user), r in sorted(daily.items()):
        k = out.setdefault(
            day,
            {
                "dau": 0,
                "new_players": 0,
                "returning_players": 0,
                "payers": 0,
                "iap_purchases": 0,
                "sessions": 0,
                "s": 0,
            },
        )
        k["dau"] += 1
        k["new_players" if first[user] == day else "returning_players"] += 1
        k["payers"] += r["iap_purchases"] > 0
        k["iap_purchases"] += r["iap_purchases"]
        k["sessions"] += r["sessions"]
        k["s"] += r["session_s"]
    for k in out.values():
        total = k.pop("s")
        k["avg_session_s"] = total / k["sessions"] if k["sessions"] else None
    return out


def retention(daily: dict[tuple[date, str], dict]) -> dict[tuple[date, int], dict[str, Any]]:
    """{(cohort_day, offset): row} of retention, for observed days only."""
    first = first_seen(daily)
    newest = max(day for day, _ in daily)
    active = set(daily)
    cohorts: dict[date, list[str]] = defaultdict(list)
    for user, day in first.items():
        cohorts[day].append(user)
    out = {}
    for cohort_day, users in cohorts.items():
        for offset in OFFSETS:
            day = cohort_day + timedelta(days=offset)
            if day > newest:
                continue
            retained = sum((day, u) in active for u in users)
            out[(cohort_day, offset)] = {"cohort_size": len(users), "retained": retained, "rate": retained / len(users)}
    return out


def revenue_daily(world: World, kpis: dict[date, dict[str, Any]]) -> dict[tuple[date, str], dict[str, Any]]:
    """{(day, currency): row} of revenue_daily."""
    out: dict[tuple[date, str], dict[str, Any]] = {}
    payers: dict[tuple[date, str], set[str]] = defaultdict(set)
    for player, e in purchases(world):
        key = (_day(player, e), e.body["currency"])
        r = out.setdefault(key, {"purchases": 0, "revenue_cents": 0})
        r["purchases"] += 1
        r["revenue_cents"] += e.body["price_cents"]
        payers[key].add(player.user_id)
    for key, r in out.items():
        r["payers"] = len(payers[key])
        r["arpdau_cents"] = r["revenue_cents"] / kpis[key[0]]["dau"]
        r["arppu_cents"] = r["revenue_cents"] / r["payers"]
    return out


def economy_daily(world: World) -> dict[tuple[date, str, str], dict[str, Any]]:
    """{(day, currency_name, reason): row} of economy_daily."""
    out: dict[tuple[date, str, str], dict[str, Any]] = {}
    players: dict[tuple[date, str, str], set[str]] = defaultdict(set)
    for player, e in landed(world):
        b = e.body
        if b["event_type"] != "currency_change":
            continue
        key = (_day(player, e), b["currency_name"], b["reason"])
        r = out.setdefault(key, {"source_amount": 0, "sink_amount": 0})
        r["source_amount" if b["amount"] > 0 else "sink_amount"] += abs(b["amount"])
        players[key].add(player.user_id)
    for key, r in out.items():
        r["players"] = len(players[key])
    return out


def progression(world: World) -> dict[int, dict[str, Any]]:
    """{level: row} of progression."""
    out: dict[int, dict[str, Any]] = {}
    players: dict[int, set[str]] = defaultdict(set)
    durations: dict[int, list[int]] = defaultdict(list)
    for player, e in landed(world):
        b = e.body
        if b["event_type"] != "level_progress":
            continue
        r = out.setdefault(b["level"], {"starts": 0, "completes": 0, "fails": 0})
        r[{"start": "starts", "complete": "completes", "fail": "fails"}[b["status"]]] += 1
        players[b["level"]].add(player.user_id)
        if b["status"] == "complete" and "duration_s" in b:
            durations[b["level"]].append(b["duration_s"])
    for level, r in out.items():
        r["players"] = len(players[level])
        r["median_duration_s"] = float(statistics.median(durations[level])) if durations[level] else None
    return out


def balances_add_up(world: World) -> bool:
    """Every currency_change's balance equals the running sum of the player's amounts (a self-check)."""
    for player in world.players:
        running: dict[str, int] = {"gold": 100, "gems": 0}
        for session in (s for s in world.sessions if s.player is player):
            for e in session.events:
                b = e.body
                if b["event_type"] == "currency_change":
                    running[b["currency_name"]] += b["amount"]
                    if running[b["currency_name"]] != b["balance"] or b["balance"] < 0:
                        return False
    return True
