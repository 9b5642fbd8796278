"""Turn query results into report sections: a question, a chart, a table and a computed finding."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from questlog_report import charts
from questlog_report.queries import Result


@dataclass(frozen=True)
class Section:
    """One question of the report."""

    title: str
    question: str
    finding: str
    chart: str
    result: Result


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.1%}"


def _battles(r: Result) -> tuple[str, str]:
    rows = r.rows
    total = sum(x["battles"] for x in rows)
    wins = sum(x["wins"] for x in rows)
    if not rows:
        return "No battles in the lake yet.", ""
    hardest = min(rows, key=lambda x: x["win_rate"])
    most = rows[0]
    finding = (
        f"Players won {_pct(wins / total)} of {total:,} battles. They fight {most['enemy']} most "
        f"({most['battles']:,} battles); {hardest['enemy']} beats them most often "
        f"(win rate {_pct(hardest['win_rate'])})."
    )
    chart = charts.bars([x["enemy"] for x in rows], [float(x["win_rate"]) for x in rows], "Win rate per enemy")
    return finding, chart


def _weapons(r: Result) -> tuple[str, str]:
    if not r.rows:
        return "No purchases in the lake yet.", ""
    top, popular = r.rows[0], max(r.rows, key=lambda x: x["purchases"])
    total = sum(x["gold_spent"] for x in r.rows)
    finding = (
        f"{top['weapon_type']} earns the most gold ({top['gold_spent']:,}, "
        f"{_pct(top['gold_spent'] / total)} of all gold spent); {popular['weapon_type']} is bought "
        f"most often ({popular['purchases']:,} purchases)."
    )
    return finding, charts.bars(
        [x["weapon_type"] for x in r.rows], [x["gold_spent"] for x in r.rows], "Gold spent per weapon type", " gold"
    )


def _hosts(r: Result) -> tuple[str, str]:
    if not r.rows:
        return "No purchases in the lake yet.", ""
    best = max(r.rows, key=lambda x: x["gold_per_buyer"])
    worst = min(r.rows, key=lambda x: x["gold_per_buyer"])
    finding = (
        f"Buyers on {best['host_domain']} spend {best['gold_per_buyer']:,} gold each, "
        f"against {worst['gold_per_buyer']:,} on {worst['host_domain']}."
    )
    return finding, charts.bars(
        [x["host_domain"] for x in r.rows], [x["gold_per_buyer"] for x in r.rows], "Gold per buyer by network", " gold"
    )


def _guilds(r: Result) -> tuple[str, str]:
    if not r.rows:
        return "No guild joins in the lake yet.", ""
    top = r.rows[0]
    finding = (
        f"{top['guild_name']} (special power: {top['special_power']}) is the most joined guild "
        f"with {top['joins']:,} joins."
    )
    return finding, charts.bars(
        [f"{x['guild_name']} / {x['special_power']}" for x in r.rows],
        [x["joins"] for x in r.rows],
        "Joins per guild and special power",
    )


def _daily(r: Result) -> tuple[str, str]:
    if not r.rows:
        return "No activity in the lake yet.", ""
    peak = max(r.rows, key=lambda x: x["active_players"])
    finding = (
        f"Activity peaked on {peak['day']} with {peak['active_players']:,} active players and "
        f"{peak['events']:,} events, over {len(r.rows)} day(s) of data."
    )
    chart = charts.lines(
        [x["day"][5:] for x in r.rows],
        {"active players": [x["active_players"] for x in r.rows]},
        "Daily active players",
    )
    return finding, chart


def _funnel(r: Result) -> tuple[str, str]:
    row = r.rows[0] if r.rows else {"battled": 0, "then_joined_guild": 0, "then_purchased": 0}
    b, g, p = row["battled"], row["then_joined_guild"], row["then_purchased"]
    finding = (
        f"Of {b:,} players who fought a battle, {_pct(g / b if b else None)} then joined a guild "
        f"and {_pct(p / b if b else None)} went on to buy a weapon."
    )
    return finding, charts.bars(["fought a battle", "then joined a guild", "then bought a weapon"], [b, g, p], "Funnel")


def _segments(r: Result) -> tuple[str, str]:
    seg = {x["segment"]: x for x in r.rows}
    m, o = seg.get("guild member"), seg.get("not in a guild")
    if not m or not o:
        return "Not enough players in both segments yet.", ""
    ratio = m["gold_per_player"] / o["gold_per_player"] if o["gold_per_player"] else None
    finding = (
        f"Guild members spend {m['gold_per_player']:,} gold per player against "
        f"{o['gold_per_player']:,} for others"
        + (f" ({ratio:.1f}x)" if ratio else "")
        + f", and win {_pct(m['win_rate'])} of battles against {_pct(o['win_rate'])}."
    )
    return finding, charts.bars(
        [x["segment"] for x in r.rows], [x["gold_per_player"] for x in r.rows], "Gold per player by segment", " gold"
    )


def _retention(r: Result) -> tuple[str, str]:
    cohorts: dict[str, dict[int, int]] = {}
    for x in r.rows:
        cohorts.setdefault(x["cohort"], {})[x["day_offset"]] = x["players"]
    if not cohorts:
        return "No cohorts yet.", ""
    first = next(iter(cohorts))
    day1 = [c.get(1, 0) / c[0] for c in cohorts.values() if 0 in c and len(cohorts) > 1]
    finding = (
        f"{len(cohorts)} cohort(s); of the {cohorts[first].get(0, 0):,} players first seen on {first}, "
        f"{_pct(cohorts[first].get(1, 0) / cohorts[first][0] if cohorts[first].get(0) else None)} "
        f"came back the next day."
    )
    if day1:
        finding += f" Average next-day return across cohorts: {_pct(sum(day1) / len(day1))}."
    offsets = sorted({o for c in cohorts.values() for o in c})
    series = {k: [c.get(o, 0) / c[0] if c.get(0) else 0.0 for o in offsets] for k, c in cohorts.items()}
    return finding, charts.lines([f"day {o}" for o in offsets], series, "Share of cohort active")


def _quality_tables(r: Result) -> tuple[str, str]:
    total = sum(x["events"] for x in r.rows)
    late = sum(x["late_events"] for x in r.rows)
    p95 = max((x["p95_landing_s"] or 0 for x in r.rows), default=0)
    finding = (
        f"The lake holds {total:,} events; {_pct(late / total if total else None)} arrived more than "
        f"an hour after they happened (late); 95% of rows landed within {p95} s of being received."
    )
    return finding, charts.bars([x["table_name"] for x in r.rows], [x["events"] for x in r.rows], "Events per table")


def _quality_rejections(r: Result) -> tuple[str, str]:
    total = sum(x["rejected"] for x in r.rows)
    if not total:
        return "No input was rejected.", ""
    top = r.rows[0]
    finding = (
        f"{total:,} inputs were rejected and kept in bad_events; the most common problem is the "
        f'field {top["field"]} ({top["rejected"]:,}, e.g. "{top["example_reason"]}").'
    )
    return finding, charts.bars(
        [x["field"] for x in r.rows], [x["rejected"] for x in r.rows], "Rejected input by field"
    )


SECTIONS: list[tuple[str, str, Callable[[Result], tuple[str, str]]]] = [
    ("win_rate_by_enemy", "Battles: win rate and toughest enemies", _battles),
    ("weapons", "Weapons: what sells and what earns", _weapons),
    ("spend_by_host", "Spending by network", _hosts),
    ("guilds", "Guilds and special powers", _guilds),
    ("daily_activity", "Daily active players", _daily),
    ("funnel", "Funnel: battle, guild, purchase", _funnel),
    ("guild_members_vs_others", "Do guild members spend and win more?", _segments),
    ("retention", "Retention by first-seen day", _retention),
    ("quality_tables", "Data quality: volumes, late events, freshness", _quality_tables),
    ("quality_rejections", "Data quality: rejected input", _quality_rejections),
]


def build(results: dict[str, Result]) -> list[Section]:
    """Build every section in report order."""
    out = []
    for name, title, make in SECTIONS:
        finding, chart = make(results[name])
        out.append(Section(title, results[name].question, finding, chart, results[name]))
    return out


def as_text(value: Any) -> str:
    """Format a cell for tables."""
    if isinstance(value, float):
        return f"{value:,.4g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
