"""The planned-vs-actual history chart as an accessible SVG (no JavaScript).

Like the opinion map (:mod:`participate.reports.svg`): the ``<svg>`` is one image with a
title and a description (``role="img"``), its drawing is hidden from assistive technology,
and the page puts the same figures in a table next to it. The two lines differ by dash and
marker shape as well as colour, and both colours contrast at least 3:1 with the white
background (WCAG 1.4.11), so the chart reads in greyscale too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 52, 16, 16, 44
PLANNED_COLOUR = "#8a4b00"  # 6.0:1 on white
ACTUAL_COLOUR = "#0b4f8a"  # 8.3:1 on white
GRID = "#d0d4da"
LABEL_GAP = 84  # pixels between two date labels (a date is about 70 wide)
INK = "#1f2328"


@dataclass(frozen=True)
class Series:
    """One line: its values (percent, 0 to 100) at the chart's dates."""

    key: str  # "planned" or "actual": decides dash and marker
    values: Sequence[float]


def _marker(key: str, x: float, y: float) -> str:
    if key == "planned":
        return (
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4.5" fill="#ffffff"'
            f' stroke="{PLANNED_COLOUR}" stroke-width="2"/>'
        )
    return f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{ACTUAL_COLOUR}"/>'


def legend_marker(key: str) -> Markup:
    """A small standalone sample of a line for the legend (decorative: the text names it)."""
    colour = PLANNED_COLOUR if key == "planned" else ACTUAL_COLOUR
    dash = ' stroke-dasharray="6 4"' if key == "planned" else ""
    return Markup(  # noqa: S704 - only our constants
        '<svg class="legend-line" width="36" height="12" viewBox="0 0 36 12" aria-hidden="true"'
        f' focusable="false"><line x1="0" y1="6" x2="36" y2="6" stroke="{colour}"'
        f' stroke-width="2.5"{dash}/>{_marker(key, 18, 6)}</svg>'
    )


def _date_labels(start: date, dates: Sequence[date], px: Any) -> list[tuple[date, str]]:
    """The dates to label on the axis, at least ``LABEL_GAP`` pixels apart: the start and
    the latest always, the others when there is room. The first label is anchored at its
    start and the last at its end, so neither runs off the chart."""
    days = sorted({start, *dates})
    shown = [days[0]]
    for day in days[1:-1]:
        if px(day) - px(shown[-1]) >= LABEL_GAP and px(days[-1]) - px(day) >= LABEL_GAP:
            shown.append(day)
    if len(days) > 1:
        shown.append(days[-1])
    if len(shown) == 2 and px(shown[1]) - px(shown[0]) < LABEL_GAP:
        shown = shown[1:]  # one report on the start day's heels: label the report
    anchors = []
    for i, day in enumerate(shown):
        anchor = "middle"
        if i == 0 and px(day) - LEFT < LABEL_GAP / 2:
            anchor = "start"
        if i == len(shown) - 1 and WIDTH - RIGHT - px(day) < LABEL_GAP / 2:
            anchor = "end"
        anchors.append((day, anchor))
    return anchors


def render(
    start: date,
    dates: Sequence[date],
    series: Sequence[Series],
    title: str,
    description: str,
    ids: str = "progress",
) -> Markup:
    """The chart over ``start`` .. the last date, each series starting from 0 at ``start``
    (nothing is done before a project starts). ``ids`` keeps element ids unique when a page
    has two charts."""
    end = max([start, *dates])
    span = max((end - start).days, 1)
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def px(day: date) -> float:
        return LEFT + inner_w * (day - start).days / span

    def py(value: float) -> float:
        return TOP + inner_h * (1 - max(0.0, min(100.0, value)) / 100)

    esc = escape
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="history-chart" viewBox="0 0 {WIDTH}'
        f' {HEIGHT}" role="img" aria-labelledby="{ids}-title {ids}-desc"'
        f' preserveAspectRatio="xMidYMid meet"><title id="{ids}-title">{esc(title)}</title>'
        f'<desc id="{ids}-desc">{esc(description)}</desc>',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
        f'<g aria-hidden="true" font-size="12" fill="{INK}">',
    ]
    for tick in (0, 25, 50, 75, 100):
        y = py(tick)
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="{GRID}"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{tick}%</text>'
        )
    for day, anchor in _date_labels(start, dates, px):
        x = px(day)
        parts.append(
            f'<line x1="{x:.1f}" y1="{TOP + inner_h}" x2="{x:.1f}" y2="{TOP + inner_h + 4}"'
            f' stroke="{INK}"/><text x="{x:.1f}" y="{TOP + inner_h + 18}"'
            f' text-anchor="{anchor}">{day.isoformat()}</text>'
        )
    parts.append(
        f'<line x1="{LEFT}" y1="{TOP + inner_h}" x2="{WIDTH - RIGHT}" y2="{TOP + inner_h}"'
        f' stroke="{INK}"/></g><g aria-hidden="true">'
    )
    for s in series:
        colour = PLANNED_COLOUR if s.key == "planned" else ACTUAL_COLOUR
        dash = ' stroke-dasharray="6 4"' if s.key == "planned" else ""
        points = [(px(start), py(0.0))] + [
            (px(d), py(float(v))) for d, v in zip(dates, s.values, strict=True)
        ]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2.5"'
            f' stroke-linejoin="round"{dash}/>'
        )
        parts.extend(_marker(s.key, x, y) for x, y in points[1:])
    parts.append("</g></svg>")
    return Markup("".join(parts))  # noqa: S704 - every text part escaped above
