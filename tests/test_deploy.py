"""Installs that reproduce: constraints, the image's recipe, .dockerignore and compose.yaml.

The recipe itself runs in CI (.ci/install-check with pip 23.2, .ci/docker-build); these tests
check that every install path uses the pins and that the container files agree with each other.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[name.lower().replace("_", "-")] = version
    return pins


def test_constraints_pin_every_declared_dependency() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        declared += extra
    pins = _pins()
    missing = sorted({_name(r) for r in declared} - set(pins))
    assert missing == []
    assert "iran-russia-monitor" not in pins
    assert "lxml-html-clean" in pins  # trafilatura needs it; old pip does not pull it in


def test_every_install_path_uses_the_constraints() -> None:
    assert '-c constraints.txt -e ".[dev]"' in (ROOT / "Makefile").read_text()
    assert (
        '-c "$src/constraints.txt" "$src[postgres,queue]"'
        in (ROOT / "deploy/install.sh").read_text()
    )
    dockerfile = (ROOT / "deploy/Dockerfile").read_text()
    assert "RUN sh deploy/install.sh /opt/monitor /src" in dockerfile
    ci = (ROOT / ".ci/run").read_text()
    assert "make install" in ci
    assert "bash .ci/install-check 23.2.1" in ci
    assert "bash .ci/docker-build" in ci


def test_dockerfile_has_a_healthcheck_and_dockerignore_keeps_what_it_copies() -> None:
    dockerfile = (ROOT / "deploy/Dockerfile").read_text()
    assert re.search(r'HEALTHCHECK .*\n\s+CMD \["monitor", "status", "--check"\]', dockerfile)
    kept = {
        line[1:].rstrip("/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.startswith("!")
    }
    assert "**" in (ROOT / ".dockerignore").read_text().splitlines()
    copied = set()
    for line in dockerfile.splitlines():
        if line.startswith("COPY "):
            copied.update(p.rstrip("/") for p in line.split()[1:-1])
    assert copied
    assert copied <= kept, copied - kept
    for path in kept:
        assert (ROOT / path).exists(), path


def test_compose_builds_one_image_and_requires_the_web_token() -> None:
    text = (ROOT / "deploy/compose.yaml").read_text()
    services = yaml.safe_load(text)["services"]
    builders = [name for name, svc in services.items() if "build" in svc]
    assert builders == ["monitor"]
    assert services["web"]["image"] == services["monitor"]["image"]
    assert services["web"]["pull_policy"] == "never"
    token = services["web"]["environment"]["MONITOR_WEB_TOKEN"]
    assert token.startswith("${MONITOR_WEB_TOKEN:?set MONITOR_WEB_TOKEN")
    assert "healthcheck" in services["web"]
    # the web service's health is its /healthz (open without the token), not a page behind it
    assert "http://127.0.0.1:8750/healthz" in " ".join(services["web"]["healthcheck"]["test"])


def test_compose_scales_workers_on_one_frontier_and_one_archive() -> None:
    services = yaml.safe_load((ROOT / "deploy/compose.yaml").read_text())["services"]
    assert {"db", "redis", "monitor", "worker", "web"} <= set(services)
    worker = services["worker"]
    assert worker["command"] == ["worker"]
    assert worker["image"] == services["monitor"]["image"]
    assert "container_name" not in worker  # --scale worker=N works
    assert "ports" not in worker
    for name in ("monitor", "worker"):
        env = services[name]["environment"]
        assert env["MONITOR_QUEUE__URL"] == "redis://redis:6379/0"
        assert env["MONITOR_DATABASE_URL"].startswith("postgresql://")
        assert services[name]["depends_on"]["redis"]["condition"] == "service_healthy"
    assert int(worker["stop_grace_period"].rstrip("s")) > 60  # longer than queue.drain_s
