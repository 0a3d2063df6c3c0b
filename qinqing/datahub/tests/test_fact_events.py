"""An import tells the platform which enterprises' facts changed: one event each, only when something changed."""

from __future__ import annotations

import pytest

from qinqing.core.models import OutboxEvent
from qinqing.datahub.services import import_records
from qinqing.datahub.tests.support import land_row, new_uscc, registry_row

pytestmark = pytest.mark.django_db


def _facts_events(since: int) -> list[OutboxEvent]:
    return list(OutboxEvent.objects.filter(seq__gt=since, name="enterprise.facts_changed").order_by("seq"))


def _head() -> int:
    return OutboxEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def test_new_registry_records_raise_one_created_event_per_enterprise_naming_no_field_with_its_region():
    first, second = new_uscc(41), new_uscc(42)
    start = _head()
    import_records(source_code="market_registry", rows=[registry_row(first), registry_row(second)], actor="test")
    found = {e.enterprise: e for e in _facts_events(start)}
    assert set(found) == {first, second}
    event = found[first]
    assert event.payload == {"sources": ["market_registry"], "fields": [], "created": True}
    assert event.region == "330108002002"


def test_importing_the_same_rows_again_changes_nothing_and_raises_nothing():
    uscc = new_uscc(43)
    import_records(source_code="market_registry", rows=[registry_row(uscc)], actor="test")
    start = _head()
    import_records(source_code="market_registry", rows=[registry_row(uscc, registered_capital="1000000")],
                   actor="test")  # 1000000 equals 1000000.00: no change
    assert _facts_events(start) == []


def test_a_changed_field_is_named_and_only_that_enterprise_is_told():
    changed, same = new_uscc(44), new_uscc(45)
    import_records(source_code="market_registry", rows=[registry_row(changed), registry_row(same)], actor="test")
    start = _head()
    import_records(source_code="market_registry",
                   rows=[registry_row(changed, registered_capital="12000000.00", status="在业"), registry_row(same)],
                   actor="test")
    events = _facts_events(start)
    assert [e.enterprise for e in events] == [changed]
    assert events[0].payload["fields"] == ["market_registry.registered_capital", "market_registry.status"]
    assert events[0].payload["created"] is False


def test_a_json_source_reports_changed_fields_by_enterprise():
    uscc = new_uscc(46)
    import_records(source_code="land_contracts", rows=[land_row(uscc, "T-EV-1")], actor="test")
    start = _head()
    import_records(source_code="land_contracts", rows=[land_row(uscc, "T-EV-1", area="13000.00")], actor="test")
    events = _facts_events(start)
    assert [(e.enterprise, e.payload["fields"]) for e in events] == [(uscc, ["land_contracts.area"])]


def test_a_rejected_import_raises_no_event():
    from qinqing.datahub.errors import ImportRejected

    start = _head()
    with pytest.raises(ImportRejected):
        import_records(source_code="market_registry", rows=[registry_row(new_uscc(47)), registry_row("bad")],
                       actor="test")
    assert _facts_events(start) == []
