"""URL canonicalisation: one spelling per article, so copies are recognised before any fetch.

Rules, applied until the URL no longer changes (so the function is idempotent):

1. Only ``http``/``https`` URLs with a host are rewritten; anything else comes back stripped of
   surrounding whitespace and otherwise untouched (the function never raises).
2. Scheme and host are lower-cased; a trailing dot, user info and the default port (80/443) go.
   International host names become punycode (``президент.рф`` → ``xn--d1abbgf6aiiy.xn--p1ai``).
3. Host prefixes ``www.``, ``amp.``, ``m.`` and ``mobile.`` are removed while what remains is still
   a registrable name under the Public Suffix List (``m.example.org`` → ``example.org``, but
   ``m.gov.ir`` and ``www.co.uk`` stay: ``gov.ir`` and ``co.uk`` are public suffixes). The list is
   tldextract's bundled snapshot; nothing is fetched at run time. Hosts under a suffix the list
   does not know keep the older rule: a prefix goes while a dot remains.
4. The RFC 3986 parts come from w3lib's ``canonicalize_url``: percent-escapes of unreserved
   characters decoded (``%7E`` → ``~``), other escapes upper-cased, raw spaces and non-ASCII
   characters encoded as UTF-8, ``.``/``..`` segments resolved, query parameters sorted (a bare
   ``?flag`` is spelled ``?flag=``).
5. Path: AMP variants dropped (an ``amp`` path segment, a ``.amp`` suffix before ``.html``); a
   final ``index.html``/``index.htm``, repeated slashes and the trailing slash removed.
6. Query: tracking parameters are removed (:data:`TRACKING_PARAMS`, any ``utm_*`` name and any
   ``mc_*`` name; ``amp``, ``outputType=amp`` and ``output=amp``); every other parameter is kept,
   because it may identify the article (``?id=123``).
7. The fragment is dropped, except a ``#!`` "hashbang" route, which names content.

Sources of the tracking list: Google Analytics and Ads (utm_*, gclid, dclid, gclsrc, _ga, _gl),
Facebook (fbclid), Yandex (yclid, ysclid, _openstat), Microsoft (msclkid), Mailchimp (mc_cid,
mc_eid), HubSpot (_hsenc, _hsmi), Instagram (igshid), Twitter (ref_src, ref_url), Adobe (s_cid),
and miniflux's ``urlcleaner`` list.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from urllib.parse import SplitResult, urlsplit, urlunsplit

import tldextract
from w3lib.url import canonicalize_url as w3lib_canonicalize

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
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_MAX_ROUNDS = 4
_SPACE_OR_CONTROL = re.compile(r"[\x00-\x1f]|\s")  # \s: what str.isspace() calls white space

# The Public Suffix List as bundled with tldextract: no download, no cache file.
_PSL = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True)


def _encode_unsafe(value: str) -> str:
    """Percent-encode everything but unreserved characters (for hosts IDNA cannot encode)."""
    return "".join(
        ch if ch in _UNRESERVED else "".join(f"%{b:02X}" for b in ch.encode()) for ch in value
    )


@lru_cache(maxsize=4096)
def _can_drop_prefix(rest: str) -> bool:
    """True when ``rest`` (a host without its www./m./… prefix) is still a registrable name."""
    parts = _PSL(rest)
    if parts.suffix:
        return bool(parts.domain)  # "gov.ir", "co.uk", "github.io" are suffixes, not sites
    return "." in rest.strip(".")  # a suffix the list does not know: keep the older rule


def _canonical_path(path: str) -> str:
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


def _unescape(value: str) -> str:
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), value)


def _is_tracking(key: str, value: str) -> bool:
    name = key.lower()
    if name in TRACKING_PARAMS or name.startswith(TRACKING_PREFIXES):
        return True
    return name in AMP_VALUED_PARAMS and value.lower() == "amp"


def _canonical_query(query: str) -> str:
    """Tracking parameters out; w3lib has already normalised and sorted the rest."""
    kept = []
    for part in query.split("&"):
        if not part:
            continue
        key, _, value = part.partition("=")
        if not _is_tracking(_unescape(key), value):
            kept.append(part)
    return "&".join(kept)


@lru_cache(maxsize=4096)
def _canonical_host(host: str) -> str:
    host = host.strip().rstrip(".").lower()
    if not host:
        return host
    if not host.isascii():
        try:
            host = unicodedata.normalize("NFKC", host).encode("idna").decode("ascii")
        except (UnicodeError, ValueError):
            host = _encode_unsafe(host)
    changed = True
    while changed:
        changed = False
        for prefix in HOST_PREFIXES:
            if host.startswith(prefix) and _can_drop_prefix(host[len(prefix) :]):
                host = host[len(prefix) :]
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
    fragment = parts.fragment if parts.fragment.startswith("!") else ""
    path = parts.path
    while path and (path[-1].isspace() or path[-1] < "!"):  # junk before "?", as around a URL
        path = path[:-1]
    rfc = w3lib_canonicalize(
        urlunsplit((scheme, netloc, path, parts.query, fragment)),
        keep_blank_values=True,
        keep_fragments=True,
    )
    normal = urlsplit(rfc)
    return urlunsplit(
        (
            scheme,
            netloc,
            _canonical_path(normal.path),
            _canonical_query(normal.query),
            normal.fragment if fragment else "",
        )
    )


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
        if part and not _is_tracking(_unescape(key), value):
            kept.append(part)
    if len(kept) == len([p for p in parts.query.split("&") if p]):
        return url
    return urlunsplit(parts._replace(query="&".join(kept)))


def is_fetchable_link(url: str) -> bool:
    """True for absolute http(s) URLs with a host; false for javascript:, data:, mailto:, junk."""
    if not url or _SPACE_OR_CONTROL.search(url.strip()):
        return False
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return False
    if parts.scheme.lower() not in DEFAULT_PORTS or not parts.hostname:
        return False
    return port is None or 0 < port < 65536
