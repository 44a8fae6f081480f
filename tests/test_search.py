"""Chinese full-text search: real queries against a small corpus, on SQLite and PostgreSQL.

The same expectations run on both databases (tests/run.py runs the suite twice), and
``test_database_hits_equal_the_token_reference`` checks each backend against a pure-Python
reading of the stored tokens, so the two backends give identical hits.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text

from participate import search as engine
from participate.extensions import db
from tests.search_fixtures import T0, Corpus, corpus_fixture  # noqa: F401 - fixture

# query, filters, expected corpus names (order-insensitive)
CASES: list[tuple[str, dict[str, Any], set[str]]] = [
    ("台北", {}, {"P1", "S2"}),
    ("臺北", {}, {"P1", "S2"}),
    ("臺北市", {}, {"P1"}),
    ("台北市", {}, {"P1"}),
    ("待轉區", {}, {"P1", "S1", "S7"}),  # S3 is hidden
    ("长照", {}, {"P2", "S4"}),  # Simplified input
    ("長照", {}, {"P2", "S4"}),  # the draft response R2draft is not published
    ("长期照顾", {}, {"P2"}),
    ("電動機車", {}, {"C3"}),
    ("电动机车", {}, {"C3"}),
    ("機車", {}, {"P1", "C3", "S2"}),
    ("机车", {"kind": "consultation"}, {"C3"}),
    ("機車", {"agency": "motc"}, {"P1", "S2"}),
    ("長照", {"status": "established"}, {"P2", "S4"}),
    ("長照", {"kind": "statement"}, {"S4"}),
    ("ＡＩ", {}, {"P6"}),  # full-width
    ("AI", {}, {"P6"}),
    ("ai 客服", {}, {"P6"}),  # English mixed with Chinese
    ("營養午餐", {}, {"P5", "R5"}),
    ("营养午餐", {}, {"P5", "R5"}),
    ("教育部 補助", {}, {"R5"}),
    ("补助", {}, {"C3", "P5", "R5"}),
    ("補助", {"kind": "response"}, {"R5"}),
    ("社區裏", {}, {"S5"}),  # 裏 folded to 裡
    ("日照中心", {}, {"P2", "S5"}),
    ("長照2.0", {}, {"P2"}),
    ("台中捷運", {}, set()),  # still in review: not public
    ("捷運", {}, set()),
    ("不存在的詞彙", {}, set()),
    ("的", {}, set()),  # only a stopword
    ("待轉區 機車", {}, {"P1"}),  # tokens are ANDed
    # No item holds both: the items holding either, ranked, flagged as partial.
    ("待轉區 長照", {}, {"P1", "S1", "S7", "P2", "S4"}),
    ("台北 月票", {}, {"P1", "S2"}),
    ("SPAM", {}, set()),  # hidden statement
]


def _run(corpus: Corpus, q: str, filters: dict[str, Any]) -> set[tuple[str, int]]:
    kw = dict(filters)
    if "agency" in kw:
        kw["agency_id"] = corpus.agencies[kw.pop("agency")]
    page = engine.search(q, per_page=100, **kw)
    assert page.total == len(page.hits)
    return set(page.ids)


@pytest.mark.parametrize(("q", "filters", "expected"), CASES, ids=[c[0] for c in CASES])
def test_query_finds_the_expected_items(app, corpus, q, filters, expected):
    with app.app_context():
        assert _run(corpus, q, filters) == {corpus.key(n) for n in expected}


def test_database_hits_equal_the_token_reference(app, corpus):
    """Each backend returns exactly what the stored tokens say should match."""
    with app.app_context():
        docs = db.session.execute(
            text("SELECT kind, item_id, search_text FROM search_document WHERE visible = :v"),
            {"v": True},
        ).all()
        for q, _filters, _expected in CASES:
            variants = engine.query_variants(q)
            reference = {
                (d.kind, d.item_id)
                for d in docs
                if any(set(toks) <= set(d.search_text.split()) for toks in variants)
            }
            words = {t for toks in variants for t in toks}
            if not reference and len(words) > 1:  # the partial-match fallback
                reference = {
                    (d.kind, d.item_id) for d in docs if words & set(d.search_text.split())
                }
            assert _run(corpus, q, {}) == reference, q


def test_no_item_with_every_word_falls_back_to_ranked_partial_matches(app, client, corpus):
    with app.app_context():
        strict = engine.search("待轉區 機車")
        assert not strict.partial and strict.total
        partial = engine.search("台北 月票")
        assert partial.partial and {(h.kind, h.item_id) for h in partial.hits} == {
            corpus.key("P1"),
            corpus.key("S2"),
        }
        # An item holding more of the words ranks above one holding fewer.
        mixed = engine.search("待轉區 長照 臺北市").hits
        assert (mixed[0].kind, mixed[0].item_id) == corpus.key("P1")
        assert not engine.search("月票 不存在的詞彙").hits
    page = client.get("/search?q=台北+月票").get_data(as_text=True)
    assert "沒有同時包含所有字詞的結果" in page and "2 筆" in page
    page = client.get("/search?q=待轉區+機車").get_data(as_text=True)
    assert "沒有同時包含所有字詞的結果" not in page


def test_ranking_prefers_more_matches_then_recency(app, corpus):
    with app.app_context():
        hits = engine.search("待轉區").hits
        # P1 repeats 待轉區 in title, summary, problem and measures: most relevant.
        assert (hits[0].kind, hits[0].item_id) == corpus.key("P1")
        # Same text, newer first.
        from participate.models import Discussion, Statement

        d = db.session.scalar(db.select(Discussion))
        for days in (1, 2):
            db.session.add(
                Statement(
                    discussion_id=d.id, text="共享單車停放區", created_at=T0 + timedelta(days=days)
                )
            )
        db.session.commit()
        found = engine.search("共享單車").hits
        assert [h.created_at for h in found] == sorted((h.created_at for h in found), reverse=True)


def test_snippets_escape_then_mark(app, corpus):
    with app.app_context():
        hits = {(h.kind, h.item_id): h for h in engine.search("台北").hits}
        p1 = hits[corpus.key("P1")]
        assert "<mark>台北</mark>市許多路口" in str(p1.snippet)
        assert "<mark>臺北</mark>市機車待轉區改善" == str(p1.title_html)
        s7 = {(h.kind, h.item_id): h for h in engine.search("標線").hits}[corpus.key("S7")]
        assert "&lt;script&gt;alert(1)&lt;/script&gt;待轉區<mark>標線</mark>" in str(s7.snippet)
        assert "<script>" not in str(s7.snippet)
        ai = engine.search("ai").hits[0]
        assert "導入<mark>ＡＩ</mark>客服" in str(ai.snippet)


def test_long_text_snippet_is_cut_around_the_match(app, corpus):
    body = "前言" * 200 + "關鍵的腳踏車道" + "結語" * 200
    snippet = str(engine.highlight(body, ["腳踏車"], width=60))
    assert snippet.startswith("…") and snippet.endswith("…")
    assert "<mark>腳踏車</mark>" in snippet
    assert len(snippet) < 100


def test_pagination(app, corpus):
    with app.app_context():
        first = engine.search("待轉區", per_page=2, page=1)
        second = engine.search("待轉區", per_page=2, page=2)
        assert first.total == second.total == 3
        assert first.pages == 2 and first.has_next and not second.has_next
        assert len(first.hits) == 2 and len(second.hits) == 1
        assert not set(first.ids) & set(second.ids)


def test_index_follows_edits_and_deletes_once_committed(app, corpus):
    """A bulk writer's change reaches the index through the effect it queues, after its
    commit; a deleted item leaves the index."""
    from participate import outbox
    from participate.boundary import unit
    from participate.models import Statement

    with app.app_context():
        with unit():
            st = db.session.get(Statement, corpus.ids["S1"])
            st.text = "自行車道應該和人行道分開"
            outbox.add(engine.index_statement, st.id)
            # not before the commit: the search still sees the old text
            assert engine.search("自行車道").ids == []
        assert engine.search("自行車道").ids == [corpus.key("S1")]
        assert corpus.key("S1") not in engine.search("待轉區").ids

        with unit():
            db.session.delete(db.session.get(Statement, corpus.ids["S1"]))
            outbox.add(engine.index_statement, corpus.ids["S1"])
        assert engine.search("自行車道").ids == []
        assert (
            db.session.execute(
                text("SELECT count(*) FROM search_document WHERE kind='statement' AND item_id=:i"),
                {"i": corpus.ids["S1"]},
            ).scalar()
            == 0
        )


def test_a_proposal_leaving_review_becomes_searchable_only_when_committed(app, corpus, make_user):
    from participate.boundary import unit
    from participate.models import Proposal, User
    from participate.proposals import operations

    mod = make_user(role="moderator")
    with app.app_context():
        with pytest.raises(RuntimeError), unit():
            operations.accept_proposal(
                db.session.get(User, mod.id), db.session.get(Proposal, corpus.ids["P4"])
            )
            raise RuntimeError("the request failed after the decision")
        assert engine.search("台中捷運").ids == []  # rolled back: the index is untouched
        with unit():
            operations.accept_proposal(
                db.session.get(User, mod.id), db.session.get(Proposal, corpus.ids["P4"])
            )
        assert engine.search("台中捷運").ids == [corpus.key("P4")]


def test_index_follows_the_discussion_rules(app, corpus, make_user):
    """Through the discussion area's own operation (hide by a moderator), committed by a
    unit of work as a request would."""
    from participate.boundary import unit
    from participate.discussion import operations
    from participate.models import ContentStatus, Statement, User

    mod = make_user(role="moderator")
    with app.app_context():
        st = db.session.get(Statement, corpus.ids["S4"])
        with unit():
            operations.set_status(db.session.get(User, mod.id), st, ContentStatus.HIDDEN, "test")
        assert engine.search("薪資").ids == []
        with unit():
            operations.set_status(db.session.get(User, mod.id), st, ContentStatus.VISIBLE, "test")
        assert engine.search("薪資").ids == [corpus.key("S4")]


def test_publishing_a_response_indexes_it(app, corpus, make_user):
    """Through the proposals area's operation, committed as a request would be."""
    from participate.boundary import unit
    from participate.models import AgencyResponse, Proposal, ProposalMeasure, User
    from participate.proposals import operations

    staff = make_user(role="agency_staff", agency=corpus.agencies["mohw"])
    with app.app_context():
        assert engine.search("明年").ids == []
        with unit():
            p2 = db.session.get(Proposal, corpus.ids["P2"])
            p2.response_due_at = T0 + timedelta(days=60)
            p2.measures.append(ProposalMeasure(position=1, text="增加日照中心"))
        with unit():
            p2 = db.session.get(Proposal, corpus.ids["P2"])
            point = operations.PointInput(
                measure_id=p2.measures[0].id,
                decision="adopted",
                reasoning="明年增加十處日照中心。",
                responsible_unit="長照司",
                follow_up_on=None,
            )
            operations.save_response(
                db.session.get(User, staff.id), p2, "長照據點將於明年增加。", [point], True
            )
        r = db.session.get(AgencyResponse, corpus.ids["R2draft"])
        assert r.published_at is not None
        assert engine.search("明年").ids == [("response", r.id)]


