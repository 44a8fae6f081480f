"""What the admin pages list: accounts per role, the account search, the audit log."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, or_, select

from participate import paging
from participate.extensions import db
from participate.models import Agency, AuditLog, Role, User

PER_PAGE = 50


def role_counts() -> dict[Role, int]:
    """How many accounts hold each role (deleted ones included, as the role stays)."""
    return dict(db.session.execute(select(User.role, func.count()).group_by(User.role)).all())


def find_users(q: str, page: int) -> tuple[Sequence[User], int]:
    """Live accounts whose email or display name contains ``q``, a page of them by id, and
    the number of pages."""
    stmt = select(User).where(User.deleted_at.is_(None))
    if q:
        like = f"%{q.lower()}%"
        stmt = stmt.where(or_(User.email.like(like), func.lower(User.display_name).like(like)))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.session.scalars(
        stmt.order_by(User.id).offset((page - 1) * PER_PAGE).limit(PER_PAGE)
    ).all()
    return rows, paging.page_count(total, PER_PAGE)


def agencies() -> Sequence[Agency]:
    return db.session.scalars(select(Agency).order_by(Agency.name_zh)).all()


def user_history(user_id: int, limit: int = 50) -> Sequence[AuditLog]:
    """The latest audit entries about one account (role changes, deletion), newest first."""
    return db.session.scalars(
        select(AuditLog)
        .where(AuditLog.target_type == "user", AuditLog.target_id == user_id)
        .order_by(AuditLog.id.desc())
        .limit(limit)
    ).all()


def audit_page(action: str, page: int) -> tuple[Sequence[AuditLog], bool]:
    """A page of the audit log, newest first, optionally one action; and whether more follow."""
    stmt = select(AuditLog)
    if action:
        stmt = stmt.where(AuditLog.action == action)
    rows = db.session.scalars(
        stmt.order_by(AuditLog.id.desc()).offset((page - 1) * PER_PAGE).limit(PER_PAGE + 1)
    ).all()
    return rows[:PER_PAGE], len(rows) > PER_PAGE and page < paging.MAX_PAGE
