"""Where full matching's time goes: 300 policies over a frame shaped like the snapshot, no database.

    .venv/bin/python bench/profile_matching.py [--rows 480000] [--policies 300]

The frame has the snapshot's 16 columns with values drawn like the synthetic city's (numbers
log-normal, flags 是/否 and levels, region and industry codes); the policies are
`bench_matching.policies(…)`. Timed: building the expressions (Python), one `select` of every
policy's count and cost with common-subexpression elimination on (the bench's form) and off, the
same per policy (300 small plans), and the work per condition kind (one policy at a time, median).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qinqing.settings")


def frame(rows: int, seed: int = 5) -> Any:
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(seed)

    def money(scale: float) -> Any:
        return np.round(rng.lognormal(np.log(scale), 1.2, rows), 2)

    def pick(values: list[str], p: list[float] | None = None) -> Any:
        return rng.choice(values, rows, p=p)

    return pl.DataFrame({
        "uscc": [f"91330108{i:010d}" for i in range(rows)],
        "registry.status": pick(["存续", "在业", "注销", "吊销"], [0.6, 0.3, 0.07, 0.03]),
        "registry.registered_capital": money(3e6),
        "registry.region_code": pick(["330108001001", "330106002003", "330110004001", "330109001002"]),
        "registry.industry_code": pick(["I65", "I64", "C39", "C38", "M75", "M73", "C35", "F51"]),
        "registry.years_established": rng.integers(0, 30, rows),
        "annual.revenue": money(5e6), "annual.rd_spend": money(2e5), "annual.tax_paid": money(2e5),
        "annual.high_tech": pick(["是", "否"], [0.1, 0.9]), "annual.above_scale": pick(["是", "否"], [0.05, 0.95]),
        "annual.specialised": pick(["否", "市级", "省级", "国家级"], [0.96, 0.024, 0.012, 0.004]),
        "social.insured_count": rng.integers(0, 300, rows),
        "social.insured_start_last_year": rng.integers(1, 300, rows),
        "social.insured_end_last_year": rng.integers(0, 300, rows),
        "socialmonth.new_graduates": rng.integers(0, 3, rows),
    })


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=480_000)
    parser.add_argument("--policies", type=int, default=300)
    args = parser.parse_args()
    import polars as pl

    from bench.bench_matching import policies
    from qinqing.rules import batch
    from qinqing.rules.engine import parse_rule_set

    data = frame(args.rows)
    schema = batch.schema_of(data)
    items = policies(args.policies)
    specs = [parse_rule_set(p["conditions"]) for p in items]

    started = time.perf_counter()
    exprs = []
    for p, spec in zip(items, specs, strict=True):
        ok = batch.eligible_expr(spec, schema)
        amount = batch.value_expr(p["amount"], p["amount_reads"], schema)
        exprs += [ok.sum().alias(p["code"]), pl.when(ok).then(amount).otherwise(0.0).sum().alias(p["code"] + "_y")]
    built = time.perf_counter() - started
    print(f"rows {data.height:,}, policies {len(items)}, threads {pl.thread_pool_size()}")
    print(f"- build the expressions (Python): {built:.2f} s")
    for cse in (True, False):
        started = time.perf_counter()
        data.lazy().select(exprs).collect(optimizations=pl.QueryOptFlags(comm_subexpr_elim=cse))
        print(f"- one select, common-subexpression elimination {'on' if cse else 'off'}: "
              f"{time.perf_counter() - started:.2f} s")
    times = []
    started = time.perf_counter()
    for i in range(0, len(exprs), 2):
        one = time.perf_counter()
        data.lazy().select(exprs[i:i + 2]).collect()
        times.append(time.perf_counter() - one)
    print(f"- one plan per policy: {time.perf_counter() - started:.2f} s in all, median {statistics.median(times) * 1000:.0f} ms, "
          f"slowest {max(times) * 1000:.0f} ms")
    slow = sorted(zip(times, items, strict=True), key=lambda t: t[0], reverse=True)[:3]
    for seconds, p in slow:
        print(f"  slowest: {p['code']} {seconds * 1000:.0f} ms: {[c['key'] for c in p['conditions']]}")


if __name__ == "__main__":
    main()
