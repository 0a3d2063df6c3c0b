"""A payout worker killed (SIGKILL) between the bank's acceptance and its commit: restarted, nothing paid twice or lost.

Runs `bench/bench_policies.py --bare` with a few payouts in its own data directory (a real second
process, really killed); the bench checks the bank statement, the ledger, the pool and reconciliation.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_a_killed_payout_worker_restarts_and_pays_each_payout_exactly_once(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "QINQING_TESTING"}}
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_policies.py"), "--bare", "--payouts", "12",
                          "--keep", str(tmp_path)], env=env, cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    out = run.stdout
    assert "worker killed (exit code): -9" in out
    assert "bank transfers: 12" in out and "distinct references: 12" in out and "payouts paid: 12" in out
    assert "pay ledger entries: 12" in out and "reconcile differences: 0" in out
    assert "zero duplicates, zero losses" in out
