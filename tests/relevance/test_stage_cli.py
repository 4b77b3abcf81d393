"""JudgeStage on a real archive, and ``monitor explain`` / ``monitor rescore`` on a SQLite file."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import select

from monitor.cli import cli
from monitor.db.engine import Database
from monitor.db.models import Item, ItemTag, Source
from monitor.pipeline import StageContext, run_stages
from monitor.relevance.matcher import Matcher
from monitor.relevance.stage import JudgeStage

from .conftest import TOPIC_PATH

ITEMS = [
    (
        "Путин и Пезешкиан подписали договор",
        "Президенты России и Ирана подписали договор в Кремле.",
        "ru",
    ),
    ("Iran beat Russia in volleyball", "The match ended 3-1 at the stadium.", "en"),
    (
        "بانک مرکزی روسیه نرخ بهره را ثابت نگه داشت",
        "تحلیلگران در مسکو انتظار این تصمیم را داشتند.",
        "fa",
    ),
    (
        "Iran and Russia hold chess friendly",
        "Iranian and Russian players met in Moscow for talks.",
        "en",
    ),
]


def add_items(db: Database, rows: list[tuple[str, str, str]]) -> list[int]:
    with db.session() as session:
        source = Source(
            name="Test outlet", url="https://example.org/feed", kind="rss", language="en"
        )
        session.add(source)
        session.flush()
        ids = []
        for n, (title, text, lang) in enumerate(rows):
            url = f"https://example.org/{n}"
            item = Item(
                source_id=source.id,
                entry_key=hashlib.sha256(url.encode()).hexdigest(),
                url=url,
                canonical_url=url,
                title=title,
                text=text,
                declared_language=lang,
            )
            session.add(item)
            session.flush()
            ids.append(item.id)
    return ids


def test_judge_stage_stores_decision_and_tags(db: Database, matcher: Matcher) -> None:
    ids = add_items(db, ITEMS[:3])
    ctx = StageContext()
    with db.session() as session:
        for item_id in ids:
            item = session.get(Item, item_id)
            assert item is not None
            run_stages([JudgeStage(matcher)], session, item, ctx)
    with db.session() as session:
        items = [session.get(Item, i) for i in ids]
        treaty, sport, rates = items
        assert treaty is not None
        assert sport is not None
        assert rates is not None
        assert treaty.relevant is True
        assert treaty.language == "ru"
        assert sport.relevant is False
        assert sport.score is not None
        assert sport.score > 0
        assert rates.relevant is False
        assert rates.language == "fa"
        assert sport.explanation is not None
        assert sport.explanation["penalties"][0]["reason"] == "sports"
        tags = session.scalars(select(ItemTag).where(ItemTag.item_id == treaty.id)).all()
        kinds = {(t.kind, t.value) for t in tags}
        assert ("theme", "treaty") in kinds
        assert ("figure", "Vladimir Putin") in kinds
        assert ("figure", "Masoud Pezeshkian") in kinds
        putin = next(t for t in tags if t.value == "Vladimir Putin")
        assert putin.evidence[0]["form"] == "путин"
        # irrelevant items get no tags
        assert session.scalars(select(ItemTag).where(ItemTag.item_id == sport.id)).all() == []
    assert ctx.stats["judge/relevant"] == 1
    assert ctx.stats["judge/irrelevant"] == 2


def test_judging_again_replaces_tags(db: Database, matcher: Matcher) -> None:
    (item_id,) = add_items(db, ITEMS[:1])
    for title in (ITEMS[0][0], "Putin and Pezeshkian discuss Bushehr nuclear plant"):
        with db.session() as session:
            item = session.get(Item, item_id)
            assert item is not None
            item.title = title
            JudgeStage(matcher).process(session, item, StageContext())
    with db.session() as session:
        values = set(session.scalars(select(ItemTag.value).where(ItemTag.item_id == item_id)))
    assert "nuclear" in values
    assert "treaty" in values


# ------------------------------------------------------------------ CLI


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    cdir = tmp_path / "config"
    (cdir / "topics").mkdir(parents=True)
    shutil.copy(TOPIC_PATH, cdir / "topics" / "iran-russia.yaml")
    db_url = f"sqlite:///{tmp_path / 'archive.db'}"
    (cdir / "monitor.yaml").write_text(
        yaml.safe_dump({"database_url": db_url, "data_dir": str(tmp_path / "data")}),
        encoding="utf-8",
    )
    (cdir / "sources.yaml").write_text("sources: []\n", encoding="utf-8")
    return cdir


def run(config_dir: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--config", str(config_dir), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def db_for(config_dir: Path) -> Database:
    url = yaml.safe_load((config_dir / "monitor.yaml").read_text())["database_url"]
    return Database.open(url)


def set_rules(config_dir: Path, exclude: list[dict[str, str]]) -> None:
    path = config_dir / "topics" / "iran-russia.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["rules"]["exclude"] = exclude
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_rescore_dry_run_then_apply_then_explain(config_dir: Path) -> None:
    db = db_for(config_dir)
    ids = add_items(db, ITEMS)
    out = run(config_dir, "rescore", "--dry-run")
    assert "Dry run: 4 items judged, 2 relevant; 2 would enter, 0 would leave" in out
    assert "Путин и Пезешкиан" in out
    assert "chess friendly" in out
    with db.session() as session:  # nothing written
        assert all(session.get(Item, i).relevant is None for i in ids)  # type: ignore[union-attr]

    out = run(config_dir, "rescore", "--batch-size", "3")
    assert "4 items judged, 2 relevant; 2 entered, 0 left" in out
    with db.session() as session:
        assert [session.get(Item, i).relevant for i in ids] == [True, False, False, True]  # type: ignore[union-attr]

    # a new exclude rule: try it against the archive first
    set_rules(config_dir, [{"name": "no chess", "query": "chess"}])
    out = run(config_dir, "rescore", "--dry-run")
    assert "0 would enter, 1 would leave" in out
    assert "chess friendly" in out
    with db.session() as session:
        assert session.get(Item, ids[3]).relevant is True  # type: ignore[union-attr]
    run(config_dir, "rescore")
    with db.session() as session:
        chess = session.get(Item, ids[3])
        assert chess is not None
        assert chess.relevant is False
        assert session.scalars(select(ItemTag).where(ItemTag.item_id == chess.id)).all() == []

    out = run(config_dir, "explain", str(ids[3]))
    assert "Decision: NOT RELEVANT" in out
    assert "exclude rule 'no chess'" in out
    out = run(config_dir, "explain", str(ids[0]))
    assert "Decision: RELEVANT" in out
    assert "title_bilateral" in out or "title_pair" in out
    assert "Vladimir Putin" in out
    assert "путин" in out
    out = run(config_dir, "explain", "https://example.org/1")
    assert "sports" in out
    assert "volleyball" in out
    db.close()


def test_explain_unknown_item(config_dir: Path) -> None:
    result = CliRunner().invoke(cli, ["--config", str(config_dir), "explain", "999"])
    assert result.exit_code == 3
    assert "error: explain: no item '999'" in result.output


def test_explain_current_and_json(config_dir: Path) -> None:
    db = db_for(config_dir)
    (item_id,) = add_items(db, ITEMS[:1])
    out = run(config_dir, "explain", str(item_id), "--json")
    assert '"origin": "judged now with the current topic (not stored)"' in out
    assert '"relevant": true' in out
    db.close()


def test_explain_an_unreadable_stored_explanation(config_dir: Path) -> None:
    db = db_for(config_dir)
    (item_id,) = add_items(db, ITEMS[:1])
    with db.session() as session:
        item = session.get(Item, item_id)
        assert item is not None
        item.explanation = {"version": 0, "score": 9}  # from an older monitor
    out = run(config_dir, "explain", str(item_id))
    assert "judged now with the current topic (not stored)" in out
    assert "stored explanation has version 0" in out
    assert "monitor rescore" in out
    assert "Decision: RELEVANT" in out
    shown = run(config_dir, "show", str(item_id))
    assert "monitor rescore" in shown
    db.close()
