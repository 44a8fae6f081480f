"""Build the open-data dumps: CSV files (UTF-8 with BOM for Excel, and plain UTF-8), vote
matrices and one Pol.is-format export per discussion, with a manifest and license notice.

Only public content: proposals in a public status, visible statements, published responses;
published draft regulations, their visible comments and published response tables.
People appear only as pseudonymous participant numbers, assigned per discussion (imported
Pol.is participants keep their Pol.is id, as the Pol.is exporter does); no names, emails or
account ids. The build writes into a fresh folder and swaps it in, so the downloads page
never shows a half-written set.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select

from participate.discussion import tallies
from participate.extensions import db
from participate.timeutil import aware, utcnow

LICENSE_NAME = "Open Government Data License, version 1.0 (Taiwan)"
LICENSE_URL = "https://data.gov.tw/license"
POLIS_LICENSE = "CC BY 4.0"
POLIS_LICENSE_URL = "https://creativecommons.org/licenses/by/4.0/"

LICENSE_TEXT = f"""participate open data

License: {LICENSE_NAME} ({LICENSE_URL}).
You may copy, adapt and redistribute this data, commercially or not, provided you credit the
source ("participate public policy participation platform") as the license requires.

Discussions imported from Pol.is conversations keep their original license, {POLIS_LICENSE}
({POLIS_LICENSE_URL}): credit the original Pol.is conversation as well (see ATTRIBUTION in
each such discussion's folder and in manifest.json).

Participants are identified only by pseudonymous numbers, assigned per discussion. Hidden
and deleted content is not included. Votes: agree = 1, disagree = -1, pass = 0 (as in Pol.is
exports); an empty cell in a vote matrix means the participant did not vote on that statement.
"""


def dumps_dir() -> Path:
    """Where the current set of dumps lives (``OPENDATA_DIR`` or instance/opendata)."""
    configured = current_app.config.get("OPENDATA_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "opendata"


@dataclass
class FileInfo:
    name: str
    description: str
    rows: int
    bytes: int = 0
    sha256: str = ""
    encoding: str = "utf-8"


def _iso(value: datetime | None) -> str:
    value = aware(value)
    return value.isoformat() if value else ""


def _write_csv(
    folder: Path,
    stem: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    description: str,
) -> list[FileInfo]:
    """Write ``stem.csv`` (plain UTF-8) and ``stem-excel.csv`` (UTF-8 with BOM, CRLF)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    n = 0
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
        n += 1
    text = buf.getvalue()
    out = []
    for name, encoding in ((f"{stem}.csv", "utf-8"), (f"{stem}-excel.csv", "utf-8-sig")):
        (folder / name).write_bytes(text.encode(encoding))
        out.append(FileInfo(name, description, n, encoding=encoding))
    return out


def _public_proposals() -> list[Any]:
    from sqlalchemy.orm import selectinload

    from participate.models import Proposal
    from participate.policy import public_clause

    return list(
        db.session.scalars(
            select(Proposal)
            .where(public_clause())
            .options(
                selectinload(Proposal.measures),
                selectinload(Proposal.responsible_agencies),
                selectinload(Proposal.proposed_agencies),
            )
            .order_by(Proposal.id)
        )
    )


def participant_numbers(discussion_id: int) -> dict[int, int]:
    """Pseudonymous numbers for a discussion's participants: imported Pol.is participants keep
    their Pol.is id, everyone else is numbered after them in order of first vote."""
    from participate.models import PolisParticipant, VoteHistory

    mapped = dict(
        db.session.execute(
            select(PolisParticipant.user_id, PolisParticipant.polis_pid).where(
                PolisParticipant.discussion_id == discussion_id
            )
        ).all()
    )
    nxt = max(mapped.values(), default=-1) + 1
    for (uid,) in db.session.execute(
        select(VoteHistory.participant_id)
        .where(VoteHistory.discussion_id == discussion_id)
        .order_by(VoteHistory.id)
    ):
        if uid not in mapped:
            mapped[uid] = nxt
            nxt += 1
    return mapped


def _is_imported(discussion_id: int) -> bool:
    from participate.models import PolisParticipant

    return (
        db.session.scalar(
            select(PolisParticipant.id).where(PolisParticipant.discussion_id == discussion_id)
        )
        is not None
    )


def build(target: Path | None = None) -> dict[str, Any]:
    """Build every dump into a new folder, swap it in and return the manifest.

    Reads only: it writes files, never rows, so it neither commits nor rolls back; the job
    or command around it ends the (read) transaction."""
    from participate.discussion.polis import export_polis
    from participate.models import (
        AgencyResponse,
        ContentStatus,
        Discussion,
        Statement,
        Vote,
    )
    from participate.proposals.lifecycle import effective_status

    target = target or dumps_dir()
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".opendata-", dir=target.parent))
    now = utcnow()
    files: list[FileInfo] = []
    proposals = _public_proposals()
    by_id = {p.id: p for p in proposals}

    files += _write_csv(
        work,
        "proposals",
        [
            "id",
            "kind",
            "status",
            "title",
            "summary",
            "problem",
            "benefits",
            "draft_text",
            "measures",
            "agency_ids",
            "endorsement_count",
            "created_at",
            "opened_at",
            "deadline",
            "established_at",
            "response_due_at",
            "responded_at",
            "url",
        ],
        (
            [
                p.id,
                p.kind.value,
                effective_status(p, now).value,
                p.title,
                p.summary,
                p.problem,
                p.benefits,
                p.draft_text,
                "\n".join(f"{m.position}. {m.text}" for m in p.measures),
                " ".join(
                    str(a)
                    for a in sorted(
                        {a.id for a in p.responsible_agencies}
                        | {a.id for a in p.proposed_agencies}
                        | ({p.owner_agency_id} if p.owner_agency_id else set())
                    )
                ),
                p.public_endorsement_count,
                _iso(p.created_at),
                _iso(p.opened_at),
                _iso(p.deadline),
                _iso(p.established_at),
                _iso(p.response_due_at),
                _iso(p.responded_at),
                f"/proposals/{p.id}",
            ]
            for p in proposals
        ),
        "Public proposals and consultations",
    )

    responses = [
        r
        for r in db.session.scalars(
            select(AgencyResponse)
            .where(AgencyResponse.published_at.is_not(None))
            .order_by(AgencyResponse.proposal_id)
        )
        if r.proposal_id in by_id
    ]

    def response_rows() -> Iterable[list[Any]]:
        for r in responses:
            points = sorted(r.points, key=lambda x: x.measure.position if x.measure else 0)
            base = [r.proposal_id, r.id, r.agency_id, _iso(r.published_at), r.overall]
            if not points:
                yield [*base, "", "", "", "", "", ""]
            for pt in points:
                yield [
                    *base,
                    pt.measure.position if pt.measure else "",
                    pt.measure.text if pt.measure else "",
                    pt.decision.value if pt.decision else "",
                    pt.reasoning,
                    pt.responsible_unit,
                    pt.follow_up_on.isoformat() if pt.follow_up_on else "",
                ]

    files += _write_csv(
        work,
        "responses",
        [
            "proposal_id",
            "response_id",
            "agency_id",
            "published_at",
            "overall",
            "measure_position",
            "measure",
            "decision",
            "reasoning",
            "responsible_unit",
            "follow_up_on",
        ],
        response_rows(),
        "Official responses, one row per point",
    )

    discussions = [
        d
        for d in db.session.scalars(select(Discussion).order_by(Discussion.id))
        if d.proposal_id in by_id
    ]
    statement_rows: list[list[Any]] = []
    imported: list[dict[str, Any]] = []
    (work / "votes").mkdir()
    (work / "polis").mkdir()
    for d in discussions:
        numbers = participant_numbers(d.id)
        visible = list(
            db.session.scalars(
                select(Statement)
                .where(Statement.discussion_id == d.id, Statement.status == ContentStatus.VISIBLE)
                .order_by(Statement.id)
            )
        )
        if not visible:
            continue
        tallies.show_live(visible)  # the counts match the votes file (PostgreSQL's tallies)
        nxt = max(numbers.values(), default=-1) + 1
        for st in visible:
            author = None
            if st.author_id is not None:
                if st.author_id not in numbers:
                    numbers[st.author_id] = nxt
                    nxt += 1
                author = numbers[st.author_id]
            statement_rows.append(
                [
                    st.id,
                    d.proposal_id,
                    st.text,
                    "true" if st.is_seed else "false",
                    author,
                    _iso(st.created_at),
                    st.agree_count,
                    st.disagree_count,
                    st.pass_count,
                ]
            )
        ids = [st.id for st in visible]
        matrix: dict[int, dict[int, int]] = {}
        for uid, sid, value in db.session.execute(
            select(Vote.participant_id, Vote.statement_id, Vote.value).where(
                Vote.discussion_id == d.id, Vote.statement_id.in_(ids)
            )
        ):
            if uid not in numbers:
                numbers[uid] = nxt
                nxt += 1
            matrix.setdefault(numbers[uid], {})[sid] = value
        files += _write_csv(
            work / "votes",
            f"vote-matrix-proposal-{d.proposal_id}",
            ["participant", *[str(i) for i in ids]],
            ([pid, *[row.get(i, "") for i in ids]] for pid, row in sorted(matrix.items())),
            f"Vote matrix of the discussion on proposal {d.proposal_id}",
        )
        for f in files[-2:]:
            f.name = f"votes/{f.name}"
        polis_folder = work / "polis" / f"proposal-{d.proposal_id}"
        export_polis(d, polis_folder, include_hidden=False)
        is_imported = _is_imported(d.id)
        notice = LICENSE_TEXT
        if is_imported:
            notice += (
                f"\nATTRIBUTION: this discussion was imported from a Pol.is conversation and is "
                f"licensed {POLIS_LICENSE} ({POLIS_LICENSE_URL}); credit the original "
                "conversation and its participants.\n"
            )
            (polis_folder / "ATTRIBUTION.txt").write_text(notice, encoding="utf-8")
            imported.append({"proposal_id": d.proposal_id, "license": POLIS_LICENSE})
        (polis_folder / "LICENSE.txt").write_text(notice, encoding="utf-8")
        zip_name = f"polis/proposal-{d.proposal_id}.zip"
        with zipfile.ZipFile(work / zip_name, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(polis_folder.iterdir()):
                zf.write(path, arcname=f"proposal-{d.proposal_id}/{path.name}")
        shutil.rmtree(polis_folder)
        files.append(
            FileInfo(
                zip_name,
                f"Pol.is export format of the discussion on proposal {d.proposal_id}"
                + (f" ({POLIS_LICENSE})" if is_imported else ""),
                len(visible),
                encoding="zip",
            )
        )

    files += _write_csv(
        work,
        "statements",
        [
            "id",
            "proposal_id",
            "text",
            "is_seed",
            "author_participant",
            "created_at",
            "agree",
            "disagree",
            "pass",
        ],
        statement_rows,
        "Visible discussion statements with vote counts",
    )
    from participate.projects.exports import opendata_tables as project_tables
    from participate.regulations.exports import open_data_tables as regulation_tables

    for stem, header, rows, description in [*project_tables(now), *regulation_tables(now)]:
        files += _write_csv(work, stem, header, rows, description)
    from participate.opendata.surveys import tables as survey_tables

    for stem, header, rows, description in survey_tables():
        files += _write_csv(work, stem, header, rows, description)
    (work / "LICENSE.txt").write_text(LICENSE_TEXT, encoding="utf-8")
    for f in files:
        data = (work / f.name).read_bytes()
        f.bytes = len(data)
        f.sha256 = hashlib.sha256(data).hexdigest()
    manifest = {
        "generated_at": now.isoformat(),
        "license": {"name": LICENSE_NAME, "url": LICENSE_URL},
        "imported_from_polis": imported,
        "files": [f.__dict__ for f in files],
    }
    (work / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    old = target.with_name(target.name + ".old")
    if old.exists():
        shutil.rmtree(old)
    if target.exists():
        target.rename(old)
    work.rename(target)
    if old.exists():
        shutil.rmtree(old)
    return manifest


def load_manifest(folder: Path | None = None) -> dict[str, Any] | None:
    path = (folder or dumps_dir()) / "manifest.json"
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))
