"""Benchmark of 一件事 bundle submissions over HTTP, beside single 秒办 case submissions in the same run.

    .venv/bin/python bench/bench_bundles.py [--db postgres|sqlite|both] [--n-single 300] [--n-bundle 150]
                                            [--concurrency 8] [--workers 2] [--rounds 2] [--no-profile]

Issue 3's target: "submitting a 7-matter bundle (parent + 7 children, prefill, automatic steps):
median and p99 latency and bundles/s on PostgreSQL, beside the single-case figure in the same run.
Target: a bundle costs ≤ 4× a single automatic case."

For each database the machinery of bench/bench_cases.py is reused unchanged: a fresh data directory
(and, for PostgreSQL, a fresh database, here `qinqing_bench_bundles` so that it never collides with a
bench_cases run), `qinqing migrate` + `qinqing loaddemo`, the real application under uvicorn on
`bench.floor_asgi` (the product plus the bench-only floor endpoint), asyncio + httpx clients, and
CPU accounting from /proc. Then, in the same server:

* floor: the authenticated one-INSERT POST of bench_cases (for reference only);
* single: `POST /api/v1/cases` of an automatic matter approved for the demo enterprises
  (bench_cases.prepare: GJJ-001 unless it is not approved);
* one phase per bundle, `POST /api/v1/bundles/{code}/submissions` with the merged form data built
  from `GET /api/v1/bundles/{code}` and `GET .../prefill` (every merged field government data does
  not fill gets a plausible value, as qinqing/cases/tests/support.py::field_value does).
  Default bundles:
  - business-start (7 steps: 开办 establishment, then 6 steps waiting for it). In the request: parent
    + 7 children, the establishment step is submitted to its reviewer, the other 6 wait. Its
    automatic steps run when the reviewer approves the establishment, so a further phase times that
    approval (`POST /api/v1/cases/{id}/decision` as scjg_reviewer for every parent just submitted): it
    starts the 6 waiting steps and decides the automatic ones in the reviewer's request;
  - industrial-project (7 steps). The filing (FGW-001, automatic) needs the uploaded land-transfer
    contract; the JSON API takes no uploads, so the filing is *referred* for the missing material
    (under_review) and the 6 later steps wait. This is measured over HTTP as it is; the in-process
    profile below also measures the same bundle *with* the upload through the service, where the
    filing is approved, licensed, and two agent steps are handed over in the same transaction;
  - social-insurance-housing-fund (4 steps, all automatic, none waiting): every child is decided
    and licensed at once and the parent completes in the request.

Every response must be 201 with a parent of the bundle, the expected number of children and the
expected status of the parent and of every step (EXPECTED below; each demo enterprise makes a trial
submission first and only those that give the expected result are used); every approval must leave
the steps as the enterprise's trial approval did; the final case count of `/api/v1/stats` must
match. Otherwise the run is INVALID. On PostgreSQL a thread samples pg_stat_activity every 50 ms:
backends waiting on an advisory lock (the audit chain's) and backends inside a transaction.

Each kind is timed in `--rounds` interleaved rounds (single, bundles, single, bundles, …) whose
latencies are pooled, so that drift on a noisy machine hits every kind alike. Reported per kind:
median, p99, per-second rate, CPU per request; per bundle: the ratio of its median to the single
case's median (the target: ≤ 4), the same ratio of machine CPU per request, and the per-child cost
(ratio / number of children).

With profiling on (the default) a second process then works in-process against the same database
(Django's test client and the services directly, no HTTP server): SQL statements per submission by
kind and table, and a cProfile of `submit_bundle` split into its parts (definitions, validation,
case rows, audit, automatic decisions, licences, notifications, the response).

Exit status: 0 when the runs are valid (target met or not); 1 when a run failed or a response was wrong.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import dataclasses
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# A database of our own: bench_cases.py (which may run at the same time) uses qinqing_bench.
os.environ.setdefault("BENCH_PG_DB", "qinqing_bench_bundles")

import httpx  # noqa: E402

from bench import bench_cases as bc  # noqa: E402
from bench.bench_cases import BenchError, CpuSample, Phase  # noqa: E402

TARGET_BUNDLE_RATIO = 4.0
DEFAULT_BUNDLES = ("business-start", "industrial-project", "social-insurance-housing-fund")
ENTERPRISES = tuple(range(8))  # every demo enterprise; kept only where the bundle gives the expected result

# Bundles whose first step goes to a reviewer: its approval starts the waiting steps (and the automatic
# ones are decided) in the reviewer's request. Measured as a phase of its own: step key, reviewer login.
CASCADE: dict[str, tuple[str, str]] = {"business-start": ("establishment", "scjg_reviewer")}

# What one submission must produce, for the bundles whose behaviour is known (the cases):
# (parent status, {step: status} for the steps that start at once, status of every other step).
EXPECTED: dict[str, tuple[str, dict[str, str], str]] = {
    "business-start": ("in_progress", {"establishment": "submitted"}, "waiting"),
    "industrial-project": ("in_progress", {"filing": "under_review"}, "waiting"),
    "social-insurance-housing-fund": ("completed", {}, "approved"),
}


# ---------------------------------------------------------------------------- form data


def field_value(f: dict[str, Any]) -> Any:
    """A plausible value for a merged field the applicant types in (mirrors cases/tests/support.field_value)."""
    kind = f["type"]
    if kind == "boolean":
        return True
    if kind == "choice":
        return str(f["choices"][0]["value"]) if f["choices"] else ""
    if kind == "date":
        return dt.date.today().isoformat()
    if kind in ("integer", "decimal"):
        low = Decimal(str(f["min_value"])) if f.get("min_value") is not None else None
        high = Decimal(str(f["max_value"])) if f.get("max_value") is not None else None
        if low is not None and high is not None:
            value = (low + high) / 2
        elif low is not None:
            value = max(low, Decimal(1)) if low <= 1 else low
        elif high is not None:
            value = min(high, Decimal(1))
        else:
            value = Decimal(1)
        return int(value) if kind == "integer" else str(value.quantize(Decimal("0.01")))
    if kind == "text":
        return "测试内容"[: f.get("max_length") or 200]
    return "用于测试的说明文字"[: f.get("max_length") or 2000]


def merged_fields(detail: dict[str, Any]) -> list[dict[str, Any]]:
    form = detail["form"]
    return [*form["shared"], *(f for step in form["steps"] for f in step["fields"])]


# ---------------------------------------------------------------------------- scenario


@dataclasses.dataclass
class BundlePlan:
    code: str
    children: int
    steps: list[str]
    expected: tuple[str, tuple[tuple[str, str], ...]]
    tokens: list[str]
    bodies: list[bytes]  # one per token: that enterprise's merged data
    enterprises: list[int]
    data: dict[int, dict[str, Any]]  # enterprise → merged data (for the in-process profile)
    rejected: dict[int, str]  # enterprise → why it is not used
    cascade_step: str = ""  # the step a reviewer approves after the submission (CASCADE), if any
    reviewer_token: str = ""
    cascade_expected: dict[int, tuple[tuple[str, str], ...]] = dataclasses.field(default_factory=dict)
    pending: list[tuple[int, int]] = dataclasses.field(default_factory=list)  # (enterprise, case id) to approve


def signature(body: dict[str, Any]) -> tuple[str, tuple[tuple[str, str], ...]]:
    return body["status"], tuple((c.get("step") or "", c["status"]) for c in body.get("children", []))


def bundle_check(plan: BundlePlan, r: httpx.Response) -> str | None:
    if r.status_code != 201:
        return f"{r.status_code} {' '.join(r.text.split())[:300]}"
    body = r.json()
    if body.get("bundle") != plan.code or body.get("matter") is not None:
        return f"not a parent of {plan.code}: bundle={body.get('bundle')} matter={body.get('matter')}"
    if len(body.get("children", [])) != plan.children:
        return f"{len(body.get('children', []))} children, expected {plan.children}"
    got = signature(body)
    if got != plan.expected:
        return f"unexpected statuses {got}, expected {plan.expected}"
    return None


async def prepare_bundle(client: httpx.AsyncClient, code: str, tokens: dict[int, str]) -> BundlePlan:
    """Merged data per enterprise from the schema + prefill; a trial submission decides who is used."""
    detail = await bc.get_json(client, f"/api/v1/bundles/{code}")
    steps = [s["key"] for s in detail["dag"]]
    fields = merged_fields(detail)
    trials: dict[int, tuple[tuple[str, tuple[tuple[str, str], ...]] | None, str, dict[str, Any]]] = {}
    trial_ids: dict[int, int] = {}  # enterprise → the trial's cascade step (CASCADE)
    for i, token in tokens.items():
        auth = {"Authorization": f"Bearer {token}"}
        r = await client.get(f"/api/v1/bundles/{code}/prefill", headers=auth)
        if r.status_code != 200:
            trials[i] = (None, f"prefill {r.status_code}", {})
            continue
        held = r.json()["data"]
        data = {f["key"]: field_value(f) for f in fields if f["key"] not in held}
        r = await client.post(f"/api/v1/bundles/{code}/submissions", json={"data": data},
                              headers={**auth, "Idempotency-Key": uuid.uuid4().hex})
        if r.status_code >= 500:
            raise BenchError(f"trial submission of {code} failed: {r.status_code} {' '.join(r.text.split())[:200]}")
        if r.status_code != 201:
            trials[i] = (None, f"{r.status_code} {' '.join(r.text.split())[:160]}", data)
            continue
        trials[i] = (signature(r.json()), "", data)
        if code in CASCADE:
            trial_ids[i] = next((c["id"] for c in r.json()["children"] if c.get("step") == CASCADE[code][0]), 0)
    if code in EXPECTED:
        parent, started, others = EXPECTED[code]
        expected = (parent, tuple((k, started.get(k, others)) for k in steps))
    else:  # another bundle: the most common outcome of the trials
        outcomes = collections.Counter(sig for sig, _why, _data in trials.values() if sig is not None)
        if not outcomes:
            raise BenchError(f"{code}: no enterprise could submit: {trials}")
        expected = outcomes.most_common(1)[0][0]
    used = [i for i, (sig, _why, _data) in trials.items() if sig == expected]
    rejected = {i: why or f"gives {sig}" for i, (sig, why, _data) in trials.items() if sig != expected}
    if len(used) < 2:
        raise BenchError(f"{code}: fewer than two demo enterprises give {expected}: {rejected}")
    plan = BundlePlan(
        code=code, children=len(steps), steps=steps, expected=expected, tokens=[tokens[i] for i in used],
        bodies=[json.dumps({"data": trials[i][2]}, ensure_ascii=False).encode() for i in used],
        enterprises=used, data={i: trials[i][2] for i in used}, rejected=rejected,
    )
    if code in CASCADE:
        await prepare_cascade(client, plan, trial_ids)
    return plan


async def prepare_cascade(client: httpx.AsyncClient, plan: BundlePlan, trial_ids: dict[int, int]) -> None:
    """Approve each trial's first step as its reviewer: what the waiting steps then become, per enterprise."""
    plan.cascade_step, reviewer = CASCADE[plan.code]
    r = await client.post("/api/v1/auth/token", json={"username": reviewer, "password": bc.PASSWORD})
    if r.status_code != 200:
        raise BenchError(f"login of {reviewer} failed: {r.status_code} {r.text[:200]}")
    plan.reviewer_token = r.json()["token"]
    for i in plan.enterprises:
        r = await client.post(f"/api/v1/cases/{trial_ids[i]}/decision", json={"outcome": "approve"},
                              headers={"Authorization": f"Bearer {plan.reviewer_token}"})
        if r.status_code != 200 or r.json()["status"] != "approved":
            raise BenchError(f"{plan.code}: approving the trial's {plan.cascade_step} failed: {r.status_code} "
                             f"{' '.join(r.text.split())[:200]}")
        plan.cascade_expected[i] = cascade_signature(r.json())


