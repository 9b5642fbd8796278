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


def _cents(value: float | None, currency: str) -> str:
    return "n/a" if value is None else f"{value / 100:,.2f} {currency}"


def _kpis(r: Result) -> tuple[str, str]:
    k = r.rows[0] if r.rows else {}
    if not k.get("days"):
        return "No game days in the marts yet.", ""
    avg_s = k["avg_session_s"]
    finding = (
        f"{k['players']:,} players over {k['days']} day(s): {k['avg_dau']:,.1f} active per day on average, "
        f"{k['payers']:,} of them paid ({_pct(k['payers'] / k['players'] if k['players'] else None)} payer "
        f"conversion) in {k['purchases']:,} purchases; {k['sessions']:,} sessions of "
        f"{'n/a' if avg_s is None else f'{avg_s / 60:.1f} min'} on average; D1 retention {_pct(k['d1'])}, "
        f"D7 {_pct(k['d7'])}."
    )
    tiles = {
        "players": k["players"],
        "avg DAU": k["avg_dau"],
        "payers": k["payers"],
        "purchases": k["purchases"],
        "sessions": k["sessions"],
    }
    return finding, charts.tiles(list(tiles), [float(v or 0) for v in tiles.values()], "Game KPIs")


def _dau(r: Result) -> tuple[str, str]:
    if not r.rows:
        return "No daily activity in the marts yet.", ""
    peak = max(r.rows, key=lambda x: x["dau"])
    finding = (
        f"DAU peaked on {peak['day']} at {peak['dau']:,} players ({peak['new_players']:,} new, "
        f"{peak['returning_players']:,} returning), over {len(r.rows)} day(s)."
    )
    series = {
        "DAU": [float(x["dau"]) for x in r.rows],
        "new players": [float(x["new_players"]) for x in r.rows],
        "payers": [float(x["payers"]) for x in r.rows],
    }
    return finding, charts.lines([x["day"] for x in r.rows], series, "DAU, new players and payers per day")


def _revenue(r: Result) -> tuple[str, str]:
    if not r.rows:
        return "No real-money purchases in the marts yet.", ""
    totals: dict[str, int] = {}
    for x in r.rows:
        totals[x["currency"]] = totals.get(x["currency"], 0) + x["revenue_cents"]
    top = max(totals, key=lambda c: totals[c])
    finding = (
        "Revenue by currency (never summed across currencies): "
        + ", ".join(_cents(v, c) for c, v in sorted(totals.items(), key=lambda kv: -kv[1]))
        + f"; {top} earns the most."
    )
    days = sorted({x["day"] for x in r.rows})
    series = {c: [0.0] * len(days) for c in sorted(totals)}
    for x in r.rows:
        series[x["currency"]][days.index(x["day"])] = x["revenue_cents"] / 100
    return finding, charts.lines(days, series, "Revenue per day by currency (major units)")


def _mart_retention(r: Result) -> tuple[str, str]:
    if not r.rows:
        return "No cohort is old enough for D1 retention yet.", ""
    finding = "; ".join(
        f"D{x['day_offset']}: {_pct(x['rate'])} of {x['players']:,} players ({x['cohorts']} cohort(s))" for x in r.rows
    )
    return finding + ".", charts.bars(
        [f"D{x['day_offset']}" for x in r.rows], [float(x["rate"]) for x in r.rows], "Retention curve"
    )


def _purchase_funnel(r: Result) -> tuple[str, str]:
    k = r.rows[0] if r.rows else {}
    if not k.get("players"):
        return "No players in the marts yet.", ""
    steps = ["played_a_session", "completed_a_level", "won_a_battle", "made_a_purchase"]
    finding = (
        f"Of {k['players']:,} players, {_pct(k['played_a_session'] / k['players'])} played a session, "
        f"{_pct(k['completed_a_level'] / k['players'])} also completed a level, "
        f"{_pct(k['won_a_battle'] / k['players'])} also won a battle, and "
        f"{_pct(k['made_a_purchase'] / k['players'])} made a real-money purchase."
    )
    return finding, charts.bars(
        [s.replace("_", " ") for s in steps], [float(k[s]) for s in steps], "Funnel to first purchase", " players"
    )


def _arppu_platform(r: Result) -> tuple[str, str]:
    if not r.rows:
        return "No paying players in the marts yet.", ""
    top = r.rows[0]
    finding = (
        f"Paying players on {top['platform']} spend the most in {top['currency']}: "
        f"{_cents(top['arppu_cents'], top['currency'])} each ({top['payers']:,} payers)."
    )
    labels = [f"{x['platform']} {x['currency']}" for x in r.rows]
    return finding, charts.bars(labels, [x["arppu_cents"] / 100 for x in r.rows], "ARPPU by platform and currency")


def _economy(r: Result) -> tuple[str, str]:
    if not r.rows:
        return "No currency changes in the marts yet.", ""
    by: dict[str, list[int]] = {}
    for x in r.rows:
        acc = by.setdefault(x["currency_name"], [0, 0])
        acc[0] += x["source_amount"]
        acc[1] += x["sink_amount"]
    finding = "; ".join(f"{c}: {src:,} in, {sink:,} out (net {src - sink:+,})" for c, (src, sink) in sorted(by.items()))
    labels = [f"{x['currency_name']} {x['reason']}" for x in r.rows]
    values = [float(x["source_amount"] - x["sink_amount"]) for x in r.rows]
    return finding + ".", charts.bars(labels, [abs(v) for v in values], "Sources and sinks by reason (absolute)")


def _levels(r: Result) -> tuple[str, str]:
    if not r.rows:
        return "No level attempts in the marts yet.", ""
    top = r.rows[0]
    median = top["median_duration_s"]
    finding = (
        f"Level {top['level']} is the hardest: {_pct(top['fail_rate'])} of {top['completes'] + top['fails']:,} "
        f"attempts fail; completing it takes a median {'n/a' if median is None else f'{median:,.0f} s'}."
    )
    return finding, charts.bars(
        [f"level {x['level']}" for x in r.rows], [float(x["fail_rate"]) for x in r.rows], "Fail rate, hardest levels"
    )


def _marts(make: Callable[[Result], tuple[str, str]]) -> Callable[[Result], tuple[str, str]]:
    def build(r: Result) -> tuple[str, str]:
        return (r.missing, "") if r.missing else make(r)

    return build


SECTIONS: list[tuple[str, str, Callable[[Result], tuple[str, str]]]] = [
    ("marts_kpis", "Game KPIs", _marts(_kpis)),
    ("marts_dau", "Daily active players, new and returning", _marts(_dau)),
    ("marts_revenue", "Real-money revenue per day", _marts(_revenue)),
    ("marts_retention", "Retention curve: D1, D7, D30", _marts(_mart_retention)),
    ("marts_purchase_funnel", "Funnel to first purchase", _marts(_purchase_funnel)),
    ("marts_arppu_platform", "ARPPU by platform", _marts(_arppu_platform)),
    ("marts_economy", "Economy: sources and sinks", _marts(_economy)),
    ("marts_levels", "Progression: the hardest levels", _marts(_levels)),
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
