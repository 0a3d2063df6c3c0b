"""Benchmark of the street cockpit on a synthetic city: summary, drill-down, ingestion while serving, rebuild.

    psql -h 127.0.0.1 -U postgres -c "create database h_cdata_bench"
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_cdata_bench QINQING_DATA_DIR=/tmp/h_cdata_bench \\
        nice -n 10 .venv/bin/python bench/bench_cockpit.py --enterprises 300000 --rounds 3

Uses the database the environment names, migrates it and tops the synthetic city up to --enterprises
with `gencity` (one year of annual figures, no monthly records: the cockpit reads the registry, the
social-insurance registration, the latest annual report and the abnormal-operations list). Then:

- events: the city's own (one EnterpriseFactsChanged per enterprise, as `gencity` writes them) plus
  --rounds monthly rounds, each one event per enterprise as a monthly social-insurance import emits
  them, with real changes in a few of them (0.5 % move to another street, 0.2 % deregister, 0.2 % are
  listed as abnormal, 1 % lose 40 % of their insured employees);
- ingestion while serving: the cockpit consumer applies the whole outbox while a second thread asks
  street summaries without pause; events/s, and the summaries' latency during it;
- street summary: `queries.summary` of sampled streets (p50, p95), beside a naive GROUP BY over the
  registry joined to the region tree for the same streets;
- drill-down step: what a click on a child needs (its summary, its children, its breadcrumb), from the
  city down to communities, beside the naive counts of the same;
- rebuild: `rebuild_cockpit()` timed, then every aggregate row and every state compared with the ones
  the consumer kept (SQL EXCEPT both ways), beside one naive full-registry GROUP BY.

On a prepared city (a copy of one made by `gencity`, `--existing`), the steps run one at a time with
`--phase`, so the bulk runs niced in the background and only the measured window under the bench lock:

    --phase write --rounds 6 --share 1.0     monthly rounds of events written to the outbox (no ingestion)
    --phase fill --rounds 4                   monthly rounds without any change, written set-based by SQL
                                              (the bulk of a 10 M-event outbox; PostgreSQL)
    --phase prepare                           the read models of the whole city from the tables (the rebuild
                                              with the backlog skipped: the cursor placed after the newest event)
    --phase ingest                            the consumer applies the outbox until caught up (progress lines)
    --phase window --window 500000            ingestion while serving, measured on the next N events, with a
                                              reader thread asking street summaries (--read-rate per second)
    --phase reads                             street summary and drill-down, each beside the naive reads
    --phase rebuild                           the full rebuild, then the compare (IDENTICAL or the differences)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qinqing.settings")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def ms(values: list[float]) -> str:
    return f"p50 {pct(values, 0.5) * 1000:.1f} ms, p95 {pct(values, 0.95) * 1000:.1f} ms (n={len(values)})"


def timed(fn: Any, *args: Any, **kwargs: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - started, out


def say(text: str) -> None:
    print(text, flush=True)


# ---- the city and its events ------------------------------------------------------------------------

def ensure_city(enterprises: int) -> None:
    from qinqing.datahub.models import RegistryRecord
    from qinqing.datahub.synthetic.city import CityPlan, generate_city

    have = RegistryRecord.objects.filter(synthetic=True).count()
    if have >= enterprises:
        say(f"city: {have:,} synthetic enterprises already")
        return
    plan = CityPlan(enterprises=enterprises - have, months=0, years=1, batch=20_000)
    seconds, counts = timed(generate_city, plan)
    say(f"gencity: {counts['enterprises']:,} enterprises, {counts['records']:,} data records, "
        f"{counts['events']:,} events in {seconds:.0f} s ({counts['enterprises'] / seconds:,.0f}/s)")


def churn(rounds: int, seed: int = 7, share: float = 1.0) -> int:
    """Monthly rounds of events with a few real changes each; returns how many events were written."""
    from django.db import connection

    from qinqing.core import events
    from qinqing.core.events import EnterpriseFactsChanged
    from qinqing.datahub.models import RegistryRecord
    from qinqing.regions.models import Region

    rng = random.Random(seed)
    everyone = list(RegistryRecord.objects.filter(synthetic=True).values_list("uscc", "region_code"))
    rows = random.Random(seed + 1).sample(everyone, k=int(len(everyone) * share))
    streets = list(Region.objects.filter(level__in=["street", "community"]).values_list("code", flat=True))
    written = 0
    for number in range(rounds):
        started = time.perf_counter()
        picks = rng.sample(range(len(rows)), k=max(1, len(rows) // 50))
        moved, gone, listed, dropped = (picks[0::5][: len(rows) // 200], picks[1::5][: len(rows) // 500],
                                        picks[2::5][: len(rows) // 500], picks[3::5][: len(rows) // 100])
        with connection.cursor() as cursor:
            for i in moved:
                code = rng.choice(streets)
                cursor.execute("UPDATE datahub_registryrecord SET region_code = %s WHERE uscc = %s", [code, rows[i][0]])
                rows[i] = (rows[i][0], code)
            cursor.execute("UPDATE datahub_registryrecord SET status = '注销' WHERE uscc = ANY(%s)",
                           [[rows[i][0] for i in gone]])
            cursor.execute(
                "UPDATE datahub_datarecord SET data = jsonb_set(data, '{insured_count}', "
                "to_jsonb(((data->>'insured_count')::int * 6) / 10)) "
                "WHERE source_id = (SELECT id FROM datahub_source WHERE code = 'social_insurance') AND uscc = ANY(%s)",
                [[rows[i][0] for i in dropped]])
            cursor.execute(
                "INSERT INTO datahub_datarecord (source_id, uscc, key, category, title, data, as_of, imported_at, synthetic) "
                "SELECT (SELECT id FROM datahub_source WHERE code = 'abnormal_operations'), u, 'A' || u || %s, '', "
                "'未按规定报送年度报告', jsonb_build_object('decision_no', 'A' || u || %s, 'listed_on', %s::text, "
                "'reason', '未按规定报送年度报告'), now(), now(), true FROM unnest(%s::text[]) AS u",
                [f"{seed}-{number}", f"{seed}-{number}", "2026-12-01", [rows[i][0] for i in listed]])
        # Each event names the source that changed, as an import emits it.
        source = {rows[i][0]: "market_registry" for i in (*moved, *gone)}
        source.update({rows[i][0]: "social_insurance" for i in dropped})
        source.update({rows[i][0]: "abnormal_operations" for i in listed})
        for start in range(0, len(rows), 50_000):
            with events.atomic():
                events.emit_many([EnterpriseFactsChanged(sources=(source.get(uscc, "social_monthly"),), fields=(),
                                                         enterprise=uscc, region=code)
                                  for uscc, code in rows[start:start + 50_000]])
        written += len(rows)
        say(f"round {number + 1}: {len(rows):,} events ({len(moved)} moves, {len(gone)} deregistrations, "
            f"{len(listed)} listed abnormal, {len(dropped)} headcount drops) in {time.perf_counter() - started:.0f} s "
            f"({len(rows) / (time.perf_counter() - started):,.0f} events/s written)")
    return written


def fill(rounds: int, chunk: int = 250_000) -> int:
    """Monthly rounds of events that change nothing the cockpit reads, written set-based (PostgreSQL).

    One `EnterpriseFactsChanged` per synthetic enterprise naming `social_monthly` (the row `churn` writes for
    an enterprise without a change, as a monthly import emits it: same name, version, payload, subject and
    the writing transaction's id), by `INSERT … SELECT` over the registry in transactions of `chunk` rows:
    the bulk of a 10 M-event outbox in minutes instead of an hour of Python. No data record changes.
    """
    from django.db import connection, transaction

    from qinqing.core.events import EnterpriseFactsChanged

    payload = EnterpriseFactsChanged(sources=("social_monthly",), fields=(), enterprise="").payload()
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id) FROM datahub_registryrecord WHERE synthetic")
        low, high = cursor.fetchone()
    written = 0
    for number in range(rounds):
        started = time.perf_counter()
        before = written
        for start in range(low, high + 1, chunk):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO core_outboxevent (txid, name, version, payload, enterprise, region, occurred_at) "
                    "SELECT pg_current_xact_id()::text::bigint, %s, %s, %s::jsonb, uscc, region_code, now() "
                    "FROM datahub_registryrecord WHERE synthetic AND id >= %s AND id < %s ORDER BY id",
                    [EnterpriseFactsChanged.NAME, EnterpriseFactsChanged.VERSION, json.dumps(payload),
                     start, start + chunk])
                written += cursor.rowcount
        seconds = time.perf_counter() - started
        say(f"filler round {number + 1}: {written - before:,} events (no change) in {seconds:.0f} s "
            f"({(written - before) / max(seconds, 1e-9):,.0f} events/s written)")
    return written


# ---- naive reads over the raw tables -------------------------------------------------------------------

NAIVE_SUMMARY = """
SELECT r.status, substr(r.industry_code, 1, 1),
       CASE WHEN r.registered_capital >= 100000000 THEN 'ge100m' WHEN r.registered_capital >= 10000000 THEN '10m_100m'
            WHEN r.registered_capital >= 5000000 THEN '5m_10m' WHEN r.registered_capital >= 1000000 THEN '1m_5m'
            ELSE 'lt1m' END, count(*)
FROM datahub_registryrecord r JOIN regions_region g ON g.code = r.region_code
WHERE g.path LIKE %s
GROUP BY GROUPING SETS ((1), (2), (3))
"""
NAIVE_CHILDREN = """
SELECT c.code, count(*) FROM datahub_registryrecord r JOIN regions_region g ON g.code = r.region_code
JOIN regions_region c ON c.parent_id = %s AND g.path LIKE c.path || '%%'
WHERE r.status IN ('存续', '在业') GROUP BY c.code
"""


def naive_summary(path: str) -> list[Any]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(NAIVE_SUMMARY, [path + "%"])
        return list(cursor.fetchall())


def naive_step(node: Any) -> None:
    from django.db import connection

    naive_summary(node.path)
    with connection.cursor() as cursor:
        cursor.execute(NAIVE_CHILDREN, [node.pk])
        cursor.fetchall()


# ---- the measures ----------------------------------------------------------------------------------------

def sample_streets(count: int, seed: int = 3) -> list[Any]:
    from qinqing.regions.models import Region

    streets = list(Region.objects.filter(level="street"))
    return random.Random(seed).sample(streets, k=min(count, len(streets)))


def street_summaries(streets: list[Any], repeat: int) -> list[float]:
    from qinqing.cockpit import queries

    out = []
    for _ in range(repeat):
        for street in streets:
            out.append(timed(queries.summary, street)[0])
    return out


def drill_steps(limit: int) -> list[float]:
    """City → districts → streets → communities, one click each: the child's summary, children, breadcrumb."""
    from qinqing.cockpit import queries
    from qinqing.regions.models import Region

    def step(node: Any) -> None:
        queries.summary(node)
        queries.children(node)
        queries.breadcrumb(node)

    out: list[float] = []
    frontier = list(Region.objects.filter(parent__isnull=True))
    while frontier and len(out) < limit:
        node = frontier.pop(0)
        out.append(timed(step, node)[0])
        frontier += list(Region.objects.filter(parent=node, active=True).order_by("code"))
    return out


class Reader(threading.Thread):
    """Asks street summaries without pause while the consumer ingests."""

    def __init__(self, streets: list[Any], rate: float) -> None:
        super().__init__(daemon=True)
        self.streets, self.stop = streets, threading.Event()
        self.latencies: list[float] = []
        self.pause = 1 / rate if rate > 0 else 0.0

    def run(self) -> None:
        from django.db import connection

        from qinqing.cockpit import queries

        try:
            while not self.stop.is_set():
                for street in self.streets:
                    self.latencies.append(timed(queries.summary, street)[0])
                    if self.pause:
                        time.sleep(self.pause)
                    if self.stop.is_set():
                        break
        finally:
            connection.close()


def ingest(streets: list[Any], rate: float, budget: float = 0, limit: int = 0,
           ) -> tuple[int, float, float, list[float]]:
    """Apply the whole outbox; time spent waiting for another session's open transaction is counted apart.

    (On PostgreSQL a consumer never passes an event of a transaction that may still commit: on a shared
    cluster an open transaction in any database holds every consumer back until it ends.)
    """
    from qinqing.cockpit.services.ingest import CONSUMER
    from qinqing.core import events

    reader = Reader(streets, rate)
    if streets:
        reader.start()
    started = time.perf_counter()
    applied, stalled, last = 0, 0.0, started
    while True:
        before = time.perf_counter()
        done = events.consume(CONSUMER, batches=1 if limit else 20)
        applied += done
        now = time.perf_counter()
        if (budget and now - started > budget) or (limit and applied >= limit):
            break
        if not done:
            if not events.lag().get(CONSUMER):
                break
            time.sleep(0.5)
            stalled += time.perf_counter() - before
        if now - last > 30:
            say(f"  … {applied:,} events applied, {applied / max(now - started - stalled, 1e-9):,.0f}/s "
                f"(stalled {stalled:.0f} s)")
            last = now
    seconds = time.perf_counter() - started
    reader.stop.set()
    if streets:
        reader.join()
    return applied, seconds, stalled, reader.latencies


COMPARE = {
    "cockpit_dailyaggregate": "node, measure, dimension, day, count, amount_fen",
    "cockpit_nodetotal": "node, measure, dimension, count, amount_fen",
    "cockpit_enterprisestate": "uscc, name, region_id, path, status, industry, size, capital, capital_band, tags, "
                               "headcount, established_on, tax_paid, tax_year, first_seen_at",
}
NONZERO = {"cockpit_dailyaggregate": "count <> 0 OR amount_fen <> 0", "cockpit_nodetotal": "count <> 0 OR amount_fen <> 0",
           "cockpit_enterprisestate": "true"}


def rebuild_and_compare() -> tuple[float, dict[str, tuple[int, int]], dict[str, int]]:
    from django.db import connection

    from qinqing.cockpit.services.rebuild import rebuild_cockpit

    with connection.cursor() as cursor:
        for table, columns in COMPARE.items():
            cursor.execute(f"DROP TABLE IF EXISTS bench_{table}")
            cursor.execute(f"CREATE TABLE bench_{table} AS SELECT {columns} FROM {table} WHERE {NONZERO[table]}")
    seconds, counts = timed(rebuild_cockpit, actor="bench")
    differences = {}
    with connection.cursor() as cursor:
        for table, columns in COMPARE.items():
            cursor.execute(f"SELECT count(*) FROM (SELECT {columns} FROM {table} WHERE {NONZERO[table]} "
                           f"EXCEPT ALL SELECT {columns} FROM bench_{table}) AS x")
            extra = cursor.fetchone()[0]
            cursor.execute(f"SELECT count(*) FROM (SELECT {columns} FROM bench_{table} "
                           f"EXCEPT ALL SELECT {columns} FROM {table} WHERE {NONZERO[table]}) AS x")
            missing = cursor.fetchone()[0]
            differences[table] = (extra, missing)
            cursor.execute(f"DROP TABLE bench_{table}")
    return seconds, differences, counts


def naive_full_scan() -> float:
    from django.db import connection

    def scan() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT g.path, r.status, substr(r.industry_code, 1, 1), count(*) FROM datahub_registryrecord r "
                           "JOIN regions_region g ON g.code = r.region_code GROUP BY 1, 2, 3")
            cursor.fetchall()

    return timed(scan)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--streets", type=int, default=40, help="streets sampled for the summary")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--steps", type=int, default=120, help="drill-down steps measured")
    parser.add_argument("--read-rate", type=float, default=20.0, help="summaries per second while ingesting (0: flat out)")
    parser.add_argument("--share", type=float, default=0.25, help="share of the city in each monthly round")
    parser.add_argument("--first-sight-seconds", type=float, default=180, help="time budget of step 1")
    parser.add_argument("--no-rebuild", action="store_true")
    parser.add_argument("--from-step", type=int, default=1, help="1: all; 3: the city's read models are built")
    parser.add_argument("--no-horizon", action="store_true", help="do not wait for other databases' transactions")
    parser.add_argument("--existing", action="store_true", help="a prepared city: no gencity, no migration of data")
    parser.add_argument("--phase", choices=("all", "write", "fill", "prepare", "ingest", "window", "reads", "rebuild"), default="all")
    parser.add_argument("--window", type=int, default=500_000, help="events measured by --phase window")
    parser.add_argument("--limit", type=int, default=0, help="--phase ingest stops after about this many events")
    parser.add_argument("--seed", type=int, default=7, help="seed of the monthly rounds (vary it between runs)")
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from qinqing.cockpit.services.alerts import load_default_rules
    from qinqing.core.models import OutboxEvent

    say(f"database: {connection.vendor} {connection.settings_dict.get('NAME')}; load {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} cores")
    call_command("migrate", verbosity=0)
    load_default_rules()
    if not args.existing:
        ensure_city(args.enterprises)

    say(f"outbox: {OutboxEvent.objects.count():,} events")
    streets = sample_streets(args.streets)
    if args.no_horizon:
        # The bench's database has no other writer: read the outbox without waiting for transactions of other
        # databases of the cluster (ids are cluster-wide; another session idle in a transaction holds every
        # consumer back until it ends, which measures the neighbours, not the consumer).
        from qinqing.core.events import consumers

        consumers._HORIZON = "9223372036854775807"
    if args.phase != "all":
        run_phase(streets, args)
        return
    if args.from_step <= 1:
        step_one(streets, args)
    if args.from_step <= 3:
        step_three(streets, args)
    measure_reads(streets, args)


