"""The opinion map as a server-rendered SVG: no JavaScript, readable without colour.

Each group has a colour from the Okabe–Ito palette (distinguishable with the common
colour-vision deficiencies) *and* its own marker shape, and its number is written at the
group's centre, so the map never relies on colour alone. Every marker has a dark outline
for contrast against the white background (WCAG 1.4.11). The SVG carries ``<title>`` and
``<desc>``; the page adds a data table and a text description next to it.

Large conversations are drawn as bins (one marker per occupied grid cell and group, sized
by how many people it holds) so the page stays small: the vTaiwan UberX map (1,900 people)
is a few hundred elements instead of 1,900.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

# Okabe & Ito (2008): blue, orange, bluish green, reddish purple, vermillion, sky blue,
# yellow, black, grey. Shapes in the same order.
PALETTE = [
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#D55E00",
    "#56B4E9",
    "#F0E442",
    "#000000",
    "#999999",
]
SHAPES = [
    "circle",
    "square",
    "triangle",
    "diamond",
    "triangle-down",
    "plus",
    "hexagon",
    "star",
    "cross",
]
OUTLINE = "#1a1a1a"
UNGROUPED = "#6b6b6b"
WIDTH, HEIGHT, PAD = 640, 420, 28
BIN_THRESHOLD = 400  # above this many people, draw bins instead of one marker each
BINS_X, BINS_Y = 32, 21


def colour(group_id: int) -> str:
    return PALETTE[group_id % len(PALETTE)]


def shape(group_id: int) -> str:
    return SHAPES[group_id % len(SHAPES)]


def _path(kind: str, r: float = 5.0) -> str:
    """A marker of radius ~``r`` centred on 0,0, as an SVG element string."""
    if kind == "circle":
        return f'<circle r="{r:g}"/>'
    if kind == "square":
        s = r * 0.9
        return f'<rect x="{-s:g}" y="{-s:g}" width="{2 * s:g}" height="{2 * s:g}"/>'

    def poly(points: Sequence[tuple[float, float]]) -> str:
        return '<polygon points="' + " ".join(f"{x:.2f},{y:.2f}" for x, y in points) + '"/>'

    def regular(n: int, start: float, radius: float) -> list[tuple[float, float]]:
        return [
            (
                radius * math.cos(start + 2 * math.pi * i / n),
                radius * math.sin(start + 2 * math.pi * i / n),
            )
            for i in range(n)
        ]

    if kind == "triangle":
        return poly(regular(3, -math.pi / 2, r * 1.2))
    if kind == "triangle-down":
        return poly(regular(3, math.pi / 2, r * 1.2))
    if kind == "diamond":
        return poly(regular(4, 0, r * 1.2))
    if kind == "hexagon":
        return poly(regular(6, 0, r * 1.05))
    if kind == "star":
        pts = []
        for i in range(10):
            rad = r * 1.3 if i % 2 == 0 else r * 0.55
            a = -math.pi / 2 + math.pi * i / 5
            pts.append((rad * math.cos(a), rad * math.sin(a)))
        return poly(pts)
    w = r * 0.45
    if kind == "plus":
        pts = [(-w, -r), (w, -r), (w, -w), (r, -w), (r, w), (w, w), (w, r), (-w, r), (-w, w)]
        pts += [(-r, w), (-r, -w), (-w, -w)]
        return poly(pts)
    # cross: the plus turned 45 degrees
    c, s_ = math.cos(math.pi / 4), math.sin(math.pi / 4)
    pts = [(-w, -r), (w, -r), (w, -w), (r, -w), (r, w), (w, w), (w, r), (-w, r), (-w, w)]
    pts += [(-r, w), (-r, -w), (-w, -w)]
    return poly([(x * c - y * s_, x * s_ + y * c) for x, y in pts])


def marker_svg(group_id: int | None, size: int = 16, label: str = "") -> Markup:
    """A small standalone marker for legends and tables (decorative: the text names it)."""
    half = size / 2
    if group_id is None:
        inner = f'<circle r="{half * 0.45:g}" fill="none" stroke="{UNGROUPED}" stroke-width="1.5"/>'
    else:
        inner = (
            f'<g fill="{colour(group_id)}" stroke="{OUTLINE}" stroke-width="1">'
            f"{_path(shape(group_id), half * 0.62)}</g>"
        )
    return Markup(  # noqa: S704 - only numbers and our constants
        f'<svg class="marker" width="{size}" height="{size}"'
        f' viewBox="{-half} {-half} {size} {size}"'
        f' aria-hidden="true" focusable="false">{inner}</svg>'
    )


@dataclass(frozen=True)
class MapData:
    """What the page needs besides the SVG: per-group centres for the table and text."""

    svg: Markup
    binned: bool
    points: int
    centres: dict[int, tuple[float, float]]  # group id -> (x, y) in map units (-1..1)
    ungrouped: int


def _scale(values: Sequence[float]) -> tuple[float, float]:
    lo, hi = (min(values), max(values)) if values else (-1.0, 1.0)
    if hi - lo < 1e-9:
        lo, hi = lo - 1, hi + 1
    return lo, hi


def render_map(
    result: Mapping[str, Any],
    title: str,
    description: str,
    labels: Mapping[int, str],
    viewer_id: int | None = None,
    you_label: str = "You",
) -> MapData:
    """The ``<svg>`` for an analysis result's projection and groups.

    ``labels``: group id -> accessible name ("Group 1"); ``viewer_id``: the logged-in
    participant, drawn with a ring and a label when they are on the map.
    """
    projection: Mapping[str, Sequence[float]] = result.get("projection") or {}
    member_group: dict[str, int] = {}
    for g in result.get("groups") or []:
        for m in g.get("members") or []:
            member_group[str(m)] = int(g["id"])
    xs = [float(p[0]) for p in projection.values()]
    ys = [float(p[1]) for p in projection.values()]
    x_lo, x_hi = _scale(xs)
    y_lo, y_hi = _scale(ys)
    span = max(x_hi - x_lo, y_hi - y_lo)
    cx_mid, cy_mid = (x_lo + x_hi) / 2, (y_lo + y_hi) / 2
    inner_w, inner_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD
    # One scale for both axes (distances mean the same in every direction).
    unit = min(inner_w, inner_h) / span if span else 1.0

    def to_px(x: float, y: float) -> tuple[float, float]:
        return (WIDTH / 2 + (x - cx_mid) * unit, HEIGHT / 2 - (y - cy_mid) * unit)

    n = len(projection)
    binned = n > BIN_THRESHOLD
    groups = sorted({*member_group.values()})
    parts: list[str] = []
    esc = escape
    parts.append(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="opinion-map"'
        f' viewBox="0 0 {WIDTH} {HEIGHT}"'
        f' role="img" aria-labelledby="map-title map-desc" preserveAspectRatio="xMidYMid meet">'
        f'<title id="map-title">{esc(title)}</title><desc id="map-desc">{esc(description)}</desc>'
    )
    parts.append("<defs>")
    for g in groups:
        parts.append(
            f'<g id="m{g}" fill="{colour(g)}" stroke="{OUTLINE}" stroke-width="0.8">'
            f"{_path(shape(g), 4.2)}</g>"
        )
    parts.append(
        f'<circle id="mu" r="2.6" fill="#ffffff" stroke="{UNGROUPED}" stroke-width="1.1"/>'
    )
    parts.append("</defs>")
    parts.append(f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>')
    ox, oy = to_px(0.0, 0.0)
    parts.append(
        f'<g stroke="#c8c8c8" stroke-width="1" aria-hidden="true">'
        f'<line x1="{PAD}" y1="{oy:.1f}" x2="{WIDTH - PAD}" y2="{oy:.1f}"/>'
        f'<line x1="{ox:.1f}" y1="{PAD}" x2="{ox:.1f}" y2="{HEIGHT - PAD}"/></g>'
    )
    sums: dict[int, list[float]] = {g: [0.0, 0.0, 0.0] for g in groups}
    ungrouped = 0
    for pid, (x, y) in projection.items():
        g = member_group.get(str(pid))
        if g is None:
            ungrouped += 1
        else:
            s = sums[g]
            s[0] += x
            s[1] += y
            s[2] += 1
    parts.append('<g aria-hidden="true">')
    if not binned:
        # Ungrouped first so grouped markers sit on top.
        for pid, (x, y) in sorted(projection.items(), key=lambda kv: kv[0] in member_group):
            px, py = to_px(float(x), float(y))
            g = member_group.get(str(pid))
            ref = "mu" if g is None else f"m{g}"
            parts.append(f'<use href="#{ref}" x="{px:.1f}" y="{py:.1f}"/>')
    else:
        cells: dict[tuple[int | None, int, int], int] = {}
        for pid, (x, y) in projection.items():
            px, py = to_px(float(x), float(y))
            bx = min(BINS_X - 1, max(0, int((px - PAD) / inner_w * BINS_X)))
            by = min(BINS_Y - 1, max(0, int((py - PAD) / inner_h * BINS_Y)))
            key = (member_group.get(str(pid)), bx, by)
            cells[key] = cells.get(key, 0) + 1
        cw, ch = inner_w / BINS_X, inner_h / BINS_Y
        order = sorted(cells.items(), key=lambda kv: (kv[0][0] is not None, -kv[1]))
        for (g, bx, by), count in order:
            px = PAD + (bx + 0.5) * cw
            py = PAD + (by + 0.5) * ch
            scale = min(2.6, 0.7 + 0.45 * math.sqrt(count))
            ref = "mu" if g is None else f"m{g}"
            parts.append(
                f'<use href="#{ref}" transform="translate({px:.1f} {py:.1f}) scale({scale:.2f})"/>'
            )
    parts.append("</g>")
    centres: dict[int, tuple[float, float]] = {}
    for g in groups:
        sx, sy, cnt = sums[g]
        if not cnt:
            continue
        centres[g] = (sx / cnt, sy / cnt)
        px, py = to_px(*centres[g])
        label = esc(labels.get(g, str(g + 1)))
        parts.append(
            f'<g class="group-label" aria-hidden="true"><text x="{px:.1f}" y="{py:.1f}"'
            f' text-anchor="middle" dominant-baseline="central" font-size="15" font-weight="700"'
            f' fill="#000000" stroke="#ffffff" stroke-width="4" paint-order="stroke">'
            f"{label}</text></g>"
        )
    if viewer_id is not None and str(viewer_id) in projection:
        x, y = projection[str(viewer_id)]
        px, py = to_px(float(x), float(y))
        parts.append(
            f'<g class="you" aria-hidden="true"><circle cx="{px:.1f}" cy="{py:.1f}" r="9"'
            f' fill="none" stroke="#000000" stroke-width="2.5"/>'
            f'<circle cx="{px:.1f}" cy="{py:.1f}" r="12" fill="none" stroke="#ffffff"'
            f' stroke-width="1.5"/><text x="{px + 14:.1f}" y="{py - 10:.1f}" font-size="13"'
            f' font-weight="700" fill="#000000" stroke="#ffffff" stroke-width="3"'
            f' paint-order="stroke">{esc(you_label)}</text></g>'
        )
    parts.append("</svg>")
    # Centres in map units relative to the plotted extent, for words like "left"/"right".
    rel = {
        g: ((c[0] - cx_mid) / (span / 2 or 1), (c[1] - cy_mid) / (span / 2 or 1))
        for g, c in centres.items()
    }
    return MapData(
        svg=Markup("".join(parts)),  # noqa: S704 - every text part escaped above
        binned=binned,
        points=n,
        centres=rel,
        ungrouped=ungrouped,
    )
