"""Apprise channels against a real HTTP receiver on 127.0.0.1 (no mocks)."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.channels.apprise_send import channel_url, classify, redact, send_apprise
from monitor.channels.outbox import Target, deliver
from monitor.channels.outcome import ACCEPTED, ERROR, PERMANENT, TEMPORARY
from monitor.config import AppriseSettings, ChannelConfig
from monitor.db import sends as q
from monitor.db.engine import Database
from monitor.errors import MonitorError
from tests.channels.receiver import http_receiver

FAST = AppriseSettings(timeout_s=1, max_attempts=3, retry_base_s=0.01)


def _send(url: str, **kw: object):  # type: ignore[no-untyped-def]
    return send_apprise(url, title="Tïtle", body="Body ایران", settings=FAST, **kw)  # type: ignore[arg-type]


def test_accepted_carries_title_body_and_message_id() -> None:
    with http_receiver() as rx:
        result = _send(rx.url(), message_id="<alert.1@example.org>")
    assert result.accepted
    assert len(result.attempts) == 1
    (got,) = rx.requests
    assert got.body["title"] == "Tïtle"
    assert got.body["message"] == "Body ایران"
    assert got.headers["X-Message-ID"] == "<alert.1@example.org>"


def test_5xx_then_2xx_is_retried_and_accepted_once() -> None:
    with http_receiver([(503, 0), (502, 0), (200, 0)]) as rx:
        result = _send(rx.url())
    assert [a.outcome for a in result.attempts] == [TEMPORARY, TEMPORARY, ACCEPTED]
    assert [a.code for a in result.attempts[:2]] == [503, 502]
    assert len(rx.accepted()) == 1


def test_4xx_is_permanent_and_not_retried() -> None:
    with http_receiver([(400, 0), (200, 0)]) as rx:
        result = _send(rx.url())
    assert [a.outcome for a in result.attempts] == [PERMANENT]
    assert result.attempts[0].code == 400
    assert len(rx.requests) == 1


def test_429_is_temporary() -> None:
    with http_receiver([(429, 0), (200, 0)]) as rx:
        result = _send(rx.url())
    assert [a.outcome for a in result.attempts] == [TEMPORARY, ACCEPTED]


def test_slow_answer_within_the_timeout_is_accepted() -> None:
    with http_receiver([(200, 0.4)]) as rx:
        result = _send(rx.url())
    assert result.accepted
    assert len(rx.requests) == 1


def test_answer_slower_than_the_timeout_is_an_error_then_retried() -> None:
    # the receiver took the first copy but answered too late: the sender cannot know, so it
    # tries again; the receiver can drop the second copy by its X-Message-ID
    with http_receiver([(200, 2.5), (200, 0)]) as rx:
        result = _send(rx.url(), message_id="<m@x>")
    assert [a.outcome for a in result.attempts] == [ERROR, ACCEPTED]
    assert {r.headers["X-Message-ID"] for r in rx.requests} == {"<m@x>"}


def test_nobody_listening_is_an_error_each_attempt() -> None:
    with http_receiver() as rx:
        port = rx.port
    result = _send(f"json://127.0.0.1:{port}/hook")
    assert [a.outcome for a in result.attempts] == [ERROR] * 3


def test_unknown_scheme_is_permanent() -> None:
    result = _send("nosuchservice://x/y")
    assert [a.outcome for a in result.attempts] == [PERMANENT]


def test_url_only_from_the_environment() -> None:
    channel = ChannelConfig(name="ops", url_env="MONITOR_CHANNEL_OPS")
    assert channel_url(channel, {"MONITOR_CHANNEL_OPS": " json://h/p "}) == "json://h/p"
    with pytest.raises(MonitorError, match="MONITOR_CHANNEL_OPS is not set"):
        channel_url(channel, {})


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["Failed to send JSON POST notification: Bad Request, error=400."], (PERMANENT, 400)),
        (["Failed …: Servers are overloaded., error=503."], (TEMPORARY, 503)),
        (["A Connection error occurred sending JSON notification to 127.0.0.1."], (ERROR, None)),
    ],
)
def test_classify(lines: list[str], expected: tuple[str, int | None]) -> None:
    assert classify(lines)[:2] == expected


def test_redact_hides_tokens() -> None:
    assert "SECRET" not in redact("slack://T1/B2/SECRETTOKEN")
    assert "pw" not in redact("json://user:pw@hooks.example.org/x")


# --------------------------------------------------------------------------- the outbox


def _targets(url: str, message_id: str = "<m@x>") -> list[Target]:
    def send(report):  # type: ignore[no-untyped-def]
        return send_apprise(
            url, title="t", body="b", settings=FAST, message_id=message_id, on_attempt=report
        )

    return [Target("channel:hook", send)]


def _states(db: Database, ref: int) -> dict[str, tuple[str, int]]:
    with db.session() as s:
        return {r.target: (r.status, r.attempts) for r in q.sends_of(s, "alert", ref)}


def test_outbox_sends_once_and_never_again(db: Database, tmp_path: Path) -> None:
    with db.session() as s:
        q.ensure_sends(s, "alert", 7, ["channel:hook"])
    with http_receiver([(503, 0), (200, 0)]) as rx:
        first = deliver(db, kind="alert", ref_id=7, targets=_targets(rx.url()), note_dir=tmp_path)
        again = deliver(db, kind="alert", ref_id=7, targets=_targets(rx.url()), note_dir=tmp_path)
    assert [o.status for o in first] == ["sent"]
    assert [o.status for o in again] == ["done"]
    assert len(rx.accepted()) == 1
    assert _states(db, 7) == {"channel:hook": ("sent", 2)}
    assert not list(tmp_path.glob("*.accepted"))


def test_outbox_stopped_after_the_note_never_resends(db: Database, tmp_path: Path) -> None:
    with db.session() as s:
        q.ensure_sends(s, "alert", 8, ["channel:hook"])

    def stop(stage: str, target: str) -> None:
        if stage == "noted":
            raise KeyboardInterrupt

    with http_receiver() as rx:
        with pytest.raises(KeyboardInterrupt):
            deliver(
                db,
                kind="alert",
                ref_id=8,
                targets=_targets(rx.url()),
                note_dir=tmp_path,
                on_stage=stop,
            )
        assert _states(db, 8) == {"channel:hook": ("pending", 0)}
        again = deliver(db, kind="alert", ref_id=8, targets=_targets(rx.url()), note_dir=tmp_path)
    assert [o.status for o in again] == ["recovered"]
    assert len(rx.requests) == 1
    assert _states(db, 8)["channel:hook"][0] == "sent"


def test_outbox_stopped_before_acceptance_resends_once(db: Database, tmp_path: Path) -> None:
    with db.session() as s:
        q.ensure_sends(s, "alert", 9, ["channel:hook"])

    def stop(stage: str, target: str) -> None:
        if stage == "accepted":
            raise KeyboardInterrupt

    with http_receiver() as rx:
        with pytest.raises(KeyboardInterrupt):
            deliver(
                db,
                kind="alert",
                ref_id=9,
                targets=_targets(rx.url()),
                note_dir=tmp_path,
                on_stage=stop,
            )
        deliver(db, kind="alert", ref_id=9, targets=_targets(rx.url()), note_dir=tmp_path)
        deliver(db, kind="alert", ref_id=9, targets=_targets(rx.url()), note_dir=tmp_path)
    assert len(rx.requests) == 2  # the unknown first one, then exactly one resend
    assert _states(db, 9)["channel:hook"][0] == "sent"


def test_outbox_permanent_failure_is_final(db: Database, tmp_path: Path) -> None:
    with db.session() as s:
        q.ensure_sends(s, "alert", 10, ["channel:hook"])
    with http_receiver([(404, 0)]) as rx:
        first = deliver(db, kind="alert", ref_id=10, targets=_targets(rx.url()), note_dir=tmp_path)
        deliver(db, kind="alert", ref_id=10, targets=_targets(rx.url()), note_dir=tmp_path)
    assert first[0].status == "failed"
    assert "404" in (first[0].error or "")
    assert len(rx.requests) == 1