def run_phase(streets: list[Any], args: Any) -> None:
    """One step on a prepared city (see the module's docstring)."""
    from qinqing.cockpit.services.ingest import CONSUMER
    from qinqing.core import events

    say(f"uptime: {Path('/proc/loadavg').read_text().strip() if Path('/proc/loadavg').exists() else os.getloadavg()}")
    if args.phase == "write":
        churn(args.rounds, seed=args.seed, share=args.share)
        say(f"backlog of the cockpit's consumer: {events.lag().get(CONSUMER, 0):,} events")
    elif args.phase == "fill":
        fill(args.rounds)
        say(f"backlog of the cockpit's consumer: {events.lag().get(CONSUMER, 0):,} events")
    elif args.phase == "prepare":
        from qinqing.cockpit.services.rebuild import rebuild_cockpit

        rebuilt, counts = timed(rebuild_cockpit, actor="bench", skip_backlog=True,
                                progress=lambda stage, n: say(f"  … {stage} {n:,}") if n % 100_000 == 0 else None)
        say(f"PREPARED from the tables (backlog skipped): {rebuilt:.0f} s for {counts}")
    elif args.phase == "ingest":
        applied, seconds, stalled, _ = ingest([], 0, limit=args.limit)
        say(f"INGESTED (background, no reader): {applied:,} events in {seconds:.0f} s = "
            f"{applied / max(seconds - stalled, 1e-9):,.0f} events/s ({stalled:.0f} s waiting)")
    elif args.phase == "window":
        backlog = events.lag().get(CONSUMER, 0)
        applied, seconds, stalled, during = ingest(streets, args.read_rate, limit=args.window)
        working = max(seconds - stalled, 1e-9)
        say(f"INGESTION while serving (window of {args.window:,} of a backlog of {backlog:,} events): {applied:,} in "
            f"{seconds:.0f} s, {stalled:.0f} s waiting for other sessions' open transactions = "
            f"{applied / working:,.0f} events/s working, {applied / max(seconds, 1e-9):,.0f}/s overall "
            f"(target ≥ 5,000/s); street summaries meanwhile ({args.read_rate:g}/s asked, same process): {ms(during)}")
    elif args.phase == "reads":
        args.no_rebuild = True
        measure_reads(streets, args)
    elif args.phase == "rebuild":
        scan = naive_full_scan()
        rebuilt, differences, counts = rebuild_and_compare()
        same = all(d == (0, 0) for d in differences.values())
        say(f"REBUILD: {rebuilt:.0f} s for {counts} → {'IDENTICAL' if same else 'DIFFERENT'} to the incremental rows "
            f"(extra, missing per table: {differences}) | naive full-registry GROUP BY: {scan:.1f} s")
    say(f"uptime at the end: {os.getloadavg()}")


