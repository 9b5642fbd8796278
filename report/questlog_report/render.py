"""Write the report as a self-contained HTML page and as Markdown."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

from questlog_report.sections import Section, as_text

STYLE = """body{font-family:system-ui,sans-serif;max-width:900px;margin:2em auto;color:#222}
h1{border-bottom:2px solid #3b6ea8}section{margin:2em 0}.q{color:#555;font-style:italic}
.finding{background:#eef3f9;padding:.6em 1em;border-left:4px solid #3b6ea8}
table{border-collapse:collapse;font-size:13px;margin-top:.5em}td,th{border:1px solid #ccc;padding:2px 8px}
th{background:#f4f4f4}td.n{text-align:right}"""


def _table_html(section: Section, limit: int = 20) -> str:
    cols = section.result.columns
    head = "".join(f"<th>{escape(c)}</th>" for c in cols)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="{"n" if isinstance(row[c], int | float) else ""}">{escape(as_text(row[c]))}</td>' for c in cols
        )
        + "</tr>"
        for row in section.result.rows[:limit]
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def html(sections: list[Section], generated: datetime | None = None) -> str:
    """Return the report as one HTML document with inline SVG charts."""
    when = (generated or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>questlog: player '
        f"behaviour report</title><style>{STYLE}</style></head><body>",
        f"<h1>Player behaviour report</h1><p>From <code>lake.game</code> in Trino, {when}.</p>",
    ]
    for s in sections:
        parts.append(
            f'<section><h2>{escape(s.title)}</h2><p class="q">{escape(s.question)}</p>'
            f'<p class="finding">{escape(s.finding)}</p>{s.chart}{_table_html(s)}</section>'
        )
    parts.append("</body></html>")
    return "\n".join(parts)


_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]|"})


def md_text(value: str) -> str:
    """Make text from the lake inert in Markdown: HTML escaped (a Markdown viewer renders raw HTML),
    Markdown's emphasis, code, link and table characters backslash-escaped, newlines flattened."""
    flat = " ".join(value.splitlines())
    return escape(flat, quote=False).translate(_MD_SPECIAL)


def markdown(sections: list[Section], generated: datetime | None = None) -> str:
    """Return the report as Markdown (tables, no charts)."""
    when = (generated or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    out = ["# Player behaviour report", "", f"From `lake.game` in Trino, {when}.", ""]
    for s in sections:
        cols = s.result.columns
        out += [
            f"## {md_text(s.title)}",
            "",
            f"*{md_text(s.question)}*",
            "",
            f"**Finding:** {md_text(s.finding)}",
            "",
            "| " + " | ".join(md_text(c) for c in cols) + " |",
            "|" + "---|" * len(cols),
        ]
        out += ["| " + " | ".join(md_text(as_text(r[c])) for c in cols) + " |" for r in s.result.rows[:20]]
        out.append("")
    return "\n".join(out)
