"""A survey's aggregated results, as the page, the CSV, the open data and the API show them.

Computed from the responses (never stored): counts and shares with 95% Wilson intervals,
the same weighted (raked to Taiwan's population, see
:mod:`participate.participants.weighting`), cross-tabs by the profile each response kept,
and text answers summarised by :mod:`nlp` (keywords, topics with example answers).

**No cell with fewer than 5 respondents is ever in a result.** A question answered by fewer
than 5 people shows nothing but that; an option chosen by fewer than 5 shows "fewer than
5", and so does any count that would let the hidden one be worked out by subtraction
(:func:`nlp.disclosure.suppress`). Every output (page, CSV, open data, API) is built from
these objects, so none can show more than they hold.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from flask_babel import gettext as _
from sqlalchemy import select

from nlp.disclosure import THRESHOLD, suppress, suppress_vector
from nlp.raking import Share, share, wilson_interval
from participate.extensions import db
from participate.models import QuestionKind, Survey, SurveyAnswer, SurveyQuestion, SurveyResponse
from participate.participants import population as pop
from participate.participants.weighting import (
    Representation,
    Respondent,
    Weighting,
    representation,
)
from participate.surveys.answers import LIKERT_POINTS, option_count

K = QuestionKind
EXAMPLES = 3


def likert_labels() -> list[str]:
    return [
        _("Strongly disagree"),
        _("Disagree"),
        _("Neither agree nor disagree"),
        _("Agree"),
        _("Strongly agree"),
    ]


def option_labels(question: SurveyQuestion) -> list[str]:
    return likert_labels() if question.kind == K.LIKERT else list(question.options or [])


@dataclass(frozen=True)
class OptionResult:
    label: str
    count: int | None  # None: hidden by the small-cell rule
    share: Share | None
    weighted: Share | None


@dataclass(frozen=True)
class NumberSummary:
    mean: float
    median: float
    weighted_mean: float | None


@dataclass(frozen=True)
class TextTopic:
    keywords: list[str]
    size: int
    examples: list[str]


@dataclass(frozen=True)
class CrossTab:
    """Rows: categories of one part of the profile (plus "not given"); columns: options.
    ``cells[r][c]`` is a count or None (hidden); ``row_n[r]`` the row's respondents or
    None (hidden)."""

    key: str
    title: str
    rows: list[str]
    columns: list[str]
    cells: list[list[int | None]]
    row_n: list[int | None]


@dataclass
class QuestionResult:
    question: SurveyQuestion
    number: int
    answered: int
    shown: bool  # answered by at least 5 people
    options: list[OptionResult] = field(default_factory=list)
    first_choice: list[OptionResult] = field(default_factory=list)  # ranking
    mean_rank: list[float | None] = field(default_factory=list)  # ranking
    numbers: NumberSummary | None = None
    keywords: list[str] = field(default_factory=list)
    topics: list[TextTopic] = field(default_factory=list)
    crosstabs: list[CrossTab] = field(default_factory=list)
    agree: OptionResult | None = None  # Likert: agree + strongly agree


@dataclass
class SurveyResults:
    survey: Survey
    respondents: int
    questions: list[QuestionResult]
    representation: Representation
    weighting: Weighting
    threshold: int = THRESHOLD


def _load(survey: Survey) -> tuple[dict[int, Respondent], dict[int, dict[int, Any]]]:
    respondents: dict[int, Respondent] = {}
    for r in db.session.scalars(
        select(SurveyResponse).where(SurveyResponse.survey_id == survey.id)
    ):
        groups = tuple(g for g in (r.groups or "").split(",") if g)
        respondents[r.id] = Respondent(r.age_band, r.sex, r.county, groups)
    answers: dict[int, dict[int, Any]] = {}
    rows = db.session.execute(
        select(
            SurveyAnswer.question_id,
            SurveyAnswer.response_id,
            SurveyAnswer.value,
            SurveyAnswer.text,
        )
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .where(SurveyResponse.survey_id == survey.id)
    )
    for qid, rid, value, text in rows:
        answers.setdefault(qid, {})[rid] = text if text is not None else value
    return respondents, answers


def _option_results(
    labels: list[str],
    chosen: list[np.ndarray],
    weights: np.ndarray | None,
    total_shown: bool,
) -> list[OptionResult]:
    """``chosen[i]``: a boolean per answering respondent, for option i."""
    counts = [int(c.sum()) for c in chosen]
    hidden = suppress_vector(counts, total_shown=total_shown)
    out = []
    for i, label in enumerate(labels):
        if hidden[i]:
            out.append(OptionResult(label, None, None, None))
            continue
        weighted = None
        if weights is not None:
            mask = ~np.isnan(weights)
            if mask.sum() >= THRESHOLD:
                weighted = share(chosen[i][mask], weights[mask])
        out.append(OptionResult(label, counts[i], share(chosen[i]), weighted))
    return out


def _crosstab(
    key: str,
    title: str,
    categories: list[tuple[str, str]],
    values: list[str | None],
    columns: list[str],
    chosen: list[np.ndarray],
    exclusive: bool,
) -> CrossTab:
    rows = [*categories, ("", _("Not given"))]
    codes = [c for c, _label in categories]
    matrix = np.zeros((len(rows), len(columns)), dtype=int)
    row_n = np.zeros(len(rows), dtype=int)
    for person, value in enumerate(values):
        r = codes.index(value) if value in codes else len(rows) - 1
        row_n[r] += 1
        for c in range(len(columns)):
            if chosen[c][person]:
                matrix[r, c] += 1
    # Row totals of an exclusive question are the row's respondents (published below);
    # of a multiple-choice question they are not sums, but the row sizes are published.
    hidden = suppress(matrix, row_totals=exclusive, column_totals=True)
    row_hidden = suppress_vector(row_n, total_shown=True)
    cells = [
        [
            None if (hidden[r, c] or row_hidden[r]) else int(matrix[r, c])
            for c in range(len(columns))
        ]
        for r in range(len(rows))
    ]
    return CrossTab(
        key,
        title,
        [label for _c, label in rows],
        columns,
        cells,
        [None if row_hidden[r] else int(row_n[r]) for r in range(len(rows))],
    )


def _crosstabs(
    people: list[Respondent], columns: list[str], chosen: list[np.ndarray], exclusive: bool
) -> list[CrossTab]:
    return [
        _crosstab(
            "age",
            _("Age"),
            [(c, pop.age_label(c)) for c in pop.PROFILE_AGE_BANDS],
            [p.age_band for p in people],
            columns,
            chosen,
            exclusive,
        ),
        _crosstab(
            "sex",
            _("Sex"),
            [(c, pop.sex_label(c)) for c in pop.PROFILE_SEXES],
            [p.sex for p in people],
            columns,
            chosen,
            exclusive,
        ),
        _crosstab(
            "region",
            _("Region"),
            [(c, pop.region_label(c)) for c in pop.REGIONS],
            [pop.region_of(p.county) for p in people],
            columns,
            chosen,
            exclusive,
        ),
    ]


def _texts(result: QuestionResult, texts: list[str]) -> None:
    from nlp.keywords import tfidf_keywords
    from nlp.topics import TopicGroup as Topic
    from nlp.topics import topics
    from participate.moderation.screening import active_terms, banned_match

    result.keywords = [k.term for k in tfidf_keywords(texts, top=10)]
    terms = active_terms()
    if len(set(texts)) < 2 * THRESHOLD:
        # Too few different answers to tell topics apart: one topic, the keywords above.
        found = [Topic(result.keywords[:5], list(range(len(texts))))]
    else:
        with np.errstate(divide="ignore", invalid="ignore"):  # SVD of near-identical texts
            found = topics(texts, seed=0, max_topics=6)
    for topic in found:
        if len(topic.members) < THRESHOLD:
            continue
        examples = [texts[i] for i in topic.members if banned_match(texts[i], terms) is None][
            :EXAMPLES
        ]
        result.topics.append(TextTopic(topic.keywords, len(topic.members), examples))


def _question(
    q: SurveyQuestion,
    number: int,
    given: dict[int, Any],
    respondents: dict[int, Respondent],
    weights: dict[int, float],
    with_crosstabs: bool,
) -> QuestionResult:
    rids = list(given)
    result = QuestionResult(q, number, len(rids), len(rids) >= THRESHOLD)
    if not result.shown:
        return result
    w = np.array([weights.get(r, np.nan) for r in rids], dtype=float)
    weighted = w if (~np.isnan(w)).sum() >= THRESHOLD else None
    people = [respondents.get(r, Respondent()) for r in rids]
    if q.kind in (K.SINGLE, K.LIKERT, K.MULTIPLE):
        count = option_count(q)
        labels = option_labels(q)
        if q.kind == K.MULTIPLE:
            chosen = [np.array([i in (given[r] or []) for r in rids]) for i in range(count)]
        else:
            chosen = [np.array([given[r] == i for r in rids]) for i in range(count)]
        exclusive = q.kind != K.MULTIPLE
        result.options = _option_results(labels, chosen, weighted, total_shown=exclusive)
        if q.kind == K.LIKERT:
            agree = chosen[3] | chosen[4]
            merged = _option_results([_("Agree or strongly agree")], [agree], weighted, False)[0]
            result.agree = merged
        if with_crosstabs:
            result.crosstabs = _crosstabs(people, labels, chosen, exclusive)
    elif q.kind == K.RANKING:
        count = option_count(q)
        labels = option_labels(q)
        firsts = [np.array([(given[r] or [None])[0] == i for r in rids]) for i in range(count)]
        result.first_choice = _option_results(labels, firsts, weighted, total_shown=True)
        result.mean_rank = [
            statistics.fmean((given[r].index(i) + 1) for r in rids if i in (given[r] or []))
            for i in range(count)
        ]
    elif q.kind == K.NUMBER:
        values = np.array([float(given[r]) for r in rids])
        weighted_mean = None
        if weighted is not None:
            mask = ~np.isnan(weighted)
            weighted_mean = float(np.average(values[mask], weights=weighted[mask]))
        result.numbers = NumberSummary(
            float(values.mean()), float(statistics.median(values)), weighted_mean
        )
    elif q.kind == K.TEXT:
        _texts(result, [str(given[r]) for r in rids])
    return result


def compute(survey: Survey, with_crosstabs: bool = True, with_texts: bool = True) -> SurveyResults:
    """Everything the results page shows, under the small-cell rule."""
    respondents, answers = _load(survey)
    rep = representation(respondents)
    weights = rep.weighting.weights if rep.weighting.available else {}
    questions = []
    for number, q in enumerate(sorted(survey.questions, key=lambda x: x.position), start=1):
        if q.kind == K.TEXT and not with_texts:
            given = answers.get(q.id, {})
            questions.append(QuestionResult(q, number, len(given), len(given) >= THRESHOLD))
            continue
        questions.append(
            _question(q, number, answers.get(q.id, {}), respondents, weights, with_crosstabs)
        )
    return SurveyResults(survey, len(respondents), questions, rep, rep.weighting)


__all__ = [
    "LIKERT_POINTS",
    "CrossTab",
    "OptionResult",
    "QuestionResult",
    "SurveyResults",
    "compute",
    "likert_labels",
    "option_labels",
    "wilson_interval",
]
