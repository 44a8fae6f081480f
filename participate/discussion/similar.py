"""The duplicate warning's index: one per discussion, shared by every request a process
serves, rebuilt only when the discussion's visible statements changed.

``similar.json`` answers while people type (one request per pause). It used to read up to
3,000 statement texts from the database on every request and hash them all to find its
cached index (or build one: about 0.4 s for 3,000 statements, jieba included). Here a
request costs one aggregate query, the watermark: how many visible statements the
discussion has, the newest one's id and the sum of their ids. A new statement, a hidden or
a restored one changes it; nothing else does. While it is unchanged the index built for it
answers (a sparse product, well under a millisecond); when it changed, one request rebuilds
the index (the others asking about the same discussion meanwhile wait for it rather than
build their own) and the next ones use it. Each process (gunicorn worker) holds the
indexes of the discussions it was asked about, the most recently used first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy import func, select

from participate.extensions import db
from participate.models import ContentStatus, Statement

CORPUS_LIMIT = 3000  # the newest visible statements the warning compares with
CACHED_DISCUSSIONS = 64

Watermark = tuple[int, int, int]


@dataclass(frozen=True)
class StatementIndex:
    """A discussion's index and the statement id of each of its rows."""

    discussion_id: int
    watermark: Watermark
    ids: tuple[int, ...]
    index: object  # nlp.similar.SimilarityIndex

    def query(self, text: str, top: int, threshold: float) -> list[tuple[int, float]]:
        """(statement id, score) of the most similar statements, best first."""
        return [(self.ids[m.index], m.score) for m in self.index.query(text, top, threshold)]  # type: ignore[attr-defined]


_INDEXES: OrderedDict[int, StatementIndex] = OrderedDict()
_LOCK = threading.Lock()  # guards the two dicts
_BUILDING: dict[int, threading.Lock] = {}  # one builder per discussion at a time
builds = 0  # how many indexes this process built (the tests and benchmarks read it)


def watermark(discussion_id: int) -> Watermark:
    """What changes when the discussion's visible statements change (one indexed query)."""
    count, newest, total = db.session.execute(
        select(func.count(), func.coalesce(func.max(Statement.id), 0), func.sum(Statement.id))
        .select_from(Statement)
        .where(
            Statement.discussion_id == discussion_id,
            Statement.status == ContentStatus.VISIBLE,
        )
    ).one()
    return int(count), int(newest), int(total or 0)


def _cached(discussion_id: int, mark: Watermark) -> StatementIndex | None:
    with _LOCK:
        found = _INDEXES.get(discussion_id)
        if found is not None and found.watermark == mark:
            _INDEXES.move_to_end(discussion_id)
            return found
    return None


def _build(discussion_id: int, mark: Watermark) -> StatementIndex:
    global builds
    from nlp.similar import SimilarityIndex

    rows = db.session.execute(
        select(Statement.id, Statement.text)
        .where(
            Statement.discussion_id == discussion_id,
            Statement.status == ContentStatus.VISIBLE,
        )
        .order_by(Statement.id.desc())
        .limit(CORPUS_LIMIT)
    ).all()
    built = StatementIndex(
        discussion_id,
        mark,
        tuple(r.id for r in rows),
        SimilarityIndex([r.text for r in rows]),
    )
    with _LOCK:
        builds += 1
        _INDEXES[discussion_id] = built
        _INDEXES.move_to_end(discussion_id)
        while len(_INDEXES) > CACHED_DISCUSSIONS:
            _INDEXES.popitem(last=False)
    return built


def index_for(discussion_id: int) -> StatementIndex:
    """The discussion's current index: cached, or built once for its current watermark."""
    mark = watermark(discussion_id)
    found = _cached(discussion_id, mark)
    if found is not None:
        return found
    with _LOCK:
        building = _BUILDING.setdefault(discussion_id, threading.Lock())
    with building:
        # Another request may have built it while this one waited.
        found = _cached(discussion_id, mark)
        return found if found is not None else _build(discussion_id, mark)


def forget() -> None:
    """Drop every cached index (tests start from nothing)."""
    with _LOCK:
        _INDEXES.clear()
        _BUILDING.clear()
