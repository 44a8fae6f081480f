"""The report's data exports: JSON with the numbers, CSV with a row per statement.

Neither holds a participant identifier: groups have sizes and the map anonymous points, so
an export can be published. The views add the download headers.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from participate.models import Analysis, Proposal
from participate.reports import present
from participate.timeutil import aware


def _iso(value: Any) -> str | None:
    value = aware(value)
    return value.isoformat() if value else None


def json_document(
    proposal: Proposal, discussion_id: int, analysis: Analysis, report: present.Report
) -> dict[str, Any]:
    """The report's numbers without any participant identifier (groups have sizes, the
    map has anonymous points)."""
    result = report.result
    member_group = {
        str(m): int(g["id"]) for g in result.get("groups") or [] for m in g.get("members") or []
    }
    points = sorted(
        [round(xy[0], 3), round(xy[1], 3), member_group.get(str(pid))]
        for pid, xy in (result.get("projection") or {}).items()
    )
    return {
        "proposal": {"id": proposal.id, "title": proposal.title},
        "discussion_id": discussion_id,
        "analysis": {
            "version": analysis.version,
            "computed_at": _iso(analysis.finished_at),
            "last_vote_at": _iso(analysis.last_vote_at),
            "vote_events": analysis.vote_events,
            "votes": analysis.vote_count,
            "parameters": (analysis.parameters or {}).get("nlp", {}),
        },
        "participants": report.participants,
        "voters": report.voters,
        "clustered": report.clustered,
        "statements": [
            {
                "id": s.id,
                "text": s.text,
                "counts": {"agree": s.all.agree, "disagree": s.all.disagree, "pass": s.all.passes},
                "groups": {
                    str(g + 1): {"agree": t.agree, "disagree": t.disagree, "pass": t.passes}
                    for g, t in sorted(s.groups.items())
                },
            }
            for s in sorted(report.statements.values(), key=lambda s: s.id)
        ],
        "groups": [
            {
                "number": g.number,
                "size": g.size,
                "keywords": g.keywords,
                "representative": [
                    {
                        "statement": r.statement.id,
                        "direction": r.direction,
                        "group_share": round(r.group_share, 4),
                        "others_share": round(r.rest_share, 4),
                        "significant": r.significant,
                    }
                    for r in g.representative
                ],
            }
            for g in report.groups
        ],
        "consensus": {
            "agree": [s.id for s in report.consensus_agree],
            "disagree": [s.id for s in report.consensus_disagree],
        },
        "divisive": [s.id for s, _score in report.divisive],
        "uncertain": [s.id for s, _share in report.uncertain],
        "topics": [
            {"keywords": t.keywords, "statements": [s.id for s in t.statements]}
            for t in report.topics
        ],
        "summary": [
            {"text": s.text, "statements": [x.id for x in s.statements]} for s in report.summary
        ],
        "map_points": points,
    }


def csv_rows(report: present.Report) -> list[list[Any]]:
    """Statements with overall and per-group vote counts (what the CSV export holds)."""
    gids = [g.id for g in report.groups]
    header = ["statement_id", "text", "agree", "disagree", "pass", "seen"]
    for g in gids:
        n = g + 1
        header += [f"group_{n}_agree", f"group_{n}_disagree", f"group_{n}_pass", f"group_{n}_seen"]
    header += ["consensus", "divisive", "uncertain"]
    cons = {s.id: "agree" for s in report.consensus_agree}
    cons.update({s.id: "disagree" for s in report.consensus_disagree})
    divisive = {s.id for s, _x in report.divisive}
    uncertain = {s.id for s, _x in report.uncertain}
    rows: list[list[Any]] = [header]
    for s in sorted(report.statements.values(), key=lambda s: s.id):
        row: list[Any] = [s.id, s.text, s.all.agree, s.all.disagree, s.all.passes, s.all.seen]
        for g in gids:
            t = s.groups.get(g, present.Tally(0, 0, 0))
            row += [t.agree, t.disagree, t.passes, t.seen]
        row += [cons.get(s.id, ""), int(s.id in divisive), int(s.id in uncertain)]
        rows.append(row)
    return rows


def csv_text(report: present.Report) -> str:
    """The CSV file: a BOM (Excel then reads the Chinese as UTF-8), CRLF line ends, and
    user text that a spreadsheet would take for a formula neutralised."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    for row in csv_rows(report):
        # Cells starting with = + - @ are formulas to a spreadsheet: neutralise user text.
        writer.writerow(
            ["'" + c if isinstance(c, str) and c[:1] in ("=", "+", "-", "@") else c for c in row]
        )
    return "\ufeff" + buf.getvalue()
