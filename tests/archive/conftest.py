from __future__ import annotations

from pathlib import Path

import pytest

from monitor.db.engine import Database
from tests.archive.seed import Seeded, seed_archive


@pytest.fixture
def seeded(db: Database, tmp_path: Path) -> Seeded:
    """The three-language test archive in the ``db`` fixture's database (SQLite and PostgreSQL)."""
    return seed_archive(db, tmp_path)
