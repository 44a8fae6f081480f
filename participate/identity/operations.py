"""What people do to raise their identity level, and what moderators do about an
endorsement count: one function per action.

**Mobile verification.** :func:`send_code` normalises the number (Taiwan's 09xxxxxxxx or
+886 9xxxxxxxx; other countries' calling codes when ``SMS_COUNTRIES`` lists them), refuses
a number another account holds, counts the codes sent to the number, by the account and
from the client (database counts, on top of the view's Flask-Limiter limit), stores only
the code's hash and queues the text message. :func:`confirm_code` checks the code: it
expires after ``PHONE_CODE_MINUTES``, and ``PHONE_CODE_MAX_TRIES`` wrong tries lock it. A
wrong try is not a refusal: it returns a result the view shows, so the counter it wrote is
committed (a :class:`RuleError` would roll it back).

**What is kept.** Only ``HMAC-SHA256(PHONE_HMAC_KEY, "+886912345678")``: enough to know a
number is already taken, useless to find or call it without the key. The unique key on the
hash is the guarantee of one account per number, even when two accounts confirm the same
number at once (a savepoint turns the lost race into a field error). When an account is
deleted its hash stays, detached, for ``PHONE_RETENTION_DAYS`` (a year by default: longer
than any endorsement period, so the same number cannot endorse the same proposal twice
through a new account), then :func:`purge_detached_numbers` deletes it.

**Endorsement holds.** :func:`hold_count` freezes a proposal's public count pending
review (audited, shown as "under review"); :func:`release_count` publishes the outcome and,
when the count reached the threshold meanwhile, establishes the proposal.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from participate import audit, policy
from participate.boundary import savepoint
from participate.errors import RuleError
from participate.extensions import db
from participate.identity import sms
from participate.models import EndorsementHold, PhoneChallenge, PhoneNumber, Proposal, User
from participate.text import accept_text
from participate.timeutil import aware, utcnow

DEV_HMAC_KEY = "dev-only-phone-key"  # noqa: S105 - production refuses to start without one
_SEPARATORS = re.compile(r"[\s\-().\u3000]")


# --------------------------------------------------------------------------- numbers


def _key() -> bytes:
    return (current_app.config.get("PHONE_HMAC_KEY") or DEV_HMAC_KEY).encode()


def keyed_hash(value: str) -> str:
    return hmac.new(_key(), value.encode(), hashlib.sha256).hexdigest()


def number_hash(e164: str) -> str:
    """The only trace of a number the site keeps."""
    return keyed_hash("tel:" + e164)


def _bad_number() -> RuleError:
    return RuleError(
        _("Enter a mobile number such as 0912 345 678 or +886 912 345 678."), field="number"
    )


def normalise_number(raw: str) -> str:
    """``raw`` as E.164 (``+886912345678``), or a field error.

    Taiwan (calling code 886): ten digits starting 09, or +886 followed by 9 and eight
    digits (a leading 0 after +886 is tolerated). Other calling codes listed in
    ``SMS_COUNTRIES``: + and the code followed by 6 to 12 digits.
    """
    text = _SEPARATORS.sub("", (raw or "").strip()).translate(
        str.maketrans("０１２３４５６７８９＋", "0123456789+")
    )
    if text.startswith("00"):
        text = "+" + text[2:]
    countries = current_app.config["SMS_COUNTRIES"]
    if re.fullmatch(r"09\d{8}", text) and "886" in countries:
        return "+886" + text[1:]
    if not re.fullmatch(r"\+\d{7,15}", text):
        raise _bad_number()
    digits = text[1:]
    if digits.startswith("886"):
        if "886" not in countries:
            raise RuleError(_("Numbers from this country are not accepted."), field="number")
        national = digits[3:]
        national = national[1:] if national.startswith("0") else national
        if not re.fullmatch(r"9\d{8}", national):
            raise _bad_number()
        return "+886" + national
    for code in countries:
        if code != "886" and digits.startswith(code) and 6 <= len(digits) - len(code) <= 12:
            return "+" + digits
    raise RuleError(_("Numbers from this country are not accepted."), field="number")


# --------------------------------------------------------------------------- codes


@dataclass
class CodeCheck:
    """The outcome of a code the person typed: ``ok``, or the message to show."""

    ok: bool
    message: str = ""


def _code_hash(challenge_number_hash: str, code: str) -> str:
    return keyed_hash(f"code:{challenge_number_hash}:{code}")


def _count(*where: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(PhoneChallenge).where(*where)) or 0


def _too_many() -> RuleError:
    return RuleError(
        _("Too many codes were asked for; please try again later."), field="number", status=429
    )


def send_code(user: User, raw_number: str, client: str, now: datetime | None = None) -> None:
    """Send a six-digit code to the number, to prove the person holds it."""
    now = now or utcnow()
    if not policy.can_verify_mobile(user, now):
        raise RuleError(_("Confirm your email address first."), status=403)
    if policy.has_mobile(user):
        raise RuleError(
            _("Your account already has a verified number."), field="number", status=409
        )
    e164 = normalise_number(raw_number)
    digest = number_hash(e164)
    holder = db.session.scalar(select(PhoneNumber).where(PhoneNumber.number_hash == digest))
    if holder is not None:
        raise _taken(holder)
    cfg = current_app.config
    day, hour = now - timedelta(days=1), now - timedelta(hours=1)
    client_digest = keyed_hash("client:" + client)
    if (
        _count(PhoneChallenge.number_hash == digest, PhoneChallenge.created_at > day)
        >= cfg["PHONE_CODES_PER_NUMBER_PER_DAY"]
        or _count(PhoneChallenge.user_id == user.id, PhoneChallenge.created_at > day)
        >= cfg["PHONE_CODES_PER_ACCOUNT_PER_DAY"]
        or _count(PhoneChallenge.client_hash == client_digest, PhoneChallenge.created_at > hour)
        >= cfg["PHONE_CODES_PER_CLIENT_PER_HOUR"]
    ):
        raise _too_many()
    code = f"{secrets.randbelow(1_000_000):06d}"
    db.session.add(
        PhoneChallenge(
            user_id=user.id,
            number_hash=digest,
            client_hash=client_digest,
            code_hash=_code_hash(digest, code),
            created_at=now,
            expires_at=now + timedelta(minutes=cfg["PHONE_CODE_MINUTES"]),
            attempts=0,
        )
    )
    db.session.flush()
    sms.queue_sms(
        e164,
        _(
            "%(site)s verification code: %(code)s (valid for %(minutes)d minutes). "
            "Never give it to anyone.",
            site=_("participate"),
            code=code,
            minutes=cfg["PHONE_CODE_MINUTES"],
        ),
    )


def _taken(holder: PhoneNumber) -> RuleError:
    if holder.user_id is None:
        return RuleError(
            _(
                "This number belonged to a deleted account; it can be verified again "
                "after the retention period (see the privacy notice)."
            ),
            field="number",
            status=409,
        )
    return RuleError(
        _("This number is already verified on an account. One account per number."),
        field="number",
        status=409,
    )


def pending_challenge(user: User, now: datetime | None = None) -> PhoneChallenge | None:
    """The account's latest code that can still be typed (unused, not expired or locked)."""
    now = now or utcnow()
    challenge = db.session.scalar(
        select(PhoneChallenge)
        .where(PhoneChallenge.user_id == user.id, PhoneChallenge.used_at.is_(None))
        .order_by(PhoneChallenge.id.desc())
        .limit(1)
    )
    if challenge is None or aware(challenge.expires_at) <= now:
        return None
    if challenge.attempts >= current_app.config["PHONE_CODE_MAX_TRIES"]:
        return None
    return challenge


