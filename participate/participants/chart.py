"""The representativeness chart: participants' share beside the population's, per category.

Server-rendered SVG (no JavaScript, no inline style: the CSP forbids it). Each category has
two bars, told apart by more than colour: participants are a solid dark bar, the population
a white bar with a dark outline and diagonal hatching, and every bar carries its number as
text. The page puts a data table with the same numbers beside it.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from participate.participants.weighting import Part

LABEL_W, BAR_W, ROW_H, PAD = 96, 210, 36, 8
PARTICIPANTS = "#1f4e79"
OUTLINE = "#1a1a1a"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f}%"


def render(
    part: Part, title: str, desc: str, participants: str, population: str, hidden: str
) -> Markup:
    """The SVG for one part of the profile; ``participants``/``population`` name the two
    bars, ``hidden`` is what a hidden count says ("fewer than 5")."""
    rows = [r for r in part.rows if r.population is not None or r.count is not None]
    width = LABEL_W + BAR_W + 54
    height = PAD * 2 + ROW_H * len(rows) + 24
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="rep-chart" viewBox="0 0 {width} {height}"'
        f' role="img" aria-labelledby="rc-{part.key}-t rc-{part.key}-d">'
        f'<title id="rc-{part.key}-t">{escape(title)}</title>'
        f'<desc id="rc-{part.key}-d">{escape(desc)}</desc>'
        '<defs><pattern id="hatch-' + part.key + '" width="6" height="6"'
        ' patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        f'<rect width="6" height="6" fill="#ffffff"/><line x1="0" y1="0" x2="0" y2="6"'
        f' stroke="#5a5a5a" stroke-width="1.5"/></pattern></defs>'
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        '<g aria-hidden="true" font-size="13" fill="#000000">',
        f'<rect x="{LABEL_W}" y="4" width="12" height="10" fill="{PARTICIPANTS}"/>'
        f'<text x="{LABEL_W + 16}" y="13">{escape(participants)}</text>'
        f'<rect x="{LABEL_W + 110}" y="4" width="12" height="10" fill="url(#hatch-{part.key})"'
        f' stroke="{OUTLINE}"/><text x="{LABEL_W + 126}" y="13">{escape(population)}</text>',
    ]
    top = PAD + 20
    for i, row in enumerate(rows):
        y = top + i * ROW_H
        out.append(
            f'<text x="{LABEL_W - 6}" y="{y + 16}" text-anchor="end">{escape(row.label)}</text>'
        )
        if row.share is not None:
            w = max(1.0, BAR_W * row.share)
            out.append(
                f'<rect x="{LABEL_W}" y="{y + 2}" width="{w:.1f}" height="12"'
                f' fill="{PARTICIPANTS}"/><text x="{LABEL_W + w + 4:.1f}" y="{y + 12}">'
                f"{_pct(row.share)}</text>"
            )
        else:
            out.append(f'<text x="{LABEL_W + 2}" y="{y + 12}">{escape(hidden)}</text>')
        if row.population is not None:
            w = max(1.0, BAR_W * row.population)
            out.append(
                f'<rect x="{LABEL_W}" y="{y + 16}" width="{w:.1f}" height="12"'
                f' fill="url(#hatch-{part.key})" stroke="{OUTLINE}" stroke-width="1"/>'
                f'<text x="{LABEL_W + w + 4:.1f}" y="{y + 26}">{_pct(row.population)}</text>'
            )
    out.append("</g></svg>")
    return Markup("".join(out))  # noqa: S704 - every text part escaped above
