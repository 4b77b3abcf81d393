"""URL canonicalisation: one spelling per article, so copies are recognised before any fetch.

Rules, applied until the URL no longer changes (so the function is idempotent):

1. Only ``http``/``https`` URLs with a host are rewritten; anything else comes back stripped of
   surrounding whitespace and otherwise untouched (the function never raises).
2. Scheme and host are lower-cased; a trailing dot, user info and the default port (80/443) go.
   International host names become punycode (``президент.рф`` → ``xn--d1abbgf6aiiy.xn--p1ai``).
3. Host prefixes ``www.``, ``amp.``, ``m.`` and ``mobile.`` are removed while a registrable name
   (at least one dot) remains: ``m.example.org`` → ``example.org``.
4. Path: percent-escapes of unreserved characters are decoded (``%7E`` → ``~``), other escapes
   upper-cased, raw spaces and non-ASCII characters encoded as UTF-8; ``.``/``..`` segments
   resolved; AMP variants dropped (an ``amp`` path segment, a ``.amp`` suffix before ``.html``);
   a final ``index.html``/``index.htm`` and the trailing slash removed.
5. Query: tracking parameters are removed (:data:`TRACKING_PARAMS`, any ``utm_*`` name and any
   ``mc_*`` name; ``amp``, ``outputType=amp`` and ``output=amp``); every other parameter is kept,
   because it may identify the article (``?id=123``). The remaining parameters are sorted.
6. The fragment is dropped, except a ``#!`` "hashbang" route, which names content.

Sources of the tracking list: Google Analytics and Ads (utm_*, gclid, dclid, gclsrc, _ga, _gl),
Facebook (fbclid), Yandex (yclid, ysclid, _openstat), Microsoft (msclkid), Mailchimp (mc_cid,
mc_eid), HubSpot (_hsenc, _hsmi), Instagram (igshid), Twitter (ref_src, ref_url), Adobe (s_cid),
and miniflux's ``urlcleaner`` list.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import SplitResult, urlsplit, urlunsplit

TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "yclid",
        "ysclid",
        "_openstat",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "_hsenc",
        "_hsmi",
        "igshid",
        "ref",
        "ref_src",
        "ref_url",
        "referrer",
        "s_cid",
        "cmpid",
        "ncid",
        "sr_share",
        "_ga",
        "_gl",
        "__twitter_impression",
        "at_medium",
        "at_campaign",
        "wt.mc_id",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "mkt_tok",
        "amp",
    }
)
TRACKING_PREFIXES = ("utm_", "mc_")
AMP_VALUED_PARAMS = frozenset({"outputtype", "output"})  # dropped only when the value is "amp"
HOST_PREFIXES = ("www.", "amp.", "m.", "mobile.")
INDEX_PAGES = ("index.html", "index.htm")
DEFAULT_PORTS = {"http": 80, "https": 443}

_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# characters that may appear raw in a path / in a query key or value (RFC 3986 pchar minus "%")
_PATH_SAFE = _UNRESERVED | frozenset("!$&'()*+,;=:@/")
_QUERY_SAFE = _UNRESERVED | frozenset("!$'()*+,;:@/?")
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_MAX_ROUNDS = 4


def _normalise_component(value: str, safe: frozenset[str]) -> str:
    """Decode escapes of unreserved characters, upper-case the rest, encode unsafe characters."""
    out: list[str] = []
    i = 0
    n = len(value)
    while i < n:
        ch = value[i]
        if ch == "%" and _ESCAPE.match(value, i):
            byte = int(value[i + 1 : i + 3], 16)
            decoded = chr(byte)
            out.append(decoded if decoded in _UNRESERVED else "%" + value[i + 1 : i + 3].upper())
            i += 3
            continue
        if ch in safe:
            out.append(ch)
        else:
            out.extend(f"%{b:02X}" for b in ch.encode("utf-8", "surrogatepass"))
        i += 1
    return "".join(out)


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4, on whole segments."""
    if "." not in path:
        return path
    segments = path.split("/")
    out: list[str] = []
    for seg in segments[1:] if path.startswith("/") else segments:
        if seg == ".":
            continue
        if seg == "..":
            if out:
                out.pop()
            continue
        out.append(seg)
    trailing = segments[-1] in (".", "..")
    result = "/" + "/".join(out) if path.startswith("/") else "/".join(out)
    if trailing and not result.endswith("/"):
        result += "/"
    return result


