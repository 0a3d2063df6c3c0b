"""Sample the live server with py-spy while clients submit 秒办 cases (or hit the floor).

    .venv/bin/python bench/profile_server.py [--db postgres|sqlite] [--phase cases|floor] [--n 1500]
        [--workers 2] [--concurrency 8] [--db-connections product|persistent|close] [--out /tmp/profile]

Needs py-spy (`pip install py-spy`, not a project dependency) and permission to ptrace the server.
Writes <out>.txt (collapsed stacks, one line per distinct stack with its sample count) and prints
where the samples fall: our code by function, Django ORM, database driver wait, framework.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench import bench_cases as bc  # noqa: E402

# First matching rule names the bucket of a sample (frames are matched innermost first).
BUCKETS = (
    ("database wait (psycopg / sqlite3 I/O)", ("psycopg/waiting.py", "wait_conn", "_execute_send",
                                                "(sqlite3", "execute (sqlite3", "commit (sqlite3",
                                                "psycopg/generators.py", "_wait_c", "wait_c (")),
    ("huey enqueue (SQLite queue)", ("huey/",)),
    ("ed25519 / hashing", ("cryptography/", "hashlib", "_sha256")),
    ("Django ORM (query building, model instances)", ("django/db/",)),
    ("pydantic / ninja (parse, validate, serialise)", ("ninja/", "pydantic")),
    ("JSON", ("json/",)),
    ("Django request/middleware/ASGI", ("django/", "asgiref/", "axes/", "csp/", "servestatic/", "django_htmx/")),
    ("uvicorn / event loop", ("uvicorn/", "asyncio/", "uvloop", "httptools")),
)


IDLE = ("Condition.wait (threading.py", "Runner.run (asyncio/runners.py", "_wait_for_tstate_lock",
        "Connection._recv (multiprocessing", "select (selectors.py", "Event.wait (threading.py")


def bucket(stack: str) -> str:
    frames = stack.split(";")[::-1]  # innermost first
    if frames and any(frames[0].startswith(marker) for marker in IDLE):
        return "idle (a thread waiting for work: executor, event loop)"
    for frame in frames:
        for name, needles in BUCKETS:
            if any(n in frame for n in needles):
                return name
        if "(qinqing/" in frame:
            return "qinqing code (own time)"
    return "other / idle"


def qinqing_function(stack: str) -> str | None:
    """The innermost qinqing frame: where our code called into whatever the sample was in."""
    for frame in stack.split(";")[::-1]:
        if "(qinqing/" in frame and "middleware.py" not in frame:
            return frame
    return None


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--phase", choices=("cases", "floor"), default="cases")
    parser.add_argument("--n", type=int, default=1500)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--db-connections", choices=("product", "persistent", "close"), default="product")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "qinqing-profile")
    args = parser.parse_args()
    spy = shutil.which("py-spy") or str(bc.VENV_BIN / "py-spy")

    data_dir = Path(tempfile.mkdtemp(prefix=f"qinqing-spy-{args.db}-"))
    if args.db == "postgres":
        bc.fresh_postgres()
    env = bc.server_env(args.db, data_dir, "enqueue", args.db_connections)
    server = None
    try:
        bc.run_setup(env, data_dir / "setup.log")
        port = bc.free_port()
        base = f"http://127.0.0.1:{port}"
        server = bc.start_server(env, port, args.workers, data_dir / "server.log")
        asyncio.run(bc.wait_ready(base, server))
        time.sleep(1)
        pids = [p for p in bc.descendants(server.pid, bc._proc_table()) if p != server.pid] or [server.pid]
        usccs = bc.demo_usccs()

        async def load() -> bc.Phase:
            scenario = await bc.prepare(base, usccs, "GJJ-001")
            async with httpx.AsyncClient(base_url=base, timeout=60) as client:
                await bc.run_phase(client, args.phase, 100, args.concurrency, scenario)  # warm-up
                spies = [subprocess.Popen([spy, "record", "--pid", str(pid), "--rate", "250", "--format", "raw",
                                           "--output", f"{args.out}-{pid}.txt", "--nonblocking"],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for pid in pids]
                time.sleep(1.5)
                phase = await bc.run_phase(client, args.phase, args.n, args.concurrency, scenario)
                for s in spies:
                    s.send_signal(2)  # SIGINT: py-spy writes its output and exits
                for s in spies:
                    _, err = s.communicate(timeout=60)
                    if s.returncode not in (0, None) and err:
                        print(err.decode()[-500:], file=sys.stderr)
                return phase

        phase = asyncio.run(load())
    finally:
        bc.stop(server)
        shutil.rmtree(data_dir, ignore_errors=True)
        if args.db == "postgres":
            bc.drop_postgres()

    print(f"{args.phase}: {phase.ok} ok, {len(phase.failures)} failed, {phase.rate:.0f}/s, "
          f"median {phase.median_ms:.1f} ms (workers={args.workers}, concurrency={args.concurrency})")
    buckets: collections.Counter[str] = collections.Counter()
    ours: collections.Counter[str] = collections.Counter()
    lines = []
    for pid in pids:
        path = Path(f"{args.out}-{pid}.txt")
        if path.exists():
            lines += path.read_text().splitlines()
    total = 0
    for line in lines:
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        total += n
        buckets[bucket(stack)] += n
        fn = qinqing_function(stack)
        if fn:
            ours[fn] += n
    if not total:
        print("py-spy recorded nothing (ptrace not permitted?)")
        return 1
    print(f"\n{total} samples of the server's threads")
    for name, n in buckets.most_common():
        print(f"{n / total:6.1%}  {name}")
    print("\ninnermost qinqing function on the stack (inclusive of everything it called):")
    for name, n in ours.most_common(25):
        print(f"{n / total:6.1%}  {name}")
    Path(f"{args.out}.txt").write_text("\n".join(lines) + "\n")
    print(f"\ncollapsed stacks: {args.out}.txt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
