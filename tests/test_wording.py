"""What people read: labels instead of internal codes, Chinese pages without English
sentences, the moderation notice in the author's bell, and the small rough edges of the
flows (the home page's proposal button, the response's confirmation, the voting card)."""

# ruff: noqa: F811 - pytest fixtures imported from tests.moderation_fixtures

from __future__ import annotations

import re

import pytest

from participate.models import ModerationItem, Statement
from tests import proposals_fixtures
from tests.conftest import CsrfClient
from tests.moderation_fixtures import (  # noqa: F401 - fixtures
    add_statement,
    get,
    items,
    make_consultation,
    quick_login,
)


@pytest.fixture()
def login(quick_login):
    return quick_login


def new_client(app) -> CsrfClient:
    app.test_client_class = CsrfClient
    return app.test_client()


def text_of(html: str) -> str:
    """The page's visible text, roughly: tags dropped, whitespace folded."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def reject_reported_statement(app, make_user, login, make_consultation):
    """An author's statement, reported by someone as abuse, removed by a moderator with a
    published reason. Returns (author, moderator client, statement id)."""
    _pid, did = make_consultation()
    author = make_user(name="作者小華")
    sid = add_statement(app, did, author.id, "一則會被移除的意見")
    reporter = login(new_client(app), make_user())
    assert (
        reporter.post(f"/discussion/report/statement/{sid}", data={"reason": "abuse"}).status_code
        < 400
    )
    moderator = login(new_client(app), make_user(role="moderator"))
    (item,) = items(app, ModerationItem.content_id == sid)
    resp = moderator.post(
        f"/moderation/items/{item.id}",
        data={"action": "reject", "reason": "abusive", "message": "請避免人身攻擊"},
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    return author, moderator, sid, item.id


def test_moderation_notice_reaches_the_authors_bell(app, make_user, login, make_consultation):
    author, _mod, sid, _item = reject_reported_statement(app, make_user, login, make_consultation)
    assert get(app, Statement, sid).status.value == "hidden"
    me = login(new_client(app), author)

    home = me.get("/").get_data(as_text=True)
    assert re.search(r"通知\s*<span class=\"badge bell-count\"><span aria-hidden=\"true\">1<", home)
    page = me.get("/notifications").get_data(as_text=True)
    assert "目前沒有通知" not in page
    assert "管理員移除了您的內容。" in text_of(page)
    assert 'href="/moderation/notices"' in page

    # Reading the notices clears their line in the bell, as "mark all as read" does.
    me.get("/moderation/notices")
    assert me.post("/moderation/notices", data={}).status_code == 302
    assert "bell-count" not in me.get("/").get_data(as_text=True)


def test_moderation_pages_name_reasons_and_actions_in_words(
    app, make_user, login, make_consultation
):
    _author, moderator, _sid, item_id = reject_reported_statement(
        app, make_user, login, make_consultation
    )
    item_page = text_of(moderator.get(f"/moderation/items/{item_id}").get_data(as_text=True))
    assert "abuse" not in item_page and "謾罵或騷擾" in item_page
    assert "abusive" not in item_page

    admin = login(new_client(app), make_user(role="admin"))
    for url in ("/admin/audit", "/moderation/audit"):
        page = text_of(admin.get(url).get_data(as_text=True))
        assert not re.search(r"\b(report\.create|moderation\.reject|statement #)", page), url
        assert "檢舉內容" in page and "意見 #" in page, url


def test_audit_labels_cover_status_changes_and_unknown_codes(app):
    from flask_babel import force_locale

    from participate import audit_labels as audit

    with app.test_request_context(), force_locale("zh_Hant_TW"):
        assert audit.action_label("moderation.reject") == "依公告理由移除"
        assert audit.action_label("proposal.responded") == "提案狀態改為：已回應"
        assert "." not in audit.action_label("unheard.of")
        assert audit.target_label("statement", 123) == "意見 #123"


def test_login_redirect_message_is_translated(client):
    resp = client.get("/account/", follow_redirects=True)
    page = resp.get_data(as_text=True)
    assert "Please log in" not in page
    assert "請先登入才能開啟這個頁面。" in page


def test_analysis_history_names_its_triggers(app):
    from flask_babel import force_locale

    from participate.reports.scheduler import TRIGGER_LABELS, trigger_label

    with app.test_request_context(), force_locale("zh_Hant_TW"):
        for code in TRIGGER_LABELS:
            assert not re.search(r"[a-z]", trigger_label(code)), code
        assert trigger_label("something-new") == "其他原因"


# --- Publishing an agency response asks for confirmation ---------------------------------

cast = proposals_fixtures.cast
req = proposals_fixtures.req


def test_publishing_a_response_needs_the_confirmation_box(app, client, login, cast, req):
    from participate.extensions import db
    from participate.models import AgencyResponse

    p = proposals_fixtures.make_established(app, cast)
    pid, measures = p.id, [m.id for m in p.measures]
    proposals_fixtures.freeze(app, proposals_fixtures.T0 + 10 * proposals_fixtures.DAY)
    db.session.remove()
    login(client, cast.staff)  # with the second factor, as staff sign in
    page = client.get(f"/proposals/{pid}/response").get_data(as_text=True)
    assert 'type="checkbox"' in page and "我了解回應公開後無法修改" in page

    form = {"overall": "整體回應", "publish": "1"}
    for mid in measures:
        form |= {f"decision_{mid}": "adopted", f"reasoning_{mid}": "理由"}
    resp = client.post(f"/proposals/{pid}/response", data=form)
    assert resp.status_code == 400
    assert re.search(r'id="confirm-error">[^<]*回應公開後就無法修改', resp.get_data(as_text=True))
    with app.app_context():
        assert db.session.scalar(db.select(AgencyResponse.published_at)) is None

    # Saving a draft needs no confirmation; publishing with the box ticked goes through.
    draft = dict(form)
    draft.pop("publish")
    assert client.post(f"/proposals/{pid}/response", data=draft | {"save": "1"}).status_code == 302
    resp = client.post(f"/proposals/{pid}/response", data=form | {"confirm": "y"})
    assert resp.status_code == 302
    with app.app_context():
        assert db.session.scalar(db.select(AgencyResponse.published_at)) is not None


# --- The voting card and what visitors read -----------------------------------------------


def test_voting_card_never_offers_your_own_statement(app, make_user, login, make_consultation):
    pid, did = make_consultation()
    author = make_user()
    add_statement(app, did, author.id, "我自己寫的意見")
    me = login(new_client(app), author)
    card = text_of(me.get(f"/proposals/{pid}/discussion/vote").get_data(as_text=True))
    assert "我自己寫的意見" not in card
    assert "您已對 0 則意見中的 0 則表態" in card

    other = add_statement(app, did, make_user().id, "別人寫的意見")
    card = me.get(f"/proposals/{pid}/discussion/vote").get_data(as_text=True)
    assert f'data-statement="{other}"' in card and "我自己寫的意見" not in text_of(card)


def test_visitors_see_counts_and_are_asked_to_log_in(app, client, make_user, make_consultation):
    pid, did = make_consultation()
    add_statement(app, did, make_user().id, "公車應該更準時")
    page = client.get(f"/proposals/{pid}/discussion").get_data(as_text=True)
    text = text_of(page)
    assert "目前共有 1 則意見。" in text and "登入後即可表態" in text
    assert "您已對" not in text
    assert "data-counts hidden" not in page and "data-counts-hint" not in page
    card = text_of(client.get(f"/proposals/{pid}/discussion/vote").get_data(as_text=True))
    assert "目前共有 1 則意見。" in card and "登入後即可表態" in card