def _canonical_path(path: str) -> str:
    path = _normalise_component(path, _PATH_SAFE)
    path = _remove_dot_segments(path)
    segments = path.split("/")
    kept = [seg for seg in segments if seg.lower() != "amp"]
    if any(kept[1:]):  # never reduce a path to nothing because of an "amp" segment
        segments = kept
    if segments and segments[-1].lower().endswith(".amp.html"):
        segments[-1] = segments[-1][: -len(".amp.html")] + ".html"
    if segments and segments[-1].lower() in INDEX_PAGES:
        segments[-1] = ""
    path = "/".join(segments)
    path = re.sub(r"/{2,}", "/", path)
    path = path.rstrip("/")
    return path or "/"


def _is_tracking(key: str, value: str) -> bool:
    name = key.lower()
    if name in TRACKING_PARAMS or name.startswith(TRACKING_PREFIXES):
        return True
    return name in AMP_VALUED_PARAMS and value.lower() == "amp"


def _canonical_query(query: str) -> str:
    pairs: list[tuple[str, str, bool]] = []
    for part in query.split("&"):
        if not part:
            continue
        key, eq, value = part.partition("=")
        key = _normalise_component(key, _QUERY_SAFE - {"="})
        value = _normalise_component(value, _QUERY_SAFE | {"="})
        if _is_tracking(_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), key), value):
            continue
        pairs.append((key, value, bool(eq)))
    pairs.sort()
    return "&".join(f"{k}={v}" if eq else k for k, v, eq in pairs)


def _canonical_host(host: str) -> str:
    host = host.strip().rstrip(".").lower()
    if not host:
        return host
    if not host.isascii():
        try:
            host = unicodedata.normalize("NFKC", host).encode("idna").decode("ascii")
        except (UnicodeError, ValueError):
            host = _normalise_component(host, _UNRESERVED)
    changed = True
    while changed:
        changed = False
        for prefix in HOST_PREFIXES:
            rest = host[len(prefix) :]
            if host.startswith(prefix) and "." in rest.strip("."):
                host = rest
                changed = True
    return host


def _canonical_netloc(parts: SplitResult, scheme: str) -> str | None:
    host = parts.hostname
    if not host:
        return None
    if ":" in host:  # IPv6 literal
        host_out = f"[{host.lower()}]"
    else:
        host_out = _canonical_host(host)
        if not host_out:
            return None
    try:
        port = parts.port
    except ValueError:
        return None
    if port is not None and port != DEFAULT_PORTS.get(scheme):
        return f"{host_out}:{port}"
    return host_out


def _canonicalize_once(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        return url
    netloc = _canonical_netloc(parts, scheme)
    if netloc is None:
        return url
    path = _canonical_path(parts.path)
    query = _canonical_query(parts.query)
    fragment = ""
    if parts.fragment.startswith("!"):
        fragment = _normalise_component(parts.fragment, _QUERY_SAFE | {"=", "&", "#"})
    return urlunsplit((scheme, netloc, path, query, fragment))


def canonicalize_url(url: str) -> str:
    """The canonical spelling of ``url`` (see the module docstring). Never raises."""
    current = url.strip()
    for _ in range(_MAX_ROUNDS):
        try:
            nxt = _canonicalize_once(current)
        except (ValueError, UnicodeError):
            return current
        if nxt == current:
            break
        current = nxt
    return current


def strip_tracking(url: str) -> str:
    """``url`` without its tracking parameters (utm_*, fbclid, …), everything else exactly as it
    was: a clean link to show people. Unlike :func:`canonicalize_url` it never changes the host,
    path, order of the other parameters or fragment, so the link still works wherever the
    original did. Never raises; returns ``url`` unchanged when it cannot be split."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if not parts.query:
        return url
    kept = []
    for part in parts.query.split("&"):
        key, _, value = part.partition("=")
        decoded = _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), key)
        if part and not _is_tracking(decoded, value):
            kept.append(part)
    if len(kept) == len([p for p in parts.query.split("&") if p]):
        return url
    return urlunsplit(parts._replace(query="&".join(kept)))


def is_fetchable_link(url: str) -> bool:
    """True for absolute http(s) URLs with a host; false for javascript:, data:, mailto:, junk."""
    if not url or any(ch.isspace() or ord(ch) < 32 for ch in url.strip()):
        return False
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return False
    if parts.scheme.lower() not in DEFAULT_PORTS or not parts.hostname:
        return False
    return port is None or 0 < port < 65536
