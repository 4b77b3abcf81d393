"""Interface strings of the fictional sites in their three languages, and localised dates."""

from __future__ import annotations

from datetime import date, datetime

from monitor.languages import Language

LABELS: dict[Language, dict[str, str]] = {
    "en": {
        "home": "Home",
        "news": "News",
        "politics": "Politics",
        "economy": "Economy",
        "world": "World",
        "sport": "Sport",
        "opinion": "Opinion",
        "latest": "Latest news",
        "related": "Related headlines",
        "most_read": "Most read",
        "share": "Share",
        "by": "By",
        "about_author": "About the author",
        "author_bio": "{name} covers diplomacy and security for {outlet}.",
        "read_also": "Read also",
        "cookies": "We use cookies to improve your experience and to measure our audience.",
        "accept": "Accept",
        "rights": "All rights reserved.",
        "advert": "Advertisement",
        "search": "Search",
        "tags": "Tags",
        "source": "Source",
        "breaking": "Breaking",
        "about": "About us",
        "contact": "Contact",
        "privacy": "Privacy policy",
        "subscribe": "Subscribe to our newsletter",
    },
    "ru": {
        "home": "Главная",
        "news": "Новости",
        "politics": "Политика",
        "economy": "Экономика",
        "world": "В мире",
        "sport": "Спорт",
        "opinion": "Мнения",
        "latest": "Последние новости",
        "related": "Читайте также",
        "most_read": "Самое читаемое",
        "share": "Поделиться",
        "by": "Автор:",
        "about_author": "Об авторе",
        "author_bio": "{name} — корреспондент издания «{outlet}», пишет о дипломатии и безопасности.",
        "read_also": "По теме",
        "cookies": "Мы используем файлы cookie, чтобы сайт работал удобнее.",
        "accept": "Принять",
        "rights": "Все права защищены.",
        "advert": "Реклама",
        "search": "Поиск",
        "tags": "Теги",
        "source": "Источник",
        "breaking": "Срочно",
        "about": "О редакции",
        "contact": "Контакты",
        "privacy": "Политика конфиденциальности",
        "subscribe": "Подпишитесь на рассылку",
    },
    "fa": {
        "home": "صفحه نخست",
        "news": "اخبار",
        "politics": "سیاسی",
        "economy": "اقتصادی",
        "world": "بین‌الملل",
        "sport": "ورزشی",
        "opinion": "دیدگاه",
        "latest": "آخرین اخبار",
        "related": "تیترهای مرتبط",
        "most_read": "پربازدیدترین‌ها",
        "share": "اشتراک‌گذاری",
        "by": "نویسنده:",
        "about_author": "درباره نویسنده",
        "author_bio": "{name} خبرنگار حوزه دیپلماسی و امنیت در {outlet} است.",
        "read_also": "بیشتر بخوانید",
        "cookies": "این وب‌سایت برای بهبود تجربه شما از کوکی استفاده می‌کند.",
        "accept": "می‌پذیرم",
        "rights": "کلیه حقوق محفوظ است.",
        "advert": "آگهی",
        "search": "جستجو",
        "tags": "برچسب‌ها",
        "source": "منبع",
        "breaking": "فوری",
        "about": "درباره ما",
        "contact": "تماس با ما",
        "privacy": "حریم خصوصی",
        "subscribe": "عضویت در خبرنامه",
    },
}

_RU_MONTHS = (
    "января февраля марта апреля мая июня июля августа сентября октября ноября декабря"
).split()
_FA_MONTHS = (
    "فروردین",
    "اردیبهشت",
    "خرداد",
    "تیر",
    "مرداد",
    "شهریور",
    "مهر",
    "آبان",
    "آذر",
    "دی",
    "بهمن",
    "اسفند",
)
_FA_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def to_jalali(day: date) -> tuple[int, int, int]:
    """Gregorian → Solar Hijri (Jalali) date, the calendar Iranian sites print."""
    anchor, year = (date(2001, 3, 21), 1380) if day >= date(2001, 3, 21) else (date(622, 3, 22), 1)
    g_days = (day - anchor).days  # days since 1 Farvardin of ``year``
    while True:
        length = 366 if _jalali_leap(year) else 365
        if g_days < length:
            break
        g_days -= length
        year += 1
    month = 0
    for month in range(12):
        mlen = 31 if month < 6 else 30 if month < 11 else (30 if _jalali_leap(year) else 29)
        if g_days < mlen:
            break
        g_days -= mlen
    return year, month + 1, g_days + 1


def _jalali_leap(year: int) -> bool:
    return (year * 8 + 29) % 33 < 8


def human_date(when: datetime, language: Language) -> str:
    if language == "ru":
        return f"{when.day} {_RU_MONTHS[when.month - 1]} {when.year}, {when:%H:%M}"
    if language == "fa":
        y, m, d = to_jalali(when.date())
        return f"{d} {_FA_MONTHS[m - 1]} {y} - {when:%H:%M}".translate(_FA_DIGITS)
    return f"{when.day} {when:%B %Y, %H:%M} UTC"
