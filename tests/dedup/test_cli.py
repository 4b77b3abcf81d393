"""``monitor dedup rebuild`` and ``monitor stories list | show | split`` on a real archive."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from monitor.cli import cli
from monitor.config import DedupSettings
from monitor.db.engine import Database
from monitor.db.models import Item
from monitor.dedup.stage import FoldStage
from monitor.pipeline import StageContext
from tests.dedup.support import BODY, item, source


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    cfg = tmp_path / "config"
    cfg.mkdir()
    (cfg / "monitor.yaml").write_text(
        f"database_url: sqlite:///{tmp_path / 'archive.db'}\ndata_dir: {tmp_path / 'data'}\n"
    )
    (cfg / "sources.yaml").write_text("sources: []\n")
    return cfg


def test_stories_commands(config_dir: Path, tmp_path: Path) -> None:
    db = Database.open(f"sqlite:///{tmp_path / 'archive.db'}")
    stage = FoldStage(DedupSettings())
    with db.session() as s:
        a, b = source(s, "wire"), source(s, "daily")
    for src, title, hours in ((a, "Talks <b>in</b> Moscow", 0), (b, "TASS: Talks in Moscow", 1)):
        with db.session() as s:
            stage.process(s, item(s, src, title, BODY, hours=hours), StageContext())
    with db.session() as s:
        rows = s.scalars(select(Item).order_by(Item.id)).all()
        story_id, copy_id = rows[0].story_id, rows[1].id
    db.close()
    runner = CliRunner()
    base = ["--config", str(config_dir)]
    out = runner.invoke(cli, [*base, "stories", "list"])
    assert out.exit_code == 0, out.output
    assert "Talks <b>in</b> Moscow" in out.output  # shown as text, not interpreted
    out = runner.invoke(cli, [*base, "stories", "show", str(story_id)])
    assert out.exit_code == 0, out.output
    assert "near_copy" in out.output
    assert "lead" in out.output
    assert "copy" in out.output
    out = runner.invoke(cli, [*base, "stories", "split", str(story_id), str(copy_id)])
    assert out.exit_code == 0, out.output
    assert "into story" in out.output
    new_story = int(out.output.rsplit("into story", 1)[1].strip().rstrip("."))
    out = runner.invoke(cli, [*base, "stories", "show", str(new_story)])
    assert out.exit_code == 0, out.output
    assert f"split: item {copy_id} moved from story {story_id}" in out.output
    out = runner.invoke(cli, [*base, "dedup", "rebuild"])
    assert out.exit_code == 0, out.output
    assert "2 stories" in out.output
    out = runner.invoke(cli, [*base, "stories", "show", "999999"])
    assert out.exit_code == 3
