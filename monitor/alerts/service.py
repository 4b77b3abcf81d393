"""One alert check (``monitor alerts run``; the scheduler runs it after every crawl).

1. Find what is owed (:mod:`monitor.alerts.detect`) among the stories that received a relevant item
   within ``alerts.window_hours``, for every recipient with ``alerts.breaking`` or
   ``alerts.matches`` and every saved search subscribed ``immediate``.
2. Store each new alert before anything goes out: its row, the items it covers, its text and
   email (``data_dir/alerts/<recipient>/<id>.{txt,eml}``) and one ``pending`` ``sends`` row per
   target (``email``, ``channel:NAME``), in one transaction. Inside the recipient's
   ``quiet_hours`` the alert is stored ``held`` until they end.
3. Send every due alert (new, held past its quiet hours, or left unfinished by an earlier run)
   with the outbox's rules (:mod:`monitor.channels.outbox`): stored first, retried on temporary
   failure, noted on acceptance, at most once per target; a run killed before a target's
   acceptance was noted sends that target the same message (same Message-ID) once more.

An alert is ``sent`` when no target is pending and one took it, ``failed`` when all refused it for
good. The digest is not affected: the story still appears in the recipient's next digest.
One check at a time per archive (a lock file under ``data_dir/locks``).
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

from monitor.alerts.detect import Breaking, Owed, breaking, owed
from monitor.alerts.message import AlertText, compose_text, message_id
from monitor.channels.outbox import StageHook, Target, TargetOutcome
from monitor.channels.outbox import deliver as deliver_targets
from monitor.channels.outcome import Attempt, SendResult
from monitor.channels.targets import channel_keys, channel_targets
from monitor.config import AppConfig, RecipientConfig
from monitor.db import alerts as q
from monitor.db import sends
from monitor.db.engine import Database
from monitor.db.models import Alert
from monitor.db.read.items import matching_ids
from monitor.db.retry import retry_locked
from monitor.digest.message import compose, list_label, mail_domain, unsubscribe_url
from monitor.digest.site import lock_dir, slug, write_atomic
from monitor.digest.smtp import deliver as smtp_deliver
from monitor.digest.subscriptions import all_recipients
from monitor.errors import MonitorError
from monitor.query import parse_query

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AlertResult:
    alert_id: int
    recipient: str
    kind: str
    story_id: int | None
    subject: str
    status: str  # sent | failed | pending | held
    targets: tuple[TargetOutcome, ...] = ()


@dataclass
class AlertsOutcome:
    created: list[AlertResult] = field(default_factory=list)
    delivered: list[AlertResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(a.status in ("sent", "held") for a in self.delivered)


def alert_dir(config: AppConfig, recipient: str) -> Path:
    return config.data_dir / "alerts" / slug(recipient)


def alert_recipients(config: AppConfig, db: Database) -> list[RecipientConfig]:
    """Everyone who wants alerts: configured recipients and immediate saved searches."""
    return [r for r in all_recipients(config, db) if r.alerts.breaking or r.alerts.matches]


def quiet_until(recipient: RecipientConfig, now: datetime) -> datetime | None:
    """The end of the recipient's quiet hours (UTC) when ``now`` falls inside them."""
    spec = recipient.alerts.quiet_hours
    if not spec:
        return None
    tz = ZoneInfo(recipient.timezone)
    local = now.astimezone(tz)
    start_s, end_s = spec.split("-")
    start = local.replace(hour=int(start_s[:2]), minute=int(start_s[3:]), second=0, microsecond=0)
    end = local.replace(hour=int(end_s[:2]), minute=int(end_s[3:]), second=0, microsecond=0)
    if start < end:  # e.g. 12:00-14:00
        inside = start <= local < end
    else:  # wraps past midnight, e.g. 22:00-07:00
        inside = local >= start or local < end
        if local >= start:
            end += timedelta(days=1)
    return end.astimezone(UTC) if inside else None


@contextmanager
def _lock(config: AppConfig) -> Iterator[None]:
    path = lock_dir(config) / "alerts.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise MonitorError("alerts: another alert check is running; wait for it") from None
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


# --------------------------------------------------------------------------- finding


def _wanted(recipient: RecipientConfig, items: list[q.StoryItem]) -> list[q.StoryItem]:
    """The items that pass the recipient's theme, language and score filters."""
    f = recipient.filters
    out = []
    for item in items:
        if f.themes and not item.themes & set(f.themes):
            continue
        if f.languages and item.language not in f.languages:
            continue
        if f.min_score is not None and (item.score or 0.0) < f.min_score:
            continue
        out.append(item)
    return out


