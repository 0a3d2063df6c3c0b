"""The dense demo's cost to `serve`'s first start: `load_demo_city(300)` on copies of a demo loaded without it.

    QINQING_DATA_DIR=/tmp/base qinqing migrate && QINQING_DATA_DIR=/tmp/base qinqing loaddemo --city 0
    PYTHONPATH=$PWD python bench/bench_demo_city.py /tmp/base --runs 3

Each run copies the base data directory, adds the city inside one transaction as `load_demo` does (what the
first start pays), then runs every outbox consumer (what the worker does afterwards, in the background).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

RUN = """
import django, os, time
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qinqing.settings")
django.setup()
from django.db import transaction
from qinqing.core import events
from qinqing.web.demo_city import load_demo_city
t = time.perf_counter()
with transaction.atomic():
    load_demo_city({n})
a = time.perf_counter() - t
t = time.perf_counter()
events.consume_all()
print(a, time.perf_counter() - t)
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("base", help="a data directory holding the demo loaded with --city 0")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--enterprises", type=int, default=300)
    args = parser.parse_args()
    first, after = [], []
    for run in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="demo-city-") as tmp:
            data = os.path.join(tmp, "data")
            shutil.copytree(args.base, data)
            env = {**os.environ, "QINQING_DATA_DIR": data}
            env.pop("DATABASE_URL", None)
            out = subprocess.run([sys.executable, "-c", RUN.format(n=args.enterprises)], env=env, check=True,
                                 capture_output=True, text=True).stdout.split()
            first.append(float(out[-2]))
            after.append(float(out[-1]))
            print(f"run {run + 1}: added to loaddemo {first[-1]:.2f} s; worker catch-up {after[-1]:.1f} s")
    print(f"median: added to loaddemo {statistics.median(first):.2f} s; worker catch-up {statistics.median(after):.1f} s")


if __name__ == "__main__":
    main()
