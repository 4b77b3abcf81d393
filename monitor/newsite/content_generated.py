"""Deterministic generated outlets for the crawl benchmark (``generate_outlets``).

Bodies are 300–600 words drawn from small per-language vocabularies; about a third of the
articles are Iran–Russia reporting (``relevance_hint="bilateral"``), the rest other news. The same
``seed`` always gives the same outlets, titles and bodies (dates are offsets before ``now``).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from monitor.languages import Language
from monitor.newsite.models import Article, FeedKind, Outlet, RelevanceHint

_LANGS: tuple[Language, ...] = ("en", "ru", "fa")
_PRIMARY: tuple[FeedKind, ...] = ("rss", "atom", "rss1", "news_sitemap")

_WORDS: dict[Language, tuple[str, ...]] = {
    "en": tuple(
        "the officials said on week minister government talks agreement project trade port "
        "railway delegation meeting statement report analysts region market prices plans budget "
        "companies cooperation visit conference capital border energy exports imports workers "
        "city council experts figures growth season weather festival team match schedule".split()
    ),
    "ru": tuple(
        "заявил министр правительство переговоры соглашение проект торговля порт дорога "
        "делегация встреча заявление отчёт аналитики регион рынок цены планы бюджет компании "
        "сотрудничество визит конференция столица граница энергетика экспорт импорт рабочие "
        "город совет эксперты рост сезон погода фестиваль команда матч неделе году".split()
    ),
    "fa": tuple(
        "گفت وزیر دولت مذاکرات توافق طرح تجارت بندر راه هیئت نشست بیانیه گزارش کارشناسان "
        "منطقه بازار قیمت برنامه بودجه شرکت‌ها همکاری سفر همایش پایتخت مرز انرژی صادرات "
        "واردات کارگران شهر شورا رشد فصل هوا جشنواره تیم مسابقه هفته سال".split()
    ),
}
_TOPIC: dict[Language, tuple[str, ...]] = {
    "en": (
        "Iran and Russia signed a new cooperation agreement.",
        "Moscow and Tehran discussed the North–South transport corridor.",
        "Russian and Iranian officials reviewed work at the Bushehr nuclear plant.",
        "The Iranian delegation met Russian ministers about gas supplies.",
    ),
    "ru": (
        "Россия и Иран подписали новое соглашение о сотрудничестве.",
        "Москва и Тегеран обсудили коридор «Север — Юг».",
        "Российские и иранские специалисты обсудили работы на АЭС «Бушер».",
        "Иранская делегация провела переговоры с российскими министрами о газе.",
    ),
    "fa": (
        "ایران و روسیه توافق همکاری تازه‌ای امضا کردند.",
        "تهران و مسکو درباره کریدور شمال–جنوب گفتگو کردند.",
        "مقامات ایران و روسیه پیشرفت نیروگاه بوشهر را بررسی کردند.",
        "هیئت ایرانی با وزیران روسیه درباره گاز مذاکره کرد.",
    ),
}
_TITLE_TOPIC: dict[Language, str] = {
    "en": "Iran and Russia",
    "ru": "Россия и Иран",
    "fa": "ایران و روسیه",
}


def _sentence(rng: random.Random, lang: Language) -> str:
    words = rng.choices(_WORDS[lang], k=rng.randint(8, 16))
    text = " ".join(words)
    return text[0].upper() + text[1:] + "."


def _body(rng: random.Random, lang: Language, relevant: bool) -> tuple[str, ...]:
    target = rng.randint(300, 600)
    paragraphs: list[str] = []
    count = 0
    while count < target:
        sentences = [_sentence(rng, lang) for _ in range(rng.randint(3, 5))]
        if relevant and rng.random() < 0.5:
            sentences.insert(0, rng.choice(_TOPIC[lang]))
        paragraph = " ".join(sentences)
        paragraphs.append(paragraph)
        count += len(paragraph.split())
    return tuple(paragraphs)


def generate_outlets(
    n_outlets: int = 20, items_per_feed: int = 50, seed: int = 1, now: datetime | None = None
) -> list[Outlet]:
    """``n_outlets`` outlets with ``items_per_feed`` articles each, the same for the same seed."""
    rng = random.Random(seed)
    now = now or datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    outlets = []
    for i in range(n_outlets):
        lang = _LANGS[i % 3]
        slug = f"gen-{i:03d}"
        articles = []
        for j in range(items_per_feed):
            relevant = rng.random() < 0.35
            hint: RelevanceHint = "bilateral" if relevant else "other"
            words = " ".join(rng.choices(_WORDS[lang], k=5))
            title = f"{_TITLE_TOPIC[lang]}: {words}" if relevant else words.capitalize()
            articles.append(
                Article(
                    slug=f"story-{j:04d}",
                    title=f"{title} ({i}-{j})",
                    body=_body(rng, lang, relevant),
                    author=f"Reporter {rng.randint(1, 40)}",
                    published=now - timedelta(minutes=37 * j + i),
                    language=lang,
                    full_in_feed=rng.random() < 0.5,
                    relevance_hint=hint,
                )
            )
        outlets.append(
            Outlet(
                slug=slug,
                name=f"Generated Outlet {i:03d}",
                language=lang,
                charset="windows-1251" if lang == "ru" and i % 2 else "utf-8",
                kinds=(_PRIMARY[i % len(_PRIMARY)], "sitemap", "listing"),
                category="generated",
                articles=articles,
            )
        )
    return outlets
