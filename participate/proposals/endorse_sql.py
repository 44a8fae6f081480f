"""The endorsement's SQL (``operations.endorse`` and the follow), built once per dialect."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import bindparam, exists, func, select, update

from participate.models import Endorsement, Follow, Proposal
from participate.models import ProposalStatus as S


class EndorseSql:
    """The endorsement's statements, built once per dialect: building, coercing and
    hashing them on every request cost more than running them."""

    def __init__(self, dialect: str) -> None:
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        pair = {
            "proposal_id": bindparam("proposal_id"),
            "user_id": bindparam("user_id"),
            "created_at": bindparam("now"),
        }
        et, ft, pt = Endorsement.__table__, Follow.__table__, Proposal.__table__
        endorse = insert(et).on_conflict_do_nothing(index_elements=[et.c.proposal_id, et.c.user_id])
        follow = insert(ft).on_conflict_do_nothing(index_elements=[ft.c.proposal_id, ft.c.user_id])
        count = (
            update(pt)
            .where(pt.c.id == bindparam("proposal_id"), pt.c.status == S.ENDORSING)
            .values(
                endorsement_count=func.coalesce(pt.c.endorsement_count, 0) + 1,
                # Its onupdate, set here: the statement runs on the driver's cursor.
                updated_at=bindparam("now"),
            )
        )
        self.endorse = endorse.values(pair).returning(et.c.id)
        self.follow = follow.values(pair)
        self.count = count.returning(pt.c.endorsement_count)
        # PostgreSQL: the same three writes as data-modifying CTEs of one statement, one
        # round trip instead of three (SQLite has no such CTEs). The follow and the count
        # read what the endorsement's insert returned, so a double (no row inserted)
        # writes nothing; the count is None when the status changed under it.
        self.at_once: Any = None
        if dialect == "postgresql":
            names = ["proposal_id", "user_id", "created_at"]
            inserted = endorse.values(pair).returning(*(et.c[n] for n in names)).cte("inserted")
            was_new = exists(select(inserted.c.user_id))
            followed = follow.from_select(names, select(inserted)).cte("followed")
            counted = count.where(was_new).returning(pt.c.endorsement_count).cte("counted")
            self.at_once = select(
                was_new.label("inserted"),
                select(counted.c.endorsement_count).scalar_subquery().label("counted"),
            ).add_cte(followed)


endorse_sql = cache(EndorseSql)  # one set of statements per dialect name
