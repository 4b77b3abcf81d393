"""Date reading speed and yield on a few thousand feed dates, alone and inside feed parsing.

    python bench/dates.py [--dates 5000] [--repeat 3] [--seed 7]

The mix is what the shipped sources send: RFC 822 with an offset or GMT (most), ISO 8601, naive
times, Russian month names, dotted day-first dates, Solar Hijri dates in Persian digits, a few bare
times and impossible dates. Prints dates/s for ``judge_date`` on the texts (cold cache and warm),
for ``parse_feed`` on an RSS feed carrying them, and how many dates were read as ``ok``.
"""

from __future__ import annotations

import argparse
import inspect
import random
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from monitor.collect import dates as dates_mod
from monitor.collect.dates import judge_date
from monitor.collect.feeds import parse_feed

NOW = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
RU_MONTHS = "янв фев мар апр мая июн июл авг сен окт ноя дек".split()
RU_DAYS = "Пн Вт Ср Чт Пт Сб Вс".split()
FA_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
FA_MONTHS = "فروردین اردیبهشت خرداد تیر مرداد شهریور مهر آبان آذر دی بهمن اسفند".split()


def make_dates(n: int, seed: int) -> list[tuple[str, str]]:
    """``n`` (text, language) pairs."""
    rng = random.Random(seed)
    out: list[tuple[str, str]] = []
    for _ in range(n):
        when = NOW - timedelta(minutes=rng.randrange(60 * 24 * 30))
        roll = rng.random()
        if roll < 0.55:
            out.append(
                (
                    when.strftime("%a, %d %b %Y %H:%M:%S ")
                    + rng.choice(["+0300", "GMT", "+0330", "+0000"]),
                    "en",
                )
            )
        elif roll < 0.75:
            out.append(
                (when.strftime("%Y-%m-%dT%H:%M:%S") + rng.choice(["Z", "+03:00", "+03:30"]), "en")
            )
        elif roll < 0.82:
            out.append((when.strftime("%Y-%m-%dT%H:%M:%S"), rng.choice(["ru", "fa"])))
        elif roll < 0.88:
            text = f"{RU_DAYS[when.weekday()]}, {when.day:02d} {RU_MONTHS[when.month - 1]} {when.year} {when:%H:%M:%S} +0300"
            out.append((text, "ru"))
        elif roll < 0.93:
            out.append((when.strftime("%d.%m.%Y %H:%M"), "ru"))
        elif roll < 0.97:
            day, month = rng.randrange(1, 29), rng.randrange(1, 13)
            text = f"{day} {FA_MONTHS[month - 1]} 1404 - {when:%H:%M}".translate(FA_DIGITS)
            out.append((text, "fa"))
        elif roll < 0.985:
            out.append((when.strftime("%H:%M"), "ru"))
        else:
            out.append(("2024-13-45T25:61:61Z", "en"))
    return out


def _judge_kwargs(language: str) -> dict[str, Any]:
    if "context" in inspect.signature(judge_date).parameters:
        return {"context": dates_mod.DateContext.for_source(language)}  # type: ignore[attr-defined]
    return {}


def _clear_caches() -> None:
    for name in ("_read_text",):
        fn = getattr(dates_mod, name, None)
        if fn is not None and hasattr(fn, "cache_clear"):
            fn.cache_clear()


def bench_judge(pairs: list[tuple[str, str]], repeat: int) -> tuple[float, float, Counter[str]]:
    kwargs = {lang: _judge_kwargs(lang) for lang in ("en", "ru", "fa")}
    judge_date("Wed, 03 Dec 2025 14:30:00 +0300", now=NOW)  # imports, first use
    cold, warm = float("inf"), float("inf")
    qualities: Counter[str] = Counter()
    for _ in range(repeat):
        _clear_caches()
        t0 = time.perf_counter()
        for text, lang in pairs:
            judge_date(text, now=NOW, **kwargs[lang])
        cold = min(cold, time.perf_counter() - t0)
        t0 = time.perf_counter()
        qualities = Counter(judge_date(text, now=NOW, **kwargs[lang])[1] for text, lang in pairs)
        warm = min(warm, time.perf_counter() - t0)
    return cold, warm, qualities


def feed_body(pairs: list[tuple[str, str]]) -> bytes:
    items = "".join(
        f"<item><title>Item {i}</title><link>https://x.org/news/{i}</link><guid>g{i}</guid>"
        f"<pubDate>{text}</pubDate><description>Text {i}</description></item>"
        for i, (text, _lang) in enumerate(pairs)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>B</title>'
        f"<link>https://x.org/</link>{items}</channel></rss>"
    ).encode()


def bench_feed(pairs: list[tuple[str, str]], repeat: int) -> tuple[float, int]:
    body = feed_body(pairs)
    kwargs: dict[str, Any] = {}
    if "dates" in inspect.signature(parse_feed).parameters:
        kwargs["dates"] = dates_mod.DateContext.for_source("ru")  # type: ignore[attr-defined]
    best, ok = float("inf"), 0
    for _ in range(repeat):
        _clear_caches()
        t0 = time.perf_counter()
        feed = parse_feed(
            body, feed_url="https://x.org/rss", max_entries=len(pairs), now=NOW, **kwargs
        )
        best = min(best, time.perf_counter() - t0)
        ok = sum(1 for e in feed.entries if e.date_quality == "ok")
    return best, ok


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dates", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    pairs = make_dates(args.dates, args.seed)
    cold, warm, qualities = bench_judge(pairs, args.repeat)
    n = len(pairs)
    print(f"dates: {n}  qualities: {dict(sorted(qualities.items()))}")
    print(f"judge_date, cold cache: {n / cold:,.0f} dates/s ({cold * 1e6 / n:.1f} µs each)")
    print(f"judge_date, warm cache: {n / warm:,.0f} dates/s ({warm * 1e6 / n:.1f} µs each)")
    seconds, ok = bench_feed(pairs, args.repeat)
    print(f"parse_feed ({n} entries): {seconds:.2f} s, {n / seconds:,.0f} entries/s, {ok} dates ok")


if __name__ == "__main__":
    main()
