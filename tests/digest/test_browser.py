"""The HTML email in a real browser (Debian's chromium via Playwright): phone and desktop widths,
light and dark, no horizontal scrolling, no console errors, no remote requests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from monitor.db.engine import Database
from monitor.digest.service import run_digest
from tests.browser_support import artifact_path
from tests.digest.support import T0, Archive, hours, make_config

pytestmark = pytest.mark.browser

LONG_WORD = "Supercalifragilistic" * 8


def _digest_html(db: Database, tmp_path: Path) -> Path:
    with db.session() as s:
        a = Archive(s)
        big = a.story("Summit")
        a.item(
            "Alpha News",
            f"Leaders meet for a long-planned summit {LONG_WORD}",
            story=big,
            themes=("diplomacy",),
            figures=("Sergei Lavrov", "Abbas Araghchi"),
            summary="The ministers met for talks. They discussed trade corridors. A statement followed.",
            url=f"https://alpha.example.net/{'very-long-path-segment-' * 12}",
        )
        for n in range(14):
            a.item(f"Copy Outlet {n}", "Summit copy", story=big, role="copy", themes=("diplomacy",))
        a.item(
            "Tehran Desk",
            "نشست وزیران خارجه ایران و روسیه در مسکو برگزار شد",
            language="fa",
            themes=("diplomacy",),
            summary="وزیران دو کشور دیدار کردند. گفتگوها درباره همکاری اقتصادی بود.",
            at=T0 + hours(1),
        )
        a.item(
            "Moscow Desk", "Переговоры в Москве продолжились", language="ru", themes=("economy",)
        )
    config = make_config(tmp_path)
    out = run_digest(config, db, "daily", "preview", now=T0 + hours(2))
    assert out.html_path is not None
    return out.html_path


@pytest.mark.parametrize("width", [375, 800])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_email_html_fits_and_renders_cleanly(
    browser: Any, sqlite_db: Database, tmp_path: Path, width: int, scheme: str
) -> None:
    html_path = _digest_html(sqlite_db, tmp_path)
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    errors: list[str] = []
    remote: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    def block(route: Any) -> None:
        if not route.request.url.startswith("file://"):
            remote.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.route("**/*", block)
    try:
        page.goto(html_path.as_uri())
        page.screenshot(
            path=str(artifact_path(f"digest-email-{width}-{scheme}.png")), full_page=True
        )
        scroll_width, inner_width = page.evaluate(
            "[document.documentElement.scrollWidth, window.innerWidth]"
        )
        assert scroll_width <= inner_width, f"horizontal scrolling: {scroll_width} > {inner_width}"
        container = page.evaluate(
            "document.querySelector('.container').getBoundingClientRect().width"
        )
        assert container <= 600
        if width >= 640:
            assert container == 600
        rtl = page.locator("h3[dir=rtl]").first
        assert rtl.evaluate("e => getComputedStyle(e).direction") == "rtl"
        background = page.evaluate(
            "getComputedStyle(document.querySelector('.container')).backgroundColor"
        )
        assert background == ("rgb(255, 255, 255)" if scheme == "light" else "rgb(27, 32, 39)")
        assert page.locator("script").count() == 0
    finally:
        context.close()
    assert errors == []
    assert remote == []
