"""Running one recipient's digest: preview, dry run, or send with delivery guarantees.

Guarantees (``mode="send"``):

* **Never a gap.** An item is pending for a recipient until a digest carrying it has been accepted
  by the mail server. Rendering, a 4xx/5xx answer, a crash or a kill change nothing about that: the
  next digest carries every item that is still pending (``monitor.db.digests`` has the query).
* **Never twice.** A digest is marked ``sent`` only after the server accepted it (250 to DATA);
  once sent, its items are never pending for that recipient again. One run per recipient at a time
  (a lock file under ``data_dir/locks``).
* **Crash safety.** Before any SMTP traffic the digest row, its items (``digest_items``) and its exact
  message (``data_dir/mail/…/<id>.eml``) are committed with status ``rendered``, then ``sending``.
  A run that finds a digest of the recipient still ``rendered`` or ``sending`` sends that same
  message again first, with its original Message-ID, then builds a new digest for what is left.
  The moment the server accepts a message, a note is written and synced next to it
  (``mail/<recipient>/<id>.accepted``); the archive is then updated, retried for up to ten minutes
  while another process holds its write lock (a crawl batch, ``VACUUM``). A run that finds a note
  for an unfinished digest records it as sent without sending it again. Only if the process
  stopped in the few milliseconds between the server's 250 and the note does the recipient get
  the message twice, with the same Message-ID (mail clients and archives that de-duplicate by
  Message-ID show it once): at-least-once, rather than risk losing a digest.
* A permanent failure (5xx) is recorded (``deliveries``), the digest becomes ``failed`` and its items
  stay pending; a temporary one (4xx, connection error) is retried with back-off first.

``on_stage(stage, digest_id)`` is called after each step: ``"rendered"`` and ``"sending"``
(committed), ``"accepted"`` (the server accepted; nothing noted yet) and ``"noted"`` (the note is
on disk; the archive not yet updated). Tests raise from it to simulate a crash at exactly that
point.
"""

from __future__ import annotations

import fcntl
import json
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from monitor.channels.outbox import TargetOutcome
from monitor.channels.outbox import deliver as deliver_targets
from monitor.channels.targets import channel_keys, channel_targets
from monitor.config import AppConfig, RecipientConfig
from monitor.db import digests as q
from monitor.db.engine import Database
from monitor.db.models import Digest
from monitor.db.read.digests import list_digests
from monitor.db.read.items import matching_ids
from monitor.db.retry import retry_locked
from monitor.db.sends import FAILED as FAILED_TARGET
from monitor.db.sends import SENT as SENT_TARGET
from monitor.db.sends import ensure_sends, pending_digest_sends, sends_of
from monitor.digest.build import DigestPlan, ThemeSections, plan_digest
from monitor.digest.message import (
    build_subject,
    compose,
    list_label,
    new_message_id,
    unsubscribe_url,
)
from monitor.digest.render import DigestRenderer, IndexEntry, renderer_for
from monitor.digest.site import (
    accepted_note_path,
    digest_paths,
    lock_dir,
    outbox_paths,
    public_index_url,
    public_page_url,
    site_dir,
    slug,
    write_atomic,
    write_durable,
)
from monitor.digest.smtp import ACCEPTED, ERROR, Attempt, deliver
from monitor.digest.subscriptions import digest_recipients
from monitor.digest.text import local_date
from monitor.errors import MonitorError, NotFoundError
from monitor.paths import templates_dir
from monitor.query import parse_query
from monitor.relevance.topic import load_topic
from monitor.templating import override_dir

log = logging.getLogger(__name__)

Mode = Literal["preview", "dry_run", "send"]
PREVIEW = "preview"  # the status of a recorded preview or dry run
StageHook = Callable[[str, int], None]


@dataclass(frozen=True)
class DigestOutcome:
    """What one run did for one recipient.

    ``status``: ``previewed`` (preview/dry run files written), ``empty`` (nothing pending and
    ``skip_empty``), ``sent``, ``failed`` (rejected; items stay pending) or ``deferred`` (the
    server could not be reached or the outcome is unknown; the same message is resent next run).
    """

    recipient: str
    mode: Mode
    status: str
    subject: str = ""
    story_count: int = 0
    item_count: int = 0
    digest_id: int | None = None
    message_id: str | None = None
    html_path: Path | None = None
    text_path: Path | None = None
    eml_path: Path | None = None
    attempts: int = 0
    error: str | None = None
    resumed: tuple[int, ...] = ()  # unfinished digests sent again first
    recovered: tuple[int, ...] = ()  # unfinished digests the server had accepted: recorded as sent
    channels: tuple[TargetOutcome, ...] = ()  # Apprise channels of this and earlier digests

    @property
    def ok(self) -> bool:
        return self.status in ("previewed", "empty", "sent")


