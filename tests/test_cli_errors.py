"""Commands given bad input (issue 13): ``flask import-polis`` on malformed Pol.is exports and
every other command on bad arguments answers with one line naming the file, the row and the
column (or the argument), exits non-zero and writes nothing. Runs on SQLite and PostgreSQL.

The exports are small files written here into ``tmp_path`` (the real ones in ../shared are
only read, by the tests that import them, and skipped when absent).
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import Result
from flask import Flask
from sqlalchemy import func, select

from participate.extensions import db
from participate.models import (
    AuditLog,
    Discussion,
    PolisParticipant,
    Proposal,
    ProposalKind,
    ProposalStatus,
    Statement,
    User,
    Vote,
    VoteHistory,
)
from tests.conftest import polis_dir

ENGLISH = {"LC_ALL": None, "LC_MESSAGES": None, "LANG": "en_US.UTF-8"}
CHINESE = {"LC_ALL": None, "LC_MESSAGES": None, "LANG": "zh_TW.UTF-8"}

COMMENTS_HEADER = "timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body"
# Row 3 spans lines 3 and 4, so row 4 starts on line 5: the messages give both.
COMMENTS = [
    COMMENTS_HEADER,
    "1435654100000,x,0,0,1,0,1,計程車與 UberX 應該遵守相同規範",
    '1435654200000,x,1,1,0,1,0,"我覺得應該開放,\n但要保險"',
    "1435654300000,x,2,2,0,0,-1,廣告內容",
]
VOTES = [
    "timestamp,datetime,comment-id,voter-id,vote",
    "1435654400001,x,0,0,1",
    "1435654400002,x,0,3,1",
    "1435654400003,x,1,3,-1",
]
PARTICIPANTS = [
    "participant,group-id,n-comments,n-votes,n-agree,n-disagree,0,1,2",
    "0,,1,1,1,0,1,,",
    "1,,1,0,0,0,,,",
    "2,,1,0,0,0,,,",
    "3,,0,2,1,1,1,-1,",
]


def _lines(lines: list[str]) -> str:
    return "\n".join(lines) + "\n"


def _replace(lines: list[str], index: int, line: str) -> list[str]:
    return [*lines[:index], line, *lines[index + 1 :]]


@dataclass
class Export:
    """The files of one small export, as text (or bytes, to write them exactly)."""

    comments: str | bytes | None = None
    votes: str | bytes | None = None
    participants: str | bytes | None = None

    def write(self, folder: Path) -> Path:
        folder.mkdir(exist_ok=True)
        for name, content in (
            ("comments.csv", self.comments),
            ("votes.csv", self.votes),
            ("participants-votes.csv", self.participants),
        ):
            if content is None:
                continue
            data = content if isinstance(content, bytes) else content.encode("utf-8")
            (folder / name).write_bytes(data)
        return folder


def good(**files: str | bytes | None) -> Export:
    base = {"comments": _lines(COMMENTS), "votes": _lines(VOTES)}
    base.update(files)
    return Export(**base)


def _proposal(app: Flask) -> int:
    with app.app_context():
        p = Proposal(title="UberX", kind=ProposalKind.CONSULTATION, status=ProposalStatus.OPEN)
        db.session.add(p)
        db.session.commit()
        return p.id


def _counts(app: Flask) -> dict[str, int]:
    with app.app_context():
        return {
            model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (
                User,
                Discussion,
                Statement,
                Vote,
                VoteHistory,
                PolisParticipant,
                AuditLog,
            )
        }


def _invoke(app: Flask, args: list[str], env: dict[str, str | None] | None = None) -> Result:
    return app.test_cli_runner().invoke(args=args, env=env or ENGLISH)


def _one_line_error(result: Result) -> str:
    """The command failed with click's one error line (no traceback) and exit status 1
    (an error) or 2 (a usage error); returns that line."""
    assert result.exit_code in (1, 2), (result.exit_code, result.output, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.output
    return errors[0]


# --------------------------------------------------------------------------- malformed exports

BIG5_TEXT = "計程車與UberX應該遵守相同規範"

CASES: dict[str, tuple[Export, list[str], list[str]]] = {
    # name: (export, extra arguments, fragments the one error line must contain)
    "truncated inside a quoted comment": (
        good(comments=_lines(COMMENTS[:2]) + '1435654200000,x,1,1,0,1,0,"我覺得應該開放,\n但'),
        [],
        ["comments.csv, row 3: a quoted field is still open at the end of the file"],
    ),
    "truncated mid-row": (
        good(comments=_lines(COMMENTS[:3]) + "1435654300000,x,2,2"),
        [],
        ["comments.csv, row 4 (line 5): 4 fields where the header has 8 (was the file cut"],
    ),
    "row with an extra field": (
        good(votes=_lines([*VOTES, "1435654400004,x,2,0,1,9"])),
        [],
        ["votes.csv, row 5: 6 fields where the header has 5"],
    ),
    "comments.csv missing": (
        Export(votes=_lines(VOTES)),
        [],
        ["comments.csv: the file is missing"],
    ),
    "votes.csv missing": (
        Export(comments=_lines(COMMENTS)),
        [],
        ["votes.csv: the file is missing"],
    ),
    "column renamed": (
        good(
            comments=_lines(
                [COMMENTS_HEADER.replace("comment-body", "comment_body"), *COMMENTS[1:]]
            )
        ),
        [],
        [
            "comments.csv, column comment-body: no such column (the header has: 'timestamp'",
            "did you mean comment_body?",
        ],
    ),
    "column missing": (
        good(votes=_lines([v.rsplit(",", 1)[0] for v in VOTES])),
        [],
        ["votes.csv, column vote: no such column (the header has: 'timestamp', 'datetime'"],
    ),
    "column named twice": (
        good(
            votes=_lines(
                ["timestamp,datetime,comment-id,voter-id,vote,vote", *(v + ",1" for v in VOTES[1:])]
            )
        ),
        [],
        ["votes.csv, column vote: the header names this column twice"],
    ),
    "vote not a number": (
        good(votes=_lines(_replace(VOTES, 2, "1435654400002,x,0,3,agree"))),
        [],
        ["votes.csv, row 3, column vote: 'agree' is not a vote (1 agree, -1 disagree, 0 pass)"],
    ),
    "vote out of range": (
        good(votes=_lines(_replace(VOTES, 3, "1435654400003,x,1,3,2"))),
        [],
        ["votes.csv, row 4, column vote: '2' is not a vote (1 agree, -1 disagree, 0 pass)"],
    ),
    "vote empty": (
        good(votes=_lines(_replace(VOTES, 1, "1435654400001,x,0,0,"))),
        [],
        ["votes.csv, row 2, column vote: the cell is empty; a value is needed"],
    ),
    "comment id not a number": (
        good(comments=_lines(_replace(COMMENTS, 1, "1435654100000,x,zero,0,1,0,1,text"))),
        [],
        ["comments.csv, row 2, column comment-id: 'zero' is not a whole number"],
    ),
    "comment id past the 64-bit range": (
        good(
            comments=_lines(_replace(COMMENTS, 1, "1435654100000,x,99999999999999999999,0,1,0,1,t"))
        ),
        [],
        [
            "comments.csv, row 2, column comment-id: '99999999999999999999' is out of range "
            "(0 to 2147483647)"
        ],
    ),
    "negative voter id": (
        good(votes=_lines(_replace(VOTES, 1, "1435654400001,x,0,-5,1"))),
        [],
        ["votes.csv, row 2, column voter-id: '-5' is out of range (0 to 2147483647)"],
    ),
    "timestamp past year 9999": (
        good(votes=_lines(_replace(VOTES, 1, "99999999999999999,x,0,0,1"))),
        [],
        ["votes.csv, row 2, column timestamp: '99999999999999999' is out of range"],
    ),
    "moderation status out of range": (
        good(comments=_lines(_replace(COMMENTS, 1, "1435654100000,x,0,0,1,0,2,text"))),
        [],
        ["comments.csv, row 2, column moderated: '2' is not a moderation status (1, 0 or -1)"],
    ),
    "vote for an unknown comment": (
        good(votes=_lines(_replace(VOTES, 2, "1435654400002,x,7,3,1"))),
        [],
        ["votes.csv, row 3, column comment-id: comment 7 is not in comments.csv"],
    ),
    "vote by an unknown participant": (
        good(participants=_lines(PARTICIPANTS[:4])),
        [],
        ["votes.csv, row 3, column voter-id: participant 3 is not in participants-votes.csv"],
    ),
    "comment by an unknown participant": (
        good(
            comments=_lines(_replace(COMMENTS, 1, "1435654100000,x,0,9,1,0,1,text")),
            participants=_lines(PARTICIPANTS),
        ),
        [],
        ["comments.csv, row 2, column author-id: participant 9 is not in participants-votes.csv"],
    ),
    "duplicate comment id": (
        good(comments=_lines(_replace(COMMENTS, 3, "1435654300000,x,0,2,0,0,-1,again"))),
        [],
        ["comments.csv, row 4 (line 5), column comment-id: 0 appears twice (first in row 2)"],
    ),
    "duplicate participant": (
        good(participants=_lines([*PARTICIPANTS, "3,,0,0,0,0,,,"])),
        [],
        ["participants-votes.csv, row 6, column participant: 3 appears twice (first in row 5)"],
    ),
    "empty comments.csv": (
        good(comments=b""),
        [],
        ["comments.csv: the file is empty (no header row)"],
    ),
    "empty votes.csv": (
        good(votes=b""),
        [],
        ["votes.csv: the file is empty (no header row)"],
    ),
    "comments.csv with a header only": (
        good(comments=_lines(COMMENTS[:1])),
        [],
        ["comments.csv: the file has a header but no rows"],
    ),
    "Big5 read as UTF-8": (
        good(
            comments=_lines([COMMENTS_HEADER, f"1435654100000,x,0,0,1,0,1,{BIG5_TEXT}"]).encode(
                "big5"
            )
        ),
        [],
        ["comments.csv: not valid utf-8 at line 2 (byte ", "); try --encoding cp950"],
    ),
    "CP950 read as Big5": (
        # 碁 and € are in Microsoft's CP950, not in Big5 as Python's codec has it.
        good(
            comments=_lines([COMMENTS_HEADER, "1435654100000,x,0,0,1,0,1,圍棋 碁 €5"]).encode(
                "cp950"
            )
        ),
        ["--encoding", "big5"],
        ["comments.csv: not valid big5 at line 2 (byte ", "); try --encoding cp950"],
    ),
    "Latin-1 read as UTF-8": (
        good(
            comments=_lines([COMMENTS_HEADER, "1435654100000,x,0,0,1,0,1,café"]).encode("latin-1")
        ),
        [],
        [
            "comments.csv: not valid utf-8 at line 2 (byte ",
            "give the file's encoding with --encoding",
        ],
    ),
    "UTF-8 read as Big5": (
        good(),
        ["--encoding", "big5"],
        ["comments.csv: not valid big5 at line 2 (byte ", "); try --encoding utf-8"],
    ),
    "UTF-16 without a byte-order mark": (
        good(comments=_lines(COMMENTS).encode("utf-16-le")),
        [],
        ["comments.csv: not valid utf-8 at line 2 (byte ", "); try --encoding utf-16-le"],
    ),
    "UTF-16 (big-endian) without a byte-order mark": (
        good(comments=_lines(COMMENTS).encode("utf-16-be")),
        [],
        ["comments.csv: not valid utf-8 at line 2 (byte ", "); try --encoding utf-16-be"],
    ),
    "ASCII UTF-16 without a byte-order mark": (
        good(votes=_lines(VOTES).encode("utf-16-le")),
        [],
        ["votes.csv: the header contains NUL characters; the file is probably UTF-16"],
    ),
    "NUL byte in a comment": (
        good(comments=_lines(_replace(COMMENTS, 1, "1435654100000,x,0,0,1,0,1,計程車\x00規範"))),
        [],
        [
            "comments.csv, row 2, column comment-body: control character U+0000 at "
            "character 4; remove it from the comment"
        ],
    ),
    "escape character in a comment": (
        good(comments=_lines(_replace(COMMENTS, 3, "1435654300000,x,2,2,0,0,-1,\x1b[31m紅字"))),
        [],
        [
            "comments.csv, row 4 (line 5), column comment-body: control character U+001B at "
            "character 1"
        ],
    ),
    "empty comment": (
        good(comments=_lines(_replace(COMMENTS, 1, "1435654100000,x,0,0,1,0,1,"))),
        [],
        ["comments.csv, row 2, column comment-body: the comment is empty or shows nothing"],
    ),
    "comment of zero-width characters": (
        good(
            comments=_lines(_replace(COMMENTS, 1, "1435654100000,x,0,0,1,0,1,\u200b\u200d \u3000"))
        ),
        [],
        ["comments.csv, row 2, column comment-body: the comment is empty or shows nothing"],
    ),
    "bad quoting": (
        good(comments=_lines(_replace(COMMENTS, 1, '1435654100000,x,0,0,1,0,1,"a"b'))),
        [],
        ["comments.csv, row 2: this is not valid CSV: ',' expected after '\"'"],
    ),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_malformed_export_is_one_line_and_writes_nothing(app, tmp_path, case: str):
    export, extra, fragments = CASES[case]
    folder = export.write(tmp_path / "export")
    pid = _proposal(app)
    before = _counts(app)
    result = _invoke(app, ["import-polis", str(folder), "--proposal", str(pid), *extra])
    line = _one_line_error(result)
    assert result.exit_code == 1
    assert line.startswith(f"Error: {folder}/"), line
    for fragment in fragments:
        assert fragment in line, line
    assert _counts(app) == before  # nothing written: no accounts, discussion, votes or audit


def test_messages_follow_the_operators_language(app, tmp_path):
    export, _extra, _fragments = CASES["duplicate comment id"]
    folder = export.write(tmp_path / "export")
    pid = _proposal(app)
    result = _invoke(app, ["import-polis", str(folder), "--proposal", str(pid)], env=CHINESE)
    line = _one_line_error(result)
    assert (
        "comments.csv，第 4 列（第 5 行），欄位 comment-id：0 重複出現（第一次在第 2 列）" in line
    )


def test_the_first_problem_is_reported_before_anything_is_read_further(app, tmp_path):
    """A bad comments.csv is reported even when votes.csv is broken too (files in order)."""
    folder = good(comments=b"", votes=b"\xff\xfe").write(tmp_path / "export")
    result = _invoke(app, ["import-polis", str(folder), "--proposal", str(_proposal(app))])
    assert "comments.csv: the file is empty" in _one_line_error(result)


# --------------------------------------------------------------------------- encodings that work


def _imported(app: Flask, pid: int) -> dict[int, str]:
    with app.app_context():
        rows = db.session.execute(
            select(Statement.polis_id, Statement.text)
            .join(Discussion, Discussion.id == Statement.discussion_id)
            .where(Discussion.proposal_id == pid)
        ).all()
        return {int(cid): text for cid, text in rows}


EXPECTED = {0: "計程車與 UberX 應該遵守相同規範", 1: "我覺得應該開放,\n但要保險", 2: "廣告內容"}


@pytest.mark.parametrize(
    ("encode", "extra"),
    [
        (lambda text: codecs.BOM_UTF8 + text.encode("utf-8"), []),
        (lambda text: text.encode("utf-16"), []),  # with its byte-order mark
        (lambda text: text.encode("big5"), ["--encoding", "big5"]),
        (lambda text: text.encode("cp950"), ["--encoding", "cp950"]),
        (lambda text: codecs.BOM_UTF8 + text.encode("utf-8"), ["--encoding", "big5"]),  # BOM wins
        (lambda text: text.replace("\n", "\r\n").encode("utf-8"), []),  # Windows line ends
    ],
    ids=["utf-8 BOM", "utf-16 BOM", "big5", "cp950", "BOM over --encoding", "CRLF"],
)
def test_encodings_and_byte_order_marks(
    app, tmp_path, encode: Callable[[str], bytes], extra: list[str]
):
    folder = Export(comments=encode(_lines(COMMENTS)), votes=encode(_lines(VOTES))).write(
        tmp_path / "export"
    )
    pid = _proposal(app)
    result = _invoke(app, ["import-polis", str(folder), "--proposal", str(pid), *extra])
    assert result.exit_code == 0, result.output
    assert "3 statements (1 hidden), 4 participants, 3 vote events" in result.output
    assert _imported(app, pid) == EXPECTED  # CRLF inside the comment stored as \n


def test_participants_votes_that_list_everyone_are_accepted(app, tmp_path):
    folder = good(participants=_lines(PARTICIPANTS)).write(tmp_path / "export")
    pid = _proposal(app)
    result = _invoke(app, ["import-polis", str(folder), "--proposal", str(pid)])
    assert result.exit_code == 0, result.output
    assert _imported(app, pid) == EXPECTED


def test_real_export_still_imports(app, tmp_path):
    """The English conversation from ../shared (read in place, never copied here)."""
    folder = polis_dir("ssis.land-bank-farmland.2rumnecbeh.2021-08-01")
    pid = _proposal(app)
    result = _invoke(app, ["import-polis", str(folder), "--proposal", str(pid)])
    assert result.exit_code == 0, result.output
    assert "297 statements (105 hidden), 404 participants, 33530 vote events" in result.output


# --------------------------------------------------------------------------- other commands

HUGE = ["0", "-1", str(2**31), str(2**63), str(10**20), "x"]


ID_COMMANDS = [
    ["import-polis", "{folder}", "--proposal", "{id}"],
    ["export-polis", "{id}", "{folder}"],
    ["analyse", "--proposal", "{id}"],
]


def test_ids_out_of_range_are_click_errors(app, tmp_path):
    """Every command that takes an id, with each value (one test: no database writes, and
    on PostgreSQL each test's cleanup costs a second)."""
    folder = good().write(tmp_path / "export")
    for args in ID_COMMANDS:
        for value in HUGE:
            argv = [a.format(folder=folder, id=value) for a in args]
            line = _one_line_error(_invoke(app, argv))
            assert (
                "Invalid value for" in line and ("range" in line or "integer" in line)
            ) or line == f"Error: No such option '{value}'.", (argv, line)


@dataclass
class Bad:
    args: list[str]
    fragment: str


def _bad_commands(tmp_path: Path, pid: int) -> dict[str, Bad]:
    folder = good().write(tmp_path / "export")
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    return {
        "unknown proposal": Bad(
            ["import-polis", str(folder), "--proposal", "999"], "no proposal with id 999"
        ),
        "folder missing": Bad(
            ["import-polis", str(tmp_path / "nope"), "--proposal", str(pid)], "does not exist"
        ),
        "folder is a file": Bad(["import-polis", str(a_file), "--proposal", str(pid)], "is a file"),
        "unknown encoding": Bad(
            ["import-polis", str(folder), "--proposal", str(pid), "--encoding", "klingon"],
            "unknown encoding: klingon",
        ),
        "not a text encoding": Bad(
            ["import-polis", str(folder), "--proposal", str(pid), "--encoding", "base64"],
            "unknown encoding: base64",
        ),
        "export into a file's path": Bad(
            ["export-polis", str(pid), str(a_file / "out")], "file.txt/out"
        ),
        "export of an unknown proposal": Bad(
            ["export-polis", "999", str(tmp_path / "out")], "no proposal with id 999"
        ),
        "analyse without a discussion": Bad(
            ["analyse", "--proposal", str(pid)], f"proposal {pid} has no discussion"
        ),
        "analyse with both": Bad(["analyse", "--all", "--proposal", "1"], "give either"),
        "admin email invalid": Bad(
            ["create-admin", "not-an-email", "--password", "a-long-passphrase"],
            "not-an-email is not a valid email address",
        ),
        "admin password short": Bad(
            ["create-admin", "a@example.tw", "--password", "short"], "Use at least 10 characters."
        ),
        "admin password common": Bad(
            ["create-admin", "a@example.tw", "--password", "password123"],
            "This password is too common.",
        ),
        "admin name invisible": Bad(
            [
                "create-admin",
                "a@example.tw",
                "--name",
                "\u202e\u200b ",
                "--password",
                "a-long-pass",
            ],
            # The rule of every display name (participate.text.accept_text, name=True).
            "A name cannot contain invisible characters",
        ),
        "admin name too long": Bad(
            ["create-admin", "a@example.tw", "--name", "名" * 41, "--password", "a-long-pass"],
            "Use at most 40 characters",
        ),
        "admin name with markup": Bad(
            ["create-admin", "a@example.tw", "--name", "<b>admin</b>", "--password", "a-long-pass"],
            "Use at most 40 characters",
        ),
        "unknown option": Bad(["opendata-build", "--bogus"], "No such option"),
        "extra argument": Bad(["proposals", "sweep", "extra"], "unexpected extra argument"),
        "reindex extra argument": Bad(["reindex", "now"], "unexpected extra argument"),
    }


def test_bad_arguments_are_one_line_and_write_nothing(app, tmp_path):
    pid = _proposal(app)
    before = _counts(app)
    for name, bad in _bad_commands(tmp_path, pid).items():
        line = _one_line_error(_invoke(app, bad.args))
        assert bad.fragment in line, (name, line)
    assert _counts(app) == before


def test_create_admin_still_works(app):
    result = _invoke(
        app,
        ["create-admin", "Lin.Mei@Example.tw", "--name", " 林 美 ", "--password", "a-long-pass"],
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User))
        assert (user.email, user.display_name, user.role.value) == (
            "lin.mei@example.tw",
            "林 美",
            "admin",
        )


def _other_app(url: str) -> Flask:
    from participate import create_app

    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
            "SQLALCHEMY_DATABASE_URI": url,
            "RATELIMIT_STORAGE_URI": "memory://",
            "MAIL_SERVER": None,
        }
    )


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("sqlite:///{tmp}/empty.db", "no such table"),
        ("postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=2", "127.0.0.1"),
    ],
    ids=["not migrated", "unreachable"],
)
@pytest.mark.parametrize(
    "args",
    [["reindex"], ["analyse", "--all"], ["export-polis", "1", "{tmp}/out"], ["proposals", "sweep"]],
    ids=["reindex", "analyse", "export-polis", "sweep"],
)
def test_a_database_that_fails_is_one_line(tmp_path, url: str, fragment: str, args: list[str]):
    other = _other_app(url.format(tmp=tmp_path))
    try:
        result = other.test_cli_runner().invoke(
            args=[a.format(tmp=tmp_path) for a in args], env=ENGLISH
        )
        line = _one_line_error(result)
        assert line.startswith("Error: The database failed: ") and fragment in line, line
        assert "flask db upgrade" in line
    finally:
        with other.app_context():
            db.engine.dispose()
