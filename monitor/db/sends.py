"""Per-target delivery state of digests and alerts (``sends``): one row per message and target.

A row is created ``pending`` with the message, before anything goes out; it becomes ``sent`` once
the target accepted the message (never sent to that target again) or ``failed`` on a permanent
refusal. A row left ``pending`` by a failure or a stopped process is sent on the next run.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.db.models import Digest, Send

PENDING, SENT, FAILED = "pending", "sent", "failed"


def ensure_sends(session: Session, kind: str, ref_id: int, targets: Iterable[str]) -> None:
    """A ``pending`` row for every target that has none yet (in the caller's transaction)."""
    have = set(session.scalars(select(Send.target).where(Send.kind == kind, Send.ref_id == ref_id)))
    for target in targets:
        if target not in have:
            session.add(Send(kind=kind, ref_id=ref_id, target=target, status=PENDING))
            have.add(target)
    session.flush()


def sends_of(session: Session, kind: str, ref_id: int) -> list[Send]:
    return list(
        session.scalars(
            select(Send).where(Send.kind == kind, Send.ref_id == ref_id).order_by(Send.id)
        )
    )


def pending_refs(session: Session, kind: str) -> list[int]:
    """Ids of messages of ``kind`` with a target still pending, oldest first."""
    return list(
        session.scalars(
            select(Send.ref_id)
            .where(Send.kind == kind, Send.status == PENDING)
            .distinct()
            .order_by(Send.ref_id)
        )
    )


def record_attempt(
    session: Session,
    kind: str,
    ref_id: int,
    target: str,
    *,
    at: datetime,
    accepted: bool,
    permanent: bool = False,
    error: str | None = None,
) -> Send:
    row = session.scalars(
        select(Send).where(Send.kind == kind, Send.ref_id == ref_id, Send.target == target)
    ).one()
    row.attempts += 1
    row.last_attempt_at = at
    if accepted:
        row.status, row.sent_at, row.last_error = SENT, at, None
    else:
        row.last_error = (error or "failed")[:2000]
        if permanent:
            row.status = FAILED
    return row


def mark_sent(session: Session, kind: str, ref_id: int, target: str, at: datetime) -> None:
    """Record a target's acceptance noted by an earlier run (its attempt was not recorded)."""
    record_attempt(session, kind, ref_id, target, at=at, accepted=True)


def pending_digest_sends(session: Session, recipient: str) -> list[int]:
    """Sent digests of ``recipient`` that a channel has not taken yet, oldest first."""
    return list(
        session.scalars(
            select(Send.ref_id)
            .join(Digest, Digest.id == Send.ref_id)
            .where(
                Send.kind == "digest",
                Send.status == PENDING,
                Digest.recipient == recipient,
                Digest.status == "sent",
            )
            .distinct()
            .order_by(Send.ref_id)
        )
    )
