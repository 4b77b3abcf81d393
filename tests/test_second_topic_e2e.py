"""Copying the topic file makes a monitor for another pair of countries, with no code change.

A small China–Russia topic (``tests/data/topics/china-russia.yaml``), its own ``outlets.yaml`` and
a few English and Russian outlets on the local news site; then ``monitor crawl`` and ``monitor
digest --preview`` as separate processes, as a user runs them. China–Russia reports are kept,
Iran–Russia and China-only ones are not, a credited copy is folded into its original's story, and
the digest's theme sections follow the topic's order under its labels.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from monitor.db.engine import Database
from monitor.db.models import Item
from monitor.newsite import Article, NewsSite, Outlet
from monitor.paths import shipped_config_dir

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
TOPIC = ROOT / "tests" / "data" / "topics" / "china-russia.yaml"
NOW = datetime.now(UTC).replace(microsecond=0)

GAS = (
    "Beijing and Moscow agreed on Tuesday on gas supplies through the new pipeline, the "
    "companies said after two years of talks about prices and volumes.",
    "The line is to carry 50 billion cubic metres a year across Mongolia once it is built, and "
    "construction is to start next spring according to the engineering plan approved by both.",
    "Officials said the first deliveries were expected in 2030 and that the price formula would "
    "follow the oil-linked terms of the existing contract signed for the eastern route.",
)


def _article(slug: str, title: str, body: tuple[str, ...], hours: int, lang: str = "en") -> Article:
    return Article(
        slug=slug,
        title=title,
        body=body,
        author="Staff",
        published=NOW - timedelta(hours=hours),
        language=lang,  # type: ignore[arg-type]
    )


def _outlets() -> list[Outlet]:
    wire = Outlet(
        slug="beijing-wire",
        name="Beijing Wire",
        language="en",
        kinds=("rss",),
        articles=[
            _article("gas-deal", "China and Russia sign Power of Siberia 2 gas deal", GAS, 6),
            _article(
                "summit",
                "Xi Jinping and Vladimir Putin meet in Moscow",
                (
                    "The two leaders held talks at the Kremlin on Tuesday about trade, "
                    "payments in national currencies and the situation in the region.",
                    "They are to meet again at the autumn summit, aides said.",
                ),
                5,
            ),
            _article(
                "weather",
                "Weather in Beijing",
                ("Rain is expected in the Chinese capital for the rest of the week.",),
                4,
            ),
        ],
    )
    courier = Outlet(
        slug="northern-courier",
        name="Northern Courier",
        language="en",
        kinds=("rss",),
        articles=[
            # the wire story republished with the agency's credit (folded as a copy)
            _article(
                "gas-copy",
                "Beijing Wire: China and Russia sign Power of Siberia 2 gas deal",
                ("BEIJING, May 2 (Beijing Wire) – " + GAS[0], *GAS[1:], "Source: Beijing Wire"),
                3,
            ),
            _article(
                "iran-rail",
                "Iran and Russia sign a railway agreement",
                (
                    "Tehran and Moscow agreed to finish the Rasht–Astara line by 2028, the "
                    "transport ministers said after their meeting.",
                ),
                3,
            ),
            _article(
                "oil",
                "Russian oil exports to China hit a record",
                ("Oil shipments from Russia to Chinese refineries rose again in May.",),
                2,
            ),
        ],
    )
    vestnik = Outlet(
        slug="vestnik",
        name="Северный вестник",
        language="ru",
        kinds=("rss",),
        articles=[
            _article(
                "ucheniya",
                "Россия и Китай провели совместные военные учения",
                ("Флоты России и Китая провели учения в Японском море, сообщили в штабе.",),
                1,
                "ru",
            )
        ],
    )
    return [wire, courier, vestnik]


@pytest.fixture
def site() -> Iterator[NewsSite]:
    with NewsSite(_outlets()) as s:
        yield s


def _config(cdir: Path, tmp: Path, site: NewsSite) -> str:
    (cdir / "topics").mkdir(parents=True)
    shutil.copy(TOPIC, cdir / "topics" / TOPIC.name)
    # this monitor's outlets: the shipped list plus the wire it follows
    outlets = yaml.safe_load((shipped_config_dir() / "outlets.yaml").read_text(encoding="utf-8"))
    outlets["names"].append("Beijing Wire")
    outlets["agencies"].append("Beijing Wire")
    (cdir / "outlets.yaml").write_text(yaml.safe_dump(outlets, allow_unicode=True), "utf-8")
    url = f"sqlite:///{tmp / 'data' / 'archive.db'}"
    settings = {
        "database_url": url,
        "data_dir": str(tmp / "data"),
        "outbox_dir": str(tmp / "outbox"),
        "topic": f"topics/{TOPIC.name}",
        "crawl": {
            "obey_robots_txt": False,
            "autothrottle": False,
            "retries": 0,
            "allow_networks": ["127.0.0.0/8"],  # the local news site
        },
        "digest": {"title": "China–Russia monitor"},
        "recipients": [{"name": "desk", "address": "desk@example.org", "backfill_days": 2}],
    }
    (cdir / "monitor.yaml").write_text(yaml.safe_dump(settings, allow_unicode=True), "utf-8")
    sources = [s.model_dump(mode="json", exclude_none=True) for s in site.source_configs()]
    (cdir / "sources.yaml").write_text(
        yaml.safe_dump({"sources": sources}, allow_unicode=True), "utf-8"
    )
    return url


def _monitor(cdir: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    done = subprocess.run(
        [sys.executable, "-m", "monitor", "--config", str(cdir), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"monitor {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_a_china_russia_monitor_from_a_copied_topic_file(site: NewsSite, tmp_path: Path) -> None:
    cdir = tmp_path / "config"
    url = _config(cdir, tmp_path, site)
    check = _monitor(cdir, "config", "check")
    assert "topic: ok" in check
    _monitor(cdir, "crawl")

    db = Database.open(url)
    with db.session() as s:
        items = {i.title: i for i in s.scalars(select(Item))}
    db.close()
    assert len(items) == 7, sorted(items)
    relevant = {t for t, i in items.items() if i.relevant}
    assert relevant == {
        "China and Russia sign Power of Siberia 2 gas deal",
        "Beijing Wire: China and Russia sign Power of Siberia 2 gas deal",
        "Xi Jinping and Vladimir Putin meet in Moscow",
        "Russian oil exports to China hit a record",
        "Россия и Китай провели совместные военные учения",
    }
    # an Iran–Russia report is not this topic's; a China-only one neither
    assert items["Iran and Russia sign a railway agreement"].relevant is False
    assert items["Weather in Beijing"].relevant is False
    # the credited copy: the same title key (this monitor's outlet list) and one story
    original = items["China and Russia sign Power of Siberia 2 gas deal"]
    copy = items["Beijing Wire: China and Russia sign Power of Siberia 2 gas deal"]
    assert copy.title_key == original.title_key
    assert copy.content_hash == original.content_hash
    assert copy.story_id == original.story_id is not None
    assert {copy.story_role, original.story_role} == {"lead", "copy"}
    assert original.explanation is not None
    assert original.explanation["topic"] == "china-russia"

    out = _monitor(cdir, "digest", "--recipient", "desk", "--preview")
    page = Path(out.strip().splitlines()[-1]).read_text(encoding="utf-8")
    headings = [h.strip() for h in re.findall(r"<h2[^>]*>([^<]+)</h2>", page)]
    sections = headings[headings.index("Key developments") :]
    # the two-outlet gas story leads; the rest under the topic's labels, in its order
    # (energy, military, diplomacy: not alphabetical), nothing under the shipped topic's themes
    assert sections == [
        "Key developments",
        "Energy and pipelines",
        "Defence ties",
        "Summits and visits",
    ]
    assert "China–Russia monitor" in page
    assert "Iran and Russia sign a railway agreement" not in page
    assert "Weather in Beijing" not in page
    assert page.count("Power of Siberia 2 gas deal") >= 1
