"""System checks of the platform's own data: `qinqing check` warns before the holiday table runs out."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.checks import CheckMessage, Warning, register
from django.db import DatabaseError
from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing.core import calendar

# Warn this long before the last covered year ends: the State Council publishes in October–December.
WARN_MONTHS = 3


def holiday_table_warning(today: dt.date | None = None) -> str | None:
    """Return the warning to show when the holiday table runs out within three months, else None."""
    today = today or timezone.localdate()
    last = calendar.covered_through(today.year)
    warn_from = dt.date(last, 12 - WARN_MONTHS + 1, 1) if last is not None else None
    if warn_from is not None and today < warn_from:
        return None
    if last is None:
        return _("The holiday table covers no year up to %(year)s: working-day deadlines count weekends only "
                 "and are provisional. Import the State Council's notice (qinqing importholidays).") % {
                     "year": today.year}
    return _("The holiday table only covers up to %(year)s: deadlines after it count weekends only and are "
             "provisional. Import the State Council's notice for %(next)s (qinqing importholidays).") % {
                 "year": last, "next": last + 1}


@register()
def check_holiday_table(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Warn from three months before the last year of State Council notices in the table ends."""
    try:
        message = holiday_table_warning()
    except DatabaseError:
        return []  # not migrated yet: nothing to check
    if message is None:
        return []
    return [Warning(message, hint=_("qinqing importholidays FILE.csv --year YEAR --notice NUMBER"),
                    id="qinqing.W001")]
