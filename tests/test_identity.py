"""Mobile verification and endorsement integrity, on the real database.

The code's expiry, lockout and rate limits run on a frozen clock (``FROZEN_NOW``); the
codes are read from the dev outbox, where the dev SMS gateway writes them; one account per
number is raced from two threads (run on SQLite and PostgreSQL).
"""

from __future__ import annotations

import csv
import re
import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from participate.auth import operations as auth_operations
from participate.boundary import unit
from participate.errors import RuleError
from participate.extensions import db
from participate.identity import operations
from participate.models import (
    AuditLog,
    Endorsement,
    MailMessage,
    PhoneChallenge,
    PhoneNumber,
    Proposal,
    User,
)
from participate.proposals.lifecycle import S
from tests import proposals_fixtures as fixtures
from tests.proposals_fixtures import DAY, T0, freeze, make_endorsing

# The proposals' fixtures, re-exported so pytest finds them here.
cast = fixtures.cast

NUMBER = "0912-345-678"
E164 = "+886912345678"


def _code() -> str:
    body = db.session.scalar(
        select(MailMessage.body).where(MailMessage.subject == "SMS").order_by(MailMessage.id.desc())
    )
    return re.search(r"\d{6}", body).group(0)


def _send(user_id: int, number: str = NUMBER, client: str = "203.0.113.5") -> None:
    with unit():
        operations.send_code(db.session.get(User, user_id), number, client)


def _confirm(user_id: int, code: str):
    with unit():
        return operations.confirm_code(db.session.get(User, user_id), code)


# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    "raw",
    [
        "0912345678",
        "0912-345-678",
        "0912 345 678",
        "+886 912 345 678",
        "+886-0912345678",
        "00886912345678",
        "０９１２３４５６７８",
        "(0912) 345-678",
    ],
)
def test_taiwanese_mobile_numbers_are_normalised(app, raw):
    with app.test_request_context():
        assert operations.normalise_number(raw) == E164


@pytest.mark.parametrize("raw", ["", "12345", "0212345678", "091234567", "+886 212 345 678", "abc"])
def test_other_strings_are_refused_next_to_the_field(app, raw):
    with app.test_request_context(), pytest.raises(RuleError) as err:
        operations.normalise_number(raw)
    assert err.value.field == "number"


def test_other_countries_only_when_configured(app):
    with app.test_request_context():
        with pytest.raises(RuleError):
            operations.normalise_number("+1 415 555 0100")
        app.config["SMS_COUNTRIES"] = ["886", "1"]
        assert operations.normalise_number("+1 415 555 0100") == "+14155550100"


# --------------------------------------------------------------------------- the flow


def test_email_only_citizen_is_sent_to_verify_and_comes_back_to_endorse(
    app, client, login, cast, make_user
):
    with app.test_request_context():
        freeze(app, T0)
        pid = make_endorsing(cast).id
    person = make_user(mobile=False)
    login(client, person)
    page = client.get(f"/proposals/{pid}").get_data(as_text=True)
    assert 'id="verify-to-endorse"' in page
    resp = client.post(f"/proposals/{pid}/endorse")
    assert resp.status_code == 302
    step = resp.headers["Location"]
    assert step == f"/identity/mobile?next=/proposals/{pid}"

    resp = client.post(step, data={"number": NUMBER})
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/identity/mobile/code")
    code_page = resp.headers["Location"]
    with app.app_context():
        code = _code()
        outbox = db.session.scalars(select(MailMessage)).all()
        assert all("912345678" not in (m.recipient + m.body) for m in outbox)
    wrong = "000000" if code != "000000" else "111111"
    resp = client.post(code_page, data={"code": wrong})
    assert resp.status_code == 200 and "還可以再試 4 次" in resp.get_data(as_text=True)
    resp = client.post(code_page, data={"code": code})
    assert resp.status_code == 302 and resp.headers["Location"] == f"/proposals/{pid}"

    with app.app_context():
        row = db.session.scalar(select(PhoneNumber).where(PhoneNumber.user_id == person.id))
        assert row is not None and row.number_hash == operations.number_hash(E164)
        assert "912345678" not in row.number_hash
        challenge = db.session.scalar(select(PhoneChallenge))
        assert challenge.attempts == 1 and challenge.used_at is not None
        assert code not in challenge.code_hash
    resp = client.post(f"/proposals/{pid}/endorse")
    assert resp.status_code == 302 and resp.headers["Location"] == f"/proposals/{pid}"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Endorsement)) == 1


