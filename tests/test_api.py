"""The open-data API: reads, caching headers, CORS, pagination, tokens (scopes, revocation,
rate limits) and writes through the discussion rules. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from typing import Any

from participate.extensions import db
from tests.search_fixtures import T0, Corpus, corpus_fixture  # noqa: F401 - fixture


def _token(app: Any, user: Any, scopes: list[str], name: str = "test") -> str:
    from participate.api.tokens import create_token
    from participate.boundary import unit
    from participate.models import User

    with app.app_context(), unit():
        _row, secret = create_token(db.session.get(User, user.id), name, scopes)
    return secret


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


# --------------------------------------------------------------------------- reads


def test_proposals_list_filters_and_hides_non_public(client, corpus: Corpus):
    data = client.get("/api/v1/proposals").get_json()
    ids = {p["id"] for p in data["items"]}
    assert ids == {corpus.ids[n] for n in ("P1", "P2", "C3", "P5", "P6")}  # P4 is in review
    assert data["meta"] == {"page": 1, "per_page": 20, "total": 5, "pages": 1}

    data = client.get("/api/v1/proposals?kind=consultation").get_json()
    assert [p["id"] for p in data["items"]] == [corpus.ids["C3"]]
    data = client.get("/api/v1/consultations").get_json()
    assert [p["title"] for p in data["items"]] == ["電動機車補助辦法修正草案"]

    data = client.get("/api/v1/proposals?status=established").get_json()
    assert [p["id"] for p in data["items"]] == [corpus.ids["P2"]]
    motc = corpus.agencies["motc"]
    data = client.get(f"/api/v1/proposals?agency={motc}").get_json()
    assert [p["id"] for p in data["items"]] == [corpus.ids["P1"]]

    p1 = client.get(f"/api/v1/proposals/{corpus.ids['P1']}").get_json()
    assert p1["title"] == "臺北市機車待轉區改善"
    assert [m["text"] for m in p1["measures"]] == ["訂定待轉區設計準則", "公布事故熱點"]
    assert p1["endorsement_count"] == 0 and p1["statement_count"] == 3  # S3 hidden
    assert p1["responsible_agency_ids"] == [motc]
    assert client.get(f"/api/v1/proposals/{corpus.ids['P4']}").status_code == 404


def test_response_clock_is_published(app, client, corpus: Corpus):
    from participate.models import Proposal

    with app.app_context():
        p2 = db.session.get(Proposal, corpus.ids["P2"])
        p2.response_started_at = T0
        p2.response_due_at = T0 + timedelta(days=60)
        db.session.commit()
    app.config["FROZEN_NOW"] = T0 + timedelta(days=70)
    clock = client.get(f"/api/v1/proposals/{corpus.ids['P2']}").get_json()["response_clock"]
    assert clock["overdue"] is True and clock["overdue_days"] == 10
    assert clock["due_at"].startswith("2026-05-01")
    stats = client.get("/api/v1/statistics").get_json()
    assert stats["responses_overdue"] == 1


def test_pagination_links_and_link_header(client, corpus: Corpus):
    resp = client.get("/api/v1/proposals?per_page=2&page=2")
    data = resp.get_json()
    assert data["meta"]["pages"] == 3 and len(data["items"]) == 2
    assert data["links"]["next"] == "/api/v1/proposals?per_page=2&page=3"
    assert data["links"]["prev"] == "/api/v1/proposals?per_page=2&page=1"
    assert 'rel="next"' in resp.headers["Link"] and 'rel="last"' in resp.headers["Link"]
    last = client.get(data["links"]["last"]).get_json()
    assert last["links"]["next"] is None and len(last["items"]) == 1


def test_statements_with_vote_counts_exclude_hidden(app, client, corpus: Corpus):
    from participate.models import Statement

    with app.app_context():
        st = db.session.get(Statement, corpus.ids["S2"])
        st.agree_count, st.disagree_count, st.pass_count = 5, 2, 1
        db.session.commit()
    data = client.get(f"/api/v1/proposals/{corpus.ids['P1']}/statements").get_json()
    assert [s["id"] for s in data["items"]][0] == corpus.ids["S2"]  # most voted first
    assert corpus.ids["S3"] not in {s["id"] for s in data["items"]}
    s2 = data["items"][0]
    assert (s2["agree"], s2["disagree"], s2["pass"], s2["votes"]) == (5, 2, 1, 8)
    newest = client.get(f"/api/v1/proposals/{corpus.ids['P1']}/statements?order=newest")
    assert newest.get_json()["items"][0]["id"] == corpus.ids["S7"]


def test_official_response_point_by_point(app, client, corpus: Corpus):
    from participate.models import AgencyResponse, Decision, Proposal, ResponsePoint

    with app.app_context():
        p5 = db.session.get(Proposal, corpus.ids["P5"])
        r = db.session.get(AgencyResponse, corpus.ids["R5"])
        r.points.append(
            ResponsePoint(
                measure_id=p5.measures[0].id,
                decision=Decision.ADOPTED,
                reasoning="明年起編列預算補助。",
                responsible_unit="國民及學前教育署",
            )
        )
        db.session.commit()
    data = client.get(f"/api/v1/proposals/{corpus.ids['P5']}/response").get_json()
    assert data["overall"].startswith("教育部將補助")
    assert data["points"] == [
        {
            "measure_id": data["points"][0]["measure_id"],
            "measure_position": 1,
            "measure_text": "補助學校採購在地食材",
            "decision": "adopted",
            "reasoning": "明年起編列預算補助。",
            "responsible_unit": "國民及學前教育署",
            "follow_up_on": None,
            "linked_statement_ids": [],
        }
    ]
    # A draft response is not public.
    assert client.get(f"/api/v1/proposals/{corpus.ids['P2']}/response").status_code == 404


def test_latest_successful_analysis(app, client, corpus: Corpus):
    from participate.models import Discussion
    from participate.models import analysis as models

    url = f"/api/v1/proposals/{corpus.ids['P1']}/analysis"
    assert client.get(url).status_code == 404
    with app.app_context():
        d = db.session.scalar(
            db.select(Discussion).where(Discussion.proposal_id == corpus.ids["P1"])
        )
        for version, status in ((1, "succeeded"), (2, "succeeded"), (3, "failed")):
            db.session.add(
                models.Analysis(
                    discussion_id=d.id,
                    version=version,
                    status=models.AnalysisStatus(status),
                    result={"groups": [{"id": 0, "size": version}]}
                    if status == "succeeded"
                    else None,
                    finished_at=T0 + timedelta(hours=version),
                )
            )
        db.session.commit()
    data = client.get(url).get_json()
    assert data["version"] == 2 and data["result"]["groups"][0]["size"] == 2


def test_search_endpoint_uses_the_site_engine(client, corpus: Corpus):
    data = client.get("/api/v1/search?q=长照").get_json()
    assert {(i["kind"], i["id"]) for i in data["items"]} == {corpus.key("P2"), corpus.key("S4")}
    assert "長照" in data["tokens"]
    data = client.get("/api/v1/search?q=台北&kind=statement").get_json()
    assert [i["snippet_html"] for i in data["items"]] == [
        "<mark>臺北</mark>的機車太多了，要發展大眾運輸"
    ]
    resp = client.get("/api/v1/search")
    assert resp.status_code == 400
    assert resp.get_json()["error"]["fields"]["q"]


def test_errors_are_json(client, corpus: Corpus):
    resp = client.get("/api/v1/proposals?page=0&per_page=1000")
    body = resp.get_json()
    assert resp.status_code == 400 and body["error"]["code"] == "invalid"
    assert set(body["error"]["fields"]) == {"page", "per_page"}
    resp = client.get("/api/v1/nothing-here")
    assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "not_found"


# --------------------------------------------------------------------------- caching, CORS


def test_etag_and_if_none_match(app, client, corpus: Corpus):
    url = f"/api/v1/proposals/{corpus.ids['P1']}"
    first = client.get(url)
    etag = first.headers["ETag"]
    assert first.headers["Last-Modified"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
    # A change makes a new ETag.
    from participate.models import Proposal

    with app.app_context():
        db.session.get(Proposal, corpus.ids["P1"]).endorsement_count = 7
        db.session.commit()
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    # If-Modified-Since with the Last-Modified date answers 304 too.
    lm = changed.headers["Last-Modified"]
    assert client.get(url, headers={"If-Modified-Since": lm}).status_code == 304


def test_cors_for_reads_only(client, corpus: Corpus):
    resp = client.get("/api/v1/proposals", headers={"Origin": "https://example.org"})
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in resp.headers["Access-Control-Expose-Headers"]
    pre = client.options(
        "/api/v1/proposals",
        headers={"Origin": "https://example.org", "Access-Control-Request-Method": "GET"},
    )
    assert pre.status_code == 200 and "GET" in pre.headers["Access-Control-Allow-Methods"]
    post = client.post(f"/api/v1/statements/{corpus.ids['S1']}/vote", json={"value": 1}, csrf=False)
    assert "Access-Control-Allow-Origin" not in post.headers


# --------------------------------------------------------------------------- OpenAPI, docs


def test_openapi_document_describes_every_endpoint(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    paths = spec["paths"]
    for path in (
        "/api/v1/agencies",
        "/api/v1/proposals",
        "/api/v1/consultations",
        "/api/v1/proposals/{proposal_id}/statements",
        "/api/v1/proposals/{proposal_id}/response",
        "/api/v1/proposals/{proposal_id}/analysis",
        "/api/v1/statistics",
        "/api/v1/search",
    ):
        assert "get" in paths[path], path
    vote = paths["/api/v1/statements/{statement_id}/vote"]["post"]
    assert vote["security"] == [{"token": []}] and "401" in vote["responses"]
    assert "post" in paths["/api/v1/proposals/{proposal_id}/statements"]
    assert spec["components"]["schemas"]["Error"]


def test_docs_page_works_offline(client):
    resp = client.get("/api/v1/docs")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "/api/v1/proposals/{proposal_id}/statements" in html
    assert not re.search(r'(src|href)="https?://(?!data\.gov\.tw)', html)
    assert not re.search(r"<script[^>]+src=\"https?:", html)


# --------------------------------------------------------------------------- tokens


def test_token_page_creates_shows_once_and_stores_a_digest(app, client, login, make_user):
    from participate.models.api import ApiToken

    user = make_user()
    login(client, user)
    resp = client.post("/account/tokens/", data={"name": "我的投票程式", "scopes": ["vote"]})
    assert resp.status_code == 201
    html = resp.get_data(as_text=True)
    secret = re.search(r'id="token-secret">(pt_[^<]+)<', html).group(1)
    with app.app_context():
        row = db.session.scalar(db.select(ApiToken))
        assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert row.scope_list == ["vote"]
        # The secret itself is in no column of the row (only its digest and a short prefix).
        stored = [str(getattr(row, c.key)) for c in ApiToken.__table__.columns]
        assert not [value for value in stored if secret in value]
        assert secret.startswith(row.prefix) and len(row.prefix) < len(secret) // 2
    listing = client.get("/account/tokens/").get_data(as_text=True)
    assert "我的投票程式" in listing and secret not in listing


def test_token_form_errors_next_to_fields(app, client, login, make_user):
    from participate.models.api import ApiToken

    login(client, make_user())
    resp = client.post("/account/tokens/", data={"name": ""})
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert 'id="name-error"' in html and 'id="scopes-error"' in html
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(ApiToken.id))) == 0


def test_tokens_need_a_verified_account_and_are_audited(app, client, login, make_user):
    from participate.models import AuditLog
    from participate.models.api import ApiToken

    client.get("/lang/en")
    login(client, make_user(verified=False))
    resp = client.post("/account/tokens/", data={"name": "bot", "scopes": ["vote"]})
    assert resp.status_code == 403
    assert "Confirm your email address" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(ApiToken.id))) == 0
        assert db.session.scalar(db.select(db.func.count(AuditLog.id))) == 0

    client.post("/auth/logout")
    user = make_user()
    login(client, user)
    assert (
        client.post("/account/tokens/", data={"name": "bot", "scopes": ["vote"]}).status_code == 201
    )
    with app.app_context():
        token_id = db.session.scalar(db.select(ApiToken.id))
    assert client.post(f"/account/tokens/{token_id}/revoke").status_code == 302
    assert client.post(f"/account/tokens/{token_id}/revoke").status_code == 302  # again: no-op
    with app.app_context():
        entries = db.session.scalars(db.select(AuditLog).order_by(AuditLog.id)).all()
        assert [(e.actor_id, e.action, e.target_id) for e in entries] == [
            (user.id, "api_token.create", token_id),
            (user.id, "api_token.revoke", token_id),
        ]


def test_token_page_needs_login(client):
    assert client.get("/account/tokens/").status_code == 302


def test_vote_with_token_goes_through_the_rules(app, client, corpus: Corpus, make_user):
    from participate.models import Statement, VoteHistory

    user = make_user()
    secret = _token(app, user, ["vote"])
    url = f"/api/v1/statements/{corpus.ids['S1']}/vote"
    resp = client.post(url, json={"value": 1}, headers=_bearer(secret), csrf=False)
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json() == {
        "statement_id": corpus.ids["S1"],
        "value": 1,
        "previous": None,
        "changed": True,
        "agree": 1,
        "disagree": 0,
        "pass": 0,
    }
    resp = client.post(url, json={"value": -1}, headers=_bearer(secret), csrf=False)
    assert resp.get_json()["previous"] == 1 and resp.get_json()["disagree"] == 1
    with app.app_context():
        st = db.session.get(Statement, corpus.ids["S1"])
        assert (st.agree_count, st.disagree_count) == (0, 1)
        assert db.session.scalar(db.select(db.func.count(VoteHistory.id))) == 2
    # Bad value: 400 with the field named; hidden statement: 404.
    bad = client.post(url, json={"value": 5}, headers=_bearer(secret), csrf=False)
    assert bad.status_code == 400 and "value" in bad.get_json()["error"]["fields"]
    hidden = f"/api/v1/statements/{corpus.ids['S3']}/vote"
    assert (
        client.post(hidden, json={"value": 1}, headers=_bearer(secret), csrf=False).status_code
        == 404
    )


def test_rules_still_apply_unverified_and_closed(app, client, corpus: Corpus, make_user):
    from participate.models import Proposal, ProposalStatus

    unverified = _token(app, make_user(), ["vote"])
    with app.app_context():
        from participate.models import User

        u = db.session.scalar(db.select(User).order_by(User.id.desc()))
        u.email_verified_at = None
        db.session.commit()
    url = f"/api/v1/statements/{corpus.ids['S1']}/vote"
    resp = client.post(url, json={"value": 1}, headers=_bearer(unverified), csrf=False)
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "forbidden"

    secret = _token(app, make_user(), ["vote"])
    with app.app_context():
        db.session.get(Proposal, corpus.ids["P1"]).status = ProposalStatus.LAPSED
        db.session.commit()
    resp = client.post(url, json={"value": 1}, headers=_bearer(secret), csrf=False)
    assert resp.status_code == 403
    assert resp.get_json()["error"]["message"]


def test_scopes_are_enforced(app, client, corpus: Corpus, make_user):
    user = make_user()
    vote_only = _token(app, user, ["vote"])
    url = f"/api/v1/proposals/{corpus.ids['P1']}/statements"
    resp = client.post(
        url, json={"text": "路口應設置行人庇護島"}, headers=_bearer(vote_only), csrf=False
    )
    assert resp.status_code == 403
    assert resp.get_json()["error"]["code"] == "insufficient_scope"

    writer = _token(app, user, ["statements:write"], name="writer")
    resp = client.post(
        url, json={"text": "路口應設置行人庇護島"}, headers=_bearer(writer), csrf=False
    )
    assert resp.status_code == 201, resp.get_json()
    created = resp.get_json()
    assert created["text"] == "路口應設置行人庇護島" and created["votes"] == 0
    # The new statement is searchable at once and listed by the API.
    found = client.get("/api/v1/search?q=庇護島").get_json()["items"]
    assert [(i["kind"], i["id"]) for i in found] == [("statement", created["id"])]
    # Over-long text: 400 naming the field, nothing written.
    resp = client.post(url, json={"text": "長" * 301}, headers=_bearer(writer), csrf=False)
    assert resp.status_code == 400 and "text" in resp.get_json()["error"]["fields"]
    resp = client.post(
        f"/api/v1/statements/{corpus.ids['S1']}/vote",
        json={"value": 1},
        headers=_bearer(writer),
        csrf=False,
    )
    assert resp.status_code == 403


def test_missing_unknown_and_revoked_tokens(app, client, corpus: Corpus, make_user, login):
    url = f"/api/v1/statements/{corpus.ids['S1']}/vote"
    resp = client.post(url, json={"value": 1}, csrf=False)
    assert resp.status_code == 401 and resp.headers["WWW-Authenticate"].startswith("Bearer")
    resp = client.post(url, json={"value": 1}, headers=_bearer("pt_nonsense"), csrf=False)
    assert resp.status_code == 401

    user = make_user()
    secret = _token(app, user, ["vote"])
    assert (
        client.post(url, json={"value": 1}, headers=_bearer(secret), csrf=False).status_code == 200
    )
    login(client, user)
    from participate.models.api import ApiToken

    with app.app_context():
        token_id = db.session.scalar(db.select(ApiToken.id))
    resp = client.post(f"/account/tokens/{token_id}/revoke")
    assert resp.status_code == 302
    assert "token-revoked" in client.get("/account/tokens/").get_data(as_text=True)
    resp = client.post(url, json={"value": 0}, headers=_bearer(secret), csrf=False)
    assert resp.status_code == 401


def test_cannot_revoke_someone_elses_token(app, client, make_user, login):
    owner = make_user()
    _token(app, owner, ["vote"])
    from participate.models.api import ApiToken

    with app.app_context():
        token_id = db.session.scalar(db.select(ApiToken.id))
    login(client, make_user())
    assert client.post(f"/account/tokens/{token_id}/revoke").status_code == 404
    with app.app_context():
        assert db.session.get(ApiToken, token_id).revoked_at is None


def test_session_cookie_is_not_enough_to_write(app, client, corpus: Corpus, make_user, login):
    """The API is exempt from CSRF only because it ignores cookies: a logged-in browser
    without a token cannot vote through it."""
    login(client, make_user())
    url = f"/api/v1/statements/{corpus.ids['S1']}/vote"
    assert client.post(url, json={"value": 1}, csrf=False).status_code == 401


def test_writes_are_rate_limited_per_token(app, client, corpus: Corpus, make_user):
    app.config["API_WRITE_RATE_LIMIT"] = "2 per minute"
    first = _token(app, make_user(), ["vote"])
    second = _token(app, make_user(), ["vote"])
    url = f"/api/v1/statements/{corpus.ids['S1']}/vote"
    codes = [
        client.post(url, json={"value": 1}, headers=_bearer(first), csrf=False).status_code
        for _ in range(3)
    ]
    assert codes == [200, 200, 429]
    resp = client.post(url, json={"value": 1}, headers=_bearer(first), csrf=False)
    assert resp.get_json()["error"]["code"] == "rate_limited" and resp.headers["Retry-After"]
    # Another token has its own budget.
    assert (
        client.post(url, json={"value": 1}, headers=_bearer(second), csrf=False).status_code == 200
    )


def test_account_deletion_revokes_tokens(app, make_user):
    """Through the deletion operation itself, so the signal is the one production sends."""
    from participate.auth.operations import delete_account
    from participate.boundary import unit
    from participate.models import User
    from participate.models.api import ApiToken

    user = make_user()
    _token(app, user, ["vote"])
    with app.app_context(), unit():
        delete_account(db.session.get(User, user.id))
    with app.app_context():
        assert db.session.scalar(db.select(ApiToken)).revoked_at is not None


def test_reads_are_rate_limited_per_address(app, client, corpus: Corpus):
    app.config["API_READ_RATE_LIMIT"] = "3 per minute"
    codes = [client.get("/api/v1/agencies").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    resp = client.get("/api/v1/agencies")
    assert resp.get_json()["error"]["code"] == "rate_limited"
