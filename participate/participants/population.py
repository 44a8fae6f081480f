"""Taiwan's population, as the weighting and the representativeness chart need it.

The figures live in ``population_tw.csv`` beside this module, with their source, date,
licence and caveat in its header. This module reads them once and gives the categories the
participant profile asks for (age bands, sex, the 22 counties and cities, grouped into
five regions) and the population shares of each.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from flask_babel import lazy_gettext as _l

DATA_FILE = Path(__file__).resolve().parent / "population_tw.csv"

# Age bands of the profile; the population targets cover 18 and over ("u18" is asked so
# younger participants are counted, and left out of the weighting).
AGE_BANDS = ("18-29", "30-39", "40-49", "50-59", "60-69", "70+")
PROFILE_AGE_BANDS = ("u18", *AGE_BANDS)
SEXES = ("female", "male")
PROFILE_SEXES = (*SEXES, "other")
REGIONS = ("north", "central", "south", "east", "islands")

# ISO 3166-2:TW codes, the Chinese and English names, and the region (the National
# Development Council's regional grouping, with Kinmen and Matsu apart).
COUNTIES: dict[str, tuple[str, str, str]] = {
    "TPE": ("臺北市", "Taipei City", "north"),
    "NWT": ("新北市", "New Taipei City", "north"),
    "KEE": ("基隆市", "Keelung City", "north"),
    "TAO": ("桃園市", "Taoyuan City", "north"),
    "HSZ": ("新竹市", "Hsinchu City", "north"),
    "HSQ": ("新竹縣", "Hsinchu County", "north"),
    "ILA": ("宜蘭縣", "Yilan County", "north"),
    "MIA": ("苗栗縣", "Miaoli County", "central"),
    "TXG": ("臺中市", "Taichung City", "central"),
    "CHA": ("彰化縣", "Changhua County", "central"),
    "NAN": ("南投縣", "Nantou County", "central"),
    "YUN": ("雲林縣", "Yunlin County", "central"),
    "CYI": ("嘉義市", "Chiayi City", "south"),
    "CYQ": ("嘉義縣", "Chiayi County", "south"),
    "TNN": ("臺南市", "Tainan City", "south"),
    "KHH": ("高雄市", "Kaohsiung City", "south"),
    "PIF": ("屏東縣", "Pingtung County", "south"),
    "PEN": ("澎湖縣", "Penghu County", "south"),
    "HUA": ("花蓮縣", "Hualien County", "east"),
    "TTT": ("臺東縣", "Taitung County", "east"),
    "KIN": ("金門縣", "Kinmen County", "islands"),
    "LIE": ("連江縣", "Lienchiang County", "islands"),
}
# Cities where most people live in dense urban districts (for the demo's skew and nothing
# else: the weighting uses regions).
URBAN = ("TPE", "NWT", "TAO", "TXG", "TNN", "KHH", "HSZ", "KEE", "CYI")

IDENTITY_GROUPS = ("indigenous", "hakka", "new_immigrant")


def age_label(code: str) -> str:
    labels = {
        "u18": _l("Under 18"),
        "18-29": _l("18–29"),
        "30-39": _l("30–39"),
        "40-49": _l("40–49"),
        "50-59": _l("50–59"),
        "60-69": _l("60–69"),
        "70+": _l("70 and over"),
    }
    return str(labels.get(code, code))


def sex_label(code: str) -> str:
    labels = {"female": _l("Female"), "male": _l("Male"), "other": _l("Another answer")}
    return str(labels.get(code, code))


def region_label(code: str) -> str:
    labels = {
        "north": _l("Northern Taiwan"),
        "central": _l("Central Taiwan"),
        "south": _l("Southern Taiwan"),
        "east": _l("Eastern Taiwan"),
        "islands": _l("Kinmen and Matsu"),
    }
    return str(labels.get(code, code))


def county_label(code: str, locale: str) -> str:
    zh, en, _region = COUNTIES.get(code, (code, code, ""))
    return en if str(locale).startswith("en") else zh


def group_label(code: str) -> str:
    labels = {
        "indigenous": _l("Indigenous peoples"),
        "hakka": _l("Hakka"),
        "new_immigrant": _l("New immigrants"),
    }
    return str(labels.get(code, code))


def region_of(county: str | None) -> str | None:
    found = COUNTIES.get(county or "")
    return found[2] if found else None


@dataclass(frozen=True)
class Population:
    """Population counts: ``age_sex[(band, sex)]`` (18 and over), ``county[code]``
    (all ages), and the source line to print under every chart."""

    age_sex: dict[tuple[str, str], int]
    county: dict[str, int]
    source: str
    date: str

    def age_sex_shares(self) -> dict[tuple[str, str], float]:
        total = sum(self.age_sex.values())
        return {k: v / total for k, v in self.age_sex.items()}

    def age_shares(self) -> dict[str, float]:
        shares: dict[str, float] = {}
        for (band, _sex), value in self.age_sex_shares().items():
            shares[band] = shares.get(band, 0.0) + value
        return shares

    def sex_shares(self) -> dict[str, float]:
        shares: dict[str, float] = {}
        for (_band, sex), value in self.age_sex_shares().items():
            shares[sex] = shares.get(sex, 0.0) + value
        return shares

    def county_shares(self) -> dict[str, float]:
        total = sum(self.county.values())
        return {k: v / total for k, v in self.county.items()}

    def region_shares(self) -> dict[str, float]:
        shares = dict.fromkeys(REGIONS, 0.0)
        for code, value in self.county_shares().items():
            shares[COUNTIES[code][2]] += value
        return shares


@lru_cache(maxsize=1)
def load(path: Path = DATA_FILE) -> Population:
    """Read the data file (once per process). Rows with county, age band and sex all given
    (the full published cross-table) take precedence over the two margin tables."""
    age_sex: dict[tuple[str, str], int] = {}
    county: dict[str, int] = {}
    full: dict[tuple[str, str, str], int] = {}
    with path.open(encoding="utf-8") as fh:
        lines = [line for line in fh if not line.startswith("#")]
    for row in csv.DictReader(lines):
        value = int(row["population"])
        c, band, sex = row["county"], row["age_band"], row["sex"]
        if c != "*" and band != "*" and sex != "*":
            full[(c, band, sex)] = value
        elif row["table"] == "age_sex":
            age_sex[(band, sex)] = value
        elif row["table"] == "county":
            county[c] = value
    if full:
        age_sex, county = {}, {}
        for (c, band, sex), value in full.items():
            age_sex[(band, sex)] = age_sex.get((band, sex), 0) + value
            county[c] = county.get(c, 0) + value
    missing = {(b, s) for b in AGE_BANDS for s in SEXES} - set(age_sex)
    if missing or set(county) != set(COUNTIES):
        raise ValueError(f"{path.name}: incomplete population table")
    return Population(
        age_sex=age_sex,
        county=county,
        source="內政部戶政司 戶籍登記人口統計",  # the official name, in every language
        date="2024-12",
    )
