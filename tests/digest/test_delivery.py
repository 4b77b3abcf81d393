"""Delivery through a real SMTP server (aiosmtpd on 127.0.0.1): never skip, never repeat."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitor.db.engine import Database
from monitor.db.models import Delivery, Digest, DigestItem, RecipientState
from monitor.digest.service import run_digest
from tests.digest.support import (
    T0,
    Archive,
    ScriptedHandler,
    free_port,
    hours,
    html_part,
    make_config,
    smtp_server,
    text_part,
)


def _seed_two_stories(db: Database) -> dict[str, int]:
    with db.session() as s:
        a = Archive(s)
        talks = a.story("Talks")
        lead = a.item(
            "Tass Wire",
            "Iran and Russia sign energy accord",
            story=talks,
            themes=("economy",),
            figures=("Sergei Lavrov",),
            summary="The accord covers gas swaps. Officials met in Moscow. Details follow. Extra.",
        )
        copy = a.item(
            "IRNA Daily",
            "ایران و روسیه توافق انرژی امضا کردند",
            language="fa",
            story=talks,
            role="copy",
            themes=("economy",),
            at=T0 + hours(1),
        )
        other = a.item(
            "Kommersant Desk", "Naval drill in the Caspian", language="ru", themes=("military",)
        )
        return {"lead": lead.id, "copy": copy.id, "other": other.id}


def _carried(db: Database, digest_id: int) -> set[int]:
    with db.session() as s:
        return set(s.scalars(select(DigestItem.item_id).where(DigestItem.digest_id == digest_id)))


def test_digest_arrives_with_both_parts_links_and_state(db: Database, tmp_path: Path) -> None:
    ids = _seed_two_stories(db)
    with smtp_server() as srv:
        config = make_config(tmp_path, smtp_port=srv.port)
        out = run_digest(config, db, "daily", "send", now=T0 + hours(3))

    assert out.status == "sent", out.error
    assert out.item_count == 3
    assert out.story_count == 2
    assert len(srv.handler.received) == 1
    msg = srv.handler.received[0]
    assert srv.handler.envelopes == [("monitor@example.org", ["reader@example.org"])]
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    assert msg["Message-ID"] == out.message_id
    assert msg["To"] == "reader@example.org"
    assert "monitor@example.org" in msg["From"]
    assert msg["Date"] is not None
    assert "2 stories" in msg["Subject"]
    html, text = html_part(msg), text_part(msg)
    for part in (html, text):
        assert "Iran and Russia sign energy accord" in part
        assert "Also reported by 1" in part
        assert "Sergei Lavrov" in part
    lead_url = "https://tass-wire.example.net/news/1"
    assert f'href="{lead_url}"' in html
    assert 'href="https://irna-daily.example.net/news/2"' in html
    assert lead_url in text
    with db.session() as s:
        digest = s.get(Digest, out.digest_id)
        assert digest is not None
        assert digest.status == "sent"
        assert digest.sent_at is not None
        state = s.get(RecipientState, "daily")
        assert state is not None
        assert state.last_digest_id == digest.id
        deliveries = s.scalars(select(Delivery)).all()
        assert [(d.outcome, d.smtp_code) for d in deliveries] == [("accepted", 250)]
    assert _carried(db, out.digest_id) == set(ids.values())
    site = Path(config.data_dir / "digests")
    assert (site / "index.html").read_text().count('href="daily/') == 1
    assert out.html_path is not None
    page = out.html_path.read_text()
    assert 'href="../index.html"' in page
    assert "Iran and Russia sign energy accord" in page


def test_next_digest_has_only_new_items_and_empty_is_skipped(db: Database, tmp_path: Path) -> None:
    first_ids = _seed_two_stories(db)
    with smtp_server() as srv:
        config = make_config(tmp_path, smtp_port=srv.port)
        first = run_digest(config, db, "daily", "send", now=T0 + hours(3))
        with db.session() as s:
            a = Archive(s)
            late = a.item(
                "Reuters Feed", "Oil deal follow-up", themes=("economy",), at=T0 + hours(5)
            )
            late_id = late.id
        second = run_digest(config, db, "daily", "send", now=T0 + hours(6))
        third = run_digest(config, db, "daily", "send", now=T0 + hours(9))
    assert first.status == second.status == "sent"
    assert _carried(db, second.digest_id) == {late_id}
    assert not (_carried(db, first.digest_id) & _carried(db, second.digest_id))
    assert _carried(db, first.digest_id) == set(first_ids.values())
    assert third.status == "empty"
    assert third.digest_id is None
    assert len(srv.handler.received) == 2
    assert "Oil deal follow-up" in text_part(srv.handler.received[1])
    assert "Iran and Russia sign" not in text_part(srv.handler.received[1])


def test_empty_period_sends_short_digest_when_not_skipped(db: Database, tmp_path: Path) -> None:
    with smtp_server() as srv:
        config = make_config(
            tmp_path,
            smtp_port=srv.port,
            recipients=[{"name": "daily", "address": "reader@example.org", "skip_empty": False}],
        )
        out = run_digest(config, db, "daily", "send", now=T0)
    assert out.status == "sent"
    assert out.item_count == 0
    msg = srv.handler.received[0]
    assert "no new reporting" in msg["Subject"]
    assert "No new relevant reporting" in text_part(msg)


def test_temporary_failure_then_success_is_one_delivery(db: Database, tmp_path: Path) -> None:
    _seed_two_stories(db)
    handler = ScriptedHandler(replies=["451 4.3.0 Try again later", "250 OK"])
    sleeps: list[float] = []
    with smtp_server(handler) as srv:
        config = make_config(tmp_path, smtp_port=srv.port, smtp={"retry_base_s": 0.5})
        out = run_digest(config, db, "daily", "send", now=T0 + hours(3), sleep=sleeps.append)
    assert out.status == "sent"
    assert out.attempts == 2
    assert handler.data_calls == 2
    assert len(handler.received) == 1
    assert sleeps == [0.5]
    with db.session() as s:
        rows = s.scalars(select(Delivery).order_by(Delivery.id)).all()
        assert [(d.outcome, d.smtp_code) for d in rows] == [("temporary", 451), ("accepted", 250)]
        assert s.scalar(select(func.count(Digest.id))) == 1


def test_permanent_failure_is_recorded_and_items_go_in_next_digest(
    db: Database, tmp_path: Path
) -> None:
    ids = _seed_two_stories(db)
    handler = ScriptedHandler(replies=["550 5.7.1 Message rejected"])
    with smtp_server(handler) as srv:
        config = make_config(tmp_path, smtp_port=srv.port)
        failed = run_digest(config, db, "daily", "send", now=T0 + hours(3))
        assert failed.status == "failed"
        assert "550" in (failed.error or "")
        assert handler.data_calls == 1  # a 5xx is not retried
        with db.session() as s:
            late_id = Archive(s).item("Reuters Feed", "Follow-up report", at=T0 + hours(4)).id
            assert s.get(RecipientState, "daily").last_digest_id is None  # type: ignore[union-attr]
        handler.replies = ["250 OK"]
        handler.data_calls = 0
        ok = run_digest(config, db, "daily", "send", now=T0 + hours(5))
    assert ok.status == "sent"
    assert ok.resumed == ()
    assert _carried(db, ok.digest_id) == {*ids.values(), late_id}
    assert len(handler.received) == 1
    with db.session() as s:
        first = s.get(Digest, failed.digest_id)
        assert first is not None
        assert first.status == "failed"
        rows = s.scalars(select(Delivery).where(Delivery.digest_id == failed.digest_id)).all()
        assert [(d.outcome, d.smtp_code) for d in rows] == [("permanent", 550)]
    body = text_part(handler.received[0])
    assert "Iran and Russia sign" in body
    assert "Follow-up report" in body


class Crash(RuntimeError):
    pass


def _crash_at(stage: str):  # type: ignore[no-untyped-def]
    def hook(current: str, digest_id: int) -> None:
        if current == stage:
            raise Crash(f"simulated crash at {stage} of digest {digest_id}")

    return hook


def test_crash_between_render_and_send_loses_nothing(db: Database, tmp_path: Path) -> None:
    ids = _seed_two_stories(db)
    with smtp_server() as srv:
        config = make_config(tmp_path, smtp_port=srv.port)
        with pytest.raises(Crash):
            run_digest(
                config, db, "daily", "send", now=T0 + hours(3), on_stage=_crash_at("rendered")
            )
        assert srv.handler.received == []
        with db.session() as s:
            late_id = Archive(s).item("Reuters Feed", "Later report", at=T0 + hours(4)).id
        out = run_digest(config, db, "daily", "send", now=T0 + hours(5))
        again = run_digest(config, db, "daily", "send", now=T0 + hours(6))
    assert out.status == "sent"
    assert len(out.resumed) == 1
    assert again.status == "empty"
    resumed_id = out.resumed[0]
    assert _carried(db, resumed_id) == set(ids.values())
    assert _carried(db, out.digest_id) == {late_id}
    assert len(srv.handler.received) == 2
    with db.session() as s:
        statuses = s.scalars(select(Digest.status).order_by(Digest.id)).all()
        assert statuses == ["sent", "sent"]


def test_crash_after_accept_resends_with_same_message_id(db: Database, tmp_path: Path) -> None:
    _seed_two_stories(db)
    with smtp_server() as srv:
        config = make_config(tmp_path, smtp_port=srv.port)
        with pytest.raises(Crash):
            run_digest(
                config, db, "daily", "send", now=T0 + hours(3), on_stage=_crash_at("accepted")
            )
        with db.session() as s:
            assert s.scalars(select(Digest.status)).all() == ["sending"]
        out = run_digest(config, db, "daily", "send", now=T0 + hours(4))
    assert out.status == "empty"
    assert len(out.resumed) == 1
    first, second = srv.handler.received
    assert first["Message-ID"] == second["Message-ID"]
    assert srv.handler.raw[0] == srv.handler.raw[1]  # the same message, byte for byte


def test_unreachable_server_defers_and_next_run_delivers(db: Database, tmp_path: Path) -> None:
    _seed_two_stories(db)
    port = free_port()  # nothing listens here yet
    config = make_config(tmp_path, smtp_port=port, smtp={"max_attempts": 2})
    out = run_digest(config, db, "daily", "send", now=T0 + hours(3), sleep=lambda s: None)
    assert out.status == "deferred"
    assert out.attempts == 2
    with db.session() as s:
        assert s.scalars(select(Digest.status)).all() == ["sending"]
        outcomes = s.scalars(select(Delivery.outcome)).all()
        assert outcomes == ["error", "error"]
    with smtp_server() as srv:
        config = make_config(tmp_path, smtp_port=srv.port)
        later = run_digest(config, db, "daily", "send", now=T0 + hours(4))
    assert later.resumed == (out.digest_id,)
    assert len(srv.handler.received) == 1
    assert srv.handler.received[0]["Message-ID"] == out.message_id


def test_filters_select_pending_items(db: Database, tmp_path: Path) -> None:
    with db.session() as s:
        a = Archive(s)
        a.item("A Wire", "Nuclear talks resume", themes=("nuclear",), score=0.9)
        a.item("B Wire", "Low score nuclear note", themes=("nuclear",), score=0.2)
        a.item("C Wire", "Военные учения", language="ru", themes=("military",), score=0.9)
        a.item("D Wire", "Not relevant", relevant=False, themes=("nuclear",))
        a.item("E Wire", "Before the window", themes=("nuclear",), at=T0 - hours(24 * 40))
    with smtp_server() as srv:
        config = make_config(
            tmp_path,
            smtp_port=srv.port,
            recipients=[
                {
                    "name": "nuclear",
                    "address": "n@example.org",
                    "filters": {"themes": ["nuclear"], "languages": ["en"], "min_score": 0.5},
                },
                {"name": "russian", "address": "r@example.org", "filters": {"languages": ["ru"]}},
            ],
        )
        n = run_digest(config, db, "nuclear", "send", now=T0 + hours(1))
        r = run_digest(config, db, "russian", "send", now=T0 + hours(1))
    assert n.item_count == 1
    assert r.item_count == 1
    by_to = {m["To"]: text_part(m) for m in srv.handler.received}
    assert "Nuclear talks resume" in by_to["n@example.org"]
    assert "Low score" not in by_to["n@example.org"]
    assert "Военные учения" in by_to["r@example.org"]
    assert not re.search("Not relevant|Before the window", "".join(by_to.values()))
