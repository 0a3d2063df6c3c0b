"""The kept fact snapshot: built set-based, one row per account, kept current by its consumer, once per event."""

from __future__ import annotations

import pytest
from django.db import connection

from qinqing.accounts.models import Enterprise
from qinqing.core import events
from qinqing.datahub.queries import facts_for
from qinqing.datahub.services import import_records
from qinqing.policies import facttable
from qinqing.policies.tests.support import enterprise

pytestmark = pytest.mark.django_db

FACTS = ["annual.graduates_hired", "annual.rd_spend", "registry.status", "registry.years_established"]


def _value(uscc: str, fact: str) -> object:
    row = facttable.row_of(uscc, [fact])
    assert row is not None
    return row[fact]


def test_the_build_holds_every_account_with_the_facts_facts_for_gives() -> None:
    rows = facttable.rebuild()
    assert rows == Enterprise.objects.count()
    for index in (1, 2, 3):
        firm = enterprise(index)
        row = facttable.row_of(firm.uscc, FACTS)
        assert row is not None and row["_id"] == firm.pk and firm.region is not None and row["_region_path"] == firm.region.path
        facts = facts_for(firm.uscc)
        for name in FACTS:
            expected = facts[name].value if name in facts else None
            got = row[name]
            assert (None if expected in (None, "") else float(expected) if isinstance(got, float) else expected) == got


def test_the_consumer_reads_a_changed_enterprise_again_once() -> None:
    facttable.rebuild()
    events.consume(facttable.CONSUMER)  # the backlog the build already holds changes nothing
    firm = enterprise(3)
    import_records(source_code="enterprise_annual", actor="test", rows=[{
        "uscc": firm.uscc, "report_no": "NB2026-FACT-0003", "year": 2026, "graduates_hired": 7}])
    assert _value(firm.uscc, "annual.graduates_hired") != 7  # not yet: the consumer has not run
    assert events.consume(facttable.CONSUMER) == 1
    assert _value(firm.uscc, "annual.graduates_hired") == 7
    # The same position again (a retried batch) or an older one changes nothing.
    with connection.cursor() as cursor:
        cursor.execute(f'UPDATE {facttable.TABLE} SET "annual.graduates_hired" = 99 WHERE uscc = %s', [firm.uscc])
        cursor.execute(f'SELECT "_txid", "_seq" FROM {facttable.TABLE} WHERE uscc = %s', [firm.uscc])
        txid, seq = cursor.fetchone()
    assert facttable.refresh([firm.uscc], (txid, seq)) == 0
    assert facttable.refresh([firm.uscc], (txid, seq - 1)) == 0
    assert _value(firm.uscc, "annual.graduates_hired") == 99
    assert facttable.refresh([firm.uscc], (txid, seq + 1)) == 1  # a newer event reads it again
    assert _value(firm.uscc, "annual.graduates_hired") == 7


def test_a_change_of_the_declared_facts_rebuilds_it_on_the_next_read() -> None:
    facttable.rebuild()
    state = facttable.state()
    assert state is not None
    state.columns = state.columns[:-1]
    state.save()
    assert facttable.row_of(enterprise(1).uscc, FACTS) is not None
    state = facttable.state()
    assert state is not None and [tuple(c) for c in state.columns] == facttable.declared()
