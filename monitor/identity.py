"""Identity keys: entry key, content fingerprint and title key (all sha256 hex, 64 characters).

Low level on purpose: collection computes them before anything is stored, copy detection looks
items up by them, and neither owns them. They are stored, so they must stay stable.

- :func:`entry_key` — an entry's identity within its source: GUID, else canonical URL, else the
  normalised title and text (entries without a link). The ``(source_id, entry_key)`` pair is
  unique in the archive.
- :func:`content_fingerprint` — exact copies across sources: normalised title + the body as copy
  detection prepares it (boilerplate such as agency credits, "Read more" and datelines removed,
  then normalised: ``monitor.dedup.text.prepare_body(text).body``). The caller prepares the body,
  because what counts as boilerplate is topic knowledge, above this module.
- :func:`title_key` — the title without outlet names and separators, so "TASS: X",
  "X – Tehran Times" and "X | Some Site" share one key.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from monitor.textnorm import fold, normalise


@dataclass(frozen=True)
class Outlets:
    """Outlet names and agency credits (``config/outlets.yaml``, loaded by
    :func:`monitor.config.load_outlets`), folded.

    ``names`` are removed from titles ("TASS: …", "… – Tehran Times"), so they shape
    :func:`title_key`, :func:`content_fingerprint` and a link-less entry's :func:`entry_key`;
    ``agencies`` are credits and datelines removed from texts before copies are compared.
    ``fingerprint`` names the lists, so that an archive can tell when its stored keys were
    computed with other ones."""

    names: frozenset[str]
    agencies: tuple[str, ...]  # longest first
    fingerprint: str

    @classmethod
    def of(cls, names: Iterable[str], agencies: Iterable[str]) -> Outlets:
        folded = frozenset(fold(n).strip() for n in names if n.strip())
        credits = tuple(
            sorted({fold(a).strip() for a in agencies if a.strip()}, key=lambda a: (-len(a), a))
        )
        basis = "\n".join(sorted(folded)) + "\x1f" + "\n".join(credits)
        return cls(folded, credits, _sha(basis)[:16])


_SEP_SUFFIX = re.compile(r"\s+(?:\||–|—|-|::|»)\s+")
_SEP_PREFIX = re.compile(r"^\s*([^:|–—]{1,40}?)(?:\s*[:|–—»]|\s+-)\s+")
_DOMAIN_LIKE = re.compile(r"\.(?:com|org|net|ru|ir|info|news|co|uk|az)\b")


def _is_outlet(segment: str, outlets: Outlets) -> bool:
    name = fold(segment).strip(" .«»\"'()[]")
    return name in outlets.names or bool(_DOMAIN_LIKE.search(name))


def strip_outlet(title: str, outlets: Outlets) -> str:
    """Remove a leading or trailing outlet name with its separator; keep the headline itself."""
    title = title.strip()
    for _ in range(2):
        parts = _SEP_SUFFIX.split(title)
        if len(parts) >= 2:
            tail = parts[-1]
            words = tail.split()
            piped = bool(re.search(r"\s\|\s[^|]*$", title)) and len(words) <= 4
            # "… – Tehran Daily Herald": a short, capitalised name after a dash is an outlet
            named = 1 < len(words) <= 4 and all(w[:1].isupper() for w in words)
            if (
                _is_outlet(tail, outlets)
                or piped
                or (named and len(title.split()) >= len(words) + 4)
            ):
                title = title[: title.rfind(tail)].rstrip(" |–—-:»")
                continue
        m = _SEP_PREFIX.match(title)
        if m and _is_outlet(m.group(1), outlets) and m.end() < len(title):
            title = title[m.end() :]
            continue
        break
    return title.strip()


def normalise_title(title: str, outlets: Outlets) -> str:
    """The comparable form of a title: outlet removed, then :func:`monitor.textnorm.normalise`."""
    return normalise(strip_outlet(title, outlets))


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def title_key(title: str, outlets: Outlets) -> str:
    """sha256 of :func:`normalise_title`; empty string for an empty title."""
    norm = normalise_title(title, outlets)
    return _sha(norm) if norm else ""


def content_fingerprint(title: str, body: str, outlets: Outlets) -> str:
    """sha256 of the normalised title and ``body``, the text already freed of boilerplate and
    normalised (see the module docstring)."""
    return _sha(normalise_title(title, outlets) + "\x1f" + body)


def entry_key(
    guid: str | None,
    canonical_url: str | None,
    title: str | None,
    text: str | None = None,
    *,
    outlets: Outlets,
) -> str:
    """GUID if present, else canonical URL, else the normalised title and text (an entry without
    a link; the title alone when it has no text). Scoped per source by the archive."""
    if guid and guid.strip():
        basis = "g:" + guid.strip()
    elif canonical_url and canonical_url.strip():
        basis = "u:" + canonical_url.strip()
    elif text and text.strip():
        basis = "c:" + normalise_title(title or "", outlets) + "\x1f" + normalise(text)
    else:
        basis = "t:" + normalise_title(title or "", outlets)
    return _sha(basis)