def test_opening_the_proposal_form_without_the_level_sends_to_the_step(app, login, make_user):
    """Issue 14: an unconfirmed account opening /proposals/new got a bare 403."""

    def opening(user: Any) -> Any:
        return login(app.test_client(), user).get("/proposals/new")

    resp = opening(make_user(verified=False))
    assert resp.headers["Location"] == "/auth/unverified?next=/proposals/new"
    resp = opening(make_user(mobile=False))
    assert resp.headers["Location"] == "/identity/mobile?next=/proposals/new"
    assert opening(make_user()).status_code == 200


# --------------------------------------------------------------------------- the code


def test_a_code_expires_after_ten_minutes(app, make_user):
    person = make_user(mobile=False)
    with app.test_request_context():
        freeze(app, T0)
        _send(person.id)
        code = _code()
        freeze(app, T0 + timedelta(minutes=10, seconds=1))
        with pytest.raises(RuleError) as err:
            _confirm(person.id, code)
        assert err.value.status == 410
        freeze(app, T0 + timedelta(minutes=12))
        _send(person.id)  # a new code works
        assert _confirm(person.id, _code()).ok


def test_five_wrong_codes_lock_it(app, make_user):
    person = make_user(mobile=False)
    with app.test_request_context():
        freeze(app, T0)
        _send(person.id)
        code = _code()
        wrong = "000000" if code != "000000" else "111111"
        results = [_confirm(person.id, wrong) for _ in range(5)]
        assert [r.ok for r in results] == [False] * 5
        with pytest.raises(RuleError) as err:
            _confirm(person.id, code)  # the right one, too late
        assert err.value.status == 429
        assert not db.session.scalar(select(PhoneNumber.id))


def test_codes_are_limited_per_number_account_and_client(app, make_user):
    app.config.update(
        PHONE_CODES_PER_NUMBER_PER_DAY=3,
        PHONE_CODES_PER_ACCOUNT_PER_DAY=2,
        PHONE_CODES_PER_CLIENT_PER_HOUR=4,
    )
    people = [make_user(mobile=False) for _ in range(4)]
    with app.test_request_context():
        freeze(app, T0)
        # per number: three accounts ask for the same number, the fourth is refused
        for i, person in enumerate(people[:3]):
            _send(person.id, client=f"198.51.100.{i}")
        with pytest.raises(RuleError) as err:
            _send(people[3].id, client="198.51.100.9")
        assert err.value.status == 429 and err.value.field == "number"
        # per account: a second number is fine, a third not
        _send(people[0].id, "0922000000", client="198.51.100.20")
        with pytest.raises(RuleError):
            _send(people[0].id, "0933000000", client="198.51.100.21")
        # per client: four codes in an hour from one address
        app.config["PHONE_CODES_PER_ACCOUNT_PER_DAY"] = 10
        for i in range(4):
            freeze(app, T0 + timedelta(hours=2, minutes=i))
            _send(people[1 + i % 3].id, f"09440000{i:02d}", client="192.0.2.7")
        with pytest.raises(RuleError):
            _send(people[3].id, "0955000000", client="192.0.2.7")
        # a day later the number may be asked for again
        freeze(app, T0 + DAY + timedelta(minutes=1))
        _send(people[3].id, NUMBER, client="198.51.100.30")


def test_the_sms_form_is_rate_limited_per_client(app, client, login, make_user):
    app.config["SMS_RATE_LIMIT"] = "2 per minute"
    login(client, make_user(mobile=False))
    statuses = [
        client.post("/identity/mobile", data={"number": f"09660000{i:02d}"}).status_code
        for i in range(3)
    ]
    assert statuses == [302, 302, 429]


# --------------------------------------------------------------------------- one per number


def test_one_account_per_number_when_two_confirm_at_once(app, make_user):
    a, b = make_user(mobile=False), make_user(mobile=False)
    codes = {}
    with app.test_request_context():
        for person in (a, b):
            _send(person.id, client=f"198.51.100.{person.id}")
            codes[person.id] = _code()
        db.session.remove()
    start = threading.Barrier(2)
    outcome: dict[int, Any] = {}

    def confirm(uid: int) -> None:
        with app.test_request_context():
            start.wait()
            try:
                outcome[uid] = _confirm(uid, codes[uid]).ok
            except RuleError as exc:
                outcome[uid] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=confirm, args=(uid,)) for uid in codes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wins = [uid for uid, result in outcome.items() if result is True]
    losses = [result for result in outcome.values() if isinstance(result, RuleError)]
    assert len(wins) == 1 and len(losses) == 1
    assert losses[0].status == 409
    with app.app_context():
        rows = db.session.scalars(select(PhoneNumber)).all()
        assert [r.user_id for r in rows] == wins


