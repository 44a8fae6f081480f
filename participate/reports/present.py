"""Turns a stored analysis result into what the report page, print view and exports show.

Pure reading: one analysis row (its JSON parsed once per process and cached by row id,
rows never change after success) plus the discussion's current statements, so statements
hidden by a moderator after the analysis disappear from the report at once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext

from nlp.summary import DIVIDE_GAP
from participate.reports import queries, svg

_CACHE: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 16


_MAPS: OrderedDict[tuple[Any, ...], tuple[dict[str, Any], svg.MapData]] = OrderedDict()
_MAPS_SIZE = 64


def _render_map(
    result: dict[str, Any],
    title: str,
    description: str,
    labels: dict[int, str],
    viewer_id: int | None = None,
    you_label: str = "You",
) -> svg.MapData:
    """:func:`svg.render_map`, kept for the next request with the same result (one of the
    cached results, compared by identity), words and viewer: a map of 33,000 participants
    is most of a report page's time, and it only changes with a new analysis."""
    key = (id(result), title, description, tuple(sorted(labels.items())), viewer_id, you_label)
    with _CACHE_LOCK:
        found = _MAPS.get(key)
        if found is not None and found[0] is result:
            _MAPS.move_to_end(key)
            return found[1]
    data = svg.render_map(result, title, description, labels, viewer_id, you_label)
    with _CACHE_LOCK:
        _MAPS[key] = (result, data)  # holds the result, so its id is not reused meanwhile
        while len(_MAPS) > _MAPS_SIZE:
            _MAPS.popitem(last=False)
    return data


def cached_result(analysis: Any) -> dict[str, Any]:
    """The result JSON of a succeeded analysis, kept for the next request (rows never change
    after success). The row should be loaded with the result column deferred (as
    ``queries.latest_succeeded`` does), so a cache hit never reads or parses the JSON."""
    key = (analysis.id, analysis.discussion_id, analysis.version, str(analysis.finished_at))
    with _CACHE_LOCK:
        found = _CACHE.get(key)
        if found is not None:
            _CACHE.move_to_end(key)
            return found
    data = analysis.result or {}
    with _CACHE_LOCK:
        _CACHE[key] = data
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return data


@dataclass(frozen=True)
class Tally:
    agree: int
    disagree: int
    passes: int

    @property
    def seen(self) -> int:
        return self.agree + self.disagree + self.passes

    def share(self, part: str) -> float:
        value = {"agree": self.agree, "disagree": self.disagree, "pass": self.passes}[part]
        return value / self.seen if self.seen else 0.0

    def pct(self, part: str) -> int:
        return round(100 * self.share(part))

    @classmethod
    def of(cls, raw: list[int] | None) -> Tally:
        raw = raw or [0, 0, 0, 0]
        return cls(int(raw[0]), int(raw[1]), int(raw[2]))


@dataclass
class StatementView:
    id: int
    text: str
    all: Tally
    groups: dict[int, Tally]

    def rest(self, group_id: int) -> Tally:
        a = d = p = 0
        for g, t in self.groups.items():
            if g != group_id:
                a, d, p = a + t.agree, d + t.disagree, p + t.passes
        return Tally(a, d, p)


@dataclass
class RepView:
    statement: StatementView
    direction: str  # "agree" | "disagree"
    group_share: float
    rest_share: float
    significant: bool


@dataclass
class GroupView:
    id: int
    number: int
    label: str
    size: int
    share: float
    colour: str
    shape: str
    keywords: list[str]
    representative: list[RepView]
    position: str = ""


@dataclass
class SentenceView:
    text: str
    statements: list[StatementView]


@dataclass
class TopicView:
    """A topic read through its statements: ``central`` (its most central statement, the
    topic's title) first, then the others; key phrases are secondary."""

    keywords: list[str]
    statements: list[StatementView]
    central: StatementView | None = None
    other: bool = False


@dataclass
class Report:
    result: dict[str, Any]
    groups: list[GroupView]
    statements: dict[int, StatementView]
    consensus_agree: list[StatementView]
    consensus_disagree: list[StatementView]
    divisive: list[tuple[StatementView, float]]
    uncertain: list[tuple[StatementView, float]]
    topics: list[TopicView]
    summary: list[SentenceView]
    divided: str
    map: svg.MapData | None
    map_description: str
    participants: int
    voters: int
    clustered: int
    votes: int
    statement_count: int
    viewer_group: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def solidity(self) -> dict[str, Any]:
        """How solid the findings are, for the report's summary: the grouping's bootstrap
        verdict (``None`` when not computed) and how many quoted findings (common ground,
        divisive statements) are solid, out of those with a verdict."""
        st = self.result.get("stability") or {}
        consensus = self.result.get("consensus") or {}
        items = [*consensus.get("agree", []), *consensus.get("disagree", [])]
        items += self.result.get("divisive") or []
        verdicts = [i.get("verdict") for i in items if i.get("verdict")]
        return {
            "verdict": st.get("verdict"),
            "resamples": int(st.get("resamples") or 0),
            "k_share": round(100 * float(st.get("k_share") or 0)),
            "solid": sum(v == "solid" for v in verdicts),
            "rated": len(verdicts),
        }


