"""The one Jinja environment factory: digests and the web app render through it.

Every environment gets the same rules:

- autoescape on for ``.html`` and ``.xml`` templates (and strings), off for ``.txt`` (the plain-text
  email): scraped text reaches a page only escaped;
- ``StrictUndefined``, so a typo in a template fails loudly instead of printing nothing;
- an optional override directory (``<config dir>/templates``, laid out like the shipped
  ``templates/``) whose files win over the shipped ones; an override can still extend the shipped
  template it replaces as ``default:<name>`` (e.g. ``{% extends "default:digest/email.html" %}``);
- the filters and globals below, registered here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import nh3
from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PrefixLoader,
    StrictUndefined,
    select_autoescape,
)
from markupsafe import Markup, escape

from monitor.languages import direction

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
    """The ``dir`` attribute for text in ``language``: ``rtl``, else ``auto`` (mixed titles)."""
    return "rtl" if direction(language) == "rtl" else "auto"


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


def make_environment(templates: Path, override: Path | None = None) -> Environment:
    """An environment over ``templates``; files in ``override`` (when given) win."""
    dirs = [str(p) for p in (override, templates) if p is not None]
    env = Environment(
        loader=ChoiceLoader(
            [
                FileSystemLoader(dirs),
                PrefixLoader({"default": FileSystemLoader(str(templates))}, delimiter=":"),
            ]
        ),
        autoescape=select_autoescape(["html", "xml"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
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


def override_dir(config_dir: Path, *parts: str) -> Path | None:
    """``<config dir>/templates/<parts…>`` when that directory exists (the user's overrides)."""
    path = config_dir.joinpath("templates", *parts)
    return path if path.is_dir() else None
