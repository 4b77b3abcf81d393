"""The archive in Debian's chromium: the real server (uvicorn) on loopback over a seeded archive.

Any console error fails the test, Content-Security-Policy violations included.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest

from tests.archive.seed import Seeded
from tests.browser_support import artifact_path

pytestmark = pytest.mark.browser


def test_search_filter_story_item_and_feed(browser: Any, server: tuple[str, Seeded]) -> None:
    base, seeded = server
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(base + "/overview")
        assert page.locator("svg.chart").count() == 1
        page.screenshot(path=str(artifact_path("archive-overview.png")), full_page=True)

        # search from the river's box: the two English copies are one story
        page.goto(base + "/")
        page.fill("form.quick input[name=q]", "corridor")
        page.click("form.quick button")
        page.wait_for_url("**/search?q=corridor*")
        assert page.locator("li.group").count() == 1
        assert page.locator("li.group h2 mark").first.inner_text().lower() == "corridor"
        assert page.locator("details.others li").count() == 1

        # a Russian query, then narrow it with a filter
        page.fill("form.search input[name=q]", "Иран")
        page.click("form.search button")
        assert page.locator("li.group").count() == 2
        page.select_option("select[name=theme]", "military")
        page.click("form.search button")
        page.wait_for_url("**theme=military*")
        assert page.locator("li.group").count() == 1
        assert page.locator(f"#item-{seeded.items['navy_ru']}").count() == 1
        page.screenshot(path=str(artifact_path("archive-search-filtered.png")), full_page=True)

        # a malformed query gets a message, not an error page
        page.fill("form.search input[name=q]", '"unclosed')
        page.click("form.search button")
        assert "unclosed quote" in page.locator("p.error").inner_text()

        # Persian, right to left
        page.goto(base + "/search?q=" + "همکاری")
        assert (
            page.locator(f"#item-{seeded.items['fa_treaty']} p.snippet").get_attribute("dir")
            == "rtl"
        )
        page.screenshot(path=str(artifact_path("archive-search-persian.png")), full_page=True)

        # open a story from the results, then its lead item
        page.goto(base + "/search?q=corridor")
        page.locator("a.story-link").first.click()
        page.wait_for_url(f"**/stories/{seeded.stories['rail']}")
        assert page.locator("ol.timeline li.report").count() == 3
        assert page.locator("ol.timeline li.role-copy").count() == 1
        assert page.locator("ol.timeline li.role-related").count() == 1
        assert not page.locator("details.merge-log ol.events").is_visible()  # folded
        page.screenshot(path=str(artifact_path("archive-story.png")), full_page=True)
        page.locator("section.lead .item h3 a").click()
        page.wait_for_url(f"**/items/{seeded.items['rail_lead']}")
        assert page.locator("section.text mark").count() >= 2
        assert (
            page.locator("p.original a")
            .get_attribute("href")
            .startswith("https://news.example.org/")
        )
        page.screenshot(path=str(artifact_path("archive-item.png")), full_page=True)

        # the hostile item renders as text
        page.goto(base + f"/items/{seeded.items['script_title']}")
        assert "<script>" in page.locator("h1").inner_text()

        # sources and a digest as sent
        page.goto(base + "/sources")
        assert page.locator("tr.health-failing").count() == 1
        page.goto(base + f"/digests/{seeded.digest_id}")
        frame = page.frame_locator("iframe.digest-frame")
        assert "Rail corridor agreement signed." in frame.locator("body").inner_text()

        # follow the Atom link of a search
        page.goto(base + "/search?q=corridor")
        href = page.locator("a.feed").get_attribute("href")
        feed = context.request.get(base + href)
        assert feed.ok
        assert feed.headers["content-type"].startswith("application/atom+xml")
        root = ET.fromstring(feed.body())
        assert len(root.findall("{http://www.w3.org/2005/Atom}entry")) == 2
    finally:
        context.close()
    assert errors == []
