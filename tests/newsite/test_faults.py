"""Every fault mode of the local news site, exercised over real HTTP."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path

import defusedxml.ElementTree as DET
import feedparser
import httpx
import pytest
from defusedxml import EntitiesForbidden

from monitor.newsite import FAULT_KINDS, Fault, NewsSite

RSS = "/tehran-wire/rss.xml"
CP1251_RSS = "/delovoy-kurier/rss.xml"


def test_unknown_fault_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown fault kind"):
        Fault(kind="explode")  # type: ignore[arg-type]


def test_every_fault_kind_has_a_test_here() -> None:
    source = Path(__file__).read_text(encoding="utf-8")
    missing = [k for k in FAULT_KINDS if f'kind="{k}"' not in source]
    assert missing == []


@pytest.mark.parametrize(
    ("fault", "status"),
    [
        pytest.param(Fault(kind="not_found"), 404, id="not_found"),
        pytest.param(Fault(kind="server_error"), 500, id="server_error"),
        pytest.param(Fault(kind="server_error", status=503), 503, id="server_error 503"),
    ],
)
def test_error_statuses(
    news_site: NewsSite, news_http: httpx.Client, fault: Fault, status: int
) -> None:
    news_site.set_fault(RSS, fault)
    assert news_http.get(news_site.url(RSS)).status_code == status
    news_site.clear_faults()
    assert news_http.get(news_site.url(RSS)).status_code == 200
    assert [r.status for r in news_site.requests_for(RSS)] == [status, 200]


def test_rate_limited_sends_retry_after_and_heals_after_times(
    news_site: NewsSite, news_http: httpx.Client
) -> None:
    news_site.set_fault(RSS, Fault(kind="rate_limited", retry_after="7", times=1))
    first = news_http.get(news_site.url(RSS))
    assert first.status_code == 429
    assert first.headers["Retry-After"] == "7"
    assert news_http.get(news_site.url(RSS)).status_code == 200


def test_slow_response_arrives_after_delay(news_site: NewsSite, news_http: httpx.Client) -> None:
    news_site.set_fault(RSS, Fault(kind="slow", delay_s=0.4))
    started = time.monotonic()
    response = news_http.get(news_site.url(RSS))
    assert time.monotonic() - started >= 0.4
    assert response.status_code == 200
    assert b"<rss" in response.content


def test_timeout_outlasts_client_timeout(news_site: NewsSite) -> None:
    news_site.set_fault(RSS, Fault(kind="timeout", hang_s=30))
    with (
        httpx.Client(trust_env=False, timeout=0.3) as client,
        pytest.raises(httpx.ReadTimeout),
    ):
        client.get(news_site.url(RSS))


def test_timeout_can_stall_after_headers(news_site: NewsSite) -> None:
    news_site.set_fault(RSS, Fault(kind="timeout", hang_s=30, stall_after_headers=True))
    with (
        httpx.Client(trust_env=False, timeout=0.3) as client,
        client.stream("GET", news_site.url(RSS)) as response,
    ):
        assert response.status_code == 200
        with pytest.raises(httpx.ReadTimeout):
            response.read()


def test_truncated_body_is_shorter_than_its_length(news_site: NewsSite) -> None:
    news_site.set_fault(RSS, Fault(kind="truncated"))
    with (
        httpx.Client(trust_env=False, timeout=5) as client,
        client.stream("GET", news_site.url(RSS)) as response,
    ):
        assert response.status_code == 200
        declared = int(response.headers["Content-Length"])
        with pytest.raises(httpx.RemoteProtocolError):
            response.read()
    assert declared > 1000


def test_oversize_streams_without_length(news_site: NewsSite, news_http: httpx.Client) -> None:
    news_site.set_fault(RSS, Fault(kind="oversize"))  # 50 MB by default
    limit, received = 2_000_000, 0
    with news_http.stream("GET", news_site.url(RSS)) as response:
        assert "Content-Length" not in response.headers
        head = b""
        for chunk in response.iter_raw():
            head = head or chunk[:200]
            received += len(chunk)
            if received > limit:
                break
    assert received > limit
    assert head.startswith(b'<?xml version="1.0"')


def test_oversize_small_size_is_exact_and_may_declare_length(
    news_site: NewsSite, news_http: httpx.Client
) -> None:
    news_site.set_fault(RSS, Fault(kind="oversize", size_bytes=300_000, declare_length=True))
    response = news_http.get(news_site.url(RSS))
    assert response.headers["Content-Length"] == "300000"
    assert len(response.content) == 300_000
    assert response.content.count(b"<item>") > 100


def test_oversize_gzip_bomb_is_small_on_the_wire(
    news_site: NewsSite, news_http: httpx.Client
) -> None:
    news_site.set_fault(RSS, Fault(kind="oversize", gzip=True))
    with news_http.stream("GET", news_site.url(RSS)) as response:
        assert response.headers["Content-Encoding"] == "gzip"
        raw = b"".join(response.iter_raw())
    assert len(raw) < 200_000
    inflater = zlib.decompressobj(31)
    expanded = inflater.decompress(raw, 5_000_000)
    assert len(expanded) == 5_000_000  # stopped at our limit, with input left over
    assert inflater.unconsumed_tail
    assert expanded.startswith(b'<?xml version="1.0"')


def test_redirect_loop(news_site: NewsSite) -> None:
    news_site.set_fault(RSS, Fault(kind="redirect_loop"))
    with (
        httpx.Client(trust_env=False, follow_redirects=True, max_redirects=6) as client,
        pytest.raises(httpx.TooManyRedirects),
    ):
        client.get(news_site.url(RSS))
    assert len(news_site.requests_for(RSS)) == 7


def test_redirect_other_host_then_served(news_site: NewsSite, news_http: httpx.Client) -> None:
    news_site.set_fault(RSS, Fault(kind="redirect_other_host"))
    first = news_http.get(news_site.url(RSS))
    assert first.status_code == 301
    assert first.headers["Location"] == f"http://localhost:{news_site.port}{RSS}"
    # Served once the request reaches the other host name (same server, so connect by IP).
    second = news_http.get(news_site.url(RSS), headers={"Host": f"localhost:{news_site.port}"})
    assert second.status_code == 200
    assert [r.host.split(":")[0] for r in news_site.requests_for(RSS)] == ["127.0.0.1", "localhost"]


def test_wrong_charset_header_lies(news_site: NewsSite, news_http: httpx.Client) -> None:
    news_site.set_fault(RSS, Fault(kind="wrong_charset", declared_charset="utf-8"))
    body = news_http.get(news_site.url(RSS)).content
    news_site.set_fault(CP1251_RSS, Fault(kind="wrong_charset", declared_charset="utf-8"))
    response = news_http.get(news_site.url(CP1251_RSS))
    assert response.headers["Content-Type"] == "application/rss+xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    with pytest.raises(UnicodeDecodeError):
        response.content.decode("utf-8")
    assert "Россия" in response.content.decode("windows-1251")
    assert b"<rss" in body


def test_wrong_charset_latin1_claim(news_site: NewsSite, news_http: httpx.Client) -> None:
    path = "/pol-media/atom.xml"
    news_site.set_fault(
        path, Fault(kind="wrong_charset", declared_charset="iso-8859-1", actual_charset="utf-8")
    )
    response = news_http.get(news_site.url(path))
    assert response.headers["Content-Type"].endswith("charset=iso-8859-1")
    assert "روسیه" in response.content.decode("utf-8")
    assert "روسیه" not in response.text  # decoded as the header says: mojibake


def test_missing_charset_everywhere(news_site: NewsSite, news_http: httpx.Client) -> None:
    news_site.set_fault(CP1251_RSS, Fault(kind="missing_charset"))
    response = news_http.get(news_site.url(CP1251_RSS))
    assert response.headers["Content-Type"] == "application/rss+xml"
    assert response.content.startswith(b'<?xml version="1.0"?>')
    assert "Иран" in response.content.decode("windows-1251")
    page = "/delovoy-kurier/news/"
    news_site.set_fault(page, Fault(kind="missing_charset"))
    html = news_http.get(news_site.url(page))
    assert html.headers["Content-Type"] == "text/html"
    assert b"<meta charset" not in html.content


def test_malformed_xml_keeps_some_entries(news_site: NewsSite, news_http: httpx.Client) -> None:
    news_site.set_fault(RSS, Fault(kind="malformed_xml"))
    body = news_http.get(news_site.url(RSS)).content
    with pytest.raises(ET.ParseError):
        ET.fromstring(body)
    parsed = feedparser.parse(body)
    assert parsed.bozo
    assert 1 <= len(parsed.entries) < 10


def test_html_instead_of_feed(news_site: NewsSite, news_http: httpx.Client) -> None:
    news_site.set_fault(RSS, Fault(kind="html_instead_of_feed"))
    response = news_http.get(news_site.url(RSS))
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.text.startswith("<!DOCTYPE html>")
    assert not feedparser.parse(response.content).entries


@pytest.mark.parametrize(
    "path", ["/tehran-wire/rss.xml", "/global-dispatch/atom.xml", "/vektor/sitemap-news.xml"]
)
def test_empty_feed_is_valid_and_empty(
    news_site: NewsSite, news_http: httpx.Client, path: str
) -> None:
    news_site.set_fault(path, Fault(kind="empty_feed"))
    root = ET.fromstring(news_http.get(news_site.url(path)).content)
    assert root.tag.split("}")[-1] in {"rss", "feed", "urlset"}
    entries = [e for e in root.iter() if e.tag.split("}")[-1] in {"item", "entry", "url"}]
    assert entries == []


def test_entity_bomb_has_nested_entity_declarations(
    news_site: NewsSite, news_http: httpx.Client
) -> None:
    news_site.set_fault(RSS, Fault(kind="entity_bomb"))
    body = news_http.get(news_site.url(RSS)).content
    assert body.count(b"<!ENTITY") == 10
    with pytest.raises(EntitiesForbidden):
        DET.fromstring(body)


def test_fault_on_article_page_and_full_url_key(
    news_site: NewsSite, news_http: httpx.Client
) -> None:
    url = news_site.article_url("vektor", "bushehr-rosatom-blok")
    news_site.set_fault(url, Fault(kind="not_found"))
    assert news_http.get(url).status_code == 404
    assert (
        news_http.get(news_site.article_url("vektor", "tsb-klyuchevaya-stavka")).status_code == 200
    )
