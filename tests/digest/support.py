"""Digest test support: a real SMTP server (aiosmtpd) on loopback, config and archive rows.

The SMTP handler answers DATA from a script of replies ("451 …", "550 …", "250 OK"); the last
reply repeats. Every message the server accepted is kept, parsed with the ``email`` package.
"""

from __future__ import annotations

import asyncio
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy.orm import Session

from monitor.config import AppConfig, RecipientConfig, Settings
from monitor.db.models import Item, ItemTag, Source, Story
from monitor.paths import shipped_config_dir

T0 = datetime(2024, 5, 1, 6, 0, tzinfo=UTC)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ScriptedHandler:
    """aiosmtpd handler: DATA replies follow ``replies``; accepted messages are kept."""

    replies: list[str] = field(default_factory=lambda: ["250 OK"])
    received: list[EmailMessage] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)
    seen: list[bytes] = field(default_factory=list)  # every DATA, whatever the reply
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    data_calls: int = 0
    got_data: threading.Event = field(default_factory=threading.Event)
    hold_s: float = 0.0  # wait this long before answering (a server that is slow to confirm)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        index = min(self.data_calls, len(self.replies) - 1)
        self.data_calls += 1
        reply = self.replies[index]
        content = bytes(envelope.original_content or envelope.content)
        self.seen.append(content)
        self.got_data.set()
        if self.hold_s:
            await asyncio.sleep(self.hold_s)
        if reply.startswith("250"):
            self.raw.append(content)
            self.received.append(message_from_bytes(content, policy=policy.default))  # type: ignore[arg-type]
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return reply


@dataclass
class SmtpServer:
    host: str
    port: int
    handler: ScriptedHandler


class _Authenticator:
    def __init__(self, username: str, password: str) -> None:
        self.username, self.password = username.encode(), password.encode()

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login == self.username
            and data.password == self.password
        )
        return AuthResult(success=ok, handled=False)


@contextmanager
def smtp_server(
    handler: ScriptedHandler | None = None,
    *,
    tls_context: Any = None,
    implicit_tls: bool = False,
    login: tuple[str, str] | None = None,
) -> Iterator[SmtpServer]:
    handler = handler or ScriptedHandler()
    port = free_port()
    kwargs: dict[str, Any] = {}
    if tls_context is not None and implicit_tls:
        kwargs["ssl_context"] = tls_context
    elif tls_context is not None:
        kwargs["tls_context"] = tls_context
        kwargs["require_starttls"] = True
    if login is not None:
        kwargs["authenticator"] = _Authenticator(*login)
        kwargs["auth_required"] = True
        # with implicit TLS aiosmtpd does not see the connection as TLS, so only STARTTLS
        # servers can insist on it before AUTH
        kwargs["auth_require_tls"] = tls_context is not None and not implicit_tls
    controller = Controller(handler, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, handler)
    finally:
        controller.stop()


def make_config(
    tmp_path: Path,
    *,
    smtp_port: int = 25,
    recipients: list[dict[str, Any]] | None = None,
    smtp: dict[str, Any] | None = None,
    digest: dict[str, Any] | None = None,
    database_url: str | None = None,
) -> AppConfig:
    recipients = (
        recipients
        if recipients is not None
        else [{"name": "daily", "address": "reader@example.org"}]
    )
    settings = Settings.model_validate(
        {
            "database_url": database_url,
            "topic": str(shipped_config_dir() / "topics" / "iran-russia.yaml"),  # absolute
            "data_dir": str(tmp_path / "data"),
            "outbox_dir": str(tmp_path / "outbox"),
            "smtp": {
                "host": "127.0.0.1",
                "port": smtp_port,
                "security": "none",
                "from_address": "monitor@example.org",
                "retry_base_s": 0.01,
                "max_attempts": 3,
                "timeout_s": 10,
                **(smtp or {}),
            },
            "digest": digest or {},
            "recipients": [{"backfill_days": 30, **r} for r in recipients],
        }
    )
    return AppConfig(config_dir=tmp_path / "config", settings=settings)


def recipient(config: AppConfig, name: str = "daily") -> RecipientConfig:
    return next(r for r in config.settings.recipients if r.name == name)


class Archive:
    """Writes sources, items, stories and tags straight through the ORM."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.sources: dict[str, Source] = {}
        self._n = 0

    def source(self, name: str, language: str = "en") -> Source:
        if name not in self.sources:
            src = Source(
                name=name,
                url=f"https://{len(self.sources)}.example.net/feed",
                kind="rss",
                language=language,
            )
            self.session.add(src)
            self.session.flush()
            self.sources[name] = src
        return self.sources[name]

    def story(self, title: str, at: datetime = T0) -> Story:
        story = Story(title=title, first_seen_at=at, last_item_at=at)
        self.session.add(story)
        self.session.flush()
        return story

    def item(
        self,
        outlet: str,
        title: str,
        *,
        url: str | None = None,
        language: str = "en",
        summary: str = "",
        at: datetime = T0,
        story: Story | None = None,
        role: str = "lead",
        themes: tuple[str, ...] = (),
        figures: tuple[str, ...] = (),
        relevant: bool = True,
        score: float = 0.8,
    ) -> Item:
        self._n += 1
        src = self.source(outlet, language)
        host = re.sub(r"[^a-z0-9]+", "-", outlet.lower()).strip("-")
        url = url or f"https://{host}.example.net/news/{self._n}"
        item = Item(
            source_id=src.id,
            entry_key=f"{self._n:064x}",
            url=url,
            canonical_url=url,
            title=title,
            summary=summary,
            language=language,
            declared_language=language,
            published_at=at,
            first_seen_at=at,
            relevant=relevant,
            score=score,
            story_id=story.id if story else None,
            story_role=role if story else None,
        )
        self.session.add(item)
        self.session.flush()
        for t in themes:
            self.session.add(ItemTag(item_id=item.id, kind="theme", value=t, evidence=[]))
        for f in figures:
            self.session.add(ItemTag(item_id=item.id, kind="figure", value=f, evidence=[]))
        if story is not None:
            if role == "lead" and story.lead_item_id is None:
                story.lead_item_id = item.id
            story.item_count += 1
            story.last_item_at = max(story.last_item_at, at)
        self.session.flush()
        return item


def html_part(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def text_part(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def hours(n: float) -> timedelta:
    return timedelta(hours=n)