def confirm_code(user: User, code: str, now: datetime | None = None) -> CodeCheck:
    """Check the code; the right one links the number to the account.

    A wrong code counts a try and returns a failed :class:`CodeCheck` (committed, so the
    lock holds); an expired or locked code, or a number taken meanwhile, is a refusal.
    """
    now = now or utcnow()
    if not policy.can_verify_mobile(user, now):
        raise RuleError(_("Confirm your email address first."), status=403)
    challenge = db.session.scalar(
        select(PhoneChallenge)
        .where(PhoneChallenge.user_id == user.id, PhoneChallenge.used_at.is_(None))
        .order_by(PhoneChallenge.id.desc())
        .limit(1)
        .with_for_update()
    )
    max_tries = current_app.config["PHONE_CODE_MAX_TRIES"]
    if challenge is None or aware(challenge.expires_at) <= now:
        raise RuleError(_("This code has expired. Ask for a new one."), field="code", status=410)
    if challenge.attempts >= max_tries:
        raise RuleError(
            _("Too many wrong codes: this one is locked. Ask for a new one."),
            field="code",
            status=429,
        )
    typed = _SEPARATORS.sub("", code or "")
    if not re.fullmatch(r"\d{6}", typed) or not hmac.compare_digest(
        _code_hash(challenge.number_hash, typed), challenge.code_hash
    ):
        challenge.attempts += 1
        db.session.flush()
        left = max_tries - challenge.attempts
        if left <= 0:
            return CodeCheck(
                False, _("Too many wrong codes: this one is locked. Ask for a new one.")
            )
        return CodeCheck(False, _("That is not the code we sent. %(n)d tries left.", n=left))
    challenge.used_at = now
    holder = db.session.scalar(
        select(PhoneNumber).where(PhoneNumber.number_hash == challenge.number_hash)
    )
    if holder is not None:
        raise _taken(holder)
    if policy.has_mobile(user):
        raise RuleError(_("Your account already has a verified number."), field="code", status=409)
    try:
        with savepoint():  # the unique keys are the guarantee when two confirm at once
            db.session.add(
                PhoneNumber(number_hash=challenge.number_hash, user_id=user.id, verified_at=now)
            )
            db.session.flush()
    except IntegrityError as exc:
        raise RuleError(
            _("This number is already verified on an account. One account per number."),
            field="code",
            status=409,
        ) from exc
    audit.record(user, "identity.mobile_verified", "user", user.id)
    return CodeCheck(True)


