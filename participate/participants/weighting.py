"""Who took part against Taiwan's population, and the weights that correct for it.

Both the opinion report and the survey results call :func:`representation` with their
respondents' profiles (``key`` -> :class:`Respondent`): it counts them by age band, sex,
region, county and identity group next to the population's shares (every count under 5
hidden, with secondary suppression), and rakes weights for the respondents whose profile
has an adult age band, a sex of the population table and a county: age band x sex (12
cells) and region (5). Weights are trimmed to [0.2, 5] times the average, so nobody counts
more than five times as much as the average respondent.

Categories nobody is in cannot be weighted up (there is no one to weight): they are left
out of the targets, the others share their population, and the page names them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import get_locale

from nlp.disclosure import THRESHOLD, suppress_vector
from nlp.raking import Dimension, rake
from participate.participants import population as pop

MIN_WEIGHTED = 30  # fewer profiled respondents than this: no weighting at all
TRIM_LOWER, TRIM_UPPER = 0.2, 5.0


@dataclass(frozen=True)
class Respondent:
    age_band: str | None = None
    sex: str | None = None
    county: str | None = None
    groups: tuple[str, ...] = ()

    @property
    def has_profile(self) -> bool:
        return bool(self.age_band or self.sex or self.county or self.groups)

    @property
    def weightable(self) -> bool:
        return (
            self.age_band in pop.AGE_BANDS and self.sex in pop.SEXES and self.county in pop.COUNTIES
        )


@dataclass
class Weighting:
    """``available``: weights exist (else ``reason`` says why: "too_few" or
    "not_converged"); ``weights`` by respondent key (only weightable respondents);
    ``effective_n`` Kish's size; ``missing`` labels of categories nobody was in."""

    available: bool
    reason: str = ""
    weights: dict[Any, float] = field(default_factory=dict)
    n: int = 0
    effective_n: float = 0.0
    converged: bool = False
    iterations: int = 0
    max_error: float = 0.0
    trimmed: int = 0
    missing: list[str] = field(default_factory=list)
    lower: float = TRIM_LOWER
    upper: float = TRIM_UPPER
    minimum: int = MIN_WEIGHTED


def weigh(respondents: Mapping[Any, Respondent]) -> Weighting:
    """Rake the weightable respondents to the population's age band x sex and regions."""
    keys = [k for k, r in respondents.items() if r.weightable]
    if len(keys) < MIN_WEIGHTED:
        return Weighting(False, "too_few", n=len(keys))
    population = pop.load()
    cells = [(b, s) for b in pop.AGE_BANDS for s in pop.SEXES]
    cell_code = {c: i for i, c in enumerate(cells)}
    region_code = {r: i for i, r in enumerate(pop.REGIONS)}
    age_sex = [cell_code[(respondents[k].age_band, respondents[k].sex)] for k in keys]
    regions = [region_code[pop.region_of(respondents[k].county)] for k in keys]
    missing: list[str] = []
    age_targets: dict[int, float] = {}
    for cell, share in population.age_sex_shares().items():
        code = cell_code[cell]
        if code in age_sex:
            age_targets[code] = share
        else:
            missing.append(f"{pop.age_label(cell[0])} {pop.sex_label(cell[1])}")
    region_targets: dict[int, float] = {}
    for region, share in population.region_shares().items():
        code = region_code[region]
        if code in regions:
            region_targets[code] = share
        else:
            missing.append(pop.region_label(region))
    result = rake(
        [Dimension("age_sex", age_sex, age_targets), Dimension("region", regions, region_targets)],
        tolerance=1e-4,
        max_iterations=200,
        lower=TRIM_LOWER,
        upper=TRIM_UPPER,
    )
    return Weighting(
        available=True,
        reason="" if result.converged else "not_converged",
        weights={k: float(w) for k, w in zip(keys, result.weights, strict=True)},
        n=len(keys),
        effective_n=result.effective_n,
        converged=result.converged,
        iterations=result.iterations,
        max_error=result.max_error,
        trimmed=result.trimmed,
        missing=missing,
    )