def _find(
    config: AppConfig, db: Database, recipients: list[RecipientConfig], now: datetime
) -> list[tuple[RecipientConfig, int, Owed, list[q.StoryItem]]]:
    settings = config.settings.alerts
    since = now - timedelta(hours=settings.window_hours)
    found: list[tuple[RecipientConfig, int, Owed, list[q.StoryItem]]] = []
    with db.session() as s:
        stories = q.active_stories(s, since, now)
        breaks: dict[int, Breaking | None] = {
            sid: breaking(sid, items, settings, now) for sid, items in stories.items()
        }
        all_ids = [i.id for items in stories.values() for i in items]
        for rcpt in recipients:
            matched: set[int] | None = None
            if rcpt.query:
                matched = matching_ids(s, parse_query(rcpt.query), all_ids)
            for sid, items in stories.items():
                passing = _wanted(rcpt, items)
                if matched is not None:
                    passing = [i for i in passing if i.id in matched]
                if not passing:
                    continue
                earlier = q.earlier_alerts(s, rcpt.name, [i.id for i in items])
                outlets = len({i.source_id for i in items})
                due = owed(
                    outlets=outlets,
                    story_breaks=breaks[sid],
                    wants_breaking=rcpt.alerts.breaking,
                    wants_matches=rcpt.alerts.matches,
                    new_match=any(since <= i.first_seen_at <= now for i in passing),
                    earlier=earlier,
                    steps=settings.update_steps,
                )
                if due is not None:
                    found.append((rcpt, sid, due, items))
    return found


def _store(
    config: AppConfig,
    db: Database,
    rcpt: RecipientConfig,
    story_id: int,
    due: Owed,
    items: list[q.StoryItem],
    now: datetime,
) -> AlertResult:
    web = config.settings.web.public_url
    text = compose_text(
        owed=due,
        items=items,
        recipient=rcpt.name,
        timezone=rcpt.timezone,
        title=config.settings.digest.title,
        story_url=f"{web}/stories/{story_id}" if web else None,
    )
    held_until = quiet_until(rcpt, now)
    smtp = config.settings.smtp

    def store() -> AlertResult:
        with db.session() as s:
            alert = Alert(
                recipient=rcpt.name,
                story_id=story_id,
                kind=due.kind,
                reason={"reasons": list(due.reasons)},
                outlets=due.outlets,
                status="held" if held_until else "pending",
                not_before=held_until,
                created_at=now,
                message_id=message_id(rcpt.name, mail_domain(smtp.from_address)),
                subject=text.subject,
            )
            q.create_alert(s, alert, [i.id for i in items])
            targets = (["email"] if rcpt.address else []) + channel_keys(rcpt)
            sends.ensure_sends(s, "alert", alert.id, targets)
            base = alert_dir(config, rcpt.name) / str(alert.id)
            alert.text_path = str(write_atomic(base.with_suffix(".txt"), text.body))
            raw = _email(config, rcpt, text, alert.message_id, now)
            alert.eml_path = str(write_atomic(base.with_suffix(".eml"), raw))
            return AlertResult(alert.id, rcpt.name, due.kind, story_id, text.subject, alert.status)

    result = retry_locked(store, what="alert")
    log.info(
        "Alert stored alert=%d recipient=%s kind=%s story=%d status=%s",
        result.alert_id,
        rcpt.name,
        due.kind,
        story_id,
        result.status,
    )
    return result


def _email(
    config: AppConfig, rcpt: RecipientConfig, text: AlertText, mid: str, now: datetime
) -> bytes:
    smtp = config.settings.smtp
    digest = config.settings.digest
    msg = compose(
        subject=text.subject,
        text=text.body,
        html=None,
        from_address=smtp.from_address,
        from_name=digest.title,
        to_address=rcpt.address or smtp.from_address,
        message_id=mid,
        date=now,
        list_id=(
            f"{digest.title} alerts ({rcpt.name})",
            list_label(rcpt.name, smtp.from_address, "alerts"),
        ),
        list_unsubscribe=unsubscribe_url(
            digest.unsubscribe_address or smtp.from_address, rcpt.name
        ),
    )
    return msg.as_bytes()


# --------------------------------------------------------------------------- sending


