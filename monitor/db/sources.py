"""Sources in the archive: seeding from ``config/sources.yaml``, adding, merging, removing, toggling.

The database is the source of truth once sources are imported: a new archive is seeded from the
config directory's ``sources.yaml`` on first use; later edits go through ``monitor sources …`` (or an
OPML import), and ``monitor sources import`` merges a changed YAML file by name. Listing sources
and their health is the read layer's job (:mod:`monitor.db.read.sources`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.config import ListingSelectors, SourceConfig
from monitor.db.models import FetchState, Source

SOURCE_FIELDS = (
    "url",
    "kind",
    "language",
    "poll_interval_minutes",
    "enabled",
    "fetch_fulltext",
    "category",
    "verified",
    "notes",
    "timezone",
)


def _values(cfg: SourceConfig) -> dict[str, Any]:
    values: dict[str, Any] = {f: getattr(cfg, f) for f in SOURCE_FIELDS}
    values["selectors"] = cfg.selectors.model_dump(exclude_none=True) if cfg.selectors else None
    return values


def to_config(src: Source) -> SourceConfig:
    """The stored source as a config record (for export and for the spiders)."""
    return SourceConfig(
        name=src.name,
        url=src.url,
        kind=src.kind,  # type: ignore[arg-type]
        language=src.language,  # type: ignore[arg-type]
        poll_interval_minutes=src.poll_interval_minutes,
        enabled=src.enabled,
        fetch_fulltext=src.fetch_fulltext,
        category=src.category,
        verified=src.verified,
        selectors=ListingSelectors(**src.selectors) if src.selectors else None,
        notes=src.notes,
        timezone=src.timezone,
    )


@dataclass(frozen=True)
class MergeResult:
    added: list[str]
    updated: list[str]
    unchanged: list[str]


def count_sources(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Source)) or 0


def _get(session: Session, name: str) -> Source | None:
    return session.scalar(select(Source).where(Source.name == name))


def add_source(session: Session, cfg: SourceConfig, *, origin: str = "cli") -> Source:
    src = Source(name=cfg.name, origin=origin, **_values(cfg))
    session.add(src)
    session.flush()
    return src


def merge_sources(session: Session, configs: list[SourceConfig], *, origin: str) -> MergeResult:
    """Insert new sources and update changed ones, matched by name. Nothing is deleted."""
    existing = {s.name: s for s in session.scalars(select(Source))}
    added: list[str] = []
    updated: list[str] = []
    unchanged: list[str] = []
    for cfg in configs:
        src = existing.get(cfg.name)
        if src is None:
            add_source(session, cfg, origin=origin)
            added.append(cfg.name)
            continue
        changed = False
        for key, value in _values(cfg).items():
            if getattr(src, key) != value:
                setattr(src, key, value)
                changed = True
        (updated if changed else unchanged).append(cfg.name)
    session.flush()
    return MergeResult(added, updated, unchanged)


def seed_sources_if_empty(session: Session, configs: list[SourceConfig]) -> int:
    """Import the configured sources into an archive that has none yet; returns how many."""
    if count_sources(session) > 0 or not configs:
        return 0
    return len(merge_sources(session, configs, origin="config").added)


def remove_source(session: Session, name: str) -> bool:
    src = _get(session, name)
    if src is None:
        return False
    session.delete(src)
    session.flush()
    return True


def set_enabled(session: Session, name: str, enabled: bool) -> bool:
    src = _get(session, name)
    if src is None:
        return False
    src.enabled = enabled
    session.flush()
    return True


def source_name(session: Session, source_id: int) -> str | None:
    src = session.get(Source, source_id)
    return src.name if src is not None else None


def due_now(session: Session, source_id: int, now: datetime) -> datetime | None:
    """Clear the source's back-off: it is due at once. Returns the end of a ``Retry-After`` the
    site asked for, when that is still ahead (a crawl keeps honouring it)."""
    state = session.get(FetchState, source_id)
    if state is None:
        session.add(FetchState(source_id=source_id, next_due_at=now))
        return None
    state.next_due_at = now
    if state.retry_after_until is not None and state.retry_after_until > now:
        return state.retry_after_until
    return None