def find_recipients(
    config: AppConfig, name: str | None = None, db: Database | None = None
) -> list[RecipientConfig]:
    """The named recipient, or every one: configured recipients and (given the archive) saved
    searches subscribed to a digest (``search:NAME``)."""
    recipients = (
        digest_recipients(config, db) if db is not None else list(config.settings.recipients)
    )
    if not recipients:
        raise MonitorError(
            "digest: no recipients configured; add one under 'recipients:' in monitor.yaml "
            "(see README 'Recipients')"
        )
    if name is None:
        return recipients
    for r in recipients:
        if r.name == name:
            return [r]
    known_names = ", ".join(r.name for r in recipients)
    raise NotFoundError(f"digest: unknown recipient {name!r}; configured: {known_names}")


def _renderer(config: AppConfig) -> DigestRenderer:
    return renderer_for(templates_dir(), override_dir(config.config_dir))


@contextmanager
def _recipient_lock(config: AppConfig, recipient: str) -> Iterator[None]:
    path = lock_dir(config) / f"digest-{slug(recipient)}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise MonitorError(
                f"digest: another digest run for recipient {recipient!r} is in progress; "
                "wait for it to finish"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def theme_sections(config: AppConfig) -> ThemeSections:
    """The digest sections of the configured topic's themes (none without a topic file)."""
    if not config.topic_path.exists():
        return ThemeSections()
    return ThemeSections.from_topic(load_topic(config.topic_path))


def _plan(
    session: Session, config: AppConfig, rcpt: RecipientConfig, since: datetime, now: datetime
) -> DigestPlan:
    last = q.last_sent_digest(session, rcpt.name)
    period_start = last.period_end if last is not None else since
    f = rcpt.filters
    pending = q.pending_items(
        session,
        rcpt.name,
        since=since,
        until=now,
        filters=q.ItemFilter(tuple(f.themes), tuple(f.languages), f.min_score),
    )
    if rcpt.query:
        # the archive search's own rules (index, stems, operators), as in `monitor search`
        wanted = matching_ids(session, parse_query(rcpt.query), [i.id for i in pending])
        pending = [i for i in pending if i.id in wanted]
    return plan_digest(
        session,
        title=config.settings.digest.title,
        settings=config.settings.digest,
        recipient=rcpt,
        pending=pending,
        period_start=period_start,
        period_end=now,
        themes=theme_sections(config),
    )


def _message_bytes(
    config: AppConfig,
    renderer: DigestRenderer,
    plan: DigestPlan,
    rcpt: RecipientConfig,
    *,
    subject: str,
    message_id: str,
    date: datetime,
    digest_id: int | None = None,
) -> tuple[str, str, bytes]:
    """``(html, text, message bytes)`` for a plan; a stored digest (``digest_id``) links to its
    published page when ``digest.public_url`` is set."""
    view = plan.view
    if digest_id is not None:
        view = replace(view, view_url=public_page_url(config, rcpt.name, digest_id))
    html = renderer.email_html(view, subject=subject)
    text = renderer.text(view)
    smtp = config.settings.smtp
    digest = config.settings.digest
    msg = compose(
        subject=subject,
        text=text,
        html=html if rcpt.format == "html" else None,
        from_address=smtp.from_address,
        from_name=digest.title,
        to_address=rcpt.address or smtp.from_address,
        message_id=message_id,
        date=date,
        list_id=(f"{digest.title} ({rcpt.name})", list_label(rcpt.name, smtp.from_address)),
        list_unsubscribe=unsubscribe_url(
            digest.unsubscribe_address or smtp.from_address, rcpt.name
        ),
        list_archive=public_index_url(config) or None,
    )
    return html, text, msg.as_bytes()


def _since(session: Session | None, rcpt: RecipientConfig, now: datetime) -> datetime:
    state = q.recipient_state(session, rcpt.name) if session is not None else None
    if state is not None and state.tracking_since is not None:
        return state.tracking_since
    return now - timedelta(days=rcpt.backfill_days)


