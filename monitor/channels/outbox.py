"""Sending one stored message to several targets, each at most once.

The message (its text, and for email the exact bytes with their Message-ID) and one ``pending``
``sends`` row per target are committed before anything goes out. Then, target by target:

1. a row already ``sent`` or ``failed`` is left alone (never sent twice);
2. a note ``<ref>.<target>.accepted`` beside the stored message means an earlier run saw the
   target accept and stopped before the archive knew: the row is marked ``sent``, nothing is sent;
3. otherwise the target's attempts run (with back-off); the moment one is accepted a note is written
   and synced, then the row is marked ``sent`` (waiting while another process holds the archive's
   write lock) and the note removed. A permanent refusal marks the row ``failed``; anything else
   leaves it ``pending`` for the next run.

A process killed before the acceptance is noted sends that target's message again on the next run
(once: the same message, with the same Message-ID); one killed after the note sends nothing again.

``on_stage(stage, target)`` is called with ``"sending"`` (before the first attempt), ``"accepted"``
(accepted, not yet noted) and ``"noted"`` (noted, the archive not yet updated); tests raise from it
to stop at exactly that point.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.exc import OperationalError

from monitor.channels.outcome import ACCEPTED, PERMANENT, Attempt, SendResult
from monitor.db import sends as q
from monitor.db.engine import Database
from monitor.db.retry import retry_locked
from monitor.errors import MonitorError
from monitor.files import write_durable

log = logging.getLogger(__name__)

StageHook = Callable[[str, str], None]
Sender = Callable[[Callable[[Attempt], None]], SendResult]


@dataclass(frozen=True)
class Target:
    """``key``: ``email`` or ``channel:NAME``; ``send`` makes the attempts, reporting each."""

    key: str
    send: Sender


@dataclass(frozen=True)
class TargetOutcome:
    """``status``: ``sent``, ``recovered`` (noted by an earlier run), ``failed`` (permanent),
    ``pending`` (will be tried again next run) or ``done`` (sent or failed before this run)."""

    target: str
    status: str
    attempts: int = 0
    error: str | None = None


def note_path(note_dir: Path, ref_id: int, target: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", target)
    return note_dir / f"{ref_id}.{safe}.accepted"


def _noted_at(path: Path) -> datetime:
    try:
        return datetime.fromisoformat(json.loads(path.read_text(encoding="utf-8"))["accepted_at"])
    except (OSError, ValueError, KeyError, TypeError):
        return datetime.fromtimestamp(path.stat().st_mtime, UTC)


def deliver(
    db: Database,
    *,
    kind: str,
    ref_id: int,
    targets: list[Target],
    note_dir: Path,
    on_stage: StageHook | None = None,
) -> list[TargetOutcome]:
    """Send message ``ref_id`` of ``kind`` to every target still pending (see the module doc)."""

    def states() -> dict[str, str]:
        with db.session() as s:
            return {row.target: row.status for row in q.sends_of(s, kind, ref_id)}

    status_of = retry_locked(states, what=f"{kind} sends")
    out: list[TargetOutcome] = []
    for target in targets:
        status = status_of.get(target.key)
        if status != q.PENDING:
            out.append(TargetOutcome(target.key, "done"))
            continue
        note = note_path(note_dir, ref_id, target.key)
        if note.is_file():
            at = _noted_at(note)

            def recover(key: str = target.key, at: datetime = at) -> None:
                with db.session() as s:
                    q.mark_sent(s, kind, ref_id, key, at)

            retry_locked(recover, what=f"{kind} sent")
            note.unlink(missing_ok=True)
            log.warning(
                "Target had accepted before the run stopped; recorded kind=%s ref=%d target=%s",
                kind,
                ref_id,
                target.key,
            )
            out.append(TargetOutcome(target.key, "recovered"))
            continue
        out.append(_send_target(db, kind, ref_id, target, note, on_stage))
    return out


def _send_target(
    db: Database,
    kind: str,
    ref_id: int,
    target: Target,
    note: Path,
    on_stage: StageHook | None,
) -> TargetOutcome:
    if on_stage:
        on_stage("sending", target.key)

    def write(attempt: Attempt) -> None:
        with db.session() as s:
            q.record_attempt(
                s,
                kind,
                ref_id,
                target.key,
                at=attempt.at,
                accepted=attempt.outcome == ACCEPTED,
                permanent=attempt.outcome == PERMANENT,
                error=f"{attempt.code or ''} {attempt.message}".strip(),
            )

    def record(attempt: Attempt) -> None:
        if attempt.outcome == ACCEPTED:
            if on_stage:
                on_stage("accepted", target.key)
            body = {"ref_id": ref_id, "target": target.key, "accepted_at": attempt.at.isoformat()}
            write_durable(note, json.dumps(body))
            if on_stage:
                on_stage("noted", target.key)
        try:
            retry_locked(lambda: write(attempt), what=f"{kind} attempt")
        except OperationalError as exc:
            if attempt.outcome == ACCEPTED:
                raise MonitorError(
                    f"{kind} {ref_id}: {target.key} accepted the message but the archive stayed "
                    f"locked ({exc.orig}); it is noted in {note} and the next run records it "
                    "without sending it again"
                ) from None
            raise
        if attempt.outcome == ACCEPTED:
            note.unlink(missing_ok=True)

    result = target.send(record)
    last = result.last
    if result.accepted:
        return TargetOutcome(target.key, "sent", len(result.attempts))
    error = f"{last.code or ''} {last.message}".strip() if last else "not attempted"
    status = "failed" if last is not None and last.outcome == PERMANENT else "pending"
    log.warning(
        "Target not reached kind=%s ref=%d target=%s status=%s error=%s",
        kind,
        ref_id,
        target.key,
        status,
        error,
    )
    return TargetOutcome(target.key, status, len(result.attempts), error)
