"""What to do with each entry a feed, sitemap or listing page gave: store, copy, fetch or skip.

Pure decisions, no I/O: the caller looks the entries up in the archive between the two steps and
carries the decisions out (the spider adapter stores the items of :class:`Store`, :class:`Copy`,
:class:`Fetch` and :class:`Defer` at once, then turns each :class:`Fetch` into a request).

1. :func:`identify` — every entry gets its canonical URL and entry key
   (:func:`monitor.identity.entry_key`); entries with a link that is not http(s) and entries
   already met in this run (same key) are dropped. A feed entry without a link (``url=""``: the
   feed gave none, or only ``javascript:``/``data:`` ones, see :mod:`monitor.collect.feeds`) is
   kept, with an empty canonical URL, identified by its GUID or else its title and text.
2. The caller looks the candidates up: :class:`KnownItems`, the stored items with the same entry
   key in this source and those with the same canonical URL in any source.
3. :func:`plan_entries` — for each candidate, in order, the first rule that applies:

   a. **known in this source** (same entry key, or same canonical URL stored from this source):
      stored earlier with its feed text while its page is still unread (full-text status
      ``pending``: a run was cut off or reached its cap) and the page is needed — **fetch** it,
      storing the entry again first; from a listing, or from a sitemap without a title, there is
      nothing new to say — **skip** (counted as known); otherwise **store** it again: the store
      records a revision when the title, summary or feed text changed, and nothing when they
      did not;
   b. **stored from another source, with text** (same canonical URL; an empty one matches
      nothing; an item whose own page is still ``pending`` has only feed text): **copy** — store
      it with that text, no fetch;
   c. **its article page is needed** (:func:`needs_page`): **fetch** the page — a feed entry is
      stored first, at once, with its feed text (full-text status ``pending``), so it is judged
      and folded without waiting for its page; a sitemap or listing entry (no text) waits for it.
      Beyond ``budget`` pages for the source in this run the page waits for a later run
      instead — **defer**: a feed entry is stored with its feed text (``pending``), a sitemap or
      listing entry is not stored;
   d. otherwise **store** it as it came: full-text status ``none`` for a feed entry (its own text
      is kept), ``skipped`` for a sitemap or listing entry (no page fetching in this run).

4. After a fetch, :func:`fetched_item` makes the item to store: for a feed entry, the page's
   outcome for the item stored in step 3 (``page_result``: its article text attached as a
   revision, ``ok``, or the page ``failed`` and the feed text stays); for a sitemap or listing
   entry the item with its article (``ok``), or None without one (nothing worth storing).

An entry needs its page when it has a link, page fetching is on for the run and either it came
from a sitemap or a listing (they carry no text), or its source says ``fetch_fulltext: true`` (always), or — unless
the source says ``false`` (never) — its feed text is shorter than ``crawl.fulltext_min_chars``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field

from monitor.collect.records import (
    ArticleRecord,
    CollectedItem,
    FeedEntry,
    FulltextStatus,
    SourceJob,
)
from monitor.db.items import KnownItem
from monitor.identity import Outlets, entry_key
from monitor.urls import canonicalize_url, is_fetchable_link


@dataclass(frozen=True, slots=True)
class Candidate:
    """An entry with its identity, not met before in this run."""

    entry: FeedEntry
    canonical_url: str
    key: str


@dataclass(frozen=True, slots=True)
class KnownItems:
    """Stored items matching the candidates: by entry key in this source (a match by canonical
    URL in this source is listed here too), and by canonical URL in any source."""

    by_key: Mapping[str, KnownItem] = field(default_factory=dict)
    by_url: Mapping[str, KnownItem] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PagePolicy:
    """Whether article pages are fetched in this run, and below how many characters of feed text
    an entry needs its page (``crawl.fulltext_min_chars``)."""

    fulltext: bool = True
    min_chars: int = 400


@dataclass(frozen=True, slots=True)
class Store:
    """Store this item (new, or a revision of a known one)."""

    item: CollectedItem


@dataclass(frozen=True, slots=True)
class Copy:
    """Store this item with the text of the same article stored from another source."""

    item: CollectedItem
    copied_from: int  # the stored item's id


@dataclass(frozen=True, slots=True)
class Fetch:
    """Fetch the entry's article page, then store what :func:`fetched_item` makes of it.
    ``first``: store this at once, before the page is requested (a feed entry's own text)."""

    source_id: int
    candidate: Candidate
    first: CollectedItem | None = None

    @property
    def url(self) -> str:
        return self.candidate.entry.url


@dataclass(frozen=True, slots=True)
class Defer:
    """The page is needed but the source's page budget for this run is spent: store ``item`` (a
    feed entry with its feed text, ``pending``; a later run fetches its page) or, for a sitemap
    or listing entry (None), nothing in this run."""

    candidate: Candidate
    item: CollectedItem | None


@dataclass(frozen=True, slots=True)
class Skip:
    """Nothing to do: the entry is known and says nothing new."""

    candidate: Candidate
    reason: str = "known"


Decision = Store | Copy | Fetch | Defer | Skip


def identify(
    entries: Iterable[FeedEntry], seen: Set[str] = frozenset(), *, outlets: Outlets
) -> list[Candidate]:
    """Canonical URL and entry key of each entry with a fetchable link or none at all, whose key
    is not in ``seen`` nor earlier in ``entries``; the caller adds the keys to ``seen``.
    ``outlets``: stripped from the titles of entries identified by their title."""
    out: list[Candidate] = []
    met: set[str] = set()
    for entry in entries:
        if entry.url and not is_fetchable_link(entry.url):
            continue
        # an entry without a link is kept: identified by its GUID, or its title and text
        canonical = canonicalize_url(entry.url) if entry.url else ""
        key = entry_key(
            entry.guid, canonical, entry.title, entry.text or entry.summary, outlets=outlets
        )
        if key in seen or key in met:
            continue
        met.add(key)
        out.append(Candidate(entry, canonical, key))
    return out


def needs_page(job: SourceJob, entry: FeedEntry, policy: PagePolicy) -> bool:
    """Whether the entry's article page should be fetched (see the module docstring)."""
    if not policy.fulltext or not entry.url:
        return False
    if entry.arrived_via in ("sitemap", "listing"):
        return True
    if job.fulltext == "always":
        return True
    if job.fulltext == "never":
        return False
    return len(entry.text or entry.summary) < policy.min_chars


def plan_entries(
    job: SourceJob,
    candidates: Sequence[Candidate],
    known: KnownItems,
    policy: PagePolicy,
    *,
    budget: int | None = None,
) -> list[Decision]:
    """One decision per candidate, in order (see the module docstring); at most ``budget``
    :class:`Fetch` decisions (None: no limit)."""
    out: list[Decision] = []
    left = budget
    for c in candidates:
        decision = _decide(job, c, known, policy, may_fetch=left is None or left > 0)
        if isinstance(decision, Fetch) and left is not None:
            left -= 1
        out.append(decision)
    return out


def _decide(
    job: SourceJob, c: Candidate, known: KnownItems, policy: PagePolicy, *, may_fetch: bool
) -> Decision:
    entry, source_id = c.entry, job.source_id
    same = known.by_key.get(c.key)
    elsewhere = known.by_url.get(c.canonical_url) if c.canonical_url else None
    if same is None and elsewhere is not None and elsewhere.source_id == source_id:
        same = elsewhere
    if same is not None:
        again = CollectedItem(source_id, entry, c.canonical_url, c.key)
        if same.fulltext_status == "pending" and needs_page(job, entry, policy):
            return Fetch(source_id, c, first=again) if may_fetch else Defer(c, again)
        if entry.arrived_via == "listing" or (entry.arrived_via == "sitemap" and not entry.title):
            return Skip(c)
        return Store(again)
    if elsewhere is not None and elsewhere.text and elsewhere.fulltext_status != "pending":
        article = ArticleRecord(
            url=entry.url,
            text=elsewhere.text,
            title=elsewhere.title,
            author=elsewhere.author,
            published_at=elsewhere.published_at,
            date_quality=elsewhere.date_quality,  # type: ignore[arg-type]
        )
        item = CollectedItem(
            source_id, entry, c.canonical_url, c.key, article, "copied", looked_up_new=True
        )
        return Copy(item, copied_from=elsewhere.id)
    if needs_page(job, entry, policy):
        first = None
        if entry.arrived_via == "feed":  # judged and folded on its feed text until the page comes
            first = CollectedItem(
                source_id, entry, c.canonical_url, c.key, None, "pending", looked_up_new=True
            )
        return Fetch(source_id, c, first=first) if may_fetch else Defer(c, first)
    status: FulltextStatus = "skipped" if entry.arrived_via != "feed" else "none"
    return Store(
        CollectedItem(source_id, entry, c.canonical_url, c.key, None, status, looked_up_new=True)
    )


def fetched_item(fetch: Fetch, article: ArticleRecord | None) -> CollectedItem | None:
    """The item to store once the page was fetched and read (``article``), or could not be
    (None): see the module docstring."""
    c = fetch.candidate
    if fetch.first is not None:  # stored with its feed text: attach the page, or note its failure
        return CollectedItem(
            fetch.source_id,
            c.entry,
            c.canonical_url,
            c.key,
            article,
            "ok" if article is not None else "failed",
            page_result=True,
        )
    if article is not None:
        return CollectedItem(
            fetch.source_id, c.entry, c.canonical_url, c.key, article, "ok", looked_up_new=True
        )
    if c.entry.arrived_via != "feed":
        return None
    # the feed's own text is kept; the page is not retried for this entry
    return CollectedItem(
        fetch.source_id, c.entry, c.canonical_url, c.key, None, "failed", looked_up_new=True
    )
