"""Benchmark of 秒办: automatic-decision case submissions over HTTP, beside a floor from the same run.

    .venv/bin/python bench/bench_cases.py [--n 2000] [--concurrency 16] [--db postgres|sqlite|both] [--workers 2]

For each database: a fresh data directory (and, for PostgreSQL, a fresh database), `qinqing migrate`
and `qinqing loaddemo`, then the real application under uvicorn with the options `qinqing serve`
uses (workers, log level warning, no access log, lifespan off), started on `bench.floor_asgi`, which
adds one bench-only endpoint, the *floor*: an authenticated POST that does one INSERT and nothing
else. Clients are asyncio + httpx at the given concurrency, authenticated as several demo
enterprises. After a warm-up, N floor POSTs and then N case submissions (each with its own
Idempotency-Key) are timed; every case must come back 201 and approved, otherwise the run is invalid.
CPU per request (server, PostgreSQL, client, others) is read from /proc around each phase.

`--workers` and `--concurrency` take comma lists (a sweep: one server per worker count).
`--db-connections` and `--interface` run labelled what-if variants; see docs/performance.md.

Exit status: 0 when the runs are valid (targets missed or not: this is a benchmark, not a test);
1 when a run failed or a response was wrong.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import datetime as dt
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

try:
    from bench.lean_client import LeanClient, LeanError
except ImportError:  # run as a script: bench/ is on the path, not its parent
    from lean_client import LeanClient, LeanError  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
QINQING = [sys.executable, "-m", "qinqing.cli"]  # this checkout's code (the console script may point elsewhere)
PASSWORD = "Qinqing@2026"
PG_ADMIN_DSN = os.environ.get("BENCH_PG_ADMIN_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=postgres")
PG_DB = os.environ.get("BENCH_PG_DB", "qinqing_bench")
PG_URL = os.environ.get("BENCH_PG_URL", f"postgres://postgres@127.0.0.1:5432/{PG_DB}")
# Demo enterprises 5 (founded 2025, capital 500,000) and 6 (licence revoked) fail typical rules.
CANDIDATE_ENTERPRISES = (0, 1, 2, 3, 4, 7)
FLOOR_URL = "/api/v1/bench/floor"

BARE_URL = "/api/floor"

# Targets from issue 10 (2-core machine, PostgreSQL, 2 workers, 8 clients).
TARGET_RATIO = 2.0  # decision median / the project's floor median
TARGET_P99_MS = 200.0
TARGET_RATE = 150.0
TARGET_SERVER_CPU_MS = 10.0  # server CPU per decision
TARGET_BARE_RATIO = 1.2  # the project's floor / the bare Django floor (median)
TARGET_SQLITE_TAIL = 5.0  # SQLite: p99 / median of the decisions


class BenchError(RuntimeError):
    pass


# ---------------------------------------------------------------------------- statistics


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 100))))
    return ordered[rank - 1]


@dataclass
class Phase:
    name: str
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests only
    wall: float = 0.0
    ok: int = 0
    failures: list[str] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)  # CPU ms per request: server, postgres, client, machine
    others: list[tuple[str, float]] = field(default_factory=list)  # other processes busy meanwhile

    def account(self, before: CpuSample, after: CpuSample) -> None:
        n = max(1, self.ok + len(self.failures))
        busy = busy_of(after.machine) - busy_of(before.machine)
        total = sum(after.machine.values()) - sum(before.machine.values())
        server, postgres = after.server - before.server, after.postgres - before.postgres
        client = after.client - before.client
        delta = {k: after.machine[k] - before.machine[k] for k in STAT_FIELDS}
        # Name other processes only when they took a noticeable share (5 %) of the machine meanwhile.
        floor_sec = 0.05 * self.wall * (os.cpu_count() or 1)
        self.others = [(name, sec) for name, sec in other_processes(before, after) if sec >= floor_sec]
        self.cpu = {
            "server": server / n * 1000,
            "postgres": postgres / n * 1000,
            "client": client / n * 1000,
            "irq": (delta["irq"] + delta["softirq"]) / n * 1000,
            "other": max(0.0, busy - server - postgres - client - delta["irq"] - delta["softirq"]) / n * 1000,
            "machine": busy / n * 1000,
            "utilisation": busy / total if total > 0 else 0.0,
            "steal": delta["steal"] / total if total > 0 else 0.0,
        }

    @property
    def median_ms(self) -> float:
        return statistics.median(self.latencies) * 1000 if self.latencies else float("nan")

    @property
    def p99_ms(self) -> float:
        return percentile(self.latencies, 99) * 1000

    @property
    def rate(self) -> float:
        return self.ok / self.wall if self.wall else 0.0


# ---------------------------------------------------------------------------- CPU accounting

TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


STAT_FIELDS = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")


def machine_cpu() -> dict[str, float]:
    """CPU seconds of the whole machine since boot by kind (user, system, idle, steal, …), from /proc/stat."""
    try:
        values = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    except OSError:
        return dict.fromkeys(STAT_FIELDS, 0.0)
    return {name: value / TICK for name, value in zip(STAT_FIELDS, values, strict=False)}


def busy_of(cpu: dict[str, float]) -> float:
    """Time the CPUs ran something (steal, time the hypervisor gave to other guests, excluded)."""
    return sum(v for k, v in cpu.items() if k not in {"idle", "iowait", "steal"})


def _proc_table() -> dict[int, tuple[int, str, float, float]]:
    """pid → (ppid, command name, own CPU seconds, CPU seconds of its reaped children)."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        name = raw[raw.index("(") + 1:raw.rindex(")")]
        rest = raw[raw.rindex(")") + 2:].split()
        own = int(rest[11]) + int(rest[12])
        reaped = int(rest[13]) + int(rest[14])  # e.g. PostgreSQL backends that have exited
        table[int(entry.name)] = (int(rest[1]), name, own / TICK, reaped / TICK)
    return table


