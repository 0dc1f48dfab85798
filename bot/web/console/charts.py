"""Server-side SVG charts for the monthly report: no JavaScript, no CDN, prints as drawn.

Labels are escaped here (markupsafe) because the result is inserted into templates as Markup;
the few words a chart writes itself come from the staff catalogue.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from markupsafe import Markup, escape

from bot import texts

PALETTE = ("#2f6b3f", "#4f9a5f", "#8cc08f", "#d9a441", "#c0583f", "#5b7fa8", "#8a6fb0", "#7a7a7a")


def _empty() -> Markup:
    """What a chart without data shows instead."""
    return Markup('<p class="empty">{}</p>').format(texts.text("staff", "console.charts.empty"))


def bar_chart(
    items: Sequence[tuple[str, int]], *, width: int = 520, bar: int = 22, title: str = ""
) -> Markup:
    """Horizontal bars, one per (label, value), largest first as given."""
    if not items:
        return _empty()
    label_w, gap = 110, 6
    height = len(items) * (bar + gap) + 10
    top = max(v for _, v in items) or 1
    scale = (width - label_w - 60) / top
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}"'
        f' width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, (label, value) in enumerate(items):
        y = 5 + i * (bar + gap)
        w = max(1.0, value * scale)
        parts.append(
            f'<text x="{label_w - 8}" y="{y + bar * 0.7:.1f}" text-anchor="end" font-size="13">'
            f"{escape(label)}</text>"
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar}" fill="{PALETTE[0]}" rx="2"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + bar * 0.7:.1f}" font-size="13">{value}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def pie_chart(items: Sequence[tuple[str, int]], *, size: int = 180, title: str = "") -> Markup:
    """A donut with a legend; slices in the order given."""
    total = sum(v for _, v in items)
    if not total:
        return _empty()
    r, cx, cy = size / 2 - 4, size / 2, size / 2
    legend_w = 200
    height = max(size, len(items) * 22 + 10)
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {size + legend_w} {height}"'
        f' width="{size + legend_w}" height="{height}" xmlns="http://www.w3.org/2000/svg">'
    ]
    angle = -math.pi / 2
    for i, (label, value) in enumerate(items):
        color = PALETTE[i % len(PALETTE)]
        if value == total:
            parts.append(f'<circle cx="{cx}" cy="{cy}" r="{r}" fill="{color}"/>')
        elif value:
            end = angle + 2 * math.pi * value / total
            large = 1 if end - angle > math.pi else 0
            x1, y1 = cx + r * math.cos(angle), cy + r * math.sin(angle)
            x2, y2 = cx + r * math.cos(end), cy + r * math.sin(end)
            parts.append(
                f'<path d="M{cx},{cy} L{x1:.2f},{y1:.2f} A{r},{r} 0 {large} 1 {x2:.2f},{y2:.2f} Z"'
                f' fill="{color}"/>'
            )
            angle = end
        ly = 8 + i * 22
        parts.append(
            f'<rect x="{size + 12}" y="{ly}" width="14" height="14" fill="{color}"/>'
            f'<text x="{size + 32}" y="{ly + 12}" font-size="13">{escape(label)} {value}'
            f"（{100 * value / total:.0f}%）</text>"
        )
    parts.append(f'<circle cx="{cx}" cy="{cy}" r="{r * 0.5:.1f}" fill="#fff"/>')
    parts.append(
        f'<text x="{cx}" y="{cy + 5}" text-anchor="middle" font-size="15" font-weight="bold">{total}</text>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))


def position_map(lat: float, lon: float, *, size: int = 240) -> Markup:
    """An offline position sketch: a 2 km grid around the point with its coordinates.

    No map tiles are reachable from the office network, so this shows where the point is
    and the numbers to type into the map software on the staff's own machine.
    """
    half = size / 2
    label = escape(texts.text("staff", "console.charts.map_label"))
    scale = escape(texts.text("staff", "console.charts.map_scale"))
    parts = [
        f'<svg class="map" role="img" aria-label="{label}" viewBox="0 0 {size} {size}" width="{size}"'
        f' height="{size}" xmlns="http://www.w3.org/2000/svg">'
        f'<rect width="{size}" height="{size}" fill="#eef4ee" stroke="#9bb59f"/>'
    ]
    step = size / 8
    for i in range(1, 8):
        parts.append(
            f'<line x1="{i * step}" y1="0" x2="{i * step}" y2="{size}" stroke="#d3e0d4"/>'
            f'<line x1="0" y1="{i * step}" x2="{size}" y2="{i * step}" stroke="#d3e0d4"/>'
        )
    parts.append(
        f'<circle cx="{half}" cy="{half}" r="7" fill="#c0583f" stroke="#fff" stroke-width="2"/>'
        f'<text x="6" y="16" font-size="11">{scale}</text>'
        f'<text x="6" y="{size - 8}" font-size="11">{lat:.6f}, {lon:.6f}</text></svg>'
    )
    return Markup("".join(parts))
