"""``monitor --help`` (and every command's parsing) starts without the heavy parts of the program.

Time is measured by ``bench/cli_startup.py``; this test checks the cause: which modules a fresh
interpreter has loaded after printing the help.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

SCRIPT = """
import sys
from monitor.cli import main
try:
    main(["--help"])
except SystemExit:
    pass
sys.stderr.write("\\n".join(sorted(sys.modules)))
"""


@pytest.fixture(scope="module")
def loaded() -> set[str]:
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True, timeout=60
    )
    assert "Commands:" in proc.stdout
    return set(proc.stderr.split())


@pytest.mark.parametrize(
    "module",
    ["sqlalchemy", "alembic", "monitor.db", "monitor.config", "pydantic", "yaml", "rich"],
)
def test_help_does_not_import(loaded: set[str], module: str) -> None:
    assert module not in loaded
