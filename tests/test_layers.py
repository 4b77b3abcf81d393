"""The layers import downwards only (the code cannot drift from its layout).

Every ``import`` of ``monitor`` and ``spiders`` is read with :mod:`ast`, wherever it is: at the top
of a module, inside a function, under ``TYPE_CHECKING``, or as ``importlib.import_module("…")``
with a literal name. A module may import from its own layer and from the layers listed before it,
never from a later one. Every module belongs to exactly one layer, so a new module is placed on
purpose.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("monitor", "spiders")

# lowest first: a module may import its own layer and the layers above it in this list
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "helpers",
        (
            "monitor",  # the package itself: __version__
            "monitor.errors",
            "monitor.identity",
            "monitor.paths",
            "monitor.textnorm",
            "monitor.urls",
            "monitor.netguard",
            "monitor.languages",
            "monitor.logging_setup",
            "monitor.templating",
            "monitor.files",
        ),
    ),
    (
        "vocabulary",
        ("monitor.query", "monitor.schedules", "monitor.explanation", "monitor.records"),
    ),
    ("search language", ("monitor.search",)),
    (
        "configuration",
        ("monitor.config", "monitor.settings_sources", "monitor.database_url", "monitor.opml"),
    ),
    ("local news site", ("monitor.newsite",)),
    ("storage", ("monitor.db",)),
    ("crawl frontier", ("monitor.frontier",)),
    ("item stages", ("monitor.pipeline",)),
    ("relevance", ("monitor.relevance",)),
    ("dedup", ("monitor.dedup",)),
    ("reviewer feedback", ("monitor.feedback",)),
    ("collection", ("monitor.collect",)),
    ("scrapy adapter", ("spiders",)),
    ("channels", ("monitor.channels",)),
    ("digests", ("monitor.digest",)),
    ("alerts", ("monitor.alerts",)),
    ("scheduler", ("monitor.scheduler",)),
    ("web app", ("monitor.web",)),
    ("demo", ("monitor.demo",)),
    ("command line", ("monitor.cli", "monitor.__main__")),
)

# the Scrapy adapter is started by the commands that crawl or discover feeds, by nothing else
ONLY_IMPORTED_BY = {"spiders": ("spiders", "monitor.cli")}

# Imports that break the rules today and are being removed. Delete an entry when its import is
# gone: test_pending_exceptions_still_exist fails as a reminder.
PENDING_EXCEPTIONS: frozenset[tuple[str, str]] = frozenset()


@dataclass(frozen=True)
class Import:
    importer: str
    target: str
    line: int

    def __str__(self) -> str:
        return f"{self.importer} (line {self.line}) imports {self.target}"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:  # Alembic's scripts, loaded by Alembic by path
                continue
            found[_module_name(path)] = path
    return found


SOURCES = _sources()


def _ours(name: str) -> bool:
    return name.split(".")[0] in PACKAGES


def _resolve(module: str, names: list[str]) -> Iterator[str]:
    """``from a.b import c``: ``a.b.c`` when that is a module, else ``a.b``."""
    for name in names:
        full = f"{module}.{name}"
        yield full if full in SOURCES else module


def imports_of(name: str, path: Path) -> Iterator[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join([*base, module] if module else base)
            targets = list(_resolve(module, [alias.name for alias in node.names]))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id)
            in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            targets = [node.args[0].value]
        for target in targets:
            if _ours(target):
                yield Import(name, target, getattr(node, "lineno", 0))


def layer_of(module: str) -> int:
    """The index in LAYERS of the longest prefix naming ``module`` ("monitor" names only itself)."""
    matches = [
        (len(prefix), index)
        for index, (_, prefixes) in enumerate(LAYERS)
        for prefix in prefixes
        if module == prefix or (prefix != "monitor" and module.startswith(prefix + "."))
    ]
    if not matches:
        raise LookupError(f"{module} belongs to no layer; add it to LAYERS in {__file__}")
    return max(matches)[1]


def _under(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def violations(imports: list[Import]) -> list[str]:
    out = []
    for imp in imports:
        if (imp.importer, imp.target) in PENDING_EXCEPTIONS:
            continue
        low, high = layer_of(imp.target), layer_of(imp.importer)
        if low > high:
            out.append(f"{imp}: {LAYERS[low][0]} is above {LAYERS[high][0]}")
        for guarded, allowed in ONLY_IMPORTED_BY.items():
            if _under(imp.target, (guarded,)) and not _under(imp.importer, allowed):
                out.append(f"{imp}: only {', '.join(allowed)} may import {guarded}")
    return out


ALL_IMPORTS = [imp for name, path in SOURCES.items() for imp in imports_of(name, path)]


@pytest.mark.parametrize("module", sorted(SOURCES))
def test_every_module_has_a_layer(module: str) -> None:
    layer_of(module)


def test_no_import_goes_up_a_layer() -> None:
    found = violations(ALL_IMPORTS)
    assert not found, "\n".join(found)


def test_pending_exceptions_still_exist() -> None:
    present = {(imp.importer, imp.target) for imp in ALL_IMPORTS}
    gone = sorted(PENDING_EXCEPTIONS - present)
    assert not gone, f"remove from PENDING_EXCEPTIONS (the import is gone): {gone}"


def test_the_command_registry_names_only_command_line_modules() -> None:
    from monitor.cli import COMMANDS

    for module, _, _ in COMMANDS.values():
        assert _under(module, ("monitor.cli",)), module
        assert module in SOURCES, module


@pytest.mark.parametrize(
    ("importer", "target", "source"),
    [
        pytest.param(
            "monitor.config",
            "monitor.scheduler.jobs",
            "def f():\n    from monitor.scheduler import jobs\n",
            id="function-local import",
        ),
        pytest.param(
            "monitor.db.read.items",
            "monitor.web.app",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from monitor.web.app import x\n",
            id="TYPE_CHECKING import",
        ),
        pytest.param(
            "monitor.scheduler.jobs",
            "monitor.cli",
            "import importlib\nimportlib.import_module('monitor.cli')\n",
            id="import_module with a literal name",
        ),
        pytest.param(
            "monitor.digest.service",
            "spiders.collect",
            "import spiders.collect\n",
            id="spiders from outside the command line",
        ),
        pytest.param(
            "monitor.db.read.items",
            "monitor.search.filters",
            "from ...search import filters\n",
            id="relative import resolved",
        ),
    ],
)
def test_the_checker_sees_upward_imports(
    tmp_path: Path, importer: str, target: str, source: str
) -> None:
    path = tmp_path / "module.py"
    path.write_text(source, encoding="utf-8")
    found = list(imports_of(importer, path))
    assert [imp.target for imp in found] == [target]
    expected_upward = target != "monitor.search.filters"  # search sits below storage
    assert bool(violations(found)) is expected_upward
