"""Surveys through the real operations and pages: building, skip logic, one response per
account (linked and unlinked), the small-cell rule on the page, the CSV, the open data and
the API, and the participant profile's export and deletion."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from participate.boundary import unit
from participate.errors import RuleError
from participate.extensions import db
from participate.models import (
    ParticipantProfile,
    Survey,
    SurveyAnswer,
    SurveyParticipation,
    SurveyResponse,
    SurveyStatus,
    User,
)
from participate.surveys import operations, results
from participate.surveys.answers import clean
from participate.timeutil import aware, utcnow
from tests import surveys_fixtures
from tests.surveys_fixtures import DAY, answer_as, build_survey, crowd, questions_of

req = surveys_fixtures.req


@pytest.fixture()
def staff(make_user, make_agency):
    agency = make_agency(slug="motc", name_zh="交通部", name_en="Ministry of Transportation")
    return make_user(role="agency_staff", agency=agency, name="交通部承辦")


def _full(qs, mode=0):
    """Raw answers to every question (Q3 only when Q1 is 機車)."""
    q1, q2, q3, q4, q5, q6 = qs
    raw = {
        q1.id: str(mode),
        q2.id: "3",
        q4.id: {"0": "1", "1": "2", "2": "3"},
        q5.id: "35",
        q6.id: "希望增加公車班次",
    }
    if mode == 2:
        raw[q3.id] = ["0", "1"]
    return raw


# --- Building ------------------------------------------------------------------------------


def test_staff_build_and_open_a_survey_and_citizens_cannot(req, staff, make_user):
    survey = build_survey(staff)
    assert survey.status == SurveyStatus.OPEN
    assert [q.kind.value for q in questions_of(survey)] == [
        "single",
        "likert",
        "multiple",
        "ranking",
        "number",
        "text",
    ]
    citizen = make_user()
    with pytest.raises(RuleError) as refused, unit():
        operations.create_survey(
            db.session.get(User, citizen.id), operations.SurveyInput(title="x", method="m")
        )
    assert refused.value.status == 403
    # Once open, the questionnaire is frozen.
    with pytest.raises(RuleError), unit():
        operations.add_question(
            db.session.get(User, staff.id),
            db.session.get(Survey, survey.id),
            operations.QuestionInput("text", "晚加的問題"),
        )


def test_a_survey_without_method_or_questions_cannot_open(req, staff):
    with unit():
        survey = operations.create_survey(
            db.session.get(User, staff.id),
            operations.SurveyInput(title="空白", closes_at=None),
        )
        sid = survey.id
    with pytest.raises(RuleError) as refused, unit():
        operations.open_survey(db.session.get(User, staff.id), db.session.get(Survey, sid))
    assert refused.value.status == 409
    assert db.session.get(Survey, sid).status == SurveyStatus.DRAFT


def test_skip_logic_refers_only_to_earlier_choice_questions(req, staff):
    survey = build_survey(staff, open_it=False)
    number_q = questions_of(survey)[4]
    with pytest.raises(RuleError, match="Skip logic|跳題"), unit():
        operations.add_question(
            db.session.get(User, staff.id),
            db.session.get(Survey, survey.id),
            operations.QuestionInput(
                "text", "x", show_if_question_id=number_q.id, show_if_options=[0]
            ),
        )


# --- Skip logic ----------------------------------------------------------------------------


def test_skip_logic_asks_and_requires_only_what_applies(req, staff):
    qs = questions_of(build_survey(staff))
    q1, q2, q3, q4, q5, q6 = qs
    # Chose 捷運 (0): Q3 is skipped, its answer dropped, its requirement lifted.
    raw = _full(qs, mode=0)
    raw[q3.id] = ["1"]
    values, errors = clean(qs, raw)
    assert errors == {} and q3.id not in values
    # Chose 機車 (2): Q3 is asked and required.
    raw = _full(qs, mode=2)
    del raw[q3.id]
    values, errors = clean(qs, raw)
    assert set(errors) == {q3.id}
    raw[q3.id] = ["0", "2", "2"]
    values, errors = clean(qs, raw)
    assert errors == {} and values[q3.id] == [0, 2]


def test_answers_are_validated(req, staff):
    qs = questions_of(build_survey(staff))
    q1, q2, q3, q4, q5, q6 = qs
    raw = _full(qs)
    raw.update({q1.id: "9", q4.id: {"0": "1", "1": "1", "2": "3"}, q5.id: "500"})
    _values, errors = clean(qs, raw)
    assert set(errors) == {q1.id, q4.id, q5.id}
    raw = _full(qs)
    # Invisible only, or a control character: refused with the rule of every text field
    # (participate.text.accept_text), even though the question is optional.
    for hostile in ("\u200b\u200b", "路口\x00號誌"):
        raw[q6.id] = hostile
        values, errors = clean(qs, raw)
        assert set(errors) == {q6.id} and q6.id not in values
    raw[q6.id] = "   "  # blank: no answer
    values, errors = clean(qs, raw)
    assert errors == {} and q6.id not in values


# --- One response per account --------------------------------------------------------------


def test_linked_answers_can_be_changed_until_the_close(app, req, staff, make_user):
    survey = build_survey(staff, anonymous=False)
    qs = questions_of(survey)
    citizen = make_user()
    first = answer_as(citizen.id, survey.id, _full(qs, 0))
    assert first.changed is False and first.response_id is not None
    second = answer_as(citizen.id, survey.id, _full(qs, 2))
    assert second.changed is True and second.response_id == first.response_id
    assert db.session.scalar(select(func.count()).select_from(SurveyResponse)) == 1
    q3_answers = db.session.scalars(
        select(SurveyAnswer.value).where(SurveyAnswer.question_id == qs[2].id)
    ).all()
    assert q3_answers == [[0, 1]]
    app.config["FROZEN_NOW"] = aware(survey.closes_at) + DAY
    with pytest.raises(RuleError, match="closed|已結束"):
        answer_as(citizen.id, survey.id, _full(qs, 1))


def test_unlinked_answers_keep_no_account_and_are_final(req, staff, make_user):
    survey = build_survey(staff, anonymous=True)
    qs = questions_of(survey)
    citizen = make_user()
    result = answer_as(citizen.id, survey.id, _full(qs, 0))
    assert result.response_id is None
    response = db.session.scalar(select(SurveyResponse))
    assert response.user_id is None and response.updated_at is None
    assert not hasattr(response, "created_at")  # no time of day to match a participation by
    assert db.session.scalar(select(SurveyParticipation.user_id)) == citizen.id
    with pytest.raises(RuleError) as again:
        answer_as(citizen.id, survey.id, _full(qs, 1))
    assert again.value.status == 409
    assert db.session.scalar(select(func.count()).select_from(SurveyResponse)) == 1


def test_unverified_and_logged_out_people_cannot_answer(client, req, staff, make_user, login):
    survey = build_survey(staff)
    qs = questions_of(survey)
    unverified = make_user(verified=False)
    with pytest.raises(RuleError) as refused:
        answer_as(unverified.id, survey.id, _full(qs))
    assert refused.value.code == "unverified"
    page = client.post(f"/surveys/{survey.id}/answer", data={})
    assert page.status_code == 302 and "/auth/login" in page.headers["Location"]


# --- The pages -----------------------------------------------------------------------------


def test_a_citizen_answers_through_the_page_and_sees_errors_next_to_questions(
    client, req, staff, make_user, login
):
    survey = build_survey(staff)
    qs = questions_of(survey)
    citizen = make_user()
    login(client, citizen)
    page = client.get(f"/surveys/{survey.id}").get_data(as_text=True)
    assert "通勤方式調查" in page
    assert "與帳號分開保存" in page  # the page says the answers are unlinked
    bad = client.post(f"/surveys/{survey.id}/answer", data={f"q{qs[0].id}": "2"})
    assert bad.status_code == 400
    html = bad.get_data(as_text=True)
    assert f'id="q{qs[2].id}-error"' in html  # Q3 is asked for 機車 and was left empty
    good = {
        f"q{qs[0].id}": "0",
        f"q{qs[1].id}": "4",
        f"q{qs[3].id}_r0": "2",
        f"q{qs[3].id}_r1": "1",
        f"q{qs[3].id}_r2": "3",
        f"q{qs[4].id}": "40",
    }
    resp = client.post(f"/surveys/{survey.id}/answer", data=good)
    assert resp.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(SurveyResponse)) == 1
    ranking = db.session.scalar(
        select(SurveyAnswer.value).where(SurveyAnswer.question_id == qs[3].id)
    )
    assert ranking == [1, 0, 2]


def test_results_are_hidden_until_the_close_except_from_the_agency(
    client, app, req, staff, make_user, login
):
    survey = build_survey(staff)
    assert client.get(f"/surveys/{survey.id}/results").status_code == 404
    assert client.get(f"/surveys/{survey.id}/results.csv").status_code == 404
    login(client, db.session.get(User, staff.id))
    assert client.get(f"/surveys/{survey.id}/results").status_code == 200


# --- The small-cell rule -------------------------------------------------------------------


def _small_cell_survey(app, staff):
    """12 answer Q1: 8 捷運, 3 公車, 1 機車, 0 開車; profiles: 9 in 台北 (TPE), 3 without."""
    survey = build_survey(staff)
    qs = questions_of(survey)
    ids = crowd(12, lambda i: ("18-29", "female", "TPE") if i < 9 else None)
    picks = [0] * 8 + [1] * 3 + [2]
    for uid, pick in zip(ids, picks, strict=True):
        answer_as(uid, survey.id, _full(qs, pick))
    app.config["FROZEN_NOW"] = aware(survey.closes_at) + DAY
    return survey, qs


def test_no_cell_under_five_in_results(app, req, staff):
    survey, qs = _small_cell_survey(app, staff)
    r = results.compute(db.session.get(Survey, survey.id))
    q1 = r.questions[0]
    counts = [o.count for o in q1.options]
    # 8 shown; 3, 1 and 0 hidden (all under 5); nothing can be recovered from the total.
    assert counts == [8, None, None, None]
    q3 = r.questions[2]
    assert q3.answered == 1 and not q3.shown and not q3.options
    for q in r.questions:
        for o in [*q.options, *q.first_choice]:
            assert o.count is None or o.count >= 5
        for tab in q.crosstabs:
            for row, n in zip(tab.cells, tab.row_n, strict=True):
                assert n is None or n >= 5
                assert all(c is None or c >= 5 for c in row)
    for part in r.representation.parts:
        assert all(row.count is None or row.count >= 5 for row in part.rows)


def test_no_cell_under_five_in_page_csv_open_data_and_api(app, client, req, staff, tmp_path):
    survey, qs = _small_cell_survey(app, staff)
    html = client.get(f"/surveys/{survey.id}/results").get_data(as_text=True)
    assert "fewer than 5" in html or "少於 5" in html
    text = client.get(f"/surveys/{survey.id}/results.csv").data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows
    for row in rows:
        for key in ("count", "respondents"):
            value = row[key]
            assert value in ("", "<5") or int(value) >= 5, row
    api = client.get(f"/api/v1/surveys/{survey.id}/results").json
    for q in api["questions"]:
        assert q["answered"] is None or q["answered"] >= 5
        for o in q["options"]:
            assert o["count"] is None or o["count"] >= 5
    from participate.opendata.build import build

    app.config["OPENDATA_DIR"] = str(tmp_path / "opendata")
    manifest = build()
    names = {f["name"] for f in manifest["files"]}
    assert "survey-results.csv" in names
    from participate.opendata.build import dumps_dir

    dumped = (dumps_dir() / "survey-results.csv").read_text(encoding="utf-8")
    for row in csv.DictReader(io.StringIO(dumped)):
        for key in ("count", "respondents"):
            assert row[key] in ("", "<5") or int(row[key]) >= 5, row


# --- The participant profile ---------------------------------------------------------------


def test_profile_is_asked_with_consent_exported_and_deleted(client, req, make_user, login):
    citizen = make_user()
    login(client, citizen)
    page = client.get("/account/participant-profile/").get_data(as_text=True)
    assert "個人資料保護法" in page or "Personal Data Protection Act" in page
    no_consent = client.post(
        "/account/participant-profile/", data={"age_band": "30-39", "sex": "female"}
    )
    assert no_consent.status_code == 400
    assert db.session.get(ParticipantProfile, citizen.id) is None
    saved = client.post(
        "/account/participant-profile/",
        data={
            "age_band": "30-39",
            "sex": "female",
            "county": "HUA",
            "groups": ["indigenous"],
            "consent": "y",
        },
    )
    assert saved.status_code == 302
    db.session.expire_all()
    profile = db.session.get(ParticipantProfile, citizen.id)
    assert (profile.age_band, profile.county, profile.indigenous) == ("30-39", "HUA", True)
    data = client.get("/account/data.json").json
    assert data["participant_profile"]["county"] == "HUA"
    assert data["participant_profile"]["identity_groups"] == ["indigenous"]
    gone = client.post("/account/participant-profile/delete", data={})
    assert gone.status_code == 302
    db.session.expire_all()
    assert db.session.get(ParticipantProfile, citizen.id) is None
    assert client.get("/account/data.json").json["participant_profile"] is None


def test_profile_deletion_clears_linked_copies_only(req, staff, make_user):
    linked = build_survey(staff, anonymous=False)
    unlinked = build_survey(staff, anonymous=True)
    [uid] = crowd(1, lambda i: ("40-49", "male", "KHH"))
    answer_as(uid, linked.id, _full(questions_of(linked)))
    answer_as(uid, unlinked.id, _full(questions_of(unlinked)))
    from participate.participants import operations as profile_ops

    with unit():
        profile_ops.delete_profile(db.session.get(User, uid))
    db.session.expire_all()
    copies = dict(db.session.execute(select(SurveyResponse.survey_id, SurveyResponse.county)).all())
    assert copies == {linked.id: None, unlinked.id: "KHH"}


def test_account_deletion_erases_the_profile_and_unlinks_answers(req, staff):
    survey = build_survey(staff, anonymous=False)
    [uid] = crowd(1, lambda i: ("18-29", "male", "TPE"))
    answer_as(uid, survey.id, _full(questions_of(survey)))
    from participate.auth.operations import delete_account

    with unit():
        delete_account(db.session.get(User, uid))
    db.session.expire_all()
    assert db.session.get(ParticipantProfile, uid) is None
    response = db.session.scalar(select(SurveyResponse))
    assert response.user_id is None and response.age_band is None
    assert db.session.scalar(select(func.count()).select_from(SurveyAnswer)) > 0


def test_a_survey_attached_to_a_consultation_is_listed_on_its_page(client, req, staff):
    from participate.models import Proposal, ProposalKind, ProposalStatus

    consultation = Proposal(
        title="機車停車政策眾開講",
        kind=ProposalKind.CONSULTATION,
        status=ProposalStatus.OPEN,
        owner_agency_id=staff.agency_id,
        deadline=utcnow() + 20 * DAY,
    )
    other = Proposal(
        title="別的機關的眾開講",
        kind=ProposalKind.CONSULTATION,
        status=ProposalStatus.OPEN,
        deadline=utcnow() + 20 * DAY,
    )
    db.session.add_all([consultation, other])
    db.session.commit()
    with pytest.raises(RuleError) as refused, unit():
        operations.create_survey(
            db.session.get(User, staff.id),
            operations.SurveyInput(title="x", target_type="proposal", target_id=other.id),
        )
    assert refused.value.field == "target"
    with unit():
        survey = operations.create_survey(
            db.session.get(User, staff.id),
            operations.SurveyInput(
                title="停車收費意向調查",
                method="每人一份",
                target_type="proposal",
                target_id=consultation.id,
                closes_at=utcnow() + 30 * DAY,
            ),
        )
        operations.add_question(
            db.session.get(User, staff.id), survey, operations.QuestionInput("likert", "應收費")
        )
        sid = survey.id
    page = client.get(f"/proposals/{consultation.id}").get_data(as_text=True)
    assert "停車收費意向調查" not in page  # a draft is not listed
    with unit():
        operations.open_survey(db.session.get(User, staff.id), db.session.get(Survey, sid))
    page = client.get(f"/proposals/{consultation.id}").get_data(as_text=True)
    assert "停車收費意向調查" in page and f"/surveys/{sid}" in page
    api = client.get(f"/api/v1/surveys/{sid}").json
    assert api["target_type"] == "proposal" and api["target_id"] == consultation.id
    assert [q["kind"] for q in api["questions"]] == ["likert"]
    listed = client.get("/api/v1/surveys").json
    assert [s["id"] for s in listed["items"]] == [sid]
    assert client.get(f"/api/v1/surveys/{sid}/results").status_code == 404  # still open
    spec = client.get("/api/v1/openapi.json").json
    assert {
        "/api/v1/surveys",
        "/api/v1/surveys/{survey_id}",
        "/api/v1/surveys/{survey_id}/results",
    } <= set(spec["paths"])


def test_the_api_index_lists_surveys(client):
    assert client.get("/api/v1/").json["endpoints"]["surveys"] == "/api/v1/surveys"
