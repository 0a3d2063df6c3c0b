"""Benchmark of batch imports into the market-supervision registry, beside a raw INSERT floor.

    .venv/bin/python bench/bench_import.py [--rows 100000] [--runs 3] [--db sqlite|postgres|both]

For each database, in a child process with its own settings: a fresh database (SQLite in a temp
directory; PostgreSQL `DROP/CREATE DATABASE qinqing_bench_import` as postgres@127.0.0.1), `migrate`,
the sources from `datahub/data/sources.json`, and N generated registry rows with valid USCCs
(strings, as a CSV would give them). Then, per run:

- floor: the same rows as parameter tuples, one `executemany` INSERT into a scratch table with the
  registry's columns, in one transaction (no validation, no ORM);
- import (created): `datahub.services.import_records` into an emptied registry table
  (validation, bulk upsert, one audit record, one transaction);
- import (updated): the same rows again, so every row is an update;
- csv parse: `datahub.rows.parse(body, "csv")` of the same rows written as CSV (what the API
  and the `importdata` command add in front of the import).

Prints the median of the runs in rows/s and the ratio import/floor. Exit status 0 unless a run
fails; the target (≥ 20,000 rows/s) is reported, not enforced.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_DSN = os.environ.get("BENCH_PG_ADMIN_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=postgres")
PG_DB = os.environ.get("BENCH_IMPORT_PG_DB", "qinqing_bench_import")
PG_URL = os.environ.get("BENCH_IMPORT_PG_URL", f"postgres://postgres@127.0.0.1:5432/{PG_DB}")
TARGET_RATE = 20_000.0
COLUMNS = ("uscc", "name", "legal_representative", "registered_capital", "industry_code", "industry_name",
           "entity_type", "address", "region_code", "established_on", "status")
INDUSTRIES = (("I6513", "应用软件开发"), ("C3921", "通信终端设备制造"), ("H6210", "正餐服务"),
              ("F5179", "其他机械设备及电子产品批发"), ("C2720", "化学药品制剂制造"), ("G5430", "道路货物运输"),
              ("L7262", "职业中介服务"), ("I6510", "软件开发"))
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英"
STREETS = (("长河街道", "330108002"), ("浦沿街道", "330108003"), ("西兴街道", "330108001"))


def make_rows(n: int, seed: int = 20261125) -> list[dict[str, str]]:
    """N valid registry rows as strings, with distinct valid USCCs."""
    from qinqing.core.ids import generate_uscc

    rng = random.Random(seed)
    seen: set[str] = set()
    rows: list[dict[str, str]] = []
    while len(rows) < n:
        uscc = generate_uscc(division="330108", rng=rng)
        if uscc in seen:
            continue
        seen.add(uscc)
        i = len(rows)
        code, industry = INDUSTRIES[i % len(INDUSTRIES)]
        street, region = STREETS[i % len(STREETS)]
        rows.append({
            "uscc": uscc, "name": f"杭州测试{i:06d}科技有限公司",
            "legal_representative": rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
            "registered_capital": f"{rng.randrange(10, 100_000) * 10_000}.00", "industry_code": code,
            "industry_name": industry, "entity_type": "有限责任公司（自然人投资或控股）",
            "address": f"浙江省杭州市滨江区{street}江南大道{rng.randrange(1, 4000)}号{rng.randrange(1, 30)}层",
            "region_code": f"{region}{rng.randrange(1, 20):03d}",
            "established_on": f"{rng.randrange(1995, 2026)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
            "status": rng.choice(("存续", "存续", "存续", "在业", "吊销", "注销")),
        })
    return rows


def as_csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


# ----------------------------------------------------------------------------- child: one database


def floor_sql(vendor: str) -> tuple[str, str, str]:
    create = (
        "CREATE TABLE bench_import_floor (id {pk}, uscc varchar(18) NOT NULL UNIQUE, name varchar(200) NOT NULL, "
        "legal_representative varchar(64) NOT NULL, registered_capital decimal(16,2) NOT NULL, "
        "industry_code varchar(8) NOT NULL, industry_name varchar(100) NOT NULL, entity_type varchar(64) NOT NULL, "
        "address varchar(300) NOT NULL, region_code varchar(24) NOT NULL, established_on date NOT NULL, "
        "status varchar(8) NOT NULL, as_of {ts} NOT NULL, source_id bigint NOT NULL)"
    ).format(pk="integer PRIMARY KEY AUTOINCREMENT" if vendor == "sqlite" else "bigserial PRIMARY KEY",
             ts="datetime" if vendor == "sqlite" else "timestamptz")
    insert = (f"INSERT INTO bench_import_floor ({', '.join(COLUMNS)}, as_of, source_id) "
              f"VALUES ({', '.join(['%s'] * (len(COLUMNS) + 2))})")
    return create, insert, "bench_import_floor"


def child(db: str, n: int, runs: int) -> dict[str, Any]:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from qinqing.datahub.models import RegistryRecord, Source
    from qinqing.datahub.rows import parse
    from qinqing.datahub.services import import_records, load_sources

    call_command("migrate", verbosity=0)
    load_sources()
    source_id = Source.objects.get(code="market_registry").pk
    rows = make_rows(n)
    body = as_csv(rows)
    create, insert, floor_table = floor_sql(connection.vendor)
    registry_table = RegistryRecord._meta.db_table

    def empty(table: str) -> None:
        # A fresh table for each run: TRUNCATE on PostgreSQL (no dead tuples), DELETE on SQLite (its truncate).
        verb = "TRUNCATE" if connection.vendor == "postgresql" else "DELETE FROM"
        with connection.cursor() as cursor:
            cursor.execute(f"{verb} {connection.ops.quote_name(table)}")

    with connection.cursor() as cursor:
        cursor.execute(create)

    results: dict[str, list[float]] = {"floor": [], "created": [], "updated": [], "csv_parse": []}
    for _run in range(runs):
        empty(floor_table)
        now = timezone.now()
        started = time.perf_counter()
        params: list[tuple[Any, ...]] = [(*(row[c] for c in COLUMNS), now, source_id) for row in rows]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(insert, params)
        results["floor"].append(n / (time.perf_counter() - started))

        empty(registry_table)
        result = import_records(source_code="market_registry", rows=rows, actor="bench")
        assert result.created == n and result.updated == 0, result
        results["created"].append(n / result.seconds)

        result = import_records(source_code="market_registry", rows=rows, actor="bench")
        assert result.created == 0 and result.updated == n, result
        results["updated"].append(n / result.seconds)

        started = time.perf_counter()
        table = parse(body, "csv")
        results["csv_parse"].append(n / (time.perf_counter() - started))
        assert len(table.rows) == n
    assert RegistryRecord.objects.count() == n
    return {"db": db, "vendor": connection.vendor, "server": _server(connection), "rows": n, "runs": runs,
            "csv_bytes": len(body), "rates": results}


def _server(connection: Any) -> str:
    if connection.vendor == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version} (WAL, synchronous=NORMAL)"
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('server_version'), current_setting('synchronous_commit'), "
                       "current_setting('fsync'), current_setting('shared_buffers')")
        version, sync, fsync, buffers = cursor.fetchone()
    return f"PostgreSQL {version} (synchronous_commit={sync}, fsync={fsync}, shared_buffers={buffers})"


# ----------------------------------------------------------------------------- parent


def postgres_reachable() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_DSN, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{PG_DB}"')
        return True
    except Exception as exc:
        print(f"PostgreSQL not reachable ({exc}); skipped", file=sys.stderr)
        return False


def drop_postgres() -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')


def run_child(db: str, n: int, runs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="qinqing-bench-import-") as data_dir:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "QINQING_TESTING")}
        env.update(DJANGO_SETTINGS_MODULE="qinqing.settings", QINQING_DATA_DIR=data_dir, PYTHONPATH=str(ROOT))
        if db == "postgres":
            env["DATABASE_URL"] = PG_URL
        out = subprocess.run(
            [sys.executable, __file__, "--child", db, "--rows", str(n), "--runs", str(runs)],
            env=env, cwd=ROOT, capture_output=True, text=True, check=False,
        )
    if out.returncode != 0:
        sys.stderr.write(out.stderr)
        raise SystemExit(f"{db}: the benchmark failed")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def report(result: dict[str, Any]) -> None:
    rates = {k: statistics.median(v) for k, v in result["rates"].items()}
    floor = rates["floor"]
    print(f"\n== {result['server']}: {result['rows']:,} registry rows, median of {result['runs']} runs "
          f"(CSV {result['csv_bytes'] / 1e6:.1f} MB)")
    print(f"  {'phase':<28}{'rows/s':>12}{'x floor':>10}   runs")
    for name, label in (("floor", "floor: executemany INSERT"), ("created", "import_records (created)"),
                        ("updated", "import_records (updated)"), ("csv_parse", "CSV parse only")):
        runs = ", ".join(f"{r:,.0f}" for r in result["rates"][name])
        ratio = {"floor": "1.00", "csv_parse": "-"}.get(name, f"{rates[name] / floor:.2f}")
        print(f"  {label:<28}{rates[name]:>12,.0f}{ratio:>10}   {runs}")
    for name in ("created", "updated"):
        verdict = "met" if rates[name] >= TARGET_RATE else "MISSED"
        print(f"  target ≥ {TARGET_RATE:,.0f} rows/s ({name}): {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--child", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.rows, args.runs)))
        return
    print(f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs")
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    for db in dbs:
        if db == "postgres" and not postgres_reachable():
            continue
        try:
            report(run_child(db, args.rows, args.runs))
        finally:
            if db == "postgres":
                drop_postgres()


if __name__ == "__main__":
    main()