def test_a_taken_number_is_refused_at_once(app, client, login, make_user):
    first = make_user(mobile=False)
    with app.test_request_context():
        _send(first.id)
        assert _confirm(first.id, _code()).ok
    login(client, make_user(mobile=False))
    resp = client.post("/identity/mobile", data={"number": "+886 912 345 678"})
    assert resp.status_code == 409
    assert "一個號碼只能用於一個帳號" in resp.get_data(as_text=True)


def test_a_deleted_accounts_number_is_kept_detached_for_the_retention_period(app, make_user):
    first = make_user(mobile=False)
    with app.test_request_context():
        freeze(app, T0)
        _send(first.id)
        assert _confirm(first.id, _code()).ok
        with unit():
            auth_operations.delete_account(db.session.get(User, first.id))
        row = db.session.scalar(select(PhoneNumber))
        assert row.user_id is None and row.detached_at is not None
        second = make_user(mobile=False)
        with pytest.raises(RuleError) as err:
            _send(second.id)
        assert err.value.status == 409
        with unit():
            assert operations.purge_detached_numbers(T0 + 364 * DAY) == 0
        freeze(app, T0 + 366 * DAY)
        with unit():
            assert operations.purge_detached_numbers() == 1
        _send(second.id)
        assert _confirm(second.id, _code()).ok


# --------------------------------------------------------------------------- integrity


def _seed_burst(app, proposal_id: int) -> None:
    """Ten quiet hours of 2 endorsements from old accounts with old numbers, then one hour
    of 40 from accounts made an hour before, with numbers verified ten minutes before."""
    with app.app_context():
        n = 0
        start = T0 + DAY

        def endorser(created, verified):
            nonlocal n
            n += 1
            user = User(
                email=f"e{n}@example.tw",
                display_name=f"e{n}",
                email_verified_at=created,
                created_at=created,
            )
            db.session.add(user)
            db.session.flush()
            db.session.add(
                PhoneNumber(number_hash=f"{n:064x}", user_id=user.id, verified_at=verified)
            )
            return user

        for hour in range(10):
            for minute in (5, 35):
                at = start + timedelta(hours=hour, minutes=minute)
                user = endorser(at - 30 * DAY, at - 29 * DAY)
                db.session.add(Endorsement(proposal_id=proposal_id, user_id=user.id, created_at=at))
        burst = start + timedelta(hours=12)
        for i in range(40):
            at = burst + timedelta(seconds=60 * i)
            user = endorser(at - timedelta(hours=1), at - timedelta(minutes=10))
            db.session.add(Endorsement(proposal_id=proposal_id, user_id=user.id, created_at=at))
        db.session.get(Proposal, proposal_id).endorsement_count = 60
        db.session.commit()


def test_integrity_figures_on_a_seeded_burst(app, client, login, cast):
    from participate.identity.queries import integrity

    with app.test_request_context():
        freeze(app, T0)
        pid = make_endorsing(cast).id
    _seed_burst(app, pid)
    with app.app_context():
        figures = integrity(pid)
    assert figures.total == 60
    assert (figures.new_accounts, figures.fresh_numbers) == (40, 40)
    assert figures.median_per_hour == 2
    assert [(h.hour.hour, h.count) for h in figures.bursts] == [((T0 + DAY).hour + 8 + 12, 40)]
    assert len(figures.hours) == 13  # every hour from the first to the last, empty ones too

    login(client, cast.moderator)
    page = client.get(f"/proposals/{pid}/integrity").get_data(as_text=True)
    assert 'id="integrity-new-accounts">66.7% (40)' in page
    assert 'id="integrity-bursts">1<' in page
    citizen = login(app.test_client(), cast.citizen)
    assert citizen.get(f"/proposals/{pid}/integrity").status_code == 404
    staff = login(app.test_client(), cast.staff)  # not responsible (yet): no panel
    assert staff.get(f"/proposals/{pid}/integrity").status_code == 404


