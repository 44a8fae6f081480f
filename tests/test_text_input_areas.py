"""Text into draft regulations and surveys (issue 13): each text of their forms, given a NUL
or nothing visible, is refused by the area's operation as a RuleError on that form field
and nothing is written (what the site's pages, the API and the demo data all call). The
regulation comment, what the public writes there, is also tried through its page. The
table below is part of ``tests/test_text_input.py``'s check that every form's text fields
are covered. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask

from participate.boundary import unit
from participate.errors import RuleError
from participate.extensions import db
from participate.models import RegulationComment, RegulationDraft, Survey, User
from participate.regulations import operations as regulations
from participate.surveys import operations as surveys
from participate.timeutil import aware, taipei_today
from tests import moderation_fixtures, regulations_fixtures
from tests.regulations_fixtures import DAY, T0, freeze, make_draft

NUL = "路口\x00號誌"
ZERO_WIDTH = "\u200b\u2060\ufeff"
CONTROL = "Remove the control characters (such as NUL) from this text."
ORDINARY = "一般的文字"

cast = regulations_fixtures.cast
client_for = regulations_fixtures.client_for
quick_login = moderation_fixtures.quick_login


@dataclass(frozen=True)
class Case:
    """A form's text field and the operation call that receives it (``put(world, value)``)."""

    form: str  # "area.FormClass"
    field: str
    put: Callable[[dict[str, Any], str], Any]


def _draft(w: dict[str, Any], name: str = "preparing") -> RegulationDraft:
    return db.session.get(RegulationDraft, w[name])


def _staff(w: dict[str, Any]) -> User:
    return db.session.get(User, w["staff"])


def _citizen(w: dict[str, Any]) -> User:
    return db.session.get(User, w["citizen"])


def _draft_input(**kw: str) -> regulations.DraftInput:
    data = {"title": "道路交通安全規則修正草案", "legal_basis": "道交條例", "unit": "路政司"}
    return regulations.DraftInput(**{**data, "summary": "行人優先。", **kw})


def _article(**kw: str) -> regulations.ArticleInput:
    data = {"label": "第四條", "change": "amended", "proposed_text": "第四條　新。"}
    return regulations.ArticleInput(
        **{**data, "current_text": "第四條　舊。", "explanation": "說明", **kw}
    )


def _survey(w: dict[str, Any]) -> Survey:
    return db.session.get(Survey, w["survey"])


def _question(**kw: Any) -> surveys.QuestionInput:
    data: dict[str, Any] = {"kind": "single", "text": "您多常搭公車？", "options": ["每天", "很少"]}
    return surveys.QuestionInput(**{**data, **kw})


CASES = [
    *[
        Case(
            "regulations.DraftForm",
            name,
            lambda w, v, name=name: regulations.create_draft(
                _staff(w), _draft_input(**{name: v}), T0
            ),
        )
        for name in ("title", "legal_basis", "unit", "summary")
    ],
    *[
        Case(
            "regulations.ArticleForm",
            name,
            lambda w, v, name=name: regulations.add_article(
                _staff(w), _draft(w), _article(**{name: v}), T0
            ),
        )
        for name in ("label", "proposed_text", "current_text", "explanation")
    ],
    Case(
        "regulations.PasteForm",
        "text",
        # The hostile value is the whole paste; the ordinary text sits in a table row.
        lambda w, v: regulations.paste_articles(
            _staff(w),
            _draft(w),
            f"修正條文\t現行條文\t說明\n第九條　{v}\t\t新增。\n" if v == ORDINARY else v,
            now=T0,
        ),
    ),
    Case(
        "regulations.PublishForm",
        "reason",
        lambda w, v: regulations.publish_draft(_staff(w), _draft(w), 30, v, now=T0),
    ),
    Case(
        "regulations.CommentForm",
        "body",
        lambda w, v: regulations.post_comment(_citizen(w), _draft(w, "open"), v, now=T0 + DAY),
    ),
    Case(
        "regulations.ReplyForm",
        "body",
        lambda w, v: regulations.reply_comment(
            _citizen(w), db.session.get(RegulationComment, w["comment"]), v, now=T0 + DAY
        ),
    ),
    Case(
        "regulations.ReportForm",
        "text",
        lambda w, v: regulations.report_comment(
            _citizen(w), db.session.get(RegulationComment, w["comment"]), "spam", v, now=T0 + DAY
        ),
    ),
    Case(
        "regulations.ResponseForm",
        "overall",
        lambda w, v: regulations.save_response_table(
            _staff(w), _draft(w, "closed"), v, [], now=w["after"]
        ),
    ),
    *[
        Case(
            "regulations.RowForm",
            f"rows-0-{name}",
            lambda w, v, name=name: regulations.save_response_table(
                _staff(w),
                _draft(w, "closed"),
                "感謝意見。",
                [
                    regulations.RowInput(
                        [w["closed_comment"]],
                        **{
                            "summary": "要求停讓",
                            "decision": "adopted",
                            "reasoning": "採納",
                            name: v,
                        },
                    )
                ],
                now=w["after"],
            ),
        )
        for name in ("summary", "reasoning")
    ],
    Case(
        "regulations.FinalTextForm",
        "reference",
        lambda w, v: regulations.record_final_text(
            _staff(w), _draft(w, "answered"), {}, taipei_today(w["final"]), v, now=w["final"]
        ),
    ),
    *[
        Case(
            "surveys.SurveyForm",
            name,
            lambda w, v, name=name: surveys.create_survey(
                _staff(w), surveys.SurveyInput(**{"title": "通勤方式調查", name: v})
            ),
        )
        for name in ("title", "description", "method")
    ],
    *[
        Case(
            "surveys.SectionForm",
            name,
            lambda w, v, name=name: surveys.add_section(
                _staff(w), _survey(w), **{"title": "基本資料", name: v}
            ),
        )
        for name in ("title", "description")
    ],
    *[
        Case(
            "surveys.QuestionForm",
            name,
            lambda w, v, name=name: surveys.add_question(
                _staff(w), _survey(w), _question(**{name: [v, "很少"] if name == "options" else v})
            ),
        )
        for name in ("text", "help", "options")
    ],
]
# Fields of these areas' forms that hold no text people read: numbers and ids.
NOT_TEXT = {
    ("surveys.QuestionForm", "show_if_options"): "option numbers, parsed as integers",
}
COVERED = {(c.form, c.field) for c in CASES if not c.field.startswith("rows-")}


