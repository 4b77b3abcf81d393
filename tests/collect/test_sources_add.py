"""`monitor sources add` and `sources import-opml` against the local news site (child processes):
the source's kind and language come from what it serves."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path
from xml.sax.saxutils import quoteattr

import pytest
from sqlalchemy import select

from monitor.db.engine import Database
from monitor.db.models import Source
from monitor.newsite import NewsSite, Outlet, demo_outlets
from tests.collect.support import run_monitor, write_config

pytestmark = pytest.mark.slow

SiteFactory = Callable[[Sequence[Outlet]], NewsSite]


def _sources(tmp_path: Path) -> dict[str, tuple[str, str, str]]:
    db = Database.open(f"sqlite:///{tmp_path / 'archive.db'}", migrate=False)
    try:
        with db.session() as s:
            return {
                src.name: (src.url, src.kind, src.language) for src in s.scalars(select(Source))
            }
    finally:
        db.close()


def _quiet_site(factory: SiteFactory, *silent: str) -> NewsSite:
    """The demo site, with the outlets in ``silent`` not declaring their language anywhere."""
    return factory(
        [dataclasses.replace(o, declares_language=o.slug not in silent) for o in demo_outlets()]
    )


def test_sources_add_takes_the_language_the_feed_declares(
    news_site: NewsSite, tmp_path: Path
) -> None:
    cdir = write_config(tmp_path, [])
    url = news_site.feed_url("aftab", "rss")  # Persian, windows-1256, <language>fa</language>
    proc = run_monitor(cdir, "sources", "add", url, "--name", "Aftab")
    assert proc.returncode == 0, proc.stderr
    assert "language fa: declared by the feed" in " ".join(proc.stdout.split())
    assert _sources(tmp_path)["Aftab"] == (url, "rss", "fa")


def test_sources_add_detects_the_language_of_the_items(
    news_site_factory: SiteFactory, tmp_path: Path
) -> None:
    site = _quiet_site(news_site_factory, "vektor", "kaspiyskaya-pravda")
    cdir = write_config(tmp_path, [])
    # a site's page: its feed is found, fetched, and its items are Russian
    proc = run_monitor(cdir, "sources", "add", site.url("/vektor/"), "--name", "Vektor")
    assert proc.returncode == 0, proc.stderr
    assert "language ru: detected in 10 of 10 items" in " ".join(proc.stdout.split())
    assert _sources(tmp_path)["Vektor"] == (site.feed_url("vektor", "atom"), "atom", "ru")
    # with --kind the URL is taken as it is, and still read for its language
    rdf = site.feed_url("kaspiyskaya-pravda", "rss1")
    proc = run_monitor(cdir, "sources", "add", rdf, "--kind", "rss", "--name", "KP")
    assert proc.returncode == 0, proc.stderr
    assert _sources(tmp_path)["KP"] == (rdf, "rss", "ru")
    # an explicit --language wins and needs no fetch
    site.clear_requests()
    url = site.feed_url("delovoy-kurier", "rss")
    proc = run_monitor(cdir, "sources", "add", url, "--kind", "rss", "--language", "en")
    assert proc.returncode == 0, proc.stderr
    assert site.requests == []


def test_sources_add_recognises_a_news_sitemap(news_site: NewsSite, tmp_path: Path) -> None:
    cdir = write_config(tmp_path, [])
    url = news_site.feed_url("pol-media", "news_sitemap")
    proc = run_monitor(cdir, "sources", "add", url, "--name", "Pol sitemap")
    assert proc.returncode == 0, proc.stderr
    assert _sources(tmp_path)["Pol sitemap"] == (url, "sitemap", "fa")


def _outline(name: str, url: str, **attrs: str) -> str:
    extra = "".join(f" {k}={quoteattr(v)}" for k, v in attrs.items())
    return f'<outline type="rss" text={quoteattr(name)} xmlUrl={quoteattr(url)}{extra}/>'


def test_import_opml_without_languages_places_every_outline_it_can(
    news_site_factory: SiteFactory, tmp_path: Path
) -> None:
    site = _quiet_site(news_site_factory, "vektor", "eurasia-ledger")
    declared = site.feed_url("global-dispatch", "rss")
    outlines = [
        _outline("Aftab", site.feed_url("aftab", "rss")),
        _outline("Vektor", site.feed_url("vektor", "atom")),
        _outline("Ledger", site.feed_url("eurasia-ledger", "rss1")),
        _outline("Pol", site.feed_url("pol-media", "news_sitemap")),
        _outline("Dispatch", declared, language="en-GB"),
        _outline("Gone", site.url("/no-such-outlet/rss.xml")),
        _outline("Private", site.private_feed_url("tehran-wire")),
        _outline("Zeitung", site.feed_url("tehran-wire", "rss"), language="de"),
        _outline("Aftab", site.feed_url("global-dispatch", "atom")),
    ]
    opml = tmp_path / "feedly.opml"
    opml.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><opml version="1.0"><head><title>Feedly</title>'
        '</head><body><outline text="News" title="News">' + "".join(outlines) + "</outline>"
        "</body></opml>",
        encoding="utf-8",
    )
    cdir = write_config(tmp_path, [])
    proc = run_monitor(cdir, "sources", "import-opml", str(opml))
    assert proc.returncode == 1, proc.stderr
    assert "added 5" in proc.stdout
    stored = _sources(tmp_path)
    assert stored == {
        "Aftab": (site.feed_url("aftab", "rss"), "rss", "fa"),
        "Vektor": (site.feed_url("vektor", "atom"), "atom", "ru"),
        "Ledger": (site.feed_url("eurasia-ledger", "rss1"), "rss", "en"),
        "Pol": (site.feed_url("pol-media", "news_sitemap"), "sitemap", "fa"),
        "Dispatch": (declared, "rss", "en"),
    }
    reported = [line for line in proc.stderr.splitlines() if line.startswith("not imported:")]
    assert len(reported) == 4, proc.stderr
    gone, private, zeitung, twice = reported
    assert "'Gone'" in gone
    assert "404" in gone
    assert "'Private'" in private
    assert "robots.txt" in private
    assert "'Zeitung'" in zeitung
    assert "language" in zeitung
    assert "'Aftab'" in twice
    assert "earlier in the file" in twice
    assert "4 of 9 outline(s) not imported" in proc.stderr
    # an outline that names its language is not fetched; the disallowed feed never is
    paths = [r.path for r in site.requests]
    assert not [p for p in paths if p.startswith("/private/") or p == "/global-dispatch/rss.xml"]
