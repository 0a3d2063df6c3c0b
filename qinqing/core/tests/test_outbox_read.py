"""Reading the outbox after a cursor: the events after the position, in order, and a read that starts at the cursor."""

from __future__ import annotations

import json
import os

import pytest
from django.db import connection
from django.utils import timezone

from qinqing.core.events import EnterpriseFactsChanged, read_after
from qinqing.core.models import OutboxEvent

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
pytestmark = pytest.mark.django_db


def _write(positions: list[tuple[int, int]]) -> None:
    """Outbox rows at given (txid, seq) positions, written out of order."""
    now = timezone.now()
    OutboxEvent.objects.bulk_create([
        OutboxEvent(seq=seq, txid=txid, name="enterprise.facts_changed", payload={"sources": ["tax_monthly"],
                                                                              "fields": [], "created": False},
                    enterprise=f"91330108MA2{seq % 10_000_000:07d}", region="330108", occurred_at=now)
        for txid, seq in positions])


def test_the_events_after_a_position_come_in_txid_then_seq_order_whatever_the_cursor() -> None:
    # Three "transactions" whose sequence numbers interleave (ids are taken at INSERT, not at COMMIT), with ids
    # below every real one, so that the demo's own events come after them.
    base = (OutboxEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0) + 1
    positions = [(-3, base), (-5, base + 1), (-3, base + 2), (-5, base + 3), (-4, base + 4), (-5, base + 5),
                 (-4, base + 6)]
    _write(list(reversed(positions)))
    ordered = sorted(positions)
    for cursor in [(-6, 0), *ordered[:-1]]:
        after = [p for p in ordered if p > cursor]
        for limit in (1, 2, 3, len(after)):
            got = [(s.txid, s.seq) for s in read_after(*cursor, limit=limit)]
            assert got[:len(after)] == after[:limit] and len(got) == limit, (cursor, limit)
    got = [(s.txid, s.seq) for s in read_after(*ordered[-1], limit=5)]
    assert got and all(p > (0, 0) or p[0] == 0 for p in got)  # then the platform's own events
    read = read_after(-5, base + 3, limit=1)[0]
    assert isinstance(read.event, EnterpriseFactsChanged) and read.event.sources == ("tax_monthly",)
    assert (read.txid, read.seq) == (-5, base + 5)


@pytest.mark.skipif(not ON_POSTGRES, reason="the plan is PostgreSQL's")
def test_the_read_starts_at_the_cursor_instead_of_passing_every_consumed_event() -> None:
    from django.test.utils import CaptureQueriesContext

    table = OutboxEvent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (txid, name, version, payload, enterprise, region, occurred_at) "
            "SELECT 1000 + g / 5000, 'enterprise.facts_changed', 1, %s::jsonb, '91330108MA2' || lpad(g::text, 7, '0'), "
            "'330108', now() FROM generate_series(1, 250000) AS g",
            [json.dumps({"sources": ["tax_monthly"], "fields": [], "created": False})])
        cursor.execute(f"ANALYZE {table}")
        cursor.execute(f"SELECT txid, seq FROM {table} ORDER BY txid, seq OFFSET 240000 LIMIT 1")
        txid, seq = cursor.fetchone()
        cursor.execute(f"SELECT count(*) FROM {table} WHERE (txid, seq) > (%s, %s)", [txid, seq])
        after = cursor.fetchone()[0]  # ~10,000 (and the demo's own events), against 240,000 before the cursor
    with CaptureQueriesContext(connection) as done:
        batch = read_after(txid, seq, limit=4000)
    assert len(batch) == 4000 and (batch[0].txid, batch[0].seq) > (txid, seq)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + done.captured_queries[-1]["sql"])
        plan = cursor.fetchone()[0]
    nodes = []
    stack = [plan[0]["Plan"]]
    while stack:
        node = stack.pop()
        nodes.append(node)
        stack += node.get("Plans", [])
    # The events already consumed are not visited: the index range starts at the cursor (an index scan, or a
    # bitmap of the events after it when that backlog is small), whatever the outbox holds before it.
    probes = [n for n in nodes if n.get("Index Name") == "outbox_position"]
    assert probes and all("ROW(txid, seq) >" in n["Index Cond"] for n in probes)
    # The events after the cursor, never the 240,000 consumed before it. (A bitmap of the index also counts the
    # dead entries other tests' rolled-back transactions left behind, hence a bound and not `<= after`.)
    assert all(n["Actual Rows"] * n.get("Actual Loops", 1) < 100_000 for n in probes), (after, plan)
    assert not any(n.get("Rows Removed by Filter") for n in nodes if n.get("Relation Name") == table)
