"""Where the shipped ``templates/`` and ``config/`` live.

In a source checkout (or editable install) they sit beside the package at the repository root; a
wheel carries them inside the package as ``monitor/_shipped/{templates,config}``.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def _shipped(name: str) -> Path:
    inside = _PACKAGE_DIR / "_shipped" / name
    if inside.is_dir():
        return inside
    return _PACKAGE_DIR.parent / name


def shipped_config_dir() -> Path:
    return _shipped("config")


def templates_dir() -> Path:
    return _shipped("templates")
