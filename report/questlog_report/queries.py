"""Run the report's .sql files (report/sql, one question per file) against Trino."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import trino
import trino.exceptions

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


@dataclass(frozen=True)
class Result:
    """Rows of one query, as dicts keyed by column name."""

    name: str
    question: str
    columns: list[str]
    rows: list[dict[str, Any]]
    # Why there are no rows when the query could not run (the marts are not built yet), else None.
    missing: str | None = None


# Report queries over the marts (lake.marts, built by `make models`) are named marts_*.sql.
MARTS_PREFIX = "marts_"


def question_of(sql: str) -> str:
    """Return the question a query answers (its first `--` comment line)."""
    first = sql.strip().splitlines()[0]
    return first.lstrip("-").strip().capitalize() if first.startswith("--") else ""


# Every relation a report query reads from the lake (event tables, bad_events, the all_events view).
_TABLE = re.compile(r"\blake\.game\.([a-z_][a-z0-9_]*)\b")


def scoped(sql: str, user_prefix: str | None) -> str:
    """Restrict every lake table a query reads to players whose user_id starts with a prefix."""
    if not user_prefix:
        return sql
    if not re.fullmatch(r"[A-Za-z0-9_.:-]+", user_prefix):
        raise ValueError(f"user prefix {user_prefix!r} may only hold letters, digits and _.:-")
    return _TABLE.sub(
        lambda m: f"(select * from {m.group(0)} where user_id like '{user_prefix}%') as {m.group(1)}", sql
    )


_NOT_BUILT = {"TABLE_NOT_FOUND", "SCHEMA_NOT_FOUND"}


def run_all(host: str = "127.0.0.1", port: int = 8080, user_prefix: str | None = None) -> dict[str, Result]:
    """Run every report query (optionally scoped to a user_id prefix); return results by file stem."""
    conn = trino.dbapi.connect(host=host, port=port, user="questlog-report", catalog="lake", schema="game")
    results = {}
    try:
        cur = conn.cursor()
        for path in sorted(SQL_DIR.glob("*.sql")):
            sql = path.read_text()
            try:
                cur.execute(scoped(sql, user_prefix))
                rows = cur.fetchall()
            except trino.exceptions.TrinoUserError as exc:
                if not path.stem.startswith(MARTS_PREFIX) or exc.error_name not in _NOT_BUILT:
                    raise
                why = f"lake.marts is not built yet ({exc.error_name}): run `make models`"
                results[path.stem] = Result(path.stem, question_of(sql), [], [], why)
                continue
            columns = [d[0] for d in cur.description]
            results[path.stem] = Result(
                path.stem, question_of(sql), columns, [dict(zip(columns, r, strict=True)) for r in rows]
            )
    finally:
        conn.close()
    return results