def test_reindex_command_rebuilds_everything(app, corpus):
    with app.app_context():
        before = sorted(engine.search("機車", per_page=100).ids)
        db.session.execute(text("DELETE FROM search_document"))
        db.session.commit()
        assert engine.search("機車").ids == []
    result = app.test_cli_runner().invoke(args=["reindex"])
    assert result.exit_code == 0, result.output
    assert "documents" in result.output
    with app.app_context():
        assert sorted(engine.search("機車", per_page=100).ids) == before


def test_search_page_shows_highlighted_results_and_filters(app, client, corpus):
    resp = client.get("/search?q=台北")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "<mark>台北</mark>" in html and "<mark>臺北</mark>" in html
    assert f'href="/proposals/{corpus.ids["P1"]}"' in html
    assert f'href="/discussion/statements/{corpus.ids["S2"]}"' in html

    html = client.get("/search?q=機車&kind=consultation").get_data(as_text=True)
    assert "電動機車補助辦法修正草案" not in html or "<mark>" in html
    assert f'href="/proposals/{corpus.ids["C3"]}"' in html
    assert f'href="/proposals/{corpus.ids["P1"]}"' not in html

    resp = client.get("/search?q=捷運")
    assert resp.status_code == 200
    assert "台中捷運延伸到彰化" not in resp.get_data(as_text=True)

    # Junk in the filters is ignored, not an error page...
    assert client.get("/search?q=機車&kind=nope&agency=x").status_code == 200
    # ...but a page number is a page number, on every route (participate.paging).
    assert client.get("/search?q=機車&page=zz").status_code == 400
    # No query: the form only.
    html = client.get("/search").get_data(as_text=True)
    assert 'name="q"' in html and "search-results" not in html


def test_search_page_paginates_without_javascript(app, client, corpus):
    from participate.models import Discussion, Statement

    with app.app_context():
        d = db.session.scalar(db.select(Discussion))
        for i in range(25):
            db.session.add(Statement(discussion_id=d.id, text=f"公車路線第{i}號調整"))
        db.session.flush()
        engine.index_discussion(d.id)  # written in bulk: indexed as bulk writers do
        db.session.commit()
    html = client.get("/search?q=公車路線").get_data(as_text=True)
    assert 'rel="next"' in html
    html2 = client.get("/search?q=公車路線&page=2").get_data(as_text=True)
    assert 'rel="prev"' in html2 and html2.count('class="search-hit"') == 5
