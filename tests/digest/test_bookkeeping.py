"""After the server's 250: bookkeeping that survives a locked archive and a kill, a CLI that says
what it resent, and a Subject that keeps its spaces."""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import event, select

from monitor.cli import cli
from monitor.db.engine import Database, create_db_engine
from monitor.db.models import Delivery, Digest
from monitor.digest.message import compose
from monitor.digest.service import run_digest
from tests.digest.support import T0, Archive, ScriptedHandler, hours, make_config, smtp_server

NOW = T0 + hours(3)


class LockingHandler(ScriptedHandler):
    """Accepts every message, but first takes the archive's write lock (as a crawl batch or
    VACUUM would) and keeps it for ``hold_s`` seconds, or until :meth:`release`."""

    def __init__(self, db_file: Path, hold_s: float | None) -> None:
        super().__init__()
        self.db_file = db_file
        self.hold_s = 0.0  # answer at once
        self.lock_for = hold_s
        self.conn: sqlite3.Connection | None = None
        self.locked = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        conn = sqlite3.connect(self.db_file, isolation_level=None, check_same_thread=False)
        conn.execute("BEGIN IMMEDIATE")
        self.conn = conn
        self.locked.set()
        if self.lock_for is not None:
            threading.Timer(self.lock_for, self.release).start()
        return await super().handle_DATA(server, session, envelope)

    def release(self) -> None:
        if self.conn is not None:
            self.conn.execute("ROLLBACK")
            self.conn.close()
            self.conn = None


def _seed(db: Database) -> None:
    with db.session() as s:
        a = Archive(s)
        a.item("Tass Wire", "Iran and Russia sign energy accord", themes=("economy",))
        a.item("IRNA Daily", "Rail corridor agreement", themes=("economy",), at=T0 + hours(1))


