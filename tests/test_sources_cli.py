"""`monitor sources …` and OPML: lossless round-trip, safe parsing, helpful errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from monitor.config import ListingSelectors, SourceConfig
from monitor.db import sources as store
from monitor.db.engine import Database
from monitor.db.read import sources as read
from monitor.opml import OpmlError, export_opml, import_opml

ALL_FIELDS = [
    SourceConfig(
        name="Wire & Co <ru>",
        url="https://example.org/feed.xml?a=1&b=2",
        kind="rss",
        language="ru",
        poll_interval_minutes=17,
        enabled=False,
        fetch_fulltext=True,
        category="wire",
        verified=True,
        notes='quotes " and <tags> & ампersанды',
    ),
    SourceConfig(
        name="خبرگزاری نمونه",
        url="https://example.ir/atom",
        kind="atom",
        language="fa",
        fetch_fulltext=False,
        category="state_agency",
    ),
    SourceConfig(
        name="Listing page",
        url="https://example.com/world/",
        kind="listing",
        language="en",
        fetch_fulltext=None,
        selectors=ListingSelectors(article_links_css="h2 a", article_links_xpath="//article//a"),
    ),
    SourceConfig(name="Sitemap", url="https://example.com/news.xml", kind="sitemap", language="en"),
]


def test_opml_round_trip_keeps_every_field() -> None:
    text = export_opml(ALL_FIELDS)
    back = import_opml(text.encode())
    assert sorted(back, key=lambda s: s.name) == sorted(ALL_FIELDS, key=lambda s: s.name)


def test_opml_from_another_reader() -> None:
    doc = b"""<?xml version="1.0"?><opml version="1.0"><head/><body>
      <outline text="Iran"><outline type="rss" text="Agency" xmlUrl="https://a.example/rss"/></outline>
      <outline type="rss" title="Other" xmlUrl="https://b.example/rss" language="ru-RU"/>
    </body></opml>"""
    got = {s.name: s for s in import_opml(doc, default_language="fa")}
    assert got["Agency"].category == "Iran"
    assert got["Agency"].language == "fa"
    assert got["Other"].language == "ru"
    assert got["Other"].enabled
    assert got["Other"].kind == "rss"


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        pytest.param(b"<opml><body><outline", "not well-formed", id="broken xml"),
        pytest.param(
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]>'
            b"<opml><body/></opml>",
            "unsafe",
            id="entity declarations",
        ),
        pytest.param(b"<rss/>", "expected <opml>", id="not opml"),
        pytest.param(
            b'<opml><body><outline text="x" xmlUrl="https://x.example/"/></body></opml>',
            "--language",
            id="no language",
        ),
    ],
)
def test_bad_opml_is_refused_clearly(doc: bytes, message: str) -> None:
    with pytest.raises(OpmlError, match=message):
        import_opml(doc)


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    return {
        "MONITOR_DATABASE_URL": f"sqlite:///{tmp_path / 'archive.db'}",
        "MONITOR_DATA_DIR": str(tmp_path / "data"),
        "COLUMNS": "300",
    }


def invoke(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner(env=env).invoke(cli, list(args))
    return result.exit_code, result.output


def test_cli_round_trip_through_opml(cli_env: dict[str, str], tmp_path: Path) -> None:
    code, out = invoke(cli_env, "sources", "list")
    assert code == 0, out
    assert "TASS (en)" in out  # seeded from the shipped sources.yaml on first use
    exported = tmp_path / "subs.opml"
    assert invoke(cli_env, "sources", "export-opml", str(exported))[0] == 0

    other = dict(cli_env, MONITOR_DATABASE_URL=f"sqlite:///{tmp_path / 'other.db'}")
    db = Database.open(other["MONITOR_DATABASE_URL"])
    with db.session() as session:  # an archive that starts empty
        for cfg in read.list_sources(session):
            store.remove_source(session, cfg.name)
    db.close()
    code, out = invoke(other, "sources", "import-opml", str(exported))
    assert code == 0, out

    dbs = [Database.open(e["MONITOR_DATABASE_URL"]) for e in (cli_env, other)]
    configs = []
    for d in dbs:
        with d.session() as session:
            configs.append(read.list_sources(session))
        d.close()
    assert configs[0] == configs[1]
    assert len(configs[0]) >= 25


def test_cli_add_enable_disable_remove(cli_env: dict[str, str]) -> None:
    code, out = invoke(
        cli_env,
        "sources",
        "add",
        "https://new.example/feed",
        "--kind",
        "rss",
        "--language",
        "fa",
        "--name",
        "New outlet",
    )
    assert code == 0, out
    assert invoke(cli_env, "sources", "disable", "New outlet")[0] == 0
    code, out = invoke(cli_env, "sources", "list", "--enabled")
    assert "New outlet" not in out
    assert invoke(cli_env, "sources", "enable", "New outlet")[0] == 0
    code, out = invoke(cli_env, "sources", "list", "--enabled")
    assert "New outlet" in out
    code, out = invoke(cli_env, "sources", "disable", "No such")
    assert code == 3  # not found
    assert "no source named" in out
    code, out = invoke(
        cli_env, "sources", "add", "https://new.example/feed", "--kind", "rss", "--name", "Dup"
    )
    assert code == 2  # malformed input
    assert "already a source" in out
    assert invoke(cli_env, "sources", "remove", "New outlet")[0] == 0
    code, out = invoke(cli_env, "sources", "list")
    assert "New outlet" not in out
