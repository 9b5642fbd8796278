"""Ground truth: counts and sums per table and dimension, each event_id counted once."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from questlog_core.registry import default_registry

from questlog_loadgen.model import PlannedEvent


def unique_valid(events: Iterable[PlannedEvent]) -> list[PlannedEvent]:
    """Return the valid events, one per event_id (a re-sent copy adds nothing), in first-seen order."""
    seen: dict[str, PlannedEvent] = {}
    for event in events:
        if event.kind != "malformed":
            seen.setdefault(event.event_id, event)
    return list(seen.values())


def _sorted(counter: dict[str, Any]) -> dict[str, Any]:
    return dict(sorted(counter.items()))


def _table(rows: list[PlannedEvent]) -> dict[str, Any]:
    bodies = [e.body for e in rows]
    summary: dict[str, Any] = {
        "events": len(rows),
        "users": len({b["user_id"] for b in bodies}),
        "by_host": _sorted(Counter(e.host for e in rows)),
        "by_day": _sorted(Counter(b["event_ts"][:10] for b in bodies)),
    }
    if not rows:
        return summary
    kind = bodies[0]["event_type"]
    if kind == "purchase_weapon":
        by_weapon: dict[str, dict[str, int]] = defaultdict(lambda: {"events": 0, "gold": 0})
        gold_by_host: Counter[str] = Counter()
        for e in rows:
            by_weapon[e.body["weapon_type"]]["events"] += 1
            by_weapon[e.body["weapon_type"]]["gold"] += e.body["gold_cost"]
            gold_by_host[e.host] += e.body["gold_cost"]
        summary |= {
            "gold": sum(b["gold_cost"] for b in bodies),
            "damage": sum(b.get("damage", 0) for b in bodies),
            "without_damage": sum("damage" not in b for b in bodies),
            "by_weapon": _sorted(by_weapon),
            "gold_by_host": _sorted(gold_by_host),
        }
    elif kind == "enter_battle":
        by_enemy: dict[str, dict[str, int]] = defaultdict(lambda: {"battles": 0, "wins": 0})
        for b in bodies:
            by_enemy[b["enemy"]]["battles"] += 1
            by_enemy[b["enemy"]]["wins"] += b["outcome"] == "won"
        summary |= {"wins": sum(b["outcome"] == "won" for b in bodies), "by_enemy": _sorted(by_enemy)}
    else:
        summary |= {
            "by_guild": _sorted(Counter(b["guild_name"] for b in bodies)),
            "by_special_power": _sorted(Counter(b.get("special_power") or "" for b in bodies)),
        }
    return summary


def _funnel_and_segments(rows: list[PlannedEvent]) -> dict[str, Any]:
    per_user: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for e in rows:
        per_user[e.body["user_id"]].append(e.body)
    funnel: Counter[str] = Counter()
    segments: dict[str, Counter[str]] = {"guild_members": Counter(), "others": Counter()}
    for bodies in per_user.values():
        first: dict[str, str] = {}
        for b in sorted(bodies, key=lambda b: b["event_ts"]):
            first.setdefault(b["event_type"], b["event_ts"])
        battle, guild, buy = (first.get(t) for t in ("enter_battle", "join_guild", "purchase_weapon"))
        funnel["players"] += 1
        funnel["first_battle"] += battle is not None
        funnel["joined_guild_after_battle"] += bool(battle and guild and guild > battle)
        funnel["purchased_after_guild"] += bool(battle and guild and guild > battle and buy and buy > guild)
        segment = segments["guild_members" if guild else "others"]
        segment["players"] += 1
        segment["buyers"] += buy is not None
        for b in bodies:
            if b["event_type"] == "purchase_weapon":
                segment["purchases"] += 1
                segment["gold"] += b["gold_cost"]
            elif b["event_type"] == "enter_battle":
                segment["battles"] += 1
                segment["wins"] += b["outcome"] == "won"
    return {"funnel": dict(funnel), "segments": {k: _sorted(v) for k, v in segments.items()}}


def _retention(rows: list[PlannedEvent]) -> dict[str, dict[str, int]]:
    """Players of each first-seen day (UTC) active again N days later: {cohort: {N: players}}, N = 0.."""
    days: dict[str, set[date]] = defaultdict(set)
    for e in rows:
        days[e.body["user_id"]].add(date.fromisoformat(e.body["event_ts"][:10]))
    cohorts: dict[str, Counter[str]] = defaultdict(Counter)
    for active in days.values():
        first = min(active)
        for day in active:
            cohorts[first.isoformat()][str((day - first).days)] += 1
    return {cohort: dict(sorted(c.items(), key=lambda kv: int(kv[0]))) for cohort, c in sorted(cohorts.items())}


def aggregate(events: Iterable[PlannedEvent]) -> dict[str, Any]:
    """Summarise events as the lake should hold them: valid ones, once per event_id."""
    rows = unique_valid(events)
    event_tables = default_registry().event_tables
    tables = {t: _table([e for e in rows if e.body["event_type"] == kind]) for t, kind in event_tables.items()}
    return {
        "events": len(rows),
        "users": len({e.body["user_id"] for e in rows}),
        "late_events": sum(e.late for e in rows),
        "by_day": _sorted(Counter(e.body["event_ts"][:10] for e in rows)),
        "tables": tables,
        "retention": _retention(rows),
        **_funnel_and_segments(rows),
    }


def sent_summary(events: Iterable[PlannedEvent]) -> dict[str, Any]:
    """Count what a run sends besides the clean events: copies, broken events, late deliveries."""
    events = list(events)
    malformed = [e for e in events if e.kind == "malformed"]
    return {
        "bodies": len(events),
        "valid_unique": len(unique_valid(events)),
        "duplicates_sent": sum(e.kind == "duplicate" for e in events),
        "malformed_sent": len(malformed),
        "malformed_by_fault": _sorted(Counter(e.fault for e in malformed)),
        "late_events": sum(e.late for e in unique_valid(events)),
    }
