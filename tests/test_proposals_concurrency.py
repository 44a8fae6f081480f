"""200 concurrent endorsements against the live server end with exactly the right count.

Each of 200 verified users gets a signed session cookie (as if logged in) and a CSRF token,
so the test exercises the real request path (login loader, CSRF, rate limit, rule, lock)
without 200 password hashes. Some users also send a second request at the same moment:
no lost endorsements and no doubles.
"""

from __future__ import annotations

import http.client
import secrets
import threading
from urllib.parse import urlsplit

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, insert, select

from participate.extensions import db
from participate.models import (
    AuditLog,
    Endorsement,
    PhoneNumber,
    Proposal,
    ProposalStatus,
    Role,
    User,
)
from participate.timeutil import utcnow
from tests import proposals_fixtures as fixtures
from tests.proposals_fixtures import make_endorsing

N = 200
DOUBLES = 20

# Fixtures from the shared helper module, re-exported so pytest finds them here.
cast = fixtures.cast
req = fixtures.req


def _users(n: int) -> list[tuple[int, int]]:
    now = utcnow()
    db.session.execute(
        insert(User),
        [
            {
                "email": f"crowd{i}-{secrets.token_hex(3)}@example.tw",
                "display_name": f"群眾{i}",
                "role": Role.CITIZEN,
                "email_verified_at": now,
                "privacy_accepted_at": now,
                "created_at": now,
                "email_digest": False,
                "session_version": 1,
            }
            for i in range(n)
        ],
    )
    rows = db.session.execute(
        select(User.id, User.session_version).where(User.email.like("crowd%")).order_by(User.id)
    ).all()
    # Endorsing needs a verified mobile number (issue 18): one per account.
    db.session.execute(
        insert(PhoneNumber),
        [{"number_hash": secrets.token_hex(32), "user_id": uid} for uid, _v in rows],
    )
    db.session.commit()
    return [(uid, version) for uid, version in rows]


def _credentials(app, users):
    """A session cookie and matching CSRF form token per user, signed with the app's key."""
    signer = app.session_interface.get_signing_serializer(app)
    csrf_signer = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token")
    out = []
    for uid, version in users:
        raw = secrets.token_hex(20)
        cookie = signer.dumps({"_user_id": f"{uid}:{version}", "_fresh": True, "csrf_token": raw})
        out.append((cookie, csrf_signer.dumps(raw)))
    return out


def _endorse_all(base: str, pid: int, creds, doubles: int) -> list[int]:
    parts = urlsplit(base)
    jobs = list(creds) + list(creds[:doubles])
    statuses: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(len(jobs))

    def one(cookie: str, token: str) -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
        body = f"csrf_token={token}"
        start.wait()
        conn.request(
            "POST",
            f"/proposals/{pid}/endorse",
            body=body,
            headers={
                "Cookie": f"session={cookie}",
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
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
@pytest.mark.parametrize("threshold", [5000, 150])
def test_200_concurrent_endorsements_exact_count(app, live_server, req, cast, threshold):
    app.config["WRITE_RATE_LIMIT"] = "100000 per minute"
    app.config["ENDORSEMENT_THRESHOLD"] = threshold
    p = make_endorsing(cast, now=utcnow())
    pid = p.id
    creds = _credentials(app, _users(N))
    db.session.remove()

    statuses = _endorse_all(live_server, pid, creds, DOUBLES)

    expected = min(N, threshold)
    assert statuses.count(200) == expected
    assert all(s in (200, 409) for s in statuses), sorted(set(statuses))
    db.session.remove()
    p = db.session.get(Proposal, pid)
    rows = db.session.scalar(
        select(func.count()).select_from(Endorsement).where(Endorsement.proposal_id == pid)
    )
    distinct = db.session.scalar(
        select(func.count(func.distinct(Endorsement.user_id))).where(Endorsement.proposal_id == pid)
    )
    assert p.endorsement_count == rows == distinct == expected
    established = db.session.scalar(
        select(func.count())
        .select_from(AuditLog)
        .where(AuditLog.action == "proposal.established", AuditLog.target_id == pid)
    )
    if threshold <= N:
        assert p.status == ProposalStatus.ESTABLISHED and established == 1
    else:
        assert p.status == ProposalStatus.ENDORSING and established == 0
