"""Conditional GET (ETag / Last-Modified → 304), new and revised articles, the request log."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import feedparser
import httpx
import pytest

from monitor.newsite import Article, NewsSite

RSS = "/tehran-wire/rss.xml"


def _new_article(slug: str = "caspian-ports-deal") -> Article:
    return Article(
        slug=slug,
        title="Iran and Russia agree on joint Caspian port operator",
        body=("Iran and Russia agreed on Thursday to set up a joint operator for Caspian ports.",),
        author="Reza Karimi",
        published=datetime.now(UTC).replace(microsecond=0),
        relevance_hint="bilateral",
    )


def test_etag_and_last_modified_give_304(news_site: NewsSite, news_http: httpx.Client) -> None:
    first = news_http.get(news_site.url(RSS))
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    by_etag = news_http.get(news_site.url(RSS), headers={"If-None-Match": etag})
    assert by_etag.status_code == 304
    assert by_etag.content == b""
    assert by_etag.headers["ETag"] == etag
    by_date = news_http.get(news_site.url(RSS), headers={"If-Modified-Since": modified})
    assert by_date.status_code == 304
    stale = news_http.get(news_site.url(RSS), headers={"If-None-Match": '"other"'})
    assert stale.status_code == 200
    log = news_site.requests_for(RSS)
    assert [r.status for r in log] == [200, 304, 304, 200]
    assert log[1].headers["if-none-match"] == etag
    assert log[2].headers["if-modified-since"] == modified


def test_add_article_changes_etag_and_last_modified(
    news_site: NewsSite, news_http: httpx.Client
) -> None:
    first = news_http.get(news_site.url(RSS))
    news_site.add_article("tehran-wire", _new_article())
    validators = {
        "If-None-Match": first.headers["ETag"],
        "If-Modified-Since": first.headers["Last-Modified"],
    }
    for name, value in validators.items():
        again = news_http.get(news_site.url(RSS), headers={name: value})
        assert again.status_code == 200, name
        assert again.headers["ETag"] != first.headers["ETag"]
        assert again.headers["Last-Modified"] != first.headers["Last-Modified"]
        titles = [e.title for e in feedparser.parse(again.content).entries]
        assert titles[0] == "Iran and Russia agree on joint Caspian port operator"
    page = news_http.get(news_site.article_url("tehran-wire", "caspian-ports-deal"))
    assert page.status_code == 200
    listing = news_http.get(news_site.feed_url("tehran-wire", "listing")).text
    assert "caspian-ports-deal" in listing


def test_revise_article_changes_feed_and_page(news_site: NewsSite, news_http: httpx.Client) -> None:
    etag = news_http.get(news_site.url(RSS)).headers["ETag"]
    revised = news_site.revise_article(
        "tehran-wire",
        "mir-shetab-cards",
        title="Mir cards accepted at all Iranian ATMs, card transfers next (updated)",
        body=["Updated text.", "Second paragraph."],
    )
    assert revised.updated is not None
    response = news_http.get(news_site.url(RSS), headers={"If-None-Match": etag})
    assert response.status_code == 200
    entry = next(e for e in feedparser.parse(response.content).entries if "mir-shetab" in e.link)
    assert entry.title.endswith("(updated)")
    page = news_http.get(news_site.article_url("tehran-wire", "mir-shetab-cards")).text
    assert "Updated text." in page
    assert f'content="{revised.updated.isoformat()}"' in page  # article:modified_time


def test_conditional_get_can_be_off_per_outlet(
    news_site: NewsSite, news_http: httpx.Client
) -> None:
    url = news_site.feed_url("eurasia-ledger", "rss1")
    first = news_http.get(url)
    assert "ETag" not in first.headers
    assert "Last-Modified" not in first.headers
    again = news_http.get(url, headers={"If-None-Match": "*", "If-Modified-Since": "x"})
    assert again.status_code == 200


def test_site_copies_outlets_and_refuses_duplicates(news_site: NewsSite) -> None:
    outlet = news_site.outlet("tehran-wire")
    before = len(outlet.articles)
    news_site.add_article("tehran-wire", _new_article("one"))
    with pytest.raises(ValueError, match="already has"):
        news_site.add_article("tehran-wire", replace(_new_article("one"), title="again"))
    assert len(news_site.outlet("tehran-wire").articles) == before + 1
