"""Regression floor on real reporting: run the shared labelled corpus end to end and check floors.

The corpus (``run.sh``, ``replay.py``, ``dev.jsonl``) is not part of the repository. It is found in
``$MONITOR_EVAL_DIR``, else ``/work/shared/eval``, else ``../shared/eval`` beside the repository;
without it the check prints "skipped: corpus not found" and passes. ``run.sh`` serves the corpus on
loopback, imports its OPML into a fresh archive, crawls it with the ``monitor`` of this checkout's
``.venv``, exports and scores it. The full score is printed as JSON, then each floor; any score
below its floor fails the run.

    .venv/bin/python .ci/shared_eval.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLOORS = {
    "relevance_en.precision": 0.95,
    "relevance_en.recall": 0.95,
    "relevance_ru.precision": 0.95,
    "relevance_ru.recall": 0.95,
    "relevance_fa.precision": 0.95,
    "relevance_fa.recall": 0.95,
    "copy_recall": 0.95,
    "event_recall_same_lang": 0.80,
    "event_recall_cross_lang": 0.80,
    "story_precision": 0.98,
}


def corpus_dir() -> Path | None:
    candidates = [
        os.environ.get("MONITOR_EVAL_DIR"),
        "/work/shared/eval",
        ROOT.parent / "shared/eval",
    ]
    for c in candidates:
        if c and (Path(c) / "run.sh").is_file():
            return Path(c)
    return None


def value(score: dict[str, object], key: str) -> float:
    node: object = score
    for part in key.split("."):
        assert isinstance(node, dict)
        node = node[part]
    assert isinstance(node, (int, float))
    return float(node)


def main() -> int:
    where = corpus_dir()
    if where is None:
        print("shared eval: skipped: corpus not found (set MONITOR_EVAL_DIR)")
        return 0
    env = dict(os.environ)
    env["PATH"] = f"{ROOT / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    with tempfile.TemporaryDirectory(prefix="shared-eval-") as out:
        env["OUT"] = out
        done = subprocess.run(
            ["bash", str(where / "run.sh")],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        if done.returncode != 0:
            print(done.stdout)
            print(done.stderr, file=sys.stderr)
            crawl_log = Path(out) / "crawl.log"
            if crawl_log.is_file():
                print(crawl_log.read_text(encoding="utf-8")[-3000:], file=sys.stderr)
            print(f"shared eval: run.sh failed with exit code {done.returncode}")
            return 1
    score = json.loads(done.stdout)
    print(f"shared eval: corpus {where}")
    print(json.dumps(score, indent=1, ensure_ascii=False))
    failed = []
    for key, floor in FLOORS.items():
        got = value(score, key)
        ok = got >= floor
        print(f"  {key:<28} {got:.3f}  floor {floor:.2f}  {'ok' if ok else 'BELOW'}")
        if not ok:
            failed.append(key)
    if failed:
        print(f"shared eval: below the floor: {', '.join(failed)}")
        return 1
    print("shared eval: every floor met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
