"""Small builders shared by the scheduler tests."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from monitor.config import AppConfig, Settings
from monitor.db.engine import Database
from monitor.db.models import Item, Source


def make_config(tmp_path: Path, **settings: Any) -> AppConfig:
    return AppConfig(config_dir=tmp_path, settings=Settings.model_validate(settings))


def add_source(db: Database, name: str = "Outlet") -> int:
    with db.session() as s:
        src = Source(name=name, url=f"http://127.0.0.1/{name}.xml", kind="rss", language="en")
        s.add(src)
        s.flush()
        return src.id


def add_item(
    db: Database, source_id: int, key: str, *, relevant: bool | None, seen: datetime, **kw: Any
) -> int:
    with db.session() as s:
        item = Item(
            source_id=source_id,
            entry_key=key,
            url=f"http://127.0.0.1/a/{key}",
            canonical_url=f"http://127.0.0.1/a/{key}",
            title=f"Report {key}",
            text="Some text of the report " * 5,
            relevant=relevant,
            first_seen_at=seen,
            **kw,
        )
        s.add(item)
        s.flush()
        return item.id


def dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    proc = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(proc.stdout)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]
