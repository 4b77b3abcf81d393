"""Every page in Debian's chromium at phone and desktop width, light and dark.

Each page must fit the viewport (no horizontal scrolling), log no console error (a
Content-Security-Policy violation included), request nothing from another host, and pass
axe-core's WCAG 2.0/2.1/2.2 A and AA rules. axe-core comes from the npm registry (``.ci/run``
installs it into ``build/axe``; ``MONITOR_TEST_AXE`` names another copy); without it those checks
skip with the reason. Screenshots go to ``test-artifacts/pages/``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from tests.archive.seed import Seeded
from tests.browser_support import ARTIFACTS, artifact_path

pytestmark = pytest.mark.browser

AXE = Path(
    os.environ.get(
        "MONITOR_TEST_AXE",
        Path(__file__).resolve().parents[2] / "build/axe/node_modules/axe-core/axe.min.js",
    )
)
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
VIEWPORTS = {"phone": (390, 844), "desktop": (1280, 900)}


def _pages(seeded: Seeded) -> dict[str, str]:
    return {
        "river": "/",
        "river-unread": "/?view=unread",
        "overview": "/overview",
        "search-empty": "/search",
        "search-crosslang": "/search?q=Bushehr",
        "search-fields": "/search?q=" + "theme:treaty OR lang:ru&relevance=all",
        "search-error": "/search?q=%22unclosed",
        "searches": "/searches",
        "story": f"/stories/{seeded.stories['rail']}",
        "item": f"/items/{seeded.items['rail_lead']}",
        "item-persian": f"/items/{seeded.items['fa_treaty']}",
        "item-hostile": f"/items/{seeded.items['script_title']}",
        "sources": "/sources",
        "digests": "/digests",
        "digest": f"/digests/{seeded.digest_id}",
        "login": "/login",
        "not-found": "/items/999999",
    }


def axe_violations(page: Any) -> list[str]:
    """axe-core's WCAG A/AA violations on the open page (axe injected by an init script)."""
    return list(
        page.evaluate(
            "async (tags) => { const r = await axe.run(document, "
            "{runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']}); "
            "return r.violations.map(v => v.id + ' (' + v.impact + '): ' + "
            "v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | ')); }",
            AXE_TAGS,
        )
    )


AXE_MISSING = (
    f"accessibility checks need axe-core at {AXE} "
    "(npm install --prefix build/axe axe-core@4; .ci/run does it); the other checks ran"
)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_every_page_fits_loads_nothing_remote_and_passes_axe(
    browser: Any, server: tuple[str, Seeded], size: str, scheme: str
) -> None:
    base, seeded = server
    axe = AXE.read_text(encoding="utf-8") if AXE.is_file() else None
    width, height = VIEWPORTS[size]
    context = browser.new_context(
        viewport={"width": width, "height": height}, color_scheme=scheme, is_mobile=size == "phone"
    )
    if axe is not None:
        context.add_init_script(script=axe)  # runs outside the page's CSP, like an extension
    page = context.new_page()
    errors: list[str] = []
    remote: list[str] = []
    current = [""]
    page.on(
        "console",
        lambda msg: errors.append(f"{current[0]}: {msg.text}") if msg.type == "error" else None,
    )
    page.on("pageerror", lambda exc: errors.append(f"{current[0]}: {exc}"))
    page.on(
        "request",
        lambda req: (
            None if req.url.startswith((base, "data:", "about:")) else remote.append(req.url)
        ),
    )
    problems: list[str] = []
    (ARTIFACTS / "pages").mkdir(parents=True, exist_ok=True)
    try:
        for name, path in _pages(seeded).items():
            current[0] = name
            page.goto(base + path)
            # folded parts (explanations, merge logs, more reports) are checked open
            page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
            overflow = page.evaluate(
                "() => document.documentElement.scrollWidth - window.innerWidth"
            )
            if overflow > 0:
                problems.append(f"{name}: {overflow}px wider than the viewport")
            result = [] if axe is None else axe_violations(page)
            problems += [f"{name}: {v}" for v in result]
            page.screenshot(
                path=str(artifact_path(f"pages/{name}-{size}-{scheme}.png")), full_page=True
            )
            if name == "overview" and size == "phone":
                tick = page.evaluate(
                    "() => Math.min(...[...document.querySelectorAll('svg.chart text')]"
                    ".map(t => t.getBoundingClientRect().height))"
                )
                if tick < 10:
                    problems.append(f"chart labels {tick:.1f}px tall on a phone")
    finally:
        context.close()
    assert problems == []
    # the browser logs the 404 status of the not-found page itself; nothing else may fail
    assert [e for e in errors if not e.startswith("not-found: Failed to load resource")] == []
    assert remote == []
    if axe is None:
        pytest.skip(AXE_MISSING)


def test_river_keyboard(browser: Any, server: tuple[str, Seeded]) -> None:
    base, _ = server
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    try:
        page.goto(base + "/")
        entries = page.locator("li.entry")
        page.keyboard.press("j")
        page.keyboard.press("j")
        page.keyboard.press("k")
        first = entries.nth(0)
        assert "current" in (first.get_attribute("class") or "")
        key = first.get_attribute("id")
        page.keyboard.press("s")  # star through the page's own form, without a reload
        page.wait_for_function(
            f"() => document.getElementById('{key}').classList.contains('starred')"
        )
        page.keyboard.press("m")
        page.wait_for_function(
            f"() => !document.getElementById('{key}').classList.contains('unread')"
        )
        page.goto(base + "/?view=starred")
        assert page.locator("li.entry").count() == 1
        assert page.locator("li.entry").get_attribute("id") == key
        page.goto(base + "/?view=unread")
        assert page.locator(f"#{key}").count() == 0
        page.goto(base + "/")
        page.keyboard.press("j")
        page.keyboard.press("o")
        page.wait_for_url(re.compile(r".*/(stories|items)/\d+$"))
        page.screenshot(path=str(artifact_path("river-opened.png")), full_page=True)
    finally:
        context.close()
    assert errors == []
