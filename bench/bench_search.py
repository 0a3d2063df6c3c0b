"""Benchmark of case search at scale: `GET /api/v1/cases` and the reviewer queue, beside a naive baseline.

    DATABASE_URL=postgres://…/h_db .venv/bin/python bench/bench_search.py [--reps 40] [--naive-reps 5]

Runs against the database DATABASE_URL names (SQLite by default), which should hold a synthetic
history (`qinqing genhistory --cases 1000000`). In-process (Django test client, bearer tokens of
demo accounts), for each query kind:

- **api**: the full request through the API (auth, scope, filter, keyset page of 50, JSON), p50/p95;
- **sql**: the same page read through `qinqing.cases.search.page_of` without the HTTP layer;
- **naive**: the same filter read the way a list without keyset pages and indexes reads it: `OFFSET`
  (page 1, and page 100 for the deep-page kind) with index scans switched off for the transaction
  (PostgreSQL: `enable_indexscan/bitmapscan/indexonlyscan = off`; SQLite: `NOT INDEXED`-equivalent
  is not available, so SQLite's naive column is OFFSET only).

Each repetition varies its parameter (a different USCC, name fragment, day, status) drawn from the
data, so p95 is not one cached plan on one hot page. Prints medians, p95 and the naive/api ratio.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qinqing.settings")

PASSWORD = "Qinqing@2026"
TARGET_P95_MS = 100.0


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=40)
    parser.add_argument("--naive-reps", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--kinds", default="", help="comma list of kinds to run (default: all)")
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection, transaction
    from django.test import Client

    from qinqing.accounts.models import Enterprise, User
    from qinqing.cases.models import Case
    from qinqing.cases.queries import cases_for, review_queue
    from qinqing.cases.search import DEADLINE_FIRST, NEWEST_FIRST, filtered, page_of, parse_filter

    rng = random.Random(args.seed)
    pg = connection.vendor == "postgresql"
    total = Case.objects.count()
    try:
        synthetic = Case.objects.filter(synthetic=True).count()
    except Exception:  # code before genhistory (a "before" run of older code on the same database)
        synthetic = 0
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}, {total:,} cases "
          f"({synthetic:,} synthetic), {Enterprise.objects.count():,} enterprises; load {os.getloadavg()[0]:.2f}")

    client = Client()

    def token(username: str) -> str:
        r = client.post("/api/v1/auth/token", {"username": username, "password": PASSWORD},
                        content_type="application/json")
        assert r.status_code == 200, (username, r.status_code, r.content[:200])
        return str(r.json()["token"])

    reviewer = User.objects.filter(username="scjg_reviewer").first() or User.objects.filter(
        roles__contains=["reviewer"]).order_by("id").first()
    district = User.objects.filter(username="binjiang_staff").first()
    assert reviewer is not None and district is not None, "load the demo (qinqing loaddemo) first"
    tokens = {"reviewer": token(reviewer.username), "district": token(district.username)}

    # Parameters drawn from the data (the reviewer's own cases, so that every search finds something).
    mine = cases_for(reviewer)
    sample_ids = list(mine.order_by("?").values_list("id", flat=True)[:200]) if not pg else [
        row[0] for row in _pg_sample(connection, reviewer.department_id, 200)]
    sample = list(Case.objects.filter(id__in=sample_ids).select_related("enterprise"))
    usccs = [c.enterprise.uscc for c in sample]
    days = [c.submitted_at.astimezone().strftime("%Y%m%d") for c in sample]
    names = [c.enterprise.name for c in sample]
    fragments = [n[2:4] for n in names] + [n[2:6] for n in names]  # 2 and 4 characters after 杭州
    statuses = ["approved", "rejected", "withdrawn", "under_review", "submitted"]

    def date_range() -> dict[str, str]:
        import datetime as dt
        start = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(0, 1000))
        return {"submitted_from": start.isoformat(), "submitted_to": (start + dt.timedelta(days=30)).isoformat()}

    # kind → (who, path, params drawn per repetition, scope queryset builder, ordering, naive offset)
    Kind = tuple[str, str, Callable[[], dict[str, str]], Callable[[], Any], tuple[str, str], int]
    kinds: dict[str, Kind] = {
        "list newest (reviewer)": ("reviewer", "/api/v1/cases", lambda: {}, lambda: cases_for(reviewer),
                                   NEWEST_FIRST, 0),
        "list page 100 (reviewer)": ("reviewer", "/api/v1/cases", lambda: {"_deep": "1"},
                                     lambda: cases_for(reviewer), NEWEST_FIRST, 99 * 50),
        "number prefix (day)": ("reviewer", "/api/v1/cases", lambda: {"number": "QQ" + rng.choice(days)},
                                lambda: cases_for(reviewer), NEWEST_FIRST, 0),
        "USCC (q)": ("reviewer", "/api/v1/cases", lambda: {"q": rng.choice(usccs)}, lambda: cases_for(reviewer),
                     NEWEST_FIRST, 0),
        "name part (q)": ("reviewer", "/api/v1/cases", lambda: {"q": rng.choice(fragments)},
                          lambda: cases_for(reviewer), NEWEST_FIRST, 0),
        "status + 30 days": ("reviewer", "/api/v1/cases", lambda: {"status": rng.choice(statuses), **date_range()},
                             lambda: cases_for(reviewer), NEWEST_FIRST, 0),
        "district: name part (q)": ("district", "/api/v1/cases", lambda: {"q": rng.choice(fragments)},
                                    lambda: cases_for(district), NEWEST_FIRST, 0),
        "district: status + 30 days": ("district", "/api/v1/cases",
                                       lambda: {"status": rng.choice(statuses), **date_range()},
                                       lambda: cases_for(district), NEWEST_FIRST, 0),
        "queue": ("reviewer", "/api/v1/review/queue", lambda: {}, lambda: review_queue(reviewer), DEADLINE_FIRST, 0),
        "queue + USCC": ("reviewer", "/api/v1/review/queue", lambda: {"q": rng.choice(usccs)},
                         lambda: review_queue(reviewer), DEADLINE_FIRST, 0),
        "queue + name part": ("reviewer", "/api/v1/review/queue", lambda: {"q": rng.choice(fragments)},
                              lambda: review_queue(reviewer), DEADLINE_FIRST, 0),
        "queue + 30 days": ("reviewer", "/api/v1/review/queue", date_range, lambda: review_queue(reviewer),
                            DEADLINE_FIRST, 0),
    }
    wanted = [k.strip() for k in args.kinds.split(",") if k.strip()]
    print(f"{'kind':<28} {'api p50':>8} {'api p95':>8} {'sql p50':>8} {'sql p95':>8} {'naive p50':>10} "
          f"{'naive p95':>10} {'naive/api':>9} {'rows':>5}  target p95 ≤ {TARGET_P95_MS:.0f} ms")
    misses = 0
    for name, (who, path, draw, scope, ordering, offset) in kinds.items():
        if wanted and not any(w in name for w in wanted):
            continue
        headers = {"HTTP_AUTHORIZATION": f"Bearer {tokens[who]}"}
        api, sql, naive, rows = [], [], [], []
        for rep in range(args.reps + 2):
            params = draw()
            deep = params.pop("_deep", None)
            url_params = dict(params)
            if deep:
                # Walk to page 100 once (untimed), then time the 100th page through its cursor.
                cursor = ""
                for _ in range(99):
                    page = page_of(scope(), parse_filter(params), ordering=ordering, cursor=cursor)
                    cursor = page.next_cursor or ""
                url_params["cursor"] = cursor
            started = time.perf_counter()
            r = client.get(path, url_params, **headers)
            elapsed = time.perf_counter() - started
            assert r.status_code == 200, (name, r.status_code, r.content[:300])
            started2 = time.perf_counter()
            page = page_of(scope(), parse_filter(params), ordering=ordering, cursor=url_params.get("cursor", ""))
            elapsed2 = time.perf_counter() - started2
            if rep >= 2:  # two warm-ups
                api.append(elapsed * 1000)
                sql.append(elapsed2 * 1000)
                rows.append(len(page.items))
        for _rep in range(args.naive_reps):
            params = draw()
            params.pop("_deep", None)
            started = time.perf_counter()
            with transaction.atomic():
                if pg:
                    with connection.cursor() as cursor:
                        cursor.execute("SET LOCAL enable_indexscan = off; SET LOCAL enable_bitmapscan = off; "
                                       "SET LOCAL enable_indexonlyscan = off")
                qs = filtered(scope(), parse_filter(params)).order_by(*ordering)
                list(qs[offset:offset + 51])
            naive.append((time.perf_counter() - started) * 1000)
        a95, n50 = pct(api, 0.95), statistics.median(naive) if naive else float("nan")
        misses += a95 > TARGET_P95_MS
        print(f"{name:<28} {statistics.median(api):8.1f} {a95:8.1f} {statistics.median(sql):8.1f} "
              f"{pct(sql, 0.95):8.1f} {n50:10.1f} {pct(naive, 0.95) if naive else float('nan'):10.1f} "
              f"{n50 / statistics.median(api):8.1f}× {statistics.median(rows):5.0f}"
              f"{'' if a95 <= TARGET_P95_MS else '  MISSED'}", flush=True)
    print(f"ms; {args.reps} timed repetitions per kind (naive: {args.naive_reps}); load {os.getloadavg()[0]:.2f}; "
          f"{'every kind met the target' if not misses else f'{misses} kind(s) missed the target'}")
    return 0


def _pg_sample(connection: Any, department_id: int, n: int) -> list[tuple[int]]:
    """A random sample of one department's cases without sorting a million rows (TABLESAMPLE)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.id FROM cases_case c TABLESAMPLE SYSTEM (2) JOIN catalog_matter m ON m.id = c.matter_id "
            "WHERE m.department_id = %s LIMIT %s", [department_id, n])
        return list(cursor.fetchall())


if __name__ == "__main__":
    sys.exit(main())