def group_label(group_id: int) -> str:
    return _("Group %(n)d", n=group_id + 1)


def _position_words(x: float, y: float) -> str:
    horiz = _("left") if x < -0.2 else (_("right") if x > 0.2 else "")
    vert = _("upper") if y > 0.2 else (_("lower") if y < -0.2 else "")
    if horiz and vert:
        return _("%(vertical)s %(horizontal)s", vertical=vert, horizontal=horiz)
    return horiz or vert or _("centre")


def divided_sentence(groups: list[GroupView], statements: Mapping[int, StatementView]) -> str:
    """How divided the discussion is, in plain words, with the numbers behind it."""
    if len(groups) < 2:
        return _(
            "No distinct opinion groups can be told apart yet: either people largely vote "
            "alike, or too few have voted on enough statements."
        )
    judged = split = 0
    for st in statements.values():
        shares = [t.share("agree") for t in st.groups.values() if t.seen >= 2]
        if len(shares) < 2 or len(shares) < len(st.groups):
            continue
        judged += 1
        if max(shares) - min(shares) >= DIVIDE_GAP:
            split += 1
    frac = split / judged if judged else 0.0
    if frac >= 0.5:
        level = _("The discussion is clearly divided")
    elif frac >= 0.2:
        level = _("The discussion is partly divided")
    else:
        level = _("The discussion is not very divided")
    return _(
        "%(level)s: on %(split)d of the %(judged)d statements every group voted on, the "
        "groups' agreement differs by %(gap)d percentage points or more.",
        level=level,
        split=split,
        judged=judged,
        gap=round(100 * DIVIDE_GAP),
    )


def build(
    result: dict[str, Any],
    texts: Mapping[int, str],
    locale: str,
    viewer_id: int | None = None,
    with_map: bool = True,
) -> Report:
    """Everything the templates need; ``texts`` are the *currently visible* statements."""
    counts = result.get("statement_counts") or {}
    statements: dict[int, StatementView] = {}
    for key, c in counts.items():
        sid = int(key)
        if sid not in texts:
            continue
        statements[sid] = StatementView(
            sid,
            texts[sid],
            Tally.of(c.get("all")),
            {int(g): Tally.of(v) for g, v in (c.get("groups") or {}).items()},
        )

    def pick(items: list[dict[str, Any]]) -> list[StatementView]:
        return [statements[int(i["statement"])] for i in items if int(i["statement"]) in statements]

    clustered = int(result.get("clustered") or 0)
    groups: list[GroupView] = []
    for g in result.get("groups") or []:
        gid = int(g["id"])
        reps = []
        for r in g.get("representative") or []:
            st = statements.get(int(r["statement"]))
            if st is None:
                continue
            direction = r.get("direction", "agree")
            mine = st.groups.get(gid, Tally(0, 0, 0))
            reps.append(
                RepView(
                    st,
                    direction,
                    mine.share(direction),
                    st.rest(gid).share(direction),
                    bool(r.get("significant")),
                )
            )
        groups.append(
            GroupView(
                id=gid,
                number=gid + 1,
                label=group_label(gid),
                size=int(g.get("size") or len(g.get("members") or [])),
                share=(int(g.get("size") or 0) / clustered) if clustered else 0.0,
                colour=svg.colour(gid),
                shape=svg.shape(gid),
                keywords=list(g.get("keywords") or []),
                representative=reps,
            )
        )

    consensus = result.get("consensus") or {}
    divisive = [
        (statements[int(d["statement"])], float(d.get("score") or 0))
        for d in result.get("divisive") or []
        if int(d["statement"]) in statements
    ]
    uncertain = [
        (statements[int(d["statement"])], float(d.get("pass_share") or 0))
        for d in result.get("uncertain") or []
        if int(d["statement"]) in statements
    ]
    topics = []
    for t in result.get("topics") or []:
        members = [statements[int(s)] for s in t.get("statements") or [] if int(s) in statements]
        if members:
            central = statements.get(int(t["central"])) if t.get("central") is not None else None
            if central is not None:
                members = [central] + [m for m in members if m is not central]
            topics.append(
                TopicView(list(t.get("keywords") or []), members, central, bool(t.get("other")))
            )
    lang = "en" if str(locale).startswith("en") else "zh-Hant"
    summary = []
    for s in (result.get("summary") or {}).get(lang) or []:
        cited = [int(i) for i in s.get("statements") or []]
        if any(i not in statements for i in cited):
            continue  # rests on a statement hidden since: do not quote it
        summary.append(SentenceView(s["text"], [statements[i] for i in cited]))

    platform = result.get("platform") or {}
    participants = int(platform.get("participants") or result.get("participants") or 0)
    voters = int(platform.get("voters") or result.get("participants") or 0)
    viewer_group = None
    if viewer_id is not None:
        for g in result.get("groups") or []:
            if viewer_id in (g.get("members") or []):
                viewer_group = int(g["id"])
    report = Report(
        result=result,
        groups=groups,
        statements=statements,
        consensus_agree=pick(consensus.get("agree") or []),
        consensus_disagree=pick(consensus.get("disagree") or []),
        divisive=divisive,
        uncertain=uncertain,
        topics=topics,
        summary=summary,
        divided=divided_sentence(groups, statements),
        map=None,
        map_description="",
        participants=participants,
        voters=voters,
        clustered=clustered,
        votes=int(result.get("votes") or 0),
        statement_count=len(statements),
        viewer_group=viewer_group,
    )
    if with_map:
        _add_map(report, viewer_id)
    return report


