"""The web app's Jinja environment: autoescape on, strict undefined, filters in one place."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import nh3
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from monitor.paths import templates_dir

ALLOWED_TAGS = {
    "p",
    "br",
    "a",
    "em",
    "strong",
    "b",
    "i",
    "ul",
    "ol",
    "li",
    "blockquote",
    "q",
    "cite",
}
RTL_LANGUAGES = {"fa", "ar", "he", "ur"}


def web_templates_dir() -> Path:
    return templates_dir() / "web"


def sanitize_html(html: str | None) -> Markup:
    """Scraped HTML reduced to an allow-list of tags; links only http(s), marked nofollow."""
    if not html:
        return Markup("")
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https"},
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(cleaned)  # noqa: S704 - nh3 output is sanitised


def paragraphs(text: str | None) -> list[str]:
    if not text:
        return []
    blocks = [b.strip() for b in text.replace("\r\n", "\n").split("\n\n")]
    if len(blocks) == 1:
        blocks = [b.strip() for b in text.split("\n")]
    return [b for b in blocks if b]


def text_dir(language: str | None) -> str:
    return "rtl" if language in RTL_LANGUAGES else "auto"


def fmt_dt(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return value.strftime(fmt) + (" UTC" if "%H" in fmt else "") if value else "—"


def domain(url: str) -> str:
    return urlsplit(url).netloc


def qs(params: Mapping[str, Any], **overrides: Any) -> str:
    """A query string from filter parameters with some values replaced (None removes a key)."""
    merged: dict[str, Any] = {**params, **overrides}
    pairs: list[tuple[str, str]] = []
    for key, value in merged.items():
        if value is None or value == "" or value == []:
            continue
        if isinstance(value, list | tuple):
            pairs.extend((key, str(v)) for v in value)
        else:
            pairs.append((key, str(value)))
    return urlencode(pairs)


def http_url(url: str) -> str:
    """Only http(s) URLs become links; anything else (javascript:, data:) becomes '#'."""
    return url if urlsplit(url).scheme in ("http", "https") else "#"


def build_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(web_templates_dir())),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        sanitize=sanitize_html,
        paragraphs=paragraphs,
        textdir=text_dir,
        dt=fmt_dt,
        domain=domain,
        http_url=http_url,
    )
    env.globals.update(qs=qs, escape=escape)
    return env