def step_one(streets: list[Any], args: Any) -> None:
    from qinqing.cockpit.services.rebuild import rebuild_cockpit

    # 1. The consumer on the city's own events (first sight of each enterprise), for a time budget.
    applied, seconds, stalled, during = ingest(streets, args.read_rate, budget=args.first_sight_seconds)
    working = max(seconds - stalled, 1e-9)
    say(f"INGESTION, first sight of enterprises: {applied:,} events in {seconds:.0f} s ({stalled:.0f} s waiting for "
        f"other sessions' open transactions) = {applied / working:,.0f} events/s; summaries meanwhile: {ms(during)}")
    # 2. The read models of the whole city from the tables (the rest of that backlog skipped), timed.
    rebuilt, counts = timed(rebuild_cockpit, actor="bench", skip_backlog=True)
    say(f"REBUILD from the tables (backlog skipped): {rebuilt:.0f} s for {counts}")


def step_three(streets: list[Any], args: Any) -> None:
    # 3. Monthly events over the city, ingested while serving.
    from qinqing.cockpit.services.ingest import CONSUMER
    from qinqing.core import events

    written = churn(args.rounds, share=args.share) if not events.lag().get(CONSUMER) else events.lag()[CONSUMER]
    applied, seconds, stalled, during = ingest(streets, args.read_rate)
    working = max(seconds - stalled, 1e-9)
    say(f"INGESTION while serving ({written:,} monthly events): {applied:,} in {seconds:.0f} s, of which {stalled:.0f} s "
        f"waiting for other sessions' open transactions = {applied / working:,.0f} events/s working, "
        f"{applied / max(seconds, 1e-9):,.0f}/s overall (target ≥ 5,000/s); summaries meanwhile (up to "
        f"{args.read_rate:g}/s, same process): {ms(during)}")


