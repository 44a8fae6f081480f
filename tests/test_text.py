"""participate.text: statements never auto-link, replies are sanitised Markdown."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from participate.text import render_reply, render_statement, statement_plain

XSS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    '"><svg/onload=alert(1)>',
    '<a href="javascript:alert(1)">x</a>',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<iframe src=//evil.example></iframe>",
    "<style>body{display:none}</style>",
    "<<script>script>alert(1)<</script>/script>",
]


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, attrs))


def _inert(html: str) -> None:
    """Only allowlisted tags, only href/title/rel attributes, only http(s)/mailto links."""
    parser = _Tags()
    parser.feed(html)
    allowed = {"p", "br", "em", "strong", "a", "ul", "ol", "li", "blockquote", "code", "pre", "del"}
    for tag, attrs in parser.found:
        assert tag in allowed, html
        for name, value in attrs:
            assert name in {"href", "title", "rel"}, html
            if name == "href":
                assert (value or "").startswith(("http://", "https://", "mailto:")), html


def test_url_glued_to_chinese_is_not_linked_and_swallows_nothing():
    html = str(render_statement("請見https://example.tw/a說明。"))
    assert html == "請見https://example.tw/a說明。"
    assert "<a" not in html


def test_explicit_links_in_statements_stop_at_the_ascii_url():
    html = str(
        render_statement(
            "請見[交通部說明](https://www.motc.gov.tw/a?b=1&c=2)。也可看<https://example.tw>"
        )
    )
    assert (
        '<a href="https://www.motc.gov.tw/a?b=1&amp;c=2" rel="nofollow ugc noopener">交通部說明</a>'
        in html
    )
    assert html.endswith(
        '<a href="https://example.tw" rel="nofollow ugc noopener">https://example.tw</a>'
    )
    assert statement_plain("請見[說明](https://a.tw)") == "請見說明"


def test_statement_line_breaks_are_kept():
    assert str(render_statement("第一行\r\n第二行")) == "第一行<br>\n第二行"


@pytest.mark.parametrize("payload", XSS)
def test_statements_are_inert(payload):
    _inert(str(render_statement(payload)))


@pytest.mark.parametrize("payload", XSS)
def test_replies_are_inert(payload):
    _inert(render_reply(payload))


def test_reply_markdown_subset():
    html = render_reply(
        "**粗體** *斜體* `code`\n\n- 一\n- 二\n\n> 引言\n\n[連結](https://example.tw)\n\n# 標題"
    )
    assert "<strong>粗體</strong>" in html and "<em>斜體</em>" in html
    assert "<code>code</code>" in html and "<li>一</li>" in html
    assert "<blockquote>" in html
    assert '<a rel="nofollow ugc noopener" href="https://example.tw">連結</a>' in html
    assert "<h1>" not in html  # headings are not part of the subset


def test_reply_bare_urls_are_not_linked():
    html = render_reply("請見https://example.tw/a說明。")
    assert "<a" not in html and "說明。" in html
