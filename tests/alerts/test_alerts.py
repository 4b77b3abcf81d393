"""Alert rules and delivery on archive rows (real SQLite/PostgreSQL, aiosmtpd, HTTP receiver)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from monitor.alerts.service import quiet_until, run_alerts
from monitor.config import AlertSettings, AppConfig, RecipientConfig
from monitor.db.engine import Database
from monitor.db.models import Alert, AlertItem
from monitor.db.saved_searches import save_search
from tests.channels.receiver import http_receiver
from tests.digest.support import T0, Archive, hours, make_config, smtp_server, text_part

HOOK = "MONITOR_TEST_ALERT_HOOK"
TITLE = "Iran and Russia sign gas swap deal"


def _config(
    tmp_path: Path, port: int, recipients: list[dict[str, Any]], **alerts: Any
) -> AppConfig:
    config = make_config(tmp_path, smtp_port=port, recipients=recipients)
    settings = config.settings.model_copy(
        update={
            "alerts": AlertSettings.model_validate(
                {"min_sources": 3, "window_hours": 6, "update_steps": [5], **alerts}
            ),
            "apprise": config.settings.apprise.model_copy(
                update={"retry_base_s": 0, "timeout_s": 2}
            ),
        }
    )
    return replace(config, settings=settings)


def _story(db: Database, outlets: int, *, start: datetime = T0, language: str = "en") -> int:
    with db.session() as s:
        a = Archive(s)
        story = a.story(TITLE, at=start)
        for n in range(outlets):
            a.item(
                f"Outlet {n}",
                TITLE,
                story=story,
                role="lead" if n == 0 else "copy",
                at=start + timedelta(minutes=10 * n),
                language=language,
                themes=("economy",),
                figures=("Alexander Novak",),
            )
        return story.id


def _grow(db: Database, story_id: int, first: int, count: int, at: datetime) -> None:
    with db.session() as s:
        from monitor.db.models import Story

        a = Archive(s)
        story = s.get(Story, story_id)
        for n in range(first, first + count):
            a.item(f"Outlet {n}", TITLE, story=story, role="copy", at=at, themes=("economy",))


def _alerts(db: Database) -> list[tuple[str, str, int, str]]:
    with db.session() as s:
        return [
            (a.recipient, a.kind, a.outlets, a.status)
            for a in s.scalars(select(Alert).order_by(Alert.id))
        ]


BREAKING = {"alerts": {"breaking": True}}


def test_breaking_story_alerts_each_recipient_once_and_updates_at_a_step(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sid = _story(db, 2)
    with smtp_server() as srv, http_receiver() as rx:
        monkeypatch.setenv(HOOK, rx.url())
        recipients = [
            {"name": "mail", "address": "a@example.org", **BREAKING},
            {"name": "hook", "channels": [{"name": "hook", "url_env": HOOK}], **BREAKING},
        ]
        config = _config(tmp_path, srv.port, recipients)
        assert run_alerts(config, db, now=T0 + hours(1)).created == []  # 2 outlets: not yet
        _grow(db, sid, 2, 1, T0 + hours(1))
        first = run_alerts(config, db, now=T0 + hours(1.5))
        again = run_alerts(config, db, now=T0 + hours(2))
        _grow(db, sid, 3, 1, T0 + hours(2))  # 4 outlets: below the step of 5
        below = run_alerts(config, db, now=T0 + hours(2.5))
        _grow(db, sid, 4, 1, T0 + hours(3))  # 5 outlets: the update
        update = run_alerts(config, db, now=T0 + hours(3.5))
        after = run_alerts(config, db, now=T0 + hours(4))
    assert [(a.recipient, a.kind) for a in first.created] == [
        ("mail", "breaking"),
        ("hook", "breaking"),
    ]
    assert [a.status for a in first.delivered] == ["sent", "sent"]
    assert again.created == []
    assert again.delivered == []
    assert below.created == []
    assert [(a.recipient, a.kind) for a in update.created] == [
        ("mail", "update"),
        ("hook", "update"),
    ]
    assert after.created == []
    assert len(srv.handler.received) == 2
    assert len(rx.accepted()) == 2
    breaking_mail = srv.handler.received[0]
    assert breaking_mail["Subject"].startswith("Breaking: Iran and Russia sign gas swap deal")
    body = text_part(breaking_mail)
    assert "3 outlets within 6 h" in body
    assert "Also reported by 2:" in body
    assert rx.accepted()[0].body["title"].startswith("Breaking:")
    assert rx.accepted()[1].body["title"].startswith("Update:")
    assert "now 5 outlets (was 3)" in rx.accepted()[1].body["message"]
    assert _alerts(db) == [
        ("mail", "breaking", 3, "sent"),
        ("hook", "breaking", 3, "sent"),
        ("mail", "update", 5, "sent"),
        ("hook", "update", 5, "sent"),
    ]


def test_the_digest_still_carries_an_alerted_story(db: Database, tmp_path: Path) -> None:
    from monitor.digest.service import run_digest

    _story(db, 3)
    with smtp_server() as srv:
        config = _config(
            tmp_path, srv.port, [{"name": "daily", "address": "a@example.org", **BREAKING}]
        )
        run_alerts(config, db, now=T0 + hours(1))
        out = run_digest(config, db, "daily", "send", now=T0 + hours(2))
    assert out.status == "sent"
    assert out.item_count == 3
    assert len(srv.handler.received) == 2


def test_alerts_survive_a_renumbered_story(db: Database, tmp_path: Path) -> None:
    sid = _story(db, 3)
    with smtp_server() as srv:
        config = _config(
            tmp_path, srv.port, [{"name": "m", "address": "a@example.org", **BREAKING}]
        )
        run_alerts(config, db, now=T0 + hours(1))
        with db.session() as s:  # what a dedup rebuild does: the same items, a new story number
            from monitor.db.models import Item, Story

            new = Story(title=TITLE, first_seen_at=T0, last_item_at=T0)
            s.add(new)
            s.flush()
            for item in s.scalars(select(Item).where(Item.story_id == sid)):
                item.story_id = new.id
        later = run_alerts(config, db, now=T0 + hours(1.5))
    assert later.created == []
    assert len(srv.handler.received) == 1


def test_second_language_breaks_a_story(db: Database, tmp_path: Path) -> None:
    sid = _story(db, 2)
    with smtp_server() as srv:
        config = _config(
            tmp_path,
            srv.port,
            [{"name": "m", "address": "a@example.org", **BREAKING}],
            min_sources=10,
        )
        assert run_alerts(config, db, now=T0 + hours(1)).created == []
        with db.session() as s:
            from monitor.db.models import Story

            Archive(s).item(
                "Kommersant",
                "Иран и Россия",
                language="ru",
                story=s.get(Story, sid),
                role="related",
                at=T0 + hours(1),
            )
        out = run_alerts(config, db, now=T0 + hours(1.5))
    assert [a.kind for a in out.created] == ["breaking"]
    assert "reported in en and ru" in srv.handler.received[0].get_body().get_content()  # type: ignore[union-attr]


def test_figure_and_theme_rule(db: Database, tmp_path: Path) -> None:
    _story(db, 1)
    with smtp_server() as srv:
        rule = {"name": "energy", "figures": ["Alexander Novak"], "themes": ["economy"]}
        config = _config(
            tmp_path,
            srv.port,
            [{"name": "m", "address": "a@example.org", **BREAKING}],
            rules=[rule],
        )
        out = run_alerts(config, db, now=T0 + hours(1))
    assert [a.kind for a in out.created] == ["breaking"]
    with db.session() as s:
        (alert,) = s.scalars(select(Alert))
        assert alert.reason == {"reasons": ["rule energy: Alexander Novak, economy"]}
        assert len(list(s.scalars(select(AlertItem)))) == 1


def test_filters_and_query_choose_the_recipients(db: Database, tmp_path: Path) -> None:
    _story(db, 3)
    with smtp_server() as srv:
        recipients = [
            {"name": "gas", "address": "g@example.org", "query": "gas swap", **BREAKING},
            {"name": "oil", "address": "o@example.org", "query": "oil", **BREAKING},
            {
                "name": "mil",
                "address": "m@example.org",
                "filters": {"themes": ["military"]},
                **BREAKING,
            },
            {
                "name": "fa",
                "address": "f@example.org",
                "filters": {"languages": ["fa"]},
                **BREAKING,
            },
        ]
        out = run_alerts(_config(tmp_path, srv.port, recipients), db, now=T0 + hours(1))
    assert [a.recipient for a in out.created] == ["gas"]


def test_quiet_hours_hold_the_alert_until_they_end(db: Database, tmp_path: Path) -> None:
    night = datetime(2024, 5, 1, 23, 0, tzinfo=UTC)
    _story(db, 3, start=night - hours(1))
    with smtp_server() as srv:
        quiet = {"alerts": {"breaking": True, "quiet_hours": "22:00-07:00"}}
        config = _config(tmp_path, srv.port, [{"name": "m", "address": "a@example.org", **quiet}])
        held = run_alerts(config, db, now=night)
        still = run_alerts(config, db, now=night + hours(7.5))  # 06:30
        morning = run_alerts(config, db, now=night + hours(8))  # 07:00
    assert [a.status for a in held.created] == ["held"]
    assert held.delivered == []
    assert still.delivered == []
    assert [a.status for a in morning.delivered] == ["sent"]
    assert len(srv.handler.received) == 1


@pytest.mark.parametrize(
    ("spec", "local", "expected"),
    [
        ("22:00-07:00", "23:30", "07:00+1"),
        ("22:00-07:00", "03:00", "07:00"),
        ("22:00-07:00", "12:00", None),
        ("12:00-14:00", "13:00", "14:00"),
        ("12:00-14:00", "14:00", None),
    ],
)
def test_quiet_until(spec: str, local: str, expected: str | None) -> None:
    rcpt = RecipientConfig(
        name="r", address="a@example.org", timezone="Europe/Berlin", alerts={"quiet_hours": spec}
    )
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Europe/Berlin")
    now = datetime(2024, 5, 1, int(local[:2]), int(local[3:]), tzinfo=tz)
    got = quiet_until(rcpt, now)
    if expected is None:
        assert got is None
    else:
        day = 2 if expected.endswith("+1") else 1
        want = datetime(2024, 5, day, int(expected[:2]), int(expected[3:5]), tzinfo=tz)
        assert got == want


def test_saved_search_subscribed_immediate_gets_each_new_story(
    db: Database, tmp_path: Path
) -> None:
    _story(db, 1)
    with smtp_server() as srv:
        config = _config(tmp_path, srv.port, [])
        with db.session() as s:
            save_search(
                s,
                name="gas deals",
                query='"gas swap"',
                filters={},
                created_by="t",
                mode="immediate",
                address="s@example.org",
            )
            save_search(
                s,
                name="oil",
                query="oil",
                filters={},
                created_by="t",
                mode="immediate",
                address="o@example.org",
            )
        out = run_alerts(config, db, now=T0 + hours(1))
        again = run_alerts(config, db, now=T0 + hours(2))
    assert [(a.recipient, a.kind) for a in out.created] == [("search:gas deals", "match")]
    assert again.created == []
    assert srv.handler.envelopes[0][1] == ["s@example.org"]


def test_temporary_email_failure_is_retried_next_run(db: Database, tmp_path: Path) -> None:
    from tests.digest.support import ScriptedHandler

    _story(db, 3)
    handler = ScriptedHandler(replies=["451 try later"])
    with smtp_server(handler) as srv:
        config = _config(
            tmp_path, srv.port, [{"name": "m", "address": "a@example.org", **BREAKING}]
        )
        first = run_alerts(config, db, now=T0 + hours(1))
        handler.replies = ["250 OK"]
        second = run_alerts(config, db, now=T0 + hours(1.2))
        third = run_alerts(config, db, now=T0 + hours(1.4))
    assert [a.status for a in first.delivered] == ["pending"]
    assert second.created == []
    assert [a.status for a in second.delivered] == ["sent"]
    assert third.delivered == []
    assert len(handler.received) == 1
