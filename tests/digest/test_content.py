"""What a digest shows: key developments, theme sections, local times, RTL, failed sources."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from pathlib import Path

from sqlalchemy import func, select

from monitor.db.engine import Database
from monitor.db.models import CrawlRun, CrawlRunSource, Digest, FetchState
from monitor.digest.build import ThemeSections
from monitor.digest.service import run_digest
from monitor.paths import shipped_config_dir
from monitor.relevance.topic import load_topic
from tests.digest.support import T0, Archive, hours, make_config, smtp_server, text_part


def _seed(db: Database) -> None:
    with db.session() as s:
        a = Archive(s)
        big = a.story("Summit")
        a.item("Alpha News", "Leaders meet at summit", story=big, themes=("diplomacy",))
        a.item("Beta Post", "Summit copy", story=big, role="copy", themes=("diplomacy",))
        a.item("Gamma Daily", "Summit related", story=big, role="related", themes=("diplomacy",))
        a.item("Delta Wire", "Drone deliveries reported", themes=("military",), at=T0 + hours(1))
        a.item("Epsilon Times", "Gas price deal", themes=("economy", "treaty"), at=T0 + hours(2))
        a.item("Zeta Review", "Untagged commentary", at=T0 + hours(2))


def test_key_developments_then_sections_each_story_once(db: Database, tmp_path: Path) -> None:
    _seed(db)
    config = make_config(tmp_path)
    out = run_digest(config, db, "daily", "preview", now=T0 + hours(3))
    assert out.status == "previewed"
    assert out.text_path is not None
    text = out.text_path.read_text()
    # the themes in the topic file's order, under its labels
    order = [m.group(0) for m in re.finditer(r"^[A-Z][A-Z ]+$", text, re.M)]
    assert order[order.index("KEY DEVELOPMENTS") :] == [
        "KEY DEVELOPMENTS",
        "MILITARY",
        "ECONOMY AND ENERGY",
        "OTHER REPORTING",
    ]
    key_block = text.split("KEY DEVELOPMENTS", 1)[1].split("MILITARY", 1)[0]
    assert "Leaders meet at summit" in key_block
    assert "Also reported by 2: Beta Post" in key_block
    assert "Gamma Daily" in key_block
    # each story once in the body; the top line above it repeats the three that moved most
    body = text.split("KEY DEVELOPMENTS", 1)[1]
    for headline in ("Leaders meet at summit", "Drone deliveries", "Gas price deal", "Untagged"):
        assert body.count(headline) == 1
    assert text.count("• ") == 3
    assert "6 reports" in text
    assert "4 stories" in text
    assert "6 outlets" in text
    # a preview changes nothing in the archive
    with db.session() as s:
        assert s.scalar(select(func.count(Digest.id))) == 0


def test_local_time_rtl_and_language(db: Database, tmp_path: Path) -> None:
    with db.session() as s:
        Archive(s).item(
            "Tehran Desk",
            "نشست مشترک در تهران",
            language="fa",
            summary="جمله اول. جمله دوم! جمله سوم؟ جمله چهارم.",
            at=T0,
        )
    config = make_config(
        tmp_path,
        recipients=[{"name": "fa", "address": "fa@example.org", "timezone": "Asia/Tehran"}],
    )
    out = run_digest(config, db, "fa", "preview", now=T0 + hours(1))
    assert out.html_path is not None
    html = out.html_path.read_text()
    # 06:00 UTC is 09:30 in Tehran (UTC+03:30)
    assert "1 May 2024, 09:30 +0330" in html
    headline = re.search(r"<h3[^>]*>", html)
    assert headline
    assert 'dir="rtl"' in headline.group(0)
    assert 'lang="fa"' in headline.group(0)
    assert "text-align:right" in headline.group(0)
    assert "جمله اول. جمله دوم! جمله سوم؟" in html
    assert "جمله چهارم" not in html
    assert "Persian" in html
    assert '<meta charset="utf-8">' in html[:1024]


def test_failed_sources_of_the_period_are_listed(db: Database, tmp_path: Path) -> None:
    with db.session() as s:
        a = Archive(s)
        a.item("Alpha News", "A relevant report")
        broken = a.source("Broken Feed")
        old = a.source("Old Failure")
        flaky = a.source("Flaky Feed")
        run = CrawlRun(started_at=T0 + hours(1), status="partial")
        old_run = CrawlRun(started_at=T0 - hours(24 * 60), status="partial")
        s.add_all([run, old_run])
        s.flush()
        s.add(
            CrawlRunSource(
                run_id=run.id,
                source_id=broken.id,
                status="failed",
                messages=["HTTP 500 from server"],
            )
        )
        s.add(
            CrawlRunSource(
                run_id=old_run.id, source_id=old.id, status="failed", messages=["ancient"]
            )
        )
        s.add(
            FetchState(
                source_id=flaky.id, last_error="feeds: malformed XML", last_error_at=T0 + hours(2)
            )
        )
    config = make_config(tmp_path)
    out = run_digest(config, db, "daily", "preview", now=T0 + hours(3))
    assert out.text_path is not None
    text = out.text_path.read_text()
    footer = text.split("Sources that failed during this period:", 1)[1]
    assert "Broken Feed" in footer
    assert "HTTP 500 from server" in footer
    assert "Flaky Feed" in footer
    assert "malformed XML" in footer
    assert "Old Failure" not in footer


def test_story_cap_holds_items_back_for_next_digest(db: Database, tmp_path: Path) -> None:
    with db.session() as s:
        a = Archive(s)
        ids = [a.item(f"Outlet {n}", f"Report number {n}", at=T0 + hours(n)).id for n in range(3)]
    with smtp_server() as srv:
        config = make_config(tmp_path, smtp_port=srv.port, digest={"max_stories": 2})
        first = run_digest(config, db, "daily", "send", now=T0 + hours(5))
        second = run_digest(config, db, "daily", "send", now=T0 + hours(6))
    assert (first.item_count, second.item_count) == (2, 1)
    one, two = (text_part(m) for m in srv.handler.received)
    assert "1 more report will follow in the next digest" in one
    assert "Report number 2" in two
    assert "Report number 0" not in two
    assert len(ids) == 3


def test_story_with_new_copy_is_shown_as_update(db: Database, tmp_path: Path) -> None:
    with db.session() as s:
        a = Archive(s)
        story = a.story("Ongoing")
        a.item("Alpha News", "Ongoing talks", story=story)
        story_id = story.id
    with smtp_server() as srv:
        config = make_config(tmp_path, smtp_port=srv.port)
        run_digest(config, db, "daily", "send", now=T0 + hours(1))
        with db.session() as s:
            from monitor.db.models import Story

            st = s.get(Story, story_id)
            assert st is not None
            Archive(s).item(
                "Beta Post", "Ongoing talks, more", story=st, role="copy", at=T0 + hours(2)
            )
        second = run_digest(config, db, "daily", "send", now=T0 + hours(3))
    assert second.item_count == 1
    body = text_part(srv.handler.received[1])
    assert "[Update] Ongoing talks" in body
    assert "Also reported by 1: Beta Post" in body


def test_dry_run_writes_eml_and_template_override_wins(db: Database, tmp_path: Path) -> None:
    with db.session() as s:
        Archive(s).item("Alpha News", "Something relevant")
    config = make_config(tmp_path)
    override = config.config_dir / "templates" / "digest"
    override.mkdir(parents=True)
    (override / "email.txt").write_text(
        '{% include "default:digest/email.txt" %}\nCustom footer for {{ d.recipient }}\n'
    )
    out = run_digest(config, db, "daily", "dry_run", now=T0 + hours(1), outbox=tmp_path / "box")
    assert out.eml_path is not None
    assert out.eml_path.parent == tmp_path / "box"
    msg = message_from_bytes(out.eml_path.read_bytes(), policy=policy.default)
    assert msg["Message-ID"] == out.message_id
    body = text_part(msg)  # type: ignore[arg-type]
    assert "Something relevant" in body
    assert "Custom footer for daily" in body


def test_every_styled_element_gets_inline_css(db: Database, tmp_path: Path) -> None:
    _seed(db)
    out = run_digest(make_config(tmp_path), db, "daily", "preview", now=T0 + hours(3))
    assert out.html_path is not None
    html = out.html_path.read_text()
    assert 'style=""' not in html  # a class without a rule in email.css (a typo) shows up here
    assert html.count("style=") > 20
    assert "@media (prefers-color-scheme: dark)" in html
    assert '<meta charset="utf-8">' in html[:300]


def test_links_carry_no_tracking_parameters(db: Database, tmp_path: Path) -> None:
    with db.session() as s:
        Archive(s).item(
            "Alpha News",
            "Rail deal signed",
            url="https://www.alpha.example.net/news/7/?utm_source=rss&id=7&fbclid=abc",
            at=T0,
        )
    out = run_digest(make_config(tmp_path), db, "daily", "preview", now=T0 + hours(1))
    assert out.html_path is not None
    assert out.text_path is not None
    html, text = out.html_path.read_text(), out.text_path.read_text()
    clean = "https://www.alpha.example.net/news/7/?id=7"
    assert f'href="{clean}"' in html
    assert clean in text
    assert "utm_source" not in html + text
    assert "fbclid" not in html + text


def test_sections_follow_the_topic_file() -> None:
    topic = load_topic(shipped_config_dir() / "topics" / "iran-russia.yaml")
    sections = ThemeSections.from_topic(topic)
    assert sections.order == tuple(topic.themes)
    assert "sanctions" in sections.order  # every theme of the topic has its section
    ranked = sorted(["", "retired_theme", "diplomacy", "sanctions", "military"], key=sections.rank)
    assert ranked == ["military", "sanctions", "diplomacy", "retired_theme", ""]
    assert sections.label("economy") == topic.themes["economy"].label == "Economy and energy"
    assert sections.label("retired_theme") == "Retired theme"  # a tag the topic no longer has
    assert sections.label("") == "Other reporting"
