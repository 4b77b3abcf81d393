"""URL canonicalisation: named cases and properties."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from monitor.urls import TRACKING_PARAMS, canonicalize_url, is_fetchable_link, strip_tracking


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("https://x.org/a?id=1&utm_source=nl", "https://x.org/a?id=1", id="drops utm"),
        pytest.param(
            "https://X.org/a?UTM_SOURCE=nl#top",
            "https://x.org/a",
            id="case-insensitive tracking, fragment",
        ),
        pytest.param(
            "https://x.org/a?fbclid=1&gclid=2&yclid=3&mc_cid=4&mc_eid=5&ref=rss",
            "https://x.org/a",
            id="click ids",
        ),
        pytest.param("https://www.x.org/a/", "https://x.org/a", id="www and trailing slash"),
        pytest.param("https://x.org/news/index.html", "https://x.org/news", id="index.html"),
        pytest.param("https://m.x.org/a", "https://x.org/a", id="mobile host m."),
        pytest.param("https://mobile.x.org/a", "https://x.org/a", id="mobile host mobile."),
        pytest.param("https://amp.x.org/a", "https://x.org/a", id="amp host"),
        pytest.param("https://x.org/amp/news/5", "https://x.org/news/5", id="amp path segment"),
        pytest.param(
            "https://x.org/news/5/amp/", "https://x.org/news/5", id="amp trailing segment"
        ),
        pytest.param("https://x.org/news/5?amp", "https://x.org/news/5", id="amp query flag"),
        pytest.param("https://x.org/news/5?amp=1", "https://x.org/news/5", id="amp query value"),
        pytest.param(
            "https://x.org/n?outputType=amp&id=3", "https://x.org/n?id=3", id="outputType=amp"
        ),
        pytest.param("https://x.org/a.amp.html", "https://x.org/a.html", id="amp html suffix"),
        pytest.param("https://x.org:443/a", "https://x.org/a", id="default https port"),
        pytest.param("http://x.org:80/a", "http://x.org/a", id="default http port"),
        pytest.param("http://x.org:8080/a", "http://x.org:8080/a", id="other port kept"),
        pytest.param(
            "https://x.org/%7euser/%d0%b8", "https://x.org/~user/%D0%B8", id="percent-encoding"
        ),
        pytest.param(
            "https://x.org/a b/и", "https://x.org/a%20b/%D0%B8", id="raw space and Cyrillic"
        ),
        pytest.param("https://x.org/a%2Fb", "https://x.org/a%2Fb", id="encoded slash stays"),
        pytest.param(
            "https://президент.рф/news", "https://xn--d1abbgf6aiiy.xn--p1ai/news", id="IDN host"
        ),
        pytest.param("https://x.org/a?b=2&a=1", "https://x.org/a?a=1&b=2", id="params sorted"),
        pytest.param("https://x.org/a/./b/../c", "https://x.org/a/c", id="dot segments"),
        pytest.param("https://x.org/#!/story/5", "https://x.org/#!/story/5", id="hashbang kept"),
        pytest.param("https://user:pw@x.org/a", "https://x.org/a", id="user info dropped"),
        pytest.param(
            "HTTPS://X.ORG./A",
            "https://x.org/A",
            id="scheme, host case, trailing dot; path case kept",
        ),
        pytest.param("https://www.com/a", "https://www.com/a", id="www is the name itself"),
        pytest.param("  https://x.org/a  ", "https://x.org/a", id="whitespace"),
        pytest.param("https://x.org/a ?fbclid=1", "https://x.org/a", id="blank before query"),
        pytest.param("mailto:a@x.org", "mailto:a@x.org", id="non-http untouched"),
        pytest.param("not a url", "not a url", id="junk untouched"),
    ],
)
def test_canonicalize_url(raw: str, expected: str) -> None:
    assert canonicalize_url(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("https://m.gov.ir/x", "https://m.gov.ir/x", id="m. before a public suffix"),
        pytest.param("https://www.co.uk/a", "https://www.co.uk/a", id="www. before co.uk"),
        pytest.param("https://www.github.io/a", "https://www.github.io/a", id="private suffix"),
        pytest.param("https://amp.com.ru/a", "https://amp.com.ru/a", id="com.ru"),
        pytest.param("https://www.bbc.co.uk/a", "https://bbc.co.uk/a", id="www. of a site"),
        pytest.param("https://m.irna.ir/x", "https://irna.ir/x", id="m. of a site"),
        pytest.param("https://www.m.tass.ru/x", "https://tass.ru/x", id="two prefixes"),
        pytest.param("https://www.m.gov.ir/x", "https://m.gov.ir/x", id="stops at the suffix"),
        pytest.param(
            "https://m.user.github.io/a", "https://user.github.io/a", id="site on a private suffix"
        ),
        pytest.param("https://www.site.unknowntld/a", "https://site.unknowntld/a", id="unknown"),
        pytest.param("https://www.localhost/a", "https://www.localhost/a", id="single label"),
    ],
)
def test_prefixes_are_stripped_only_above_a_public_suffix(raw: str, expected: str) -> None:
    assert canonicalize_url(raw) == expected


def test_public_suffix_list_is_bundled_not_fetched(tmp_path: Path) -> None:
    """With every network connection refused and an empty cache directory, the list still works
    and nothing is written: the snapshot shipped with tldextract is used."""
    code = (
        "import socket\n"
        "def refuse(*a, **k):\n"
        "    raise OSError('network use')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "from monitor.urls import canonicalize_url\n"
        "print(canonicalize_url('https://m.gov.ir/x'), canonicalize_url('https://m.tass.ru/x'))\n"
    )
    env = {**os.environ, "TLDEXTRACT_CACHE": str(tmp_path / "cache"), "HOME": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["https://m.gov.ir/x", "https://tass.ru/x"]
    assert "network" not in out.stderr
    assert not (tmp_path / "cache").exists()


@pytest.mark.parametrize(
    ("a", "b"),
    [
        pytest.param("https://x.org/article?id=1", "https://x.org/article?id=2", id="content id"),
        pytest.param("https://x.org/view.php?p=10", "https://x.org/view.php?p=11", id="page param"),
        pytest.param("https://x.org/a", "https://y.org/a", id="different host"),
        pytest.param(
            "https://news.x.org/a", "https://x.org/a", id="subdomain other than www/m/amp"
        ),
        pytest.param("https://x.org/News/1", "https://x.org/news/1", id="path case"),
        pytest.param("https://x.org/a%2Fb", "https://x.org/a/b", id="encoded slash"),
    ],
)
def test_never_merges_different_articles(a: str, b: str) -> None:
    assert canonicalize_url(a) != canonicalize_url(b)


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://x.org/a", True),
        ("http://127.0.0.1:8000/feed", True),
        ("javascript:alert(1)", False),
        ("data:text/html,<b>x</b>", False),
        ("mailto:a@x.org", False),
        ("ftp://x.org/a", False),
        ("/relative/path", False),
        ("https://", False),
        ("https://x.org/a b", False),
        ("http://x.org:99999/", False),
        ("", False),
    ],
)
def test_is_fetchable_link(url: str, ok: bool) -> None:
    assert is_fetchable_link(url) is ok


# --------------------------------------------------------------------------- properties

_label = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=8)
_host = st.builds(lambda parts: ".".join(parts), st.lists(_label, min_size=2, max_size=4))
_seg = st.text(
    alphabet=st.characters(blacklist_characters="/?#%", blacklist_categories=("Cs",)), max_size=10
)
_path = st.builds(lambda segs: "/" + "/".join(segs), st.lists(_seg, max_size=4))
_param_name = _label.filter(
    lambda n: n.lower() not in TRACKING_PARAMS and not n.startswith(("utm", "mc_"))
)
_params = st.dictionaries(_param_name, _label, max_size=4)
_urls = st.builds(
    lambda scheme, host, path, params: (
        f"{scheme}://{host}{path}"
        + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")
    ),
    st.sampled_from(["http", "https"]),
    _host,
    _path,
    _params,
)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_never_raises_and_idempotent_on_any_text(text: str) -> None:
    once = canonicalize_url(text)
    assert canonicalize_url(once) == once


@settings(max_examples=150, deadline=None)
@given(_urls)
def test_idempotent_on_urls(url: str) -> None:
    once = canonicalize_url(url)
    assert canonicalize_url(once) == once
    assert is_fetchable_link(once)


@settings(max_examples=150, deadline=None)
@given(_host, _path, _params)
def test_content_params_kept(host: str, path: str, params: dict[str, str]) -> None:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    out = canonicalize_url(f"https://{host}{path}?{query}&utm_source=feed&fbclid=abc")
    assert dict(parse_qsl(urlsplit(out).query, keep_blank_values=True)) == params


@settings(max_examples=100, deadline=None)
@given(_urls, st.sampled_from(sorted(TRACKING_PARAMS)), _label, _label)
def test_tracking_and_fragment_do_not_change_result(
    url: str, name: str, value: str, frag: str
) -> None:
    sep = "&" if "?" in url else "?"
    assert canonicalize_url(f"{url}{sep}{name}={value}#{frag}") == canonicalize_url(url)


@settings(max_examples=100, deadline=None)
@given(_urls)
def test_www_and_mobile_variants_agree(url: str) -> None:
    parts = urlsplit(url)
    assume(canonicalize_url(f"https://www.{parts.netloc}/") != f"https://www.{parts.netloc}/")
    for prefix in ("www.", "m.", "amp.", "mobile."):
        variant = url.replace(parts.netloc, prefix + parts.netloc, 1)
        assert canonicalize_url(variant) == canonicalize_url(url)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=100))
def test_is_fetchable_never_raises(text: str) -> None:
    assert is_fetchable_link(text) in (True, False)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(
            "https://www.example.org/a/?utm_source=rss&id=7&fbclid=x#top",
            "https://www.example.org/a/?id=7#top",
            id="keeps host, slash, content parameter and fragment",
        ),
        pytest.param(
            "https://example.org/a?b=2&a=1",
            "https://example.org/a?b=2&a=1",
            id="untouched without tracking, order kept",
        ),
        pytest.param(
            "https://example.org/a?utm_medium=feed&utm_campaign=world",
            "https://example.org/a",
            id="only tracking: query dropped",
        ),
        pytest.param("not a url [", "not a url [", id="never raises"),
    ],
)
def test_strip_tracking(raw: str, expected: str) -> None:
    assert strip_tracking(raw) == expected


@given(st.text(max_size=200))
def test_strip_tracking_never_raises(text: str) -> None:
    strip_tracking(text)