def test_a_moderator_holds_the_count_and_publishes_the_outcome(
    app, client, login, cast, make_user, tmp_path
):
    app.config["ENDORSEMENT_THRESHOLD"] = 3
    with app.test_request_context():
        freeze(app, T0)
        pid = make_endorsing(cast).id
        from participate.proposals import operations as proposal_operations

        with unit():
            proposal_operations.endorse(cast.get("citizen"), pid, T0 + DAY)
    login(client, cast.moderator)
    resp = client.post(
        f"/proposals/{pid}/integrity/hold", data={"reason": "同一小時湧入大量新帳號"}
    )
    assert resp.status_code == 302
    page = client.get(f"/proposals/{pid}").get_data(as_text=True)
    assert 'id="count-under-review"' in page and 'id="endorse-count">1<' in page

    with app.test_request_context():
        from participate.proposals import operations as proposal_operations

        for name in ("author", "admin"):
            with unit():
                proposal_operations.endorse(cast.get(name), pid, T0 + DAY)
        p = db.session.get(Proposal, pid)
        assert p.endorsement_count == 3 and p.status == S.ENDORSING  # held: not established
    page = client.get(f"/proposals/{pid}").get_data(as_text=True)
    assert 'id="endorse-count">1<' in page  # the public count stays at the held value
    other = login(app.test_client(), make_user())
    resp = other.post(f"/proposals/{pid}/endorse", headers={"Accept": "application/json"})
    assert resp.get_json() == {"count": 1, "established": False, "under_review": True}
    # Everywhere else the public reads the count, it is the held one too: the list, the
    # API and the open data (the live count, 4 now, is the moderators' to review).
    listing = client.get("/proposals/?status=endorsing").get_data(as_text=True)
    card = listing[listing.index(f'href="/proposals/{pid}"') :]
    card = card[: card.index("</li>")]
    assert "1 人附議" in card and "審查中" in card and "4 人附議" not in card
    api = client.get(f"/api/v1/proposals/{pid}").get_json()
    assert (api["endorsement_count"], api["endorsement_count_under_review"]) == (1, True)
    with app.app_context():
        from participate.opendata.build import build

        app.config["OPENDATA_DIR"] = str(tmp_path / "opendata")
        build()
    with (tmp_path / "opendata" / "proposals.csv").open(encoding="utf-8", newline="") as fh:
        mine = next(r for r in csv.DictReader(fh) if r["id"] == str(pid))
    assert mine["endorsement_count"] == "1"

    resp = client.post(
        f"/proposals/{pid}/integrity/release", data={"outcome": "查無異常，附議有效。"}
    )
    assert resp.status_code == 302
    page = client.get(f"/proposals/{pid}").get_data(as_text=True)
    assert 'id="count-under-review"' not in page and 'id="endorse-count">4<' in page
    api = client.get(f"/api/v1/proposals/{pid}").get_json()
    assert (api["endorsement_count"], api["endorsement_count_under_review"]) == (4, False)
    assert "查無異常，附議有效。" in page
    with app.app_context():
        assert db.session.get(Proposal, pid).status == S.ESTABLISHED
        actions = db.session.scalars(
            select(AuditLog.action)
            .where(AuditLog.action.like("endorsement.%"))
            .order_by(AuditLog.id)
        ).all()
        assert actions == ["endorsement.hold", "endorsement.release"]

    with app.test_request_context():
        from participate.proposals import operations as proposal_operations

        with unit():
            proposal_operations.assign_agencies(
                cast.get("moderator"), db.session.get(Proposal, pid), [cast.agency.id], T0 + DAY
            )
    staff = login(app.test_client(), cast.staff)  # responsible now: sees the panel, no hold
    assert staff.get(f"/proposals/{pid}/integrity").status_code == 200
    resp = staff.post(f"/proposals/{pid}/integrity/hold", data={"reason": "再審一次"})
    assert resp.status_code == 403


def test_demo_accounts_come_with_verified_numbers(app):
    from participate import policy
    from participate.demo import seed_accounts

    with app.test_request_context():
        with unit():
            seed_accounts()
        with unit():
            seed_accounts()  # idempotent
        citizen = db.session.scalar(select(User).where(User.email.like("citizen@%")))
        assert policy.level_of(citizen) == "mobile"
        assert db.session.scalar(select(func.count()).select_from(PhoneNumber)) == 5


