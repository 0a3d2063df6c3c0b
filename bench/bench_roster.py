"""Benchmark: one roster of 15,000 employees enrolled in one submission, beside a raw INSERT floor.

    .venv/bin/python bench/bench_roster.py [--employees 15000] [--runs 3] [--db sqlite|postgres|both]

Issue 8's target: "a benchmark enrols 15,000 employees in one submission (under 30 s on PostgreSQL)".

For each database, in a child process with its own settings (Huey in immediate mode, so the
upload's task runs in the same process right after the upload's commit, as a worker would pick it
up): a fresh database (SQLite in a temp directory; PostgreSQL `DROP/CREATE DATABASE
qinqing_bench_roster` as postgres@127.0.0.1), `migrate`, the demo city (`load_demo`), and one
approved 职工参保登记 (RSJ-004) case of the first demo enterprise. A roster of N employees with
distinct valid ID numbers is written once as .xlsx and once as .csv. Then, per run, on emptied
roster tables:

- floor: the same N enrolment rows as parameter tuples, one `executemany` INSERT into a scratch
  table with the enrolment table's columns and unique keys, in one transaction (no file, no checks,
  no ORM);
- roster (.xlsx): `receive_roster` (type by content, SHA-256, the roster row) and the queued
  `process_roster` (read every row with openpyxl, check every field, enrol all in one transaction
  with bulk_create, one audit record, one event, progress written as it goes), timed together;
- roster (.csv): the same with the CSV file.

After the runs, the parts of one .xlsx submission are timed alone: reading the workbook, checking
the rows. Prints the median of the runs in seconds and rows/s, the ratio to the floor, and whether
the target (< 30 s) is met. Exit status 0 unless a run fails.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_DSN = os.environ.get("BENCH_PG_ADMIN_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=postgres")
PG_DB = os.environ.get("BENCH_ROSTER_PG_DB", "qinqing_bench_roster")
PG_URL = os.environ.get("BENCH_ROSTER_PG_URL", f"postgres://postgres@127.0.0.1:5432/{PG_DB}")
TARGET_SECONDS = 30.0
HEADER = ["姓名", "居民身份证号码", "户籍性质", "月缴费基数（元）", "参保起始年月"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英"
HUKOU = ("本地城镇", "本地农村", "外地城镇", "外地农村")
DIVISIONS = ("330108", "330106", "330113", "330114", "330181", "330521", "410102", "511002")


def make_rows(n: int) -> list[list[str]]:
    """N employees with distinct valid ID numbers, as the strings a clerk's spreadsheet holds."""
    from qinqing.core.ids import generate_resident_id

    month = f"{dt.date.today():%Y-%m}"
    rows: list[list[str]] = []
    for i in range(n):
        born = dt.date(1965, 1, 1) + dt.timedelta(days=i % 13_000)
        number = generate_resident_id(division=DIVISIONS[i % len(DIVISIONS)], born=born, serial=i // 13_000 + 1)
        name = SURNAMES[i % len(SURNAMES)] + GIVEN[(i // 7) % len(GIVEN)] + GIVEN[(i // 13) % len(GIVEN)]
        rows.append([name, number, HUKOU[i % 4], f"{4812 + (i * 37) % 20000}.{i % 100:02d}", month])
    return rows


def as_xlsx(rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("职工花名册")
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def as_csv(rows: list[list[str]]) -> bytes:
    return ("\n".join(",".join(r) for r in [HEADER, *rows]) + "\n").encode("utf-8")


# ----------------------------------------------------------------------------- child: one database


def floor_sql(vendor: str) -> tuple[str, str]:
    create = (
        "CREATE TABLE bench_roster_floor (id {pk}, number varchar(32) NOT NULL UNIQUE, case_id bigint NOT NULL, "
        "roster_id bigint NOT NULL, enterprise_id bigint NOT NULL, line integer NOT NULL, name varchar(30) NOT NULL, "
        "id_number varchar(18) NOT NULL, hukou_type varchar(16) NOT NULL, contribution_base decimal(10,2) NOT NULL, "
        "start_month date NOT NULL, status varchar(12) NOT NULL, enrolled_at {ts} NOT NULL, "
        "UNIQUE (enterprise_id, id_number))"
    ).format(pk="integer PRIMARY KEY AUTOINCREMENT" if vendor == "sqlite" else "bigserial PRIMARY KEY",
             ts="datetime" if vendor == "sqlite" else "timestamptz")
    insert = ("INSERT INTO bench_roster_floor (number, case_id, roster_id, enterprise_id, line, name, id_number, "
              "hukou_type, contribution_base, start_month, status, enrolled_at) "
              "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)")
    return create, insert


def child(db: str, n: int, runs: int) -> dict[str, Any]:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from qinqing.accounts.models import User
    from qinqing.cases.models import EmployeeEnrolment, Roster
    from qinqing.cases.roster.policy import roster_policy
    from qinqing.cases.roster.reading import read_sheet
    from qinqing.cases.roster.rows import check_rows, map_header
    from qinqing.cases.services import submit_case
    from qinqing.cases.services.enrolment import _context, receive_roster
    from qinqing.catalog.models import Matter
    from qinqing.core.ids import generate_resident_id
    from qinqing.web.demo import demo_uscc, load_demo

    call_command("migrate", verbosity=0)
    load_demo()
    user = User.objects.select_related("enterprise").get(username=demo_uscc(0))
    matter = Matter.objects.get(code=sorted(roster_policy().matters)[0])
    form = {"employee_name": "王小明", "id_number": generate_resident_id(division="330102", serial=999),
            "start_date": dt.date.today().isoformat(), "contribution_base": "6000.00", "hukou_type": "urban",
            "not_pensioner": True, "handler": "李会计", "handler_phone": "13800138000", "commitment": True}
    case, _created = submit_case(applicant=user, matter=matter, data=form, idempotency_key=uuid.uuid4().hex)
    assert case.status == "approved", case.verdict
    rows = make_rows(n)
    files = {"xlsx": as_xlsx(rows), "csv": as_csv(rows)}
    create, insert = floor_sql(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(create)

    def empty() -> None:
        with transaction.atomic():
            EmployeeEnrolment.objects.all().delete()
            Roster.objects.all().delete()
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM bench_roster_floor")

    results: dict[str, list[float]] = {"floor": [], "xlsx": [], "csv": []}
    for _run in range(runs):
        empty()
        now = timezone.now()
        started = time.perf_counter()
        params = [(f"F{i:020d}", case.pk, 1, user.enterprise_id, i + 2, r[0], r[1], "local_urban", r[3],
                   dt.date.today().replace(day=1), "enrolled", now) for i, r in enumerate(rows)]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(insert, params)
        results["floor"].append(time.perf_counter() - started)
        for kind in ("xlsx", "csv"):
            empty()
            started = time.perf_counter()
            roster, _created = receive_roster(case=case, user=user, content=files[kind], filename=f"roster.{kind}")
            roster.refresh_from_db()
            results[kind].append(time.perf_counter() - started)
            assert roster.status == Roster.Status.COMPLETED, (roster.status, roster.errors[:5])
            assert roster.enrolled == n == EmployeeEnrolment.objects.filter(roster=roster).count()
    empty()
    started = time.perf_counter()
    sheet = read_sheet(files["xlsx"], "xlsx", max_rows=50_000)
    read_seconds = time.perf_counter() - started
    columns, _missing = map_header(sheet.header)
    roster = Roster(case=case, enterprise=user.enterprise)
    started = time.perf_counter()
    clean, errors = check_rows(sheet.rows, columns, _context(roster))
    check_seconds = time.perf_counter() - started
    assert len(clean) == n and not errors
    return {"db": db, "vendor": connection.vendor, "server": _server(connection), "employees": n, "runs": runs,
            "xlsx_bytes": len(files["xlsx"]), "csv_bytes": len(files["csv"]), "seconds": results,
            "parts": {"read_xlsx": read_seconds, "check_rows": check_seconds}}


def _server(connection: Any) -> str:
    if connection.vendor == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version} (WAL)"
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('server_version'), current_setting('synchronous_commit')")
        version, sync = cursor.fetchone()
    return f"PostgreSQL {version} (synchronous_commit={sync})"


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
    with tempfile.TemporaryDirectory(prefix="qinqing-bench-roster-") as data_dir:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "QINQING_TESTING")}
        env.update(DJANGO_SETTINGS_MODULE="qinqing.settings", QINQING_DATA_DIR=data_dir, PYTHONPATH=str(ROOT),
                   QINQING_HUEY_IMMEDIATE="1")
        if db == "postgres":
            env["DATABASE_URL"] = PG_URL
        out = subprocess.run(
            [sys.executable, __file__, "--child", db, "--employees", str(n), "--runs", str(runs)],
            env=env, cwd=ROOT, capture_output=True, text=True, check=False,
        )
    if out.returncode != 0:
        sys.stderr.write(out.stderr[-5000:])
        raise SystemExit(f"{db}: the benchmark failed")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def report(result: dict[str, Any]) -> None:
    n = result["employees"]
    median = {k: statistics.median(v) for k, v in result["seconds"].items()}
    print(f"\n== {result['server']}: {n:,} employees in one roster, median of {result['runs']} runs "
          f"(.xlsx {result['xlsx_bytes'] / 1e6:.2f} MB, .csv {result['csv_bytes'] / 1e6:.2f} MB)")
    print(f"  {'phase':<40}{'seconds':>9}{'rows/s':>10}{'x floor':>9}   runs (s)")
    labels = (("floor", "floor: executemany INSERT"), ("xlsx", "roster .xlsx: upload → enrolled"),
              ("csv", "roster .csv: upload → enrolled"))
    for name, label in labels:
        runs = ", ".join(f"{s:.2f}" for s in result["seconds"][name])
        print(f"  {label:<40}{median[name]:>9.2f}{n / median[name]:>10,.0f}{median[name] / median['floor']:>9.1f}"
              f"   {runs}")
    parts = result["parts"]
    print(f"  parts of one .xlsx roster: read {parts['read_xlsx']:.2f} s, check rows {parts['check_rows']:.2f} s")
    for name in ("xlsx", "csv"):
        verdict = "met" if median[name] < TARGET_SECONDS else "MISSED"
        print(f"  target < {TARGET_SECONDS:.0f} s ({name}): {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--employees", type=int, default=15_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--child", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.employees, args.runs)))
        return
    print(f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs")
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    for db in dbs:
        if db == "postgres" and not postgres_reachable():
            continue
        try:
            report(run_child(db, args.employees, args.runs))
        finally:
            if db == "postgres":
                drop_postgres()


if __name__ == "__main__":
    main()