def descendants(root: int, table: dict[int, tuple[int, str, float, float]]) -> list[int]:
    """A process and all its living descendants."""
    children: dict[int, list[int]] = {}
    for pid, (ppid, *_) in table.items():
        children.setdefault(ppid, []).append(pid)
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, []))
    return found


def tree_cpu(root: int, table: dict[int, tuple[int, str, float, float]]) -> float:
    """CPU seconds used so far by a process and its descendants (living or reaped)."""
    return sum(table[pid][2] + table[pid][3] for pid in descendants(root, table) if pid in table)


def postgres_cpu(table: dict[int, tuple[int, str, float, float]]) -> float:
    """Every PostgreSQL process; the postmaster's figure includes the backends it has reaped."""
    return sum(own + reaped for _, name, own, reaped in table.values() if name.startswith("postgres"))


def client_cpu() -> float:
    t = os.times()
    return t.user + t.system


@dataclass
class CpuSample:
    machine: dict[str, float]
    server: float
    postgres: float
    client: float
    table: dict[int, tuple[int, str, float, float]]
    ours: set[int]

    @classmethod
    def take(cls, server_pid: int) -> CpuSample:
        table = _proc_table()
        ours = {os.getpid(), *descendants(server_pid, table)}
        ours |= {pid for pid, (_, name, *_) in table.items() if name.startswith("postgres")}
        return cls(machine_cpu(), tree_cpu(server_pid, table), postgres_cpu(table), client_cpu(), table, ours)


def other_processes(before: CpuSample, after: CpuSample) -> list[tuple[str, float]]:
    """Processes that are not the benchmark's and used CPU meanwhile: (name, seconds), largest first.

    Own time only: a parent reaping a long-finished child would otherwise be charged its whole life.
    """
    used: dict[str, float] = collections.defaultdict(float)
    for pid, (_, name, cpu, _) in after.table.items():
        if pid in after.ours or pid in before.ours:
            continue
        used[name] += cpu - (before.table[pid][2] if pid in before.table else 0.0)
    return sorted(((name, sec) for name, sec in used.items() if sec >= 0.5), key=lambda x: -x[1])[:3]


def background_busy(seconds: float = 2.0) -> float:
    """Fraction of the machine's CPU in use (by anything) over a short sample."""
    a = machine_cpu()
    time.sleep(seconds)
    b = machine_cpu()
    total = sum(b.values()) - sum(a.values())
    return (busy_of(b) - busy_of(a)) / total if total > 0 else 0.0


def wait_quiet(limit: float, threshold: float = 0.15) -> float:
    """Wait up to `limit` seconds for the machine to be idle; return the last busy fraction."""
    deadline = time.monotonic() + limit
    busy = background_busy()
    while busy > threshold and time.monotonic() < deadline:
        print(f"   machine busy {busy:.0%} (other work); waiting for it to settle…", flush=True)
        time.sleep(10)
        busy = background_busy()
    return busy


# ---------------------------------------------------------------------------- server


_HANDED_OUT: set[int] = set()


def free_port() -> int:
    """A free local port: from `BENCH_PORTS` ("8841-8849") when set (a shared machine's allotment), else any."""
    allowed = os.environ.get("BENCH_PORTS", "")
    if allowed:
        low, _sep, high = allowed.partition("-")
        for port in range(int(low), int(high or low) + 1):
            if port in _HANDED_OUT:
                continue  # given to a server that may not have bound it yet
            with socket.socket() as sock, contextlib.suppress(OSError):
                sock.bind(("127.0.0.1", port))
                _HANDED_OUT.add(port)
                return port
        raise BenchError(f"no free port in BENCH_PORTS={allowed}")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(db: str, data_dir: Path, huey: str, connections: str = "product", handler: str = "sync"
               ) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "QINQING_TESTING"}}
    env.update({
        "QINQING_DATA_DIR": str(data_dir),
        "DJANGO_SETTINGS_MODULE": "qinqing.settings",
        "PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]),
        "QINQING_LOG_LEVEL": "WARNING",
    })
    if db == "postgres":
        env["DATABASE_URL"] = PG_URL
    if db == "sqlite-unqueued":  # the baseline: Django's own SQLite backend, writers polling the busy handler
        env["QINQING_SQLITE_WRITER_QUEUE"] = "0"
    env["BENCH_DB_CONNECTIONS"] = connections
    env["QINQING_HTTP_HANDLER"] = handler  # sync: the product (HTTP through Django's sync handler); asgi: before
    if huey == "immediate":
        env["QINQING_HUEY_IMMEDIATE"] = "1"
    else:
        env.pop("QINQING_HUEY_IMMEDIATE", None)
    return env


