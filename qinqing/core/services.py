"""Writes to core's own tables: loading a year's holidays from the State Council's notice."""

from __future__ import annotations

import csv
import datetime as dt
import io

from django.db import transaction
from django.utils.translation import gettext as _

from qinqing.core import calendar
from qinqing.core.errors import ValidationFailed
from qinqing.core.models import CalendarDay, CalendarYear

COLUMNS = ["date", "kind", "name"]
_NAME_LENGTH = CalendarDay._meta.get_field("name").max_length or 64


def parse_holiday_csv(text: str, *, year: int) -> list[CalendarDay]:
    """Read `date,kind,name` rows for `year`; raise ValidationFailed naming every bad line."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = [cell.strip().lower() for cell in next(reader, [])]
    if header != COLUMNS:
        raise ValidationFailed(_("The first line must be the header: date,kind,name."),
                               errors={"line 1": [_("Expected the columns date,kind,name.")]})
    days: list[CalendarDay] = []
    seen: dict[dt.date, int] = {}
    errors: dict[str, list[str]] = {}
    for number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        problems = _row_problems(row, year=year, seen=seen, number=number)
        if problems:
            errors[f"line {number}"] = problems
            continue
        date = dt.date.fromisoformat(row[0].strip())
        seen[date] = number
        days.append(CalendarDay(date=date, kind=row[1].strip().lower(), name=row[2].strip()))
    if errors:
        raise ValidationFailed(_("The holiday file has errors; nothing was imported."), errors=errors)
    if not days:
        raise ValidationFailed(_("The holiday file lists no days."), errors={"file": [_("No rows after the header.")]})
    return days


def _row_problems(row: list[str], *, year: int, seen: dict[dt.date, int], number: int) -> list[str]:
    if len(row) != len(COLUMNS):
        return [_("Expected 3 columns (date,kind,name), found %(n)d.") % {"n": len(row)}]
    raw_date, kind, name = (cell.strip() for cell in row)
    try:
        date = dt.date.fromisoformat(raw_date)
    except ValueError:
        return [_("“%(value)s” is not a date in the form YYYY-MM-DD.") % {"value": raw_date}]
    problems = []
    if date.year != year:
        problems.append(_("%(date)s is not in %(year)d.") % {"date": date, "year": year})
    if date in seen:
        problems.append(_("%(date)s is already listed on line %(line)d.") % {"date": date, "line": seen[date]})
    if kind.lower() not in CalendarDay.Kind.values:
        problems.append(_("The kind must be holiday or workday, not “%(kind)s”.") % {"kind": kind})
    elif kind.lower() == CalendarDay.Kind.WORKDAY and date.weekday() < 5:
        problems.append(_("A make-up workday falls on a Saturday or Sunday; %(date)s is not one.") % {"date": date})
    if not name:
        problems.append(_("Give the holiday's name, e.g. 春节."))
    elif len(name) > _NAME_LENGTH:
        problems.append(_("The name is longer than %(n)d characters.") % {"n": _NAME_LENGTH})
    return problems


def import_holiday_notice(*, year: int, notice: str, published: dt.date | None, text: str,
                          source: str = "") -> CalendarYear:
    """Replace `year`'s holidays and make-up workdays with a notice's, and mark the year covered.

    The caller owns the transaction when it must recompute deadlines in the same one.
    """
    days = parse_holiday_csv(text, year=year)
    with transaction.atomic():
        CalendarDay.objects.filter(date__year=year).delete()
        CalendarDay.objects.bulk_create(days)
        row = calendar.mark_year_covered(year, calendar.Notice(notice, published, source))
    transaction.on_commit(calendar.invalidate)
    return row
