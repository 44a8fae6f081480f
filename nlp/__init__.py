"""participate's analytical library: Chinese text processing and Pol.is-style opinion groups.

Standalone (never imports Flask): arrays and strings in, dataclasses out. Entry points:

* :func:`nlp.analyze` — opinion groups, representative statements, consensus, priority,
  topics and a traceable summary (see :mod:`nlp.analysis`);
* :mod:`nlp.segment` — normalisation and jieba segmentation with a Taiwan dictionary;
* :mod:`nlp.similar` — near-duplicate search; :mod:`nlp.keywords`, :mod:`nlp.topics`.

Command line: ``python -m nlp analyze DIR`` and ``python -m nlp bench``.
"""

from nlp.analysis import AnalysisResult, analyze

__all__ = ["AnalysisResult", "analyze"]
