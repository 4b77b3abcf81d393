"""Feeds with the cases that make feed parsing go wrong: relative and odd links, a document base,
HTML in titles and descriptions (CDATA, unclosed elements, image-only markup), malformed XML,
wrong or missing charsets, refused documents. Used by the tests of :mod:`monitor.collect.feeds`
and by ``bench/feed_parse_dump.py`` (which prints the parse of each, to compare two versions)."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, replace

RU = "Министр иностранных дел России встретился с иранским коллегой в Тегеране и обсудил коридор"


@dataclass(frozen=True)
class FeedCase:
    name: str
    body: bytes
    content_type: str = "application/rss+xml"
    feed_url: str = "http://news.example/feeds/rss.xml"


def _rss(items: str, *, channel: str = "", encoding: str = "utf-8", head: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="{encoding}"?>{head}\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">\n'
        f"<channel><title>Example</title>{channel or '<link>http://news.example/</link>'}\n"
        f"{items}</channel></rss>"
    )


def _item(
    title: str = "Iran and Russia",
    link: str = "<link>http://news.example/a/1.html</link>",
    extra: str = "",
) -> str:
    return (
        f"<item><title>{title}</title>{link}"
        "<pubDate>Sat, 28 Nov 2026 10:00:00 GMT</pubDate>"
        f"<description>Text of the story.</description>{extra}</item>\n"
    )


def _atom(entries: str, *, feed_attrs: str = "", head: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="utf-8"?>{head}\n'
        f'<feed xmlns="http://www.w3.org/2005/Atom"{feed_attrs}><title>Atom example</title>'
        '<id>urn:example:feed</id><link rel="alternate" href="http://news.example/"/>'
        f"<updated>2026-11-28T10:00:00Z</updated>\n{entries}</feed>"
    )


def _entry(link: str, *, id_: str = "urn:example:1", extra: str = "") -> str:
    return (
        f"<entry><title>Iran and Russia</title>{link}<id>{id_}</id>"
        f"<updated>2026-11-28T10:00:00Z</updated><summary>Summary text.</summary>{extra}</entry>\n"
    )


def _u(text: str) -> bytes:
    return text.encode("utf-8")


def feed_cases() -> list[FeedCase]:
    """Every case, each with a name that says what it holds."""
    cases = [
        FeedCase(
            "plain absolute links",
            _u(_rss(_item() + _item("Second", extra="<guid>http://news.example/a/2.html</guid>"))),
        ),
        FeedCase(
            "relative links",
            _u(
                _rss(
                    _item(link="<link>/a/1.html</link>")
                    + _item(link="<link>story-2.html</link>")
                    + _item(link="<link>../up.html</link>")
                    + _item(link="<link>//other.example/x</link>"),
                    channel="<link>/</link>",
                )
            ),
        ),
        FeedCase("relative channel link", _u(_rss(_item(), channel="<link>/ru/</link>"))),
        FeedCase("no channel link", _u(_rss(_item(), channel="<description>d</description>"))),
        FeedCase(
            "guid only, permalink by default",
            _u(
                _rss(
                    _item(link="<guid>42</guid>") + _item(link="<guid>http://news.example/g</guid>")
                )
            ),
        ),
        FeedCase(
            "guid not a permalink",
            _u(
                _rss(
                    _item(extra='<guid isPermaLink="false">42</guid>')
                    + _item(link='<guid isPermaLink="false">urn:x:1</guid>')
                )
            ),
        ),
        FeedCase("guid after link, permalink", _u(_rss(_item(extra="<guid>id-7</guid>")))),
        FeedCase(
            "ampersands in links",
            _u(
                _rss(
                    _item(link="<link>http://news.example/p?a=1&amp;b=2</link>")
                    + _item(link="<link>http://news.example/p?a=1&amp;amp;b=2</link>")
                    + _item(link="<link>http://news.example/p&amp;amp;</link>")
                    + _item(link="<link>http://news.example/p&amp;x;y</link>")
                    + _item(link="<link>http://news.example/p;</link>")
                    + _item(link="<link>http://news.example/p?</link>")
                    + _item(link="<link>http://news.example/p#</link>"),
                    channel="<link>http://news.example/?a=1&amp;b;</link>",
                )
            ),
        ),
        FeedCase(
            "odd links",
            _u(
                _rss(
                    _item(link="<link>javascript:alert(1)</link>")
                    + _item(link="<link>data:text/html,x</link>")
                    + _item(link="<link>mailto:a@b.example</link>")
                    + _item(link="<link>http:relative/path</link>")
                    + _item(link="<link>HTTP://NEWS.EXAMPLE/Up</link>")
                    + _item(link="<link>http:///news.example/three-slashes</link>")
                    + _item(link="<link>http://[::1/broken</link>")
                    + _item(link="<link>http://news.example/a\tb\nc</link>")
                    + _item(link="<link>  http://news.example/spaced  </link>")
                    + _item(link="<link></link>")
                    + _item(link="<link>https://secure.example/x</link>")
                )
            ),
        ),
        FeedCase(
            "CDATA and HTML descriptions",
            _u(
                _rss(
                    _item(
                        extra='<content:encoded><![CDATA[<p>One <a href="/x">link</a> and '
                        '<img src="i.jpg"> image &amp; more.</p><ul><li>a</li><li>b</li></ul>]]>'
                        "</content:encoded>"
                    )
                    + _item(
                        "Image only",
                        extra='<content:encoded><![CDATA[<img src="/only.jpg">]]></content:encoded>',
                    )
                    + _item(
                        "Unclosed script",
                        extra='<content:encoded><![CDATA[<p>Before</p><script src="s.js">var x = 1;]]>'
                        "</content:encoded>",
                    )
                    + _item(
                        "Unclosed iframe",
                        extra='<content:encoded>&lt;iframe src="/embed/1"&gt;words after</content:encoded>',
                    )
                    + _item(
                        "Object",
                        extra='<content:encoded>&lt;object data="/o.swf"&gt;&lt;/object&gt;Text</content:encoded>',
                    )
                    + _item(
                        "Escaped",
                        extra="<content:encoded>&lt;p&gt;Escaped &amp;amp; text&lt;/p&gt;</content:encoded>",
                    )
                )
            ),
        ),
        FeedCase(
            "HTML in titles",
            _u(
                _rss(
                    _item("Iran &lt;i&gt;and&lt;/i&gt; Russia")
                    + _item("Use &lt;script&gt; tags")
                    + _item("AT&amp;amp;T and a &lt; b")
                    + _item('&lt;a href="rel?x=1&amp;amp;y=2"&gt;Linked&lt;/a&gt; title')
                    + _item('&lt;a href="/x/../&amp;amp;z;"&gt;Dots&lt;/a&gt; &amp;amp;')
                    + _item('&lt;a href="&amp;z;/../a"&gt;Dropped&lt;/a&gt; reference')
                    + _item("<![CDATA[<b>Bold</b> news]]>")
                    + _item('&lt;img src="/t.png"&gt;')
                )
            ),
        ),
        FeedCase(
            "atom relative hrefs and ids",
            _u(
                _atom(
                    _entry('<link href="/a/1.html"/>')
                    + _entry(
                        '<link rel="alternate" type="text/html" href="b.html"/>', id_="entry-2"
                    )
                    + _entry('<link href=""/>', id_="3")
                    + _entry('<link href="http://news.example/c"/>', id_="tag:news.example,2026:c")
                ),
            ),
            "application/atom+xml",
        ),
        FeedCase(
            "atom relative id behind an absolute link",
            _u(_atom(_entry('<link href="http://news.example/abs"/>', id_="7"))),
            "application/atom+xml",
        ),
        FeedCase(
            "permalink guid written relative, said so",
            _u(_rss(_item(extra='<guid isPermaLink="true">id-8</guid>'))),
        ),
        FeedCase(
            "atom xml:base",
            _u(
                _atom(
                    _entry('<link href="x.html"/>')
                    + _entry('<link xml:base="/sub/" href="y.html"/>', id_="urn:example:2"),
                    feed_attrs=' xml:base="http://cdn.example/base/"',
                )
            ),
            "application/atom+xml",
        ),
        FeedCase(
            "atom html and xhtml content",
            _u(
                _atom(
                    _entry(
                        '<link href="http://news.example/h"/>',
                        extra='<content type="html">&lt;p&gt;Para &lt;a href="/r"&gt;link&lt;/a&gt;&lt;/p&gt;</content>',
                    )
                    + _entry(
                        '<link href="http://news.example/x"/>',
                        id_="urn:example:x",
                        extra='<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">'
                        '<p>XHTML <a href="/rel">link</a></p><img src="p.png"/></div></content>',
                    )
                    + _entry(
                        '<link href="http://news.example/t"/>',
                        id_="urn:example:t",
                        extra='<title type="html">&lt;b&gt;Typed&lt;/b&gt; title</title>',
                    )
                )
            ),
            "application/atom+xml",
        ),
        FeedCase(
            "base attribute on an item",
            _u(
                _rss(
                    _item(link="<link>rel.html</link>").replace(
                        "<item>", '<item base="http://other.example/">'
                    )
                )
            ),
        ),
        FeedCase(
            "malformed XML",
            _u(
                _rss(
                    "<item><title>Broken &nbsp; entity</title><link>/m/1</link>"
                    "<description>Unclosed <b>bold</description></item>"
                    "<item><title>Second</title><link>http://news.example/m/2</link>"
                    "<description><p>Not escaped <a href='/q'>markup</a></description></item>"
                )
            ),
        ),
        FeedCase(
            "mismatched tags",
            _u(
                _rss(
                    "<item><title>T</title><link>http://news.example/mm</link><description>d</item>"
                )
            ),
        ),
        FeedCase(
            "windows-1251 declared windows-1251",
            _rss(_item(RU), encoding="windows-1251").encode("cp1251"),
            "application/rss+xml; charset=windows-1251",
        ),
        FeedCase(
            "windows-1251 declared utf-8",
            _rss(_item(RU)).encode("cp1251"),
            "application/rss+xml; charset=utf-8",
        ),
        FeedCase(
            "windows-1251 without a declaration",
            _rss(_item(RU)).replace(' encoding="utf-8"', "").encode("cp1251"),
        ),
        FeedCase(
            "KOI8-R declared windows-1251",
            _rss(_item(RU), encoding="windows-1251").encode("koi8-r"),
            "application/rss+xml; charset=windows-1251",
        ),
        FeedCase(
            "utf-8 declared windows-1251",
            _u(_rss(_item(RU), encoding="windows-1251")),
            "text/xml; charset=windows-1251",
        ),
        FeedCase(
            "utf-8 with one broken byte",
            _u(_rss(_item(RU + " " + RU))).replace("Тегеране".encode(), b"\xd0\xa2\xff", 1),
        ),
        FeedCase(
            "utf-8 BOM, declared latin-1",
            codecs.BOM_UTF8 + _u(_rss(_item(RU), encoding="iso-8859-1")),
        ),
        FeedCase("utf-16", _rss(_item(RU), encoding="utf-16").encode("utf-16")),
        FeedCase(
            "odd character references",
            _u(_rss(_item("Null &#0; and &#xD800; and &#1114112; refs"))),
        ),
        FeedCase(
            "feed URL with a query",
            _u(_rss(_item(link="<link>rel/1</link>") + _item())),
            feed_url="http://news.example/feed?a=1&b=2",
        ),
        FeedCase("https feed URL", _u(_rss(_item())), feed_url="https://news.example/rss"),
        FeedCase(
            "feed URL with an empty query", _u(_rss(_item())), feed_url="http://news.example/rss?"
        ),
        FeedCase(
            "rss 1.0",
            _u(
                '<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
                'xmlns="http://purl.org/rss/1.0/"><channel rdf:about="/"><title>R1</title><link>/</link>'
                '</channel><item rdf:about="/i/1"><title>One</title><link>/i/1</link>'
                "<description>d</description></item></rdf:RDF>"
            ),
            "application/rdf+xml",
        ),
        FeedCase(
            "entity declaration",
            _u(_rss(_item(), head='<!DOCTYPE rss [<!ENTITY a "aaaaaaaa">]>')),
        ),
        FeedCase(
            "HTML page", b"<!DOCTYPE html><html><head><title>x</title></head><body>hi</body></html>"
        ),
        FeedCase("not XML", b"just some text, not a feed"),
        FeedCase("no entries", _u(_rss(""))),
    ]
    return cases


_ENTRY = re.compile(r"<(item|entry)[\s>].*?</\1>\n?", re.S)


def single_entry_cases() -> list[FeedCase]:
    """Each entry of a case with several, alone in its feed (so that one odd entry does not
    decide how the whole feed is read)."""
    out: list[FeedCase] = []
    for case in feed_cases():
        try:
            text = case.body.decode("utf-8")
        except UnicodeDecodeError:
            continue
        found = list(_ENTRY.finditer(text))
        if len(found) < 2:
            continue
        head, tail = text[: found[0].start()], text[found[-1].end() :]
        for i, entry in enumerate(found):
            body = (head + entry.group() + tail).encode("utf-8")
            out.append(replace(case, name=f"{case.name} #{i}", body=body))
    return out
