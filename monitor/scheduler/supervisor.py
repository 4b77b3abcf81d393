"""Child processes with time limits.

Every scheduled job runs as ``python -m monitor …`` in a child process of its own process group
(``start_new_session``), so a crash, a hang or a leak stays in the child, and a kill reaches the
child's own children too. A child that outlives its time limit, or that is running when the daemon
is told to stop, gets SIGTERM (the crawl child shuts Scrapy down cleanly on it); if it is still
there after ``kill_grace_s`` the whole group gets SIGKILL.

The child's stdout is captured (the commands print one JSON document with ``--json``); stderr is
passed through, so the child's log lines reach the daemon's log (journald, docker logs).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

log = logging.getLogger(__name__)

ChildStatus = Literal["ok", "failed", "killed", "aborted"]


@dataclass(frozen=True)
class ChildResult:
    """How a child ended: ``killed`` = over its time limit, ``aborted`` = stopped by shutdown."""

    status: ChildStatus
    exit_code: int | None
    pid: int
    duration_s: float
    stdout: str = ""
    output: dict[str, Any] = field(default_factory=dict)  # parsed JSON from stdout, if any
    signals_sent: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def parse_json_output(stdout: str) -> dict[str, Any]:
    """The last JSON object printed on stdout (whole text first, then line by line)."""
    text = stdout.strip()
    if not text:
        return {}
    try:
        value = json.loads(text)
        return value if isinstance(value, dict) else {"value": value}
    except ValueError:
        pass
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                value = json.loads(line)
            except ValueError:
                continue
            if isinstance(value, dict):
                return value
    return {}


def run_child(
    argv: Sequence[str],
    *,
    time_limit_s: float,
    kill_grace_s: float = 10.0,
    stop: threading.Event | None = None,
    stop_wait_s: float = 0.0,
    env: dict[str, str] | None = None,
    poll_s: float = 0.2,
) -> ChildResult:
    """Run ``argv`` to completion under a time limit and return how it ended.

    ``stop`` set while the child runs: the child is given ``stop_wait_s`` to finish on its own,
    then SIGTERM, then SIGKILL after ``kill_grace_s`` (status ``aborted`` unless it finished).
    """
    started = time.monotonic()
    proc = subprocess.Popen(
        list(argv),
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        env=env,
        text=True,
        encoding="utf-8",
        errors="replace",
    )
    pgid = proc.pid  # new session: the child leads its own process group
    chunks: list[str] = []
    reader = threading.Thread(
        target=lambda: chunks.append(proc.stdout.read() if proc.stdout else ""),
        name=f"child-{proc.pid}-stdout",
        daemon=True,
    )
    reader.start()
    sent: list[str] = []
    reason: ChildStatus | None = None
    term_at: float | None = None
    stop_seen_at: float | None = None
    while True:
        try:
            proc.wait(timeout=poll_s)
            break
        except subprocess.TimeoutExpired:
            pass
        now = time.monotonic()
        if term_at is None:
            if now - started >= time_limit_s:
                reason = "killed"
                log.warning(
                    "Child over its time limit pid=%d limit_s=%s; sending SIGTERM",
                    proc.pid,
                    time_limit_s,
                )
            elif stop is not None and stop.is_set():
                stop_seen_at = stop_seen_at or now
                if now - stop_seen_at >= stop_wait_s:
                    reason = "aborted"
                    log.info("Stopping child pid=%d (shutdown); sending SIGTERM", proc.pid)
            if reason is not None:
                _signal_group(pgid, signal.SIGTERM)
                sent.append("SIGTERM")
                term_at = now
        elif now - term_at >= kill_grace_s and "SIGKILL" not in sent:
            log.warning(
                "Child ignored SIGTERM pid=%d grace_s=%s; sending SIGKILL", proc.pid, kill_grace_s
            )
            _signal_group(pgid, signal.SIGKILL)
            sent.append("SIGKILL")
    # the leader is gone; make sure nothing it started lingers in its group
    if sent:
        _signal_group(pgid, signal.SIGKILL)
    reader.join(timeout=5)
    stdout = "".join(chunks)
    code = proc.returncode
    if reason is not None:
        status: ChildStatus = reason
    else:
        status = "ok" if code == 0 else "failed"
    return ChildResult(
        status=status,
        exit_code=code,
        pid=proc.pid,
        duration_s=round(time.monotonic() - started, 3),
        stdout=stdout,
        output=parse_json_output(stdout),
        signals_sent=tuple(sent),
    )
