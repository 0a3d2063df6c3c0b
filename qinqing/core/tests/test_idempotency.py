import datetime as dt

import pytest
from django.db import IntegrityError

from qinqing.core.idempotency import once
from qinqing.core.models import CalendarDay

pytestmark = pytest.mark.django_db


def test_once_creates_when_nothing_is_found():
    created = []
    row, fresh = once(lookup=lambda: None, create=lambda: created.append("row") or "row", replay=lambda r: f"replayed {r}")
    assert (row, fresh, created) == ("row", True, ["row"])


def test_once_replays_what_it_finds_without_creating():
    def create():
        raise AssertionError("must not create")

    assert once(lookup=lambda: "first", create=create, replay=lambda r: f"replayed {r}") == ("replayed first", False)


def test_once_propagates_a_refused_replay():
    def refuse(row):
        raise ValueError("different request")

    with pytest.raises(ValueError):
        once(lookup=lambda: "first", create=lambda: "second", replay=refuse)


def test_once_replays_the_row_a_racing_request_wrote_first():
    day = dt.date(2031, 1, 2)
    state = {"looked": 0}

    def lookup():
        state["looked"] += 1
        # The first look finds nothing: the racing request commits between look and write.
        return None if state["looked"] == 1 else CalendarDay.objects.filter(date=day).first()

    CalendarDay.objects.create(date=day, kind=CalendarDay.Kind.HOLIDAY, name="winner")
    row, fresh = once(lookup=lookup, create=lambda: CalendarDay.objects.create(date=day, kind="holiday", name="loser"),
                      replay=lambda r: r)
    assert (row.name, fresh) == ("winner", False)
    # The savepoint was rolled back: the caller's transaction still works.
    assert CalendarDay.objects.filter(date=day).count() == 1


def test_once_reraises_an_integrity_error_it_cannot_replay():
    day = dt.date(2031, 1, 3)
    CalendarDay.objects.create(date=day, kind=CalendarDay.Kind.HOLIDAY)
    with pytest.raises(IntegrityError):
        once(lookup=lambda: None, create=lambda: CalendarDay.objects.create(date=day, kind="holiday"), replay=lambda r: r)
    assert CalendarDay.objects.filter(date=day).count() == 1
