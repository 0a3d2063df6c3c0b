"""Where does a registry import spend its time? Statement times of one import, and cProfile of the Python side.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_x_prof QINQING_DATA_DIR=/tmp/x \
        .venv/bin/python bench/profile_import.py --rows 100000 [--path file|records|python] [--again] [--cprofile]

Run it against a database of its own (PostgreSQL: created empty, or SQLite in QINQING_DATA_DIR): it migrates,
loads the sources, empties the registry, writes N valid registry rows (`bench_import.make_rows`) and imports them
once as new enterprises (`--again`: a second time, unchanged), timing every SQL statement by
`connection.execute_wrapper`; the rest is Python, COPY's upload (outside any statement) and the commit (the
deferred foreign-key checks), which `--cprofile` splits.
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import os
import pstats
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qinqing.settings")


def _label(sql: str) -> str:
    text = re.sub(r"\s+", " ", sql).strip()
    return text[:150]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--path", choices=("file", "records", "python"), default="file",
                        help="import_file (SQL path on PostgreSQL), import_records (the API), import_file without SQL")
    parser.add_argument("--again", action="store_true", help="profile a re-import of the same rows instead")
    parser.add_argument("--cprofile", action="store_true")
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from bench.bench_import import as_csv, make_rows
    from qinqing.datahub.models import RegistryRecord
    from qinqing.datahub.services import import_file, import_records, load_sources

    call_command("migrate", verbosity=0)
    load_sources()
    with connection.cursor() as cursor:  # emptied as the benchmark empties it (no dead rows left behind)
        cursor.execute(("TRUNCATE " if connection.vendor == "postgresql" else "DELETE FROM ")
                       + connection.ops.quote_name(RegistryRecord._meta.db_table))
    rows = make_rows(args.rows)
    folder = tempfile.TemporaryDirectory(prefix="qinqing-profile-import-")
    path = Path(folder.name) / "registry.csv"
    path.write_bytes(as_csv(rows))

    def run() -> Any:
        if args.path == "records":
            return import_records(source_code="market_registry", rows=rows, actor="profile")
        return import_file(source_code="market_registry", path=path, actor="profile", sql_path=args.path == "file")

    if args.again:
        run()
    times: dict[str, list[float]] = collections.defaultdict(list)

    def timed(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            times[_label(sql)].append(time.perf_counter() - started)

    profiler = cProfile.Profile() if args.cprofile else None
    started = time.perf_counter()
    with connection.execute_wrapper(timed):
        if profiler:
            profiler.enable()
        result = run()
        if profiler:
            profiler.disable()
    whole = time.perf_counter() - started
    print(f"{connection.vendor}, {args.path}, {'re-import' if args.again else 'new'}: {result.rows:,} rows, "
          f"created {result.created:,}, {whole:.2f} s ({result.rows / whole:,.0f} rows/s), load {os.getloadavg()[0]:.1f}")
    in_sql = sum(sum(v) for v in times.values())
    print(f"  statements {in_sql:.2f} s, the rest (Python, COPY uploads outside a statement) {whole - in_sql:.2f} s")
    for label, spent in sorted(times.items(), key=lambda kv: -sum(kv[1]))[:25]:
        print(f"  {sum(spent):7.3f} s  ×{len(spent):<5} {label}")
    if profiler:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    folder.cleanup()


if __name__ == "__main__":
    main()
