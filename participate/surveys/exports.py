"""The survey results as CSV rows, for the download and the open-data dumps.

Built only from :class:`participate.surveys.results.SurveyResults`, which already obeys
the small-cell rule: a hidden count is written as "<5" and its shares left empty.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from participate.surveys.results import OptionResult, SurveyResults

HEADER = [
    "survey_id",
    "question",
    "question_text",
    "kind",
    "breakdown",
    "group",
    "option",
    "respondents",
    "count",
    "share",
    "ci95_low",
    "ci95_high",
    "weighted_share",
    "weighted_ci95_low",
    "weighted_ci95_high",
    "mean",
    "median",
    "weighted_mean",
]


def _r(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def _option_row(base: list[Any], answered: int, o: OptionResult) -> list[Any]:
    s, w = o.share, o.weighted
    return [
        *base,
        o.label,
        answered,
        "<5" if o.count is None else o.count,
        _r(s.value if s else None),
        _r(s.low if s else None),
        _r(s.high if s else None),
        _r(w.value if w else None),
        _r(w.low if w else None),
        _r(w.high if w else None),
        "",
        "",
        "",
    ]


def rows(r: SurveyResults) -> Iterator[list[Any]]:
    """One row per option (overall, and per group of each cross-tab), per number summary;
    a question answered by fewer than 5 people is one row saying so."""
    for q in r.questions:
        base = [r.survey.id, q.number, q.question.text, q.question.kind.value]
        if not q.shown:
            yield [*base, "", "", "", "<5", "", *[""] * 9]
            continue
        for o in q.options:
            yield _option_row([*base, "all", ""], q.answered, o)
        if q.agree is not None:
            yield _option_row([*base, "all", ""], q.answered, q.agree)
        for o in q.first_choice:
            yield _option_row([*base, "first_choice", ""], q.answered, o)
        for label, mean in zip([o.label for o in q.first_choice], q.mean_rank, strict=False):
            yield [
                *base,
                "mean_rank",
                "",
                label,
                q.answered,
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                _r(mean),
                "",
                "",
            ]
        if q.numbers is not None:
            yield [
                *base,
                "all",
                "",
                "",
                q.answered,
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                _r(q.numbers.mean),
                _r(q.numbers.median),
                _r(q.numbers.weighted_mean),
            ]
        if q.question.kind.value == "text":
            yield [*base, "keywords", "", "、".join(q.keywords), q.answered, *[""] * 12]
        for tab in q.crosstabs:
            for label, cells, n in zip(tab.rows, tab.cells, tab.row_n, strict=True):
                for option, count in zip(tab.columns, cells, strict=True):
                    yield [
                        *base,
                        tab.key,
                        label,
                        option,
                        "<5" if n is None else n,
                        "<5" if count is None else count,
                        *[""] * 9,
                    ]


def csv_text(r: SurveyResults) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(rows(r))
    return buf.getvalue()
