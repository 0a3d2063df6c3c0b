"""Benchmark of the audit trail's write path: one global chain against a chain per stream, or keyed against unkeyed.

    .venv/bin/python bench/bench_audit.py [--compare chains|keying] [--processes 8] [--n 60] [--rounds 3] [--hold-ms 0]

Every state change writes an audit record chained by hash to the one before it in its chain; the
chain's head is taken under a PostgreSQL advisory lock held until commit. With one chain for the
whole platform every transaction that audits queues on that lock, however unrelated its work
(a payout batch, a chat message, another enterprise's case). Now each enterprise (and each app)
has its own chain, so only work on the same enterprise queues.

The run: a fresh PostgreSQL database `qinqing_bench_audit`, `migrate` + `loaddemo`, then
`--processes` worker processes, each acting for its own demo enterprise, each submitting `--n`
real 秒办 applications through `cases.services.submit_case` (automatic matter approved for every
demo enterprise: validation, prefill, case rows, automatic decision, licence, outbox, audit).
Modes, interleaved for `--rounds` rounds so that drift hits both alike:

* `single`: every record in one chain (the code's `stream_of` replaced by a constant, which is
  exactly the chain of before: one lock for everything);
* `streams`: the shipped code, a chain per enterprise.

With `--compare keying` the modes are instead (both with a chain per enterprise):

* `unkeyed`: records hashed as before keying (SHA-256 of some columns, no key id), in streams of
  their own (`unkeyed:<stream>`) so that the keyed chains stay verifiable;
* `keyed`: the shipped code, HMAC-SHA256 of every column under the key of the data directory.

Either way the run ends with an in-process measurement of the hash alone (µs per record) for
both ways of hashing.

`--hold-ms` adds that much work inside each transaction after the audit records are chained (a
stand-in for the slower services to come: payout batches that call a bank sandbox), which is when
a global lock hurts most. Reported: submissions/s, median and p99 latency, and the share of samples
in which a backend waited on an advisory lock (pg_stat_activity, every 20 ms). Both chains are
verified at the end.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DB = "qinqing_bench_audit"
URL = f"postgres://postgres@127.0.0.1:5432/{DB}"
DATA = Path(tempfile.gettempdir()) / "qinqing_bench_audit"  # its own audit key and checkpoints
MODES = {"chains": ("single", "streams"), "keying": ("unkeyed", "keyed")}


def _setup_database() -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB}")
    shutil.rmtree(DATA, ignore_errors=True)
    DATA.mkdir(parents=True)
    env = {**os.environ, "DATABASE_URL": URL, "QINQING_HUEY_IMMEDIATE": "1", "QINQING_DATA_DIR": str(DATA)}
    for command in (["migrate", "-v0"], ["loaddemo"]):
        subprocess.run([sys.executable, "-m", "qinqing.cli", *command], env=env, cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)


def _django() -> None:
    os.environ["DATABASE_URL"] = URL
    os.environ["QINQING_HUEY_IMMEDIATE"] = "1"
    os.environ["QINQING_DATA_DIR"] = str(DATA)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qinqing.settings")
    sys.path.insert(0, str(ROOT))
    import logging

    import django

    django.setup()
    logging.disable(logging.INFO)  # the log backend prints every SMS it would send


def _worker(index: int, mode: str, n: int, hold_ms: float, start: Any, out: Any) -> None:
    _django()
    from django.db import connection

    from qinqing.audit import services as audit
    from qinqing.cases.services import submission
    from qinqing.cases.tests.support import enterprise, form_data, matter_approved_for
    from qinqing.core import events

    if mode == "single":
        audit.stream_of = lambda obj: "bench-single"  # type: ignore[assignment]
    if mode == "unkeyed":
        from qinqing.audit.chain import legacy_digest

        stream_of = audit.stream_of
        audit.stream_of = lambda obj: f"unkeyed:{stream_of(obj)}"  # type: ignore[assignment]

        def unkeyed(record: Any, ring: Any) -> None:
            record.key_id, record.hash = "", legacy_digest(record)

        audit.seal = unkeyed  # type: ignore[assignment]
    user = enterprise(index)
    matter = matter_approved_for(index)
    data = form_data(matter)
    if hold_ms:
        original = events.unit._UnitOfWork.flush

        def flush_then_work(unit: Any) -> None:
            original(unit)
            time.sleep(hold_ms / 1000)  # work after the chain head is taken, before commit

        events.unit._UnitOfWork.flush = flush_then_work  # type: ignore[method-assign]
    submission.submit_case(applicant=user, matter=matter, data=data)  # warm-up
    start.wait()
    latencies = []
    for _ in range(n):
        t0 = time.perf_counter()
        case, _created = submission.submit_case(applicant=user, matter=matter, data=data)
        latencies.append(time.perf_counter() - t0)
        assert case.status == "approved", case.status
    connection.close()
    out.put(latencies)


class LockSampler:
    """Share of samples in which some backend waits on an advisory lock."""

    def __init__(self) -> None:
        self.samples = 0
        self.waiting = 0
        self.stop = threading.Event()

    def run(self) -> None:
        import psycopg

        with psycopg.connect(URL.replace("postgres://", "postgresql://"), autocommit=True) as conn:
            while not self.stop.is_set():
                row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'advisory'").fetchone()
                self.samples += 1
                self.waiting += 1 if row and row[0] else 0
                time.sleep(0.02)


def run_mode(mode: str, processes: int, n: int, hold_ms: float) -> dict[str, float]:
    ctx = mp.get_context("spawn")
    start = ctx.Event()
    out = ctx.Queue()
    workers = [ctx.Process(target=_worker, args=(i % 8, mode, n, hold_ms, start, out)) for i in range(processes)]
    for w in workers:
        w.start()
    time.sleep(8)  # each worker: set up Django, warm up
    sampler = LockSampler()
    thread = threading.Thread(target=sampler.run, daemon=True)
    thread.start()
    t0 = time.perf_counter()
    start.set()
    latencies: list[float] = []
    for _ in workers:
        latencies.extend(out.get(timeout=600))
    wall = time.perf_counter() - t0
    sampler.stop.set()
    thread.join()
    for w in workers:
        w.join()
    latencies.sort()
    return {
        "rate": len(latencies) / wall, "median_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "lock_wait_share": sampler.waiting / max(sampler.samples, 1),
    }


def hash_cost(n: int = 20_000) -> dict[str, float]:
    """Microseconds per record of the hash alone: unkeyed SHA-256 (before) and keyed HMAC of every column (now)."""
    _django()
    from django.utils import timezone

    from qinqing.audit.chain import legacy_digest, seal
    from qinqing.audit.keys import keyring
    from qinqing.audit.models import AuditRecord

    ring = keyring()
    records = [AuditRecord(stream=f"enterprise:{i % 50}", seq=i, prev_hash="0" * 64, at=timezone.now(), actor_id=7,
                           actor_label="913301087XXXXXXXXX", action="cases.approve", object_type="cases.case",
                           object_id=str(i), before={"status": "submitted"},
                           after={"status": "approved", "amount": "12000.00", "名称": "杭州某某科技有限公司"})
               for i in range(n)]
    costs = {}
    for name, hasher in (("unkeyed", legacy_digest), ("keyed", lambda r: seal(r, ring))):
        t0 = time.perf_counter()
        for record in records:
            hasher(record)
        costs[name] = (time.perf_counter() - t0) / n * 1e6
    return costs


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--compare", choices=sorted(MODES), default="chains")
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--n", type=int, default=60, help="submissions per process per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--hold-ms", type=float, default=0.0)
    args = parser.parse_args()
    _setup_database()
    before, after = MODES[args.compare]
    results: dict[str, list[dict[str, float]]] = {before: [], after: []}
    for r in range(args.rounds):
        for mode in (before, after) if r % 2 == 0 else (after, before):
            results[mode].append(run_mode(mode, args.processes, args.n, args.hold_ms))
            print(f"round {r + 1} {mode:8s} " + " ".join(f"{k}={v:.3f}" for k, v in results[mode][-1].items()),
                  flush=True)
    print(f"\nPostgreSQL, {args.processes} processes × {args.n} 秒办 submissions × {args.rounds} rounds, "
          f"hold {args.hold_ms} ms (medians of the rounds)")
    summary = {mode: {k: statistics.median(r[k] for r in runs) for k in runs[0]} for mode, runs in results.items()}
    for mode, s in summary.items():
        print(f"  {mode:8s} {s['rate']:7.1f} submissions/s  median {s['median_ms']:6.1f} ms  "
              f"p99 {s['p99_ms']:6.1f} ms  waiting on the chain lock in {s['lock_wait_share']:.0%} of samples")
    print(f"  {after}/{before} throughput ratio {summary[after]['rate'] / summary[before]['rate']:.2f}, "
          f"median ratio {summary[after]['median_ms'] / summary[before]['median_ms']:.2f}")
    costs = hash_cost()
    print(f"  hash alone: unkeyed {costs['unkeyed']:.1f} µs/record, keyed {costs['keyed']:.1f} µs/record "
          f"(ratio {costs['keyed'] / costs['unkeyed']:.2f})")
    from qinqing.audit.services import verify_chain

    report = verify_chain()
    print(f"  verifyaudit: {'intact' if report.ok else 'BROKEN ' + report.reason}, {report.checked} records in "
          f"{report.streams} streams ({report.unsealed} unkeyed)")
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