def test_the_account_page_and_the_data_download_say_whether_a_number_is_verified(
    app, client, login, make_user
):
    person = make_user()
    login(client, person)
    page = client.get("/account/").get_data(as_text=True)
    assert "已驗證" in page and "/identity/" in page
    data = client.get("/account/data.json").get_json()
    assert data["mobile_number"]["verified"] is True
    assert "912" not in str(data["mobile_number"])
    level_page = client.get("/identity/").get_data(as_text=True)
    assert "已驗證的手機號碼" in level_page


def test_a_raised_comment_level_sends_the_writer_to_the_step(app, client, login, cast, make_user):
    app.config["IDENTITY_LEVELS"] = {**app.config["IDENTITY_LEVELS"], "comment": "mobile"}
    with app.test_request_context():
        freeze(app, T0)
        pid = make_endorsing(cast).id
    login(client, make_user(mobile=False))
    page = client.get(f"/proposals/{pid}/discussion").get_data(as_text=True)
    assert "請先驗證手機號碼" in page
    assert f'href="/identity/mobile?next=/proposals/{pid}/discussion"' in page
    resp = client.post(f"/proposals/{pid}/discussion/statements", data={"text": "待轉區要改"})
    assert resp.headers["Location"] == f"/identity/mobile?next=/proposals/{pid}/discussion"
    with app.app_context():
        from participate.models import Statement

        assert db.session.scalar(select(func.count()).select_from(Statement)) == 0


def test_the_http_gateway_posts_the_message_after_the_commit(app, make_user):
    """A real HTTP server on 127.0.0.1 stands for the SMS provider."""
    import json
    from http.server import BaseHTTPRequestHandler, HTTPServer

    received: list[tuple[str, dict]] = []

    class Provider(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server hook
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.headers.get("Authorization"), json.loads(body)))
            self.send_response(202)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Provider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        app.config.update(
            SMS_GATEWAY="http",
            SMS_HTTP_URL=f"http://127.0.0.1:{server.server_port}/send",
            SMS_HTTP_TOKEN="provider-token",
        )
        person = make_user(mobile=False)
        with app.test_request_context():
            with pytest.raises(RuleError):
                with unit():  # refused: nothing is sent
                    operations.send_code(db.session.get(User, person.id), "12", "192.0.2.1")
            assert received == []
            _send(person.id)
            assert db.session.scalar(select(func.count()).select_from(MailMessage)) == 0
    finally:
        server.shutdown()
        server.server_close()
    assert len(received) == 1
    auth, payload = received[0]
    assert auth == "Bearer provider-token"
    assert payload["to"] == E164 and re.search(r"\d{6}", payload["text"])


@pytest.mark.parametrize("field", ["reason", "outcome"])
@pytest.mark.parametrize(
    ("text", "status"), [("查核\x00中", 400), ("  \u200b ", 400), ("a" * 4001, 400)]
)
def test_hold_text_is_accepted_like_every_text(app, client, login, cast, field, text, status):
    with app.test_request_context():
        freeze(app, T0)
        pid = make_endorsing(cast).id
    login(client, cast.moderator)
    if field == "outcome":
        client.post(f"/proposals/{pid}/integrity/hold", data={"reason": "審查"})
    resp = client.post(
        f"/proposals/{pid}/integrity/{'hold' if field == 'reason' else 'release'}",
        data={field: text},
    )
    assert resp.status_code == status
    assert 'class="field-error"' in resp.get_data(as_text=True)
    with app.app_context():
        from participate.models import EndorsementHold

        holds = db.session.scalars(select(EndorsementHold)).all()
        assert len(holds) == (0 if field == "reason" else 1)
        assert all(h.released_at is None for h in holds)


def test_past_endorsements_of_email_only_accounts_stay(app, client, login, cast, make_user):
    """The new requirement applies to new endorsements: an account that endorsed with an
    email only keeps its endorsement, counted and shown as its own."""
    with app.test_request_context():
        freeze(app, T0)
        pid = make_endorsing(cast).id
    earlier = make_user(mobile=False)
    with app.app_context():
        db.session.add(Endorsement(proposal_id=pid, user_id=earlier.id, created_at=T0))
        db.session.get(Proposal, pid).endorsement_count = 1
        db.session.commit()
    login(client, earlier)
    page = client.get(f"/proposals/{pid}").get_data(as_text=True)
    assert 'id="endorse-count">1<' in page
    assert 'id="verify-to-endorse"' not in page  # shown as endorsed, nothing to verify