def fresh_postgres() -> str:
    import psycopg

    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{PG_DB}"')
        row = conn.execute("SELECT current_setting('server_version'), current_setting('synchronous_commit'), "
                           "current_setting('fsync'), current_setting('shared_buffers')").fetchone()
    assert row is not None
    return f"PostgreSQL {row[0]} (synchronous_commit={row[1]}, fsync={row[2]}, shared_buffers={row[3]})"


def drop_postgres() -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')


def sqlite_version(*, queued: bool = True) -> str:
    import sqlite3

    queue = "writers queued in-process" if queued else "no writer queue: busy-handler polling"
    return f"SQLite {sqlite3.sqlite_version} (WAL, synchronous=NORMAL, IMMEDIATE transactions, {queue})"


def run_setup(env: dict[str, str], log: Path) -> None:
    """migrate + loaddemo + the floor table, as `qinqing serve` would on an empty database."""
    steps = [
        [*QINQING, "migrate", "--verbosity", "0", "--no-input"],
        [*QINQING, "loaddemo"],
        [sys.executable, "-c", "from bench.floor_asgi import create_table; create_table()"],
    ]
    with log.open("a") as out:
        for cmd in steps:
            started = time.perf_counter()
            result = subprocess.run(cmd, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, timeout=600)
            if result.returncode != 0:
                raise BenchError(f"setup step failed ({result.returncode}): {' '.join(cmd)}; see {log}")
            out.write(f"# {' '.join(cmd[-2:])}: {time.perf_counter() - started:.1f}s\n")
            out.flush()