def measure_reads(streets: list[Any], args: Any) -> None:
    for street in streets[:3]:
        naive_summary(street.path)  # warm the same pages for both
    summaries = street_summaries(streets, args.repeat)
    naive = [timed(naive_summary, s.path)[0] for s in streets]
    say(f"STREET SUMMARY: {ms(summaries)} (target p95 ≤ 150 ms) | naive GROUP BY over the registry: {ms(naive)} "
        f"| ratio of p95 {pct(naive, 0.95) / max(pct(summaries, 0.95), 1e-9):,.0f}×")
    steps = drill_steps(args.steps)
    from qinqing.regions.models import Region

    nodes = list(Region.objects.filter(level__in=["city", "district", "street"]).order_by("?")[: max(10, args.steps // 4)])
    naive_steps = [timed(naive_step, n)[0] for n in nodes]
    say(f"DRILL-DOWN STEP: {ms(steps)} (target p95 ≤ 200 ms) | naive: {ms(naive_steps)} "
        f"| ratio of p95 {pct(naive_steps, 0.95) / max(pct(steps, 0.95), 1e-9):,.0f}×")
    if not args.no_rebuild:
        scan = naive_full_scan()
        rebuilt, differences, counts = rebuild_and_compare()
        same = all(d == (0, 0) for d in differences.values())
        say(f"REBUILD: {rebuilt:.0f} s for {counts} → {'IDENTICAL' if same else 'DIFFERENT'} to the incremental rows "
            f"(extra, missing per table: {differences}) | naive full-registry GROUP BY: {scan:.1f} s")
    say(f"load at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
