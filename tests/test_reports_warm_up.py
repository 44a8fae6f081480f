"""The analysis run's warm-up (issue 15): in a fresh process the analysis code is loaded
and the statements segmented in a background thread during the database read, so the
topics and keywords find them memoised."""

from __future__ import annotations

from nlp import segment


def test_the_warm_up_segments_what_the_analysis_will_ask_for():
    from nlp import topics
    from participate.reports import engine

    text = "行人專用道應該優先設計"
    engine.warm_up([text]).join()
    hits = segment._tokens_cached.cache_info().hits
    segment.tokens(text)
    assert segment._tokens_cached.cache_info().hits == hits + 1
    hits = topics._words.cache_info().hits
    topics._words(text)
    assert topics._words.cache_info().hits == hits + 1
