"""The demo outlets: eight fictional sites in English, Russian and Persian.

The mix exercises the whole pipeline: Iran–Russia bilateral reporting across themes (military,
nuclear/Bushehr, economy and energy, INSTC/Rasht–Astara, sanctions, diplomacy, the treaty,
Caspian/Syria), Iran-only, Russia-only, sport and list mentions; three syndicated stories
(``Article.story_key``: ``rasht-astara-loan`` on 3 English outlets, ``gas-via-azerbaijan`` on 3
Russian outlets, ``bushehr-units-review`` on 2 Persian outlets) with changed headlines, trimmed
paragraphs and agency credits; charsets utf-8, windows-1251, koi8-r and windows-1256 (where the
Persian text uses Arabic yeh/kaf as sites in that charset do); summary-only feeds next to full
``content:encoded``; a ``<script>`` in one title; an article dated in the future.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from monitor.languages import Language
from monitor.newsite import demo_en, demo_fa, demo_ru
from monitor.newsite.demo_spec import Spec, build
from monitor.newsite.models import Article, Outlet

ZWNJ = "\u200c"
_ARABIC_FORMS = str.maketrans({"ی": "ي", "ک": "ك"})


def _persian(specs: list[Spec], *, arabic_forms: bool = False) -> list[Spec]:
    def fix(text: str) -> str:
        text = text.replace("|", ZWNJ)
        return text.translate(_ARABIC_FORMS) if arabic_forms else text

    return [
        replace(
            s,
            title=fix(s.title),
            author=fix(s.author),
            body=tuple(fix(p) for p in s.body),
            tags=tuple(fix(t) for t in s.tags),
            credit=fix(s.credit),
        )
        for s in specs
    ]


def _articles(specs: list[Spec], language: Language, now: datetime) -> list[Article]:
    return build(specs, language, now)


def demo_outlets(now: datetime | None = None) -> list[Outlet]:
    """The demo set; article dates are fixed offsets (hours) before ``now`` (default: this hour)."""
    now = now or datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    return [
        Outlet(
            slug="tehran-wire",
            name="Tehran Wire Agency",
            language="en",
            kinds=("rss", "news_sitemap", "sitemap", "listing"),
            category="state_agency",
            description="English service of an Iranian state news agency",
            articles=_articles(demo_en.TEHRAN_WIRE, "en", now),
        ),
        Outlet(
            slug="global-dispatch",
            name="Global Dispatch",
            language="en",
            kinds=("atom", "rss", "news_sitemap", "sitemap", "listing"),
            category="international",
            description="International news and analysis",
            feed_link_query="utm_source=rss&utm_medium=feed&utm_campaign=world",
            articles=_articles(demo_en.GLOBAL_DISPATCH, "en", now),
        ),
        Outlet(
            slug="eurasia-ledger",
            name="Eurasia Ledger",
            language="en",
            kinds=("rss1", "sitemap", "listing"),
            conditional_get=False,
            category="independent",
            description="Independent reporting on Eurasia",
            articles=_articles(demo_en.EURASIA_LEDGER, "en", now),
        ),
        Outlet(
            slug="vektor",
            name="ИА «Вектор»",
            language="ru",
            kinds=("atom", "news_sitemap", "listing"),
            category="wire",
            description="Информационное агентство «Вектор»: новости России и мира",
            articles=_articles(demo_ru.VEKTOR, "ru", now),
        ),
        Outlet(
            slug="delovoy-kurier",
            name="Деловой курьер",
            language="ru",
            charset="windows-1251",
            kinds=("rss", "rss1", "sitemap", "listing"),
            category="business",
            description="Ежедневная деловая газета",
            articles=_articles(demo_ru.DELOVOY_KURIER, "ru", now),
        ),
        Outlet(
            slug="kaspiyskaya-pravda",
            name="Каспийская правда",
            language="ru",
            charset="koi8-r",
            kinds=("rss1", "listing"),
            conditional_get=False,
            category="regional",
            description="Областная газета Нижнего Поволжья",
            articles=_articles(demo_ru.KASPIYSKAYA_PRAVDA, "ru", now),
        ),
        Outlet(
            slug="aftab",
            name="خبرگزاری آفتاب".translate(_ARABIC_FORMS),
            language="fa",
            charset="windows-1256",
            arabic_forms=True,
            kinds=("rss", "sitemap", "listing"),
            category="state_agency",
            description="خبرگزاری رسمی".translate(_ARABIC_FORMS),
            articles=_articles(_persian(demo_fa.AFTAB, arabic_forms=True), "fa", now),
        ),
        Outlet(
            slug="pol-media",
            name="رسانه پل",
            language="fa",
            kinds=("atom", "news_sitemap", "listing"),
            category="independent",
            description="رسانه مستقل فارسی" + ZWNJ + "زبان در تبعید",
            articles=_articles(_persian(demo_fa.POL_MEDIA), "fa", now),
        ),
    ]
