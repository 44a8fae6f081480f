"""Looking accounts up: one normal form of an email address, used by every writer and
reader so ``Lin.Mei@Example.tw`` and ``lin.mei@example.tw`` are the same account."""

from __future__ import annotations

from sqlalchemy import select

from participate.extensions import db
from participate.models import User


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))