def _preview(
    config: AppConfig,
    db: Database,
    rcpt: RecipientConfig,
    mode: Mode,
    now: datetime,
    outbox: Path,
    *,
    record: bool = False,
) -> DigestOutcome:
    renderer = _renderer(config)
    with db.session() as s:
        plan = _plan(s, config, rcpt, _since(s, rcpt, now), now)
    if mode == "dry_run" and plan.view.empty and rcpt.skip_empty:
        return DigestOutcome(rcpt.name, mode, "empty")
    subject = build_subject(plan.view)
    message_id = new_message_id(rcpt.name, config.settings.smtp.from_address)
    html, text, raw = _message_bytes(
        config, renderer, plan, rcpt, subject=subject, message_id=message_id, date=now
    )
    html_path, text_path, eml_path = outbox_paths(outbox, rcpt.name, now)
    write_atomic(html_path, html)
    write_atomic(text_path, text)
    if mode == "dry_run":
        write_atomic(eml_path, raw)
    log.info("Digest written recipient=%s mode=%s path=%s", rcpt.name, mode, html_path)
    digest_id = None
    if record:  # listed with its page, never counted as delivered
        with db.session() as s:
            digest = q.create_digest(
                s,
                Digest(
                    recipient=rcpt.name,
                    address=rcpt.address,
                    status=PREVIEW,
                    period_start=plan.view.period_start,
                    period_end=now,
                    created_at=now,
                    message_id=message_id,
                    subject=subject,
                    story_count=plan.view.story_count,
                    item_count=plan.view.item_count,
                    html_path=str(html_path.resolve()),
                    text_path=str(text_path.resolve()),
                    eml_path=str(eml_path.resolve()) if mode == "dry_run" else None,
                ),
                plan.items,
            )
            digest_id = digest.id
    return DigestOutcome(
        rcpt.name,
        mode,
        "previewed",
        digest_id=digest_id,
        subject=subject,
        story_count=plan.view.story_count,
        item_count=plan.view.item_count,
        message_id=message_id,
        html_path=html_path,
        text_path=text_path,
        eml_path=eml_path if mode == "dry_run" else None,
    )


def _render_new(
    config: AppConfig, db: Database, rcpt: RecipientConfig, now: datetime
) -> tuple[int | None, DigestOutcome | None]:
    """Create, render and store a new digest (status ``rendered``); None when skipped as empty."""
    renderer = _renderer(config)
    with db.session() as s:
        since = _since(s, rcpt, now)
        q.ensure_recipient_state(s, rcpt.name, since)
        plan = _plan(s, config, rcpt, since, now)
        if plan.view.empty and rcpt.skip_empty:
            log.info("Digest skipped recipient=%s reason=empty", rcpt.name)
            return None, DigestOutcome(rcpt.name, "send", "empty")
        subject = build_subject(plan.view)
        digest = Digest(
            recipient=rcpt.name,
            address=rcpt.address or "",
            status="rendered",
            period_start=plan.view.period_start,
            period_end=now,
            created_at=now,
            message_id=new_message_id(rcpt.name, config.settings.smtp.from_address),
            subject=subject,
            story_count=plan.view.story_count,
            item_count=plan.view.item_count,
        )
        q.create_digest(s, digest, plan.items)
        ensure_sends(s, "digest", digest.id, channel_keys(rcpt))
        _, text, raw = _message_bytes(
            config,
            renderer,
            plan,
            rcpt,
            subject=subject,
            message_id=digest.message_id,
            date=now,
            digest_id=digest.id,
        )
        page_path, text_path, eml_path = digest_paths(config, rcpt.name, digest.id)
        page = renderer.page(plan.view, subject=subject, index_href="../index.html")
        write_atomic(page_path, page)
        write_atomic(text_path, text)
        write_atomic(eml_path, raw)
        digest.html_path, digest.text_path, digest.eml_path = (
            str(page_path),
            str(text_path),
            str(eml_path),
        )
        log.info(
            "Digest rendered recipient=%s digest=%d stories=%d items=%d",
            rcpt.name,
            digest.id,
            digest.story_count,
            digest.item_count,
        )
        return digest.id, None


