"""The report's pure parts: query scoping, findings and rendering from literal results."""

from __future__ import annotations

import pytest
from questlog_report import render, sections
from questlog_report.queries import MARTS_PREFIX, SQL_DIR, Result, question_of, scoped


def test_report_scope_rewrites_every_lake_table():
    for path in SQL_DIR.glob("*.sql"):
        sql = scoped(path.read_text(), "run1-")
        if path.stem.startswith(MARTS_PREFIX):
            # The marts hold what `make models` built (its own scope); the report reads them as they are.
            assert "lake.marts." in sql and "lake.game." not in sql, path.name
            continue
        assert "lake.game." in sql
        assert sql.count("lake.game.") == sql.count("where user_id like 'run1-%'"), path.name
    with pytest.raises(ValueError):
        scoped("select 1", "x'; drop table t; --")


def _result(name: str, rows: list[dict]) -> Result:
    return Result(name, "q?", list(rows[0]) if rows else [], rows)


def test_findings_are_computed_from_the_rows():
    finding, chart = sections._battles(
        _result(
            "win_rate_by_enemy",
            [
                {"enemy": "goblin", "battles": 30, "wins": 27, "losses": 3, "win_rate": 0.9},
                {"enemy": "dragon", "battles": 10, "wins": 2, "losses": 8, "win_rate": 0.2},
            ],
        )
    )
    assert finding == (
        "Players won 72.5% of 40 battles. They fight goblin most (30 battles); "
        "dragon beats them most often (win rate 20.0%)."
    )
    assert chart.startswith("<svg") and "dragon" in chart


def test_every_sql_file_states_its_question_and_has_a_section():
    names = {p.stem for p in SQL_DIR.glob("*.sql")}
    assert names == {name for name, _title, _make in sections.SECTIONS}
    for path in SQL_DIR.glob("*.sql"):
        assert question_of(path.read_text()).endswith("?"), path.name


def test_empty_lake_still_renders():
    empty = {name: _result(name, []) for name, _t, _m in sections.SECTIONS}
    built = sections.build(empty)
    page = render.html(built)
    assert page.count("<section>") == len(sections.SECTIONS)
    assert "No battles in the lake yet." in render.markdown(built)


def test_marts_sections_say_when_the_marts_are_not_built_and_compute_findings_when_they_are():
    missing = Result("marts_levels", "q?", [], [], "lake.marts is not built yet (TABLE_NOT_FOUND): run `make models`")
    assert sections._marts(sections._levels)(missing) == (missing.missing, "")
    rows = [
        {
            "level": 7,
            "starts": 40,
            "completes": 10,
            "fails": 30,
            "players": 9,
            "fail_rate": 0.75,
            "median_duration_s": 95.5,
        },
        {
            "level": 2,
            "starts": 20,
            "completes": 15,
            "fails": 5,
            "players": 9,
            "fail_rate": 0.25,
            "median_duration_s": 40.0,
        },
    ]
    finding, chart = sections._marts(sections._levels)(_result("marts_levels", rows))
    assert finding == "Level 7 is the hardest: 75.0% of 40 attempts fail; completing it takes a median 96 s."
    assert chart.startswith("<svg") and "level 2" in chart
    revenue = [
        {"day": "2026-11-20", "currency": "USD", "revenue_cents": 499},
        {"day": "2026-11-21", "currency": "EUR", "revenue_cents": 1099},
        {"day": "2026-11-21", "currency": "USD", "revenue_cents": 99},
    ]
    finding, _chart = sections._revenue(_result("marts_revenue", revenue))
    assert finding == ("Revenue by currency (never summed across currencies): 10.99 EUR, 5.98 USD; EUR earns the most.")


def test_markdown_escapes_what_comes_from_the_lake():
    hostile = "<script>alert(1)</script> | **bold** [link](http://x) `code`\nnext"
    rows = [{"weapon_type": hostile, "purchases": 1, "gold_spent": 5, "avg_price": 5.0}]
    results = {name: _result(name, rows if name == "weapons" else []) for name, _t, _m in sections.SECTIONS}
    built = sections.build(results)
    md = render.markdown(built)
    assert "<script>" not in md and "&lt;script&gt;" in md
    assert "[link](" not in md and "**bold**" not in md and "\nnext" not in md
    assert r"\| \*\*bold\*\* \[link\](http://x) \`code\` next" in md


def test_report_flags_default_to_their_variables_and_errors_name_them(capsys):
    from questlog_report.cli import parse

    assert parse([], {}).trino_port == 8080
    env = {"QUESTLOG_REPORT_TRINO_PORT": "8443", "QUESTLOG_REPORT_USER_PREFIX": "run1-"}
    assert parse([], env).trino_port == 8443
    assert parse([], env).user_prefix == "run1-"
    assert parse(["--trino-port", "9000"], env).trino_port == 9000
    with pytest.raises(SystemExit):
        parse([], {"QUESTLOG_REPORT_TRINO_PORT": "http"})
    assert "QUESTLOG_REPORT_TRINO_PORT must be an integer" in capsys.readouterr().err
