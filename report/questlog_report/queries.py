"""Run the report's .sql files (report/sql, one question per file) against Trino."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import trino

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


@dataclass(frozen=True)
class Result:
    """Rows of one query, as dicts keyed by column name."""

    name: str
    question: str
    columns: list[str]
    rows: list[dict[str, Any]]


def question_of(sql: str) -> str:
    """Return the question a query answers (its first `--` comment line)."""
    first = sql.strip().splitlines()[0]
    return first.lstrip("-").strip().capitalize() if first.startswith("--") else ""


def run_all(host: str = "127.0.0.1", port: int = 8080) -> dict[str, Result]:
    """Run every report query; return results by file stem."""
    conn = trino.dbapi.connect(host=host, port=port, user="questlog-report", catalog="lake", schema="game")
    results = {}
    try:
        cur = conn.cursor()
        for path in sorted(SQL_DIR.glob("*.sql")):
            sql = path.read_text()
            cur.execute(sql)
            rows = cur.fetchall()
            columns = [d[0] for d in cur.description]
            results[path.stem] = Result(
                path.stem, question_of(sql), columns, [dict(zip(columns, r, strict=True)) for r in rows]
            )
    finally:
        conn.close()
    return results
