"""Scraped text never reaches a header, the email or a page unescaped."""

from __future__ import annotations

from email import message_from_bytes, policy
from html.parser import HTMLParser
from pathlib import Path

from monitor.db.engine import Database
from monitor.digest.message import build_subject
from monitor.digest.service import run_digest
from tests.digest.support import T0, Archive, hours, html_part, make_config, smtp_server, text_part


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.handlers: list[str] = []
        self.data: list[str] = []

    def handle_data(self, data: str) -> None:
        self.data.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.handlers += [name for name, _ in attrs if name.startswith("on")]


def _elements(doc: str) -> tuple[set[str], list[str]]:
    parser = _Collector()
    parser.feed(doc)
    return parser.tags, parser.handlers


def _text(doc: str) -> str:
    parser = _Collector()
    parser.feed(doc)
    return "".join(parser.data)


EVIL_TITLE = 'Talks <script>alert("x")</script> & "quotes"\r\nBcc: victim@example.com'
EVIL_OUTLET = "Outlet <img src=x onerror=alert(1)>"


def _seed(db: Database) -> None:
    with db.session() as s:
        a = Archive(s)
        story = a.story("x")
        a.item(
            "Plain Wire",
            EVIL_TITLE,
            story=story,
            summary="<p>Body with <b>tags</b> and <script>steal()</script>.</p>\r\nSecond line.",
            figures=("<svg onload=alert(2)>",),
        )
        a.item(EVIL_OUTLET, "Copy\nSubject: injected", story=story, role="copy", at=T0 + hours(1))
        a.item("Bad Link Wire", "Scheme check", url="javascript:alert(3)", at=T0 + hours(1))
        a.item("Bad Link Wire 2", "Data check", url="data:text/html,<script>x</script>")


def test_headers_stay_clean_and_html_is_escaped(db: Database, tmp_path: Path) -> None:
    _seed(db)
    with smtp_server() as srv:
        config = make_config(tmp_path, smtp_port=srv.port)
        out = run_digest(config, db, "daily", "send", now=T0 + hours(3))
    assert out.status == "sent"
    raw = srv.handler.raw[0]
    head = raw.split(b"\r\n\r\n", 1)[0]
    header_names = [
        line.split(b":", 1)[0].lower()
        for line in head.split(b"\r\n")
        if line and line[:1] not in b" \t"
    ]
    assert b"bcc" not in header_names
    assert header_names.count(b"subject") == 1
    assert header_names.count(b"to") == 1
    # the envelope went to the configured address only
    assert srv.handler.envelopes == [("monitor@example.org", ["reader@example.org"])]
    msg = message_from_bytes(raw, policy=policy.default)
    subject = str(msg["Subject"])
    assert "\r" not in subject
    assert "\n" not in subject
    assert "Bcc: victim@example.com" in subject  # kept as text, on the one Subject line
    assert msg["Bcc"] is None
    assert msg.get_all("To") == ["reader@example.org"]

    html = html_part(msg)
    page = out.html_path.read_text() if out.html_path else ""
    for doc in (html, page):
        tags, handlers = _elements(doc)
        assert not tags & {"script", "img", "svg", "iframe", "object"}
        assert handlers == []
        text_nodes = _text(doc)
        assert 'Talks <script>alert("x")</script> & "quotes" Bcc: victim@example.com' in text_nodes
        assert EVIL_OUTLET in text_nodes
        assert "&lt;script&gt;alert(" in doc
        assert "javascript:" not in doc
        assert "data:text" not in doc
        assert "Scheme check" in doc  # shown, just not linked
    text = text_part(msg)
    assert "Talks <script>" in text  # plain text shows the text as it is, on one line
    assert "\nBcc:" not in text
    assert "\nSubject: injected" not in text


def test_subject_of_non_ascii_is_encoded(db: Database, tmp_path: Path) -> None:
    with db.session() as s:
        Archive(s).item("IRNA Daily", "دیدار وزیران خارجه ایران و روسیه", language="fa")
    with smtp_server() as srv:
        config = make_config(tmp_path, smtp_port=srv.port)
        run_digest(config, db, "daily", "send", now=T0 + hours(1))
    raw = srv.handler.raw[0]
    head = raw.split(b"\r\n\r\n", 1)[0]
    head.decode("ascii")  # every header is 7-bit: non-ASCII is RFC 2047 encoded
    assert b"=?utf-8?" in head.lower()
    msg = message_from_bytes(raw, policy=policy.default)
    assert "دیدار وزیران خارجه" in str(msg["Subject"])
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))


def test_build_subject_strips_line_breaks_and_caps_length() -> None:
    from datetime import UTC, datetime

    from monitor.digest.model import DigestView, StoryView

    story = StoryView(
        key="s1",
        story_id=1,
        headline="Line one\r\nBcc: x@y\u2028more " + "long " * 100,
        url="",
        outlet="o",
        when="",
        when_iso="",
        language="en",
        language_name="English",
        direction="ltr",
        snippet="",
    )
    view = DigestView(
        title="Monitor\nX-Evil: 1",
        recipient="r",
        timezone="UTC",
        period_start=None,
        period_end=datetime(2024, 5, 1, tzinfo=UTC),
        period_text="",
        date_text="1 May 2024",
        story_count=1,
        item_count=1,
        outlet_count=1,
        key=(story,),
    )
    subject = build_subject(view)
    assert not any(c in subject for c in "\r\n\u2028")
    assert subject.startswith("Monitor X-Evil: 1: 1 story · 1 May 2024 — Line one Bcc: x@y more")
    assert len(subject) <= 180
