"""Feed ingest speed: our feed parsing against bare feedparser, over UTF-8 and windows-1251 feeds.

Renders the generated site's feeds (``generate_outlets``: RSS 2.0, RSS 1.0 and Atom, 50 entries
each, English, Russian and Persian) as bytes, half of them UTF-8 and half windows-1251 (the
Russian outlets' feeds, encoded both ways), and times, interleaved (``--repeat`` rounds, the
fastest counts: the machine is shared):

- **ours**: :func:`monitor.collect.feeds.parse_feed` as the crawl calls it (charset detection,
  safety check, feedparser, entries to plain text with dates and links), with the HTTP
  ``Content-Type`` the site sends;
- **bare**: ``feedparser.parse(body)``, as the baseline of ``bench/crawl.py`` does.

Times are CPU seconds of the process (parsing is all CPU work). Prints feeds/s and entries/s per
charset and overall, and the ratio of our rate to bare
feedparser's; the exit status checks the overall ratio against ``--min-ratio``.

    python bench/feed_ingest.py [--feeds 40] [--repeat 5] [--min-ratio 0.8]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import feedparser  # noqa: E402

from monitor.collect.dates import DateContext  # noqa: E402
from monitor.collect.feeds import parse_feed  # noqa: E402
from monitor.newsite import generate_outlets  # noqa: E402
from monitor.newsite.models import FeedKind  # noqa: E402
from monitor.newsite.render_feeds import CONTENT_TYPES, XML_RENDERERS  # noqa: E402

BASE_URL = "http://127.0.0.1:8080"
KINDS: tuple[FeedKind, ...] = ("rss", "rss1", "atom")


@dataclass(frozen=True)
class Feed:
    url: str
    body: bytes
    content_type: str
    charset: str
    dates: DateContext


def make_feeds(n: int) -> list[Feed]:
    """``n`` feeds: ``n // 2`` in windows-1251 (Russian), the rest UTF-8 (all three languages)."""
    outlets = generate_outlets(n_outlets=max(3 * n, 6), items_per_feed=50, seed=1)
    russian = [o for o in outlets if o.language == "ru"]
    feeds: list[Feed] = []
    for i in range(n):
        cp1251 = i % 2 == 1
        outlet = russian[i // 2 % len(russian)] if cp1251 else outlets[i // 2 % len(outlets)]
        kind: FeedKind = next((k for k in KINDS if outlet.offers(k)), "rss")
        charset = "windows-1251" if cp1251 else "utf-8"
        text = XML_RENDERERS[kind](outlet, outlet.sorted_articles(), BASE_URL, charset)
        feeds.append(
            Feed(
                url=f"{BASE_URL}/{outlet.slug}/{kind}.xml",
                body=text.encode(charset, "xmlcharrefreplace"),
                content_type=f"{CONTENT_TYPES[kind]}; charset={charset}",
                charset=charset,
                dates=DateContext.for_source(outlet.language, None),
            )
        )
    return feeds


def ours(feed: Feed) -> int:
    parsed = parse_feed(
        feed.body, feed_url=feed.url, content_type=feed.content_type, dates=feed.dates
    )
    return len(parsed.entries)


def bare(feed: Feed) -> int:
    return len(feedparser.parse(feed.body).entries)


def timed(parse: Callable[[Feed], int], feeds: list[Feed]) -> tuple[float, int]:
    """CPU seconds of this process (parsing is all CPU; on a busy machine wall time is not)."""
    t0 = time.process_time()
    entries = sum(parse(f) for f in feeds)
    return time.process_time() - t0, entries


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=40, help="feeds, half of them windows-1251")
    parser.add_argument("--repeat", type=int, default=5, help="rounds; the fastest counts")
    parser.add_argument("--min-ratio", type=float, default=0.8)
    args = parser.parse_args()
    feeds = make_feeds(args.feeds)
    groups = {
        "utf-8": [f for f in feeds if f.charset == "utf-8"],
        "windows-1251": [f for f in feeds if f.charset == "windows-1251"],
    }
    best: dict[tuple[str, str], tuple[float, int]] = {}
    ours(feeds[0]), bare(feeds[0])  # imports and caches warmed before timing
    for _ in range(args.repeat):
        for charset, group in groups.items():
            for name, parse in (("bare", bare), ("ours", ours)):
                seconds, entries = timed(parse, group)
                key = (charset, name)
                if key not in best or seconds < best[key][0]:
                    best[key] = (seconds, entries)
    size = sum(len(f.body) for f in feeds) / 1e6
    print(
        f"{len(feeds)} feeds ({size:.1f} MB): {', '.join(f'{len(g)} {c}' for c, g in groups.items())}"
    )
    totals = {"bare": 0.0, "ours": 0.0}
    for charset in groups:
        rates = {}
        for name in ("bare", "ours"):
            seconds, entries = best[(charset, name)]
            totals[name] += seconds
            rates[name] = len(groups[charset]) / seconds
            print(
                f"{charset:13s} {name}: {seconds:6.3f} s  {rates[name]:6.1f} feeds/s  "
                f"{entries / seconds:7.0f} entries/s ({entries} entries)"
            )
        print(f"{charset:13s} ratio ours/bare: {rates['ours'] / rates['bare']:.2f}")
    overall = totals["bare"] / totals["ours"]  # the same feeds: the ratio of rates
    for name, seconds in totals.items():
        print(f"{'all':13s} {name}: {seconds:6.3f} s  {len(feeds) / seconds:6.1f} feeds/s")
    verdict = "OK" if overall >= args.min_ratio else "TOO SLOW"
    print(f"ratio ours/bare feedparser (rate): {overall:.2f} (at least {args.min_ratio}) {verdict}")
    return 0 if overall >= args.min_ratio else 1


if __name__ == "__main__":
    raise SystemExit(main())