def _impatient(db_file: Path) -> Database:
    """The same archive with a busy timeout of 0.2 s instead of 30 s (a shorter wait that is
    otherwise the same as a lock held for longer than 30 s)."""
    engine = create_db_engine(f"sqlite:///{db_file}")

    @event.listens_for(engine, "connect")
    def _short(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.execute("PRAGMA busy_timeout=200")

    return Database(engine)


def test_archive_locked_after_the_servers_250_is_waited_for(
    sqlite_db: Database, tmp_path: Path
) -> None:
    _seed(sqlite_db)
    db_file = tmp_path / "archive.db"
    impatient = _impatient(db_file)
    handler = LockingHandler(db_file, hold_s=2.0)
    try:
        with smtp_server(handler) as srv:
            config = make_config(tmp_path, smtp_port=srv.port)
            started = time.monotonic()
            out = run_digest(config, impatient, "daily", "send", now=NOW)
            waited = time.monotonic() - started
    finally:
        handler.release()
        impatient.close()
    assert handler.locked.is_set()
    assert out.status == "sent"
    assert waited >= 1.5  # it waited for the lock instead of dying with "database is locked"
    assert len(handler.received) == 1
    with sqlite_db.session() as s:
        assert s.scalars(select(Digest.status)).all() == ["sent"]
        assert [(d.outcome, d.smtp_code) for d in s.scalars(select(Delivery))] == [
            ("accepted", 250)
        ]
    assert not list((tmp_path / "data" / "mail").rglob("*.accepted"))  # the note is gone


def _config_dir(tmp_path: Path, database_url: str, smtp_port: int) -> Path:
    cdir = tmp_path / "config"
    cdir.mkdir(exist_ok=True)
    settings = {
        "database_url": database_url,
        "data_dir": str(tmp_path / "data"),
        "outbox_dir": str(tmp_path / "outbox"),
        "smtp": {
            "host": "127.0.0.1",
            "port": smtp_port,
            "security": "none",
            "from_address": "monitor@example.org",
            "max_attempts": 1,
        },
        "recipients": [{"name": "daily", "address": "reader@example.org", "backfill_days": 30}],
    }
    (cdir / "monitor.yaml").write_text(yaml.safe_dump(settings))
    return cdir


@pytest.mark.slow
def test_killed_after_the_servers_250_is_not_sent_twice(
    sqlite_db: Database, tmp_path: Path
) -> None:
    """kill -9 while the archive is locked after the server accepted: the next run records the
    digest as sent and the reader gets it once."""
    _seed(sqlite_db)
    db_file = tmp_path / "archive.db"
    handler = LockingHandler(db_file, hold_s=None)
    try:
        with smtp_server(handler) as srv:
            cdir = _config_dir(tmp_path, f"sqlite:///{db_file}", srv.port)
            argv = [sys.executable, "-m", "monitor", "--config", str(cdir), "digest", "--send"]
            proc = subprocess.Popen(
                [*argv, "--now", NOW.isoformat()],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            try:
                assert handler.locked.wait(60), proc.stderr.read() if proc.stderr else ""
                deadline = time.monotonic() + 3
                mail = tmp_path / "data" / "mail"
                while time.monotonic() < deadline and not list(mail.rglob("*.accepted")):
                    time.sleep(0.05)
                time.sleep(0.3)  # the child now waits for the archive's lock
            finally:
                proc.send_signal(signal.SIGKILL)
                proc.communicate(timeout=30)
            handler.release()
            assert len(handler.received) == 1
            with sqlite_db.session() as s:
                assert s.scalars(select(Digest.status)).all() == ["sending"]
            result = CliRunner().invoke(
                cli,
                ["--config", str(cdir), "digest", "--send", "--now", (NOW + hours(1)).isoformat()],
            )
    finally:
        handler.release()
    assert result.exit_code == 0, result.output
    assert len(handler.received) == 1  # not sent again
    assert "recorded as sent" in result.output
    with sqlite_db.session() as s:
        assert s.scalars(select(Digest.status)).all() == ["sent"]
        assert [d.outcome for d in s.scalars(select(Delivery))] == ["accepted"]


class Crash(RuntimeError):
    pass


def _crash_at(stage: str):  # type: ignore[no-untyped-def]
    def hook(current: str, digest_id: int) -> None:
        if current == stage:
            raise Crash(stage)

    return hook


def test_the_cli_says_which_unfinished_digest_it_resent(db: Database, tmp_path: Path) -> None:
    _seed(db)
    with smtp_server() as srv:
        config = make_config(tmp_path, smtp_port=srv.port)
        with pytest.raises(Crash):
            run_digest(config, db, "daily", "send", now=NOW, on_stage=_crash_at("sending"))
        with db.session() as s:
            digest_id = s.scalars(select(Digest.id)).one()
        url = db.engine.url.render_as_string(hide_password=False)
        cdir = _config_dir(tmp_path, url, srv.port)
        later = (NOW + hours(1)).isoformat()
        result = CliRunner().invoke(
            cli, ["--config", str(cdir), "digest", "--send", "--now", later]
        )
    assert result.exit_code == 0, result.output
    assert len(srv.handler.received) == 1
    # nothing new after it, yet the output says what was sent
    assert f"resent unfinished digest(s) {digest_id}" in result.output
    assert "nothing new" in result.output


@pytest.mark.parametrize("stage", ["accepted", "noted"])
def test_a_crash_after_the_250_resends_only_without_the_note(
    db: Database, tmp_path: Path, stage: str
) -> None:
    _seed(db)
    with smtp_server() as srv:
        config = make_config(tmp_path, smtp_port=srv.port)
        with pytest.raises(Crash):
            run_digest(config, db, "daily", "send", now=NOW, on_stage=_crash_at(stage))
        out = run_digest(config, db, "daily", "send", now=NOW + hours(1))
    assert out.status == "empty"
    if stage == "accepted":  # died before the note: resent, same Message-ID
        assert len(out.resumed) == 1
        assert len(srv.handler.received) == 2
        assert srv.handler.raw[0] == srv.handler.raw[1]
    else:  # the note was on disk: recorded, not resent
        assert out.resumed == ()
        assert len(out.recovered) == 1
        assert len(srv.handler.received) == 1
    with db.session() as s:
        assert s.scalars(select(Digest.status)).all() == ["sent"]


WORDS = (
    "Iran Russia Иран Россия ایران روسیه · — 3 stories мая توافق Moscow Тегеран соглашение о و"
).split()


def _subjects() -> list[str]:
    rng = random.Random(1)  # fixed: the same subjects on every run
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 25))) for _ in range(300)]


def test_subject_keeps_the_spaces_between_encoded_words() -> None:
    for subject in [
        "Moscow Тегеран روسیه توافق توافق Иран соглашение و Россия روسیه",
        "соглашение و Тегеран — و соглашение — و",
        *_subjects(),
    ]:
        msg = compose(
            subject=subject,
            text="x",
            html=None,
            from_address="monitor@example.org",
            from_name="Monitor",
            to_address="reader@example.org",
            message_id="<a@example.org>",
            date=datetime(2024, 5, 1, tzinfo=UTC),
        )
        raw = msg.as_bytes()
        head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
        assert all(len(line) <= 78 for line in head.split("\r\n")), head
        folded = head.split("Subject: ", 1)[1].split("\r\nFrom:", 1)[0]
        # decoded strictly by RFC 2047: white space between encoded words is not text
        assert str(make_header(decode_header(folded))) == subject, folded
        assert message_from_bytes(raw, policy=policy.default)["Subject"] == subject