def start_server(env: dict[str, str], port: int, workers: int, log: Path, interface: str = "asgi"
                 ) -> subprocess.Popen[bytes]:
    """uvicorn with the options `qinqing serve` passes to uvicorn.run."""
    app = "bench.floor_asgi:application" if interface == "asgi" else "bench.floor_asgi:wsgi_application"
    cmd = [
        str(VENV_BIN / "uvicorn"), app, "--host", "127.0.0.1", "--port", str(port),
        "--workers", str(workers), "--log-level", "warning", "--no-access-log", "--lifespan", "off",
    ]
    if interface == "wsgi":
        cmd += ["--interface", "wsgi"]
    out = log.open("ab")
    return subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def start_bare_floor(env: dict[str, str], port: int, workers: int, log: Path) -> subprocess.Popen[bytes]:
    """The bare Django floor (bench/bare_floor): gunicorn, synchronous workers, the same database."""
    bare_env = {**env, "DJANGO_SETTINGS_MODULE": "bench.bare_floor.settings"}
    cmd = [str(VENV_BIN / "gunicorn"), "bench.bare_floor.wsgi:application", "--bind", f"127.0.0.1:{port}",
           "--workers", str(workers), "--worker-class", "sync", "--log-level", "warning"]
    out = log.open("ab")
    return subprocess.Popen(cmd, env=bare_env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def setup_bare_floor(env: dict[str, str], tokens: list[str]) -> None:
    bare_env = {**env, "DJANGO_SETTINGS_MODULE": "bench.bare_floor.settings"}
    code = ("import sys, django; django.setup(); from bench.bare_floor.urls import create_tables; "
            "create_tables(sys.stdin.read().split())")
    subprocess.run([sys.executable, "-c", code], input="\n".join(tokens).encode(), env=bare_env, cwd=ROOT,
                   check=True, timeout=120)


STATEMENTS = r"""
import json, os, sys, uuid
import bench.floor_asgi  # django.setup() and the floor route
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
token, matter, data = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
client = Client(headers={"Authorization": f"Bearer {token}"})
def case():
    r = client.post("/api/v1/cases", {"matter": matter, "data": data}, content_type="application/json",
                    headers={"Idempotency-Key": uuid.uuid4().hex})
    assert r.status_code == 201, r.content[:300]
def floor():
    assert client.post("/api/v1/bench/floor", {}, content_type="application/json").status_code == 201
out = {}
for name, fn in (("cases", case), ("floor", floor)):
    fn()
    with CaptureQueriesContext(connection) as q:
        fn()
    out[name] = len(q.captured_queries)
    out[name + "_sql"] = [x["sql"][:110] for x in q.captured_queries]
print(json.dumps(out))
"""


def statements_per_request(env: dict[str, str], scenario: Scenario) -> dict[str, Any]:
    """SQL statements of one decision and one floor request, counted in a process of their own (Django's test client)."""
    result = subprocess.run([sys.executable, "-c", STATEMENTS, scenario.tokens[0], scenario.matter,
                             json.dumps(scenario.data)], env=env, cwd=ROOT, capture_output=True, text=True,
                            timeout=300)
    if result.returncode != 0:
        return {"error": result.stderr.strip().splitlines()[-1:] or ["?"]}
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def start_huey_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    out = log.open("ab")
    return subprocess.Popen([*QINQING, "run_huey", "--workers", "2"], env=env, cwd=ROOT,
                            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def stop(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)  # the group of the process we started (uvicorn + its workers)
        proc.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)


async def wait_ready(base: str, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=base, timeout=5) as client:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise BenchError(f"server exited with {proc.returncode} before it was ready")
            try:
                if (await client.get("/api/v1/stats")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.25)
    raise BenchError("server not ready after 120 s")


# ---------------------------------------------------------------------------- scenario


def server_errors(log: Path, offset: int = 0) -> list[tuple[str, int]]:
    """The exceptions behind the server's 500s (tracebacks printed by bench.floor_asgi), most frequent first."""
    pattern = re.compile(r"^([\w.]+(?:Error|Exception|Exceeded|Timeout)): (.*)$")
    counts: collections.Counter[str] = collections.Counter()
    try:
        with log.open("rb") as handle:
            handle.seek(offset)
            text = handle.read().decode(errors="replace")
        for line in text.splitlines():
            m = pattern.match(line)
            if m:
                counts[f"{m.group(1)}: {m.group(2)[:140]}"] += 1
    except OSError:
        return []
    return counts.most_common(3)


def demo_usccs() -> dict[int, str]:
    """Demo enterprises' codes, computed by the product's own function (no database needed)."""
    code = ("import json, random; from qinqing.core.ids import generate_uscc; "
            "print(json.dumps({i: generate_uscc(division='330108', rng=random.Random(20201125 + i)) "
            "for i in range(8)}))")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    return {int(k): v for k, v in json.loads(out.stdout).items()}


def sample_value(f: dict[str, Any]) -> Any:
    """A sensible value for a form field the registry does not prefill."""
    kind = f["type"]
    if kind == "boolean":
        return True
    if kind == "choice":
        return f["choices"][0]["value"] if f["choices"] else ""
    if kind == "date":
        return dt.date.today().isoformat()
    if kind == "integer":
        return 10
    if kind == "decimal":
        return "10.00"  # inside the usual ranges (e.g. GJJ-001's contribution rate of 5 to 12 %)
    return "性能测试" if kind == "text" else "性能测试：自动审批基准。"


def form_for(detail: dict[str, Any]) -> dict[str, Any]:
    return {f["key"]: sample_value(f) for f in detail["form"] if not f.get("prefill")}


@dataclass
class Scenario:
    matter: str
    data: dict[str, Any]
    tokens: list[str]
    enterprises: list[int]


async def prepare(base: str, usccs: dict[int, str], preferred: str) -> Scenario:
    """Log in demo enterprises and find an automatic matter without required materials they all pass."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        tokens: dict[int, str] = {}
        for i in CANDIDATE_ENTERPRISES:
            r = await client.post("/api/v1/auth/token", json={"username": usccs[i], "password": PASSWORD})
            if r.status_code != 200:
                raise BenchError(f"login of demo enterprise {i} failed: {r.status_code} {r.text[:200]}")
            tokens[i] = r.json()["token"]
        matters = await get_json(client, "/api/v1/matters")
        automatic = sorted((m for m in matters if m["automatic"]), key=lambda m: m["code"] != preferred)
        if not automatic:
            raise BenchError("the catalog has no automatic matter")
        tried = []
        for summary in automatic:
            detail = await get_json(client, f"/api/v1/matters/{summary['code']}")
            if any(m["required"] for m in detail["materials"]):
                continue
            data = form_for(detail)
            passing = []
            for i, token in tokens.items():
                r = await client.post("/api/v1/cases", json={"matter": summary["code"], "data": data},
                                      headers={"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex})
                if case_check(r) is None:
                    passing.append(i)
                elif r.status_code >= 500:
                    raise BenchError(f"trial submission of {summary['code']} failed: {case_check(r)}")
            tried.append(f"{summary['code']}: {len(passing)}/{len(tokens)} approved")
            if len(passing) >= 3:
                return Scenario(summary["code"], data, [tokens[i] for i in passing], passing)
        raise BenchError("no automatic matter is approved for three demo enterprises: " + "; ".join(tried))


async def get_json(client: httpx.AsyncClient, url: str) -> Any:
    r = await client.get(url)
    if r.status_code != 200:
        raise BenchError(f"GET {url}: {r.status_code} {' '.join(r.text.split())[:300]}")
    return r.json()


def case_check(r: httpx.Response) -> str | None:
    if r.status_code != 201:
        return f"{r.status_code} {' '.join(r.text.split())[:300]}"
    body = r.json()
    if body["decision"]["outcome"] != "approved" or body["status"] != "approved" or not body.get("licence"):
        return f"not approved: {body['status']} {body['decision']['reasons']}"
    return None


def floor_check(r: httpx.Response) -> str | None:
    return None if r.status_code == 201 else f"{r.status_code} {' '.join(r.text.split())[:300]}"


async def run_phase(client: Any, name: str, n: int, concurrency: int, scenario: Scenario) -> Phase:
    phase = Phase(name)
    counter = iter(range(n))
    is_case = name == "cases"
    body = json.dumps({"matter": scenario.matter, "data": scenario.data}).encode() if is_case else b"{}"
    url = "/api/v1/cases" if is_case else BARE_URL if name == "bare" else FLOOR_URL
    check = case_check if is_case else floor_check

    async def worker(slot: int) -> None:
        for i in counter:
            headers = {"Authorization": f"Bearer {scenario.tokens[(i + slot) % len(scenario.tokens)]}",
                       "Content-Type": "application/json"}
            if is_case:
                headers["Idempotency-Key"] = uuid.uuid4().hex
            started = time.perf_counter()
            try:
                r = await client.post(url, content=body, headers=headers)
                problem = check(r)
            except (httpx.HTTPError, LeanError) as exc:
                problem = f"{type(exc).__name__}: {exc}"
            elapsed = time.perf_counter() - started
            if problem is None:
                phase.ok += 1
                phase.latencies.append(elapsed)
            else:
                phase.failures.append(problem)

    started = time.perf_counter()
    await asyncio.gather(*(worker(s) for s in range(concurrency)))
    phase.wall = time.perf_counter() - started
    return phase


@dataclass
class Result:
    db: str
    db_version: str
    workers: int
    concurrency: int
    n: int
    huey: str
    matter: str
    enterprises: list[int]
    floor: Phase
    cases: Phase
    stats: dict[str, Any]
    expected_cases: int
    connections: str
    busy_before: float
    interface: str
    handler: str = "sync"
    bare: Phase | None = None
    statements: dict[str, Any] = field(default_factory=dict)
    load: str = ""
    server_errors: list[tuple[str, int]] = field(default_factory=list)
    client: str = "httpx"

    @property
    def bare_ratio(self) -> float:
        return self.floor.median_ms / self.bare.median_ms if self.bare and self.bare.latencies else float("nan")

    @property
    def ratio(self) -> float:
        return self.cases.median_ms / self.floor.median_ms

    @property
    def valid(self) -> bool:
        return (not self.floor.failures and not self.cases.failures and self.stats.get("cases") == self.expected_cases
                and not (self.bare and self.bare.failures))


def timing_client(kind: str, base: str, concurrency: int) -> Any:
    """The timed phases' client: httpx (as the issue measured) or the lean one (a tenth of its CPU)."""
    if kind == "lean":
        return LeanClient(base, connections=concurrency, timeout=60)
    return httpx.AsyncClient(base_url=base, timeout=60, limits=httpx.Limits(
        max_connections=concurrency, max_keepalive_connections=concurrency))


async def drive(base: str, args: argparse.Namespace, usccs: dict[int, str], server_pid: int, concurrency: int,
                bare: tuple[str, int, dict[str, str]] | None = None
                ) -> tuple[Scenario, Phase, Phase, dict[str, Any], int, Phase | None]:
    scenario = await prepare(base, usccs, args.matter)
    n = args.n
    bare_phase = None
    if bare is not None:  # the bare Django floor first, on its own server, with the same client and tokens
        bare_base, bare_pid, env = bare
        setup_bare_floor(env, scenario.tokens)
        async with timing_client(args.client, bare_base, concurrency) as client:
            warm = await run_phase(client, "bare", args.warmup, concurrency, scenario)
            if warm.failures:
                print(f"   warm-up bare: {len(warm.failures)} failures; first: {warm.failures[0]}", flush=True)
            start = CpuSample.take(bare_pid)
            bare_phase = await run_phase(client, "bare", n, concurrency, scenario)
            bare_phase.account(start, CpuSample.take(bare_pid))
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=httpx.Limits(
            max_connections=concurrency, max_keepalive_connections=concurrency)) as client, \
            timing_client(args.client, base, concurrency) as timed:
        before = (await settled_stats(client))["cases"]
        warm_failures = 0
        for name in ("floor", "cases"):  # warm every worker process: connections, caches, signing key
            w = await run_phase(timed, name, args.warmup, concurrency, scenario)
            warm_failures += len(w.failures) if name == "cases" else 0
            if w.failures:
                print(f"   warm-up {name}: {len(w.failures)} failures; first: {w.failures[0]}", flush=True)
        phases = []
        for name in ("floor", "cases"):
            start = CpuSample.take(server_pid)
            phase = await run_phase(timed, name, n, concurrency, scenario)
            phase.account(start, CpuSample.take(server_pid))
            phases.append(phase)
        expected = before + args.warmup - warm_failures + phases[1].ok
        for phase in ([bare_phase] if bare_phase else []) + phases:  # at once, whatever happens next
            print(f"   {phase.name}: {phase.ok} ok, {len(phase.failures)} failed, median {phase.median_ms:.1f} ms, "
                  f"p99 {phase.p99_ms:.1f} ms, {phase.rate:.0f}/s, server CPU {phase.cpu.get('server', 0):.2f} ms",
                  flush=True)
        try:
            stats = await settled_stats(client, expected)
        except (BenchError, subprocess.SubprocessError) as exc:
            stats = {"error": str(exc)}
    return scenario, phases[0], phases[1], stats, expected, bare_phase