def _targets(
    config: AppConfig,
    rcpt: RecipientConfig,
    alert: Alert,
    env: Mapping[str, str] | None,
    sleep: Callable[[float], None],
) -> list[Target]:
    body = Path(alert.text_path).read_text(encoding="utf-8") if alert.text_path else alert.subject
    out: list[Target] = []
    if rcpt.address:
        smtp = config.settings.smtp
        raw = Path(alert.eml_path).read_bytes() if alert.eml_path else b""
        if not raw:
            text = AlertText(alert.subject, body)
            raw = _email(config, rcpt, text, alert.message_id, alert.created_at)

        def send_email(report: Callable[[Attempt], None], raw: bytes = raw) -> SendResult:
            assert rcpt.address is not None
            return smtp_deliver(
                smtp,
                raw,
                sender=smtp.from_address,
                recipients=[rcpt.address],
                on_attempt=report,
                sleep=sleep,
            )

        out.append(Target("email", send_email))
    out += channel_targets(
        rcpt,
        config.settings.apprise,
        title=alert.subject,
        body=body,
        message_id=alert.message_id,
        env=env,
        sleep=sleep,
    )
    return out


def _gone(report: Callable[[Attempt], None], why: str) -> SendResult:
    attempt = Attempt("permanent", None, why, datetime.now(UTC))
    report(attempt)
    return SendResult([attempt])


def _deliver(
    config: AppConfig,
    db: Database,
    alert_id: int,
    recipients: dict[str, RecipientConfig],
    env: Mapping[str, str] | None,
    on_stage: StageHook | None,
    sleep: Callable[[float], None],
) -> AlertResult:
    def begin() -> tuple[Alert, list[str]]:
        with db.session() as s:
            alert = q.alert_row(s, alert_id)
            assert alert is not None
            if alert.status == "held":
                alert.status = "pending"
            keys = [row.target for row in sends.sends_of(s, "alert", alert_id)]
            s.flush()
            s.expunge(alert)
            return alert, keys

    alert, keys = retry_locked(begin, what="alert sending")
    rcpt = recipients.get(alert.recipient)
    if rcpt is None:
        why = f"recipient {alert.recipient!r} is no longer configured"
        targets = [Target(k, partial(_gone, why=why)) for k in keys]
    else:
        targets = _targets(config, rcpt, alert, env, sleep)
        known = {t.key for t in targets}
        why = "target removed from the recipient's configuration"
        targets += [Target(k, partial(_gone, why=why)) for k in keys if k not in known]
    outcomes = deliver_targets(
        db,
        kind="alert",
        ref_id=alert_id,
        targets=targets,
        note_dir=alert_dir(config, alert.recipient),
        on_stage=on_stage,
    )

    def finish() -> str:
        with db.session() as s:
            row = q.alert_row(s, alert_id)
            assert row is not None
            states = [r.status for r in sends.sends_of(s, "alert", alert_id)]
            row.attempts = sum(r.attempts for r in sends.sends_of(s, "alert", alert_id))
            errors = [f"{o.target}: {o.error}" for o in outcomes if o.error]
            row.last_error = "; ".join(errors)[:2000] or None
            if sends.PENDING in states:
                return row.status
            if sends.SENT in states:
                row.status, row.sent_at = "sent", datetime.now(UTC)
            else:
                row.status = "failed"
            return row.status

    status = retry_locked(finish, what="alert finished")
    log.info("Alert delivery alert=%d status=%s", alert_id, status)
    return AlertResult(
        alert_id,
        alert.recipient,
        alert.kind,
        alert.story_id,
        alert.subject,
        status,
        tuple(outcomes),
    )


def run_alerts(
    config: AppConfig,
    db: Database,
    now: datetime | None = None,
    *,
    env: Mapping[str, str] | None = None,
    on_stage: StageHook | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> AlertsOutcome:
    """Find, store and send alerts (see the module docstring)."""
    if now is not None and now.tzinfo is None:
        raise MonitorError("alerts: --now needs a time zone, e.g. 2024-05-01T07:00:00+00:00")
    now = (now or datetime.now(UTC)).astimezone(UTC)
    env = os.environ if env is None else env
    outcome = AlertsOutcome()
    with _lock(config):
        recipients = alert_recipients(config, db)
        for rcpt, story_id, due, items in _find(config, db, recipients, now):
            outcome.created.append(_store(config, db, rcpt, story_id, due, items, now))
        by_name = {r.name: r for r in all_recipients(config, db)}
        with db.session() as s:
            due_ids = q.due_alerts(s, now)
        for alert_id in due_ids:
            outcome.delivered.append(_deliver(config, db, alert_id, by_name, env, on_stage, sleep))
    return outcome
