"""Benchmark: 10,000 免申即享 payouts through the sandbox bank with a crash injected halfway.

    .venv/bin/python bench/bench_policies.py [--payouts 10000] [--keep DIR]

A fresh SQLite data directory: `migrate` + `loaddemo`; then N enterprises with bank accounts and one
automatic policy owing each 100.00 yuan; every entitlement's payout committed (pool debited, ledger
entry) through `commit_payout`; then a worker process sends them one by one through `send_payout`
and, right after the bank accepted payout N/2 and before its transaction commits, is killed by this
process with SIGKILL (the worker says where it is through a file, then waits to be killed). A second
worker restarts and finishes with `process_due_payouts`. Checked at the end: the
bank's statement holds exactly N transfers, one per reference; every payout is paid; one `pay`
ledger entry each; the pool's paid sum is N × 100; `reconcile` finds no difference. The per-record
evaluator's rate (one enterprise against one policy, facts read from the datahub) is measured in the
same run.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AMOUNT = "100.00"


def _django(data_dir: str) -> None:
    os.environ["QINQING_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qinqing.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _prepare(n: int) -> float:
    from decimal import Decimal

    from django.utils import timezone

    from qinqing.accounts.models import Department, Enterprise
    from qinqing.core import events
    from qinqing.policies.models import BankAccount, Entitlement, FundPool, Policy, PolicyVersion
    from qinqing.policies.services.payouts import commit_payout
    from qinqing.regions.models import Region

    region = Region.objects.get(code="330108")
    community = Region.objects.filter(path__startswith=region.path, level="community").first() or region
    firms = Enterprise.objects.bulk_create(
        [Enterprise(uscc=f"BENCH{i:013d}", name=f"基准测试企业{i:05d}", region=community) for i in range(n)],
        batch_size=2000)
    BankAccount.objects.bulk_create([BankAccount(enterprise=e, bank_name="杭州银行", account_name=e.name,
                                                 number=f"6222{i:012d}") for i, e in enumerate(firms)],
                                    batch_size=2000)
    policy = Policy.objects.create(code="bench-payouts", title="基准测试政策", department=Department.objects.get(code="RSJ"),
                                   document_number="基准〔2026〕1号", region=region, valid_from="2026-01-01",
                                   valid_until="2026-12-31", mode="automatic", status="published",
                                   published_at=timezone.now())
    version = PolicyVersion.objects.create(policy=policy, number=1, eligibility=[], amount={"expr": AMOUNT,
                                                                                           "cap": AMOUNT},
                                           amount_text="每户100元")
    Policy.objects.filter(pk=policy.pk).update(current_version=version)
    FundPool.objects.create(policy=policy, total=Decimal(AMOUNT) * n)
    ents = Entitlement.objects.bulk_create(
        [Entitlement(key=f"bench:{e.pk}", policy=policy, version=version, enterprise=e, period="2026",
                     amount=Decimal(AMOUNT), status="granted") for e in firms], batch_size=2000)
    started = time.perf_counter()
    for start in range(0, n, 500):
        with events.atomic():
            for ent in Entitlement.objects.filter(pk__in=[x.pk for x in ents[start:start + 500]]).select_related(
                    "policy", "enterprise__region"):
                commit_payout(entitlement=ent)
    return time.perf_counter() - started


def _worker(crash_at: int, signal_file: str) -> None:
    from qinqing.policies.models import Payout
    from qinqing.policies.services import payouts as module

    pending = Payout.objects.filter(status="pending").order_by("pk").values_list("pk", flat=True)
    for sent, pk in enumerate(pending, start=1):
        if sent == crash_at:
            def wait_to_be_killed(payout: object, pool_id: int) -> None:
                # The bank took the transfer; the ledger's transaction is open and never commits.
                Path(signal_file).write_text(str(os.getpid()))
                while True:
                    time.sleep(1)

            module._settle = wait_to_be_killed  # type: ignore[assignment]
        module.send_payout(payout_id=pk, force=True)


def _finish() -> None:
    from qinqing.policies.services.payouts import process_due_payouts

    while process_due_payouts(limit=5000)["sent"]:
        pass


def _evaluator_rate() -> float:
    from qinqing.accounts.models import Enterprise
    from qinqing.policies.matching import compile_version, evaluate_enterprise
    from qinqing.policies.models import Policy

    compiled = compile_version(Policy.objects.get(code="kjj-yanfa-2026").current_version)  # type: ignore[arg-type]
    demo = list(Enterprise.objects.exclude(uscc__startswith="BENCH").select_related("region"))
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < 3:
        for firm in demo:
            evaluate_enterprise(compiled, firm)
            count += 1
    return count / (time.perf_counter() - started)


def _kill_halfway(env: dict[str, str], n: int, data_dir: str) -> int:
    """Start the sending worker; SIGKILL it once it holds payout N/2 sent but not committed; its exit code."""
    signal_file = Path(data_dir) / "worker-at-half"
    signal_file.unlink(missing_ok=True)
    worker = subprocess.Popen([sys.executable, __file__, "--worker", str(n // 2), "--signal", str(signal_file)],
                              env=env, cwd=ROOT)
    while not signal_file.exists():
        if worker.poll() is not None:
            return worker.returncode  # it ended before the crash point: the check below fails
        time.sleep(0.05)
    os.kill(worker.pid, signal.SIGKILL)  # our own child, by its id
    return worker.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--payouts", type=int, default=10_000)
    parser.add_argument("--keep", default="")
    parser.add_argument("--bare", action="store_true",
                        help="regions and one department instead of the demo (the crash test); no evaluator rate")
    parser.add_argument("--worker", type=int, default=-1, help=argparse.SUPPRESS)
    parser.add_argument("--signal", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker >= 0:
        _django(os.environ["QINQING_DATA_DIR"])
        _worker(args.worker, args.signal) if args.worker else _finish()
        return
    data_dir = args.keep or tempfile.mkdtemp(prefix="qinqing-bench-policies-")
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "QINQING_TESTING"}}
    env.update({"QINQING_DATA_DIR": data_dir, "QINQING_BANK_SANDBOX": f"{data_dir}/bank.sqlite3",
                "PYTHONPATH": str(ROOT)})
    os.environ.clear()
    os.environ.update(env)
    cli = [sys.executable, "-m", "qinqing.cli"]
    subprocess.run([*cli, "migrate", "-v0"], check=True, env=env, cwd=ROOT)
    if not args.bare:
        subprocess.run([*cli, "loaddemo"], check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    _django(data_dir)
    if args.bare:
        from qinqing.accounts.models import Department
        from qinqing.regions.services import load_regions

        load_regions()
        Department.objects.get_or_create(code="RSJ", defaults={"name": "杭州市人力资源和社会保障局"})
    from qinqing.policies.gateway import gateway

    gateway().forget()  # type: ignore[attr-defined]  # the demo's own payouts are not part of the count
    n = args.payouts
    commit_seconds = _prepare(n)
    started = time.perf_counter()
    crashed_code = _kill_halfway(env, n, data_dir)
    restarted = time.perf_counter()
    subprocess.run([sys.executable, __file__, "--worker", "0"], check=True, env=env, cwd=ROOT)
    finished = time.perf_counter()

    from decimal import Decimal

    from qinqing.policies.models import FundPool, LedgerEntry, Payout
    from qinqing.policies.queries import reconcile

    statement = [t for t in gateway().statement() if t.reference.startswith("QQP")]
    ours = Payout.objects.filter(entitlement__policy__code="bench-payouts")
    refs = [t.reference for t in statement]
    pool = FundPool.objects.get(policy__code="bench-payouts")
    differences = [d for d in reconcile(statement) if d.reference in set(ours.values_list("reference", flat=True))]
    checks = {
        "worker killed (exit code)": crashed_code,
        "bank transfers": len(refs), "distinct references": len(set(refs)),
        "payouts paid": ours.filter(status="paid").count(),
        "pay ledger entries": LedgerEntry.objects.filter(payout__in=ours, kind="pay").count(),
        "pool paid": pool.paid, "expected": Decimal(AMOUNT) * n, "reconcile differences": len(differences),
    }
    ok = (crashed_code == -signal.SIGKILL and len(refs) == len(set(refs)) == n and checks["payouts paid"] == n
          and checks["pay ledger entries"] == n and pool.paid == Decimal(AMOUNT) * n and not differences)
    print(f"payouts: {n}, worker killed (SIGKILL) after the bank accepted payout {n // 2}, before its commit")
    print(f"  commit (entitlement → pool debit + ledger + payout row): {n / commit_seconds:,.0f}/s")
    print(f"  send until crash: {n // 2 / (restarted - started):,.0f}/s; restart and finish: "
          f"{restarted - started:.1f} s + {finished - restarted:.1f} s")
    if not args.bare:
        print(f"  per-record evaluator (one enterprise × one policy, facts from the datahub): "
              f"{_evaluator_rate():,.0f}/s")
    for key, value in checks.items():
        print(f"  {key}: {value}")
    print("zero duplicates, zero losses" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
