"""participate's analytical library: Chinese text processing and Pol.is-style opinion groups.

Standalone (never imports Flask): arrays and strings in, dataclasses out. Entry points:

* :func:`nlp.analyze` — opinion groups, representative statements, consensus, priority,
  topics and a traceable summary (see :mod:`nlp.analysis`; result types in :mod:`nlp.results`);
* :mod:`nlp.segment` — normalisation and jieba segmentation with a Taiwan dictionary;
* :mod:`nlp.similar` — near-duplicate search; :mod:`nlp.keywords`, :mod:`nlp.topics`.

Command line: ``python -m nlp analyze DIR`` and ``python -m nlp bench``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from nlp.analysis import analyze

__all__ = ["analyze"]


def __getattr__(name: str) -> Any:
    """Load ``nlp.analyze`` on first use (PEP 562).

    Why lazy: the web app imports :mod:`nlp.segment` at start-up (moderation screening,
    search), and importing the package must not pay for numpy and scipy, which only the
    analysis needs (``tests/nlp/test_opinion.py`` checks that scipy stays unloaded).
    """
    if name == "analyze":
        from nlp.analysis import analyze  # noqa: PLC0415

        return analyze
    raise AttributeError(f"module 'nlp' has no attribute {name!r}")