@pytest.fixture()
def world(app: Flask, cast: Any) -> dict[str, Any]:
    """Drafts in preparation, open (with a comment), closed (with a comment to answer) and
    answered; a survey being built."""
    w: dict[str, Any] = {"staff": cast.staff.id, "citizen": cast.citizen.id}
    w["preparing"] = make_draft(app, cast, publish=False)
    w["open"] = make_draft(app, cast)
    w["closed"] = make_draft(app, cast)
    w["answered"] = make_draft(app, cast)
    with app.test_request_context(), unit():
        open_draft = db.session.get(RegulationDraft, w["open"])
        comment = regulations.post_comment(cast.get("second"), open_draft, "應該全面停讓。", now=T0)
        closed = db.session.get(RegulationDraft, w["closed"])
        on_closed = regulations.post_comment(cast.get("second"), closed, "贊成。", now=T0)
        w["comment"], w["closed_comment"] = comment.comment.id, on_closed.comment.id
        w["after"] = aware(closed.comment_ends_at) + DAY
    freeze(app, w["after"])
    with app.test_request_context(), unit():
        answered = db.session.get(RegulationDraft, w["answered"])
        regulations.save_response_table(cast.get("staff"), answered, "未收到意見。", [], True)
    w["final"] = w["after"] + DAY
    freeze(app, w["final"])
    with app.test_request_context(), unit():
        survey = surveys.create_survey(cast.get("staff"), surveys.SurveyInput(title="通勤調查"))
        w["survey"] = survey.id
    return w


def _snapshot(app: Flask) -> dict[str, list[tuple[str, ...]]]:
    from tests.test_text_input import snapshot

    return snapshot(app)


@pytest.mark.parametrize("case", CASES, ids=[f"{c.form}.{c.field}" for c in CASES])
def test_area_operations_refuse_hostile_text_on_the_field(app, world, case: Case):
    for value in (NUL, ZERO_WIDTH):
        before = _snapshot(app)
        with app.test_request_context(headers={"Accept-Language": "en"}):
            with pytest.raises(RuleError) as refused, unit():
                case.put(world, value)
            error = refused.value
            assert error.field == case.field or case.field in error.fields, (
                case.form,
                case.field,
                value,
                error.message,
                error.field,
                error.fields,
            )
            message = error.fields.get(case.field) or error.message
            if value == NUL:
                assert message == CONTROL, (case.form, case.field, message)
        assert _snapshot(app) == before, (case.form, case.field, "something was written")
    # The same call with ordinary text goes through (the case is not vacuous).
    with app.test_request_context(), unit():
        case.put(world, ORDINARY)


def test_a_regulation_comment_is_refused_next_to_its_field(app, cast, client_for):
    did = make_draft(app, cast)
    freeze(app, T0 + DAY)
    citizen = client_for(cast.citizen)
    citizen.get("/lang/en")
    page = citizen.get(f"/regulations/{did}").get_data(as_text=True)
    assert 'name="body"' in page
    for value, message in ((NUL, CONTROL), (ZERO_WIDTH, "Write your comment first.")):
        before = _snapshot(app)
        resp = citizen.post(f"/regulations/{did}/comments", data={"body": value})
        assert resp.status_code == 400, resp.status_code
        assert message in resp.get_data(as_text=True)
        assert 'id="body-error"' in resp.get_data(as_text=True)
        assert _snapshot(app) == before
