"""Who may do what with major projects (重大計畫), at a given moment.

**Staff act only for their own agency.** Publishing a project, opening its deliberation,
approving it, reporting progress, completing it and answering its questions are the
agency's own public statements: only active staff of the agency that owns the project make
them (admins belong to no agency and do not speak for one). The deliberation is an agency
consultation owned by the same agency, so its discussion, closing and point-by-point
response follow the consultation rules of :mod:`participate.policy.proposals` unchanged.

Every published project is public. Questions: verified, unsuspended people ask them in any
phase; screening may hold one for a moderator, who publishes or hides it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from participate.models import (
    Project,
    ProjectQuestion,
    ProjectStatus,
    ProposalStatus,
    QuestionStatus,
)
from participate.policy.core import (
    is_active,
    is_agency_staff,
    is_authenticated,
    is_moderator,
    is_verified,
)
from participate.policy.identity import meets_level
from participate.proposals.lifecycle import effective_status

S = ProjectStatus


def _staff_of(user: Any, project: Project, now: datetime) -> bool:
    """Active staff of the agency that owns ``project``."""
    return is_agency_staff(user, now) and user.agency_id == project.agency_id


def acts_for_project(user: Any, project: Project, now: datetime) -> bool:
    """May speak for the project's agency: its active staff, in any phase."""
    return _staff_of(user, project, now)


def can_publish_project(user: Any, now: datetime) -> bool:
    """Agency staff publish projects for their own agency."""
    return is_agency_staff(user, now)


def can_open_deliberation(user: Any, project: Project, now: datetime) -> bool:
    """Before approval, once: the deliberation is a consultation of the project's agency."""
    return (
        _staff_of(user, project, now)
        and project.status == S.PLANNING
        and project.deliberation_id is None
    )


def deliberation_answered(project: Project, now: datetime) -> bool:
    """The deliberation's consultation has its point-by-point response published."""
    consultation = project.deliberation
    return (
        consultation is not None and effective_status(consultation, now) == ProposalStatus.RESPONDED
    )


def can_approve(user: Any, project: Project, now: datetime) -> bool:
    """Approve the project and start it: from planning, or after a deliberation only once
    the agency has answered it point by point."""
    if not _staff_of(user, project, now):
        return False
    if project.status == S.PLANNING:
        return True
    return project.status == S.DELIBERATION and deliberation_answered(project, now)


def can_report_progress(user: Any, project: Project, now: datetime) -> bool:
    return _staff_of(user, project, now) and project.status == S.UNDERWAY


def can_complete(user: Any, project: Project, now: datetime) -> bool:
    return _staff_of(user, project, now) and project.status == S.UNDERWAY


def can_follow_project(user: Any, project: Project, now: datetime) -> bool:
    return is_active(user, now)


def can_ask(user: Any, project: Project, now: datetime) -> bool:
    """Ask a public question: confirmed, unsuspended accounts with the identity level
    commenting needs, in every phase."""
    return is_verified(user, now) and meets_level(user, "comment")


def can_answer(user: Any, question: ProjectQuestion, now: datetime) -> bool:
    """The project's agency answers a published question, once."""
    return (
        _staff_of(user, question.project, now)
        and question.status == QuestionStatus.VISIBLE
        and question.answered_at is None
    )


def can_moderate_question(user: Any, question: ProjectQuestion, now: datetime) -> bool:
    """Moderators publish a held question or hide one."""
    return is_moderator(user, now)


def can_view_question(user: Any, question: ProjectQuestion) -> bool:
    """Published questions to everyone; held or hidden ones to moderators and the author."""
    if question.status == QuestionStatus.VISIBLE:
        return True
    if not is_authenticated(user) or user.deleted_at is not None:
        return False
    return is_moderator(user) or user.id == question.author_id