def _stored_message(config: AppConfig, s: Session, digest: Digest, rcpt: RecipientConfig) -> bytes:
    """The message exactly as first rendered; rebuilt from its items if the file is gone."""
    if digest.eml_path and Path(digest.eml_path).is_file():
        return Path(digest.eml_path).read_bytes()
    log.warning("Digest message file missing digest=%d; rebuilding from its items", digest.id)
    items = q.items_by_ids(s, q.digest_item_ids(s, digest.id))
    plan = plan_digest(
        s,
        title=config.settings.digest.title,
        settings=config.settings.digest.model_copy(update={"max_stories": 10**9}),
        recipient=rcpt,
        pending=items,
        period_start=digest.period_start,
        period_end=digest.period_end,
        themes=theme_sections(config),
    )
    _, _, raw = _message_bytes(
        config,
        _renderer(config),
        plan,
        rcpt,
        subject=digest.subject,
        message_id=digest.message_id,
        date=digest.created_at,
        digest_id=digest.id,
    )
    return raw


def _note_accepted(config: AppConfig, recipient: str, digest_id: int, attempt: Attempt) -> Path:
    note = {"digest_id": digest_id, "accepted_at": attempt.at.isoformat(), "reply": attempt.message}
    return write_durable(accepted_note_path(config, recipient, digest_id), json.dumps(note))


def _noted_at(path: Path) -> datetime:
    try:
        return datetime.fromisoformat(json.loads(path.read_text(encoding="utf-8"))["accepted_at"])
    except (OSError, ValueError, KeyError, TypeError):
        return datetime.fromtimestamp(path.stat().st_mtime, UTC)


def _record_sent(db: Database, digest_id: int, at: datetime, *, delivery: bool) -> None:
    """Mark the digest sent (and, for one noted by an earlier run, add its delivery row)."""
    with db.session() as s:
        d = q.digest_row(s, digest_id)
        assert d is not None
        if delivery:
            q.record_delivery(
                s,
                digest_id,
                outcome=ACCEPTED,
                code=250,
                message="accepted (noted before the run stopped; recorded by a later run)",
                at=at,
            )
            d.attempts += 1
        q.mark_sent(s, d, at)


def _bookkeeping_failed(digest_id: int, note: Path, exc: OperationalError) -> MonitorError:
    return MonitorError(
        f"digest: the server accepted digest {digest_id} but the archive stayed locked "
        f"({exc.orig}); it is noted in {note} and the next run records it as sent "
        "without sending it again"
    )


def _send(
    config: AppConfig,
    db: Database,
    rcpt: RecipientConfig,
    digest_id: int,
    on_stage: StageHook | None,
    sleep: Callable[[float], None],
) -> DigestOutcome:
    def begin() -> tuple[bytes, str, str, str, tuple[int, int], tuple[str | None, ...]]:
        with db.session() as s:
            digest = q.digest_row(s, digest_id)
            assert digest is not None
            raw = _stored_message(config, s, digest, rcpt)
            digest.status = "sending"
            return (
                raw,
                digest.address,
                digest.subject,
                digest.message_id,
                (digest.story_count, digest.item_count),
                (digest.html_path, digest.text_path, digest.eml_path),
            )

    raw, address, subject, message_id, counts, paths = retry_locked(begin, what="digest sending")
    if on_stage:
        on_stage("sending", digest_id)
    base = DigestOutcome(
        rcpt.name,
        "send",
        "sent",
        subject=subject,
        story_count=counts[0],
        item_count=counts[1],
        digest_id=digest_id,
        message_id=message_id,
        html_path=Path(paths[0]) if paths[0] else None,
        text_path=Path(paths[1]) if paths[1] else None,
        eml_path=Path(paths[2]) if paths[2] else None,
    )
    if not address:
        return _send_channels_only(config, db, rcpt, base, sleep)
    note = accepted_note_path(config, rcpt.name, digest_id)

    def write_attempt(attempt: Attempt) -> None:
        with db.session() as s:
            q.record_delivery(
                s,
                digest_id,
                outcome=attempt.outcome,
                code=attempt.code,
                message=attempt.message,
                at=attempt.at,
            )
            d = q.digest_row(s, digest_id)
            assert d is not None
            d.attempts += 1
            if attempt.outcome != ACCEPTED:
                d.last_error = f"{attempt.code or ''} {attempt.message}".strip()

    def record(attempt: Attempt) -> None:
        if attempt.outcome == ACCEPTED:
            # first the note on disk (milliseconds), then the archive (which may be locked)
            if on_stage:
                on_stage("accepted", digest_id)
            _note_accepted(config, rcpt.name, digest_id, attempt)
            if on_stage:
                on_stage("noted", digest_id)
        try:
            retry_locked(lambda: write_attempt(attempt), what="delivery attempt")
        except OperationalError as exc:
            if attempt.outcome == ACCEPTED:
                raise _bookkeeping_failed(digest_id, note, exc) from None
            raise

    smtp = config.settings.smtp
    result = deliver(
        smtp, raw, sender=smtp.from_address, recipients=[address], on_attempt=record, sleep=sleep
    )
    last = result.last
    assert last is not None
    base = replace(base, attempts=len(result.attempts))
    if result.accepted:
        try:
            retry_locked(
                lambda: _record_sent(db, digest_id, last.at, delivery=False), what="digest sent"
            )
        except OperationalError as exc:
            raise _bookkeeping_failed(digest_id, note, exc) from None
        note.unlink(missing_ok=True)
        _update_index(config, db)
        log.info("Digest sent recipient=%s digest=%d", rcpt.name, digest_id)
        return replace(base, channels=tuple(_deliver_channels(config, db, rcpt, digest_id, sleep)))
    error = f"{last.code or ''} {last.message}".strip()
    if last.outcome == ERROR:
        # the outcome is unknown (connection lost); the same message goes out again next run
        log.warning("Digest deferred recipient=%s digest=%d error=%s", rcpt.name, digest_id, error)
        return replace(base, status="deferred", error=f"smtp: {error}; will be resent next run")

    def fail() -> None:
        with db.session() as s:
            d = q.digest_row(s, digest_id)
            assert d is not None
            d.status = "failed"

    retry_locked(fail, what="digest failed")
    log.warning("Digest failed recipient=%s digest=%d error=%s", rcpt.name, digest_id, error)
    return replace(
        base,
        status="failed",
        error=f"smtp: {error}; its items stay pending for the next digest",
    )


