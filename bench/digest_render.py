"""Render a digest of 5,000 stories (HTML email with CSS inlined + plain text) and time it.

    python bench/digest_render.py [--stories 5000] [--repeat 3] [--budget 1.0]

Exits 1 when the best run is slower than ``--budget`` seconds.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, datetime

from monitor.digest.message import build_subject
from monitor.digest.model import DigestView, Link, Section, StoryView
from monitor.digest.render import renderer_for
from monitor.paths import templates_dir

THEMES = ("military", "nuclear", "economy", "diplomacy", "treaty", "regional")
HEADLINES = {
    "en": "Ministers discuss rail corridor and gas swaps in talks number {n}",
    "ru": "Министры обсудили транспортный коридор, встреча номер {n}",
    "fa": "وزیران درباره کریدور ریلی گفتگو کردند، دیدار شماره {n}",
}
SNIPPETS = {
    "en": "Delegations met for a second day. Officials described progress on payments. A joint "
    "statement is expected.",
    "ru": "Делегации встретились второй день подряд. Стороны обсудили платежи. Ожидается заявление.",
    "fa": "هیئت‌ها برای روز دوم دیدار کردند. درباره پرداخت‌ها گفتگو شد. بیانیه مشترک انتظار می‌رود.",
}
NAMES = {"en": "English", "ru": "Russian", "fa": "Persian"}


def make_view(stories: int, seed: int = 7) -> DigestView:
    rnd = random.Random(seed)
    views: list[StoryView] = []
    for n in range(stories):
        lang = rnd.choice(("en", "en", "ru", "fa"))
        also = tuple(
            Link(
                outlet=f"Outlet {k}",
                url=f"https://outlet{k}.example.net/news/{n}",
                title=HEADLINES[lang].format(n=n),
                language=lang,
                direction="rtl" if lang == "fa" else "ltr",
            )
            for k in range(rnd.randint(0, 4))
        )
        views.append(
            StoryView(
                key=f"s{n}",
                story_id=n,
                headline=HEADLINES[lang].format(n=n) + " <&>",
                url=f"https://lead.example.net/{lang}/{n}",
                outlet="Lead Outlet",
                when="1 May 2024, 09:30 UTC",
                when_iso="2024-05-01T09:30+00:00",
                language=lang,
                language_name=NAMES[lang],
                direction="rtl" if lang == "fa" else "ltr",
                snippet=SNIPPETS[lang],
                figures=("Sergei Lavrov", "Abbas Araghchi")[: rnd.randint(0, 2)],
                themes=(rnd.choice(THEMES),),
                also=also,
                also_count=len(also),
                outlets=len(also) + 1,
                reports=len(also) + 1,
                new_reports=1,
            )
        )
    key = tuple(views[:5])
    sections = tuple(
        Section(
            theme=t, label=t.capitalize(), stories=tuple(v for v in views[5:] if v.themes[0] == t)
        )
        for t in THEMES
    )
    return DigestView(
        title="Iran–Russia monitor",
        recipient="bench",
        timezone="UTC",
        period_start=datetime(2024, 4, 30, 7, tzinfo=UTC),
        period_end=datetime(2024, 5, 1, 7, tzinfo=UTC),
        period_text="30 Apr 2024, 07:00 UTC – 1 May 2024, 07:00 UTC",
        date_text="1 May 2024",
        story_count=stories,
        item_count=sum(v.reports for v in views),
        outlet_count=6,
        key=key,
        sections=sections,
        top=tuple(views[:3]),
        view_url="https://news.example.org/digests/bench/1.html",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--budget", type=float, default=1.0, help="seconds allowed for one render")
    args = parser.parse_args()

    t0 = time.perf_counter()
    renderer = renderer_for(templates_dir())
    view = make_view(args.stories)
    setup_s = time.perf_counter() - t0
    runs = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        subject = build_subject(view)
        t_html = time.perf_counter()
        html = renderer.email_html(view, subject=subject)
        t_text = time.perf_counter()
        text = renderer.text(view)
        done = time.perf_counter()
        runs.append((done - t, t_text - t_html, done - t_text))
    best = min(runs)
    print(
        f"stories={args.stories} html_bytes={len(html.encode())} text_bytes={len(text.encode())} "
        f"setup_s={setup_s:.3f}"
    )
    for i, (total, h, tx) in enumerate(runs, 1):
        print(f"run {i}: total_s={total:.3f} html+inline_s={h:.3f} text_s={tx:.3f}")
    verdict = "ok" if best[0] < args.budget else "TOO SLOW"
    print(f"best_total_s={best[0]:.3f} budget_s={args.budget} {verdict}")
    return 0 if best[0] < args.budget else 1


if __name__ == "__main__":
    sys.exit(main())
