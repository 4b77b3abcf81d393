"""`monitor demo` — the README's main job — works offline in an empty directory."""

from __future__ import annotations

import email
import email.policy
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def test_demo_writes_page_and_email(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env["COLUMNS"] = "200"
    proc = subprocess.run(
        [sys.executable, "-m", "monitor", "demo"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    match = re.search(r"crawled (\d+) sources: (\d+) new items, (\d+) relevant", out)
    assert match, out
    sources, new, relevant = map(int, match.groups())
    assert sources >= 6
    assert new > relevant > 0

    page = Path(re.search(r"digest page: (\S+)", out).group(1))  # type: ignore[union-attr]
    eml = Path(re.search(r"digest email: (\S+)", out).group(1))  # type: ignore[union-attr]
    assert page.is_file()
    assert eml.is_file()
    assert page.resolve().is_relative_to(tmp_path.resolve() / "outbox")

    html = page.read_text(encoding="utf-8")
    assert 'dir="rtl"' in html  # Persian stories read right to left
    assert "<script" not in html.lower()

    msg = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert msg.get_content_type() == "multipart/alternative"
    parts = [p.get_content_type() for p in msg.iter_parts()]  # type: ignore[attr-defined]
    assert parts == ["text/plain", "text/html"]
    assert "\n" not in str(msg["Subject"])
    assert (tmp_path / "data" / "demo" / "archive.db").is_file()