def _deliver_channels(
    config: AppConfig,
    db: Database,
    rcpt: RecipientConfig,
    digest_id: int,
    sleep: Callable[[float], None],
) -> list[TargetOutcome]:
    """Send the stored digest to the recipient's channels still pending (``sends`` rows)."""
    if not rcpt.channels:
        return []
    with db.session() as s:
        digest = q.digest_row(s, digest_id)
        assert digest is not None
        subject, message_id, text_path = digest.subject, digest.message_id, digest.text_path
    body = subject
    if text_path and Path(text_path).is_file():
        body = Path(text_path).read_text(encoding="utf-8")
    targets = channel_targets(
        rcpt,
        config.settings.apprise,
        title=subject,
        body=body,
        message_id=message_id,
        sleep=sleep,
    )
    note_dir = accepted_note_path(config, rcpt.name, digest_id).parent
    return deliver_targets(db, kind="digest", ref_id=digest_id, targets=targets, note_dir=note_dir)


def _send_channels_only(
    config: AppConfig,
    db: Database,
    rcpt: RecipientConfig,
    base: DigestOutcome,
    sleep: Callable[[float], None],
) -> DigestOutcome:
    """A recipient without an address: the digest counts as delivered once a channel took it
    (the others keep trying on later runs); it fails when every channel refused it for good."""
    digest_id = base.digest_id
    assert digest_id is not None
    outcomes = _deliver_channels(config, db, rcpt, digest_id, sleep)
    with db.session() as s:
        states = [row.status for row in sends_of(s, "digest", digest_id)]
    errors = "; ".join(f"{o.target}: {o.error}" for o in outcomes if o.error)
    base = replace(base, channels=tuple(outcomes), attempts=sum(o.attempts for o in outcomes))
    if SENT_TARGET in states:
        at = datetime.now(UTC)
        retry_locked(lambda: _record_sent(db, digest_id, at, delivery=False), what="digest sent")
        _update_index(config, db)
        log.info("Digest sent to channels recipient=%s digest=%d", rcpt.name, digest_id)
        return base
    if states and all(state == FAILED_TARGET for state in states):

        def fail() -> None:
            with db.session() as s:
                d = q.digest_row(s, digest_id)
                assert d is not None
                d.status, d.last_error = "failed", errors[:2000]

        retry_locked(fail, what="digest failed")
        return replace(base, status="failed", error=f"channels: {errors}; its items stay pending")
    return replace(base, status="deferred", error=f"channels: {errors}; will be resent next run")


def _resume_channels(
    config: AppConfig, db: Database, rcpt: RecipientConfig, sleep: Callable[[float], None]
) -> list[TargetOutcome]:
    """Channels of sent digests that did not take them yet (a run stopped, a service was down)."""
    with db.session() as s:
        ids = pending_digest_sends(s, rcpt.name)
    out: list[TargetOutcome] = []
    for digest_id in ids:
        out.extend(_deliver_channels(config, db, rcpt, digest_id, sleep))
    return out


