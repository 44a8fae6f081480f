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
class RepStatement:
    """A representative statement of a group, with the Pol.is numbers behind it."""

    statement: Any
    direction: str
    p: float
    ratio: float
    z: float
    z_rest: float
    significant: bool
    counts: Counts


@dataclass(frozen=True)
class Group:
    """An opinion group: its stable id, members (input participant ids), description."""

    id: int
    members: list[Any]
    representative: list[RepStatement]
    keywords: list[str] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.members)


@dataclass(frozen=True)
class Scored:
    """A statement with a score (consensus share, divisiveness, pass share...)."""

    statement: Any
    score: float
    extra: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Topic:
    """Statements grouped by content, labelled by keywords."""

    keywords: list[str]
    statements: list[Any]


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

    def to_json_dict(self, include_timings: bool = True) -> dict[str, Any]:
        """The JSON object of the command line (plus extra keys), ready for ``json.dumps``.

        Statement ids become strings where they are object keys. Floats are rounded to 4
        decimals (coordinates too) so that output is stable and compact.
        """

        def rep(r: RepStatement) -> dict[str, Any]:
            return {
                "statement": r.statement,
                "direction": r.direction,
                "p": finite(r.p),
                "ratio": finite(r.ratio),
                "z": finite(r.z),
                "z_rest": finite(r.z_rest),
                "significant": r.significant,
                "counts": r.counts.as_list(),
            }

        out: dict[str, Any] = {
            "participants": self.participants,
            "statements": self.statements,
            "votes": self.votes,
            "clustered": self.clustered,
            "k": self.k,
            "groups": [
                {
                    "id": g.id,
                    "members": g.members,
                    "size": g.size,
                    "representative": [rep(r) for r in g.representative],
                    "keywords": g.keywords,
                }
                for g in self.groups
            ],
            "consensus": {
                "agree": [
                    {"statement": s.statement, "p": finite(s.score)} | _fx(s.extra)
                    for s in self.consensus_agree
                ],
                "disagree": [
                    {"statement": s.statement, "p": finite(s.score)} | _fx(s.extra)
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
                {"statement": s.statement, "score": finite(s.score)} | _fx(s.extra)
                for s in self.divisive
            ],
            "uncertain": [
                {"statement": s.statement, "pass_share": finite(s.score)}
                | {k: int(v) for k, v in s.extra.items()}
                for s in self.uncertain
            ],
            "priority": {str(k): finite(v, 6) for k, v in self.priority.items()},
            "topics": [{"keywords": t.keywords, "statements": t.statements} for t in self.topics],
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
        if include_timings:
            out["timings"] = {k: round(v, 4) for k, v in self.timings.items()}
        return out


def _fx(extra: Mapping[str, float]) -> dict[str, float]:
    return {k: finite(v) for k, v in extra.items()}
