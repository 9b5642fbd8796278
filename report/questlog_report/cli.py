"""Write reports/report.html and reports/report.md from the lake: python -m questlog_report."""

from __future__ import annotations

import argparse
from pathlib import Path

from questlog_report import render, sections
from questlog_report.queries import run_all


def main(argv: list[str] | None = None) -> int:
    """Query Trino, build the sections and write both formats."""
    parser = argparse.ArgumentParser(prog="questlog-report", description=__doc__)
    parser.add_argument("--out", default="reports", help="output folder (default: reports)")
    parser.add_argument("--trino-host", default="127.0.0.1")
    parser.add_argument("--trino-port", type=int, default=8080)
    parser.add_argument("--user-prefix", help="only players whose user_id starts with this (e.g. one load run)")
    args = parser.parse_args(argv)
    built = sections.build(run_all(args.trino_host, args.trino_port, args.user_prefix))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.html").write_text(render.html(built))
    (out / "report.md").write_text(render.markdown(built))
    print(f"report written to {(out / 'report.html').resolve()} and {(out / 'report.md').resolve()}")
    for s in built:
        print(f"- {s.title}: {s.finding}")
    return 0
