"""Reads composed once per process give what the ORM's `values_list` gives."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from qinqing.core import composed
from qinqing.core.models import CalendarDay, OutboxEvent

pytestmark = pytest.mark.django_db
COLUMNS = ("seq", "name", "payload", "enterprise", "occurred_at")


def _store() -> None:
    at = dt.datetime(2026, 12, 7, 8, 0, tzinfo=dt.UTC)
    OutboxEvent.objects.bulk_create([
        OutboxEvent(name=f"E{i}", payload={"n": i, "名": "亲清", "list": [1, 2]}, enterprise=f"U{i % 2}",
                    region="330108", occurred_at=at + dt.timedelta(minutes=i)) for i in range(5)])


def test_a_composed_read_gives_the_rows_and_values_the_orm_gives():
    _store()
    read = composed.read(OutboxEvent, COLUMNS, "{enterprise} = %s", order_by=("-occurred_at", "-seq"))
    assert read.rows(["U1"]) == list(OutboxEvent.objects.filter(enterprise="U1").order_by("-occurred_at", "-seq")
                                     .values_list(*COLUMNS))
    first = composed.read(OutboxEvent, ("seq", "payload"), "{enterprise} = %s", order_by=("seq",), limit=1)
    assert first.rows(["U0"]) == [OutboxEvent.objects.filter(enterprise="U0").order_by("seq")
                                  .values_list("seq", "payload").first()]
    assert composed.read(OutboxEvent, COLUMNS, "{enterprise} = %s").rows(["nobody"]) == []


def test_a_date_column_is_converted_as_the_orm_converts_it():
    day = dt.date(2031, 10, 1)
    CalendarDay.objects.update_or_create(date=day, defaults={"kind": "holiday", "name": "国庆节"})
    rows = composed.read(CalendarDay, ("date", "kind", "name"), "{date} = %s").rows([day])
    assert rows == [(day, "holiday", "国庆节")] == list(CalendarDay.objects.filter(date=day)
                                                       .values_list("date", "kind", "name"))


def test_the_text_is_composed_once_and_run_as_one_statement():
    _store()
    read = composed.read(OutboxEvent, COLUMNS, "{enterprise} = %s")
    assert composed.read(OutboxEvent, COLUMNS, "{enterprise} = %s") is read
    with CaptureQueriesContext(connection) as queries:
        read.rows(["U0"])
    assert len(queries) == 1 and queries[0]["sql"].startswith("SELECT")