@dataclass(frozen=True)
class Row:
    code: str
    label: str
    count: int | None  # None: hidden (fewer than 5, or would reveal one that is)
    share: float | None  # of the respondents who answered this part of the profile
    population: float | None  # the population's share, where the data has one
    weighted: float | None = None  # the weighted share, once weights exist


@dataclass(frozen=True)
class Part:
    """One part of the profile (age band, sex, region...) as a chart and a table."""

    key: str
    title: str
    rows: list[Row]
    answered: int | None


@dataclass
class Representation:
    total: int
    profiled: int | None
    parts: list[Part]
    weighting: Weighting
    source: str
    date: str
    threshold: int = THRESHOLD

    @property
    def profiled_share(self) -> float | None:
        if self.profiled is None or not self.total:
            return None
        return self.profiled / self.total


def _part(
    key: str,
    title: str,
    codes: Sequence[str],
    labels: Mapping[str, str],
    values: Sequence[str | None],
    population: Mapping[str, float] | None,
    weights: Mapping[int, float] | None,
) -> Part:
    counts = [sum(1 for v in values if v == c) for c in codes]
    answered = sum(counts)
    hidden = suppress_vector(counts, total_shown=True) if answered else [True] * len(counts)
    weighted_total = sum(weights.values()) if weights else 0.0
    rows = []
    for i, code in enumerate(codes):
        shown = not bool(hidden[i])
        weighted = None
        if weights and weighted_total and population is not None and code in population:
            weighted = sum(w for j, w in weights.items() if values[j] == code) / weighted_total
        rows.append(
            Row(
                code=code,
                label=labels[code],
                count=counts[i] if shown else None,
                share=(counts[i] / answered) if shown and answered else None,
                population=(population or {}).get(code),
                weighted=weighted if shown else None,
            )
        )
    return Part(key, title, rows, answered if answered >= THRESHOLD else None)


def representation(
    respondents: Mapping[Any, Respondent], total: int | None = None
) -> Representation:
    """Counts by each part of the profile against the population, and the weighting."""
    from flask_babel import gettext as _

    population = pop.load()
    locale = str(get_locale() or "zh_Hant_TW")
    people = list(respondents.values())
    keys = list(respondents)
    weighting = weigh(respondents)
    weights_by_index = None
    if weighting.available:
        weights_by_index = {
            i: weighting.weights[k] for i, k in enumerate(keys) if k in weighting.weights
        }
    profiled = sum(1 for r in people if r.has_profile)
    total = len(people) if total is None else total
    age_pop = population.age_shares()
    parts = [
        _part(
            "age",
            _("Age"),
            pop.PROFILE_AGE_BANDS,
            {c: pop.age_label(c) for c in pop.PROFILE_AGE_BANDS},
            [r.age_band for r in people],
            age_pop,
            weights_by_index,
        ),
        _part(
            "sex",
            _("Sex"),
            pop.PROFILE_SEXES,
            {c: pop.sex_label(c) for c in pop.PROFILE_SEXES},
            [r.sex for r in people],
            population.sex_shares(),
            weights_by_index,
        ),
        _part(
            "region",
            _("Region"),
            pop.REGIONS,
            {c: pop.region_label(c) for c in pop.REGIONS},
            [pop.region_of(r.county) for r in people],
            population.region_shares(),
            weights_by_index,
        ),
        _part(
            "county",
            _("County or city"),
            tuple(pop.COUNTIES),
            {c: pop.county_label(c, locale) for c in pop.COUNTIES},
            [r.county for r in people],
            population.county_shares(),
            weights_by_index,
        ),
    ]
    groups = []
    for code in pop.IDENTITY_GROUPS:
        count = sum(1 for r in people if code in r.groups)
        shown = count >= THRESHOLD
        groups.append(
            Row(
                code,
                pop.group_label(code),
                count if shown else None,
                (count / profiled) if shown and profiled else None,
                None,
            )
        )
    parts.append(Part("groups", _("Identity groups (any that apply)"), groups, None))
    return Representation(
        total=total,
        profiled=profiled if profiled >= THRESHOLD or profiled == 0 else None,
        parts=parts,
        weighting=weighting,
        source=population.source,
        date=population.date,
    )
