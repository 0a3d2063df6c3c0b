"""Benchmark of whole-registry policy matching over a synthetic city, beside the per-record evaluator.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gencity_bench QINQING_DATA_DIR=/tmp/gcb_pg \\
        .venv/bin/python bench/bench_matching.py [--enterprises 100000] [--policies 300] [--record]

Uses the database the environment names (SQLite in QINQING_DATA_DIR by default), migrates it and
tops the synthetic city up to --enterprises with `gencity` (timed) if it holds fewer. Then, with
300 generated policies (2–4 conditions each over registry, annual, social-insurance and tax facts,
one amount formula each, capped):

- snapshot: the facts the policies read, one row per enterprise, into Polars (COPY TO on PostgreSQL);
- full matching, Polars: eligibility and amount of every policy for every enterprise, one pass;
- full matching, SQL (PostgreSQL): the snapshot materialised as a table, then one scan counting the
  eligible enterprises of every policy;
- per-record evaluator: `rules.engine.evaluate` over a sample of enterprises × every policy, its
  rate, and the time the whole registry would take at that rate;
- simulate one policy: count, cost against the budget, split by district and industry section,
  sample of qualifying and near-miss enterprises (one condition missed), on the snapshot;
- re-match one enterprise after a fact change: `facts_for` + every policy through the evaluator.

Prints the figures; --record appends them to docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qinqing.settings")


def policies(count: int, seed: int = 11) -> list[dict[str, Any]]:
    """Policies shaped like Hangzhou's enterprise policies: conditions plus an amount formula with a cap."""
    rng = random.Random(seed)

    def var(name: str) -> dict[str, str]:
        return {"var": name}

    templates = [
        lambda: ("active", ["registry.status"], {"in": [var("registry.status"), ["存续", "在业"]]}),
        lambda: ("capital", ["registry.registered_capital"],
                 {">=": [var("registry.registered_capital"), rng.choice([1e6, 5e6, 1e7, 5e7])]}),
        lambda: ("high_tech", ["annual.high_tech"], {"==": [var("annual.high_tech"), "是"]}),
        lambda: ("specialised", ["annual.specialised"], {"in": [var("annual.specialised"), ["省级", "国家级"]]}),
        lambda: ("above_scale", ["annual.above_scale"], {"==": [var("annual.above_scale"), "是"]}),
        lambda: ("rd", ["annual.rd_spend"], {">=": [var("annual.rd_spend"), rng.choice([1e5, 5e5, 2e6])]}),
        lambda: ("rd_share", ["annual.rd_spend", "annual.revenue"],
                 {">=": [{"/": [var("annual.rd_spend"), var("annual.revenue")]}, rng.choice([0.03, 0.05])]}),
        lambda: ("employees", ["social.insured_count"], {">=": [var("social.insured_count"), rng.choice([10, 30, 100])]}),
        lambda: ("layoff", ["social.insured_start_last_year", "social.insured_end_last_year"], {"or": [
            {">=": [var("social.insured_end_last_year"), var("social.insured_start_last_year")]},
            {"<=": [{"/": [{"-": [var("social.insured_start_last_year"), var("social.insured_end_last_year")]},
                           var("social.insured_start_last_year")]}, 0.055]}]}),
        lambda: ("young", ["registry.years_established"],
                 {"<=": [var("registry.years_established"), rng.choice([3, 5, 10])]}),
        lambda: ("district", ["registry.region_code"],
                 {"in": [rng.choice(["330108", "330106", "330110", "330109"]), var("registry.region_code")]}),
        lambda: ("industry", ["registry.industry_code"],
                 {"in": [var("registry.industry_code"), rng.sample(["I65", "I64", "C39", "C38", "M75", "M73", "C35"], 3)]}),
        lambda: ("graduates", ["socialmonth.new_graduates"], {">=": [var("socialmonth.new_graduates"), 1]}),
        lambda: ("tax", ["annual.tax_paid"], {">=": [var("annual.tax_paid"), rng.choice([1e5, 1e6])]}),
    ]
    amounts = [
        (["annual.rd_spend"], lambda: {"min": [{"*": [var("annual.rd_spend"), rng.choice([0.1, 0.2, 0.5])]}, 2_000_000]}),
        (["social.insured_count"], lambda: {"min": [{"*": [var("social.insured_count"), 1_000]}, 500_000]}),
        (["annual.tax_paid"], lambda: {"min": [{"*": [var("annual.tax_paid"), 0.05]}, 1_000_000]}),
        ([], lambda: rng.choice([100_000, 200_000, 500_000])),
    ]
    out = []
    for number in range(count):
        chosen = rng.sample(templates, rng.randint(2, 4))
        conditions = []
        for index, make in enumerate(chosen):
            key, facts, expr = make()
            conditions.append({"key": f"{key}_{index}", "label": key, "failure": f"不符合：{key}", "facts": facts,
                               "expr": expr})
        reads, make_amount = rng.choice(amounts)
        out.append({"code": f"P{number:03d}", "conditions": conditions, "amount": make_amount(), "amount_reads": reads,
                    "budget": rng.choice([5e6, 2e7, 1e8])})
    return out