def _recover_noted(config: AppConfig, db: Database, rcpt: RecipientConfig, digest_id: int) -> bool:
    """Record an unfinished digest that the server had accepted (its note exists) as sent."""
    note = accepted_note_path(config, rcpt.name, digest_id)
    if not note.is_file():
        return False
    at = _noted_at(note)
    retry_locked(lambda: _record_sent(db, digest_id, at, delivery=True), what="digest sent")
    note.unlink(missing_ok=True)
    _update_index(config, db)
    log.warning(
        "Unfinished digest had been accepted; recorded as sent recipient=%s digest=%d",
        rcpt.name,
        digest_id,
    )
    return True


def _update_index(config: AppConfig, db: Database) -> None:
    """:func:`write_index`; a failure only delays the index to the next digest."""
    try:
        write_index(config, db)
    except (OperationalError, OSError) as exc:
        log.warning("Digest site index not updated error=%s", exc)


def write_index(config: AppConfig, db: Database) -> Path:
    """Rewrite ``digests/index.html`` from the delivered digests whose page exists."""
    root = site_dir(config)
    entries: list[IndexEntry] = []
    tz_of = {r.name: r.timezone for r in config.settings.recipients}
    with db.session() as s:
        sent = list_digests(s, status="sent", limit=1000)
    for d in sent:
        if not d.html_path or not Path(d.html_path).is_file():
            continue
        try:
            href = Path(d.html_path).resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            continue
        tz = ZoneInfo(tz_of.get(d.recipient, "UTC"))
        entries.append(
            IndexEntry(
                href=href,
                date_text=local_date(d.period_end, tz),
                recipient=d.recipient,
                subject=d.subject,
                story_count=d.story_count,
                item_count=d.item_count,
            )
        )
    html = _renderer(config).index(config.settings.digest.title, entries)
    return write_atomic(root / "index.html", html)


def run_digest(
    config: AppConfig,
    db: Database,
    recipient: RecipientConfig | str,
    mode: Mode = "preview",
    now: datetime | None = None,
    *,
    outbox: Path | None = None,
    on_stage: StageHook | None = None,
    sleep: Callable[[float], None] = time.sleep,
    record: bool = False,
) -> DigestOutcome:
    """Build one recipient's digest of everything pending up to ``now`` and preview or send it.

    ``preview`` writes the HTML page and text to ``outbox`` (default: ``outbox_dir``); ``dry_run``
    adds the ``.eml``; neither changes what is pending. With ``record``, a preview or dry run is
    also listed among the digests (status ``preview``, which never counts as delivered). ``send``
    stores, sends and marks the digest (see the module docstring for the guarantees).
    """
    rcpt = (
        recipient
        if isinstance(recipient, RecipientConfig)
        else find_recipients(config, recipient, db)[0]
    )
    if now is not None and now.tzinfo is None:
        raise MonitorError("digest: --now needs a time zone, e.g. 2024-05-01T07:00:00+00:00")
    now = (now or datetime.now(UTC)).astimezone(UTC)
    if mode in ("preview", "dry_run"):
        return _preview(config, db, rcpt, mode, now, outbox or config.outbox_dir, record=record)
    with _recipient_lock(config, rcpt.name):
        resumed: list[int] = []
        recovered: list[int] = []

        earlier = _resume_channels(config, db, rcpt, sleep)

        def done(outcome: DigestOutcome) -> DigestOutcome:
            return replace(
                outcome,
                resumed=tuple(resumed),
                recovered=tuple(recovered),
                channels=(*earlier, *outcome.channels),
            )

        with db.session() as s:
            unfinished = [d.id for d in q.unfinished_digests(s, rcpt.name)]
        for digest_id in unfinished:
            if _recover_noted(config, db, rcpt, digest_id):
                recovered.append(digest_id)
                continue
            log.warning("Resending unfinished digest recipient=%s digest=%d", rcpt.name, digest_id)
            outcome = _send(config, db, rcpt, digest_id, on_stage, sleep)
            resumed.append(digest_id)
            if outcome.status == "deferred":
                return done(outcome)
        new_id, skipped = retry_locked(
            lambda: _render_new(config, db, rcpt, now), what="digest rendering"
        )
        if new_id is None:
            assert skipped is not None
            return done(skipped)
        if on_stage:
            on_stage("rendered", new_id)
        return done(_send(config, db, rcpt, new_id, on_stage, sleep))
