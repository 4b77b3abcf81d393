"""Print what :func:`monitor.collect.feeds.parse_feed` makes of a corpus of feeds, one JSON line per
feed, so that two versions of the parser can be compared with ``diff`` (a speed-up must not change
one stored character).

The corpus: the edge cases of ``tests/collect/feed_cases.py`` (relative and odd links, a document
base, CDATA, HTML in titles, malformed XML, wrong charsets, refused documents), the generated
feeds of ``bench/feed_ingest.py`` (UTF-8 and windows-1251), the feeds the shared evaluation serves
(when ``--eval-dir`` holds its ``replay.py``), and any ``--recorded`` pickle of ``(body, kwargs)``
calls (for instance recorded from the test suite).

``--code DIR`` imports ``monitor`` from another checkout (say, one of ``main``) to compare:

    python bench/feed_parse_dump.py > new.jsonl
    python bench/feed_parse_dump.py --code ../main > old.jsonl && diff old.jsonl new.jsonl
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import pickle
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
FEED_BASE = "http://127.0.0.1:8080"


def load_module(path: Path) -> Any:
    """The module in ``path``, loaded from this checkout whatever ``--code`` says."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def corpus(args: argparse.Namespace) -> Iterator[tuple[str, bytes, dict[str, Any]]]:
    """``(name, body, parse_feed keyword arguments)`` for every feed of the corpus."""
    from monitor.collect.dates import DateContext

    cases = load_module(ROOT / "tests" / "collect" / "feed_cases.py")
    for case in cases.feed_cases() + cases.single_entry_cases():
        for lang in ("en", "ru"):
            kwargs = {
                "feed_url": case.feed_url,
                "content_type": case.content_type,
                "now": NOW,
                "dates": DateContext.for_source(lang),
            }
            yield f"case {case.name} ({lang})", case.body, kwargs
    sys.path.insert(0, str(ROOT / "bench"))
    from feed_ingest import make_feeds

    for i, feed in enumerate(make_feeds(args.feeds)):
        kwargs = {
            "feed_url": feed.url,
            "content_type": feed.content_type,
            "now": NOW,
            "dates": feed.dates,
        }
        yield f"bench {i} {feed.url} {feed.charset}", feed.body, kwargs
    replay = Path(args.eval_dir) / "replay.py"
    if replay.exists():
        module = load_module(replay)
        universe = module.Universe(module.load_corpus(None), FEED_BASE)
        for source in universe.sources():
            body, ctype = universe.feed(source["name"])
            kwargs = {
                "feed_url": source["url"],
                "content_type": ctype,
                "now": NOW,
                "dates": DateContext.for_source(source["language"]),
            }
            yield f"eval {source['url']}", body, kwargs
    for path in args.recorded:
        with open(path, "rb") as f:
            calls = pickle.load(f)  # a file this script's user made
        for i, (body, kwargs) in enumerate(calls):
            yield f"recorded {Path(path).name} {i} {kwargs.get('feed_url')}", body, kwargs


def outcome(body: bytes, kwargs: dict[str, Any]) -> dict[str, Any]:
    from monitor.collect.feeds import parse_feed

    try:
        parsed = parse_feed(body, **kwargs)
    except Exception as exc:  # the error is part of the outcome
        return {"error": type(exc).__name__, "message": str(exc)}
    return dataclasses.asdict(parsed)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code", default=str(ROOT), help="checkout whose monitor/ is imported")
    parser.add_argument("--feeds", type=int, default=40, help="generated feeds of feed_ingest")
    evals = [p / "shared" / "eval" for p in (ROOT.parent, ROOT.parent.parent)]
    parser.add_argument(
        "--eval-dir",
        default=str(next((p for p in evals if p.is_dir()), evals[0])),
        help="the shared evaluation's folder (its replay.py serves the feeds)",
    )
    parser.add_argument("--recorded", action="append", default=[], help="pickle of calls")
    args = parser.parse_args()
    sys.path[:0] = [str(Path(args.code).resolve()), str(ROOT)]
    count = 0
    for name, body, kwargs in corpus(args):
        line = {"feed": name, **outcome(body, kwargs)}
        print(json.dumps(line, ensure_ascii=False, sort_keys=True, default=str))
        count += 1
    print(f"{count} feeds (evaluation feeds from {args.eval_dir})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