def timed(fn: Any, runs: int = 1) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--policies", type=int, default=300)
    parser.add_argument("--sample", type=int, default=1_000, help="enterprises run through the per-record evaluator")
    parser.add_argument("--rebuild", action="store_true", help="build the kept snapshot again even if it exists")
    parser.add_argument("--baseline", action="store_true",
                        help="also time the old per-call snapshot (DISTINCT ON over the records) of one policy's facts")
    parser.add_argument("--sql", action="store_true", help="also time full matching in SQL on the kept table")
    parser.add_argument("--skip-full", action="store_true", help="skip full matching (simulate and re-match only)")
    parser.add_argument("--record", action="store_true", help="append the figures to docs/performance.md")
    args = parser.parse_args()

    import django

    django.setup()
    import polars as pl
    from django.core.management import call_command
    from django.db import connection

    from qinqing.datahub import snapshot
    from qinqing.datahub.models import RegistryRecord
    from qinqing.datahub.queries import fact_values, facts_for
    from qinqing.datahub.synthetic.city import CityPlan, generate_city
    from qinqing.policies import facttable
    from qinqing.policies.formula import parse_formula
    from qinqing.policies.fullmatch import match_registry
    from qinqing.policies.matching import Compiled, evaluate_enterprise, qualifies_on_row
    from qinqing.policies.models import Policy, PolicyVersion
    from qinqing.regions.models import Region
    from qinqing.rules import batch
    from qinqing.rules.engine import APPROVE, evaluate, parse_rule_set

    call_command("migrate", verbosity=0)
    lines: list[str] = []

    def say(text: str) -> None:
        print(text, flush=True)
        lines.append(text)

    vendor = connection.vendor
    have = RegistryRecord.objects.filter(synthetic=True).count()
    if have < args.enterprises:
        cpu = time.process_time()
        seconds, _ = timed(lambda: generate_city(CityPlan(enterprises=args.enterprises - have)))
        say(f"- gencity {args.enterprises - have:,} enterprises: {seconds:.1f} s "
            f"({(args.enterprises - have) / seconds:,.0f}/s; {time.process_time() - cpu:.1f} s CPU in Python)")
    total = RegistryRecord.objects.count()
    items = policies(args.policies)
    specs = [parse_rule_set(p["conditions"]) for p in items]
    facts = sorted({f for p in items for c in p["conditions"] for f in c["facts"]} | {"registry.region_code",
                                                                                      "registry.industry_code"})
    schema = snapshot.schema()
    declared = list(schema)
    city = Region.objects.get(code="330100")
    say(f"- database {vendor}, {total:,} enterprises, {len(items)} policies reading {len(facts)} facts")

    # The kept snapshot: built once (set-based), then kept by the consumer; rebuilt here only if asked or absent.
    if args.rebuild or facttable.state() is None:
        seconds, rows = timed(facttable.rebuild)
        say(f"- kept snapshot built (rebuildfacts: INSERT … SELECT, {len(facttable.declared())} fact columns): "
            f"{seconds:.1f} s for {rows:,} enterprises")

    seconds, frame = timed(lambda: facttable.read(facts), runs=1 if args.skip_full else 3)
    say(f"- read the kept snapshot's {len(facts)} columns into Polars (COPY TO, CSV): {seconds:.2f} s "
        f"({frame.height:,} rows; median of {1 if args.skip_full else 3})")

    compiled = [(number, Compiled(
        version=PolicyVersion(policy=Policy(region=city), number=1, eligibility=p["conditions"],
                              amount={"expr": p["amount"], "cap": "2000000"}),
        spec=spec, formula=parse_formula({"expr": p["amount"], "cap": "2000000"}, declared), region_path=city.path,
        region_name=city.name)) for number, (p, spec) in enumerate(zip(items, specs, strict=True))]
    if not args.skip_full:
        # Same-run baseline: the former full matching, one Polars select of every policy's count and cost.
        def one_select() -> Any:
            exprs = []
            for p, spec in zip(items, specs, strict=True):
                ok = batch.eligible_expr(spec, schema)
                amount = batch.value_expr(p["amount"], p["amount_reads"], schema)
                exprs += [ok.sum().alias(p["code"]), pl.when(ok).then(amount).otherwise(0.0).sum().alias(p["code"] + "_yuan")]
            return frame.lazy().select(exprs).collect()

        base, _ = timed(one_select)
        say(f"- baseline, full matching as before (one Polars select, 300 plans' expressions, CSE on): {base:.2f} s "
            f"(compute only)")

        seconds, run = timed(lambda: match_registry(compiled), runs=3)
        say(f"- full matching, new (match_registry: read the kept snapshot + {run.conditions} distinct conditions and "
            f"{run.formulas} formulas computed once + one filter per policy + fen, {run.rechecked:,} amounts rechecked in "
            f"Decimal): {seconds:.2f} s end to end for {len(compiled)} policies × {run.evaluated:,} enterprises "
            f"({run.matches.height:,} entitlements; median of 3)")
        parts = 2
        seconds, runs = timed(lambda: [match_registry(compiled, partitions=parts, part=i) for i in range(parts)])
        assert sum(r.matches.height for r in runs) == run.matches.height
        say(f"- the same in {parts} partitions one after the other (as {parts} Huey jobs on {parts} workers would run "
            f"them): {seconds:.2f} s in all, {seconds / parts:.2f} s per partition")

    if vendor == "postgresql" and args.sql:
        wheres = [batch.sql_eligible(spec, schema, vendor=vendor) for spec in specs]
        sql = ("SELECT " + ", ".join(f"COUNT(*) FILTER (WHERE {w.sql})" for w in wheres)
               + f' FROM "{facttable.TABLE}" WHERE "_in_registry" = 1')
        params = [x for w in wheres for x in w.params]

        def match_sql() -> Any:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchone()

        seconds, _counts = timed(match_sql)
        say(f"- full matching, SQL on the kept table: {seconds:.2f} s (one scan, {len(items)} counts)")

    sample = frame.sample(n=min(args.sample, frame.height), seed=3).to_dicts()
    nested = [batch.nest(row) for row in sample]

    def per_record() -> int:
        return sum(evaluate(spec, facts_).outcome == APPROVE for facts_ in nested for spec in specs)

    seconds, _ = timed(per_record)
    rate = len(nested) * len(specs) / seconds
    say(f"- per-record evaluator: {rate:,.0f} policy evaluations/s ({len(nested):,} enterprises × {len(specs)}); "
        f"the whole registry would take {frame.height * len(specs) / rate:,.0f} s")

    # Simulate one policy through the policies app (`run_simulation`: match_all on the kept snapshot, Decimal
    # amounts, by region and industry, samples, near misses explained per record).
    from qinqing.policies.conditions import ConditionsInvalid, check_eligibility
    from qinqing.policies.services.authoring import qualifying_count, run_simulation

    version = None
    for p in items:
        try:
            check_eligibility(p["conditions"], declared)
        except ConditionsInvalid:
            continue  # a condition with a division: policies refuse it
        version = PolicyVersion(policy=Policy(region=city), number=1, eligibility=p["conditions"],
                                amount={"expr": p["amount"], "cap": "2000000"})
        break
    assert version is not None
    seconds, sim = timed(lambda: run_simulation(version, sample=10), runs=3)
    method = "in SQL on the kept table" if connection.vendor == "postgresql" else "Polars over the kept snapshot"
    say(f"- simulate one policy (run_simulation, {method}: count, cost vs budget, by region and industry, "
        f"10 samples, 10 near misses): {seconds:.2f} s ({sim.evaluated:,} enterprises, {sim.qualifying:,} qualify, "
        f"{sim.total:,.2f} yuan; median of 3)")
    if connection.vendor == "postgresql":
        # Same-run baseline: the Polars path (the region's snapshot copied out), which must say exactly the same.
        from unittest import mock

        def polars_simulation() -> Any:
            with mock.patch("qinqing.policies.services.authoring.simulate", return_value=None):
                return run_simulation(version, sample=10)

        seconds, former = timed(polars_simulation, runs=3)

        def said(s: Any) -> Any:
            return (s.evaluated, s.qualifying, s.total, s.by_region, s.by_industry,
                    [(m.enterprise_id, m.amount) for m in s.sample],
                    [(m.enterprise_id, m.failed[0].key) for m in s.near_misses])

        assert said(sim) == said(former), "the SQL simulation differs from the Polars one"
        say(f"- baseline, simulate through Polars (COPY of the region's snapshot, as before): {seconds:.2f} s "
            f"(median of 3; the same answers, checked)")
    seconds, count = timed(lambda: qualifying_count(eligibility=version.eligibility, region=city), runs=3)
    say(f"- the condition builder's live count (qualifying_count): {seconds:.2f} s ({count:,}; median of 3)")
    if args.baseline:
        seconds, _ = timed(lambda: snapshot.build_snapshot(
            sorted({f for c in version.eligibility for f in c["facts"]} | {"registry.industry_name"}),
            region_path=city.path))
        say(f"- baseline, the former per-call snapshot of that policy's facts (DISTINCT ON over the records): "
            f"{seconds:.2f} s")

    # Re-match one enterprise after a fact change: the consumer reads its row again, then every policy on it.
    from django.utils import timezone

    from qinqing.accounts.models import Enterprise

    target = sample[0]["uscc"]
    firm = Enterprise.objects.select_related("region").get(uscc=target)
    path = firm.region.path if firm.region is not None else ""
    usable = []
    for (_n, c), p in zip(compiled, items, strict=True):
        try:
            check_eligibility(p["conditions"], declared)
        except ConditionsInvalid:
            continue
        usable.append(c)
    txid, seq = facttable.head()
    with connection.cursor() as cursor:  # above the row's own position (an earlier run of this bench moved it)
        cursor.execute(f'SELECT "_txid", "_seq" FROM "{facttable.TABLE}" WHERE uscc = %s', [target])
        row_txid, row_seq = cursor.fetchone()
    txid, seq = max((txid, seq), (int(row_txid), int(row_seq)))
    step = [seq + 1]

    def rematch_new() -> int:
        step[0] += 1
        facttable.refresh([target], (txid, step[0]))  # the consumer's read of the changed row
        row = facttable.row_of(target)
        assert row is not None
        today = timezone.localdate()
        seen: dict[str, bool] = {}
        return sum(qualifies_on_row(c, row, today, seen) for c in usable if path.startswith(c.region_path))

    seconds, _ = timed(rematch_new, runs=21)
    say(f"- re-match one enterprise after a fact change, new (refresh its snapshot row + read it by key + "
        f"{len(usable)} policies on it): {seconds * 1000:.1f} ms (median of 21)")

    def refresh_only() -> int:
        step[0] += 1
        return facttable.refresh([target], (txid, step[0]))

    seconds, _ = timed(refresh_only, runs=21)
    say(f"-   of which the row's refresh: {seconds * 1000:.1f} ms (median of 21)")

    def rematch_old() -> int:
        found = facts_for(firm.uscc)
        return sum(evaluate_enterprise(c, firm, facts=found).eligible for c in usable)

    seconds, _ = timed(rematch_old, runs=11)
    say(f"- baseline, re-match as before (facts_for + evaluate_enterprise × {len(usable)}): "
        f"{seconds * 1000:.1f} ms (median of 11)")
    values = fact_values(facts_for(target))
    assert sum(evaluate(c.spec, values).outcome == APPROVE for c in usable) >= 0

    if args.record:
        header = (f"\n#### {time.strftime('%Y-%m-%d')}, {vendor}, {total:,} enterprises, {len(items)} policies "
                  f"({platform.python_version()}, {os.cpu_count()} cores)\n\n")
        with (ROOT / "docs" / "performance.md").open("a", encoding="utf-8") as handle:
            handle.write(header + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
