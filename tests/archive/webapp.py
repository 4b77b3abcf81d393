"""Building the web app over a seeded archive, for TestClient and real-server tests."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette

from monitor.config import AppConfig, Settings
from monitor.db.engine import Database
from monitor.paths import shipped_config_dir
from monitor.web import create_app


def app_config(tmp_path: Path, token: str | None = None) -> AppConfig:
    raw: dict[str, object] = {
        "data_dir": str(tmp_path),
        "outbox_dir": str(tmp_path / "outbox"),
        "topic": str(shipped_config_dir() / "topics" / "iran-russia.yaml"),
    }
    if token:
        raw["web"] = {"token": token}
    return AppConfig(config_dir=tmp_path, settings=Settings.model_validate(raw))


def make_app(db: Database, tmp_path: Path, token: str | None = None) -> Starlette:
    return create_app(app_config(tmp_path, token), db)
