"""The entry planner, directly: store, copy, fetch or skip each entry (no Scrapy, no archive)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

import pytest

from monitor.collect.plan import (
    Candidate,
    Copy,
    Decision,
    Defer,
    Fetch,
    KnownItems,
    PagePolicy,
    Skip,
    Store,
    fetched_item,
    identify,
    needs_page,
    plan_entries,
)
from monitor.collect.records import ArrivedVia, ArticleRecord, FeedEntry, SourceJob
from monitor.config import shipped_outlets
from monitor.db.items import KnownItem
from monitor.identity import entry_key

SOURCE = 7
OTHER = 8
LONG = "A full paragraph of feed text. " * 20  # over the 400-character default
WHEN = datetime(2025, 3, 1, 9, tzinfo=UTC)
DEFAULT = PagePolicy()  # pages on, 400 characters


def job(fulltext: Literal["always", "short", "never"] = "short") -> SourceJob:
    return SourceJob(
        source_id=SOURCE,
        name="News",
        url="https://news.example.org/rss.xml",
        kind="rss",
        language="en",
        fulltext=fulltext,
    )


def entry(
    n: int, *, via: ArrivedVia = "feed", title: str | None = None, summary: str = ""
) -> FeedEntry:
    return FeedEntry(
        url=f"https://news.example.org/news/{n}.html?utm_source=rss",
        title=f"Story {n}" if title is None else title,
        guid=f"story-{n}" if via == "feed" else None,
        summary=summary,
        arrived_via=via,
    )


def candidate(e: FeedEntry) -> Candidate:
    (c,) = identify([e], outlets=shipped_outlets())
    return c


def stored(
    c: Candidate,
    *,
    source_id: int = SOURCE,
    text: str = "",
    item_id: int = 1,
    status: str | None = None,
) -> KnownItem:
    return KnownItem(
        id=item_id,
        source_id=source_id,
        entry_key=c.key,
        canonical_url=c.canonical_url,
        title="Stored title",
        text=text,
        author="A. Writer",
        fulltext_status=status or ("ok" if text else "none"),
        published_at=WHEN,
        date_quality="ok",
    )


def plan_one(
    e: FeedEntry,
    known: KnownItems | None = None,
    *,
    policy: PagePolicy = DEFAULT,
    fulltext: Literal["always", "short", "never"] = "short",
) -> Decision:
    (decision,) = plan_entries(job(fulltext), [candidate(e)], known or KnownItems(), policy)
    return decision


# ---------------------------------------------------------------------- identify


def test_identify_canonicalises_keys_and_drops_unfetchable_and_repeated_entries() -> None:
    first, again, other = entry(1), entry(1, title="Story 1, retitled"), entry(2)
    bad = FeedEntry(url="javascript:alert(1)", title="x")
    out = identify([first, bad, again, other], outlets=shipped_outlets())
    assert [c.entry for c in out] == [first, other]  # same GUID: the same entry
    assert out[0].canonical_url == "https://news.example.org/news/1.html"  # tracking gone
    assert out[0].key == entry_key(
        "story-1", out[0].canonical_url, "Story 1", outlets=shipped_outlets()
    )
    # entries met earlier in the run are not planned again
    assert identify([first, other], seen={out[0].key}, outlets=shipped_outlets()) == [out[1]]


def test_identify_keeps_entries_without_a_link() -> None:
    bulletin = FeedEntry(url="", title="Bulletin", guid="urn:bulletin:1", summary="Talks.")
    first = FeedEntry(url="", title="Same title", summary="First text")
    second = FeedEntry(url="", title="Same title", summary="Second text")
    out = identify([bulletin, first, second, first], outlets=shipped_outlets())
    assert [c.entry for c in out] == [bulletin, first, second]  # the repeat is met already
    assert {c.canonical_url for c in out} == {""}
    assert out[0].key == entry_key("urn:bulletin:1", "", "Bulletin", outlets=shipped_outlets())
    # without GUID or link: title and text, so two bulletins under one title are two entries
    assert out[1].key == entry_key(None, "", "Same title", "First text", outlets=shipped_outlets())
    assert out[1].key != out[2].key


# ---------------------------------------------------------------------- needs_page


@pytest.mark.parametrize(
    ("via", "summary", "fulltext", "policy", "expected"),
    [
        pytest.param("feed", "teaser", "short", PagePolicy(), True, id="short feed text"),
        pytest.param("feed", LONG, "short", PagePolicy(), False, id="long feed text"),
        pytest.param("feed", LONG, "short", PagePolicy(min_chars=10_000), True, id="threshold"),
        pytest.param("feed", LONG, "always", PagePolicy(), True, id="source: always"),
        pytest.param("feed", "teaser", "never", PagePolicy(), False, id="source: never"),
        pytest.param("sitemap", "", "never", PagePolicy(), True, id="sitemaps carry no text"),
        pytest.param("listing", "", "never", PagePolicy(), True, id="listings carry no text"),
        pytest.param(
            "listing", "", "always", PagePolicy(fulltext=False), False, id="run: --no-fulltext"
        ),
    ],
)
def test_needs_page(
    via: ArrivedVia,
    summary: str,
    fulltext: Literal["always", "short", "never"],
    policy: PagePolicy,
    expected: bool,
) -> None:
    assert needs_page(job(fulltext), entry(1, via=via, summary=summary), policy) is expected


# ---------------------------------------------------------------------- plan_entries


def test_new_feed_entries_are_fetched_or_stored_as_they_came() -> None:
    short, long = entry(1, summary="teaser"), entry(2, summary=LONG)
    decisions = plan_entries(
        job(), identify([short, long], outlets=shipped_outlets()), KnownItems(), PagePolicy()
    )
    assert isinstance(decisions[0], Fetch)
    assert decisions[0].url == short.url
    assert decisions[0].source_id == SOURCE
    # stored at once with its feed text, judged on it until the page comes
    first = decisions[0].first
    assert first is not None
    assert (first.entry, first.article, first.fulltext_status, first.looked_up_new) == (
        short,
        None,
        "pending",
        True,
    )
    assert isinstance(decisions[1], Store)
    item = decisions[1].item
    assert (item.entry, item.article, item.fulltext_status, item.looked_up_new) == (
        long,
        None,
        "none",
        True,
    )


def test_without_page_fetching_sitemap_and_listing_entries_are_stored_as_skipped() -> None:
    decision = plan_one(entry(1, via="sitemap"), policy=PagePolicy(fulltext=False))
    assert isinstance(decision, Store)
    assert decision.item.fulltext_status == "skipped"


def test_known_feed_entries_are_stored_again_for_the_revision_check_never_fetched() -> None:
    e = entry(1, summary="teaser")  # a short text: new, it would need its page
    c = candidate(e)
    for known in (
        KnownItems(by_key={c.key: stored(c)}),
        KnownItems(by_url={c.canonical_url: stored(c)}),  # GUID changed, same URL, same source
    ):
        decision = plan_one(e, known)
        assert isinstance(decision, Store)
        # the store looks the item up itself and compares title, summary and text
        assert decision.item.looked_up_new is False
        assert decision.item.article is None


@pytest.mark.parametrize(
    ("via", "title"),
    [
        pytest.param("listing", "Story 1", id="listing"),
        pytest.param("sitemap", "", id="sitemap without a title"),
    ],
)
def test_known_listing_and_untitled_sitemap_entries_are_skipped(
    via: ArrivedVia, title: str
) -> None:
    e = entry(1, via=via, title=title)
    c = candidate(e)
    decision = plan_one(e, KnownItems(by_key={c.key: stored(c)}))
    assert decision == Skip(c)


def test_known_sitemap_entry_with_a_title_can_revise() -> None:
    e = entry(1, via="sitemap", title="News headline")
    c = candidate(e)
    assert isinstance(plan_one(e, KnownItems(by_key={c.key: stored(c)})), Store)


def test_an_article_stored_from_another_source_is_copied_not_fetched() -> None:
    e = entry(1, summary="teaser")
    c = candidate(e)
    other = stored(c, source_id=OTHER, text="The whole article.", item_id=42)
    decision = plan_one(e, KnownItems(by_url={c.canonical_url: other}))
    assert isinstance(decision, Copy)
    assert decision.copied_from == 42
    item = decision.item
    assert item.source_id == SOURCE
    assert item.fulltext_status == "copied"
    assert item.article == ArticleRecord(
        url=e.url,
        text="The whole article.",
        title="Stored title",
        author="A. Writer",
        published_at=WHEN,
        date_quality="ok",
    )


def test_an_article_stored_elsewhere_without_text_is_fetched() -> None:
    e = entry(1, summary="teaser")
    c = candidate(e)
    decision = plan_one(e, KnownItems(by_url={c.canonical_url: stored(c, source_id=OTHER)}))
    assert isinstance(decision, Fetch)


@pytest.mark.parametrize("fulltext", ["always", "short"])
def test_an_entry_without_a_link_is_stored_as_it_came(
    fulltext: Literal["always", "short", "never"],
) -> None:
    e = FeedEntry(url="", title="Bulletin", summary="teaser")
    assert not needs_page(job(fulltext), e, DEFAULT)
    # another source's item without a link has an empty canonical URL too: that is no copy
    c = candidate(e)
    elsewhere = stored(c, source_id=OTHER, text="Another bulletin's text.", item_id=42)
    decision = plan_one(e, KnownItems(by_url={"": elsewhere}), fulltext=fulltext)
    assert isinstance(decision, Store)
    assert (decision.item.canonical_url, decision.item.fulltext_status) == ("", "none")
    assert decision.item.article is None


def test_decisions_keep_the_entries_order() -> None:
    entries = [entry(n, summary="teaser" if n % 2 else LONG) for n in range(6)]
    decisions = plan_entries(
        job(), identify(entries, outlets=shipped_outlets()), KnownItems(), PagePolicy()
    )
    assert [type(d) for d in decisions] == [Store, Fetch] * 3
    urls = [d.url if isinstance(d, Fetch) else d.item.entry.url for d in decisions]
    assert urls == [e.url for e in entries]


# ---------------------------------------------------------------------- after the fetch


def test_fetched_item_with_and_without_an_article() -> None:
    article = ArticleRecord(url="https://news.example.org/news/1.html", text="Body")
    feed_fetch = Fetch(SOURCE, candidate(entry(1, summary="teaser")))
    ok = fetched_item(feed_fetch, article)
    assert ok is not None
    assert (ok.article, ok.fulltext_status, ok.looked_up_new) == (article, "ok", True)
    failed = fetched_item(feed_fetch, None)  # the feed's own text is kept
    assert failed is not None
    assert (failed.article, failed.fulltext_status) == (None, "failed")
    # a sitemap or listing entry without its page has nothing worth storing
    assert fetched_item(Fetch(SOURCE, candidate(entry(2, via="listing"))), None) is None


def test_a_sitemap_or_listing_entry_waits_for_its_page() -> None:
    for via in ("sitemap", "listing"):
        decision = plan_one(entry(1, via=via))
        assert isinstance(decision, Fetch)
        assert decision.first is None  # no text of its own: nothing worth storing before


def test_beyond_the_budget_pages_are_deferred_feed_entries_still_stored() -> None:
    entries = [entry(1, summary="teaser"), entry(2, summary=LONG), entry(3, summary="teaser")]
    entries += [entry(4, via="listing")]
    decisions = plan_entries(
        job(), identify(entries, outlets=shipped_outlets()), KnownItems(), PagePolicy(), budget=1
    )
    assert [type(d) for d in decisions] == [Fetch, Store, Defer, Defer]
    feed_defer, listing_defer = decisions[2], decisions[3]
    assert isinstance(feed_defer, Defer)
    assert isinstance(listing_defer, Defer)
    assert feed_defer.item is not None
    assert (feed_defer.item.fulltext_status, feed_defer.item.looked_up_new) == ("pending", True)
    assert listing_defer.item is None  # not stored in this run
    none_left = plan_entries(
        job(),
        identify(entries[:1], outlets=shipped_outlets()),
        KnownItems(),
        PagePolicy(),
        budget=0,
    )
    assert [type(d) for d in none_left] == [Defer]


def test_a_known_entry_whose_page_is_still_pending_is_fetched() -> None:
    e = entry(1, summary="teaser")
    c = candidate(e)
    known = KnownItems(by_key={c.key: stored(c, status="pending")})
    decision = plan_one(e, known)
    assert isinstance(decision, Fetch)
    assert decision.first is not None
    assert decision.first.looked_up_new is False  # stored again first: the revision check
    deferred = plan_entries(job(), [c], known, DEFAULT, budget=0)
    assert [type(d) for d in deferred] == [Defer]
    # with a long feed text now, or pages off for the run, it is only stored again
    assert isinstance(plan_one(e, known, policy=PagePolicy(fulltext=False)), Store)


def test_an_item_elsewhere_still_waiting_for_its_page_is_not_copied() -> None:
    e = entry(1, summary="teaser")
    c = candidate(e)
    other = stored(c, source_id=OTHER, text="Its feed teaser only.", status="pending")
    assert isinstance(plan_one(e, KnownItems(by_url={c.canonical_url: other})), Fetch)


def test_the_page_of_an_entry_stored_first_is_its_result() -> None:
    article = ArticleRecord(url="https://news.example.org/news/1.html", text="Body")
    (fetch,) = plan_entries(job(), [candidate(entry(1, summary="teaser"))], KnownItems(), DEFAULT)
    assert isinstance(fetch, Fetch)
    ok = fetched_item(fetch, article)
    assert ok is not None
    assert (ok.article, ok.fulltext_status, ok.page_result, ok.looked_up_new) == (
        article,
        "ok",
        True,
        False,
    )
    failed = fetched_item(fetch, None)
    assert failed is not None
    assert (failed.article, failed.fulltext_status, failed.page_result) == (None, "failed", True)