def _add_map(report: Report, viewer_id: int | None) -> None:
    result = report.result
    n_points = len(result.get("projection") or {})
    labels = {g.id: str(g.number) for g in report.groups}
    # Describe first (the SVG's <desc> and the paragraph under the map say the same).
    draft = _render_map(result, "", "", labels)
    for g in report.groups:
        if g.id in draft.centres:
            g.position = _position_words(*draft.centres[g.id])
    parts = [
        ngettext(
            "The map places %(num)d participant by how they voted: people who voted alike "
            "are close together; the axes have no meaning of their own.",
            "The map places %(num)d participants by how they voted: people who voted alike "
            "are close together; the axes have no meaning of their own.",
            n_points,
        )
    ]
    for g in report.groups:
        parts.append(
            ngettext(
                "%(group)s (marker: %(shape)s): %(num)d person, %(where)s.",
                "%(group)s (marker: %(shape)s): %(num)d people, %(where)s.",
                g.size,
                group=g.label,
                shape=shape_name(g.shape),
                where=g.position or _("centre"),
            )
        )
    if draft.ungrouped:
        parts.append(
            ngettext(
                "%(num)d person voted on too few statements to be grouped (small hollow circle).",
                "%(num)d people voted on too few statements to be grouped (small hollow circles).",
                draft.ungrouped,
            )
        )
    if viewer_id is not None and str(viewer_id) in (result.get("projection") or {}):
        if report.viewer_group is not None:
            parts.append(
                _(
                    "You are marked with a ring; you are in %(group)s.",
                    group=group_label(report.viewer_group),
                )
            )
        else:
            parts.append(_("You are marked with a ring; you are not in a group yet."))
    if draft.binned:
        parts.append(
            _(
                "Nearby people of one group are drawn as one marker, larger when it stands for "
                "more people."
            )
        )
    report.map_description = " ".join(parts)
    report.map = _render_map(
        result,
        _("Opinion map"),
        report.map_description,
        labels,
        viewer_id=viewer_id,
        you_label=_("You"),
    )


def shape_name(kind: str) -> str:
    return {
        "circle": _("circle"),
        "square": _("square"),
        "triangle": _("triangle"),
        "diamond": _("diamond"),
        "triangle-down": _("downward triangle"),
        "plus": _("plus sign"),
        "hexagon": _("hexagon"),
        "star": _("star"),
        "cross": _("cross"),
    }.get(kind, kind)


def routing_priorities(discussion_id: int) -> dict[int, float]:
    """Pol.is-style routing priorities from the latest report (statement id -> priority),
    for the discussion's voting card (``next_statement(priorities=...)``); empty without a
    report. Reads the cached result, so calling it on every voting card costs one indexed
    query."""
    analysis = queries.latest_succeeded(discussion_id)
    if analysis is None:
        return {}
    raw = cached_result(analysis).get("priority") or {}
    return {int(k): float(v) for k, v in raw.items()}
