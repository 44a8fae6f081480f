"""A crawler for the demo site, through the Flask test client: it follows every same-site
link (GET only) and reports what a person should never read on a page: a server error,
markup shown as text, and on Traditional Chinese pages an English sentence, an internal
code such as ``report.create`` or ASCII punctuation right after a Chinese character.

Text inside ``<code>``, ``<pre>``, ``<script>``, ``<style>``, ``<title>`` and any element
marked ``data-user-content`` (what people wrote) is not the interface's, and not checked;
attribute values are never checked.

Used by ``tests/test_crawl.py``; ``python -m tests.crawl`` crawls a seeded database
(``PARTICIPATE_DATABASE_URL``) and prints every finding, for fixing them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from flask.testing import FlaskClient

VOID = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
    "source", "track", "wbr",
}  # fmt: skip
SKIPPED = {"code", "pre", "script", "style", "title", "textarea", "template"}

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
ASCII_PUNCT_AFTER_CJK = re.compile(rf"[{CJK}](?:[:;,!?]|\.(?=\s|$))")
ENGLISH_RUN = re.compile(r"[A-Za-z][A-Za-z'’-]*(?:[ \t\n]+[A-Za-z][A-Za-z'’-]*){2,}")
INTERNAL_CODE = re.compile(r"\b[a-z]+\.[a-z_]+\b")
ESCAPED_MARKUP = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*[\s>/]|&lt;|&gt;|&amp;[a-z]+;")
URL_OR_MAIL = re.compile(
    r"https?://\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
    r"|\b[\w-]+(?:\.[\w-]+)*\.(?:tw|com|org|gov|io|json|csv|txt|zip|yaml|md|html)\b"
)
# Proper names and technical words a Chinese page may show in Latin letters.
ALLOWED_ENGLISH = [
    r"Pol\.is", r"Open Government Data License(?:[ ,]+version [\d.]+)?", r"Creative Commons",
    r"Markdown", r"OpenAPI", r"Bearer", r"JSON", r"CSV", r"API", r"HTTP", r"URL",
]  # fmt: skip
ALLOWED_RE = re.compile("|".join(ALLOWED_ENGLISH))

SKIP_PATH = re.compile(
    r"^/(static|auth/logout|lang|set-language|language)\b|/export"
    r"|\.(csv|zip|json|yaml|svg|png|ics|xml)$"
)


# The home page, and pages only reached through a form or a mail.
START_PAGES = (
    "/",
    "/api/v1/docs",
    "/account/tokens/",
    "/moderation/notices",
    "/search?q=台北+月票",
)


@dataclass
class Finding:
    role: str
    url: str
    kind: str
    text: str

    def __str__(self) -> str:
        return f"[{self.role}] {self.url}: {self.kind}: {self.text!r}"


class _Page(HTMLParser):
    """Visible text nodes (with whether the checks apply to them) and the links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool, bool]] = []  # (tag, skipped, in another language)
        self.links: list[str] = []
        self.texts: list[tuple[str, bool]] = []  # interface text, and whether lang="en" etc.
        # The interface's text as one run, user content cut out: punctuation after a
        # Chinese word in the next element (``<a>報告</a>: ``) is caught too.
        self.stream: list[str] = []
        self.lang = ""

    def _skipping(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang") or ""
        if tag == "a" and a.get("href"):
            self.links.append(a["href"] or "")
        if tag in VOID:
            return
        skip = self._skipping() or tag in SKIPPED or "data-user-content" in a
        lang = a.get("lang")
        foreign = (
            (self.stack[-1][2] if self.stack else False)
            if lang is None
            else not (lang.startswith("zh"))
        )
        if tag == "html":
            foreign = False
        self.stack.append((tag, skip, foreign))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.handle_starttag(tag, attrs)
            self.handle_endtag(tag)
        elif tag == "html":
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        if self._skipping():
            if self.stream and self.stream[-1] != "\n":
                self.stream.append("\n")
        elif data.strip():
            self.texts.append((data, bool(self.stack) and self.stack[-1][2]))
            self.stream.append(data)


def check_text(texts: Iterable[tuple[str, bool]], chinese: bool) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for raw, foreign in texts:
        text = " ".join(raw.split())
        if ESCAPED_MARKUP.search(text):
            found.append(("markup shown as text", text[:120]))
        if not chinese:
            continue
        plain = ALLOWED_RE.sub(" ", URL_OR_MAIL.sub(" ", text))
        for m in [] if foreign else ENGLISH_RUN.finditer(plain):
            found.append(("English on a Chinese page", m.group(0)[:120]))
        for m in INTERNAL_CODE.finditer(plain):
            found.append(("internal code", m.group(0)))
    return found


def check_punctuation(stream: list[str]) -> list[tuple[str, str]]:
    """ASCII : ; , ! ? (and a full stop before a space) right after a Chinese character,
    across element boundaries."""
    found = []
    for run in "".join(stream).split("\n"):
        text = re.sub(r"\s+", " ", run)
        for m in ASCII_PUNCT_AFTER_CJK.finditer(re.sub(rf"([{CJK}]) ([:;,!?])", r"\1\2", text)):
            start = max(0, m.start() - 20)
            found.append(("ASCII punctuation after Chinese", text[start : m.end() + 10]))
    return found


def _shape(url: str) -> str:
    """What a URL is an instance of (digits and query values dropped): the crawl visits
    the least visited shapes first, so 200 pages reach every kind of page."""
    parts = urlsplit(url)
    query = "&".join(sorted(p.split("=")[0] for p in parts.query.split("&") if p))
    return re.sub(r"\d+", "N", parts.path) + ("?" + query if query else "")


@dataclass
class Crawl:
    role: str
    pages: int = 0
    findings: list[Finding] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    shapes: set[str] = field(default_factory=set)
    html_pages: dict[str, str] = field(default_factory=dict)  # shape -> first 200 HTML page


def crawl(
    client: FlaskClient,
    role: str,
    starts: tuple[str, ...] = ("/",),
    limit: int = 200,
    per_shape: int = 3,
    host: str = "localhost",
    user_texts: Sequence[str] = (),
) -> Crawl:
    """Visit up to ``limit`` pages from ``starts``, at most ``per_shape`` of each kind."""
    result = Crawl(role)
    seen: set[str] = set(starts)
    pending: list[str] = list(starts)
    shapes: Counter[str] = Counter()
    while pending and result.pages < limit:
        pending.sort(key=lambda u: shapes[_shape(u)])
        url = pending.pop(0)
        if shapes[_shape(url)] >= per_shape:
            break  # the least visited kind is done: so is every other
        shapes[_shape(url)] += 1
        result.shapes.add(_shape(url))
        resp = client.get(url, follow_redirects=False)
        result.pages += 1
        result.statuses[resp.status_code] += 1
        links: list[str] = []
        if resp.status_code >= 500:
            result.findings.append(Finding(role, url, f"status {resp.status_code}", ""))
        if 300 <= resp.status_code < 400 and resp.location:
            links.append(resp.location)
        elif (resp.content_type or "").startswith("text/html"):
            if resp.status_code == 200:
                result.html_pages.setdefault(_shape(url), url)
            page = _Page()
            page.feed(resp.get_data(as_text=True))
            page.close()
            chinese = page.lang.startswith("zh")
            problems = check_text(page.texts, chinese)
            if chinese:
                problems += check_punctuation(page.stream)
            interface = re.sub(r"\s+", "", "".join(page.stream))
            problems += [("user content not marked", t) for t in user_texts if t in interface]
            for kind, text in problems:
                result.findings.append(Finding(role, url, kind, text))
            links = page.links
        for href in links:
            target = urljoin("http://localhost" + url, href)
            parts = urlsplit(target)
            if parts.scheme not in ("http", "https") or parts.netloc not in (host, "localhost"):
                continue
            local = parts.path + ("?" + parts.query if parts.query else "")
            if SKIP_PATH.search(parts.path) or "lang=" in parts.query:
                continue
            if local not in seen:
                seen.add(local)
                pending.append(local)
    return result


def demo_roles() -> list[tuple[str, str | None]]:
    from participate.demo import DEMO_USERS

    return [("anonymous", None)] + [(role.value, email) for email, _n, role, _a in DEMO_USERS]


def login_demo(client: FlaskClient, email: str) -> None:
    from participate.demo import DEMO_PASSWORD

    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert token, "no CSRF token on the login page"
    resp = client.post(
        "/auth/login",
        data={"email": email, "password": DEMO_PASSWORD, "csrf_token": token.group(1)},
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    if resp.headers["Location"].startswith("/auth/two-factor"):
        # Staff give the code of the demo's published authenticator key, as a person would.
        from participate.auth.mfa import current_code
        from participate.demo import DEMO_TOTP_SECRET

        page = client.get(resp.headers["Location"]).get_data(as_text=True)
        token = re.search(r'name="csrf-token" content="([^"]+)"', page)
        assert token, "no CSRF token on the two-step page"
        resp = client.post(
            resp.headers["Location"],
            data={"code": current_code(DEMO_TOTP_SECRET), "csrf_token": token.group(1)},
        )
        assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
        assert not resp.headers["Location"].startswith("/auth/two-factor")


def written_texts() -> list[str]:
    """The start of what people wrote (titles, statements, replies, comments, names),
    to find on a page outside ``data-user-content``. Call in an app context."""
    from sqlalchemy import select

    from participate.extensions import db
    from participate.models import Proposal, RegulationDraft, Reply, Statement, User
    from participate.models.regulations import RegulationComment
    from participate.models.surveys import Survey

    columns = [
        Proposal.title,
        Proposal.summary,
        Statement.text,
        Reply.body,
        RegulationDraft.title,
        RegulationComment.body,
        Survey.title,
        User.display_name,
    ]
    found: set[str] = set()
    for column in columns:
        for value in db.session.scalars(select(column).limit(300)):
            start = re.sub(r"\s+", "", value or "")[:10]
            if len(start) >= 6:  # short names ("交通部") are interface words too
                found.add(start)
    return sorted(found)


def crawl_all(app, limit: int = 200) -> list[Crawl]:  # noqa: ANN001
    with app.app_context():
        texts = written_texts()
    results = []
    for role, email in demo_roles():
        client = app.test_client()
        if email:
            login_demo(client, email)
        name = role if email is None else f"{role}:{email}"
        results.append(crawl(client, name, starts=START_PAGES, limit=limit, user_texts=texts))
    return results


if __name__ == "__main__":  # pragma: no cover - a developer's tool
    import sys

    from participate import create_app

    application = create_app({"RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": True})
    lim = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    for c in crawl_all(application, lim):
        print(f"== {c.role}: {c.pages} pages {dict(c.statuses)}")
        print("   " + " ".join(sorted(c.shapes)))
        for f in c.findings:
            print(f)
