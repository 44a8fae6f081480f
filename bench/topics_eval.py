"""Topic quality on a labelled set of statements (tests/nlp/data/topics_labelled.tsv: 153
statements we wrote across 9 policy themes).

Prints, for :func:`nlp.topics.topics`: number of topics, purity (share of statements whose
topic's majority theme is their own theme, statements in "other" excluded), coverage (share
of statements placed in a named topic, not "other"), themes recovered (themes that are the
majority of at least one topic), NMI and ARI against the themes (statements in "other" as
one more label), and each topic's label. Run:

    .venv/bin/python bench/topics_eval.py [--seed 0]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT / "tests" / "nlp" / "data" / "topics_labelled.tsv"


def load() -> tuple[list[str], list[str]]:
    themes, texts = [], []
    for line in DATA.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        theme, text = line.split("\t", 1)
        themes.append(theme)
        texts.append(text)
    return themes, texts


def evaluate(themes: list[str], topic_list) -> dict[str, float]:
    """Purity, coverage, themes recovered, NMI and ARI of topics against themes."""
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    n = len(themes)
    label = ["other"] * n
    named = 0
    correct = 0
    recovered = set()
    for t_i, t in enumerate(topic_list):
        members = list(t.members)
        if getattr(t, "other", False):
            continue
        for m in members:
            label[m] = f"t{t_i}"
        named += len(members)
        maj, cnt = Counter(themes[m] for m in members).most_common(1)[0]
        correct += cnt
        recovered.add(maj)
    return {
        "topics": sum(1 for t in topic_list if not getattr(t, "other", False)),
        "purity": correct / named if named else 0.0,
        "coverage": named / n,
        "themes_recovered": len(recovered) / len(set(themes)),
        "nmi": normalized_mutual_info_score(themes, label),
        "ari": adjusted_rand_score(themes, label),
    }


def main(argv: list[str] | None = None) -> int:
    from nlp.topics import topics

    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    themes, texts = load()
    from nlp.segment import tokens

    tokens("暖身")  # the segmenter's one-off start is not topic time
    t0 = time.perf_counter()
    res = topics(texts, seed=args.seed)
    dt = time.perf_counter() - t0
    m = evaluate(themes, res)
    print(
        f"{len(texts)} statements, {len(set(themes))} themes: {m['topics']} topics, "
        f"purity {m['purity']:.3f}, coverage {m['coverage']:.3f}, themes recovered "
        f"{m['themes_recovered']:.3f}, NMI {m['nmi']:.3f}, ARI {m['ari']:.3f}, {dt:.2f} s"
    )
    for t in res:
        maj = Counter(themes[i] for i in t.members).most_common(1)[0]
        name = texts[t.central] if getattr(t, "central", None) is not None else ""
        tag = "other" if getattr(t, "other", False) else f"{maj[0]} {maj[1]}/{len(t.members)}"
        print(f"  [{tag}] {' / '.join(t.keywords)}  «{name}»")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
