"""The network guard's decision (:mod:`monitor.netguard`): every spelling of a non-public address
is refused, public ones are not, and ``crawl.allow_networks`` / ``MONITOR_ALLOW_NETWORKS`` allow
exactly the networks they name."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config import load_settings
from monitor.errors import ConfigError
from monitor.netguard import (
    address_problem,
    host_address,
    host_problem,
    parse_networks,
    url_refusal,
)

LOOPBACK_SPELLINGS = [
    "127.0.0.1",
    "127.0.0.2",
    "localhost",
    "LOCALHOST",
    "localhost.",
    "feeds.localhost",
    "127.0.0.1.",
    "2130706433",  # decimal
    "017700000001",  # octal
    "0177.0.0.1",  # octal parts
    "0x7f000001",  # hex
    "0x7f.0.0.1",  # hex parts
    "0x7F.1",
    "127.1",  # short form
    "127.0.1",
    "[::1]",
    "[0:0:0:0:0:0:0:1]",
    "[::ffff:127.0.0.1]",  # IPv4-mapped
    "[::ffff:7f00:1]",
    "[::127.0.0.1]",  # IPv4-compatible
    "[::ffff:0:127.0.0.1]",  # IPv4-translated
    "[2002:7f00:1::]",  # 6to4
    "[64:ff9b::127.0.0.1]",  # NAT64
]

OTHER_REFUSED = {
    "169.254.169.254": "link-local",
    "metadata.google.internal": "link-local",
    "[::ffff:169.254.169.254]": "link-local",
    "[fe80::1]": "link-local",
    "10.0.0.1": "private",
    "172.16.5.4": "private",
    "192.168.1.1": "private",
    "[::ffff:10.0.0.1]": "private",
    "[fd00::1]": "private",
    "[fc00::1]": "private",
    "100.64.0.1": "CGNAT",
    "100.127.255.254": "CGNAT",
    "0.0.0.0": "unspecified",
    "0": "unspecified",
    "0.1.2.3": "unspecified",
    "[::]": "unspecified",
    "224.0.0.1": "multicast",
    "239.255.255.250": "multicast",
    "[ff02::1]": "multicast",
    "240.0.0.1": "reserved",
    "255.255.255.255": "reserved",
    "192.0.2.10": "address",  # documentation range: refused, whatever its kind
    "198.18.0.1": "address",  # benchmarking range
    "[2001:db8::1]": "address",
}

PUBLIC = [
    "8.8.8.8",
    "93.184.216.34",
    "[2606:4700:4700::1111]",
    "[::ffff:8.8.8.8]",
    "[2002:808:808::]",
    "example.org",  # a name: decided on the addresses it resolves to
    "123.example",
    "1.2.3.4.5",  # not an address in any spelling
]


@pytest.mark.parametrize("host", LOOPBACK_SPELLINGS)
def test_every_spelling_of_loopback_is_refused(host: str) -> None:
    problem = host_problem(host)
    assert problem is not None
    assert "loopback" in problem, problem
    address = host_address(host)
    assert address is not None
    assert "127." in str(address) or str(address) in ("::1",) or "7f00" in str(address)


@pytest.mark.parametrize(("host", "kind"), sorted(OTHER_REFUSED.items()))
def test_non_public_networks_are_refused(host: str, kind: str) -> None:
    problem = host_problem(host)
    assert problem is not None
    assert kind in problem, problem


@pytest.mark.parametrize("host", PUBLIC)
def test_public_addresses_and_names_pass(host: str) -> None:
    assert host_problem(host) is None


def test_allow_networks_allows_exactly_what_it_names() -> None:
    allow = parse_networks(["127.0.0.1/32", "10.1.0.0/16", "fd00::/8"])
    assert host_problem("127.0.0.1", allow) is None
    assert host_problem("localhost", allow) is None
    assert host_problem("2130706433", allow) is None
    assert host_problem("[::ffff:127.0.0.1]", allow) is None  # the IPv4 inside is allowed
    assert host_problem("10.1.200.3", allow) is None
    assert host_problem("[fd12::5]", allow) is None
    for refused in ("127.0.0.2", "[::1]", "10.2.0.1", "169.254.169.254", "192.168.0.1"):
        assert host_problem(refused, allow) is not None, refused


def test_bad_networks_are_named() -> None:
    with pytest.raises(ValueError, match=r"'10\.0\.0\.0/33' is not a network"):
        parse_networks(["127.0.0.1/32", "10.0.0.0/33"])
    with pytest.raises(ValueError, match="'intranet'"):
        parse_networks(["intranet"])
    assert [str(n) for n in parse_networks([" 10.0.0.7 ", "10.1.2.3/16"])] == [
        "10.0.0.7/32",
        "10.1.0.0/16",
    ]


def test_a_zone_index_does_not_hide_link_local() -> None:
    assert address_problem("fe80::1%eth0") is not None


def test_url_refusal_says_why_in_one_line() -> None:
    line = url_refusal("http://127.1:6379/", resolve=None)
    assert line is not None
    assert "\n" not in line
    assert line.startswith("refused http://127.1:6379/: 127.1 = 127.0.0.1 is a loopback address")
    assert "crawl.allow_networks" in line
    assert "MONITOR_ALLOW_NETWORKS" in line
    for url in ("file:///etc/passwd", "ftp://example.org/feed", "gopher://127.0.0.1:6379/_"):
        line = url_refusal(url, resolve=None)
        assert line is not None
        assert "only http and https" in line, url
    assert url_refusal("https://example.org/feed.xml", resolve=None) is None


def test_url_refusal_checks_every_address_a_name_resolves_to() -> None:
    answers = {"intranet.example": ["93.184.216.34", "10.0.0.5"], "ok.example": ["8.8.4.4"]}

    def resolve(host: str, port: int) -> list[str]:
        assert port == 443
        if host not in answers:
            raise OSError("no such name")
        return answers[host]

    line = url_refusal("https://intranet.example/rss", resolve=resolve)
    assert line is not None
    assert "intranet.example resolves to 10.0.0.5" in line
    assert url_refusal("https://ok.example/rss", resolve=resolve) is None
    # a name that does not resolve is left to the fetch (which says so)
    assert url_refusal("https://gone.example/rss", resolve=resolve) is None
    assert (
        url_refusal("https://intranet.example/rss", parse_networks(["10.0.0.0/8"]), resolve=resolve)
        is None
    )


def test_allow_networks_setting_and_variable(tmp_path: Path) -> None:
    assert load_settings(tmp_path, {}).crawl.allow_networks == []  # nothing allowed by default
    (tmp_path / "monitor.yaml").write_text("crawl:\n  allow_networks: [10.0.0.0/8]\n", "utf-8")
    assert load_settings(tmp_path, {}).crawl.allow_networks == ["10.0.0.0/8"]
    env = {"MONITOR_ALLOW_NETWORKS": "127.0.0.1/32, 192.168.0.0/16"}
    settings = load_settings(tmp_path, env)
    assert settings.crawl.allow_networks == ["127.0.0.1/32", "192.168.0.0/16"]
    assert [str(n) for n in settings.crawl.allowed_networks] == ["127.0.0.1/32", "192.168.0.0/16"]
    same = {**env, "MONITOR_CRAWL__ALLOW_NETWORKS": '["127.0.0.1/32", "192.168.0.0/16"]'}
    assert load_settings(tmp_path, same).crawl.allow_networks == settings.crawl.allow_networks
    with pytest.raises(ConfigError, match=r"MONITOR_ALLOW_NETWORKS.*'127\.0\.0\.300/32' is not"):
        load_settings(tmp_path, {"MONITOR_ALLOW_NETWORKS": "127.0.0.300/32"})
    (tmp_path / "monitor.yaml").write_text("crawl:\n  allow_networks: [localhost]\n", "utf-8")
    with pytest.raises(ConfigError, match=r"monitor.yaml.*crawl.allow_networks.*'localhost'"):
        load_settings(tmp_path, {})
