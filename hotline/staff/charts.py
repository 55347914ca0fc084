"""Charts as server-rendered SVG: no script, no library, no network, nothing inline for the Content-Security-Policy
to refuse (colours and type come from classes in staff.css; geometry is SVG attributes).

Each chart is an <svg role="img"> named by its <title> and summed up by its <desc>, so a screen reader has the
gist; every bar or segment carries its own <title> (shown on hover) and the numbers are drawn as text, which a
reader and a test can read as well as the eye.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 720


@dataclass(frozen=True)
class Series:
    """One kind of thing a chart counts: its key in the data, what it is called, its colour class (staff.css)."""

    key: str
    label: str
    css: str


@dataclass(frozen=True)
class Column:
    """One column of a column chart: an x-axis label ("" for none), its full name, and a value per series key."""

    label: str
    title: str
    values: Mapping[str, int]


@dataclass(frozen=True)
class Bar:
    """One horizontal bar: its label (written above it), a value per series key, and a note after the total."""

    label: str
    values: Mapping[str, int]
    note: str = ""


def _nice_ceiling(value: int) -> int:
    """The axis' top: 1, 2 or 5 times a power of ten, at least `value` (and at least 1)."""
    if value <= 1:
        return 1
    power = int(10 ** int(math.floor(math.log10(value))))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power


def _svg(chart_id: str, title: str, description: str, height: int, body: list[str]) -> Markup:
    return Markup(
        f'<svg id="{escape(chart_id)}" class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" preserveAspectRatio="xMinYMin meet">'
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>'
        f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>' + "".join(body) + "</svg>")


def _text(x: float, y: float, text: object, css: str, anchor: str = "start") -> str:
    return (f'<text class="{css}" x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}">{escape(str(text))}</text>')


def column_chart(chart_id: str, title: str, description: str, columns: Sequence[Column],
                 series: Sequence[Series], *, height: int = 260) -> Markup:
    """Stacked columns (the first series at the bottom), each column's total written above it when there is room."""
    left, right, top, bottom = 44, 8, 22, 40
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    totals = [sum(column.values.get(s.key, 0) for s in series) for column in columns]
    ceiling = _nice_ceiling(max(totals, default=0))
    slot = plot_w / max(1, len(columns))
    bar_w = max(1.0, slot * 0.72)
    body = []
    for value in sorted({0, ceiling // 2, ceiling}):  # gridlines at whole numbers, with their values
        y = top + plot_h * (1 - value / ceiling)
        body.append(f'<line class="grid" x1="{left}" x2="{WIDTH - right}" y1="{y:.1f}" y2="{y:.1f}"/>')
        body.append(_text(left - 6, y + 4, value, "axis", "end"))
    for index, (column, total) in enumerate(zip(columns, totals, strict=True)):
        x = left + index * slot + (slot - bar_w) / 2
        base = float(top + plot_h)
        parts = []
        for s in series:
            value = column.values.get(s.key, 0)
            if value <= 0:
                continue
            h = plot_h * value / ceiling
            base -= h
            parts.append(f'<rect class="{escape(s.css)}" x="{x:.1f}" y="{base:.1f}" width="{bar_w:.1f}" '
                         f'height="{h:.1f}"><title>{escape(column.title)}: {escape(s.label)} {value}</title></rect>')
        body.append(f'<g class="column" data-total="{total}">' + "".join(parts))
        if total and bar_w >= 12:
            body.append(_text(x + bar_w / 2, base - 5, total, "total", "middle"))
        body.append("</g>")
        if column.label:
            body.append(_text(x + bar_w / 2, height - bottom + 16, column.label, "axis x", "middle"))
    return _svg(chart_id, title, description, height, body)


def bar_chart(chart_id: str, title: str, description: str, bars: Sequence[Bar], series: Sequence[Series], *,
              share: bool = False) -> Markup:
    """Horizontal bars, one a row with its label above it: stacked counts, or (share=True) each bar the whole of
    its row with every segment's percentage written on it. The row's total (and note) are written at its end."""
    row_h, bar_h, label_w = 44, 18, 110
    plot_w = WIDTH - label_w
    height = max(1, len(bars)) * row_h + 6
    totals = [sum(bar.values.get(s.key, 0) for s in series) for bar in bars]
    ceiling = max(totals, default=0) or 1
    body = []
    for index, (bar, total) in enumerate(zip(bars, totals, strict=True)):
        y = index * row_h + 18
        body.append(f'<g class="bar" data-total="{total}">')
        body.append(_text(0, y - 4, bar.label, "label"))
        scale = total if share else ceiling
        x = 0.0
        for s in series:
            value = bar.values.get(s.key, 0)
            if value <= 0 or not scale:
                continue
            w = plot_w * value / scale
            percent = f"{round(100 * value / total)}%" if total else ""
            name = f"{bar.label}: {s.label} {value}" + (f" ({percent})" if share else "")
            body.append(f'<rect class="{escape(s.css)}" x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{bar_h}">'
                        f'<title>{escape(name)}</title></rect>')
            if share and w >= 34:
                body.append(_text(x + w / 2, y + 13, percent, "on-bar", "middle"))
            x += w
        end = f"{total}" + (f" \u00b7 {bar.note}" if bar.note else "")
        body.append(_text((WIDTH - label_w + 8) if share else x + 6, y + 14, end, "value"))
        body.append("</g>")
    return _svg(chart_id, title, description, height, body)