# The server's environment, for running the outbox consumers when no task worker runs (`--huey enqueue`).
CONSUMER_ENV: dict[str, str] | None = None


async def settled_stats(client: httpx.AsyncClient, expected: int | None = None, timeout: float = 120
                        ) -> dict[str, Any]:
    """The headline counters once the outbox consumer has caught up (they are counted from events, after commit).

    Without a task worker nobody consumes the outbox: run the consumers once (`qinqing consumeevents`),
    then poll until `cases` reaches `expected`, or (without one) stops moving for two seconds.
    """
    if CONSUMER_ENV is not None:
        # Nobody consumes the outbox (`--huey enqueue`): count the stored cases in the database itself
        # (running every consumer over thousands of events took over ten minutes on a loaded machine).
        code = ("import django; django.setup(); from qinqing.cases.models import Case; "
                "print(Case.objects.count())")
        out = subprocess.run([sys.executable, "-c", code], env=CONSUMER_ENV, cwd=ROOT, check=True,
                             capture_output=True, text=True, timeout=600)
        return {"cases": int(out.stdout.strip().splitlines()[-1])}
    deadline = time.monotonic() + timeout
    last: dict[str, Any] | None = None
    while True:
        stats = await get_json(client, "/api/v1/stats")
        if expected is not None and stats.get("cases") == expected:
            return stats
        if expected is None and last is not None and stats.get("cases") == last.get("cases"):
            return stats
        if time.monotonic() > deadline:
            return stats
        last = stats
        await asyncio.sleep(2 if expected is None else 0.5)


