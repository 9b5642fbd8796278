"""Write reports/report.html and reports/report.md from the lake: python -m questlog_report."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path

from questlog_core.settings import SettingsError, add_arguments

from questlog_report import render, sections
from questlog_report.queries import run_all
from questlog_report.settings import PREFIX, Settings


def parse(argv: list[str] | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """CLI flags, each defaulting to its QUESTLOG_REPORT_* variable, then to the built-in default."""
    parser = argparse.ArgumentParser(prog="python -m questlog_report", description=__doc__)
    try:
        base = Settings.from_env(env)
    except SettingsError as exc:
        parser.error(str(exc))
    add_arguments(parser, base, PREFIX)
    return Settings(**vars(parser.parse_args(argv)))


def main(argv: list[str] | None = None) -> int:
    """Query Trino, build the sections and write both formats."""
    settings = parse(argv)
    built = sections.build(run_all(settings.trino_host, settings.trino_port, settings.user_prefix or None))
    out = Path(settings.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.html").write_text(render.html(built))
    (out / "report.md").write_text(render.markdown(built))
    print(f"report written to {(out / 'report.html').resolve()} and {(out / 'report.md').resolve()}")
    for s in built:
        print(f"- {s.title}: {s.finding}")
    return 0
