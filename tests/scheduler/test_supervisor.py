"""Child supervision with real child processes (``python -c`` scripts that exit, sleep or hang)."""

from __future__ import annotations

import os
import sys
import textwrap
import threading
import time
from pathlib import Path

from monitor.db.jobs import pid_alive
from monitor.scheduler.supervisor import parse_json_output, run_child

PY = sys.executable


def script(body: str) -> list[str]:
    return [PY, "-c", textwrap.dedent(body)]


def test_clean_exit_records_json_output() -> None:
    res = run_child(
        script('import json; print("starting"); print(json.dumps({"new_items": 3, "ok": True}))'),
        time_limit_s=30,
    )
    assert res.status == "ok"
    assert res.exit_code == 0
    assert res.output == {"new_items": 3, "ok": True}
    assert res.signals_sent == ()


def test_failure_exit_code_is_kept() -> None:
    res = run_child(script("import sys; print('{\"errors\": 2}'); sys.exit(3)"), time_limit_s=30)
    assert res.status == "failed"
    assert res.exit_code == 3
    assert res.output == {"errors": 2}


def test_hung_child_gets_sigterm_after_limit(tmp_path: Path) -> None:
    marker = tmp_path / "terminated"
    body = f"""
        import signal, sys, time
        def bye(*_):
            open({str(marker)!r}, "w").write("clean")
            sys.exit(0)
        signal.signal(signal.SIGTERM, bye)
        time.sleep(600)
    """
    started = time.monotonic()
    res = run_child(script(body), time_limit_s=1.0, kill_grace_s=5)
    elapsed = time.monotonic() - started
    assert res.status == "killed"
    assert res.signals_sent == ("SIGTERM",)
    assert marker.read_text() == "clean"  # the child could shut down on SIGTERM
    assert 1.0 <= elapsed < 4


def test_child_ignoring_sigterm_is_killed_with_its_group(tmp_path: Path) -> None:
    pidfile = tmp_path / "grandchild.pid"
    body = f"""
        import signal, subprocess, sys, time
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        g = subprocess.Popen([sys.executable, "-c",
            "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"])
        open({str(pidfile)!r}, "w").write(str(g.pid))
        time.sleep(600)
    """
    started = time.monotonic()
    res = run_child(script(body), time_limit_s=1.5, kill_grace_s=1.0)
    assert res.status == "killed"
    assert res.signals_sent == ("SIGTERM", "SIGKILL")
    assert res.exit_code == -9
    assert time.monotonic() - started < 6
    grandchild = int(pidfile.read_text())
    deadline = time.monotonic() + 5
    while pid_alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not pid_alive(grandchild), "the grandchild outlived the kill of its process group"


def test_stop_event_aborts_a_running_child() -> None:
    stop = threading.Event()
    timer = threading.Timer(0.5, stop.set)
    timer.start()
    res = run_child(
        script("import time; time.sleep(600)"), time_limit_s=60, stop=stop, kill_grace_s=2
    )
    timer.join()
    assert res.status == "aborted"
    assert res.signals_sent == ("SIGTERM",)
    assert res.duration_s < 5


def test_stop_wait_lets_a_short_child_finish() -> None:
    stop = threading.Event()
    stop.set()
    res = run_child(
        script("import time; time.sleep(0.8); print('{\"sent\": 1}')"),
        time_limit_s=60,
        stop=stop,
        stop_wait_s=10,
    )
    assert res.status == "ok"
    assert res.output == {"sent": 1}
    assert res.signals_sent == ()


def test_child_runs_in_its_own_process_group() -> None:
    res = run_child(script("import os; print(os.getpgid(0) == os.getpid())"), time_limit_s=30)
    assert res.stdout.strip() == "True"
    assert os.getpgid(0) != res.pid


def test_parse_json_output_takes_last_object() -> None:
    assert parse_json_output('noise\n{"a": 1}\n{"b": 2}\n') == {"b": 2}
    assert parse_json_output('{\n  "a": 1\n}\n') == {"a": 1}
    assert parse_json_output("not json") == {}
    assert parse_json_output("") == {}
