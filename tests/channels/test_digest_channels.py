"""Digests to Apprise channels (a real HTTP receiver) besides or instead of email."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from monitor.config import AppConfig
from monitor.db import sends as q
from monitor.db.engine import Database
from monitor.digest.service import run_digest
from tests.channels.receiver import http_receiver
from tests.digest.support import T0, Archive, hours, make_config, smtp_server

ENV = "MONITOR_TEST_CHANNEL_HOOK"


def fast(config: AppConfig) -> AppConfig:
    apprise = config.settings.apprise.model_copy(update={"retry_base_s": 0, "timeout_s": 2})
    return replace(config, settings=config.settings.model_copy(update={"apprise": apprise}))


def _seed(db: Database) -> None:
    with db.session() as s:
        a = Archive(s)
        a.item("Tass Wire", "Iran and Russia sign energy accord", themes=("economy",))


def _channel(**extra: object) -> dict[str, object]:
    return {"channels": [{"name": "hook", "url_env": ENV}], **extra}


def _states(db: Database, digest_id: int) -> list[tuple[str, str]]:
    with db.session() as s:
        return [(r.target, r.status) for r in q.sends_of(s, "digest", digest_id)]


def test_digest_goes_to_email_and_channel_once(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed(db)
    with http_receiver([(500, 0), (200, 0)]) as rx, smtp_server() as srv:
        monkeypatch.setenv(ENV, rx.url())
        config = make_config(
            tmp_path,
            smtp_port=srv.port,
            recipients=[{"name": "daily", "address": "r@example.org", **_channel()}],
        )
        config = fast(config)
        out = run_digest(config, db, "daily", "send", now=T0 + hours(2))
        again = run_digest(config, db, "daily", "send", now=T0 + hours(3))
    assert out.status == "sent"
    assert [c.status for c in out.channels] == ["sent"]
    assert again.status == "empty"
    assert again.channels == ()
    assert len(srv.handler.received) == 1
    assert len(rx.accepted()) == 1
    body = rx.accepted()[0]
    assert body.body["title"] == out.subject
    assert "Iran and Russia sign energy accord" in body.body["message"]
    assert body.headers["X-Message-ID"] == out.message_id
    assert out.digest_id is not None
    assert _states(db, out.digest_id) == [("channel:hook", "sent")]


def test_channel_down_is_retried_next_run_without_a_second_email(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed(db)
    with smtp_server() as srv:
        with http_receiver([(503, 0)]) as rx:
            monkeypatch.setenv(ENV, rx.url())
            config = fast(
                make_config(
                    tmp_path,
                    smtp_port=srv.port,
                    recipients=[{"name": "daily", "address": "r@example.org", **_channel()}],
                )
            )
            out = run_digest(config, db, "daily", "send", now=T0 + hours(2))
            assert out.status == "sent"
            assert out.channels[0].status == "pending"
            assert "503" in (out.channels[0].error or "")
            assert len(rx.requests) == config.settings.apprise.max_attempts
        with http_receiver() as rx2:
            monkeypatch.setenv(ENV, rx2.url())
            later = run_digest(config, db, "daily", "send", now=T0 + hours(3))
    assert later.status == "empty"
    assert [c.status for c in later.channels] == ["sent"]
    assert len(rx2.accepted()) == 1
    assert rx2.accepted()[0].headers["X-Message-ID"] == out.message_id
    assert len(srv.handler.received) == 1


def test_recipient_with_only_a_channel(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed(db)
    with http_receiver() as rx:
        monkeypatch.setenv(ENV, rx.url())
        config = make_config(tmp_path, recipients=[{"name": "hook-only", **_channel()}])
        out = run_digest(config, db, "hook-only", "send", now=T0 + hours(2))
        again = run_digest(config, db, "hook-only", "send", now=T0 + hours(3))
    assert out.status == "sent", out.error
    assert again.status == "empty"
    assert len(rx.accepted()) == 1


def test_channel_only_recipient_with_the_service_down_keeps_its_items(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed(db)
    with http_receiver() as rx:
        port = rx.port
    monkeypatch.setenv(ENV, f"json://127.0.0.1:{port}/hook")
    config = make_config(tmp_path, recipients=[{"name": "hook-only", **_channel()}])
    config = fast(config)
    out = run_digest(config, db, "hook-only", "send", now=T0 + hours(2))
    assert out.status == "deferred"
    with http_receiver() as rx:
        monkeypatch.setenv(ENV, rx.url())
        later = run_digest(config, db, "hook-only", "send", now=T0 + hours(3))
    assert later.resumed == (out.digest_id,)
    assert later.status == "empty"
    assert len(rx.accepted()) == 1
    assert rx.accepted()[0].headers["X-Message-ID"] == out.message_id


def test_unset_channel_variable_fails_that_channel_only(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed(db)
    monkeypatch.delenv(ENV, raising=False)
    with smtp_server() as srv:
        config = make_config(
            tmp_path,
            smtp_port=srv.port,
            recipients=[{"name": "daily", "address": "r@example.org", **_channel()}],
        )
        out = run_digest(config, db, "daily", "send", now=T0 + hours(2))
    assert out.status == "sent"
    assert len(srv.handler.received) == 1
    assert out.channels[0].status == "failed"
    assert ENV in (out.channels[0].error or "")
