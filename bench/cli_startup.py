"""Time ``monitor --help`` against a bare ``python -c pass`` (both fresh processes).

    python bench/cli_startup.py [--runs 20] [--budget 0.25]

Prints the mean and best wall time of each and exits 1 when the mean of ``monitor --help`` is
above ``--budget`` seconds.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

MONITOR = Path(sys.executable).with_name("monitor")


def timed(argv: list[str], runs: int) -> list[float]:
    subprocess.run(argv, check=True, capture_output=True)  # warm the file cache
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True)
        out.append(time.perf_counter() - start)
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--budget", type=float, default=0.25)
    args = parser.parse_args()
    bare = timed([sys.executable, "-c", "pass"], args.runs)
    helped = timed([str(MONITOR), "--help"], args.runs)
    for label, values in (("python -c pass", bare), ("monitor --help", helped)):
        print(f"{label:<16} mean {statistics.mean(values):.3f}s  best {min(values):.3f}s")
    mean = statistics.mean(helped)
    print(f"monitor --help costs {mean - statistics.mean(bare):.3f}s over a bare interpreter")
    if mean > args.budget:
        print(f"over budget: {mean:.3f}s > {args.budget:.3f}s")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
