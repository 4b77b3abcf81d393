"""The digest's top line (what moved most since the last digest), the "view in browser" link and
the list headers, as a reader receives them from a real SMTP server (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from monitor.db.engine import Database
from monitor.digest.message import list_label, unsubscribe_url
from monitor.digest.service import run_digest
from monitor.digest.site import site_dir
from tests.digest.support import (
    T0,
    Archive,
    hours,
    html_part,
    make_config,
    smtp_server,
    text_part,
)


def _top_block(text: str) -> list[str]:
    block = text.split("WHAT MOVED MOST", 1)[1].split("\n\n", 1)[0]
    return [line for line in block.splitlines() if line.startswith("• ")]


def test_top_line_ranks_stories_by_coverage_growth_since_the_last_digest(
    db: Database, tmp_path: Path
) -> None:
    later = T0 + hours(5)
    with db.session() as s:
        a = Archive(s)
        gas = a.story("Gas")
        a.item("Alpha", "Gas swap agreed", story=gas)
        a.item("Beta", "Gas swap copy", story=gas, role="copy")
        rail = a.story("Rail")
        a.item("Gamma", "Rail link opens", story=rail)
        a.item("Delta", "Rail link copy", story=rail, role="copy")
        a.item("Eta", "Rail link related", story=rail, role="related")
        # after the first digest: three outlets join the gas story (the most growth) …
        for outlet in ("Kappa", "Lambda", "Mu"):
            a.item(outlet, f"Gas swap at {outlet}", story=gas, role="copy", at=later)
        # … one new outlet and a second report of an outlet it had join the rail story …
        a.item("Nu", "Rail link at Nu", story=rail, role="copy", at=later)
        a.item("Gamma", "Rail link follow-up", story=rail, role="related", at=later)
        # … a new story of two outlets, and one of one outlet (the least growth: left out)
        drones = a.story("Drones", at=later)
        a.item("Xi", "Drone deliveries", story=drones, at=later)
        a.item("Omicron", "Drone deliveries copy", story=drones, role="copy", at=later)
        a.item("Pi", "Port visit", at=later)
    with smtp_server() as srv:
        config = make_config(tmp_path, smtp_port=srv.port)
        first = run_digest(config, db, "daily", "send", now=T0 + hours(1))
    assert first.status == "sent"
    assert first.item_count == 5
    out = run_digest(config, db, "daily", "preview", now=later + hours(1))
    assert out.text_path is not None
    assert out.html_path is not None
    text = out.text_path.read_text()
    assert _top_block(text) == [
        "• Gas swap agreed — +3 outlets (5 in all), 3 new reports",
        "• Drone deliveries — new: 2 outlets, 2 reports",
        "• Rail link opens — +1 outlet (4 in all), 2 new reports",
    ]
    html = out.html_path.read_text()
    top = html.split("What moved most", 1)[1].split("</ul>", 1)[0]
    assert re.findall(r"<li\b", top) == ["<li"] * 3
    assert "— +3 outlets (5 in all), 3 new reports" in top
    assert "Port visit" not in top


def test_the_first_digest_counts_every_outlet_as_new(db: Database, tmp_path: Path) -> None:
    with db.session() as s:
        a = Archive(s)
        story = a.story("Summit")
        a.item("Alpha", "Leaders meet", story=story)
        a.item("Beta", "Leaders meet copy", story=story, role="copy")
        a.item("Gamma", "Drone deliveries", at=T0 + hours(1))
    out = run_digest(make_config(tmp_path), db, "daily", "preview", now=T0 + hours(2))
    assert out.text_path is not None
    assert _top_block(out.text_path.read_text()) == [
        "• Leaders meet — new: 2 outlets, 2 reports",
        "• Drone deliveries — new: 1 outlet",
    ]


def test_top_line_escapes_scraped_headlines_in_html_and_keeps_them_in_text(
    db: Database, tmp_path: Path
) -> None:
    hostile = '<script>alert("x")</script> & <b onmouseover="y">Iran</b>'
    with db.session() as s:
        Archive(s).item("Alpha <i>", hostile, url='https://a.example.net/n?a=1&b="2"')
    out = run_digest(make_config(tmp_path), db, "daily", "preview", now=T0 + hours(1))
    assert out.html_path is not None
    assert out.text_path is not None
    html = out.html_path.read_text()
    top = html.split("What moved most", 1)[1].split("</ul>", 1)[0]
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b onmouseover" in top
    assert "<script" not in html
    assert "<b " not in html
    assert 'href="https://a.example.net/n?a=1&amp;b=%222%22"' in top
    assert _top_block(out.text_path.read_text()) == [f"• {hostile} — new: 1 outlet"]


def test_view_in_browser_link_and_list_headers_reach_the_reader(
    db: Database, tmp_path: Path
) -> None:
    with db.session() as s:
        Archive(s).item("Alpha", "Gas swap agreed", summary="Moscow and Tehran agreed.")
    with smtp_server() as srv:
        config = make_config(
            tmp_path,
            smtp_port=srv.port,
            digest={"public_url": "https://news.example.org/digests/"},
        )
        out = run_digest(config, db, "daily", "send", now=T0 + hours(1))
    assert out.status == "sent"
    assert out.digest_id is not None
    assert out.html_path is not None
    [msg] = srv.handler.received
    page_url = f"https://news.example.org/digests/daily/{out.digest_id}.html"
    # the link points at the page this digest wrote, at its place under the published folder
    assert out.html_path.relative_to(site_dir(config)).as_posix() == f"daily/{out.digest_id}.html"
    assert f'href="{page_url}"' in html_part(msg)
    assert ">View in browser</a>" in html_part(msg)
    assert f"View in browser: {page_url}" in text_part(msg)
    # the page itself does not link to itself
    assert "View in browser" not in out.html_path.read_text()
    # a non-ASCII description travels as encoded words (never inside quotes)
    assert msg["List-Id"] == "Iran–Russia monitor (daily) <daily.digest.example.org>"
    head = srv.handler.raw[0].split(b"\r\n\r\n", 1)[0].decode("ascii")
    assert "List-Id: =?utf-8?b?" in head
    assert msg["List-Unsubscribe"] == "<mailto:monitor@example.org?subject=unsubscribe%20daily>"
    assert msg["List-Archive"] == "<https://news.example.org/digests/index.html>"
    assert msg["List-Unsubscribe-Post"] is None
    assert all(len(line) <= 78 for line in head.split("\r\n"))


def test_without_a_public_url_no_link_and_unsubscribe_to_the_configured_address(
    db: Database, tmp_path: Path
) -> None:
    with db.session() as s:
        Archive(s).item("Alpha", "Gas swap agreed")
    with smtp_server() as srv:
        config = make_config(
            tmp_path,
            smtp_port=srv.port,
            digest={"title": "Desk digest", "unsubscribe_address": "lists+desk@example.org"},
            recipients=[{"name": "search:gas deals", "address": "reader@example.org"}],
        )
        out = run_digest(config, db, "search:gas deals", "send", now=T0 + hours(1))
    assert out.status == "sent"
    [msg] = srv.handler.received
    assert "View in browser" not in html_part(msg)
    assert "View in browser" not in text_part(msg)
    assert msg["List-Archive"] is None
    assert (
        msg["List-Id"] == '"Desk digest (search:gas deals)" <search-gas-deals.digest.example.org>'
    )
    assert msg["List-Unsubscribe"] == (
        "<mailto:lists%2Bdesk@example.org?subject=unsubscribe%20search%3Agas%20deals>"
    )


@pytest.mark.parametrize(
    ("recipient", "sender", "kind", "expected"),
    [
        pytest.param(
            "daily", "monitor@example.org", "digest", "daily.digest.example.org", id="plain"
        ),
        pytest.param(
            "Desk_EN.2", "m@example.org", "digest", "desk-en-2.digest.example.org", id="dots"
        ),
        pytest.param(
            "search:газ", "m@example.org", "alerts", "search.alerts.example.org", id="cyr"
        ),
        pytest.param("---", "m@localhost", "digest", "recipient.digest.localhost", id="empty"),
        pytest.param("x", "Monitor <m@ex ample.org>", "digest", "x.digest.example.org", id="odd"),
    ],
)
def test_list_label_is_a_dot_atom(recipient: str, sender: str, kind: str, expected: str) -> None:
    assert list_label(recipient, sender, kind) == expected


def test_unsubscribe_url_encodes_the_recipient_name() -> None:
    assert unsubscribe_url("desk@example.org", "weekly fa/ru") == (
        "mailto:desk@example.org?subject=unsubscribe%20weekly%20fa%2Fru"
    )
    assert unsubscribe_url("desk@example.org", "خبر") == (
        "mailto:desk@example.org?subject=unsubscribe%20%D8%AE%D8%A8%D8%B1"
    )
