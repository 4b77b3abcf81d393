"""End to end in chromium against the real server: save a search and follow its feed; label
reports with the page's buttons and find the labels in ``monitor eval``."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from monitor.cli import cli
from monitor.db.engine import Database
from monitor.db.models import Item
from monitor.paths import shipped_config_dir
from tests.archive.seed import Seeded
from tests.archive.test_pages import AXE, axe_violations
from tests.browser_support import artifact_path

pytestmark = pytest.mark.browser
ATOM = "{http://www.w3.org/2005/Atom}"


def _page(browser: Any, width: int = 1280) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(viewport={"width": width, "height": 900})
    if AXE.is_file():
        context.add_init_script(script=AXE.read_text(encoding="utf-8"))
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return context, page, errors


def _feed_ids(url: str) -> list[int]:
    resp = httpx.get(url)  # a feed reader: no session cookie, only the address
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(resp.content)
    return [
        int((e.findtext(f"{ATOM}id") or "").rsplit("/", 1)[1]) for e in root.iter(f"{ATOM}entry")
    ]


def test_save_a_search_then_its_feed_carries_new_matching_reports(
    browser: Any, server: tuple[str, Seeded], tmp_path: Path
) -> None:
    base, seeded = server
    context, page, errors = _page(browser, width=390)
    try:
        page.goto(base + "/search?q=Bushehr")
        page.click("details.save-search > summary")
        page.fill("form.save-search input[name=name]", "Бушер · بوشهر")
        page.check("form.save-search input[name=mode][value=digest]")
        page.fill("form.save-search input[name=email]", "desk@example.org")
        page.click("form.save-search button[type=submit]")
        page.wait_for_url(re.compile(r".*/searches\?note=search_saved$"))
        assert "Search saved." in page.inner_text("main")
        entry = page.locator("ul.saved > li", has_text="Бушер · بوشهر")
        assert "digest to desk@example.org" in entry.inner_text()
        href = entry.locator("a.feed").get_attribute("href")
        assert href
        assert re.fullmatch(r"/searches/feed/[A-Za-z0-9_-]{32}\.atom", href)
        if AXE.is_file():
            assert axe_violations(page) == []
        page.screenshot(path=str(artifact_path("saved-search.png")), full_page=True)
    finally:
        context.close()
    assert errors == []
    before = _feed_ids(base + href)
    bushehr = {seeded.items[k] for k in ("bushehr_en", "bushehr_ru", "bushehr_fa")}
    assert bushehr <= set(before)
    db = Database.open(f"sqlite:///{tmp_path / 'archive.db'}")  # the server's archive
    try:
        now = datetime.now(UTC)
        with db.session() as s:
            new = Item(
                source_id=seeded.sources["خبرگزاری نمونه"],
                entry_key="bushehr-new",
                url="https://news.example.org/fa/bushehr-new",
                canonical_url="https://news.example.org/fa/bushehr-new",
                title="سوخت تازه برای نیروگاه بوشهر",
                text="محموله تازه سوخت روسی برای نیروگاه بوشهر رسید.",
                language="fa",
                published_at=now,
                first_seen_at=now,
                relevant=True,
                score=5.0,
                explanation={},
            )
            s.add(new)
            s.flush()
            new_id = new.id
            s.add(
                Item(
                    source_id=seeded.sources["Caspian Wire"],
                    entry_key="wheat-new",
                    url="https://news.example.org/en/wheat-new",
                    canonical_url="https://news.example.org/en/wheat-new",
                    title="Wheat exports rise",
                    text="Grain shipments across the Caspian grew again.",
                    language="en",
                    published_at=now,
                    first_seen_at=now,
                    relevant=True,
                    score=5.0,
                    explanation={},
                )
            )
    finally:
        db.close()
    after = _feed_ids(base + href)
    assert after[0] == new_id  # newest first, and only what matches
    assert set(after) == set(before) | {new_id}
    body = httpx.get(base + href).content.decode("utf-8")
    assert "سوخت تازه برای نیروگاه بوشهر" in body
    assert "Бушер · بوشهر" in body


def test_label_buttons_are_counted_by_monitor_eval(
    browser: Any, server: tuple[str, Seeded], tmp_path: Path
) -> None:
    base, seeded = server
    football, rail_ru = seeded.items["football"], seeded.items["rail_ru"]
    lead, copy = seeded.items["rail_lead"], seeded.items["rail_copy"]
    navy = seeded.items["navy_ru"]
    context, page, errors = _page(browser)
    problems: list[str] = []
    try:
        page.goto(f"{base}/items/{football}")
        page.click("section.review button:has-text('Relevant')")
        page.wait_for_url(re.compile(r".*\?note=relevant$"))
        assert "Labelled relevant by default" in page.inner_text("section.review")
        page.goto(f"{base}/items/{rail_ru}")
        page.click("section.review button:has-text('Not relevant')")
        page.wait_for_url(re.compile(r".*\?note=not_relevant$"))
        assert page.locator("section.review button[aria-pressed=true]").inner_text() == (
            "Not relevant"
        )
        page.goto(f"{base}/items/{lead}")
        page.fill("form.pair input[name=other]", str(navy))
        page.click("form.pair button[value=same_story]")
        page.wait_for_url(re.compile(r".*\?note=same_story$"))
        if AXE.is_file():
            problems += [f"item: {v}" for v in axe_violations(page)]
        page.goto(f"{base}/stories/{seeded.stories['rail']}")
        row = page.locator(f"ol.timeline li#item-{copy}")
        row.locator("button", has_text="Not the same story").click()
        page.wait_for_url(re.compile(r".*\?note=not_same_story$"))
        assert page.locator(f"ol.timeline li#item-{copy}").count() == 0  # moved out
        assert "same story (default)" in page.locator(f"ol.timeline li#item-{navy}").inner_text()
        if AXE.is_file():
            problems += [f"story: {v}" for v in axe_violations(page)]
        page.screenshot(path=str(artifact_path("labelled-story.png")), full_page=True)
    finally:
        context.close()
    assert errors == []
    assert problems == []
    config = tmp_path / "config"
    config.mkdir()
    topic = shipped_config_dir() / "topics" / "iran-russia.yaml"
    (config / "monitor.yaml").write_text(f"topic: {json.dumps(str(topic))}\n", encoding="utf-8")
    env = {
        "MONITOR_DATABASE_URL": f"sqlite:///{tmp_path / 'archive.db'}",
        "MONITOR_DATA_DIR": str(tmp_path / "data"),
    }
    result = CliRunner().invoke(cli, ["--config", str(config), "eval", "--json"], env=env)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    by_lang = {lang["language"]: lang["scores"] for lang in report["languages"]}
    assert sum(sum(s.values()) for s in by_lang.values()) == 2  # two relevance labels
    assert by_lang["en"]["fn"] + by_lang["en"]["tn"] == 1  # football, labelled relevant
    assert by_lang["en"]["fn"] + by_lang["en"]["tp"] == 1
    assert by_lang["ru"]["fp"] + by_lang["ru"]["tn"] == 1  # rail_ru, labelled not relevant
    assert report["pairs"] == 2
    assert report["pairs_agree"] == 2  # the archive's stories follow both pair labels
    flagged = {d["item_id"] for lang in report["languages"] for d in lang["disagreements"]}
    assert flagged <= {football, rail_ru}
