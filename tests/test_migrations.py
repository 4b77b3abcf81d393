"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from monitor.db.engine import Database, current_revision, head_revision
from monitor.db.models import Base

IGNORED_PREFIXES = ("items_fts", "apscheduler_")


def _include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    table = getattr(obj, "table", None)
    names = [name or "", getattr(table, "name", "") or ""]
    return not any(n.startswith(IGNORED_PREFIXES) for n in names)


def test_models_match_migrations(db: Database) -> None:
    assert current_revision(db.engine) == head_revision(db.engine)
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"include_object": _include, "compare_type": False}
        )
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == []


def test_reopening_does_not_migrate_again(db: Database) -> None:
    from monitor.db.engine import ensure_migrated

    assert ensure_migrated(db.engine) is False
