"""Identity levels as one matrix: each kind of account (visitor, unconfirmed, email only,
mobile, government identity) x each action, through the real predicates the pages and the
operations ask, with the default levels and with levels changed in configuration.

Accounts are real rows (the mobile and government levels are rows of their own): the
government identity is a row in ``oidc_identities``, the table the OpenID Connect sign-in
fills.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

import pytest
from flask_login import AnonymousUserMixin

from participate import policy
from participate.extensions import db
from participate.models import (
    Discussion,
    DraftStatus,
    OidcIdentity,
    ProposalKind,
    ProposalStatus,
    SurveyStatus,
)
from tests.test_policy import NOW, _proposal
from tests.test_regulations_policy import _draft
from tests.test_surveys_policy import _survey

KINDS = ("anon", "unconfirmed", "email", "mobile", "gov")


@pytest.fixture()
def people(app, make_user) -> dict[str, Any]:
    found = {
        "anon": AnonymousUserMixin(),
        "unconfirmed": make_user(verified=False),
        "email": make_user(mobile=False),
        "mobile": make_user(),
        "gov": make_user(mobile=False),
    }
    with app.app_context():
        # A linked government identity, as the OpenID Connect sign-in writes it.
        db.session.add(
            OidcIdentity(
                user_id=found["gov"].id,
                provider="https://id.example.gov.tw",
                subject_hash=secrets.token_hex(32),
            )
        )
        db.session.commit()
    return found


def _endorsing():
    return _proposal(
        ProposalKind.PROPOSAL, ProposalStatus.ENDORSING, deadline=NOW + timedelta(days=10)
    )


ACTIONS: dict[str, Any] = {
    "endorse": lambda u: policy.can_endorse(u, _endorsing(), NOW),
    "propose": lambda u: policy.can_propose(u, NOW),
    "comment": lambda u: (
        policy.participation_refusal(u, Discussion(id=None, proposal=_endorsing()), NOW) is None
    ),
    "vote": lambda u: (
        policy.participation_refusal(
            u, Discussion(id=None, proposal=_endorsing()), NOW, None, action="vote"
        )
        is None
    ),
    "answer": lambda u: policy.can_answer_survey(u, _survey(SurveyStatus.OPEN), NOW),
    "comment_draft": lambda u: policy.can_comment(u, _draft(DraftStatus.OPEN), NOW),
    "ask_project": lambda u: policy.can_ask(u, None, NOW),
}

#                a u e m g   (anon, unconfirmed, email, mobile, gov)
DEFAULTS = {
    "endorse": "...YY",
    "propose": "...YY",
    "comment": "..YYY",
    "vote": "..YYY",
    "answer": "..YYY",
    "comment_draft": "..YYY",
    "ask_project": "..YYY",
}
RAISED = {  # endorse=gov, comment=mobile, vote=mobile, answer=mobile, propose=email
    "endorse": "....Y",
    "propose": "..YYY",
    "comment": "...YY",
    "vote": "...YY",
    "answer": "...YY",
    "comment_draft": "...YY",
    "ask_project": "...YY",
}


def _rows(app, people) -> dict[str, str]:
    with app.test_request_context():
        return {
            action: "".join("Y" if check(people[k]) else "." for k in KINDS)
            for action, check in ACTIONS.items()
        }


def test_level_by_action_matrix_with_the_default_levels(app, people):
    assert _rows(app, people) == DEFAULTS
    with app.test_request_context():
        assert [policy.level_of(people[k]) for k in KINDS] == [
            "none",
            "none",
            "email",
            "mobile",
            "gov",
        ]


def test_level_by_action_matrix_with_levels_from_configuration(app, people):
    app.config["IDENTITY_LEVELS"] = {
        **app.config["IDENTITY_LEVELS"],
        "endorse": "gov",
        "comment": "mobile",
        "vote": "mobile",
        "answer": "mobile",
        "propose": "email",
    }
    assert _rows(app, people) == RAISED


def test_a_refusal_names_the_missing_step(app, people):
    with app.test_request_context():
        assert [policy.missing_step(people[k], "endorse") for k in KINDS] == [
            "login",
            "email",
            "mobile",
            None,
            None,
        ]
        app.config["IDENTITY_LEVELS"] = {**app.config["IDENTITY_LEVELS"], "comment": "gov"}
        refusal = policy.participation_refusal(
            people["mobile"], Discussion(id=None, proposal=_endorsing()), NOW
        )
        assert refusal.code == "gov_required"
        assert "政府數位身分" in refusal.message  # zh-Hant is the default language


def test_identity_levels_from_the_environment(monkeypatch):
    from participate.config import ConfigError, load_config

    monkeypatch.setenv("PARTICIPATE_IDENTITY_LEVELS", "endorse=gov, comment=mobile")
    levels = load_config()["IDENTITY_LEVELS"]
    assert levels["endorse"] == "gov" and levels["comment"] == "mobile"
    assert levels["propose"] == "mobile" and levels["read"] == "none"
    monkeypatch.setenv("PARTICIPATE_IDENTITY_LEVELS", "endorse=passport")
    with pytest.raises(ConfigError):
        load_config()
