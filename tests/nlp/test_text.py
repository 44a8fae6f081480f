"""Keywords, topics and near-duplicates."""

from __future__ import annotations

from nlp.keywords import textrank_keywords, tfidf_keywords
from nlp.similar import SimilarityIndex, near_duplicates
from nlp.topics import topics

CORPUS = [
    "政府應該加強長照服務的人力培訓",
    "長照人力不足，照顧服務員薪資太低",
    "長照服務員應該提高薪資",
    "捷運票價不應該再調漲",
    "捷運應該延長營運時間到凌晨兩點",
    "大眾運輸票價應該降低，鼓勵搭乘捷運",
    "UberX 司機應該取得職業駕照",
    "Uber 應該依法納稅並投保乘客責任險",
    "計程車司機擔心 Uber 搶走生意",
    "空氣污染嚴重影響南部居民的健康",
    "環境部應該公開工廠排放資料",
    "火力發電廠造成空氣污染",
]


def test_tfidf_keywords_against_background():
    kws = tfidf_keywords(CORPUS[:3], CORPUS, top=5)
    terms = [k.term for k in kws]
    assert terms[0] == "長照"
    assert all(a.score >= b.score for a, b in zip(kws, kws[1:], strict=False))


def test_textrank_keywords():
    kws = textrank_keywords(CORPUS[3:6], top=3)
    assert "捷運" in [k.term for k in kws]
    assert textrank_keywords([]) == []


TOPICAL = {
    "care": [
        "長照服務人力不足，照顧服務員太少",
        "長照服務員的薪資應該提高",
        "政府應該加強長照服務的人力培訓",
        "長照機構的照顧品質需要評鑑",
        "偏鄉的長照服務資源不足",
    ],
    "metro": [
        "捷運票價不應該再調漲",
        "捷運應該延長營運時間",
        "捷運站應該增加無障礙電梯",
        "捷運票價應該提供學生優惠",
        "捷運班次在尖峰時間應該增加",
    ],
    "air": [
        "空氣污染嚴重影響南部居民的健康",
        "火力發電廠造成空氣污染",
        "工廠排放是空氣污染的主因",
        "政府應該訂定更嚴格的空氣污染標準",
        "空氣污染季節應該減少燃煤發電",
    ],
}


def test_topics_group_by_content():
    from sklearn.metrics import adjusted_rand_score

    texts = [t for group in TOPICAL.values() for t in group]
    truth = [i for i, group in enumerate(TOPICAL.values()) for _ in group]
    groups = topics(texts, seed=0)
    assert sorted(m for t in groups for m in t.members) == list(range(len(texts)))
    found = [0] * len(texts)
    for i, t in enumerate(groups):
        for m in t.members:
            found[m] = i
    ari = adjusted_rand_score(truth, found)
    print(f"\ntopics: {[t.keywords[:3] for t in groups]} ARI={ari:.3f}")
    assert ari >= 0.6
    labels = [kw for t in groups for kw in t.keywords[:2]]
    # key phrases keep words that belong together (長照服務, 捷運票價)
    for word in ("長照", "捷運", "空氣污染"):
        assert any(word in label for label in labels), word
    assert topics(texts, seed=0) == groups
    assert topics([]) == [] and len(topics(CORPUS[:3])) == 1


def test_near_duplicates_variants():
    corpus = CORPUS + ["台北的捷運應該延長營運時間"]
    got = near_duplicates("臺北的捷運應該延長營運時間", corpus)
    assert got[0].index == len(corpus) - 1 and got[0].score > 0.99
    full = near_duplicates("ＵｂｅｒＸ司機應該取得職業駕照", corpus)
    assert full and full[0].index == 6 and full[0].score > 0.99
    para = near_duplicates("長照服務員的薪資應該提高", corpus, threshold=0.3)
    assert para and para[0].index == 2
    assert near_duplicates("我喜歡吃蘋果", corpus) == []
    assert near_duplicates("", corpus) == [] and near_duplicates("長照", []) == []


def test_near_duplicates_top_and_threshold():
    idx = SimilarityIndex(CORPUS)
    # The query's words 捷運, 票價, 降低 all occur in item 5; item 3 has 捷運 and 票價 only.
    res = idx.query("捷運票價應該降低", top=2, threshold=0.0)
    assert [m.index for m in res] == [5, 3]
    assert 0 < res[1].score < res[0].score < 1
    # A threshold between the two scores keeps only the better one.
    between = (res[0].score + res[1].score) / 2
    assert [m.index for m in idx.query("捷運票價應該降低", top=5, threshold=between)] == [5]


def test_near_duplicates_scales_to_thousands():
    import numpy as np

    chars = list("政府應該加強服務人力培訓捷運票價調漲空氣污染健康環境公開資料司機乘客保險")
    rng = np.random.default_rng(0)
    corpus = ["".join(rng.choice(chars, size=14)) for _ in range(3000)]
    first = near_duplicates(corpus[1234], corpus, top=3)
    again = near_duplicates(corpus[1234], corpus, top=3)  # cached index
    assert first == again and first[0].index == 1234