def bench_db(db: str, args: argparse.Namespace, usccs: dict[int, str]) -> list[Result]:
    """One fresh database; one server per worker count; one timed run per concurrency."""
    data_dir = Path(tempfile.mkdtemp(prefix=f"qinqing-bench-{db}-"))
    print(f"\n== {db}: data directory {data_dir}", flush=True)
    db_version = fresh_postgres() if db == "postgres" else sqlite_version(queued=db == "sqlite")
    env = server_env(db, data_dir, args.huey, args.db_connections)
    global CONSUMER_ENV
    CONSUMER_ENV = env if args.huey == "enqueue" else None
    results = []
    server = worker = bare_server = None
    try:
        started = time.perf_counter()
        run_setup(env, data_dir / "setup.log")
        print(f"   migrate + loaddemo: {time.perf_counter() - started:.1f} s", flush=True)
        if args.huey == "worker":
            worker = start_huey_worker(env, data_dir / "huey.log")
        bare = None
        if db == "postgres" and args.bare_workers:
            bare_port = free_port()
            bare_server = start_bare_floor(env, bare_port, args.bare_workers, data_dir / "bare.log")
            bare = (f"http://127.0.0.1:{bare_port}", bare_server.pid, env)
        for workers, handler in [(w, h) for w in args.workers for h in args.http_handler]:
            env = server_env(db, data_dir, args.huey, args.db_connections, handler)
            log = data_dir / f"server-w{workers}-{handler}.log"
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            server = start_server(env, port, workers, log, args.interface)
            asyncio.run(wait_ready(base, server))
            for concurrency in args.concurrency:
                busy = wait_quiet(args.wait_quiet)
                offset = log.stat().st_size
                print(f"   workers={workers} concurrency={concurrency} n={args.n}: machine busy before "
                      f"{busy:.0%}; timing…", flush=True)
                scenario, floor, cases, stats, expected, bare_phase = asyncio.run(
                    drive(base, args, usccs, server.pid, concurrency, bare))
                result = Result(db, db_version, workers, concurrency, args.n, args.huey, scenario.matter,
                                scenario.enterprises, floor, cases, stats, expected, args.db_connections, busy,
                                args.interface, handler, bare_phase, statements_per_request(env, scenario),
                                "load average " + " ".join(Path("/proc/loadavg").read_text().split()[:3]),
                                server_errors(log, offset), args.client)
                report(result)
                results.append(result)
            stop(server)
            server = None
    finally:
        stop(server)
        stop(worker)
        stop(bare_server)
        if args.keep:
            print(f"   kept {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
            if db == "postgres":
                drop_postgres()
    return results


# ---------------------------------------------------------------------------- report


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def report(r: Result) -> None:
    f, c, b = r.floor, r.cases, r.bare
    print(f"\n### {r.db}: {r.db_version}")
    what_if = "" if r.connections == "product" else f" db-connections={r.connections}"
    what_if += "" if r.interface == "asgi" else f" interface={r.interface}"
    what_if += "" if r.handler == "sync" else (
        " http-handler=a2wsgi (every request through a2wsgi, as until 2026-12-07)" if r.handler == "a2wsgi"
        else " http-handler=asgi (Django's ASGI handler, as before issue 10)")
    what_if += " (WHAT-IF, not the product as shipped)" if what_if else ""
    print(f"workers={r.workers} concurrency={r.concurrency} n={r.n} huey={r.huey} matter={r.matter} "
          f"client={r.client} enterprises={r.enterprises}{what_if}; machine busy before the run {r.busy_before:.0%}; {r.load}")
    bare_head = " bare Django floor (gunicorn sync) |" if b else ""
    print(f"| measure |{bare_head} project floor (auth + 1 INSERT) | case submission (秒办) | target | result |")
    print("|---|" + ("---:|" if b else "") + "---:|---:|---|---|")

    def row(label: str, bare: str, floor: str, case: str, target: str = "", result: str = "") -> None:
        print(f"| {label} |" + (f" {bare} |" if b else "") + f" {floor} | {case} | {target} | {result} |")

    row("median latency (ms)", f"{b.median_ms:.1f}" if b else "", f"{f.median_ms:.1f}", f"{c.median_ms:.1f}",
        f"≤ {TARGET_RATIO:g}× floor (ratio {r.ratio:.2f})", verdict(r.ratio <= TARGET_RATIO))
    if b:
        row("project floor / bare floor (median)", "", f"{r.bare_ratio:.2f}", "", f"≤ {TARGET_BARE_RATIO:g}",
            verdict(r.bare_ratio <= TARGET_BARE_RATIO))
    row("p99 latency (ms)", f"{b.p99_ms:.1f}" if b else "", f"{f.p99_ms:.1f}", f"{c.p99_ms:.1f}",
        f"≤ {TARGET_P99_MS:g} ms", verdict(c.p99_ms <= TARGET_P99_MS))
    if r.db != "postgres":
        tail = c.p99_ms / c.median_ms
        row("p99 / median of the decisions", "", "", f"{tail:.2f}", f"≤ {TARGET_SQLITE_TAIL:g} (SQLite)",
            verdict(tail <= TARGET_SQLITE_TAIL))
    row("requests / s", f"{b.rate:.0f}" if b else "", f"{f.rate:.0f}", f"{c.rate:.0f} decisions/s",
        f"≥ {TARGET_RATE:g} decisions/s", verdict(c.rate >= TARGET_RATE))
    row("wall clock (s)", f"{b.wall:.2f}" if b else "", f"{f.wall:.2f}", f"{c.wall:.2f}")
    for key, label in (("server", "server CPU / request (ms)"), ("postgres", "postgres CPU / request (ms)"),
                       ("client", "client CPU / request (ms)"), ("irq", "kernel irq/softirq / request (ms)"),
                       ("other", "other processes' CPU / request (ms)"), ("machine", "machine CPU / request (ms)")):
        if key == "postgres" and r.db != "postgres":
            continue
        target, result = "", ""
        if key == "server":
            target = f"≤ {TARGET_SERVER_CPU_MS:g} ms / decision"
            result = verdict(c.cpu.get("server", 99) <= TARGET_SERVER_CPU_MS)
        row(label, f"{b.cpu.get(key, 0):.2f}" if b else "", f"{f.cpu.get(key, 0):.2f}", f"{c.cpu.get(key, 0):.2f}",
            target, result)
    row("machine CPU utilisation (steal)",
        f"{b.cpu.get('utilisation', 0):.0%} ({b.cpu.get('steal', 0):.0%})" if b else "",
        f"{f.cpu.get('utilisation', 0):.0%} ({f.cpu.get('steal', 0):.0%})",
        f"{c.cpu.get('utilisation', 0):.0%} ({c.cpu.get('steal', 0):.0%})")
    st = r.statements
    row("SQL statements / request", "2" if b else "", str(st.get("floor", "?")), str(st.get("cases", "?")))
    row("failures", str(len(b.failures)) if b else "", str(len(f.failures)), str(len(c.failures)), "0",
        verdict(r.valid))
    if r.db != "postgres":
        print("(the throughput and latency targets are stated for PostgreSQL; SQLite is shown against them)")
    if "error" in st:
        print(f"statement count failed: {st['error']}")
    elif st.get("cases_sql"):
        print("SQL of one decision: " + " · ".join(q.split(" (")[0].split(" WHERE")[0][:60] for q in st["cases_sql"]))
    if "error" in r.stats:
        print(f"INVALID: the final count of cases failed: {r.stats['error'][:200]}")
    elif r.stats.get("cases") != r.expected_cases:
        print(f"INVALID: the server counts {r.stats.get('cases')} cases, expected {r.expected_cases}")
    phases = [("bare", b)] if b else []
    phases += [("floor", f), ("cases", c)]
    for name, phase in phases:
        if phase.others:
            print(f"NOISE: other processes ran during the {name} phase: "
                  + ", ".join(f"{p} {sec:.1f} s CPU" for p, sec in phase.others))
    for text, count in r.server_errors:
        print(f"server log: {count} × {text}")
    for name, phase in phases:
        if phase.failures:
            kinds = collections.Counter(f[:120] for f in phase.failures)
            print(f"INVALID: {len(phase.failures)} {name} requests failed:")
            for text, count in kinds.most_common(3):
                print(f"   {count} × {text}")


def environment() -> str:
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        cpu = platform.processor() or "?"
    import django
    import uvicorn

    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                                check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", "qinqing"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
        commit += " (+ uncommitted changes in qinqing/)" if dirty else ""
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    return (f"commit {commit}; {os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, Django {django.get_version()}, uvicorn {uvicorn.__version__}, "
            f"httpx {httpx.__version__}; {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")


def int_list(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def summary(results: list[Result]) -> None:
    if not results:
        return
    print("\n### summary")
    print("| db | server | workers | concurrency | bare floor median (ms), req/s | floor median / p99 (ms) | "
          "floor req/s | floor / bare | cases median / p99 (ms) | decisions/s | ratio | server CPU ms/case | "
          "SQL / case | valid |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in results:
        mode = "as shipped" if (r.connections, r.interface, r.handler) == ("product", "asgi", "sync") else \
            f"what-if: {r.interface}, connections {r.connections}, http handler {r.handler}"
        bare = f"{r.bare.median_ms:.1f}, {r.bare.rate:.0f}" if r.bare else "–"
        print(f"| {r.db} | {mode} | {r.workers} | {r.concurrency} | {bare} | {r.floor.median_ms:.1f} / "
              f"{r.floor.p99_ms:.0f} | {r.floor.rate:.0f} | {r.bare_ratio:.2f} | {r.cases.median_ms:.1f} / "
              f"{r.cases.p99_ms:.0f} | {r.cases.rate:.0f} | {r.ratio:.2f} | {r.cases.cpu.get('server', 0):.1f} | "
              f"{r.statements.get('cases', '?')} | {'yes' if r.valid else 'NO'} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="timed requests per phase (default 2000)")
    parser.add_argument("--concurrency", type=int_list, default=[8],
                        help="concurrent clients (default 8); a comma list runs each in turn")
    parser.add_argument("--db", choices=("postgres", "sqlite", "sqlite-unqueued", "sqlite-both", "both"), default="both",
                        help="sqlite-unqueued: Django's SQLite backend without the in-process writer queue; "
                             "sqlite-both: both SQLite variants in one run")
    parser.add_argument("--workers", type=int_list, default=[2],
                        help="uvicorn worker processes (default 2); a comma list starts a server for each")
    parser.add_argument("--warmup", type=int, default=100, help="untimed requests per phase first (default 100)")
    parser.add_argument("--huey", choices=("enqueue", "immediate", "worker"), default="enqueue",
                        help="enqueue: SMS copies are queued to Huey (SQLite) with no consumer, as "
                             "`serve --no-worker` (default); immediate: delivered inside the request; "
                             "worker: a Huey consumer runs beside the server")
    parser.add_argument("--matter", default="GJJ-001",
                        help="automatic matter to submit (default GJJ-001, the README's 秒办 example); when it "
                             "is not approved, the first automatic matter that is")
    parser.add_argument("--db-connections", choices=("product", "persistent", "close"), default="product",
                        help="product: settings as shipped (default); persistent / close: WHAT-IF runs with "
                             "CONN_MAX_AGE=60 / 0 and no pool, see bench/floor_asgi.py")
    parser.add_argument("--interface", choices=("asgi", "wsgi"), default="asgi",
                        help="asgi: the product's server (default); wsgi: WHAT-IF, the same project through "
                             "Django's WSGI handler under `uvicorn --interface wsgi`")
    parser.add_argument("--http-handler", type=lambda t: [x for x in t.split(",") if x], default=["sync"],
                        help="sync: plain HTTP through Django's synchronous handler, the product since issue 10 "
                             "(default); asgi: through Django's ASGI handler as before; sync,asgi: both in one run")
    parser.add_argument("--bare-workers", type=int, default=2,
                        help="gunicorn sync workers of the bare Django floor (PostgreSQL only; 0: skip it)")
    parser.add_argument("--wait-quiet", type=float, default=0, metavar="SECONDS",
                        help="wait up to this long for other work on the machine to stop before timing")
    parser.add_argument("--client", choices=("httpx", "lean"), default="httpx",
                        help="the timed phases' load generator (same for all three phases): httpx (default, as the "
                             "issue measured) or bench/lean_client.py, about a tenth of httpx's CPU per request, so "
                             "less of the two shared cores goes to the client")
    parser.add_argument("--keep", action="store_true", help="keep the data directory and database")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    args = parser.parse_args(argv)

    print("environment:", environment())
    dbs = {"both": ["postgres", "sqlite"], "sqlite-both": ["sqlite-unqueued", "sqlite"]}.get(args.db, [args.db])
    usccs = demo_usccs()
    results: list[Result] = []
    errors = 0
    for db in dbs:
        try:
            done = bench_db(db, args, usccs)
        except BenchError as exc:
            print(f"ERROR ({db}): {exc}", file=sys.stderr)
            errors += 1
            continue
        results.extend(done)
        errors += sum(not r.valid for r in done)
    summary(results)
    if args.json:
        args.json.write_text(json.dumps([{
            "db": r.db, "db_version": r.db_version, "workers": r.workers, "concurrency": r.concurrency, "n": r.n,
            "huey": r.huey, "matter": r.matter,
            "floor": {"median_ms": r.floor.median_ms, "p99_ms": r.floor.p99_ms, "rps": r.floor.rate,
                      "failures": len(r.floor.failures)},
            "cases": {"median_ms": r.cases.median_ms, "p99_ms": r.cases.p99_ms, "rps": r.cases.rate,
                      "failures": len(r.cases.failures)},
            "ratio": r.ratio, "valid": r.valid, "handler": r.handler, "statements": r.statements.get("cases"),
            "bare": {"median_ms": r.bare.median_ms, "p99_ms": r.bare.p99_ms, "rps": r.bare.rate,
                     "cpu_ms": r.bare.cpu} if r.bare else None, "load": r.load, "db_connections": r.connections, "interface": r.interface, "busy_before": r.busy_before,
            "cpu_ms": {"floor": r.floor.cpu, "cases": r.cases.cpu},
        } for r in results], indent=2))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