# --------------------------------------------------------------------------- deletion


def detach_on_deletion(user: User) -> None:
    """``account_deleting``: the number's hash stays, detached from the account, for the
    retention period; the account's pending codes go."""
    now = utcnow()
    for row in db.session.scalars(select(PhoneNumber).where(PhoneNumber.user_id == user.id)):
        row.user_id = None
        row.detached_at = now
    db.session.execute(delete(PhoneChallenge).where(PhoneChallenge.user_id == user.id))
    db.session.flush()


def purge_detached_numbers(now: datetime | None = None) -> int:
    """Delete the hashes of deleted accounts' numbers older than the retention period, and
    codes older than a day (they only serve the rate limits). Returns the numbers purged."""
    now = now or utcnow()
    cutoff = now - timedelta(days=current_app.config["PHONE_RETENTION_DAYS"])
    result = db.session.execute(
        delete(PhoneNumber).where(PhoneNumber.user_id.is_(None), PhoneNumber.detached_at < cutoff)
    )
    db.session.execute(
        delete(PhoneChallenge).where(PhoneChallenge.created_at < now - timedelta(days=2))
    )
    db.session.flush()
    return int(result.rowcount or 0)


# --------------------------------------------------------------------------- holds


def hold_count(
    moderator: User, proposal: Proposal, reason: str, now: datetime | None = None
) -> EndorsementHold:
    """Hold the proposal's public endorsement count at its current value pending review."""
    now = now or utcnow()
    if not policy.can_hold_count(moderator, proposal):
        raise RuleError(_("You do not have permission to do that."), status=403)
    reason = accept_text(
        reason, field="reason", multiline=True, empty=_l("Say why the count is held.")
    )
    if len(reason) > 2000:
        raise RuleError(_("At most 2,000 characters."), field="reason")
    db.session.refresh(proposal, with_for_update=True)
    if policy.active_hold(proposal.id) is not None:
        raise RuleError(_("The count is already held."), status=409)
    hold = EndorsementHold(
        proposal_id=proposal.id,
        held_count=proposal.endorsement_count or 0,
        reason=reason,
        held_by_id=moderator.id,
        held_at=now,
    )
    db.session.add(hold)
    db.session.flush()
    audit.record(moderator, "endorsement.hold", "proposal", proposal.id, count=hold.held_count)
    return hold


def release_count(
    moderator: User, proposal: Proposal, outcome: str, now: datetime | None = None
) -> EndorsementHold:
    """End the hold and publish the outcome of the review; the live count shows again
    and, when it reached the threshold meanwhile, the proposal is established."""
    from participate.proposals.operations import establish_if_due

    now = now or utcnow()
    if not policy.can_hold_count(moderator, proposal):
        raise RuleError(_("You do not have permission to do that."), status=403)
    outcome = accept_text(
        outcome, field="outcome", multiline=True, empty=_l("Publish the outcome of the review.")
    )
    if len(outcome) > 4000:
        raise RuleError(_("At most 4,000 characters."), field="outcome")
    hold = policy.active_hold(proposal.id)
    if hold is None:
        raise RuleError(_("The count is not held."), status=409)
    hold.released_at = now
    hold.released_by_id = moderator.id
    hold.outcome = outcome
    db.session.flush()
    audit.record(
        moderator,
        "endorsement.release",
        "proposal",
        proposal.id,
        held=hold.held_count,
        count=proposal.endorsement_count,
    )
    establish_if_due(proposal.id, now)
    return hold
