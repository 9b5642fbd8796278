"""The report's pure parts: query scoping, findings and rendering from literal results."""

from __future__ import annotations

import pytest
from questlog_report import render, sections
from questlog_report.queries import SQL_DIR, Result, question_of, scoped


def test_report_scope_rewrites_every_lake_table():
    for path in SQL_DIR.glob("*.sql"):
        sql = scoped(path.read_text(), "run1-")
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
