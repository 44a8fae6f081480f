"""participate's analytical library: Chinese text processing and Pol.is-style opinion groups.

Standalone (never imports Flask): arrays and strings in, dataclasses out. Entry points:

* :func:`nlp.analyze` — opinion groups, representative statements, consensus, priority,
  topics and a traceable summary (see :mod:`nlp.analysis`);
* :mod:`nlp.segment` — normalisation and jieba segmentation with a Taiwan dictionary;
* :mod:`nlp.similar` — near-duplicate search; :mod:`nlp.keywords`, :mod:`nlp.topics`.

Command line: ``python -m nlp analyze DIR`` and ``python -m nlp bench``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from nlp.analysis import AnalysisResult, analyze

__all__ = ["AnalysisResult", "analyze"]


def __getattr__(name: str) -> Any:
    # Lazy: ``from nlp.segment import tokens`` must not pay for importing scipy.
    if name in __all__:
        from nlp import analysis  # noqa: PLC0415

        return getattr(analysis, name)
    raise AttributeError(name)
