"""Result types of :func:`nlp.analyze`, and their JSON form.

Why a module of their own: :mod:`nlp.analysis` builds these objects and :mod:`nlp.summary`
reads them and builds :class:`Sentence` objects; with the types defined in the orchestrator,
summary had to import back from it and the modules formed an import cycle. Here they sit below
both (this module imports nothing from ``nlp``), so the dependency graph stays a DAG:
math modules → results → topics / summary → analysis.

:meth:`AnalysisResult.to_json_dict` is the JSON printed by ``python -m nlp analyze`` and stored
by the web app. Every key except ``timings`` is byte-identical for the same input and seed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Counts",
    "GroupStability",
    "Stability",
    "RepStatement",
    "Group",
    "Scored",
    "Topic",
    "Sentence",
    "AnalysisResult",
    "finite",
]


def finite(x: float, digits: int = 4) -> float:
    """Round for JSON; map non-finite values to 0 so output stays valid JSON."""
    if not math.isfinite(x):
        return 0.0
    r = round(float(x), digits)
    return 0.0 if r == 0 else r


@dataclass(frozen=True)
class Counts:
    """Vote counts on one statement (overall or within one group)."""

    agree: int
    disagree: int
    passes: int

    @property
    def seen(self) -> int:
        return self.agree + self.disagree + self.passes

    def as_list(self) -> list[int]:
        """[agree, disagree, pass, seen] — the JSON form."""
        return [self.agree, self.disagree, self.passes, self.seen]


@dataclass(frozen=True)
class GroupStability:
    """Bootstrap over participants for one group (see :mod:`nlp.stability`).

    ``together``: share of its members who stay in the matching group, averaged over
    resamples; ``jaccard``: Hennig's cluster-wise bootstrap Jaccard (mean); ``recovered``:
    share of resamples with Jaccard >= 0.75; ``verdict``: "solid" or "fragile".
    """

    together: float
    jaccard: float
    recovered: float
    verdict: str


@dataclass(frozen=True)
class Stability:
    """How the grouping as a whole held up under resampling.

    ``resamples``: bootstrap resamples run; ``drawn``: participants drawn in each;
    ``k_counts``: k → resamples in which the silhouette rule chose it; ``k_share``: share
    choosing the reported k; ``verdict``: "solid" when that share is at least 0.75 and every
    group is solid, else "fragile".
    """

    resamples: int
    drawn: int
    k_counts: dict[int, int]
    k_share: float
    verdict: str


@dataclass(frozen=True)
class RepStatement:
    """A representative statement of a group, with the Pol.is numbers behind it.

    ``ci`` / ``rest_ci``: 95 % Wilson intervals of the raw share (agree or disagree, by
    ``direction``) in the group and among everyone else; ``verdict``: "solid" when the
    statement is significant, its group is solid and the two intervals do not overlap.
    """

    statement: Any
    direction: str
    p: float
    ratio: float
    z: float
    z_rest: float
    significant: bool
    counts: Counts
    ci: tuple[float, float] | None = None
    rest_ci: tuple[float, float] | None = None
    verdict: str = ""


@dataclass(frozen=True)
class Group:
    """An opinion group: its stable id, members (input participant ids), description."""

    id: int
    members: list[Any]
    representative: list[RepStatement]
    keywords: list[str] = field(default_factory=list)
    stability: GroupStability | None = None

    @property
    def size(self) -> int:
        return len(self.members)


@dataclass(frozen=True)
class Scored:
    """A statement with a score (consensus share, divisiveness, pass share...)."""

    statement: Any
    score: float
    extra: dict[str, float] = field(default_factory=dict)
    # 95 % Wilson intervals of the shares the report quotes (name → (low, high)) and the
    # plain verdict ("solid" / "fragile"); empty where not computed.
    intervals: dict[str, tuple[float, float]] = field(default_factory=dict)
    verdict: str = ""


@dataclass(frozen=True)
class Topic:
    """Statements grouped by content: named by its most central statement (``central``,
    a statement id) and key phrases (``keywords``); ``other`` marks the bin of statements
    like no topic."""

    keywords: list[str]
    statements: list[Any]
    central: Any = None
    other: bool = False


@dataclass(frozen=True)
class Sentence:
    """A summary sentence and the statement ids it rests on."""

    text: str
    statements: list[Any]


@dataclass(frozen=True)
class AnalysisResult:
    """Everything the report needs. Statement-indexed mappings are keyed by input ids."""

    participants: int
    statements: int
    votes: int
    clustered: int
    k: int
    groups: list[Group]
    consensus_agree: list[Scored]
    consensus_disagree: list[Scored]
    group_informed_consensus: dict[Any, float]
    group_informed_disagreement: dict[Any, float]
    divisive: list[Scored]
    uncertain: list[Scored]
    priority: dict[Any, float]
    counts: dict[Any, Counts]
    group_counts: dict[Any, dict[int, Counts]]
    projection: dict[Any, tuple[float, float]]
    pca_statements: list[Any]
    pca_center: list[float]
    pca_components: list[list[float]]
    pca_explained_variance: list[float]
    silhouette: dict[int, float]
    params: dict[str, Any]
    vote_events: int = 0
    topics: list[Topic] = field(default_factory=list)
    summary: dict[str, list[Sentence]] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    stability: Stability | None = None

    def to_json_dict(self, include_timings: bool = True) -> dict[str, Any]:
        """The JSON object of the command line (plus extra keys), ready for ``json.dumps``.

        Statement ids become strings where they are object keys. Floats are rounded to 4
        decimals (coordinates too) so that output is stable and compact.
        """

        def rep(r: RepStatement) -> dict[str, Any]:
            out = {
                "statement": r.statement,
                "direction": r.direction,
                "p": finite(r.p),
                "ratio": finite(r.ratio),
                "z": finite(r.z),
                "z_rest": finite(r.z_rest),
                "significant": r.significant,
                "counts": r.counts.as_list(),
            }
            if r.ci is not None:
                out["ci"] = _ci(r.ci)
            if r.rest_ci is not None:
                out["rest_ci"] = _ci(r.rest_ci)
            if r.verdict:
                out["verdict"] = r.verdict
            return out

        def group(g: Group) -> dict[str, Any]:
            out = {
                "id": g.id,
                "members": g.members,
                "size": g.size,
                "representative": [rep(r) for r in g.representative],
                "keywords": g.keywords,
            }
            if g.stability is not None:
                st = g.stability
                out["stability"] = {
                    "together": finite(st.together),
                    "jaccard": finite(st.jaccard),
                    "recovered": finite(st.recovered),
                    "verdict": st.verdict,
                }
            return out

        out: dict[str, Any] = {
            "participants": self.participants,
            "statements": self.statements,
            "votes": self.votes,
            "clustered": self.clustered,
            "k": self.k,
            "groups": [group(g) for g in self.groups],
            "consensus": {
                "agree": [
                    {"statement": s.statement, "p": finite(s.score)} | _fx(s.extra) | _iv(s)
                    for s in self.consensus_agree
                ],
                "disagree": [
                    {"statement": s.statement, "p": finite(s.score)} | _fx(s.extra) | _iv(s)
                    for s in self.consensus_disagree
                ],
            },
            "group_informed_consensus": {
                str(k): finite(v) for k, v in self.group_informed_consensus.items()
            },
            "group_informed_disagreement": {
                str(k): finite(v) for k, v in self.group_informed_disagreement.items()
            },
            "divisive": [
                {"statement": s.statement, "score": finite(s.score)} | _fx(s.extra) | _iv(s)
                for s in self.divisive
            ],
            "uncertain": [
                {"statement": s.statement, "pass_share": finite(s.score)}
                | {k: int(v) for k, v in s.extra.items()}
                for s in self.uncertain
            ],
            "priority": {str(k): finite(v, 6) for k, v in self.priority.items()},
            "topics": [_topic(t) for t in self.topics],
            "summary": {
                lang: [{"text": s.text, "statements": s.statements} for s in sents]
                for lang, sents in self.summary.items()
            },
            "statement_counts": {
                str(sid): {
                    "all": c.as_list(),
                    "groups": {
                        str(g): gc.as_list() for g, gc in self.group_counts.get(sid, {}).items()
                    },
                }
                for sid, c in self.counts.items()
            },
            "projection": {str(p): [finite(x), finite(y)] for p, (x, y) in self.projection.items()},
            "pca": {
                "statements": self.pca_statements,
                "center": [finite(x, 6) for x in self.pca_center],
                "components": [[finite(x, 6) for x in row] for row in self.pca_components],
                "explained_variance": [finite(x, 6) for x in self.pca_explained_variance],
            },
            "silhouette": {str(k): finite(v) for k, v in self.silhouette.items()},
            "params": self.params,
            "vote_events": self.vote_events,
        }
        if self.stability is not None:
            st = self.stability
            out["stability"] = {
                "resamples": st.resamples,
                "drawn": st.drawn,
                "k_counts": {str(k): v for k, v in st.k_counts.items()},
                "k_share": finite(st.k_share),
                "verdict": st.verdict,
            }
        if include_timings:
            out["timings"] = {k: round(v, 4) for k, v in self.timings.items()}
        return out


def _fx(extra: Mapping[str, float]) -> dict[str, float]:
    return {k: finite(v) for k, v in extra.items()}


def _topic(t: Topic) -> dict[str, Any]:
    out: dict[str, Any] = {"keywords": t.keywords, "statements": t.statements}
    if t.central is not None:
        out["central"] = t.central
    if t.other:
        out["other"] = True
    return out


def _ci(iv: tuple[float, float]) -> list[float]:
    return [finite(iv[0]), finite(iv[1])]


def _iv(s: Scored) -> dict[str, Any]:
    """New keys of a scored statement: its intervals and verdict (absent when not set)."""
    out: dict[str, Any] = {name: _ci(iv) for name, iv in s.intervals.items()}
    if s.verdict:
        out["verdict"] = s.verdict
    return out
