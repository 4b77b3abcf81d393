"""Relevance on the labelled development set: P/R/F1 per language for the matcher and for the naive
rule "both country names appear", then throughput on ~500-word items (one core, CPU time).

Two throughput figures:

- *dense*: labelled bodies joined until ~500 words, so nearly every sentence names a side, a
  theme or a country (a worst case for matching and explanations);
- *realistic*: one labelled item's body followed by neutral paragraphs (dev-set sentences that
  match no term of the topic) up to ~500 words, as in a long article where the subject is stated
  in the first paragraphs.

    .venv/bin/python bench/relevance_eval.py [--data tests/data/relevance] [--topic FILE] [-v]
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from monitor.relevance.evaluation import (
    LabelledItem,
    evaluate,
    load_labelled,
    long_items,
    throughput,
)
from monitor.relevance.matcher import Matcher
from monitor.relevance.terms import tokenise
from monitor.relevance.topic import load_topic

ROOT = Path(__file__).resolve().parent.parent
_NEUTRAL = ("theme", "entity")  # categories that never add points
_SENTENCE = re.compile(r"(?<=[.!?\u061f])\s+")


def neutral_sentences(matcher: Matcher, items: list[LabelledItem]) -> dict[str, list[str]]:
    """Per language, the dev set's distinct body sentences that name neither side, no bilateral
    form, no other country and no sports term (theme and entity words may appear, as in real
    articles)."""
    refs = matcher.index.payloads
    out: dict[str, list[str]] = {}
    for item in items:
        for sentence in _SENTENCE.split(item.body.replace("\n", " ")):
            sentence = sentence.strip()
            hits = matcher.index.find(tokenise("", sentence))
            if sentence and all(getattr(refs[h.term], "category", "") in _NEUTRAL for h in hits):
                pool = out.setdefault(item.language, [])
                if sentence not in pool:
                    pool.append(sentence)
    return out


def realistic_items(
    matcher: Matcher, items: list[LabelledItem], words: int = 500, per_paragraph: int = 3
) -> list[tuple[str, str]]:
    """Each labelled item (title, body), its body followed by paragraphs of ``per_paragraph``
    neutral sentences of its language until about ``words`` words."""
    pools = neutral_sentences(matcher, items)
    out: list[tuple[str, str]] = []
    for k, item in enumerate(items):
        pool = pools.get(item.language)
        if not pool:
            continue
        paragraphs = [item.body]
        count = len(item.title.split()) + len(item.body.split())
        j = 7 * k
        while count < words:
            chunk = [pool[(j + n) % len(pool)] for n in range(per_paragraph)]
            j += per_paragraph
            paragraphs.append(" ".join(chunk))
            count += sum(len(c.split()) for c in chunk)
        out.append((item.title, "\n".join(paragraphs)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "tests" / "data" / "relevance")
    parser.add_argument(
        "--topic", type=Path, default=ROOT / "config" / "topics" / "iran-russia.yaml"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="List every wrong decision")
    args = parser.parse_args()

    matcher = Matcher(load_topic(args.topic))
    items = load_labelled(args.data)
    reports = evaluate(matcher, items)
    print(f"threshold {matcher.threshold}; {len(items)} labelled items")
    print(
        f"{'lang':<5}{'n':>4}  {'matcher P':>9} {'R':>6} {'F1':>6}   {'naive P':>7} {'R':>6} {'F1':>6}  lang-id"
    )
    for r in reports:
        m, n = r.matcher, r.naive
        print(
            f"{r.language:<5}{r.items:>4}  {m.precision:>9.3f} {m.recall:>6.3f} {m.f1:>6.3f}"
            f"   {n.precision:>7.3f} {n.recall:>6.3f} {n.f1:>6.3f}  {r.detected_ok}/{r.items}"
        )
        if args.verbose:
            for e in r.errors:
                print(f"      miss: {e}")
    for label, docs in (
        ("dense", long_items(items, 500)),
        ("realistic", realistic_items(matcher, items, 500)),
    ):
        words = sum(len(t.split()) + len(b.split()) for t, b in docs) / len(docs)
        rate = throughput(matcher, docs)
        print(
            f"speed ({label}): {rate:,.0f} items/s on one core"
            f" ({len(docs)} items, {words:.0f} words on average)"
        )


if __name__ == "__main__":
    main()
