"""One response per account under concurrency, against the live server, on whichever
database the suite runs (SQLite here; PostgreSQL with PARTICIPATE_TEST_BACKEND=postgresql).

Each of N verified accounts sends the same first answer K times at the same moment (real
requests: session cookie, CSRF, rate limit, policy, savepoint, commit). Every account must
end with exactly one participation and one response, and the answers must be whole (one
answer row per question answered, never two sets).
"""

from __future__ import annotations

import http.client
import threading
from urllib.parse import urlencode, urlsplit

import pytest
from sqlalchemy import func, select

from participate.extensions import db
from participate.models import SurveyAnswer, SurveyParticipation, SurveyResponse
from tests import surveys_fixtures
from tests.surveys_fixtures import build_survey, crowd, questions_of
from tests.test_proposals_concurrency import _credentials

N = 12
K = 4

req = surveys_fixtures.req


@pytest.fixture()
def staff(make_user, make_agency):
    agency = make_agency(slug="motc", name_zh="交通部", name_en="Ministry of Transportation")
    return make_user(role="agency_staff", agency=agency, name="交通部承辦")


def _post_all(base: str, path: str, jobs: list[tuple[str, str]], form: dict) -> list[int]:
    parts = urlsplit(base)
    statuses: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(len(jobs))

    def one(cookie: str, token: str) -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
        body = urlencode({**form, "csrf_token": token}, doseq=True)
        start.wait()
        conn.request(
            "POST",
            path,
            body=body,
            headers={
                "Cookie": f"session={cookie}",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        status = conn.getresponse().status
        conn.close()
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=one, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses


@pytest.mark.slow
@pytest.mark.parametrize("anonymous", [True, False], ids=["unlinked", "linked"])
def test_one_response_per_account_under_concurrent_first_answers(
    app, live_server, req, staff, anonymous
):
    app.config["WRITE_RATE_LIMIT"] = "100000 per minute"
    survey = build_survey(staff, anonymous=anonymous)
    qs = questions_of(survey)
    form = {
        f"q{qs[0].id}": "1",
        f"q{qs[1].id}": "4",
        f"q{qs[3].id}_r0": "1",
        f"q{qs[3].id}_r1": "2",
        f"q{qs[3].id}_r2": "3",
        f"q{qs[4].id}": "25",
    }
    ids = crowd(N)
    from participate.models import User

    users = [(uid, db.session.get(User, uid).session_version) for uid in ids]
    creds = _credentials(app, users)
    sid = survey.id
    db.session.remove()

    statuses = _post_all(
        live_server, f"/surveys/{sid}/answer", [c for c in creds for _ in range(K)], form
    )

    assert len(statuses) == N * K
    assert all(s in (302, 409) for s in statuses), sorted(set(statuses))
    db.session.remove()
    per_user = dict(
        db.session.execute(
            select(SurveyParticipation.user_id, func.count())
            .where(SurveyParticipation.survey_id == sid)
            .group_by(SurveyParticipation.user_id)
        ).all()
    )
    assert per_user == dict.fromkeys(ids, 1)
    assert (
        db.session.scalar(
            select(func.count()).select_from(SurveyResponse).where(SurveyResponse.survey_id == sid)
        )
        == N
    )
    # Whole answers: Q1, Q2, Q4 and Q5 (Q3 skipped, Q6 left empty), one row each.
    per_response = db.session.execute(
        select(SurveyAnswer.response_id, func.count()).group_by(SurveyAnswer.response_id)
    ).all()
    assert len(per_response) == N and {n for _r, n in per_response} == {4}
    if not anonymous:
        linked = set(db.session.scalars(select(SurveyResponse.user_id)))
        assert linked == set(ids)
