"""The per-scenario results table: test-artifacts/chaos/results.json and results.md, rewritten after each row."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from questlog_stack.paths import ROOT

OUT = ROOT / "test-artifacts" / "chaos"
COLUMNS = (
    ("scenario", "scenario"),
    ("sent", "sent"),
    ("acknowledged", "acked"),
    ("refused", "refused (503)"),
    ("no_answer", "no answer"),
    ("landed", "landed"),
    ("duplicates", "duplicates"),
    ("lost", "lost"),
    ("refused_but_landed", "refused but landed"),
    ("no_answer_but_landed", "no answer but landed"),
    ("resent", "resent"),
    ("missing_after_resend", "missing after resend"),
    ("recovery_s", "recovery (s)"),
    ("api_outage_s", "client-visible outage (s)"),
)


class Results:
    """Rows of one `make chaos` run; each add() rewrites both files, so an aborted run keeps what it had."""

    def __init__(self, out: Path = OUT) -> None:
        self.out = out
        self.rows: list[dict[str, Any]] = []

    def add(self, row: dict[str, Any]) -> None:
        """Record one scenario's numbers."""
        self.rows = [r for r in self.rows if r["scenario"] != row["scenario"]] + [row]
        self.out.mkdir(parents=True, exist_ok=True)
        (self.out / "results.json").write_text(json.dumps(self.rows, indent=2, sort_keys=True) + "\n")
        (self.out / "results.md").write_text(self.markdown())

    def markdown(self) -> str:
        """Render the rows as a Markdown table."""
        lines = [
            "| " + " | ".join(title for _, title in COLUMNS) + " |",
            "|" + "---|" * len(COLUMNS),
        ]
        for row in self.rows:
            lines.append("| " + " | ".join(_cell(row.get(key)) for key, _ in COLUMNS) + " |")
        return "\n".join(lines) + "\n"


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
