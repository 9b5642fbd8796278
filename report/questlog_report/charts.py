"""Small self-contained inline SVG charts (no plotting library, no external assets)."""

from __future__ import annotations

from html import escape

PALETTE = ("#3b6ea8", "#e07b39", "#5a9e6f", "#b5475b", "#8a6bb0", "#c9a227")


def bars(labels: list[str], values: list[float], title: str, unit: str = "", width: int = 640) -> str:
    """Render a horizontal bar chart."""
    row, left, pad = 24, 170, 60
    height = row * len(labels) + 40
    top = max(values, default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" class="chart"><title>{escape(title)}</title>'
    ]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 20 + i * row
        w = (width - left - pad) * value / top
        parts.append(
            f'<text x="{left - 6}" y="{y + 15}" text-anchor="end" font-size="12">{escape(str(label))[:26]}</text>'
        )
        parts.append(f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" fill="{PALETTE[0]}"/>')
        parts.append(f'<text x="{left + w + 4:.1f}" y="{y + 15}" font-size="11">{_fmt(value)}{escape(unit)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def lines(x: list[str], series: dict[str, list[float]], title: str, width: int = 640, height: int = 240) -> str:
    """Render a line chart of one or more series over shared x labels."""
    left, bottom, right, top_pad = 50, 40, 20, 20
    top = max((v for s in series.values() for v in s), default=0) or 1
    n = max(len(x) - 1, 1)
    sx = lambda i: left + (width - left - right) * i / n  # noqa: E731
    sy = lambda v: height - bottom - (height - bottom - top_pad) * v / top  # noqa: E731
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" class="chart"><title>{escape(title)}</title>',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" stroke="#999"/>',
        f'<text x="{left - 6}" y="{sy(top) + 4:.1f}" text-anchor="end" font-size="11">{_fmt(top)}</text>',
        f'<text x="{left - 6}" y="{height - bottom + 4}" text-anchor="end" font-size="11">0</text>',
    ]
    step = max(1, len(x) // 8)
    for i, label in enumerate(x):
        if i % step == 0:
            parts.append(
                f'<text x="{sx(i):.1f}" y="{height - bottom + 16}" text-anchor="middle" '
                f'font-size="10">{escape(label)}</text>'
            )
    for k, (name, values) in enumerate(series.items()):
        color = PALETTE[k % len(PALETTE)]
        points = " ".join(f"{sx(i):.1f},{sy(v):.1f}" for i, v in enumerate(values))
        parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{points}"/>')
        parts.append(
            f'<text x="{left + 10 + 150 * k}" y="{height - 6}" font-size="11" fill="{color}">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def tiles(labels: list[str], values: list[float], title: str, width: int = 640) -> str:
    """Render KPI tiles: one box per figure, the value large and its label under it."""
    n = max(len(labels), 1)
    w, h = width / n, 80
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{h}" '
        f'viewBox="0 0 {width} {h}" class="chart"><title>{escape(title)}</title>'
    ]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = i * w
        parts.append(f'<rect x="{x + 4:.1f}" y="4" width="{w - 8:.1f}" height="{h - 8}" rx="6" fill="#eef3f9"/>')
        shown = f"{value:,.1f}" if value != int(value) else f"{int(value):,}"
        parts.append(
            f'<text x="{x + w / 2:.1f}" y="40" text-anchor="middle" font-size="20" fill="{PALETTE[0]}">{shown}</text>'
        )
        parts.append(f'<text x="{x + w / 2:.1f}" y="62" text-anchor="middle" font-size="12">{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _fmt(value: float) -> str:
    if isinstance(value, float) and value < 1:
        return f"{value:.0%}"
    return f"{value:,.0f}"
