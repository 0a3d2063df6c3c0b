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
from functools import reduce
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
    say(f"- database {vendor}, {total:,} enterprises, {len(items)} policies reading {len(facts)} facts")

    seconds, frame = timed(lambda: snapshot.build_snapshot(facts))
    say(f"- snapshot into Polars: {seconds:.2f} s ({frame.height:,} rows × {frame.width} columns)")

    def match_all() -> Any:
        exprs = []
        for p, spec in zip(items, specs, strict=True):
            ok = batch.eligible_expr(spec, schema)
            amount = batch.value_expr(p["amount"], p["amount_reads"], schema)
            exprs += [ok.sum().alias(p["code"]), pl.when(ok).then(amount).otherwise(0.0).sum().alias(p["code"] + "_yuan")]
        return frame.lazy().select(exprs).collect()

    seconds, result = timed(match_all, runs=3)
    eligible = sum(int(result[p["code"]][0]) for p in items)
    say(f"- full matching, Polars: {seconds:.2f} s for {len(items)} policies × {frame.height:,} enterprises "
        f"({eligible:,} entitlements; median of 3)")

    if vendor == "postgresql":
        seconds, table = timed(lambda: snapshot.materialise_snapshot(facts=facts))
        say(f"- snapshot table (CREATE UNLOGGED TABLE AS): {seconds:.2f} s")
        wheres = [batch.sql_eligible(spec, schema, vendor=vendor) for spec in specs]
        sql = "SELECT " + ", ".join(f"COUNT(*) FILTER (WHERE {w.sql})" for w in wheres) + f' FROM "{table}"'
        params = [x for w in wheres for x in w.params]

        def match_sql() -> Any:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchone()

        seconds, counts = timed(match_sql, runs=3)
        assert [int(c) for c in counts] == [int(result[p["code"]][0]) for p in items], "SQL and Polars disagree"
        say(f"- full matching, SQL: {seconds:.2f} s (one scan, {len(items)} counts, equal to Polars; median of 3)")

        one = batch.sql_eligible(specs[0], schema, vendor=vendor)

        def simulate_sql() -> Any:
            with connection.cursor() as cursor:
                cursor.execute(f'SELECT substr("registry.region_code", 1, 6), COUNT(*) FROM "{table}" '
                               f"WHERE {one.sql} GROUP BY 1", one.params)
                return cursor.fetchall()

        seconds, _ = timed(simulate_sql, runs=3)
        say(f"- simulate one policy, SQL (count by district): {seconds * 1000:.0f} ms")

    sample = frame.sample(n=min(args.sample, frame.height), seed=3).to_dicts()
    nested = [batch.nest(row) for row in sample]

    def per_record() -> int:
        return sum(evaluate(spec, facts_).outcome == APPROVE for facts_ in nested for spec in specs)

    seconds, _ = timed(per_record)
    rate = len(nested) * len(specs) / seconds
    say(f"- per-record evaluator: {rate:,.0f} policy evaluations/s ({len(nested):,} enterprises × {len(specs)}); "
        f"the whole registry would take {frame.height * len(specs) / rate:,.0f} s")
    usccs = [row["uscc"] for row in sample[:50]]
    seconds, _ = timed(lambda: [facts_for(u) for u in usccs])
    say(f"- facts_for (database, per enterprise): {seconds / len(usccs) * 1000:.1f} ms")

    def simulate() -> Any:
        spec, p = specs[0], items[0]
        with_outcomes = batch.outcomes(frame.lazy(), spec, schema).with_columns(
            batch.value_expr(p["amount"], p["amount_reads"], schema).alias("amount"))
        keys = [c.key for c in spec.conditions]
        misses = reduce(lambda a, b: a + b, [(~pl.col(k).fill_null(False)).cast(pl.Int32) for k in keys])
        done = with_outcomes.with_columns(misses.alias("misses")).collect()
        chosen = done.filter(pl.col("eligible"))
        return {
            "count": chosen.height, "cost": chosen["amount"].fill_null(0).sum(), "budget": p["budget"],
            "by_district": chosen.group_by(pl.col("registry.region_code").str.slice(0, 6)).len(),
            "by_section": chosen.group_by(pl.col("registry.industry_code").str.slice(0, 1)).len(),
            "sample": chosen.head(10), "near_misses": done.filter(pl.col("misses") == 1).head(10),
        }

    seconds, sim = timed(simulate, runs=3)
    say(f"- simulate one policy, Polars (count, cost, by district and section, samples, near misses): "
        f"{seconds * 1000:.0f} ms ({sim['count']:,} qualify, cost {sim['cost']:,.0f} yuan of {sim['budget']:,.0f})")

    # The policies app's own entry point: `policies.matching.match_all` over a real policy version, end to
    # end (snapshot of the region's enterprises with only this policy's facts, conditions in Polars,
    # Decimal amounts of the qualifying rows): what simulate, publish and the builder's live count run.
    from qinqing.policies.conditions import ConditionsInvalid, check_eligibility
    from qinqing.policies.matching import match_all as policy_match_all
    from qinqing.policies.models import Policy, PolicyVersion
    from qinqing.regions.models import Region

    declared = list(snapshot.schema())
    city = Region.objects.get(code="330100")
    version = None
    for p in items:
        try:
            check_eligibility(p["conditions"], declared)
        except ConditionsInvalid:
            continue  # a condition with a division: the bench's own Polars form covers it, policies refuse it
        version = PolicyVersion(policy=Policy(region=city), number=1, eligibility=p["conditions"],
                                amount={"expr": p["amount"], "cap": "2000000"})
        break
    if version is not None:
        seconds, run = timed(lambda: policy_match_all(version, near_misses=10), runs=3)
        say(f"- simulate one policy through policies.match_all (snapshot of its facts + Polars + Decimal amounts, "
            f"{run.method}): {seconds:.2f} s ({run.evaluated:,} enterprises, {len(run.eligible):,} qualify, "
            f"{len(run.near_misses)} near misses; median of 3)")
        parts = 4
        seconds, runs = timed(lambda: [policy_match_all(version, partitions=parts, part=i) for i in range(parts)])
        say(f"- the same in {parts} partitions one after the other (as {parts} Huey jobs would run them): "
            f"{seconds:.2f} s in all, {seconds / parts:.2f} s per partition")
        assert sum(len(r.eligible) for r in runs) == len(run.eligible)

    target = sample[0]["uscc"]

    def rematch() -> int:
        values = fact_values(facts_for(target))
        return sum(evaluate(spec, values).outcome == APPROVE for spec in specs)

    seconds, _ = timed(rematch, runs=20)
    say(f"- re-match one enterprise (facts_for + {len(specs)} policies): {seconds * 1000:.1f} ms (median of 20)")

    # The policies app's re-match after a fact change (`services.claims.rematch_enterprise` without its writes):
    # one facts_for, then every compiled policy version (kept compiled per process) through the evaluator.
    from qinqing.accounts.models import Enterprise
    from qinqing.policies.matching import Compiled, evaluate_enterprise

    compiled_all: list[Compiled] = []
    for p in items:
        try:
            spec = check_eligibility(p["conditions"], declared)
        except ConditionsInvalid:
            continue
        from qinqing.policies.formula import parse_formula

        compiled_all.append(Compiled(
            version=PolicyVersion(policy=Policy(region=city), number=1, eligibility=p["conditions"],
                                  amount={"expr": p["amount"], "cap": "2000000"}),
            spec=spec, formula=parse_formula({"expr": p["amount"], "cap": "2000000"}, declared),
            region_path=city.path, region_name=city.name))
    firm = Enterprise.objects.select_related("region").get(uscc=target)

    def rematch_policies() -> int:
        facts = facts_for(firm.uscc)
        return sum(evaluate_enterprise(c, firm, facts=facts).eligible for c in compiled_all)

    seconds, _ = timed(rematch_policies, runs=20)
    say(f"- re-match one enterprise, policies path (facts_for + evaluate_enterprise × {len(compiled_all)} "
        f"compiled policies): {seconds * 1000:.1f} ms (median of 20)")

    if args.record:
        header = (f"\n#### {time.strftime('%Y-%m-%d')}, {vendor}, {total:,} enterprises, {len(items)} policies "
                  f"({platform.python_version()}, {os.cpu_count()} cores)\n\n")
        with (ROOT / "docs" / "performance.md").open("a", encoding="utf-8") as handle:
            handle.write(header + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