def cascade_signature(body: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple((s.get("step") or "", s["status"]) for s in (body.get("parent") or {}).get("steps", []))


def cascade_check(plan: BundlePlan, enterprise: int, r: httpx.Response) -> str | None:
    if r.status_code != 200:
        return f"{r.status_code} {' '.join(r.text.split())[:300]}"
    body = r.json()
    if body["status"] != "approved":
        return f"{plan.cascade_step} not approved: {body['status']}"
    got = cascade_signature(body)
    if got != plan.cascade_expected[enterprise]:
        return f"steps after approval {got}, expected {plan.cascade_expected[enterprise]}"
    return None


async def run_cascade_phase(client: httpx.AsyncClient, plan: BundlePlan, concurrency: int) -> Phase:
    """The reviewer approves the first step of every bundle submitted since the last cascade phase."""
    phase = Phase(f"{plan.code}: {plan.cascade_step} approved")
    items, plan.pending = plan.pending, []
    queue = iter(items)
    headers = {"Authorization": f"Bearer {plan.reviewer_token}", "Content-Type": "application/json"}
    body = json.dumps({"outcome": "approve"}).encode()

    async def worker() -> None:
        for enterprise, case_id in queue:
            started = time.perf_counter()
            try:
                r = await client.post(f"/api/v1/cases/{case_id}/decision", content=body, headers=headers)
                problem = cascade_check(plan, enterprise, r)
            except httpx.HTTPError as exc:
                problem = f"{type(exc).__name__}: {exc}"
            elapsed = time.perf_counter() - started
            if problem is None:
                phase.ok += 1
                phase.latencies.append(elapsed)
            else:
                phase.failures.append(problem)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    phase.wall = time.perf_counter() - started
    return phase


async def login_all(client: httpx.AsyncClient, usccs: dict[int, str]) -> dict[int, str]:
    tokens = {}
    for i in ENTERPRISES:
        r = await client.post("/api/v1/auth/token", json={"username": usccs[i], "password": bc.PASSWORD})
        if r.status_code != 200:
            raise BenchError(f"login of demo enterprise {i} failed: {r.status_code} {r.text[:200]}")
        tokens[i] = r.json()["token"]
    return tokens


# ---------------------------------------------------------------------------- timing


async def run_bundle_phase(client: httpx.AsyncClient, plan: BundlePlan, n: int, concurrency: int) -> Phase:
    """As bench_cases.run_phase, for one bundle: N submissions, each with its own Idempotency-Key."""
    phase = Phase(plan.code)
    counter = iter(range(n))
    url = f"/api/v1/bundles/{plan.code}/submissions"

    async def worker(slot: int) -> None:
        for i in counter:
            k = (i + slot) % len(plan.tokens)
            headers = {"Authorization": f"Bearer {plan.tokens[k]}", "Content-Type": "application/json",
                       "Idempotency-Key": uuid.uuid4().hex}
            started = time.perf_counter()
            try:
                r = await client.post(url, content=plan.bodies[k], headers=headers)
                problem = bundle_check(plan, r)
            except httpx.HTTPError as exc:
                problem = f"{type(exc).__name__}: {exc}"
            elapsed = time.perf_counter() - started
            if problem is None:
                phase.ok += 1
                phase.latencies.append(elapsed)
                if plan.cascade_step:
                    plan.pending.append((plan.enterprises[k], next(
                        c["id"] for c in r.json()["children"] if c.get("step") == plan.cascade_step)))
            else:
                phase.failures.append(problem)

    started = time.perf_counter()
    await asyncio.gather(*(worker(s) for s in range(concurrency)))
    phase.wall = time.perf_counter() - started
    return phase


def pooled(name: str, rounds: list[Phase]) -> Phase:
    """One phase from several rounds: latencies pooled, wall and counts summed, CPU weighted by requests."""
    out = Phase(name)
    for p in rounds:
        out.latencies.extend(p.latencies)
        out.wall += p.wall
        out.ok += p.ok
        out.failures.extend(p.failures)
        out.others.extend(p.others)
    total = sum(max(1, p.ok + len(p.failures)) for p in rounds)
    walls = sum(p.wall for p in rounds) or 1.0
    for key in rounds[0].cpu:
        if key in ("utilisation", "steal"):
            out.cpu[key] = sum(p.cpu[key] * p.wall for p in rounds) / walls
        else:
            out.cpu[key] = sum(p.cpu[key] * max(1, p.ok + len(p.failures)) for p in rounds) / total
    return out


class LockSampler:
    """PostgreSQL only: every 50 ms, how many of the bench database's backends wait on an advisory lock
    (the audit chain's `pg_advisory_xact_lock`) and how many are inside a transaction meanwhile."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.samples = 0
        self.waiting = 0
        self.in_transaction = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _run(self) -> None:
        import psycopg

        with psycopg.connect(bc.PG_ADMIN_DSN, autocommit=True) as conn:
            while not self._stop.is_set():
                rows = conn.execute(
                    "SELECT state, wait_event_type, wait_event FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()", [bc.PG_DB]).fetchall()
                self.samples += 1
                self.waiting += sum(1 for _s, kind, event in rows if kind == "Lock" and event == "advisory")
                self.in_transaction += sum(1 for state, _k, _e in rows if state in ("active", "idle in transaction"))
                self._stop.wait(0.05)

    def __enter__(self) -> LockSampler:
        if self.enabled:
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join(timeout=5)


def pooled_waits(samplers: list[LockSampler]) -> tuple[float, float] | None:
    """Mean backends waiting on the audit lock, and mean backends in a transaction, over the rounds."""
    n = sum(x.samples for x in samplers)
    if not n:
        return None
    return sum(x.waiting for x in samplers) / n, sum(x.in_transaction for x in samplers) / n


@dataclasses.dataclass
class Run:
    db: str
    db_version: str
    workers: int
    concurrency: int
    rounds: int
    busy_before: float
    single_matter: str
    single_enterprises: list[int]
    floor: Phase
    single: Phase
    bundles: dict[str, Phase]
    plans: dict[str, BundlePlan]
    stats_cases: int | None
    expected_cases: int  # case rows created: the most the counter may show
    server_errors: list[tuple[str, int]]
    single_data: dict[str, Any]
    cascades: dict[str, Phase] = dataclasses.field(default_factory=dict)
    waits: dict[str, tuple[float, float]] = dataclasses.field(default_factory=dict)  # phase → (audit lock, in tx)
    least_cases: int = 0  # one started step per submission: the least the counter may show

    @property
    def valid(self) -> bool:
        phases = [self.floor, self.single, *self.bundles.values(), *self.cascades.values()]
        # The counter counts applications that reached a department (a bundle's started steps, not its
        # parent or waiting steps): at least one per submission, never more than the case rows created.
        return (all(not p.failures for p in phases) and self.stats_cases is not None
                and self.least_cases <= self.stats_cases <= self.expected_cases)


async def drive(base: str, args: argparse.Namespace, usccs: dict[int, str], server_pid: int
                ) -> tuple[Any, dict[str, BundlePlan], Phase, Phase, dict[str, Phase], dict[str, Phase], int | None,
                           tuple[int, int], dict[str, tuple[float, float]]]:
    single = await bc.prepare(base, usccs, args.matter)
    plans: dict[str, BundlePlan] = {}
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        tokens = await login_all(client, usccs)
        for code in args.bundles:
            plans[code] = await prepare_bundle(client, code, tokens)
            p = plans[code]
            print(f"   {code}: {p.children} children, enterprises {p.enterprises}"
                  + (f" (not used: {p.rejected})" if p.rejected else ""), flush=True)
    concurrency = args.concurrency
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=httpx.Limits(
            max_connections=concurrency, max_keepalive_connections=concurrency)) as client:
        before = (await bc.settled_stats(client))["cases"]
        created = 0  # case rows the checked responses account for
        submitted = 0  # successful submissions: each starts at least one case
        # warm every worker process: connections, caches, signing key
        for name in ("floor", "cases"):
            w = await bc.run_phase(client, name, args.warmup, concurrency, single)
            created += w.ok if name == "cases" else 0
            submitted += w.ok if name == "cases" else 0
            if w.failures:
                print(f"   warm-up {name}: {len(w.failures)} failures; first: {w.failures[0]}", flush=True)
        for code, plan in plans.items():
            w = await run_bundle_phase(client, plan, args.warmup, concurrency)
            created += w.ok * (1 + plan.children)
            submitted += w.ok
            if w.failures:
                print(f"   warm-up {code}: {len(w.failures)} failures; first: {w.failures[0]}", flush=True)
            if plan.cascade_step:
                w = await run_cascade_phase(client, plan, concurrency)
                if w.failures:
                    print(f"   warm-up {w.name}: {len(w.failures)} failures; first: {w.failures[0]}", flush=True)

        samplers: dict[str, list[LockSampler]] = collections.defaultdict(list)

        async def timed(coro_factory: Any) -> Phase:
            start = CpuSample.take(server_pid)
            with LockSampler(args.db_now == "postgres") as sampler:
                phase = await coro_factory()
            phase.account(start, CpuSample.take(server_pid))
            samplers[phase.name].append(sampler)
            return phase

        floor = await timed(lambda: bc.run_phase(client, "floor", args.n_single, concurrency, single))
        single_rounds: list[Phase] = []
        bundle_rounds: dict[str, list[Phase]] = {code: [] for code in plans}
        cascade_rounds: dict[str, list[Phase]] = {code: [] for code, p in plans.items() if p.cascade_step}
        for r in range(args.rounds):
            n_single = args.n_single // args.rounds + (1 if r < args.n_single % args.rounds else 0)
            n_bundle = args.n_bundle // args.rounds + (1 if r < args.n_bundle % args.rounds else 0)
            phase = await timed(lambda n=n_single: bc.run_phase(client, "cases", n, concurrency, single))
            created += phase.ok
            submitted += phase.ok
            single_rounds.append(phase)
            for code, plan in plans.items():
                phase = await timed(lambda p=plan, n=n_bundle: run_bundle_phase(client, p, n, concurrency))
                created += phase.ok * (1 + plan.children)
                submitted += phase.ok
                bundle_rounds[code].append(phase)
                if plan.cascade_step:
                    cascade_rounds[code].append(await timed(lambda p=plan: run_cascade_phase(client, p, concurrency)))
            print(f"   round {r + 1}/{args.rounds}: single {single_rounds[-1].median_ms:.0f} ms; "
                  + "; ".join(f"{c} {bundle_rounds[c][-1].median_ms:.0f} ms" for c in plans), flush=True)
        try:
            stats_cases: int | None = (await bc.settled_stats(client))["cases"]
        except BenchError as exc:
            print(f"   final /api/v1/stats failed: {exc}")
            stats_cases = None
    waits = {"single" if name == "cases" else name: pooled_waits(x) for name, x in samplers.items()}
    return (single, plans, floor, pooled("single", single_rounds),
            {c: pooled(c, ps) for c, ps in bundle_rounds.items()},
            {c: pooled(ps[0].name, ps) for c, ps in cascade_rounds.items()}, stats_cases, (before + submitted, before + created),
            {k: v for k, v in waits.items() if v is not None})


def bench_db(db: str, args: argparse.Namespace, usccs: dict[int, str]) -> Run:
    data_dir = Path(tempfile.mkdtemp(prefix=f"qinqing-bench-bundles-{db}-"))
    print(f"\n== {db}: data directory {data_dir}", flush=True)
    db_version = bc.fresh_postgres() if db == "postgres" else bc.sqlite_version()
    env = bc.server_env(db, data_dir, args.huey)
    bc.CONSUMER_ENV = env if args.huey == "enqueue" else None
    server = None
    try:
        started = time.perf_counter()
        bc.run_setup(env, data_dir / "setup.log")
        print(f"   migrate + loaddemo: {time.perf_counter() - started:.1f} s", flush=True)
        log = data_dir / f"server-w{args.workers}.log"
        port = bc.free_port()
        base = f"http://127.0.0.1:{port}"
        server = bc.start_server(env, port, args.workers, log)
        asyncio.run(bc.wait_ready(base, server))
        busy = bc.wait_quiet(args.wait_quiet)
        offset = log.stat().st_size
        print(f"   workers={args.workers} concurrency={args.concurrency} single n={args.n_single} "
              f"bundle n={args.n_bundle} rounds={args.rounds}: machine busy before {busy:.0%}; timing…", flush=True)
        try:
            single, plans, floor, single_phase, bundle_phases, cascades, stats_cases, expected, waits = asyncio.run(
                drive(base, args, usccs, server.pid))
        except BenchError:
            for text, count in bc.server_errors(log, offset):
                print(f"   server log: {count} × {text}")
            raise
        run = Run(db, db_version, args.workers, args.concurrency, args.rounds, busy, single.matter,
                  single.enterprises, floor, single_phase, bundle_phases, plans, stats_cases, expected[1],
                  bc.server_errors(log, offset), single.data, cascades, waits, least_cases=expected[0])
        report(run)
        bc.stop(server)
        server = None
        if args.profile:
            profile_db(db, env, data_dir, run, usccs, args)
        return run
    finally:
        bc.stop(server)
        if args.keep:
            print(f"   kept {data_dir}" + (f" and database {bc.PG_DB}" if db == "postgres" else ""))
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
            if db == "postgres":
                bc.drop_postgres()


# ---------------------------------------------------------------------------- report


def report(r: Run) -> None:
    s = r.single
    print(f"\n### {r.db}: {r.db_version}")
    print(f"workers={r.workers} concurrency={r.concurrency} rounds={r.rounds}; single case: {r.single_matter}, "
          f"enterprises {r.single_enterprises}; machine busy before the run {r.busy_before:.0%}")
    columns = [("floor", r.floor), ("single case", s)]
    columns += [(f"{c} ({r.plans[c].children} children)", p) for c, p in r.bundles.items()]
    columns += [(p.name, p) for p in r.cascades.values()]
    print("| measure | " + " | ".join(name for name, _p in columns) + " |")
    print("|---|" + "---:|" * len(columns))
    rows: list[tuple[str, Any]] = [
        ("requests", lambda p: f"{p.ok}"),
        ("median latency (ms)", lambda p: f"{p.median_ms:.1f}"),
        ("p99 latency (ms)", lambda p: f"{p.p99_ms:.1f}"),
        ("requests / s", lambda p: f"{p.rate:.1f}"),
        ("server CPU / request (ms)", lambda p: f"{p.cpu.get('server', 0):.1f}"),
    ]
    if r.db == "postgres":
        rows.append(("postgres CPU / request (ms)", lambda p: f"{p.cpu.get('postgres', 0):.1f}"))
    if r.waits:
        rows.append((f"backends waiting on the audit lock (mean, of {r.concurrency} clients)",
                     lambda p: f"{r.waits[p.name][0]:.1f}" if p.name in r.waits else ""))
        rows.append(("backends in a transaction (mean)",
                     lambda p: f"{r.waits[p.name][1]:.1f}" if p.name in r.waits else ""))
    rows += [
        ("machine CPU / request (ms)", lambda p: f"{p.cpu.get('machine', 0):.1f}"),
        ("machine utilisation", lambda p: f"{p.cpu.get('utilisation', 0):.0%}"),
        ("failures", lambda p: f"{len(p.failures)}"),
    ]
    for label, fn in rows:
        print(f"| {label} | " + " | ".join(fn(p) for _name, p in columns) + " |")
    print("\n| request | children | median / single | p99 / single | single rate / its rate | "
          "machine CPU / single | per child (median ratio / children) | children / s | target ≤ 4× |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    single_cpu = s.cpu.get("machine") or float("nan")

    def line(label: str, n: int, median: float, p99: float, rate: float, cpu: float, target: bool) -> None:
        ratio = median / s.median_ms
        verdict = ("PASS" if ratio <= TARGET_BUNDLE_RATIO else "MISS") if target else "(not a submission)"
        print(f"| {label} | {n} | {ratio:.2f} | {p99 / s.p99_ms:.2f} | {s.rate / rate:.2f} | {cpu / single_cpu:.2f} | "
              f"{ratio / n:.2f} | {rate * n:.0f} | {verdict} |")

    for code, p in r.bundles.items():
        n = r.plans[code].children
        line(f"{code} submission", n, p.median_ms, p.p99_ms, p.rate, p.cpu.get("machine", 0), True)
        c = r.cascades.get(code)
        if c is not None:
            line(f"{c.name} (starts the {n - 1} waiting steps)", n - 1, c.median_ms, c.p99_ms, c.rate,
                 c.cpu.get("machine", 0), False)
            both = 1 / (1 / p.rate + 1 / c.rate)
            line(f"{code}: submission + that approval (sums)", n, p.median_ms + c.median_ms, p.p99_ms + c.p99_ms,
                 both, p.cpu.get("machine", 0) + c.cpu.get("machine", 0), False)
    if r.db != "postgres":
        print("(the target is stated for PostgreSQL; SQLite is shown against it for comparison)")
    if r.stats_cases is None or not r.least_cases <= r.stats_cases <= r.expected_cases:
        print(f"INVALID: the server counts {r.stats_cases} cases handled, expected {r.least_cases}–{r.expected_cases}")
    for phase in (r.floor, r.single, *r.bundles.values(), *r.cascades.values()):
        if phase.others:
            print(f"NOISE: other processes ran during the {phase.name} phase: "
                  + ", ".join(f"{p} {sec:.1f} s CPU" for p, sec in phase.others[:3]))
    for text, count in r.server_errors:
        print(f"server log: {count} × {text}")
    for phase in (r.floor, r.single, *r.bundles.values(), *r.cascades.values()):
        if phase.failures:
            kinds = collections.Counter(f[:160] for f in phase.failures)
            print(f"INVALID: {len(phase.failures)} {phase.name} requests failed:")
            for text, count in kinds.most_common(3):
                print(f"   {count} × {text}")


def summary(runs: list[Run]) -> None:
    if len(runs) < 2:
        return
    print("\n### summary (medians; ratio = bundle median / single-case median)")
    print("| db | single median / p99 (ms), cases/s | " + " | ".join(runs[0].plans) + " | valid |")
    print("|---|---|" + "---|" * len(runs[0].plans) + "---|")
    for r in runs:
        cells = []
        for code, p in r.bundles.items():
            ratio = p.median_ms / r.single.median_ms
            cells.append(f"{p.median_ms:.0f} / {p.p99_ms:.0f} ms, {p.rate:.1f}/s, ×{ratio:.2f} "
                         f"({ratio / r.plans[code].children:.2f}/child)")
            c = r.cascades.get(code)
            if c is not None:
                cells[-1] += f"; then {r.plans[code].cascade_step} approved: {c.median_ms:.0f} ms " \
                             f"(×{c.median_ms / r.single.median_ms:.2f})"
        print(f"| {r.db} | {r.single.median_ms:.0f} / {r.single.p99_ms:.0f} ms, {r.single.rate:.0f}/s | "
              + " | ".join(cells) + f" | {'yes' if r.valid else 'NO'} |")


# ---------------------------------------------------------------------------- in-process profile


def profile_db(db: str, env: dict[str, str], data_dir: Path, run: Run, usccs: dict[int, str],
               args: argparse.Namespace) -> None:
    """In a child process on the same database: SQL per submission and a cProfile of submit_bundle."""
    plan = {
        "usccs": {str(i): u for i, u in usccs.items()},
        "single": {"matter": run.single_matter, "data": run.single_data, "enterprises": run.single_enterprises},
        "bundles": {code: {"enterprises": p.enterprises, "data": {str(i): d for i, d in p.data.items()},
                           "children": p.children} for code, p in run.plans.items()},
        "n": args.n_profile,
    }
    plan_file = data_dir / "profile-plan.json"
    plan_file.write_text(json.dumps(plan, ensure_ascii=False))
    print(f"\n### {db}: in-process profile (Django test client and services, no HTTP server; "
          f"n={args.n_profile} per kind)", flush=True)
    result = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--inprocess", str(plan_file)],
                            env=env, cwd=ROOT, timeout=1800)
    if result.returncode != 0:
        print(f"   (profile failed with exit status {result.returncode})")


TABLE = re.compile(r'(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', re.IGNORECASE)


def statement_kind(sql: str) -> str:
    text = sql.strip()
    verb = re.split(r"\s", text, maxsplit=1)[0].upper()
    if "pg_advisory_xact_lock" in text:
        return "LOCK audit (advisory)"
    if verb in ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"):
        return verb
    m = TABLE.search(text)
    return f"{verb} {m.group(1) if m else '?'}" + (" FOR UPDATE" if "FOR UPDATE" in text.upper() else "")


# (label, file suffix, function name): the parts of a submission, cumulative time per submission.
PARTS = (
    ("API request in total (test client)", "", ""),
    ("submit_bundle / submit_case (service)", "qinqing/bundles/services/submit.py", "submit_bundle"),
    ("", "qinqing/cases/services/submission.py", "submit_case"),
    ("reviewer approval: approve_case (service)", "qinqing/cases/services/review.py", "approve_case"),
    ("  definitions: merged_form (steps, fields, materials)", "qinqing/bundles/services/loading.py", "merged_form"),
    ("  registry facts: facts_for", "qinqing/datahub/queries.py", "facts_for"),
    ("  validation: validate_bundle_data", "qinqing/bundles/services/submit.py", "validate_bundle_data"),
    ("  form cleaning: clean_form_data (all calls)", "qinqing/cases/formdata.py", "clean_form_data"),
    ("  deadlines: _plan_deadlines", "qinqing/bundles/services/submit.py", "_plan_deadlines"),
    ("  case rows + first event: open_case", "qinqing/cases/services/submission.py", "open_case"),
    ("  progress: advance (start steps, close parent)", "qinqing/bundles/services/progress.py", "advance"),
    ("    start_case", "qinqing/cases/services/submission.py", "start_case"),
    ("    automatic decision: _decide_automatically", "qinqing/cases/services/submission.py", "_decide_automatically"),
    ("    materials from data: attach_data_materials", "qinqing/cases/services/materials.py", "attach_data_materials"),
    ("    licence: issue_licence", "qinqing/cases/services/licences.py", "issue_licence"),
    ("    status changes: move_case", "qinqing/cases/services/_common.py", "move_case"),
    ("  audit: record_event", "qinqing/audit/services.py", "record_event"),
    ("  outbox and subscribers: events.atomic end", "qinqing/core/events.py", "drain"),
    ("  notifications: notify", "qinqing/notifications/services.py", "notify"),
    ("  response: case_detail", "qinqing/cases/queries.py", "case_detail"),
    ("SQL: CursorWrapper.execute (all statements)", "django/db/backends/utils.py", "execute"),
    ("transaction commit", "django/db/backends/base/base.py", "commit"),
)


def inprocess(plan_file: Path) -> int:
    """The child of profile_db: the environment (data directory, DATABASE_URL) is the server's."""
    import cProfile
    import importlib
    import io
    import pstats

    plan = json.loads(plan_file.read_text())
    n = int(plan["n"])
    importlib.import_module("bench.floor_asgi")  # django.setup() with the product's settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from qinqing.accounts.models import User
    from qinqing.bundles import services as bundle_services
    from qinqing.bundles.models import Bundle
    from qinqing.cases import services as case_services
    from qinqing.cases.models import Case
    from qinqing.cases.uploads import check_upload
    from qinqing.catalog.models import Matter

    def captured(fn: Any, k: int) -> list[dict[str, Any]]:
        """The statements of one call (the log is emptied first: it keeps only the last 9,000)."""
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as q:
            fn(k)
        return list(q.captured_queries)

    usccs = {int(k): v for k, v in plan["usccs"].items()}
    client = Client()
    tokens: dict[int, str] = {}
    for i in usccs:
        r = client.post("/api/v1/auth/token", {"username": usccs[i], "password": bc.PASSWORD},
                        content_type="application/json")
        tokens[i] = r.json()["token"]
    users = {i: User.objects.select_related("enterprise").get(username=u) for i, u in usccs.items()}

    # kinds: (label, children, api call(i), service call(i))
    single = plan["single"]
    matter = Matter.objects.get(code=single["matter"])

    def api_single(k: int) -> None:
        i = single["enterprises"][k % len(single["enterprises"])]
        r = client.post("/api/v1/cases", {"matter": single["matter"], "data": single["data"]},
                        content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {tokens[i]}",
                        HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)
        assert r.status_code == 201 and r.json()["status"] == "approved", r.content[:300]

    def svc_single(k: int) -> None:
        i = single["enterprises"][k % len(single["enterprises"])]
        case, created = case_services.submit_case(applicant=users[i], matter=matter, data=single["data"],
                                                  idempotency_key=uuid.uuid4().hex)
        assert created and case.status == "approved", case.status

    kinds: list[tuple[str, int, Any, Any]] = [(f"single case {single['matter']}", 0, api_single, svc_single)]

    pending: dict[str, list[int]] = collections.defaultdict(list)  # bundle → first steps to approve (CASCADE)

    def bundle_calls(code: str, spec: dict[str, Any]) -> tuple[Any, Any]:
        bundle = Bundle.objects.get(code=code)
        ents = spec["enterprises"]
        first = CASCADE.get(code, ("", ""))[0]

        def api(k: int) -> None:
            i = ents[k % len(ents)]
            r = client.post(f"/api/v1/bundles/{code}/submissions", {"data": spec["data"][str(i)]},
                            content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {tokens[i]}",
                            HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)
            assert r.status_code == 201 and len(r.json()["children"]) == spec["children"], r.content[:300]
            if first:
                pending[code].append(next(c["id"] for c in r.json()["children"] if c["step"] == first))

        def svc(k: int) -> None:
            i = ents[k % len(ents)]
            parent, created = bundle_services.submit_bundle(user=users[i], bundle=bundle, data=spec["data"][str(i)],
                                                            idempotency_key=uuid.uuid4().hex)
            children = dict(parent.children.values_list("step_key", "id"))
            assert created and len(children) == spec["children"]
            if first:
                pending[code].append(children[first])

        return api, svc

    def cascade_calls(code: str) -> tuple[Any, Any]:
        reviewer_name = CASCADE[code][1]
        reviewer = User.objects.get(username=reviewer_name)
        token = client.post("/api/v1/auth/token", {"username": reviewer_name, "password": bc.PASSWORD},
                            content_type="application/json").json()["token"]

        def api(k: int) -> None:
            r = client.post(f"/api/v1/cases/{pending[code].pop(0)}/decision", {"outcome": "approve"},
                            content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")
            assert r.status_code == 200 and r.json()["status"] == "approved", r.content[:300]

        def svc(k: int) -> None:
            case = Case.objects.get(pk=pending[code].pop(0))
            case_services.approve_case(case=case, reviewer=reviewer)

        return api, svc

    for code, spec in plan["bundles"].items():
        api, svc = bundle_calls(code, spec)
        kinds.append((code, spec["children"], api, svc))
        if code in CASCADE:
            api, svc = cascade_calls(code)
            kinds.append((f"{code}: {CASCADE[code][0]} approved", spec["children"] - 1, api, svc))

    # industrial-project with its land-transfer contract uploaded (the web form's path): service only.
    upload_kind = None
    if "industrial-project" in plan["bundles"]:
        spec = plan["bundles"]["industrial-project"]
        bundle = Bundle.objects.get(code="industrial-project")
        pdf = bc_pdf()
        ents = spec["enterprises"]

        def svc_upload(k: int) -> None:
            i = ents[k % len(ents)]
            checked = check_upload(io.BytesIO(pdf), "出让合同.pdf", len(pdf))
            _parent, created = bundle_services.submit_bundle(
                user=users[i], bundle=bundle, data=spec["data"][str(i)], idempotency_key=uuid.uuid4().hex,
                uploads=[("land_contract", checked)])
            assert created

        upload_kind = ("industrial-project + land_contract upload (service)", spec["children"], None, svc_upload)

    print(f"database: {connection.vendor}; warm-up 5 of each, then n={n} timed per kind", flush=True)
    for _label, _children, api, svc in kinds:
        for k in range(5):
            api(k)
            svc(k)
    if upload_kind:
        for k in range(3):
            upload_kind[3](k)
        # what the upload changes: the filing's outcome and the other steps' states
        last = Case.objects.filter(bundle_code="industrial-project", matter__isnull=True).order_by("-id").first()
        if last is not None:
            states = collections.Counter(c.status for c in last.children.all())
            print(f"industrial-project with the upload: parent {last.status}, children {dict(states)}")

    # 1. statements of one submission, by kind and table
    print("\n#### SQL statements of one submission through the API (test client)")
    per_kind_sql: dict[str, collections.Counter[str]] = {}
    for label, _children, api, _svc in kinds:
        per_kind_sql[label] = collections.Counter(statement_kind(x["sql"]) for x in captured(api, 0))
    labels = [k[0] for k in kinds]
    print("| statement | " + " | ".join(labels) + " |")
    print("|---|" + "---:|" * len(labels))
    every: collections.Counter[str] = collections.Counter()
    for c in per_kind_sql.values():
        every.update(c)
    for stmt, _count in every.most_common():
        print(f"| {stmt} | " + " | ".join(str(per_kind_sql[label].get(stmt, 0) or "") for label in labels) + " |")
    print("| **total** | " + " | ".join(f"**{sum(per_kind_sql[label].values())}**" for label in labels) + " |")

    # 2. time per submission, API and service, with the SQL share
    print("\n#### time per submission in-process (single thread, no HTTP, no concurrency)")
    print("| kind | children | API ms | SQL ms (logged sample) | statements | service ms | service / single-case service |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    timings: dict[str, float] = {}
    all_kinds = kinds + ([upload_kind] if upload_kind else [])
    for label, children, api, svc in all_kinds:
        api_ms = sql_ms = float("nan")
        statements = float("nan")
        if api is not None:
            started = time.perf_counter()
            for k in range(n):
                api(k)
            api_ms = (time.perf_counter() - started) / n * 1000
            sample = [captured(api, k) for k in range(min(n, 10))]  # SQL of 10 more, logged (slower)
            sql_ms = sum(float(x["time"]) for queries in sample for x in queries) / len(sample) * 1000
            statements = sum(len(queries) for queries in sample) / len(sample)
        started = time.perf_counter()
        for k in range(n):
            svc(k)
        timings[label] = (time.perf_counter() - started) / n * 1000
        if api is None:
            statements = len(captured(svc, 0))
        ratio = timings[label] / timings[labels[0]]
        print(f"| {label} | {children} | {api_ms:.1f} | {sql_ms:.1f} | {statements:.0f} | {timings[label]:.1f} | "
              f"{ratio:.2f} |", flush=True)

    # 3. cProfile: the parts of a submission (cumulative ms per submission, calls per submission)
    print("\n#### cProfile of the API request, by part (cumulative ms per submission; calls per submission)")
    part_rows: dict[str, dict[str, tuple[float, float]]] = {}
    tops: dict[str, str] = {}
    for label, _children, api, _svc in kinds:
        prof = cProfile.Profile()
        prof.enable()
        for k in range(n):
            api(k)
        prof.disable()
        stats = pstats.Stats(prof)
        found: dict[str, tuple[float, float]] = {
            "API request in total (test client)": (stats.total_tt / n * 1000, 1.0)}  # type: ignore[attr-defined]
        for (filename, _line, func), (_cc, nc, _tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
            for part_label, suffix, name in PARTS:
                if name and func == name and filename.endswith(suffix):
                    key = part_label or "submit_bundle / submit_case (service)"
                    old = found.get(key, (0.0, 0.0))
                    found[key] = (old[0] + ct / n * 1000, old[1] + nc / n)
        part_rows[label] = found
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(12)
        tops[label] = out.getvalue()
    print("| part | " + " | ".join(labels) + " |")
    print("|---|" + "---:|" * len(labels))
    for part_label, _suffix, _name in PARTS:
        if not part_label:
            continue
        cells = []
        for label in labels:
            ms, calls = part_rows[label].get(part_label, (0.0, 0.0))
            cells.append(f"{ms:.1f} ({calls:.0f})" if calls else "")
        print(f"| {part_label} | " + " | ".join(cells) + " |")
    print("(cProfile inflates Python-heavy parts; compare shares and call counts, not absolute ms)")
    for label in labels[:2]:
        print(f"\n#### top functions by own time: {label}")
        text = tops[label]
        start = text.find("ncalls")
        print(text[start:].rstrip() if start >= 0 else text.rstrip())
    return 0


def bc_pdf() -> bytes:
    return b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


# ---------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--db", choices=("postgres", "sqlite", "both"), default="postgres")
    parser.add_argument("--n-single", type=int, default=300, help="timed single-case submissions (default 300)")
    parser.add_argument("--n-bundle", type=int, default=150, help="timed submissions per bundle (default 150)")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes (default 2)")
    parser.add_argument("--rounds", type=int, default=2,
                        help="interleaved rounds the timed requests are split into (default 2)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests of each kind first (default 20)")
    parser.add_argument("--bundles", type=lambda s: [x for x in s.split(",") if x], default=list(DEFAULT_BUNDLES),
                        help="comma list of bundle codes (default: " + ",".join(DEFAULT_BUNDLES) + ")")
    parser.add_argument("--matter", default="GJJ-001", help="automatic matter of the single case (default GJJ-001)")
    parser.add_argument("--huey", choices=("enqueue", "immediate"), default="enqueue",
                        help="as bench_cases.py: SMS copies queued with no consumer (default) or sent in the request")
    parser.add_argument("--no-profile", dest="profile", action="store_false",
                        help="skip the in-process SQL count and cProfile after the HTTP run")
    parser.add_argument("--n-profile", type=int, default=40, help="submissions per kind in the profile (default 40)")
    parser.add_argument("--wait-quiet", type=float, default=0, metavar="SECONDS",
                        help="wait up to this long for other work on the machine to stop before timing")
    parser.add_argument("--keep", action="store_true", help="keep the data directory and database")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    parser.add_argument("--inprocess", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.inprocess:
        return inprocess(args.inprocess)
    if args.rounds < 1 or args.n_single < args.rounds or args.n_bundle < args.rounds:
        parser.error("--rounds must be at least 1 and at most --n-single and --n-bundle")

    print("environment:", bc.environment())
    dbs = ["postgres", "sqlite"] if args.db == "both" else [args.db]
    usccs = bc.demo_usccs()
    runs: list[Run] = []
    errors = 0
    for db in dbs:
        try:
            args.db_now = db
            run = bench_db(db, args, usccs)
        except BenchError as exc:
            print(f"ERROR ({db}): {exc}", file=sys.stderr)
            errors += 1
            continue
        runs.append(run)
        errors += not run.valid
    summary(runs)
    if args.json:
        def phase_json(p: Phase) -> dict[str, Any]:
            return {"n": p.ok, "median_ms": p.median_ms, "p99_ms": p.p99_ms, "rps": p.rate,
                    "failures": len(p.failures), "cpu_ms": p.cpu}
        args.json.write_text(json.dumps([{
            "db": r.db, "db_version": r.db_version, "workers": r.workers, "concurrency": r.concurrency,
            "rounds": r.rounds, "single_matter": r.single_matter, "valid": r.valid,
            "floor": phase_json(r.floor), "single": phase_json(r.single), "audit_lock_waits": r.waits,
            "cascades": {c: {**phase_json(p), "ratio": p.median_ms / r.single.median_ms}
                         for c, p in r.cascades.items()},
            "bundles": {c: {**phase_json(p), "children": r.plans[c].children, "enterprises": r.plans[c].enterprises,
                            "ratio": p.median_ms / r.single.median_ms,
                            "per_child": p.median_ms / r.single.median_ms / r.plans[c].children}
                        for c, p in r.bundles.items()},
        } for r in runs], indent=2, ensure_ascii=False))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
