"""Rendering digests with Jinja2: HTML email (CSS inlined), plain text, web page, index page.

One environment per template directory pair, built once (``renderer_for`` caches it) by
:func:`monitor.templating.make_environment` (autoescape, ``StrictUndefined``, the override directory
``<config dir>/templates`` and its ``default:`` prefix).

CSS lives in ``templates/digest/email.css`` (simple class rules only) and is inlined: ``css_inline``
computes each class combination's ``style`` once per process (``{{ css["pad head"] }}`` in a template
gives ``class="pad head" style="…"``), so a digest of thousands of stories needs no inlining pass
over the whole document. ``@media`` rules (dark mode, narrow screens) cannot be inlined; they live in
``email-media.css`` and stay in a ``<style>`` block for the clients that support them.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import css_inline
from jinja2 import Environment
from markupsafe import Markup

from monitor.digest.model import DigestView
from monitor.templating import make_environment

CSS_TEMPLATE = "digest/email.css"
_STYLE_ATTR = re.compile(r'style="([^"]*)"')


class _StyleAttrs(dict[str, Markup]):
    """``css["pad head"]`` → ``class="pad head" style="…"``, computed on first use, then cached."""

    def __init__(self, style_for: Callable[[str], str]) -> None:
        super().__init__()
        self._style_for = style_for

    def __missing__(self, classes: str) -> Markup:
        attr = Markup('class="{}" style="{}"').format(classes, self._style_for(classes))
        self[classes] = attr
        return attr


@dataclass(frozen=True)
class IndexEntry:
    href: str
    date_text: str
    recipient: str
    subject: str
    story_count: int
    item_count: int


class DigestRenderer:
    """Renders :class:`DigestView` values; holds the environment and the inlined styles."""

    def __init__(self, env: Environment) -> None:
        self.env = env
        assert env.loader is not None
        self._css = env.loader.get_source(env, CSS_TEMPLATE)[0]
        self._inliner = css_inline.CSSInliner(load_remote_stylesheets=False, minify_css=True)
        self.attrs = _StyleAttrs(self.style_for)
        env.globals["css"] = self.attrs

    def style_for(self, classes: str) -> str:
        """The inline style that ``email.css`` gives an element with these classes."""
        fragment = self._inliner.inline_fragment(f'<div class="{classes}"></div>', self._css)
        found = _STYLE_ATTR.search(fragment)
        return html.unescape(found.group(1)) if found else ""

    def email_html(self, view: DigestView, *, subject: str) -> str:
        return self.env.get_template("digest/email.html").render(d=view, subject=subject)

    def text(self, view: DigestView) -> str:
        return self.env.get_template("digest/email.txt").render(d=view)

    def page(self, view: DigestView, *, subject: str, index_href: str) -> str:
        return self.env.get_template("digest/page.html").render(
            d=view, subject=subject, index_href=index_href
        )

    def index(self, title: str, entries: list[IndexEntry]) -> str:
        return self.env.get_template("digest/index.html").render(title=title, entries=entries)


@functools.lru_cache(maxsize=8)
def renderer_for(templates: Path, override: Path | None = None) -> DigestRenderer:
    """The renderer for these template directories, built once per process."""
    return DigestRenderer(make_environment(templates, override))
