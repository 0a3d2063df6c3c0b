"""Where does a 秒办 submission spend its time? In-process profile of POST /api/v1/cases.

    .venv/bin/python bench/profile_submit.py [--db postgres|sqlite] [--n 300] [--pyinstrument]

Sets up a fresh data directory (and PostgreSQL database) like bench_cases.py, then, in this process,
sends submissions through Django's test client (the full middleware stack and the API, no HTTP
server) and prints: the SQL statements of one submission, the time spent in the database versus in
Python, and per-request means for the floor and the case submission. With --pyinstrument (pip
install pyinstrument; not a project dependency) it also prints a call-tree profile of the cases.
"""

from __future__ import annotations

import argparse
import collections
import importlib
import os
import re
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import bench_cases  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--matter", default="GAJ-001", help="the automatic matter to try first (the benchmark's)")
    parser.add_argument("--pyinstrument", action="store_true")
    parser.add_argument("--cprofile", action="store_true", help="print the top functions by own time (cProfile)")
    parser.add_argument("--wall", action="store_true",
                        help="cProfile by wall-clock time (default: this thread's CPU time, which a loaded machine and "
                             "waits for the database do not inflate)")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix=f"qinqing-profile-{args.db}-"))
    if args.db == "postgres":
        bench_cases.fresh_postgres()
    env = bench_cases.server_env(args.db, data_dir, "enqueue")
    bench_cases.run_setup(env, data_dir / "setup.log")
    usccs = bench_cases.demo_usccs()
    os.environ.clear()
    os.environ.update(env)
    try:
        return profile(args, usccs)
    finally:
        from django.db import connections

        connections.close_all()
        shutil.rmtree(data_dir, ignore_errors=True)
        if args.db == "postgres":
            bench_cases.drop_postgres()


def profile(args: argparse.Namespace, usccs: dict[int, str]) -> int:
    importlib.import_module("bench.floor_asgi")  # django.setup() and the floor route, before Django imports
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    tokens = []
    for i in (0, 1, 2, 3, 4):
        r = client.post("/api/v1/auth/token", {"username": usccs[i], "password": bench_cases.PASSWORD},
                        content_type="application/json")
        tokens.append(r.json()["token"])
    matters = sorted((m for m in client.get("/api/v1/matters").json() if m["automatic"]),
                     key=lambda m: m["code"] != args.matter)
    matter = data = None
    for m in matters:
        detail = client.get(f"/api/v1/matters/{m['code']}").json()
        if any(x["required"] for x in detail["materials"]):
            continue
        data = bench_cases.form_for(detail)
        r = client.post("/api/v1/cases", {"matter": m["code"], "data": data}, content_type="application/json",
                        HTTP_AUTHORIZATION=f"Bearer {tokens[0]}", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)
        if r.status_code == 201 and r.json()["decision"]["outcome"] == "approved":
            matter = m["code"]
            break
    if matter is None:
        print("no automatic matter approved")
        return 1
    body = {"matter": matter, "data": data}

    def submit(i: int) -> None:
        r = client.post("/api/v1/cases", body, content_type="application/json",
                        HTTP_AUTHORIZATION=f"Bearer {tokens[i % len(tokens)]}", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)
        assert r.status_code == 201 and r.json()["decision"]["outcome"] == "approved", r.content[:300]

    def floor(i: int) -> None:
        r = client.post("/api/v1/bench/floor", {}, content_type="application/json",
                        HTTP_AUTHORIZATION=f"Bearer {tokens[i % len(tokens)]}")
        assert r.status_code == 201

    for i in range(30):  # warm caches
        submit(i)
        floor(i)

    print(f"matter {matter} on {connection.vendor}; form data {data}")
    with CaptureQueriesContext(connection) as q:
        submit(0)
    print(f"\nSQL statements of one submission: {len(q.captured_queries)}")
    for n, query in enumerate(q.captured_queries, 1):
        print(f"{n:3d} {float(query['time']) * 1000:6.2f} ms  {query['sql'][:160]}")
    with CaptureQueriesContext(connection) as q:
        floor(0)
    print(f"\nSQL statements of one floor request: {len(q.captured_queries)}")
    for n, query in enumerate(q.captured_queries, 1):
        print(f"{n:3d} {float(query['time']) * 1000:6.2f} ms  {query['sql'][:160]}")

    for name, fn in (("floor", floor), ("cases", submit)):
        kinds: collections.Counter[str] = collections.Counter()
        sql_time = 0.0
        with CaptureQueriesContext(connection) as q:
            started, cpu_started = time.perf_counter(), time.thread_time()
            for i in range(args.n):
                fn(i)
            total, cpu = time.perf_counter() - started, time.thread_time() - cpu_started
        for query in q.captured_queries:
            sql_time += float(query["time"])
            kinds[re.split(r"\s", query["sql"].strip(), maxsplit=1)[0].upper()] += 1
        print(f"\n{name}: {total / args.n * 1000:.2f} ms/request in-process ({cpu / args.n * 1000:.2f} ms of CPU), "
              f"of which SQL "
              f"{sql_time / args.n * 1000:.2f} ms ({len(q.captured_queries) / args.n:.1f} statements: "
              + ", ".join(f"{k} {v / args.n:.1f}" for k, v in kinds.most_common()) + ")")

    if args.cprofile:
        import cProfile
        import pstats

        prof = cProfile.Profile() if args.wall else cProfile.Profile(time.thread_time)
        prof.enable()
        for i in range(args.n):
            submit(i)
        prof.disable()
        stats = pstats.Stats(prof)
        stats.sort_stats("tottime").print_stats(35)
        stats.sort_stats("cumulative").print_stats(60)

    if args.pyinstrument:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        profiler.start()
        for i in range(args.n):
            submit(i)
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
