"""``monitor search | show | export | serve`` against a real archive."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from monitor.db.engine import Database
from monitor.records import EXPORT_FIELDS
from tests.archive.seed import ITEMS, Seeded


@pytest.fixture
def run(db: Database, seeded: Seeded, tmp_path: Path):  # type: ignore[no-untyped-def]
    config = tmp_path / "config"
    config.mkdir()
    env = {
        "MONITOR_DATABASE_URL": db.engine.url.render_as_string(hide_password=False),
        "MONITOR_DATA_DIR": str(tmp_path / "data"),
    }

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return CliRunner().invoke(cli, ["--config", str(config), *args], env=env)

    return invoke


def test_search_json_and_filters(run, seeded: Seeded) -> None:  # type: ignore[no-untyped-def]
    result = run("search", "Иран", "--format", "json")
    assert result.exit_code == 0, result.output
    ids = {i["id"] for i in json.loads(result.output)["items"]}
    assert ids == {seeded.items["rail_ru"], seeded.items["navy_ru"]}
    result = run("search", "ایران", "--theme", "treaty", "--format", "json")
    assert [i["id"] for i in json.loads(result.output)["items"]] == [seeded.items["fa_treaty"]]
    result = run("search", "--relevance", "irrelevant", "--format", "csv")
    rows = list(csv.reader(io.StringIO(result.output)))
    assert rows[0] == list(EXPORT_FIELDS)
    assert [r[0] for r in rows[1:]] == [str(seeded.items["football"])]
    table = run("search", "corridor")
    assert table.exit_code == 0
    assert "2 item(s), page 1" in table.output
    assert str(seeded.items["rail_copy"]) in table.output


@pytest.mark.parametrize("args", [['"open'], ["OR"], ["--", "-x"], ["iran " * 150]])
def test_search_malformed_query_exits_with_message(run, args: list[str]) -> None:  # type: ignore[no-untyped-def]
    result = run("search", *args)
    assert result.exit_code == 2
    assert "error: query: " in result.output
    assert "Traceback" not in result.output


def test_show(run, seeded: Seeded) -> None:  # type: ignore[no-untyped-def]
    result = run("show", str(seeded.items["rail_copy"]))
    assert result.exit_code == 0
    assert "Iran and Russia sign rail corridor agreement" in result.output
    assert f"story:      {seeded.stories['rail']} (copy)" in result.output
    data = json.loads(run("show", str(seeded.items["nuclear"]), "--format", "json").output)
    assert data["figures"] == ["Rafael Grossi"]
    missing = run("show", "999999")
    assert missing.exit_code == 3
    assert "no item 999999" in missing.output


def test_export_whole_archive_csv_neutralises_formulas(run, seeded: Seeded, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "all.csv"
    result = run("export", "--format", "csv", "--output", str(out), "--batch-size", "10")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == len(ITEMS)  # irrelevant items included
    by_id = {int(r["id"]): r for r in rows}
    football = by_id[seeded.items["football"]]
    assert football["relevant"] == "false"
    lead = by_id[seeded.items["rail_lead"]]
    assert lead["story"] == str(seeded.stories["rail"])
    assert lead["story_role"] == "lead"
    assert lead["themes"] == "economy; treaty"
    assert lead["canonical_url"] == "https://news.example.org/en/rail_lead"
    script = by_id[seeded.items["script_title"]]
    assert not any(v.startswith(("=", "+", "-", "@")) for v in script.values())
    assert "=HYPERLINK" in script["text"]


def test_export_jsonl_and_atom_with_filters(run, seeded: Seeded) -> None:  # type: ignore[no-untyped-def]
    result = run("export", "--format", "jsonl", "--language", "ru")
    lines = [json.loads(x) for x in result.output.splitlines() if x.startswith("{")]
    assert {x["id"] for x in lines} == {
        seeded.items[k] for k in ("rail_ru", "navy_ru", "bushehr_ru")
    }
    assert set(lines[0]) == set(EXPORT_FIELDS)
    atom = run("export", "--format", "atom", "-q", "corridor OR учения")
    body = atom.output[atom.output.index("<?xml") : atom.output.rindex("</feed>") + 7]
    root = ET.fromstring(body)
    assert len(root.findall("{http://www.w3.org/2005/Atom}entry")) == 3
    bad = run("export", "--format", "csv", "-q", "(")
    assert bad.exit_code == 2
    assert "error: query:" in bad.output


def test_serve_refuses_public_bind_without_token(run) -> None:  # type: ignore[no-untyped-def]
    result = run("serve", "--host", "0.0.0.0", "--port", "1")
    assert result.exit_code == 4
    assert "refusing to listen on 0.0.0.0 without a token" in result.output
