"""Refuse XML that declares entities or an internal DTD subset before any parser sees it.

Entity-expansion bombs ("billion laughs", quadratic blow-up) and external entities need a
``<!ENTITY`` declaration, which can only appear inside a DOCTYPE's internal subset. So a document
is refused when it contains ``<!ENTITY`` anywhere, or a ``<!DOCTYPE … [`` internal subset. A plain
external DOCTYPE line (``<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" …>``,
common in old RSS 0.91 feeds) is allowed: no parser here fetches external DTDs.
"""

from __future__ import annotations

import re

from monitor.errors import UnsafeDocumentError

_ENTITY = re.compile(rb"<!ENTITY", re.I)
_DOCTYPE_SUBSET = re.compile(rb"<!DOCTYPE[^>\[]*\[", re.I)
_UTF16_ENTITY = re.compile("<!ENTITY|<!DOCTYPE[^>\\[]*\\[", re.I)


def check_xml_safe(body: bytes, *, what: str = "document") -> None:
    """Raise :class:`UnsafeDocumentError` when ``body`` declares entities or a DTD subset."""
    if body[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00<\x00" in body[:64] or b"<\x00" in body[:4]:
        text = body.decode("utf-16", "replace")
        if _UTF16_ENTITY.search(text):
            raise UnsafeDocumentError(
                f"feeds: {what} declares a DTD or entities; refused before parsing (possible entity bomb)"
            )
        return
    if _ENTITY.search(body) or _DOCTYPE_SUBSET.search(body):
        raise UnsafeDocumentError(
            f"feeds: {what} declares a DTD or entities; refused before parsing (possible entity bomb)"
        )
