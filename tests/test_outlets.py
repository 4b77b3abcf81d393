"""Outlet names and agency credits come from config/outlets.yaml; the archive remembers which list
its keys were computed with, and `monitor config check` and the crawl warn when it changed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from monitor.config import load_config, load_outlets, shipped_outlets
from monitor.db.engine import Database
from monitor.db.keys import OPTION, keyed_with, outlet_key_warning
from monitor.db.models import CrawlRun
from monitor.dedup.text import strip_boilerplate
from monitor.identity import Outlets, title_key
from monitor.paths import shipped_config_dir


def test_the_lists_shape_title_keys_and_credits() -> None:
    shipped = shipped_outlets()
    assert title_key("TASS: Talks held", shipped) == title_key("Talks held", shipped)
    other = Outlets.of(["Global Times"], ["Xinhua"])
    assert title_key("Global Times: Talks held", other) == title_key("Talks held", other)
    assert title_key("Global Times: Talks held", shipped) != title_key("Talks held", shipped)
    assert strip_boilerplate("BEIJING, May 2 (Xinhua) – Talks held.", other) == "talks held."
    assert "(Xinhuanet)" in strip_boilerplate("BEIJING, May 2 (Xinhuanet) – Talks held.", other)


def test_fingerprint_names_the_lists_not_their_spelling() -> None:
    a = Outlets.of(["TASS", "Reuters"], ["AFP"])
    assert a.fingerprint == Outlets.of(["reuters", "tass "], ["afp"]).fingerprint
    assert a.fingerprint != Outlets.of(["TASS"], ["AFP"]).fingerprint
    assert a.fingerprint != Outlets.of(["TASS", "Reuters"], ["AP"]).fingerprint


def _run(db: Database, fingerprint: str | None, *, new_items: int = 1) -> None:
    options = {} if fingerprint is None else {OPTION: fingerprint}
    with db.session() as session:
        session.add(CrawlRun(status="ok", options=options, new_items=new_items))


def test_the_archive_remembers_the_list_its_keys_were_computed_with(tmp_path: Path) -> None:
    db = Database.open(f"sqlite:///{tmp_path / 'a.db'}")
    shipped, other = shipped_outlets(), Outlets.of(["Global Times"], ["Xinhua"])
    with db.session() as session:
        assert keyed_with(session) is None  # nothing stored: nothing to warn about
        assert outlet_key_warning(session, other) is None
    _run(db, None)  # a run from before the list was configuration: the built-in (shipped) list
    with db.session() as session:
        assert keyed_with(session) == shipped.fingerprint
        assert outlet_key_warning(session, shipped) is None
    _run(db, other.fingerprint)
    _run(db, shipped.fingerprint, new_items=0)  # stored nothing: does not count
    with db.session() as session:
        assert keyed_with(session) == other.fingerprint
        warning = outlet_key_warning(session, shipped, "x/outlets.yaml")
    assert warning is not None
    assert warning.startswith("warning: x/outlets.yaml: ")
    assert other.fingerprint in warning
    assert shipped.fingerprint in warning
    db.close()


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    dest = tmp_path / "config"
    shutil.copytree(shipped_config_dir(), dest)
    return dest


def test_config_check_warns_when_a_stored_key_would_change(
    config_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'archive.db'}"
    monkeypatch.setenv("MONITOR_DATABASE_URL", url)
    db = Database.open(url)
    _run(db, load_config(config_dir).outlets.fingerprint)
    db.close()

    def check() -> str:
        result = CliRunner().invoke(cli, ["--config", str(config_dir), "config", "check"])
        assert result.exit_code == 0, result.output
        return result.output

    out = check()
    assert "outlets.yaml: ok" in out
    assert "outlet names changed" not in out
    path = config_dir / "outlets.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace('"tass", ', '"tass", "global times", ', 1),
        encoding="utf-8",
    )
    assert load_outlets(path).fingerprint != shipped_outlets().fingerprint
    out = check()
    assert "outlet names changed" in out
    assert str(path) in out


def test_a_config_directory_without_outlets_uses_the_shipped_list(config_dir: Path) -> None:
    (config_dir / "outlets.yaml").unlink()
    cfg = load_config(config_dir, env={})
    assert cfg.outlets_path == shipped_config_dir() / "outlets.yaml"
    assert cfg.outlets == shipped_outlets()
