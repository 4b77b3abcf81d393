"""Reading past digests: the list, one digest, and what it carried and how delivery went."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.db.models import Delivery, Digest, DigestItem
from monitor.db.read.items import load_records
from monitor.records import DeliveryRecord, DigestDetail, DigestRecord

CHUNK = 500  # item ids per query (keeps IN lists small)


def _record(d: Digest) -> DigestRecord:
    return DigestRecord(
        id=d.id,
        recipient=d.recipient,
        address=d.address,
        status=d.status,
        period_start=d.period_start,
        period_end=d.period_end,
        created_at=d.created_at,
        sent_at=d.sent_at,
        message_id=d.message_id,
        subject=d.subject,
        story_count=d.story_count,
        item_count=d.item_count,
        html_path=d.html_path,
        text_path=d.text_path,
        eml_path=d.eml_path,
        attempts=d.attempts,
        last_error=d.last_error,
    )


def list_digests(
    session: Session, *, recipient: str | None = None, status: str | None = None, limit: int = 50
) -> list[DigestRecord]:
    """Digests, newest first; optionally only one recipient's or only one status."""
    stmt = select(Digest).order_by(Digest.created_at.desc(), Digest.id.desc()).limit(limit)
    if recipient:
        stmt = stmt.where(Digest.recipient == recipient)
    if status:
        stmt = stmt.where(Digest.status == status)
    return [_record(d) for d in session.scalars(stmt)]


def get_digest(session: Session, digest_id: int) -> DigestRecord | None:
    digest = session.get(Digest, digest_id)
    return _record(digest) if digest is not None else None


def digest_detail(session: Session, digest_id: int) -> DigestDetail | None:
    """One digest with the items it carried (oldest first) and every delivery attempt."""
    digest = get_digest(session, digest_id)
    if digest is None:
        return None
    ids = list(session.scalars(select(DigestItem.item_id).where(DigestItem.digest_id == digest_id)))
    records = [
        r for i in range(0, len(ids), CHUNK) for r in load_records(session, ids[i : i + CHUNK])
    ]
    items = sorted(records, key=lambda r: (r.first_seen_at, r.id))
    deliveries = tuple(
        DeliveryRecord(
            attempted_at=x.attempted_at,
            outcome=x.outcome,
            smtp_code=x.smtp_code,
            message=x.message,
        )
        for x in session.scalars(
            select(Delivery).where(Delivery.digest_id == digest_id).order_by(Delivery.id)
        )
    )
    return DigestDetail(digest=digest, items=tuple(items), deliveries=deliveries)
